"""Link analysis: how two entities are connected, what joins a set of targets, who is around whom.

The analyst's questions of i2 Analyst's Notebook, as calls that return tidy results:

============================ ================================================================
:func:`find_paths`            Find Path: shortest paths, or every simple path up to k hops,
                              each hop with its evidence (link kinds, agencies, grading,
                              counts, link ids)
:func:`connecting_network`    Find Connecting Network: the smallest subgraph that joins a set
                              of targets (Steiner tree, networkx's approximation)
:func:`ego_network`           Find Linked: everything within k hops of one or more entities
:func:`common_associates`     entities linked to several targets at once
============================ ================================================================

Paths follow links in either direction (a call from a to b connects b to a for the analyst),
over the collapsed graph: one tie per pair of entities, every link kind between them listed as
evidence. Unweighted by default (fewest hops); ``weighted=True`` prefers strong ties by walking
the **distance 1 / tie strength**.

Examples
--------
>>> import pandas as pd
>>> from netintel.graph import CaseGraph
>>> g = CaseGraph.from_frames(pd.DataFrame({
...     "source": ["a", "b", "a", "d"], "target": ["b", "c", "d", "c"],
...     "kind": ["call", "transfer", "associate_of", "call"], "count": [3, 1, 1, 2]}))
>>> res = find_paths(g, "a", "c")
>>> res.paths
[['a', 'b', 'c'], ['a', 'd', 'c']]
>>> res.hops[["path", "hop", "source", "target", "kinds", "count"]].head(2).values.tolist()
[[0, 1, 'a', 'b', ['call'], 3], [0, 2, 'b', 'c', ['transfer'], 1]]
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import NetintelError
from ..graph import CaseGraph, combine_markings
from ..handling import Marking
from ._graphs import as_case_graph, find_entity

__all__ = ["PathResult", "find_paths", "ConnectingNetwork", "connecting_network", "ego_network",
           "common_associates", "hop_evidence"]

_HOP_COLUMNS = ["path", "hop", "source", "target", "source_label", "target_label", "kinds", "directions", "count",
                "weight", "agencies", "grading", "handling", "n_records", "first_seen", "last_seen", "link_ids"]


def _grading_rank(code: Any) -> tuple[int, int]:
    if not isinstance(code, str) or len(code) != 2:
        return (9, 9)
    return ("ABCDEF".find(code[0]) % 9, "123456".find(code[1]) % 9)


class _Evidence:
    """Index of the edges between each unordered pair of entities."""

    def __init__(self, g: CaseGraph):
        e = g.edges
        self.g = g
        src, tgt = e["source"].to_numpy(object), e["target"].to_numpy(object)
        lo = np.where(src <= tgt, src, tgt)
        hi = np.where(src <= tgt, tgt, src)
        order = np.lexsort((np.arange(len(e)), hi.astype(str), lo.astype(str))) if len(e) else np.zeros(0, int)
        self.rows: dict[tuple[str, str], list[int]] = {}
        for i in order:
            self.rows.setdefault((lo[i], hi[i]), []).append(int(i))
        self.labels = g.labels()

    def hop(self, u: str, v: str) -> dict[str, Any]:
        key = (u, v) if u <= v else (v, u)
        rows = self.g.edges.iloc[self.rows.get(key, [])]
        dirs = []
        for s, t, d in zip(rows["source"], rows["target"], rows["directed"]):
            dirs.append("both" if not d else ("forward" if s == u else "backward"))
        agencies = sorted({a for lst in rows["agencies"] for a in lst})
        grading = min(rows["grading"], key=_grading_rank) if len(rows) else None
        mk = combine_markings(zip(rows["handling"], rows["releasable_to"]))
        return {
            "source": u, "target": v, "source_label": self.labels.get(u, u), "target_label": self.labels.get(v, v),
            "kinds": rows["kind"].tolist(), "directions": dirs, "count": int(rows["count"].sum()),
            "weight": float(rows["weight"].sum()), "agencies": agencies, "grading": grading,
            "handling": mk.handling, "n_records": int(rows["n_records"].sum()),
            "first_seen": pd.to_datetime(rows["first_seen"]).min(), "last_seen": pd.to_datetime(rows["last_seen"]).max(),
            "link_ids": [x for lst in rows["link_ids"] for x in lst],
        }


def hop_evidence(graph: Any, u: str, v: str) -> dict[str, Any]:
    """Everything the graph holds on the tie between ``u`` and ``v`` (either direction).

    >>> g = CaseGraph.from_frames(pd.DataFrame({"source": ["a", "b"], "target": ["b", "a"],
    ...                                         "kind": ["call", "transfer"], "count": [4, 1]}))
    >>> ev = hop_evidence(g, "a", "b")
    >>> ev["kinds"], ev["directions"], ev["count"]
    (['call', 'transfer'], ['forward', 'backward'], 5)
    """
    return _Evidence(as_case_graph(graph)).hop(u, v)


@dataclass(frozen=True, eq=False)
class PathResult:
    """Paths between two entities, each hop with its evidence.

    Attributes
    ----------
    source, target : str
        Resolved ids.
    paths : list of list of str
        The paths found (resolved ids, source first), shortest first, then in id order.
    hops : DataFrame
        One row per hop of each path: ``path`` (index in ``paths``), ``hop`` (1-based),
        ``source, target`` and their labels, ``kinds`` (every link kind between the two),
        ``directions`` (``forward``/``backward`` along the path, ``both`` for undirected kinds),
        ``count``, ``weight`` (tie strength), ``agencies``, ``grading`` (best), ``handling``
        (strictest), ``n_records``, ``first_seen``, ``last_seen``, ``link_ids``.
    method : str
        ``"shortest"`` or ``"all simple paths up to k hops"``, weighted or not.
    marking : Marking
        Marking of the evidence on the paths (strictest handling, intersected releasability).
    truncated : bool
        True when more paths existed than ``limit``.
    """

    source: str
    target: str
    paths: list[list[str]]
    hops: pd.DataFrame
    method: str
    marking: Marking
    truncated: bool = False

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def found(self) -> bool:
        return bool(self.paths)

    def summary(self) -> pd.DataFrame:
        """One row per path: ``path, n_hops, route`` (labels), ``weakest_grading``, ``agencies``."""
        rows = []
        for i, p in enumerate(self.paths):
            h = self.hops[self.hops["path"] == i]
            labels = [h["source_label"].iloc[0]] + h["target_label"].tolist() if len(h) else p
            rows.append({"path": i, "n_hops": len(p) - 1, "route": " — ".join(map(str, labels)),
                         "weakest_grading": max(h["grading"], key=_grading_rank) if len(h) else None,
                         "agencies": sorted({a for lst in h["agencies"] for a in lst})})
        return pd.DataFrame(rows, columns=["path", "n_hops", "route", "weakest_grading", "agencies"])

    def to_subgraph(self, graph: CaseGraph) -> CaseGraph:
        """The entities on the paths, as a CaseGraph (for a link chart)."""
        return graph.subgraph({x for p in self.paths for x in p})

    def __repr__(self) -> str:
        return (f"<PathResult {self.source} -> {self.target}: {len(self.paths)} path(s), {self.method}"
                f"{', truncated' if self.truncated else ''}; {self.marking.banner}>")

    def _repr_html_(self) -> str:
        head = (f"<b>Paths</b> {html.escape(self.source)} → {html.escape(self.target)}: {len(self.paths)} "
                f"({html.escape(self.method)}){' — truncated' if self.truncated else ''}"
                f"<br><small>{html.escape(self.marking.banner)}</small>")
        return f"<div>{head}{self.summary().to_html(index=False)}</div>"


def find_paths(
    graph: Any,
    source: str,
    target: str,
    *,
    max_hops: int | None = None,
    all_paths: bool = False,
    weighted: bool = False,
    limit: int = 100,
) -> PathResult:
    """Paths between two entities (i2's Find Path), each hop with its evidence.

    Parameters
    ----------
    graph : CaseGraph, networkx graph or edge DataFrame
    source, target : str
        Resolved entity ids, or text matching exactly one label (see ``CaseGraph.find``).
    max_hops : int, optional
        Longest path considered. With ``all_paths`` it is required (default 4).
    all_paths : bool
        False: all shortest paths. True: every simple path of at most ``max_hops`` hops,
        shortest first.
    weighted : bool
        Shortest by the distance 1 / tie strength (strong ties are short) instead of by hops.
        Ignored for ``all_paths``.
    limit : int
        At most this many paths (``truncated`` says when there were more).

    Returns
    -------
    PathResult
        Empty (``found`` False) when the two are not connected within ``max_hops``.

    Examples
    --------
    >>> import networkx as nx
    >>> res = find_paths(nx.cycle_graph(5), "0", "2", all_paths=True, max_hops=3)
    >>> res.paths
    [['0', '1', '2'], ['0', '4', '3', '2']]
    """
    import networkx as nx

    g = as_case_graph(graph)
    a, b = find_entity(g, source), find_entity(g, target)
    if a == b:
        raise NetintelError(f"source and target are the same entity ({a}); give two different entities")
    nxg = g.to_networkx(multigraph=False)
    truncated = False
    if all_paths:
        k = 4 if max_hops is None else int(max_hops)
        gen = nx.all_simple_paths(nxg, a, b, cutoff=k)
        found = list(islice(gen, limit * 50 + 1))
        found.sort(key=lambda p: (len(p), p))
        truncated = len(found) > limit
        paths = found[:limit]
        method = f"all simple paths up to {k} hops"
    else:
        wkey = "distance" if weighted else None
        try:
            gen = nx.all_shortest_paths(nxg, a, b, weight=wkey)
            found = list(islice(gen, limit + 1))
        except nx.NetworkXNoPath:
            found = []
        found.sort()
        if max_hops is not None:
            found = [p for p in found if len(p) - 1 <= max_hops]
        truncated = len(found) > limit
        paths = found[:limit]
        method = "shortest, weighted (distance = 1 / tie strength)" if weighted else "shortest (fewest hops)"
    ev = _Evidence(g)
    rows = []
    for i, p in enumerate(paths):
        for h, (u, v) in enumerate(zip(p[:-1], p[1:]), start=1):
            rows.append({"path": i, "hop": h, **ev.hop(u, v)})
    hops = pd.DataFrame(rows, columns=_HOP_COLUMNS)
    used = g.edges.loc[[r for p in paths for u, v in zip(p[:-1], p[1:]) for r in ev.rows.get(tuple(sorted((u, v))), [])]]
    marking = combine_markings(zip(used["handling"], used["releasable_to"]))
    return PathResult(a, b, paths, hops, method, marking, truncated)


# ---------------------------------------------------------------------------------------------
# Connecting network, ego networks, common associates
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ConnectingNetwork:
    """The network that joins a set of targets (i2's Find Connecting Network).

    Attributes
    ----------
    targets : list of str
        Resolved ids asked for.
    graph : CaseGraph
        The connecting subgraph: the targets and the entities that join them, with every link
        the original graph holds between them.
    tree_edges : DataFrame
        The Steiner tree's ties: ``source, target, kinds, count, weight`` (and the evidence
        columns of :attr:`PathResult.hops`).
    connectors : list of str
        Entities that are not targets but are needed to join them.
    unreachable : list of str
        Targets in another component than the first target (not joined).
    method : str
    """

    targets: list[str]
    graph: CaseGraph
    tree_edges: pd.DataFrame
    connectors: list[str]
    unreachable: list[str]
    method: str

    @property
    def marking(self) -> Marking:
        return self.graph.marking

    @property
    def nodes(self) -> pd.DataFrame:
        """The connecting network's entities with ``is_target``."""
        n = self.graph.nodes[["id", "kind", "label", "country", "agencies"]].copy()
        n["is_target"] = n["id"].isin(self.targets)
        return n

    def __repr__(self) -> str:
        return (f"<ConnectingNetwork of {len(self.targets)} targets: {len(self.graph)} entities, "
                f"{len(self.connectors)} connectors, {len(self.unreachable)} unreachable; {self.marking.banner}>")

    def _repr_html_(self) -> str:
        return (f"<div><b>Connecting network</b> of {len(self.targets)} targets: {len(self.graph)} entities, "
                f"{len(self.connectors)} connectors{', unreachable: ' + html.escape(', '.join(self.unreachable)) if self.unreachable else ''}"
                f"<br><small>{html.escape(self.marking.banner)} — {html.escape(self.method)}</small>"
                f"{self.nodes.to_html(index=False)}</div>")


def connecting_network(graph: Any, targets: Iterable[str], *, weighted: bool = False) -> ConnectingNetwork:
    """The smallest network joining ``targets``, approximated as a Steiner tree.

    networkx's ``steiner_tree`` (Mehlhorn's 2-approximation) on the collapsed undirected graph:
    fewest ties (unweighted), or smallest total distance 1 / tie strength (``weighted=True``).
    Targets outside the first target's component cannot be joined and are listed as
    ``unreachable``.

    Examples
    --------
    >>> import networkx as nx
    >>> star = nx.Graph([("hub", x) for x in "abcd"] + [("a", "z")])
    >>> net = connecting_network(star, ["a", "b", "c"])
    >>> sorted(net.graph.nodes["id"]), net.connectors
    (['a', 'b', 'c', 'hub'], ['hub'])
    """
    import networkx as nx
    from networkx.algorithms.approximation import steiner_tree

    g = as_case_graph(graph)
    ids = list(dict.fromkeys(find_entity(g, t) for t in targets))
    if len(ids) < 2:
        raise NetintelError("a connecting network needs at least two different targets")
    nxg = g.to_networkx(multigraph=False)
    comp = nx.node_connected_component(nxg, ids[0])
    reach = [t for t in ids if t in comp]
    unreachable = [t for t in ids if t not in comp]
    sub = nxg.subgraph(comp)
    if len(reach) >= 2:
        tree = steiner_tree(sub, sorted(reach), weight="distance" if weighted else "unit", method="mehlhorn")
        # the 'unit' attribute does not exist: networkx then counts every tie as 1
        tree_nodes = set(tree.nodes)
        tree_pairs = sorted(tuple(sorted(e)) for e in tree.edges)
    else:
        tree_nodes, tree_pairs = set(reach), []
    ev = _Evidence(g)
    rows = [{"path": 0, "hop": i + 1, **ev.hop(u, v)} for i, (u, v) in enumerate(tree_pairs)]
    tree_edges = pd.DataFrame(rows, columns=_HOP_COLUMNS).drop(columns=["path", "hop"])
    cg = g.subgraph(tree_nodes | set(unreachable))
    connectors = sorted(tree_nodes - set(ids))
    method = ("Steiner tree (networkx, Mehlhorn 2-approximation), "
              + ("distance = 1 / tie strength" if weighted else "fewest ties"))
    return ConnectingNetwork(ids, cg, tree_edges, connectors, unreachable, method)


def ego_network(graph: Any, centers: str | Iterable[str], *, hops: int = 1,
                kinds: Iterable[str] | None = None) -> CaseGraph:
    """Everything within ``hops`` links of one or more entities (i2's Find Linked).

    The result is a CaseGraph (the induced subgraph) whose nodes carry ``distance`` (hops from
    the nearest center; 0 for the centers). ``kinds`` restricts the entity kinds reached (the
    centers are always kept), e.g. ``["person", "phone"]``.

    Examples
    --------
    >>> import networkx as nx
    >>> ego = ego_network(nx.path_graph(6), "2", hops=2)
    >>> ego.nodes[["id", "distance"]].values.tolist()
    [['0', 2], ['1', 1], ['2', 0], ['3', 1], ['4', 2]]
    """
    g = as_case_graph(graph)
    if isinstance(centers, str):
        centers = [centers]
    ids = list(dict.fromkeys(find_entity(g, c) for c in centers))
    allowed = None if kinds is None else set(kinds)
    kind_of = dict(zip(g.nodes["id"], g.nodes["kind"]))
    adj: dict[str, set[str]] = {}
    for s, t in zip(g.edges["source"], g.edges["target"]):
        adj.setdefault(s, set()).add(t)
        adj.setdefault(t, set()).add(s)
    dist = {c: 0 for c in ids}
    frontier = list(ids)
    for d in range(1, hops + 1):
        nxt = []
        for u in sorted(frontier):
            for v in sorted(adj.get(u, ())):
                if v in dist or (allowed is not None and kind_of.get(v) not in allowed):
                    continue
                dist[v] = d
                nxt.append(v)
        frontier = nxt
    sub = g.subgraph(dist)
    nodes = sub.nodes.copy()
    nodes["distance"] = nodes["id"].map(dist).astype(int)
    return CaseGraph(nodes, sub.edges, sub.marking, {**sub.filters, "ego_of": ids, "hops": hops})


def common_associates(graph: Any, targets: Iterable[str], *, hops: int = 1, min_targets: int = 2,
                      kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """Entities linked (within ``hops``) to at least ``min_targets`` of the targets.

    Returns
    -------
    DataFrame
        ``id, kind, label, country, n_targets, targets`` (resolved ids of the targets it is
        linked to), ``distances`` (hops to each of those targets), sorted by ``n_targets``
        then total distance then id. Targets themselves are left out.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.Graph([("A", "x"), ("B", "x"), ("C", "x"), ("A", "y"), ("B", "y"), ("C", "z")])
    >>> common_associates(g, ["A", "B", "C"])[["id", "n_targets", "targets"]].values.tolist()
    [['x', 3, ['A', 'B', 'C']], ['y', 2, ['A', 'B']]]
    """
    g = as_case_graph(graph)
    ids = list(dict.fromkeys(find_entity(g, t) for t in targets))
    if len(ids) < 2:
        raise NetintelError("common associates need at least two different targets")
    reach: dict[str, dict[str, int]] = {}
    for t in ids:
        ego = ego_network(g, t, hops=hops, kinds=kinds)
        for v, d in zip(ego.nodes["id"], ego.nodes["distance"]):
            if v not in ids:
                reach.setdefault(v, {})[t] = int(d)
    rows = []
    info = g.nodes.set_index("id")
    for v, by in reach.items():
        if len(by) >= min_targets:
            ts = sorted(by)
            rows.append({"id": v, "kind": info.at[v, "kind"], "label": info.at[v, "label"],
                         "country": info.at[v, "country"], "n_targets": len(ts), "targets": ts,
                         "distances": [by[t] for t in ts], "_total": sum(by.values())})
    out = pd.DataFrame(rows, columns=["id", "kind", "label", "country", "n_targets", "targets", "distances", "_total"])
    out = out.sort_values(["n_targets", "_total", "id"], ascending=[False, True, True], kind="stable")
    return out.drop(columns="_total").reset_index(drop=True)
