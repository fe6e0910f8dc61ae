"""A record's additions, checked in full before any reaches the builder.

The FtM and STIX loaders map one record into several entities, links and events. They first
collect them in a :class:`Plan` (raising :class:`~netintel.ingest._common.RecordError` on the
first problem), then :meth:`Plan.apply` adds them all. A rejected record so leaves no trace in
the batch, as :func:`~netintel.ingest.tabular.run_records` requires of every loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from functools import lru_cache

from ..errors import SchemaError
from ..handling import handling_rank
from ..workspace import record_id
from ._common import BatchBuilder, RecordError, clean

__all__ = ["Plan", "EntityRef"]


@dataclass(frozen=True)
class EntityRef:
    """An entity a plan adds or refers to: its kind and its source record id."""

    kind: str
    source_record_id: str


@dataclass
class Plan:
    """What one record adds to a batch, in order."""

    builder: BatchBuilder
    locator: str
    prov: Mapping[str, Any] | None = None
    steps: list[tuple[str, tuple, dict]] = field(default_factory=list)
    _events: int = 0

    def entity_id(self, ref: EntityRef) -> str:
        """The record id the builder gives ``ref`` (same rule as :meth:`BatchBuilder.entity`)."""
        return record_id("E", self.builder.prov.agency, f"{ref.kind}:{ref.source_record_id}")

    def entity(self, kind: str, source_record_id: str, properties: Mapping[str, Any], *,
               locator: str | None = None) -> EntityRef:
        kind = self._entity_kind(kind)
        self.steps.append(("entity", (kind, str(source_record_id), dict(properties)),
                           {"locator": locator or self.locator, "prov": self.prov}))
        return EntityRef(kind, str(source_record_id))

    def identifier(self, kind: str, value: Any, *, prop: str | None = None,
                   extra: Mapping[str, Any] | None = None) -> EntityRef | None:
        """An identifier entity (phone, email, domain...) whose source record id is the value as written."""
        value = clean(value)
        if value is None:
            return None
        kind = self._entity_kind(kind)
        spec = self.builder.model.entity(kind)
        prop = prop or (spec.identifiers or spec.label)[0]
        return self.entity(kind, str(value), {prop: str(value), **(extra or {})})

    def link(self, kind: str, source: EntityRef | None, target: EntityRef | None, **kw: Any) -> None:
        """A link between two entities; none when an end is an identifier written as nothing ("n/a")."""
        self._link_kind(kind)
        if source is None or target is None:
            return
        kw.setdefault("locator", self.locator)
        kw.setdefault("prov", self.prov)
        self.steps.append(("link", (kind, source, target), kw))

    def event(self, kind: str, source: EntityRef, target: EntityRef | None, time: Any, **kw: Any) -> None:
        """A dated event; the second and later events of one record get ``#2``, ``#3`` in their locator
        (the event id derives from it)."""
        self._link_kind(kind)
        self._events += 1
        kw.setdefault("locator", self.locator if self._events == 1 else f"{self.locator} #{self._events}")
        kw.setdefault("prov", self.prov)
        self.steps.append(("event", (kind, source, target, time), kw))

    def apply(self) -> None:
        b = self.builder
        for what, args, kw in self.steps:
            if what == "entity":
                rows = getattr(b, "_entities", None)
                before = rows.get(self.entity_id(EntityRef(args[0], args[1]))) if rows is not None else None
                earlier = None if before is None else (before["handling"], before["releasable_to"])
                b.entity(*args, **kw)
                if earlier is not None:
                    _keep_strictest(before, earlier, kw.get("prov"))
            elif what == "link":
                kind, source, target = args
                b.link(kind, self.entity_id(source), self.entity_id(target), **kw)
            else:
                kind, source, target, time = args
                b.event(kind, self.entity_id(source), None if target is None else self.entity_id(target), time,
                        **kw)
        self.steps.clear()

    def _entity_kind(self, kind: str) -> str:
        try:
            return self.builder.model.check_entity_kind(kind)
        except SchemaError as exc:
            raise RecordError(str(exc)) from None

    def _link_kind(self, kind: str) -> str:
        try:
            return self.builder.model.check_link_kind(kind)
        except SchemaError as exc:
            raise RecordError(str(exc)) from None


def _keep_strictest(row: dict[str, Any], earlier: tuple[str, list[str]], prov: Mapping[str, Any] | None) -> None:
    """An entity several records describe (a domain in an AMBER+STRICT pattern and in an unmarked
    observable) keeps the strictest of their handling codes, whatever their order in the file."""
    if not prov or not prov.get("handling") or prov["handling"] == earlier[0]:
        return
    if _rank(prov["handling"]) > _rank(earlier[0]):
        row["handling"] = prov["handling"]
        row["releasable_to"] = list(prov["releasable_to"])


@lru_cache(maxsize=64)
def _rank(code: str) -> int:
    return handling_rank(code)
