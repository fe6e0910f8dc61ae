// netintel link explorer: draws one chart payload (built by netintel.viz.explore) with sigma.js.
// The same function renders in JupyterLab (anywidget), in a saved standalone HTML file and in an
// exported notebook. Filters, hover cards and hiding run here; expanding asks Python (when connected).
(function () {
  "use strict";
  const S = window.NetintelSigma;
  window.netintelCharts = window.netintelCharts || {};

  function h(tag, attrs, children) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "style") e.style.cssText = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    });
    (children || []).forEach((c) => e.appendChild(typeof c === "string" ? document.createTextNode(c) : c));
    return e;
  }

  function banner(data) {
    return h("div", {class: "netintel-caveat", style: `background:${data.caveat_colours[0]};color:${data.caveat_colours[1]};` +
      "font-weight:bold;text-align:center;padding:2px 6px;border:1px solid #333;font:bold 13px sans-serif",
      text: data.caveat});
  }

  function render(el, data, send) {
    el.innerHTML = "";
    const id = data.chart_id;
    const root = h("div", {class: "netintel-explorer", "data-chart": id, style: "font:12px sans-serif;position:relative"});
    el.appendChild(root);
    root.appendChild(banner(data));
    root.appendChild(h("div", {style: "font:bold 15px sans-serif;margin:4px 0", text: data.title}));
    // --- filters -------------------------------------------------------------------------------
    const bar = h("div", {class: "netintel-filters", style: "display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin:4px 0"});
    const grading = h("select", {class: "netintel-min-grading", title: "minimum grading of links"},
      [h("option", {value: "", text: "any grading"})].concat(data.controls.gradings.map((g) => h("option", {value: g, text: "≥ " + g}))));
    const since = h("input", {type: "date", class: "netintel-since", title: "links active from"});
    const until = h("input", {type: "date", class: "netintel-until", title: "links active until"});
    if (data.controls.min_date) { since.min = until.min = data.controls.min_date; }
    if (data.controls.max_date) { since.max = until.max = data.controls.max_date; }
    const checks = (cls, values, label) => {
      const box = h("span", {class: cls}, [h("b", {text: label + ": "})]);
      values.forEach((v) => box.appendChild(h("label", {style: "margin-right:6px"},
        [h("input", {type: "checkbox", value: v, checked: "checked"}), " " + v])));
      return box;
    };
    const agencies = checks("netintel-agencies", data.controls.agencies, "agency");
    const kinds = checks("netintel-link-kinds", data.controls.link_kinds, "links");
    const hiddenInfo = h("button", {class: "netintel-unhide", title: "show hidden entities again", text: "hidden: 0"});
    const counts = h("span", {class: "netintel-counts", style: "margin-left:auto;color:#333"});
    [h("span", {}, [grading]), h("span", {}, ["from ", since, " to ", until]), agencies, kinds, hiddenInfo, counts]
      .forEach((c) => bar.appendChild(c));
    root.appendChild(bar);
    // --- canvas, legend, card ------------------------------------------------------------------
    const wrap = h("div", {style: `position:relative;height:${data.height}px;border:1px solid #ccc;background:#fff`});
    const canvas = h("div", {class: "netintel-canvas", style: "position:absolute;inset:0"});
    const legend = h("div", {class: "netintel-legend", style: "position:absolute;right:4px;top:4px;background:rgba(255,255,255,.9);" +
      "padding:4px 6px;border:1px solid #ddd;max-height:95%;overflow:auto;font-size:11px"});
    const card = h("div", {class: "netintel-card", style: "position:absolute;left:6px;bottom:6px;max-width:380px;display:none;" +
      "background:#fffef5;border:1px solid #999;padding:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);font-size:11px"});
    wrap.appendChild(canvas); wrap.appendChild(legend); wrap.appendChild(card);
    root.appendChild(wrap);
    data.legend.kinds.forEach((k) => legend.appendChild(h("div", {}, [h("img", {src: k.icon, width: 14, height: 14,
      style: "vertical-align:middle;background:#555;border-radius:7px"}), " " + k.kind])));
    data.legend.links.forEach((k) => legend.appendChild(h("div", {}, [h("span", {style:
      `display:inline-block;width:18px;height:3px;vertical-align:middle;background:${k.color}`}), " " + k.kind + (k.directed ? " →" : "")])));
    data.legend.communities.forEach((c) => legend.appendChild(h("div", {}, [h("span", {style:
      `display:inline-block;width:10px;height:10px;border-radius:5px;background:${c.color}`}), " " + c.label])));
    if (data.note) root.appendChild(h("div", {class: "netintel-note", style: "color:#444;margin:2px 0", text: data.note}));
    root.appendChild(banner(data));

    // --- graph ---------------------------------------------------------------------------------
    const graph = new S.Graph({multi: true, type: "mixed"});
    data.nodes.forEach((n) => graph.addNode(n.id, {x: n.x, y: n.y, size: n.size, color: n.color, label: n.label,
      type: "icon", image: data.icons[n.kind] || data.icons._default, pictoColor: "#ffffff", kind: n.kind,
      agencies: n.agencies, card: n.card}));
    data.edges.forEach((e) => {
      if (!graph.hasNode(e.source) || !graph.hasNode(e.target)) return;
      const add = e.directed ? graph.addDirectedEdgeWithKey.bind(graph) : graph.addUndirectedEdgeWithKey.bind(graph);
      add(e.id, e.source, e.target, {size: e.size, color: e.color, type: e.directed ? "arrow" : "line", kind: e.kind,
        okFor: new Set(e.at_least), first: e.first, last: e.last, agencies: e.agencies, card: e.card});
    });
    const hidden = new Set(data.hidden || []);
    const state = {minGrading: null, since: null, until: null, agencies: new Set(data.controls.agencies),
      kinds: new Set(data.controls.link_kinds)};
    const nodeVisible = (n, a) => !hidden.has(n) && a.agencies.some((x) => state.agencies.has(x));
    const edgeVisible = (e, a, s, t) => state.kinds.has(a.kind) && (!state.minGrading || a.okFor.has(state.minGrading)) &&
      a.agencies.some((x) => state.agencies.has(x)) &&
      !(state.since && a.last && a.last < state.since) && !(state.until && a.first && a.first > state.until) &&
      nodeVisible(s, graph.getNodeAttributes(s)) && nodeVisible(t, graph.getNodeAttributes(t));
    const many = data.edges.length > 20000;
    const NodeIcon = S.createNodeCompoundProgram([S.NodeCircleProgram, S.createNodeImageProgram({
      padding: 0.18, drawingMode: "color", colorAttribute: "pictoColor", keepWithinCircle: true})]);
    const renderer = new S.Sigma(graph, canvas, {
      nodeProgramClasses: {icon: NodeIcon}, edgeProgramClasses: {arrow: S.EdgeArrowProgram, line: S.EdgeRectangleProgram},
      defaultNodeType: "icon", renderEdgeLabels: false, enableEdgeEvents: !many, labelDensity: 0.6,
      labelGridCellSize: 90, labelRenderedSizeThreshold: 7, zIndex: true, hideEdgesOnMove: many,
      nodeReducer: (n, a) => nodeVisible(n, a) ? a : {...a, hidden: true},
      edgeReducer: (e, a) => edgeVisible(e, a, graph.source(e), graph.target(e)) ? a : {...a, hidden: true},
    });

    function stats() {
      const nodes = graph.filterNodes((n, a) => nodeVisible(n, a));
      const edges = graph.filterEdges((e, a, s, t) => edgeVisible(e, a, s, t));
      return {nodes: nodes.length, edges: edges.length, node_ids: nodes, edge_ids: edges};
    }
    function refresh() {
      renderer.refresh();
      const st = stats();
      counts.textContent = `${st.nodes} entities, ${st.edges} links shown`;
      hiddenInfo.textContent = `hidden: ${hidden.size}`;
      root.setAttribute("data-nodes", st.nodes); root.setAttribute("data-edges", st.edges);
    }
    function showCard(html, nodeId) {
      card.innerHTML = html;
      if (nodeId !== undefined) {
        const row = h("div", {style: "margin-top:4px"});
        const expand = h("button", {class: "netintel-expand", text: "expand"});
        const hide = h("button", {class: "netintel-hide", text: "hide", style: "margin-left:4px"});
        if (!send) { expand.disabled = true; expand.title = "expanding needs the notebook (this is a saved view)"; }
        expand.onclick = () => send && send({type: "expand", ids: [nodeId]});
        hide.onclick = () => { hidden.add(nodeId); card.style.display = "none"; if (send) send({type: "hide", ids: [nodeId]}); refresh(); };
        row.appendChild(expand); row.appendChild(hide); card.appendChild(row);
      }
      card.style.display = "block";
    }
    renderer.on("enterNode", ({node}) => showCard(graph.getNodeAttribute(node, "card"), node));
    renderer.on("clickNode", ({node}) => showCard(graph.getNodeAttribute(node, "card"), node));
    renderer.on("doubleClickNode", ({node, preventSigmaDefault}) => { preventSigmaDefault(); if (send) send({type: "expand", ids: [node]}); });
    if (!many) renderer.on("enterEdge", ({edge}) => showCard(graph.getEdgeAttribute(edge, "card")));
    renderer.on("clickStage", () => { card.style.display = "none"; });
    // "at least B2" on both Admiralty axes, as netintel.grading.at_least: each link lists the minimums it meets
    grading.onchange = () => { state.minGrading = grading.value || null; refresh(); };
    since.onchange = () => { state.since = since.value || null; refresh(); };
    until.onchange = () => { state.until = until.value ? until.value + "T23:59:59" : null; refresh(); };
    agencies.querySelectorAll("input").forEach((c) => c.onchange = () => {
      c.checked ? state.agencies.add(c.value) : state.agencies.delete(c.value); refresh(); });
    kinds.querySelectorAll("input").forEach((c) => c.onchange = () => {
      c.checked ? state.kinds.add(c.value) : state.kinds.delete(c.value); refresh(); });
    hiddenInfo.onclick = () => { hidden.clear(); if (send) send({type: "unhide"}); refresh(); };
    // several boxes at once, one redraw
    function setChecks(box, set, list) {
      set.clear();
      box.querySelectorAll("input").forEach((c) => { c.checked = list.includes(c.value); if (c.checked) set.add(c.value); });
      refresh();
    }
    refresh();
    const api = {stats, renderer, graph, refresh, ready: true,
      setMinGrading: (g) => { grading.value = g || ""; grading.onchange(); return stats(); },
      setAgencies: (list) => { setChecks(agencies, state.agencies, list); return stats(); },
      setLinkKinds: (list) => { setChecks(kinds, state.kinds, list); return stats(); },
      setWindow: (a, b) => { since.value = a || ""; until.value = b || ""; since.onchange(); until.onchange(); return stats(); },
      hide: (n) => { hidden.add(n); refresh(); return stats(); }};
    window.netintelCharts[id] = api;
    return () => { renderer.kill(); delete window.netintelCharts[id]; };
  }
  window.netintelRender = render;
})();
