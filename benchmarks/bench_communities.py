"""Communities on the whole user path, against the engines alone, in the same run.

Planted-partition graphs (community sizes 20-200, average degree 10, mixing 0.2: a fifth of each
node's ties leave its community), written as an edge-list CSV. Each contender runs in its own
child process so that its peak resident memory is its own:

* ``netintel``: ``ingest`` of the CSV into a workspace file -> ``build_graph`` ->
  ``detect_communities`` (``method="auto"``), the analyst's path;
* ``networkit PLM`` / ``networkit PLP``: DuckDB reads the CSV, ``GraphFromCoo``, the algorithm;
* ``igraph Leiden``: DuckDB reads the CSV, ``Graph(n, edges)``, ``community_leiden`` (modularity,
  ``n_iterations=2``).

Printed per size: wall seconds, NMI against the planted truth, peak RSS, and netintel's ratio to
PLM's build + run (target at 1M nodes: within 3x, NMI at least PLM's, RSS under 3 GB).

Usage: ``python benchmarks/bench_communities.py --sizes 20000 100000 1000000``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = r"""
import json, resource, sys, time
import duckdb, numpy as np, pandas as pd
from sklearn.metrics import normalized_mutual_info_score
what, csv_path, truth_path, tmp = sys.argv[1:5]
truth = pd.read_parquet(truth_path).set_index("node")["block"]
t = time.perf_counter()
if what == "netintel":
    from netintel import Workspace
    from netintel.communities import detect_communities
    from netintel.graph import build_graph
    from netintel.ingest import ingest
    with Workspace(tmp + "/ws.duckdb") as ws:
        ingest(ws, [csv_path], agency="Bench", country="NL", progress=False)
        res = detect_communities(build_graph(ws), seed=1)
        got = dict(zip(res.membership["label"].astype(int), res.membership["community"]))
        extra = f"{res.engine} {res.method} iterations={res.iterations}"
else:
    e = duckdb.sql(f"SELECT source, target FROM read_csv_auto('{csv_path}')").fetchnumpy()
    s, d = e["source"].astype(np.int64), e["target"].astype(np.int64)
    n = int(max(s.max(), d.max()) + 1)
    if what.startswith("networkit"):
        import networkit as nk
        g = nk.graph.GraphFromCoo((np.ones(len(s)), (s.astype(np.uint64), d.astype(np.uint64))), n=n,
                                  weighted=True, directed=False)
        algo = nk.community.PLM(g, refine=True) if what == "networkit_plm" else nk.community.PLP(g)
        algo.run()
        part = np.asarray(algo.getPartition().getVector())
    else:
        import igraph as ig
        g = ig.Graph(n=n, edges=np.column_stack([s, d]))
        part = np.asarray(g.community_leiden(objective_function="modularity", n_iterations=2).membership)
    got = dict(enumerate(part.tolist()))
    extra = ""
seconds = time.perf_counter() - t
nodes = [k for k in truth.index if k in got]
nmi = normalized_mutual_info_score(truth[nodes].to_numpy(), [got[k] for k in nodes])
print(json.dumps({"seconds": seconds, "nmi": nmi, "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                  "extra": extra}))
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000])
    args = ap.parse_args()
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            edges, truth = planted(n)
            csv_path, truth_path = Path(tmp) / "ties.csv", Path(tmp) / "truth.parquet"
            edges.to_csv(csv_path, index=False)
            truth.to_parquet(truth_path)
            print(f"planted partition: {n} nodes, {len(edges)} links, mixing 0.2")
            out = {}
            for what in ("networkit_plm", "networkit_plp", "igraph_leiden2", "netintel"):
                done = subprocess.run([sys.executable, "-c", CHILD, what, str(csv_path), str(truth_path), tmp],
                                      capture_output=True, text=True)
                if done.returncode:
                    print(f"  {what}: failed\n{done.stderr[-2000:]}")
                    continue
                out[what] = r = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"  {what:<15} {r['seconds']:8.2f} s  NMI {r['nmi']:.3f}  peak RSS {r['rss_gb']:.2f} GB "
                      f"{r['extra']}", flush=True)
            if "netintel" in out and "networkit_plm" in out:
                ni, plm = out["netintel"], out["networkit_plm"]
                print(f"  netintel / PLM build+run: {ni['seconds'] / plm['seconds']:.1f}x (target <= 3x at 1M); "
                      f"NMI {ni['nmi']:.3f} vs PLM {plm['nmi']:.3f}; RSS {ni['rss_gb']:.2f} GB (target < 3)")


if __name__ == "__main__":
    main()
