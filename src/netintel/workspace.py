"""The analyst's workspace: one embedded DuckDB file that holds a whole case.

Tables
------
sources      one row per imported file: agency, country, format, file hash, counts
entities     entity records as the partners reported them, with provenance and grading
links        link records (aggregated from events where the link kind is made of events)
events       dated events (calls, transfers, sightings) kept for timelines
raw_records  the raw text of every accepted record, by source and locator
quarantine   every record that could not be accepted, with the reason
audit        who did what and when: imports, purges, resolution decisions

Record ids are stable: derived from (agency, source record id), so re-importing the same file
is idempotent and an id one agency uses in two files (a person in its persons table and in its
links table) is one entity, with one provenance row per file that reported it. ``source_id`` names
the import (agency and file name): re-importing a file replaces exactly the rows it wrote. An import is written in one transaction: a crash in the middle of one leaves the
workspace as it was before it.

Examples
--------
>>> ws = Workspace()            # in memory, for tests and quick looks
>>> ws.counts()["entities"]
0
>>> ws.close()
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from collections.abc import Sequence as SequenceABC
from typing import Any, Iterable, Iterator, Sequence

import duckdb
import pandas as pd

from .errors import WorkspaceError
from .handling import expand_releasable, handling_rank
from .retention import review_date

__all__ = ["Workspace", "ImportBatch", "Columns", "record_id", "source_key"]

SCHEMA_VERSION = 1

_PROV = """
    source_id VARCHAR NOT NULL,
    agency VARCHAR,
    country VARCHAR,
    source_record_id VARCHAR,
    locator VARCHAR,
    reported DATE,
    grading VARCHAR,
    grading_scheme VARCHAR,
    grading_original VARCHAR,
    handling VARCHAR,
    releasable_to VARCHAR[],
    retain_until DATE
"""

DDL = [
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS sources (
        source_id VARCHAR PRIMARY KEY, agency VARCHAR, country VARCHAR, format VARCHAR,
        path VARCHAR, file_name VARCHAR, sha256 VARCHAR, imported_at TIMESTAMP, imported_by VARCHAR,
        n_read BIGINT, n_accepted BIGINT, n_quarantined BIGINT, n_entities BIGINT, n_links BIGINT,
        n_events BIGINT, options JSON)""",
    f"""CREATE TABLE IF NOT EXISTS entities (
        entity_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, label VARCHAR, properties JSON, {_PROV})""",
    f"""CREATE TABLE IF NOT EXISTS links (
        link_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, source VARCHAR NOT NULL, target VARCHAR NOT NULL,
        directed BOOLEAN, first_seen TIMESTAMP, last_seen TIMESTAMP, count BIGINT, weight DOUBLE,
        amount DOUBLE, currency VARCHAR, properties JSON, {_PROV})""",
    f"""CREATE TABLE IF NOT EXISTS events (
        event_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, source VARCHAR NOT NULL, target VARCHAR,
        link_id VARCHAR, time TIMESTAMP, duration DOUBLE, amount DOUBLE, currency VARCHAR,
        place VARCHAR, properties JSON, {_PROV})""",
    """CREATE TABLE IF NOT EXISTS raw_records (
        source_id VARCHAR, locator VARCHAR, record_id VARCHAR, raw VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS quarantine (
        source_id VARCHAR, file VARCHAR, agency VARCHAR, locator VARCHAR, reason VARCHAR, raw VARCHAR,
        quarantined_at TIMESTAMP)""",
    """CREATE SEQUENCE IF NOT EXISTS audit_seq""",
    """CREATE TABLE IF NOT EXISTS audit (
        audit_id BIGINT DEFAULT nextval('audit_seq'), "at" TIMESTAMP, actor VARCHAR, action VARCHAR,
        source_id VARCHAR, file VARCHAR, sha256 VARCHAR, details JSON)""",
]

ENTITY_COLUMNS = ["entity_id", "kind", "label", "properties"]
LINK_COLUMNS = ["link_id", "kind", "source", "target", "directed", "first_seen", "last_seen", "count",
                "weight", "amount", "currency", "properties"]
EVENT_COLUMNS = ["event_id", "kind", "source", "target", "link_id", "time", "duration", "amount",
                 "currency", "place", "properties"]
PROV_COLUMNS = ["source_id", "agency", "country", "source_record_id", "locator", "reported", "grading",
                "grading_scheme", "grading_original", "handling", "releasable_to", "retain_until"]


def _sha1(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def source_key(agency: str, file_name: str) -> str:
    """Stable id of an import source: the agency and the file's name (not its path)."""
    return "S" + _sha1(agency.strip().lower(), Path(file_name).name)[:11]


def record_id(prefix: str, agency: str, source_record_id: str) -> str:
    """Stable id of a record: derived from the agency that reported it and its id there.

    >>> record_id("E", "Politie NL", "P-17") == record_id("E", "politie nl ", "P-17")
    True
    """
    return prefix + _sha1(agency.strip().lower(), str(source_record_id))[:15]


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Columns(SequenceABC):
    """Rows of one table held column-wise: an Arrow table, plus values every row shares.

    Bulk loaders hand these to the workspace, which inserts them in one statement (no Python per
    row). Provenance that is the same for a whole file (agency, grading, handling, ...) is kept
    once in ``constants``. Indexing gives a row as a dict, as a record loader's rows are, with
    ``properties`` decoded.

    A bulk loader that ran in the workspace's own DuckDB connection hands over a query on its
    temporary tables instead (:meth:`in_duckdb`): the workspace then inserts with ``INSERT INTO
    ... SELECT``, and no row crosses into Python.

    >>> import pyarrow as pa
    >>> rows = Columns(pa.table({"entity_id": ["E1", "E2"], "properties": ['{"a": 1}', "{}"]}), {"agency": "X"})
    >>> len(rows), rows[0]
    (2, {'agency': 'X', 'entity_id': 'E1', 'properties': {'a': 1}})
    """

    def __init__(self, table: Any, constants: dict[str, Any] | None = None):
        self._table = table
        self.constants = dict(constants or {})
        self.con: Any = None  # the DuckDB connection of a query's temporary tables
        self.query: str | None = None
        self._n = 0 if table is None else int(table.num_rows)
        self._release: Any = None

    @classmethod
    def in_duckdb(cls, con: Any, query: str, constants: dict[str, Any] | None = None,
                  release: Any = None, n: int | None = None) -> "Columns":
        """The ``n`` rows ``query`` selects in ``con`` (counted when not given); ``release()`` drops
        the tables it reads once they are written."""
        rows = cls(None, constants)
        rows.con, rows.query, rows._release = con, query, release
        rows._n = int(con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]) if n is None else int(n)
        return rows

    def with_constants(self, constants: dict[str, Any]) -> "Columns":
        """The same rows with other shared values."""
        rows = Columns(self._table, constants)
        rows.con, rows.query, rows._n, rows._release = self.con, self.query, self._n, self._release
        return rows

    @property
    def table(self) -> Any:
        """The rows as an Arrow table (read out of DuckDB, once, for rows held there)."""
        if self._table is None and self.query is not None:
            self._table = self.con.sql(self.query).to_arrow_table()
        return self._table

    @property
    def column_names(self) -> list[str]:
        return list(self.con.sql(self.query).columns) if self._table is None else list(self._table.column_names)

    def release(self) -> None:
        """Drop the temporary tables behind a query (nothing to do for an Arrow table)."""
        release, self._release = self._release, None
        if release is not None:
            release()

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        row = {**self.constants, **self.table.slice(i, 1).to_pylist()[0]}
        if isinstance(row.get("properties"), str):
            row["properties"] = json.loads(row["properties"])
        return row

    def __repr__(self) -> str:
        return f"<Columns {len(self)} rows: {', '.join(self.column_names)}>"


@dataclass
class ImportBatch:
    """Everything one import will write, built by a loader and written in one transaction.

    Rows are plain dicts, or :class:`Columns` from a bulk loader. Entity rows hold
    ``ENTITY_COLUMNS`` plus provenance; link and event rows likewise. ``properties`` may be a dict
    (it is stored as JSON).
    """

    source_id: str
    agency: str
    country: str
    format: str
    path: str
    sha256: str
    options: dict[str, Any] = field(default_factory=dict)
    n_read: int = 0
    entities: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    raw: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    n_accepted: int = 0

    @property
    def n_quarantined(self) -> int:
        return len(self.quarantine)


#: Share of the machine's memory a workspace's DuckDB may hold; past it, joins, sorts and
#: aggregations spill to disk (a warrant's call records can be larger than the memory).
MEMORY_SHARE = 0.5


def configure_memory(con: "duckdb.DuckDBPyConnection", path: Path | None) -> str:
    """Bound DuckDB's memory and give it a place to spill; returns the limit set.

    The limit is :data:`MEMORY_SHARE` of this machine's memory, or ``NETINTEL_MEMORY_LIMIT``
    (DuckDB's form: ``2GB``, ``800MB``). Spill files go beside the workspace file
    (``<file>.tmp``), or to the system's temporary folder for an in-memory workspace.
    """
    limit = os.environ.get("NETINTEL_MEMORY_LIMIT")
    if not limit:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        limit = f"{max(256, int(total * MEMORY_SHARE / 2**20))}MiB"
    spill = Path(f"{path}.tmp") if path else Path(tempfile.gettempdir()) / f"netintel-spill-{os.getpid()}"
    try:
        con.execute(f"SET memory_limit = '{limit}'")
        con.execute(f"SET temp_directory = '{spill.as_posix()}'")
    except duckdb.Error as exc:
        raise WorkspaceError(f"NETINTEL_MEMORY_LIMIT={limit!r} is not a memory size DuckDB takes "
                             "(write it like 2GB or 800MB)") from exc
    return limit


#: What an import may hold in DuckDB's memory (``NETINTEL_IMPORT_MEMORY`` overrides it): a bulk
#: load's temporary tables past it spill beside the workspace, so a 5M-row warrant is imported in
#: under 3 GB of resident memory whatever share of the machine the workspace may use otherwise.
IMPORT_MEMORY = "2GB"

_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "KIB": 2**10, "MIB": 2**20,
          "GIB": 2**30, "TIB": 2**40}


def _memory_bytes(size: str) -> int | None:
    """Bytes of a DuckDB memory size (``2GB``, ``800MB``, ``11.7 GiB``); None for another form.

    >>> _memory_bytes("2GB"), _memory_bytes("1.5 GiB")
    (2000000000, 1610612736)
    """
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", size or "")
    if not m or m.group(2).upper() not in _UNITS:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


class Workspace:
    """A case workspace in a DuckDB file (or in memory when ``path`` is None).

    Parameters
    ----------
    path : str or Path, optional
        The workspace file; created when missing. None for an in-memory workspace.
    read_only : bool
        Open an existing file without the right to change it.
    actor : str, optional
        Who is working, for the audit log; defaults to the login name.
    """

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False, actor: str | None = None):
        self.path = Path(path) if path else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path) if self.path else ":memory:", read_only=read_only)
        except duckdb.Error as exc:  # pragma: no cover - depends on the file
            raise WorkspaceError(
                f"{self.path}: cannot open as a netintel workspace ({exc}); "
                "is another program using it, or is it not a DuckDB file?"
            ) from exc
        self.memory_limit = configure_memory(self.con, self.path)
        self.actor = actor or _login()
        if not read_only:
            for ddl in DDL:
                self.con.execute(ddl)
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )

    # -- context and basics -------------------------------------------------------------------
    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.con.close()
        except duckdb.Error:  # pragma: no cover
            pass

    def __repr__(self) -> str:
        c = self.counts()
        where = str(self.path) if self.path else "in memory"
        return (f"<Workspace {where}: {c['sources']} sources, {c['entities']} entities, "
                f"{c['links']} links, {c['events']} events, {c['quarantine']} quarantined>")

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a query and return a DataFrame."""
        return self.con.execute(query, params or []).df()

    def execute(self, query: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(query, params or [])

    def counts(self) -> dict[str, int]:
        out = {}
        for table in ("sources", "entities", "links", "events", "quarantine", "audit"):
            out[table] = int(self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        return out

    def has_table(self, name: str) -> bool:
        q = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
        return bool(self.con.execute(q, [name]).fetchone()[0])

    # -- reading ------------------------------------------------------------------------------
    def sources(self) -> pd.DataFrame:
        return self.sql("SELECT * FROM sources ORDER BY imported_at, source_id")

    def entities(self, kinds: Iterable[str] | None = None, *, active_only: bool = True) -> pd.DataFrame:
        """Entity records; ``properties`` decoded to dicts."""
        return self._read("entities", kinds, active_only)

    def links(self, kinds: Iterable[str] | None = None, *, active_only: bool = True) -> pd.DataFrame:
        return self._read("links", kinds, active_only)

    def events(self, kinds: Iterable[str] | None = None, *, active_only: bool = True) -> pd.DataFrame:
        return self._read("events", kinds, active_only)

    def quarantine(self) -> pd.DataFrame:
        return self.sql("SELECT * FROM quarantine ORDER BY source_id, quarantined_at")

    def audit_log(self) -> pd.DataFrame:
        return self.sql("SELECT * FROM audit ORDER BY audit_id")

    def resolved_ids(self) -> pd.DataFrame:
        """entity_id -> resolved_id for every entity record.

        Without a resolution run (no ``resolution`` table, or records it has not seen) each
        record is its own entity: its resolved id is its entity id.
        """
        if self.has_table("resolution"):
            return self.sql(
                "SELECT DISTINCT e.entity_id, coalesce(r.resolved_id, e.entity_id) AS resolved_id "
                "FROM entities e LEFT JOIN resolution r USING (entity_id) ORDER BY e.entity_id")
        return self.sql("SELECT DISTINCT entity_id, entity_id AS resolved_id FROM entities ORDER BY entity_id")

    def partners(self) -> set[str]:
        """Countries of every agency that shared data in this workspace."""
        rows = self.con.execute("SELECT DISTINCT country FROM sources WHERE country IS NOT NULL").fetchall()
        return {r[0] for r in rows}

    def _read(self, table: str, kinds: Iterable[str] | None, active_only: bool) -> pd.DataFrame:
        where, params = [], []
        if kinds is not None:
            kinds = list(kinds)
            where.append("kind IN (SELECT unnest(?))")
            params.append(kinds)
        if active_only:
            # Records past their review date are excluded from analysis (see retention rules).
            where.append("(retain_until IS NULL OR retain_until >= current_date)")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        key = {"entities": "entity_id", "links": "link_id", "events": "event_id"}[table]
        df = self.sql(f"SELECT * FROM {table}{clause} ORDER BY {key}", params)
        if "properties" in df:
            df["properties"] = [json.loads(p) if isinstance(p, str) else (p or {}) for p in df["properties"]]
        return df

    def releasable_mask(self, df: pd.DataFrame, recipient: str) -> pd.Series:
        """Which rows of a records frame ``recipient`` may receive (see :mod:`netintel.handling`)."""
        partners = self.partners()
        recipient = recipient.upper()
        red = handling_rank("TLP:RED")
        out = []
        for origin, handling, rel in zip(df["country"], df["handling"], df["releasable_to"]):
            if (origin or "").upper() == recipient:
                out.append(True)
                continue
            if handling_rank(handling) >= red:
                out.append(False)
                continue
            allowed = expand_releasable(list(rel) if rel is not None else [], origin or "", partners)
            out.append(allowed is None or recipient in allowed)
        return pd.Series(out, index=df.index, dtype=bool)

    # -- writing ------------------------------------------------------------------------------
    @contextmanager
    def bounded_memory(self, limit: str | None = None) -> Iterator[None]:
        """Hold DuckDB to at most ``limit`` (default :data:`IMPORT_MEMORY`) for a while, then give it
        back the workspace's own limit (:func:`configure_memory`)."""
        limit = limit or os.environ.get("NETINTEL_IMPORT_MEMORY") or IMPORT_MEMORY
        wanted, now = _memory_bytes(limit), _memory_bytes(self.memory_limit)
        if wanted is None:
            raise WorkspaceError(f"NETINTEL_IMPORT_MEMORY={limit!r} is not a memory size (write it like 2GB or 800MB)")
        lower = now is None or wanted < now
        if lower:
            self.con.execute(f"SET memory_limit = '{wanted}B'")
        try:
            yield
        finally:
            if lower:
                self.con.execute(f"SET memory_limit = '{self.memory_limit}'")

    def source_status(self, source_id: str) -> dict[str, Any] | None:
        row = self.sql("SELECT * FROM sources WHERE source_id = ?", [source_id])
        return None if row.empty else row.iloc[0].to_dict()

    def write_import(self, batch: ImportBatch) -> dict[str, Any]:
        """Write one import atomically, replacing an earlier import of the same source.

        Returns the row written to ``sources``.
        """
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            previous = con.execute("SELECT sha256 FROM sources WHERE source_id = ?", [batch.source_id]).fetchone()
            for table in ("entities", "links", "events", "raw_records", "quarantine", "sources"):
                con.execute(f"DELETE FROM {table} WHERE source_id = ?", [batch.source_id])
            shared = batch.options.get("shared_on")
            shared_day = date.fromisoformat(str(shared)) if shared else now.date()
            self._insert("entities", ENTITY_COLUMNS, batch.entities, shared_day)
            self._insert("links", LINK_COLUMNS, batch.links, shared_day)
            self._insert("events", EVENT_COLUMNS, batch.events, shared_day)
            if isinstance(batch.raw, Columns):
                self._insert_columns("raw_records", ["locator", "record_id", "raw"],
                                     batch.raw.with_constants({"source_id": batch.source_id}), ["source_id"])
            elif batch.raw:
                raw = pd.DataFrame(batch.raw, columns=["locator", "record_id", "raw"])
                raw.insert(0, "source_id", batch.source_id)
                self._insert_frame("raw_records", raw)
            if batch.quarantine:
                q = pd.DataFrame(batch.quarantine, columns=["locator", "reason", "raw"])
                q.insert(0, "agency", batch.agency)
                q.insert(0, "file", Path(batch.path).name)
                q.insert(0, "source_id", batch.source_id)
                q["quarantined_at"] = now
                self._insert_frame("quarantine", q[["source_id", "file", "agency", "locator", "reason", "raw",
                                                     "quarantined_at"]])
            row = {
                "source_id": batch.source_id, "agency": batch.agency, "country": batch.country,
                "format": batch.format, "path": str(batch.path), "file_name": Path(batch.path).name,
                "sha256": batch.sha256, "imported_at": now, "imported_by": self.actor,
                "n_read": batch.n_read, "n_accepted": batch.n_accepted, "n_quarantined": batch.n_quarantined,
                "n_entities": len(batch.entities), "n_links": len(batch.links), "n_events": len(batch.events),
                "options": json.dumps(batch.options, default=str, sort_keys=True),
            }
            self._insert_frame("sources", pd.DataFrame([row]))
            self.date_undated(batch.source_id, shared_day)
            self._audit("reimport" if previous else "import", batch.source_id, Path(batch.path).name,
                        batch.sha256, {k: row[k] for k in ("agency", "country", "format", "n_read", "n_accepted",
                                                            "n_quarantined")}, now)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            for rows in (batch.entities, batch.links, batch.events, batch.raw):
                if isinstance(rows, Columns):
                    rows.release()
        return row

    def date_undated(self, source_id: str, shared_on: date) -> None:
        """Give the records of a source that carry no reported date a review date from ``shared_on``.

        A record without a reported date (every call record of a warrant, say) is kept as long as
        its origin country's rule allows from the day it was shared with us, not for ever.
        """
        for table in ("entities", "links", "events"):
            countries = self.con.execute(
                f"SELECT DISTINCT country FROM {table} WHERE source_id = ? AND retain_until IS NULL",
                [source_id]).fetchall()
            for (country,) in countries:
                self.con.execute(
                    f"UPDATE {table} SET retain_until = ? WHERE source_id = ? AND retain_until IS NULL "
                    "AND country IS NOT DISTINCT FROM ?", [review_date(country, shared_on), source_id, country])

    def compact(self) -> None:
        """Rewrite the workspace file so that deleted rows leave no bytes behind.

        DuckDB neither shrinks its file nor overwrites freed blocks, so a deleted value can still be
        read from the file. The database is copied into a fresh file beside it, which then replaces
        the old one atomically (``os.replace``); a hard link to the old file is kept as a backup
        until the swap is done, and removed with any write-ahead log after it. An in-memory
        workspace has nothing on disk: nothing to do.
        """
        if self.path is None:
            return
        fresh = self.path.with_name(self.path.name + ".compacting")
        backup = self.path.with_name(self.path.name + ".backup")
        for stale in (fresh, backup):
            stale.unlink(missing_ok=True)
        name = self.con.execute("SELECT current_database()").fetchone()[0]
        self.con.execute("CHECKPOINT")
        try:
            self.con.execute(f"ATTACH '{_sql_text(fresh)}' AS netintel_compact")
            try:
                self.con.execute(f'COPY FROM DATABASE "{name}" TO netintel_compact')
            finally:
                self.con.execute("DETACH netintel_compact")
        except BaseException:
            fresh.unlink(missing_ok=True)
            raise
        self.con.close()
        try:
            os.link(self.path, backup)
            os.replace(fresh, self.path)
            for left in (backup, self.path.with_name(self.path.name + ".wal"),
                         fresh.with_name(fresh.name + ".wal")):
                left.unlink(missing_ok=True)
        except BaseException:
            if not self.path.exists() and backup.exists():
                os.replace(backup, self.path)
            backup.unlink(missing_ok=True)
            fresh.unlink(missing_ok=True)
            raise
        finally:
            self.con = duckdb.connect(str(self.path))

    def audit(self, action: str, details: dict[str, Any] | None = None, *, source_id: str | None = None,
              file: str | None = None, sha256: str | None = None) -> None:
        """Append an entry to the audit log."""
        self._audit(action, source_id, file, sha256, details or {}, datetime.now(timezone.utc).replace(tzinfo=None))

    def _audit(self, action, source_id, file, sha256, details, at) -> None:
        self.con.execute(
            'INSERT INTO audit ("at", actor, action, source_id, file, sha256, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
            [at, self.actor, action, source_id, file, sha256, json.dumps(details, default=str, sort_keys=True)],
        )

    def _insert(self, table: str, columns: list[str], rows: "list[dict[str, Any]] | Columns",
                shared_on: date | None = None) -> None:
        if isinstance(rows, Columns):
            self._insert_columns(table, columns, rows, PROV_COLUMNS, shared_on)
            return
        if not rows:
            return
        df = pd.DataFrame(rows)
        for col in columns + PROV_COLUMNS:
            if col not in df:
                df[col] = None
        df["properties"] = [json.dumps(p if p is not None else {}, default=str, ensure_ascii=False, sort_keys=True)
                            for p in df["properties"]]
        df["releasable_to"] = [list(r) if r is not None else [] for r in df["releasable_to"]]
        missing = df["retain_until"].isna() & df["reported"].notna()
        if missing.any():
            df.loc[missing, "retain_until"] = [
                review_date(c, pd.Timestamp(r).date()) for c, r in zip(df.loc[missing, "country"], df.loc[missing, "reported"])
            ]
        self._insert_frame(table, df[columns + PROV_COLUMNS])

    def _insert_columns(self, table: str, columns: list[str], rows: Columns, prov: list[str],
                        shared_on: date | None = None) -> None:
        """One ``INSERT ... SELECT`` for a whole :class:`Columns` batch; its constants are parameters.

        Rows a bulk loader left in this workspace's own connection are inserted straight from its
        query; an Arrow table is registered and read by DuckDB. Either way no row passes through
        Python. Rows without a reported date get their review date from ``shared_on`` here, as
        :meth:`date_undated` would give it (an UPDATE of every row just written costs more than
        the insert).
        """
        if not len(rows):
            return
        have = set(rows.column_names)
        const = dict(rows.constants)
        if "retain_until" not in have and const.get("retain_until") is None and "country" in prov:
            reported = const.get("reported")
            start = pd.Timestamp(reported).date() if reported is not None else shared_on
            const["retain_until"] = review_date(const.get("country"), start)
        names, values, params = [], [], []
        for col in columns + prov:
            if col in have:
                names.append(col)
                values.append(f'"{col}"')
            elif const.get(col) is not None:
                names.append(col)
                values.append("?")
                params.append(list(const[col]) if col == "releasable_to" else const[col])
        quoted = ", ".join(f'"{c}"' for c in names)
        into = f"INSERT INTO {table} ({quoted}) SELECT {', '.join(values)}"
        if rows.con is self.con and rows.query is not None:
            self.con.execute(f"{into} FROM ({rows.query})", params)
            return
        self.con.register("_netintel_rows", rows.table)
        try:
            self.con.execute(f"{into} FROM _netintel_rows", params)
        finally:
            self.con.unregister("_netintel_rows")

    def _insert_frame(self, table: str, df: Any) -> None:
        """Insert a DataFrame or an Arrow table whose columns are named as the table's."""
        self.con.register("_netintel_rows", df)
        try:
            cols = ", ".join(f'"{c}"' for c in (df.column_names if hasattr(df, "column_names") else df.columns))
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _netintel_rows")
        finally:
            self.con.unregister("_netintel_rows")


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - containers without a user name
        return "analyst"


