"""Benchmark: netintel's community detection and centralities against plain networkx, same run.

On generated graphs of 10k, 100k and 1M links with planted communities (LFR-like: power-law
degrees and community sizes, mixing ``mu``), it times

* community detection: ``netintel.communities.detect_communities`` (igraph's Leiden, modularity,
  seeded; end to end from the edge table, graph building included) against networkx's
  ``louvain_communities`` (graph already built; its build time is shown apart), with the NMI of
  each against the planted truth;
* PageRank: igraph (netintel's engine) against networkx;
* betweenness: igraph from ``k`` sampled sources against networkx's ``betweenness_centrality(k=)``
  with the same ``k``; exact networkx betweenness only on the smallest graph (it grows with nodes
  x links: skipped above 10k links, and said so), where both samples are compared with it
  (Spearman correlation).

Every line prints the ratio networkx / netintel. Peak memory is the extra resident memory of each
step (Linux: the process's high-water mark reset before the step via ``/proc/self/clear_refs``;
elsewhere ``tracemalloc``, which sees Python allocations only).

Run::

    python benchmarks/bench_graph.py                 # 10k and 100k links
    python benchmarks/bench_graph.py --sizes 1000000 # 1M links (networkx Louvain takes minutes)

The judged line at 1M links: community detection at least 10x faster than networkx Louvain with
NMI no lower.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass

import igraph as ig
import networkx as nx
import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score

from netintel.communities import detect_communities


# ---------------------------------------------------------------------------------------------
# The planted-partition graph
# ---------------------------------------------------------------------------------------------
def lfr_like(n_links: int, *, seed: int, mu: float = 0.1, avg_degree: float = 10.0, tau1: float = 2.5,
             tau2: float = 1.5, min_community: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """An LFR-like graph with about ``n_links`` links: (edges as an (m, 2) int array, truth membership).

    Degrees follow a power law (exponent ``tau1``), community sizes another (``tau2``); each node
    keeps a share ``1 - mu`` of its links inside its community (configuration-model pairing of
    stubs within each community, the rest paired across the whole graph). Self-loops and repeated
    pairs are dropped, so the final count is slightly below ``n_links``.
    """
    rng = np.random.default_rng(seed)
    n = max(int(2 * n_links / avg_degree), 50)
    kmax = max(int(np.sqrt(n) * 3), 30)
    deg = np.minimum((rng.pareto(tau1 - 1, n) + 1) * 3, kmax)
    deg = np.maximum(np.round(deg * avg_degree / deg.mean()), 2).astype(np.int64)
    max_community = max(min_community * 5, int(n ** 0.5 * 4))
    sizes = []
    total = 0
    while total < n:
        s = int(min((rng.pareto(tau2 - 1) + 1) * min_community, max_community))
        s = min(s, n - total)
        if s < min_community and sizes:
            sizes[-1] += s
        else:
            sizes.append(s)
        total += s
    membership = np.repeat(np.arange(len(sizes)), sizes)
    rng.shuffle(membership)
    size_of = np.asarray(sizes)[membership]
    internal = np.minimum(np.round(deg * (1 - mu)).astype(np.int64), size_of - 1)
    external = deg - internal

    def pair(stubs: np.ndarray, groups: np.ndarray) -> np.ndarray:
        order = np.lexsort((rng.random(len(stubs)), groups))
        stubs, groups = stubs[order], groups[order]
        start = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
        counts = np.diff(np.r_[start, len(groups)])
        rank = np.arange(len(groups)) - np.repeat(start, counts)
        size = np.repeat(counts, counts)
        first = np.flatnonzero((rank % 2 == 0) & (rank + 1 < size))
        return np.column_stack([stubs[first], stubs[first + 1]])

    nodes = np.arange(n)
    inside_stubs = np.repeat(nodes, internal)
    inside = pair(inside_stubs, membership[inside_stubs])
    outside_stubs = np.repeat(nodes, external)
    outside = pair(outside_stubs, np.zeros(len(outside_stubs), dtype=np.int64))
    edges = np.vstack([inside, outside])
    edges = edges[edges[:, 0] != edges[:, 1]]
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    return edges, membership


def planted_graph(n_links: int, *, seed: int, mu: float) -> tuple[np.ndarray, np.ndarray, str]:
    """The colleague's generator when it exists (``netintel.synth.graphs``), else :func:`lfr_like`."""
    try:
        from netintel.synth.graphs import planted_partition_graph  # type: ignore[import-not-found]
    except ImportError:
        edges, truth = lfr_like(n_links, seed=seed, mu=mu)
        return edges, truth, "LFR-like (benchmark's own numpy generator)"
    out = planted_partition_graph(n_links, seed=seed, mu=mu)
    edges, truth = _from_generator(out)
    return edges, truth, "netintel.synth.graphs.planted_partition_graph"


def _from_generator(out) -> tuple[np.ndarray, np.ndarray]:
    """Accept (edges, truth) tuples or an object/frames with source/target and community columns."""
    if isinstance(out, tuple) and len(out) == 2:
        edges, truth = out
    else:
        edges, truth = getattr(out, "edges"), getattr(out, "truth", None) or getattr(out, "membership")
    if isinstance(edges, pd.DataFrame):
        edges = edges[["source", "target"]].to_numpy()
    if isinstance(truth, pd.DataFrame):
        truth = truth.sort_values(truth.columns[0])[truth.columns[-1]].to_numpy()
    elif isinstance(truth, dict):
        truth = np.array([truth[k] for k in sorted(truth)])
    return np.asarray(edges, dtype=np.int64), np.asarray(truth)


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------
def _rss_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class Step:
    seconds: float = 0.0
    peak_mib: float = 0.0


@contextmanager
def measure(step: Step):
    """Wall time and peak extra memory of the block."""
    gc.collect()
    can_reset = False
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the high-water mark (Linux >= 4.0)
        can_reset = _rss_kib("VmHWM") is not None
    except OSError:
        pass
    before = _rss_kib("VmRSS") if can_reset else None
    if not can_reset:
        tracemalloc.start()
    t0 = time.perf_counter()
    try:
        yield step
    finally:
        step.seconds = time.perf_counter() - t0
        if can_reset:
            step.peak_mib = max(0, (_rss_kib("VmHWM") or 0) - (before or 0)) / 1024
        else:
            step.peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(pd.Series(a).rank().corr(pd.Series(b).rank()))


def run(n_links: int, *, seed: int, mu: float, k: int, exact_limit: int, out=sys.stdout) -> dict:
    edges, truth, source = planted_graph(n_links, seed=seed, mu=mu)
    n = len(truth)
    p = lambda *a: print(*a, file=out, flush=True)  # noqa: E731
    p(f"\n== {len(edges):,} links, {n:,} nodes, {truth.max() + 1:,} planted communities, mu {mu} "
      f"({source}), seed {seed}")
    frame = pd.DataFrame({"source": edges[:, 0], "target": edges[:, 1]})
    res: dict = {"links": len(edges), "nodes": n}

    # -- communities ------------------------------------------------------------------------
    s_ni = Step()
    with measure(s_ni):
        result = detect_communities(frame, method="leiden", seed=seed)
    found = result.membership.assign(node=result.membership["id"].astype(np.int64)).sort_values("node")
    found_labels = np.full(n, -1)
    found_labels[found["node"].to_numpy()] = found["community"].to_numpy()
    nmi_ni = normalized_mutual_info_score(truth, found_labels)

    s_nxb = Step()
    with measure(s_nxb):
        G = nx.Graph()
        G.add_nodes_from(range(n))
        G.add_edges_from(edges.tolist())
    s_nx = Step()
    with measure(s_nx):
        comms = nx.community.louvain_communities(G, seed=seed)
    nx_labels = np.empty(n, dtype=np.int64)
    for c, members in enumerate(comms):
        nx_labels[list(members)] = c
    nmi_nx = normalized_mutual_info_score(truth, nx_labels)
    ratio = s_nx.seconds / s_ni.seconds
    p(f"communities  netintel Leiden   {s_ni.seconds:8.2f} s  NMI {nmi_ni:.3f}  peak +{s_ni.peak_mib:7.0f} MiB "
      f"(end to end from the edge table, {result.n_communities:,} communities)")
    p(f"             networkx Louvain  {s_nx.seconds:8.2f} s  NMI {nmi_nx:.3f}  peak +{s_nx.peak_mib:7.0f} MiB "
      f"(+ {s_nxb.seconds:.2f} s, +{s_nxb.peak_mib:.0f} MiB to build the networkx graph)")
    verdict = "yes" if ratio >= 10 and nmi_ni >= nmi_nx - 1e-9 else "no"
    p(f"             ratio networkx/netintel {ratio:6.1f}x; NMI difference {nmi_ni - nmi_nx:+.3f}; "
      f">= 10x faster with NMI no lower: {verdict}")
    res.update(communities_netintel_s=s_ni.seconds, communities_networkx_s=s_nx.seconds, nmi_netintel=nmi_ni,
               nmi_networkx=nmi_nx, communities_ratio=ratio)

    # -- PageRank ---------------------------------------------------------------------------
    s_igb = Step()
    with measure(s_igb):
        g = ig.Graph(n=n, edges=edges.tolist(), directed=False)
    s_pr = Step()
    with measure(s_pr):
        pr_ig = np.asarray(g.pagerank(damping=0.85))
    s_prx = Step()
    with measure(s_prx):
        pr_nx_d = nx.pagerank(G, alpha=0.85)
    pr_nx = np.array([pr_nx_d[i] for i in range(n)])
    p(f"pagerank     igraph            {s_pr.seconds:8.3f} s  networkx {s_prx.seconds:8.3f} s  "
      f"ratio {s_prx.seconds / s_pr.seconds:6.1f}x  max |diff| {np.abs(pr_ig - pr_nx).max():.1e}  "
      f"(igraph graph built in {s_igb.seconds:.2f} s)")
    res.update(pagerank_igraph_s=s_pr.seconds, pagerank_networkx_s=s_prx.seconds)

    # -- betweenness, sampled -----------------------------------------------------------------
    kk = min(k, n)
    sources = np.random.default_rng(seed).choice(n, size=kk, replace=False)
    s_bt = Step()
    with measure(s_bt):
        # from sampled sources, scaled up to estimate all-pairs betweenness (Brandes & Pich 2007)
        bt_ig = np.asarray(g.betweenness(sources=sources.tolist(), directed=False)) * (n / kk)
    s_btx = Step()
    with measure(s_btx):
        bt_nx_d = nx.betweenness_centrality(G, k=kk, normalized=False, seed=seed)
    bt_nx = np.array([bt_nx_d[i] for i in range(n)])
    p(f"betweenness  igraph k={kk:<5d}    {s_bt.seconds:8.2f} s  networkx k={kk} {s_btx.seconds:8.2f} s  "
      f"ratio {s_btx.seconds / s_bt.seconds:6.1f}x  Spearman between the two samples {_spearman(bt_ig, bt_nx):.3f}")
    res.update(betweenness_igraph_s=s_bt.seconds, betweenness_networkx_s=s_btx.seconds)
    if len(edges) <= exact_limit:
        s_ex = Step()
        with measure(s_ex):
            exact_ig = np.asarray(g.betweenness(directed=False))
        s_exx = Step()
        with measure(s_exx):
            exact_nx_d = nx.betweenness_centrality(G, normalized=False)
        exact_nx = np.array([exact_nx_d[i] for i in range(n)])
        p(f"             exact: igraph {s_ex.seconds:.2f} s, networkx {s_exx.seconds:.2f} s, ratio "
          f"{s_exx.seconds / s_ex.seconds:.1f}x, max |diff| {np.abs(exact_ig - exact_nx).max():.1e}; sampled vs exact "
          f"Spearman: igraph {_spearman(bt_ig, exact_ig):.3f}, networkx {_spearman(bt_nx, exact_ig):.3f}")
    else:
        p(f"             exact betweenness skipped above {exact_limit:,} links (networkx would take hours; "
          "it grows with nodes x links)")
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="numbers of links")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--mu", type=float, default=0.1, help="share of each node's links outside its community")
    ap.add_argument("--k", type=int, default=50, help="sampled sources for betweenness")
    ap.add_argument("--exact-limit", type=int, default=10_000, help="largest graph (links) for exact betweenness")
    args = ap.parse_args(argv)
    print(f"bench_graph: python {sys.version.split()[0]}, igraph {ig.__version__}, networkx {nx.__version__}, "
          f"{os.cpu_count()} CPUs")
    # warm up: first calls pay one-off initialisation (igraph's PageRank takes ~0.4 s the first time)
    ring = ig.Graph.Ring(20)
    ring.pagerank(), ring.betweenness(), detect_communities(ring, seed=0)
    nx.community.louvain_communities(nx.cycle_graph(20), seed=0), nx.pagerank(nx.cycle_graph(20))
    rows = [run(n, seed=args.seed, mu=args.mu, k=args.k, exact_limit=args.exact_limit) for n in args.sizes]
    print("\nsummary")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
