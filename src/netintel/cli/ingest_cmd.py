"""``netintel ingest SOURCE... --workspace FILE``: bring partner files and folders into a workspace."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from ..ingest import FORMATS, ingest
from ..workspace import Workspace
from ._codes import country_arg
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "ingest", help="import partner data (CSV/XLSX with mappings, call records, transactions, edge lists, "
                       "UCINET matrices, STIX 2.1, FtM)",
        description="Import files and folders into the workspace. A folder's source.yaml gives agency and "
                    "country; a <stem>.mapping.yaml beside a table says how to read it. Re-importing an unchanged "
                    "file does nothing; each file is its own transaction.")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="files or folders")
    add_workspace_arg(p)
    p.add_argument("--format", choices=FORMATS, help="force the format of every file")
    p.add_argument("--mapping", metavar="FILE", help="mapping file (YAML or TOML) for the tables")
    p.add_argument("--map", action="append", default=[], metavar="field=Column", dest="inline_map",
                   help="name a column inline, e.g. --map caller=A_NUMBER --map start=DATE (repeatable)")
    p.add_argument("--agency", help="the agency that shared the data")
    p.add_argument("--country", type=country_arg("country"), help="its country (ISO 3166-1 alpha-2)")
    p.add_argument("--grading", help="default grading (B2, X4, '1A P' or STIX confidence 0-100)")
    p.add_argument("--grading-scheme", help="admiralty, europol_4x4, uk_3x5x2 or stix_confidence")
    p.add_argument("--handling", help="default handling code (TLP:AMBER, H2, ...)")
    p.add_argument("--releasable-to", metavar="CC,CC", help="countries the records may be released to")
    p.add_argument("--time-format", metavar="F", help="strptime format of event times, e.g. '%%d%%m%%Y %%H%%M'")
    p.add_argument("--shared-on", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                   help="the day the partner shared the files (default: today); records without a reported "
                        "date take their review date from it")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with Workspace(args.workspace) as ws:
        report = ingest(ws, args.sources, format=args.format, mapping=args.mapping, inline_map=args.inline_map,
                        agency=args.agency, country=args.country, grading=args.grading,
                        grading_scheme=args.grading_scheme, handling=args.handling,
                        releasable_to=args.releasable_to, time_format=args.time_format,
                        progress=not (args.no_progress or args.json) and sys.stderr.isatty(), on_error="report",
                        shared_on=args.shared_on)
    if args.json:
        emit(report.sources, as_json=True)
    else:
        table = report.sources.drop(columns=["error"])
        emit(table, as_json=False, title=f"Intake: {report.summary()}")
        if len(report.quarantine):
            reasons = report.quarantine.groupby(["file", "reason"]).size().rename("records").reset_index()
            emit(reasons.head(30), as_json=False,
                 title=f"\nQuarantine: {len(report.quarantine)} records (netintel report shows them all)")
        if report.field_problems is not None and len(report.field_problems):
            emit(report.field_problems.drop(columns=["agency"]).head(30), as_json=False,
                 title=f"\nFields flagged: {len(report.field_problems)} on records kept without them "
                       "(value as written; fix it in the source)")
    for file, message in report.errors.items():
        print(f"netintel ingest: failed: {message}", file=sys.stderr)
    return 1 if report.errors else 0
