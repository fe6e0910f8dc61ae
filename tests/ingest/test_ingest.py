"""ingest(): folders, format detection, idempotent re-import, failures that keep the rest, crashes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from ingest_fixtures import CDR_CSV, PERSONS_CSV, write

from netintel import Workspace
from netintel.errors import InputError
from netintel.ingest import IntakeReport, detect_format, find_sources, ingest
from netintel.workspace import record_id

POLITIE = "Politie Nederland"


def _table_rows(ws) -> dict[str, int]:
    return {t: int(ws.sql(f"SELECT count(*) AS n FROM {t}").n[0])
            for t in ("sources", "entities", "links", "events", "quarantine", "raw_records")}


def test_folder_with_source_yaml_mappings_and_truth(ws, agency_folder):
    found = [f.display for f in find_sources([agency_folder])]
    assert found == ["nl_politie/README.md", "nl_politie/personen.csv", "nl_politie/relaties.csv",
                     "nl_politie/tap/cdr.csv"]
    report = ingest(ws, agency_folder, progress=False)
    s = report.sources.set_index("file")
    assert s.loc["nl_politie/README.md", "status"] == "skipped"
    assert list(s.loc[["nl_politie/personen.csv", "nl_politie/relaties.csv", "nl_politie/tap/cdr.csv"], "format"]) \
        == ["table", "table", "events"]
    assert set(s.agency.dropna()) == {POLITIE} and set(s.country.dropna()) == {"NL"}
    assert (s.read == s.accepted + s.quarantined).all()
    assert s.loc["nl_politie/tap/cdr.csv", "read"] == 7
    ents = ws.sql("SELECT * FROM entities WHERE source_id IN "
                  "(SELECT source_id FROM sources WHERE file_name = 'personen.csv')").set_index("entity_id")
    # the folder's default grading, unless the row says otherwise
    assert ents.loc[record_id("E", POLITIE, "person:P-2"), "grading"] == "C3"
    assert ents.loc[record_id("E", POLITIE, "person:P-1"), "grading"] == "B2"
    assert list(ents.loc[record_id("E", POLITIE, "person:P-2"), "releasable_to"]) == ["PARTNERS"]
    assert report.grading.loc[POLITIE].sum() == len(ws.entities()) + len(ws.links()) + len(ws.events())
    # personen.csv: 3 quarantined (P-3's birth date "not a date" is flagged, the person kept)
    assert report.totals()["quarantined"] == len(report.quarantine) == 3 + 3 + 3
    assert "read 18 = accepted 9 + quarantined 9" in report.summary()
    assert "1 fields flagged on records kept" in report.summary()
    html = report._repr_html_()
    assert "personen.csv" in html and "Quarantine" in html


def test_reimport_is_idempotent_and_a_changed_file_replaces_its_rows(ws, agency_folder):
    first = ingest(ws, agency_folder, progress=False)
    before = _table_rows(ws)
    ids = set(ws.entities().entity_id), set(ws.links().link_id), set(ws.events().event_id)
    second = ingest(ws, agency_folder, progress=False)
    assert list(second.sources.status) == ["skipped", "unchanged", "unchanged", "unchanged"]
    cols = ["read", "accepted", "quarantined", "entities", "links", "events"]
    assert second.sources[cols].equals(first.sources[cols])
    assert _table_rows(ws) == before
    assert (set(ws.entities().entity_id), set(ws.links().link_id), set(ws.events().event_id)) == ids
    assert list(ws.audit_log().action) == ["import", "import", "import"]
    # the partner sends the persons table again without P-2's row: its rows go, P-1 keeps its id
    persons = agency_folder / "nl_politie" / "personen.csv"
    persons.write_text(PERSONS_CSV.replace("P-2,Piet,Jansen,1980,+31687654321,,\n", ""), "utf-8")
    third = ingest(ws, agency_folder, progress=False)
    assert list(third.sources.status) == ["skipped", "imported", "unchanged", "unchanged"]
    sid = ws.sql("SELECT source_id FROM sources WHERE file_name = 'personen.csv'").source_id[0]
    mine = ws.entities().query("source_id == @sid")
    assert record_id("E", POLITIE, "person:P-2") in set(mine.entity_id)  # the duplicate row now stands alone
    assert record_id("E", POLITIE, "phone:+31687654321") not in set(mine.entity_id)
    assert record_id("E", POLITIE, "person:P-1") in set(mine.entity_id)
    assert int(ws.sql("SELECT count(*) AS n FROM entities WHERE source_id = ?", [sid]).n[0]) == len(mine)
    assert ws.audit_log().action.iloc[-1] == "reimport"


def test_a_changed_mapping_or_option_reimports(ws, persons):
    ingest(ws, persons, agency=POLITIE, country="NL", progress=False)
    again = ingest(ws, persons, agency=POLITIE, country="NL", grading="A1", progress=False)
    assert again.sources.status[0] == "imported"
    assert ws.entities().set_index("source_record_id").loc["P-2", "grading"] == "A1"
    mapping = persons.with_name("personen.mapping.yaml")
    mapping.write_text(mapping.read_text().replace("record:\n", "record:\n  reported: geboortedatum\n"))
    assert ingest(ws, persons, agency=POLITIE, country="NL", grading="A1", progress=False).sources.status[0] == \
        "imported"


def test_provenance_precedence(ws, agency_folder):
    mapping = agency_folder / "nl_politie" / "personen.mapping.yaml"
    mapping.write_text(mapping.read_text() + "defaults: {grading: B3, handling: H2}\n")
    ingest(ws, agency_folder / "nl_politie" / "personen.csv", handling="TLP:GREEN", progress=False)
    p2 = ws.entities().set_index("source_record_id").loc["P-2"]
    # source.yaml (C3, AMBER) < mapping defaults (B3, H2) < the caller (TLP:GREEN)
    assert (p2.agency, p2.grading, p2.handling) == (POLITIE, "B3", "TLP:GREEN")


def test_a_grading_given_later_brings_its_own_scheme(ws, agency_folder):
    source = agency_folder / "nl_politie" / "source.yaml"
    source.write_text(source.read_text().replace("grading: C3", "grading: 70\ngrading_scheme: stix_confidence"))
    ingest(ws, agency_folder / "nl_politie" / "tap" / "cdr.csv", progress=False)
    assert set(ws.links().grading) == {"F2"}
    # the caller's Admiralty grading is not read as a STIX confidence
    ingest(ws, agency_folder / "nl_politie" / "tap" / "cdr.csv", grading="B1", progress=False)
    assert set(ws.links().grading) == {"B1"} and set(ws.links().grading_scheme) == {"admiralty"}


def test_one_bad_file_does_not_lose_the_others(ws, tmp_path, cdr):
    empty = write(tmp_path, "leeg.csv", b"")
    ties = write(tmp_path, "ties.csv", "source,target\nA,B\n")
    with pytest.raises(InputError) as err:
        ingest(ws, [cdr, empty, ties], agency=POLITIE, country="NL", progress=False)
    assert "leeg.csv" in str(err.value) and "is empty" in str(err.value)
    report = err.value.report
    assert isinstance(report, IntakeReport) and not report.ok
    assert list(report.sources.status) == ["imported", "failed", "imported"]
    assert set(ws.sources().file_name) == {"cdr.csv", "ties.csv"}
    kept = ingest(ws, [cdr, empty, ties], agency=POLITIE, country="NL", progress=False, on_error="report")
    assert list(kept.sources.status) == ["unchanged", "failed", "unchanged"]
    bad = write(tmp_path, "tap2.csv", "caller,callee\n1,2\n")  # no start column: fails with its format known
    row = ingest(ws, bad, agency=POLITIE, country="NL", progress=False, on_error="report").sources.iloc[0]
    assert (row.status, row.format, row.agency) == ("failed", "events", POLITIE) and "start" in row.error
    assert "leeg.csv" in kept.errors["leeg.csv"]


@pytest.mark.parametrize("kw, message", [
    ({}, "no agency and no country"),
    ({"agency": "X", "country": "Netherlands"}, "not an ISO 3166-1 alpha-2"),
    ({"agency": "X", "country": "NL", "grading": "Z9"}, "bad default provenance"),
])
def test_missing_or_bad_provenance(ws, cdr, kw, message):
    with pytest.raises(InputError, match=message):
        ingest(ws, cdr, progress=False, **kw)


def test_format_detection_by_content(tmp_path):
    bundle = write(tmp_path, "report.json", json.dumps({"type": "bundle", "id": "bundle--1", "objects": []},
                                                       indent=2))
    ftm = write(tmp_path, "entities.json", '{"id": "p1", "schema": "Person", "properties": {"name": ["A"]}}\n')
    other = write(tmp_path, "other.json", '{"hello": "world"}')
    tsv_cdr = write(tmp_path, "tap.txt", "CALLER\tCALLEE\tSTART\n1\t2\t2026-01-01\n")
    assert detect_format(bundle) == "stix"
    assert detect_format(ftm) == "ftm"
    assert detect_format(tsv_cdr) == "events"
    with pytest.raises(InputError, match="neither a STIX 2.1 bundle"):
        detect_format(other)
    unknown = write(tmp_path, "mystery.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match="cannot tell what this table holds.*mystery.mapping.yaml"):
        detect_format(unknown)


CRASHER = textwrap.dedent("""
    import os, sys
    from netintel import Workspace
    from netintel.ingest import ingest
    from netintel.workspace import Workspace as W

    inserted = []

    def crash_after_some_rows(original):
        def insert(self, table, *args, **kwargs):
            original(self, table, *args, **kwargs)
            inserted.append(table)
            if table == "links":  # entities and links written, events not yet: die inside the transaction
                sys.stdout.write("crashing after " + ",".join(inserted) + "\\n")
                sys.stdout.flush()
                os._exit(137)
        return insert

    # records are written by _insert_frame, a bulk loader's columns by _insert_columns
    W._insert_frame = crash_after_some_rows(W._insert_frame)
    W._insert_columns = crash_after_some_rows(W._insert_columns)
    ws = Workspace(sys.argv[1])
    ingest(ws, [sys.argv[2]], agency="KPN warrant", country="NL", progress=False)
""")


def test_crash_in_the_middle_of_an_import_loses_nothing(tmp_path, cdr):
    db = tmp_path / "case.duckdb"
    with Workspace(db) as ws:
        ingest(ws, cdr, agency=POLITIE, country="NL", progress=False)
        before = _table_rows(ws)
        entities_before = ws.entities()
    big = tmp_path / "big_tap.csv"
    rows = [f"+3161{i % 997:07d},+3247{(i * 7) % 1009:07d},2026-06-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d},"
            f"{i % 300},CELL-{i % 50}" for i in range(5000)]
    big.write_text("caller,callee,start,duration,cell\n" + "\n".join(rows) + "\n")
    script = tmp_path / "crash.py"
    script.write_text(CRASHER)
    done = subprocess.run([sys.executable, str(script), str(db), str(big)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 137, done.stderr
    assert "crashing after entities,links" in done.stdout
    with Workspace(db) as ws:
        assert _table_rows(ws) == before  # nothing partial is visible
        pd.testing.assert_frame_equal(ws.entities(), entities_before)
        assert list(ws.sources().file_name) == ["cdr.csv"]
        assert list(ws.audit_log().action) == ["import"]
        # and the import can simply be run again
        report = ingest(ws, big, agency="KPN warrant", country="NL", progress=False)
        assert report.sources.accepted[0] == 5000 and report.sources.events[0] == 5000
        assert int(ws.sql("SELECT count(*) AS n FROM events").n[0]) == 5000 + before["events"]


def test_stix_and_ftm_files_go_to_their_loaders(ws, tmp_path):
    bundle = {"type": "bundle", "id": "bundle--6f5e7a3c-0c1e-4a6e-9d6b-0c4f1c1d2e3f", "objects": [
        {"type": "identity", "spec_version": "2.1", "id": "identity--0c4f1c1d-2e3f-4a6e-9d6b-6f5e7a3c0c1e",
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "name": "CERT-EE",
         "identity_class": "organization", "x_country": "EE"},
        {"type": "malware", "spec_version": "2.1", "id": "malware--1c4f1c1d-2e3f-4a6e-9d6b-6f5e7a3c0c1e",
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "name": "Lockbit-ish",
         "is_family": True, "created_by_ref": "identity--0c4f1c1d-2e3f-4a6e-9d6b-6f5e7a3c0c1e"}]}
    stix = write(tmp_path, "report.json", json.dumps(bundle, indent=1))
    ftm = write(tmp_path, "registry.ftm.json",
                '{"id": "c1", "schema": "Company", "properties": {"name": ["Acme BV"], "publisher": ["LV UR"]}}\n'
                '{"id": "p1", "schema": "Spaceship", "properties": {"name": ["X"]}}\n')
    # a STIX bundle names its producer: without --agency/--country its creator identity gives them
    s = ingest(ws, stix, progress=False).sources.iloc[0]
    assert (s.format, s.agency, s.country, s.read, s.accepted) == ("stix", "CERT-EE", "EE", 2, 2)
    s = ingest(ws, ftm, country="LV", progress=False).sources.iloc[0]
    assert (s.format, s.agency, s.country, s.read, s.accepted, s.quarantined) == ("ftm", "LV UR", "LV", 2, 1, 1)
    assert "Spaceship" in ws.quarantine().reason.iloc[-1] or "schema" in ws.quarantine().reason.iloc[-1]


@pytest.mark.parametrize("name, content, message", [
    ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\x00\x00stream", "binary file"),
    ("notes.csv", b"\x00\x01\x02\x03binary", "binary file"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, ".xls"),
    ("empty.json", b"", "is empty"),
    ("broken.xlsx", b"PK\x03\x04not really a workbook", "not a readable XLSX workbook"),
])
def test_wrong_file_types_are_refused_whole(ws, tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(InputError) as err:
        ingest(ws, path, agency=POLITIE, country="NL", progress=False)
    assert message in str(err.value) and name in str(err.value)
    assert ws.counts()["sources"] == 0


def test_releasable_to_and_grading_scheme_options(ws, cdr):
    ingest(ws, cdr, agency=POLITIE, country="NL", grading="2", grading_scheme="stix_confidence",
           handling="amber", releasable_to="be, de", progress=False)
    link = ws.links().iloc[0]
    assert (link.grading, link.grading_scheme, link.handling, list(link.releasable_to)) == \
        ("F5", "stix_confidence", "TLP:AMBER", ["BE", "DE"])


def test_a_loader_bug_fails_its_file_only(ws, tmp_path, cdr, monkeypatch):
    import netintel.ingest.edgelist as edgelist

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(edgelist, "load_edgelist", broken)
    ties = write(tmp_path, "ties.csv", "source,target\nA,B\n")
    report = ingest(ws, [ties, cdr], agency=POLITIE, country="NL", progress=False, on_error="report")
    assert list(report.sources.status) == ["failed", "imported"]
    assert "RuntimeError: boom" in report.errors["ties.csv"] and "nothing of this file was written" in \
        report.errors["ties.csv"]
    assert list(ws.sources().file_name) == ["cdr.csv"]
