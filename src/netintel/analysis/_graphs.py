"""Shared plumbing of the analysis modules: any graph in, a CaseGraph and its compute graphs out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import NetintelError
from ..graph import CaseGraph

__all__ = ["as_case_graph", "find_entity", "node_info"]


def as_case_graph(graph: Any) -> CaseGraph:
    """A :class:`CaseGraph` from a CaseGraph, a networkx graph or an edge DataFrame."""
    if isinstance(graph, CaseGraph):
        return graph
    if isinstance(graph, pd.DataFrame):
        return CaseGraph.from_frames(graph)
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover - networkx is a dependency
        nx = None
    if nx is not None and isinstance(graph, nx.Graph):
        return CaseGraph.from_networkx(graph)
    raise NetintelError(
        f"cannot analyse a {type(graph).__name__}; pass a CaseGraph (netintel.graph.build_graph(ws)), "
        "a networkx graph or a DataFrame with source and target columns")


def find_entity(g: CaseGraph, text: str) -> str:
    """The resolved id an analyst means: an exact id, else the one entity whose label matches.

    Raises
    ------
    NetintelError
        When nothing matches, or several entities do (their ids and labels are listed).
    """
    text = str(text)
    ids = g.nodes["id"]
    if (ids == text).any():
        return text
    labels = g.nodes["label"].astype(str)
    exact = g.nodes[labels.str.lower() == text.lower()]
    hits = exact if len(exact) else g.find(text)
    if len(hits) == 1:
        return str(hits["id"].iloc[0])
    if hits.empty:
        raise NetintelError(f"no entity with id or label {text!r} in the graph; "
                            "give a resolved entity id (as `netintel resolve --clusters-out` writes) or part of a label")
    listing = "; ".join(f"{i} ({k}: {lab})" for i, k, lab in hits[["id", "kind", "label"]].head(10).itertuples(index=False))
    more = f" and {len(hits) - 10} more" if len(hits) > 10 else ""
    raise NetintelError(f"{len(hits)} entities match {text!r}: {listing}{more}; give the resolved id")


def node_info(g: CaseGraph) -> pd.DataFrame:
    """``id, kind, label, country`` of every node, in :attr:`CaseGraph.ids` order."""
    return g.nodes[["id", "kind", "label", "country"]].reset_index(drop=True)


def component_sizes(membership: np.ndarray) -> np.ndarray:
    """For each vertex, the size of its connected component (from a membership vector)."""
    counts = np.bincount(membership)
    return counts[membership]
