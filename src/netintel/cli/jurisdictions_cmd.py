"""``netintel jurisdictions``: countries involved in a case or community and who holds the evidence."""

from __future__ import annotations

import argparse

from ..cooperation import case_jurisdictions
from ..cooperation._cli import add_scope_args, scope_members
from ..workspace import Workspace
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "jurisdictions", help="countries involved and the agencies holding the evidence",
        description="For the whole case, a community or a set of targets: the countries involved (nationalities, "
                    "residences, where phones, accounts, companies, domains and servers are registered), the "
                    "agencies holding each part of the evidence, calls and money between countries, and the "
                    "residence and countries of activity of the key players.")
    add_workspace_arg(p)
    add_scope_args(p)
    p.add_argument("--chart", metavar="FILE", help="also save the country-to-country chart (PNG/SVG/PDF)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with Workspace(args.workspace, read_only=True) as ws:
        members, analysis = scope_members(ws, args)
        players = analysis.key_players_of(args.community) if analysis is not None else None
        result = case_jurisdictions(ws, members, recipient=args.recipient, key_players=players)
    if args.chart:
        from ..viz.style import save

        save(result.chart(), args.chart, formats=(args.chart.rsplit(".", 1)[-1] if "." in args.chart else "png",))
    if args.json:
        emit(result.to_dict(), as_json=True)
        return 0
    emit(result.caveat, as_json=False)
    titles = {"countries": "Countries involved", "evidence": "Evidence held, by agency",
              "flows": "Calls and money between countries", "players": "Key players: residence and activity"}
    for name, table in result.tables().items():
        if name == "countries":
            table = table.drop(columns=["entities"])
        emit(table, as_json=False, title=f"\n{titles[name]}")
    return 0
