"""Benchmark: identifier-switch proposals against planted handset switches, and against a plain baseline.

Two independent sources of planted switches:

* ``netintel.synth.generate_case`` (the package's generator), ingested into a workspace, scored with
  ``netintel.analysis.propose_switches``;
* the test suite's small call-record simulator (``tests/analysis/time_sim.py``: noisy background,
  people who leave and arrive, short-lived numbers, partial contact overlap, a group that changes
  phones at once), with all calls observed and with only the targets' lines observed;
* the independent simulator ``netintel.casesim.simulate_calls`` (handsets as bare integers, a
  circle that changes phones within hours near the end), on 10 days and on 6 months of records
  (seeds never used while writing the rules: 9001-9003 by default).

For each, it prints: switches whose true new number is the top proposal, proposals for numbers
that did not switch ("false olds"), run time, and the same figures for a plain baseline (the
later-appearing number with the highest Jaccard overlap of contact sets, no rhythm, cells, timing
or following), with the ratio netintel / baseline for the hit rate.

Run::

    python benchmarks/bench_switching.py                       # generator seeds 101-103, sim seeds 201-206
    python benchmarks/bench_switching.py --case-seeds 1 2 3 --sim-seeds 7 8 --casesim-seeds 9004
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "analysis"))

from netintel import Workspace  # noqa: E402
from netintel.analysis import propose_switches, score_switches  # noqa: E402
from netintel.analysis._timedata import number_key, resolved_events  # noqa: E402


def baseline(events: pd.DataFrame, *, min_silence_days: float = 7, max_gap_days: float = 60) -> dict[str, str]:
    """Plain Jaccard of contact sets: for each silent number, the best later-appearing number."""
    ev = events[events["target"].notna()]
    long = pd.concat([ev.assign(node=ev["source"], other=ev["target"]),
                      ev.assign(node=ev["target"], other=ev["source"])])
    contacts = long.groupby("node")["other"].agg(set)
    first, last = long.groupby("node")["time"].min(), long.groupby("node")["time"].max()
    end = long["time"].max()
    olds = [n for n in contacts.index if last[n] <= end - pd.Timedelta(days=min_silence_days)
            and len(contacts[n]) >= 2]
    best = {}
    for o in olds:
        scores = []
        for n in contacts.index:
            if n == o or first[n] <= first[o] or last[n] <= last[o]:
                continue
            if not (last[o] - pd.Timedelta(days=14) <= first[n] <= last[o] + pd.Timedelta(days=max_gap_days)):
                continue
            a, b = contacts[o] - {n}, contacts[n] - {o}
            j = len(a & b) / len(a | b) if a | b else 0
            if len(a & b) >= 2:
                scores.append((j, n))
        if scores:
            best[o] = max(scores)[1]
    return best


def report(name: str, truth: dict[str, str], ours: dict[str, str], base: dict[str, str], seconds: float) -> tuple:
    hit = sum(ours.get(o) == n for o, n in truth.items())
    base_hit = sum(base.get(o) == n for o, n in truth.items())
    false, base_false = len(set(ours) - set(truth)), len(set(base) - set(truth))
    print(f"{name:28s} switches {len(truth):3d}  netintel top-1 {hit:3d} ({hit / len(truth):.0%}), false olds "
          f"{false:2d}, {seconds:5.2f}s  |  baseline top-1 {base_hit:3d}, false olds {base_false:3d}  |  "
          f"ratio {hit / max(base_hit, 1):.2f}")
    return hit, len(truth), false, base_hit, base_false


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case-seeds", type=int, nargs="*", default=[101, 102, 103])
    parser.add_argument("--sim-seeds", type=int, nargs="*", default=[201, 202, 203, 204, 205, 206])
    parser.add_argument("--casesim-seeds", type=int, nargs="*", default=[9001, 9002, 9003])
    args = parser.parse_args()
    totals = []
    if args.case_seeds:
        from netintel.ingest import ingest
        from netintel.synth.case import generate_case
        for seed in args.case_seeds:
            case = generate_case(seed=seed)
            with tempfile.TemporaryDirectory() as folder:
                case.write(folder)
                ws = Workspace()
                ingest(ws, sorted(p for p in Path(folder).iterdir() if p.is_dir() and p.name != "truth"),
                       progress=False)
            t0 = time.perf_counter()
            top = propose_switches(ws).top()
            seconds = time.perf_counter() - t0
            truth = {number_key(o): number_key(n) for o, n in zip(case.truth["switches"]["old_number"],
                                                                   case.truth["switches"]["new_number"])}
            ours = {number_key(o): number_key(n) for o, n in zip(top["old_label"], top["new_label"])}
            ev = resolved_events(ws, kinds=["call"])
            label = dict(zip(ws.entities()["entity_id"], ws.entities()["label"]))
            base = {number_key(label.get(o, o)): number_key(label.get(n, n)) for o, n in baseline(ev).items()}
            totals.append(report(f"generator seed {seed}", truth, ours, base, seconds))
            ws.close()
    from time_sim import simulate
    for seed in args.sim_seeds:
        observed = "targets" if seed % 2 else "all"
        sim = simulate(seed, observed=observed)
        t0 = time.perf_counter()
        top = score_switches(sim.calls).top()
        seconds = time.perf_counter() - t0
        truth = dict(zip(sim.switches["old"], sim.switches["new"]))
        totals.append(report(f"simulator seed {seed} ({observed})", truth, dict(zip(top["old_id"], top["new_id"])),
                             baseline(sim.calls), seconds))
    from netintel.casesim import simulate_calls
    for days in (10, 180):
        for seed in args.casesim_seeds:
            sim = simulate_calls(seed, days=days, people=150)
            t0 = time.perf_counter()
            result = score_switches(sim.calls)
            top = result.top()
            seconds = time.perf_counter() - t0
            truth = dict(zip(sim.switches["old"], sim.switches["new"]))
            # the baseline gets rules fitted to the span, as netintel's adapt: a fair comparison
            base = baseline(sim.calls, min_silence_days=min(7, days / 20), max_gap_days=min(60, days / 2))
            totals.append(report(f"casesim {days:3d} days seed {seed}", truth,
                                 dict(zip(top["old_id"], top["new_id"])), base, seconds))
            fixed = score_switches(sim.calls, min_silence_days=7, max_gap_days=60, max_overlap_days=14,
                                   half_life_days=30).top()
            fixed_hit = sum(dict(zip(fixed["old_id"], fixed["new_id"])).get(o) == n for o, n in truth.items())
            print(f"{'':28s} with the fixed month-long rules: top-1 {fixed_hit}/{len(truth)}")
    hit, n, false, base_hit, base_false = (sum(t[i] for t in totals) for i in range(5))
    print(f"\nALL: netintel top-1 {hit}/{n} = {hit / n:.1%}, false olds {false}; baseline {base_hit}/{n} = "
          f"{base_hit / n:.1%}, false olds {base_false}; ratio {hit / max(base_hit, 1):.2f}")


if __name__ == "__main__":
    main()
