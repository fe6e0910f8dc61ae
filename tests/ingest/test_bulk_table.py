"""The columnar entity/link table loader gives what the record path gives (rows, ids, merges, quarantine)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis_profiles import examples
from ingest_fixtures import write
from test_bulk import SAMPLE, _both, _frame, _same, same_when_stored

import pandas as pd

from netintel.ingest._bulk import open_plain_csv
from netintel.ingest.tabular import Mapping, load_table
from netintel.workspace import Columns

#: Mappings of the shapes partners send: persons with their phones and addresses and per-row
#: markings, relations between reference persons with kinds, ids, dates and weights, holders
#: whose kind is a column.
MAPPINGS = {
    "persons": {
        "format": "table", "date_format": "%d.%m.%Y", "record": {"grading": "grd", "reported": "rep"},
        "entities": {"person": {"kind": "person", "id": "pid",
                                "properties": {"name": "name", "birth_date": "dob", "id_number": "doc"}},
                     "phone": {"kind": "phone", "properties": {"number": "tel"}},
                     "address": {"kind": "address", "properties": {"city": "city", "full": "name"}},
                     "document": {"kind": "identity_document", "properties": {"number": "doc"}}},
        "links": [{"kind": "uses", "source": "person", "target": "phone", "first_seen": "since", "weight": "w"},
                  {"kind": "resides_at", "source": "person", "target": "address"},
                  {"kind": "holds_document", "source": "person", "target": "document"}]},
    "relations": {
        "format": "table",
        "entities": {"a": {"kind": "person", "id": "pid"}, "b": {"kind": "person", "id": "other"}},
        "links": [{"kind_column": "rel", "kinds": {"fam": "family_of", "assoc": "associate_of"}, "source": "a",
                   "target": "b", "id": "lid", "first_seen": "since", "last_seen": "until", "weight": "w",
                   "properties": {"note": "name"}}]},
    "holders": {
        "format": "table", "record": {"handling": "hdl"},
        "entities": {"holder": {"kind_column": "kind", "kinds": {"PF": "person", "PJ": "organisation"},
                                "id": "pid", "properties": {"name": "name", "birth_date": "dob"}},
                     "phone": {"kind": "phone", "properties": {"number": "tel"}}},
        "links": [{"kind": "uses", "source": "holder", "target": "phone", "id": "lid"}]},
    "unnamed": {
        "format": "table", "date_format": ["%d.%m.%Y", "%Y-%m-%d"],
        "entities": {"owner": {"kind_column": "kind", "kinds": {"PF": "person", "PJ": "organisation"},
                               "properties": {"name": "name", "id_number": "doc", "birth_date": "dob"}},
                     "phone": {"kind": "phone", "properties": {"number": "tel"}}},
        "links": [{"kind_column": "rel", "kind": "uses", "kinds": {"fam": "uses", "assoc": "owns"},
                   "source": "owner", "target": "phone", "first_seen": "since", "amount": "w", "currency": "hdl"}]},
}
COLUMNS = ("pid", "other", "name", "dob", "doc", "tel", "city", "rel", "lid", "since", "until", "w", "grd", "rep",
           "kind", "hdl")
VALUES = {
    "pid": ["P1", "P2", "P3", "", " P1 "], "other": ["P1", "P2", "P4", ""],
    "name": ["Anna", "Bo", "", "N/A", "Ärger", "Smit; Jan", ' O"Neil ', '""', "Kerkstraat 1\nGent", "\n\n"], "dob": ["17.03.1975", "1975", "03/1975", "01.01.2999", "31.02.1975",
                                                      "", "x"],
    "doc": ["D1", "D2", ""], "tel": ["+316", "+317", ""], "city": ["Gent", "Lyon", ""],
    "rel": ["fam", "assoc", "", "weird", "associate_of"], "lid": ["L1", "L2", ""],
    "since": ["2020-01-01", "01.02.2020", "bad", ""], "until": ["2021-01-01", "", "never"],
    "w": ["1", "2.5", "x", "", "0.1", "1.234,5"], "grd": ["B2", "", "Z9", "A1"], "rep": ["2024-01-01", "", "soon"],
    "kind": ["PF", "PJ", "", "XX", "pf"], "hdl": ["", "TLP:RED", "PURPLE"],
}
_ROW = st.fixed_dictionaries({c: st.sampled_from(v) for c, v in VALUES.items()})


def _field(value: str, quote: str) -> str:
    if quote == "all" or (quote == "needed" and any(c in value for c in ';"\n')):
        return '"' + value.replace('"', '""') + '"'  # a line break inside: the record runs over lines
    return value.replace(";", ",").replace('"', "'").replace("\n", " ")


def _text(rows, malformed: set[int], quote: str = "never") -> str:
    lines = [";".join(_field(c, "all" if quote == "all" else "never") for c in COLUMNS)]
    for i, row in enumerate(rows):
        line = ";".join(_field(row[c], quote) for c in COLUMNS)
        lines.append(line.rsplit(";", 2)[0] if i in malformed else line)
    return "\n".join(lines) + "\n"


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(MAPPINGS)), rows=st.lists(_ROW, min_size=1, max_size=14),
       malformed=st.sets(st.integers(0, 13), max_size=2), blank=st.booleans(),
       quote=st.sampled_from(["never", "needed", "all"]), encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_tables_load_the_same_on_both_paths(tmp_path_factory, name, rows, malformed, blank, quote, encoding):
    # ids repeated (a duplicate of an accepted row, of a quarantined one, across specs), entities
    # merged over rows, bad and future dates kept as field problems, unknown kinds, bad markings,
    # weights in several forms, rows with too few fields and blank lines, fields quoted where they
    # hold the delimiter, a quote or a line break (a record over several lines), or all of them;
    # in UTF-8, UTF-16 (known by its byte-order mark) or Windows-1252 (named by the mapping)
    text = _text(rows, malformed, quote)
    if blank:
        text = text.replace("\n", "\n\n", 2)
    path = write(tmp_path_factory.mktemp("table"), "t.csv", text.encode(encoding))
    mapping = Mapping.from_dict({**MAPPINGS[name], **({"encoding": encoding} if encoding == "cp1252" else {})})
    assert open_plain_csv(path, encoding=mapping.encoding) is not None
    bulk, record = _both(load_table, path, mapping)
    if isinstance(bulk.entities, Columns):
        _same(bulk, record)
    else:  # a flagged field with no entity to carry it: the record path reads the file
        _same_records(bulk, record)


#: Typed date cells (openpyxl writes a date as a date-time cell): whole days, minutes,
#: microseconds, a date of birth in the future.
DATES = [datetime(2020, 1, 1), datetime(2020, 2, 1, 13, 5), datetime(2020, 1, 1, 0, 0, 0, 500000),
         datetime(1975, 3, 17), datetime(2999, 1, 1), None]


def _workbook(path: Path, rows, typed: dict[str, list], numbers: bool, beyond: set[int], blank: bool) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "Blad 1"
    if blank:
        sheet.append([])  # row numbers stay the sheet's
    sheet.append(list(COLUMNS))
    for i, row in enumerate(rows):
        cells = []
        for c in COLUMNS:
            v = typed[c][i % len(typed[c])] if c in typed else (row[c].replace("\n", " ") or None)
            if numbers and isinstance(v, str) and re.fullmatch(r"[0-9]+(\.[0-9]+)?", v):
                v = float(v)  # a number cell: read back as its text ("1", "2.5")
            cells.append(v)
        sheet.append(cells + (["beyond"] if i in beyond else []))
        if blank and i == 0:
            sheet.append([])
    wb.save(path)
    return path


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(MAPPINGS)), rows=st.lists(_ROW, min_size=1, max_size=10),
       typed=st.dictionaries(st.sampled_from(["dob", "since", "until", "rep", "w"]),
                             st.lists(st.sampled_from(DATES), min_size=1, max_size=4), max_size=3),
       numbers=st.booleans(), beyond=st.sampled_from([set(), set(), set(), {0}]), blank=st.booleans())
def test_workbooks_load_the_same_on_both_paths(tmp_path_factory, name, rows, typed, numbers, beyond, blank):
    # the table test's rows in a sheet: number cells, columns of date cells (as dates of birth,
    # first/last seen, a row's reported date, a weight), blank rows, a value beyond the header
    path = _workbook(tmp_path_factory.mktemp("book") / "t.xlsx", rows, typed, numbers, beyond, blank)
    mapping = Mapping.from_dict(MAPPINGS[name])
    plain = open_plain_csv(path)
    assert (plain is None) == bool(beyond)
    bulk, record = _both(load_table, path, mapping)
    if isinstance(bulk.entities, Columns):
        _same(bulk, record)
    else:  # the record path read it: a date column as a weight or a marking, a cell beyond the header, a
        _same_records(bulk, record)  # flagged date with no entity to carry it


@pytest.mark.parametrize("cell", ["Kerkstraat 1\nGent", "a\tb", "line\r", " ", 42, datetime(2020, 1, 1)])
def test_what_a_sheet_row_cannot_say_as_a_line_goes_the_record_path(tmp_path, cell):
    # a line break or a tab in a cell, a row of blank cells (a record there, no line here), a
    # column of dates with a number or text in it
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["pid", "name", "since"])
    wb.active.append(["P1", "Anna", datetime(2020, 1, 1)])
    wb.active.append(["P2", cell, "2020-01-02"] if isinstance(cell, datetime) else
                     [" ", cell, None] if cell == " " else ["P2", "Bo", cell] if isinstance(cell, int) else
                     ["P2", cell, None])
    wb.save(tmp_path / "t.xlsx")
    assert open_plain_csv(tmp_path / "t.xlsx") is None
    mapping = {"entities": {"p": {"kind": "person", "id": "pid", "properties": {"name": "name", "birth_date": "since"}}}}
    bulk, record = _both(load_table, tmp_path / "t.xlsx", Mapping.from_dict(mapping))
    _same_records(bulk, record)
    assert bulk.n_read == 2


def test_a_sheet_of_dates_and_numbers_is_read_in_bulk(tmp_path):
    rows = [{**dict.fromkeys(VALUES, ""), "pid": "P1", "name": "Anna", "tel": "316", "w": "2.5"},
            {**dict.fromkeys(VALUES, ""), "pid": "P2", "name": "Bo", "tel": "317", "w": "1"}]
    path = _workbook(tmp_path / "t.xlsx", rows, {"dob": [datetime(1975, 3, 17)], "since": [DATES[2], DATES[1]]},
                     True, set(), True)
    plain = open_plain_csv(path)
    assert plain.typed == {"dob", "since"} and plain.header_line == 2 and plain.where == "sheet Blad 1 row "
    bulk, record = _both(load_table, path, Mapping.from_dict(MAPPINGS["persons"]))
    _same(bulk, record)
    person = next(bulk.entities[i] for i in range(len(bulk.entities)) if bulk.entities[i]["label"] == "Anna")
    assert person["properties"]["birth_date"] == "1975-03-17" and person["locator"] == "sheet Blad 1 row 3"
    since = sorted(str(bulk.links[i]["first_seen"]) for i in range(len(bulk.links)) if bulk.links[i]["kind"] == "uses")
    assert since == ["2020-01-01 00:00:00.500000", "2020-02-01 13:05:00"]  # the cells' values, not the mapping's format


def _same_records(a, b) -> None:
    assert (a.n_read, a.n_accepted, a.n_quarantined) == (b.n_read, b.n_accepted, b.n_quarantined)
    for name, key in (("entities", "entity_id"), ("links", "link_id"), ("quarantine", "locator")):
        pd.testing.assert_frame_equal(_frame(getattr(a, name), key), _frame(getattr(b, name), key), obj=name)


@pytest.mark.parametrize("folder, name", [("nl_politie", "personen"), ("nl_politie", "relaties"),
                                          ("nl_politie", "voertuigen"), ("de_bka", "bestandsdaten"),
                                          ("es_sepblac", "cuentas")])
def test_sample_tables_same_on_both_paths(folder, name):
    path = SAMPLE / folder / f"{name}.csv"
    bulk, record = _both(load_table, path, Mapping.load(SAMPLE / folder / f"{name}.mapping.yaml"))
    assert len(bulk.entities) > 5
    _same(bulk, record)


DUPLICATES = ("pid;name;tel;lid\n"
              "P1;Anna;+316;L1\n"
              "P1;Anna again;+317;L2\n"    # a duplicate of line 2
              "P2;Bo;+316;L2\n"            # L2 is free: line 3 was quarantined
              "P3;Cy;+318;L2\n"            # L2 is line 4's
              "P3;Cy;+318;L3\n")           # P3 is free: line 5 was quarantined


def test_a_duplicate_is_of_an_accepted_row(tmp_path):
    path = write(tmp_path, "dups.csv", DUPLICATES)
    mapping = Mapping.from_dict({"entities": {"p": {"kind": "person", "id": "pid", "properties": {"name": "name"}},
                                              "t": {"kind": "phone", "properties": {"number": "tel"}}},
                                 "links": [{"kind": "uses", "source": "p", "target": "t", "id": "lid"}]})
    bulk, record = _both(load_table, path, mapping)
    _same(bulk, record)
    reasons = {q["locator"]: q["reason"] for q in bulk.quarantine}
    assert reasons == {"line 3": "duplicate id 'P1' in column pid (first at line 2)",
                       "line 5": "duplicate link id 'L2' in column lid (first at line 4)"}
    phone = next(bulk.entities[i] for i in range(len(bulk.entities)) if bulk.entities[i]["label"] == "+316")
    assert phone["locator"] == "line 2"  # one phone, first seen on line 2, mentioned again on line 4


def test_a_table_in_the_workspace_stores_the_same_rows():
    path = SAMPLE / "nl_politie" / "personen.csv"
    same_when_stored(_both(load_table, path, Mapping.load(SAMPLE / "nl_politie" / "personen.mapping.yaml")))
