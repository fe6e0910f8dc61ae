"""Communities: truth from generators and hand-worked graphs, references from networkx."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import igraph as ig
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis_profiles import examples

from netintel.communities import (LEIDEN_MAX_ITERATIONS, CommunityResult, community_sensitivity,
                                  detect_communities, edge_table, leiden, quality_table)
from netintel.errors import NetintelError


def _truth(g: nx.Graph) -> dict[str, int]:
    return {str(n): d["block"] for n, d in g.nodes(data=True)}


@pytest.fixture(scope="module")
def planted() -> nx.Graph:
    # 8 groups of 25, p_in 0.3, p_out 0.01: about 700 links inside, 190 between
    return nx.planted_partition_graph(8, 25, 0.3, 0.01, seed=11)


@pytest.mark.parametrize("method", ["leiden", "louvain"])
def test_planted_partition_recovered(planted, method):
    res = detect_communities(planted, method=method, seed=3)
    assert res.nmi(_truth(planted)) >= 0.95
    assert res.n_communities == 8


def test_same_seed_same_result_and_numbering(planted):
    a = detect_communities(planted, seed=5, n_runs=3)
    b = detect_communities(planted, seed=5, n_runs=3)
    pd.testing.assert_frame_equal(a.membership, b.membership)
    assert a.input_hash == b.input_hash and a.modularity == b.modularity
    # edge order does not matter: the graph is read by id
    shuffled = nx.Graph()
    edges = list(planted.edges())
    np.random.default_rng(0).shuffle(edges)
    shuffled.add_nodes_from(sorted(planted.nodes(), reverse=True))
    shuffled.add_edges_from(edges)
    c = detect_communities(shuffled, seed=5, n_runs=3)
    pd.testing.assert_frame_equal(a.membership, c.membership)
    assert a.input_hash == c.input_hash


def test_community_ids_by_size_then_smallest_member():
    # a 4-clique, a 3-clique and another 3-clique joined in a chain
    g = nx.Graph()
    g.add_edges_from(nx.complete_graph(["x1", "x2", "x3", "x4"]).edges())
    g.add_edges_from(nx.complete_graph(["b1", "b2", "b3"]).edges())
    g.add_edges_from(nx.complete_graph(["a1", "a2", "a3"]).edges())
    g.add_edges_from([("x1", "b1"), ("b2", "a1")])
    res = detect_communities(g, seed=0)
    got = {c: res.members(c) for c in range(res.n_communities)}
    assert got == {0: ["x1", "x2", "x3", "x4"], 1: ["a1", "a2", "a3"], 2: ["b1", "b2", "b3"]}


def test_modularity_and_conductance_match_networkx():
    g = nx.Graph()
    g.add_weighted_edges_from([("a", "b", 3), ("b", "c", 2), ("a", "c", 1), ("c", "d", 0.5),
                               ("d", "e", 4), ("e", "f", 1), ("d", "f", 2), ("f", "g", 1), ("g", "e", 1)])
    for resolution in (1.0, 0.5):
        res = detect_communities(g, seed=0, resolution=resolution)
        groups = [set(res.members(c)) for c in range(res.n_communities)]
        assert res.modularity == pytest.approx(
            nx.community.modularity(g, groups, weight="weight", resolution=resolution))
        summ = res.summary()
        assert summ["modularity_contribution"].sum() == pytest.approx(res.modularity)
        for _, row in summ.iterrows():
            members = set(res.members(row["community"]))
            if len(members) < len(g):
                assert row["conductance"] == pytest.approx(nx.conductance(g, members, weight="weight"))
    # by hand: {a,b,c} vs {d,e,f,g}: m = 15.5, L1 = 6, d1 = 12.5, L2 = 9, d2 = 18.5
    res = detect_communities(g, seed=0)
    assert [set(res.members(c)) for c in range(res.n_communities)] == [set("defg"), set("abc")]
    q = 6 / 15.5 - (12.5 / 31) ** 2 + 9 / 15.5 - (18.5 / 31) ** 2
    assert res.modularity == pytest.approx(q)
    assert res.summary().set_index("community").loc[1, "conductance"] == pytest.approx(0.5 / 12.5)


def test_unweighted_ignores_weights():
    g = nx.Graph()
    g.add_weighted_edges_from([("a", "b", 100), ("b", "c", 1), ("a", "c", 1)])
    res = detect_communities(g, weighted=False)
    assert res.modularity == pytest.approx(nx.community.modularity(g, [set("abc")], weight=None))


def test_stability_hand_worked():
    from netintel.communities import _stability

    final = np.array([0, 0, 1, 1])
    runs = [np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])]
    # node 0: run 2 puts it alone: J({0}, {0,1}) = 1/2; node 1: J({1,2,3}, {0,1}) = 1/4;
    # nodes 2, 3: J({1,2,3}, {2,3}) = 2/3
    assert _stability(final, runs).tolist() == pytest.approx([0.75, 0.625, 5 / 6, 5 / 6])


def test_consensus_stability_lower_on_noisy_graphs():
    clean = nx.planted_partition_graph(6, 20, 0.5, 0.01, seed=2)
    noisy = nx.planted_partition_graph(6, 20, 0.25, 0.08, seed=2)
    a = detect_communities(clean, seed=1, n_runs=10, consensus=True)
    b = detect_communities(noisy, seed=1, n_runs=10, consensus=True)
    assert a.membership["stability"].between(0, 1).all() and b.membership["stability"].between(0, 1).all()
    assert a.membership["stability"].min() == 1.0
    assert b.membership["stability"].mean() < 0.95
    assert b.consensus and b.n_runs == 10
    # consensus is no worse than a single run against the truth
    single = detect_communities(noisy, seed=1)
    assert b.nmi(_truth(noisy)) >= single.nmi(_truth(noisy)) - 0.02


def test_consensus_on_planted(planted):
    res = detect_communities(planted, seed=0, n_runs=8, consensus=True)
    assert res.nmi(_truth(planted)) >= 0.95
    assert res.membership["stability"].mean() > 0.9
    single = detect_communities(planted, seed=0)
    assert single.membership["stability"].isna().all()


def test_cpm_objective_needs_deliberate_resolution(planted):
    # CPM at resolution 1 on an unweighted graph: near-singletons (the igraph default trap)
    trap = detect_communities(planted, objective="cpm", resolution=1.0, weighted=False)
    assert trap.n_communities > 100
    good = detect_communities(planted, objective="cpm", resolution=0.1, weighted=False, seed=2)
    assert good.nmi(_truth(planted)) >= 0.9


def test_bad_options():
    g = nx.path_graph(4)
    with pytest.raises(NetintelError, match="unknown community method"):
        detect_communities(g, method="spectral")
    with pytest.raises(NetintelError, match="Louvain optimises modularity"):
        detect_communities(g, method="louvain", objective="cpm")
    with pytest.raises(NetintelError, match="n_runs"):
        detect_communities(g, n_runs=0)
    with pytest.raises(NetintelError, match="cannot read a graph"):
        detect_communities([1, 2, 3])
    with pytest.raises(NetintelError, match="source, target"):
        edge_table(pd.DataFrame({"a": [1]}))


def test_inputs_agree_dataframe_igraph_networkx(planted):
    df = pd.DataFrame([(str(u), str(v)) for u, v in planted.edges()], columns=["source", "target"])
    import igraph as ig
    ig_graph = ig.Graph.TupleList(df.itertuples(index=False), directed=False)
    a = detect_communities(df, seed=4)
    b = detect_communities(ig_graph, seed=4)
    c = detect_communities(planted, seed=4)
    assert a.input_hash == b.input_hash == c.input_hash
    assert a.as_dict() == b.as_dict() == c.as_dict()


def test_nmi_forms(planted):
    res = detect_communities(planted, seed=0)
    truth = _truth(planted)
    frame = pd.DataFrame({"id": list(truth), "community": list(truth.values())})
    assert res.nmi(truth) == res.nmi(frame) == res.nmi(pd.Series(truth))
    assert res.nmi(res) == pytest.approx(1.0)
    with pytest.raises(NetintelError, match="share no entity"):
        res.nmi({"nobody": 1})
    assert "communities" in res._repr_html_()


# -- CaseGraph-shaped inputs: the person view, then attachment of what persons use ---------------
@dataclass
class _FakeCaseGraph:
    """The shape of netintel.graph.CaseGraph that detect_communities relies on."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    person: pd.DataFrame
    marking: object = "TLP:AMBER"

    def person_view(self):
        return _FakeCaseGraph(self.nodes[self.nodes.kind == "person"], self.person, self.person, self.marking)


def _case_graph() -> _FakeCaseGraph:
    persons = ["p1", "p2", "p3", "q1", "q2", "q3"]
    kinds = {**{p: "person" for p in persons}, "ph1": "phone", "ph2": "phone", "acc": "bank_account",
             "dom": "domain", "ip": "ip_address", "lone1": "domain", "lone2": "ip_address"}
    nodes = pd.DataFrame({"id": list(kinds), "kind": list(kinds.values()), "label": list(kinds),
                          "countries": [["NL"] if k.startswith("p") else ["DE"] for k in kinds]})
    person = pd.DataFrame([("p1", "p2", 5), ("p2", "p3", 4), ("p1", "p3", 6), ("q1", "q2", 5), ("q2", "q3", 3),
                           ("q1", "q3", 4), ("p3", "q1", 1)], columns=["source", "target", "weight"])
    # ph1 used by p1 and p2, ph2 by q1; the account is used by p3 (weight 1) and q2 (weight 3);
    # the domain resolves to the ip that q3 rents; lone1 and lone2 touch no person
    uses = pd.DataFrame([("p1", "ph1", 1), ("p2", "ph1", 1), ("q1", "ph2", 1), ("p3", "acc", 1),
                         ("q2", "acc", 3), ("q3", "ip", 1), ("dom", "ip", 2), ("lone1", "lone2", 1)],
                        columns=["source", "target", "weight"])
    return _FakeCaseGraph(nodes, pd.concat([person, uses], ignore_index=True), person)


def test_person_view_then_attachment():
    res = detect_communities(_case_graph(), seed=0)
    m = res.membership.set_index("id")
    assert res.view == "person" and res.marking == "TLP:AMBER"
    p, q = m.loc["p1", "community"], m.loc["q1", "community"]
    assert p != q
    assert (m.loc[["p1", "p2", "p3", "ph1"], "community"] == p).all()
    assert (m.loc[["q1", "q2", "q3", "ph2", "acc", "ip", "dom"], "community"] == q).all()
    assert m.loc["dom", "assigned"] == "attached" and m.loc["p1", "assigned"] == "clustered"
    assert m.loc["lone1", "community"] == m.loc["lone2", "community"] not in (p, q)
    assert m.loc["lone1", "assigned"] == "unattached"
    summary = res.summary().set_index("community")
    assert summary.loc[q, "size"] == 7 and summary.loc[q, "n_clustered"] == 3
    assert summary.loc[q, "kinds"] == {"person": 3, "bank_account": 1, "domain": 1, "ip_address": 1, "phone": 1}
    assert summary.loc[q, "countries"] == ["DE", "NL"]
    # q's community (7 members) is numbered before p's (4)
    assert q == 0 and p == 1


def test_a_person_tied_to_no_person_goes_where_their_links_lead():
    # r1 calls nobody and is associated with nobody, but the e-mail r1 uses is an indicator of the
    # threat actor that q1 is attributed to: r1 joins q's community, marked attached; r2, linked to
    # nothing but a phone of their own, stays a community of their own (with the phone)
    g = _case_graph()
    nodes = pd.concat([g.nodes, pd.DataFrame({"id": ["r1", "r2", "mail", "ioc", "actor", "ph3"],
                                              "kind": ["person", "person", "email", "indicator", "threat_actor",
                                                       "phone"],
                                              "label": ["r1", "r2", "mail", "ioc", "actor", "ph3"],
                                              "countries": [["DE"]] * 6})], ignore_index=True)
    extra = pd.DataFrame([("r1", "mail", 1), ("ioc", "mail", 1), ("ioc", "actor", 1), ("actor", "q1", 1),
                          ("r2", "ph3", 1)], columns=["source", "target", "weight"])
    res = detect_communities(_FakeCaseGraph(nodes, pd.concat([g.edges, extra], ignore_index=True), g.person), seed=0)
    m = res.membership.set_index("id")
    q = m.loc["q1", "community"]
    assert (m.loc[["r1", "mail", "ioc", "actor"], "community"] == q).all()
    assert m.loc["r1", "assigned"] == "attached" and np.isnan(m.loc["r1", "stability"])
    assert m.loc["r2", "assigned"] == "clustered" and m.loc["r2", "community"] == m.loc["ph3", "community"] != q
    assert m.loc["ph3", "assigned"] == "attached"


def test_entity_view_clusters_everything():
    res = detect_communities(_case_graph(), seed=0, view="entity")
    assert res.view == "entity"
    assert (res.membership["assigned"] == "clustered").all()
    assert len(res.membership) == 13


def test_sensitivity_with_a_builder():
    full = _case_graph()
    # dropping the low-graded tie p3-q1 and the account links keeps the two groups intact
    strong = _FakeCaseGraph(full.nodes, full.edges.drop(index=[6]), full.person.drop(index=[6]))

    def builder(min_grading=None):
        return full if min_grading is None else strong

    out = community_sensitivity(builder, "B2", seed=0, min_size=2)
    assert out.nmi == pytest.approx(1.0)
    assert (out.communities["jaccard"] == 1.0).all()
    assert (out.communities["share_present"] == 1.0).all()
    assert "B2" in out._repr_html_()


def test_sensitivity_reports_breakup():
    # a 6-chain of strong ties bound by weak ones: without the weak links it falls apart
    g_full = nx.Graph()
    g_full.add_edges_from(nx.complete_graph(["a", "b", "c", "d", "e", "f"]).edges(), weight=1)
    g_full.add_edges_from(nx.complete_graph(["u", "v", "w"]).edges(), weight=1)
    g_weak = nx.Graph()
    g_weak.add_edges_from([("a", "b"), ("c", "d"), ("e", "f"), ("u", "v"), ("v", "w"), ("u", "w")])

    out = community_sensitivity(lambda min_grading=None: g_full if min_grading is None else g_weak, "B2", seed=0)
    t = out.communities.set_index("size")
    assert t.loc[6, "jaccard"] == pytest.approx(2 / 6)
    assert t.loc[3, "jaccard"] == pytest.approx(1.0)
    assert out.nmi < 0.9


def test_quality_table_isolated_and_empty():
    e = pd.DataFrame({"source": ["a"], "target": ["b"], "weight": [2.0]})
    t = quality_table(e, {"a": 0, "b": 0, "c": 1})
    assert t.set_index("community").loc[1, "volume"] == 0.0
    res = detect_communities(pd.DataFrame({"source": ["a"], "target": ["a"]}))
    assert isinstance(res, CommunityResult) and res.n_communities == 1


# -- the committed sample: communities against the planted truth ----------------------------------
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sample_ws():
    from netintel import Workspace
    from netintel.ingest import ingest
    from netintel.resolve import resolve

    ws = Workspace()
    ingest(ws, sorted(p for p in SAMPLE.iterdir() if p.is_dir() and p.name != "truth"), progress=False)
    resolve(ws)
    yield ws
    ws.close()


def _sample_truth(ws) -> pd.Series:
    """Planted community of each resolved entity (the most common among its records)."""
    from netintel.workspace import record_id

    rec = pd.read_csv(SAMPLE / "truth" / "records.csv")
    ent = pd.read_csv(SAMPLE / "truth" / "entities.csv")
    rec["entity_id"] = [record_id("E", a, f"{k}:{s}") for a, k, s in
                        zip(rec["agency"], rec["kind"], rec["source_record_id"])]
    rec["community"] = rec["true_id"].map(dict(zip(ent["true_id"], ent["community"])))
    m = ws.resolved_ids().merge(rec[["entity_id", "community"]], on="entity_id").dropna(subset=["community"])
    return m.groupby("resolved_id")["community"].agg(lambda s: s.mode().iloc[0])


def test_sample_communities_match_planted_truth(sample_ws):
    from netintel.graph import build_graph

    graph = build_graph(sample_ws)
    truth = _sample_truth(sample_ws)
    res = detect_communities(graph, seed=0)
    planted = truth[truth.index.isin(res.membership["id"])]
    assert len(planted) >= 250
    # every entity of a planted group: persons and what they use, companies, infrastructure
    assert res.nmi(planted) >= 0.9
    persons = set(graph.nodes.loc[graph.nodes["kind"] == "person", "id"])
    assert res.nmi(planted[planted.index.isin(persons)]) >= 0.9
    assert res.marking == graph.marking
    # grading sensitivity on the sample: the planted groups survive without links graded below B2
    sens = community_sensitivity(sample_ws, "B2", seed=0)
    big = sens.communities[sens.communities["size"] >= 15]
    assert len(big) >= 4
    assert big["jaccard"].median() >= 0.5


def test_networkit_engines_are_seeded_reproducible_and_say_so():
    import networkx as nx

    from netintel.communities import detect_communities

    g = nx.planted_partition_graph(8, 30, 0.5, 0.005, seed=4)
    truth = {str(n): d["block"] for n, d in g.nodes(data=True)}
    for method in ("plp", "plm"):
        first = detect_communities(g, method=method, seed=3)
        again = detect_communities(g, method=method, seed=3)
        assert (first.engine, first.method) == ("networkit", method)
        assert first.iterations > 0 and first.parameters["engine"] == "networkit"
        assert first.as_dict() == again.as_dict()
        assert first.nmi(truth) > 0.95  # the generator's blocks
    small = detect_communities(g, seed=3)  # "auto" below LARGE_GRAPH: igraph Leiden until stable, bounded
    assert (small.engine, small.method, small.stable) == ("igraph", "leiden", True)
    assert 1 < small.iterations < LEIDEN_MAX_ITERATIONS and small.parameters["iterations"] == small.iterations


def test_leiden_stops_when_stable_or_at_its_bound():
    import random

    import networkx as nx

    g = ig.Graph.from_networkx(nx.planted_partition_graph(40, 25, 0.3, 0.002, seed=2))
    ig.set_random_number_generator(random.Random(1))
    membership, iterations, stable = leiden(g)
    assert stable and 2 < iterations < LEIDEN_MAX_ITERATIONS
    # from its own stable partition one iteration changes nothing (seeded: the same RNG draws again)
    ig.set_random_number_generator(random.Random(1))
    again = leiden(g, initial=membership)
    assert again[1:] == (1, True) and again[0] == membership
    # stopped one iteration short of the one that found nothing to change: at the bound, not stable
    ig.set_random_number_generator(random.Random(1))
    assert leiden(g, max_iterations=iterations - 1)[1:] == (iterations - 1, False)
    with pytest.raises(NetintelError, match="at least 1"):
        leiden(g, max_iterations=0)


def test_a_workspace_clusters_as_its_case_graph(sample_ws):
    # the integer-coded graph summed in DuckDB gives what the CaseGraph (every link's provenance) gives
    from netintel.graph import build_graph

    graph = build_graph(sample_ws)
    for view in ("person", "entity"):
        a = detect_communities(graph, seed=0, view=view)
        b = detect_communities(sample_ws, seed=0, view=view)
        pd.testing.assert_frame_equal(a.membership, b.membership)
        assert (a.modularity, a.marking, a.view, a.engine) == (b.modularity, b.marking, b.view, b.engine)
        pd.testing.assert_frame_equal(a.summary(), b.summary())
    assert detect_communities(sample_ws, seed=0).as_dict() == detect_communities(sample_ws, seed=0).as_dict()


@settings(max_examples=examples(40), deadline=None)
@given(n=st.integers(1, 12), data=st.data(), weighted=st.booleans(),
       resolution=st.sampled_from([0.5, 1.0, 1.7]))
def test_modularity_from_arrays_is_igraphs(n, data, weighted, resolution):
    # any undirected graph (self-loops, isolated nodes, links of any weight) and any partition
    import igraph as ig

    from netintel.communities import modularity_of

    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30, unique=True))
    weights = data.draw(st.lists(st.floats(0.1, 50), min_size=len(pairs), max_size=len(pairs)))
    membership = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    membership = np.unique(membership, return_inverse=True)[1]
    s = np.array([a for a, _ in pairs], dtype=np.int64)
    t = np.array([b for _, b in pairs], dtype=np.int64)
    w = np.array(weights) if weighted else None
    got = modularity_of(s, t, w, membership, resolution=resolution)
    if not pairs:
        assert got == 0.0
        return
    g = ig.Graph(n=n, edges=list(pairs))
    want = g.modularity(membership.tolist(), weights=list(weights) if weighted else None, resolution=resolution)
    assert got == pytest.approx(want, abs=1e-9)


def _attach_one_link_at_a_time(edges: pd.DataFrame, labels: dict[str, int], rounds: int = 10) -> dict[str, int]:
    """What ``_attach`` does, written out per link: each round, an unlabelled entity takes the
    community whose links to it weigh most, the smallest community on ties."""
    labels = dict(labels)
    for _ in range(rounds):
        votes: dict[str, dict[int, float]] = {}
        for s, t, w in zip(edges["source"], edges["target"], edges["weight"]):
            for a, b in ((s, t), (t, s)):
                if a not in labels and b in labels:
                    votes.setdefault(a, {}).setdefault(labels[b], 0.0)
                    votes[a][labels[b]] += w
        if not votes:
            break
        for a in sorted(votes):
            labels[a] = min(votes[a], key=lambda c: (-votes[a][c], c))
    return labels


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14), st.sampled_from([0.5, 1.0, 2.0, 3.0])),
                min_size=1, max_size=40),
       st.dictionaries(st.integers(0, 14), st.integers(0, 3), max_size=6))
def test_attaching_entities_to_communities_is_the_vote_of_their_links(links, seeds):
    from netintel.communities import _attach

    edges = pd.DataFrame([(f"e{s:02d}", f"e{t:02d}", w) for s, t, w in links if s != t],
                         columns=["source", "target", "weight"])
    labels = {f"e{k:02d}": v for k, v in seeds.items()}
    got = _attach(edges, labels, [])
    assert got == _attach_one_link_at_a_time(edges, labels)
    assert list(got)[:len(labels)] == list(labels)  # the given labels stay, in their order


# -- the split: modularity's resolution limit, undone -------------------------------------------
def test_the_split_undoes_the_resolution_limit_on_a_ring_of_cliques():
    # Fortunato & Barthelemy's example: 30 five-cliques in a ring, one link between neighbours;
    # modularity prefers pairs of cliques (a clique's 10 links are below sqrt(2m), about 26)
    g = nx.ring_of_cliques(30, 5)
    truth = {str(v): v // 5 for v in g}
    whole = detect_communities(g, seed=1)
    assert whole.n_communities < 30 and not whole.split and whole.parameters["split"] is False
    split = detect_communities(g, seed=1, split=True)
    assert split.n_communities == 30 and split.nmi(truth) == 1.0
    assert split.split and split.split_examined == whole.n_communities
    assert 0 < split.split_communities <= split.split_examined
    assert split.parameters["split"] is True and "communities split on their own ties" in repr(split)
    assert "communities split on their own ties" in split._repr_html_()
    assert split.modularity < whole.modularity  # modularity is what the limit maximises


def test_the_split_leaves_a_random_graph_whole():
    # a random graph's communities have no parts more tied inside than out: nothing is split
    g = nx.gnp_random_graph(3000, 8 / 3000, seed=3)
    whole = detect_communities(g, method="plm", seed=1)
    # PLM follows each node's neighbours in order: the graph is built the same way each time (the
    # CSR constructor on two threads adds reverse links in another order on each build)
    assert all(detect_communities(g, method="plm", seed=1).as_dict() == whole.as_dict() for _ in range(3))
    split = detect_communities(g, method="plm", seed=1, split=True)
    assert split.split_examined > 10 and split.split_communities == 0
    assert split.as_dict() == whole.as_dict()


def test_auto_splits_where_it_chooses_plm(monkeypatch):
    import netintel.communities as communities

    g = nx.ring_of_cliques(30, 5)
    monkeypatch.setattr(communities, "LARGE_GRAPH", 100)
    auto = detect_communities(g, seed=1)
    assert (auto.engine, auto.method, auto.split, auto.n_communities) == ("networkit", "plm", True, 30)
    assert not detect_communities(g, seed=1, split=False).split
    assert not detect_communities(g, method="plm", seed=1).split  # PLM asked for by name runs as asked
    with pytest.raises(NetintelError, match="CPM has none"):
        detect_communities(g, method="leiden", objective="cpm", split=True)


def test_auto_keeps_cpm_on_the_engine_that_optimises_it(monkeypatch):
    # on a large graph "auto" chooses PLM for modularity; PLM (and PLP) cannot optimise CPM, so a
    # CPM request stays on Leiden, unsplit, and naming a networkit engine for CPM is an error
    import netintel.communities as communities

    g = nx.ring_of_cliques(30, 5)
    monkeypatch.setattr(communities, "LARGE_GRAPH", 100)
    cpm = detect_communities(g, objective="cpm", resolution=0.5, seed=1)
    assert (cpm.engine, cpm.method, cpm.objective, cpm.split) == ("igraph", "leiden", "cpm", False)
    assert cpm.n_communities == 30  # CPM has no resolution limit: the cliques, without a split
    for method in ("plm", "plp"):
        with pytest.raises(NetintelError, match="optimises modularity"):
            detect_communities(g, method=method, objective="cpm", resolution=0.5)


_LINKS = st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29), st.sampled_from([1.0, 2.0, 5.0])),
                  min_size=1, max_size=150)


@settings(max_examples=examples(40), deadline=None)
@given(links=_LINKS, blocks=st.integers(1, 4))
def test_a_split_refines_the_partition_into_parts_more_tied_inside_than_out(links, blocks):
    from netintel.communities import _split_merged

    n = 30
    s, t, w = (np.array(x) for x in zip(*links))
    membership = np.arange(n) % blocks
    new, examined, n_split = _split_merged(s, t, w, membership, workers=2)
    assert np.array_equal(new, _split_merged(s, t, w, membership, workers=1)[0])  # threads do not matter
    pairs = pd.DataFrame({"old": membership, "new": new})
    assert (pairs.groupby("new")["old"].nunique() == 1).all()  # each new community inside one old one
    parts = pairs.groupby("old")["new"].nunique()
    assert (parts > 1).sum() == n_split <= examined <= blocks
    degree = np.bincount(s, w, n) + np.bincount(t, w, n)
    inside = new[s] == new[t]
    internal = 2 * np.bincount(new[s][inside], w[inside], new.max() + 1)
    volume = np.bincount(new, degree, new.max() + 1)
    split_off = pairs.loc[pairs["old"].map(parts) > 1, "new"].unique()
    assert (internal[split_off] > volume[split_off] - internal[split_off]).all()


@settings(max_examples=examples(40), deadline=None)
@given(links=_LINKS)
def test_the_networkit_graph_holds_the_links_it_was_given(links):
    from netintel.communities import _networkit_graph

    n = 30
    s, t, w = (np.array(x) for x in zip(*links))
    g = _networkit_graph(s, t, w, n)
    assert (g.numberOfNodes(), g.numberOfEdges(), g.numberOfSelfLoops()) == (n, len(s), int((s == t).sum()))
    expected: dict[int, list] = {u: [] for u in range(n)}
    for a, b, x in links:
        expected[a].append((b, x))
        if a != b:
            expected[b].append((a, x))
    assert {u: sorted(g.iterNeighborsWeights(u)) for u in range(n)} == {u: sorted(v) for u, v in expected.items()}
