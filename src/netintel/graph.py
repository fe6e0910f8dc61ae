"""Graph views of a case: resolved entities and the links between them, with their provenance.

:func:`build_graph` turns the workspace's records into a :class:`CaseGraph`: one node per
resolved entity (``ws.resolved_ids()``; without resolution each record is its own entity) and one
edge per (source, target, link kind) between resolved entities. Nodes and edges keep where they
came from: the agencies that reported them, how many records, the best grading, the strictest
handling code and who they may be released to. The graph's own :attr:`CaseGraph.marking` is the
marking of everything it was built from.

Bulk attributes stay in two pandas DataFrames (``nodes``, ``edges``); compute graphs are built
from them on demand: :meth:`CaseGraph.to_igraph` from integer edge arrays (fast at 100k+ nodes),
:meth:`CaseGraph.to_networkx` where networkx's API serves the analyst on case-sized views.

Link weights are **tie strengths** (more calls, more money, more reports = stronger), never
distances. The undirected views carry both: ``weight`` (strength) and ``distance`` (1 / weight)
for algorithms that read a weight as a length.

Filters (all optional, combined):

* ``since`` / ``until``: links whose activity overlaps the window. Links made of events (calls,
  transfers) are recounted from their events inside the window (count, weight, amount, first and
  last seen); links with no dates (``uses``, ``resides_at``) describe standing relations and are
  kept.
* ``link_kinds``: only these link kinds.
* ``agencies``: only records of these agencies (agency names as in provenance, or ISO2 codes of
  their countries), nodes and links alike.
* ``min_grading``: only links graded at least this well on both Admiralty axes
  (:func:`netintel.grading.at_least`); entities stay (isolated if every link of theirs is dropped).
* ``recipient``: "as releasable to country X": only entity and link records X may receive
  (:meth:`netintel.workspace.Workspace.releasable_mask`), and no link whose end is an entity
  record X may not receive.

Examples
--------
>>> import pandas as pd
>>> g = CaseGraph.from_frames(pd.DataFrame({"source": ["a", "b", "b"], "target": ["b", "c", "c"],
...                                          "kind": ["call", "call", "uses"], "weight": [3.0, 1.0, 1.0]}))
>>> len(g), len(g.edges)
(3, 3)
>>> g.to_networkx(multigraph=False).edges["b", "c"]["weight"]
2.0
>>> ig_graph = g.to_igraph()
>>> ig_graph.vcount(), ig_graph.ecount(), ig_graph.vs["name"]
(3, 2, ['a', 'b', 'c'])
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import NetintelError
from .grading import at_least, grading_score
from .handling import ANYONE, Marking, expand_releasable, handling_rank, restrictions_of
from .model import default_model

if TYPE_CHECKING:  # pragma: no cover
    import igraph
    import networkx

    from .workspace import Workspace

__all__ = ["CaseGraph", "build_graph", "ComputeGraph", "compute_graph", "NODE_COLUMNS", "EDGE_COLUMNS", "combine_markings"]

#: Columns of :attr:`CaseGraph.nodes`, in order.
NODE_COLUMNS = ["id", "kind", "label", "country", "countries", "agencies", "n_records", "record_ids", "grading",
                "handling", "releasable_to", "properties"]
#: Columns of :attr:`CaseGraph.edges`, in order.
EDGE_COLUMNS = ["source", "target", "kind", "directed", "count", "weight", "amount", "currency", "first_seen",
                "last_seen", "agencies", "n_records", "grading", "handling", "releasable_to", "link_ids"]

# Entity properties that name a country the entity belongs to (not the reporting agency's).
_COUNTRY_PROPS = ("nationality", "country", "jurisdiction", "flag", "issuing_country")
_RED = None


def _red_rank() -> int:
    global _RED
    if _RED is None:
        _RED = handling_rank("TLP:RED")
    return _RED


# ---------------------------------------------------------------------------------------------
# Markings of aggregated rows
# ---------------------------------------------------------------------------------------------
def _release_set(handling: str, releasable_to: Any, origin: str, partners: frozenset[str]) -> frozenset[str] | None:
    """Concrete set of countries a record may go to (None = anyone)."""
    if handling and handling_rank(handling) >= _red_rank():
        return frozenset({(origin or "").upper()})
    rel = list(releasable_to) if releasable_to is not None and not isinstance(releasable_to, str) else \
        ([releasable_to] if releasable_to else [])
    out = expand_releasable(rel, origin or "", partners)
    return None if out is None else frozenset(out)


def _as_tuple(rel: frozenset[str] | None) -> tuple[str, ...]:
    return (ANYONE,) if rel is None else tuple(sorted(rel))


def _intersect(sets: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    out: frozenset[str] | None = None
    for s in sets:
        if s is None:
            continue
        out = s if out is None else out & s
    return out


def _strictest(codes: Iterable[str]) -> str:
    best = None
    # sorted: codes of equal rank (H2 and TLP:AMBER+STRICT) resolve the same way every run
    for c in sorted(set(c for c in codes if isinstance(c, str))):
        if c is None or (isinstance(c, float) and c != c):
            continue
        if best is None or handling_rank(c) > handling_rank(best):
            best = c
    return best or "TLP:CLEAR"


def combine_markings(rows: Iterable[tuple[str, Sequence[str]]]) -> Marking:
    """Marking of a result computed from already-aggregated rows (handling, concrete releasable_to).

    Unlike :func:`netintel.handling.combine`, the releasability lists here are concrete (the
    ``releasable_to`` of :attr:`CaseGraph.nodes` / :attr:`CaseGraph.edges`: ISO2 codes, or
    ``("*",)`` for anyone); they are intersected, and the strictest handling code is kept.

    >>> combine_markings([("TLP:AMBER", ("BE", "DE", "NL")), ("H2", ("NL", "DE")), ("TLP:CLEAR", ("*",))])
    Marking(handling='H2', releasable_to=('DE', 'NL'))
    """
    handlings, sets = [], []
    for h, rel in sorted({(h, tuple(rel) if rel is not None else (ANYONE,)) for h, rel in rows}, key=str):
        handlings.append(h)
        sets.append(None if ANYONE in rel else frozenset(rel))
    if not handlings:
        return Marking("TLP:CLEAR", (ANYONE,))
    restrictions = tuple(sorted({r for h in handlings if isinstance(h, str) for r in restrictions_of(h)}))
    return Marking(_strictest(handlings), _as_tuple(_intersect(sets)), restrictions)


# ---------------------------------------------------------------------------------------------
# Countries of an entity
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=200_000)
def _phone_country(number: str) -> str | None:
    try:
        import phonenumbers
    except ImportError:  # pragma: no cover - phonenumbers is a dependency
        return None
    text = re.sub(r"[^\d+]", "", number)
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        return None
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(text, None))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != "ZZ" else None


def _values(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _entity_countries(kind: str, props: Mapping[str, Any]) -> list[str]:
    """Countries an entity record says the entity belongs to (ISO2, upper case)."""
    out: list[str] = []
    for key in _COUNTRY_PROPS:
        for v in _values(props.get(key)):
            if isinstance(v, str) and re.fullmatch(r"[A-Za-z]{2}", v.strip()):
                out.append(v.strip().upper())
    if kind == "phone":
        for v in _values(props.get("number")):
            if isinstance(v, str):
                cc = _phone_country(v)
                if cc:
                    out.append(cc)
    elif kind == "bank_account":
        for v in _values(props.get("iban")):
            if isinstance(v, str) and re.match(r"^[A-Za-z]{2}\d{2}", v.strip()):
                out.append(v.strip()[:2].upper())
    return out


def _merge_props(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for props in rows:
        for key, value in (props or {}).items():
            if value in (None, "", []):
                continue
            if key not in out:
                out[key] = value
                continue
            have = out[key] if isinstance(out[key], list) else [out[key]]
            merged = have + [v for v in _values(value) if v not in have]
            out[key] = merged if len(merged) > 1 else merged[0]
    return out


# ---------------------------------------------------------------------------------------------
# The graph
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CaseGraph:
    """A typed multigraph of resolved entities whose links keep their provenance.

    Attributes
    ----------
    nodes : DataFrame
        One row per resolved entity (columns :data:`NODE_COLUMNS`): ``id`` (resolved id),
        ``kind``, ``label``, ``country`` (the entity's own country where its records say so:
        nationality, country, jurisdiction, flag, issuing country, phone prefix, IBAN; otherwise
        the country of the agency that reported it), ``countries`` (every ISO2 code from those
        properties and from the reporting agencies), ``agencies``, ``n_records`` (provenance rows:
        one per file that reported it), ``record_ids`` (its entity record ids), ``grading`` (best),
        ``handling`` (strictest), ``releasable_to`` (intersection over its records, concrete ISO2
        codes or ``("*",)``), ``properties`` (merged). Sorted by ``id``.
    edges : DataFrame
        One row per (source, target, kind) between resolved ids (columns :data:`EDGE_COLUMNS`):
        ``directed``; ``count`` (events or reports) and ``weight`` (tie strength), both summed
        over the link records; ``amount`` summed; ``first_seen``/``last_seen``; ``agencies``;
        ``n_records``; ``grading`` (best); ``handling`` (strictest); ``releasable_to``;
        ``link_ids``. Undirected kinds are stored with ``source < target``.
    marking : Marking
        Strictest handling and intersected releasability of everything the graph was built from.
    filters : dict
        The filters it was built with.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    marking: Marking = field(default_factory=lambda: Marking("TLP:CLEAR", (ANYONE,)))
    filters: dict[str, Any] = field(default_factory=dict)
    #: person views already built from this graph, by (via, max_shared): communities, key players,
    #: disruption and the legal tables of one briefing ask for the same view
    _person_views: dict[Any, "CaseGraph"] = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_frames(cls, edges: pd.DataFrame, nodes: pd.DataFrame | None = None, *,
                    marking: Marking | None = None, filters: Mapping[str, Any] | None = None) -> "CaseGraph":
        """A CaseGraph from plain tables (generated graphs, edge lists, tests).

        ``edges`` needs ``source, target``; ``kind`` (default ``"related_to"``), ``weight``
        (default 1, or ``count``), ``directed`` and the other :data:`EDGE_COLUMNS` are optional;
        rows with the same (source, target, kind) are merged. ``nodes`` needs ``id``; every edge
        end missing from it becomes a node of kind ``"unknown"``.

        >>> g = CaseGraph.from_frames(pd.DataFrame({"source": [1, 2], "target": [2, 3]}))
        >>> g.nodes["id"].tolist(), g.edges["kind"].tolist()
        (['1', '2', '3'], ['related_to', 'related_to'])
        """
        e = edges.copy()
        if not {"source", "target"} <= set(e.columns):
            raise NetintelError("an edge table needs 'source' and 'target' columns")
        e["source"] = e["source"].astype(str)
        e["target"] = e["target"].astype(str)
        if "kind" not in e:
            e["kind"] = "related_to"
        if "count" not in e:
            e["count"] = 1
        if "weight" not in e:
            e["weight"] = e["count"].astype(float)
        if "directed" not in e:
            model = default_model()
            e["directed"] = [model.links[k].directed if k in model.links else False for k in e["kind"]]
        e["directed"] = e["directed"].fillna(False).astype(bool)
        for col, default in (("amount", np.nan), ("currency", None), ("first_seen", pd.NaT), ("last_seen", pd.NaT),
                             ("agency", None), ("grading", None), ("handling", "TLP:CLEAR")):
            if col not in e and not (col == "agency" and "agencies" in e):
                e[col] = default
        if "link_id" not in e and "link_ids" not in e:
            e["link_id"] = [f"{s}-{k}-{t}" for s, t, k in zip(e["source"], e["target"], e["kind"])]
        if "agencies" in e:
            e = e.explode("agencies").rename(columns={"agencies": "agency"})
        if "link_ids" in e:
            e = e.explode("link_ids").rename(columns={"link_ids": "link_id"})
        if "releasable_to" not in e:
            e["_rel"] = None
        else:
            e["_rel"] = [None if r is None or (not isinstance(r, str) and ANYONE in tuple(r)) else frozenset(r)
                         for r in e["releasable_to"]]
        e["handling"] = e["handling"].fillna("TLP:CLEAR")
        out_edges = _aggregate_edges(e)
        if nodes is None:
            nodes = pd.DataFrame({"id": pd.unique(pd.concat([out_edges["source"], out_edges["target"]]))})
        n = nodes.copy()
        n["id"] = n["id"].astype(str)
        missing = set(out_edges["source"]) | set(out_edges["target"])
        missing -= set(n["id"])
        if missing:
            n = pd.concat([n, pd.DataFrame({"id": sorted(missing), "kind": "unknown"})], ignore_index=True)
        defaults = {"kind": "unknown", "label": None, "country": None, "countries": None, "agencies": None,
                    "n_records": 1, "record_ids": None, "grading": None, "handling": "TLP:CLEAR",
                    "releasable_to": None, "properties": None}
        for col, default in defaults.items():
            if col not in n:
                n[col] = default
        n["label"] = [lab if isinstance(lab, str) and lab else i for lab, i in zip(n["label"], n["id"])]
        n["countries"] = [list(c) if isinstance(c, (list, tuple, np.ndarray)) else ([c] if isinstance(c, str) else [])
                          for c in n["countries"]]
        n["country"] = [c if isinstance(c, str) else (cs[0] if cs else None) for c, cs in zip(n["country"], n["countries"])]
        n["agencies"] = [list(a) if isinstance(a, (list, tuple, np.ndarray)) else [] for a in n["agencies"]]
        n["record_ids"] = [list(r) if isinstance(r, (list, tuple, np.ndarray)) else [i] for r, i in zip(n["record_ids"], n["id"])]
        n["releasable_to"] = [tuple(r) if isinstance(r, (list, tuple, np.ndarray)) else (ANYONE,) for r in n["releasable_to"]]
        n["properties"] = [p if isinstance(p, dict) else {} for p in n["properties"]]
        n["handling"] = n["handling"].fillna("TLP:CLEAR")
        n = n.drop_duplicates("id").sort_values("id", kind="stable").reset_index(drop=True)[NODE_COLUMNS]
        mk = marking or combine_markings(list(zip(n["handling"], n["releasable_to"])) +
                                         list(zip(out_edges["handling"], out_edges["releasable_to"])))
        return cls(n, out_edges, mk, dict(filters or {}))

    @classmethod
    def from_networkx(cls, graph: "networkx.Graph", **kw: Any) -> "CaseGraph":
        """A CaseGraph from a networkx graph (edge attributes ``kind``, ``weight``, ... are kept).

        >>> import networkx as nx
        >>> CaseGraph.from_networkx(nx.path_graph(3)).edges[["source", "target"]].values.tolist()
        [['0', '1'], ['1', '2']]
        """
        rows = []
        for u, v, d in graph.edges(data=True):
            row = {k: val for k, val in d.items() if k in EDGE_COLUMNS and k not in ("source", "target")}
            row.update(source=u, target=v)
            row.setdefault("directed", graph.is_directed())
            rows.append(row)
        edges = pd.DataFrame(rows, columns=sorted({c for r in rows for c in r} | {"source", "target"}))
        nodes = pd.DataFrame([{"id": str(n), **{k: v for k, v in d.items() if k in NODE_COLUMNS and k != "id"}}
                              for n, d in graph.nodes(data=True)], columns=None)
        if nodes.empty:
            nodes = pd.DataFrame({"id": []})
        return cls.from_frames(edges, nodes, **kw)

    # -- basics -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in set(self.nodes["id"])

    def __repr__(self) -> str:
        return (f"<CaseGraph {len(self.nodes)} entities, {len(self.edges)} links; "
                f"{self.marking.banner}>")

    @property
    def ids(self) -> list[str]:
        """Resolved ids of the nodes, sorted (the vertex order of :meth:`to_igraph`)."""
        return self.nodes["id"].tolist()

    def label_of(self, entity_id: str) -> str:
        """Display label of a node (its id when it has none)."""
        row = self.nodes.loc[self.nodes["id"] == entity_id, "label"]
        return str(row.iloc[0]) if len(row) else str(entity_id)

    def labels(self) -> dict[str, str]:
        """Resolved id -> display label."""
        return dict(zip(self.nodes["id"], self.nodes["label"]))

    def find(self, text: str) -> pd.DataFrame:
        """Nodes whose id equals ``text`` or whose label contains it (case-insensitive).

        >>> g = CaseGraph.from_frames(pd.DataFrame({"source": ["a"], "target": ["b"]}),
        ...                           pd.DataFrame({"id": ["a", "b"], "label": ["Ivan Petrov", "Ana Pop"]}))
        >>> g.find("petrov")["id"].tolist()
        ['a']
        """
        exact = self.nodes[self.nodes["id"] == text]
        if len(exact):
            return exact
        mask = self.nodes["label"].astype(str).str.contains(text, case=False, regex=False)
        return self.nodes[mask]

    def subgraph(self, ids: Iterable[str]) -> "CaseGraph":
        """The graph induced by ``ids``; its marking covers only what it keeps."""
        keep = set(map(str, ids))
        nodes = self.nodes[self.nodes["id"].isin(keep)].reset_index(drop=True)
        edges = self.edges[self.edges["source"].isin(keep) & self.edges["target"].isin(keep)].reset_index(drop=True)
        return self._derived(nodes, edges, subgraph=len(nodes))

    def edge_subgraph(self, mask: pd.Series | np.ndarray) -> "CaseGraph":
        """The graph keeping the edges selected by a boolean mask and every node."""
        edges = self.edges[np.asarray(mask, dtype=bool)].reset_index(drop=True)
        return self._derived(self.nodes, edges)

    def _derived(self, nodes: pd.DataFrame, edges: pd.DataFrame, **filters: Any) -> "CaseGraph":
        mk = combine_markings(list(zip(nodes["handling"], nodes["releasable_to"])) +
                              list(zip(edges["handling"], edges["releasable_to"])))
        return CaseGraph(nodes, edges, mk, {**self.filters, **filters})

    # -- compute graphs -----------------------------------------------------------------------
    def collapsed(self, *, directed: bool = False) -> pd.DataFrame:
        """One row per node pair: the links of every kind between them merged.

        Parameters
        ----------
        directed : bool
            False (default): one row per unordered pair (``source < target``). True: one row per
            ordered pair; an undirected link counts in both directions.

        Returns
        -------
        DataFrame
            ``source, target, weight`` (summed tie strength), ``count`` (summed), ``distance``
            (1 / weight, for algorithms that read weights as lengths), ``kinds`` (sorted list),
            ``n_links`` (edge rows merged).
        """
        ids = self.nodes["id"].to_numpy(object)
        s_i, t_i, weight, count, kinds, n_links = self._collapsed_codes(directed=directed)
        w = weight
        with np.errstate(divide="ignore"):
            distance = np.where(w > 0, 1.0 / np.where(w > 0, w, 1.0), np.inf)
        return pd.DataFrame({"source": ids[s_i] if len(s_i) else np.zeros(0, object),
                             "target": ids[t_i] if len(t_i) else np.zeros(0, object),
                             "weight": weight, "count": count, "distance": distance,
                             "kinds": pd.Series(kinds, dtype=object), "n_links": n_links})

    def _collapsed_codes(self, *, directed: bool = False, with_kinds: bool = True):
        """Collapsed pairs as integer vertex codes (positions in :attr:`ids`), sorted by (source, target)."""
        e = self.edges
        n = len(self.nodes)
        index = pd.Index(self.nodes["id"].to_numpy(object))
        s = index.get_indexer(e["source"].to_numpy(object)).astype(np.int64)
        t = index.get_indexer(e["target"].to_numpy(object)).astype(np.int64)
        if (s < 0).any() or (t < 0).any():
            raise NetintelError("the graph has links to entities that are not among its nodes")
        w = e["weight"].to_numpy(float)
        c = e["count"].to_numpy(np.int64)
        k = e["kind"].to_numpy(object)
        if directed:
            und = ~e["directed"].to_numpy(bool)
            s, t = np.concatenate([s, t[und]]), np.concatenate([t, s[und]])
            w, c, k = np.concatenate([w, w[und]]), np.concatenate([c, c[und]]), np.concatenate([k, k[und]])
        else:
            s, t = np.minimum(s, t), np.maximum(s, t)
        key = s * max(n, 1) + t
        uniq, inv = np.unique(key, return_inverse=True)
        inv = inv.reshape(-1)
        weight = np.bincount(inv, weights=w, minlength=len(uniq)).astype(float)
        count = np.bincount(inv, weights=c, minlength=len(uniq)).astype(np.int64)
        n_links = np.bincount(inv, minlength=len(uniq)).astype(np.int64)
        kinds = _list_of_unique(pd.Series(k, dtype=object), inv).tolist() if with_kinds else None
        if with_kinds and len(kinds) < len(uniq):  # pragma: no cover - every pair has a kind
            kinds += [[] for _ in range(len(uniq) - len(kinds))]
        return uniq // max(n, 1), uniq % max(n, 1), weight, count, kinds, n_links

    def to_networkx(self, *, multigraph: bool = True) -> "networkx.Graph":
        """The graph in networkx, for its analyst-facing API on case-sized views.

        Parameters
        ----------
        multigraph : bool
            True: a ``MultiDiGraph`` with one edge per :attr:`edges` row (key = link kind, every
            column as an attribute; undirected kinds appear once, ``source < target``, with
            ``directed=False``). False: an undirected ``Graph``, one edge per pair with summed
            ``weight`` (tie strength), ``count``, ``distance`` (1 / weight) and ``kinds``.

        Node attributes are the :attr:`nodes` columns (``id`` is the node).
        """
        import networkx as nx

        g: nx.Graph = nx.MultiDiGraph() if multigraph else nx.Graph()
        cols = [c for c in NODE_COLUMNS if c != "id"]
        g.add_nodes_from((i, dict(zip(cols, vals))) for i, *vals in
                         zip(self.nodes["id"], *(self.nodes[c] for c in cols)))
        if multigraph:
            ecols = [c for c in self.edges.columns if c not in ("source", "target")]
            for s, t, *vals in zip(self.edges["source"], self.edges["target"], *(self.edges[c] for c in ecols)):
                attrs = dict(zip(ecols, vals))
                g.add_edge(s, t, key=attrs["kind"], **attrs)
        else:
            c = self.collapsed()
            g.add_edges_from((s, t, {"weight": w, "count": int(n), "distance": d, "kinds": k})
                             for s, t, w, n, d, k in zip(c["source"], c["target"], c["weight"], c["count"],
                                                         c["distance"], c["kinds"]))
        g.graph["marking"] = self.marking
        return g

    def to_igraph(self, *, directed: bool = False) -> "igraph.Graph":
        """The collapsed graph in igraph, built from integer edge arrays (no networkx in between).

        Vertices are the nodes in :attr:`ids` order (``name`` = resolved id, ``kind``, ``label``,
        ``country``); one edge per pair (per ordered pair when ``directed``) with ``weight``
        (summed tie strength), ``count`` and ``distance`` (1 / weight).
        """
        import igraph as ig

        ids = self.nodes["id"].to_numpy(object)
        s, t, weight, count, _, _ = self._collapsed_codes(directed=directed, with_kinds=False)
        g = ig.Graph(n=len(ids), edges=np.column_stack([s, t]) if len(s) else [], directed=directed)
        g.vs["name"] = ids.tolist()
        g.vs["kind"] = self.nodes["kind"].tolist()
        g.vs["label"] = self.nodes["label"].tolist()
        g.vs["country"] = self.nodes["country"].tolist()
        if len(s):
            g.es["weight"] = weight.tolist()
            g.es["count"] = count.tolist()
            with np.errstate(divide="ignore"):
                g.es["distance"] = np.where(weight > 0, 1.0 / np.where(weight > 0, weight, 1.0), np.inf).tolist()
        return g

    # -- person view --------------------------------------------------------------------------
    def person_view(self, *, via: Iterable[str] | None = None, max_shared: int = 50) -> "CaseGraph":
        """Persons only, tied directly and through what they share or use.

        Ties, each an edge of the returned graph with the evidence it rests on:

        * direct person-person links keep their kind (``associate_of``, ``family_of``, ...);
        * two persons linked to the same entity by link kinds whose ``person_projection`` is true
          in ``schema/links.yaml`` (``uses``, ``owns``, ``resides_at``, ``directs``, ...) are
          tied by an undirected ``shared_<kind>`` edge (``shared_phone``, ``shared_address``,
          ``shared_organisation``); its weight is the sum, over the entities they share, of the
          weaker of their two links' strengths;
        * any other link between two entities, either a person or used by persons (a call from
          phone a to phone b, a transfer between accounts), ties every person behind one end to
          every person behind the other with that link's kind, direction and weight (A uses a, B
          uses b, a called b 7 times: A -> B ``call`` with weight 7).

        Parameters
        ----------
        via : iterable of str, optional
            Entity kinds persons may be tied through (``["phone"]`` for a telephone-only view);
            all kinds when None. Direct person-person links are always kept.
        max_shared : int
            An entity shared by more persons than this (a busy public address, a switchboard)
            ties nobody: a clique of hundreds says nothing about who knows whom. Such entities
            are listed in ``filters["skipped_shared"]``.

        Examples
        --------
        >>> nodes = pd.DataFrame({"id": ["A", "B", "C", "a", "b", "h"],
        ...                       "kind": ["person"] * 3 + ["phone", "phone", "address"]})
        >>> edges = pd.DataFrame({"source": ["A", "B", "a", "B", "C"], "target": ["a", "b", "b", "h", "h"],
        ...                       "kind": ["uses", "uses", "call", "resides_at", "resides_at"],
        ...                       "weight": [1.0, 1.0, 7.0, 1.0, 1.0]})
        >>> pv = CaseGraph.from_frames(edges, nodes).person_view()
        >>> pv.edges[["source", "target", "kind", "weight"]].values.tolist()
        [['A', 'B', 'call', 7.0], ['B', 'C', 'shared_address', 1.0]]

        The view is built once per graph and set of parameters; each call gets its own copy of
        the tables, so a caller that changes them changes only its copy.
        """
        via = None if via is None else sorted({str(v) for v in via})
        key = (None if via is None else tuple(via), int(max_shared))
        if key not in self._person_views:
            self._person_views[key] = self._build_person_view(via=via, max_shared=max_shared)
        view = self._person_views[key]
        return replace(view, nodes=view.nodes.copy(), edges=view.edges.copy(), filters=dict(view.filters))

    def _build_person_view(self, *, via: Iterable[str] | None, max_shared: int) -> "CaseGraph":
        kinds = dict(zip(self.nodes["id"], self.nodes["kind"]))
        persons = self.nodes[self.nodes["kind"] == "person"].reset_index(drop=True)
        pset = set(persons["id"])
        via_set = None if via is None else {str(v) for v in via}
        model = default_model()
        projection = {k for k, lk in model.links.items() if lk.person_projection}
        e = self.edges
        src, tgt, kind = e["source"].to_numpy(object), e["target"].to_numpy(object), e["kind"].to_numpy(object)
        s_person = np.fromiter((x in pset for x in src), bool, len(e))
        t_person = np.fromiter((x in pset for x in tgt), bool, len(e))
        is_proj = np.fromiter((k in projection for k in kind), bool, len(e))
        # person -> entity it uses/owns/lives at (either direction of the link)
        att = is_proj & (s_person ^ t_person)
        holder = np.where(s_person, src, tgt)[att]
        held = np.where(s_person, tgt, src)[att]
        held_kind = np.array([kinds.get(h, "unknown") for h in held], dtype=object)
        if via_set is not None:
            ok = np.fromiter((k in via_set for k in held_kind), bool, len(held_kind))
        else:
            ok = np.ones(len(held), bool)
        attach = pd.DataFrame({"person": holder[ok], "entity": held[ok], "entity_kind": held_kind[ok],
                               "row": np.flatnonzero(att)[ok]})
        # one strength per (person, entity): the strongest link between them
        attach["strength"] = e["weight"].to_numpy(float)[attach["row"].to_numpy(int)] if len(attach) else []
        users: dict[str, list[str]] = _list_of_unique(attach["person"], attach["entity"]).to_dict() \
            if len(attach) else {}
        skipped = sorted(h for h, ps in users.items() if len(ps) > max_shared)
        strongest = attach.sort_values(["strength", "row"], ascending=[False, True]).drop_duplicates(
            ["person", "entity"]) if len(attach) else attach
        attach_row = dict(zip(zip(strongest["person"], strongest["entity"]), strongest["row"])) if len(attach) else {}
        rows: list[pd.DataFrame] = []
        # shared entities
        if len(attach):
            a = attach[~attach["entity"].isin(skipped)]
            a = a.sort_values("strength", ascending=False).drop_duplicates(["person", "entity"])
            pairs = a.merge(a, on=["entity", "entity_kind"], suffixes=("_a", "_b"))
            pairs = pairs[pairs["person_a"] < pairs["person_b"]]
            if len(pairs):
                rows.append(pd.DataFrame({
                    "source": pairs["person_a"].to_numpy(object), "target": pairs["person_b"].to_numpy(object),
                    "kind": ("shared_" + pairs["entity_kind"].astype(str)).to_numpy(object),
                    "directed": False,
                    "weight": np.minimum(pairs["strength_a"], pairs["strength_b"]).to_numpy(float),
                    "row_a": pairs["row_a"].to_numpy(int),
                    "evidence": [[int(x), int(y)] for x, y in zip(pairs["row_a"], pairs["row_b"])],
                    "via": [[x] for x in pairs["entity"]]}))
        # other links, mapped onto the persons behind each end: every (link, person behind one end,
        # person behind the other) as a join, in the order link, then each end's persons by id
        other = np.flatnonzero(~is_proj | (s_person & t_person))
        ties_of_links = _mapped_ties(other, src, tgt, s_person, t_person, kinds, via_set, set(skipped), strongest)
        if ties_of_links is not None:
            ridx, s_arr, t_arr, a_row, b_row = ties_of_links
            directed = e["directed"].to_numpy(bool)[ridx]
            swap = ~directed & (s_arr > t_arr)
            u_hub, v_hub = ~s_person[ridx], ~t_person[ridx]
            # the chain of evidence: the link itself and the links tying each person to its end
            evidence = [[r] + ([a] if ua else []) + ([b] if vb else [])
                        for r, a, b, ua, vb in zip(ridx.tolist(), a_row.tolist(), b_row.tolist(), u_hub.tolist(),
                                                   v_hub.tolist())]
            via_of = [[x for x, hub in ((src[r], ua), (tgt[r], vb)) if hub]
                      for r, ua, vb in zip(ridx.tolist(), u_hub.tolist(), v_hub.tolist())]
            rows.append(pd.DataFrame({
                "source": np.where(swap, t_arr, s_arr), "target": np.where(swap, s_arr, t_arr),
                "kind": kind[ridx], "directed": directed, "weight": e["weight"].to_numpy(float)[ridx],
                "row_a": ridx, "evidence": evidence, "via": via_of}))
        nodes = persons.copy()
        if not rows:
            empty = _aggregate_edges(pd.DataFrame(columns=["source", "target", "kind", "directed", "count", "weight",
                                                           "amount", "currency", "first_seen", "last_seen", "agency",
                                                           "grading", "handling", "link_id", "_rel"]))
            empty["via"] = pd.Series(dtype=object)
            return replace(self, nodes=nodes, edges=empty,
                           filters={**self.filters, "view": "person", "skipped_shared": skipped})
        ties = pd.concat(rows, ignore_index=True)
        edges = _person_edges(ties, e)
        return replace(self, nodes=nodes, edges=edges,
                       filters={**self.filters, "view": "person", "via": sorted(via_set) if via_set else None,
                                "skipped_shared": skipped})

    # -- display ------------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Counts of entities by kind and of links by kind."""
        n = self.nodes["kind"].value_counts().rename_axis("kind").reset_index(name="n")
        n.insert(0, "what", "entities")
        e = self.edges["kind"].value_counts().rename_axis("kind").reset_index(name="n")
        e.insert(0, "what", "links")
        return pd.concat([n, e], ignore_index=True)

    def _repr_html_(self) -> str:
        s = self.summary()
        by = lambda what: ", ".join(f"{k} {n}" for k, n in zip(s.loc[s.what == what, "kind"], s.loc[s.what == what, "n"]))
        filt = {k: v for k, v in self.filters.items() if v not in (None, [], {}) and k != "skipped_shared"}
        return (f"<div><b>CaseGraph</b> — {len(self.nodes)} entities, {len(self.edges)} links"
                f"<br><small>{html.escape(self.marking.banner)}</small>"
                f"<br>Entities: {html.escape(by('entities'))}<br>Links: {html.escape(by('links'))}"
                + (f"<br>Filters: {html.escape(str(filt))}" if filt else "") + "</div>")


# ---------------------------------------------------------------------------------------------
# Aggregation helpers
# ---------------------------------------------------------------------------------------------
def _grading_key(code: Any) -> float:
    if not isinstance(code, str) or len(code) != 2:
        return -1.0
    try:
        return grading_score(code) - ("ABCDEF".index(code[0]) * 1e-3 + "123456".index(code[1]) * 1e-4)
    except (KeyError, ValueError):
        return -1.0


def _factorize(groups: Any) -> tuple[np.ndarray, pd.Index]:
    arr = np.asarray(groups)
    if arr.dtype.kind in "iu":
        uniques, codes = np.unique(arr, return_inverse=True)
        return codes.reshape(-1).astype(np.int64), pd.Index(uniques)
    codes, uniques = pd.factorize(np.asarray(groups, dtype=object), sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def _first_per_group(codes: np.ndarray, n_groups: int, key: np.ndarray) -> np.ndarray:
    """Row index, per group, of the row with the highest ``key`` (first such row on ties)."""
    order = np.lexsort((np.arange(len(codes)), -key, codes))
    starts = np.searchsorted(codes[order], np.arange(n_groups))
    return order[starts]


def _best_grading(codes: pd.Series, groups: pd.Series | np.ndarray) -> pd.Series:
    gc, gu = _factorize(groups)
    values = np.asarray(codes, dtype=object)
    cache: dict[Any, float] = {}
    key = np.fromiter((cache[c] if c in cache else cache.setdefault(c, _grading_key(c)) for c in values),
                      float, len(values))
    first = _first_per_group(gc, len(gu), key)
    best = [values[i] if key[i] >= 0 else None for i in first]
    return pd.Series(best, index=gu, dtype=object)


def _group_strictest(handling: pd.Series, groups: Any) -> pd.Series:
    gc, gu = _factorize(groups)
    values = np.asarray(pd.Series(handling).fillna("TLP:CLEAR"), dtype=object)
    # highest rank; codes of equal rank by name (as _strictest), so the choice never depends on row order
    names = sorted(pd.unique(values))
    rank = {c: handling_rank(c) * 10_000 + (len(names) - i) for i, c in enumerate(names)}
    key = np.fromiter((rank[c] for c in values), float, len(values))
    first = _first_per_group(gc, len(gu), key)
    return pd.Series(values[first], index=gu, dtype=object)


def _group_release(rels: Sequence[frozenset[str] | None], groups: Any) -> pd.Series:
    gc, gu = _factorize(groups)
    ids: dict[Any, int] = {}
    table: list[frozenset[str] | None] = []
    rc = np.empty(len(gc), dtype=np.int64)
    for i, r in enumerate(rels):
        j = ids.get(r)
        if j is None:
            j = ids[r] = len(table)
            table.append(r)
        rc[i] = j
    k = max(len(table), 1)
    pairs = np.unique(gc * k + rc)
    out: list[Any] = [None] * len(gu)
    sets: dict[int, list[frozenset[str] | None]] = {}
    for code in pairs.tolist():
        sets.setdefault(code // k, []).append(table[code % k])
    for g, members in sets.items():
        out[g] = _as_tuple(members[0] if len(members) == 1 else _intersect(members))
    return pd.Series(out, index=gu, dtype=object)


def _display_labels(ents: pd.DataFrame) -> pd.Series:
    """Resolved id -> the label that stands for its records: the one most like all the others.

    Each distinct label scores the similarity (rapidfuzz token-sort ratio on transliterated,
    lower-case text) to every record's label, itself included: a typing error ("Cosntantin")
    or a bare given name ("Ivan") scores below the spelling the records share. Ties go to
    Latin script (Latin letters, accented ones included), then more name parts, then alphabetical
    order.

    >>> ents = pd.DataFrame({"resolved": ["N1"] * 4, "label": ["Cosntantin Popescu", "Constantin Popescu",
    ...                                                        "Konstantin Popescu", "Constantin"]})
    >>> _display_labels(ents).to_dict()
    {'N1': 'Constantin Popescu'}
    """
    have = ents[ents["label"].notna() & (ents["label"] != "")]
    return _display_from_counts(have.groupby(["resolved", "label"]).size().reset_index(name="n"))


def _display_from_counts(counts: pd.DataFrame) -> pd.Series:
    """:func:`_display_labels` from ``resolved, label, n`` (records per distinct non-empty label)."""
    from anyascii import anyascii
    from rapidfuzz import fuzz, process

    single = counts.groupby("resolved")["label"].transform("size") == 1
    out = dict(zip(counts.loc[single, "resolved"], counts.loc[single, "label"]))
    for rid, grp in counts[~single].groupby("resolved", sort=False):
        labels = grp["label"].astype(str).tolist()
        folded = [anyascii(x).lower() for x in labels]
        sim = process.cdist(folded, folded, scorer=fuzz.token_sort_ratio)
        score = sim @ grp["n"].to_numpy(dtype=float)
        out[rid] = min(zip(labels, score), key=lambda t: (max(map(ord, t[0])) >= 0x250, -round(float(t[1]), 6),
                                                          -min(len(t[0].split()), 3), t[0]))[0]
    return pd.Series(out, dtype=object).rename_axis("resolved").rename("label")


def _list_of_unique(values: pd.Series, groups: Any) -> pd.Series:
    """Per group, the sorted distinct non-null values (an empty list for none)."""
    gc, gu = _factorize(groups)
    v = np.asarray(values, dtype=object)
    mask = pd.notna(v) if len(v) else np.zeros(0, bool)
    frame = pd.DataFrame({"g": gc[mask], "v": v[mask]}).drop_duplicates()
    g_arr, v_arr = frame["g"].to_numpy(np.int64), frame["v"].to_numpy(object)
    order = np.lexsort((v_arr.astype(str), g_arr))
    g_arr, v_arr = g_arr[order], v_arr[order]
    bounds = np.searchsorted(g_arr, np.arange(len(gu) + 1))
    return pd.Series([v_arr[bounds[i]:bounds[i + 1]].tolist() for i in range(len(gu))], index=gu, dtype=object)


def _lists_of(values: Sequence[Any], groups: Any) -> pd.Series:
    """Per group, its values in row order (no deduplication; values may be unhashable)."""
    gc, gu = _factorize(groups)
    v = np.empty(len(gc), dtype=object)
    v[:] = list(values)
    order = np.argsort(gc, kind="stable")
    g_arr, v_arr = gc[order], v[order]
    bounds = np.searchsorted(g_arr, np.arange(len(gu) + 1))
    return pd.Series([v_arr[bounds[i]:bounds[i + 1]].tolist() for i in range(len(gu))], index=gu, dtype=object)


def _aggregate_edges(e: pd.DataFrame) -> pd.DataFrame:
    """Link records (one row each; columns as the workspace's plus ``_rel``) -> edge rows."""
    if e.empty:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in EDGE_COLUMNS})
        out["directed"] = out["directed"].astype(bool)
        for c in ("count", "n_records"):
            out[c] = out[c].astype(np.int64)
        for c in ("weight", "amount"):
            out[c] = out[c].astype(float)
        for c in ("first_seen", "last_seen"):
            out[c] = pd.to_datetime(out[c])
        return out
    e = e.reset_index(drop=True)
    src, tgt = e["source"].to_numpy(object), e["target"].to_numpy(object)
    und = ~e["directed"].to_numpy(bool)
    swap = und & (src > tgt)
    e["source"] = np.where(swap, tgt, src)
    e["target"] = np.where(swap, src, tgt)
    key = e["source"].astype(str) + "\x1f" + e["target"].astype(str) + "\x1f" + e["kind"].astype(str)
    codes, uniques = pd.factorize(key, sort=True)
    e["_g"] = codes
    grouped = e.groupby("_g", sort=True)
    amount = pd.to_numeric(e["amount"], errors="coerce")
    out = pd.DataFrame({
        "source": grouped["source"].first(),
        "target": grouped["target"].first(),
        "kind": grouped["kind"].first(),
        "directed": grouped["directed"].any(),
        "count": pd.to_numeric(e["count"], errors="coerce").fillna(1).groupby(e["_g"]).sum().astype(np.int64),
        "weight": pd.to_numeric(e["weight"], errors="coerce").fillna(1.0).groupby(e["_g"]).sum().astype(float),
        "amount": amount.groupby(e["_g"]).sum(min_count=1),
        "currency": _list_of_unique(e["currency"], e["_g"]).map(lambda v: ",".join(sorted(set(",".join(v).split(","))))),
        "first_seen": pd.to_datetime(e["first_seen"]).groupby(e["_g"]).min(),
        "last_seen": pd.to_datetime(e["last_seen"]).groupby(e["_g"]).max(),
        "agencies": _list_of_unique(e["agency"], e["_g"]),
        "n_records": grouped.size().astype(np.int64),
        "grading": _best_grading(e["grading"], e["_g"]),
        "handling": _group_strictest(e["handling"], e["_g"]),
        "releasable_to": _group_release(e["_rel"].tolist(), e["_g"]),
        "link_ids": _list_of_unique(e["link_id"], e["_g"]),
    })
    out["agencies"] = [a if isinstance(a, list) else [] for a in out["agencies"]]
    out["link_ids"] = [a if isinstance(a, list) else [] for a in out["link_ids"]]
    out["currency"] = [c if isinstance(c, str) and c else None for c in out["currency"]]
    return out.sort_values(["source", "target", "kind"], kind="stable").reset_index(drop=True)[EDGE_COLUMNS]


def _mapped_ties(rows: np.ndarray, src: np.ndarray, tgt: np.ndarray, s_person: np.ndarray, t_person: np.ndarray,
                 kinds: dict[str, str], via: set[str] | None, skipped: set[str], strongest: pd.DataFrame):
    """The person ties of links between entities persons use (or persons themselves): per link
    ``rows[i]``, every person behind its source end with every other person behind its target end.

    Returns ``(link row, source person, target person, attaching row at the source, at the
    target)`` arrays (-1 where that end is the person itself), ordered by link row, then the
    source end's persons, then the target end's, by id; None when there are none.
    """
    if not len(rows):
        return None
    users = strongest[~strongest["entity"].isin(skipped)][["entity", "person", "row"]]

    def behind(ends: np.ndarray, is_person: np.ndarray) -> tuple[pd.DataFrame, set[int]]:
        """Each link's persons at this end, and the links whose end is of a kind outside ``via``."""
        end_ok = np.ones(len(ends), bool) if via is None else \
            is_person | np.fromiter((kinds.get(x) in via for x in ends), bool, len(ends))
        themselves = pd.DataFrame({"r": rows[is_person], "p": ends[is_person], "ar": -1})
        hubs = pd.DataFrame({"r": rows[~is_person], "entity": ends[~is_person]})
        through = hubs.merge(users, on="entity")[["r", "person", "row"]].rename(columns={"person": "p", "row": "ar"})
        out = pd.concat([themselves, through], ignore_index=True)
        return out, set(rows[~end_ok].tolist())

    a, bad_a = behind(src[rows], s_person[rows])
    b, bad_b = behind(tgt[rows], t_person[rows])
    pairs = a.merge(b, on="r", suffixes=("_a", "_b"))
    keep = pairs["p_a"].to_numpy(object) != pairs["p_b"].to_numpy(object)
    bad = bad_a | bad_b
    if bad:
        keep &= ~pairs["r"].isin(bad).to_numpy()
    pairs = pairs[keep]
    if not len(pairs):
        return None
    pairs = pairs.sort_values(["r", "p_a", "p_b"], kind="stable")
    return (pairs["r"].to_numpy(np.int64), pairs["p_a"].to_numpy(object), pairs["p_b"].to_numpy(object),
            pairs["ar_a"].to_numpy(np.int64), pairs["ar_b"].to_numpy(np.int64))


def _person_edges(ties: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """Person ties (one row per chain of evidence) -> edge rows with the evidence merged.

    A tie's ``grading`` is the best, over its chains, of the weakest link in each chain (a tie
    through a phone is no better than the record saying who uses the phone); its handling and
    releasability cover every link of every chain.
    """
    a = ties["row_a"].to_numpy(int)
    key = ties["source"].astype(str) + "\x1f" + ties["target"].astype(str) + "\x1f" + ties["kind"].astype(str)
    codes, _ = pd.factorize(key, sort=True)
    ties = ties.assign(_g=codes)
    g = ties.groupby("_g", sort=True)
    ev = pd.DataFrame({"_g": codes, "row": ties["evidence"].to_numpy(object)}).explode("row")
    ev["row"] = ev["row"].astype(np.int64)
    ev = ev.drop_duplicates()
    rows = base.iloc[ev["row"].to_numpy(int)]
    evg = ev["_g"].to_numpy()
    expl_ag = pd.DataFrame({"_g": evg, "a": rows["agencies"].to_numpy(object)}).explode("a")
    expl_li = pd.DataFrame({"_g": evg, "l": rows["link_ids"].to_numpy(object)}).explode("l")
    expl_via = pd.DataFrame({"_g": codes, "v": ties["via"].to_numpy(object)}).explode("v")
    rel = [None if ANYONE in tuple(r) else frozenset(r) for r in rows["releasable_to"]]
    base_grading = base["grading"].to_numpy(object)
    chain_grading = [max((base_grading[r] for r in chain), key=_weakness) for chain in ties["evidence"]]
    main = base.iloc[a]
    out = pd.DataFrame({
        "source": g["source"].first(), "target": g["target"].first(), "kind": g["kind"].first(),
        "directed": g["directed"].all(),
        "count": g.size().astype(np.int64),
        "weight": g["weight"].sum().astype(float),
        "amount": pd.Series(main["amount"].to_numpy(float), index=codes).groupby(level=0).sum(min_count=1),
        "currency": pd.Series(main["currency"].to_numpy(object), index=codes).groupby(level=0).first(),
        "first_seen": pd.Series(pd.to_datetime(rows["first_seen"]).to_numpy(), index=evg).groupby(level=0).min(),
        "last_seen": pd.Series(pd.to_datetime(rows["last_seen"]).to_numpy(), index=evg).groupby(level=0).max(),
        "agencies": _list_of_unique(expl_ag["a"], expl_ag["_g"]),
        "n_records": pd.Series(rows["n_records"].to_numpy(int), index=evg).groupby(level=0).sum().astype(np.int64),
        "grading": _best_grading(pd.Series(chain_grading, dtype=object), codes),
        "handling": _group_strictest(rows["handling"].reset_index(drop=True), evg),
        "releasable_to": _group_release(rel, evg),
        "link_ids": _list_of_unique(expl_li["l"], expl_li["_g"]),
        "via": _list_of_unique(expl_via["v"], expl_via["_g"]),
    })
    # "count" of a mapped tie is the events behind it, of a shared tie the entities shared
    mapped = pd.Series(main["count"].to_numpy(), index=codes)
    mapped = mapped[~pd.Series(ties["kind"].astype(str).str.startswith("shared_").to_numpy(), index=codes)]
    mapped_counts = mapped.groupby(level=0).sum()
    out.loc[mapped_counts.index, "count"] = mapped_counts.astype(np.int64)
    out["agencies"] = [x if isinstance(x, list) else [] for x in out["agencies"]]
    out["link_ids"] = [x if isinstance(x, list) else [] for x in out["link_ids"]]
    out["via"] = [x if isinstance(x, list) else [] for x in out["via"]]
    return out.sort_values(["source", "target", "kind"], kind="stable").reset_index(drop=True)[EDGE_COLUMNS + ["via"]]


def _weakness(code: Any) -> float:
    """Higher for a weaker grading (an unknown grading is the weakest)."""
    return -_grading_key(code)


# ---------------------------------------------------------------------------------------------
# From the workspace
# ---------------------------------------------------------------------------------------------
def _timestamp(value: Any, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise NetintelError(f"{name}={value!r} is not a date; give it as 2026-03-01 or a datetime") from exc
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def _is_day(value: Any) -> bool:
    if isinstance(value, datetime):
        return False
    if isinstance(value, date):
        return True
    return isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value) is not None


def _agency_mask(df: pd.DataFrame, agencies: Iterable[str]) -> pd.Series:
    wanted = {str(a).strip().lower() for a in agencies}
    return df["agency"].fillna("").str.strip().str.lower().isin(wanted) | \
        df["country"].fillna("").str.strip().str.lower().isin(wanted)


def build_graph(
    ws: "Workspace",
    *,
    since: str | date | datetime | None = None,
    until: str | date | datetime | None = None,
    link_kinds: Iterable[str] | None = None,
    agencies: Iterable[str] | None = None,
    min_grading: str | None = None,
    recipient: str | None = None,
    resolved: bool = True,
) -> CaseGraph:
    """The case graph of a workspace: resolved entities and their links, with provenance.

    Parameters
    ----------
    ws : Workspace
        The case workspace.
    since, until : date-like, optional
        Keep links whose activity overlaps ``[since, until]`` (both inclusive; a day given as
        ``until`` includes the whole day). Links made of
        events are recounted from their events inside the window; a link with no dates is a
        standing relation and is kept.
    link_kinds : iterable of str, optional
        Only these link kinds.
    agencies : iterable of str, optional
        Only records of these agencies (names as in provenance, or ISO2 country codes).
    min_grading : str, optional
        Only links graded at least this well (``"B2"``: A/B reliability and 1/2 credibility).
    recipient : str, optional
        ISO2 code: the graph is built from the workspace restricted to what this country may
        receive, resolved again from those records only
        (:func:`netintel.releasability.restricted_workspace`): restrict first, then compute.
    resolved : bool
        Merge records into resolved entities (``ws.resolved_ids()``); False keeps every record as
        its own entity.

    Returns
    -------
    CaseGraph

    Raises
    ------
    NetintelError
        A date that does not parse, or an unknown link kind or grading code.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from netintel.workspace import Workspace
    >>> from netintel.ingest._common import BatchBuilder, Provenance
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "links.csv"; _ = f.write_text("x")
    >>> b = BatchBuilder(f, format="table", provenance=Provenance("Politie", "NL", grading="B2", handling="TLP:AMBER"))
    >>> p, q = (b.entity("person", i, {"name": i}, locator="row 1") for i in ("Ana", "Bo"))
    >>> _ = b.link("associate_of", p, q, locator="row 1")
    >>> ws = Workspace(); _ = ws.write_import(b.finish())
    >>> g = build_graph(ws)
    >>> sorted(g.nodes["label"]), g.edges["kind"].tolist(), g.marking.handling
    (['Ana', 'Bo'], ['associate_of'], 'TLP:AMBER')
    >>> len(build_graph(ws, min_grading="A1").edges)
    0
    """
    model = default_model()
    since_ts, until_ts = _timestamp(since, "since"), _timestamp(until, "until")
    if until_ts is not None and _is_day(until):
        # "until 2026-02-28" means to the end of that day
        until_ts = until_ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    if since_ts is not None and until_ts is not None and since_ts > until_ts:
        raise NetintelError(f"since={since} is after until={until}; swap them")
    kinds = None
    if link_kinds is not None:
        try:
            kinds = [model.check_link_kind(k) for k in link_kinds]
        except Exception as exc:
            raise NetintelError(str(exc)) from exc
    if min_grading is not None:
        min_grading = str(min_grading).strip().upper()
        if not re.fullmatch(r"[A-F][1-6]", min_grading):
            raise NetintelError(f"min_grading={min_grading!r} is not an Admiralty code; give one such as 'B2'")

    if recipient is not None:
        from .releasability import view_for_recipient

        ws = view_for_recipient(ws, recipient)
    ents = ws.entities()
    links = ws.links(kinds)
    partners = frozenset(ws.partners())
    if agencies is not None:
        agencies = list(agencies)
        ents = ents[_agency_mask(ents, agencies)]
        links = links[_agency_mask(links, agencies)]
    if recipient is not None:
        recipient = str(recipient).strip().upper()
        if len(ents):
            ents = ents[ws.releasable_mask(ents, recipient)]
        if len(links):
            links = links[ws.releasable_mask(links, recipient)]
    if min_grading is not None and len(links):
        links = links[[isinstance(c, str) and at_least(c, min_grading) for c in links["grading"]]]
    if (since_ts is not None or until_ts is not None) and len(links):
        links = _window(ws, links, since_ts, until_ts)
    ents = ents.reset_index(drop=True)
    links = links.reset_index(drop=True)

    # Resolution: record id -> resolved id
    mapping: dict[str, str] = {}
    if resolved:
        rid = ws.resolved_ids()
        mapping = dict(zip(rid["entity_id"], rid["resolved_id"]))
    ents["resolved"] = [mapping.get(x, x) for x in ents["entity_id"]]
    present = set(ents["entity_id"])
    links = links[links["source"].isin(present) & links["target"].isin(present)].copy()
    links["source"] = [mapping.get(x, x) for x in links["source"]]
    links["target"] = [mapping.get(x, x) for x in links["target"]]
    n_self = int((links["source"] == links["target"]).sum())
    links = links[links["source"] != links["target"]]

    nodes = _aggregate_nodes(ents, partners)
    cache: dict[tuple[Any, ...], frozenset[str] | None] = {}

    def rel_of(h: str, r: Any, o: str) -> frozenset[str] | None:
        k = (h, tuple(r) if r is not None and not isinstance(r, str) else r, o)
        if k not in cache:
            cache[k] = _release_set(h, r, o, partners)
        return cache[k]

    links["_rel"] = [rel_of(h, r, o) for h, r, o in zip(links["handling"], links["releasable_to"], links["country"])]
    links["directed"] = [bool(d) if d is not None and d == d else model.links.get(k, None) is not None
                         and model.links[k].directed for d, k in zip(links["directed"], links["kind"])]
    edges = _aggregate_edges(links)
    marking = combine_markings(list(zip(nodes["handling"], nodes["releasable_to"])) +
                               list(zip(edges["handling"], edges["releasable_to"])))
    # restrictions (H1's "not for court") are never outranked: from every row, not the strictest code
    used = set(ents["handling"].dropna()) | set(links["handling"].dropna())
    marking = Marking(marking.handling, marking.releasable_to,
                      tuple(sorted({r for h in used for r in restrictions_of(h)})))
    filters = {"since": since_ts, "until": until_ts, "link_kinds": kinds, "agencies": agencies,
               "min_grading": min_grading, "recipient": recipient, "resolved": resolved,
               "self_links_dropped": n_self}
    return CaseGraph(nodes, edges, marking, filters)


def _window(ws: "Workspace", links: pd.DataFrame, since: pd.Timestamp | None,
            until: pd.Timestamp | None) -> pd.DataFrame:
    """Links overlapping the window; event links recounted from their events inside it."""
    first = pd.to_datetime(links["first_seen"])
    last = pd.to_datetime(links["last_seen"]).fillna(first)
    keep = pd.Series(True, index=links.index)
    if since is not None:
        keep &= last.isna() | (last >= since)
    if until is not None:
        keep &= first.isna() | (first <= until)
    links = links[keep].copy()
    where, params = ["(retain_until IS NULL OR retain_until >= current_date)"], []
    if since is not None:
        where.append("time >= ?")
        params.append(since.to_pydatetime())
    if until is not None:
        where.append("time <= ?")
        params.append(until.to_pydatetime())
    inside = ws.sql(
        "SELECT link_id, count(*) AS n, min(time) AS first, max(time) AS last, sum(amount) AS amount "
        f"FROM events WHERE link_id IS NOT NULL AND {' AND '.join(where)} GROUP BY link_id", params)
    with_events = set(ws.sql("SELECT DISTINCT link_id FROM events WHERE link_id IS NOT NULL")["link_id"])
    has = links["link_id"].isin(with_events)
    counted = links[has].merge(inside, on="link_id", how="inner")
    counted["count"] = counted["n"].astype(np.int64)
    counted["weight"] = counted["n"].astype(float)
    counted["first_seen"] = counted["first"]
    counted["last_seen"] = counted["last"]
    counted["amount"] = counted["amount_y"]
    counted = counted.drop(columns=["n", "first", "last", "amount_x", "amount_y"])
    return pd.concat([links[~has], counted[links.columns]], ignore_index=True)


def _aggregate_nodes(ents: pd.DataFrame, partners: frozenset[str]) -> pd.DataFrame:
    if ents.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in NODE_COLUMNS}).assign(
            n_records=pd.Series(dtype=np.int64))
    g = ents["resolved"].to_numpy(object)
    grouped = ents.groupby("resolved", sort=True)
    # kind: the most reported kind of the entity (ties: alphabetical)
    kind = (ents.groupby(["resolved", "kind"]).size().reset_index(name="n")
            .sort_values(["resolved", "n", "kind"], ascending=[True, False, True]).drop_duplicates("resolved")
            .set_index("resolved")["kind"])
    label = _display_labels(ents)
    own = [_entity_countries(k, p) for k, p in zip(ents["kind"], ents["properties"])]
    own_frame = pd.DataFrame({"g": g, "c": own}).explode("c").dropna()
    primary = (own_frame.groupby(["g", "c"]).size().reset_index(name="n")
               .sort_values(["g", "n", "c"], ascending=[True, False, True]).drop_duplicates("g").set_index("g")["c"])
    reporter = (ents.groupby(["resolved", "country"]).size().reset_index(name="n")
                .sort_values(["resolved", "n", "country"], ascending=[True, False, True])
                .drop_duplicates("resolved").set_index("resolved")["country"])
    all_c = pd.concat([own_frame.rename(columns={"c": "v"}),
                       pd.DataFrame({"g": g, "v": ents["country"].to_numpy(object)})]).dropna().drop_duplicates()
    countries = _list_of_unique(all_c["v"], all_c["g"])
    cache: dict[tuple[Any, ...], frozenset[str] | None] = {}
    rels = []
    for h, r, o in zip(ents["handling"], ents["releasable_to"], ents["country"]):
        k = (h, tuple(r) if r is not None and not isinstance(r, str) else r, o)
        if k not in cache:
            cache[k] = _release_set(h, r, o, partners)
        rels.append(cache[k])
    out = pd.DataFrame({
        "kind": kind,
        "label": label,
        "country": primary.reindex(kind.index).fillna(reporter),
        "countries": countries,
        "agencies": _list_of_unique(ents["agency"], g),
        "n_records": grouped.size().astype(np.int64),
        "record_ids": _list_of_unique(ents["entity_id"], g),
        "grading": _best_grading(ents["grading"], g),
        "handling": _group_strictest(ents["handling"], g),
        "releasable_to": _group_release(rels, g),
        "properties": _lists_of(ents["properties"].tolist(), g).map(_merge_props),
    })
    out.index.name = "id"
    out = out.reset_index()
    out["label"] = [lab if isinstance(lab, str) and lab else i for lab, i in zip(out["label"], out["id"])]
    for col in ("countries", "agencies", "record_ids"):
        out[col] = [x if isinstance(x, list) else [] for x in out[col]]
    return out[NODE_COLUMNS]


# ---------------------------------------------------------------------------------------------
# The integer-coded compute graph, built in DuckDB
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ComputeGraph:
    """A workspace's graph as integer node codes and edge arrays, for the engines.

    Built by :func:`compute_graph` in the workspace's DuckDB (GROUP BY for the sums); nothing per
    link is a Python object. Provenance, markings and labels stay in the workspace's tables and
    are fetched by code for the rows a result shows (:meth:`node_table`).

    Attributes
    ----------
    ids : ndarray of str
        Resolved id of each node code (sorted, as :attr:`CaseGraph.ids`).
    kinds : ndarray of str
        Each node's kind (the most reported kind of its records).
    source, target, weight : ndarray (int32, int32, float64)
        The entity graph collapsed to undirected pairs (``source < target``), tie strengths summed
        over every link record between them, as :meth:`CaseGraph.collapsed`.
    person_source, person_target, person_weight : ndarray
        The person view (:meth:`CaseGraph.person_view`) collapsed the same way; codes index
        :attr:`ids`.
    marking : Marking
        Strictest handling and intersected releasability of every record the graph was built from.
    """

    ids: np.ndarray
    kinds: np.ndarray
    source: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    person_source: np.ndarray
    person_target: np.ndarray
    person_weight: np.ndarray
    marking: Marking
    _ws: Any = field(repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"<ComputeGraph {len(self.ids)} entities, {len(self.source)} linked pairs; {self.marking.banner}>"

    @property
    def nbytes(self) -> int:
        """Bytes held per node and per link (the arrays, and the id and kind strings)."""
        import sys

        arrays = (self.source, self.target, self.weight, self.person_source, self.person_target, self.person_weight,
                  self.ids, self.kinds)
        strings = sum(sys.getsizeof(x) for x in set(self.ids.tolist()) | set(self.kinds.tolist()))
        return int(sum(a.nbytes for a in arrays) + strings)

    def node_table(self, codes: np.ndarray | None = None) -> pd.DataFrame:
        """``id, kind, label, countries`` of the nodes with these codes (all when None), from the workspace.

        ``label`` and ``countries`` are those of :attr:`CaseGraph.nodes` for the same entities.
        """
        codes = np.arange(len(self.ids)) if codes is None else np.asarray(codes, dtype=np.int64)
        # grouped in DuckDB, one row per node; Python sees only the nodes whose records disagree on
        # the label and the records whose properties can name a country
        wanted = pd.DataFrame({"rid": self.ids[codes], "pos": np.arange(len(codes), dtype=np.int64)})
        con = self._ws.con
        con.register("_cg_wanted", wanted)
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _cg_ents AS SELECT w.pos, e.kind, e.label, e.country, e.properties "
                f"FROM entities e JOIN ({_rid_sql(self._ws)}) m USING (entity_id) JOIN _cg_wanted w ON w.rid = m.rid "
                f"WHERE {_ACTIVE}")
        finally:
            con.unregister("_cg_wanted")
        try:
            con.execute("""
                CREATE OR REPLACE TEMP TABLE _cg_labels AS
                SELECT pos, label, count(*) AS n FROM _cg_ents WHERE label IS NOT NULL AND label <> ''
                GROUP BY pos, label""")
            per_node = con.sql(f"""
                SELECT w.pos, l.label, coalesce(l.n_labels, 0) AS n_labels, c.countries
                FROM range({int(len(codes))}) w(pos)
                LEFT JOIN (SELECT pos, any_value(label) AS label, count(*) AS n_labels FROM _cg_labels GROUP BY pos) l
                       USING (pos)
                LEFT JOIN (SELECT pos, list_sort(list(DISTINCT country) FILTER (country IS NOT NULL)) AS countries
                           FROM _cg_ents GROUP BY pos) c USING (pos)
                ORDER BY w.pos""").to_arrow_table()
            several = con.execute("SELECT l.pos AS resolved, l.label, l.n FROM _cg_labels l JOIN (SELECT pos FROM "
                                  "_cg_labels GROUP BY pos HAVING count(*) > 1) USING (pos)").df()
            pattern = "|".join(_COUNTRY_PROPS)
            maybe = con.execute(f"SELECT pos, kind, properties FROM _cg_ents WHERE kind IN ('phone', 'bank_account') "
                                f"OR regexp_matches(coalesce(properties::VARCHAR, ''), '{pattern}')").df()
        finally:
            con.execute("DROP TABLE IF EXISTS _cg_ents")
            con.execute("DROP TABLE IF EXISTS _cg_labels")
        label = per_node.column("label").to_numpy(zero_copy_only=False).astype(object)
        label[per_node.column("n_labels").to_numpy() != 1] = None
        if len(several):
            chosen = _display_from_counts(several)
            label[chosen.index.to_numpy(dtype=np.int64)] = chosen.to_numpy(object)
        ids = wanted["rid"].to_numpy(object)
        missing = pd.isna(label)
        label[missing] = ids[missing]
        countries = [c or [] for c in per_node.column("countries").to_pylist()]
        if len(maybe):
            # a node's own countries where its properties can name one (most records: none)
            import json

            own: dict[int, set[str]] = {}
            for pos, kind, props in zip(maybe["pos"].tolist(), maybe["kind"].tolist(), maybe["properties"].tolist()):
                found = _entity_countries(kind, json.loads(props) if isinstance(props, str) else (props or {}))
                if found:
                    own.setdefault(pos, set()).update(c for c in found if c is not None and c == c)
            for pos, found in own.items():
                countries[pos] = sorted(set(countries[pos]) | found, key=str)
        return pd.DataFrame({"id": ids, "kind": self.kinds[codes], "label": label, "countries": countries})


_ACTIVE = "(e.retain_until IS NULL OR e.retain_until >= current_date)"


def _rid_sql(ws: "Workspace") -> str:
    """Active record id -> resolved id (each record its own entity without a resolution run), as build_graph."""
    if ws.has_table("resolution"):
        return ("SELECT DISTINCT e.entity_id, coalesce(r.resolved_id, e.entity_id) AS rid FROM entities e "
                f"LEFT JOIN resolution r USING (entity_id) WHERE {_ACTIVE}")
    return f"SELECT DISTINCT e.entity_id, e.entity_id AS rid FROM entities e WHERE {_ACTIVE}"


def compute_graph(ws: "Workspace", *, weighted: bool = True, max_shared: int = 50) -> ComputeGraph:
    """The integer-coded compute graph of a workspace: resolved entities, links summed in DuckDB.

    The same graph as ``build_graph(ws)`` collapsed (and its person view), without the
    per-link provenance: that stays in the workspace's tables.

    Parameters
    ----------
    ws : Workspace
    weighted : bool
        Sum tie strengths; otherwise every linked pair weighs 1.
    max_shared : int
        As :meth:`CaseGraph.person_view`: an entity shared by more persons ties nobody.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from netintel.workspace import Workspace
    >>> from netintel.ingest._common import BatchBuilder, Provenance
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "links.csv"; _ = f.write_text("x")
    >>> b = BatchBuilder(f, format="table", provenance=Provenance("Politie", "NL", handling="TLP:AMBER"))
    >>> p, q, r = (b.entity("person", i, {"name": i}, locator="row 1") for i in ("Ana", "Bo", "Cy"))
    >>> ph = b.entity("phone", "+31612345678", {"number": "+31612345678"}, locator="row 2")
    >>> _ = b.link("associate_of", p, q, locator="row 1"); _ = b.link("uses", q, ph, locator="row 2")
    >>> _ = b.link("uses", r, ph, locator="row 3")
    >>> ws = Workspace(); _ = ws.write_import(b.finish())
    >>> cg = compute_graph(ws)
    >>> len(cg), len(cg.source), len(cg.person_source), cg.marking.handling
    (4, 3, 2, 'TLP:AMBER')
    """
    model = default_model()
    con = ws.con
    directed = ", ".join(f"('{k}', {bool(lk.directed)})" for k, lk in model.links.items()) or "(NULL, NULL)"
    projection = [k for k, lk in model.links.items() if lk.person_projection]
    tables = ["_cg_rid", "_cg_node", "_cg_code", "_cg_pass", "_cg_att", "_cg_ties"]
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _cg_rid AS {_rid_sql(ws)}")
        # node codes in id order; kind: the most reported kind of the records (ties alphabetical)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _cg_node AS
            SELECT (row_number() OVER (ORDER BY rid) - 1)::INTEGER AS code, rid, kind, kind = 'person' AS person
            FROM (SELECT m.rid, e.kind, row_number() OVER (PARTITION BY m.rid ORDER BY count(*) DESC, e.kind) AS k
                  FROM entities e JOIN _cg_rid m USING (entity_id) WHERE {_ACTIVE} GROUP BY m.rid, e.kind)
            WHERE k = 1""")
        # record id -> node code (a link's ends join once each, on the record id)
        con.execute("CREATE OR REPLACE TEMP TABLE _cg_code AS SELECT m.entity_id, n.code FROM _cg_rid m "
                    "JOIN _cg_node n USING (rid)")
        # edges as CaseGraph.edges: per (source, target, kind), undirected kinds with source < target;
        # in the same pass over the links, the distinct markings of the links used (the second set)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _cg_pass AS
            WITH d(kind, dflt) AS (VALUES {directed}),
            l AS (SELECT ns.code AS s, nt.code AS t, e.kind, coalesce(e.directed, d.dflt, false) AS dir,
                         coalesce(e.weight, 1.0) AS w, e.handling, e.releasable_to, e.country
                  FROM links e JOIN _cg_code ns ON ns.entity_id = e.source JOIN _cg_code nt ON nt.entity_id = e.target
                  LEFT JOIN d ON d.kind = e.kind
                  WHERE {_ACTIVE} AND ns.code <> nt.code),
            o AS (SELECT CASE WHEN dir THEN s ELSE least(s, t) END AS s, CASE WHEN dir THEN t ELSE greatest(s, t) END AS t,
                         kind, w, handling, releasable_to, country FROM l)
            SELECT s, t, kind, sum(w) AS w, handling, releasable_to, country, GROUPING(s) = 1 AS marking
            FROM o GROUP BY GROUPING SETS ((s, t, kind), (handling, releasable_to, country))""")
        con.execute("CREATE OR REPLACE TEMP VIEW _cg_edge AS SELECT s, t, kind, w FROM _cg_pass WHERE NOT marking")
        one = "1.0" if not weighted else "sum(w)"
        full = con.execute(f"SELECT least(s, t) AS s, greatest(s, t) AS t, {one} AS w FROM _cg_edge "
                           "GROUP BY ALL ORDER BY s, t").fetchnumpy()
        # person view: persons -> what they use/own/live at (strongest link per pair), shared
        # entities (an entity shared by more than max_shared persons ties nobody), and every other
        # link mapped onto the persons behind its ends
        con.execute("""CREATE OR REPLACE TEMP TABLE _cg_att AS
            SELECT CASE WHEN ns.person THEN e.s ELSE e.t END AS person, CASE WHEN ns.person THEN e.t ELSE e.s END AS entity,
                   max(e.w) AS strength
            FROM _cg_edge e JOIN _cg_node ns ON ns.code = e.s JOIN _cg_node nt ON nt.code = e.t
            WHERE e.kind IN (SELECT unnest(?::VARCHAR[])) AND ns.person <> nt.person GROUP BY ALL""", [projection])
        con.execute("""CREATE OR REPLACE TEMP TABLE _cg_ties AS
            WITH ok AS (SELECT * FROM _cg_att WHERE entity IN (SELECT entity FROM _cg_att GROUP BY entity
                                                                 HAVING count(*) <= ?)),
            behind AS (SELECT code AS end_, code AS person FROM _cg_node WHERE person
                       UNION ALL SELECT entity, person FROM ok)
            SELECT a.person AS s, b.person AS t, least(a.strength, b.strength) AS w
            FROM ok a JOIN ok b ON a.entity = b.entity AND a.person < b.person
            UNION ALL
            SELECT bs.person, bt.person, e.w
            FROM _cg_edge e JOIN _cg_node ns ON ns.code = e.s JOIN _cg_node nt ON nt.code = e.t
            JOIN behind bs ON bs.end_ = e.s JOIN behind bt ON bt.end_ = e.t
            WHERE (e.kind NOT IN (SELECT unnest(?::VARCHAR[])) OR (ns.person AND nt.person)) AND bs.person <> bt.person
            """, [max_shared, projection])
        person = con.execute(f"SELECT least(s, t) AS s, greatest(s, t) AS t, {one} AS w FROM _cg_ties "
                             "GROUP BY ALL ORDER BY s, t").fetchnumpy()
        nodes = con.execute("SELECT rid, kind FROM _cg_node ORDER BY code").fetchnumpy()
        # the marking: from the distinct (handling, releasable_to, origin) of every record used
        combos = con.execute(f"""
            SELECT DISTINCT e.handling, e.releasable_to, e.country FROM entities e JOIN _cg_rid USING (entity_id)
            WHERE {_ACTIVE}
            UNION SELECT handling, releasable_to, country FROM _cg_pass WHERE marking""").fetchall()
    finally:
        con.execute("DROP VIEW IF EXISTS _cg_edge")
        for t in tables:
            con.execute(f"DROP TABLE IF EXISTS {t}")
    partners = frozenset(ws.partners())
    rows = [(h if isinstance(h, str) else "TLP:CLEAR", _as_tuple(_release_set(h or "TLP:CLEAR", r, o, partners)))
            for h, r, o in combos]
    marking = combine_markings(rows)
    marking = Marking(marking.handling, marking.releasable_to,
                      tuple(sorted({x for h, _, _ in combos if isinstance(h, str) for x in restrictions_of(h)})))
    ids = np.asarray(nodes["rid"], dtype=object)
    return ComputeGraph(
        ids=ids, kinds=np.asarray(nodes["kind"], dtype=object),
        source=np.asarray(full["s"], dtype=np.int32), target=np.asarray(full["t"], dtype=np.int32),
        weight=np.asarray(full["w"], dtype=np.float64),
        person_source=np.asarray(person["s"], dtype=np.int32), person_target=np.asarray(person["t"], dtype=np.int32),
        person_weight=np.asarray(person["w"], dtype=np.float64), marking=marking, _ws=ws)
