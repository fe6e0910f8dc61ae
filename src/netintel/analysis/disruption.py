"""Disruption: which arrests would break the network apart?

:func:`simulate_disruption` removes entities one at a time, as the criminology literature on
network disruption does (e.g. Duijn, Kashirin & Sloot 2014; Bright, Greenhill, Britz, Ritter &
Morselli 2017), and after each removal measures what is left of the network:

* the **largest connected component** (LCC): its size, and its size as a fraction of the
  original LCC (``lcc_fraction``);
* **global efficiency** (Latora & Marchiori 2001): the mean of 1 / distance over all ordered pairs
  of the remaining entities (networkx's ``global_efficiency``), and as a fraction of the
  original.

Strategies rank the entities to remove by ``betweenness``, ``degree``, ``pagerank`` or
``collective_influence`` (CI at radius l, Morone & Makse 2015: ``(k_i - 1) x`` the sum of
``k_j - 1`` over the entities j at exactly l hops). Modes:

* ``sequential``: the scores are recomputed on what is left after every removal (the adaptive
  attack; the "recalculated" strategy of the literature);
* ``block``: one ranking of the intact network, removed in that order.

Determinism: the entity removed is the one with the highest score, scores compared after
rounding to 10 decimals (so that two entities whose scores differ only by floating-point noise
count as tied), ties broken by the **smallest resolved id** (string order). The networkx
reference computed the same way (``betweenness_centrality``, remove, ``connected_components``,
``global_efficiency``) gives the same removals and the same curves; the tests check it.

Weights. Unweighted by default, as the literature computes it. ``weighted=True``: betweenness
and global efficiency walk the **distance 1 / tie strength**; degree becomes the sum of tie
strengths and PageRank uses the **strength**; collective influence stays unweighted (it is
defined on degrees).

Betweenness is exact up to ``exact_limit`` entities and sampled above (as
:func:`netintel.analysis.centrality.betweenness`); so is global efficiency (``samples`` source
entities); ``method`` says which.

Examples
--------
Two triangles joined through one broker, ``m``; once ``m`` is gone every score is 0 and the
smallest id goes next:

>>> import networkx as nx
>>> g = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("c", "m"), ("m", "d"), ("d", "e"), ("e", "f"), ("d", "f")])
>>> res = simulate_disruption(g, strategy="betweenness", steps=2)
>>> res.steps[["step", "removed", "lcc_size", "lcc_fraction"]].values.tolist()
[[0, None, 7, 1.0], [1, 'm', 3, 0.42857142857142855], [2, 'a', 3, 0.42857142857142855]]
"""

from __future__ import annotations

import html
import inspect
import multiprocessing
import os
import random
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import NetintelError
from ..graph import CaseGraph
from ..handling import Marking
from ._graphs import as_case_graph
from .centrality import STABLE_DECIMALS, stable_scores

__all__ = ["STRATEGIES", "MODES", "DisruptionResult", "simulate_disruption", "DisruptionComparison",
           "compare_strategies", "collective_influence", "global_efficiency", "network_state"]

#: Ranking strategies.
STRATEGIES: tuple[str, ...] = ("betweenness", "degree", "pagerank", "collective_influence")
#: Removal modes.
MODES: tuple[str, ...] = ("sequential", "block")


def collective_influence(ig_graph, *, radius: int = 2) -> np.ndarray:
    """Collective influence CI_l of every vertex of an igraph graph (Morone & Makse 2015).

    ``CI_l(i) = (k_i - 1) * sum over j at exactly l hops of (k_j - 1)``, degrees unweighted.

    >>> import igraph as ig
    >>> collective_influence(ig.Graph.Star(5), radius=1).tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0]

    Vertex 1 has degree 3 and one vertex at exactly two hops (3, degree 3): CI = 2 x 2.

    >>> collective_influence(ig.Graph([(0, 1), (1, 2), (2, 3), (3, 4), (1, 5), (3, 6)]), radius=2).tolist()
    [0.0, 4.0, 0.0, 4.0, 0.0, 0.0, 0.0]
    """
    deg = np.asarray(ig_graph.degree(), dtype=float)
    km1 = np.maximum(deg - 1.0, 0.0)
    if radius <= 0:
        return km1
    frontier = ig_graph.neighborhood(order=radius, mindist=radius)
    sums = np.fromiter((km1[f].sum() if len(f) else 0.0 for f in frontier), float, len(frontier))
    return km1 * sums


def global_efficiency(ig_graph, *, weights: str | None = None, samples: int | None = None,
                      seed: int = 0) -> float:
    """Global efficiency of an igraph graph: mean of 1 / d(i, j) over ordered pairs i != j.

    The same as networkx's ``global_efficiency`` (unweighted). ``weights`` names an edge
    attribute read as a **distance** (netintel graphs carry ``distance`` = 1 / tie strength).
    With ``samples``, averaged over that many random source vertices (seeded).

    >>> import igraph as ig
    >>> round(global_efficiency(ig.Graph([(0, 1), (1, 2)])), 6)  # (1 + 1 + 1/2) * 2 / 6
    0.833333
    """
    n = ig_graph.vcount()
    if n < 2:
        return 0.0
    if samples is not None and samples < n:
        sources = sorted(random.Random(seed).sample(range(n), samples))
    else:
        sources = list(range(n))
    if len(sources) < n:
        # sampled: each source's sum of 1 / distance is its (unnormalised) harmonic centrality,
        # searched in C without a row of distances per source coming back to Python (4x faster
        # on a 9k-person view than distances(); equal to 1e-13)
        harmonic = ig_graph.harmonic_centrality(vertices=sources, weights=weights, normalized=False)
        return float(np.sum(np.asarray(harmonic, dtype=float))) / (len(sources) * (n - 1))
    total = 0.0
    chunk = max(1, 2_000_000 // max(n, 1))
    for i in range(0, len(sources), chunk):
        d = np.asarray(ig_graph.distances(source=sources[i:i + chunk], weights=weights), dtype=float)
        with np.errstate(divide="ignore"):
            inv = np.where((d > 0) & np.isfinite(d), 1.0 / np.where(d > 0, d, 1.0), 0.0)
        total += float(inv.sum())
    return total / (len(sources) * (n - 1))


def _scores(ig_graph, strategy: str, *, weighted: bool, exact_limit: int, samples: int, seed: int,
            radius: int) -> np.ndarray:
    n = ig_graph.vcount()
    has_edges = ig_graph.ecount() > 0
    if strategy == "degree":
        if weighted and has_edges:
            return np.asarray(ig_graph.strength(weights="weight"), dtype=float)
        return np.asarray(ig_graph.degree(), dtype=float)
    if strategy == "betweenness":
        from .centrality import _betweenness

        values, _ = _betweenness(ig_graph, weighted=weighted, exact_limit=exact_limit, samples=samples, seed=seed)
        return values
    if strategy == "pagerank":
        if n == 0:
            return np.zeros(0)
        return stable_scores(ig_graph.pagerank(damping=0.85, weights="weight" if weighted and has_edges else None,
                                               implementation="arpack", directed=False))
    if strategy == "collective_influence":
        return collective_influence(ig_graph, radius=radius)
    raise NetintelError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")


def _order(scores: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Vertex indices, highest score first (rounded to 10 decimals), ties by smallest id."""
    rounded = np.round(np.asarray(scores, dtype=float), STABLE_DECIMALS)
    return np.lexsort((np.asarray(names, dtype=object).astype(str), -rounded))


def removal_lcc_sizes(ig_graph, removed: Sequence[str]) -> list[int]:
    """Largest component size before any removal and after each one, in one pass.

    Components only merge when vertices are added, so the removals are replayed backwards: the
    graph without every removed vertex is split once, then each removed vertex is added back
    with a union-find over its links (near-linear in the links, where recounting components after
    every removal costs one full pass per step).

    >>> import igraph as ig
    >>> g = ig.Graph([(0, 1), (1, 2), (2, 3), (3, 4)]); g.vs["name"] = list("abcde")
    >>> removal_lcc_sizes(g, ["c", "b"])
    [5, 2, 2]
    """
    names = ig_graph.vs["name"]
    index = {name: i for i, name in enumerate(names)}
    gone = [index[r] for r in removed]
    n = ig_graph.vcount()
    alive = np.ones(n, dtype=bool)
    alive[gone] = False
    rest = ig_graph.subgraph(np.flatnonzero(alive).tolist())
    parent = np.arange(n)
    size = np.zeros(n, dtype=np.int64)
    keep = np.flatnonzero(alive)
    if len(keep):
        comp = np.asarray(rest.connected_components().membership)
        roots = np.zeros(comp.max() + 1, dtype=np.int64)
        roots[comp[::-1]] = keep[::-1]  # first vertex of each component is its root
        parent[keep] = roots[comp]
        np.add.at(size, parent[keep], 1)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    best = int(size.max()) if len(keep) else 0
    out = [best]
    for v in reversed(gone):
        alive[v] = True
        size[v] = 1
        root = v
        for u in ig_graph.neighbors(v):
            if not alive[u]:
                continue
            a, b = find(root), find(u)
            if a != b:
                if size[a] < size[b]:
                    a, b = b, a
                parent[b] = a
                size[a] += size[b]
                root = a
        best = max(best, int(size[find(v)]))
        out.append(best)
    return out[::-1]


@dataclass(frozen=True, eq=False)
class DisruptionResult:
    """What is left of a network after each simulated arrest.

    Attributes
    ----------
    steps : DataFrame
        One row per step: ``step`` (0 = the intact network), ``removed`` (resolved id, None at
        step 0), ``label``, ``kind``, ``score`` (the strategy's score of the removed entity at
        the time it was chosen), ``n_remaining``, ``lcc_size``, ``lcc_fraction`` (of the
        original LCC), ``efficiency`` (global efficiency), ``efficiency_fraction``.
    strategy, mode : str
    weighted : bool
    method : str
        How the scores and efficiency were computed (exact or sampled).
    marking : Marking
        Marking of the graph simulated on.
    """

    steps: pd.DataFrame
    strategy: str
    mode: str
    weighted: bool
    method: str
    marking: Marking
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def removed(self) -> list[str]:
        """Resolved ids removed, in order."""
        return self.steps["removed"].iloc[1:].tolist()

    def removals_to(self, fraction: float = 0.5) -> int | None:
        """Removals needed to bring the LCC to ``fraction`` of its original size or below (None: not reached)."""
        hit = self.steps[self.steps["lcc_fraction"] <= fraction]
        return int(hit["step"].iloc[0]) if len(hit) else None

    def __repr__(self) -> str:
        last = self.steps.iloc[-1]
        return (f"<DisruptionResult {self.strategy} ({self.mode}): {len(self.steps) - 1} removals, "
                f"LCC {int(self.steps['lcc_size'].iloc[0])} -> {int(last['lcc_size'])}; {self.marking.banner}>")

    def _repr_html_(self) -> str:
        return (f"<div><b>Disruption</b> — {html.escape(self.strategy)}, {html.escape(self.mode)}"
                f"{', weighted' if self.weighted else ''}<br><small>{html.escape(self.marking.banner)} — "
                f"{html.escape(self.method)}</small>{self.steps.to_html(index=False)}</div>")


def simulate_disruption(
    graph: Any,
    *,
    strategy: str = "betweenness",
    mode: str = "sequential",
    steps: int | None = 20,
    weighted: bool = False,
    radius: int = 2,
    exact_limit: int = 5000,
    samples: int = 500,
    efficiency_limit: int = 1000,
    seed: int = 0,
    progress: bool = False,
    intact_efficiency: float | None = None,
) -> DisruptionResult:
    """Remove entities one at a time and measure what is left (see the module notes).

    Parameters
    ----------
    graph : CaseGraph, networkx graph or edge DataFrame
        Simulated on its undirected, collapsed form; often the person view
        (``build_graph(ws).person_view()``): arrests remove persons.
    strategy : {"betweenness", "degree", "pagerank", "collective_influence"}
    mode : {"sequential", "block"}
        Recompute the scores after every removal, or rank once and remove in that order.
    steps : int, optional
        Removals to simulate (all entities when None).
    weighted : bool
        Use tie strengths (see the module notes on weights).
    radius : int
        Collective influence radius l.
    exact_limit, samples, seed : int
        Exact betweenness up to ``exact_limit`` entities, sampled from ``samples`` seeded sources
        above.
    efficiency_limit : int
        Exact global efficiency (all pairs, at every step) up to this many entities; above it,
        efficiency is averaged over ``samples`` seeded sources, so a step costs ``samples``
        searches rather than one per entity. The result's ``method`` says which.
    progress : bool
        Show a tqdm progress bar.
    intact_efficiency : float, optional
        The intact network's efficiency computed the same way (the same ``weighted``, ``samples``,
        ``efficiency_limit`` and ``seed``), when already known: :func:`compare_strategies`
        computes it once for all its runs.

    Returns
    -------
    DisruptionResult
        Its ``method`` and ``parameters["efficiency"]`` / ``parameters["betweenness"]`` say how
        efficiency and betweenness were computed: exact, or sampled (how many sources, which seed).
    """
    _check_choice(strategy, mode)
    g = as_case_graph(graph)
    return _simulate(g.to_igraph(), g.nodes.set_index("id")[["label", "kind"]], g.marking, strategy=strategy,
                     mode=mode, steps=steps, weighted=weighted, radius=radius, exact_limit=exact_limit,
                     samples=samples, efficiency_limit=efficiency_limit, seed=seed, progress=progress,
                     intact_efficiency=intact_efficiency)


def _check_choice(strategy: str, mode: str) -> None:
    if strategy not in STRATEGIES:
        raise NetintelError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if mode not in MODES:
        raise NetintelError(f"unknown mode {mode!r}; choose 'sequential' (recompute after each removal) or 'block'")


def _simulate(ig_graph: Any, info: pd.DataFrame, marking: Marking, *, strategy: str, mode: str, steps: int | None,
              weighted: bool, radius: int, exact_limit: int, samples: int, efficiency_limit: int, seed: int,
              progress: bool, intact_efficiency: float | None) -> DisruptionResult:
    """:func:`simulate_disruption` on the graph's igraph form (``info``: label and kind by id)."""
    n0 = ig_graph.vcount()
    if n0 == 0:
        raise NetintelError("the graph is empty: nothing to disrupt (check the filters used to build it)")
    n_steps = n0 if steps is None else max(0, min(int(steps), n0))
    sampled = n0 > exact_limit
    eff_sampled = n0 > efficiency_limit and samples < n0
    eff_w = "distance" if weighted and ig_graph.ecount() else None
    eff_samples = samples if eff_sampled else None

    def efficiency(gr) -> float:
        return global_efficiency(gr, weights=eff_w, samples=eff_samples if eff_samples and eff_samples < gr.vcount()
                                 else None, seed=seed)

    eff0 = efficiency(ig_graph) if intact_efficiency is None else float(intact_efficiency)
    rows = [{"step": 0, "removed": None, "label": None, "kind": None, "score": np.nan, "n_remaining": n0,
             "lcc_size": 0, "lcc_fraction": 1.0, "efficiency": eff0, "efficiency_fraction": 1.0 if eff0 else np.nan}]
    kw = dict(weighted=weighted, exact_limit=exact_limit, samples=samples, seed=seed, radius=radius)
    current = ig_graph.copy()
    block_order: list[str] = []
    block_scores: dict[str, float] = {}
    if mode == "block":
        sc = _scores(current, strategy, **kw)
        names = current.vs["name"]
        order = _order(sc, names)
        block_order = [names[i] for i in order]
        block_scores = {names[i]: float(sc[i]) for i in order}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_steps, desc=f"{strategy} ({mode})")
    for step in range(1, n_steps + 1):
        names = current.vs["name"]
        if mode == "sequential":
            sc = _scores(current, strategy, **kw)
            i = int(_order(sc, names)[0])
            victim, score = names[i], float(sc[i])
        else:
            victim = block_order[step - 1]
            score = block_scores[victim]
            i = names.index(victim)
        current.delete_vertices([i])
        eff = efficiency(current)
        rows.append({"step": step, "removed": victim, "label": info.at[victim, "label"], "kind": info.at[victim, "kind"],
                     "score": score, "n_remaining": current.vcount(), "lcc_size": 0, "efficiency": eff,
                     "efficiency_fraction": eff / eff0 if eff0 else np.nan})
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    lccs = removal_lcc_sizes(ig_graph, [r["removed"] for r in rows[1:]])
    lcc0 = lccs[0]
    for row, lcc in zip(rows, lccs):
        row["lcc_size"] = lcc
        row["lcc_fraction"] = lcc / lcc0 if lcc0 else np.nan
    table = pd.DataFrame(rows)
    table = table[["step", "removed", "label", "kind", "score", "n_remaining", "lcc_size", "lcc_fraction",
                   "efficiency", "efficiency_fraction"]]
    for col in ("removed", "label", "kind"):
        table[col] = pd.Series([v if isinstance(v, str) else None for v in table[col]], dtype=object)
    table["step"] = table["step"].astype(int)
    table["n_remaining"] = table["n_remaining"].astype(int)
    table["lcc_size"] = table["lcc_size"].astype(int)
    how = []
    if strategy == "betweenness":
        how.append(("sampled betweenness (" + f"{samples} sources, seed {seed})") if sampled else "exact betweenness")
    how.append((f"efficiency sampled from {samples} sources (above {efficiency_limit} entities, seed {seed})")
               if eff_sampled else "exact efficiency")
    how.append("components by union-find, removals replayed backwards")
    how.append("weighted: distance = 1 / tie strength" if weighted else "unweighted")
    how.append("ties: highest score to 10 decimals, then smallest id")
    params = {"strategy": strategy, "mode": mode, "steps": n_steps, "weighted": weighted, "radius": radius,
              "exact_limit": exact_limit, "samples": samples, "efficiency_limit": efficiency_limit, "seed": seed,
              "efficiency": _method_record(eff_sampled, samples, seed, efficiency_limit)}
    if strategy == "betweenness":
        params["betweenness"] = _method_record(sampled, samples, seed, exact_limit)
    return DisruptionResult(table, strategy, mode, weighted, "; ".join(how), marking, params)


def _method_record(sampled: bool, samples: int, seed: int, limit: int) -> dict[str, Any]:
    """How a measure was computed, as the result records it: exact, or sampled (sources, seed)."""
    if sampled:
        return {"method": "sampled", "sources": samples, "seed": seed, "above": limit}
    return {"method": "exact", "up_to": limit}


@dataclass(frozen=True, eq=False)
class DisruptionComparison:
    """Several strategies and modes on the same network.

    Attributes
    ----------
    results : list of DisruptionResult
    table : DataFrame
        All steps of all runs (long form): ``strategy, mode`` and the :attr:`DisruptionResult.steps` columns.
    summary : DataFrame
        One row per run: ``strategy, mode, removals_to_half`` (removals until the LCC is at most
        half its original size; NaN if never within the steps), ``lcc_fraction_end``,
        ``efficiency_fraction_end`` (after the last step), ``robustness`` (mean LCC fraction over
        the steps, Schneider et al. 2011: lower = the strategy breaks the network faster),
        ``first_removed``; sorted by robustness.
    """

    results: list[DisruptionResult]
    table: pd.DataFrame
    summary: pd.DataFrame
    marking: Marking

    def __repr__(self) -> str:
        return f"<DisruptionComparison of {len(self.results)} runs; {self.marking.banner}>"

    def _repr_html_(self) -> str:
        return (f"<div><b>Disruption strategies compared</b><br><small>{html.escape(self.marking.banner)}</small>"
                f"{self.summary.to_html(index=False)}</div>")


def network_state(ig_graph: Any, *, weighted: bool = False, samples: int = 500, efficiency_limit: int = 1000,
                  seed: int = 0) -> tuple[int, float]:
    """(largest component's size, global efficiency) of an igraph network, measured as
    :func:`simulate_disruption` measures its intact network at step 0 with the same parameters:
    efficiency over all pairs up to ``efficiency_limit`` entities, from ``samples`` seeded sources
    above. ``(0, 0.0)`` for an empty network. The surrender plan scores each arrest with it."""
    n0 = ig_graph.vcount()
    if n0 == 0:
        return 0, 0.0
    sampled = n0 > efficiency_limit and samples < n0
    eff = global_efficiency(ig_graph, weights="distance" if weighted and ig_graph.ecount() else None,
                            samples=samples if sampled else None, seed=seed)
    return int(removal_lcc_sizes(ig_graph, [])[0]), float(eff)


def _intact_efficiency(g: CaseGraph, *, weighted: bool, samples: int = 500, efficiency_limit: int = 1000,
                       seed: int = 0, **_: Any) -> float | None:
    """The efficiency :func:`simulate_disruption` computes at step 0 (None for an empty graph)."""
    ig_graph = g.to_igraph()
    if ig_graph.vcount() == 0:
        return None
    return network_state(ig_graph, weighted=weighted, samples=samples, efficiency_limit=efficiency_limit,
                         seed=seed)[1]


def compare_strategies(
    graph: Any,
    *,
    strategies: Iterable[str] = STRATEGIES,
    modes: Iterable[str] = MODES,
    steps: int | None = 20,
    weighted: bool = False,
    jobs: int | None = None,
    **kw: Any,
) -> DisruptionComparison:
    """Run :func:`simulate_disruption` for every strategy and mode and compare them.

    The runs are independent: ``jobs`` worker processes share them (None: one per core for a
    network of more than :data:`PARALLEL_ABOVE` entities, where each run takes seconds; in
    this process below it, and wherever processes cannot be forked). Every run is seeded, so
    the results are the same whatever the number of jobs.

    Examples
    --------
    Two 4-cliques joined through node 4: betweenness takes the bridge first, degree a clique member.

    >>> import networkx as nx
    >>> cmp = compare_strategies(nx.barbell_graph(4, 1), strategies=["betweenness", "degree"],
    ...                          modes=["sequential"], steps=2)
    >>> cmp.summary[["strategy", "removals_to_half", "first_removed"]].values.tolist()
    [['betweenness', 1, '4'], ['degree', 2, '3']]
    """
    g = as_case_graph(graph)
    runs = [(s, m) for s in strategies for m in modes]
    for s, m in runs:
        _check_choice(s, m)
    if runs and "intact_efficiency" not in kw:
        # the intact network is the same for every run: its efficiency (all pairs, or the sampled
        # sources) is computed once, not once per strategy and mode
        kw["intact_efficiency"] = _intact_efficiency(g, weighted=weighted, **kw)
    ig_graph = g.to_igraph()  # converted once for every run
    info = g.nodes.set_index("id")[["label", "kind"]]
    params = {**_SIMULATE_DEFAULTS, **kw, "steps": steps, "weighted": weighted}
    calls = [(ig_graph, info, g.marking, {**params, "strategy": s, "mode": m}) for s, m in runs]
    results = _run_all(calls, _jobs(jobs, ig_graph.vcount(), len(runs)))
    frames = []
    summary = []
    for r in results:
        frames.append(r.steps.assign(strategy=r.strategy, mode=r.mode))
        after = r.steps.iloc[1:]
        half = r.removals_to(0.5)
        summary.append({"strategy": r.strategy, "mode": r.mode,
                        "removals_to_half": half if half is not None else pd.NA,
                        "lcc_fraction_end": float(r.steps["lcc_fraction"].iloc[-1]),
                        "efficiency_fraction_end": float(r.steps["efficiency_fraction"].iloc[-1]),
                        "robustness": float(after["lcc_fraction"].mean()) if len(after) else 1.0,
                        "first_removed": r.removed[0] if r.removed else None})
    table = pd.concat(frames, ignore_index=True)
    table = table[["strategy", "mode"] + [c for c in table.columns if c not in ("strategy", "mode")]]
    summary = pd.DataFrame(summary)
    summary["removals_to_half"] = summary["removals_to_half"].astype("Int64")
    summary = summary.sort_values(["robustness", "strategy", "mode"], kind="stable").reset_index(drop=True)
    return DisruptionComparison(results, table, summary, g.marking)


#: Entities above which :func:`compare_strategies` shares its runs between worker processes by
#: default (the sampled measures start at 5,000: a run then takes seconds, a worker's start 0.1 s).
PARALLEL_ABOVE = 5000

#: simulate_disruption's own defaults for what compare_strategies and the surrender plan do not set.
_SIMULATE_DEFAULTS = {name: p.default for name, p in inspect.signature(simulate_disruption).parameters.items()
                      if p.kind is p.KEYWORD_ONLY and name not in ("strategy", "mode", "steps", "weighted")}


def _jobs(jobs: int | None, n: int, n_runs: int) -> int:
    if jobs is None:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        jobs = jobs if n > PARALLEL_ABOVE else 1
    if int(jobs) < 1:
        raise NetintelError(f"jobs must be at least 1, not {jobs}")
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1  # a spawned worker would re-run the caller's script: run here instead
    return max(1, min(int(jobs), n_runs))


def _run_one(call: tuple[Any, pd.DataFrame, Marking, dict[str, Any]]) -> DisruptionResult:
    ig_graph, info, marking, params = call
    return _simulate(ig_graph, info, marking, **params)


def _run_all(calls: list[tuple[Any, pd.DataFrame, Marking, dict[str, Any]]], jobs: int) -> list[DisruptionResult]:
    """The runs in order, in this process or shared between ``jobs`` forked workers (a fork
    starts at once and inherits the loaded modules; the workers touch only igraph and pandas)."""
    if jobs <= 1 or len(calls) <= 1:
        return [_run_one(c) for c in calls]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_run_one, calls))
