"""The briefing pack at scale: ``brief`` on generated cases, against the same run at the smaller scale.

Issue 11: "Briefing: generated cases at x4, x16, x64 and x256: time grows no faster than the case
(x256 within 4.5x of x64) and x64 completes in under 3 minutes on this machine."

For each scale K a case is generated (:func:`netintel.synth.case.generate_case`, seed 20263, a seed
no test uses, ``scale=K``) and written to a folder; then, in a child process of its own (so that its
peak resident memory is its own), :func:`netintel.brief.brief` ingests that folder into an in-memory
workspace and writes the whole pack (charts, tables, exports, summary, manifest).

The reference is the same run at the previous scale: printed per scale are the case's entity
records, calls and transfers (``case.info["counts"]``), brief's wall seconds, peak RSS, seconds per
1,000 entity records, and the ratio of time to the previous scale beside the ratio of case size
(entity records). Then the two judged lines: the x256 / x64 time ratio (target <= 4.5) and the x64
seconds (target < 180), each with holds / MISSES, when those scales were run.

Where the time goes: ``brief`` reports each of its ``BRIEF_STEPS`` to its progress bar; the child
replaces that bar with one that notes the clock at every step, and wraps the functions ``brief``
calls (resolve, build_graph, detect_communities, key_players, export_graph, save, ...) with a
timer that counts only calls made from ``brief.py`` itself. Both are patched in the child only,
never in ``src``. Printed: seconds per step and per function at each scale, their growth from the
first scale to the last beside the case's, and which step grows fastest.

Usage::

    python benchmarks/bench_briefing.py --scales 1 4 16          # a quick look
    python benchmarks/bench_briefing.py --scales 4 16 64 256     # the issue 11 run
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 20263

CHILD = r"""
import functools, json, resource, sys, time
from pathlib import Path
import netintel.brief as B

folder, out = sys.argv[1], sys.argv[2]
marks = []  # (step name, clock when brief reported it done)


class StepClock:
    # stands in for brief's tqdm bar: brief calls set_postfix_str(step) then update(1) as each step ends
    def __init__(self, *args, **kwargs):
        marks.append(("start", time.perf_counter()))
    def set_postfix_str(self, name):
        marks.append((name, time.perf_counter()))
    def update(self, n=1):
        pass
    def close(self):
        pass


B.tqdm = StepClock
calls = {}  # "module.function" -> [seconds, calls], calls made from brief.py only
BRIEF_FILE = B.__file__


def timed(name, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if sys._getframe(1).f_code.co_filename != BRIEF_FILE:
            return fn(*args, **kwargs)
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            # one line per export format: the exports are the bulk of the pack's time
            key = f"{name}[{kwargs['format']}]" if "format" in kwargs else name
            slot = calls.setdefault(key, [0.0, 0])
            slot[0] += time.perf_counter() - t
            slot[1] += 1
    return wrapper


import netintel.ingest, netintel.resolve, netintel.graph, netintel.communities, netintel.typology
import netintel.cooperation, netintel.cooperation._briefing, netintel.analysis.centrality
import netintel.analysis.disruption, netintel.analysis.temporal, netintel.viz.charts, netintel.viz.linkchart
import netintel.viz.timeline

# brief imports these inside its body (looked up in the module at call time) ...
for mod, names in ((netintel.ingest, ["ingest"]), (netintel.resolve, ["resolve"]), (netintel.graph, ["build_graph"]),
                   (netintel.communities, ["detect_communities"]), (netintel.typology, ["classify_communities"]),
                   (netintel.cooperation, ["priority_scores", "case_jurisdictions", "recommend_jit", "pooling_gain"]),
                   (netintel.cooperation._briefing, ["legal_tables"]),
                   (netintel.analysis.centrality, ["key_players", "community_key_players"]),
                   (netintel.analysis.disruption, ["compare_strategies"]),
                   (netintel.analysis.temporal, ["timeline"]), (netintel.viz.charts, ["community_overview"]),
                   (netintel.viz.linkchart, ["link_chart"]), (netintel.viz.timeline, ["timeline_chart"])):
    for name in names:
        setattr(mod, name, timed(f"{mod.__name__.removeprefix('netintel.')}.{name}", getattr(mod, name)))
# ... and these at the top of brief.py, or are its own helpers
for name in ("save", "write_marked_csv", "export_graph", "key_players_chart", "plot_disruption", "_summary_html",
             "_summary_pdf", "_printable_graph", "_community_table", "_sha256"):
    setattr(B, name, timed(f"brief.{name}", getattr(B, name)))
# the person view is rebuilt at each call: brief asks for it four times
CaseGraph = netintel.graph.CaseGraph
CaseGraph.person_view = timed("graph.CaseGraph.person_view", CaseGraph.person_view)

t = time.perf_counter()
pack = B.brief(folder, out, progress=False)
seconds = time.perf_counter() - t
steps = {name: b - a for (_, a), (name, b) in zip(marks, marks[1:])}
print(json.dumps({"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "steps": steps, "calls": calls, "files": len(pack.files), "communities": len(pack.communities)}))
"""


def run_scale(scale: float, tmp: Path, timeout: float | None) -> dict:
    """Generate and write the case at ``scale``, then brief it in a child process."""
    from netintel.synth.case import generate_case

    t = time.perf_counter()
    case = generate_case(seed=SEED, scale=scale)
    folder = tmp / f"case_x{scale:g}"
    case.write(folder)
    counts = dict(case.info["counts"])
    generated = time.perf_counter() - t
    del case
    gc.collect()
    out = tmp / f"pack_x{scale:g}"
    env = dict(os.environ, MPLBACKEND="Agg")
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(out)], capture_output=True, text=True,
                              env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"scale": scale, "counts": counts, "generated": generated, "failed": f"timed out after {timeout:.0f} s"}
    finally:
        subprocess.run(["rm", "-rf", str(folder), str(out)], check=False)
    if done.returncode != 0:
        return {"scale": scale, "counts": counts, "generated": generated,
                "failed": f"exit {done.returncode}: {done.stderr.strip()[-800:]}"}
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return {"scale": scale, "counts": counts, "generated": generated, **got}


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 else "-"


def report_growth(results: list[dict], key: str, title: str, min_share: float = 0.01) -> str | None:
    """Seconds of each step (or function) per scale and its growth first -> last scale; returns the
    fastest-growing one among those taking at least ``min_share`` of the last run."""
    first, last = results[0], results[-1]
    names = list(dict.fromkeys(n for r in results for n in r[key]))
    sec = lambda r, n: (r[key].get(n, 0.0) if key == "steps" else r[key].get(n, [0.0, 0])[0])  # noqa: E731
    if key == "calls":
        names.sort(key=lambda n: -sec(last, n))
    size = last["counts"]["entity_records"] / first["counts"]["entity_records"]
    head = "".join(f"{'x' + format(r['scale'], 'g') + ' s':>9}" for r in results)
    print(f"\n{title}\n{'':<42}{head} {'growth':>8} {'case':>6}  share of last")
    fastest, fastest_growth = None, 0.0
    for n in names:
        cells = "".join(f"{sec(r, n):>9.2f}" for r in results)
        growth = sec(last, n) / sec(first, n) if sec(first, n) > 0 else float("inf")
        share = sec(last, n) / last["seconds"]
        ncalls = f" ({last['calls'][n][1]} calls)" if key == "calls" and n in last["calls"] else ""
        print(f"{n:<42}{cells} {growth:>7.1f}x {size:>5.1f}x  {share:>5.1%}{ncalls}")
        if share >= min_share and growth > fastest_growth:
            fastest, fastest_growth = n, growth
    if fastest is not None:
        print(f"fastest-growing ({title.split(':')[0]}, at least {min_share:.0%} of the x{last['scale']:g} run): "
              f"{fastest}, {fastest_growth:.1f}x for a {size:.1f}x case")
    return fastest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[4, 16, 64, 256],
                    help="case scales to run, ascending (default: 4 16 64 256, the issue 11 run)")
    ap.add_argument("--timeout", type=float, default=None, help="seconds after which a scale's brief is abandoned")
    args = ap.parse_args()
    print(f"briefing pack: generate_case(seed={SEED}, scale=K) -> brief(folder, out, progress=False), each brief in "
          f"its own process ({os.cpu_count()} cores)")
    print(f"{'scale':>6} {'entity rec':>10} {'calls':>9} {'transfers':>9} {'brief s':>9} {'peak RSS':>9} "
          f"{'s/1k rec':>8} {'time x':>7} {'case x':>7}")
    results: list[dict] = []
    prev = None
    with tempfile.TemporaryDirectory(dir=os.environ.get("NETINTEL_BENCH_DIR")) as tmp:
        for scale in args.scales:
            r = run_scale(scale, Path(tmp), args.timeout)
            c = r["counts"]
            if "failed" in r:
                print(f"{'x' + format(scale, 'g'):>6} {c['entity_records']:>10} {c['calls']:>9} {c['transfers']:>9} "
                      f"FAILED ({r['failed']})", flush=True)
                break
            t_ratio = _ratio(r["seconds"], prev["seconds"]) if prev else "-"
            n_ratio = _ratio(c["entity_records"], prev["counts"]["entity_records"]) if prev else "-"
            print(f"{'x' + format(scale, 'g'):>6} {c['entity_records']:>10} {c['calls']:>9} {c['transfers']:>9} "
                  f"{r['seconds']:>9.1f} {r['rss_mb']:>7.0f}MB {1000 * r['seconds'] / c['entity_records']:>8.3f} "
                  f"{t_ratio:>7} {n_ratio:>7}", flush=True)
            results.append(r)
            prev = r
    by_scale = {r["scale"]: r for r in results}
    if 64 in by_scale and 256 in by_scale:
        ratio = by_scale[256]["seconds"] / by_scale[64]["seconds"]
        print(f"\nx256 / x64 time ratio {ratio:.2f} (target <= 4.5): {'holds' if ratio <= 4.5 else 'MISSES'}")
    else:
        print("\nx256 / x64 time ratio: not measured (run --scales ... 64 256)")
    if 64 in by_scale:
        s = by_scale[64]["seconds"]
        print(f"x64 seconds {s:.1f} (target < 180): {'holds' if s < 180 else 'MISSES'}")
    else:
        print("x64 seconds: not measured (run --scales ... 64)")
    if len(results) >= 2:
        report_growth(results, "steps", "steps of brief: seconds between its progress reports")
        report_growth(results, "calls", "functions brief calls: seconds inside, calls from brief.py only")


if __name__ == "__main__":
    main()
