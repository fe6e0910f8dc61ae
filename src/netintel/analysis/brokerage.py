"""Brokers: who sits between others, and who bridges countries.

Two families of measures:

* **Structural holes** (Burt 1992): ``constraint`` (low = the entity's contacts are not tied to
  each other, so it holds the holes between them) and ``effective_size`` (non-redundant
  contacts), computed with networkx on the undirected, collapsed graph. Unweighted by default;
  ``weighted=True`` uses the tie strength as Burt's investment in a tie (a strength, not a
  distance).
* **Gould-Fernandez brokerage roles** (Gould & Fernandez 1989) on the directed graph with a
  grouping of the entities, by default their ``country``: for every two-path a -> b -> c with
  a != c and no tie a -> c, broker b plays one role according to the groups of a, b and c:

  ================ ==================== ================================================
  role             groups               reading
  ================ ==================== ================================================
  coordinator      a = b = c            brokers inside its own country
  itinerant        a = c != b           an outsider brokering inside another country
                                        (Gould-Fernandez's "consultant")
  gatekeeper       a != b = c           lets a foreign contact into its own country
  representative   a = b != c           carries its own country's business abroad
  liaison          a, b, c all differ   links two foreign countries
  ================ ==================== ================================================

  Directions: a directed link (call, transfer) counts one way; an undirected one
  (``associate_of``) both ways; the links of every kind between two entities are merged. The
  same pair (a, c) brokered by b counts once. Two-paths through an entity with no group (no
  country known) are not counted. Every role but coordinator crosses a border:
  ``cross_border`` is their sum, and :meth:`BrokerageResult.cross_border_brokers` names the
  entities that do most of it.

Examples
--------
NL1 calls BE1, who calls BE2 and NL2; NL2 calls DE1. BE1 lets NL1 into Belgium (gatekeeper) and
brokers between two Dutch (itinerant); NL2 links Belgium and Germany (liaison):

>>> import pandas as pd
>>> from netintel.graph import CaseGraph
>>> edges = pd.DataFrame({"source": ["NL1", "BE1", "BE1", "NL2"], "target": ["BE1", "BE2", "NL2", "DE1"],
...                       "kind": "call"})
>>> nodes = pd.DataFrame({"id": ["NL1", "NL2", "BE1", "BE2", "DE1"], "country": ["NL", "NL", "BE", "BE", "DE"]})
>>> roles = brokerage_roles(CaseGraph.from_frames(edges, nodes))
>>> roles.set_index("id").loc[["BE1", "NL2"], ["gatekeeper", "itinerant", "liaison"]].values.tolist()
[[1, 1, 0], [0, 0, 1]]
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import NetintelError
from ..graph import CaseGraph
from ..handling import Marking
from ._graphs import as_case_graph, node_info

__all__ = ["ROLES", "brokerage_roles", "structural_holes", "BrokerageResult", "brokerage"]

#: Gould-Fernandez roles, in table order.
ROLES: tuple[str, ...] = ("coordinator", "itinerant", "gatekeeper", "representative", "liaison")


def _groups(g: CaseGraph, group: str | Mapping[str, Any]) -> np.ndarray:
    if isinstance(group, str):
        if group not in g.nodes:
            raise NetintelError(f"the graph's entities have no column {group!r} to group by; "
                                f"use one of {', '.join(c for c in g.nodes.columns if c != 'id')} or pass a mapping")
        values = g.nodes[group]
    else:
        values = g.nodes["id"].map(dict(group))
    return np.array([v if isinstance(v, str) and v else (None if v is None or v != v else str(v)) for v in values],
                    dtype=object)


def brokerage_roles(graph: Any, *, group: str | Mapping[str, Any] = "country") -> pd.DataFrame:
    """Gould-Fernandez brokerage role counts of every entity.

    Parameters
    ----------
    graph : CaseGraph, networkx graph or edge DataFrame
    group : str or mapping
        A column of the graph's nodes (default ``"country"``) or a mapping resolved id -> group.

    Returns
    -------
    DataFrame
        ``id, kind, label, group`` and one count column per role of :data:`ROLES`, ``total``
        and ``cross_border`` (all roles but coordinator); sorted by ``cross_border``, then
        ``total``, then id.
    """
    g = as_case_graph(graph)
    groups = _groups(g, group)
    n = len(g)
    index = pd.Index(g.ids)
    c = g.collapsed(directed=True)
    s = index.get_indexer(c["source"].to_numpy(object)).astype(np.int64)
    t = index.get_indexer(c["target"].to_numpy(object)).astype(np.int64)
    keep = s != t
    s, t = s[keep], t[keep]
    codes = np.unique(s * n + t)
    gcode, guniq = pd.factorize(pd.Series(groups, dtype=object), use_na_sentinel=True)
    counts = np.zeros((n, len(ROLES)), dtype=np.int64)
    order_in = np.argsort(t, kind="stable")
    in_ptr = np.searchsorted(t[order_in], np.arange(n + 1))
    order_out = np.argsort(s, kind="stable")
    out_ptr = np.searchsorted(s[order_out], np.arange(n + 1))
    for b in range(n):
        if gcode[b] < 0:
            continue
        preds = s[order_in[in_ptr[b]:in_ptr[b + 1]]]
        succs = t[order_out[out_ptr[b]:out_ptr[b + 1]]]
        if not len(preds) or not len(succs):
            continue
        a = np.repeat(preds, len(succs))
        cc = np.tile(succs, len(preds))
        ok = (a != cc)
        a, cc = a[ok], cc[ok]
        pos = np.searchsorted(codes, a * n + cc)
        pos = np.minimum(pos, len(codes) - 1)
        closed = codes[pos] == a * n + cc
        a, cc = a[~closed], cc[~closed]
        ga, gb, gc = gcode[a], gcode[b], gcode[cc]
        known = (ga >= 0) & (gc >= 0)
        ga, gc = ga[known], gc[known]
        role = np.full(len(ga), 4)  # liaison
        role[(ga == gb) & (gc == gb)] = 0
        role[(ga == gc) & (ga != gb)] = 1
        role[(ga != gb) & (gc == gb)] = 2
        role[(ga == gb) & (gc != gb)] = 3
        counts[b] = np.bincount(role, minlength=len(ROLES))
    out = node_info(g)[["id", "kind", "label"]].copy()
    out["group"] = groups
    for i, r in enumerate(ROLES):
        out[r] = counts[:, i]
    out["total"] = counts.sum(axis=1)
    out["cross_border"] = counts[:, 1:].sum(axis=1)
    return out.sort_values(["cross_border", "total", "id"], ascending=[False, False, True],
                           kind="stable").reset_index(drop=True)


def structural_holes(graph: Any, *, weighted: bool = False) -> pd.DataFrame:
    """Burt's constraint, effective size and efficiency (effective size / degree) of every entity.

    networkx's ``constraint`` and ``effective_size`` on the undirected, collapsed graph;
    ``weighted=True`` passes the tie strength as Burt's tie weight. Isolated entities get NaN.

    Examples
    --------
    >>> import networkx as nx
    >>> sh = structural_holes(nx.star_graph(3)).set_index("id")
    >>> sh.loc["0", ["constraint", "effective_size", "efficiency"]].tolist()
    [0.3333333333333333, 3.0, 1.0]
    """
    import networkx as nx

    g = as_case_graph(graph)
    nxg = g.to_networkx(multigraph=False)
    w = "weight" if weighted else None
    constraint = nx.constraint(nxg, weight=w)
    eff = nx.effective_size(nxg, weight=w)
    out = node_info(g)[["id", "kind", "label"]].copy()
    out["degree"] = [nxg.degree(i) for i in out["id"]]
    out["constraint"] = out["id"].map(constraint).astype(float)
    out["effective_size"] = out["id"].map(eff).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["efficiency"] = np.where(out["degree"] > 0, out["effective_size"] / out["degree"].replace(0, np.nan), np.nan)
    return out


@dataclass(frozen=True, eq=False)
class BrokerageResult:
    """Brokerage roles and structural holes of every entity.

    Attributes
    ----------
    table : DataFrame
        :func:`brokerage_roles` columns plus ``country`` and the :func:`structural_holes`
        columns (``degree, constraint, effective_size, efficiency``).
    group : str
        What the roles are counted by.
    marking : Marking
    """

    table: pd.DataFrame
    group: str
    weighted: bool
    marking: Marking

    def cross_border_brokers(self, top: int = 10) -> pd.DataFrame:
        """The entities brokering most across borders (itinerant + gatekeeper + representative + liaison)."""
        t = self.table[self.table["cross_border"] > 0]
        return t.head(top).reset_index(drop=True)

    def __repr__(self) -> str:
        return (f"<BrokerageResult by {self.group}: {int((self.table['cross_border'] > 0).sum())} cross-border "
                f"brokers of {len(self.table)} entities; {self.marking.banner}>")

    def _repr_html_(self) -> str:
        return (f"<div><b>Brokerage</b> (groups: {html.escape(self.group)}) — "
                f"{int((self.table['cross_border'] > 0).sum())} cross-border brokers"
                f"<br><small>{html.escape(self.marking.banner)}</small>"
                f"{self.cross_border_brokers(10).to_html(index=False)}</div>")


def brokerage(graph: Any, *, group: str | Mapping[str, Any] = "country", weighted: bool = False) -> BrokerageResult:
    """Gould-Fernandez roles and Burt's structural holes in one table (see the module notes).

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> nx.set_node_attributes(g, {"a": "NL", "b": "BE", "c": "DE"}, "country")
    >>> brokerage(g).cross_border_brokers()[["id", "liaison", "cross_border"]].values.tolist()
    [['b', 1, 1]]
    """
    g = as_case_graph(graph)
    roles = brokerage_roles(g, group=group)
    holes = structural_holes(g, weighted=weighted).drop(columns=["kind", "label"])
    table = roles.merge(holes, on="id", how="left")
    table.insert(3, "country", table["id"].map(dict(zip(g.nodes["id"], g.nodes["country"]))))
    name = group if isinstance(group, str) else "custom grouping"
    return BrokerageResult(table, name, weighted, g.marking)
