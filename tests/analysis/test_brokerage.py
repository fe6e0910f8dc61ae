"""Brokerage roles (hand-worked and brute force) and structural holes (hand-worked)."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pandas as pd
import pytest

from netintel import NetintelError
from netintel.analysis import ROLES, brokerage, brokerage_roles, structural_holes
from netintel.graph import CaseGraph


def _graph(edges, countries, kinds=None) -> CaseGraph:
    e = pd.DataFrame(edges, columns=["source", "target"])
    e["kind"] = kinds or "call"
    return CaseGraph.from_frames(e, pd.DataFrame({"id": list(countries), "country": list(countries.values())}))


def test_each_role_by_hand():
    # b is the broker of every two-path; the group pattern of (a, b, c) decides the role
    countries = {"a1": "NL", "b": "NL", "c1": "NL",        # coordinator a1 -> b -> c1
                 "a2": "DE", "c2": "DE",                    # itinerant a2 -> b -> c2 (b is Dutch)
                 "c3": "BE",                                # representative a1 -> b -> c3; liaison a2 -> b -> c3
                 }
    edges = [("a1", "b"), ("b", "c1"), ("a2", "b"), ("b", "c2"), ("b", "c3")]
    roles = brokerage_roles(_graph(edges, countries)).set_index("id")
    # two-paths through b: a in {a1 (NL), a2 (DE)}, c in {c1 (NL), c2 (DE), c3 (BE)}
    # a1-b-c1 coordinator; a1-b-c2 representative; a1-b-c3 representative;
    # a2-b-c1 gatekeeper; a2-b-c2 itinerant; a2-b-c3 liaison
    assert roles.loc["b", list(ROLES)].tolist() == [1, 1, 1, 2, 1]
    assert roles.loc["b", "cross_border"] == 5 and roles.loc["b", "total"] == 6
    assert roles.drop(index="b")["total"].sum() == 0
    # a closing tie a1 -> c3 removes that two-path; the reverse tie c3 -> a1 does not
    closed = brokerage_roles(_graph(edges + [("a1", "c3")], countries)).set_index("id")
    assert closed.loc["b", "representative"] == 1
    reverse = brokerage_roles(_graph(edges + [("c3", "a1")], countries)).set_index("id")
    assert reverse.loc["b", "representative"] == 2


def test_undirected_links_count_both_ways_and_unknown_groups_are_skipped():
    countries = {"x": "NL", "y": "BE", "z": "NL"}
    g = _graph([("x", "y"), ("y", "z")], countries, kinds=["associate_of", "associate_of"])
    roles = brokerage_roles(g).set_index("id")
    assert roles.loc["y", "itinerant"] == 2  # x -> y -> z and z -> y -> x
    g2 = CaseGraph.from_frames(pd.DataFrame({"source": ["x", "y"], "target": ["y", "z"], "kind": "call"}),
                               pd.DataFrame({"id": ["x", "y", "z"], "country": ["NL", "BE", None]}))
    assert brokerage_roles(g2)["total"].sum() == 0
    with pytest.raises(NetintelError):
        brokerage_roles(g2, group="religion")


def _brute_force(dg: nx.DiGraph, group: dict) -> dict:
    out = {v: dict.fromkeys(ROLES, 0) for v in dg}
    for b in dg:
        for a, c in itertools.product(dg.predecessors(b), dg.successors(b)):
            if a == c or dg.has_edge(a, c):
                continue
            ga, gb, gc = group[a], group[b], group[c]
            if ga == gb == gc:
                role = "coordinator"
            elif ga == gc:
                role = "itinerant"
            elif gb == gc:
                role = "gatekeeper"
            elif ga == gb:
                role = "representative"
            else:
                role = "liaison"
            out[b][role] += 1
    return out


def test_equals_brute_force_on_random_digraph():
    rng = random.Random(11)
    dg = nx.gnp_random_graph(40, 0.12, seed=11, directed=True)
    group = {v: rng.choice(["NL", "BE", "DE"]) for v in dg}
    e = pd.DataFrame([(str(u), str(v)) for u, v in dg.edges], columns=["source", "target"]).assign(kind="call")
    g = CaseGraph.from_frames(e, pd.DataFrame({"id": [str(v) for v in dg], "country": [group[v] for v in dg]}))
    got = brokerage_roles(g).set_index("id")
    ref = _brute_force(dg, group)
    for v, counts in ref.items():
        assert got.loc[str(v), list(ROLES)].tolist() == [counts[r] for r in ROLES]


def test_structural_holes_by_hand():
    star = structural_holes(nx.star_graph(3)).set_index("id")
    # centre: three unconnected contacts, each 1/3 of its ties: constraint 3 x (1/3)^2
    assert star.loc["0", "constraint"] == pytest.approx(1 / 3)
    assert star.loc["0", "effective_size"] == pytest.approx(3.0)
    tri = structural_holes(nx.complete_graph(3)).set_index("id")
    # each contact also reached through the other: (1/2 + 1/2 x 1/2)^2 x 2 = 1.125; effective size 2 - 1
    assert tri.loc["0", "constraint"] == pytest.approx(1.125)
    assert tri.loc["0", "effective_size"] == pytest.approx(1.0)
    assert tri.loc["0", "efficiency"] == pytest.approx(0.5)


def test_brokerage_result_names_cross_border_brokers():
    countries = {"nl1": "NL", "nl2": "NL", "be": "BE", "de": "DE"}
    res = brokerage(_graph([("nl1", "nl2"), ("nl2", "be"), ("be", "de")], countries))
    top = res.cross_border_brokers()
    assert top["id"].tolist() == ["be", "nl2"]
    assert top.set_index("id").loc["nl2", "representative"] == 1
    assert top.set_index("id").loc["be", "liaison"] == 1
    assert {"constraint", "effective_size", "country"} <= set(res.table.columns)
