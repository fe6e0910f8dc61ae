"""CSV and XLSX entity and link tables, described by a mapping in the spirit of i2 import specs.

A :class:`Mapping` says which column holds which attribute of which entity, which links a row
makes, how dates are written and which columns carry per-row provenance (see
``docs/ARCHITECTURE.md``, "Mapping files"). It loads from and saves to a YAML (or TOML) file,
can be built from inline ``field=Column`` pairs as ``netintel ingest --map`` takes them, and is
checked against a table's columns before any row is read: every problem is collected and
reported at once as a :class:`~netintel.errors.MappingError` naming the file.

The same reader (:func:`read_table`) serves the event and edge-list loaders: it recognises the
encoding (UTF-8 with or without byte-order mark, UTF-16 with one, or the mapping's
``encoding:``), the delimiter, and keeps the line number of every row for the quarantine.

Examples
--------
>>> m = Mapping.from_dict({
...     "entities": {"person": {"kind": "person", "id": "pid", "properties": {"name": "naam"}},
...                  "phone": {"kind": "phone", "properties": {"number": "tel"}}},
...     "links": [{"kind": "uses", "source": "person", "target": "phone"}]})
>>> m.columns_used()
['naam', 'pid', 'tel']
>>> m.validate(["pid", "naam"], file="personen.csv")
Traceback (most recent call last):
...
netintel.errors.MappingError: personen.csv: the mapping names columns the table does not have: 'tel' ...
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping as TMapping, Sequence

import yaml

from ..errors import InputError, MappingError, SchemaError
from ..model import Model, default_model
from ._common import (BatchBuilder, RecordError, cached_outcome, clean, flag_field, future_date_problem,
                      parse_datetime)

__all__ = ["Mapping", "EntitySpec", "LinkSpec", "Table", "TableRecord", "read_table", "load_table",
           "FORMATS", "RECORD_FIELDS", "CANONICAL_FIELDS"]

#: The table formats a mapping can describe.
FORMATS = ("table", "events", "edgelist", "matrix")
#: Per-row provenance fields a mapping's ``record:`` block may name columns for.
RECORD_FIELDS = ("reported", "grading", "grading_scheme", "handling", "releasable_to")
#: Provenance defaults a mapping's ``defaults:`` block may give.
DEFAULT_FIELDS = ("agency", "country", "grading", "grading_scheme", "handling", "releasable_to")
#: Canonical column names of event tables and edge lists (what ``--map field=Column`` takes).
CANONICAL_FIELDS = ("caller", "callee", "start", "duration", "cell", "from_account", "to_account", "amount",
                    "currency", "time", "source", "target", "weight", "kind", "id")
_LINK_COLUMN_FIELDS = ("id", "kind_column", "first_seen", "last_seen", "weight", "amount", "currency")
_SPEC_KEYS = {"kind", "kind_column", "kinds", "id", "properties"}
_LINK_KEYS = {"kind", "kind_column", "kinds", "source", "target", "id", "first_seen", "last_seen", "weight",
              "amount", "currency", "properties"}
_TOP_KEYS = {"format", "sheet", "encoding", "delimiter", "date_format", "record", "defaults", "entities", "links",
             "event", "columns", "node_kind", "link_kind", "kinds", "directed"}


# ---------------------------------------------------------------------------------------------
# The mapping
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EntitySpec:
    """One entity a row yields: its kind (fixed or from a column), id column and properties.

    A spec with only ``kind`` and ``id`` is a *reference* to an entity the same agency reports in
    another file (a person id in a links table).
    """

    name: str
    kind: str | None = None
    kind_column: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)
    id: str | None = None
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def is_reference(self) -> bool:
        return not self.properties and self.id is not None

    def columns(self) -> list[str]:
        return [c for c in (self.id, self.kind_column, *self.properties.values()) if c]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("kind", "kind_column"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.kinds:
            out["kinds"] = dict(self.kinds)
        if self.id:
            out["id"] = self.id
        if self.properties:
            out["properties"] = dict(self.properties)
        return out


@dataclass(frozen=True)
class LinkSpec:
    """One link a row yields between two entity specs; kind fixed or from a column via ``kinds``."""

    source: str
    target: str
    kind: str | None = None
    kind_column: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)
    id: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    weight: str | None = None
    amount: str | None = None
    currency: str | None = None
    properties: dict[str, str] = field(default_factory=dict)

    def columns(self) -> list[str]:
        return [c for c in (*(getattr(self, f) for f in _LINK_COLUMN_FIELDS), *self.properties.values()) if c]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("kind", "kind_column", "source", "target", *_LINK_COLUMN_FIELDS[2:], "id"):
            value = getattr(self, key) if key != "kind_column" else self.kind_column
            if value:
                out[key] = value
        if self.kinds:
            out["kinds"] = dict(self.kinds)
        if self.properties:
            out["properties"] = dict(self.properties)
        return out


@dataclass(frozen=True)
class Mapping:
    """How a table maps onto netintel's model: a settings object that round-trips to a file.

    Parameters
    ----------
    format : ``table`` (entity and link table), ``events`` (call records, transactions),
        ``edgelist`` or ``matrix``.
    sheet : the XLSX sheet to read (the first one otherwise).
    encoding : the text encoding; UTF-8 (with or without byte-order mark) when not given.
    delimiter : the CSV delimiter; recognised from the file when not given.
    date_format : strptime format(s) for every date column; otherwise dates are recognised as
        :func:`~netintel.ingest._common.parse_datetime` does.
    record : per-row provenance columns (``reported``, ``grading``, ``grading_scheme``,
        ``handling``, ``releasable_to``).
    defaults : provenance defaults for the whole file (``agency``, ``country``, ``grading``, ...).
    entities : named entity specs; links : link specs between them (``table`` format).
    event : ``call`` or ``transfer`` (``events`` format; recognised from the columns otherwise).
    columns : canonical field -> column renames (``events``, ``edgelist``), e.g.
        ``{"caller": "A_NUMBER"}``; the same names ``--map field=Column`` takes.
    node_kind, link_kind, kinds, directed : options of ``edgelist`` and ``matrix``.
    path : the file the mapping was loaded from, for messages.
    """

    format: str = "table"
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    date_format: tuple[str, ...] = ()
    record: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    entities: dict[str, EntitySpec] = field(default_factory=dict)
    links: tuple[LinkSpec, ...] = ()
    event: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    node_kind: str | None = None
    link_kind: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)
    directed: bool | None = None
    path: str | None = field(default=None, compare=False)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: TMapping[str, Any], *, path: str | Path | None = None) -> "Mapping":
        """Build a mapping from its file form; unknown keys and wrong shapes raise MappingError."""
        where = str(path) if path else "mapping"
        if not isinstance(data, TMapping):
            raise MappingError("a mapping must be a YAML/TOML table of keys (format, entities, links, ...)",
                               file=where)
        problems: list[str] = []
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            problems.append(f"unknown keys {unknown}; known keys: {', '.join(sorted(_TOP_KEYS))}")
        fmt = str(data.get("format") or "table").strip().lower()
        if fmt not in FORMATS:
            problems.append(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
        date_format = data.get("date_format") or ()
        if isinstance(date_format, str):
            date_format = (date_format,)
        elif isinstance(date_format, (list, tuple)):
            date_format = tuple(str(f) for f in date_format)
        else:
            problems.append(f"date_format: must be a strptime format or a list of them (e.g. \"%d-%m-%Y\"), "
                            f"not {_shape(date_format)}")
            date_format = ()
        record = _str_dict(data.get("record"), "record", problems)
        bad_record = sorted(set(record) - set(RECORD_FIELDS))
        if bad_record:
            problems.append(f"record: unknown fields {bad_record}; use {', '.join(RECORD_FIELDS)}")
        defaults = dict(_table_of(data.get("defaults"), "defaults", "agency, country, grading, ...", problems))
        bad_defaults = sorted(set(defaults) - set(DEFAULT_FIELDS))
        if bad_defaults:
            problems.append(f"defaults: unknown fields {bad_defaults}; use {', '.join(DEFAULT_FIELDS)}")
        entities: dict[str, EntitySpec] = {}
        for name, body in _table_of(data.get("entities"), "entities", "a name per entity spec, each with kind, id, "
                                    "properties", problems).items():
            model = default_model()
            if isinstance(body, str):  # shorthand: `phone: telefoon` -> a phone whose identifier is that column
                if name not in model.entities:
                    problems.append(f"entities.{name}: the shorthand `{name}: COLUMN` needs {name} to be an "
                                    "entity kind")
                    continue
                ek = model.entity(name)
                body = {"kind": name, "properties": {(ek.identifiers or ek.label or ("name",))[0]: body}}
            if not isinstance(body, TMapping):
                problems.append(f"entities.{name}: must be a table with kind, id, properties")
                continue
            extra = sorted(set(body) - _SPEC_KEYS)
            if extra:
                problems.append(f"entities.{name}: unknown keys {extra}; use {', '.join(sorted(_SPEC_KEYS))}")
            kind = _opt_str(body.get("kind"))
            if kind is None and not body.get("kind_column") and name in model.entities:
                kind = str(name)
            entities[str(name)] = EntitySpec(
                name=str(name), kind=kind, kind_column=_opt_str(body.get("kind_column")),
                kinds=_str_dict(body.get("kinds"), f"entities.{name}.kinds", problems),
                id=_opt_str(body.get("id")),
                properties=_str_dict(body.get("properties"), f"entities.{name}.properties", problems))
        links: list[LinkSpec] = []
        raw_links = data.get("links") or []
        if isinstance(raw_links, TMapping):
            raw_links = list(raw_links.values())
        elif not isinstance(raw_links, list):
            problems.append(f"links: must be a list of link specs (each with kind, source, target), "
                            f"not {_shape(raw_links)}")
            raw_links = []
        for i, body in enumerate(raw_links):
            if not isinstance(body, TMapping):
                problems.append(f"links[{i}]: must be a table with kind, source, target")
                continue
            extra = sorted(set(body) - _LINK_KEYS)
            if extra:
                problems.append(f"links[{i}]: unknown keys {extra}; use {', '.join(sorted(_LINK_KEYS))}")
            ends = {}
            for end in ("source", "target"):
                value = body.get(end)
                if isinstance(value, TMapping):  # an inline reference spec: {kind: person, id: col}
                    spec_name = f"_link{i}_{end}"
                    entities[spec_name] = EntitySpec(name=spec_name, kind=_opt_str(value.get("kind")),
                                                     id=_opt_str(value.get("id")),
                                                     properties=_str_dict(value.get("properties"),
                                                                          f"links[{i}].{end}", problems))
                    value = spec_name
                ends[end] = _opt_str(value) or ""
            links.append(LinkSpec(
                source=ends["source"], target=ends["target"], kind=_opt_str(body.get("kind")),
                kind_column=_opt_str(body.get("kind_column")),
                kinds=_str_dict(body.get("kinds"), f"links[{i}].kinds", problems),
                id=_opt_str(body.get("id")), first_seen=_opt_str(body.get("first_seen")),
                last_seen=_opt_str(body.get("last_seen")), weight=_opt_str(body.get("weight")),
                amount=_opt_str(body.get("amount")), currency=_opt_str(body.get("currency")),
                properties=_str_dict(body.get("properties"), f"links[{i}].properties", problems)))
        event = _opt_str(data.get("event"))
        if event is not None and event not in ("call", "transfer"):
            problems.append(f"event {event!r} is not call or transfer")
        directed = data.get("directed")
        delimiter = data.get("delimiter")
        if delimiter is not None:
            delimiter = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ",", "pipe": "|"}.get(
                str(delimiter).lower(), str(delimiter))
            if len(delimiter) != 1:
                problems.append(f"delimiter {data.get('delimiter')!r} must be one character (or tab, semicolon, "
                                "comma, pipe)")
        columns = _str_dict(data.get("columns"), "columns", problems)
        top_kinds = _str_dict(data.get("kinds"), "kinds", problems)
        if problems:
            raise MappingError("the mapping is not valid:\n" + "\n".join(f"  - {p}" for p in problems), file=where,
                               hint="see docs/ARCHITECTURE.md, 'Mapping files'")
        return cls(format=fmt, sheet=_opt_str(data.get("sheet")), encoding=_opt_str(data.get("encoding")),
                   delimiter=delimiter, date_format=date_format, record=record, defaults=defaults,
                   entities=entities, links=tuple(links), event=event,
                   columns=columns,
                   node_kind=_opt_str(data.get("node_kind")), link_kind=_opt_str(data.get("link_kind")),
                   kinds=top_kinds,
                   directed=None if directed is None else bool(directed), path=str(path) if path else None)

    @classmethod
    def load(cls, path: str | Path) -> "Mapping":
        """Read a mapping file (``.yaml``/``.yml`` or ``.toml``)."""
        path = Path(path)
        try:
            text = path.read_text("utf-8-sig")
        except FileNotFoundError:
            raise MappingError("mapping file not found", file=str(path)) from None
        except UnicodeDecodeError:
            raise MappingError("mapping file is not UTF-8 text", file=str(path)) from None
        try:
            data = tomllib.loads(text) if path.suffix.lower() == ".toml" else yaml.safe_load(text)
        except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
            raise MappingError(f"mapping file cannot be parsed: {exc}", file=str(path)) from None
        return cls.from_dict(data or {}, path=path)

    @classmethod
    def from_inline(cls, pairs: Iterable[str] | TMapping[str, str], *, base: "Mapping | None" = None) -> "Mapping":
        """Add ``field=Column`` pairs (as ``--map`` takes them) to ``base`` (or an empty mapping).

        A plain field (``caller=A_NUMBER``, ``source=From``) renames a canonical column of an
        event table or edge list; a dotted one names a table attribute: ``person.name=Naam``,
        ``person.id=PID`` (entity spec ``person`` of kind person), ``record.grading=Grade``.

        >>> Mapping.from_inline(["caller=A_NUMBER", "callee=B_NUMBER"]).columns
        {'caller': 'A_NUMBER', 'callee': 'B_NUMBER'}
        >>> Mapping.from_inline(["person.name=Naam"]).entities["person"].properties
        {'name': 'Naam'}
        """
        items = list(pairs.items()) if isinstance(pairs, TMapping) else [_split_pair(p) for p in pairs]
        data = base.to_dict() if base is not None else {}
        for key, column in items:
            if "." not in key:
                data.setdefault("columns", {})[key] = column
                continue
            head, _, attr = key.partition(".")
            if head == "record":
                data.setdefault("record", {})[attr] = column
                continue
            spec = data.setdefault("entities", {}).setdefault(head, {"kind": head})
            if attr in ("id", "kind_column"):
                spec[attr] = column
            elif attr == "kind":
                spec["kind"] = column
            else:
                spec.setdefault("properties", {})[attr] = column
        return cls.from_dict(data, path=base.path if base is not None else "--map")

    def to_dict(self) -> dict[str, Any]:
        """The file form (what :meth:`save` writes and :meth:`from_dict` reads)."""
        out: dict[str, Any] = {"format": self.format}
        for key in ("sheet", "encoding", "delimiter", "event", "node_kind", "link_kind"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.directed is not None:
            out["directed"] = self.directed
        if self.date_format:
            out["date_format"] = self.date_format[0] if len(self.date_format) == 1 else list(self.date_format)
        for key in ("record", "defaults", "columns", "kinds"):
            if getattr(self, key):
                out[key] = dict(getattr(self, key))
        inline = {name for name in self.entities if name.startswith("_link")}
        if self.entities.keys() - inline:
            out["entities"] = {n: s.to_dict() for n, s in self.entities.items() if n not in inline}
        if self.links:
            links = []
            for spec in self.links:
                d = spec.to_dict()
                for end in ("source", "target"):
                    if d.get(end) in inline:
                        d[end] = self.entities[d[end]].to_dict()
                links.append(d)
            out["links"] = links
        return out

    def save(self, path: str | Path) -> Path:
        """Write the mapping as YAML; :meth:`load` reads it back to an equal mapping."""
        path = Path(path)
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True), "utf-8")
        return path

    # -- checking -------------------------------------------------------------------------------
    def columns_used(self) -> list[str]:
        """Every column the mapping reads (table format), sorted."""
        cols = set(self.record.values())
        for spec in self.entities.values():
            cols.update(spec.columns())
        for link in self.links:
            cols.update(link.columns())
        return sorted(cols)

    def validate(self, columns: Sequence[str], *, file: str | None = None, model: Model | None = None,
                 required: Sequence[str] = (), fields: Sequence[str] = ()) -> dict[str, str]:
        """Check the mapping against a table's columns and the model; returns mapping column -> actual.

        Columns match exactly or, failing that, ignoring case and surrounding spaces. Every
        problem is collected; if there is any a :class:`MappingError` lists them all.
        ``required`` are canonical fields of event tables and edge lists that must resolve,
        ``fields`` all the canonical fields of the format: a rename of a field of another format
        (``--map caller=...`` given for a whole folder) does not apply, an unknown one is a problem.
        """
        model = model or default_model()
        where = file or self.path or "table"
        resolve = _column_resolver(columns)
        problems: list[str] = []
        missing: list[str] = []
        found: dict[str, str] = {}

        def need(col: str, what: str) -> None:
            actual = resolve(col)
            if actual is None:
                missing.append(f"{col!r} ({what})")
            else:
                found[col] = actual

        for fld, col in self.record.items():
            need(col, f"record.{fld}")
        if self.format == "table":
            if not self.entities and not self.links:
                problems.append("a table mapping needs an entities: block, a links: block or both")
            for name, spec in self.entities.items():
                label = f"entities.{name}"
                if spec.kind is None and spec.kind_column is None:
                    problems.append(f"{label}: give kind: (one of {', '.join(model.entity_kinds())}) "
                                    "or kind_column:")
                if spec.kind is not None:
                    try:
                        model.check_entity_kind(spec.kind)
                    except SchemaError as exc:
                        problems.append(f"{label}: {exc}")
                if not spec.properties and spec.id is None:
                    problems.append(f"{label}: names no column (give id: or properties:)")
                if spec.id:
                    need(spec.id, f"{label}.id")
                if spec.kind_column:
                    need(spec.kind_column, f"{label}.kind_column")
                for prop, col in spec.properties.items():
                    need(col, f"{label}.properties.{prop}")
            for i, link in enumerate(self.links):
                label = f"links[{i}]"
                for end in ("source", "target"):
                    name = getattr(link, end)
                    if name not in self.entities:
                        problems.append(f"{label}.{end}: {name!r} names no entity spec "
                                        f"(specs: {', '.join(sorted(self.entities)) or 'none'})")
                if link.kind is None and link.kind_column is None:
                    problems.append(f"{label}: give kind: or kind_column:")
                if link.kind is not None:
                    try:
                        model.check_link_kind(link.kind)
                    except SchemaError as exc:
                        problems.append(f"{label}: {exc}")
                for value in link.kinds.values():
                    try:
                        model.check_link_kind(value)
                    except SchemaError as exc:
                        problems.append(f"{label}.kinds: {exc}")
                for fld in _LINK_COLUMN_FIELDS:
                    if getattr(link, fld):
                        need(getattr(link, fld), f"{label}.{fld}")
                for prop, col in link.properties.items():
                    need(col, f"{label}.properties.{prop}")
        else:
            for canon in required:
                col = self.columns.get(canon, canon)
                actual = resolve(col)
                if actual is None:
                    how = (f"columns: {{{canon}: ...}}" if canon not in self.columns else f"columns.{canon}")
                    missing.append(f"{col!r} (the {canon} field; name it with --map {canon}=COLUMN or {how})")
                else:
                    found[col] = actual
            for canon, col in self.columns.items():
                if canon not in CANONICAL_FIELDS:
                    problems.append(f"columns: unknown field {canon!r}; canonical fields are "
                                    f"{', '.join(CANONICAL_FIELDS)}")
                elif canon not in required and canon in fields:
                    actual = resolve(col)
                    if actual is None:
                        missing.append(f"{col!r} (columns.{canon})")
                    else:
                        found[col] = actual
            for kind in (self.node_kind,):
                if kind:
                    try:
                        model.check_entity_kind(kind)
                    except SchemaError as exc:
                        problems.append(f"node_kind: {exc}")
            for kind in (self.link_kind, *self.kinds.values()):
                if kind:
                    try:
                        model.check_link_kind(kind)
                    except SchemaError as exc:
                        problems.append(f"link_kind: {exc}")
        if missing:
            problems.insert(0, "the mapping names columns the table does not have: " + "; ".join(missing)
                            + f". The table's columns are: {', '.join(map(str, columns))}")
        if problems:
            head = problems[0] if len(problems) == 1 else "the mapping does not fit the table:\n" + "\n".join(
                f"  - {p}" for p in problems)
            hint = "fix the column names in the mapping file"
            if self.path and self.path != str(where):
                hint += f" ({self.path})"
            raise MappingError(head, file=str(where), hint=hint + " or rename the table's columns")
        return found

    def fingerprint(self) -> dict[str, Any]:
        """What makes two imports of the same file differ (stored with the import)."""
        return self.to_dict()


def _split_pair(pair: str) -> tuple[str, str]:
    key, sep, value = str(pair).partition("=")
    if not sep or not key.strip() or not value.strip():
        raise MappingError(f"--map {pair!r} is not of the form field=Column", file="--map",
                           hint="e.g. --map caller=A_NUMBER --map start=DATE")
    return key.strip(), value.strip()


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _shape(value: Any) -> str:
    """How a wrong value looks, for a message: ``42 (a number)``."""
    kind = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list"}.get(
        type(value), type(value).__name__)
    text = repr(value)
    return f"{text if len(text) <= 40 else text[:39] + '…'} ({kind})"


def _table_of(value: Any, where: str, what: str, problems: list[str]) -> TMapping[str, Any]:
    """``value`` when it is a table of keys; otherwise a problem naming the key, and an empty table."""
    if value is None:
        return {}
    if not isinstance(value, TMapping):
        problems.append(f"{where}: must be a table of keys ({what}), not {_shape(value)}")
        return {}
    return value


def _str_dict(value: Any, where: str, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, TMapping):
        problems.append(f"{where}: must be a table of name: column, not {_shape(value)}")
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


def _named(canon: str, cols: TMapping[str, str]) -> str:
    """``caller`` or ``caller (A_NUMBER)``: the field, and the column when it is named otherwise."""
    col = cols.get(canon, canon)
    return canon if col == canon else f"{canon} ({col})"


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", str(name).strip().lstrip("\ufeff")).lower()


def _column_resolver(columns: Sequence[str]):
    exact = {str(c): str(c) for c in columns}
    loose: dict[str, str] = {}
    for c in columns:
        loose.setdefault(_norm(c), str(c))

    def resolve(name: str) -> str | None:
        return exact.get(name) or loose.get(_norm(name))

    return resolve


# ---------------------------------------------------------------------------------------------
# Reading tables
# ---------------------------------------------------------------------------------------------
@dataclass
class TableRecord:
    """One data row: where it is, its values by column (None for a malformed row), its raw text."""

    locator: str
    values: dict[str, Any] | None
    raw: Any
    error: str | None = None
    #: column -> what is wrong with its cell (an XLSX formula with no saved value)
    cell_problems: dict[str, str] = field(default_factory=dict)


@dataclass
class Table:
    """A table read from a CSV or XLSX file: its columns and its records in file order."""

    path: Path
    columns: list[str]
    records: list[TableRecord]
    encoding: str | None = None
    sheet: str | None = None
    truncated: bool = False

    def __len__(self) -> int:
        return len(self.records)


_XLSX_SUFFIXES = {".xlsx", ".xlsm"}


def sniff_kind(path: Path, head: bytes | None = None, encoding: str | None = None) -> str:
    """What a file is by its first bytes: ``xlsx``, ``json``, ``text``, ``empty`` or ``binary``.

    NUL bytes make a file binary unless ``encoding`` (the mapping's) is one where text has them:
    UTF-16 or UTF-32 without a byte-order mark (``utf-16-le``)."""
    if head is None:
        with open(path, "rb") as f:
            head = f.read(4096)
    if not head.strip():
        return "empty"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(UTF16_BOMS):
        return "text"
    body = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if body[:1] in (b"{", b"["):
        return "json"
    if b"\x00" in head and not (encoding and b"\x00" in _line_end(encoding, head)):  # UTF-16, UTF-32
        return "binary"
    return "text"


#: The byte-order marks of UTF-16 (little-, big-endian): a file that starts with one is UTF-16.
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def file_encoding(head: bytes, encoding: str | None) -> str | None:
    """The encoding a file is read in, from its first bytes: the mapping's ``encoding``, else
    UTF-16 when it starts with a UTF-16 byte-order mark, else None (UTF-8, its mark tolerated)."""
    return encoding or ("utf-16" if head.startswith(UTF16_BOMS) else None)


def _line_end(encoding: str | None, head: bytes) -> bytes:
    """A line end in ``encoding`` (``b"\\n"`` for UTF-8 and one Python does not know); UTF-16 and
    UTF-32 in the byte order of the byte-order mark ``head`` starts with (else little-endian)."""
    try:
        name = codecs.lookup(encoding or "utf-8").name
    except LookupError:
        return b"\n"  # the unknown codec is named when the text is decoded
    if name in ("utf-16", "utf-32"):
        name += "-be" if head.startswith((b"\xfe\xff", b"\x00\x00\xfe\xff")) else "-le"
    try:
        return "\n".encode(name.removesuffix("-sig"))  # utf-8-sig would put its mark first
    except (LookupError, UnicodeError):
        return b"\n"


def check_xlsx_suffix(path: Path, kind: str) -> None:
    """Refuse a file named ``.xlsx`` that is not a workbook (an XLSX file is a zip archive).

    Read as whatever it is instead, a CSV saved under an .xlsx name would come out as a table whose
    columns no mapping fits, and the mapping would be blamed.
    """
    if path.suffix.lower() in _XLSX_SUFFIXES and kind not in ("xlsx", "xls", "empty"):
        looks = {"json": "JSON", "text": "text (a CSV?)", "binary": "some other binary file"}.get(kind, kind)
        raise InputError(f"is not an XLSX workbook: an {path.suffix.lower()} file is a zip archive, this one is {looks}",
                         file=str(path), hint="if it is a CSV table saved under an .xlsx name, rename it to .csv; "
                                              "otherwise ask the partner to export the workbook again")


def decode_text(data: bytes, *, path: Path | str, encoding: str | None = None) -> tuple[str, str]:
    """Decode a file's bytes: the named encoding, else UTF-16 by its BOM, else UTF-8 (BOM tolerated)."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise MappingError(f"unknown encoding {encoding!r}", file=str(path),
                               hint="name a Python codec in the mapping's encoding:, e.g. latin-1 or cp1252") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"cannot be read as {encoding} ({exc.reason} at byte {exc.start})", file=str(path),
                             hint="correct the mapping's encoding: (e.g. utf-8, latin-1, cp1252)") from None
    if data.startswith(UTF16_BOMS):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        bad = data[exc.start:exc.start + 1].hex()
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"is not UTF-8 text (byte 0x{bad} on line {line})", file=str(path),
            hint=("if it was exported as Latin-1 or Windows-1252, say so in its mapping file "
                  f"({Path(path).stem}.mapping.yaml beside it): `encoding: latin-1` (or cp1252)")) from None


def _head_lines(data: bytes, size: int, encoding: str | None) -> bytes:
    """The whole lines in the first ``size`` bytes of a file (all of them when no line ends there),
    cut where a line ends in the file's encoding: in UTF-16 a line end is two bytes at an even
    offset, and a lone byte 0x0a may be half of another character."""
    end = _line_end(file_encoding(data, encoding), data)
    cut = data.rfind(end, 0, size)
    while cut > 0 and cut % len(end):
        cut = data.rfind(end, 0, cut)
    return data[:cut + len(end)] if cut > 0 else data[:size - size % len(end)]


def read_table(path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
               delimiter: str | None = None, head_bytes: int | None = None) -> Table:
    """Read a CSV (or TSV) or XLSX file into a :class:`Table`.

    Whole-file problems raise :class:`~netintel.errors.InputError` naming the file: an empty
    file, a binary or JSON file where a table was expected, an encoding that does not decode, a
    header with duplicate or empty column names. A row with more or fewer fields than the header
    becomes a record with an ``error`` (it goes to the quarantine, it is not dropped).
    ``head_bytes`` reads only the first rows of a CSV (to recognise its format; of a workbook,
    a row for each 64 bytes); the table's ``truncated`` then says whether rows were left out.
    """
    path = Path(path)
    with open(path, "rb") as f:
        data = f.read() if head_bytes is None else f.read(head_bytes + 1)
    truncated = False
    if head_bytes is not None and len(data) > head_bytes:
        data, truncated = _head_lines(data, head_bytes, encoding), True
    kind = sniff_kind(path, data[:4096], encoding)
    if kind == "empty":
        raise InputError("is empty", file=str(path), hint="export the table again, with its header row")
    check_xlsx_suffix(path, kind)
    if kind == "xlsx":  # a head read takes about the rows head_bytes of a CSV would hold
        return _read_xlsx(path, sheet, None if head_bytes is None else max(16, head_bytes // 64))
    if kind == "xls":
        raise InputError("is an old binary Excel (.xls) workbook", file=str(path),
                         hint="save it as .xlsx or CSV and import that")
    if kind == "json":
        raise InputError("is JSON, not a table", file=str(path),
                         hint="STIX bundles and FtM JSON lines are recognised by their content; "
                              "check the file is one of those, or give --format")
    if kind == "binary":
        raise InputError("is a binary file, not a CSV table or XLSX workbook", file=str(path),
                         hint="export the data as CSV (UTF-8) or XLSX")
    text, used = decode_text(data, path=path, encoding=encoding)
    table = _read_csv_text(path, text, used, delimiter)
    table.truncated = truncated
    return table


def _read_csv_text(path: Path, text: str, encoding: str, delimiter: str | None) -> Table:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InputError("is empty", file=str(path), hint="export the table again, with its header row")
    if delimiter is None:
        sample = text[:20000]
        first = sample.splitlines()[0] if sample.splitlines() else sample
        try:
            delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    lines = _PHYSICAL_LINE.findall(text)
    header: list[str] | None = None
    records: list[TableRecord] = []
    pos = 0  # index of the next physical line to read
    while pos < len(lines):
        reader = csv.reader(itertools.islice(lines, pos, None), delimiter=delimiter)
        base, prev = pos, 0
        restart = None
        while True:
            start = base + prev + 1  # the record's first physical line (1-based)
            try:
                fields = next(reader)
            except StopIteration:
                pos = len(lines)
                break
            except csv.Error as exc:  # an unclosed quote that ran past the field size limit, a NUL, ...
                restart = (start, f"cannot be read as CSV ({exc})")
                break
            prev = reader.line_num
            end = base + prev
            if end > start and header is not None:
                why = _swallowed(lines[start - 1:end], delimiter)
                if why:
                    restart = (start, why)
                    break
            if not fields or (len(fields) == 1 and not lines[start - 1].strip()):
                continue  # a blank line is not a record
            if header is None:
                if all(not f.strip() for f in fields):
                    continue
                header = [f.strip().lstrip("\ufeff") for f in fields]
                while len(header) > 1 and header[-1] == "":  # a spreadsheet's trailing delimiter
                    header.pop()
                _check_header(path, header)
                continue
            locator = f"line {start}"
            raw = delimiter.join(fields)
            if all(not f.strip() for f in fields):
                records.append(TableRecord(locator, None, raw, "empty row: every field is empty (delete the row, "
                                                               "or fill it in)"))
                continue
            if len(fields) != len(header):
                # trailing empty fields (a spreadsheet's habit) are harmless
                if len(fields) > len(header) and not any(f.strip() for f in fields[len(header):]):
                    fields = fields[:len(header)]
                else:
                    records.append(TableRecord(locator, None, raw,
                                               f"malformed row: {len(fields)} fields where the header has "
                                               f"{len(header)}"))
                    continue
            records.append(TableRecord(locator, dict(zip(header, fields)), raw))
        if restart is not None:
            # the bad line goes to the quarantine alone; reading starts again on the line after it
            line, why = restart
            if header is None:
                raise InputError(f"is not a readable CSV table: its header (line {line}) {why}", file=str(path),
                                 hint="check the quoting of the header row, or export it again")
            records.append(TableRecord(f"line {line}", None, lines[line - 1].rstrip("\r\n"), why))
            pos = line
    if header is None:
        raise InputError("is empty", file=str(path), hint="export the table again, with its header row")
    return Table(path, header, records, encoding=encoding)


# a physical line of a CSV file: what a spreadsheet shows as one row (the csv module's line ends)
_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")


def _swallowed(lines: list[str], delimiter: str) -> str | None:
    """Why a record read over several lines is an unclosed quote that swallowed the rows after it, if it is.

    A quoted field may hold line breaks (an address over two lines), and then its quoting is
    exact. A quote left open instead runs on until the end of the file or until the next quote
    character, which is then followed by more text where a delimiter or the end of the line
    should be: read strictly, the record does not parse.
    """
    try:
        list(csv.reader(lines, delimiter=delimiter, strict=True))
    except csv.Error:
        return (f"has an unclosed quote (\") that swallowed the {len(lines) - 1} line(s) after it; the line is "
                "quarantined alone and the lines after it are read as rows: close the quote, or remove it")
    return None


def _check_header(path: Path, header: list[str]) -> None:
    seen: dict[str, int] = {}
    dupes = []
    for h in header:
        if h and h in seen:
            dupes.append(h)
        seen[h] = seen.get(h, 0) + 1
    if dupes:
        raise InputError(f"has duplicate column names {sorted(set(dupes))}", file=str(path),
                         hint="rename the columns so each name appears once")


def xlsx_frame(path: Path, sheet: str | None, nrows: int | None = None) -> tuple[str, Any, bool]:
    """The sheet's name, its cells as read (an object DataFrame, a row per sheet row from the
    first, missing cells NaN) and whether rows past ``nrows`` were left out."""
    import pandas as pd

    try:
        book = pd.ExcelFile(path, engine="calamine")  # Rust: 100k rows in 2.4 s, openpyxl 21 s
    except Exception as exc:  # a bad workbook raises several unrelated types
        raise InputError(f"is not a readable XLSX workbook ({type(exc).__name__}: {exc})", file=str(path),
                         hint="open and save it again in a spreadsheet program, or export it as CSV") from None
    with book:
        names = [str(s) for s in book.sheet_names]
        if sheet is not None and sheet not in names:
            raise MappingError(f"has no sheet {sheet!r}; its sheets are {', '.join(names)}", file=str(path),
                               hint="correct sheet: in the mapping")
        name = sheet if sheet is not None else names[0]
        # an empty cell (and an error such as #N/A) is missing; "NA" (Namibia) and "null" are text, as in a CSV
        frame = pd.read_excel(book, sheet_name=name, header=None, dtype=object, keep_default_na=False,
                              na_values=[""], nrows=None if nrows is None else nrows + 1)
    truncated = nrows is not None and len(frame) > nrows
    if truncated:
        frame = frame.iloc[:nrows]
    return name, frame, truncated


def xlsx_header(path: Path, cells: Sequence[Any]) -> list[str]:
    """A sheet's header row (cells as :func:`xlsx_cell` gives them): names stripped, trailing
    empty names dropped, checked."""
    header = [str(c).strip() if c is not None else "" for c in cells]
    while header and header[-1] == "":
        header.pop()
    _check_header(path, header)
    return header


def _read_xlsx(path: Path, sheet: str | None, nrows: int | None = None) -> Table:
    """The sheet (the first when ``sheet`` is None) as a table; its first ``nrows`` rows only when
    given (the table is then ``truncated`` if the sheet has more)."""
    name, frame, truncated = xlsx_frame(path, sheet, nrows)
    rows = frame.values.tolist()
    formulas = _formulas_without_value(path, name, frame) if has_formulas(path) else {}
    header: list[str] | None = None
    records: list[TableRecord] = []
    for i, row in enumerate(rows):
        cells = [xlsx_cell(v) for v in row]
        unsaved = formulas.get(i, {})
        if all(c is None for c in cells) and not (unsaved and header is not None):
            continue
        if header is None:
            header = xlsx_header(path, cells)
            continue
        extra = cells[len(header):]
        locator = f"sheet {name} row {i + 1}"
        raw = "\t".join("" if c is None else str(c) for c in cells)
        if any(c is not None for c in extra):
            records.append(TableRecord(locator, None, raw, f"malformed row: values beyond the header's "
                                                           f"{len(header)} columns"))
            continue
        problems = {header[j]: (f"cell {_column_letter(j)}{i + 1} holds the formula {f} but no saved value "
                                "(the workbook was written by a program that does not calculate); open and save "
                                "it in a spreadsheet program so the value is stored, or export it as CSV")
                    for j, f in unsaved.items() if j < len(header)}
        if all(c is None for c in cells):
            records.append(TableRecord(locator, None, raw, "every cell is a formula with no saved value: "
                                                           + "; ".join(problems.values())))
            continue
        records.append(TableRecord(locator, dict(zip(header, cells[:len(header)])), raw, cell_problems=problems))
    if header is None:
        raise InputError(f"sheet {name!r} is empty", file=str(path), hint="export the table again, with its header row")
    return Table(path, header, records, sheet=name, truncated=truncated)


#: A formula element in a worksheet's XML (``<f>``, ``<f t="shared" .../>``, ``<x:f>``); text never
#: holds a ``<``, XML escapes it.
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")


def has_formulas(path: Path, chunk_size: int = 1 << 20) -> bool:
    """Whether any worksheet of the workbook holds a formula, by a scan of its XML (most exports
    hold none, and then the cell-by-cell read of :func:`_formulas_without_value` is skipped)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            for member in book.namelist():
                if not (member.startswith("xl/worksheets/") and member.endswith(".xml")):
                    continue
                with book.open(member) as f:
                    tail = b""
                    while chunk := f.read(chunk_size):
                        if _FORMULA_TAG.search(tail + chunk):
                            return True
                        tail = chunk[-64:]
    except (OSError, zipfile.BadZipFile):
        return True  # let openpyxl read it and say what is wrong
    return False


def _formulas_without_value(path: Path, sheet: str, frame) -> dict[int, dict[int, str]]:
    """row index -> column index -> formula, for every formula cell whose saved value is empty.

    ``frame`` holds the saved values (what a spreadsheet last calculated, as openpyxl's
    ``data_only`` reads them); a workbook written by a program that does not calculate has
    formulas and no values, which must not pass for empty cells.
    """
    from openpyxl import load_workbook

    out: dict[int, dict[int, str]] = {}
    book = load_workbook(path, read_only=True, data_only=False)
    try:
        for row in book[sheet].iter_rows():
            for cell in row:
                if getattr(cell, "data_type", None) != "f":
                    continue
                i, j = cell.row - 1, cell.column - 1
                if i >= frame.shape[0] or j >= frame.shape[1] or xlsx_cell(frame.iat[i, j]) is None:
                    out.setdefault(i, {})[j] = str(cell.value)
    finally:
        book.close()
    return out


def _column_letter(index: int) -> str:
    """``A`` for column 0, ``AA`` for column 26."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xlsx_cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if isinstance(value, (datetime, date)):
        return value
    return str(value)


# ---------------------------------------------------------------------------------------------
# Row helpers shared by the loaders
# ---------------------------------------------------------------------------------------------
def run_records(builder: BatchBuilder, table: Table, handle) -> None:
    """Feed every record to ``handle(record)``; account for each as accepted or quarantined.

    ``handle`` must check everything before it adds anything to the builder, so that a record
    it rejects (by raising :class:`RecordError`) leaves no trace.
    """
    for rec in table.records:
        builder.read()
        if rec.error is not None:
            builder.quarantine(rec.locator, rec.error, rec.raw)
            continue
        try:
            record_key = handle(rec)
        except (RecordError, SchemaError) as exc:
            builder.quarantine(rec.locator, str(exc), rec.values)
            continue
        except (ValueError, TypeError, OverflowError, KeyError) as exc:
            builder.quarantine(rec.locator, f"cannot be read: {type(exc).__name__}: {exc}", rec.values)
            continue
        builder.accept(rec.locator, rec.raw, record_key)  # the row as written


def row_provenance(builder: BatchBuilder, mapping: Mapping, values: TMapping[str, Any],
                   cols: TMapping[str, str]) -> dict[str, Any]:
    """The provenance of one row: the builder's defaults with the row's own columns over them."""
    if not mapping.record:
        return builder.provenance()
    got = {fld: clean(values.get(cols.get(col, col))) for fld, col in mapping.record.items()}
    reported = got.get("reported")
    if reported is not None and not isinstance(reported, (date, datetime)):
        try:
            reported = parse_datetime(reported, mapping.date_format or None).date()
        except RecordError as exc:
            raise RecordError(f"reported date ({mapping.record['reported']}): {exc}") from None
    try:
        return builder.provenance(grading=got.get("grading"), grading_scheme=got.get("grading_scheme"),
                                  handling=got.get("handling"), releasable_to=got.get("releasable_to"),
                                  reported=reported)
    except RecordError as exc:
        field_name = next((mapping.record[f] for f in ("grading", "handling") if f in mapping.record
                           and f in str(exc)), None)
        raise RecordError(f"{exc}" + (f" (column {field_name})" if field_name else "")) from None


def parse_number(value: Any, what: str) -> float | None:
    """A number as exports write it: ``1234.5``, ``1,234.50``, ``1.234,50``, ``1234,5``; None if empty.

    A single dot is a decimal point (``0.250`` is a quarter); dots are thousands separators only
    when there are several or a decimal comma follows.

    >>> parse_number("0.250", "amount"), parse_number("1.234.567", "amount"), parse_number("1.234,5", "amount")
    (0.25, 1234567.0, 1234.5)
    """
    value = clean(value)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if number != number or number in (float("inf"), float("-inf")):
            raise RecordError(f"{what} {value!r} is not a number")
        return number
    text = str(value).replace("\u00a0", "").replace(" ", "").replace("'", "")
    text = re.sub(r"^[€$£]|[€$£]$", "", text)
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    elif re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+(,\d+)?", text):
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"[-+]?\d+,\d+", text):
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise RecordError(f"{what} {value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise RecordError(f"{what} {value!r} is not a number")
    return number


# partial dates of birth as exports write them: (pattern, year group, month group)
_PARTIAL_DATE = (
    (re.compile(r"^(\d{4})$"), 1, None),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), 1, 2),
    (re.compile(r"^(\d{1,2})[/.-](\d{4})$"), 2, 1),
)


def parse_date_property(value: Any, formats: Sequence[str], what: str) -> str:
    """A date property (birth date, ...) as ISO text; partial dates (``1975``, ``03/1975``) kept partial.

    >>> parse_date_property("03/1975", (), "birth_date"), parse_date_property("17.03.1975", (), "birth_date")
    ('1975-03', '1975-03-17')
    """
    if isinstance(value, (date, datetime)):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    got = _date_text(str(value).strip(), tuple(formats or ()), what)
    if isinstance(got, RecordError):
        raise RecordError(str(got))
    return got


@cached_outcome
def _date_text(text: str, formats: tuple[str, ...], what: str) -> str:
    """:func:`parse_date_property` of a value's text (its RecordError returned, not raised)."""
    for fmts in ((formats or None), None) if formats else (None,):
        try:
            return parse_datetime(text, fmts).date().isoformat()
        except RecordError:
            pass
    for pattern, year, month in _PARTIAL_DATE:
        m = pattern.match(text)
        if m is None:
            continue
        if month is None:
            return m.group(year)
        if 1 <= int(m.group(month)) <= 12:
            return f"{m.group(year)}-{int(m.group(month)):02d}"
    raise RecordError(f"{what} {text!r} is not a date" + (f" in the form {' or '.join(formats)}" if formats else
                                                          " in a recognised form (ISO 8601, 01/06/2006, 1975)"))


def is_date_property(name: str) -> bool:
    return name == "date" or name.endswith("_date")


# ---------------------------------------------------------------------------------------------
# Loading an entity and link table
# ---------------------------------------------------------------------------------------------
def load_table(path: str | Path, builder: BatchBuilder, mapping: Mapping, *, table: Table | None = None) -> None:
    """Read an entity/link table through its mapping into ``builder``.

    Each row yields one entity per entity spec that has a value in it, and one link per link
    spec whose two ends are present (a link between reference specs requires both ends: a row
    that lacks one is quarantined). A row with a duplicate id of an entity spec that has
    properties (the same person id twice in a persons table) is quarantined as a duplicate; a
    row that yields nothing at all is quarantined too.
    """
    path = Path(path)
    model = builder.model
    if table is None and mapping.entities:
        from ._bulk import open_plain_csv
        from ._bulk_table import load_table_columnar

        plain = open_plain_csv(path, encoding=mapping.encoding, sheet=mapping.sheet, delimiter=mapping.delimiter)
        if plain is not None:
            # a plain CSV file: read in bulk (the same rows as below), unless it needs what only the
            # record path does
            cols = mapping.validate(plain.header, file=str(path), model=model)
            if load_table_columnar(plain, builder, mapping, cols):
                return
    if table is None:
        table = read_table(path, encoding=mapping.encoding, sheet=mapping.sheet, delimiter=mapping.delimiter)
    cols = mapping.validate(table.columns, file=str(path), model=model)
    fmts = mapping.date_format
    seen_ids: dict[tuple[str, str], str] = {}
    seen_links: dict[str, str] = {}

    def value(values: TMapping[str, Any], column: str | None) -> Any:
        return clean(values.get(cols.get(column, column))) if column else None

    def entity_kind(spec: EntitySpec, values) -> str:
        if spec.kind_column:
            raw = value(values, spec.kind_column)
            if raw is None:
                if spec.kind:
                    return model.check_entity_kind(spec.kind)
                raise RecordError(f"entity kind is missing (column {spec.kind_column})")
            try:
                return model.check_entity_kind(spec.kinds.get(str(raw), spec.kinds.get(str(raw).lower(), raw)))
            except SchemaError:
                raise RecordError(f"unknown entity kind {raw!r} in column {spec.kind_column}; map it in kinds: "
                                  "or add the kind to the model") from None
        return model.check_entity_kind(spec.kind)

    def handle(rec: TableRecord) -> str | None:
        values = rec.values
        line = rec.locator
        prov = row_provenance(builder, mapping, values, cols)
        planned: dict[str, tuple[str, str, dict[str, Any]]] = {}
        orphans: list[tuple[str, str, Any, str]] = []
        first_key = None
        for name, spec in mapping.entities.items():
            props: dict[str, Any] = {}
            flags = []
            for prop, col in spec.properties.items():
                v = value(values, col)
                if v is None:
                    if cols.get(col, col) in rec.cell_problems:  # a formula cell with no saved value
                        flags.append((prop, col, None, rec.cell_problems[cols.get(col, col)]))
                    continue
                if is_date_property(prop):
                    try:
                        v = parse_date_property(v, fmts, f"{prop} ({col})")
                    except RecordError as exc:
                        flags.append((prop, col, v, f"{exc}; the record is kept without it: correct the date "
                                                    "in the source (or the mapping's date_format)"))
                        continue
                    future = future_date_problem(prop, v)
                    if future:
                        flags.append((prop, col, v, f"{future}; the record is kept without it: correct the "
                                                    "date in the source"))
                        continue
                elif isinstance(v, (datetime, date)):
                    v = v.isoformat()
                props[prop] = v
            if spec.id is not None and value(values, spec.id) is None and cols.get(spec.id, spec.id) in \
                    rec.cell_problems:
                raise RecordError(f"entities.{name}: the id column {spec.id!r}: "
                                  f"{rec.cell_problems[cols.get(spec.id, spec.id)]}")
            if flags and not props and value(values, spec.id) is None:
                # nothing of this entity is left to carry the flags (a phone whose number cell is a
                # formula): the row's first entity carries them, named by spec, so none goes unseen
                orphans += [(f"{name}.{prop}", col, v, problem) for prop, col, v, problem in flags]
                continue
            for prop, col, v, problem in flags:
                flag_field(props, prop, col, v, problem)
            ident = value(values, spec.id)
            if ident is None and not props:
                continue
            kind = entity_kind(spec, values)
            if ident is None:
                if spec.id is not None:
                    raise RecordError(f"entities.{name}: the id column {spec.id!r} is empty")
                ek = model.entity(kind)
                idents = [p for p in ek.identifiers if props.get(p) is not None]
                if idents and (not ek.label or ek.label[0] in ek.identifiers):
                    srid = str(props[idents[0]])
                else:
                    srid = f"{path.name}#{line}"
            else:
                srid = str(ident)
            if not spec.is_reference and spec.id is not None:
                key = (kind, srid)
                if key in seen_ids:
                    raise RecordError(f"duplicate id {srid!r} in column {spec.id} (first at {seen_ids[key]})")
            planned[name] = (kind, srid, props)
            first_key = first_key or f"{kind}:{srid}"
        if orphans:
            if not planned:
                raise RecordError("; ".join(f"{f} ({c}): {p}" for f, c, _, p in orphans))
            for fld, col, v, problem in orphans:
                flag_field(next(iter(planned.values()))[2], fld, col, v, problem)
        links = []
        for i, spec in enumerate(mapping.links):
            ends = [planned.get(spec.source), planned.get(spec.target)]
            required = mapping.entities[spec.source].is_reference or mapping.entities[spec.target].is_reference
            if ends[0] is None or ends[1] is None:
                if required and (ends[0] is not None or ends[1] is not None or not planned):
                    missing = spec.source if ends[0] is None else spec.target
                    raise RecordError(f"links[{i}]: the {'source' if ends[0] is None else 'target'} "
                                      f"({missing}) has no value")
                continue
            if spec.kind_column:
                raw_kind = value(values, spec.kind_column)
                if raw_kind is None:
                    if spec.kind is None:
                        raise RecordError(f"link kind is missing (column {spec.kind_column})")
                    raw_kind = spec.kind
                mapped = spec.kinds.get(str(raw_kind), spec.kinds.get(str(raw_kind).lower(), raw_kind))
                try:
                    kind = model.check_link_kind(mapped)
                except SchemaError:
                    raise RecordError(f"unknown link kind {raw_kind!r} in column {spec.kind_column}; map it in "
                                      "kinds: or add the kind to the model") from None
            else:
                kind = model.check_link_kind(spec.kind)
            first = value(values, spec.first_seen)
            last = value(values, spec.last_seen)
            try:
                first = parse_datetime(first, fmts or None) if first is not None else None
                last = parse_datetime(last, fmts or None) if last is not None else None
            except RecordError as exc:
                raise RecordError(f"links[{i}] first/last seen: {exc}") from None
            weight = parse_number(value(values, spec.weight), f"weight ({spec.weight})") if spec.weight else None
            amount = parse_number(value(values, spec.amount), f"amount ({spec.amount})") if spec.amount else None
            lid = value(values, spec.id)
            if spec.id is not None:
                if lid is None:
                    raise RecordError(f"links[{i}]: the id column {spec.id!r} is empty")
                if str(lid) in seen_links:
                    raise RecordError(f"duplicate link id {lid!r} in column {spec.id} (first at "
                                      f"{seen_links[str(lid)]})")
            props = {p: value(values, c) for p, c in spec.properties.items()}
            props = {p: (v.isoformat() if isinstance(v, (date, datetime)) else v) for p, v in props.items()
                     if v is not None}
            links.append((i, kind, ends[0], ends[1], None if lid is None else str(lid), first, last, weight, amount,
                          value(values, spec.currency), props))
        if not planned and not links:
            raise RecordError("the row has no value in any mapped column")
        # everything checked: now add
        ids: dict[str, str] = {}
        for name, (kind, srid, props) in planned.items():
            ids[name] = builder.entity(kind, srid, props, locator=line, prov=prov)
            spec = mapping.entities[name]
            if not spec.is_reference and spec.id is not None:
                seen_ids[(kind, srid)] = line
        for i, kind, src, tgt, lid, first, last, weight, amount, currency, props in links:
            source_id = ids[mapping.links[i].source]
            target_id = ids[mapping.links[i].target]
            srid = lid
            if srid is None and not model.link(kind).directed:
                a, b = sorted([source_id, target_id])
                srid = f"{kind}:{a}->{b}"
            builder.link(kind, source_id, target_id, source_record_id=srid, locator=line, first_seen=first,
                         last_seen=last, weight=weight, amount=amount, currency=currency, properties=props, prov=prov)
            if lid is not None:
                seen_links[lid] = line
        return first_key

    run_records(builder, table, handle)

