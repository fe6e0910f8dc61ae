"""What the cooperation commands share: scope arguments and how a scope becomes entity ids."""

from __future__ import annotations

import argparse
from typing import Any

from ..cli._codes import country_arg
from ..errors import NetintelError

__all__ = ["add_scope_args", "scope_members"]


def add_scope_args(parser: argparse.ArgumentParser, *, recipient: bool = True) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--community", metavar="ID",
                       help="a community found by `netintel communities` (same --seed), as seen by --recipient")
    group.add_argument("--targets", nargs="+", metavar="ENTITY_ID",
                       help="entity ids (resolved or record ids) of the targets")
    parser.add_argument("--seed", type=int, default=0, help="seed of the community detection (default 0)")
    if recipient:
        parser.add_argument("--recipient", metavar="CC", type=country_arg("recipient"),
                            help="compute from only what this country (ISO2) may receive")


def scope_members(ws: Any, args: argparse.Namespace) -> tuple[list[str] | None, Any]:
    """(entity ids of the scope or None for the whole case, the CaseAnalysis when one was run)."""
    if args.targets:
        return list(args.targets), None
    if args.community is None:
        return None, None
    from .analysis import analyse_case

    analysis = analyse_case(ws, recipient=getattr(args, "recipient", None), seed=args.seed)
    membership = analysis.membership
    wanted = str(args.community)
    ids = sorted(membership.loc[membership["community"].astype(str) == wanted, "id"])
    if not ids:
        known = ", ".join(map(str, sorted(membership["community"].unique())[:20]))
        raise NetintelError(f"no community {wanted!r} in this workspace (seed {args.seed}); known: {known}")
    return ids, analysis
