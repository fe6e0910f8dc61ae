"""Key players: who is central in the network, by which measure, and how sure we are of it.

:func:`key_players` computes the classic social network measures on the undirected, collapsed
graph (every link kind between two entities merged into one tie) with igraph, and returns one
tidy table. The values are those networkx gives on the same graph (the tests check it):

==================== =========================================================================
``degree``           number of distinct neighbours (networkx ``G.degree``)
``weighted_degree``  sum of tie strengths (calls, payments, reports) to them
``betweenness``      share of shortest paths through the entity, normalised as networkx's
                     ``betweenness_centrality``; **exact** up to ``exact_limit`` entities,
                     **sampled** above (``samples`` random source entities, Brandes & Pich 2007,
                     scaled by n / samples; seeded): the result says which was used
``closeness``        networkx's ``closeness_centrality`` (Wasserman-Faust, for graphs in pieces);
                     above ``exact_limit`` the mean distance is estimated from the ``samples``
                     sources (Eppstein & Wang 2004)
``eigenvector``      eigenvector centrality scaled so the highest is 1
``pagerank``         PageRank, damping 0.85
``k_core``           the highest k for which the entity is in the k-core
==================== =========================================================================

Weights. Tie strengths are not distances. With ``weighted=False`` (the default, as the
criminology literature computes these measures) every tie counts as one. With ``weighted=True``,
betweenness and closeness walk the **distance 1 / strength** (a strong tie is a short one), while
eigenvector and PageRank use the **strength** itself; ``weighted_degree`` is always the strength.
Weighted path lengths that are equal on paper (1/2 + 1/2 = 1/1) may differ in the last bit of
floating point; igraph compares them with a tolerance, networkx exactly, so weighted betweenness
can differ from networkx's where such ties exist (never on unweighted graphs).

:func:`grading_sensitivity` reruns the key players without the low-graded links and reports who
stays on top and who drops out.

Examples
--------
>>> import networkx as nx
>>> kp = key_players(nx.star_graph(4))
>>> kp.table[["id", "degree", "betweenness", "k_core"]].head(2).values.tolist()
[['0', 4, 1.0, 1], ['1', 1, 0.0, 1]]
>>> kp.method["betweenness"]
'exact (Brandes), unweighted'
"""

from __future__ import annotations

import html
import math
import random
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import NetintelError
from ..graph import CaseGraph
from ..handling import Marking
from ._graphs import as_case_graph, component_sizes, node_info

__all__ = ["MEASURES", "KeyPlayers", "key_players", "community_key_players", "betweenness", "GradingSensitivity",
           "grading_sensitivity"]

#: Measures :func:`key_players` computes, in table order.
MEASURES: tuple[str, ...] = ("degree", "weighted_degree", "betweenness", "closeness", "eigenvector", "pagerank",
                             "k_core")


@dataclass(frozen=True, eq=False)
class KeyPlayers:
    """Centrality of every entity of a graph, with how it was computed.

    Attributes
    ----------
    table : DataFrame
        ``rank, id, kind, label, country`` and one column per measure, sorted by ``by``
        (highest first; scores equal to 10 decimals are ties, broken by the smallest id);
        ``rank`` is 1 for the highest.
    by : str
        The measure the table is ranked by.
    weighted : bool
        Whether tie strengths were used (see the module notes on weights).
    method : dict
        Measure -> how it was computed (exact or sampled betweenness, with the sample size
        and seed; weights as distances or strengths).
    parameters : dict
        The call's parameters.
    marking : Marking
        Handling marking of the graph the measures come from.
    """

    table: pd.DataFrame
    by: str
    weighted: bool
    method: dict[str, str]
    parameters: dict[str, Any]
    marking: Marking

    def top(self, n: int = 10, by: str | None = None) -> pd.DataFrame:
        """The ``n`` highest entities by ``by`` (the ranking measure by default)."""
        by = by or self.by
        if by not in self.table:
            raise NetintelError(f"no measure {by!r} in this table; computed: {', '.join(self._measures())}")
        return _ranked(self.table, by).head(n)

    def _measures(self) -> list[str]:
        return [m for m in MEASURES if m in self.table]

    def _repr_html_(self) -> str:
        how = "; ".join(f"{k}: {v}" for k, v in self.method.items())
        return (f"<div><b>Key players</b> by {html.escape(self.by)} — {len(self.table)} entities"
                f"<br><small>{html.escape(self.marking.banner)}<br>{html.escape(how)}</small>"
                f"{self.top(10).to_html(index=False)}</div>")

    def __repr__(self) -> str:
        return f"<KeyPlayers by {self.by}: {len(self.table)} entities; {self.method.get('betweenness', '')}>"


#: Decimals kept of scores from an iterative eigen-solver: ARPACK starts from a random vector, so
#: the last bits differ from run to run; rounded, the same graph gives the same table.
STABLE_DECIMALS = 10


def stable_scores(values: Any) -> np.ndarray:
    """Scores of an eigen-solver rounded to :data:`STABLE_DECIMALS` (``-0.0`` made ``0.0``).

    >>> stable_scores([0.1 + 0.2, -1e-17]).tolist()
    [0.3, 0.0]
    """
    return np.round(np.asarray(values, dtype=float), STABLE_DECIMALS) + 0.0


def _ranked(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Highest first; scores equal to 10 decimals are tied (floating-point noise) and go by id."""
    key = np.round(table[by].to_numpy(dtype=float), STABLE_DECIMALS)
    order = np.lexsort((table["id"].astype(str).to_numpy(), -key))
    return table.iloc[order].reset_index(drop=True)


def betweenness(
    graph: Any,
    *,
    weighted: bool = False,
    exact_limit: int = 5000,
    samples: int = 500,
    seed: int = 0,
) -> tuple[pd.Series, str]:
    """Betweenness of every entity, normalised as networkx's ``betweenness_centrality``.

    Exact (Brandes, igraph) on graphs up to ``exact_limit`` entities; above, estimated from
    ``samples`` source entities drawn with ``seed`` and scaled by n / samples (networkx's
    ``k=`` estimate, igraph's ``sources=``). ``weighted=True`` walks the distance 1 / strength.

    Returns
    -------
    (Series indexed by resolved id, description of the method)

    Examples
    --------
    >>> import networkx as nx
    >>> bc, how = betweenness(nx.path_graph(3))
    >>> bc.to_dict(), how
    ({'0': 0.0, '1': 1.0, '2': 0.0}, 'exact (Brandes), unweighted')
    """
    g = as_case_graph(graph)
    ig_graph = g.to_igraph()
    values, how = _betweenness(ig_graph, weighted=weighted, exact_limit=exact_limit, samples=samples, seed=seed)
    return pd.Series(values, index=g.ids, name="betweenness"), how


def _betweenness(ig_graph, *, weighted: bool, exact_limit: int, samples: int, seed: int) -> tuple[np.ndarray, str]:
    n = ig_graph.vcount()
    weights = "distance" if weighted and ig_graph.ecount() else None
    wtext = "weighted (distance = 1 / tie strength)" if weights else "unweighted"
    if n <= exact_limit or samples >= n:
        raw = np.asarray(ig_graph.betweenness(directed=False, weights=weights), dtype=float)
        how = f"exact (Brandes), {wtext}"
    else:
        rng = random.Random(seed)
        sources = sorted(rng.sample(range(n), samples))
        raw = np.asarray(ig_graph.betweenness(directed=False, weights=weights, sources=sources), dtype=float)
        raw *= n / samples
        how = f"sampled: {samples} random source entities of {n} (seed {seed}), scaled by n/k; {wtext}"
    scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0
    return raw * scale, how


def _closeness(ig_graph, *, weighted: bool, exact_limit: int = 5000, samples: int = 500,
               seed: int = 0) -> tuple[np.ndarray, str]:
    n = ig_graph.vcount()
    if n <= 1:
        return np.zeros(n), "exact"
    weights = "distance" if weighted and ig_graph.ecount() else None
    sizes = component_sizes(np.asarray(ig_graph.connected_components().membership))
    if n <= exact_limit or samples >= n:
        raw = np.asarray(ig_graph.closeness(weights=weights), dtype=float)
        raw = np.nan_to_num(raw, nan=0.0)
        # igraph: (r - 1) / sum of distances over the r reachable entities; networkx scales by (r - 1) / (n - 1)
        return raw * (sizes - 1) / (n - 1), "exact"
    # Mean distance to the reachable entities estimated from the distances to `samples` seeded
    # sources (Eppstein & Wang 2004); the component sizes (r) are exact.
    sources = sorted(random.Random(seed).sample(range(n), samples))
    total = np.zeros(n)
    reached = np.zeros(n)
    chunk = max(1, 2_000_000 // n)
    for i in range(0, samples, chunk):
        d = np.asarray(ig_graph.distances(source=sources[i:i + chunk], weights=weights), dtype=float)
        ok = np.isfinite(d) & (d > 0)
        total += np.where(ok, d, 0.0).sum(axis=0)
        reached += ok.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(reached > 0, total / np.maximum(reached, 1), np.inf)
        est = np.where(np.isfinite(mean) & (mean > 0), 1.0 / mean, 0.0)
    return est * (sizes - 1) / (n - 1), f"sampled: mean distance from {samples} random sources (seed {seed})"


def key_players(
    graph: Any,
    *,
    measures: Sequence[str] = MEASURES,
    by: str = "betweenness",
    weighted: bool = False,
    exact_limit: int = 5000,
    samples: int = 500,
    seed: int = 0,
) -> KeyPlayers:
    """Centrality measures of every entity, in one table ranked by ``by``.

    Parameters
    ----------
    graph : CaseGraph, networkx graph or edge DataFrame
        Usually ``build_graph(ws)`` or its ``person_view()``; measured on its undirected,
        collapsed form (one tie per pair of entities).
    measures : sequence of str
        Any of :data:`MEASURES`.
    by : str
        The measure to rank by (one of ``measures``).
    weighted : bool
        False: every tie counts as one. True: betweenness and closeness use the distance
        1 / tie strength, eigenvector and PageRank the tie strength.
    exact_limit, samples, seed : int
        Betweenness and closeness are exact up to ``exact_limit`` entities, else estimated from
        ``samples`` random sources drawn with ``seed``; ``method`` says which.

    Returns
    -------
    KeyPlayers

    Examples
    --------
    >>> import pandas as pd
    >>> edges = pd.DataFrame({"source": ["a", "b", "c", "c"], "target": ["b", "c", "d", "e"],
    ...                       "weight": [1.0, 1.0, 5.0, 1.0]})
    >>> kp = key_players(edges, measures=["degree", "weighted_degree", "betweenness"])
    >>> kp.table[["rank", "id", "degree", "weighted_degree", "betweenness"]].head(2).values.tolist()
    [[1, 'c', 3, 7.0, 0.8333333333333333], [2, 'b', 2, 2.0, 0.5]]
    """
    measures = list(dict.fromkeys(measures))
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise NetintelError(f"unknown measure(s) {unknown}; choose from {', '.join(MEASURES)}")
    if by not in measures:
        raise NetintelError(f"cannot rank by {by!r}: it is not among the measures asked for ({', '.join(measures)})")
    g = as_case_graph(graph)
    ig_graph = g.to_igraph()
    n = ig_graph.vcount()
    table = node_info(g)
    method: dict[str, str] = {}
    strength_w = "weight" if weighted and ig_graph.ecount() else None
    wtext = "tie strength as weight" if strength_w else "unweighted"
    if "degree" in measures:
        table["degree"] = np.asarray(ig_graph.degree(), dtype=np.int64)
        method["degree"] = "distinct neighbours"
    if "weighted_degree" in measures:
        table["weighted_degree"] = np.asarray(
            ig_graph.strength(weights="weight" if ig_graph.ecount() else None), dtype=float)
        method["weighted_degree"] = "sum of tie strengths"
    if "betweenness" in measures:
        table["betweenness"], method["betweenness"] = _betweenness(
            ig_graph, weighted=weighted, exact_limit=exact_limit, samples=samples, seed=seed)
    if "closeness" in measures:
        table["closeness"], how = _closeness(ig_graph, weighted=weighted, exact_limit=exact_limit, samples=samples,
                                             seed=seed)
        method["closeness"] = (f"Wasserman-Faust, {how}, "
                               + ("distance = 1 / tie strength" if weighted else "unweighted"))
    if "eigenvector" in measures:
        if ig_graph.ecount():
            with warnings.catch_warnings():
                # igraph warns on graphs in pieces; the method text says what the values mean there
                warnings.simplefilter("ignore", RuntimeWarning)
                table["eigenvector"] = stable_scores(ig_graph.eigenvector_centrality(scale=True, weights=strength_w))
        else:
            table["eigenvector"] = 0.0
        method["eigenvector"] = f"scaled to max 1, {wtext}" + (
            "; near 0 outside the component with the leading eigenvector" if not ig_graph.is_connected() else "")
    if "pagerank" in measures:
        table["pagerank"] = stable_scores(ig_graph.pagerank(damping=0.85, weights=strength_w, directed=False,
                                                      implementation="arpack")) if n else np.zeros(0)
        method["pagerank"] = f"damping 0.85 (ARPACK), {wtext}"
    if "k_core" in measures:
        table["k_core"] = np.asarray(ig_graph.coreness(), dtype=np.int64)
        method["k_core"] = "coreness"
    table = _ranked(table, by)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    params = {"measures": measures, "by": by, "weighted": weighted, "exact_limit": exact_limit, "samples": samples,
              "seed": seed, "n_entities": n, "n_ties": ig_graph.ecount()}
    return KeyPlayers(table, by, weighted, method, params, g.marking)


def community_key_players(graph: Any, membership: Any, *, by: str = "betweenness", top: int = 5,
                          min_size: int = 3, weighted: bool = False, seed: int = 0) -> pd.DataFrame:
    """The key players of each network: centrality measured inside each community, not the whole case.

    Ranking the whole case puts the hubs of ordinary life (a family with many ties, a busy
    contact) above a network's own leaders; measured on each community's own ties, the broker
    of a crew ranks first in it.

    Parameters
    ----------
    graph : CaseGraph, networkx graph or edge DataFrame
        As for :func:`key_players` (usually ``build_graph(ws).person_view()``).
    membership : DataFrame or CommunityResult
        ``id, community`` (a :class:`~netintel.communities.CommunityResult` gives its ``membership``).
    by : str
        The measure to rank by inside each community (degree and weighted degree come with it).
    top : int
        Key players kept per community.
    min_size : int
        Communities with fewer members in ``graph`` are left out.

    Returns
    -------
    DataFrame
        ``community, community_rank, id, kind, label, country`` and the measures, the communities
        in the order of their smallest id, each community's players best first.

    Examples
    --------
    >>> import pandas as pd
    >>> edges = pd.DataFrame({"source": ["a", "a", "a", "x", "x", "x", "c"],
    ...                       "target": ["b", "c", "d", "y", "z", "w", "x"]})
    >>> members = pd.DataFrame({"id": list("abcdxyzw"), "community": [0, 0, 0, 0, 1, 1, 1, 1]})
    >>> community_key_players(edges, members, top=1)[["community", "community_rank", "id"]].values.tolist()
    [[0, 1, 'a'], [1, 1, 'x']]
    """
    frame = membership.membership if hasattr(membership, "membership") else membership
    g = as_case_graph(graph)
    present = set(node_info(g)["id"])
    measures = list(dict.fromkeys(["degree", "weighted_degree", by]))
    parts = []
    for community, group in frame.groupby("community", sort=True):
        ids = [i for i in group["id"].astype(str) if i in present]
        if len(ids) < min_size:
            continue
        kp = key_players(g.subgraph(ids), measures=measures, by=by, weighted=weighted, seed=seed).table.head(top)
        parts.append(kp.rename(columns={"rank": "community_rank"}).assign(community=community))
    cols = ["community", "community_rank", "id", "kind", "label", "country", *measures]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    return out[[c for c in cols if c in out]]


# ---------------------------------------------------------------------------------------------
# Sensitivity to grading
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class GradingSensitivity:
    """Key players with and without the low-graded links.

    Attributes
    ----------
    table : DataFrame
        One row per entity in the top ``top`` of either run: ``id, kind, label, rank_all,
        rank_graded, score_all, score_graded, rank_change`` (positive = moved up without the
        weak links) and ``status``: ``stays`` (top in both), ``drops out`` (falls out of the top
        without the weak links), ``enters`` (only in the top without them).
    min_grading : str
        Links graded below this were removed.
    top, by : the size of the top and the measure
    overlap : float
        Share of the top that stays (|both| / top).
    rank_correlation : float
        Spearman correlation of the two rankings over the entities in both graphs.
    links_removed : int
        How many edges the grading filter removed.
    marking : Marking
    """

    table: pd.DataFrame
    min_grading: str
    top: int
    by: str
    overlap: float
    rank_correlation: float
    links_removed: int
    marking: Marking

    @property
    def dropped(self) -> list[str]:
        """Ids of the entities that fall out of the top without the low-graded links."""
        return self.table.loc[self.table["status"] == "drops out", "id"].tolist()

    @property
    def survivors(self) -> list[str]:
        return self.table.loc[self.table["status"] == "stays", "id"].tolist()

    def __repr__(self) -> str:
        return (f"<GradingSensitivity min {self.min_grading}, top {self.top} by {self.by}: {self.overlap:.0%} stay, "
                f"drop out: {', '.join(self.dropped) or 'none'}>")

    def _repr_html_(self) -> str:
        return (f"<div><b>Key players without links graded below {html.escape(self.min_grading)}</b> — "
                f"top {self.top} by {html.escape(self.by)}: {self.overlap:.0%} stay, "
                f"rank correlation {self.rank_correlation:.2f}, {self.links_removed} links removed"
                f"<br><small>{html.escape(self.marking.banner)}</small>{self.table.to_html(index=False)}</div>")


def grading_sensitivity(
    source: Any,
    *,
    min_grading: str = "B2",
    top: int = 10,
    by: str = "betweenness",
    view: str = "entity",
    weighted: bool = False,
    seed: int = 0,
    **build_kw: Any,
) -> GradingSensitivity:
    """Rerun the key players with links graded below ``min_grading`` removed; what survives?

    Parameters
    ----------
    source : Workspace, CaseGraph or callable
        A workspace (graphs from :func:`netintel.graph.build_graph` with ``**build_kw``), a
        CaseGraph (its edges graded below ``min_grading`` dropped; nodes kept), or a callable
        ``builder(min_grading=None | str)`` returning a graph.
    min_grading : str
        Admiralty code; a link stays when graded at least this well on both axes.
    top : int
        Size of the top compared.
    by : str
        The measure (one of :data:`MEASURES`).
    view : "entity" or "person"
        Rank entities of the full graph, or persons of its person view.
    weighted, seed
        As :func:`key_players`.

    Examples
    --------
    A path a-b-c-d-e whose c-d link is graded E5; by degree (ties by id), c falls from 2nd to 3rd:

    >>> import pandas as pd
    >>> edges = pd.DataFrame({"source": list("abcd"), "target": list("bcde"),
    ...                       "grading": ["A1", "A1", "E5", "A1"]})
    >>> s = grading_sensitivity(CaseGraph.from_frames(edges), min_grading="B2", top=2, by="degree")
    >>> s.table[["id", "rank_all", "rank_graded", "status"]].values.tolist()
    [['b', 1, 1, 'stays'], ['c', 2, 3, 'drops out'], ['a', 4, 2, 'enters']]
    >>> s.links_removed
    1
    """
    from ..graph import build_graph
    from ..grading import at_least

    if isinstance(source, CaseGraph):
        full = source
        keep = [isinstance(c, str) and len(c) == 2 and at_least(c, min_grading) for c in full.edges["grading"]]
        graded = full.edge_subgraph(np.asarray(keep, dtype=bool))
    elif callable(source) and not hasattr(source, "entities"):
        full, graded = as_case_graph(source(min_grading=None)), as_case_graph(source(min_grading=min_grading))
    else:
        full = build_graph(source, **build_kw)
        graded = build_graph(source, min_grading=min_grading, **build_kw)
    if view == "person":
        full, graded = full.person_view(), graded.person_view()
    elif view != "entity":
        raise NetintelError(f"view must be 'entity' or 'person', not {view!r}")
    a = key_players(full, measures=[by], by=by, weighted=weighted, seed=seed).table
    b = key_players(graded, measures=[by], by=by, weighted=weighted, seed=seed).table
    merged = a[["id", "kind", "label", "rank", by]].merge(
        b[["id", "rank", by]], on="id", how="outer", suffixes=("_all", "_graded"))
    merged = merged.rename(columns={f"{by}_all": "score_all", f"{by}_graded": "score_graded"})
    in_a = merged["rank_all"] <= top
    in_b = merged["rank_graded"] <= top
    sel = merged[in_a | in_b].copy()
    sel["status"] = np.where(in_a[sel.index] & in_b[sel.index], "stays",
                             np.where(in_a[sel.index], "drops out", "enters"))
    sel["rank_change"] = sel["rank_all"] - sel["rank_graded"]
    for c in ("rank_all", "rank_graded", "rank_change"):
        sel[c] = sel[c].astype("Int64")
    sel = sel.sort_values(["rank_all", "rank_graded", "id"], kind="stable", na_position="last").reset_index(drop=True)
    both = merged.dropna(subset=["rank_all", "rank_graded"])
    rho = float(both["rank_all"].corr(both["rank_graded"], method="spearman")) if len(both) > 2 else float("nan")
    overlap = float((in_a & in_b).sum()) / top if top else math.nan
    cols = ["id", "kind", "label", "rank_all", "rank_graded", "rank_change", "score_all", "score_graded", "status"]
    return GradingSensitivity(sel[cols], min_grading, top, by, overlap, rho,
                              int(len(full.edges) - len(graded.edges)), full.marking)
