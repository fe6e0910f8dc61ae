"""Graph views: a hand-built two-agency case whose graph is worked out by hand below."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from netintel import NetintelError, Workspace
from netintel.graph import CaseGraph, build_graph, combine_markings
from netintel.ingest._common import BatchBuilder, Provenance

# The case, by hand:
#   Politie (NL, B2, TLP:AMBER, releasable to PARTNERS and BE):
#     Ana (NL national) uses +31 6 1234 5678; Bo uses +49 151 0000 0001; Cem resides at Dam 1 with Bo.
#     Ana associate_of Bo (graded C3).
#   BKA (DE, A2, H2, releasable to DE and NL only):
#     call records +31612345678 -> +4915100000001: 3 calls in February, 1 in April 2026;
#     +4915100000001 -> +31612345678: 1 call in February.
#     A person "Dmitri" marked TLP:RED, using +4915100000001.
# Resolution (when run below): NL's and DE's records of each phone number are one entity.


def _case(ws: Workspace) -> dict[str, str]:
    nl = BatchBuilder("personen.csv", format="table", sha256="nl",
                      provenance=Provenance("Politie", "NL", grading="B2", handling="TLP:AMBER",
                                            releasable_to=("PARTNERS", "BE")))
    ids = {}
    ids["ana"] = nl.entity("person", "P1", {"name": "Ana Visser", "nationality": "NL"}, locator="row 1")
    ids["bo"] = nl.entity("person", "P2", {"name": "Bo Jansen"}, locator="row 2")
    ids["cem"] = nl.entity("person", "P3", {"name": "Cem Kaya"}, locator="row 3")
    ids["nl_ph1"] = nl.identifier("phone", "+31 6 1234 5678", locator="row 1")
    ids["nl_ph2"] = nl.identifier("phone", "+49 151 0000 0001", locator="row 2")
    ids["dam"] = nl.identifier("address", "Dam 1, Amsterdam", locator="row 2")
    nl.link("uses", ids["ana"], ids["nl_ph1"], locator="row 1")
    nl.link("uses", ids["bo"], ids["nl_ph2"], locator="row 2")
    nl.link("resides_at", ids["bo"], ids["dam"], locator="row 2")
    nl.link("resides_at", ids["cem"], ids["dam"], locator="row 3")
    nl.link("associate_of", ids["ana"], ids["bo"], locator="row 4", prov=nl.provenance(grading="C3"))
    for _ in range(4):
        nl.read()
        nl.accept("row")
    ws.write_import(nl.finish())

    de = BatchBuilder("cdr.csv", format="events", sha256="de",
                      provenance=Provenance("BKA", "DE", grading="A2", handling="H2", releasable_to=("DE", "NL")))
    a = ids["de_ph1"] = de.identifier("phone", "+31612345678", locator="line 1")
    b = ids["de_ph2"] = de.identifier("phone", "+4915100000001", locator="line 1")
    for i, day in enumerate([3, 10, 17]):
        de.event("call", a, b, datetime(2026, 2, day, 12), locator=f"line {i + 1}", duration=60)
    de.event("call", a, b, datetime(2026, 4, 2, 12), locator="line 4", duration=60)
    de.event("call", b, a, datetime(2026, 2, 20, 9), locator="line 5", duration=30)
    ids["dmitri"] = de.entity("person", "X9", {"name": "Dmitri"}, locator="line 6",
                              prov=de.provenance(handling="TLP:RED"))
    de.link("uses", ids["dmitri"], b, locator="line 6", prov=de.provenance(handling="TLP:RED"))
    for i in range(6):
        de.read()
        de.accept(f"line {i + 1}")
    ws.write_import(de.finish())
    return ids


def _resolve_phones(ws: Workspace, ids: dict[str, str]) -> None:
    ws.execute("CREATE TABLE resolution (entity_id VARCHAR, resolved_id VARCHAR, method VARCHAR, run_at TIMESTAMP)")
    for rec, rid in [("nl_ph1", "N-ph1"), ("de_ph1", "N-ph1"), ("nl_ph2", "N-ph2"), ("de_ph2", "N-ph2")]:
        ws.execute("INSERT INTO resolution VALUES (?, ?, 'test', now())", [ids[rec], rid])


@pytest.fixture
def case():
    ws = Workspace()
    ids = _case(ws)
    yield ws, ids
    ws.close()


def _edge(g: CaseGraph, s: str, t: str, kind: str) -> pd.Series:
    rows = g.edges[(g.edges.source == s) & (g.edges.target == t) & (g.edges.kind == kind)]
    assert len(rows) == 1, (s, t, kind, g.edges[["source", "target", "kind"]])
    return rows.iloc[0]


def test_unresolved_every_record_is_its_own_entity(case):
    ws, ids = case
    g = build_graph(ws)
    assert len(g) == 9  # 3 NL persons + 2 NL phones + address + 2 DE phones + Dmitri
    assert set(g.nodes.id) == set(ids.values())
    call = _edge(g, ids["de_ph1"], ids["de_ph2"], "call")
    assert (call["count"], call["weight"], call["n_records"]) == (4, 4.0, 1)
    assert call["first_seen"] == pd.Timestamp("2026-02-03 12:00") and call["last_seen"] == pd.Timestamp("2026-04-02 12:00")
    assert call["agencies"] == ["BKA"] and call["grading"] == "A2" and call["handling"] == "H2"
    assert call["releasable_to"] == ("DE", "NL")
    back = _edge(g, ids["de_ph2"], ids["de_ph1"], "call")
    assert back["count"] == 1
    assert bool(call["directed"]) and not bool(_edge(g, *sorted([ids["ana"], ids["bo"]]), "associate_of")["directed"])
    # the whole graph: the RED record makes it RED, releasable to nobody but the originator(s)
    assert g.marking.handling == "TLP:RED"
    ana = g.nodes.set_index("id").loc[ids["ana"]]
    assert ana["country"] == "NL" and ana["agencies"] == ["Politie"] and ana["kind"] == "person"
    # +49 phone reported by the Dutch police: its own country is DE, reported from NL
    ph2 = g.nodes.set_index("id").loc[ids["nl_ph2"]]
    assert ph2["country"] == "DE" and ph2["countries"] == ["DE", "NL"]
    assert g.nodes.set_index("id").loc[ids["bo"], "country"] == "NL"  # no property: the reporter's country


def test_resolution_merges_records_and_their_links(case):
    ws, ids = case
    _resolve_phones(ws, ids)
    g = build_graph(ws)
    assert len(g) == 7
    node = g.nodes.set_index("id").loc["N-ph1"]
    assert node["agencies"] == ["BKA", "Politie"]
    assert sorted(node["record_ids"]) == sorted([ids["nl_ph1"], ids["de_ph1"]])
    assert node["grading"] == "A2"  # best of B2 and A2
    assert node["handling"] == "H2"  # strictest of TLP:AMBER and H2 (ranked in schema/handling.yaml)
    assert node["country"] == "NL"
    assert _edge(g, "N-ph1", "N-ph2", "call")["count"] == 4
    assert _edge(g, ids["ana"], "N-ph1", "uses")["agencies"] == ["Politie"]
    # without resolution on request
    assert len(build_graph(ws, resolved=False)) == 9


def test_filters(case):
    ws, ids = case
    _resolve_phones(ws, ids)
    # min grading: the C3 association goes, the B2/A2 links stay
    g = build_graph(ws, min_grading="B2")
    assert "associate_of" not in set(g.edges.kind)
    assert len(g.edges) == len(build_graph(ws).edges) - 1
    # time window: February only -> 3 calls one way, 1 back; standing links (uses) kept
    feb = build_graph(ws, since="2026-02-01", until="2026-02-28")
    assert _edge(feb, "N-ph1", "N-ph2", "call")["count"] == 3
    assert _edge(feb, "N-ph1", "N-ph2", "call")["last_seen"] == pd.Timestamp("2026-02-17 12:00")
    assert "uses" in set(feb.edges.kind)
    # a day given as `until` is the whole day: the call at noon on 17 February is in
    assert _edge(build_graph(ws, until="2026-02-17"), "N-ph1", "N-ph2", "call")["count"] == 3
    assert _edge(build_graph(ws, until="2026-02-17 11:00"), "N-ph1", "N-ph2", "call")["count"] == 2
    april = build_graph(ws, since="2026-04-01")
    calls = april.edges[april.edges.kind == "call"]
    assert calls[["source", "target", "count"]].values.tolist() == [["N-ph1", "N-ph2", 1]]
    # link kinds
    assert set(build_graph(ws, link_kinds=["call"]).edges.kind) == {"call"}
    # agencies, by name or by country
    only_de = build_graph(ws, agencies=["DE"])
    assert set(only_de.nodes.id) == {"N-ph1", "N-ph2", ids["dmitri"]}
    assert set(build_graph(ws, agencies=["bka"]).nodes.id) == set(only_de.nodes.id)
    with pytest.raises(NetintelError):
        build_graph(ws, min_grading="excellent")
    with pytest.raises(NetintelError):
        build_graph(ws, since="2026-05-01", until="2026-01-01")


def test_releasable_to_recipient(case):
    ws, ids = case
    _resolve_phones(ws, ids)
    # Belgium may receive the Dutch records (named) but not BKA's (DE, NL only) nor the RED one
    be = build_graph(ws, recipient="BE")
    assert ids["dmitri"] not in set(be.nodes.id)
    assert "call" not in set(be.edges.kind)
    # restrict first, then resolve: Belgium's view is resolved from its own records, so the phone
    # is the Dutch record alone (BKA's record of the same number is not Belgium's to see)
    ph1 = be.nodes[[ids["nl_ph1"] in list(r) for r in be.nodes.record_ids]]
    assert len(ph1) == 1 and list(ph1["record_ids"].iloc[0]) == [ids["nl_ph1"]]
    assert set(ph1["agencies"].iloc[0]) == {"Politie"} and ids["de_ph1"] not in set(be.nodes.id)
    assert be.marking.allows("BE") and be.marking.handling == "TLP:AMBER"
    # The Netherlands may receive BKA's calls, not the RED person
    nl = build_graph(ws, recipient="NL")
    assert "call" in set(nl.edges.kind) and ids["dmitri"] not in set(nl.edges.source)
    assert nl.marking.allows("NL") and not nl.marking.allows("BE")
    # Germany (originator of the RED record) receives it
    de = build_graph(ws, recipient="DE")
    assert any(ids["dmitri"] in list(r) for r in de.nodes.record_ids)


def test_person_view(case):
    ws, ids = case
    _resolve_phones(ws, ids)
    pv = build_graph(ws).person_view()
    assert set(pv.nodes.kind) == {"person"} and len(pv) == 4
    ana, bo, cem, dmitri = ids["ana"], ids["bo"], ids["cem"], ids["dmitri"]
    # Ana's phone called Bo's phone 4 times, and Bo's called Ana's once
    call = _edge(pv, ana, bo, "call")
    assert (call["count"], call["weight"]) == (4, 4.0) and bool(call["directed"])
    assert sorted(call["via"]) == ["N-ph1", "N-ph2"]
    # its evidence is the whole chain: BKA's calls and the Dutch records of who uses each phone;
    # graded by the chain's weakest link (B2), marked by its strictest (H2)
    assert call["agencies"] == ["BKA", "Politie"] and call["grading"] == "B2" and call["handling"] == "H2"
    assert len(call["link_ids"]) == 3
    # Dmitri also uses Bo's phone: tied to Bo by the shared phone, to Ana by the calls
    s, t = sorted([bo, dmitri])
    assert _edge(pv, s, t, "shared_phone")["weight"] == 1.0
    assert _edge(pv, ana, dmitri, "call")["count"] == 4
    assert _edge(pv, ana, dmitri, "call")["handling"] == "TLP:RED"  # Dmitri's use of the phone is RED
    assert _edge(pv, dmitri, ana, "call")["count"] == 1
    s, t = sorted([bo, cem])
    assert _edge(pv, s, t, "shared_address")["via"] == [ids["dam"]]
    s, t = sorted([ana, bo])
    assert _edge(pv, s, t, "associate_of")["grading"] == "C3"
    # phones only: the shared address goes
    assert "shared_address" not in set(build_graph(ws).person_view(via=["phone"]).edges.kind)
    # an entity shared by more persons than max_shared ties nobody
    assert "shared_address" not in set(build_graph(ws).person_view(max_shared=1).edges.kind)


def test_compute_graphs_agree_with_networkx(case):
    ws, ids = case
    g = build_graph(ws)
    mg = g.to_networkx()
    assert isinstance(mg, nx.MultiDiGraph) and mg.number_of_edges() == len(g.edges)
    simple = g.to_networkx(multigraph=False)
    # reference: collapse the multigraph by hand
    ref: dict[frozenset, float] = {}
    for s, t, d in mg.edges(data=True):
        ref[frozenset((s, t))] = ref.get(frozenset((s, t)), 0.0) + d["weight"]
    assert {frozenset(e): d["weight"] for e in simple.edges for d in [simple.edges[e]]} == ref
    ig_graph = g.to_igraph()
    assert ig_graph.vcount() == len(g) and ig_graph.ecount() == simple.number_of_edges()
    got = {frozenset((ig_graph.vs[e.source]["name"], ig_graph.vs[e.target]["name"])): e["weight"] for e in ig_graph.es}
    assert got == ref
    assert all(abs(e["distance"] - 1 / e["weight"]) < 1e-12 for e in ig_graph.es)


def test_subgraph_marking_and_frames():
    edges = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"], "kind": ["call", "call"],
                          "handling": ["TLP:GREEN", "TLP:AMBER"],
                          "releasable_to": [("*",), ("NL", "DE")]})
    g = CaseGraph.from_frames(edges)
    assert g.marking.handling == "TLP:AMBER" and g.marking.releasable_to == ("DE", "NL")
    sub = g.subgraph(["a", "b"])
    assert len(sub) == 2 and sub.marking.handling == "TLP:GREEN"
    assert "<b>CaseGraph</b>" in sub._repr_html_()
    assert combine_markings([]).releasable_to == ("*",)


# -- property: nothing outside the recipient's releasability leaks --------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_HANDLING = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:RED", "H2"]
_RELEASE = [(), ("PARTNERS",), ("NL",), ("DE", "BE"), ("*",)]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["NL", "DE"]), st.integers(0, 4), st.integers(0, 4),
                          st.sampled_from(_HANDLING), st.sampled_from(_RELEASE)), min_size=1, max_size=8),
       st.sampled_from(["NL", "DE", "BE", "FR"]))
def test_recipient_view_never_leaks(records, recipient):
    ws = Workspace()
    try:
        for country in ("NL", "DE"):
            b = BatchBuilder(f"{country}.csv", format="table", sha256=country,
                             provenance=Provenance(f"Agency {country}", country, grading="B2", handling="TLP:AMBER"))
            for i, (c, x, y, handling, rel) in enumerate(records):
                if c != country or x == y:
                    continue
                prov = b.provenance(handling=handling, releasable_to=list(rel) or None)
                p = b.entity("person", f"P{x}", {"name": f"P{x}"}, locator=f"row {i}", prov=prov)
                q = b.entity("person", f"P{y}", {"name": f"P{y}"}, locator=f"row {i}", prov=prov)
                b.link("associate_of", p, q, locator=f"row {i}", prov=prov)
            ws.write_import(b.finish())
        ents, links = ws.entities(), ws.links()
        ok_entities = set(ents.loc[ws.releasable_mask(ents, recipient), "entity_id"]) if len(ents) else set()
        ok_links = set(links.loc[ws.releasable_mask(links, recipient), "link_id"]) if len(links) else set()
        g = build_graph(ws, recipient=recipient)
        assert all(set(r) <= ok_entities for r in g.nodes["record_ids"])
        assert all(set(r) <= ok_links for r in g.edges["link_ids"])
        assert g.marking.allows(recipient) or (g.nodes.empty and g.edges.empty)
        assert all(recipient in rel or "*" in rel for rel in g.nodes["releasable_to"])
    finally:
        ws.close()


def test_compute_graph_is_the_case_graph_collapsed():
    # the sample, resolved: the DuckDB-built arrays against CaseGraph.collapsed() of build_graph
    from pathlib import Path

    from netintel import Workspace
    from netintel.graph import build_graph, compute_graph
    from netintel.ingest import ingest
    from netintel.resolve import resolve

    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    with Workspace() as ws:
        ingest(ws, sorted(p for p in sample.iterdir() if p.is_dir() and p.name != "truth"), progress=False)
        resolve(ws)
        graph, cg = build_graph(ws), compute_graph(ws)
        assert cg.ids.tolist() == graph.ids and cg.kinds.tolist() == graph.nodes["kind"].tolist()
        assert cg.marking == graph.marking
        for (s, t, w), view in (((cg.source, cg.target, cg.weight), graph),
                                ((cg.person_source, cg.person_target, cg.person_weight), graph.person_view())):
            c = view.collapsed()
            ids = cg.ids
            assert ids[s].tolist() == c["source"].tolist() and ids[t].tolist() == c["target"].tolist()
            np.testing.assert_allclose(w, c["weight"].to_numpy())
        assert cg.source.dtype == np.int32 and cg.nbytes < 200 * max(len(cg.source), 1)
        nodes = cg.node_table()
        assert nodes["label"].tolist() == graph.nodes["label"].tolist()
        assert [sorted(c) for c in nodes["countries"]] == [sorted(c) for c in graph.nodes["countries"]]


def test_the_person_view_is_built_once_and_each_caller_gets_its_own_tables(monkeypatch):
    nodes = pd.DataFrame({"id": ["A", "B", "C", "a", "b", "h"], "kind": ["person"] * 3 + ["phone", "phone", "address"]})
    edges = pd.DataFrame({"source": ["A", "B", "a", "B", "C"], "target": ["a", "b", "b", "h", "h"],
                          "kind": ["uses", "uses", "call", "resides_at", "resides_at"],
                          "weight": [1.0, 1.0, 7.0, 1.0, 1.0]})
    g = CaseGraph.from_frames(edges, nodes)
    built = []
    real = CaseGraph._build_person_view
    monkeypatch.setattr(CaseGraph, "_build_person_view", lambda self, **kw: built.append(kw) or real(self, **kw))
    first = g.person_view()
    first.edges.loc[0, "weight"] = 99.0  # a caller that edits its copy
    again = g.person_view()
    assert len(built) == 1
    assert again.edges["weight"].tolist() == [7.0, 1.0]
    assert g.person_view(via=iter(["phone"])).edges["kind"].tolist() == ["call"]  # other parameters: built anew
    assert len(built) == 2
    assert dataclasses.replace(g, filters={"x": 1}).person_view().edges["weight"].tolist() == [7.0, 1.0]
    assert len(built) == 3  # a replaced graph starts without the views of the one it came from
