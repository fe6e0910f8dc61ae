"""Options every graph-analysis command shares: which graph view, and the filters to build it with."""

from __future__ import annotations

import argparse

from ..errors import NetintelError
from ..graph import CaseGraph, build_graph
from ..workspace import Workspace
from ._codes import country_arg

__all__ = ["add_graph_args", "graph_from_args"]


def add_graph_args(parser: argparse.ArgumentParser, *, view_default: str = "entity") -> None:
    g = parser.add_argument_group("graph")
    g.add_argument("--view", choices=["entity", "person"], default=view_default,
                   help="the graph of all resolved entities, or persons tied through what they share "
                        f"(default: {view_default})")
    g.add_argument("--min-grading", metavar="CODE", default=None,
                   help="only links graded at least this well (Admiralty, e.g. B2)")
    g.add_argument("--since", metavar="DATE", default=None, help="only activity from this date")
    g.add_argument("--until", metavar="DATE", default=None, help="only activity up to this date")
    g.add_argument("--agency", action="append", metavar="NAME", default=None,
                   help="only records of this agency (name or ISO2 country); repeatable")
    g.add_argument("--link-kind", action="append", metavar="KIND", default=None,
                   help="only links of this kind; repeatable")
    g.add_argument("--recipient", metavar="ISO2", default=None, type=country_arg("recipient"),
                   help="only records releasable to this country")


def graph_from_args(ws: Workspace, args: argparse.Namespace) -> CaseGraph:
    """The graph the options ask for; a NetintelError naming the workspace when it is empty."""
    min_grading = args.min_grading
    if min_grading is not None:
        from ..grading import parse_grading

        min_grading = parse_grading(min_grading).code
    graph = build_graph(ws, since=args.since, until=args.until, link_kinds=args.link_kind, agencies=args.agency,
                        min_grading=min_grading, recipient=args.recipient)
    if args.view == "person":
        graph = graph.person_view()
    if graph.nodes.empty:
        raise NetintelError(f"{ws.path}: no entities in the {args.view} graph (is the workspace empty, or did the "
                            "filters remove everything?)")
    return graph
