"""Benchmark: the interactive link chart at scale, in headless Chromium, against plain sigma.js.

For each size it generates a planted-partition graph (:func:`netintel.synth.graphs.planted_partition_graph`,
seed 20262: never a test seed), opens it with :func:`netintel.viz.explore`, and measures

* in Python: layout + communities, the chart payload, the size of the standalone HTML;
* in Chromium (Debian's, as the browser tests): time from page load to the first drawn frame, and
  the time a filter takes to redraw (link kinds), for
  - **netintel**: the saved standalone HTML (pictograms, hover cards, filters), and
  - **reference**: plain sigma.js on the same nodes, positions and edges, default programs, no
    netintel layer, in the same browser, same run.

It prints the ratios netintel / reference. Run::

    python benchmarks/bench_explore.py                 # 5k and 50k entities
    python benchmarks/bench_explore.py --sizes 2000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "viz"))

from browser_tools import call, open_chart, start_chromium, stop_chromium  # noqa: E402
from netintel.graph import CaseGraph  # noqa: E402
from netintel.synth.graphs import planted_partition_graph  # noqa: E402
from netintel.viz.explore import _static, explore  # noqa: E402

REFERENCE = """<!DOCTYPE html><html><body><div id='c' style='width:1260px;height:620px'></div>
<script>{bundle}</script><script>
const d = {data};
const S = window.NetintelSigma; const g = new S.Graph({{multi: true}});
d.nodes.forEach(n => g.addNode(n.id, {{x: n.x, y: n.y, size: n.size, color: n.color, label: n.label}}));
d.edges.forEach(e => g.addEdgeWithKey(e.id, e.source, e.target, {{size: e.size, color: e.color, kind: e.kind}}));
const kinds = new Set(d.edges.map(e => e.kind));
const r = new S.Sigma(g, document.getElementById('c'), {{edgeReducer: (e, a) => kinds.has(a.kind) ? a : {{...a, hidden: true}}}});
window.netintelCharts = {{ref: {{stats: () => ({{nodes: g.order, edges: g.size}}),
  setLinkKinds: (l) => {{ kinds.clear(); l.forEach(k => kinds.add(k)); r.refresh(); return {{edges: g.size}}; }} }} }};
</script></body></html>"""


def browser_times(browser, page: Path, chart_index: int = 0) -> tuple[float, float]:
    t = time.perf_counter()
    cid = open_chart(browser, page, timeout=300, index=chart_index)
    # one animation frame after the chart reported ready: it has drawn
    browser.execute_script("return await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    first = time.perf_counter() - t
    t = time.perf_counter()
    call(browser, cid, "c.setLinkKinds(['call'])")
    browser.execute_script("return await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return first, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,50000", help="numbers of entities")
    args = parser.parse_args()
    browser = start_chromium()
    try:
        for n in [int(x) for x in args.sizes.split(",")]:
            edges, truth = planted_partition_graph(2 * n, seed=20262, avg_degree=4.0)
            edges = edges.assign(kind=["call" if i % 2 else "associate_of" for i in range(len(edges))])
            graph = CaseGraph.from_frames(edges)
            t = time.perf_counter()
            chart = explore(graph, communities=dict(zip(truth.index.astype(str), truth.values)))
            t_open = time.perf_counter() - t
            t = time.perf_counter()
            payload = chart.payload()
            t_payload = time.perf_counter() - t
            with tempfile.TemporaryDirectory() as tmp:
                ours = chart.save_html(Path(tmp) / "ours.html")
                ref = Path(tmp) / "ref.html"
                ref.write_text(REFERENCE.format(bundle=_static("sigma-bundle.js"),
                                                data=json.dumps(payload).replace("</", "<\\/")), encoding="utf-8")
                o_first, o_filter = browser_times(browser, ours)
                r_first, r_filter = browser_times(browser, ref)
                size = ours.stat().st_size / 1e6
            print(f"\n== {len(chart.nodes):,} entities, {len(chart.edges):,} links")
            print(f"python: layout + communities {t_open:.1f} s, payload {t_payload:.1f} s, HTML {size:.1f} MB")
            print(f"netintel  : first frame {o_first:.2f} s, filter redraw {o_filter * 1000:.0f} ms")
            print(f"reference : first frame {r_first:.2f} s, filter redraw {r_filter * 1000:.0f} ms (plain sigma.js)")
            print(f"ratio netintel / reference: first frame {o_first / r_first:.2f}, filter {o_filter / r_filter:.2f}")
    finally:
        stop_chromium(browser)


if __name__ == "__main__":
    main()
