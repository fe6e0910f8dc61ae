"""Every class of bad input: the good records are kept, the bad one quarantined or flagged, read = accepted + quarantined.

Each test names the class as issue 10 found it; the expected counts are hand-counted from the
few lines each test writes.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from netintel.errors import InputError, MappingError
from netintel.ingest import ingest
from netintel.ingest._common import BatchBuilder, Provenance
from netintel.ingest.events import load_events
from netintel.ingest.stix import load_stix
from netintel.ingest.tabular import Mapping, load_table, read_table
from netintel.workspace import Workspace, record_id

from hypothesis_profiles import examples
from ingest_fixtures import PERSONS_MAPPING, write

AGENCY = "Politie Nederland"
HEADER = "persoon_id,voornaam,achternaam,geboortedatum,telefoon,beoordeling,code"
MAPPING = Mapping.from_dict(__import__("yaml").safe_load(PERSONS_MAPPING))
SIMPLE_MAPPING = """\
entities:
  person: {kind: person, id: pid, properties: {name: name}}
  phone: {kind: phone, properties: {number: phone}}
links:
  - {kind: uses, source: person, target: phone}
"""


def _load(path: Path, mapping: Mapping = MAPPING):
    builder = BatchBuilder(path, format="table", provenance=Provenance(AGENCY, "NL"))
    load_table(path, builder, mapping)
    return builder.finish()


def _person_ids(batch) -> set[str]:
    return {e["source_record_id"] for e in batch.entities if e["kind"] == "person"}


# -- CSV: an unclosed quote, an all-empty row ------------------------------------------------------
def test_an_unclosed_quote_is_quarantined_alone_and_the_rows_after_it_are_kept(tmp_path):
    path = write(tmp_path, "p.csv", f"""{HEADER}
P-1,Jan,de Vries,17-03-1975,+31612345678,B2,AMBER
P-2,"Piet,Jansen,01-01-1980,+31687654321,B2,AMBER
P-3,Anna,Bakker,02-02-1982,+31611111111,B2,AMBER
P-4,Els,Visser,03-03-1983,+31622222222,B2,AMBER
""")
    batch = _load(path)
    assert (batch.n_read, batch.n_accepted, batch.n_quarantined) == (4, 3, 1)
    assert _person_ids(batch) == {"P-1", "P-3", "P-4"}
    [q] = batch.quarantine
    assert q["locator"] == "line 3" and "unclosed quote" in q["reason"] and q["raw"].startswith('P-2,"Piet')


def test_an_unclosed_quote_closed_by_a_later_quote_does_not_swallow_the_rows_between(tmp_path):
    path = write(tmp_path, "p.csv", f"""{HEADER}
P-1,"Jan,de Vries,17-03-1975,+31612345678,B2,AMBER
P-2,Piet,Jansen,01-01-1980,+31687654321,B2,AMBER
P-3,"Anna",Bakker,02-02-1982,+31611111111,B2,AMBER
""")
    batch = _load(path)
    assert (batch.n_read, batch.n_accepted, batch.n_quarantined) == (3, 2, 1)
    assert _person_ids(batch) == {"P-2", "P-3"}
    assert [q["locator"] for q in batch.quarantine] == ["line 2"]


def test_a_quoted_line_break_is_still_one_record(tmp_path):
    path = write(tmp_path, "p.csv", f'{HEADER}\nP-1,"Jan\nJr.",de Vries,17-03-1975,,B2,AMBER\nP-2,Piet,J,,,,\n')
    batch = _load(path)
    assert (batch.n_read, batch.n_accepted, batch.n_quarantined) == (2, 2, 0)
    assert {e["properties"].get("first_name") for e in batch.entities} == {"Jan\nJr.", "Piet"}


def test_an_all_empty_call_record_is_counted_and_quarantined(tmp_path):
    path = write(tmp_path, "cdr.csv", "caller,callee,start,duration,cell\n"
                                      "+31612345678,+32470000001,2026-06-01T00:08:00,65,NL-AMS-01\n"
                                      ",,,,\n"
                                      "\n"
                                      "+31612345678,+32470000002,2026-06-01T00:09:00,5,NL-AMS-01\n")
    builder = BatchBuilder(path, format="events", provenance=Provenance(AGENCY, "NL"))
    load_events(path, builder)
    batch = builder.finish()
    # the blank line 4 is no record; the row of empty fields on line 3 is one, and it is bad
    assert (batch.n_read, batch.n_accepted, batch.n_quarantined, len(batch.events)) == (3, 2, 1, 2)
    [q] = batch.quarantine
    assert q["locator"] == "line 3" and "every field is empty" in q["reason"]


# -- dates of birth: not a date, in the future -----------------------------------------------------
def test_a_birth_date_that_is_no_date_or_in_the_future_is_flagged_and_the_person_kept(ws, tmp_path):
    write(tmp_path, "p.mapping.yaml", PERSONS_MAPPING.replace('date_format: "%d-%m-%Y"', 'date_format: "%Y%m%d"'))
    path = write(tmp_path, "p.csv", f"""{HEADER}
P-1,Jan,de Vries,19450493,+31612345678,B2,AMBER
P-2,Piet,Jansen,29990101,+31687654321,B2,AMBER
P-3,Anna,Bakker,19820202,+31611111111,B2,AMBER
""")
    report = ingest(ws, [path], agency=AGENCY, country="NL", progress=False)
    row = report.sources.iloc[0]
    assert (row.read, row.accepted, row.quarantined) == (3, 3, 0)
    persons = ws.entities(["person"]).set_index("source_record_id")["properties"]
    assert "birth_date" not in persons["P-1"] and "birth_date" not in persons["P-2"]
    assert persons["P-3"]["birth_date"] == "1982-02-02"
    flags = report.field_problems.set_index("locator")
    assert list(flags.index) == ["line 2", "line 3"]
    assert (flags.loc["line 2", "field"], flags.loc["line 2", "column"], flags.loc["line 2", "value"]) == \
        ("birth_date", "geboortedatum", "19450493")
    assert "is not a date" in flags.loc["line 2", "problem"] and "%Y%m%d" in flags.loc["line 2", "problem"]
    assert "in the future" in flags.loc["line 3", "problem"] and flags.loc["line 3", "value"] == "2999-01-01"
    assert "2 fields flagged" in report.summary()
    # resolution reads the persons without the flagged values, and does not stumble on them
    from netintel.resolve import resolve
    resolve(ws)
    assert set(ws.resolved_ids()["entity_id"]) >= {record_id("E", AGENCY, f"person:P-{i}") for i in (1, 2, 3)}


# -- XLSX: formulas with and without a saved value, a workbook that is no zip ---------------------------
def _workbook_with_formulas(path: Path, *, cached: dict[str, str]) -> Path:
    """A workbook as a program that does not calculate writes it; ``cached`` puts saved values in cells."""
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "P"
    sheet.append(["pid", "name", "phone"])
    sheet.append(["P-1", '=CONCAT("An","na")', "+31611111111"])
    sheet.append(["P-2", '=CONCAT("Pi","et")', "=A1"])
    sheet.append(["P-3", "Kees", "+31633333333"])
    wb.save(path)
    if cached:  # write a saved value into the cell, as Excel does when it saves
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        xml = parts["xl/worksheets/sheet1.xml"].decode()
        for ref, value in cached.items():
            xml = re.sub(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(</v>)?',
                         lambda m: f'<c r="{ref}" t="str"><f>{m.group(2)}</f><v>{value}</v>', xml)
            xml = re.sub(rf'<c r="{ref}"([^>]*)><f>(.*?)</f></c>',
                         lambda m: f'<c r="{ref}" t="str"><f>{m.group(2)}</f><v>{value}</v></c>', xml)
        parts["xl/worksheets/sheet1.xml"] = xml.encode()
        with zipfile.ZipFile(path, "w") as z:
            for n, data in parts.items():
                z.writestr(n, data)
    return path


def test_a_formula_cell_gives_its_saved_value_and_one_without_is_flagged(ws, tmp_path):
    write(tmp_path, "p.mapping.yaml", SIMPLE_MAPPING)
    path = _workbook_with_formulas(tmp_path / "p.xlsx", cached={"B2": "Anna"})
    report = ingest(ws, [path], agency=AGENCY, country="NL", progress=False)
    row = report.sources.iloc[0]
    assert (row.read, row.accepted, row.quarantined) == (3, 3, 0)
    persons = ws.entities(["person"]).set_index("source_record_id")["properties"]
    assert persons["P-1"]["name"] == "Anna"  # the saved value of the formula
    assert "name" not in persons["P-2"]
    flags = report.field_problems
    assert flags[["locator", "field", "column"]].values.tolist() == [["sheet P row 3", "name", "name"],
                                                                     ["sheet P row 3", "phone.number", "phone"]]
    assert all("no saved value" in p and "open and save it" in p for p in flags["problem"])
    assert 'CONCAT("Pi","et")' in flags["problem"][0] and "cell B3" in flags["problem"][0]


def test_the_cell_by_cell_formula_read_runs_only_for_a_workbook_with_formulas(tmp_path, monkeypatch):
    from openpyxl import Workbook

    import netintel.ingest.tabular as tabular

    with_formulas = _workbook_with_formulas(tmp_path / "f.xlsx", cached={})
    wb = Workbook()
    wb.active.append(["pid", "name"])
    wb.active.append(["P-1", "<f> is not a tag in a cell's text"])
    wb.save(tmp_path / "plain.xlsx")
    assert tabular.has_formulas(with_formulas) and not tabular.has_formulas(tmp_path / "plain.xlsx")
    # a prefixed element (<x:f>) is a formula too, and a tag cut by the read's chunk is still seen
    zipped = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("xl/worksheets/sheet1.xml", ' ' * 1000 + '<x:c r="A1"><x:f t="shared"/></x:c>')
    assert tabular.has_formulas(zipped, chunk_size=1014)  # the first read ends inside "<x:f"
    scans = []
    monkeypatch.setattr(tabular, "_formulas_without_value", lambda *a: scans.append(a) or {})
    assert read_table(tmp_path / "plain.xlsx").records[0].values["name"] == "<f> is not a tag in a cell's text"
    read_table(with_formulas)
    assert len(scans) == 1 and scans[0][0] == with_formulas


def test_an_xlsx_that_is_not_a_zip_is_refused_as_such_and_nothing_stored_changes(ws, tmp_path):
    write(tmp_path, "ok.mapping.yaml", SIMPLE_MAPPING)
    ok = write(tmp_path, "ok.csv", "pid,name,phone\nP-1,Jan,+31611111111\n")
    ingest(ws, [ok], agency=AGENCY, country="NL", progress=False)
    before = ws.counts()
    fake = write(tmp_path, "fake.xlsx", "pid,name,phone\nP-9,Eve,+31699999999\n")
    write(tmp_path, "fake.mapping.yaml", SIMPLE_MAPPING)
    report = ingest(ws, [fake], agency=AGENCY, country="NL", progress=False, on_error="report")
    [message] = report.errors.values()
    assert "fake.xlsx" in message and "is not an XLSX workbook" in message and "rename it to .csv" in message
    assert "mapping" not in message.split("—")[0]
    after = ws.counts()
    assert {k: after[k] for k in ("sources", "entities", "links", "quarantine")} == \
        {k: before[k] for k in ("sources", "entities", "links", "quarantine")}


# -- mappings of the wrong shape -----------------------------------------------------------------
@pytest.mark.parametrize("body, key", [("entities: 42", "entities"), ("links: 42\nentities: {}", "links"),
                                       ("defaults: NL\nentities: {}", "defaults"),
                                       ("date_format: 7\nentities: {}", "date_format"),
                                       ("columns: [a]\nentities: {}", "columns")])
def test_a_mapping_of_the_wrong_type_names_the_key(tmp_path, body, key):
    path = write(tmp_path, "m.mapping.yaml", body + "\n")
    with pytest.raises(MappingError) as err:
        Mapping.load(path)
    text = str(err.value)
    assert "m.mapping.yaml" in text and f"{key}: must be" in text


# -- JSON nested too deep -----------------------------------------------------------------------
def test_json_nested_100k_deep_is_refused_cleanly(ws, tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    bundle = write(tmp_path, "deep.stix.json", '{"type": "bundle", "id": "bundle--1", "objects": ' + deep + "}")
    lines = write(tmp_path, "deep.ftm.json",
                  '{"id": "p1", "schema": "Person", "properties": {"name": ["Ana"]}}\n'
                  '{"id": "p2", "schema": "Person", "properties": {"name": ' + deep + "}}\n")
    report = ingest(ws, [bundle, lines], agency=AGENCY, country="NL", progress=False, on_error="report")
    s = report.sources.set_index("file")
    assert s.loc["deep.stix.json", "status"] == "failed"
    assert "nested deeper" in report.errors[next(k for k in report.errors if "deep.stix" in k)]
    # FtM lines: the deep line is quarantined alone, the good one kept
    assert tuple(s.loc["deep.ftm.json", ["read", "accepted", "quarantined"]]) == (2, 1, 1)
    assert "nested deeper" in report.quarantine["reason"].iloc[0]


# -- STIX: a relationship without source_ref ----------------------------------------------------
def test_a_stix_relationship_without_source_ref_is_quarantined_alone(tmp_path):
    fixture = Path(__file__).parent / "data" / "cert_report.stix.json"
    objects = json.loads(fixture.read_text("utf-8"))["objects"]
    whole = load_stix(fixture, Provenance("CERT", "DK"))
    rel = next(i for i, o in enumerate(objects) if o["type"] == "relationship")
    del objects[rel]["source_ref"]
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--44af6c39-c09b-49c5-9de2-394224b04982",
                                "objects": objects}), "utf-8")
    batch = load_stix(path, Provenance("CERT", "DK"))
    assert batch.n_read == whole.n_read == batch.n_accepted + batch.n_quarantined
    assert (batch.n_accepted, batch.n_quarantined) == (whole.n_accepted - 1, whole.n_quarantined + 1)
    reason = next(q["reason"] for q in batch.quarantine if q["locator"] == f"object {rel + 1}"
                  or objects[rel]["id"] in (q["raw"] or ""))
    assert "source_ref" in reason and ("required" in reason or "has no source_ref" in reason)


# -- property: every class mixed with good rows ------------------------------------------------
_GOOD = "G-{i},Jan{i},Vries,17-03-1975,+3161234{i:04d},B2,AMBER"
_BAD = {
    "unclosed quote": 'B-{i},"Piet{i},Jansen,01-01-1980,+31687654321,B2,AMBER',
    "empty row": ",,,,,,",
    "bad grading": "B-{i},Els,Visser,01-01-1990,+31611111111,Q9,AMBER",
    "wrong field count": "B-{i},Kees,Smit",
}
_FLAGGED = {  # kept, with the field flagged
    "no date": "F-{i},Anna,Bakker,19450493,,B2,AMBER",
    "future": "F-{i},Anna,Bakker,01-01-2999,,B2,AMBER",
}


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["good"] * 3 + sorted(_BAD) + sorted(_FLAGGED) + ["blank"]), max_size=20))
def test_no_good_row_is_lost_to_a_bad_neighbour(tmp_path, kinds):
    lines, good, flagged, records = [HEADER], set(), set(), 0
    for i, kind in enumerate(kinds):
        if kind == "blank":
            lines.append("")
            continue
        records += 1
        if kind == "good":
            lines.append(_GOOD.format(i=i))
            good.add(f"G-{i}")
        elif kind in _FLAGGED:
            lines.append(_FLAGGED[kind].format(i=i))
            flagged.add(f"F-{i}")
        else:
            lines.append(_BAD[kind].format(i=i))
    path = write(tmp_path, "mix.csv", "\n".join(lines) + "\n")
    batch = _load(path)
    assert batch.n_read == records == batch.n_accepted + batch.n_quarantined
    assert batch.n_accepted == len(good) + len(flagged)
    assert _person_ids(batch) == good | flagged
    persons = {e["source_record_id"]: e["properties"] for e in batch.entities if e["kind"] == "person"}
    assert all([f["field"] for f in persons[p]["field_problems"]] == ["birth_date"] for p in flagged)
    assert all("field_problems" not in persons[p] for p in good)
