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

__all__ = ["retention_days", "review_date", "purge_expired", "load_rules"]


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


def purge_expired(workspace, *, today: date | None = None) -> dict[str, int]:
    """Delete records whose review date has passed; one audit entry lists what went.

    Returns the number of rows deleted per table.
    """
    today = today or date.today()
    counts = {}
    con = workspace.con
    con.execute("BEGIN TRANSACTION")
    try:
        for table in ("entities", "links", "events"):
            n = con.execute(f"SELECT count(*) FROM {table} WHERE retain_until < ?", [today]).fetchone()[0]
            con.execute(f"DELETE FROM {table} WHERE retain_until < ?", [today])
            counts[table] = int(n)
        workspace.audit("purge_expired", {"today": str(today), **counts})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts
