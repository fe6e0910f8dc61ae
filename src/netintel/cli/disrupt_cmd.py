"""``netintel disrupt --workspace FILE --strategy S --mode M``: simulate arrests.

Removes entities one at a time, ranked by betweenness, degree, PageRank or collective influence,
recomputing after each removal (``sequential``) or from one ranking (``block``), and reports after
each removal the largest connected component (size, fraction of the original) and global
efficiency. Unweighted unless ``--weighted``. Ties: highest score, then smallest resolved id.
With ``--json``: one row per removal step: ``step, removed`` (resolved id), ``label, kind, score,
n_remaining, lcc_size, lcc_fraction, efficiency, efficiency_fraction``.
"""

from __future__ import annotations

import argparse

from ..workspace import Workspace
from ._graphargs import add_graph_args, graph_from_args
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    from ..analysis.disruption import MODES, STRATEGIES

    p = subparsers.add_parser(
        "disrupt", help="simulate arrests: what is left of the network after each removal",
        description="Remove the most central entities one at a time and measure the largest connected "
                    "component and global efficiency after each removal.")
    add_workspace_arg(p)
    p.add_argument("--strategy", choices=STRATEGIES, default="betweenness")
    p.add_argument("--mode", choices=MODES, default="sequential",
                   help="sequential: recompute after each removal; block: one ranking, then remove")
    p.add_argument("--steps", type=int, default=20, metavar="N", help="removals to simulate (0: all entities)")
    p.add_argument("--weighted", action="store_true",
                   help="use tie strengths (betweenness/efficiency walk 1 / strength)")
    p.add_argument("--radius", type=int, default=2, help="collective influence radius")
    p.add_argument("--seed", type=int, default=0)
    add_graph_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..analysis.disruption import simulate_disruption

    with Workspace(args.workspace, read_only=True) as ws:
        graph = graph_from_args(ws, args)
    res = simulate_disruption(graph, strategy=args.strategy, mode=args.mode,
                              steps=None if args.steps <= 0 else args.steps, weighted=args.weighted,
                              radius=args.radius, seed=args.seed)
    steps = res.steps.iloc[1:].reset_index(drop=True)
    if args.json:
        emit(steps, as_json=True)
        return 0
    first = res.steps.iloc[0]
    shown = steps.copy()
    for col in ("score", "lcc_fraction", "efficiency", "efficiency_fraction"):
        shown[col] = shown[col].round(4)
    emit(shown, as_json=False,
         title=f"Disruption by {args.strategy} ({args.mode}, {'weighted' if args.weighted else 'unweighted'}, "
               f"{args.view} view): {int(first['n_remaining'])} entities, largest component {int(first['lcc_size'])}, "
               f"efficiency {first['efficiency']:.4f} — {res.marking.banner}")
    return 0
