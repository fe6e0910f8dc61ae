"""Key players against networkx computed on the same graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from netintel import NetintelError
from netintel.analysis import grading_sensitivity, key_players
from netintel.analysis.centrality import betweenness
from netintel.graph import CaseGraph


def _weighted_karate() -> nx.Graph:
    g = nx.karate_club_graph()  # ships with networkx; 'weight' = number of interactions (1-7)
    for u, v, d in g.edges(data=True):
        # strengths 1, 2, 4: distances 1, 0.5, 0.25 add up exactly in floating point, so equal
        # path lengths tie in networkx (exact comparison) as in igraph (epsilon comparison)
        d["weight"] = float(2 ** ((d["weight"] - 1) % 3))
        d["distance"] = 1.0 / d["weight"]
    return g


def _case(g: nx.Graph) -> CaseGraph:
    edges = pd.DataFrame([(str(u), str(v), float(d.get("weight", 1.0))) for u, v, d in g.edges(data=True)],
                         columns=["source", "target", "weight"])
    return CaseGraph.from_frames(edges, pd.DataFrame({"id": [str(n) for n in g.nodes]}))


def _by_id(kp, col):
    return kp.table.set_index("id")[col]


@pytest.mark.parametrize("weighted", [False, True])
def test_measures_equal_networkx(weighted):
    ref = _weighted_karate()
    ref.add_edges_from([(100, 101, {"weight": 2.0, "distance": 0.5}), (101, 102, {"weight": 1.0, "distance": 1.0})])
    kp = key_players(_case(ref), weighted=weighted)
    assert kp.method["betweenness"].startswith("exact")
    dist = "distance" if weighted else None
    strength = "weight" if weighted else None
    expected = {
        "degree": dict(ref.degree()),
        "weighted_degree": dict(ref.degree(weight="weight")),
        "betweenness": nx.betweenness_centrality(ref, weight=dist),
        "closeness": nx.closeness_centrality(ref, distance=dist),
        "pagerank": nx.pagerank(ref, weight=strength, tol=1e-12, max_iter=10_000),
        "k_core": nx.core_number(ref),
    }
    for measure, values in expected.items():
        got = _by_id(kp, measure)
        for node, value in values.items():
            assert got[str(node)] == pytest.approx(value, abs=1e-6), (measure, node)
    # eigenvector: on the connected karate club, scaled to max 1
    kc = key_players(_case(_weighted_karate()), weighted=weighted, measures=["eigenvector"], by="eigenvector")
    ev = nx.eigenvector_centrality_numpy(_weighted_karate(), weight=strength)
    top = max(ev.values())
    for node, value in ev.items():
        assert _by_id(kc, "eigenvector")[str(node)] == pytest.approx(value / top, abs=1e-6)


def test_table_is_ranked_and_carries_method_and_marking():
    edges = pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "c", "d"], "handling": ["TLP:GREEN"] * 2 + ["H2"],
                          "releasable_to": [("*",), ("*",), ("NL", "BE")]})
    kp = key_players(CaseGraph.from_frames(edges))
    assert kp.table["id"].tolist()[:2] == ["b", "c"]  # equal betweenness: ties by id
    assert kp.table["rank"].tolist() == [1, 2, 3, 4]
    assert kp.marking.handling == "H2" and kp.marking.releasable_to == ("BE", "NL")
    assert list(kp.top(2, by="degree")["id"]) == ["b", "c"]
    assert "Key players" in kp._repr_html_()
    with pytest.raises(NetintelError):
        key_players(CaseGraph.from_frames(edges), measures=["degree"], by="betweenness")
    with pytest.raises(NetintelError):
        key_players(CaseGraph.from_frames(edges), measures=["fame"])


def test_sampled_betweenness_is_stated_seeded_and_close_to_exact():
    ref = nx.connected_watts_strogatz_graph(250, 6, 0.1, seed=3)
    g = _case(ref)
    exact = nx.betweenness_centrality(ref)
    est, how = betweenness(g, exact_limit=100, samples=150, seed=5)
    assert how.startswith("sampled: 150 random source entities of 250 (seed 5)")
    again, _ = betweenness(g, exact_limit=100, samples=150, seed=5)
    assert est.equals(again)
    truth = pd.Series({str(k): v for k, v in exact.items()})
    assert est.corr(truth[est.index], method="spearman") > 0.9
    assert abs(est.sum() - truth.sum()) / truth.sum() < 0.1
    # closeness: the same sampled sources estimate each entity's mean distance
    kp = key_players(g, measures=["closeness"], by="closeness", exact_limit=100, samples=150, seed=5)
    assert kp.method["closeness"].startswith("Wasserman-Faust, sampled")
    ref_close = pd.Series({str(k): v for k, v in nx.closeness_centrality(ref).items()})
    got_close = kp.table.set_index("id")["closeness"]
    assert (abs(got_close[ref_close.index] - ref_close) / ref_close).max() < 0.05
    # sampling every source is exact
    full, how_full = betweenness(g, exact_limit=100, samples=250)
    assert how_full.startswith("exact")
    assert np.allclose(full[truth.index].to_numpy(), truth.to_numpy())


def test_grading_sensitivity_names_who_drops_out():
    # Two stars (hubs h1 and h2, four leaves each) joined through x; the x-h2 link is graded E5.
    rows = [("h1", f"l{i}", "A1") for i in range(4)] + [("h2", f"m{i}", "A1") for i in range(4)]
    rows += [("h1", "x", "B2"), ("x", "h2", "E5")]
    edges = pd.DataFrame(rows, columns=["source", "target", "grading"])
    s = grading_sensitivity(CaseGraph.from_frames(edges), min_grading="B2", top=3, by="betweenness")
    # With every link: h1 and h2 lie on 30 shortest paths each (6 among their leaves, 24 to the
    # other side), x on 25 (5 x 5 between the sides): h1, h2, x. Without x-h2, x is a leaf of h1
    # (betweenness 0): it drops out and l0 (first of the zeros by id) enters.
    table = s.table.set_index("id")
    assert table.loc["x", "status"] == "drops out"
    assert table.loc["h1", "status"] == "stays" and table.loc["h2", "status"] == "stays"
    assert s.dropped == ["x"] and s.links_removed == 1
    assert s.overlap == pytest.approx(2 / 3)
    assert table.loc["x", "rank_all"] == 3
    assert table.loc["l0", "status"] == "enters" and table.loc["h1", "score_all"] == pytest.approx(30 / 45)  # pairs of the other 10: 45


def test_grading_sensitivity_on_a_workspace_builder():
    full = nx.path_graph(5)
    def builder(min_grading=None):
        g = full.copy()
        if min_grading:
            g.remove_edge(2, 3)
        return g
    s = grading_sensitivity(builder, top=1, by="degree")
    assert s.links_removed == 1 and s.table["id"].tolist()[0] == "1"


def test_key_players_per_network_put_the_planted_leaders_first():
    """On the sample case the whole-case ranking puts ordinary hubs first (the planted leaders
    rank 30 and lower); measured inside each network, every planted leader is in its network's
    top 3, and at least two of each such top 3 are planted members of that network."""
    from pathlib import Path

    from netintel import Workspace
    from netintel.analysis import community_key_players
    from netintel.communities import detect_communities
    from netintel.graph import build_graph
    from netintel.ingest import ingest
    from netintel.resolve import resolve
    from netintel.synth.truth import entity_truth, load_truth

    sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    ws = Workspace()
    ingest(ws, sample, progress=False)
    resolve(ws, seed=7)
    graph = build_graph(ws)
    comms = detect_communities(graph, seed=7)
    truth = entity_truth(ws.entities(), load_truth(sample))
    resolved = dict(zip(ws.resolved_ids()["entity_id"], ws.resolved_ids()["resolved_id"]))
    truth = truth.assign(id=truth["entity_id"].map(resolved))
    planted = truth[truth["community"] != ""].drop_duplicates("id").set_index("id")
    players = community_key_players(graph.person_view(), comms, top=3, seed=7)
    leaders = planted[planted["role"] == "leader"].index
    assert len(leaders) >= 4 and set(leaders) <= set(players["id"])
    big = players.groupby("community")["id"].transform(lambda s: s.isin(planted.index).mean())
    assert (players.loc[players["id"].isin(leaders), "community_rank"] <= 3).all()
    with_leader = set(players.loc[players["id"].isin(leaders), "community"])
    assert (big[players["community"].isin(with_leader)] >= 2 / 3).all()
    ws.close()
