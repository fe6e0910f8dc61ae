"""``netintel report --workspace FILE``: intake, quarantine, provenance and grading of a workspace."""

from __future__ import annotations

import argparse

from ..report import workspace_report
from ..workspace import Workspace
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="intake, quarantine, provenance and grading summary",
                              description="Summarise what is in a workspace: one row per imported source, the "
                                          "quarantine by reason, records by agency and grading and by handling.")
    add_workspace_arg(p)
    p.add_argument("--quarantine", action="store_true", help="also list every quarantined record")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with Workspace(args.workspace, read_only=True) as ws:
        report = workspace_report(ws)
    tables = report.tables()
    if args.quarantine:
        tables["quarantine"] = report.quarantine
    if args.json:
        emit({"summary": report.summary(), **tables}, as_json=True)
        return 0
    emit(report.summary(), as_json=False)
    titles = {"intake": "Intake", "quarantine_reasons": "Quarantine by reason", "grading":
              "Records by agency and grading (Admiralty)", "handling": "Records by agency and handling code",
              "quarantine": "Quarantined records",
              "field_problems": "Fields flagged on records kept (value as written, what to fix)",
              "purges": "Purges (from the audit log: counts only, no purged value)"}
    for name, frame in tables.items():
        if name == "intake":
            frame = frame.drop(columns=["imported_at"], errors="ignore")
        elif name in ("quarantine_reasons", "quarantine", "field_problems"):
            frame = frame.copy()
            for col in ("example", "reason", "raw", "problem"):
                if col in frame:
                    frame[col] = [_short(v) for v in frame[col]]
        emit(frame, as_json=False, title=f"\n{titles[name]}")
    return 0


def _short(text, width: int = 70) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"
