"""Markings that follow the analysis.

Every result derived from partners' records carries the strictest handling code and the
intersection of the releasability of the records it was computed from (:func:`netintel.handling.combine`),
and shows it: in its ``repr``, in its HTML in Jupyter, and as the banner of its charts. A result made
*for* a recipient country is recomputed from only what that country may receive
(:func:`view_for`), and :func:`assert_releasable` is the last check before anything leaves: it
raises :class:`~netintel.errors.ReleasabilityError` when a contributing record may not go to the
recipient.

Examples
--------
>>> import pandas as pd
>>> from netintel.handling import Marking
>>> m = Marked(pd.DataFrame({"country": ["NL", "DE"], "n": [3, 1]}), Marking("TLP:AMBER", ("DE", "NL")),
...            frozenset({"E1", "L2"}), title="Countries")
>>> print(repr(m).splitlines()[0])
Countries [TLP:AMBER — releasable to DE, NL] (2 records)
>>> m.allows("DE"), m.allows("FR")
(True, False)
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Generic, Iterable, TypeVar

import pandas as pd

from ..errors import ReleasabilityError
from ..handling import Marking, may_receive
from ._records import CaseRecords, load_records, marking_of_frames

__all__ = [
    "Marked", "MarkedResult", "marking_of", "view_for", "assert_releasable", "releasable_record_ids",
    "banner_html", "mark", "mark_graph_result", "community_markings", "ReleasabilityError",
]

T = TypeVar("T")

_BANNER_COLOURS = {"TLP:CLEAR": ("#FFFFFF", "#000"), "TLP:GREEN": ("#33FF00", "#000"),
                   "TLP:AMBER": ("#FFC000", "#000"), "TLP:AMBER+STRICT": ("#FFC000", "#000"),
                   "TLP:RED": ("#FF2B2B", "#000"), "H0": ("#DDDDDD", "#000"), "H1": ("#BBBBBB", "#000"),
                   "H2": ("#555555", "#FFF"), "H3": ("#000000", "#FFF")}


def banner_html(marking: Marking, recipient: str | None = None) -> str:
    """The marking as a coloured HTML banner (TLP colours)."""
    bg, fg = _BANNER_COLOURS.get(marking.handling, ("#FFC000", "#000"))
    who = f" · view for {html.escape(recipient)}" if recipient else ""
    return (f"<div style='background:{bg};color:{fg};font-weight:bold;padding:2px 8px;"
            f"border:1px solid #333;display:inline-block'>{html.escape(marking.banner)}{who}</div>")


class MarkedResult:
    """Mixin for result objects with ``marking``, ``record_ids`` and ``recipient`` attributes."""

    marking: Marking
    record_ids: frozenset[str]
    recipient: str | None

    def allows(self, recipient: str) -> bool:
        """Whether the result's marking lets it go to ``recipient``."""
        return self.marking.allows(recipient)

    @property
    def caveat(self) -> str:
        """The banner text for charts and documents."""
        who = f" · view for {self.recipient}" if self.recipient else ""
        return self.marking.banner + who

    def check_for(self, ws: Any, recipient: str) -> None:
        """Raise :class:`ReleasabilityError` unless everything this result used may go to ``recipient``."""
        if not self.marking.allows(recipient):
            raise ReleasabilityError(
                f"{type(self).__name__} is marked {self.marking.banner}; it may not go to {recipient.upper()}: "
                f"recompute it with recipient={recipient.upper()!r}")
        assert_releasable(ws, self.record_ids, recipient)


@dataclass(frozen=True)
class Marked(MarkedResult, Generic[T]):
    """Any derived value (table, figure, path, text) with the marking of what it was computed from.

    Attributes
    ----------
    value : the result itself (a DataFrame, a Figure, a list...)
    marking : strictest handling + intersected releasability of the contributing records
    record_ids : the entity, link and event record ids it was computed from
    recipient : the country it was computed for (None: the originators' view)
    title : what it is, for the repr
    """

    value: T
    marking: Marking
    record_ids: frozenset[str] = field(default_factory=frozenset)
    recipient: str | None = None
    title: str = ""

    def __repr__(self) -> str:
        head = f"{self.title or type(self.value).__name__} [{self.caveat}] ({len(self.record_ids)} records)"
        return f"{head}\n{self.value!r}"

    def _repr_html_(self) -> str:
        inner = getattr(self.value, "_repr_html_", None)
        body = inner() if callable(inner) else f"<pre>{html.escape(repr(self.value))}</pre>"
        title = f"<b>{html.escape(self.title)}</b><br>" if self.title else ""
        return f"{title}{banner_html(self.marking, self.recipient)}{body or ''}"


def marking_of(records: CaseRecords | pd.DataFrame, *, partners: Iterable[str] = ()) -> Marking:
    """The marking of a result computed from ``records`` (a :class:`CaseRecords` or a records frame)."""
    if isinstance(records, CaseRecords):
        return records.marking()
    return marking_of_frames(records, partners=partners)


def mark(value: T, records: CaseRecords, *, title: str = "") -> Marked[T]:
    """Wrap ``value`` with the marking and record ids of the records it was computed from."""
    return Marked(value, records.marking(), records.record_ids, records.recipient, title)


def view_for(ws: Any, recipient: str) -> CaseRecords:
    """The workspace as ``recipient`` may see it: only records releasable to it, resolved."""
    return load_records(ws, recipient=recipient)


def _record_rows(ws: Any, ids: list[str]) -> pd.DataFrame:
    frames = []
    for table, key in (("entities", "entity_id"), ("links", "link_id"), ("events", "event_id")):
        frames.append(ws.sql(
            f"SELECT {key} AS record_id, country, handling, releasable_to FROM {table} "
            f"WHERE {key} IN (SELECT unnest(?))", [ids]))
    return pd.concat(frames, ignore_index=True)


def releasable_record_ids(ws: Any, record_ids: Iterable[str], recipient: str) -> tuple[set[str], set[str]]:
    """Split record ids into (releasable to ``recipient``, not releasable or unknown).

    A record id is releasable when at least one of its rows (one per file that reported it) may go
    to the recipient: the recipient's view was built from exactly those rows.
    """
    ids = sorted({str(i) for i in record_ids})
    if not ids:
        return set(), set()
    rows = _record_rows(ws, ids)
    partners = ws.partners()
    ok = set()
    for rid, origin, handling, rel in zip(rows["record_id"], rows["country"], rows["handling"], rows["releasable_to"]):
        if rid in ok:
            continue
        if may_receive(recipient, origin=origin or "", handling=handling,
                       releasable_to=list(rel) if rel is not None else [], partners=partners):
            ok.add(rid)
    return ok, set(ids) - ok


def assert_releasable(ws: Any, record_ids: Iterable[str], recipient: str) -> None:
    """Raise :class:`ReleasabilityError` when any record id may not go to ``recipient``.

    Ids that are not records of the workspace count as not releasable: an output must name what it
    was computed from.
    """
    _, bad = releasable_record_ids(ws, record_ids, recipient)
    if bad:
        rows = _record_rows(ws, sorted(bad))
        who = sorted({f"{a}" for a in rows["country"].dropna()})
        sample = ", ".join(sorted(bad)[:5])
        raise ReleasabilityError(
            f"{len(bad)} record(s) may not be released to {recipient.upper()} (e.g. {sample}; originating "
            f"countries: {', '.join(who) or 'unknown — not records of this workspace'}); recompute the output "
            f"from view_for(ws, {recipient.upper()!r}) or build_graph(ws, recipient={recipient.upper()!r}), "
            "or ask the originator to release them")


def _graph_record_ids(graph: Any, nodes: Iterable[str] | None = None) -> set[str]:
    nt, et = graph.nodes, graph.edges
    if nodes is not None:
        keep = set(nodes)
        nt = nt[nt["id"].isin(keep)]
        et = et[et["source"].isin(keep) & et["target"].isin(keep)]
    ids: set[str] = set()
    for col, frame in (("record_ids", nt), ("link_ids", et)):
        if col in frame:
            for v in frame[col]:
                if v is not None and not (isinstance(v, float) and v != v):
                    ids.update(str(x) for x in list(v))
    return ids


def mark_graph_result(value: T, ws: Any, graph: Any, *, nodes: Iterable[str] | None = None,
                      title: str = "") -> Marked[T]:
    """Mark a result computed on a graph (communities, centrality, a path) by the records behind it.

    ``nodes`` narrows to the entities the result is about (a community, a path); the marking is
    computed from the workspace rows of their records and of the links among them.
    """
    ids = sorted(_graph_record_ids(graph, nodes))
    rows = _record_rows(ws, ids) if ids else pd.DataFrame(columns=["country", "handling", "releasable_to"])
    marking = marking_of_frames(rows, partners=ws.partners())
    recipient = getattr(graph, "recipient", None)
    return Marked(value, marking, frozenset(ids), recipient, title)


def community_markings(ws: Any, graph: Any, membership: pd.DataFrame) -> pd.DataFrame:
    """One row per community: its marking (handling, releasable_to, banner) and number of records."""
    rows = []
    for community, group in membership.groupby("community", sort=True):
        marked = mark_graph_result(None, ws, graph, nodes=group["id"])
        rows.append({"community": community, "handling": marked.marking.handling,
                     "releasable_to": list(marked.marking.releasable_to), "banner": marked.marking.banner,
                     "n_records": len(marked.record_ids)})
    return pd.DataFrame(rows, columns=["community", "handling", "releasable_to", "banner", "n_records"])

