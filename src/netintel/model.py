"""The common data model: entity kinds, link kinds and the provenance every record carries.

Kinds are data: they are declared in ``schema/entities.yaml`` and ``schema/links.yaml`` and a
new kind is a new entry there, or in an extra YAML file given to :meth:`Model.load`.

Examples
--------
>>> m = default_model()
>>> m.entity("phone").identifiers
('number',)
>>> m.link("call").event
True
>>> m.check_entity_kind("spaceship")
Traceback (most recent call last):
...
netintel.errors.SchemaError: unknown entity kind 'spaceship'; known kinds: address, attack_pattern, ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import SchemaError

__all__ = [
    "EntityKind",
    "LinkKind",
    "Model",
    "default_model",
    "PROVENANCE_COLUMNS",
]

#: Columns every entity, link and event record carries, in this order.
PROVENANCE_COLUMNS: tuple[str, ...] = (
    "source_id",  # the import the record came from (see Workspace.sources)
    "agency",  # the partner agency that shared it
    "country",  # ISO 3166-1 alpha-2 of that agency
    "source_record_id",  # the record's id as the partner wrote it
    "locator",  # where in the file: "line 12", "object indicator--...", "row 7"
    "reported",  # date the partner reported it
    "grading",  # canonical Admiralty 6x6 code, e.g. "B2"
    "grading_scheme",  # the scheme it was given in: admiralty, europol_4x4, uk_3x5x2, stix_confidence
    "grading_original",  # as the partner wrote it
    "handling",  # canonical handling code, e.g. "TLP:AMBER" or "H2"
    "releasable_to",  # list of ISO2 codes; "*" anyone, "PARTNERS" every partner country of the case
)


@dataclass(frozen=True)
class EntityKind:
    name: str
    properties: tuple[str, ...]
    identifiers: tuple[str, ...] = ()
    label: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class LinkKind:
    name: str
    directed: bool = True
    event: bool = False
    person_projection: bool = False
    description: str = ""


@lru_cache(maxsize=4096)
def _kind_name(kind: str) -> str:
    """A kind as written (``Bank Account``, ``bank-account``) as the model names it (``bank_account``);
    once per distinct spelling, as loaders ask for every record."""
    return kind.strip().lower().replace(" ", "_").replace("-", "_")


@dataclass
class Model:
    """Entity and link kinds known to netintel."""

    entities: dict[str, EntityKind] = field(default_factory=dict)
    links: dict[str, LinkKind] = field(default_factory=dict)

    @classmethod
    def load(cls, *extra: str | Path) -> "Model":
        """Load the packaged kinds, then any extra YAML files.

        An extra file has two optional top-level keys, ``entities`` and ``links``, each shaped
        like the packaged files.
        """
        base = resources.files("netintel") / "schema"
        model = cls()
        model._add_entities(yaml.safe_load((base / "entities.yaml").read_text("utf-8")))
        model._add_links(yaml.safe_load((base / "links.yaml").read_text("utf-8")))
        for path in extra:
            data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
            model._add_entities(data.get("entities") or {})
            model._add_links(data.get("links") or {})
        return model

    def _add_entities(self, spec: Mapping[str, Any]) -> None:
        errors = {}
        for name, body in spec.items():
            body = body or {}
            if not isinstance(body, dict):
                errors[name] = "must be a mapping with properties, identifiers, label"
                continue
            props = tuple(body.get("properties") or ())
            idents = tuple(body.get("identifiers") or ())
            bad = [i for i in idents if i not in props]
            if bad:
                errors[name] = f"identifiers {bad} are not among its properties"
                continue
            self.entities[name] = EntityKind(
                name=name,
                properties=props,
                identifiers=idents,
                label=tuple(body.get("label") or props[:1]),
                description=str(body.get("description") or ""),
            )
        if errors:
            raise SchemaError("invalid entity kinds", errors)

    def _add_links(self, spec: Mapping[str, Any]) -> None:
        for name, body in spec.items():
            body = body or {}
            self.links[name] = LinkKind(
                name=name,
                directed=bool(body.get("directed", True)),
                event=bool(body.get("event", False)),
                person_projection=bool(body.get("person_projection", False)),
                description=str(body.get("description") or ""),
            )

    def entity(self, kind: str) -> EntityKind:
        return self.entities[self.check_entity_kind(kind)]

    def link(self, kind: str) -> LinkKind:
        return self.links[self.check_link_kind(kind)]

    def check_entity_kind(self, kind: str) -> str:
        k = _kind_name(str(kind))
        if k not in self.entities:
            raise SchemaError(f"unknown entity kind {kind!r}; known kinds: {', '.join(sorted(self.entities))}")
        return k

    def check_link_kind(self, kind: str) -> str:
        k = _kind_name(str(kind))
        if k not in self.links:
            raise SchemaError(f"unknown link kind {kind!r}; known kinds: {', '.join(sorted(self.links))}")
        return k

    def label_of(self, kind: str, properties: Mapping[str, Any]) -> str:
        """The display label of an entity: the first non-empty label property."""
        ek = self.entities.get(kind)
        for prop in ek.label if ek else ():
            value = properties.get(prop)
            if value not in (None, "", []):
                return value if isinstance(value, str) else str(value)
        first = next((v for v in properties.values() if v not in (None, "", [])), "")
        return str(first)

    def entity_kinds(self) -> list[str]:
        return sorted(self.entities)

    def link_kinds(self) -> list[str]:
        return sorted(self.links)


@lru_cache(maxsize=1)
def default_model() -> Model:
    """The packaged model, loaded once."""
    return Model.load()

