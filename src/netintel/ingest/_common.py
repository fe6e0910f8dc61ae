"""What every loader shares: provenance defaults, date parsing and the batch builder.

A loader reads its file, and for each record (row, JSON object, STIX object) either accepts it,
adding entities, links and events to the :class:`BatchBuilder`, or quarantines it with a reason.
The builder then yields one :class:`~netintel.workspace.ImportBatch` that the workspace writes in
one transaction. read = accepted + quarantined, always.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import NetintelError, InputError, SchemaError
from ..grading import parse_grading
from ..handling import canonical_handling, default_releasable
from ..model import Model, default_model
from ..workspace import ImportBatch, file_sha256, record_id, source_key

__all__ = ["Provenance", "BatchBuilder", "RecordError", "parse_datetime", "parse_date", "clean", "read_head",
           "loads_json", "decode_json_at", "flag_field", "future_date_problem"]


class RecordError(ValueError):
    """One record cannot be accepted; its message becomes the quarantine reason."""


@dataclass(frozen=True)
class Provenance:
    """Defaults that apply to every record of a source unless the record says otherwise."""

    agency: str
    country: str
    grading: str | None = None
    grading_scheme: str | None = None
    handling: str | None = None
    releasable_to: tuple[str, ...] | None = None
    reported: date | None = None

    def with_overrides(self, **kw: Any) -> "Provenance":
        return replace(self, **{k: v for k, v in kw.items() if v is not None})

    @staticmethod
    def check_country(country: str, *, file: str | None = None) -> str:
        from ..handling import country_code  # the one country check of netintel

        try:
            return country_code(country, what="country")
        except NetintelError as exc:
            raise InputError(str(exc), file=file, hint="give --country (or country: in source.yaml) as two "
                             "letters, e.g. NL") from None


def clean(value: Any) -> Any:
    """None for the many ways exports write 'nothing' (NaN, '', 'NULL', 'n/a'); strings stripped."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        v = value.strip().lstrip("\ufeff")
        return None if v == "" or v.upper() in {"NULL", "NONE", "N/A", "NA", "NAN", "-"} else v
    return value


_TIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d",
    "%Y%m%d %H%M", "%Y%m%d %H%M%S", "%Y%m%d%H%M%S", "%Y%m%d",
    "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
)


def parse_datetime(value: Any, fmt: str | Iterable[str] | None = None) -> datetime:
    """Parse a date-time as exports write it; naive UTC out.

    Recognised without a format: ISO 8601 (with or without zone), ``20060601 0008``,
    ``01/06/2006 00:08`` (day first, as European exports write it), ``01.06.2006``, and epoch
    seconds (9 to 10 digits) or milliseconds (12 to 13 digits).

    >>> parse_datetime("20060601 0008")
    datetime.datetime(2006, 6, 1, 0, 8)
    >>> parse_datetime("01/06/2006 00:08")
    datetime.datetime(2006, 6, 1, 0, 8)
    >>> parse_datetime("2006-06-01T00:08:00+02:00")
    datetime.datetime(2006, 5, 31, 22, 8)
    >>> parse_datetime(1149120480)
    datetime.datetime(2006, 6, 1, 0, 8)
    """
    if isinstance(value, datetime):
        return _naive_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if hasattr(value, "to_pydatetime"):
        return _naive_utc(value.to_pydatetime())
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise RecordError("date is missing")
    formats = None if not fmt else ((fmt,) if isinstance(fmt, str) else tuple(fmt))
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    got = _parse_text(str(value).strip(), formats, number)
    if isinstance(got, RecordError):
        raise RecordError(str(got))
    return got


def cached_outcome(fn):
    """``fn`` run once per distinct (hashable) arguments, its result or its :class:`RecordError`
    kept: exports repeat their dates and numbers, and a value that fails fails the same way again.
    Results must be immutable (a datetime, a string, a float)."""
    @lru_cache(maxsize=1 << 16)
    def outcome(*args):
        try:
            return fn(*args)
        except RecordError as exc:
            return exc
    outcome.__doc__, outcome.__name__ = fn.__doc__, fn.__name__
    return outcome


@cached_outcome
def _parse_text(text: str, formats: tuple[str, ...] | None, number: bool) -> datetime:
    """:func:`parse_datetime` of a value's text (its RecordError returned, not raised)."""
    if formats:
        for f in formats:
            try:
                return _naive_utc(datetime.strptime(text, f))
            except ValueError:
                continue
        raise RecordError(f"date {text!r} does not match the format {' or '.join(formats)}")
    if re.fullmatch(r"\d{9,10}(\.\d+)?", text) or number:
        return datetime.fromtimestamp(float(text), tz=timezone.utc).replace(tzinfo=None)
    if re.fullmatch(r"\d{12,13}", text):
        return datetime.fromtimestamp(int(text) / 1000, tz=timezone.utc).replace(tzinfo=None)
    try:
        return _naive_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    for f in _TIME_FORMATS:
        try:
            return datetime.strptime(text, f)
        except ValueError:
            continue
    raise RecordError(
        f"date {text!r} is in no recognised form (ISO 8601, 20060601 0008, 01/06/2006 00:08, epoch seconds); "
        "give the format with --time-format"
    )


def read_head(path: str | Path, size: int = 1 << 16) -> str | None:
    """The first ``size`` bytes of a file as text (BOM dropped, leading space stripped), for sniffers;
    None when the file cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(size)
    except OSError:
        return None
    return head.decode("utf-8-sig", "replace").lstrip()


_TOO_DEEP = ("arrays or objects nested deeper than Python's JSON reader goes (recursion limit); no real export "
             "nests that deep: the file is corrupt or hostile, ask the partner to export it again")


def loads_json(text: str) -> Any:
    """``json.loads``, but JSON nested too deep to read is a ``JSONDecodeError`` like any other bad JSON.

    Python's reader recurses once per level: 100,000 nested arrays raise ``RecursionError``,
    which no loader expects. Here they are a ValueError whose message says what is wrong.

    >>> loads_json("[" * 100000 + "]" * 100000)
    Traceback (most recent call last):
    ...
    json.decoder.JSONDecodeError: arrays or objects nested deeper than ...
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError(_TOO_DEEP, text, 0) from None


def decode_json_at(decoder: json.JSONDecoder, text: str, pos: int = 0) -> tuple[Any, int]:
    """``decoder.raw_decode(text, pos)`` with the same treatment of JSON nested too deep as :func:`loads_json`."""
    try:
        return decoder.raw_decode(text, pos)
    except RecursionError:
        raise json.JSONDecodeError(_TOO_DEEP, text, pos) from None


def flag_field(properties: dict[str, Any], field_name: str, column: str | None, value: Any, problem: str) -> None:
    """Note on a record that one of its fields could not be used: the record is kept, the field left out.

    The value as written and what is wrong go in the record's ``field_problems`` property (one
    entry per field), so the analyst sees them in the intake report and nothing reads the bad
    value as if it were good (resolution compares only the fields that are set).

    >>> props = {"name": "Anna"}
    >>> flag_field(props, "birth_date", "geboortedatum", "19450493", "not a date")
    >>> props["field_problems"]
    [{'field': 'birth_date', 'column': 'geboortedatum', 'value': '19450493', 'problem': 'not a date'}]
    """
    properties.pop(field_name, None)
    entry = {"field": field_name, "column": column, "value": None if value is None else str(value),
             "problem": problem}
    properties.setdefault("field_problems", []).append(entry)


def future_date_problem(field_name: str, iso: str, *, today: date | None = None) -> str | None:
    """What is wrong with a date of birth (or death, or incorporation) that lies in the future, if it does.

    ``iso`` is the date as :func:`~netintel.ingest.tabular.parse_date_property` gives it: full
    or partial ISO (``1975``, ``1975-03``, ``1975-03-17``). Dates that may lie ahead (a
    document's expiry) are not checked.

    >>> future_date_problem("birth_date", "2999-01-01", today=date(2026, 1, 1))
    'birth_date 2999-01-01 is in the future (after 2026-01-01)'
    >>> future_date_problem("expiry_date", "2999-01-01") is None, future_date_problem("birth_date", "1975") is None
    (True, True)
    """
    if not any(word in field_name for word in ("birth", "death", "incorporation", "dissolution")):
        return None
    today_iso = (today or date.today()).isoformat()
    text = str(iso)
    if text > today_iso[:len(text)]:  # a partial date is compared at its own precision
        return f"{field_name} {iso} is in the future (after {today_iso})"
    return None


def parse_date(value: Any, fmt: str | Iterable[str] | None = None) -> date:
    return parse_datetime(value, fmt).date()


def _naive_utc(dt: datetime) -> datetime:
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def _merge_props(old: dict[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in new.items():
        if value in (None, "", []):
            continue
        if key not in old or old[key] in (None, "", []):
            old[key] = value
            continue
        have = old[key] if isinstance(old[key], list) else [old[key]]
        add = value if isinstance(value, list) else [value]
        merged = have + [v for v in add if v not in have]
        # field problems are a list however many there are (the intake report reads them as one)
        old[key] = merged if len(merged) > 1 or key == "field_problems" else merged[0]
    return old


@dataclass
class _Agg:
    kind: str
    source: str
    target: str
    first: datetime | None = None
    last: datetime | None = None
    count: int = 0
    amount: float = 0.0
    currency: set[str] = field(default_factory=set)
    has_amount: bool = False
    duration: float = 0.0
    prov: dict[str, Any] = field(default_factory=dict)


class BatchBuilder:
    """Collects one source's records into an :class:`ImportBatch`.

    Parameters
    ----------
    path : the file being imported
    format : the loader's format name (``table``, ``events``, ``ftm``, ``stix``, ...)
    provenance : defaults for every record
    model : the entity and link kinds (the packaged model unless given)
    keep_raw : store each accepted record's raw text in ``raw_records``
    con : the DuckDB connection of the workspace the batch is for: a bulk loader works in its
        temporary tables, so the rows go from the file to the workspace without leaving DuckDB
        (without it, a bulk loader uses a private connection and hands over Arrow tables)
    """

    def __init__(self, path: str | Path, *, format: str, provenance: Provenance, model: Model | None = None,
                 options: Mapping[str, Any] | None = None, keep_raw: bool = True, sha256: str | None = None,
                 con: Any = None):
        self.path = Path(path)
        self.con = con
        self.model = model or default_model()
        self.prov = provenance
        self.keep_raw = keep_raw
        sid = source_key(provenance.agency, self.path.name)
        self.batch = ImportBatch(
            source_id=sid, agency=provenance.agency, country=provenance.country, format=format,
            path=str(self.path), sha256=sha256 or file_sha256(self.path), options=dict(options or {}),
        )
        self._entities: dict[str, dict[str, Any]] = {}
        self._links: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._aggs: dict[tuple[Any, ...], _Agg] = {}
        self._columns: dict[str, Any] = {}
        self._base = self._resolve_prov(provenance, None, None, None, None, None, default_source=True)
        self._prov_cache: dict[tuple[Any, ...], Any] = {}

    # -- provenance ---------------------------------------------------------------------------
    def _resolve_prov(self, prov: Provenance, grading, scheme, handling, releasable_to, reported,
                      default_source: bool = False) -> dict[str, Any]:
        g = parse_grading(grading if grading is not None else prov.grading,
                          scheme=scheme or (prov.grading_scheme if grading is None else None))
        # a UK grading carries its handling (3x5x2 P/C, 5x5x5 1-5): it applies unless a handling is given
        h = canonical_handling(handling if handling is not None else
                               (g.handling if g.handling and grading is not None else None) or prov.handling)
        rel = releasable_to if releasable_to is not None else prov.releasable_to
        if rel is None or (not isinstance(rel, str) and len(rel) == 0):
            rel = default_releasable(h, prov.country)
        elif isinstance(rel, str):
            rel = [r.strip().upper() for r in re.split(r"[,;| ]+", rel) if r.strip()]
        rep = reported if reported is not None else prov.reported
        return {
            "agency": prov.agency, "country": prov.country, "grading": g.code, "grading_scheme": g.scheme,
            "grading_original": g.original, "handling": h, "releasable_to": [str(r).upper() for r in rel],
            "reported": rep,
        }

    def provenance(self, *, grading: Any = None, grading_scheme: str | None = None, handling: Any = None,
                   releasable_to: Any = None, reported: Any = None) -> dict[str, Any]:
        """Provenance columns for one record; raises RecordError on a bad grading or handling code."""
        if grading is None and grading_scheme is None and handling is None and releasable_to is None \
                and reported is None:
            return dict(self._base)
        # a table's rows repeat a few markings: each distinct one is resolved once
        key = (grading, grading_scheme, handling,
               tuple(releasable_to) if isinstance(releasable_to, (list, tuple)) else releasable_to, reported)
        try:
            got = self._prov_cache.get(key)
        except TypeError:  # an unhashable cell value: resolved without the cache
            key, got = None, None
        if got is None:
            try:
                rep = parse_date(reported) if reported is not None else None
            except RecordError as exc:
                got = RecordError(f"reported date: {exc}")
            else:
                try:
                    got = self._resolve_prov(self.prov, grading, grading_scheme, handling, releasable_to, rep)
                except SchemaError as exc:
                    got = RecordError(str(exc))
                except RecordError as exc:
                    got = exc
            if key is not None:
                self._prov_cache[key] = got
        if isinstance(got, RecordError):
            raise RecordError(str(got))
        return dict(got)

    # -- records ------------------------------------------------------------------------------
    def entity(self, kind: str, source_record_id: str, properties: Mapping[str, Any], *, locator: str,
               prov: Mapping[str, Any] | None = None) -> str:
        """Add (or merge into) an entity; returns its record id.

        The same ``source_record_id`` seen twice in a source is one entity whose properties merge.
        """
        try:
            kind = self.model.check_entity_kind(kind)
        except SchemaError as exc:
            raise RecordError(str(exc)) from None
        props = {k: v for k, v in properties.items() if v not in (None, "", [])}
        eid = record_id("E", self.prov.agency, f"{kind}:{source_record_id}")
        if eid in self._entities:
            row = self._entities[eid]
            _merge_props(row["properties"], props)
            row["label"] = self.model.label_of(kind, row["properties"])
            return eid
        row = {"entity_id": eid, "kind": kind, "label": self.model.label_of(kind, props), "properties": props,
               "source_id": self.batch.source_id, "source_record_id": str(source_record_id), "locator": locator,
               **(prov or self._base)}
        self._entities[eid] = row
        return eid

    def identifier(self, kind: str, value: Any, *, locator: str, prop: str | None = None,
                   extra: Mapping[str, Any] | None = None, prov: Mapping[str, Any] | None = None) -> str | None:
        """An entity known only by one identifying value (a phone number in a call record).

        Its source record id is the value as written, so the same number written the same way in
        one agency's files is one entity. Returns None for an empty value.
        """
        value = clean(value)
        if value is None:
            return None
        kind = self.model.check_entity_kind(kind)
        prop = prop or (self.model.entity(kind).identifiers or self.model.entity(kind).label)[0]
        return self.entity(kind, str(value), {prop: str(value), **(extra or {})}, locator=locator, prov=prov)

    def link(self, kind: str, source: str, target: str, *, source_record_id: str | None = None, locator: str,
             first_seen: datetime | None = None, last_seen: datetime | None = None, count: int = 1,
             weight: float | None = None, amount: float | None = None, currency: str | None = None,
             properties: Mapping[str, Any] | None = None, prov: Mapping[str, Any] | None = None,
             directed: bool | None = None) -> str:
        """Add a link between two entity record ids (``directed`` as its kind says, unless given)."""
        try:
            kind = self.model.check_link_kind(kind)
        except SchemaError as exc:
            raise RecordError(str(exc)) from None
        srid = source_record_id or f"{kind}:{source}->{target}"
        lid = record_id("L", self.prov.agency, srid)
        p = prov or self._base
        # one row per link id *and marking*: a report of the same link under another marking is
        # another row (never counted into a row whose marking does not cover it)
        key = (lid, p.get("handling"), tuple(p.get("releasable_to") or ()), p.get("grading"))
        if key in self._links:
            row = self._links[key]
            row["count"] += count
            row["weight"] = float(row["count"]) if weight is None else row["weight"] + weight
            return lid
        self._links[key] = {
            "link_id": lid, "kind": kind, "source": source, "target": target,
            "directed": self.model.link(kind).directed if directed is None else bool(directed), "first_seen": first_seen, "last_seen": last_seen or first_seen,
            "count": count, "weight": float(weight if weight is not None else count), "amount": amount,
            "currency": currency, "properties": dict(properties or {}), "source_id": self.batch.source_id,
            "source_record_id": srid, "locator": locator, **(prov or self._base),
        }
        return lid

    def event(self, kind: str, source: str, target: str | None, time: datetime, *, locator: str,
              duration: float | None = None, amount: float | None = None, currency: str | None = None,
              place: str | None = None, properties: Mapping[str, Any] | None = None,
              prov: Mapping[str, Any] | None = None) -> None:
        """Add a dated event; events of a kind are aggregated into one link per (source, target)."""
        try:
            kind = self.model.check_link_kind(kind)
        except SchemaError as exc:
            raise RecordError(str(exc)) from None
        p = prov or self._base
        # events under different markings make different link rows (one link id, one row per
        # marking, as an entity reported twice): a link never carries the count, amount or dates of
        # an event its own marking does not cover, so a recipient's view of it holds only the events
        # it may receive
        key = (kind, source, target or "", p.get("handling"), tuple(p.get("releasable_to") or ()),
               p.get("grading"))
        agg = self._aggs.get(key)
        if agg is None:
            agg = self._aggs[key] = _Agg(kind, source, target or "", prov=dict(p))
        agg.count += 1
        agg.first = time if agg.first is None or time < agg.first else agg.first
        agg.last = time if agg.last is None or time > agg.last else agg.last
        if amount is not None:
            agg.amount += float(amount)
            agg.has_amount = True
        if currency:
            agg.currency.add(currency)
        if duration:
            agg.duration += float(duration)
        srid = f"{kind}:{source}->{target or ''}"
        self.batch.events.append({
            "event_id": record_id("V", self.batch.source_id, locator), "kind": kind, "source": source,
            "target": target, "link_id": record_id("L", self.prov.agency, srid), "time": time,
            "duration": duration, "amount": amount, "currency": currency, "place": place,
            "properties": dict(properties or {}), "source_id": self.batch.source_id,
            "source_record_id": locator, "locator": locator, **p,
        })

    def constants(self) -> dict[str, Any]:
        """The provenance columns every record of this source shares (for a bulk loader's rows)."""
        return dict(self._base)

    def add_columns(self, *, entities: Any, links: Any, events: Any = None, raw: Any = None) -> None:
        """Hand over a bulk loader's rows (:class:`~netintel.workspace.Columns`) instead of records."""
        if self._entities or self._links or self._aggs or self.batch.events:
            raise ValueError("a batch takes records or columns, not both")
        self._columns = {"entities": entities, "links": links, "events": events, "raw": raw}

    def release(self) -> None:
        """Drop a bulk loader's temporary tables (when the batch will not be written)."""
        for rows in self._columns.values():
            if rows is not None:
                rows.release()

    # -- accounting ---------------------------------------------------------------------------
    def read(self, n: int = 1) -> None:
        self.batch.n_read += n

    def accept(self, locator: str, raw: Any = None, record: str | None = None) -> None:
        self.batch.n_accepted += 1
        if self.keep_raw and raw is not None:
            self.batch.raw.append({"locator": locator, "record_id": record, "raw": _text(raw)})

    def quarantine(self, locator: str, reason: str, raw: Any = None) -> None:
        self.batch.quarantine.append({"locator": locator, "reason": reason, "raw": _text(raw)})

    def finish(self) -> ImportBatch:
        """The batch, with event aggregates turned into links (count, total, first and last seen)."""
        for agg in self._aggs.values():
            props: dict[str, Any] = {}
            if agg.duration:
                props["total_duration"] = agg.duration
            cur = sorted(agg.currency)
            self.link(agg.kind, agg.source, agg.target, locator=f"{agg.count} events", first_seen=agg.first,
                      last_seen=agg.last, count=agg.count,
                      weight=float(agg.count),
                      amount=agg.amount if agg.has_amount else None, currency=",".join(cur) or None,
                      properties=props, prov=agg.prov)
        self._aggs.clear()
        self.batch.entities = list(self._entities.values())
        self.batch.links = list(self._links.values())
        for name, rows in self._columns.items():
            if rows is not None:
                setattr(self.batch, name, rows)
        assert self.batch.n_read == self.batch.n_accepted + self.batch.n_quarantined, (
            f"{self.path}: read {self.batch.n_read} != accepted {self.batch.n_accepted} + "
            f"quarantined {self.batch.n_quarantined}")
        return self.batch


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, (bytes, bytearray)):
        return raw.decode("utf-8", "replace")
    if isinstance(raw, str):
        return raw
    import json
    return json.dumps(raw, default=str, ensure_ascii=False, sort_keys=True)
