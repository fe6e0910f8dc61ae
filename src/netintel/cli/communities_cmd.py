"""``netintel communities --workspace FILE``: communities, with each one's typology and probability.

With ``--json``: one row per entity, named by its resolved entity id (the id ``netintel resolve
--clusters-out`` writes; without a resolution run each record is its own entity), with its
community, the community's typology and probability, and the indicators behind the typology.
Without it: one row per community (size, kinds, countries, typology, probability).
"""

from __future__ import annotations

import argparse

import pandas as pd

from ..errors import NetintelError
from ..workspace import Workspace
from ._output import add_workspace_arg, emit

__all__ = ["register", "run", "communities_table"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "communities", help="communities (Leiden/Louvain) with their typology",
        description="Find the communities of a case (seeded: the same workspace and seed give the same "
                    "communities) and classify each as drug trafficking, human smuggling, cybercrime, money "
                    "laundering or other.")
    add_workspace_arg(p)
    p.add_argument("--method", choices=["auto", "leiden", "louvain", "plp", "plm"], default="auto")
    p.add_argument("--resolution", type=float, default=1.0, help="higher: more, smaller communities")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs", type=int, default=1, help="seeded runs; with --consensus, their consensus")
    p.add_argument("--consensus", action="store_true", help="consensus of --runs runs, with stability per entity")
    p.add_argument("--view", choices=["person", "entity"], default="person",
                   help="cluster persons (then attach what they use) or the whole entity graph")
    p.add_argument("--split", choices=["auto", "on", "off"], default="auto",
                   help="re-cluster each community on its own ties, keeping a split whose parts are each more "
                        "tied inside than out (undoes modularity's resolution limit on large cases); auto: on "
                        "where --method auto chooses PLM")
    p.add_argument("--min-grading", metavar="CODE", default=None,
                   help="only links graded at least this well (Admiralty, e.g. B2)")
    p.add_argument("--model", metavar="FILE", default=None, help="a typology model (.skops) instead of the shipped one")
    p.set_defaults(func=run)


def communities_table(ws: Workspace, *, method: str = "auto", resolution: float = 1.0, seed: int = 0,
                      runs: int = 1, consensus: bool = False, view: str = "person", min_grading: str | None = None,
                      model: str | None = None, split: bool | None = None) -> tuple[pd.DataFrame, pd.DataFrame, object]:
    """(one row per entity, one row per community, the CommunityResult)."""
    from ..communities import detect_communities
    from ..graph import build_graph
    from ..grading import parse_grading
    from ..typology import classify_communities, load_model

    if min_grading is not None:
        min_grading = parse_grading(min_grading).code
    graph = build_graph(ws, min_grading=min_grading)
    if graph.nodes.empty:
        raise NetintelError(f"{ws.path}: no entities to cluster (is the workspace empty, or did the filters remove "
                            "everything?)")
    result = detect_communities(graph, method=method, resolution=resolution, seed=seed, n_runs=runs,
                                consensus=consensus, view=view, split=split)
    typ = classify_communities(result, ws, model=load_model(model))
    summary = result.summary().merge(typ.drop(columns=["size"]), on="community", how="left")
    per_community = typ.set_index("community")
    m = result.membership
    rows = pd.DataFrame({
        "id": m["id"], "label": m["label"], "kind": m["kind"], "community": m["community"].astype(int),
        "stability": m["stability"], "assigned": m["assigned"],
        "typology": m["community"].map(per_community["typology"]),
        "probability": m["community"].map(per_community["probability"]).round(4),
        "indicators": m["community"].map(per_community["supporting"]),
    })
    return rows, summary, result


def run(args: argparse.Namespace) -> int:
    with Workspace(args.workspace, read_only=True) as ws:
        rows, summary, result = communities_table(
            ws, method=args.method, resolution=args.resolution, seed=args.seed, runs=args.runs,
            consensus=args.consensus, view=args.view, min_grading=args.min_grading, model=args.model,
            split={"auto": None, "on": True, "off": False}[args.split])
    if args.json:
        emit(rows, as_json=True)
        return 0
    marking = getattr(result.marking, "banner", None)
    head = (f"{result.n_communities} communities among {len(rows)} entities ({result.method}, resolution "
            f"{result.resolution:g}, seed {result.seed}); modularity {result.modularity:.3f}{'; ' + result.split_note if result.split else ''}")
    if marking:
        head += f"\n{marking}"
    table = summary[["community", "size", "n_countries", "typology", "probability", "conductance"]].copy()
    table["kinds"] = [", ".join(f"{k} {v}" for k, v in list(d.items())[:4]) for d in summary["kinds"]]
    table["probability"] = table["probability"].round(2)
    table["conductance"] = table["conductance"].round(3)
    emit(table, as_json=False, title=head)
    return 0
