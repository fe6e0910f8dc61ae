"""``netintel priorities``: harm and threat score of every community, with its components."""

from __future__ import annotations

import argparse

from ..cooperation import priority_scores
from ..cooperation.analysis import analyse_case
from ..workspace import Workspace
from ._codes import country_arg
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "priorities", help="harm and threat score per community, components shown",
        description="Score every community found (seeded Leiden) by typology, size, reach across countries, "
                    "money moved and indicators of violence and exploitation; weights from --weights (YAML, same "
                    "shape as netintel/schema/priorities.yaml) or the packaged ones.")
    add_workspace_arg(p)
    p.add_argument("--recipient", metavar="CC", type=country_arg("recipient"), help="compute from only what this country (ISO2) may receive")
    p.add_argument("--weights", metavar="YAML", help="priority settings file")
    p.add_argument("--seed", type=int, default=0, help="seed of the community detection (default 0)")
    p.add_argument("--min-size", type=int, default=3, help="smallest community scored, in entities (default 3)")
    p.add_argument("--top", type=int, default=20, help="rows to print (default 20; JSON has all)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with Workspace(args.workspace, read_only=True) as ws:
        analysis = analyse_case(ws, recipient=args.recipient, seed=args.seed)
        m = analysis.membership
        sizes = m.groupby("community").size()
        m = m[m["community"].isin(sizes[sizes >= args.min_size].index)]
        result = priority_scores(ws, m, typologies=analysis.typologies, weights=args.weights,
                                 recipient=args.recipient)
    if args.json:
        emit(result.to_dict(), as_json=True)
        return 0
    emit(result.caveat, as_json=False)
    emit("weights: " + ", ".join(f"{k} {v:g}" for k, v in result.settings.weights.items()), as_json=False)
    cols = ["rank", "community", "score", "typology", "probability", "persons", "countries", "money",
            "violence_records", "exploitation_records"] + [c for c in result.table.columns if c.startswith("w_")]
    table = result.table[cols].head(args.top) if len(result.table) else result.table
    emit(table.round(2), as_json=False, title="\nPriorities")
    return 0
