"""Retention: every record gets a review date from its originating country's rules.

Records past their review date are left out of analysis (``Workspace.entities`` and friends skip
them) and can be purged with an audit entry (:func:`purge_expired`).

Examples
--------
>>> from datetime import date
>>> review_date("FR", date(2020, 1, 1))
datetime.date(2022, 12, 31)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["retention_days", "review_date", "purge_expired", "retention_status", "load_rules"]


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
    """The date a record must be reviewed or deleted by; None when it has no reported date."""
    if reported is None:
        return None
    if isinstance(reported, datetime):
        reported = reported.date()
    return reported + timedelta(days=retention_days(country, rules))


def retention_status(workspace, *, today: date | None = None, due_within: int = 90) -> "pd.DataFrame":
    """What is expired or due for review, per agency and table.

    One row per (agency, country, table): ``n_records``, ``n_expired`` (review date passed: left out
    of analysis, purgeable), ``n_due`` (review date within ``due_within`` days), ``n_no_date``
    (no reported date, so no review date), ``next_review`` (earliest review date still ahead).
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
            "count(*) FILTER (WHERE retain_until IS NULL) AS n_no_date, "
            "min(retain_until) FILTER (WHERE retain_until >= ?) AS next_review "
            f"FROM {table} GROUP BY agency, country", [today, today, due, today]))
    out = pd.concat(frames, ignore_index=True)
    for col in ("n_records", "n_expired", "n_due", "n_no_date"):
        out[col] = out[col].astype(int)
    return out.sort_values(["agency", "table"]).reset_index(drop=True)


def purge_expired(workspace, *, today: date | None = None) -> dict[str, int]:
    """Delete records whose review date has passed; one audit entry lists what went.

    The audit entry holds the counts per table and per agency and the ids of the records deleted;
    the raw text kept for those records goes with them. Returns the number of rows deleted per table.
    """
    today = today or date.today()
    counts = {}
    by_agency: dict[str, dict[str, int]] = {}
    purged_ids: list[str] = []
    con = workspace.con
    keys = {"entities": "entity_id", "links": "link_id", "events": "event_id"}
    con.execute("BEGIN TRANSACTION")
    try:
        for table, key in keys.items():
            rows = con.execute(f"SELECT {key}, agency FROM {table} WHERE retain_until < ?", [today]).fetchall()
            for rid, agency in rows:
                by_agency.setdefault(agency or "", {}).setdefault(table, 0)
                by_agency[agency or ""][table] += 1
                purged_ids.append(rid)
            con.execute(f"DELETE FROM {table} WHERE retain_until < ?", [today])
            counts[table] = len(rows)
        if purged_ids:
            # the raw text of a record whose every row is gone goes too
            con.execute(
                "DELETE FROM raw_records WHERE record_id IN (SELECT unnest(?)) AND record_id NOT IN "
                "(SELECT entity_id FROM entities UNION SELECT link_id FROM links UNION SELECT event_id FROM events)",
                [sorted(set(purged_ids))])
        workspace.audit("purge_expired", {"today": str(today), **counts, "by_agency": by_agency,
                                          "record_ids": sorted(set(purged_ids))})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts
