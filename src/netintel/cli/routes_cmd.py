"""``netintel routes``: which legal instrument reaches each country, in which form, through which channel."""

from __future__ import annotations

import argparse

from ..cooperation import case_jurisdictions, legal_routes
from ..cooperation._cli import add_scope_args, scope_members
from ..errors import NetintelError
from ..workspace import Workspace
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "routes", help="legal route per requested country: EIO, MLA convention, MLAT or none known",
        description="For each requested country (--countries, or every country the case or --community touches): "
                    "the instrument that applies between it and --requesting, the form it calls for (EIO Annex A, "
                    "letter rogatory, ...), the channel, the police channel and the time limits a public source "
                    "gives. From the sourced reference data in netintel/schema/legal_*.yaml.")
    add_workspace_arg(p, required=False)
    add_scope_args(p)
    p.add_argument("--requesting", required=True, metavar="CC", help="the requesting country (ISO2)")
    p.add_argument("--countries", nargs="+", metavar="CC", help="requested countries (default: the case's countries)")
    p.add_argument("--typology", help="the suspected kind of crime (cybercrime adds the Budapest preservation route)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    countries = args.countries
    if not countries:
        if not args.workspace:
            raise NetintelError("give the requested countries with --countries, or --workspace to route to every "
                                "country the case touches")
        with Workspace(args.workspace, read_only=True) as ws:
            members, _ = scope_members(ws, args)
            j = case_jurisdictions(ws, members, recipient=args.recipient)
        countries = [c for c in j.countries["country"] if c != args.requesting.upper()]
    routes = legal_routes(args.requesting, countries, typology=args.typology)
    if args.json:
        emit(routes.to_dict(), as_json=True)
        return 0
    emit(routes.table[["requested", "requested_name", "status", "instrument", "form", "channel", "police_channel",
                       "duration"]], as_json=False, title=f"Legal routes from {routes.requesting}")
    notes = routes.table[routes.table["notes"] != ""][["requested", "notes"]]
    if len(notes):
        emit(notes, as_json=False, title="\nNotes")
    return 0
