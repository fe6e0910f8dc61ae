"""Surrender planning against hand-worked cases: nationality bars are never planned on, the arrest
sequence is the one worked out by hand on a small network."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from netintel.cli._output import to_jsonable
from netintel.cooperation.legal import legal_reference
from netintel.cooperation.surrender import ACTIONABLE, cell_country, surrender_plan, surrender_route
from netintel.ingest._common import BatchBuilder, Provenance
from netintel.workspace import Workspace


def test_routes_by_hand():
    assert surrender_route("DE", "NL", nationalities=["DE"]).instrument == "eaw"
    assert surrender_route("DE", "NL", nationalities=["DE"]).status == "possible"
    tr = surrender_route("TR", "NL", nationalities=["TR"])
    assert tr.status == "barred" and tr.instrument == "ets024" and "art. 38" in tr.reason
    assert "prosecute" in tr.reason  # the alternative is named
    assert surrender_route("CH", "NL", nationalities=["DE"]).status == "possible"  # not a Swiss national
    assert surrender_route("CH", "NL", nationalities=["CH"]).status == "barred"
    nl = surrender_route("NL", "US", nationalities=["NL"])
    assert nl.instrument == "eu_us_extradition" and nl.status == "conditional" and "Uitleveringswet" in nl.reason
    assert surrender_route("US", "NL", nationalities=["US"]).status == "possible"  # the US extradites citizens
    assert surrender_route("AL", "NL", nationalities=["AL"]).status == "barred"  # treaty_only: not planned on
    assert surrender_route("CO", "ES", nationalities=["CO"]).status == "no route known"
    assert surrender_route("NL", "NL", nationalities=["TR"]).status == "domestic"
    assert surrender_route("GR", "TR", nationalities=["GR"]).status == "unknown"  # Greece's rule not established


def test_a_country_with_a_nationality_bar_never_surrenders_its_national_without_an_eaw():
    ref = legal_reference()
    codes = sorted(ref.countries)
    checked = 0
    for custodial in codes:
        rule = ref.nationals_rule(custodial)
        for requesting in codes:
            if requesting == custodial:
                continue
            r = surrender_route(custodial, requesting, nationalities=[custodial])
            if rule in ("barred", "treaty_only", "unknown") and r.instrument != "eaw":
                assert not r.actionable, (custodial, requesting, r)
                checked += 1
            if r.instrument == "eaw":
                assert ref.country(custodial).eu and ref.country(requesting).eu
    assert checked > 1000


def test_cell_country():
    assert cell_country("28606-6707-25993") == "TR" and cell_country("20408-6429-40051") == "NL"
    assert cell_country(None) is None and cell_country("99999-1") is None


def _case():
    """Five persons: A (Turkish, in Turkey) is the hub of B, C and D; D also knows E.

    B lives in Germany, C in the Netherlands (with a phone whose calls go through Belgian cells),
    D in Belgium, E in Spain.
    """
    ws = Workspace(actor="test")
    b = BatchBuilder("persons.csv", format="table", provenance=Provenance("Politie NL", "NL", grading="B2",
                     handling="TLP:AMBER", releasable_to=("PARTNERS",)), sha256="0" * 64, keep_raw=False)
    people = {"A": ("TR", "TR"), "B": ("DE", "DE"), "C": ("NL", "NL"), "D": ("BE", "BE"), "E": ("ES", "ES")}
    ids = {k: b.entity("person", k, {"name": f"Person {k}", "nationality": n, "country": c}, locator=f"row {k}")
           for k, (n, c) in people.items()}
    phone = b.identifier("phone", "+31612340000", locator="row C")
    other = b.identifier("phone", "+32470000000", locator="row C")
    b.link("uses", ids["C"], phone, locator="row C")
    for x, y in (("A", "B"), ("A", "C"), ("A", "D"), ("D", "E")):
        b.link("associate_of", ids[x], ids[y], locator=f"rel {x}{y}")
    from datetime import datetime

    for i in range(3):
        b.event("call", phone, other, datetime(2026, 3, 1 + i, 10), locator=f"cdr {i}", duration=30.0,
                place=f"20601-100-{i}")
    b.read(1)
    b.accept("row 1")
    ws.write_import(b.finish())
    graph = nx.Graph([(ids[x], ids[y]) for x, y in (("A", "B"), ("A", "C"), ("A", "D"), ("D", "E"))])
    return ws, ids, graph


def test_plan_on_a_hand_worked_network():
    ws, ids, graph = _case()
    try:
        plan = surrender_plan(ws, requesting="NL", key_players=list(ids.values()), graph=graph)
        players = plan.players.set_index("label")
        assert players.loc["Person A", "status"] == "no country can act" and players.loc["Person A", "can_act"] == []
        assert plan.not_actionable == (ids["A"],)
        assert players.loc["Person C", "arrest_in"] == "NL" and players.loc["Person C", "status"] == "domestic"
        assert players.loc["Person B", "mechanism"].startswith("European Arrest Warrant")
        assert "BE: handset seen (3 calls)" in players.loc["Person C", "placed_in"]
        a_tr = plan.options[(plan.options["label"] == "Person A") & (plan.options["country"] == "TR")].iloc[0]
        assert a_tr["status"] == "barred" and a_tr["national"]
        # By hand: arresting D leaves A-B-C (3 of 5); then B or C (tie on size and efficiency: smallest id) leaves
        # a pair; then the other leaves singletons; E last.
        first, second = sorted([ids["B"], ids["C"]])
        assert plan.sequence["node"].tolist() == [ids["D"], first, second, ids["E"]]
        assert plan.sequence["lcc_size"].tolist() == [3, 2, 1, 1]
        assert plan.sequence["lcc_fraction"].tolist() == pytest.approx([0.6, 0.4, 0.2, 0.2])
        assert set(plan.sequence["status"]) <= set(ACTIONABLE)
        # law ignored: the hub goes first
        assert plan.unconstrained["node"].iloc[0] == ids["A"] and plan.unconstrained["lcc_size"].iloc[0] == 2
        json.dumps(to_jsonable(plan.to_dict()))
        assert "Arrest sequence" in plan._repr_html_()
        fig = plan.chart()
        assert fig.axes and "TLP:AMBER" in repr(plan)
    finally:
        ws.close()


def test_plan_needs_a_graph_for_records():
    from netintel.cooperation import load_records
    from netintel.errors import NetintelError

    ws, ids, _ = _case()
    try:
        with pytest.raises(NetintelError, match="graph="):
            surrender_plan(load_records(ws), requesting="NL")
        # from a workspace the person view is built
        plan = surrender_plan(ws, requesting="NL", key_players=[ids["A"], ids["D"]])
        assert plan.sequence["node"].tolist() == [ids["D"]]
    finally:
        ws.close()


def test_states_from_one_conversion_equal_simulating_each_narrowed_graph():
    """Above the sampled-efficiency limit too: the same vertices in the same order, the same sources."""
    from netintel.analysis.disruption import simulate_disruption
    from netintel.cooperation.surrender import _states
    from netintel.graph import CaseGraph

    g = nx.relabel_nodes(nx.connected_watts_strogatz_graph(1400, 4, 0.2, seed=9), lambda n: f"p{(n * 7919) % 1400:04d}")
    g.add_node("p_alone")
    graph = CaseGraph.from_networkx(g)
    state = _states(graph)
    ids = list(graph.nodes["id"])
    for removed in (set(), {ids[5]}, {ids[5], ids[700], "p_alone"}, set(ids[:500])):
        keep = [n for n in ids if n not in removed]
        row = simulate_disruption(graph.subgraph(keep), steps=0).steps.iloc[0]
        assert state(removed) == (int(row["lcc_size"]), float(row["efficiency"]))
    assert state(set(ids)) == (0, 0.0)
