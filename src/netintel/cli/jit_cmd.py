"""``netintel jit``: the fewest countries whose agencies hold enough of the evidence for a JIT."""

from __future__ import annotations

import argparse

from ..cooperation import feasible_jit, recommend_jit
from ..cooperation._cli import add_scope_args, scope_members
from ..workspace import Workspace
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "jit", help="recommend a Joint Investigation Team: the fewest countries holding enough evidence",
        description="The smallest set of countries whose agencies together hold at least --min-share of the "
                    "evidence (distinct entities and ties, or records) on the case or a community; exact up to 15 "
                    "candidate countries, greedy beyond; ranked alternatives and what each country brings.")
    add_workspace_arg(p)
    add_scope_args(p)
    p.add_argument("--min-share", type=float, default=0.8, help="share of the evidence to hold (default 0.8)")
    p.add_argument("--include", nargs="+", default=[], metavar="CC", help="countries that must be in the team")
    p.add_argument("--measure", choices=["units", "records"], default="units",
                   help="count distinct entities and ties (units, default) or records")
    p.add_argument("--legal", action="store_true",
                   help="only teams whose members can legally form a JIT together (EU framework decision, ETS 182 "
                        "art. 20, EU-US / EU-Norway agreements), beside the unconstrained optimum and, when it does "
                        "better, a team needing ad hoc agreements (UNTOC art. 19)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with Workspace(args.workspace, read_only=True) as ws:
        members, _ = scope_members(ws, args)
        if args.legal:
            feasible = feasible_jit(ws, members, min_share=args.min_share, recipient=args.recipient,
                                    include=args.include, measure=args.measure)
            if args.json:
                emit(feasible.to_dict(), as_json=True)
                return 0
            emit(f"{feasible!r}", as_json=False)
            emit(feasible.comparison, as_json=False, title="\nTeams")
            emit(feasible.members, as_json=False, title="\nLegal basis between the members of the unconstrained team")
            if feasible.needs:
                emit("\n".join(feasible.needs), as_json=False, title="\nAd hoc agreements needed")
            return 0
        result = recommend_jit(ws, members, min_share=args.min_share, recipient=args.recipient,
                               include=args.include, measure=args.measure)
    if args.json:
        emit(result.to_dict(), as_json=True)
        return 0
    emit(f"{result!r}", as_json=False)
    emit(result.steps, as_json=False, title="\nWhat each country brings")
    emit(result.alternatives, as_json=False, title="\nAlternatives")
    return 0
