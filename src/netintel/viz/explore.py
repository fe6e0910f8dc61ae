"""The interactive link chart: work *in* the chart in JupyterLab, save what you see for the briefing.

:func:`explore` opens a graph view (a :class:`~netintel.graph.CaseGraph`, a workspace, or any
result with a ``graph``) as a :class:`LinkExplorer`: a sigma.js chart (WebGL, responsive at tens of
thousands of entities) with a pictogram per entity kind, a colour per community, a colour per link
kind (arrows for directed kinds) and width by tie strength, labels placed on a grid so they never
pile up, a hover card with each entity's and link's provenance (agencies, records, grading,
handling and releasability, dates), and filters for the time window, the minimum grading, the
agency and the link kind. Click an entity to expand its neighbours or hide it; the analyst's view
(what is shown, expanded, hidden) lives in Python, so it can be saved as the static briefing chart
(:meth:`LinkExplorer.briefing`, with its caveat banner) or as a standalone HTML file
(:meth:`LinkExplorer.save_html`) that opens in any browser without a network.

A recipient's view (:meth:`LinkExplorer.for_recipient`, or ``recipient=``) is rebuilt from the
workspace with :func:`netintel.graph.build_graph` ``(recipient=...)``, the same restricted view as
every other output: nothing the recipient may not receive is ever in its payload, its HTML or its
chart. The other filters in Python (:meth:`LinkExplorer.filter`) go through ``build_graph`` too.

Why sigma.js in our own small widget (anywidget) rather than ipysigma or ipycytoscape: ipysigma
draws with the same sigma.js, but its saved HTML (``Sigma.write_html``) and any exported notebook
load the widget's JavaScript from a CDN at view time, which an analyst's offline machine cannot
reach; ipycytoscape draws on a 2D canvas (cytoscape.js), far slower at 50k nodes (see
``benchmarks/bench_explore.py``). The sigma.js bundle ships inside netintel (``viz/static``).

Examples
--------
>>> import pandas as pd
>>> from netintel.graph import CaseGraph
>>> g = CaseGraph.from_frames(pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"], "kind": ["call", "uses"]}))
>>> chart = explore(g)
>>> len(chart.nodes), len(chart.edges)
(3, 2)
>>> chart.hide(["c"]).nodes["id"].tolist()
['a', 'b']
>>> "netintelRender" in chart.to_html()
True
"""

from __future__ import annotations

import html
import json
import random
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np
import pandas as pd

from .._text import printable
from ..errors import NetintelError
from ..grading import at_least
from ..handling import Marking
from .linkchart import display_label
from .style import CAVEAT_COLOURS, LINK_COLOURS, PALETTE, link_colour

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..graph import CaseGraph
    from ..workspace import Workspace

__all__ = ["explore", "explore_around", "LinkExplorer", "LINK_COLOURS", "notebook_renderer_js"]

_GRADINGS = [f"{r}{c}" for r in "ABCDEF" for c in "123456"]
_DIRECTED = {"call", "message", "transfer", "owns", "directs", "controls", "uses", "holds_document"}


@lru_cache(maxsize=1)
def _static(name: str) -> str:
    return resources.files("netintel").joinpath(f"viz/static/{name}").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _icons() -> dict[str, str]:
    """Entity kind -> pictogram as an SVG data URL (white on transparent)."""
    from urllib.parse import quote

    paths = json.loads(_static("icons.json"))
    return {kind: "data:image/svg+xml;charset=utf-8," + quote(
        f"<svg xmlns='http://www.w3.org/2000/svg' width='48' height='48' viewBox='0 0 24 24'>"
        f"<path fill='white' d='{d}'/></svg>") for kind, d in paths.items() if not kind.startswith("_comment")}


def _layout(graph: "CaseGraph", seed: int, communities: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Positions of every entity, seeded.

    Up to 3,000 entities: igraph Fruchterman-Reingold on the whole graph. Beyond, a force layout
    costs minutes, so each community is laid out on its own (Fruchterman-Reingold up to 300
    members, a sunflower disc beyond) and the communities are packed on a spiral, biggest in the
    middle: seconds at 50k entities, and the networks stay readable as groups.
    """
    n = len(graph.nodes)
    if not n:
        return {}
    rng = np.random.default_rng(seed)
    if n <= 3_000:
        g = graph.to_igraph()
        start = rng.uniform(-1, 1, size=(g.vcount(), 2)).tolist()
        coords = g.layout_fruchterman_reingold(seed=start, niter=500)
        return {name: (float(x), float(y)) for name, (x, y) in zip(g.vs["name"], coords.coords)}
    whole = graph.to_igraph()
    index = {name: k for k, name in enumerate(whole.vs["name"])}
    ids = graph.nodes["id"].tolist()
    groups: dict[Any, list[str]] = {}
    for i in ids:
        groups.setdefault(communities.get(i, "_none"), []).append(i)
    order = sorted(groups, key=lambda c: (-len(groups[c]), str(c)))
    pos: dict[str, tuple[float, float]] = {}
    golden = np.pi * (3 - np.sqrt(5))
    radius_so_far = 0.0
    for k, c in enumerate(order):
        members = groups[c]
        m = len(members)
        r = np.sqrt(m)  # a community's disc grows with the square root of its size
        if 3 <= m <= 300 and c != "_none":
            sub = whole.induced_subgraph([index[i] for i in members if i in index])
            start = rng.uniform(-1, 1, size=(sub.vcount(), 2)).tolist()
            local = np.array(sub.layout_fruchterman_reingold(seed=start, niter=200).coords)
            local = (local - local.mean(axis=0)) / (np.abs(local).max() or 1.0) * r
            names = sub.vs["name"]
        else:
            t = np.arange(m)
            local = np.c_[np.cos(t * golden), np.sin(t * golden)] * (r * np.sqrt((t + 0.5) / m))[:, None]
            names = members
        # communities on a spiral outwards from the biggest
        angle = k * golden
        dist = 0.0 if k == 0 else radius_so_far + r
        centre = np.array([np.cos(angle), np.sin(angle)]) * dist
        radius_so_far = max(radius_so_far, dist * 0.55 + r) if k else r
        for name, (x, y) in zip(names, local + centre):
            pos[name] = (float(x), float(y))
    return pos


def _communities(graph: "CaseGraph", seed: int) -> dict[str, int]:
    """Community of each entity (igraph Leiden, modularity, two iterations, seeded)."""
    import igraph

    if not len(graph.edges):
        return {}
    g = graph.to_igraph()
    state = random.getstate()
    igraph.set_random_number_generator(random.Random(seed))
    try:
        part = g.community_leiden(objective_function="modularity", n_iterations=2,
                                  weights="weight" if "weight" in g.es.attributes() else None)
    finally:
        igraph.set_random_number_generator(random)
        random.setstate(state)
    sizes = pd.Series(part.membership).value_counts()
    order = {c: i for i, c in enumerate(sizes.index)}  # community 0 is the biggest
    return {name: order[m] for name, m in zip(g.vs["name"], part.membership) if sizes[m] > 1}


def _text(v: Any) -> str:
    return html.escape(str(printable(v, keep_newlines=False)))


def _list(v: Any, n: int = 6) -> str:
    items = list(v) if isinstance(v, (list, tuple, np.ndarray)) else ([] if v is None else [v])
    shown = ", ".join(_text(x) for x in items[:n])
    return shown + (f" and {len(items) - n} more" if len(items) > n else "")


def _date(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
        return None
    try:
        return pd.Timestamp(v).isoformat()
    except (TypeError, ValueError):
        return None


class LinkExplorer:
    """An interactive link chart on a graph view, with the analyst's current view in Python.

    Parameters
    ----------
    graph : the view to explore
    ws : the workspace it came from (needed for a recipient's view and for :meth:`filter`)
    filters : the :func:`~netintel.graph.build_graph` filters ``graph`` was built with
    focus : entity (resolved) ids to start from; the chart shows them and their neighbours.
        None shows everything up to ``max_nodes`` (the most connected entities first).
    communities : entity id -> community; None computes them (igraph Leiden, seeded)
    """

    def __init__(self, graph: "CaseGraph", *, ws: "Workspace | None" = None, filters: Mapping[str, Any] | None = None,
                 focus: Iterable[str] | None = None, communities: Mapping[str, Any] | None = None,
                 title: str = "Link chart", max_nodes: int = 60_000, height: int = 620, seed: int = 0) -> None:
        self.ws, self.title, self.max_nodes, self.height, self.seed = ws, title, max_nodes, height, seed
        self.filters = dict(filters or {})
        self._given_communities = dict(communities) if communities is not None else None
        self._focus = [str(f) for f in focus] if focus is not None else None
        self._widget = None
        self._set_graph(graph)

    # -- the view --------------------------------------------------------------------------------
    def _set_graph(self, graph: "CaseGraph") -> None:
        self.graph = graph
        self._comm = self._given_communities if self._given_communities is not None else _communities(graph, self.seed)
        self._pos = _layout(graph, self.seed, self._comm)
        self.hidden: set[str] = set()
        ids = set(graph.nodes["id"])
        if self._focus is not None:
            start = {f for f in self._focus if f in ids}
            self.shown: set[str] = start | self._neighbours(start)
        elif len(ids) > self.max_nodes:
            deg = pd.concat([graph.edges["source"], graph.edges["target"]]).value_counts()
            self.shown = set(deg.index[:self.max_nodes])
        else:
            self.shown = ids
        self._push()

    def _neighbours(self, ids: set[str]) -> set[str]:
        e = self.graph.edges
        return set(e.loc[e["source"].isin(ids), "target"]) | set(e.loc[e["target"].isin(ids), "source"])

    @property
    def nodes(self) -> pd.DataFrame:
        """The entities on the chart now (shown, not hidden)."""
        keep = self.shown - self.hidden
        return self.graph.nodes[self.graph.nodes["id"].isin(keep)].reset_index(drop=True)

    @property
    def edges(self) -> pd.DataFrame:
        """The links on the chart now (both ends on it)."""
        keep = self.shown - self.hidden
        e = self.graph.edges
        return e[e["source"].isin(keep) & e["target"].isin(keep)].reset_index(drop=True)

    @property
    def marking(self) -> Marking:
        """The marking of what the chart shows now."""
        from ..graph import combine_markings

        n, e = self.nodes, self.edges
        return combine_markings(list(zip(n["handling"], n["releasable_to"])) + list(zip(e["handling"], e["releasable_to"])))

    @property
    def caveat(self) -> str:
        rec = self.filters.get("recipient")
        return self.marking.banner + (f" · view for {rec}" if rec else "")

    @property
    def recipient(self) -> str | None:
        return self.filters.get("recipient")

    def expand(self, ids: Iterable[str]) -> "LinkExplorer":
        """Show the neighbours of these entities (and the entities themselves, hidden or not)."""
        ids = {str(i) for i in ids} & set(self.graph.nodes["id"])
        self.hidden -= ids
        self.shown |= ids | self._neighbours(ids)
        self._push()
        return self

    def hide(self, ids: Iterable[str]) -> "LinkExplorer":
        """Take these entities off the chart (:meth:`unhide` brings them back)."""
        self.hidden |= {str(i) for i in ids}
        self._push()
        return self

    def unhide(self) -> "LinkExplorer":
        self.hidden.clear()
        self._push()
        return self

    def filter(self, **filters: Any) -> "LinkExplorer":
        """Rebuild the view with :func:`~netintel.graph.build_graph` filters (``since``, ``until``,
        ``min_grading``, ``agencies``, ``link_kinds``, ``recipient``; None removes one), keeping the
        entities in focus."""
        from ..graph import build_graph

        if self.ws is None:
            raise NetintelError("this chart was opened on a graph without its workspace: pass ws= to explore() "
                                "to filter through the graph API (a recipient's view is never filtered after drawing)")
        new = {**self.filters, **filters}
        new = {k: v for k, v in new.items() if v is not None}
        focus = self._focus
        self.filters = new
        self._focus = focus
        self._set_graph(build_graph(self.ws, **new))
        return self

    def for_recipient(self, recipient: str) -> "LinkExplorer":
        """A new chart of the same view as ``recipient`` may receive it: rebuilt by the graph API
        with ``recipient=`` (restrict first), showing what this chart shows that it may receive."""
        from ..graph import build_graph

        if self.ws is None:
            raise NetintelError("a recipient's view is built from the workspace: pass ws= to explore()")
        filters = {**self.filters, "recipient": str(recipient).upper()}
        other = LinkExplorer(build_graph(self.ws, **filters), ws=self.ws, filters=filters, focus=[], title=self.title,
                             max_nodes=self.max_nodes, height=self.height, seed=self.seed)
        # the recipient's view resolves who is who from its own records, so its entity ids are not
        # this chart's: what is shown carries over through the entity records behind each node
        visible = self.shown - self.hidden
        records = {r for nid, recs in zip(self.graph.nodes["id"], self.graph.nodes["record_ids"]) if nid in visible
                   for r in _records(recs)}
        records |= visible  # a node with no record list is its own record
        other.shown = {nid for nid, recs in zip(other.graph.nodes["id"], other.graph.nodes["record_ids"])
                       if nid in records or records & set(_records(recs))}
        other._push()
        return other

    # -- output -----------------------------------------------------------------------------------
    def payload(self) -> dict[str, Any]:
        """What the browser draws: the current view with styling and hover cards."""
        nodes, edges = self.nodes, self.edges
        comm_ids = sorted({self._comm[i] for i in nodes["id"] if i in self._comm}, key=lambda c: (str(type(c)), c))
        colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(comm_ids)}
        deg = pd.concat([edges["source"], edges["target"]]).value_counts() if len(edges) else pd.Series(dtype=int)
        xs = np.array([self._pos.get(i, (0.0, 0.0)) for i in nodes["id"]], dtype=float).reshape(-1, 2)
        out_nodes = []
        for (i, row), (x, y) in zip(nodes.iterrows(), xs):
            nid, kind = row["id"], row["kind"]
            label = display_label(kind, row["label"])
            agencies = [str(a) for a in (row["agencies"] if isinstance(row["agencies"], (list, tuple, np.ndarray)) else [])]
            card = (f"<b>{html.escape(label)}</b> <i>({_text(kind)})</i><br>Agencies: {_list(agencies)}"
                    f"<br>Records: {int(row['n_records'] or 0)} ({_list(row['record_ids'], 4)})"
                    f"<br>Grading: {_text(row['grading'])} · handling {_text(row['handling'])}, releasable to "
                    f"{_list(row['releasable_to'])}<br>Countries: {_list(row['countries'])}")
            if nid in self._comm:
                card += f"<br>Community {self._comm[nid]}"
            out_nodes.append({"id": nid, "x": x, "y": y, "size": float(7 + 2.5 * np.sqrt(min(deg.get(nid, 0), 60))),
                              "color": colour.get(self._comm.get(nid), "#888888"), "label": label, "kind": kind,
                              "agencies": agencies or ["(none)"], "card": card})
        known = set(edges["kind"]) if len(edges) else set()
        # the minimum gradings offered: those the links carry, best first
        gradings = [g for g in _GRADINGS if g in set(edges["grading"])] if len(edges) else []
        wmax = float(edges["weight"].max()) if len(edges) and edges["weight"].notna().any() else 1.0
        labels = dict(zip(nodes["id"], (o["label"] for o in out_nodes)))
        out_edges = []
        for row in edges.itertuples(index=False):
            w = float(row.weight) if row.weight == row.weight and row.weight is not None else 1.0
            agencies = [str(a) for a in (row.agencies if isinstance(row.agencies, (list, tuple, np.ndarray)) else [])]
            first, last = _date(row.first_seen), _date(row.last_seen)
            when = f"{first[:10] if first else '?'} – {last[:10] if last else '?'}" if first or last else "undated"
            amount = f"<br>Amount: {row.amount:,.2f} {_text(row.currency or '')}" \
                if row.amount is not None and row.amount == row.amount else ""
            card = (f"<b>{_text(row.kind)}</b>: {html.escape(labels.get(row.source, row.source))} → "
                    f"{html.escape(labels.get(row.target, row.target))}<br>Count {int(row.count or 0)}, strength {w:g}"
                    f"{amount}<br>Active: {when}<br>Agencies: {_list(agencies)}<br>Records: {int(row.n_records or 0)}"
                    f"<br>Grading: {_text(row.grading)} · handling {_text(row.handling)}, releasable to "
                    f"{_list(row.releasable_to)}")
            out_edges.append({"id": f"{row.source}|{row.target}|{row.kind}", "source": row.source, "target": row.target,
                              "kind": row.kind, "directed": bool(row.directed) if row.directed == row.directed else
                              row.kind in _DIRECTED, "size": float(0.6 + 4.4 * np.sqrt(max(w, 0) / wmax)),
                              "color": link_colour(row.kind, known), "first": first, "last": last,
                              "agencies": agencies or ["(none)"], "card": card,
                              "at_least": [g for g in gradings if isinstance(row.grading, str)
                                           and len(row.grading) == 2 and at_least(row.grading, g)]})
        dates = [d for e in out_edges for d in (e["first"], e["last"]) if d]
        agencies = sorted({a for o in out_nodes for a in o["agencies"]} | {a for o in out_edges for a in o["agencies"]})
        code = self.marking.handling
        return {
            "chart_id": f"netintel-{abs(hash((self.title, len(out_nodes), len(out_edges), id(self)))) % 10**10}",
            "title": self.title, "caveat": self.caveat, "caveat_colours": CAVEAT_COLOURS.get(code, ("#FFC000", "#000000")),
            "height": self.height, "nodes": out_nodes, "edges": out_edges, "hidden": [],
            "icons": _icons(),
            "legend": {"kinds": [{"kind": k.replace("_", " "), "icon": _icons().get(k, _icons()["_default"])}
                                 for k in sorted(set(nodes["kind"]))],
                       "links": [{"kind": k.replace("_", " "), "color": link_colour(k, known), "directed": k in _DIRECTED}
                                 for k in sorted(known)],
                       "communities": [{"label": f"community {c}", "color": colour[c]} for c in comm_ids[:9]]},
            "controls": {"agencies": agencies, "link_kinds": sorted(known), "gradings": gradings,
                         "min_date": min(dates)[:10] if dates else None, "max_date": max(dates)[:10] if dates else None},
            "note": (f"{len(self.graph.nodes) - len(out_nodes)} more entities in this view are not shown "
                     "(expand or filter to see them)") if len(self.graph.nodes) > len(out_nodes) else "",
        }

    def to_html(self) -> str:
        """A standalone HTML page of the current view (every script inline: opens offline)."""
        data = json.dumps(self.payload(), ensure_ascii=False).replace("</", "<\\/")
        return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                f"<title>{html.escape(self.title)}</title></head><body style='margin:8px'>"
                "<div id='netintel-chart'></div>\n"
                f"<script>{_static('sigma-bundle.js')}</script>\n<script>{_static('explore.js')}</script>\n"
                f"<script type='application/json' id='netintel-data'>{data}</script>\n"
                "<script>window.netintelRender(document.getElementById('netintel-chart'), "
                "JSON.parse(document.getElementById('netintel-data').textContent), null);</script>"
                "</body></html>\n")

    def save_html(self, path: str | Path) -> Path:
        """Write the current view as a standalone HTML file; returns its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(), encoding="utf-8")
        return path

    def briefing(self, *, title: str | None = None, source: str | None = None, date: str | None = None,
                 max_nodes: int = 120, **kw: Any) -> "Figure":
        """The current view as the static briefing chart (:func:`netintel.viz.linkchart.link_chart`),
        with the caveat banner of exactly what it shows."""
        from .linkchart import link_chart

        nodes = self.nodes
        return link_chart(nodes, self.edges, communities={i: self._comm[i] for i in nodes["id"] if i in self._comm},
                          title=title or self.title, caveat=self.caveat, source=source, date=date,
                          max_nodes=max_nodes, seed=self.seed, **kw)

    # -- Jupyter ------------------------------------------------------------------------------------
    @property
    def widget(self):
        """The JupyterLab widget (anywidget) showing this chart; messages from it expand or hide."""
        if self._widget is None:
            self._widget = _widget_class()(data=json.dumps(self.payload(), ensure_ascii=False))
            self._widget.on_msg(self._on_msg)
        return self._widget

    def _on_msg(self, _widget: Any, content: Mapping[str, Any], _buffers: Any) -> None:
        kind = content.get("type")
        if kind == "expand":
            self.expand(content.get("ids", []))
        elif kind == "hide":
            self.hidden |= {str(i) for i in content.get("ids", [])}  # the browser has hidden them already
        elif kind == "unhide":
            self.hidden.clear()

    def _push(self) -> None:
        if self._widget is not None:
            self._widget.data = json.dumps(self.payload(), ensure_ascii=False)

    def _repr_mimebundle_(self, **kw: Any) -> dict[str, Any]:
        try:
            bundle = self.widget._repr_mimebundle_(**kw)
        except ImportError:
            bundle = None
        if not bundle:
            return {"text/plain": repr(self)}
        return bundle

    def __repr__(self) -> str:
        return (f"<LinkExplorer {self.title!r} [{self.caveat}]: {len(self.nodes)} of {len(self.graph.nodes)} entities, "
                f"{len(self.edges)} links shown, {len(self.hidden)} hidden>")


@lru_cache(maxsize=1)
def _widget_class():
    try:
        import anywidget
        import traitlets
    except ImportError as exc:  # pragma: no cover - anywidget is a dependency
        raise ImportError("the interactive chart needs anywidget: pip install anywidget") from exc

    class ExploreWidget(anywidget.AnyWidget):
        """sigma.js link chart; ``data`` is the chart payload (JSON)."""

        _esm = (_static("sigma-bundle.js") + "\n" + _static("explore.js") + """
export default { render({ model, el }) {
  let dispose = null;
  const draw = () => { if (dispose) dispose();
    dispose = window.netintelRender(el, JSON.parse(model.get("data")), (msg) => model.send(msg)); };
  model.on("change:data", draw); draw();
  return () => { if (dispose) dispose(); };
} };
""")
        data = traitlets.Unicode("{}").tag(sync=True)
        netintel_chart = traitlets.Bool(True).tag(sync=True)

    return ExploreWidget


def notebook_renderer_js() -> str:
    """A widget renderer for notebooks exported to HTML (``nbconvert --HTMLExporter.widget_renderer_url=``):
    draws netintel charts from the widget state saved in the notebook, offline."""
    return (_static("sigma-bundle.js") + "\n" + _static("explore.js") + """
(function () {
  const stateEl = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  if (!stateEl) return;
  const state = JSON.parse(stateEl.textContent).state || {};
  document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').forEach((s) => {
    const view = JSON.parse(s.textContent);
    const model = state[view.model_id];
    if (!model || !model.state || !model.state.netintel_chart) return;
    const div = document.createElement("div");
    s.parentNode.appendChild(div);
    window.netintelRender(div, JSON.parse(model.state.data), null);
  });
})();
""")


def _graph_of(view: Any, ws: "Workspace | None") -> tuple["CaseGraph", "Workspace | None", dict[str, Any]]:
    from ..graph import CaseGraph, build_graph
    from ..workspace import Workspace

    if isinstance(view, Workspace):
        return build_graph(view), view, {}
    if isinstance(view, CaseGraph):
        return view, ws, dict(view.filters or {})
    graph = getattr(view, "graph", None)
    if isinstance(graph, CaseGraph):
        return graph, ws, dict(graph.filters or {})
    raise NetintelError(f"cannot open a link chart on a {type(view).__name__}: give a CaseGraph "
                        "(netintel.graph.build_graph), a Workspace or a result that has a graph")


def explore(view: Any, *, ws: "Workspace | None" = None, recipient: str | None = None,
            focus: Iterable[str] | None = None, communities: Mapping[str, Any] | None = None,
            title: str = "Link chart", max_nodes: int = 60_000, height: int = 620, seed: int = 0) -> LinkExplorer:
    """Open the interactive link chart on a graph view.

    Parameters
    ----------
    view : a :class:`~netintel.graph.CaseGraph`, a Workspace (its whole case graph), or a result with
        a ``graph`` attribute
    ws : the workspace the view came from; needed for ``recipient`` and :meth:`LinkExplorer.filter`
    recipient : ISO2: open the recipient's view (rebuilt by the graph API with ``recipient=``)
    focus : entity ids to start from (with their neighbours)
    communities : entity id -> community for the colours; None computes them
    seed : layout and community seed (same input, same chart)
    """
    graph, ws, filters = _graph_of(view, ws)
    if recipient:
        if ws is None:
            raise NetintelError("a recipient's view is built from the workspace: pass ws= (the graph API restricts "
                                "first; a drawn chart is never filtered after the fact)")
        from ..graph import build_graph

        filters = {k: v for k, v in filters.items() if k in ("since", "until", "link_kinds", "agencies", "min_grading")
                   and v is not None}
        filters["recipient"] = recipient.upper()
        graph = build_graph(ws, **filters)
    known = {k: v for k, v in filters.items() if k in ("since", "until", "link_kinds", "agencies", "min_grading",
                                                        "recipient") and v is not None}
    return LinkExplorer(graph, ws=ws, filters=known, focus=focus, communities=communities, title=title,
                        max_nodes=max_nodes, height=height, seed=seed)


def explore_around(ws: "Workspace", entity_ids: Iterable[str], *, recipient: str | None = None,
                   **kw: Any) -> LinkExplorer:
    """The chart around some entity records (e.g. search hits): their resolved entities and neighbours."""
    from ..graph import build_graph

    resolved = dict(ws.resolved_ids().itertuples(index=False, name=None))
    focus = [resolved.get(e, e) for e in entity_ids]
    graph = build_graph(ws, recipient=recipient.upper() if recipient else None)
    filters = {"recipient": recipient.upper()} if recipient else {}
    return LinkExplorer(graph, ws=ws, filters=filters, focus=focus, **kw)


def _records(value: Any) -> list[str]:
    """The entity record ids of a node (a list, an array or nothing)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value]
    return []
