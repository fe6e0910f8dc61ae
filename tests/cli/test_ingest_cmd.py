"""``netintel ingest`` and ``netintel report`` on files a partner or a researcher really sends."""

from __future__ import annotations

import json

import networkx as nx
import pandas as pd
import pytest

from netintel import Workspace
from netintel.cli import main

# The shape of a published criminal network: a UCINET full matrix exported as CSV, node labels in the
# first row and column (anonymised codes, as the published sets use), ties weighted 1-3.
UCINET = """\
"",C01,C02,C03,C04,C05,C06,C07,C08,C09,C10
C01,0,1,1,1,0,0,0,0,0,0
C02,1,0,2,0,0,0,0,0,0,0
C03,1,2,0,1,1,0,0,0,0,0
C04,1,0,1,0,0,0,0,0,0,3
C05,0,0,1,0,0,1,1,0,0,0
C06,0,0,0,0,1,0,1,0,0,0
C07,0,0,0,0,1,1,0,2,1,0
C08,0,0,0,0,0,0,2,0,0,0
C09,0,0,0,0,0,0,1,0,0,0
C10,0,0,0,3,0,0,0,0,0,0
"""

# A telecom operator's export with its own column names.
OPERATOR_CDR = """\
A_NUMBER;B_NUMBER;DATE;SECONDS;CELL_ID;IMEI_A
31612345678;32470000001;20260601 0008;65;204-08-1201;356938035643809
31612345678;32470000001;20260601 0915;12;204-08-1201;356938035643809
32470000001;31612345678;20260602 2210;300;206-01-7781;
32470000001;31699999999;2026060 2210;300;206-01-7781;
"""


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_ucinet_matrix_with_no_code_changes(tmp_path, capsys):
    path = tmp_path / "network.csv"
    path.write_text(UCINET)
    db = tmp_path / "case.duckdb"
    code, out, _ = run(capsys, "ingest", str(path), "--workspace", str(db), "--agency", "University research",
                       "--country", "GB", "--json")
    assert code == 0
    (row,) = json.loads(out)
    reference = nx.from_pandas_adjacency(pd.read_csv(path, index_col=0))
    assert row["format"] == "matrix"
    assert (row["read"], row["accepted"], row["quarantined"]) == (10 + reference.number_of_edges(),) * 2 + (0,)
    with Workspace(db, read_only=True) as ws:
        labels = ws.entities().set_index("entity_id").label
        got = {frozenset((labels[s], labels[t])): w for s, t, w in ws.links()[["source", "target", "weight"]].values}
    assert got == {frozenset((u, v)): d["weight"] for u, v, d in reference.edges(data=True)}


def test_call_records_with_columns_named_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "operator_export.csv"
    path.write_text(OPERATOR_CDR)
    db = tmp_path / "case.duckdb"
    argv = ["ingest", str(path), "-w", str(db), "--agency", "KPN warrant", "--country", "NL",
            "--map", "caller=A_NUMBER", "--map", "callee=B_NUMBER", "--map", "start=DATE",
            "--map", "duration=SECONDS", "--map", "cell=CELL_ID", "--handling", "H3", "--json"]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    (row,) = json.loads(out)
    assert {k: row[k] for k in ("format", "status", "read", "accepted", "quarantined")} == {
        "format": "events", "status": "imported", "read": 4, "accepted": 3, "quarantined": 1}
    with Workspace(db, read_only=True) as ws:
        events = ws.events().sort_values("time")
        assert list(events.time.dt.strftime("%Y-%m-%d %H:%M")) == ["2026-06-01 00:08", "2026-06-01 09:15",
                                                                    "2026-06-02 22:10"]
        assert events.properties.iloc[0] == {"IMEI_A": "356938035643809"}  # unmapped columns are kept
        assert set(ws.links().handling) == {"H3"}
        q = ws.quarantine()
        assert list(q.locator) == ["line 5"] and "2026060 2210" in q.reason[0]
    # the same command again changes nothing
    code, out, _ = run(capsys, *argv)
    assert json.loads(out)[0]["status"] == "unchanged"


def test_a_failed_file_exits_1_and_says_what_to_fix(tmp_path, capsys):
    good = tmp_path / "ties.csv"
    good.write_text("source,target\nA,B\n")
    bad = tmp_path / "mystery.csv"
    bad.write_text("x,y,z\n1,2,3\n")
    db = tmp_path / "case.duckdb"
    code, out, err = run(capsys, "ingest", str(good), str(bad), "-w", str(db), "--agency", "X", "--country", "NL")
    assert code == 1
    assert "mystery.csv" in err and "mystery.mapping.yaml" in err
    assert "ties.csv" in out and "imported" in out
    with Workspace(db, read_only=True) as ws:
        assert list(ws.sources().file_name) == ["ties.csv"]


def test_report_command(tmp_path, capsys):
    path = tmp_path / "operator_export.csv"
    path.write_text(OPERATOR_CDR)
    db = tmp_path / "case.duckdb"
    run(capsys, "ingest", str(path), "-w", str(db), "--agency", "KPN", "--country", "NL", "--grading", "B2",
        "--map", "caller=A_NUMBER", "--map", "callee=B_NUMBER", "--map", "start=DATE")
    code, out, _ = run(capsys, "report", "-w", str(db), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["intake"][0]["file"] == "operator_export.csv" and data["intake"][0]["quarantined"] == 1
    assert data["quarantine_reasons"][0]["category"] == "bad date"
    # 2 phones, 2 links (A->B and B->A), 3 events; the quarantined row adds nothing
    assert data["grading"] == [{"agency": "KPN", "B2": 2 + 2 + 3}]
    code, out, _ = run(capsys, "report", "-w", str(db))
    assert code == 0 and "Records by agency and grading" in out and "operator_export.csv" in out


@pytest.mark.parametrize("argv, message", [
    (["--map", "caller"], "not of the form field=Column"),
    (["--format", "table"], "has no mapping"),
])
def test_bad_options(tmp_path, capsys, argv, message):
    path = tmp_path / "t.csv"
    path.write_text("caller,callee,start\n1,2,2026-01-01\n")
    code, _, err = run(capsys, "ingest", str(path), "-w", str(tmp_path / "w.duckdb"), "--agency", "X",
                       "--country", "NL", *argv)
    assert code == 1 and message in err
