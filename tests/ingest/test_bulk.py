"""The bulk (columnar) path gives exactly the rows, ids and quarantine of the record path."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from hypothesis_profiles import examples
from ingest_fixtures import write

from netintel.ingest._bulk import EMPTY_ROW, open_plain_csv
from netintel.ingest._common import BatchBuilder, Provenance
from netintel.ingest.edgelist import load_edgelist
from netintel.ingest.events import load_events
from netintel.ingest.tabular import Mapping, read_table
from netintel.workspace import Columns, Workspace, record_id

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _frame(rows, key: str) -> pd.DataFrame:
    rows = [rows[i] for i in range(len(rows))] if isinstance(rows, Columns) else list(rows)
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    for col in df.columns:
        df[col] = [json.dumps(v, sort_keys=True, default=str) if isinstance(v, dict) else
                   (list(v) if isinstance(v, tuple) else v)
                   for v in df[col]]
    df = df.drop(columns=[c for c in ("retain_until",) if c in df])
    df = df[sorted(df.columns)].astype(str)
    # a link reported under several markings is a row per marking: rows sort by the key, then the rest
    return df.sort_values([key] + [c for c in df.columns if c != key]).reset_index(drop=True)


def _both(loader, path: Path, mapping: Mapping | None, **kw):
    out = []
    for bulk in (True, False):
        b = BatchBuilder(path, format="x", provenance=Provenance("Agency X ", "NL", grading="B2", handling="TLP:AMBER"))
        table = None if bulk else read_table(path, encoding=mapping.encoding if mapping else None,
                                             delimiter=mapping.delimiter if mapping else None)
        loader(path, b, mapping, table=table, **kw)
        out.append(b.finish())
    return out


def _same(bulk, record) -> None:
    assert isinstance(bulk.entities, Columns) and not isinstance(record.entities, Columns)
    assert (bulk.n_read, bulk.n_accepted, bulk.n_quarantined) == (record.n_read, record.n_accepted,
                                                                    record.n_quarantined)
    for name, key in (("entities", "entity_id"), ("links", "link_id"), ("events", "event_id"), ("raw", "locator"),
                      ("quarantine", "locator")):
        a, b = _frame(getattr(bulk, name), key), _frame(getattr(record, name), key)
        pd.testing.assert_frame_equal(a, b, obj=name)


@pytest.mark.parametrize("folder, name", [("de_bka", "tkue_verkehrsdaten"), ("es_sepblac", "transacciones")])
def test_sample_event_files_same_on_both_paths(folder, name):
    path = SAMPLE / folder / f"{name}.csv"
    mp = SAMPLE / folder / f"{name}.mapping.yaml"
    mapping = Mapping.load(mp) if mp.exists() else None
    assert open_plain_csv(path, delimiter=mapping.delimiter if mapping else None) is not None
    bulk, record = _both(load_events, path, mapping)
    assert len(bulk.events) > 100
    _same(bulk, record)


CALLS = ("caller,callee,start,duration,cell,id,note\n"
         "+31612345678,+32470000001,2026-06-01T00:08:00,65,NL-AMS-01,c1,x\n"
         "\n"
         "+31612345678,+32470000001,20260601 0010,00:02:05,NL-AMS-01,c2,\n"
         "+31612345678,+32470000001,01/06/2026 00:20,10,NL-AMS-02,c1,dup of c1\n"
         "+31612345678,,2026-06-01 00:21,10,,c3,\n"
         "+31612345678,+32470000002,2026-13-45,10,,c4,\n"
         "+31612345678,+32470000002,1780273800,five,,c5,\n"
         "+31612345678,+32470000002,1780273800,-5,,c5,\n"
         "+31612345678,+32470000002,01.06.2026,1:02,BE-ANT-07,c6,\n"
         "+31612345678,+32470000002,2026-06-01,n/a,BE-ANT-07,c7,,\n"
         "+31612345678,+32470000002,2026-06-01,1,BE-ANT-07,c8,a,b\n"
         "  ,  ,  ,,,,\n"
         "+32470000002,+31612345678,  2026-06-02 10:00:00 ,1.5,X,,\n")


def test_call_edge_cases_same_on_both_paths(tmp_path):
    path = write(tmp_path, "calls.csv", CALLS)
    bulk, record = _both(load_events, path, None)
    # the line of bare delimiters is a record with every field empty (issue 10): read and quarantined
    assert bulk.n_quarantined == 7 and bulk.n_read == 12
    _same(bulk, record)


def test_crlf_and_time_format_same_on_both_paths(tmp_path):
    path = write(tmp_path, "tap.csv", "A_NR;B_NR;DATUM\r\n0612;0613;01062026 0008\r\n0612;0613;0206202 0910\r\n"
                                      "0612;0614;02062026 0910\r\n")
    mapping = Mapping.from_inline(["caller=A_NR", "callee=B_NR", "start=DATUM"])
    for fmt in ("%d%m%Y %H%M", ["%Y", "%d%m%Y %H%M"]):
        bulk, record = _both(load_events, path, mapping, time_format=fmt)
        assert bulk.n_accepted == 2
        _same(bulk, record)


def _sheet(path: Path, text: str, dates: dict[str, list] | None = None) -> Path:
    """``text`` (a CSV, no quotes) as a workbook: a cell per field, digits as number cells, the
    columns of ``dates`` as date-time cells (a value per row, repeated)."""
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    lines = text.splitlines()
    header = lines[0].split(",")
    sheet.append(header)
    for i, line in enumerate(lines[1:]):
        cells = [float(v) if v.isdigit() and len(v) < 12 else (v or None) for v in line.split(",")] if line else []
        for column, values in (dates or {}).items():
            cells += [None] * (len(header) - len(cells))
            cells[header.index(column)] = values[i % len(values)]
        sheet.append(cells)
    wb.save(path)
    return path


#: The call edge cases a sheet can hold (a row that is blanks only, or has cells beyond the header,
#: goes the record path: see test_bulk_table)
CALLS_SHEET = "\n".join(line for line in CALLS.splitlines() if line.count(",") == 6 and line.strip(" ,")) + "\n"
WHEN = [datetime(2026, 6, 1, 0, 8), datetime(2026, 6, 1, 0, 10, 0, 250000), datetime(2026, 6, 2)]


@pytest.mark.parametrize("dates, time_format, bulk_path", [
    (None, None, True),                                       # text cells, numbers as number cells
    ({"start": WHEN}, "%d%m%Y %H%M", True),                   # date cells: their value, whatever the format
    ({"start": WHEN, "note": WHEN}, None, True),              # a column of dates as a property: ISO text
    ({"duration": WHEN}, None, False),                        # a date as a duration: the record path words it
], ids=["text", "typed-time", "typed-property", "typed-duration"])
def test_call_records_in_a_workbook_same_on_both_paths(tmp_path, dates, time_format, bulk_path):
    path = _sheet(tmp_path / "calls.xlsx", CALLS_SHEET, dates)
    bulk, record = _both(load_events, path, None, time_format=time_format)
    assert isinstance(bulk.events, Columns) == bulk_path and bulk.n_read == 9
    if bulk_path:
        _same(bulk, record)
    else:
        assert (bulk.n_read, bulk.n_quarantined) == (record.n_read, record.n_quarantined)
    locators = sorted(q["locator"] for q in bulk.quarantine)
    assert locators[0].startswith("sheet Sheet row ")
    if dates and "start" in dates:
        times = sorted({str(bulk.events[i]["time"]) for i in range(len(bulk.events))})
        assert times == ["2026-06-01 00:08:00", "2026-06-01 00:10:00.250000", "2026-06-02 00:00:00"]


TIES = ("source,target,weight,kind,id\n"
        "A,B,2,,\nB,A,,,\nB,A,1.5,,\nB,C,,,\nC,,1,,\nD,D,1,,\nA,C,0,,\nA,D,x,,\nA,D,1,vriend,\n"
        "A,E,1,nonsense,\nE,F,3,,t1\nF,G,3,,t1\nE,G,1,family_of,t2\nA,B,1,,\n")


@pytest.mark.parametrize("case_kinds", [256, 0], ids=["kinds-by-case", "kinds-by-join"])
def test_edge_list_edge_cases_same_on_both_paths(tmp_path, monkeypatch, case_kinds):
    monkeypatch.setattr("netintel.ingest._bulk._CASE_KINDS", case_kinds)
    path = write(tmp_path, "ties.csv", TIES)
    mapping = Mapping.from_dict({"format": "edgelist", "kinds": {"vriend": "associate_of"}})
    bulk, record = _both(load_edgelist, path, mapping)
    assert (bulk.n_read, bulk.n_quarantined) == (14, 6)
    _same(bulk, record)
    links = {r["source_record_id"]: r for r in (bulk.links[i] for i in range(len(bulk.links)))}
    a, b = sorted([record_id("E", "Agency X", "person:A"), record_id("E", "Agency X", "person:B")])
    # A-B 2, B-A (no weight: the count so far, 2), B-A 1.5, A-B 1: 2 + 1.5 + 1, worked by hand
    assert links[f"associate_of:{a}->{b}"]["weight"] == 4.5 and links[f"associate_of:{a}->{b}"]["count"] == 4


def test_an_edge_list_in_a_workbook_same_on_both_paths(tmp_path):
    path = _sheet(tmp_path / "ties.xlsx", TIES)
    mapping = Mapping.from_dict({"format": "edgelist", "kinds": {"vriend": "associate_of"}})
    bulk, record = _both(load_edgelist, path, mapping)
    assert (bulk.n_read, bulk.n_quarantined) == (14, 6)
    _same(bulk, record)
    # a column of dates nobody reads is no reason for the record path; one read as a weight is
    path = _sheet(tmp_path / "dated.xlsx", TIES.replace("id\n", "id,on\n"), {"on": WHEN})
    assert isinstance(_both(load_edgelist, path, mapping)[0].links, Columns)
    bulk, record = _both(load_edgelist, path, Mapping.from_dict({"format": "edgelist", "columns": {"weight": "on"}}))
    assert not isinstance(bulk.links, Columns) and bulk.n_read == record.n_read == 14


_TIE = st.tuples(st.sampled_from("ABCD"), st.sampled_from("ABCD"),
                 st.one_of(st.none(), st.sampled_from(["1", "2", "3", "0.1", "0.7", "2.5"])))


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ties=st.lists(_TIE, min_size=1, max_size=12), weights=st.sampled_from(["given", "none", "absent"]),
       directed=st.sampled_from([None, True, False]))
def test_tie_weights_merge_the_same_on_both_paths(tmp_path_factory, ties, weights, directed):
    # repeated ties (either way round, directed or not) with weights on every line, on none, on some
    # (a weightless tie resets the sum to the count so far), whole or fractional, and files without
    # a weight column
    if weights == "absent":
        text = "source,target\n" + "".join(f"{a},{b}\n" for a, b, _ in ties)
    else:
        text = "source,target,weight\n" + "".join(
            f"{a},{b},{(w or '1') if weights == 'given' else (w or '')}\n" for a, b, w in ties)
    path = write(tmp_path_factory.mktemp("ties"), "ties.csv", text)
    spec = {"format": "edgelist"} if directed is None else {"format": "edgelist", "directed": directed}
    bulk, record = _both(load_edgelist, path, Mapping.from_dict(spec))
    _same(bulk, record)


def test_bulk_rows_are_written_like_records(tmp_path):
    path = write(tmp_path, "ties.csv", TIES)
    mapping = Mapping.from_dict({"format": "edgelist", "kinds": {"vriend": "associate_of"}})
    same_when_stored(_both(load_edgelist, path, mapping))


def _decoded(frame: pd.DataFrame) -> pd.DataFrame:
    frame["properties"] = [json.dumps(json.loads(p), sort_keys=True) for p in frame["properties"]]
    return frame


def same_when_stored(batches) -> None:
    """Two batches written to workspaces store the same rows (properties compared decoded)."""
    frames = []
    for batch in batches:
        ws = Workspace()
        ws.write_import(batch)
        frames.append([ws.sql(f"SELECT * EXCLUDE (properties) FROM {t} ORDER BY ALL") for t in ("entities", "links")]
                      + [ws.sql("SELECT * FROM raw_records ORDER BY ALL")]
                      + [_decoded(ws.sql(f"SELECT {k}, properties FROM {t} ORDER BY ALL"))
                         for t, k in (("entities", "entity_id"), ("links", "link_id"))])
        ws.close()
    for a, b in zip(*frames):
        pd.testing.assert_frame_equal(a, b)


QUOTED = '"source","target"\n"A, the elder",B\n"",""\nC,"D ""the younger"""\n"E",,\n,\n"F",G,"",\nB,"A, the elder"\n'


def test_quoted_fields_on_one_line_are_read_in_bulk(tmp_path):
    path = write(tmp_path, "q.csv", QUOTED)
    assert open_plain_csv(path).quoted
    bulk, record = _both(load_edgelist, path, Mapping.from_dict({"format": "edgelist"}))
    _same(bulk, record)
    assert (bulk.n_read, bulk.n_quarantined) == (7, 3) and len(bulk.links) == 3
    assert {q["reason"] for q in bulk.quarantine} == {"target is missing", EMPTY_ROW}


@pytest.mark.parametrize("text", ['source,target\nA "x",B\n', 'source,target\n"A"x,B\n'],
                         ids=["quote-inside", "text-after-quote"])
def test_quotes_the_csv_module_reads_otherwise_go_the_record_path(tmp_path, text):
    assert open_plain_csv(write(tmp_path, "q.csv", text)) is None


def test_an_edge_list_with_a_name_over_two_lines_same_on_both_paths(tmp_path):
    path = write(tmp_path, "q.csv", 'source,target\n"A\nB",C\nC,"D"\n"A\nB",D\n')
    assert open_plain_csv(path).multiline
    bulk, record = _both(load_edgelist, path, None)
    assert (bulk.n_read, len(bulk.links)) == (3, 3) and "A\nB" in {bulk.entities[i]["label"] for i in range(len(bulk.entities))}
    _same(bulk, record)


def _stored(ws: Workspace) -> list[pd.DataFrame]:
    return [ws.sql(f"SELECT * EXCLUDE ({skip}) FROM {t} ORDER BY ALL") for t, skip in
            (("entities", "properties"), ("links", "properties"), ("events", "properties"), ("raw_records", "raw"),
             ("quarantine", "quarantined_at"))] + [ws.entities()[["entity_id", "properties"]].astype(str)]


def _temporary_tables(ws: Workspace) -> list[str]:
    return [t for (t,) in ws.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()]


SEPBLAC = SAMPLE / "es_sepblac" / "transacciones"


@pytest.mark.parametrize("loader, text, mapping", [
    (load_events, CALLS, None),
    (load_events, None, None),  # transfers: the sample file of SEPBLAC
    (load_edgelist, TIES, Mapping.from_dict({"format": "edgelist", "kinds": {"vriend": "associate_of"}}))])
def test_bulk_load_in_the_workspace_connection_stores_the_same_rows(tmp_path, loader, text, mapping):
    # in the workspace's own connection the rows go temp tables -> INSERT ... SELECT, never through Arrow
    path = write(tmp_path, "f.csv", text) if text is not None else SEPBLAC.with_suffix(".csv")
    stored = []
    for in_workspace in (True, False):
        ws = Workspace()
        b = BatchBuilder(path, format="x", provenance=Provenance("Agency X ", "NL", grading="B2"),
                         con=ws.con if in_workspace else None)
        loader(path, b, mapping)
        batch = b.finish()
        assert (batch.entities.con is ws.con) == in_workspace
        ws.write_import(batch)
        assert _temporary_tables(ws) == []
        stored.append(_stored(ws))
        ws.close()
    for a, b in zip(*stored):
        pd.testing.assert_frame_equal(a, b)


def test_failed_bulk_import_leaves_the_workspace_and_no_temporary_tables(tmp_path, monkeypatch):
    from netintel.errors import InputError
    from netintel.ingest import _bulk, ingest

    path = write(tmp_path, "calls.csv", CALLS)
    ws = Workspace()
    ingest(ws, path, agency="Agency X", country="NL", progress=False)
    before = _stored(ws)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    changed = write(tmp_path, "calls.csv", CALLS + "+31612345678,+32470000009,2026-06-03 10:00,5,X,c9,\n")
    for target, name in ((_bulk, "_quarantine"), (Workspace, "_audit")):  # in the load; in the write
        with monkeypatch.context() as m:
            m.setattr(target, name, broken)
            with pytest.raises(InputError, match="disk full"):
                ingest(ws, changed, agency="Agency X", country="NL", progress=False, on_error="raise")
        assert _temporary_tables(ws) == []
        for a, b in zip(before, _stored(ws)):
            pd.testing.assert_frame_equal(a, b)
    ws.close()


_MARKED = st.tuples(st.sampled_from(["+316", "+317", "+318"]), st.sampled_from(["+316", "+319"]),
                    st.sampled_from(["2026-06-01 10:00", "2026-06-02 11:30", "x"]),
                    st.sampled_from(["", "B2", "A1", "Z9"]), st.sampled_from(["", "TLP:RED", "TLP:GREEN", "PURPLE"]),
                    st.sampled_from(["", "2026-01-05", "soon"]))


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_MARKED, min_size=1, max_size=12), kind=st.sampled_from(["call", "transfer"]))
@example(rows=[("+316", "+316", "2026-06-01 10:00", "", "", ""), ("+316", "+316", "2026-06-01 10:00", "", "", "2026-01-05")],
         kind="call")  # the link's first event has no reported date, a later one has
def test_events_with_row_markings_same_on_both_paths(tmp_path_factory, rows, kind):
    # per-row grading, handling and reported date: each event carries its row's, a link is one row
    # per marking (its first event's provenance), a bad marking quarantines the row first
    a, b, t = ("caller", "callee", "start") if kind == "call" else ("from_account", "to_account", "time")
    text = f"{a},{b},{t},grd,hdl,rep" + ("" if kind == "call" else ",amount") + "\n" + "".join(
        ",".join(r) + ("" if kind == "call" else ",10") + "\n" for r in rows)
    path = write(tmp_path_factory.mktemp("marked"), "events.csv", text)
    mapping = Mapping.from_dict({"format": "events", "record": {"grading": "grd", "handling": "hdl",
                                                                "reported": "rep"}})
    bulk, record = _both(load_events, path, mapping)
    _same(bulk, record)


# ---------------------------------------------------------------------------------------------
# Files in another encoding (the mapping's encoding:): read in bulk from a UTF-8 copy
# ---------------------------------------------------------------------------------------------
ACCENTED = CALLS.replace("NL-AMS-01", "NL-Ämst-01").replace("dup of c1", "déjà vu, Müller").replace(",x\n", ",café\n")


@pytest.mark.parametrize("encoding, extra", [("latin-1", "ÿ±"), ("cp1252", "€–„")])
def test_another_encoding_same_on_both_paths(tmp_path, encoding, extra):
    text = ACCENTED.replace("BE-ANT-07", f"BE-{extra}")
    path = write(tmp_path, "anruf.csv", text.encode(encoding))
    mapping = Mapping.from_dict({"format": "events", "encoding": encoding})
    plain = open_plain_csv(path, encoding=encoding)
    copy = plain.path
    assert copy != path and copy.read_text("utf-8") == text
    del plain
    assert not copy.exists()  # the UTF-8 copy goes with the object that reads it
    bulk, record = _both(load_events, path, mapping)
    assert bulk.n_read == 12 and bulk.n_quarantined == 7
    _same(bulk, record)
    places = {bulk.events[i]["place"] for i in range(len(bulk.events))}
    assert {"NL-Ämst-01", f"BE-{extra}"} <= places


def test_a_table_in_latin1_same_on_both_paths(tmp_path):
    from netintel.ingest.tabular import load_table

    path = write(tmp_path, "duits.csv", "persoon_id;voornaam;achternaam\nP-9;Jürgen;Müller\nP-9;Jürgen;Müller\n"
                                        "P-10;Ängel;\n;Zoë;Ødegård\n".encode("latin-1"))
    mapping = Mapping.from_dict({"encoding": "latin-1", "entities": {"person": {
        "kind": "person", "id": "persoon_id", "properties": {"first_name": "voornaam", "last_name": "achternaam"}}}})
    bulk, record = _both(load_table, path, mapping)
    assert bulk.n_read == 4 and bulk.n_accepted >= 2
    _same(bulk, record)


@pytest.mark.parametrize("encoding, mapped", [("utf-16", False), ("utf-16", True), ("utf-16-le", True),
                                              ("utf-16-be", True)],
                         ids=["by-byte-order-mark", "utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_same_on_both_paths(tmp_path, encoding, mapped):
    # Excel's "Unicode text" and many Windows exports: two bytes a character, a 0x0a byte inside "Ċ"
    text = ACCENTED.replace("BE-ANT-07", "BE-Ċ€-07")
    path = write(tmp_path, "anruf.csv", text.encode(encoding))
    mapping = Mapping.from_dict({"format": "events", **({"encoding": encoding} if mapped else {})})
    plain = open_plain_csv(path, encoding=mapping.encoding)
    assert plain is not None and plain.path.read_text("utf-8") == text  # the byte-order mark is not text
    del plain
    bulk, record = _both(load_events, path, mapping)
    assert bulk.n_read == 12 and bulk.n_quarantined == 7
    _same(bulk, record)
    assert {"NL-Ämst-01", "BE-Ċ€-07"} <= {bulk.events[i]["place"] for i in range(len(bulk.events))}


def test_a_utf16_file_past_the_head_read_same_on_both_paths(tmp_path):
    # the head read (64 KiB) ends inside the file: it must cut at a two-byte line end, not at a 0x0a byte
    body = "".join(f"+3161234{i:04d},+3247000{i % 97:04d},2026-06-01T{i % 24:02d}:{i % 60:02d}:00,{i % 300},"
                   f"NL-Ċ{i % 7}\n" for i in range(3000))
    text = "caller,callee,start,duration,cell\n" + body
    path = write(tmp_path, "anruf.csv", text.encode("utf-16"))
    assert path.stat().st_size > 3 * (1 << 16)
    bulk, record = _both(load_events, path, Mapping.from_dict({"format": "events"}))
    assert bulk.n_read == 3000 and bulk.n_quarantined == 0
    _same(bulk, record)


def test_a_table_in_utf16_same_on_both_paths(tmp_path):
    from netintel.ingest.tabular import load_table

    path = write(tmp_path, "personen.csv", "persoon_id\tvoornaam\tachternaam\nP-9\tJürgen\tMüller\n"
                                           "P-10\tĊelik\t\n\tZoë\tØdegård\n".encode("utf-16"))
    mapping = Mapping.from_dict({"entities": {"person": {
        "kind": "person", "id": "persoon_id", "properties": {"first_name": "voornaam", "last_name": "achternaam"}}}})
    bulk, record = _both(load_table, path, mapping)
    assert bulk.n_read == 3 and bulk.n_accepted >= 2
    _same(bulk, record)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "utf-16", "utf-16-le", "utf-16-be",
                                      "utf-32"])
def test_the_head_read_ends_at_a_line_end_of_the_encoding(encoding):
    from netintel.ingest.tabular import _head_lines

    wide = "Ċ" if encoding.startswith("utf") else "Ç"  # "Ċ" is 0x010a: a 0x0a byte inside a character
    text = "a,b\n" + "".join(f"{i},{wide}{i}\n" for i in range(200))
    data = text.encode(encoding)
    for size in range(4, 400, 7):
        head = _head_lines(data, size, encoding if encoding != "utf-16" or size % 2 else None)
        assert len(head) <= size and data.startswith(head)
        lines = head.decode(encoding)
        if "\n" in lines:  # whole lines, no half character
            assert lines.endswith("\n") and text.startswith(lines)


@pytest.mark.parametrize("data, encoding", [
    (b"a,b\n1,\x81\n", "cp1252"),  # 0x81 is not a cp1252 character: the record path names the byte
    (b"a,b\n1,2\n", "no-such-codec"),
])
def test_what_the_copy_cannot_take_goes_the_record_path(tmp_path, data, encoding):
    import tempfile

    path = write(tmp_path, "x.csv", data)
    before = set(Path(tempfile.gettempdir()).glob("netintel-*.utf8.csv"))
    assert open_plain_csv(path, encoding=encoding) is None
    assert set(Path(tempfile.gettempdir()).glob("netintel-*.utf8.csv")) == before  # no copy left behind
    if encoding == "cp1252":
        from netintel.errors import InputError

        with pytest.raises(InputError, match=r"cannot be read as cp1252 .*at byte 6"):
            read_table(path, encoding=encoding)


# ---------------------------------------------------------------------------------------------
# Quoted fields over several lines: records read by their quotes
# ---------------------------------------------------------------------------------------------
NOTES = ('caller,callee,start,duration,cell,note\n'
         '+31612345678,+32470000001,2026-06-01T00:08:00,65,NL-AMS-01,"met at the\nstation, then\n\nleft"\n'
         '+31612345678,+32470000001,2026-06-01T00:10:00,x,NL-AMS-01,"said ""tomorrow""\n"\n'
         '\n'
         '+31612345678,+32470000002,2026-06-01T00:12:00,5,"NL-\nAMS-02",\n'
         '+31612345678,+32470000002,2026-06-01T00:13:00,5,NL-AMS-02,"\n"\n'
         '+31612345678,+32470000002,2026-06-01T00:14:00,5,NL-AMS-02,"a","b"\n'
         '+32470000002,+31612345678,2026-06-01T00:15:00,7,BE-ANT-07,plain\n')


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_quoted_fields_over_lines_same_on_both_paths(tmp_path, newline):
    path = write(tmp_path, "notes.csv", NOTES.replace("\n", newline).encode("utf-8"))
    plain = open_plain_csv(path)
    assert plain is not None and plain.multiline
    bulk, record = _both(load_events, path, None)
    assert (bulk.n_read, bulk.n_quarantined) == (6, 2)  # a bad duration; a row with a field too many
    _same(bulk, record)
    events = sorted((bulk.events[i] for i in range(len(bulk.events))), key=lambda e: int(e["locator"].split()[1]))
    assert [e["locator"] for e in events] == ["line 2", "line 9", "line 11", "line 14"]
    assert events[1]["place"] == f"NL-{newline}AMS-02"


@pytest.mark.parametrize("text", [
    'a,b\n1,"open\n2,3\n',  # a quote left open to the end of the file
    'a,b\n1,x"y\n"z\n',  # a quote inside an unquoted field
    '"a\nb",c\n1,2\n',  # a header over two lines
])
def test_quotes_the_bulk_path_cannot_read_go_the_record_path(tmp_path, text):
    assert open_plain_csv(write(tmp_path, "q.csv", text.encode("utf-8"))) is None
