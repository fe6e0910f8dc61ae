"""Disruption curves against a reference computed with plain networkx the same way."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from netintel import NetintelError
from netintel.analysis import collective_influence, compare_strategies, global_efficiency, simulate_disruption
from netintel.graph import CaseGraph
from netintel.viz import plot_disruption


def _pick(scores: dict) -> str:
    # the documented rule: highest score (to 10 decimals), ties by smallest id (string order)
    return min(scores, key=lambda n: (-round(scores[n], 10), str(n)))


def _reference(g: nx.Graph, strategy, mode: str, steps: int, weight=None) -> pd.DataFrame:
    """Plain networkx: rank, remove, connected_components, global_efficiency."""
    def score(h):
        if strategy == "betweenness":
            return nx.betweenness_centrality(h, weight=weight)
        if strategy == "degree":
            return dict(h.degree())
        return strategy(h)
    h = nx.relabel_nodes(g, str)
    lcc0 = max(len(c) for c in nx.connected_components(h))
    rows = []
    order = []
    if mode == "block":
        s = score(h)
        order = sorted(s, key=lambda n: (-round(s[n], 10), str(n)))
    for step in range(steps):
        victim = _pick(score(h)) if mode == "sequential" else order[step]
        h.remove_node(victim)
        lcc = max((len(c) for c in nx.connected_components(h)), default=0)
        rows.append((victim, lcc, lcc / lcc0, nx.global_efficiency(h)))
    return pd.DataFrame(rows, columns=["removed", "lcc_size", "lcc_fraction", "efficiency"])


def _ci_reference(radius):
    def score(h):
        out = {}
        for i in h:
            ball = nx.single_source_shortest_path_length(h, i, cutoff=radius)
            out[i] = (h.degree(i) - 1) * sum(h.degree(j) - 1 for j, d in ball.items() if d == radius) \
                if h.degree(i) > 0 else 0
        return {k: float(max(v, 0)) for k, v in out.items()}
    return score


GRAPHS = {
    "karate": nx.karate_club_graph(),
    "caveman": nx.relaxed_caveman_graph(6, 5, 0.15, seed=2),  # many tied scores
    "tree": nx.balanced_tree(2, 4),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("mode", ["sequential", "block"])
@pytest.mark.parametrize("strategy", ["betweenness", "degree"])
def test_curve_equals_networkx_reference(name, mode, strategy):
    g = nx.Graph(GRAPHS[name].edges())
    ref = _reference(g, strategy, mode, steps=8)
    got = simulate_disruption(g, strategy=strategy, mode=mode, steps=8).steps.iloc[1:].reset_index(drop=True)
    assert got["removed"].tolist() == ref["removed"].tolist()
    assert got["lcc_size"].tolist() == ref["lcc_size"].tolist()
    assert np.allclose(got["lcc_fraction"], ref["lcc_fraction"])
    assert np.allclose(got["efficiency"], ref["efficiency"], atol=1e-12)


def test_collective_influence_equals_hand_coded_reference():
    g = nx.Graph(nx.karate_club_graph().edges())
    ref = _reference(g, _ci_reference(2), "sequential", steps=6)
    got = simulate_disruption(g, strategy="collective_influence", radius=2, steps=6).steps.iloc[1:]
    assert got["removed"].tolist() == ref["removed"].tolist()
    assert got["lcc_size"].tolist() == ref["lcc_size"].tolist()


def test_weighted_uses_distance_one_over_strength():
    # A 6-cycle whose a-b tie is very strong: weighted betweenness routes through a-b.
    g = nx.cycle_graph(["a", "b", "c", "d", "e", "f"])
    nx.set_edge_attributes(g, 1.0, "weight")
    g["a"]["b"]["weight"] = 10.0
    for u, v, d in g.edges(data=True):
        d["distance"] = 1.0 / d["weight"]
    edges = pd.DataFrame([(u, v, d["weight"]) for u, v, d in g.edges(data=True)], columns=["source", "target", "weight"])
    cg = CaseGraph.from_frames(edges)
    ref = _reference(g, "betweenness", "sequential", steps=3, weight="distance")
    got = simulate_disruption(cg, strategy="betweenness", steps=3, weighted=True).steps.iloc[1:]
    assert got["removed"].tolist() == ref["removed"].tolist()
    # weighted efficiency: mean of 1 / (sum of 1/strength along the shortest path)
    lengths = dict(nx.all_pairs_dijkstra_path_length(g, weight="distance"))
    n = len(g)
    expected = sum(1 / d for u in lengths for v, d in lengths[u].items() if u != v) / (n * (n - 1))
    assert global_efficiency(cg.to_igraph(), weights="distance") == pytest.approx(expected)
    assert simulate_disruption(cg, steps=0, weighted=True).steps["efficiency"].iloc[0] == pytest.approx(expected)


def test_collective_influence_radius_and_efficiency_sampling():
    import igraph as ig

    star = ig.Graph.Star(6)
    assert collective_influence(star, radius=1).tolist() == [0.0] * 6
    assert collective_influence(star, radius=0).tolist() == [4.0] + [0.0] * 5
    big = ig.Graph.Lattice([20, 20], circular=False)
    exact = global_efficiency(big)
    assert exact == pytest.approx(nx.global_efficiency(nx.grid_2d_graph(20, 20)))
    est = global_efficiency(big, samples=100, seed=1)
    assert est == global_efficiency(big, samples=100, seed=1)
    assert abs(est - exact) / exact < 0.05


def test_compare_strategies_table_summary_and_chart():
    g = nx.relaxed_caveman_graph(5, 6, 0.1, seed=4)
    cmp = compare_strategies(g, steps=5)
    assert len(cmp.results) == 8
    assert set(cmp.summary["strategy"]) == {"betweenness", "degree", "pagerank", "collective_influence"}
    assert len(cmp.table) == 8 * 6
    assert cmp.summary["robustness"].is_monotonic_increasing
    fig = plot_disruption(cmp)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 8


def test_bad_input():
    with pytest.raises(NetintelError):
        simulate_disruption(nx.path_graph(3), strategy="luck")
    with pytest.raises(NetintelError):
        simulate_disruption(nx.path_graph(3), mode="random")
    res = simulate_disruption(nx.path_graph(3), steps=None)
    assert res.removed == ["1", "0", "2"] and res.steps["lcc_size"].tolist() == [3, 1, 1, 0]


def test_removal_lcc_sizes_match_recounting_after_every_removal():
    import random as _random

    import igraph as ig

    from netintel.analysis.disruption import removal_lcc_sizes

    g = ig.Graph.Erdos_Renyi(n=300, m=420)
    g.vs["name"] = [f"n{i}" for i in range(300)]
    removed = _random.Random(2).sample(g.vs["name"], 60)
    expected, h = [], g.copy()
    for victim in [None] + removed:
        if victim is not None:
            h.delete_vertices([h.vs["name"].index(victim)])
        expected.append(max(h.connected_components().sizes()) if h.vcount() else 0)
    assert removal_lcc_sizes(g, removed) == expected


def test_efficiency_is_sampled_above_its_limit_and_says_so():
    import networkx as nx

    from netintel.analysis.disruption import simulate_disruption

    g = nx.connected_watts_strogatz_graph(300, 6, 0.1, seed=1)
    exact = simulate_disruption(g, strategy="degree", steps=3)
    sampled = simulate_disruption(g, strategy="degree", steps=3, efficiency_limit=100, samples=50)
    assert "exact efficiency" in exact.method and "efficiency sampled from 50 sources" in sampled.method
    assert list(exact.steps["lcc_size"]) == list(sampled.steps["lcc_size"])
    # a 50-source estimate of efficiency stays close to the exact all-pairs figure
    assert abs(sampled.steps["efficiency"] - exact.steps["efficiency"]).max() < 0.02


@pytest.mark.parametrize("limit", [1000, 100], ids=["exact", "sampled"])
def test_network_state_is_what_the_simulation_measures_at_step_0(limit):
    from netintel.analysis.disruption import network_state

    # two pieces: the largest component is not the whole network
    g = nx.disjoint_union(nx.connected_watts_strogatz_graph(300, 6, 0.1, seed=1), nx.path_graph(20))
    step0 = simulate_disruption(g, strategy="degree", steps=0, efficiency_limit=limit, samples=50, seed=3).steps.iloc[0]
    lcc, eff = network_state(CaseGraph.from_networkx(g).to_igraph(), efficiency_limit=limit, samples=50, seed=3)
    assert (lcc, eff) == (300, step0["efficiency"]) and step0["lcc_size"] == 300
    empty = CaseGraph.from_networkx(g).to_igraph()
    empty.delete_vertices(range(empty.vcount()))
    assert network_state(empty) == (0, 0.0)


def test_the_result_records_which_method_efficiency_and_betweenness_used():
    g = nx.connected_watts_strogatz_graph(300, 6, 0.1, seed=1)
    exact = simulate_disruption(g, strategy="betweenness", steps=2)
    sampled = simulate_disruption(g, strategy="betweenness", steps=2, efficiency_limit=100, exact_limit=100,
                                  samples=50, seed=7)
    assert exact.parameters["efficiency"] == {"method": "exact", "up_to": 1000}
    assert exact.parameters["betweenness"] == {"method": "exact", "up_to": 5000}
    assert sampled.parameters["efficiency"] == {"method": "sampled", "sources": 50, "seed": 7, "above": 100}
    assert sampled.parameters["betweenness"] == {"method": "sampled", "sources": 50, "seed": 7, "above": 100}
    assert "efficiency sampled from 50 sources (above 100 entities, seed 7)" in sampled.method
    assert "sampled betweenness (50 sources, seed 7)" in sampled.method


def test_efficiency_matches_networkx_on_a_graph_in_pieces():
    import igraph as ig

    # three components and an isolated vertex: unreachable pairs count 0, as in networkx
    g = nx.disjoint_union_all([nx.gnm_random_graph(40, 90, seed=3), nx.path_graph(7), nx.star_graph(5),
                               nx.empty_graph(1)])
    h = ig.Graph(g.number_of_nodes(), list(g.edges()))
    assert global_efficiency(h) == pytest.approx(nx.global_efficiency(g), abs=1e-12)


def test_compare_strategies_computes_the_intact_efficiency_once(monkeypatch):
    import netintel.analysis.disruption as disruption

    g = nx.connected_watts_strogatz_graph(120, 6, 0.1, seed=2)
    calls = []
    real = disruption.global_efficiency

    def counting(graph, **kw):
        calls.append(graph.vcount())
        return real(graph, **kw)

    monkeypatch.setattr(disruption, "global_efficiency", counting)
    cmp = compare_strategies(g, strategies=["betweenness", "degree"], steps=3)
    assert calls.count(120) == 1  # once for the four runs, not once per run
    assert len(calls) == 1 + 4 * 3
    monkeypatch.setattr(disruption, "global_efficiency", real)
    for r in cmp.results:  # the same curves as each run on its own
        alone = simulate_disruption(g, strategy=r.strategy, mode=r.mode, steps=3)
        pd.testing.assert_frame_equal(r.steps, alone.steps)


def test_sampled_efficiency_is_the_mean_over_the_sampled_sources_as_networkx_computes_it():
    import random

    import igraph as ig

    g = nx.connected_watts_strogatz_graph(200, 4, 0.2, seed=5)
    h = ig.Graph(200, list(g.edges()))
    for u, v in g.edges():
        g[u][v]["distance"] = 1.0 + (u * v) % 3
    h.es["distance"] = [g[u][v]["distance"] for u, v in h.get_edgelist()]
    sources = sorted(random.Random(4).sample(range(200), 30))
    for weights in (None, "distance"):
        lengths = [nx.single_source_dijkstra_path_length(g, s, weight=weights or (lambda *_: 1)) for s in sources]
        expected = sum(1 / d for row in lengths for d in row.values() if d > 0) / (30 * 199)
        assert global_efficiency(h, samples=30, seed=4, weights=weights) == pytest.approx(expected, rel=1e-12)


def test_runs_shared_between_worker_processes_give_the_same_comparison():
    """Seeded runs: forked workers give exactly the in-process tables, in the same order."""
    g = nx.relabel_nodes(nx.connected_watts_strogatz_graph(1500, 6, 0.1, seed=4), lambda n: f"p{n:04d}")
    kw = dict(steps=4, seed=3, efficiency_limit=200, exact_limit=300, samples=60)
    here = compare_strategies(g, jobs=1, **kw)
    shared = compare_strategies(g, jobs=3, **kw)
    pd.testing.assert_frame_equal(here.table, shared.table)
    pd.testing.assert_frame_equal(here.summary, shared.summary)
    assert [r.method for r in here.results] == [r.method for r in shared.results]
    assert "sampled betweenness" in here.results[0].method  # the sampled paths ran in the workers
    with pytest.raises(NetintelError, match="jobs must be at least 1"):
        compare_strategies(g, jobs=0, **kw)
