"""``netintel search QUERY``: is this name, number, account, plate or e-mail known anywhere?"""

from __future__ import annotations

import argparse

from ..workspace import Workspace
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "search", help="search every partner's records for a name, number, account, plate or e-mail",
        description="Names in any script, spelling, nickname or order; phone numbers in any national or "
                    "international writing; IBANs, account numbers, crypto wallets, plates, document numbers, "
                    "e-mail addresses and handles. Hits are ranked, with the reason for each, grouped per partner. "
                    "The first search of a workspace builds its search index (later ones bring it up to date).")
    add_workspace_arg(p)
    p.add_argument("query", nargs="+", help="what to look for (quote it, or give it as several words)")
    p.add_argument("--birth-date", metavar="DATE", help="date of birth for a name (partial dates work: 1985, 1985-03)")
    p.add_argument("--kind", action="append", metavar="KIND", help="only entities of this kind; repeatable")
    p.add_argument("--recipient", metavar="ISO2", help="only records this country may receive")
    p.add_argument("--limit", type=int, default=50, help="at most this many hits (default 50)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..search import search

    with Workspace(args.workspace) as ws:
        result = search(ws, " ".join(args.query), recipient=args.recipient, kinds=args.kind,
                        birth_date=args.birth_date, limit=args.limit)
    if args.json:
        emit({"query": result.query, "interpreted_as": list(result.interpreted_as), "recipient": result.recipient,
              "marking": {"handling": result.marking.handling, "releasable_to": list(result.marking.releasable_to)},
              "hits": result.hits, "by_partner": result.by_partner}, as_json=True)
    else:
        emit(repr(result), as_json=False)
    return 0
