"""Find Path, Find Connecting Network, Find Linked and common associates on hand-worked graphs."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest
from networkx.algorithms.approximation import steiner_tree

from netintel import NetintelError
from netintel.analysis import common_associates, connecting_network, ego_network, find_paths
from netintel.graph import CaseGraph

# Ana -call(5, BKA, A2)-> ph -uses- Bo ; Ana -associate_of (NL, C3)- Bo ; Bo -transfer(2)-> Cem ;
# Ana -resides_at- Dam 1 -resides_at- Cem ; Dan alone with Eve.
EDGES = pd.DataFrame([
    ("Ana", "ph", "call", 5, 5.0, "BKA", "A2"),
    ("Bo", "ph", "uses", 1, 1.0, "Politie", "B2"),
    ("Ana", "Bo", "associate_of", 1, 1.0, "Politie", "C3"),
    ("Ana", "Bo", "call", 2, 2.0, "BKA", "A2"),
    ("Bo", "Cem", "transfer", 2, 2.0, "SEPBLAC", "B2"),
    ("Ana", "dam", "resides_at", 1, 1.0, "Politie", "B2"),
    ("Cem", "dam", "resides_at", 1, 1.0, "Politie", "B3"),
    ("Dan", "Eve", "associate_of", 1, 1.0, "Politie", "B2"),
], columns=["source", "target", "kind", "count", "weight", "agencies", "grading"])
EDGES["agencies"] = [[a] for a in EDGES["agencies"]]
NODES = pd.DataFrame({"id": ["Ana", "Bo", "Cem", "Dan", "Eve", "ph", "dam"],
                      "kind": ["person"] * 5 + ["phone", "address"],
                      "label": ["Ana Visser", "Bo Jansen", "Cem Kaya", "Dan Petrov", "Eve Petrova", "+31 6 1", "Dam 1"]})


@pytest.fixture
def g() -> CaseGraph:
    return CaseGraph.from_frames(EDGES, NODES)


def test_shortest_paths_with_evidence(g):
    res = find_paths(g, "Ana", "Cem")
    assert res.paths == [["Ana", "Bo", "Cem"], ["Ana", "dam", "Cem"]]
    first = res.hops[(res.hops.path == 0) & (res.hops.hop == 1)].iloc[0]
    # Ana-Bo: an undirected association and two calls Ana -> Bo, merged as one hop
    assert sorted(first["kinds"]) == ["associate_of", "call"]
    assert first["count"] == 3 and first["agencies"] == ["BKA", "Politie"] and first["grading"] == "A2"
    assert sorted(first["directions"]) == ["both", "forward"]
    second = res.hops[(res.hops.path == 0) & (res.hops.hop == 2)].iloc[0]
    assert second["kinds"] == ["transfer"] and second["directions"] == ["forward"]
    back = find_paths(g, "Cem", "Bo")
    assert back.hops.iloc[0]["directions"] == ["backward"]  # the transfer went Bo -> Cem
    assert res.summary()["route"].iloc[0] == "Ana Visser — Bo Jansen — Cem Kaya"
    assert res.summary()["weakest_grading"].tolist() == ["B2", "B3"]


def test_all_simple_paths_match_networkx(g):
    res = find_paths(g, "Ana", "Cem", all_paths=True, max_hops=3)
    ref = sorted(nx.all_simple_paths(g.to_networkx(multigraph=False), "Ana", "Cem", cutoff=3), key=lambda p: (len(p), p))
    assert res.paths == ref == [["Ana", "Bo", "Cem"], ["Ana", "dam", "Cem"], ["Ana", "ph", "Bo", "Cem"]]
    assert len(res.hops) == 2 + 2 + 3
    limited = find_paths(g, "Ana", "Cem", all_paths=True, max_hops=3, limit=1)
    assert limited.truncated and len(limited) == 1


def test_weighted_paths_prefer_strong_ties():
    edges = pd.DataFrame({"source": ["a", "b", "a"], "target": ["b", "c", "c"], "weight": [10.0, 10.0, 1.0]})
    g = CaseGraph.from_frames(edges)
    assert find_paths(g, "a", "c").paths == [["a", "c"]]
    weighted = find_paths(g, "a", "c", weighted=True)
    assert weighted.paths == [["a", "b", "c"]]  # 1/10 + 1/10 < 1/1
    assert "1 / tie strength" in weighted.method


def test_no_path_labels_and_ambiguity(g):
    res = find_paths(g, "Ana", "Dan")
    assert not res.found and res.hops.empty
    assert find_paths(g, "ana visser", "cem").paths[0] == ["Ana", "Bo", "Cem"]
    with pytest.raises(NetintelError, match="2 entities match 'Petrov'"):
        find_paths(g, "Ana", "Petrov")
    with pytest.raises(NetintelError, match="no entity"):
        find_paths(g, "Ana", "Zed")
    with pytest.raises(NetintelError):
        find_paths(g, "Ana", "Ana Visser")


def test_connecting_network_is_networkx_steiner_tree(g):
    net = connecting_network(g, ["Ana", "Cem", "ph", "Dan"])
    simple = g.to_networkx(multigraph=False)
    nx.set_edge_attributes(simple, 1, "hops")  # fewest ties: every tie has length 1
    ref = steiner_tree(simple.subgraph(nx.node_connected_component(simple, "Ana")), ["Ana", "Cem", "ph"],
                       weight="hops", method="mehlhorn")
    assert set(net.graph.nodes["id"]) - {"Dan"} == set(ref.nodes)
    assert net.unreachable == ["Dan"]
    assert len(net.tree_edges) == ref.number_of_edges() == 3
    assert set(net.nodes.loc[net.nodes.is_target, "id"]) == {"Ana", "Cem", "ph", "Dan"}
    assert set(net.connectors) == set(ref.nodes) - {"Ana", "Cem", "ph"}
    with pytest.raises(NetintelError):
        connecting_network(g, ["Ana"])


def test_ego_network_distances_match_networkx(g):
    ego = ego_network(g, "Bo", hops=2)
    ref = nx.single_source_shortest_path_length(g.to_networkx(multigraph=False), "Bo", cutoff=2)
    assert dict(zip(ego.nodes["id"], ego.nodes["distance"])) == ref
    assert len(ego.edges) == len(g.subgraph(ref).edges)
    persons = ego_network(g, "Bo", hops=2, kinds=["person"])
    assert set(persons.nodes["id"]) == {"Ana", "Bo", "Cem"}


def test_common_associates(g):
    common = common_associates(g, ["Ana", "Cem"])
    assert common[["id", "n_targets", "targets", "distances"]].values.tolist() == [
        ["Bo", 2, ["Ana", "Cem"], [1, 1]], ["dam", 2, ["Ana", "Cem"], [1, 1]]]
    two = common_associates(g, ["Ana", "Cem"], hops=2)
    assert "ph" in set(two["id"])  # Ana's phone, two hops from Cem through Bo
