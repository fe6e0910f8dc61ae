"""Columnar reading of plain CSV event and edge files, through DuckDB.

A call-record warrant is millions of rows; reading it one Python dict per row is what made
ingest run at 9k links/s. For a *plain* CSV file (UTF-8, fields quoted whole or not at all, a
quoted field perhaps over several lines) this module reads every line into DuckDB with its line
number, joins the lines a quoted field holds together, splits each record as the csv module
would, checks every row in SQL, computes entity, link and event ids in SQL (the same SHA-1 rule as
:func:`netintel.workspace.record_id`; an entity's once per distinct value) and hands the builder
:class:`netintel.workspace.Columns`. When the builder is for a workspace (``builder.con``) all of
this runs in the workspace's own DuckDB connection, in temporary tables, and the workspace copies them with ``INSERT ... SELECT``: no row crosses into
Python, and a failed load drops its tables (the workspace stays as it was). A builder without a
workspace gets Arrow tables from a private connection. Python only touches what is not a plain
value: a time, number or duration in an unusual form, a row's provenance markings, are resolved
by the same Python function as the record path, once per distinct value, and the message of a
quarantined row is formatted by the record path's own wording. A file in another text
encoding (Latin-1, Windows-1252, UTF-16 by the mapping's ``encoding:`` or its byte-order mark) is read
from a UTF-8 copy decoded in chunks. A workbook's sheet is read by calamine as the record path reads it, and
its cells go to DuckDB as Arrow columns, a row their text joined by tabs (:func:`open_plain_xlsx`; a column
of date cells is read by its values, not the mapping's formats). Anything else (a quote inside an unquoted
field or left open, a sheet whose rows do not split back into their cells) goes the
record path in :mod:`netintel.ingest.tabular`, so both paths give the same rows, ids and
quarantine. Entity and link tables have their own twin in :mod:`netintel.ingest._bulk_table`.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import re
import tempfile
import weakref
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence

import duckdb
import pandas as pd

from ..errors import SchemaError
from ..workspace import Columns
from ._common import BatchBuilder, RecordError

__all__ = ["PlainCsv", "open_plain_csv"]

# Python's str.strip() whitespace, as an RE2 class (DuckDB's trim() strips spaces only).
_SP = r"[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
_NULLS = ("NULL", "NONE", "N/A", "NA", "NAN", "-")
# Export time forms DuckDB parses exactly as parse_datetime does (checked by a round trip).
_TIME_FORMS = (
    (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", "%Y-%m-%dT%H:%M:%S"),
    (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "%Y-%m-%d %H:%M:%S"),
    (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", "%Y-%m-%dT%H:%M"),
    (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "%Y-%m-%d %H:%M"),
    (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"),
    (r"\d{8} \d{4}", "%Y%m%d %H%M"),
    (r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", "%d/%m/%Y %H:%M"),
)
_SAFE_FORMAT = re.compile(r"^(?:%[YmdHMS]|[^%])+$")
_PLAIN_NUMBER = r"[+-]?[0-9]+(\.[0-9]+)?"


@dataclass
class PlainCsv:
    """A CSV file read a record a line, or (``multiline``) a record a run of lines that a quoted
    field holds together: its delimiter, header and header line."""

    path: Path
    delimiter: str
    header: list[str]
    header_line: int
    newline: str
    #: fields may be quoted ("Smit, Jan"), each quoted whole or not at all (checked when opened)
    quoted: bool = False
    #: a quoted field may hold line breaks (an address over two lines): records are read by their quotes
    multiline: bool = False
    #: a workbook's sheet: its cells' text, a column a sheet column and a row a sheet row (Arrow),
    #: read instead of the file's lines (a row is its cells joined by tabs, the delimiter)
    cells: Any = None
    #: what a record's locator says before its number (``line 7``, ``sheet Calls row 7``)
    where: str = "line "
    #: header columns whose every cell is a date or a date-time (a workbook's typed cells; their
    #: text is ``str()`` of the value in the row, its ISO form as a field)
    typed: frozenset[str] = frozenset()

    @property
    def number(self) -> str:
        """SQL for a ``_raw`` row's line number (of its first line)."""
        return "n" if self.multiline else "rowid + 1"

    def locator(self, number_sql: str) -> str:
        """SQL for the locator of the record at line (or row) ``number_sql``."""
        return f"{_literal(self.where)} || {number_sql}"

    def formats(self, column: str | None, fmts: Sequence[str] | None) -> list[str] | None:
        """The time formats of ``column``: a typed column's cells are ISO text whatever the mapping says
        (the record path takes the cell's value as it is)."""
        if column in self.typed:
            return list(TYPED_FORMATS)
        return None if not fmts else ([fmts] if isinstance(fmts, str) else list(fmts))

    def typed_in(self, columns: Any) -> bool:
        """Whether a typed column is among ``columns``: the roles (an id, a party, a number, a
        marking) where the record path reads a date value in its own way."""
        return not self.typed.isdisjoint(columns)

    def lines(self, con: duckdb.DuckDBPyConnection) -> None:
        """Read every record into the temp table ``_raw(line)`` in file order, with its line number
        :attr:`number`: a line each, or the lines a quoted field holds together joined by their line
        break, as the csv module reads them (a record starts at a line before which an even number
        of quotes was read). A sheet's rows are its cells joined by tabs (NULL for a row without
        any), as the record path keeps a row's text."""
        if self.cells is not None:
            names = [f'"{c}"' for c in self.cells.column_names]
            con.register("_ni_cells", self.cells)
            try:
                con.execute(f"CREATE OR REPLACE TEMP TABLE _raw AS SELECT CASE WHEN coalesce({', '.join(names)}) "
                            f"IS NOT NULL THEN concat({', chr(9), '.join(f'coalesce({c}, {chr(39) * 2})' for c in names)}) "
                            "END AS line FROM _ni_cells")
            finally:
                con.unregister("_ni_cells")
            return
        into = "_lines" if self.multiline else "_raw"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {into} AS SELECT line FROM read_csv(?, columns={{'line': 'VARCHAR'}}, "
            "delim=chr(1), quote='', escape='', header=false, auto_detect=false, strict_mode=false, "
            "new_line=?, max_line_size=16777216)", [str(self.path), self.newline])
        if not self.multiline:
            return
        nl = "chr(13) || chr(10)" if self.newline == r"\r\n" else "chr(10)"
        try:
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE _raw AS
                SELECT min(i) + 1 AS n, nullif(string_agg(coalesce(line, ''), {nl} ORDER BY i), '') AS line
                FROM (SELECT i, line, sum(starts) OVER (ORDER BY i ROWS UNBOUNDED PRECEDING) AS record
                      FROM (SELECT i, line, CASE WHEN coalesce(sum(q) OVER (ORDER BY i ROWS BETWEEN UNBOUNDED
                                                 PRECEDING AND 1 PRECEDING), 0) % 2 = 0 THEN 1 ELSE 0 END AS starts
                            FROM (SELECT rowid AS i, line, (length(line) - length(replace(line, '"', ''))) % 2 AS q
                                  FROM _lines)))
                GROUP BY record ORDER BY n""")
        finally:
            con.execute("DROP TABLE IF EXISTS _lines")


def _quoted_field(delimiter: str) -> str:
    """RE2 for one field of a quoted record: quoted whole (a doubled quote inside, line breaks too),
    or without quotes (and without line breaks)."""
    d = re.escape(delimiter)
    return f'"(?:[^"]|"")*"|[^"{d}\\r\\n]*'


def _read_as_quoted(plain: PlainCsv) -> bool:
    """Whether every record of a file with quotes has its fields quoted whole or not at all: then
    DuckDB splits its records as the csv module reads them. A quote inside an unquoted field, or
    one left open to the end of the file, leaves the file to the record path."""
    field = _quoted_field(plain.delimiter)
    d = re.escape(plain.delimiter)
    con = duckdb.connect()
    try:
        plain.lines(con)
        bad = con.execute(f"SELECT count(*) FROM _raw WHERE {plain.number} > {plain.header_line} AND "
                          f"contains(line, '\"') AND NOT regexp_full_match(line, ?)",
                          [f"(?:{field})(?:{d}(?:{field}))*"]).fetchone()[0]
    finally:
        con.close()
    return bad == 0


def _split_sql(plain: PlainCsv, line: str = "line") -> str:
    """SQL for the fields of a line, as the csv module reads them."""
    delim = plain.delimiter.replace("'", "''")
    if not plain.quoted:
        return f"string_split({line}, '{delim}')"
    d = re.escape(plain.delimiter).replace("'", "''")
    # each field after a delimiter (one put before the line): no match is empty
    fields = f"regexp_extract_all('{delim}' || {line}, '{d}({_quoted_field(plain.delimiter).replace(chr(39), chr(39) * 2)})', 1)"
    return (f"CASE WHEN contains({line}, '\"') THEN list_transform({fields}, lambda x: CASE WHEN starts_with(x, '\"') "
            f"THEN replace(substr(x, 2, length(x) - 2), '\"\"', '\"') ELSE x END) "
            f"ELSE string_split({line}, '{delim}') END")


#: The provenance columns a table with per-row markings (``record:``) gives each entity and link.
_ROW_PROV = ("grading", "grading_scheme", "grading_original", "handling", "releasable_to", "reported",
             "retain_until")
_PROV_TYPES = {"releasable_to": "VARCHAR[]", "reported": "DATE", "retain_until": "DATE"}


def _lookup(con, table: str, values_sql: str, fn: Callable[..., tuple], out: dict[str, str]) -> None:
    """``table``: each distinct row of ``values_sql`` (columns ``k0``, ``k1``, ...) with ``fn(*row)``'s
    outputs as the columns ``out`` names and types: the record path's function, once per distinct value."""
    cur = con.execute(values_sql)
    width = len(cur.description)
    rows = cur.fetchall()
    results = [fn(*r) for r in rows]
    frame = {f"k{i}": pd.Series([r[i] for r in rows], dtype=object) for i in range(width)}
    for j, name in enumerate(out):
        frame[name] = pd.Series([res[j] for res in results], dtype=object)
    con.register("_lookup_values", pd.DataFrame(frame))
    try:
        keys = ", ".join(f"k{i}::VARCHAR AS k{i}" for i in range(width))
        outs = ", ".join(f"{name}::{typ} AS {name}" for name, typ in out.items())
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {keys}, {outs} FROM _lookup_values")
    finally:
        con.unregister("_lookup_values")


def _error_of(fn: Callable[[], Any]) -> tuple[Any, str | None]:
    """``fn()`` and None, or None and the message the record path would quarantine with."""
    try:
        return fn(), None
    except (RecordError, SchemaError) as exc:
        return None, str(exc)
    except (ValueError, TypeError, OverflowError, KeyError) as exc:
        return None, f"cannot be read: {type(exc).__name__}: {exc}"


def _row_provenance(con, builder: BatchBuilder, mapping: Any, keys: dict[str, str], cols: dict[str, str], table: str,
                    where: str) -> tuple[str, list[str]]:
    """Each row's own provenance (a mapping's ``record:`` columns), resolved by the record path's
    :func:`~netintel.ingest.tabular.row_provenance` once per distinct combination of markings.

    ``keys`` maps each record column's header name to its SQL over ``_rows r``. Returns the join and
    the columns to select: ``prov_err`` (the record path's message) and ``pv_<column>``.
    """
    from ..retention import review_date
    from .tabular import row_provenance

    names = list(keys)

    def prov_of(*values):
        got, err = _error_of(lambda: row_provenance(builder, mapping, dict(zip(names, values)), cols))
        if got is None:
            return (err,) + (None,) * len(_ROW_PROV)
        reported = got.get("reported")
        retain = review_date(got.get("country"), reported) if reported is not None else None
        return (None, got["grading"], got["grading_scheme"], got["grading_original"], got["handling"],
                chr(31).join(got["releasable_to"]), None if reported is None else str(reported),
                None if retain is None else str(retain))

    sql = list(keys.values())
    _lookup(con, table, f"SELECT DISTINCT {', '.join(sql)} FROM _rows r WHERE {where}", prov_of,
            {"err": "VARCHAR", **{c: "DATE" if c in ("reported", "retain_until") else "VARCHAR" for c in _ROW_PROV}})
    on = " AND ".join(f"pv.k{i} IS NOT DISTINCT FROM {k}" for i, k in enumerate(sql))
    select = ["pv.err AS prov_err"] + [
        (f"list_filter(string_split(pv.{c}, chr(31)), lambda e: e <> '') AS pv_{c}" if c == "releasable_to"
         else f"pv.{c} AS pv_{c}") for c in _ROW_PROV]
    return f"LEFT JOIN {table} pv ON {on}", select


def _sniff_delimiter(text: str) -> str:
    # the record path's rule (tabular._read_csv_text): the first line of the first 20000 characters
    sample = text[:20000]
    first = sample.splitlines()[0] if sample.splitlines() else sample
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def open_plain_csv(path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
                   delimiter: str | None = None, header: Sequence[str] | None = None) -> PlainCsv | None:
    """The file as a :class:`PlainCsv`, or None when it needs the record path (quotes, an encoding
    that does not decode, lone carriage returns, a sheet :func:`open_plain_xlsx` declines).

    A file in another encoding (the mapping's ``encoding:``) is read from a UTF-8 copy made in
    the temporary directory and removed with the returned object."""
    path = Path(path)
    from .tabular import _XLSX_SUFFIXES, file_encoding, sniff_kind

    if sniff_kind(path) == "xlsx":  # read as a workbook by its first bytes, as the record path does
        return open_plain_xlsx(path, sheet)
    if sheet is not None or path.suffix.lower() in _XLSX_SUFFIXES:
        return None

    with open(path, "rb") as f:
        encoding = file_encoding(f.read(2), encoding)  # as the record path reads it
    if _is_utf8(encoding):
        return _open_utf8(path, path, delimiter, header)

    # what the record path refuses by the file's first bytes (a workbook, JSON, NULs), it refuses
    text_path = _transcoded(path, encoding) if sniff_kind(path, encoding=encoding) == "text" else None
    if text_path is None:
        return None
    try:
        plain = _open_utf8(path, text_path, delimiter, header)
    except BaseException:
        text_path.unlink()
        raise
    if plain is None:
        text_path.unlink()
    else:
        weakref.finalize(plain, text_path.unlink, missing_ok=True)
    return plain


#: What a typed cell's text (``str()`` of a date or date-time, its space made a ``T``) is in.
TYPED_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d")
#: Characters no workbook cell may hold for the bulk path: its line reader's and the tab delimiter.
_NOT_IN_CELL = "[\x00\x01\t\n\r]"


def open_plain_xlsx(path: Path, sheet: str | None) -> PlainCsv | None:
    """A workbook's sheet as a :class:`PlainCsv` of its cells, or None when it needs the record path.

    The record path reads the same cells (:func:`~netintel.ingest.tabular.xlsx_cell`), a record a
    non-empty row after the header, its text the cells joined by tabs. The bulk path takes the
    sheet when that text splits back into the same cells and nothing else differs: no cell holds
    a tab, a line break or a control character, no formula lacks its saved value (the record path
    flags those cells), no cell lies beyond the header, no row is blanks only (the record path
    reads it, a line of blanks is none), and a column of dates holds dates only (``typed``; read
    as the record path reads a date cell, see :meth:`PlainCsv.formats`). Errors (not a readable
    workbook, no such sheet, a bad header) are the record path's own.
    """
    import numpy as np
    import pyarrow as pa

    from .tabular import has_formulas, xlsx_cell, xlsx_frame, xlsx_header

    if has_formulas(path):  # a scan of the XML, before the sheet is read (the record path reads it again)
        return None  # a formula without a saved value is flagged per cell: the record path does that
    name, frame, _ = xlsx_frame(path, sheet)
    filled = frame.notna().to_numpy()
    rows = filled.any(axis=1)
    if not rows.any():
        return None  # the record path says the sheet is empty
    first = int(np.argmax(rows))
    header = xlsx_header(path, [xlsx_cell(v) for v in frame.iloc[first]])
    if filled[first + 1:, len(header):].any():
        return None  # values beyond the header: the record path words that row
    columns, blanks, typed = [], [], set()
    for j in range(frame.shape[1]):
        values, present = frame.iloc[:, j].to_numpy(), filled[:, j]
        if set(map(type, values[present])) <= {str}:  # text cells are their text: no cell by cell
            texts = np.where(present, values, None).tolist()
        else:
            cells = [xlsx_cell(v) for v in values]
            dated = sum(isinstance(c, datetime) for c in cells[first + 1:])  # xlsx_cell makes dates date-times
            if dated:
                if dated != int(present[first + 1:].sum()):
                    return None  # dates among text: the record path reads each by its own type
                typed.add(header[j])
            texts = [None if c is None else str(c) for c in cells]
        joined = "\x02".join(t for t in texts if t is not None)
        if re.search(_NOT_IN_CELL, joined):
            return None
        blank = ~present
        if re.search(r"(?:^|\x02)\s+(?:\x02|$)", joined):  # some cell is blanks only (str.strip's)
            blank = np.array([t is None or not t.strip() for t in texts])
        columns.append(texts)
        blanks.append(blank)
    if (np.column_stack(blanks).all(axis=1) & rows)[first + 1:].any():
        return None  # a row of blank cells: a record on the record path, no line here
    cells = pa.table({f"c{j}": pa.array(t, pa.string()) for j, t in enumerate(columns)})
    return PlainCsv(path, "\t", header, first + 1, r"\n", cells=cells, where=f"sheet {name} row ",
                    typed=frozenset(typed))


def _is_utf8(encoding: str | None) -> bool:
    try:
        return not encoding or codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    except LookupError:
        return False


def _transcoded(path: Path, encoding: str, chunk_size: int = 1 << 24) -> Path | None:
    """A UTF-8 copy of a file in another text encoding (Latin-1, Windows-1252, UTF-16, ...),
    decoded in chunks, in the temporary directory; None when the record path must read the file:
    an encoding Python does not know or that is not a text encoding, or bytes that do not decode
    (the record path then names the byte). Lines, line numbers and text are the record path's: it
    decodes the same bytes with the same codec (a UTF-16 byte-order mark is dropped by both).
    """
    try:
        codec = codecs.lookup(encoding)
        "\n".encode(codec.name)  # LookupError for a bytes-to-bytes codec (base64, zlib)
    except (LookupError, UnicodeError):
        return None
    decoder = codec.incrementaldecoder()
    fd, name = tempfile.mkstemp(prefix="netintel-", suffix=".utf8.csv")
    out = Path(name)
    try:
        with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(chunk_size):
                dst.write(decoder.decode(chunk).encode("utf-8"))
            dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    except (UnicodeError, ValueError):
        out.unlink(missing_ok=True)
        return None
    return out


def _open_utf8(path: Path, text_path: Path, delimiter: str | None, header: Sequence[str] | None) -> PlainCsv | None:
    """:func:`open_plain_csv` of a UTF-8 file ``text_path`` (``path`` itself, or its UTF-8 copy)."""
    from .tabular import _check_header

    scanned = _scan(text_path)
    if scanned is None:
        return None
    text, n_cr, whole, quoted = scanned
    text = text.lstrip("\ufeff")
    delim = delimiter or _sniff_delimiter(text)
    if len(delim) != 1 or (quoted and delim in '"\r\n'):
        return None
    start, line_no = 0, 0
    while start <= len(text):
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        line_no += 1
        fields = (next(csv.reader([line.rstrip("\r")], delimiter=delim)) if quoted else line.rstrip("\r").split(delim)) \
            if line.rstrip("\r") else []
        if fields and any(f.strip() for f in fields):
            if end < 0 and not whole:
                return None  # the header line runs past the part scanned: the record path reads it
            head = [f.strip().lstrip("\ufeff") for f in fields]
            while len(head) > 1 and head[-1] == "":
                head.pop()
            _check_header(path, head)
            if header is not None and list(header) != head:
                return None
            plain = PlainCsv(text_path, delim, head, line_no, r"\r\n" if n_cr else r"\n", quoted)
            if not quoted or _read_as_quoted(plain):
                return plain
            # a quoted field over several lines: records by their quotes (not a header that runs on)
            if line.count('"') % 2:
                return None
            plain = replace(plain, multiline=True)
            return plain if _read_as_quoted(plain) else None
        if end < 0:
            break
        start = end + 1
    return None


#: How much of a file :func:`_scan` keeps as text: enough for the sniffer and the header line.
_HEAD_CHARS = 1 << 20


def _scan(path: Path, chunk_size: int = 1 << 24) -> tuple[str, int, bool, bool] | None:
    """Check a whole file for the plain form in chunks (a warrant's CSV need not be in memory twice).

    Returns the first :data:`_HEAD_CHARS` characters, the number of carriage returns, whether
    those characters are the whole file and whether it has a quote character; None when the file
    is not plain: UTF-16, XLSX, NUL bytes, chr(1), a lone carriage return, or bytes that are not UTF-8.
    """
    from .tabular import UTF16_BOMS

    decoder = codecs.getincrementaldecoder("utf-8")()
    head: list[str] = []
    kept, whole, n_cr, n_crlf, last, quoted = 0, True, 0, 0, b"", False
    with open(path, "rb") as f:
        first = True
        while True:
            chunk = f.read(chunk_size)
            if first:
                if chunk.startswith((*UTF16_BOMS, b"PK\x03\x04")) or b"\x00" in chunk[:4096]:
                    return None
                chunk = chunk.removeprefix(b"\xef\xbb\xbf")  # utf-8-sig
                first = False
            if not chunk:
                break
            if b"\x01" in chunk:
                return None
            quoted = quoted or b'"' in chunk
            n_cr += chunk.count(b"\r")
            n_crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk.startswith(b"\n"))
            last = chunk[-1:]
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError:
                return None
            part = text[:_HEAD_CHARS - kept]
            whole = whole and len(part) == len(text)
            head.append(part)
            kept += len(part)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    if n_cr and n_cr != n_crlf:
        return None
    return "".join(head), n_cr, whole, quoted


# ---------------------------------------------------------------------------------------------
# SQL pieces
# ---------------------------------------------------------------------------------------------
#: Every temporary table a bulk load makes; the ones its rows are read from live until the batch
#: is written (or released), the rest are dropped when the load ends.
_TEMP_TABLES = ("_lines", "_raw", "_rows", "_t_py", "_x_py", "_w_py", "_k", "_first", "_ties", "_records",
                "_entities", "_events", "_links")


def _connect(builder: BatchBuilder) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """The connection to load in, and whether it is a private one (to close when done).

    With the workspace's own connection (``builder.con``) the rows stay in its temporary tables
    until :meth:`~netintel.workspace.Workspace.write_import` copies them with ``INSERT ... SELECT``.
    """
    private = builder.con is None
    con = duckdb.connect() if private else builder.con
    if private:
        con.execute("SET preserve_insertion_order = true")
    strip = f"^{_SP}+|{_SP}+$"
    nulls = ", ".join(f"'{n}'" for n in _NULLS)
    # most values need no stripping: a printable ASCII first and last character is checked without a regex
    con.execute(f"CREATE OR REPLACE TEMP MACRO ni_strip(v) AS CASE WHEN ord(left(v, 1)) BETWEEN 33 AND 126 AND "
                f"ord(right(v, 1)) BETWEEN 33 AND 126 THEN v "
                f"ELSE ltrim(regexp_replace(v, '{strip}', '', 'g'), chr(65279)) END")
    # the null words are short: a longer value is not upper-cased to be compared with them
    longest = max(len(n) for n in _NULLS)
    con.execute(f"CREATE OR REPLACE TEMP MACRO ni_null(s) AS CASE WHEN s = '' OR (length(s) <= {longest} AND "
                f"upper(s) IN ({nulls})) THEN NULL ELSE s END")
    con.execute("CREATE OR REPLACE TEMP MACRO ni_rid(prefix, part, srid) AS "
                "prefix || substr(sha1(part || chr(31) || srid), 1, 15)")
    return con, private


def _literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _drop(con, names: Sequence[str]) -> None:
    """Drop these temporary tables or views (whichever each is), where they exist."""
    views = {v for (v,) in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
    for name in names:
        con.execute(f"DROP {'VIEW' if name in views else 'TABLE'} IF EXISTS temp.{name}")


def _close(con, private: bool, *, done: bool) -> None:
    """End a load: a private connection closes; in the workspace's, a failed load leaves no table behind."""
    if private:
        con.close()
    elif not done:
        _drop(con, _TEMP_TABLES)


def _field(plain: PlainCsv, column: str | None) -> str:
    """SQL for the cleaned value of a header column (``clean()``), NULL when the column is absent."""
    if column is None:
        return "NULL::VARCHAR"
    i = len(plain.header) - 1 - plain.header[::-1].index(column)  # dict(zip()) keeps the last of equal names
    if column in plain.typed:  # a date cell: its ISO form, as the record path writes a date value
        return f"replace(ni_null(ni_strip(f[{i + 1}])), ' ', 'T')"
    return f"ni_null(ni_strip(f[{i + 1}]))"


def _empty_line(delimiter: str) -> str:
    """SQL string literal body: a regular expression for a line of blanks and delimiters only."""
    return f"({_SP}|{re.escape(delimiter)})*".replace("'", "''")


#: The record path's words for a row whose every field is empty (tabular.read_table).
EMPTY_ROW = "empty row: every field is empty (delete the row, or fill it in)"


def _prepare(con, plain: PlainCsv, fields: dict[str, str | None], extra: Sequence[str]) -> None:
    """``_rows``: every non-blank data line with its cleaned canonical fields and a malformed flag."""
    h = len(plain.header)
    cols = ", ".join(f"{_field(plain, c)} AS \"{k}\"" for k, c in fields.items())
    props = ", ".join(f"struct_pack(k := '{c.replace(chr(39), chr(39) * 2)}', v := {_field(plain, c)})" for c in extra)
    delim = plain.delimiter.replace("'", "''")
    # a line of blanks is no record; a line of bare delimiters is one, with every field empty. A line
    # starting with a printable character other than the delimiter is neither: no regex for it
    printable = "ord(left(line, 1)) BETWEEN 33 AND 126"
    empty = (f"CASE WHEN {printable} AND left(line, 1) <> '{delim}' THEN false "
             f"ELSE regexp_full_match(line, '{_empty_line(plain.delimiter)}') END")
    line = "line"
    if plain.quoted:
        # a line with quotes: every field blank once unquoted is an empty row, and the row as the
        # record path keeps it is its fields joined
        empty = (f"CASE WHEN contains(line, '\"') THEN list_bool_and(list_transform(f, lambda x: "
                 f"regexp_full_match(x, '({_SP})*'))) ELSE {empty} END")
        line = f"CASE WHEN contains(line, '\"') THEN array_to_string(f, '{delim}') ELSE line END"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _rows AS
        SELECT n, {plain.locator('n')} AS locator, {line} AS line,
               {empty} AS empty,{" f AS fields," if plain.quoted else ""}
               CASE WHEN len(f) = {h} THEN false WHEN len(f) < {h} THEN true
                    ELSE NOT regexp_full_match(array_to_string(f[{h + 1}:], chr(1)), '({_SP}|\\x01)*') END
                   AS malformed,
               {cols}{f", [{props}] AS _props" if props else ""}
        FROM (SELECT {plain.number} AS n, line, {_split_sql(plain)} AS f FROM _raw
              WHERE {plain.number} > {plain.header_line} AND line IS NOT NULL
                    AND (CASE WHEN {printable} THEN false ELSE regexp_full_match(line, '({_SP})*') END) = false)""")
    con.execute("DROP TABLE _raw")


def _python_values(con, table: str, sql_type: str, values_sql: str, fn: Callable[[str], Any],
                   prefix: Callable[[str], str]) -> None:
    """Parse the values SQL did not with the record path's own function, once per distinct value.

    Creates ``table(v, parsed, err)``; ``err`` is the message the record path would quarantine with.
    """
    values = [r[0] for r in con.execute(values_sql).fetchall()]
    parsed, errors = [], []
    for v in values:
        try:
            parsed.append(fn(v))
            errors.append(None)
        except (RecordError, SchemaError) as exc:
            parsed.append(None)
            errors.append(prefix(str(exc)))
        except (ValueError, TypeError, OverflowError, KeyError) as exc:
            parsed.append(None)
            errors.append(f"cannot be read: {type(exc).__name__}: {exc}")
    column = (pd.to_datetime(pd.Series(parsed, dtype=object)) if sql_type == "TIMESTAMP" else
              pd.Series([float("nan") if v is None else v for v in parsed], dtype=float))
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object), "parsed": column,
                          "err": pd.Series(errors, dtype=object)})
    con.register("_py_values", frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT v::VARCHAR AS v, parsed::{sql_type} AS parsed, "
                    "err::VARCHAR AS err FROM _py_values")
    finally:
        con.unregister("_py_values")


def _time_sql(column: str, fmts: Sequence[str] | None) -> str:
    """SQL parsing the forms DuckDB reads exactly as parse_datetime; NULL for the rest."""
    if fmts:
        first = fmts[0]
        if not _SAFE_FORMAT.match(first):
            return "NULL::TIMESTAMP"
        fmt = first.replace("'", "''")
        return (f"CASE WHEN strftime(try_strptime({column}, '{fmt}'), '{fmt}') = {column} "
                f"THEN try_strptime({column}, '{fmt}') END")
    # a length test first: the regular expression and the parse run only on values of the form's length
    parts = [f"WHEN length({column}) BETWEEN 9 AND 10 AND regexp_full_match({column}, '[0-9]{{9,10}}') "
             f"THEN make_timestamp({column}::BIGINT * 1000000)"]
    for pattern, fmt in _TIME_FORMS:
        width = len(datetime(2000, 1, 1).strftime(fmt))
        parts.append(f"WHEN length({column}) = {width} AND "
                     f"regexp_full_match({column}, '{pattern.replace(chr(92) + 'd', '[0-9]')}') AND "
                     f"strftime(try_strptime({column}, '{fmt}'), '{fmt}') = {column} "
                     f"THEN try_strptime({column}, '{fmt}')")
    return "CASE " + " ".join(parts) + " END"


def _number_sql(column: str, *, signed: bool = True) -> str:
    pattern = _PLAIN_NUMBER if signed else _PLAIN_NUMBER[len("[+-]?"):]
    return f"CASE WHEN regexp_full_match({column}, '{pattern}') THEN {column}::DOUBLE END"


def _parsed(con, name: str, column: str, sql_value: str, fn: Callable[[str], Any],
            prefix: Callable[[str], str] = lambda m: m) -> tuple[str, str]:
    """Add ``{name}`` (the parsed value) and ``{name}_err`` to ``_rows``: SQL first, Python for the rest."""
    sql_type = "TIMESTAMP" if name == "t" else "DOUBLE"
    con.execute(f"ALTER TABLE _rows ADD COLUMN {name} {sql_type}")
    con.execute(f"UPDATE _rows SET {name} = {sql_value} WHERE NOT malformed AND \"{column}\" IS NOT NULL")
    table = f"_{name}_py"
    _python_values(con, table, sql_type, f"SELECT DISTINCT \"{column}\" FROM _rows WHERE NOT malformed AND "
                               f"\"{column}\" IS NOT NULL AND {name} IS NULL ORDER BY 1", fn, prefix)
    con.execute(f"ALTER TABLE _rows ADD COLUMN {name}_err VARCHAR")
    con.execute(f"UPDATE _rows SET {name} = p.parsed, {name}_err = p.err FROM {table} p "
                f"WHERE _rows.\"{column}\" = p.v AND _rows.{name} IS NULL")
    return name, f"{name}_err"


def _quarantine(con, builder: BatchBuilder, plain: PlainCsv, reasons: Callable[[dict[str, Any]], str]) -> None:
    """Quarantine the rows with a failing ``code``; messages worded by ``reasons(row)`` as the record path does."""
    h = len(plain.header)
    frame = con.execute("SELECT * FROM _rows WHERE code IS NOT NULL ORDER BY n").df()
    for row in frame.to_dict("records"):
        if row["code"] == "empty":
            builder.quarantine(row["locator"], EMPTY_ROW, row["line"])
            continue
        split = list(row["fields"]) if plain.quoted else row["line"].split(plain.delimiter)
        if row["code"] == "malformed":
            builder.quarantine(row["locator"], f"malformed row: {len(split)} fields where the header has {h}",
                               row["line"])
            continue
        fields = split[:h] if plain.cells is None else [f or None for f in split[:h]]  # a sheet's empty cell is None
        builder.quarantine(row["locator"], reasons(row), dict(zip(plain.header, fields)))


#: What the bulk tables hand over: the workspace's columns of each table, the rest are helpers.
_OUT = {
    "entities": "entity_id, kind, label, properties, source_id, source_record_id, locator",
    "links": "link_id, kind, source, target, directed, first_seen, last_seen, count, weight, amount, currency, "
             "properties, source_id, source_record_id, locator",
}


def _settle(con, builder: BatchBuilder, plain: PlainCsv, reasons: Callable[[dict[str, Any]], str], *,
            record_sql: str = "NULL::VARCHAR", records_sql: str | None = None, records_view: bool = False) -> None:
    """Quarantine the failing rows, count the rows, keep the accepted rows' raw text in ``_records``,
    and drop ``_rows`` (the largest table, not needed past this point).

    A raw record's id is ``record_sql`` over ``_rows``, or ``records_sql`` selects the accepted rows'
    ``locator, record_id, raw`` in file order from a table the loader has already made; with
    ``records_view`` ``_records`` is a view on it, read when the batch is written (no copy of every
    line), and the loader keeps that table (:func:`_finish`'s ``keep``).
    """
    _quarantine(con, builder, plain, reasons)
    n_read, n_ok = con.execute("SELECT count(*), count(*) FILTER (code IS NULL) FROM _rows").fetchall()[0]
    builder.read(int(n_read))
    builder.batch.n_accepted += int(n_ok)
    if builder.keep_raw:
        con.execute(f"CREATE OR REPLACE TEMP {'VIEW' if records_view else 'TABLE'} _records AS " + (
            records_sql or f"SELECT locator, {record_sql} AS record_id, line AS raw FROM _rows WHERE code IS NULL"))
    con.execute("DROP TABLE _rows")


def _finish(con, builder: BatchBuilder, private: bool, *, events_sql: str | None = None,
            extra: Sequence[str] = (), keep: Sequence[str] = ()) -> None:
    """Hand the rows to the builder: entities, links, events (``events_sql``, when the file has any), raw text.

    ``extra`` are more columns of the entities and links (a row's own provenance, over the constants);
    ``keep`` the tables the views among ``_links`` and ``_records`` read, kept until the batch is written.

    In the workspace's own connection the builder gets queries on the temporary tables (dropped once
    the batch is written); a private connection's rows are read out as Arrow tables first.
    """
    more = "".join(", " + e for e in extra)
    queries = {"entities": f"SELECT {_OUT['entities']}{more} FROM _entities",
               "links": f"SELECT {_OUT['links']}{more} FROM _links", "events": events_sql,
               "raw": "SELECT * FROM _records" if builder.keep_raw else None}
    constants = {"entities": builder.constants(), "links": builder.constants(), "events": builder.constants(),
                 "raw": {}}
    if private:
        rows = {k: None if q is None else Columns(con.sql(q).to_arrow_table(), constants[k])
                for k, q in queries.items()}
    else:
        # the last of the batch's queries to be written drops the tables they all read
        left = {k for k, q in queries.items() if q is not None}

        def release_one(name: str):
            def release() -> None:
                left.discard(name)
                if not left:
                    _drop(con, _TEMP_TABLES)
            return release

        _drop(con, [t for t in _TEMP_TABLES if t not in ("_entities", "_links", "_events", "_records", *keep)])
        known = {"events": builder.batch.n_accepted, "raw": builder.batch.n_accepted}  # no count of a join
        rows = {k: None if q is None else Columns.in_duckdb(con, q, constants[k], release_one(k), known.get(k))
                for k, q in queries.items()}
    builder.add_columns(**rows)


def _params(builder: BatchBuilder, plain: PlainCsv) -> dict[str, str]:
    return {"agency": builder.prov.agency.strip().lower(), "source": builder.batch.source_id.strip().lower(),
            "source_id": builder.batch.source_id, "where": _literal(plain.where)}


def _entity_sql(ends: str, params: dict[str, str]) -> str:
    """``_entities`` from ``ends(kind, value, prop, n, pos)``: one row per (kind, value), first seen.

    Its id is hashed once per distinct value (a warrant's numbers repeat on most lines); ``first``
    (2 x line + side of the first mention) is unique per entity, the integer key rows join on.
    """
    return f"""
        CREATE OR REPLACE TEMP TABLE _entities AS
        SELECT ni_rid('E', '{params['agency']}', kind || ':' || value) AS entity_id, kind, value AS label,
               to_json(map_from_entries([struct_pack(k := prop, v := value)])) AS properties,
               '{params['source_id']}' AS source_id, value AS source_record_id, {params['where']} || (first // 2) AS locator,
               first
        FROM (SELECT kind, value, min(n * 2 + pos) AS first, arg_min(prop, n * 2 + pos) AS prop
              FROM ({ends}) GROUP BY kind, value)
        ORDER BY first"""


# ---------------------------------------------------------------------------------------------
# Events: call records and transactions
# ---------------------------------------------------------------------------------------------
def load_events_columnar(plain: PlainCsv, builder: BatchBuilder, *, kind: str, cols: dict[str, str],
                         extra: Sequence[str], fmts: str | Sequence[str] | None, mapping: Any = None,
                         cols_record: dict[str, str] | None = None) -> None:
    """The columnar twin of :func:`netintel.ingest.events.load_events`'s row handler.

    With per-row provenance (``mapping.record``, its columns in ``cols_record``) each event carries
    its row's markings, an entity its first mention's, and a link is one per marking (as the
    builder aggregates events), with its first event's provenance.
    """
    from .events import _account_props, parse_duration
    from .tabular import _named, parse_number
    from ._common import parse_datetime

    canon = ("caller", "callee", "start", "duration", "cell") if kind == "call" else \
        ("from_account", "to_account", "time", "amount", "currency")
    fields = {c: cols.get(c) for c in canon + ("id",)}
    row_prov = dict(cols_record or {})
    fields.update({f"rec{i}": actual for i, actual in enumerate(dict.fromkeys(row_prov.values()))})
    time_field = "start" if kind == "call" else "time"
    formats = plain.formats(cols.get(time_field), fmts)
    a_f, b_f = canon[0], canon[1]
    p = _params(builder, plain)
    con, private = _connect(builder)
    done = False
    try:
        plain.lines(con)
        _prepare(con, plain, fields, extra)
        pv = ""
        if row_prov:
            alias = {actual: f"rec{i}" for i, actual in enumerate(dict.fromkeys(row_prov.values()))}
            join, select = _row_provenance(con, builder, mapping, {a: f"r.{alias[a]}" for a in alias}, row_prov,
                                           "_prov", "NOT empty AND NOT malformed")
            con.execute(f"CREATE OR REPLACE TEMP TABLE _rows AS SELECT r.*, {', '.join(select)} FROM _rows r {join} "
                        "ORDER BY r.n")
            con.execute("DROP TABLE _prov")
            pv = ", " + ", ".join(f"r.pv_{c}" for c in _ROW_PROV)
        _parsed(con, "t", time_field, _time_sql(f'"{time_field}"', formats),
                lambda v: parse_datetime(v, formats), lambda m: f"{_named(time_field, cols)}: {m}")
        if kind == "call":
            dur_sql = ("CASE WHEN contains(duration, ':') AND "
                       f"regexp_full_match(duration, '(?:([0-9]+):)?([0-9]{{1,2}}):([0-9]{{2}})') THEN "
                       "coalesce(nullif(regexp_extract(duration, '^(?:([0-9]+):)?([0-9]{1,2}):([0-9]{2})$', 1), '')"
                       "::DOUBLE, 0) * 3600 + regexp_extract(duration, '^(?:([0-9]+):)?([0-9]{1,2}):([0-9]{2})$', 2)"
                       "::DOUBLE * 60 + regexp_extract(duration, '^(?:([0-9]+):)?([0-9]{1,2}):([0-9]{2})$', 3)::DOUBLE "
                       f"ELSE {_number_sql('duration', signed=False)} END")
            _parsed(con, "x", "duration", dur_sql, parse_duration)
            value_check = "WHEN x_err IS NOT NULL THEN 'x'"
        else:
            _parsed(con, "x", "amount", _number_sql("amount"), lambda v: parse_number(v, "amount"))
            _currency_codes(con)
            value_check = ("WHEN x_err IS NOT NULL THEN 'x' WHEN currency IS NOT NULL AND NOT "
                           "regexp_full_match(cur, '[A-Z0-9]{3,5}') THEN 'currency'")
        # the record path's order: time, duplicate id, parties, value; a duplicate is of an accepted row
        _dedupe(con, early=f"""CASE WHEN empty THEN 'empty' WHEN malformed THEN 'malformed'
                                    {"WHEN prov_err IS NOT NULL THEN 'prov'" if row_prov else ""}
                                    WHEN "{time_field}" IS NULL THEN 'time_missing' WHEN t_err IS NOT NULL THEN 't' END""",
                late=f"""CASE WHEN "{a_f}" IS NULL THEN 'a_missing' WHEN "{b_f}" IS NULL THEN 'b_missing'
                              {value_check} END""", late_is_local=True, where=p["where"])
        ends = _account_ends(con, _account_props) if kind == "transfer" else \
            "SELECT 'phone' AS kind, value, 'number' AS prop, n, pos FROM (" \
            f"SELECT \"{a_f}\" AS value, n, 0 AS pos FROM _rows WHERE code IS NULL UNION ALL " \
            f"SELECT \"{b_f}\", n, 1 FROM _rows WHERE code IS NULL)"
        con.execute(_entity_sql(ends, p))
        if row_prov:  # an entity's provenance is its first mention's
            for c in _ROW_PROV:
                con.execute(f"ALTER TABLE _entities ADD COLUMN pv_{c} {_PROV_TYPES.get(c, 'VARCHAR')}")
            con.execute(f"UPDATE _entities SET {', '.join(f'pv_{c} = r.pv_{c}' for c in _ROW_PROV)} FROM _rows r "
                        "WHERE r.n = _entities.first // 2")
        a_kind = "r.ka" if kind == "transfer" else "'phone'"
        b_kind = "r.kb" if kind == "transfer" else "'phone'"
        record = "[struct_pack(k := 'record_id', v := id)]"
        props = (f"list_concat(_props, {record})" if extra else record) if fields["id"] else "_props"
        properties = ("'{}'" if not extra and not fields["id"] else
                      f"to_json(map_from_entries(list_filter({props}, lambda e: e.v IS NOT NULL)))")

        def reason(row: dict[str, Any]) -> str:
            code = row["code"]
            if code == "prov":
                return row["prov_err"]
            if code == "time_missing":
                return f"{_named(time_field, cols)} is missing"
            if code == "t":
                return row["t_err"]
            if code == "dup":
                return _duplicate_id(row, cols)
            if code == "a_missing":
                return f"{_named(a_f, cols)} is missing"
            if code == "b_missing":
                return f"{_named(b_f, cols)} is missing"
            if code == "x":
                return row["x_err"]
            return f"currency {row['cur']!r} is not a currency code (EUR, USD, BTC, ...)"

        # the parties' ids by a join on the entities (hashed once per number, not once per line); the
        # link id hashed per row: a join of the events on their links cost more, and its memory
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _events AS
            SELECT r.n, r.locator, a.entity_id AS source, b.entity_id AS target,
                   ni_rid('L', '{p['agency']}', '{kind}:' || a.entity_id || '->' || b.entity_id) AS link_id,
                   r.t AS "time", {'r.x' if kind == 'call' else 'NULL::DOUBLE'} AS duration,
                   {'r.x' if kind == 'transfer' else 'NULL::DOUBLE'} AS amount,
                   {'r.cur' if kind == 'transfer' else 'NULL::VARCHAR'} AS currency,
                   {'r.cell' if kind == 'call' else 'NULL::VARCHAR'} AS place, {properties} AS properties{pv}
            FROM _rows r JOIN _entities a ON a.kind = {a_kind} AND a.label = r."{a_f}"
                         JOIN _entities b ON b.kind = {b_kind} AND b.label = r."{b_f}"
            WHERE r.code IS NULL""")
        _settle(con, builder, plain, reason, record_sql="id" if fields["id"] else "NULL::VARCHAR")
        directed = builder.model.link(kind).directed
        # Python adds floats in file order; an order-free sum is the same only when every value is whole
        whole = con.execute("SELECT coalesce(bool_and(duration = trunc(duration) AND abs(duration) < 1e12), true) "
                            "FROM _events").fetchall()[0][0]
        in_order = "" if whole else " ORDER BY n"
        srid = f"'{kind}:' || source || '->' || target"
        # events under another marking make another row of the link (one per marking, as the builder
        # aggregates them), with the provenance of its first event
        marking = ", pv_handling, array_to_string(pv_releasable_to, chr(31)), pv_grading" if row_prov else ""
        first_prov = "".join(f" arg_min_null(pv_{c}, n) AS first_{c}," for c in _ROW_PROV) if row_prov else ""
        # calls have no amounts: no ordered sum, no list of currencies to aggregate
        money = ("NULL::DOUBLE AS amount, NULL::VARCHAR" if kind == "call" else
                 "CASE WHEN count(amount) > 0 THEN sum(coalesce(amount, 0) ORDER BY n) END AS amount, "
                 "nullif(array_to_string(list_sort(list_distinct(list(currency) FILTER (currency <> ''))), ','), '')")
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _links AS
            SELECT link_id, '{kind}' AS kind, source, target,
                   {directed} AS directed, first_seen, last_seen, count, count::DOUBLE AS weight, amount, currency,
                   CASE WHEN total_duration <> 0 THEN to_json({{'total_duration': total_duration}}) ELSE '{{}}' END
                       AS properties, '{p['source_id']}' AS source_id, {srid} AS source_record_id,
                   count || ' events' AS locator{"".join(f", first_{c} AS pv_{c}" for c in _ROW_PROV) if row_prov else ""}
            FROM (SELECT source, target, any_value(link_id) AS link_id, min("time") AS first_seen,{first_prov}
                         max("time") AS last_seen, count(*) AS count,
                         {money} AS currency,
                         sum(coalesce(duration, 0){in_order}) AS total_duration
                  FROM _events GROUP BY source, target{marking})""")
        events_sql = f"""
            SELECT ni_rid('V', '{p['source']}', locator) AS event_id, '{kind}' AS kind, source, target, link_id,
                   "time", duration, amount, currency, place, properties, '{p['source_id']}' AS source_id,
                   locator AS source_record_id, locator{"".join(f", pv_{c} AS {c}" for c in _ROW_PROV) if row_prov else ""}
            FROM _events"""
        _finish(con, builder, private, events_sql=events_sql,
                extra=[f"pv_{c} AS {c}" for c in _ROW_PROV] if row_prov else ())
        done = True
    finally:
        _close(con, private, done=done)


def _duplicate_id(row: dict[str, Any], cols: dict[str, str]) -> str:
    return f"duplicate id {row['id']!r} in column {cols['id']} (first at {row['first_at']})"


def _dedupe(con, *, early: str, late: str, late_is_local: bool, where: str) -> None:
    """``code`` per row: the first failing check, where a row repeating the id of an earlier accepted
    row fails with ``dup`` after the ``early`` checks and before the ``late`` ones (``late_is_local``),
    or after them all. Columns are added in place: ``_rows`` keeps its file order."""
    con.execute("ALTER TABLE _rows ADD COLUMN code VARCHAR")
    if not con.execute("SELECT count(id) FROM _rows").fetchall()[0][0]:
        con.execute(f"UPDATE _rows SET code = coalesce({early}, {late})")
        return
    for column in ("early VARCHAR", "late VARCHAR", "first_n BIGINT", "first_at VARCHAR"):
        con.execute(f"ALTER TABLE _rows ADD COLUMN {column}")
    con.execute(f"UPDATE _rows SET early = {early}, late = {late}")
    con.execute("CREATE OR REPLACE TEMP TABLE _first AS SELECT id, min(n) AS first_n FROM _rows "
                "WHERE early IS NULL AND late IS NULL AND id IS NOT NULL GROUP BY id")
    con.execute(f"UPDATE _rows SET first_n = f.first_n, first_at = {where} || f.first_n FROM _first f "
                "WHERE _rows.id = f.id")
    con.execute("DROP TABLE _first")
    dup = "early IS NULL AND first_n IS NOT NULL AND n > first_n"
    order = (f"coalesce(early, CASE WHEN {dup} THEN 'dup' END, late)" if late_is_local else
             f"coalesce(early, late, CASE WHEN {dup} THEN 'dup' END)")
    con.execute(f"UPDATE _rows SET code = {order}")


def _currency_codes(con) -> None:
    """``cur``: the currency upper-cased; Python's upper() for non-ASCII values, as on the record path."""
    con.execute("ALTER TABLE _rows ADD COLUMN cur VARCHAR")
    con.execute("UPDATE _rows SET cur = upper(currency) WHERE regexp_full_match(currency, '[ -~]*')")
    odd = [v for (v,) in con.execute("SELECT DISTINCT currency FROM _rows WHERE currency IS NOT NULL "
                                     "AND cur IS NULL").fetchall()]
    if odd:
        con.register("_odd", pd.DataFrame({"v": odd, "u": [str(v).strip().upper() for v in odd]}))
        con.execute("UPDATE _rows SET cur = o.u FROM _odd o WHERE currency = o.v")
        con.unregister("_odd")


def _account_ends(con, account_props: Callable[[str], tuple[str, str]]) -> str:
    """Entity kinds and properties of account values (``account_kind``): SQL for ASCII, Python otherwise."""
    from .events import _IBAN, _WALLET

    wallet = _WALLET.pattern
    iban = _IBAN.pattern.replace(r"\d", "[0-9]")
    for side, col in (("a", "from_account"), ("b", "to_account")):
        con.execute(f"ALTER TABLE _rows ADD COLUMN k{side} VARCHAR")
        con.execute(f"ALTER TABLE _rows ADD COLUMN p{side} VARCHAR")
        con.execute(f"""UPDATE _rows SET k{side} = CASE WHEN regexp_matches({col}, ?) THEN 'crypto_wallet'
                                                   ELSE 'bank_account' END,
                                     p{side} = CASE WHEN regexp_matches({col}, ?) THEN 'address'
                                                    WHEN regexp_matches(upper(replace({col}, ' ', '')), ?) THEN 'iban'
                                                    ELSE 'account_number' END
                        WHERE code IS NULL AND regexp_full_match({col}, '[ -~]*')""", [wallet, wallet, iban])
        odd = [v for (v,) in con.execute(f"SELECT DISTINCT {col} FROM _rows WHERE code IS NULL AND k{side} IS NULL"
                                         ).fetchall()]
        if odd:
            kinds = [account_props(v) for v in odd]
            frame = pd.DataFrame({"v": odd, "k": [k for k, _ in kinds], "p": [q for _, q in kinds]})
            con.register("_odd", frame)
            con.execute(f"UPDATE _rows SET k{side} = o.k, p{side} = o.p FROM _odd o WHERE {col} = o.v "
                        f"AND k{side} IS NULL")
            con.unregister("_odd")
    return ("SELECT ka AS kind, from_account AS value, pa AS prop, n, 0 AS pos FROM _rows WHERE code IS NULL "
            "UNION ALL SELECT kb, to_account, pb, n, 1 FROM _rows WHERE code IS NULL")


# ---------------------------------------------------------------------------------------------
# Edge lists
# ---------------------------------------------------------------------------------------------
#: Up to this many distinct link kinds in an edge list are mapped by a CASE, more by a join.
_CASE_KINDS = 256


def _tie_weight(con, key: str) -> str:
    """SQL aggregate over a link's ties in ``_ties`` (grouped by ``key``): its weight as ``builder.link``
    merges them.

    A tie without a weight resets the weight to the count so far, so a link's weight is the count up
    to its last weightless tie plus the weights after it. Most files have weights on every tie
    (their sum) or on none (the count): those need no numbering of the ties. The sum is in file order,
    as Python adds, unless every weight is whole and their sum exact in a double (then any order
    gives the same float).
    """
    nulls, total, whole = con.execute(
        "SELECT count(*) FILTER (w IS NULL), count(*), "
        "coalesce(bool_and(w = trunc(w)), true) AND coalesce(sum(abs(w)), 0) < 9007199254740992 FROM _ties").fetchall()[0]
    if nulls == total:
        return "count(*)::DOUBLE"
    in_order = "" if whole else " ORDER BY n"
    if nulls == 0:
        return f"sum(w{in_order})"
    # mixed: number the ties of each link (last weightless one = the reset point)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _ties AS
        SELECT t.*, coalesce(max(CASE WHEN w IS NULL THEN pos END) OVER (PARTITION BY {key}), 0) AS reset
        FROM (SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY n) AS pos FROM _ties) t""")
    return f"sum(CASE WHEN pos = reset THEN pos::DOUBLE WHEN pos > reset THEN w END{in_order})"


def load_edgelist_columnar(plain: PlainCsv, builder: BatchBuilder, *, cols: dict[str, str], mapping: Any,
                           node_kind: str, link_kind: str, prop: str) -> None:
    """The columnar twin of :func:`netintel.ingest.edgelist.load_edgelist`'s row handler."""
    from .tabular import _named, parse_number

    model = builder.model
    fields = {c: cols.get(c) for c in ("source", "target", "weight", "kind", "id")}
    p = _params(builder, plain)
    con, private = _connect(builder)
    done = False
    try:
        plain.lines(con)
        _prepare(con, plain, fields, ())
        _parsed(con, "w", "weight", _number_sql("weight"), lambda v: parse_number(v, "weight"))
        kinds = [v for (v,) in con.execute("SELECT DISTINCT kind FROM _rows WHERE kind IS NOT NULL").fetchall()]
        mapped = []
        for raw in kinds:
            m = mapping.kinds.get(str(raw), mapping.kinds.get(str(raw).lower(), raw))
            try:
                mapped.append(model.check_link_kind(m))
            except Exception:
                mapped.append(None)
        directed_kinds = [k for k in model.links if model.link(k).directed]
        forced = mapping.directed
        if len(kinds) <= _CASE_KINDS:  # the usual case: a few kinds, mapped by a CASE (no join, rows stay in file order)
            lk = "CASE kind " + " ".join(f"WHEN {_literal(raw)} THEN {_literal(m)}" for raw, m in zip(kinds, mapped)
                                         if m is not None) + " END" if any(m is not None for m in mapped) else "NULL"
            source = "_rows r"  # a scan keeps the file order
        else:
            con.register("_kinds", pd.DataFrame({"raw": pd.Series(kinds, dtype=object),
                                                 "lk": pd.Series(mapped, dtype=object)}))
            con.execute("CREATE OR REPLACE TEMP TABLE _k AS SELECT raw::VARCHAR AS raw, lk::VARCHAR AS lk FROM _kinds")
            con.unregister("_kinds")
            lk, source = "k.lk", "_rows r LEFT JOIN _k k ON r.kind = k.raw ORDER BY r.n"
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _rows AS
            SELECT r.*, coalesce({lk}, CASE WHEN r.kind IS NULL THEN '{link_kind}' END) AS lk,
                   CASE WHEN empty THEN 'empty' WHEN malformed THEN 'malformed' WHEN source IS NULL THEN 'a_missing'
                        WHEN target IS NULL THEN 'b_missing' WHEN source = target THEN 'loop'
                        WHEN w_err IS NOT NULL THEN 'w' WHEN w IS NOT NULL AND w <= 0 THEN 'w_positive'
                        WHEN r.kind IS NOT NULL AND {lk} IS NULL THEN 'kind' END AS checks
            FROM {source}""")
        _dedupe(con, early="NULL::VARCHAR", late="checks", late_is_local=False, where=p["where"])
        ends = (f"SELECT '{node_kind}' AS kind, value, '{prop}' AS prop, n, pos FROM ("
                "SELECT source AS value, n, 0 AS pos FROM _rows WHERE code IS NULL UNION ALL "
                "SELECT target, n, 1 FROM _rows WHERE code IS NULL)")
        con.execute(_entity_sql(ends, p))
        # the ends' ids by a join on the entities: hashed once per node, not twice per line
        directed = ("lk IN (" + ", ".join(f"'{k}'" for k in directed_kinds) + ")" if forced is None and directed_kinds
                    else "false" if forced is None else ("true" if forced else "false"))
        pair = (f"CASE WHEN {{d}} THEN lk || ':' || {{a}} || '->' || {{b}} "
                f"ELSE lk || ':' || least({{a}}, {{b}}) || '->' || greatest({{a}}, {{b}}) END")
        srid = f"CASE WHEN id IS NOT NULL THEN id ELSE {pair.format(d=directed, a='sa', b='sb')} END"
        # A link is its source record id. Without ids in the file that is its kind and its ends (in
        # order, or as a pair when undirected): the ties are grouped by the ends' integer codes, the
        # aggregate holds integers only, and the text of a link comes from its first tie.
        keyed = not con.execute("SELECT count(id) FROM _rows WHERE code IS NULL").fetchall()[0][0]
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _ties AS
            SELECT n, locator, lk, sa, sb, {'NULL::VARCHAR' if keyed else srid} AS srid,
                   CASE WHEN {directed} THEN ca ELSE least(ca, cb) END AS k1,
                   CASE WHEN {directed} THEN cb ELSE greatest(ca, cb) END AS k2, w, line
            FROM (SELECT r.n, r.locator, r.lk, a.entity_id AS sa, b.entity_id AS sb, a.first AS ca, b.first AS cb,
                         r.id, r.w, r.line
                  FROM _rows r JOIN _entities a ON a.label = r.source JOIN _entities b ON b.label = r.target
                  WHERE r.code IS NULL)
            ORDER BY n""")
        key = "lk, k1, k2" if keyed else "srid"
        link_srid = pair.format(d=directed, a="t.sa", b="t.sb").replace("lk ||", "t.lk ||") if keyed else "t.srid"
        link_directed = "CASE t.lk " + " ".join(f"WHEN '{k}' THEN {model.link(k).directed}" for k in model.links) + " END"
        # most edge lists name each tie once: then every tie is its link (its weight, or 1), no aggregate
        once = con.execute(f"SELECT (SELECT count(*) FROM (SELECT DISTINCT {key} FROM _ties)) = count(*) "
                           "FROM _ties").fetchall()[0][0]
        ties = ("(SELECT *, n AS first, 1::BIGINT AS count, coalesce(w, 1.0) AS weight FROM _ties)" if once else
                f"""(SELECT t.*, g.first, g.count, g.weight
                     FROM (SELECT min(n) AS first, count(*) AS count, {_tie_weight(con, key)} AS weight
                           FROM _ties GROUP BY {key}) g
                     JOIN _ties t ON t.n = g.first)""")
        # _ties is in file order and each tie its own link is a scan of it: no sort (a scan keeps the
        # order, a join or an aggregate does not)
        con.execute(f"""
            CREATE OR REPLACE TEMP VIEW _links AS
            SELECT ni_rid('L', '{p['agency']}', {link_srid}) AS link_id, t.lk AS kind, t.sa AS source,
                   t.sb AS target, {link_directed} AS directed, NULL::TIMESTAMP AS first_seen,
                   NULL::TIMESTAMP AS last_seen, t.count, t.weight, NULL::DOUBLE AS amount, NULL::VARCHAR AS currency,
                   '{{}}' AS properties, '{p['source_id']}' AS source_id, {link_srid} AS source_record_id, t.locator
            FROM {ties} t{"" if once else " ORDER BY t.first"}""")
        records = (f"SELECT locator, {pair.format(d=directed, a='sa', b='sb')} AS record_id, line AS raw FROM _ties"
                   if keyed else "SELECT locator, srid AS record_id, line AS raw FROM _ties")

        def reason(row: dict[str, Any]) -> str:
            code = row["code"]
            if code in ("a_missing", "b_missing"):
                return f"{_named('source' if code == 'a_missing' else 'target', cols)} is missing"
            if code == "loop":
                return f"self-loop: source and target are both {row['source']!r}"
            if code == "w":
                return row["w_err"]
            if code == "w_positive":
                return f"weight {row['weight']!r} is not a positive tie strength (0 or empty means no tie)"
            if code == "kind":
                return (f"unknown link kind {row['kind']!r} in column {cols['kind']}; map it in kinds: or "
                        "add the kind to the model")
            return _duplicate_id(row, cols)

        # the links and the raw lines are views on _ties, computed once, as they are written
        _settle(con, builder, plain, reason, records_sql=records, records_view=True)
        _finish(con, builder, private, keep=("_ties",))
        done = True
    finally:
        _close(con, private, done=done)

