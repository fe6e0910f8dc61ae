"""Entity and link tables with i2-style mappings: hand-worked expectations and bad input."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from netintel.errors import InputError, MappingError
from netintel.ingest import ingest
from netintel.ingest._common import BatchBuilder, Provenance
from netintel.ingest.tabular import Mapping, load_table, read_table
from netintel.workspace import record_id

from hypothesis_profiles import examples
from ingest_fixtures import PERSONS_CSV, PERSONS_MAPPING, blank_line, write

AGENCY = "Politie Nederland"


def _ingest(ws, path, **kw):
    return ingest(ws, [path], agency=AGENCY, country="NL", progress=False, **kw)


def test_persons_table_yields_entities_links_and_quarantine(ws, persons):
    report = _ingest(ws, persons)
    row = report.sources.iloc[0]
    assert (row.format, row.status, row.read, row.accepted, row.quarantined) == ("table", "imported", 6, 3, 3)
    ents = ws.entities().set_index("entity_id")
    p1 = ents.loc[record_id("E", AGENCY, "person:P-1")]
    assert p1.properties == {"first_name": "Jan", "last_name": "de Vries", "birth_date": "1975-03-17"}
    assert (p1.grading, p1.grading_scheme, p1.handling) == ("B2", "admiralty", "TLP:AMBER")
    assert p1.locator == "line 2"
    # a partial date of birth stays partial
    assert ents.loc[record_id("E", AGENCY, "person:P-2")].properties["birth_date"] == "1980"
    # a phone known by its number: its source record id is the number as written
    phone = ents.loc[record_id("E", AGENCY, "phone:+31612345678")]
    assert phone.kind == "phone" and phone.source_record_id == "+31612345678"
    assert sorted(ents.kind) == ["person", "person", "person", "phone", "phone"]
    # a birth date that is no date: the person is kept, the value as written flagged, not used
    anna = ents.loc[record_id("E", AGENCY, "person:P-3")].properties
    assert (anna["first_name"], "birth_date" in anna) == ("Anna", False)
    assert [(f["field"], f["column"], f["value"]) for f in anna["field_problems"]] == \
        [("birth_date", "geboortedatum", "not a date")]
    assert report.field_problems[["locator", "field", "value"]].values.tolist() == \
        [["line 4", "birth_date", "not a date"]]
    links = ws.links()
    assert set(zip(links.kind, links.source, links.target)) == {
        ("uses", record_id("E", AGENCY, "person:P-1"), record_id("E", AGENCY, "phone:+31612345678")),
        ("uses", record_id("E", AGENCY, "person:P-2"), record_id("E", AGENCY, "phone:+31687654321")),
    }
    q = report.quarantine.set_index("locator")
    assert "duplicate id 'P-2'" in q.loc["line 5", "reason"] and "line 3" in q.loc["line 5", "reason"]
    assert "Q9" in q.loc["line 6", "reason"]
    assert "PURPLE" in q.loc["line 7", "reason"]
    assert set(q.file) == {"personen.csv"} and set(q.agency) == {AGENCY}


def test_links_table_with_kind_column_and_references(ws, persons, relations):
    _ingest(ws, persons)
    report = _ingest(ws, relations)
    row = report.sources.iloc[0]
    assert (row.read, row.accepted, row.quarantined, row.entities, row.links) == (5, 2, 3, 3, 2)
    links = ws.links().set_index("source_record_id")
    assert links.loc["R-1", "kind"] == "family_of" and not links.loc["R-1", "directed"]
    assert links.loc["R-1", "first_seen"] == pd.Timestamp("2020-01-05")
    assert links.loc["R-2", "kind"] == "associate_of"
    # the persons of the links table are the persons of the persons table
    assert links.loc["R-1", "source"] == record_id("E", AGENCY, "person:P-1")
    q = report.quarantine.set_index("locator")
    assert "unknown link kind 'vijand'" in q.loc["line 4", "reason"]
    assert "has no value" in q.loc["line 5", "reason"]
    assert "duplicate link id 'R-1'" in q.loc["line 6", "reason"]
    # the quarantined duplicate's persons were not added: P-5 is nowhere
    assert record_id("E", AGENCY, "person:P-5") not in set(ws.entities().entity_id)


def test_mapping_round_trips_through_yaml(tmp_path, persons):
    m = Mapping.load(persons.with_name("personen.mapping.yaml"))
    again = Mapping.load(m.save(tmp_path / "copy.mapping.yaml"))
    assert again == m
    rel = Mapping.from_dict({"links": [{"kind": "owns", "source": {"kind": "person", "id": "owner"},
                                        "target": {"kind": "vehicle", "properties": {"plate": "kenteken"}}}]})
    assert Mapping.load(rel.save(tmp_path / "rel.yaml")) == rel


def test_mapping_from_toml(tmp_path):
    path = write(tmp_path, "m.toml", '[entities.person]\nkind = "person"\nid = "pid"\n'
                                     '[entities.person.properties]\nname = "naam"\n')
    assert Mapping.load(path).entities["person"].properties == {"name": "naam"}


def test_validation_names_every_missing_column_and_the_file(ws, tmp_path):
    write(tmp_path, "p.mapping.yaml", PERSONS_MAPPING.replace("voornaam}", "voornaam}").replace(
        "achternaam", "familienaam").replace("telefoon", "gsm"))
    path = write(tmp_path, "p.csv", PERSONS_CSV)
    with pytest.raises(MappingError) as err:
        _ingest(ws, path)
    text = str(err.value)
    assert "p.csv" in text and "'familienaam'" in text and "'gsm'" in text
    assert "persoon_id, voornaam, achternaam" in text  # the columns the table does have
    assert ws.counts()["sources"] == 0


def test_mapping_problems_are_collected_before_raising():
    with pytest.raises(MappingError, match="unknown keys \\['colour'\\]"):
        Mapping.from_dict({"entities": {}, "colour": "red"}, path="m.yaml")
    mapping = Mapping.from_dict({"entities": {"x": {"kind": "spaceship", "id": "a"}},
                                 "links": [{"kind": "teleports", "source": "x", "target": "y"}]}, path="m.yaml")
    with pytest.raises(MappingError) as err:
        mapping.validate(["b"], file="t.csv")
    text = str(err.value)
    for part in ("t.csv", "'a' (entities.x.id)", "unknown entity kind 'spaceship'", "unknown link kind 'teleports'",
                 "'y' names no entity spec"):
        assert part in text


def test_inline_map_builds_a_table_mapping(ws, tmp_path):
    path = write(tmp_path, "export.csv", "PID;Naam;GSM\n7;Jan Smit;+31600000007\n")
    report = _ingest(ws, path, format="table",
                     inline_map=["person.id=PID", "person.name=Naam", "phone.number=GSM"])
    assert report.sources.iloc[0].entities == 2
    names = {e.kind: e.label for e in ws.entities().itertuples()}
    assert names == {"person": "Jan Smit", "phone": "+31600000007"}


def test_byte_order_mark_is_tolerated(ws, tmp_path):
    write(tmp_path, "bom.mapping.yaml", PERSONS_MAPPING)
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + PERSONS_CSV.encode("utf-8"))
    assert _ingest(ws, path).sources.iloc[0].accepted == 3


def test_latin1_csv_fails_clearly_then_reads_with_encoding(ws, tmp_path):
    data = "persoon_id,voornaam,achternaam\nP-9,Jürgen,Müller\n".encode("latin-1")
    path = write(tmp_path, "duits.csv", data)
    write(tmp_path, "duits.mapping.yaml", "entities:\n  person: {kind: person, id: persoon_id, "
                                          "properties: {first_name: voornaam, last_name: achternaam}}\n")
    with pytest.raises(InputError) as err:
        _ingest(ws, path)
    assert "duits.csv" in str(err.value) and "encoding: latin-1" in str(err.value)
    write(tmp_path, "duits.mapping.yaml", "encoding: latin-1\nentities:\n  person: {kind: person, id: persoon_id, "
                                          "properties: {first_name: voornaam, last_name: achternaam}}\n")
    _ingest(ws, path)
    assert ws.entities().iloc[0].properties == {"first_name": "Jürgen", "last_name": "Müller"}


def test_utf16_export_is_read(tmp_path):
    path = write(tmp_path, "u16.csv", "a,b\n1,é\n".encode("utf-16"))
    table = read_table(path)
    assert table.columns == ["a", "b"] and table.records[0].values == {"a": "1", "b": "é"}


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"   \n\n", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, ".xls"),
    (b"PK\x03\x04garbage", "not a readable XLSX"),
])
def test_whole_file_problems_raise_naming_the_file(tmp_path, content, message):
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(InputError) as err:
        read_table(path)
    assert message in str(err.value) and "bad.csv" in str(err.value)


def test_ragged_rows_are_quarantined_not_dropped(tmp_path):
    path = write(tmp_path, "r.csv", "pid,naam\n1,Jan\n2,Piet,extra\n3\n4,Els,,\n")
    builder = BatchBuilder(path, format="table", provenance=Provenance("A", "NL"))
    load_table(path, builder, Mapping.from_dict({"entities": {"person": {"id": "pid",
                                                                         "properties": {"name": "naam"}}}}))
    batch = builder.finish()
    assert (batch.n_read, batch.n_accepted) == (4, 2)  # trailing empty fields are harmless
    assert [q["locator"] for q in batch.quarantine] == ["line 3", "line 4"]
    assert all("malformed row" in q["reason"] for q in batch.quarantine)


def test_xlsx_sheet_with_mapping(ws, tmp_path):
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame({"x": [1]}).to_excel(xl, sheet_name="Info", index=False)
        pd.DataFrame({"persoon_id": [101, 102], "naam": ["Jan Smit", "Els Visser"],
                      "geboortedatum": [pd.Timestamp("1975-03-17"), None]}).to_excel(xl, sheet_name="Personen",
                                                                                      index=False)
    write(tmp_path, "export.mapping.yaml", "sheet: Personen\nentities:\n  person:\n    id: persoon_id\n"
                                           "    properties: {name: naam, birth_date: geboortedatum}\n")
    report = _ingest(ws, path)
    assert report.sources.iloc[0].accepted == 2
    ents = ws.entities().set_index("source_record_id")
    assert ents.loc["101", "properties"] == {"name": "Jan Smit", "birth_date": "1975-03-17"}
    assert ents.loc["102", "locator"] == "sheet Personen row 3"
    write(tmp_path, "export.mapping.yaml", "sheet: Persons\nentities:\n  person: {id: persoon_id}\n")
    with pytest.raises(MappingError, match="has no sheet 'Persons'; its sheets are Info, Personen"):
        _ingest(ws, path)


def test_xlsx_cells_read_as_a_csv_would_read_them(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "Calls"
    sheet.append([])  # an empty first row: row numbers stay the sheet's
    sheet.append(["country", "number", "when", "amount", "flag", "note"])
    sheet.append(["NA", 31612345679, datetime(2026, 6, 1, 0, 8), 65.0, True, "null"])
    sheet.append(["BE", 3.5, date(2026, 6, 2), 1e20, False, "None"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["#N/A", "", time(12, 30), 0.1, None, " "])
    wb.save(tmp_path / "x.xlsx")
    t = read_table(tmp_path / "x.xlsx")
    assert [r.locator for r in t.records] == ["sheet Calls row 3", "sheet Calls row 4", "sheet Calls row 6"]
    # "NA" (Namibia), "null" and "None" are text, as in a CSV; an empty cell and an error value are missing
    assert [r.values for r in t.records] == [
        {"country": "NA", "number": "31612345679", "when": datetime(2026, 6, 1, 0, 8), "amount": "65",
         "flag": "true", "note": "null"},
        {"country": "BE", "number": "3.5", "when": datetime(2026, 6, 2), "amount": "100000000000000000000",
         "flag": "false", "note": "None"},
        {"country": None, "number": None, "when": "12:30:00", "amount": "0.1", "flag": None, "note": " "}]


def test_a_head_read_of_a_workbook_takes_its_first_rows(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["pid", "name"])
    for i in range(100):
        wb.active.append([f"P-{i}", f"Name {i}"])
    wb.save(tmp_path / "p.xlsx")
    head = read_table(tmp_path / "p.xlsx", head_bytes=64 * 20)  # a row for each 64 bytes: 20 rows
    assert head.truncated and len(head) == 19 and head.records[-1].locator == "sheet Sheet row 20"
    whole = read_table(tmp_path / "p.xlsx", head_bytes=64 * 101)
    assert not whole.truncated and len(whole) == 100
    assert [r.values for r in whole.records[:19]] == [r.values for r in head.records]


# -- property: read = accepted + quarantined for arbitrary corrupted rows -------------------------
_cell = st.one_of(st.sampled_from(["P-1", "P-2", "", "NULL", "B2", "X4", "Z9", "AMBER", "RED", "??", "17-03-1975",
                                   "32-13-1975", "1975", "+31612345678", "familie"]),
                  st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                          max_size=8))


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_cell, min_size=0, max_size=9), max_size=25))
def test_read_is_accepted_plus_quarantined_for_any_rows(tmp_path, rows):
    header = "persoon_id,voornaam,achternaam,geboortedatum,telefoon,beoordeling,code"
    buf = io.StringIO()
    buf.write(header + "\r\n")
    csv.writer(buf).writerows(rows)  # quotes delimiters, quotes and line breaks, as exports do
    path = write(tmp_path, "prop.csv", buf.getvalue().encode("utf-8"))
    builder = BatchBuilder(path, format="table", provenance=Provenance("A", "NL"))
    load_table(path, builder, Mapping.from_dict(__import__("yaml").safe_load(PERSONS_MAPPING)))
    batch = builder.finish()
    assert batch.n_read == sum(1 for r in rows if not blank_line(r))
    assert batch.n_read == batch.n_accepted + batch.n_quarantined
    assert all(q["reason"] for q in batch.quarantine)


def test_delimiter_names_and_bad_delimiters(tmp_path):
    assert Mapping.from_dict({"format": "events", "delimiter": "tab"}).delimiter == "\t"
    assert Mapping.from_dict({"format": "events", "delimiter": ";"}).delimiter == ";"
    with pytest.raises(MappingError, match="must be one character"):
        Mapping.from_dict({"format": "events", "delimiter": ";;"}, path="x.mapping.yaml")
