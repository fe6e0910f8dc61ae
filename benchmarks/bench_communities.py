"""Communities on the whole user path, against the engines alone, in the same run.

Planted-partition graphs (community sizes 20-200, average degree 10, mixing 0.2: a fifth of each
node's ties leave its community), written as an edge-list CSV. Each contender runs in its own
child process so that its peak resident memory is its own:

* ``netintel``: ``ingest`` of the CSV into a workspace file -> ``compute_graph`` (the integer-coded
  graph, summed in DuckDB) -> ``detect_communities`` (``method="auto"``), the analyst's path
  (``detect_communities(ws)`` does the same in one call);
* ``networkit PLM`` / ``networkit PLP``: DuckDB reads the CSV, ``GraphFromCoo``, the algorithm;
* ``igraph Leiden``: DuckDB reads the CSV, ``Graph(n, edges)``, ``community_leiden`` (modularity,
  ``n_iterations=2``).

Printed per size: wall seconds, NMI against the planted truth, peak RSS, and netintel's ratio to
PLM's build + run (target at 1M nodes: within 3x, NMI at least PLM's, RSS under 3 GB), and the
compute graph's bytes per link against igraph's (target: within 2x). netintel's figure is
``ComputeGraph.nbytes`` (every array, and the id and kind strings, one per node); igraph's and
networkit's the growth of resident memory over building the graph (weights included), the only
measure that sees inside their C structures; netintel's resident growth over ``compute_graph`` is
printed beside its own.

``--lfr 1000000`` runs the same contenders on networkit's LFR graph (mu 0.1) and prints
PERFORMANCE.md's 1M-node row beside them (that table timed the algorithm alone: each engine's
"algorithm alone" figure is that one).

Usage: ``python benchmarks/bench_communities.py --sizes 20000 100000 1000000 [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = r"""
import gc, json, resource, sys, time
import duckdb, numpy as np, pandas as pd
from sklearn.metrics import normalized_mutual_info_score
what, csv_path, truth_path, tmp = sys.argv[1:5]
truth = pd.read_parquet(truth_path).set_index("node")["block"]


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024


def deep_bytes(frame):
    # numpy columns by nbytes; object columns by every distinct Python object they hold (lists,
    # tuples, dicts and the strings inside them), each counted once
    seen, total = set(), 0
    def add(x):
        nonlocal total
        if id(x) in seen:
            return
        seen.add(id(x))
        total += sys.getsizeof(x)
        if isinstance(x, (list, tuple, set, frozenset)):
            for y in x:
                add(y)
        elif isinstance(x, dict):
            for k, y in x.items():
                add(k); add(y)
    for col in frame.columns:
        values = frame[col].to_numpy()
        if values.dtype == object:
            total += values.nbytes
            for x in values:
                add(x)
        else:
            total += values.nbytes
    return total


t = time.perf_counter()
graph = {}
if what == "netintel":
    from netintel import Workspace
    from netintel.communities import detect_communities
    from netintel.graph import compute_graph
    from netintel.ingest import ingest
    with Workspace(tmp + "/ws.duckdb") as ws:
        t0 = time.perf_counter()
        ingest(ws, [csv_path], agency="Bench", country="NL", progress=False)
        t1 = time.perf_counter()
        gc.collect(); before = rss_bytes()
        cg = compute_graph(ws)
        t2 = time.perf_counter()
        gc.collect(); graph["rss_delta"] = rss_bytes() - before
        graph["links"] = len(cg.source)
        graph["deep"] = cg.nbytes
        res = detect_communities(cg, seed=1)
        t3 = time.perf_counter()
        got = dict(zip(res.membership["label"].astype(int), res.membership["community"]))
        extra = (f"{res.engine} {res.method} iterations={res.iterations}"
                 f"{f' split {res.split_communities}/{res.split_examined}' if res.split else ''}; ingest {t1 - t0:.1f} s, "
                 f"compute_graph {t2 - t1:.1f} s, detect_communities {t3 - t2:.1f} s")
else:
    e = duckdb.sql(f"SELECT source, target FROM read_csv_auto('{csv_path}')").fetchnumpy()
    s, d = e["source"].astype(np.int64), e["target"].astype(np.int64)
    n = int(max(s.max(), d.max()) + 1)
    import igraph as ig, networkit as nk  # (imported before the graph's memory is measured)
    gc.collect(); before = rss_bytes()
    if what.startswith("networkit"):
        g = nk.graph.GraphFromCoo((np.ones(len(s)), (s.astype(np.uint64), d.astype(np.uint64))), n=n,
                                  weighted=True, directed=False)
        gc.collect(); graph["rss_delta"] = rss_bytes() - before
        algo = nk.community.PLM(g, refine=True) if what == "networkit_plm" else nk.community.PLP(g)
        ta = time.perf_counter()
        algo.run()
        extra = f"algorithm alone {time.perf_counter() - ta:.2f} s"
        part = np.asarray(algo.getPartition().getVector())
    else:
        g = ig.Graph(n=n, edges=np.column_stack([s, d]))
        g.es["weight"] = np.ones(len(s)).tolist()  # the tie strengths netintel's graph carries too
        gc.collect(); graph["rss_delta"] = rss_bytes() - before
        ta = time.perf_counter()
        part = np.asarray(g.community_leiden(objective_function="modularity", weights="weight",
                                             n_iterations=2).membership)
        extra = f"algorithm alone {time.perf_counter() - ta:.2f} s"
    graph["links"] = len(s)
    got = dict(enumerate(part.tolist()))
seconds = time.perf_counter() - t
nodes = [k for k in truth.index if k in got]
nmi = normalized_mutual_info_score(truth[nodes].to_numpy(), [got[k] for k in nodes])
print(json.dumps({"seconds": seconds, "nmi": nmi, "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                  "extra": extra, "graph": graph}))
"""


def planted(n: int, *, seed: int = 5, mixing: float = 0.2, degree: float = 10.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Edges and truth of a planted-partition graph (simple, undirected, no self-loops)."""
    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(rng.integers(20, 201)))
    sizes[-1] -= sum(sizes) - n
    block = np.repeat(np.arange(len(sizes)), sizes)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    m = int(n * degree / 2)
    a = rng.integers(0, n, m)
    inside = rng.random(m) >= mixing
    b = np.where(inside, start[block[a]] + (rng.random(m) * np.asarray(sizes)[block[a]]).astype(np.int64),
                 rng.integers(0, n, m))
    e = pd.DataFrame({"source": np.minimum(a, b), "target": np.maximum(a, b)})
    e = e[e["source"] != e["target"]].drop_duplicates().reset_index(drop=True)
    return e, pd.DataFrame({"node": np.arange(n), "block": block})


def _child_rss_gb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def run_child(args: list[str], *, rss_limit_gb: float, timeout_s: float) -> tuple[int, str, str]:
    """Run a contender; stop it (and say so) past ``rss_limit_gb`` resident or ``timeout_s``: the
    machine is shared, and a contender that needs more than the limit has failed the target anyway."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-c", CHILD, *args], stdout=out, stderr=err, text=True)
        start, peak, why = time.monotonic(), 0.0, ""
        while proc.poll() is None:
            peak = max(peak, _child_rss_gb(proc.pid))
            if peak > rss_limit_gb:
                why = f"stopped at {peak:.1f} GB resident (limit {rss_limit_gb} GB)"
            elif time.monotonic() - start > timeout_s:
                why = f"stopped after {timeout_s:.0f} s"
            if why:
                proc.kill()
                proc.wait()
                break
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        return (proc.returncode if not why else -9), out.read(), (why or err.read())


def lfr(n: int, *, mu: float = 0.1, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An LFR graph from networkit's generator (average degree 10, at most 50; community sizes 20-1000;
    exponents -2 and -1), as PERFORMANCE.md's table: networkit's LFR keeps close to the requested mixing."""
    import networkit as nk

    nk.engineering.setSeed(seed, False)
    gen = nk.generators.LFRGenerator(n)
    gen.generatePowerlawDegreeSequence(10, 50, -2)
    gen.generatePowerlawCommunitySizeSequence(20, 1000, -1)
    gen.setMu(mu)
    gen.run()
    g, truth = gen.getGraph(), np.asarray(gen.getPartition().getVector())
    with tempfile.TemporaryDirectory() as tmp:
        nk.graphio.writeGraph(g, f"{tmp}/lfr.txt", nk.Format.EdgeListSpaceZero)
        e = pd.read_csv(f"{tmp}/lfr.txt", sep=" ", header=None, names=["source", "target"], comment="#")
    e = pd.DataFrame({"source": np.minimum(e["source"], e["target"]), "target": np.maximum(e["source"], e["target"])})
    return e, pd.DataFrame({"node": np.arange(n), "block": truth})


#: PERFORMANCE.md, 1M-node LFR (mu 0.1, average degree 10, 5.2M links), algorithm alone on a built graph.
PERFORMANCE_1M_LFR = "networkit PLM 8.8 s NMI 0.918; igraph community_leiden 18.4 s NMI 0.919"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000])
    ap.add_argument("--rss-limit-gb", type=float, default=6.0,
                    help="stop a contender past this resident size (the target is 3 GB; the machine is shared)")
    ap.add_argument("--timeout", type=float, default=1800, help="stop a contender after this many seconds")
    ap.add_argument("--lfr", type=int, nargs="*", default=[],
                    help="also these LFR sizes (networkit's generator, mu 0.1), beside PERFORMANCE.md's table")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run the contenders this many times, in turn (a shared machine's noise moves a 1M run "
                         "by 10 s): the medians and each round's netintel/PLM ratio are printed")
    args = ap.parse_args()
    for n, kind in [(n, "planted") for n in args.sizes] + [(n, "lfr") for n in args.lfr]:
        with tempfile.TemporaryDirectory() as tmp:
            edges, truth = planted(n) if kind == "planted" else lfr(n)
            csv_path, truth_path = Path(tmp) / "ties.csv", Path(tmp) / "truth.parquet"
            edges.to_csv(csv_path, index=False)
            truth.to_parquet(truth_path)
            if kind == "planted":
                print(f"planted partition: {n} nodes, {len(edges)} links, mixing 0.2", flush=True)
            else:
                print(f"LFR (networkit's generator): {n} nodes, {len(edges)} links, mu 0.1; "
                      f"PERFORMANCE.md at 1M: {PERFORMANCE_1M_LFR}", flush=True)
            out, rounds = {}, {}
            for round_ in range(max(args.repeat, 1)):
                work = Path(tmp) / f"round{round_}"  # a fresh workspace each round (a re-import is skipped)
                work.mkdir()
                for what in ("networkit_plm", "networkit_plp", "igraph_leiden2", "netintel"):
                    code, stdout, stderr = run_child([what, str(csv_path), str(truth_path), str(work)],
                                                     rss_limit_gb=args.rss_limit_gb, timeout_s=args.timeout)
                    if code:
                        print(f"  {what}: failed: {stderr[-2000:]}", flush=True)
                        continue
                    r = json.loads(stdout.strip().splitlines()[-1])
                    rounds.setdefault(what, []).append(r)
                    print(f"  {what:<15} {r['seconds']:8.2f} s  NMI {r['nmi']:.3f}  peak RSS {r['rss_gb']:.2f} GB "
                          f"{r['extra']}", flush=True)
            for what, rs in rounds.items():  # each contender's median run (its seconds; the others are its own)
                out[what] = sorted(rs, key=lambda r: r["seconds"])[(len(rs) - 1) // 2]
            if args.repeat > 1 and "netintel" in rounds and "networkit_plm" in rounds:
                ni_s = [r["seconds"] for r in rounds["netintel"]]
                plm_s = [r["seconds"] for r in rounds["networkit_plm"]]
                listed = lambda xs, fmt: ", ".join(format(x, fmt) for x in xs)  # noqa: E731
                print(f"  {args.repeat} rounds: netintel {listed(ni_s, '.1f')} s; PLM {listed(plm_s, '.1f')} s; "
                      f"ratio per round {listed([a / b for a, b in zip(ni_s, plm_s)], '.2f')}; medians below",
                      flush=True)
            if "netintel" in out and "networkit_plm" in out:
                ni, plm = out["netintel"], out["networkit_plm"]
                print(f"  netintel / PLM build+run: {ni['seconds'] / plm['seconds']:.1f}x (target <= 3x at 1M); "
                      f"NMI {ni['nmi']:.3f} vs PLM {plm['nmi']:.3f}; RSS {ni['rss_gb']:.2f} GB (target < 3)")
            if "netintel" in out and "igraph_leiden2" in out:
                ni, igr = out["netintel"]["graph"], out["igraph_leiden2"]["graph"]
                ig_per = igr["rss_delta"] / igr["links"]
                deep_per, rss_per = ni["deep"] / ni["links"], ni["rss_delta"] / ni["links"]
                nk_line = ""
                if "networkit_plm" in out:
                    nkg = out["networkit_plm"]["graph"]
                    nk_line = f", networkit {nkg['rss_delta'] / nkg['links']:.0f}"
                print(f"  graph memory, bytes per link: netintel {deep_per:.0f} (ComputeGraph.nbytes: its arrays, "
                      f"entity and person view, and its id strings) / {rss_per:.0f} (resident growth over "
                      f"compute_graph); igraph "
                      f"{ig_per:.0f} (resident growth over Graph(n, edges) + weights){nk_line}; "
                      f"netintel/igraph {deep_per / ig_per:.1f}x (target <= 2x)", flush=True)


if __name__ == "__main__":
    main()
