"""Retention: every record gets a review date from its originating country's rules.

A record's review date counts from the date it was reported; a record without one (every call
record of a warrant, say) counts from the day it was shared with us, its import. Records past
their review date are left out of analysis (``Workspace.entities`` and friends skip them) and
can be purged (:func:`purge_expired`): the records, their raw text, their quarantined
neighbours and every derived row go, the workspace file is rewritten so that no byte of them is
left, and the audit log keeps who, when, how many and the hashes of the ids, never the values.

Examples
--------
>>> from datetime import date
>>> review_date("FR", date(2020, 1, 1))
datetime.date(2022, 12, 31)
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["retention_days", "review_date", "purge_expired", "retention_status", "load_rules", "date_undated",
           "id_hash", "shared_on"]


@lru_cache(maxsize=None)
def load_rules(path: str | None = None) -> dict[str, Any]:
    """The retention rules: the packaged ones, or a YAML file of the same shape."""
    text = Path(path).read_text("utf-8") if path else (resources.files("netintel") / "schema" / "retention.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def retention_days(country: str | None, rules: dict[str, Any] | None = None) -> int:
    rules = rules or load_rules()
    by_country = rules.get("countries") or {}
    return int(by_country.get((country or "").upper(), by_country.get("*", rules.get("default_days", 1825))))


def review_date(country: str | None, reported: date | datetime | None, rules: dict[str, Any] | None = None) -> date | None:
    """The date a record must be reviewed or deleted by, counted from ``reported``; None without one.

    A record without a reported date counts from the day it was shared: give that date here
    (:meth:`Workspace.date_undated` does, at import).

    >>> review_date("BE", date(2026, 3, 1)), review_date("CY", datetime(2026, 3, 1, 9, 30))
    (datetime.date(2029, 2, 28), datetime.date(2036, 2, 27))
    """
    if reported is None:
        return None
    if isinstance(reported, datetime):
        reported = reported.date()
    return reported + timedelta(days=retention_days(country, rules))


def retention_status(workspace, *, today: date | None = None, due_within: int = 90) -> "pd.DataFrame":
    """What is expired or due for review, per agency and table.

    One row per (agency, country, table): ``n_records``, ``n_expired`` (review date passed: left out
    of analysis, purgeable), ``n_due`` (review date within ``due_within`` days), ``n_no_date``
    (no reported date: their review date counts from the day they were shared), ``next_review``
    (earliest review date still ahead).
    """
    import pandas as pd

    today = today or date.today()
    due = today + timedelta(days=due_within)
    frames = []
    for table in ("entities", "links", "events"):
        frames.append(workspace.sql(
            f"SELECT agency, country, '{table}' AS \"table\", count(*) AS n_records, "
            "count(*) FILTER (WHERE retain_until < ?) AS n_expired, "
            "count(*) FILTER (WHERE retain_until >= ? AND retain_until <= ?) AS n_due, "
            "count(*) FILTER (WHERE reported IS NULL) AS n_no_date, "
            "min(retain_until) FILTER (WHERE retain_until >= ?) AS next_review "
            f"FROM {table} GROUP BY agency, country", [today, today, due, today]))
    out = pd.concat(frames, ignore_index=True)
    for col in ("n_records", "n_expired", "n_due", "n_no_date"):
        out[col] = out[col].astype(int)
    return out.sort_values(["agency", "table"]).reset_index(drop=True)


def date_undated(workspace) -> int:
    """Give every record still without a review date one counted from its source's import day.

    Imports date their undated records as they are written; this catches a workspace written
    before they did. Returns the number of sources that had such records.
    """
    rows = workspace.con.execute(
        "SELECT DISTINCT s.source_id, s.imported_at, s.options FROM sources s WHERE s.source_id IN ("
        "SELECT source_id FROM entities WHERE retain_until IS NULL UNION "
        "SELECT source_id FROM links WHERE retain_until IS NULL UNION "
        "SELECT source_id FROM events WHERE retain_until IS NULL)").fetchall()
    for source_id, imported_at, options in rows:
        workspace.date_undated(source_id, shared_on(imported_at, options))
    return len(rows)


def shared_on(imported_at: datetime, options: str | dict | None) -> date:
    """The day a source was shared: ``shared_on`` as given at import, else the import day."""
    opts = json.loads(options) if isinstance(options, str) else (options or {})
    given = opts.get("shared_on")
    return date.fromisoformat(str(given)) if given else imported_at.date()


def id_hash(record_id: str) -> str:
    """What the audit log keeps of a purged record's id: a SHA-256 digest (first 16 hex digits).

    Enough to answer "was record X purged?" given X; nothing to read a value back from.

    >>> id_hash("E0123456789abcdef")
    'ff54a0d0a52be801'
    """
    return hashlib.sha256(str(record_id).encode("utf-8")).hexdigest()[:16]


_KEYS = {"entities": "entity_id", "links": "link_id", "events": "event_id"}
# Derived tables (resolution, switch decisions) and the columns that hold a record's entity id.
_DERIVED = {"resolution": ("entity_id",), "resolution_pairs": ("entity_a", "entity_b"),
            "switch_decisions": ("old_id", "new_id")}


def purge_expired(workspace, *, today: date | None = None, compact: bool = True) -> dict[str, int]:
    """Erase the records whose review date has passed, and every copy of them; one audit entry says what went.

    What goes, in one transaction:

    - the expired entity, link and event records (a record without a reported date expires
      counted from the day its file was imported, see :func:`date_undated`);
    - the raw text kept for them (``raw_records``: a row of the file goes when no record read
      from it is left);
    - the quarantined records of a file that is past its review date counted from its import, or
      of which no record is left;
    - derived rows about the purged entities (``resolution``, ``resolution_pairs``,
      ``switch_decisions``).

    Then, with ``compact`` (the default), the workspace file is rewritten
    (:meth:`Workspace.compact`): DuckDB leaves deleted values in its file until then.

    The audit entry holds the date judged by, the counts per table and per agency, and the
    :func:`id_hash` of each purged record id, never a value. Returns the number of rows deleted
    per table (``entities``, ``links``, ``events``, ``raw_records``, ``quarantine``, ``derived``).
    """
    today = today or date.today()
    con = workspace.con
    con.execute("BEGIN TRANSACTION")
    try:
        date_undated(workspace)
        con.execute("CREATE OR REPLACE TEMP TABLE _purged (tbl VARCHAR, rid VARCHAR, agency VARCHAR, "
                    "source_id VARCHAR, locator VARCHAR, raw_key VARCHAR)")
        for table, key in _KEYS.items():
            raw_key = "kind || ':' || source_record_id" if table == "entities" else "source_record_id"
            con.execute(f"INSERT INTO _purged SELECT '{table}', {key}, agency, source_id, locator, {raw_key} "
                        f"FROM {table} WHERE retain_until < ?", [today])
        counts: dict[str, int] = {}
        for table, key in _KEYS.items():
            counts[table] = _deleted(con, f"DELETE FROM {table} WHERE {key} IN "
                                          f"(SELECT rid FROM _purged WHERE tbl = '{table}')")
        left = ("SELECT source_id, locator FROM entities UNION SELECT source_id, locator FROM links "
                "UNION SELECT source_id, locator FROM events")
        counts["raw_records"] = _deleted(con, (
            "DELETE FROM raw_records r WHERE ((r.source_id, r.locator) IN (SELECT source_id, locator FROM _purged) "
            "OR (r.source_id, r.record_id) IN (SELECT source_id, raw_key FROM _purged)) "
            f"AND (r.source_id, r.locator) NOT IN ({left})"))
        counts["quarantine"] = _purge_quarantine(workspace, today)
        counts["derived"] = 0
        for table, columns in _DERIVED.items():
            if workspace.has_table(table):
                where = " OR ".join(f"{c} IN (SELECT rid FROM _purged WHERE tbl = 'entities')" for c in columns)
                counts["derived"] += _deleted(con, f"DELETE FROM {table} WHERE {where}")
        by_agency: dict[str, dict[str, int]] = {}
        for agency, table, n in con.execute(
                "SELECT coalesce(agency, ''), tbl, count(*) FROM _purged GROUP BY ALL ORDER BY ALL").fetchall():
            by_agency.setdefault(agency, {})[table] = int(n)
        hashes = sorted({id_hash(r) for (r,) in con.execute("SELECT rid FROM _purged").fetchall()})
        con.execute("DROP TABLE _purged")
        workspace.audit("purge_expired", {"today": str(today), **counts, "by_agency": by_agency,
                                          "record_id_sha256": hashes})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if compact and any(counts.values()):
        workspace.compact()
    return counts


def _deleted(con, statement: str, params: list | None = None) -> int:
    row = con.execute(statement, params or []).fetchone()
    return int(row[0]) if row else 0


def _purge_quarantine(workspace, today: date) -> int:
    """Quarantined records of sources past their review date (counted from the import) or left empty."""
    due = []
    for source_id, country, imported_at, options in workspace.con.execute(
            "SELECT s.source_id, s.country, s.imported_at, s.options FROM sources s "
            "WHERE s.source_id IN (SELECT source_id FROM quarantine)").fetchall():
        expired = review_date(country, shared_on(imported_at, options)) < today
        emptied = bool(workspace.con.execute(
            "SELECT count(*) FROM _purged WHERE source_id = ?", [source_id]).fetchone()[0]) and not any(
            workspace.con.execute(f"SELECT count(*) FROM {t} WHERE source_id = ?", [source_id]).fetchone()[0]
            for t in _KEYS)
        if expired or emptied:
            due.append(source_id)
    if not due:
        return 0
    return _deleted(workspace.con, "DELETE FROM quarantine WHERE source_id IN (SELECT unnest(?))", [due])
