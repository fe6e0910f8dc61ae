"""``netintel retention --workspace FILE [--purge]``: records due for review or expired, per agency."""

from __future__ import annotations

import argparse
from datetime import date

from ..retention import purge_expired, retention_status
from ..workspace import Workspace
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "retention", help="records due for review or expired, per agency; purge the expired",
        description="List, per agency and table, the records whose review date (from the originating "
                    "country's retention rules) has passed or falls due soon. Expired records are already "
                    "left out of analysis; --purge erases them with every copy (raw rows, quarantined rows of "
                    "expired files, resolution results), rewrites the workspace file so no byte of them is "
                    "left, and writes an audit entry (counts and id hashes, never values). A record without "
                    "a reported date counts from the day it was imported.")
    add_workspace_arg(p)
    p.add_argument("--purge", action="store_true", help="erase the expired records and every copy, then compact the file (with an audit entry)")
    p.add_argument("--due-within", type=int, default=90, metavar="DAYS",
                   help="count records whose review falls due within DAYS (default 90)")
    p.add_argument("--today", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                   help="the date to judge by (default: today)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with Workspace(args.workspace, read_only=not args.purge) as ws:
        status = retention_status(ws, today=args.today, due_within=args.due_within)
        purged = purge_expired(ws, today=args.today) if args.purge else None
    if args.json:
        emit({"status": status, "purged": purged}, as_json=True)
        return 0
    emit(status, as_json=False, title="Review dates by agency (expired records are left out of analysis)")
    if purged is not None:
        emit(f"Purged: {purged['entities']} entity, {purged['links']} link and {purged['events']} event records, "
             f"{purged['raw_records']} raw rows, {purged['quarantine']} quarantined records and "
             f"{purged['derived']} derived rows; the workspace file was rewritten without them "
             "(audit entry written)", as_json=False)
    elif int(status["n_expired"].sum()):
        emit(f"{int(status['n_expired'].sum())} expired records; run with --purge to delete them", as_json=False)
    return 0
