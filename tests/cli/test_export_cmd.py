"""netintel export: a readable summary, JSON with --json, and -o as the help says."""

from __future__ import annotations

import json

import pytest

from netintel import Workspace
from netintel.cli import main
from netintel.ingest._common import BatchBuilder, Provenance


@pytest.fixture
def workspace(tmp_path):
    path = tmp_path / "case.duckdb"
    ws = Workspace(path)
    nl = BatchBuilder("personen.csv", format="table", sha256="nl",
                      provenance=Provenance("Politie", "NL", grading="B2", handling="TLP:AMBER",
                                            releasable_to=("NL", "BE")))
    a = nl.entity("person", "P1", {"name": "Ana Lima"}, locator="row 1")
    b = nl.entity("person", "P2", {"name": "Bo\x01 Visser"}, locator="row 2")
    nl.link("associate_of", a, b, locator="row 2")
    nl.read(2)
    nl.accept("row 1")
    nl.accept("row 2")
    ws.write_import(nl.finish())
    ws.close()
    return path


def test_summary_without_json_and_json_with_it(workspace, tmp_path, capsys):
    assert main(["export", "--workspace", str(workspace), "-f", "i2", "-o", str(tmp_path / "out" / "case")]) == 0
    text = capsys.readouterr().out
    assert text.startswith("i2 export: 2 entities, 1 links")
    assert "TLP:AMBER — releasable to BE, NL" in text and "{" not in text, "a readable summary, not a dict"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "case_i2_entities.csv", "case_i2_import.ximp", "case_i2_links.csv"]
    assert main(["export", "--workspace", str(workspace), "-f", "gexf", "-o", str(tmp_path / "g" / "case"),
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["paths"] == [str(tmp_path / "g" / "case.gexf")] and doc["entities"] == 2
    assert doc["handling"] == "TLP:AMBER" and doc["releasable_to"] == ["BE", "NL"]
    assert "\\x01" in (tmp_path / "g" / "case.gexf").read_text("utf-8")
