"""``netintel centrality --workspace FILE``: the key players of a case, by the classic measures.

Degree, weighted degree, betweenness (exact on case-sized graphs, sampled above ``--exact-limit``
entities: the output says which), closeness, eigenvector, PageRank and k-core, one row per entity
named by its resolved entity id, ranked by ``--by``. With ``--json``: the rows as a JSON list.
"""

from __future__ import annotations

import argparse
import sys

from ..workspace import Workspace
from ._graphargs import add_graph_args, graph_from_args
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    from ..analysis.centrality import MEASURES

    p = subparsers.add_parser(
        "centrality", help="key players: degree, betweenness, closeness, eigenvector, PageRank, k-core",
        description="Rank the entities of a case by centrality. Ties count as one unless --weighted "
                    "(then betweenness and closeness walk the distance 1 / tie strength).")
    add_workspace_arg(p)
    p.add_argument("--top", type=int, default=20, metavar="N", help="show the N highest (0: all)")
    p.add_argument("--by", choices=MEASURES, default="betweenness", help="the measure to rank by")
    p.add_argument("--weighted", action="store_true", help="use tie strengths (calls, payments, reports)")
    p.add_argument("--exact-limit", type=int, default=5000, metavar="N",
                   help="exact betweenness up to N entities, sampled above")
    p.add_argument("--samples", type=int, default=500, metavar="K", help="sampled source entities above the limit")
    p.add_argument("--seed", type=int, default=0)
    add_graph_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..analysis.centrality import key_players

    with Workspace(args.workspace, read_only=True) as ws:
        graph = graph_from_args(ws, args)
    kp = key_players(graph, by=args.by, weighted=args.weighted, exact_limit=args.exact_limit,
                     samples=args.samples, seed=args.seed)
    table = kp.table if args.top <= 0 else kp.table.head(args.top)
    if args.json:
        emit(table, as_json=True)
        return 0
    shown = table.copy()
    for col in ("betweenness", "closeness", "eigenvector", "pagerank"):
        shown[col] = shown[col].round(4)
    emit(shown, as_json=False, title=f"Key players by {args.by} ({len(table)} of {len(kp.table)} entities, "
                                      f"{args.view} view) — {kp.marking.banner}")
    print(f"betweenness: {kp.method['betweenness']}", file=sys.stdout)
    return 0
