"""netintel centrality / paths / disrupt on a small workspace file built by hand."""

from __future__ import annotations

import json
from datetime import datetime

import networkx as nx
import pytest

from netintel import Workspace
from netintel.cli import main
from netintel.ingest._common import BatchBuilder, Provenance

# Persons P0..P6 of the Dutch police: two triangles (P0 P1 P2) and (P4 P5 P6) joined through P3.
# P2 uses a phone that a German CDR shows calling P4's phone 3 times.
TIES = [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (4, 5), (5, 6), (4, 6)]


@pytest.fixture
def workspace(tmp_path):
    path = tmp_path / "case.duckdb"
    ws = Workspace(path)
    nl = BatchBuilder("personen.csv", format="table", sha256="nl",
                      provenance=Provenance("Politie", "NL", grading="B2", handling="TLP:AMBER"))
    ids = [nl.entity("person", f"P{i}", {"name": f"Person {i}"}, locator=f"row {i}") for i in range(7)]
    for a, b in TIES:
        nl.link("associate_of", ids[a], ids[b], locator=f"rel {a}-{b}")
    ph_a = nl.identifier("phone", "+31600000002", locator="row 2")
    ph_b = nl.identifier("phone", "+31600000004", locator="row 4")
    nl.link("uses", ids[2], ph_a, locator="row 2")
    nl.link("uses", ids[4], ph_b, locator="row 4")
    nl.read(7)
    for i in range(7):
        nl.accept(f"row {i}")
    ws.write_import(nl.finish())
    de = BatchBuilder("cdr.csv", format="events", sha256="de",
                      provenance=Provenance("BKA", "DE", grading="A2", handling="H2", releasable_to=("NL", "DE")))
    a = de.identifier("phone", "+31600000002", locator="line 1")
    b = de.identifier("phone", "+31600000004", locator="line 1")
    for day in (1, 2, 3):
        de.event("call", a, b, datetime(2026, 3, day), locator=f"line {day}")
    de.read(3)
    for day in (1, 2, 3):
        de.accept(f"line {day}")
    ws.write_import(de.finish())
    # resolution: each number's NL and DE records are one phone
    ws.execute("CREATE TABLE resolution (entity_id VARCHAR, resolved_id VARCHAR, method VARCHAR, run_at TIMESTAMP)")
    for rec, rid in [(ph_a, "N-phone-2"), (a, "N-phone-2"), (ph_b, "N-phone-4"), (b, "N-phone-4")]:
        ws.execute("INSERT INTO resolution VALUES (?, ?, 'test', now())", [rec, rid])
    ws.close()
    return path, ids


def _run(capsys, *argv) -> object:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_centrality_json(workspace, capsys):
    path, ids = workspace
    rows = _run(capsys, "centrality", "--workspace", str(path), "--json", "--top", "3", "--view", "person")
    # person view: the two triangles, P3 between them, and P2-P4 tied by the calls between their phones
    g = nx.Graph([(f"P{a}", f"P{b}") for a, b in TIES] + [("P2", "P4")])
    ref = nx.betweenness_centrality(g)
    name = {f"P{i}": ids[i] for i in range(7)}
    # P2 and P4 are symmetric: the tie goes to the smaller resolved id
    best = min(ref, key=lambda n: (-round(ref[n], 10), name[n]))
    assert rows[0]["id"] == name[best] and rows[0]["rank"] == 1
    assert rows[0]["betweenness"] == pytest.approx(ref[best])
    assert len(rows) == 3 and {"degree", "pagerank", "k_core", "closeness"} <= set(rows[0])
    full = _run(capsys, "centrality", "--workspace", str(path), "--json", "--top", "0")
    assert len(full) == 9 and {"N-phone-2", "N-phone-4"} <= {r["id"] for r in full}


def test_paths_json(workspace, capsys):
    path, ids = workspace
    out = _run(capsys, "paths", "Person 0", "Person 6", "--workspace", str(path), "--json")
    assert out["source"] == ids[0] and out["target"] == ids[6]
    # shortest in the entity graph: P0 - P2 - phone - phone - P4 - P6 (5 hops) or P0-P2-P3-P4-P6 (4 hops)
    assert out["paths"] == [[ids[0], ids[2], ids[3], ids[4], ids[6]]]
    hop = out["hops"][0]
    assert hop["kinds"] == ["associate_of"] and hop["agencies"] == ["Politie"] and hop["grading"] == "B2"
    allp = _run(capsys, "paths", ids[2], ids[4], "--workspace", str(path), "--json", "--max-hops", "3")
    assert [ids[2], "N-phone-2", "N-phone-4", ids[4]] in allp["paths"]
    call_hop = [h for h in allp["hops"] if h["kinds"] == ["call"]][0]
    assert call_hop["count"] == 3 and call_hop["agencies"] == ["BKA"]
    assert allp["marking"]["handling"] == "H2"


def test_paths_unknown_entity_fails_with_message(workspace, capsys):
    path, _ = workspace
    assert main(["paths", "Person 0", "Nobody", "--workspace", str(path)]) == 1
    assert "no entity" in capsys.readouterr().err


def test_disrupt_json_matches_networkx(workspace, capsys):
    path, ids = workspace
    rows = _run(capsys, "disrupt", "--workspace", str(path), "--strategy", "betweenness", "--mode", "sequential",
                "--steps", "3", "--view", "person", "--json")
    assert [r["step"] for r in rows] == [1, 2, 3]
    # networkx reference on the same person graph, same tie rule (highest, then smallest id)
    name = {f"P{i}": ids[i] for i in range(7)}
    g = nx.relabel_nodes(nx.Graph([(f"P{a}", f"P{b}") for a, b in TIES] + [("P2", "P4")]), name)
    lcc0 = max(len(c) for c in nx.connected_components(g))
    for row in rows:
        bc = nx.betweenness_centrality(g)
        victim = min(bc, key=lambda n: (-round(bc[n], 10), n))
        g.remove_node(victim)
        lcc = max(len(c) for c in nx.connected_components(g))
        assert row["removed"] == victim
        assert row["lcc_size"] == lcc and row["lcc_fraction"] == pytest.approx(lcc / lcc0)
        assert row["efficiency"] == pytest.approx(nx.global_efficiency(g))
    block = _run(capsys, "disrupt", "--workspace", str(path), "--strategy", "degree", "--mode", "block",
                 "--steps", "2", "--json")
    assert len(block) == 2 and all(r["removed"] for r in block)


def test_human_readable_output(workspace, capsys):
    path, _ = workspace
    assert main(["centrality", "--workspace", str(path), "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "Key players by betweenness" in out and "exact (Brandes)" in out
    assert main(["disrupt", "--workspace", str(path), "--steps", "1", "--strategy", "collective_influence"]) == 0
    assert "largest component" in capsys.readouterr().out
