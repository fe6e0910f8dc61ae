"""``netintel resolve`` and ``netintel pprl`` on a small workspace file."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import add_file
from netintel.cli import main
from netintel.workspace import Workspace


@pytest.fixture
def ws_file(tmp_path):
    path = tmp_path / "case.duckdb"
    with Workspace(path, actor="cli.test") as ws:
        add_file(ws, "Politie Nederland", "NL", "personen.csv", [
            {"id": "NL-1", "first_name": "Aleksandr", "last_name": "Petrov", "birth_date": "1980-03-12"},
            {"id": "NL-2", "name": "Jan de Vries", "birth_date": "1975-01-01"}],
            identifiers=[("NL-1", "uses", "phone", "06 12345678")])
        add_file(ws, "ГДНП Bulgaria", "BG", "lica.csv", [
            {"id": "BG-7", "name": "ПЕТРОВ Александр", "birth_date": "12.03.1980"}],
            identifiers=[("BG-7", "uses", "phone", "+31 6 1234 5678")])
        add_file(ws, "Bundeskriminalamt", "DE", "personen.csv", [
            {"id": "DE-3", "name": "Petrov, Aleksandr", "birth_date": "1980-03-12"}])
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_resolve_summary_clusters_and_explain(ws_file, tmp_path, capsys):
    csv = tmp_path / "clusters.csv"
    code, out, _ = run(capsys, "resolve", "--workspace", str(ws_file), "--json", "--clusters-out", str(csv))
    assert code == 0
    summary = json.loads(out)
    assert summary["records"] == 6 and summary["clusters"] == 2
    assert summary["merged_pairs"] == {"deterministic:phone": 1, "probabilistic": 3}
    rows = pd.read_csv(csv)
    assert set(rows.columns) >= {"source_file", "agency", "source_record_id", "resolved_id"}
    petrov = rows[rows["source_record_id"].isin(["NL-1", "BG-7", "DE-3"])]
    assert petrov["resolved_id"].nunique() == 1
    code, out, _ = run(capsys, "resolve", "--workspace", str(ws_file), "--explain", petrov["resolved_id"].iloc[0])
    assert code == 0 and "Bundeskriminalamt / DE-3" in out and "same day" in out
    code, out, _ = run(capsys, "resolve", "--workspace", str(ws_file), "--explain", "N0000999", "--json")
    assert code == 1


def test_resolve_decision_flags(ws_file, capsys):
    run(capsys, "resolve", "--workspace", str(ws_file), "--json")
    with Workspace(ws_file, read_only=True) as ws:
        ids = ws.sql("SELECT entity_id, source_record_id FROM entities").set_index("source_record_id")["entity_id"]
    code, _, _ = run(capsys, "resolve", "--workspace", str(ws_file), "--reject", ids["NL-1"], ids["DE-3"],
                     "--note", "different person", "--json")
    assert code == 0
    with Workspace(ws_file, read_only=True) as ws:
        r = ws.resolved_ids().set_index("entity_id")["resolved_id"]
        assert r[ids["NL-1"]] != r[ids["DE-3"]]
        assert ws.sql("SELECT note FROM resolution_decisions")["note"].tolist() == ["different person"]


def test_pprl_encode_and_match_three_parties(ws_file, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("a shared secret for this exchange\n")
    outs = []
    for agency, name in (("Politie Nederland", "nl"), ("ГДНП Bulgaria", "bg"), ("Bundeskriminalamt", "de")):
        out = tmp_path / f"{name}.json"
        code, _, _ = run(capsys, "pprl", "encode", "--workspace", str(ws_file), "--agency", agency,
                         "--secret-file", str(secret), "--out", str(out), "--json")
        assert code == 0
        assert "Petrov" not in out.read_text() and "Петров" not in out.read_text()
        outs.append(str(out))
    code, out, _ = run(capsys, "pprl", "match", *outs, "--json")
    assert code == 0
    res = json.loads(out)
    pairs = {frozenset((p["record_a"], p["record_b"])) for p in res["pairs"]}
    assert pairs == {frozenset(("DE-3", "BG-7")), frozenset(("BG-7", "NL-1")), frozenset(("DE-3", "NL-1"))}
    hits = {h["record_id"]: h["hit"] for h in res["hits"]}
    assert hits["NL-1"] and hits["BG-7"] and hits["DE-3"] and not hits["NL-2"]
    groups = {h["group"] for h in res["hits"] if h["hit"]}
    assert len(groups) == 1  # one person across three agencies
    code, _, err = run(capsys, "pprl", "encode", "--workspace", str(ws_file), "--agency", "Nobody",
                       "--secret-file", str(secret), "--out", str(tmp_path / "x.json"))
    assert code == 1 and "Nobody" in err
