"""Retention: undated records fall due from the day they were shared; purge erases every byte."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from netintel.cli import main
from netintel.ingest import ingest
from netintel.report import purge_table, workspace_report
from netintel.retention import id_hash, purge_expired, retention_status, review_date
from netintel.workspace import Workspace

# Canary values only the Belgian file holds: none may survive its purge anywhere in the file.
BE_CANARIES = ["Zebulonovic", "Quirinette", "+32499887766", "BE-Q-0001", "Xanthippa", "+32411223344"]
BE_PERSONS = """\
pid,name,phone,grade
BE-Q-0001,Quirinette Zebulonovic,+32499887766,B2
BE-Q-0002,Xanthippa Zebulonovic,+32411223344,Q9
"""
NL_PERSONS = """\
pid,name,phone,gemeld
NL-1,Jan Bewaardersma,+31600000001,{today}
NL-2,Els Blijvendaal,+31600000002,{today}
"""
MAPPING = """\
entities:
  person: {{kind: person, id: pid, properties: {{name: name}}}}
  phone: {{kind: phone, properties: {{number: phone}}}}
links:
  - {{kind: uses, source: person, target: phone}}
record: {{{record}}}
"""


def test_review_dates_hand_worked():
    # 2026-03-01 + 1095 days crosses 2028-02-29: 2029-02-28; + 1825 days (NL): 2031-02-28
    assert review_date("BE", date(2026, 3, 1)) == date(2029, 2, 28)
    assert review_date("NL", date(2026, 3, 1)) == date(2031, 2, 28)
    assert review_date("CY", date(2026, 3, 1)) == date(2036, 2, 27)  # 3650 days, three leap days
    assert review_date("XX", date(2026, 3, 1)) == date(2031, 2, 28)  # a country not listed: the "*" rule
    assert review_date("NL", None) is None


def test_undated_records_take_their_review_date_from_the_day_they_were_shared(tmp_path):
    ws = Workspace()
    (tmp_path / "be.csv").write_text(BE_PERSONS.replace(",B2", ",B2").replace(",Q9", ",B3"), "utf-8")
    (tmp_path / "be.mapping.yaml").write_text(MAPPING.format(record="grading: grade"), "utf-8")
    ingest(ws, [tmp_path / "be.csv"], agency="Police BE", country="BE", progress=False)
    shared = ws.sql("SELECT imported_at FROM sources")["imported_at"][0].date()
    rows = ws.sql("SELECT DISTINCT reported, retain_until FROM entities UNION SELECT DISTINCT reported, "
                  "retain_until FROM links")
    assert rows["reported"].isna().all()
    assert set(rows["retain_until"]) == {pd_date(shared + timedelta(days=1095))}
    # the same rule on a hand-worked import day
    sid = ws.sql("SELECT source_id FROM sources")["source_id"][0]
    ws.execute("UPDATE entities SET retain_until = NULL")
    ws.date_undated(sid, date(2026, 3, 1))
    assert set(ws.sql("SELECT retain_until FROM entities")["retain_until"]) == {pd_date(date(2029, 2, 28))}
    status = retention_status(ws, today=date(2029, 3, 1))
    ent = status[status["table"] == "entities"].iloc[0]
    assert (ent.n_records, ent.n_expired, ent.n_no_date) == (4, 4, 4)
    ws.close()


def pd_date(d: date):
    import pandas as pd
    return pd.Timestamp(d)


def _file_bytes(path: Path) -> bytes:
    out = b""
    for f in sorted(path.parent.iterdir()):
        if f.name.startswith(path.name):  # the file, and any .wal or leftover beside it
            out += f.read_bytes()
    return out


@pytest.fixture
def case_file(tmp_path):
    """A workspace file: an undated Belgian file (one row quarantined) and a dated Dutch file, resolved."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "be.csv").write_text(BE_PERSONS, "utf-8")
    (src / "be.mapping.yaml").write_text(MAPPING.format(record="grading: grade"), "utf-8")
    (src / "nl.csv").write_text(NL_PERSONS.format(today=date.today().isoformat()), "utf-8")
    (src / "nl.mapping.yaml").write_text(MAPPING.format(record="reported: gemeld"), "utf-8")
    path = tmp_path / "case.duckdb"
    with Workspace(path) as ws:
        ingest(ws, [src / "be.csv"], agency="Police BE", country="BE", progress=False)
        ingest(ws, [src / "nl.csv"], agency="Politie NL", country="NL", progress=False)
        assert ws.counts()["quarantine"] == 1  # Q9 is no grading: the Xanthippa row
        # a derived row about a Belgian entity, as resolution writes them
        from netintel.resolve.decisions import ensure_tables
        ensure_tables(ws)
        be = ws.sql("SELECT entity_id FROM entities WHERE agency = 'Police BE' ORDER BY entity_id")["entity_id"]
        nl = ws.sql("SELECT entity_id FROM entities WHERE agency = 'Politie NL' ORDER BY entity_id")["entity_id"]
        ws.execute("INSERT INTO resolution_pairs (run_id, entity_a, entity_b, evidence) VALUES (1, ?, ?, ?)",
                   [be[0], nl[0], json.dumps({"name": ["Quirinette Zebulonovic", "Jan Bewaardersma"]})])
        ws.execute("INSERT INTO resolution VALUES (?, ?, 'test', now())", [be[0], be[0]])
        ws.execute("CHECKPOINT")
    return path


def test_purge_erases_every_copy_from_the_file_bytes(case_file):
    before = _file_bytes(case_file)
    # the test can fail: before the purge the values are in the file
    assert all(v.encode() in before for v in ["Zebulonovic", "+32499887766", "Xanthippa"])
    today = date.today() + timedelta(days=1096)  # past BE's 1095 days from the import, within NL's 1825
    with Workspace(case_file) as ws:
        counts = purge_expired(ws, today=today)
        assert counts == {"entities": 2, "links": 1, "events": 0, "raw_records": 1, "quarantine": 1, "derived": 2}
        assert ws.sql("SELECT count(*) AS n FROM entities WHERE agency = 'Police BE'")["n"][0] == 0
        assert ws.sql("SELECT count(*) AS n FROM entities WHERE agency = 'Politie NL'")["n"][0] == 4
        assert ws.counts()["quarantine"] == 0
        audit_id = int(ws.sql("SELECT max(audit_id) AS a FROM audit")["a"][0])
    after = _file_bytes(case_file)
    found = [v for v in BE_CANARIES if v.encode() in after or v.encode("utf-16-le") in after]
    assert found == []
    assert b"Bewaardersma" in after  # what is kept is still there
    assert sorted(p.name for p in case_file.parent.iterdir()) == ["case.duckdb", "in"]  # no backup, no WAL
    with Workspace(case_file, read_only=True) as ws:
        entry = json.loads(ws.sql("SELECT details FROM audit WHERE action = 'purge_expired'")["details"][0])
        assert entry["by_agency"] == {"Police BE": {"entities": 2, "links": 1}}
        assert len(entry["record_id_sha256"]) == 3
        purges = purge_table(ws)
        report = workspace_report(ws)
    assert purges[["entities", "links", "raw_records", "quarantine", "derived", "agencies"]].to_dict("records") == \
        [{"entities": 2, "links": 1, "raw_records": 1, "quarantine": 1, "derived": 2, "agencies": "Police BE"}]
    assert "purges" in report.tables()
    with Workspace(case_file) as ws:  # the rewritten file carries on: its audit sequence did not restart
        ws.audit("check")
        assert int(ws.sql("SELECT max(audit_id) AS a FROM audit")["a"][0]) == audit_id + 1


def test_report_command_shows_the_purge_without_values(case_file, capsys):
    today = (date.today() + timedelta(days=1096)).isoformat()
    assert main(["retention", "-w", str(case_file), "--today", today, "--purge"]) == 0
    assert "2 entity, 1 link and 0 event records, 1 raw rows, 1 quarantined" in capsys.readouterr().out
    assert main(["report", "-w", str(case_file)]) == 0
    text = capsys.readouterr().out
    assert "Purges" in text and "Police BE" in text
    assert main(["report", "-w", str(case_file), "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["purges"][0]["entities"] == 2
    assert not any(v in text or v in out for v in BE_CANARIES)


def test_id_hash_is_what_the_audit_keeps():
    assert id_hash("E1") != id_hash("E2") and len(id_hash("E1")) == 16
