"""Communities: which groups of entities form a network, how firmly, and how well separated.

Leiden (igraph's built-in ``Graph.community_leiden`` with the modularity objective) is the default;
Louvain (igraph's ``community_multilevel``) is the alternative. Both are seeded: the same input
and the same ``seed`` give the same communities, numbered the same way (by size, largest first,
then by smallest member id). Consensus over many seeded runs (Lancichinetti & Fortunato 2012,
restricted to the graph's links) gives a stability score per entity: the mean Jaccard overlap
between the entity's community in each run and its final community.

Which graph is clustered: on a :class:`~netintel.graph.CaseGraph` the default is the
person-to-person view with links weighted by their evidence (tie strength): on hub-dominated
criminal networks the weighted person view separates groups far better than the raw entity
graph. The phones, accounts, companies and infrastructure are then attached to the community of
the persons they are linked to (majority by link weight), so a community holds its means too; so
is a person tied to no other person (a singleton of the person view, about whom the clustering says
nothing), when their links reach a community at all.
Infrastructure linked to no person at all (a CERT's threat-intelligence cluster) forms its own
community, unless a threat actor in it bears the full name of exactly one community's person: then
it joins that community (``assigned="attached_by_name"``, for the analyst to check).
``view="entity"`` clusters the whole entity graph instead.

On a large graph modularity merges small groups whatever their separation (its resolution limit:
groups with less than about sqrt(2m) tie weight inside cannot be told apart), so from
:data:`LARGE_GRAPH` nodes each community is clustered again on its own ties and a split is kept
when every part is more tied inside than out (``split``). On the published covert networks (25-156
persons) nothing is split; on a 1M-node planted partition NMI goes from 0.857 to 0.999.

Link weights here are tie strengths (more calls, more money = stronger), which is what modularity
expects; nothing in this module treats a weight as a distance.

Examples
--------
>>> import networkx as nx
>>> g = nx.Graph([(1, 2), (2, 3), (1, 3), (4, 5), (5, 6), (4, 6), (3, 4)])
>>> res = detect_communities(g, seed=1)
>>> res.membership[["id", "community"]].to_dict("list")
{'id': ['1', '2', '3', '4', '5', '6'], 'community': [0, 0, 0, 1, 1, 1]}
>>> round(res.modularity, 4)
0.3571
"""

from __future__ import annotations

import hashlib
import html
import os
import random
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal, Mapping, Sequence

import igraph as ig
import numpy as np
import pandas as pd

from .errors import NetintelError

__all__ = [
    "CommunityResult",
    "detect_communities",
    "community_sensitivity",
    "SensitivityResult",
    "edge_table",
    "quality_table",
]

Method = Literal["auto", "leiden", "louvain", "plp", "plm"]

#: From this many nodes ``method="auto"`` clusters with networkit PLM instead of igraph Leiden (run until
#: stable, Leiden did not converge in 8 minutes at 1M nodes, ``PERFORMANCE.md``; each of its iterations
#: takes seconds there, so even bounded it is the slower engine). PLM, not label propagation: on planted partitions with mixing 0.2 PLP alone flooded groups together (NMI 0.23 at
#: 20k nodes, ``benchmarks/bench_communities.py``) where PLM reached 0.97. From this size ``"auto"`` also
#: splits the communities that modularity's resolution limit merged (``split``, :func:`_split_merged`).
LARGE_GRAPH = 100_000
_NETWORKIT = ("plp", "plm")
Objective = Literal["modularity", "cpm"]


# ---------------------------------------------------------------------------------------------
# Inputs: every graph form becomes one undirected, collapsed edge table over string ids
# ---------------------------------------------------------------------------------------------
def edge_table(graph: Any, *, weighted: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The undirected, collapsed edge table and the node table of any supported graph.

    Parameters
    ----------
    graph : CaseGraph, igraph.Graph, networkx.Graph or DataFrame
        A DataFrame needs ``source, target`` and optionally ``weight`` columns; an igraph graph
        is named by its ``name`` vertex attribute when present; a CaseGraph by its resolved ids.
    weighted : bool
        Keep tie strengths (summed over parallel links); otherwise every pair weighs 1.

    Returns
    -------
    edges : DataFrame
        ``source, target, weight`` with ``source < target``, one row per pair, sorted.
    nodes : DataFrame
        ``id, kind, label, countries`` (kind/label/countries empty when the input has none),
        sorted by id; includes isolated nodes.

    Examples
    --------
    >>> e, n = edge_table(pd.DataFrame({"source": ["b", "a", "a"], "target": ["a", "b", "c"],
    ...                                 "weight": [2.0, 1.0, 5.0]}))
    >>> e.values.tolist()
    [['a', 'b', 3.0], ['a', 'c', 5.0]]
    >>> n["id"].tolist()
    ['a', 'b', 'c']
    """
    nodes = None
    if isinstance(graph, pd.DataFrame):
        edges = graph
    elif isinstance(graph, ig.Graph):
        names = graph.vs["name"] if "name" in graph.vs.attributes() else list(range(graph.vcount()))
        el = np.array(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        names = np.array([str(x) for x in names], dtype=object)
        edges = pd.DataFrame({"source": names[el[:, 0]], "target": names[el[:, 1]]})
        if "weight" in graph.es.attributes():
            edges["weight"] = np.asarray(graph.es["weight"], dtype=float)
        nodes = pd.DataFrame({"id": names})
        for attr in ("kind", "label"):
            if attr in graph.vs.attributes():
                nodes[attr] = graph.vs[attr]
    elif hasattr(graph, "edges") and isinstance(getattr(graph, "edges"), pd.DataFrame):
        edges = graph.edges
        nodes = getattr(graph, "nodes", None)
    else:
        try:
            import networkx as nx
        except ImportError:  # pragma: no cover - networkx is a dependency
            nx = None
        if nx is not None and isinstance(graph, nx.Graph):
            rows = [(str(u), str(v), float(d.get("weight", 1.0))) for u, v, d in graph.edges(data=True)]
            edges = pd.DataFrame(rows, columns=["source", "target", "weight"])
            nodes = pd.DataFrame({"id": [str(n) for n in graph.nodes]})
            for attr in ("kind", "label"):
                nodes[attr] = [graph.nodes[n].get(attr) for n in graph.nodes]
        else:
            raise NetintelError(
                f"cannot read a graph from {type(graph).__name__}; pass a CaseGraph (netintel.graph.build_graph), "
                "an igraph or networkx graph, or a DataFrame with source, target and weight columns")
    missing = {"source", "target"} - set(edges.columns)
    if missing:
        raise NetintelError(f"the edge table lacks the column(s) {', '.join(sorted(missing))}; "
                            "it needs source, target and optionally weight")
    src = edges["source"].astype(str).to_numpy(dtype=object)
    dst = edges["target"].astype(str).to_numpy(dtype=object)
    if weighted and "weight" in edges:
        w = pd.to_numeric(edges["weight"], errors="coerce").fillna(1.0).to_numpy(dtype=float)
    else:
        w = np.ones(len(edges))
    # integer codes in id order, so comparing codes compares ids (fast on millions of links)
    codes, uniques = pd.factorize(np.concatenate([src, dst]), sort=True)
    cs, ct = codes[: len(src)].astype(np.int64), codes[len(src):].astype(np.int64)
    lo, hi = np.minimum(cs, ct), np.maximum(cs, ct)
    keep = lo != hi  # self-loops carry no community information here
    key = lo[keep] * len(uniques) + hi[keep]
    pair, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=w[keep], minlength=len(pair)) if weighted else np.ones(len(pair))
    uniques = np.asarray(uniques, dtype=object)
    tidy = pd.DataFrame({"source": uniques[pair // len(uniques)], "target": uniques[pair % len(uniques)],
                         "weight": summed.astype(float)})
    ids = pd.Index(uniques)  # nodes with only a self-loop stay
    if nodes is not None and len(nodes):
        nodes = nodes.copy()
        nodes["id"] = nodes["id"].astype(str)
        nodes = nodes.drop_duplicates("id")
        extra = ids.difference(pd.Index(nodes["id"]))
        if len(extra):
            nodes = pd.concat([nodes, pd.DataFrame({"id": extra})], ignore_index=True)
    else:
        nodes = pd.DataFrame({"id": ids})
    for col, default in (("kind", None), ("label", None), ("countries", None)):
        if col not in nodes:
            nodes[col] = default
    nodes["countries"] = [_as_list(c) for c in nodes["countries"]]
    nodes = nodes[["id", "kind", "label", "countries"]].sort_values("id", kind="stable").reset_index(drop=True)
    return tidy.reset_index(drop=True), nodes


def _as_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]


def _codes(edges: pd.DataFrame, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    index = pd.Index(ids)
    return index.get_indexer(edges["source"]), index.get_indexer(edges["target"])


def _igraph(edges: pd.DataFrame, ids: Sequence[str]) -> ig.Graph:
    s, t = _codes(edges, ids)
    g = ig.Graph(n=len(ids), directed=False)
    g.add_edges(np.column_stack([s, t]))
    g.es["weight"] = edges["weight"].to_numpy(dtype=float)
    return g


def _igraph_codes(s: np.ndarray, t: np.ndarray, weight: np.ndarray, n: int) -> ig.Graph:
    g = ig.Graph(n=n, edges=np.column_stack([s, t]) if len(s) else [], directed=False)
    g.es["weight"] = weight  # (igraph stores an attribute as a list of floats either way)
    return g


def modularity_of(source: np.ndarray, target: np.ndarray, weight: np.ndarray | None, membership: np.ndarray, *,
                  resolution: float = 1.0) -> float:
    """Newman's modularity of a partition of an undirected graph given as edge arrays (node codes),
    as igraph's ``Graph.modularity`` computes it, without building a graph: 0 for a graph without links.

    Q = internal weight / m - resolution * sum over communities of (degree / 2m)^2, where m is the
    total weight and a self-loop counts twice in its node's degree.

    >>> s, t = np.array([0, 1, 2, 3]), np.array([1, 2, 0, 4])
    >>> round(modularity_of(s, t, None, np.array([0, 0, 0, 1, 1])), 6)
    0.375
    """
    membership = np.asarray(membership, dtype=np.int64)
    source, target = np.asarray(source, dtype=np.int64), np.asarray(target, dtype=np.int64)
    if not len(source):
        return 0.0
    w = np.ones(len(source)) if weight is None else np.asarray(weight, dtype=float)
    m = float(w.sum())
    cs, ct = membership[source], membership[target]
    k = max(int(membership.max()) + 1, 1)
    degree = np.bincount(cs, weights=w, minlength=k) + np.bincount(ct, weights=w, minlength=k)
    inside = float(w[cs == ct].sum())
    return inside / m - float(resolution) * float(np.square(degree / (2 * m)).sum())


def _input_hash(edges: pd.DataFrame, ids: Sequence[str]) -> str:
    h = hashlib.sha256()
    h.update("\x1f".join(ids).encode("utf-8"))
    h.update(pd.util.hash_pandas_object(edges[["source", "target"]], index=False).to_numpy().tobytes())
    h.update(np.round(edges["weight"].to_numpy(dtype=float), 9).tobytes())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# The algorithms
# ---------------------------------------------------------------------------------------------
@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """igraph draws from Python's ``random`` interface; give it a private seeded generator."""
    ig.set_random_number_generator(random.Random(int(seed)))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)


def _run(g: ig.Graph, method: str, objective: str, resolution: float, seed: int, weighted: bool,
         nk_graph: Any = None) -> np.ndarray:
    if method in _NETWORKIT:  # (modularity only: checked by _detect before any engine runs)
        run, iterations = _run_networkit(nk_graph if nk_graph is not None else _to_networkit(g, weighted), method,
                                         resolution, seed)
        return (_refine(g, run, resolution, seed, weighted) if method == "plp" else run), iterations, None
    weights = "weight" if weighted else None
    with _seeded(seed):
        if method == "leiden":
            membership, iterations, stable = leiden(
                g, objective_function="modularity" if objective == "modularity" else "CPM", weights=weights,
                resolution=resolution)
            return np.asarray(membership, dtype=np.int64), iterations, stable
        if method == "louvain":
            if objective != "modularity":
                raise NetintelError("Louvain optimises modularity only; use method='leiden' for objective='cpm'")
            part = g.community_multilevel(weights=weights, resolution=resolution)
        else:
            raise NetintelError(f"unknown community method {method!r}; use 'auto', 'leiden', 'louvain', 'plp' "
                                "or 'plm'")
    return np.asarray(part.membership, dtype=np.int64), -1, None


#: Leiden's bound on iterations in one run. Each iteration starts from the partition the last one
#: left; a run ends at the first iteration that changes nothing (stable) or at this bound, whichever
#: comes first, so its time is bounded on any graph. Stable came after at most 14 iterations on
#: planted partitions of 50 to 100k nodes (issue 11); on the sample case after a few.
LEIDEN_MAX_ITERATIONS = 32


def leiden(g: ig.Graph, *, objective_function: str = "modularity", weights: Any = None, resolution: float = 1.0,
           initial: Sequence[int] | None = None,
           max_iterations: int = LEIDEN_MAX_ITERATIONS) -> tuple[list[int], int, bool]:
    """igraph Leiden iterated until stable, at most ``max_iterations`` times, on igraph's current RNG.

    Returns the membership, the iterations run and whether the last one changed nothing (stable).
    Seed igraph's RNG first for a reproducible run.
    """
    if max_iterations < 1:
        raise NetintelError(f"max_iterations must be at least 1, not {max_iterations}")
    membership = list(initial) if initial is not None else None
    for iteration in range(1, max_iterations + 1):
        part = g.community_leiden(objective_function=objective_function, weights=weights, resolution=resolution,
                                  initial_membership=membership, n_iterations=1)
        if part.membership == membership:
            return membership, iteration, True
        membership = part.membership
    return membership, max_iterations, False


#: PLM's cap on local-move rounds per level (networkit's default), reported as the result's iterations.
PLM_MAX_ITERATIONS = 32


def _networkit_graph(s: np.ndarray, t: np.ndarray, w: np.ndarray, n: int) -> Any:
    """A networkit graph straight from integer edge arrays (no Python loop), each link given once.

    Built through networkit's CSR constructor, which copies the arrays in C++: ``GraphFromCoo``
    indexes them from Python once per link (4.8M links: 5.3 s against 1.3 s with the sort here).
    On one thread: on more, the constructor adds the reverse links in parallel, so a node's
    neighbours come in another order on each build and PLM, which follows that order, finds other
    communities.
    """
    try:
        import networkit as nk
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise NetintelError("method 'plp'/'plm' needs networkit: pip install networkit") from exc
    from scipy.sparse import csr_matrix

    s, t = np.asarray(s, dtype=np.int64), np.asarray(t, dtype=np.int64)
    order = np.argsort(s, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(s, minlength=n), out=indptr[1:])
    csr = csr_matrix((np.asarray(w, dtype=np.float64)[order], t[order], indptr), shape=(n, n))
    with _one_thread(nk):
        return nk.graph.GraphFromCsr(csr, directed=False, weighted=True)


@contextmanager
def _one_thread(nk: Any) -> Iterator[None]:
    """networkit on one thread of this thread's OpenMP team, restored after (the setting is per thread)."""
    threads = nk.getMaxNumberOfThreads()
    nk.setNumberOfThreads(1)
    try:
        yield
    finally:
        nk.setNumberOfThreads(threads)


def _to_networkit(g: ig.Graph, weighted: bool) -> Any:
    edges = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    w = np.asarray(g.es["weight"], dtype=float) if weighted and g.ecount() else np.ones(len(edges))
    return _networkit_graph(edges[:, 0], edges[:, 1], w, g.vcount())


#: Leiden passes that refine a label-propagation partition (label propagation alone can flood
#: neighbouring groups together on small, dense groups; two seeded passes from its partition split them).
REFINE_ITERATIONS = 2


def _refine(g: ig.Graph, membership: np.ndarray, resolution: float, seed: int, weighted: bool) -> np.ndarray:
    with _seeded(seed):
        part = g.community_leiden(objective_function="modularity", weights="weight" if weighted else None,
                                  resolution=resolution, initial_membership=membership.tolist(),
                                  n_iterations=REFINE_ITERATIONS)
    return np.asarray(part.membership, dtype=np.int64)


def _run_networkit(nkg: Any, method: str, resolution: float, seed: int) -> tuple[np.ndarray, int]:
    """networkit PLP or PLM on one thread with a fixed seed: the same input gives the same partition."""
    import networkit as nk

    with _one_thread(nk):
        nk.engineering.setSeed(int(seed), False)
        if method == "plp":
            algo = nk.community.PLP(nkg)
            algo.run()
            iterations = int(algo.numberOfIterations())
        else:
            algo = nk.community.PLM(nkg, refine=True, gamma=float(resolution), maxIter=PLM_MAX_ITERATIONS)
            algo.run()
            iterations = PLM_MAX_ITERATIONS
        return np.asarray(algo.getPartition().getVector(), dtype=np.int64), iterations


#: Communities smaller than this are not re-examined by :func:`_split_merged`: a part of one node has
#: no tie inside, so it is never a community in the weak sense, and a split needs two parts of two.
_SPLIT_MIN_SIZE = 4


def _split_merged(s: np.ndarray, t: np.ndarray, w: np.ndarray, membership: np.ndarray, *,
                  resolution: float = 1.0, workers: int | None = None) -> tuple[np.ndarray, int, int]:
    """Split the communities that modularity's resolution limit merged; one round.

    On a graph of total tie weight m, modularity cannot tell apart groups with less than about
    sqrt(2m) weight inside (Fortunato & Barthelemy 2007, *PNAS* 104:36): on a national case whole
    groups of twenty are merged into communities of a thousand. Each community of ``membership`` is
    clustered again on its own ties (networkit PLM at ``resolution``, on one thread per community,
    so the result does not depend on how the communities were scheduled), and the split is kept only
    when every part is a community in the weak sense (Radicchi et al. 2004, *PNAS* 101:9): more of
    its members' tie weight inside the part than leaving it, ties to the community's other parts
    counted as leaving. A dense group has no such split (its parts have more ties between them than
    inside), so only merged groups come apart. The parts are not examined again: the round removes
    the whole graph's limit, leaving each community's own, far smaller one.

    Returns the new membership (parts numbered after the community they came from), the number of
    communities examined and the number split.
    """
    import networkit as nk

    s, t = np.asarray(s, dtype=np.int64), np.asarray(t, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    _, comm = np.unique(np.asarray(membership), return_inverse=True)
    n, k = len(comm), int(comm.max()) + 1 if len(comm) else 0
    degree = np.bincount(s, w, n) + np.bincount(t, w, n)
    inside = comm[s] == comm[t]
    s_in, t_in, w_in = s[inside], t[inside], w[inside]
    by_edge = np.argsort(comm[s_in], kind="stable")
    s_in, t_in, w_in = s_in[by_edge], t_in[by_edge], w_in[by_edge]
    edge_start = np.searchsorted(comm[s_in], np.arange(k + 1))
    nodes = np.argsort(comm, kind="stable")  # each community's nodes, in code order
    node_start = np.searchsorted(comm[nodes], np.arange(k + 1))
    local = np.empty(n, dtype=np.int64)
    local[nodes] = np.arange(n) - node_start[comm[nodes]]
    ls, lt = local[s_in], local[t_in]
    size = np.diff(node_start)
    examined = np.flatnonzero((size >= _SPLIT_MIN_SIZE) & (np.diff(edge_start) > 0))

    def parts_of(c: int) -> np.ndarray | None:
        lo, hi = edge_start[c], edge_start[c + 1]
        g = _networkit_graph(ls[lo:hi], lt[lo:hi], w_in[lo:hi], int(size[c]))
        algo = nk.community.PLM(g, refine=True, gamma=float(resolution), maxIter=PLM_MAX_ITERATIONS)
        algo.run()
        _, part = np.unique(np.asarray(algo.getPartition().getVector()), return_inverse=True)
        n_parts = int(part.max()) + 1
        if n_parts < 2:
            return None
        ps, pt = part[ls[lo:hi]], part[lt[lo:hi]]
        same = ps == pt
        internal = 2 * np.bincount(ps[same], w_in[lo:hi][same], n_parts)
        volume = np.bincount(part, degree[nodes[node_start[c]:node_start[c + 1]]], n_parts)
        return part if bool((internal > volume - internal).all()) else None

    workers = workers or min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else
                             os.cpu_count() or 1, 8)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="netintel-split",
                            initializer=nk.setNumberOfThreads, initargs=(1,)) as pool:
        # networkit releases the GIL while PLM runs; each thread's OpenMP team is one thread, set
        # by the initializer (the setting is per thread), so each community's result is PLM's own
        found = list(pool.map(parts_of, examined.tolist()))
    sub = np.zeros(n, dtype=np.int64)
    split = 0
    for c, part in zip(examined.tolist(), found):
        if part is not None:
            sub[nodes[node_start[c]:node_start[c + 1]]] = part
            split += 1
    _, out = np.unique(comm * (int(sub.max()) + 1) + sub, return_inverse=True)
    return out.astype(np.int64), len(examined), split


def _logged(results: list[tuple[np.ndarray, int, bool | None]], log: list[tuple[int, bool | None]]) -> list[np.ndarray]:
    """The memberships of ``_run`` results, their iterations and stability appended to ``log``."""
    log.extend((iterations, stable) for _, iterations, stable in results)
    return [membership for membership, _, _ in results]


def _pair_agreement(memberships: list[np.ndarray], s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Share of runs in which each edge's two ends share a community."""
    together = np.zeros(len(s))
    for m in memberships:
        together += m[s] == m[t]
    return together / len(memberships)


def _consensus(g: ig.Graph, method: str, objective: str, resolution: float, seeds: Sequence[int],
               weighted: bool, log: list[tuple[int, bool | None]], *, threshold: float = 0.5,
               max_rounds: int = 10) -> tuple[np.ndarray, list[np.ndarray]]:
    """Consensus clustering (Lancichinetti & Fortunato 2012) on the graph's own links.

    Runs the method once per seed, weights every link by the share of runs that put its ends
    together (links below ``threshold`` dropped), and reclusters that consensus graph until all
    runs agree. Returns the consensus membership and the first round's memberships (on the
    original graph: the ones stability is measured against). Each run's iterations and
    stability are appended to ``log``.
    """
    el = np.array(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    s, t = el[:, 0], el[:, 1]
    first = _logged([_run(g, method, objective, resolution, sd, weighted) for sd in seeds], log)
    runs = first
    for _ in range(max_rounds):
        agree = _pair_agreement(runs, s, t)
        if np.all((agree == 0) | (agree == 1)):
            break
        keep = agree >= threshold
        cg = ig.Graph(n=g.vcount(), edges=el[keep].tolist(), directed=False)
        cg.es["weight"] = agree[keep].tolist()
        runs = _logged([_run(cg, method, objective, resolution, sd, True) for sd in seeds], log)
    agree = _pair_agreement(runs, s, t)
    # The consensus: components of the links every final run agrees on.
    solid = ig.Graph(n=g.vcount(), edges=el[agree == 1].tolist(), directed=False)
    return np.asarray(solid.connected_components().membership, dtype=np.int64), first


def _stability(final: np.ndarray, runs: list[np.ndarray]) -> np.ndarray:
    """Per node: mean Jaccard overlap between its community in each run and its final community."""
    out = np.zeros(len(final))
    final_size = np.bincount(final)
    for m in runs:
        run_size = np.bincount(m)
        pair = pd.DataFrame({"f": final, "r": m})
        inter = pair.groupby(["f", "r"])["f"].transform("size").to_numpy()
        out += inter / (final_size[final] + run_size[m] - inter)
    return out / len(runs)


def _canonical(membership: np.ndarray, ids: Sequence[str]) -> np.ndarray:
    """Renumber communities: largest first, ties by smallest member id."""
    ids = np.asarray(ids, dtype=object)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))  # position of each id in id order
    labels, inverse = np.unique(np.asarray(membership), return_inverse=True)
    size = np.bincount(inverse, minlength=len(labels))
    first = np.full(len(labels), len(ids), dtype=np.int64)
    np.minimum.at(first, inverse, rank)
    order = np.lexsort((first, -size))
    new = np.empty(len(labels), dtype=np.int64)
    new[order] = np.arange(len(labels))
    return new[inverse]


def _attach(full_edges: pd.DataFrame, labels: dict[str, int], all_ids: Sequence[str],
            *, rounds: int = 10) -> dict[str, int]:
    """Give unlabelled entities the community they are most strongly linked to, round by round.

    Each round, every unlabelled entity linked to labelled ones takes the community whose links
    to it weigh most (ties: the smallest community number); entities never reached (linked to
    no labelled entity, even through others) are left out. The ids are integer codes here, in
    id order, so a round is a few array passes, not a lookup per link.
    """
    labels = dict(labels)
    if full_edges.empty:
        return labels
    src, tgt = full_edges["source"].to_numpy(object), full_edges["target"].to_numpy(object)
    codes, ids = pd.factorize(np.concatenate([src, tgt]), sort=True)
    m = len(src)
    # each link from both ends, in the order: as source, then as target
    node, other = codes, np.concatenate([codes[m:], codes[:m]])
    weight = pd.concat([full_edges["weight"], full_edges["weight"]], ignore_index=True).to_numpy()
    community = np.full(len(ids), -1, dtype=np.int64)
    known = pd.Index(ids).get_indexer(list(labels))
    community[known[known >= 0]] = np.fromiter(labels.values(), np.int64, len(labels))[known >= 0]
    for _ in range(rounds):
        open_ = np.flatnonzero((community[node] < 0) & (community[other] >= 0))
        if not len(open_):
            break
        votes = pd.DataFrame({"node": node[open_], "community": community[other[open_]],
                              "weight": weight[open_]})
        votes = votes.groupby(["node", "community"], as_index=False)["weight"].sum()
        votes = votes.sort_values(["node", "weight", "community"], ascending=[True, False, True], kind="stable")
        best = votes.drop_duplicates("node")
        won = best["node"].to_numpy(np.int64)
        community[won] = best["community"].to_numpy(np.int64)
        labels.update(zip(ids[won].tolist(), best["community"].astype(int).tolist()))
    return labels


# ---------------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CommunityResult:
    """Communities found in a graph, with how they were found.

    Attributes
    ----------
    membership : DataFrame
        One row per entity: ``id, community, stability, kind, label, assigned`` where ``assigned``
        is ``"clustered"`` (placed by the algorithm), ``"attached"`` (a phone, account or other
        non-person, or a person tied to no other person, placed with the persons it is linked to), ``"attached_by_name"`` (infrastructure
        joined through a threat actor named like a person) or ``"unattached"`` (linked to no person). ``stability`` is in [0, 1] (the mean
        Jaccard overlap of the entity's community across seeded runs) or NaN when a single run was
        made.
    method, objective, resolution, weighted, seed, n_runs, consensus, view :
        How the communities were computed.
    input_hash : str
        A hash of the clustered graph (ids, links and weights).
    marking : Marking or None
        The handling marking of the graph the communities came from.
    modularity : float
        Modularity of the partition of the clustered graph (weighted when ``weighted``,
        at ``resolution``).
    """

    membership: pd.DataFrame
    method: str
    objective: str
    resolution: float
    weighted: bool
    seed: int
    n_runs: int
    consensus: bool
    view: str
    input_hash: str
    marking: Any
    modularity: float
    _edges: pd.DataFrame = field(repr=False, compare=False)
    engine: str = "igraph"
    #: Leiden: the most iterations a run took (at most :data:`LEIDEN_MAX_ITERATIONS`); PLP: the
    #: rounds it ran; PLM: its cap per level; Louvain: -1 (igraph does not say)
    iterations: int = -1
    #: Leiden: whether every run stopped because an iteration changed nothing, not at the bound;
    #: None for the engines that do not tell
    stable: bool | None = None
    #: whether each community was re-clustered on its own ties (``detect_communities(split=...)``),
    #: how many were examined and how many were split (over all runs)
    split: bool = False
    split_examined: int = 0
    split_communities: int = 0

    @property
    def n_communities(self) -> int:
        return int(self.membership["community"].nunique())

    @property
    def parameters(self) -> dict[str, Any]:
        return {"method": self.method, "objective": self.objective, "resolution": self.resolution,
                "weighted": self.weighted, "seed": self.seed, "n_runs": self.n_runs,
                "consensus": self.consensus, "view": self.view, "engine": self.engine,
                "iterations": self.iterations, "stable": self.stable, "split": self.split}

    def as_dict(self) -> dict[str, str]:
        """Entity id -> community id."""
        return dict(zip(self.membership["id"], self.membership["community"].astype(int)))

    def members(self, community: int) -> list[str]:
        m = self.membership
        return sorted(m.loc[m["community"] == community, "id"])

    def summary(self) -> pd.DataFrame:
        """One row per community: size, kinds, countries and quality figures.

        ``modularity_contribution`` and ``conductance`` are measured on the clustered graph
        (weighted as clustered): the contribution is ``L_c/m - resolution * (d_c/2m)^2``; the
        conductance is the weight of links leaving the community over the smaller of its volume
        and the rest's volume (networkx's definition). ``size`` counts every member, attached
        ones included; ``n_clustered`` only those the algorithm placed.
        """
        m = self.membership
        q = quality_table(self._edges, dict(zip(m["id"], m["community"])), resolution=self.resolution)
        comm = m["community"].astype(int)
        clustered = m["assigned"] == "clustered"
        out = pd.DataFrame({"size": comm.value_counts().sort_index()})
        out["n_clustered"] = clustered.groupby(comm).sum().reindex(out.index, fill_value=0).astype(int)
        # kinds: most frequent first, ties by name
        counts = pd.crosstab(comm, m["kind"].fillna("unknown"))
        out["kinds"] = [{k: int(v) for k, v in sorted(row.items(), key=lambda kv: (-kv[1], kv[0])) if v}
                        for row in counts.reindex(out.index).fillna(0).astype(int).to_dict("records")]
        flat = pd.DataFrame({"community": comm, "country": m["countries"]}).explode("country").dropna()
        by = flat.groupby("community")["country"].agg(lambda s: sorted(set(s)))
        out["countries"] = [by.get(c, []) for c in out.index]
        out["n_countries"] = [len(x) for x in out["countries"]]
        out["stability"] = m["stability"].where(clustered).groupby(comm).mean().reindex(out.index)
        out = out.rename_axis("community").reset_index()
        return out.merge(q, on="community", how="left")

    def nmi(self, other: Any) -> float:
        """Normalised mutual information with another partition, over the entities both cover.

        ``other`` is a CommunityResult, a mapping id -> community, a Series indexed by id, or a
        DataFrame with ``id`` and ``community`` columns. Arithmetic-mean normalisation
        (scikit-learn's default, the same as igraph's ``compare_communities(method="nmi")``).
        """
        from sklearn.metrics import normalized_mutual_info_score

        theirs = _partition_of(other)
        mine = self.as_dict()
        common = sorted(set(mine) & set(theirs))
        if not common:
            raise NetintelError("the two partitions share no entity ids; are both in resolved ids?")
        return float(normalized_mutual_info_score([theirs[i] for i in common], [mine[i] for i in common]))

    def _repr_html_(self) -> str:
        s = self.summary().head(15)
        marking = getattr(self.marking, "banner", None) or "no marking"
        head = (f"<p><b>{self.n_communities} communities</b> among {len(self.membership)} entities — "
                f"{html.escape(self.method)} ({html.escape(self.objective)}, resolution {self.resolution:g}, "
                f"{'weighted' if self.weighted else 'unweighted'}, {html.escape(self.view)} view), seed {self.seed}, "
                f"{self.n_runs} run(s){' with consensus' if self.consensus else ''}; modularity "
                f"{self.modularity:.3f}{'; ' + self.split_note if self.split else ''}; input {self.input_hash}; {html.escape(str(marking))}</p>")
        cols = ["community", "size", "n_clustered", "kinds", "n_countries", "modularity_contribution",
                "conductance", "stability"]
        return head + s[[c for c in cols if c in s]].to_html(index=False, float_format=lambda v: f"{v:.3f}")

    @property
    def split_note(self) -> str:
        """'6 of 11 communities split on their own ties', or '' when the split did not run."""
        return (f"{self.split_communities} of {self.split_examined} communities split on their own ties"
                if self.split else "")

    def __repr__(self) -> str:
        return (f"<CommunityResult {self.n_communities} communities, {len(self.membership)} entities, "
                f"{self.method}/{self.objective} resolution={self.resolution:g} seed={self.seed} "
                f"modularity={self.modularity:.3f}{'; ' + self.split_note if self.split else ''}>")


def _partition_of(other: Any) -> dict[str, Any]:
    if isinstance(other, CommunityResult):
        return other.as_dict()
    if isinstance(other, pd.DataFrame):
        return dict(zip(other["id"].astype(str), other["community"]))
    if isinstance(other, pd.Series):
        return {str(k): v for k, v in other.items()}
    if isinstance(other, Mapping):
        return {str(k): v for k, v in other.items()}
    raise NetintelError(f"cannot compare with {type(other).__name__}: pass a CommunityResult, a mapping "
                        "id -> community, or a DataFrame with id and community columns")


def quality_table(edges: pd.DataFrame, partition: Mapping[str, Any], *, resolution: float = 1.0) -> pd.DataFrame:
    """Per community: internal weight, cut, volume, modularity contribution and conductance.

    ``edges`` is an undirected table ``source, target, weight`` (each pair once). Entities absent
    from ``edges`` have volume 0.

    Examples
    --------
    Two triangles joined by one link: each has 3 links inside, 1 leaving, volume 7.

    >>> e = pd.DataFrame({"source": ["a", "a", "b", "d", "d", "e", "c"],
    ...                   "target": ["b", "c", "c", "e", "f", "f", "d"], "weight": 1.0})
    >>> t = quality_table(e, {"a": 0, "b": 0, "c": 0, "d": 1, "e": 1, "f": 1})
    >>> t["internal_weight"].tolist(), t["cut_weight"].tolist(), round(float(t["conductance"][0]), 4)
    ([3.0, 3.0], [1.0, 1.0], 0.1429)
    >>> round(float(t["modularity_contribution"].sum()), 4)
    0.3571
    """
    comm = pd.Series(partition)
    cs = edges["source"].map(comm).to_numpy()
    ct = edges["target"].map(comm).to_numpy()
    w = edges["weight"].to_numpy(dtype=float)
    total = w.sum()
    same = cs == ct
    internal = pd.Series(w[same]).groupby(cs[same]).sum()
    cut = pd.concat([pd.Series(w[~same]).groupby(cs[~same]).sum(),
                     pd.Series(w[~same]).groupby(ct[~same]).sum()]).groupby(level=0).sum()
    volume = pd.concat([pd.Series(w).groupby(cs).sum(), pd.Series(w).groupby(ct).sum()]).groupby(level=0).sum()
    communities = sorted(set(comm.to_numpy().tolist()))
    rows = []
    for c in communities:
        lc, cc, vc = float(internal.get(c, 0.0)), float(cut.get(c, 0.0)), float(volume.get(c, 0.0))
        contrib = (lc / total - resolution * (vc / (2 * total)) ** 2) if total else 0.0
        rest = 2 * total - vc
        denom = min(vc, rest)
        rows.append({"community": c, "internal_weight": lc, "cut_weight": cc, "volume": vc,
                     "modularity_contribution": contrib,
                     "conductance": cc / denom if denom > 0 else float("nan")})
    return pd.DataFrame(rows, columns=["community", "internal_weight", "cut_weight", "volume",
                                       "modularity_contribution", "conductance"])


# ---------------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------------
def _is_workspace(graph: Any) -> bool:
    return hasattr(graph, "con") and hasattr(graph, "resolved_ids") and hasattr(graph, "links")


def _is_compute_graph(graph: Any) -> bool:
    return hasattr(graph, "person_source") and hasattr(graph, "node_table")


def _object_edges(source: np.ndarray, target: np.ndarray, weight: np.ndarray) -> pd.DataFrame:
    """An edge table whose ends are the ids' own objects (pandas would copy each into a string array)."""
    return pd.DataFrame({"source": pd.Series(source, dtype=object), "target": pd.Series(target, dtype=object),
                         "weight": np.asarray(weight, dtype=float)})


def _coded_tables(cg: Any, view: str, attach: bool, jobs: list[Future]):
    """The clustered edges and nodes of a :class:`~netintel.graph.ComputeGraph`, with the codes.

    Edge ends are the ids' own string objects (one per node, referenced by every link), so no per-link
    string is made; the entity graph's table is built only if attaching needs it.
    """
    ids = cg.ids
    full_codes = (cg.source, cg.target, cg.weight)

    def full_edges() -> pd.DataFrame:
        return _object_edges(ids[cg.source], ids[cg.target], cg.weight)

    # the node table (a DuckDB query and some pandas) is read while the clustering runs: networkit
    # releases the GIL, DuckDB too; nothing else uses the workspace's connection until it is taken
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netintel-nodes")
    pending = pool.submit(cg.node_table)
    pool.shutdown(wait=False)
    jobs.append(pending)
    if view == "entity":
        keep = np.arange(len(ids))
        s, t, w = full_codes
    else:
        keep = np.flatnonzero(cg.kinds == "person")
        local = np.full(len(ids), -1, dtype=np.int64)
        local[keep] = np.arange(len(keep))
        s, t, w = local[cg.person_source], local[cg.person_target], cg.person_weight
    sub = ids[keep]
    edges = _object_edges(sub[s], sub[t], w)

    def node_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
        full_nodes = pending.result()
        return full_nodes.iloc[keep].reset_index(drop=True), full_nodes

    return edges, sub.tolist(), node_tables, (full_edges() if view == "entity" else full_edges), \
        (np.asarray(s, dtype=np.int64), np.asarray(t, dtype=np.int64))


def _coded_hash(s: np.ndarray, t: np.ndarray, weight: pd.Series, ids: Sequence[str]) -> str:
    h = hashlib.sha256()
    h.update("\x1f".join(ids).encode("utf-8"))
    h.update(np.asarray(s, dtype=np.int64).tobytes())
    h.update(np.asarray(t, dtype=np.int64).tobytes())
    h.update(np.round(weight.to_numpy(dtype=float), 9).tobytes())
    return h.hexdigest()[:16]


def _is_case_graph(graph: Any) -> bool:
    return hasattr(graph, "person_view") and isinstance(getattr(graph, "edges", None), pd.DataFrame)


def detect_communities(
    graph: Any,
    *,
    method: Method = "auto",
    resolution: float = 1.0,
    objective: Objective = "modularity",
    weighted: bool = True,
    seed: int = 0,
    n_runs: int = 1,
    consensus: bool = False,
    view: Literal["person", "entity"] = "person",
    attach: bool = True,
    split: bool | None = None,
) -> CommunityResult:
    """Find communities, seeded, with their quality figures.

    Parameters
    ----------
    graph : CaseGraph, igraph.Graph, networkx.Graph or DataFrame
        What to cluster. A :class:`~netintel.graph.CaseGraph` is clustered in its person view by
        default (``view``); other inputs are clustered as given.
    method : {"auto", "leiden", "louvain", "plp", "plm"}
        ``"auto"`` (default): Leiden below :data:`LARGE_GRAPH` nodes, networkit PLM from there
        (Leiden at any size for ``objective="cpm"``, which PLM does not optimise).
        Leiden is igraph's built-in ``community_leiden`` iterated until an iteration changes
        nothing, at most :data:`LEIDEN_MAX_ITERATIONS` times; Louvain is igraph's
        ``community_multilevel``; ``"plp"`` and ``"plm"`` are networkit's label propagation
        (refined by two seeded igraph Leiden passes from its partition) and parallel Louvain, run
        on one thread with the seed so that they are reproducible. The result's ``engine``,
        ``iterations`` and ``stable`` say what ran.
    resolution : float
        Higher gives more, smaller communities. With ``objective="cpm"`` it is the density
        threshold (in weight units per pair) instead.
    objective : {"modularity", "cpm"}
        Leiden's quality function. igraph's own default (CPM at resolution 1) splits an
        unweighted graph into near-singletons, so netintel asks for modularity unless told.
    weighted : bool
        Use tie strengths (call counts, payments, reports). Recommended: evidence weights separate
        groups far better on hub-dominated networks.
    seed : int
        Seed of the first run; run ``k`` uses a seed derived from ``seed`` and ``k``.
    n_runs : int
        Number of seeded runs. Without consensus the run with the best quality is kept and
        stability is measured against the others.
    consensus : bool
        Cluster the consensus of the runs (links weighted by how often their ends are together)
        until the runs agree.
    view : {"person", "entity"}
        For a CaseGraph: cluster persons tied through what they share and call (``"person"``) or
        the full entity graph (``"entity"``).
    attach : bool
        For the person view: place phones, accounts, companies and infrastructure in the community
        of the entities they are most strongly linked to (majority by weight), and persons tied to no
        other person likewise (those their links reach no community from stay on their own).
    split : bool or None
        Re-cluster each community on its own ties and keep a split when every part is a community
        in the weak sense (more of its tie weight inside than out): modularity's resolution limit
        merges small groups on a large graph (:func:`_split_merged`). ``None`` (default): on where
        ``method="auto"`` chose PLM (from :data:`LARGE_GRAPH` nodes), off otherwise. Modularity only.
        The result's ``split_examined`` and ``split_communities`` say what it did.

    Returns
    -------
    CommunityResult

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.planted_partition_graph(4, 10, 0.9, 0.02, seed=3)
    >>> res = detect_communities(g, seed=0, n_runs=5, consensus=True)
    >>> res.n_communities, float(res.membership["stability"].min())
    (4, 1.0)
    >>> truth = {str(n): d["block"] for n, d in g.nodes(data=True)}
    >>> res.nmi(truth)
    1.0
    """
    jobs: list[Future] = []  # background reads of the workspace, waited for even when clustering fails
    try:
        return _detect(graph, method=method, resolution=resolution, objective=objective, weighted=weighted,
                       seed=seed, n_runs=n_runs, consensus=consensus, view=view, attach=attach, split=split,
                       jobs=jobs)
    finally:
        wait(jobs)


def _detect(graph: Any, *, method: str, resolution: float, objective: str, weighted: bool, seed: int, n_runs: int,
            consensus: bool, view: str, attach: bool, split: bool | None, jobs: list[Future]) -> CommunityResult:
    if n_runs < 1:
        raise NetintelError(f"n_runs must be at least 1, not {n_runs}")
    if objective not in ("modularity", "cpm"):
        raise NetintelError(f"unknown objective {objective!r}; use 'modularity' or 'cpm'")
    if split and objective != "modularity":
        raise NetintelError("split undoes modularity's resolution limit; CPM has none: use split=False "
                            "with objective='cpm'")
    if _is_workspace(graph):
        from .graph import compute_graph

        graph = compute_graph(graph, weighted=weighted)
    marking = getattr(graph, "marking", None)
    full_edges = full_nodes = node_tables = None
    used_view = "given"
    coded = None  # (source, target, weight) as codes into ids, when the graph came as codes
    if _is_compute_graph(graph):
        if view not in ("person", "entity"):
            raise NetintelError(f"unknown view {view!r}; use 'person' or 'entity'")
        used_view = view
        edges, ids, node_tables, full_edges, coded = _coded_tables(graph, view, attach, jobs)
    elif _is_case_graph(graph):
        full_edges, full_nodes = edge_table(graph, weighted=weighted)
        if view == "person":
            used_view = "person"
            pv = graph.person_view()
            edges, nodes = edge_table(pv, weighted=weighted)
            persons = full_nodes.loc[full_nodes["kind"] == "person", "id"]
            extra = pd.Index(persons).difference(pd.Index(nodes["id"]))
            if len(extra):  # persons tied to no one are still persons of the case
                nodes = pd.concat([nodes, full_nodes[full_nodes["id"].isin(extra)]], ignore_index=True)
            nodes = nodes.drop(columns=["kind", "label", "countries"]).merge(
                full_nodes, on="id", how="left", suffixes=("", "_full"))
            nodes = nodes.sort_values("id", kind="stable").reset_index(drop=True)
            nodes["countries"] = [_as_list(c) for c in nodes["countries"]]
        elif view == "entity":
            used_view = "entity"
            edges, nodes = full_edges, full_nodes
        else:
            raise NetintelError(f"unknown view {view!r}; use 'person' or 'entity'")
    else:
        edges, nodes = edge_table(graph, weighted=weighted)

    if node_tables is None:
        ids = nodes["id"].tolist()
    s_codes, t_codes = (coded[0], coded[1]) if coded is not None else _codes(edges, ids)
    igraph_graph: list[ig.Graph] = []

    def graph_of() -> ig.Graph:
        """The igraph graph, built when an igraph algorithm needs it (PLM on networkit does not)."""
        if not igraph_graph:
            igraph_graph.append(_igraph_codes(s_codes, t_codes, edges["weight"].to_numpy(dtype=float), len(ids)))
        return igraph_graph[0]

    if method == "auto":  # PLM optimises modularity only: CPM stays on Leiden at any size
        method = "plm" if len(ids) >= LARGE_GRAPH and objective == "modularity" else "leiden"
        split = (method == "plm") if split is None else split
    if method in _NETWORKIT and objective != "modularity":
        raise NetintelError(f"{method} optimises modularity (plm) or none (plp); use method='leiden' for "
                            "objective='cpm'")
    split_counts = [0, 0]  # communities examined, split (summed over the runs)
    weights = edges["weight"].to_numpy(dtype=float) if weighted else np.ones(len(edges))

    def split_of(run: np.ndarray) -> np.ndarray:
        if not split:
            return run
        run, examined, n_split = _split_merged(s_codes, t_codes, weights, run, resolution=resolution)
        split_counts[0] += examined
        split_counts[1] += n_split
        return run

    nkg = None
    if method in _NETWORKIT:
        nkg = _networkit_graph(s_codes, t_codes, weights, len(ids))
    seeds = [int(seed)] + [int(x) for x in np.random.SeedSequence(int(seed)).generate_state(max(n_runs - 1, 0))]
    log: list[tuple[int, bool | None]] = []
    if method in _NETWORKIT and not (consensus and n_runs > 1):
        runs = []
        for sd in seeds:
            run, iterations = _run_networkit(nkg, method, resolution, sd)
            log.append((iterations, None))
            if method == "plp":
                run = _refine(graph_of(), run, resolution, sd, weighted)
            runs.append(run)
        nkg = None  # (its memory, before the split's)
        runs = [split_of(r) for r in runs]
        membership = runs[0] if len(runs) == 1 else \
            runs[int(np.argmax([_quality(graph_of(), r, objective, resolution, weighted) for r in runs]))]
    elif consensus and n_runs > 1:
        membership, runs = _consensus(graph_of(), method, objective, resolution, seeds, weighted, log)
        if split:  # the final partition and the runs its stability is measured against, alike
            membership, runs = split_of(membership), [split_of(r) for r in runs]
    else:
        runs = [split_of(r) for r in
                _logged([_run(graph_of(), method, objective, resolution, sd, weighted) for sd in seeds], log)]
        if len(runs) == 1:
            membership = runs[0]
        else:
            scores = [_quality(graph_of(), r, objective, resolution, weighted) for r in runs]
            membership = runs[int(np.argmax(scores))]
    stability = _stability(membership, runs) if n_runs > 1 else np.full(len(ids), np.nan)
    membership = _canonical(membership, ids)
    modularity = modularity_of(s_codes, t_codes, edges["weight"].to_numpy(dtype=float) if weighted else None,
                               membership, resolution=resolution)

    if node_tables is not None:
        nodes, full_nodes = node_tables()
    frame = pd.DataFrame({"id": ids, "community": membership, "stability": stability,
                          "kind": nodes["kind"].to_numpy(), "label": nodes["label"].to_numpy(),
                          "countries": nodes["countries"].to_numpy(), "assigned": "clustered"})
    tied = np.zeros(len(ids), dtype=bool)
    tied[s_codes] = True
    tied[t_codes] = True
    if used_view == "person" and attach and full_edges is not None and (len(full_nodes) > len(ids) or not tied.all()):
        # A person tied to no other person is a singleton of the person view: the clustering says
        # nothing about them. Like a phone, they go where their links in the entity graph lead
        # (an affiliate known only by an e-mail that a CERT lists as the crew's indicator).
        if callable(full_edges):  # built when needed (a graph of persons alone, all tied, needs none)
            full_edges = full_edges()
        alone = set(np.asarray(ids, dtype=object)[~tied].tolist())
        seeds = dict(zip(ids, membership.tolist()))
        if alone:
            reached = _attach(full_edges, {i: c for i, c in seeds.items() if i not in alone}, full_nodes["id"].tolist())
            moved = [i for i, x in enumerate(ids) if x in alone and x in reached]
            frame.loc[moved, "community"] = [reached[ids[i]] for i in moved]
            frame.loc[moved, "assigned"] = "attached"
            frame.loc[moved, "stability"] = np.nan
            seeds = dict(zip(ids, frame["community"].tolist()))
        labels = _attach(full_edges, seeds, full_nodes["id"].tolist())
        new = full_nodes[~full_nodes["id"].isin(set(ids)) & full_nodes["id"].isin(labels.keys())]
        att = pd.DataFrame({"id": new["id"].to_numpy(), "community": [labels[i] for i in new["id"]],
                            "stability": np.nan, "kind": new["kind"].to_numpy(), "label": new["label"].to_numpy(),
                            "countries": new["countries"].to_numpy(), "assigned": "attached"})
        frame = pd.concat([frame, att], ignore_index=True)
    if used_view == "person" and full_nodes is not None:
        # Entities linked to no person at all (infrastructure seen alone): their own components,
        # unless one of them names a person of a community (a threat actor reported under a
        # person's full name), which brings the whole component there.
        rest = full_nodes[~full_nodes["id"].isin(set(frame["id"]))] if len(full_nodes) > len(frame) \
            else full_nodes.iloc[:0]
        if len(rest):
            if callable(full_edges):
                full_edges = full_edges()
            sub = full_edges[full_edges["source"].isin(set(rest["id"])) & full_edges["target"].isin(set(rest["id"]))]
            rg = _igraph(sub, rest["id"].tolist())
            comp = np.asarray(rg.connected_components().membership)
            named = _name_bridge(rest, comp, frame)
            base = int(frame["community"].max()) + 1 if len(frame) else 0  # (a view with no person at all)
            community = np.array([named.get(c, base + c) for c in comp])
            how = np.where([c in named for c in comp], "attached_by_name", "unattached")
            frame = pd.concat([frame, pd.DataFrame({
                "id": rest["id"].to_numpy(), "community": community, "stability": np.nan,
                "kind": rest["kind"].to_numpy(), "label": rest["label"].to_numpy(),
                "countries": rest["countries"].to_numpy(), "assigned": how})], ignore_index=True)
        # Renumber over all members so sizes include the attached entities.
        frame["community"] = _canonical(frame["community"].to_numpy(), frame["id"].tolist())
    frame = frame.sort_values("id", kind="stable").reset_index(drop=True)
    frame["community"] = frame["community"].astype(int)
    return CommunityResult(
        membership=frame, method=method, objective=objective, resolution=float(resolution), weighted=weighted,
        seed=int(seed), n_runs=int(n_runs), consensus=bool(consensus and n_runs > 1), view=used_view,
        input_hash=_input_hash(edges, ids) if coded is None else _coded_hash(s_codes, t_codes, edges["weight"], ids),
        marking=marking, modularity=modularity, _edges=edges,
        engine="networkit" if method in _NETWORKIT else "igraph", iterations=max(int(i) for i, _ in log),
        stable=None if any(st is None for _, st in log) else all(st for _, st in log),
        split=bool(split), split_examined=split_counts[0], split_communities=split_counts[1])


def _name_key(label: Any) -> str:
    try:
        from .resolve.normalize import normalize_name
    except ImportError:  # pragma: no cover - resolution is part of the package
        return " ".join(sorted(str(label).casefold().split()))
    return normalize_name(label)


def _name_bridge(rest: pd.DataFrame, comp: np.ndarray, placed: pd.DataFrame) -> dict[int, int]:
    """Component -> community, where a threat actor or person in the component bears the full name
    (two tokens or more) of exactly one community's person."""
    persons = placed[(placed["kind"] == "person") & placed["label"].notna()]
    # (object dtype: with no person placed an empty column would be float, and .str would fail)
    keys = pd.DataFrame({"key": pd.Series([_name_key(x) for x in persons["label"]], index=persons.index, dtype=object),
                         "community": persons["community"]})
    keys = keys[keys["key"].str.count(" ") >= 1].drop_duplicates()
    unique = keys.groupby("key")["community"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else None).dropna()
    out: dict[int, set[int]] = {}
    for c, kind, label in zip(comp, rest["kind"], rest["label"]):
        if kind in ("threat_actor", "person") and label is not None and label == label:
            hit = unique.get(_name_key(label))
            if hit is not None:
                out.setdefault(int(c), set()).add(int(hit))
    return {c: next(iter(v)) for c, v in out.items() if len(v) == 1}


def _quality(g: ig.Graph, membership: np.ndarray, objective: str, resolution: float, weighted: bool) -> float:
    weights = g.es["weight"] if weighted else None
    if objective == "modularity":
        return float(g.modularity(membership.tolist(), weights=weights, resolution=resolution))
    # CPM: internal weight minus resolution * pairs inside
    el = np.array(g.get_edgelist()).reshape(-1, 2)
    w = np.asarray(weights if weights is not None else np.ones(len(el)), dtype=float)
    inside = membership[el[:, 0]] == membership[el[:, 1]]
    sizes = np.bincount(membership)
    return float(w[inside].sum() - resolution * (sizes * (sizes - 1) / 2).sum())


# ---------------------------------------------------------------------------------------------
# Sensitivity to grading
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SensitivityResult:
    """What survives when low-graded links are removed.

    ``communities`` has one row per community of the full result: its size, the best-matching
    community after filtering, their Jaccard overlap (members kept together), and the share of its
    members still in the filtered graph. ``nmi`` compares the two partitions over the entities both
    contain.
    """

    min_grading: str
    full: CommunityResult
    filtered: CommunityResult
    communities: pd.DataFrame
    nmi: float

    def _repr_html_(self) -> str:
        return (f"<p>Communities with links graded below <b>{html.escape(self.min_grading)}</b> removed: "
                f"NMI {self.nmi:.3f} against all links; {len(self.full.summary())} communities before, "
                f"{len(self.filtered.summary())} after.</p>" + self.communities.head(20).to_html(index=False))


def community_sensitivity(
    source: Any,
    min_grading: str = "B2",
    *,
    build: Any = None,
    min_size: int = 3,
    **options: Any,
) -> SensitivityResult:
    """Rerun communities with links graded below ``min_grading`` removed, and compare.

    Parameters
    ----------
    source : Workspace or callable
        A workspace (graphs built with :func:`netintel.graph.build_graph`), or a callable
        ``builder(min_grading=None | str)`` returning a graph.
    min_grading : str
        Canonical Admiralty code; links graded below it on either axis are dropped.
    min_size : int
        Communities smaller than this are left out of the per-community table (still in the NMI).
    **options
        Passed to :func:`detect_communities` (method, resolution, seed, ...).

    Returns
    -------
    SensitivityResult
    """
    if callable(source) and not hasattr(source, "entities"):
        builder = source
    else:
        from .graph import build_graph

        def builder(min_grading=None):
            return build_graph(source, min_grading=min_grading)

    full = detect_communities(builder(min_grading=None), **options)
    filtered = detect_communities(builder(min_grading=min_grading), **options)
    return SensitivityResult(min_grading, full, filtered, _match_table(full, filtered, min_size),
                             full.nmi(filtered))


def _match_table(full: CommunityResult, filtered: CommunityResult, min_size: int) -> pd.DataFrame:
    a = full.membership[["id", "community"]]
    b = filtered.membership[["id", "community"]].rename(columns={"community": "after"})
    j = a.merge(b, on="id", how="left")
    size_a = a.groupby("community").size()
    size_b = b.groupby("after").size()
    inter = j.dropna(subset=["after"]).groupby(["community", "after"]).size().rename("n").reset_index()
    inter["jaccard"] = inter["n"] / (inter["community"].map(size_a) + inter["after"].map(size_b) - inter["n"])
    best = inter.sort_values(["community", "jaccard", "after"], ascending=[True, False, True]).drop_duplicates("community")
    present = j.assign(kept=j["after"].notna()).groupby("community")["kept"].mean()
    out = pd.DataFrame({"community": size_a.index, "size": size_a.to_numpy()})
    out = out.merge(best[["community", "after", "jaccard"]], on="community", how="left")
    out["jaccard"] = out["jaccard"].fillna(0.0)
    out["share_present"] = out["community"].map(present).to_numpy()
    out["after"] = out["after"].astype("Int64")
    out = out.rename(columns={"after": "best_match"})
    return out[out["size"] >= min_size].reset_index(drop=True)
