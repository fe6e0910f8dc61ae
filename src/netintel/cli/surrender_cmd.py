"""``netintel surrender``: who can arrest and surrender each key player, and an arrest sequence."""

from __future__ import annotations

import argparse

from ..cooperation import surrender_plan
from ..cooperation._cli import add_scope_args, scope_members
from ..workspace import Workspace
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "surrender", help="surrender planning: where each key player can be arrested and surrendered, arrest order",
        description="For each key player: the countries the records place them in (residence, cells their handsets "
                    "used, nationality), whether an EAW or an extradition treaty reaches --requesting from there and "
                    "whether a nationality bar applies; then the arrest order among players some country can act on "
                    "that breaks the network most (simulated), beside the order with the law ignored.")
    add_workspace_arg(p)
    add_scope_args(p)
    p.add_argument("--requesting", required=True, metavar="CC", help="the country the players are to be surrendered to")
    p.add_argument("--key-players", nargs="+", metavar="ENTITY_ID", help="entity ids to plan for")
    p.add_argument("--top", type=int, default=5, help="key players when --key-players is not given (default 5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with Workspace(args.workspace, read_only=True) as ws:
        members, analysis = scope_members(ws, args)
        players = args.key_players
        if players is None and analysis is not None:
            players = analysis.key_players_of(args.community, top=args.top)
        plan = surrender_plan(ws, members, requesting=args.requesting, key_players=players,
                              recipient=args.recipient, top=args.top,
                              graph=analysis.graph.person_view() if analysis is not None else None)
    if args.json:
        emit(plan.to_dict(), as_json=True)
        return 0
    emit(f"{plan!r}", as_json=False)
    emit(plan.players.drop(columns=["node"]), as_json=False, title="\nKey players")
    emit(plan.options.drop(columns=["node", "source"]), as_json=False, title="\nWhere each could be arrested")
    emit(plan.sequence.drop(columns=["node"]), as_json=False, title="\nArrest sequence (legally feasible)")
    emit(plan.unconstrained.drop(columns=["node"]), as_json=False, title="\nArrest sequence with the law ignored")
    return 0
