"""What is in a workspace: intake, quarantine, provenance and grading, as tidy tables and charts.

These are the tables ``netintel report`` prints and :class:`~netintel.ingest.IntakeReport`
shows for one import. Every count covers all records of a source (entities, links and events),
including records past their review date: the report says what came in.

Examples
--------
>>> from netintel import Workspace
>>> ws = Workspace()
>>> workspace_report(ws).intake.empty
True
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Sequence

import pandas as pd

from .handling import Marking, combine
from .workspace import Workspace

__all__ = ["workspace_report", "WorkspaceReport", "intake_table", "quarantine_table", "quarantine_reasons",
           "reason_category", "grading_summary", "handling_summary", "workspace_marking", "records_chart",
           "grading_chart", "purge_table", "field_problems_table"]

_RECORD_TABLES = ("entities", "links", "events")


def _where(source_ids: Sequence[str] | None, column: str = "source_id") -> tuple[str, list]:
    if source_ids is None:
        return "", []
    return f" WHERE {column} IN (SELECT unnest(?))", [list(source_ids)]


def intake_table(ws: Workspace, source_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per imported source: file, agency, country, format, read, accepted, quarantined, counts.

    Ordered by agency and file, so the table is the same however the imports were run.
    """
    where, params = _where(source_ids)
    return ws.sql(
        "SELECT file_name AS file, agency, country, format, n_read AS read, n_accepted AS accepted, "
        "n_quarantined AS quarantined, n_entities AS entities, n_links AS links, n_events AS events, "
        f"imported_at, imported_by, sha256 FROM sources{where} ORDER BY agency, file_name", params)


def quarantine_table(ws: Workspace, source_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Every quarantined record: file, agency, locator, reason, raw (in file order)."""
    where, params = _where(source_ids)
    frame = ws.sql(f"SELECT file, agency, locator, reason, raw FROM quarantine{where}", params)
    if frame.empty:
        return frame
    # file order: "line 12" before "line 100"
    frame["_n"] = [int(m.group(1)) if (m := re.search(r"(\d+)", str(loc))) else 0 for loc in frame["locator"]]
    frame = frame.sort_values(["agency", "file", "_n", "locator"], kind="stable").drop(columns="_n")
    return frame.reset_index(drop=True)


# (pattern, category), first match wins: whole-record problems before field problems
_CATEGORIES = (
    (r"json|truncated|malformed|fields where the header|cannot be read", "malformed record"),
    (r"duplicate", "duplicate id"),
    (r"unknown (entity |link )?kind|unknown schema|not a known|unsupported", "unknown kind"),
    (r"handling", "bad handling code"),
    (r"grading|confidence", "bad grading"),
    (r"\bdates?\b|\bstart\b|\btime\b|_date\b|\bfirst/last seen\b", "bad date"),
    (r"missing|is empty|has no value|required|no value", "missing value"),
    (r"currency", "bad currency"),
    (r"not a number|negative|not a positive", "bad number"),
    (r"self-(loop|tie)", "self-tie"),
)


def reason_category(reason: str) -> str:
    """A short category of a quarantine reason, for counting.

    >>> reason_category("start (DATE): date '2006-13-45' is in no recognised form ...")
    'bad date'
    >>> reason_category("duplicate id 'P-7' in column persoon_id (first at line 3)")
    'duplicate id'
    >>> reason_category("not a complete JSON object (Unterminated string starting at column 175)")
    'malformed record'
    """
    text = str(reason).lower()
    for pattern, category in _CATEGORIES:
        if re.search(pattern, text):
            return category
    return "other"


def quarantine_reasons(ws: Workspace, source_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Quarantined records counted by agency, file and reason category."""
    q = quarantine_table(ws, source_ids)
    if q.empty:
        return pd.DataFrame(columns=["agency", "file", "category", "records", "example"])
    q["category"] = [reason_category(r) for r in q["reason"]]
    out = (q.groupby(["agency", "file", "category"], sort=True)
           .agg(records=("reason", "size"), example=("reason", "first")).reset_index())
    return out


def _records(ws: Workspace, source_ids: Sequence[str] | None, column: str) -> pd.DataFrame:
    where, params = _where(source_ids)
    union = " UNION ALL ".join(f"SELECT agency, {column} AS value FROM {t}{where}" for t in _RECORD_TABLES)
    return ws.sql(f"SELECT agency, value, count(*) AS records FROM ({union}) GROUP BY agency, value",
                  params * len(_RECORD_TABLES))


def _pivot(long: pd.DataFrame, name: str) -> pd.DataFrame:
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="agency"), columns=pd.Index([], name=name), dtype="int64")
    table = long.pivot_table(index="agency", columns="value", values="records", aggfunc="sum", fill_value=0)
    table.columns.name = name
    table = table.sort_index().reindex(sorted(table.columns), axis=1).astype("int64")
    return table


def grading_summary(ws: Workspace, source_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Records (entities, links and events) by agency (rows) and canonical Admiralty grading (columns)."""
    return _pivot(_records(ws, source_ids, "grading"), "grading")


def handling_summary(ws: Workspace, source_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Records by agency (rows) and handling code (columns)."""
    return _pivot(_records(ws, source_ids, "handling"), "handling")


def workspace_marking(ws: Workspace, source_ids: Sequence[str] | None = None) -> Marking:
    """The marking a summary of these records must carry: strictest handling, intersected releasability.

    A count over every partner's records is derived from all of them (see
    :func:`netintel.handling.combine`); use its ``banner`` as the caveat of a chart or table.
    """
    where, params = _where(source_ids)
    union = " UNION ".join(f"SELECT DISTINCT handling, releasable_to, country FROM {t}{where}"
                           for t in _RECORD_TABLES)
    rows = ws.sql(f"SELECT DISTINCT * FROM ({union})", params * len(_RECORD_TABLES))
    triples = [(h, list(r) if r is not None else [], c or "") for h, r, c in rows.itertuples(index=False)]
    return combine(triples, partners=ws.partners())


def purge_table(ws: Workspace) -> pd.DataFrame:
    """Every purge from the audit log: when, by whom, the date judged by and how many rows went.

    Built from the audit entries alone, which hold counts and id hashes, never a purged value.
    """
    cols = ["at", "actor", "today", "entities", "links", "events", "raw_records", "quarantine", "derived",
            "agencies"]
    rows = ws.sql("""SELECT "at", actor, details FROM audit WHERE action = 'purge_expired' ORDER BY audit_id""")
    out = []
    for at, actor, details in rows.itertuples(index=False):
        d = json.loads(details) if isinstance(details, str) else (details or {})
        out.append({"at": at, "actor": actor, "today": d.get("today"),
                    **{k: int(d.get(k) or 0) for k in cols[3:9]},
                    "agencies": ", ".join(sorted(d.get("by_agency") or {}))})
    return pd.DataFrame(out, columns=cols)


def field_problems_table(ws: Workspace, source_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Fields flagged on records that were kept: file, agency, locator, field, column, value as written, problem.

    A record with one bad field (a birth date that is no date, a formula cell with no saved value)
    is kept without that field; the value as written and what is wrong are in its
    ``field_problems`` property, listed here.
    """
    where, params = _where(source_ids, "e.source_id")
    frame = ws.sql(
        "SELECT s.file_name AS file, e.agency, e.locator, e.properties FROM entities e JOIN sources s "
        f"USING (source_id){where}{' AND' if where else ' WHERE'} json_exists(e.properties, '$.field_problems')",
        params)
    rows = []
    for file, agency, locator, props in frame.itertuples(index=False):
        for problem in (json.loads(props) if isinstance(props, str) else props).get("field_problems") or []:
            rows.append({"file": file, "agency": agency, "locator": locator, **problem})
    out = pd.DataFrame(rows, columns=["file", "agency", "locator", "field", "column", "value", "problem"])
    return out.sort_values(["agency", "file", "locator", "field"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class WorkspaceReport:
    """The state of a workspace: what came in, what was quarantined and why, how it is graded."""

    intake: pd.DataFrame
    quarantine: pd.DataFrame
    reasons: pd.DataFrame
    grading: pd.DataFrame
    handling: pd.DataFrame
    purges: pd.DataFrame | None = None
    field_problems: pd.DataFrame | None = None

    def summary(self) -> str:
        t = {k: int(self.intake[k].sum()) if len(self.intake) else 0
             for k in ("read", "accepted", "quarantined", "entities", "links", "events")}
        agencies = self.intake["agency"].nunique() if len(self.intake) else 0
        return (f"{len(self.intake)} sources from {agencies} agencies: read {t['read']} = accepted {t['accepted']} "
                f"+ quarantined {t['quarantined']}; {t['entities']} entity, {t['links']} link and {t['events']} "
                "event records")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables by name (what ``netintel report --json`` prints)."""
        out = {"intake": self.intake.drop(columns=["imported_by", "sha256"], errors="ignore"),
               "quarantine_reasons": self.reasons,
               "grading": self.grading.reset_index(), "handling": self.handling.reset_index()}
        if self.field_problems is not None and len(self.field_problems):
            out["field_problems"] = self.field_problems
        if self.purges is not None and len(self.purges):
            out["purges"] = self.purges
        return out

    def __repr__(self) -> str:
        return f"<WorkspaceReport {self.summary()}>"

    def _repr_html_(self) -> str:
        parts = [f"<p><b>Workspace</b>: {html.escape(self.summary())}</p>"]
        for name, frame in self.tables().items():
            parts += [f"<p><b>{name.replace('_', ' ').capitalize()}</b></p>", frame.to_html(index=False, na_rep="")]
        return "\n".join(parts)


def workspace_report(ws: Workspace) -> WorkspaceReport:
    """Intake, quarantine, provenance and grading of everything in ``ws``."""
    return WorkspaceReport(intake=intake_table(ws), quarantine=quarantine_table(ws),
                           reasons=quarantine_reasons(ws), grading=grading_summary(ws),
                           handling=handling_summary(ws), purges=purge_table(ws),
                           field_problems=field_problems_table(ws))


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------
def _figure(title: str, caveat: str | None):
    """A briefing figure from :mod:`netintel.viz.style` when present, else a plain 16:9 one."""
    try:
        from .viz.style import briefing_figure
    except ImportError:  # pragma: no cover - the style module is optional here
        from matplotlib.figure import Figure

        fig = Figure(figsize=(13.333, 7.5))
        ax = fig.subplots()
        fig.suptitle(title, fontweight="bold")
        return fig, ax
    return briefing_figure(title, caveat=caveat)


def _finish(fig, source: str | None):
    try:
        from .viz.style import finish
    except ImportError:  # pragma: no cover
        return fig
    return finish(fig, source=source)


def _palette(n: int) -> list[str]:
    try:
        from .viz.style import PALETTE as colours
    except ImportError:  # pragma: no cover - Okabe-Ito, colour-blind safe
        colours = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
    return [colours[i % len(colours)] for i in range(n)]


def records_chart(intake: pd.DataFrame, *, value: str = "read", title: str | None = None,
                  caveat: str | None = None, source: str | None = None):
    """Horizontal stacked bars: records per agency, split by format. Returns a matplotlib Figure.

    ``intake`` is :func:`intake_table` (or :attr:`IntakeReport.sources`); ``value`` the count shown;
    ``caveat`` the handling banner (e.g. the strictest handling code of the records counted).
    """
    data = intake.groupby(["agency", "format"])[value].sum().unstack(fill_value=0)
    data = data.loc[data.sum(axis=1).sort_values().index]
    fig, ax = _figure(title or f"Records {value} per partner agency, by format", caveat)
    left = pd.Series(0, index=data.index, dtype="float64")
    for colour, fmt in zip(_palette(len(data.columns)), data.columns):
        ax.barh(data.index, data[fmt], left=left, color=colour, label=fmt)
        left += data[fmt]
    for y, total in enumerate(left):
        ax.text(total, y, f" {int(total):,}", va="center", fontsize=9)
    ax.set_xlabel(f"records {value}")
    ax.legend(title="format", frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(left=0.25)
    return _finish(fig, source)


def grading_chart(grading: pd.DataFrame, *, title: str | None = None, caveat: str | None = None,
                  source: str | None = None):
    """Stacked bars of each agency's share of records by source reliability (A-F). Returns a Figure.

    ``grading`` is :func:`grading_summary`: agencies by canonical codes; codes are grouped by their
    reliability letter so the chart stays legible.
    """
    by_rel = grading.T.groupby(lambda code: str(code)[0]).sum().T if len(grading.columns) else grading
    by_rel = by_rel.reindex(columns=[c for c in "ABCDEF" if c in by_rel.columns])
    share = by_rel.div(by_rel.sum(axis=1).where(lambda s: s > 0, 1), axis=0) * 100
    share = share.iloc[::-1]  # bars are drawn bottom-up: first agency on top
    fig, ax = _figure(title or "Source reliability of what each partner shared", caveat)
    left = pd.Series(0.0, index=share.index)
    labels = {"A": "A completely reliable", "B": "B usually reliable", "C": "C fairly reliable",
              "D": "D not usually reliable", "E": "E unreliable", "F": "F cannot be judged"}
    palette = _palette(6)
    for rel in share.columns:  # one colour per reliability letter, whichever letters occur
        colour = palette["ABCDEF".index(rel)]
        ax.barh(share.index, share[rel], left=left, color=colour, label=labels.get(rel, rel))
        left += share[rel]
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the agency's records (%)")
    ax.legend(frameon=False, bbox_to_anchor=(1.0, 1.0), loc="upper left", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(left=0.25, right=0.78)
    return _finish(fig, source)
