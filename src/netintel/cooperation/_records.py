"""The records a cooperation output is computed from, optionally as seen by one recipient country.

:func:`load_records` reads the workspace once: entity, link and event records with their
provenance, each entity with its resolved id (``node``), each link and event with the resolved ids
of its ends. With ``recipient=`` only the records that country may receive are kept, and a link or
event is dropped when either end is an entity record the recipient may not receive, so nothing
outside its releasability can reach an output through a link's ends.

:meth:`CaseRecords.within` narrows the records to a community or a set of targets; every output of
:mod:`netintel.cooperation` is computed from such a narrowed set, and its marking and contributing
record ids come from exactly those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Mapping

import pandas as pd

from ..handling import Marking, combine

__all__ = ["CaseRecords", "load_records", "IDENTIFIER_KINDS"]

#: Entity kinds that stand for something registered somewhere (what an MLA request asks about) and
#: that a community found on persons drags into its scope.
IDENTIFIER_KINDS: frozenset[str] = frozenset({
    "phone", "bank_account", "organisation", "email", "domain", "ip_address", "crypto_wallet", "address",
    "vehicle", "vessel", "identity_document", "user_account", "url", "infrastructure",
})

_EMPTY_ENT = ["entity_id", "kind", "label", "properties", "agency", "country", "grading", "handling",
              "releasable_to", "reported", "source_record_id", "locator", "node"]


@dataclass(frozen=True, eq=False)
class CaseRecords:
    """Entity, link and event records (with provenance) an output is computed from.

    Attributes
    ----------
    entities : one row per entity record row; ``node`` is its resolved id
    links : one row per link record; ``source_node``/``target_node`` are the resolved ends
    events : one row per event record; ``source_node``/``target_node`` likewise
    partners : the partner countries of the workspace (what ``PARTNERS`` expands to)
    recipient : the country these records were filtered for, or None for everything
    """

    entities: pd.DataFrame
    links: pd.DataFrame
    events: pd.DataFrame
    partners: frozenset[str] = field(default_factory=frozenset)
    recipient: str | None = None

    # -- ids and marking -------------------------------------------------------------------------
    @property
    def record_ids(self) -> frozenset[str]:
        """Every entity, link and event record id in these records."""
        return frozenset(self.entities["entity_id"]) | frozenset(self.links["link_id"]) | frozenset(
            self.events["event_id"])

    @property
    def nodes(self) -> list[str]:
        """Resolved entity ids, sorted."""
        return sorted(set(self.entities["node"]))

    def marking(self) -> Marking:
        """Strictest handling and intersected releasability of every row here."""
        return marking_of_frames(self.entities, self.links, self.events, partners=self.partners)

    def node_table(self) -> pd.DataFrame:
        """One row per resolved entity: kind, label, agencies and countries of the agencies holding it."""
        e = self.entities
        if e.empty:
            return pd.DataFrame(columns=["node", "kind", "label", "agencies", "holders", "n_records"])
        rows = []
        for node, g in e.groupby("node", sort=True):
            kinds = g["kind"].value_counts()
            labels = g["label"].dropna().astype(str)
            rows.append({"node": node, "kind": kinds.index[0],
                         "label": labels.value_counts().index[0] if len(labels) else node,
                         "agencies": sorted(set(g["agency"])), "holders": sorted(set(g["country"])),
                         "n_records": len(g)})
        return pd.DataFrame(rows)

    # -- read once per set of records: a briefing narrows the same records many times -------------
    @cached_property
    def _node_of_record(self) -> dict[str, str]:
        return dict(zip(self.entities["entity_id"], self.entities["node"]))

    @cached_property
    def _node_set(self) -> frozenset[str]:
        return frozenset(self.entities["node"])

    @cached_property
    def _node_kinds(self) -> dict[str, Any]:
        return _most_common_of(self.entities["node"], self.entities["kind"])

    @cached_property
    def _identifier_nodes(self) -> frozenset[str]:
        return frozenset(n for n, k in self._node_kinds.items() if k in IDENTIFIER_KINDS)

    # -- narrowing -------------------------------------------------------------------------------
    def within(self, members: Iterable[str], *, expand: bool = True) -> "CaseRecords":
        """The records about ``members`` (resolved or entity record ids).

        With ``expand`` the identifiers the members use (phones, accounts, companies, domains,
        servers...) join the scope when a link ties them to a member; links count when both ends
        are in scope, events when either end is.
        """
        members = set(members)
        by_record = self._node_of_record
        nodes = {by_record.get(m, m) for m in members} & self._node_set
        if expand and not self.links.empty:
            ident = self._identifier_nodes
            lk = self.links
            touching = lk[lk["source_node"].isin(nodes) | lk["target_node"].isin(nodes)]
            extra = (set(touching["source_node"]) | set(touching["target_node"])) & ident
            nodes |= extra
        return self.restrict(nodes)

    def restrict(self, nodes: Iterable[str]) -> "CaseRecords":
        """The records about ``nodes`` (resolved ids): their entity records, the links among them and
        the events touching them."""
        nodes = set(nodes)
        e = self.entities[self.entities["node"].isin(nodes)]
        lk = self.links[self.links["source_node"].isin(nodes) & self.links["target_node"].isin(nodes)]
        # An event (a call, a payment) is evidence on every entity it touches: keep it when either
        # end is in scope, so a call from a member to an outsider counts for the member.
        ev = self.events[self.events["source_node"].isin(nodes) | self.events["target_node"].isin(nodes)]
        return CaseRecords(e.reset_index(drop=True), lk.reset_index(drop=True), ev.reset_index(drop=True),
                           self.partners, self.recipient)

    def held_by(self, countries: Iterable[str]) -> "CaseRecords":
        """Only the records shared by agencies of ``countries``."""
        cs = {c.upper() for c in countries}
        return CaseRecords(self.entities[self.entities["country"].isin(cs)].reset_index(drop=True),
                           self.links[self.links["country"].isin(cs)].reset_index(drop=True),
                           self.events[self.events["country"].isin(cs)].reset_index(drop=True),
                           self.partners, self.recipient)

    def __repr__(self) -> str:
        who = f" for {self.recipient}" if self.recipient else ""
        return (f"<CaseRecords{who}: {len(self.entities)} entity, {len(self.links)} link, "
                f"{len(self.events)} event records; {len(set(self.entities['node']))} entities>")


def marking_of_frames(*frames: pd.DataFrame, partners: Iterable[str] = ()) -> Marking:
    """The combined marking of the rows of record frames (``country, handling, releasable_to``)."""
    triples: dict[tuple[str, tuple[str, ...], str], None] = {}
    for df in frames:
        if df is None or df.empty:
            continue
        for origin, handling, rel in zip(df["country"].to_numpy(object), df["handling"].to_numpy(object),
                                         df["releasable_to"].to_numpy(object)):
            triples[(handling, tuple(rel) if rel is not None else (), origin or "")] = None
    return combine(list(triples), partners=partners)


def _with_nodes(df: pd.DataFrame, resolved: dict[str, str], ends: tuple[str, str]) -> pd.DataFrame:
    df = df.copy()
    for end, col in zip(ends, ("source_node", "target_node")):
        df[col] = pd.Series([resolved.get(x, x) if isinstance(x, str) else None for x in df[end]],
                            index=df.index, dtype=object)
    return df


_DROP = ["source_id", "grading_scheme", "grading_original", "retain_until"]


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    # Small frames are filtered and grouped many times: plain object columns are several times
    # faster to take from than Arrow-backed strings, and the import bookkeeping is not needed here.
    df = df.drop(columns=[c for c in _DROP if c in df])
    return df.astype({c: object for c, t in df.dtypes.items() if str(t) in ("str", "string")})


def load_records(ws: Any, *, recipient: str | None = None,
                 tables: Mapping[str, pd.DataFrame] | None = None) -> CaseRecords:
    """The active records of a workspace, resolved, optionally only what ``recipient`` may receive.

    Parameters
    ----------
    ws : :class:`~netintel.workspace.Workspace`
    recipient : ISO2 country the output is made for; None keeps everything (the originators' view)
    tables : ``entities``, ``links``, ``events`` and ``resolved_ids`` of ``ws`` already read (as
        ``ws.entities()`` ... give them), used instead of a second read. Ignored with a recipient:
        those records come from the recipient's own view of the workspace.
    """
    tables = {} if recipient else dict(tables or {})
    if recipient:
        from ..releasability import view_for_recipient

        # restrict first, then compute: the records and who-is-who of the recipient's own view
        ws = view_for_recipient(ws, recipient)
        recipient = ws.restricted_for
    entities = tables["entities"] if "entities" in tables else ws.entities()
    links = tables["links"] if "links" in tables else ws.links()
    events = tables["events"] if "events" in tables else ws.events()
    if recipient:
        entities = entities[ws.releasable_mask(entities, recipient)] if len(entities) else entities
        links = links[ws.releasable_mask(links, recipient)] if len(links) else links
        events = events[ws.releasable_mask(events, recipient)] if len(events) else events
    known = set(entities["entity_id"])
    # A link or event whose end is an entity record the recipient may not receive would carry that
    # record's id (and so its existence) into the output: drop it.
    links = links[links["source"].isin(known) & links["target"].isin(known)]
    events = events[events["source"].isin(known) & (events["target"].isna() | events["target"].isin(known))]
    ids = tables["resolved_ids"] if "resolved_ids" in tables else ws.resolved_ids()
    resolved = dict(zip(ids["entity_id"], ids["resolved_id"]))
    entities, links, events = _plain(entities), _plain(links), _plain(events)
    # node columns as plain objects too (a list of strings would become Arrow-backed, whose isin
    # against a set of ids builds one Arrow scalar per id: 2.4 s of the x256 briefing's scoping)
    entities["node"] = pd.Series([resolved.get(x, x) for x in entities["entity_id"]], index=entities.index,
                                 dtype=object)
    links = _with_nodes(links, resolved, ("source", "target"))
    events = _with_nodes(events, resolved, ("source", "target"))
    return CaseRecords(entities.reset_index(drop=True), links.reset_index(drop=True),
                       events.reset_index(drop=True), frozenset(ws.partners()), recipient)


def scoped_records(source: Any, members: Iterable[str] | None = None, *, recipient: str | None = None,
                   expand: bool = True) -> CaseRecords:
    """Records for an output: from a Workspace (as ``recipient`` may see it) or given records,
    narrowed to ``members`` (a community, targets) when given."""
    if isinstance(source, CaseRecords):
        if recipient and source.recipient != recipient.upper():
            raise ValueError(
                f"these records were loaded for {source.recipient or 'every recipient'}; load them with "
                f"load_records(ws, recipient={recipient.upper()!r}) for a view for {recipient.upper()}")
        records = source
    else:
        records = load_records(source, recipient=recipient)
    if members is None:
        return records
    return records.within(members, expand=expand)


def _most_common(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """For (key, value) pairs: each key's most frequent value, ties broken by the smallest value."""
    counts: dict[str, dict[Any, int]] = {}
    for key, value in pairs:
        c = counts.setdefault(key, {})
        c[value] = c.get(value, 0) + 1
    return {k: min(c.items(), key=lambda kv: (-kv[1], str(kv[0])))[0] for k, c in counts.items()}


def _most_common_of(keys: pd.Series, values: pd.Series) -> dict[str, Any]:
    """:func:`_most_common` of two columns, counted by a grouped pass (ties: the smallest value as text)."""
    if len(keys) == 0:
        return {}
    pairs = pd.DataFrame({"key": keys.to_numpy(object), "value": values.to_numpy(object)})
    counted = pairs.groupby(["key", "value"], sort=False, dropna=False).size().rename("n").reset_index()
    counted["text"] = counted["value"].astype(str)
    best = (counted.sort_values(["key", "n", "text"], ascending=[True, False, True], kind="stable")
            .drop_duplicates("key"))
    return dict(zip(best["key"], best["value"]))


def node_kinds(records: CaseRecords) -> dict[str, str]:
    """Most frequent kind of each resolved entity (ties: alphabetical)."""
    return dict(records._node_kinds)


def node_labels(records: CaseRecords) -> dict[str, str]:
    """Most frequent label of each resolved entity (ties: alphabetical)."""
    e = records.entities
    text = e["label"].astype(object).where(e["label"].notna(), None).map(str, na_action="ignore")
    has = text.notna() & (text.str.strip() != "")
    named = _most_common_of(e["node"][has], text[has])
    # an entity no record names (a person known only by an id) is shown by its id
    return {**{n: n for n in records._node_set}, **named}
