"""``netintel paths A B --workspace FILE``: how two entities are connected, hop by hop, with evidence.

A and B are resolved entity ids or text matching exactly one label. By default the shortest
paths; with ``--max-hops k`` every simple path of at most k hops (``--shortest`` keeps only the
shortest of those). Each hop lists the link kinds, their directions, agencies, best grading,
counts and link ids. With ``--json``: ``{"source", "target", "method", "paths", "hops", "marking"}``.
"""

from __future__ import annotations

import argparse

from ..workspace import Workspace
from ._graphargs import add_graph_args, graph_from_args
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "paths", help="paths between two entities, each hop with its evidence (i2 Find Path)",
        description="Find the paths between two entities (resolved id or label), following links in either "
                    "direction.")
    p.add_argument("source", metavar="A", help="resolved entity id, or text matching one label")
    p.add_argument("target", metavar="B", help="resolved entity id, or text matching one label")
    add_workspace_arg(p)
    p.add_argument("--max-hops", type=int, default=None, metavar="K",
                   help="every simple path of at most K hops (default: shortest paths only)")
    p.add_argument("--shortest", action="store_true", help="with --max-hops: only the shortest paths")
    p.add_argument("--weighted", action="store_true", help="shortest by distance 1 / tie strength")
    p.add_argument("--limit", type=int, default=100, help="at most this many paths")
    add_graph_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..analysis.paths import find_paths

    with Workspace(args.workspace, read_only=True) as ws:
        graph = graph_from_args(ws, args)
    all_paths = args.max_hops is not None and not args.shortest
    res = find_paths(graph, args.source, args.target, max_hops=args.max_hops, all_paths=all_paths,
                     weighted=args.weighted, limit=args.limit)
    if args.json:
        emit({"source": res.source, "target": res.target, "method": res.method, "truncated": res.truncated,
              "paths": res.paths, "hops": res.hops.drop(columns=["source_label", "target_label"]),
              "marking": {"handling": res.marking.handling, "releasable_to": list(res.marking.releasable_to)}},
             as_json=True)
        return 0
    if not res.found:
        print(f"No path between {res.source} and {res.target}"
              + (f" within {args.max_hops} hops." if args.max_hops else "."))
        return 0
    emit(res.summary(), as_json=False, title=f"{len(res)} path(s), {res.method}{' (truncated)' if res.truncated else ''}"
                                              f" — {res.marking.banner}")
    hops = res.hops[["path", "hop", "source_label", "target_label", "kinds", "directions", "count", "agencies",
                     "grading"]]
    emit(hops, as_json=False, title="\nEvidence per hop")
    return 0
