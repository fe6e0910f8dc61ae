"""FollowTheMoney entities, as OCCRP Aleph and OpenSanctions export them (JSON lines).

Each line is one entity ``{"id", "schema", "properties": {name: [values]}}``; a file holding one
JSON array of such entities is read too, as is OpenSanctions' nested form (an entity written
inside another's property is a record of its own, located ``line 5 nested 1``). The ``followthemoney`` library gives the schemata: their
inheritance (a ``PublicBody`` is an ``Organization``), required properties, property types
(which properties hold dates, phones, e-mails, addresses or references to other entities) and,
for relationship schemata, the ``edge`` source and target.

Mapping into the common model
-----------------------------
==================================== ======================================================
FtM schema (and its descendants)      netintel
==================================== ======================================================
Person                                ``person``
Organization, Company, LegalEntity    ``organisation`` (``ftm_schema`` keeps which)
BankAccount / CryptoWallet            ``bank_account`` / ``crypto_wallet`` (holder ``owns``)
Address                               ``address``
Identification, Passport              ``identity_document``, holder ``holds_document``
Vehicle, Airplane / Vessel            ``vehicle`` / ``vessel`` (owner ``owns``, operator ``uses``)
UserAccount                           ``user_account`` (owner ``uses``)
Event, Trip                           ``event`` (involved, organizer ``related_to``)
Ownership / Directorship / Control    ``owns`` / ``directs`` / ``controls``
Family / Associate / Membership       ``family_of`` / ``associate_of`` / ``member_of``
Employment                            ``employs`` (employer -> employee)
Payment                               ``transfer`` payer -> beneficiary, amount and currency
Call                                  ``call`` (caller/callerNumber -> receiver/receiverNumber)
Email, Message                        ``message`` from the sender to each recipient
UnknownLink, other edge schemata      ``related_to`` (``role`` and ``ftm_schema`` kept)
Sanction                              a ``sanctions`` property of the sanctioned entity
==================================== ======================================================

A dated Payment, Call or message becomes an *event* (kept for timelines, aggregated into one
link per pair with count, total amount and first/last seen); an undated one a link whose source
record id is the FtM id. Interval dates (``startDate``/``date``, ``endDate``) become a link's
first and last seen; partial dates (``1978``, ``1978-03``) are kept as written in properties and
count from the first day of their period in ``first_seen``.

Phone, e-mail and address *properties* become identifier entities of their own (source record
id = the value as written), linked from their holder: ``uses`` for phones and e-mails,
``resides_at`` for addresses. ``addressEntity`` links ``resides_at`` to an Address entity.

References
----------
The FtM id is each record's ``source_record_id``. Links may refer to entities written later in
the file (the file is read in two passes). A link to an id that is *not in the file* refers to
the entity by that id as the same agency reports it elsewhere (unless an entity of the file lists
it among its OpenSanctions ``referents``, the ids merged into it: then the link goes to that one): a reference entity (no properties
but ``ftm_id``) is added whose kind comes from the property's range (``Person`` -> person;
director, member, employee, holder, caller, receiver, associate, relative -> person; any other
legal entity or asset -> organisation). A link to an entity whose own line was quarantined is
quarantined too, naming that line.

Bad input
---------
A line that is not JSON (truncated), has no ``id``, names an unknown schema, lacks a required
property, or holds an invalid date is quarantined with its line number; so is a second line
with the same id and an incompatible schema. Lines with the same id and compatible schemata
are fragments of one entity and are merged, as ``ftm aggregate`` does. Other values FtM finds
invalid (a nationality ``"Dutch"``) are kept as written and listed in the ``ftm_invalid``
property. A file that is not JSON at all, is empty, or holds no FtM entity raises
:class:`~netintel.errors.InputError` naming the file.

Provenance
----------
Agency and country come from the :class:`~netintel.ingest._common.Provenance`. When its agency
is empty, the most common ``publisher`` property of the file's entities names it, then
OpenSanctions' ``datasets``; the country must be given. ``last_change`` (OpenSanctions), then
``modifiedAt``/``retrievedAt`` give the reported date.

Examples
--------
>>> import tempfile, pathlib, json
>>> lines = [
...     {"id": "p1", "schema": "Person", "properties": {"name": ["Ana Lima"], "phone": ["+351 912 345 678"]}},
...     {"id": "o1", "schema": "Ownership", "properties": {"owner": ["p1"], "asset": ["c1"]}},
...     {"id": "c1", "schema": "Company", "properties": {"name": ["Lima Lda"]}},
... ]
>>> path = pathlib.Path(tempfile.mkdtemp()) / "registry.ftm.json"
>>> _ = path.write_text("\\n".join(json.dumps(x) for x in lines) + "\\n")
>>> sniff(path)
True
>>> batch = load_ftm(path, Provenance("Registo PT", "PT"))
>>> batch.n_read, batch.n_accepted, batch.n_quarantined
(3, 3, 0)
>>> sorted(e["kind"] for e in batch.entities)
['organisation', 'person', 'phone']
>>> sorted(link["kind"] for link in batch.links)
['owns', 'uses']
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import InputError
from ..model import Model
from ..workspace import ImportBatch
from ._common import (BatchBuilder, Provenance, RecordError, decode_json_at, flag_field, future_date_problem,
                      loads_json, parse_datetime, read_head)
from ._plan import EntityRef, Plan

__all__ = ["FORMAT", "load_ftm", "sniff", "ftm_provenance", "ENTITY_SCHEMATA", "EDGE_SCHEMATA"]

#: The format name :func:`netintel.ingest.ingest` uses for these files.
FORMAT = "ftm"

#: FtM schema -> entity kind, tried in order with ``schema.is_a`` (most specific first).
ENTITY_SCHEMATA: tuple[tuple[str, str], ...] = (
    ("Person", "person"),
    ("Vessel", "vessel"),
    ("Vehicle", "vehicle"),  # Airplane is a Vehicle
    ("BankAccount", "bank_account"),
    ("CryptoWallet", "crypto_wallet"),
    ("Address", "address"),
    ("Identification", "identity_document"),  # Passport is an Identification
    ("UserAccount", "user_account"),
    ("Phone", "phone"),  # not a schema in FtM 4; kept should a model define it
    ("Organization", "organisation"),  # Company, PublicBody
    ("LegalEntity", "organisation"),
    ("Event", "event"),  # Trip is an Event
)

#: Relationship schema -> (link kind, source property, target property).
EDGE_SCHEMATA: dict[str, tuple[str, str, str]] = {
    "Ownership": ("owns", "owner", "asset"),
    "Directorship": ("directs", "director", "organization"),
    "Control": ("controls", "controller", "controlled"),
    "Family": ("family_of", "person", "relative"),
    "Associate": ("associate_of", "person", "associate"),
    "Membership": ("member_of", "member", "organization"),
    "Employment": ("employs", "employer", "employee"),
    "Payment": ("transfer", "payer", "beneficiary"),
    "Representation": ("related_to", "agent", "client"),
    "Succession": ("related_to", "predecessor", "successor"),
    "UnknownLink": ("related_to", "subject", "object"),
}

# FtM property -> netintel property, per entity kind. Unlisted properties are kept under ftm_properties.
_PROPS: dict[str, tuple[tuple[str, str], ...]] = {
    "person": (("name", "name"), ("firstName", "first_name"), ("lastName", "last_name"),
               ("middleName", "middle_name"), ("secondName", "second_name"), ("fatherName", "patronymic"),
               ("alias", "alias"), ("weakAlias", "alias"), ("previousName", "alias"),
               ("birthDate", "birth_date"), ("birthPlace", "birth_place"), ("birthCountry", "birth_country"),
               ("deathDate", "death_date"), ("nationality", "nationality"), ("citizenship", "nationality"),
               ("gender", "gender"), ("idNumber", "id_number"), ("passportNumber", "passport_number"),
               ("taxNumber", "tax_number"), ("socialSecurityNumber", "social_security_number"),
               ("position", "role"), ("country", "country"), ("address", "address"), ("phone", "phone"),
               ("email", "email"), ("topics", "topics"), ("notes", "notes")),
    "organisation": (("name", "name"), ("alias", "alias"), ("weakAlias", "alias"), ("previousName", "alias"),
                     ("registrationNumber", "registration_number"), ("jurisdiction", "jurisdiction"),
                     ("incorporationDate", "incorporation_date"), ("dissolutionDate", "dissolution_date"),
                     ("legalForm", "legal_form"), ("sector", "sector"), ("status", "status"),
                     ("country", "country"), ("taxNumber", "tax_number"), ("vatCode", "vat_code"),
                     ("leiCode", "lei"), ("idNumber", "id_number"), ("swiftBic", "bic"), ("imoNumber", "imo"),
                     ("address", "address"), ("phone", "phone"), ("email", "email"), ("website", "website"),
                     ("topics", "topics"), ("notes", "notes")),
    "bank_account": (("iban", "iban"), ("accountNumber", "account_number"), ("bankName", "bank"), ("bic", "bic"),
                     ("currency", "currency"), ("country", "country"), ("accountType", "account_type"),
                     ("name", "name"), ("openingDate", "opening_date"), ("closingDate", "closing_date")),
    "crypto_wallet": (("publicKey", "address"), ("accountId", "address"), ("currencySymbol", "currency"),
                      ("currency", "currency"), ("blockchain", "blockchain"), ("managingExchange", "exchange"),
                      ("name", "name"), ("balance", "balance")),
    "address": (("full", "full"), ("street", "street"), ("street2", "street"), ("city", "city"),
                ("postalCode", "postal_code"), ("region", "region"), ("state", "region"), ("country", "country"),
                ("latitude", "latitude"), ("longitude", "longitude"), ("name", "name")),
    "identity_document": (("number", "number"), ("passportNumber", "number"), ("type", "type"),
                          ("country", "issuing_country"), ("authority", "authority"),
                          ("startDate", "issue_date"), ("date", "issue_date"), ("endDate", "expiry_date"),
                          ("givenName", "given_name"), ("surname", "surname"), ("birthDate", "birth_date")),
    "vehicle": (("registrationNumber", "plate"), ("name", "name"), ("model", "model"), ("type", "type"),
                ("manufacturer", "make"), ("serialNumber", "vin"), ("icaoCode", "icao"), ("country", "country"),
                ("buildDate", "build_date"), ("registrationDate", "registration_date")),
    "vessel": (("name", "name"), ("imoNumber", "imo"), ("mmsi", "mmsi"), ("flag", "flag"), ("type", "type"),
               ("callSign", "call_sign"), ("registrationNumber", "registration_number"),
               ("registrationPort", "registration_port"), ("previousName", "alias"), ("country", "country"),
               ("buildDate", "build_date")),
    "user_account": (("username", "username"), ("service", "service"), ("email", "email"), ("phone", "phone"),
                     ("name", "name"), ("country", "country")),
    "phone": (("number", "number"), ("name", "number"), ("country", "country")),
    "event": (("name", "name"), ("date", "date"), ("startDate", "date"), ("endDate", "end_date"),
              ("location", "place"), ("country", "country"), ("summary", "type")),
}
# Reference properties of plain entities: FtM property -> (link kind, the entity is the link's target?)
_ENTITY_REFS: dict[str, tuple[str, bool]] = {
    "holder": ("holds_document", True),  # Identification; CryptoWallet below
    "owner": ("owns", True),
    "operator": ("uses", True),
    "parent": ("controls", True),
    "addressEntity": ("resides_at", False),
    "involved": ("related_to", True),
    "organizer": ("related_to", True),
    "bank": ("related_to", True),
    "startLocation": ("related_to", False),
    "endLocation": ("related_to", False),
    "vehicle": ("related_to", False),
}
_REF_KIND_OVERRIDE = {("CryptoWallet", "holder"): "owns", ("UserAccount", "owner"): "uses"}
# Roles whose legal-entity range is a person when the entity is not in the file.
_PERSON_ROLES = {"director", "member", "employee", "holder", "caller", "receiver", "associate", "relative",
                 "person", "agent", "sender", "emitters", "involved"}
# Property types whose values are kept as written without FtM's check: free text, values that are
# identifier entities of their own (normalised by resolution, not here), references, dates (checked first).
_UNCHECKED_TYPES = {"name", "string", "text", "html", "identifier", "phone", "address", "entity", "date", "json",
                    "checksum", "mimetype", "language"}
_SKIP_PROPS = {"proof", "riskSource", "publisher", "publisherUrl", "sourceUrl", "modifiedAt", "retrievedAt",
               "createdAt", "recordId", "namesMentioned", "indexText"}


@dataclass
class _Record:
    locator: str
    raw: str
    data: dict[str, Any] | None = None
    schema: Any = None
    kind: str | None = None  # entity kind for plain entities
    error: str | None = None
    fragments: list["_Record"] = field(default_factory=list)
    merged_into: "_Record | None" = None
    ident: str | None = None
    plan: Plan | None = None  # built while checking entities, applied in the second pass
    field_problems: list[tuple[str, str, str]] = field(default_factory=list)  # (FtM property, value, problem)


# ---------------------------------------------------------------------------------------------
# Recognising and reading the file
# ---------------------------------------------------------------------------------------------
def sniff(path: str | Path) -> bool:
    """True if the file looks like FtM entities: a JSON object with a ``schema`` (first line or array item).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.json"
    >>> _ = p.write_text('{"type": "bundle", "id": "bundle--1", "objects": []}')
    >>> sniff(p)
    False
    """
    text = read_head(path)
    if text is None:
        return False
    if text.startswith("["):
        text = text[1:].lstrip()
    if not text.startswith("{"):
        return False
    first = text.split("\n", 1)[0].strip().rstrip(",")
    try:
        obj = loads_json(first)
    except ValueError:
        try:
            obj, _ = decode_json_at(json.JSONDecoder(), text)
        except ValueError:
            return bool(re.match(r'\{\s*"(id|schema)"\s*:', first)) and '"schema"' in first
    return isinstance(obj, dict) and isinstance(obj.get("schema"), str) and "type" not in obj


def _read_records(path: Path) -> list[_Record]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", file=str(path)) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise InputError("is empty", file=str(path), hint="the partner's export holds no entities; ask for it again")
    if b"\x00" in data[:8192]:
        raise InputError("is a binary file, not FollowTheMoney JSON lines", file=str(path),
                         hint="give the entities as JSON lines (one {\"schema\": ...} object per line)")
    stripped = data.lstrip()
    if not stripped.startswith((b"{", b"[")):
        raise InputError("is not JSON: FollowTheMoney entities are JSON objects, one per line", file=str(path),
                         hint="check what the partner sent (CSV needs a mapping; STIX needs a bundle)")
    if stripped.startswith(b"["):
        records = _read_array(path, stripped)
    else:
        records = _read_lines(data)
        if len(records) > 1 and all(r.error for r in records):
            # one entity written over several lines (pretty-printed)?
            try:
                whole = loads_json(data.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                whole = None
            if isinstance(whole, dict):
                records = [_Record("line 1", data.decode("utf-8"), data=whole)]
    if not any(r.data is not None and "schema" in r.data for r in records) and \
            not any('"schema"' in r.raw for r in records):
        raise InputError("holds no FollowTheMoney entity (no JSON object with a \"schema\")", file=str(path),
                         hint="a STIX bundle is read as format stix; other JSON needs converting")
    return records


def _read_lines(data: bytes) -> list[_Record]:
    records = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        locator = f"line {number}"
        try:
            text = line.decode("utf-8").strip().lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            records.append(_Record(locator, line.decode("utf-8", "replace"),
                                   error=f"not UTF-8 text (byte {exc.start}); re-export the file as UTF-8"))
            continue
        if text.endswith(","):  # lines of a hand-split array
            text = text[:-1]
        try:
            obj = loads_json(text)
        except ValueError as exc:
            records.append(_Record(locator, text, error=f"not a complete JSON object ({exc.msg}, column "
                                                        f"{exc.colno}); the line is truncated or malformed"))
            continue
        if not isinstance(obj, dict):
            records.append(_Record(locator, text, error=f"a JSON {type(obj).__name__}, not an entity object"))
            continue
        records.append(_Record(locator, text, data=obj))
    return records


def _read_array(path: Path, data: bytes) -> list[_Record]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start})", file=str(path),
                         hint="re-export the file as UTF-8") from None
    decoder = json.JSONDecoder()
    records: list[_Record] = []
    pos = text.index("[") + 1
    item = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            records.append(_Record(f"item {item + 1}", "", error="the JSON array is truncated (no closing ])"))
            break
        if text[pos] == "]":
            break
        item += 1
        line = text.count("\n", 0, pos) + 1
        locator = f"item {item} (line {line})"
        try:
            obj, end = decode_json_at(decoder, text, pos)
        except ValueError as exc:
            records.append(_Record(locator, text[pos:pos + 2000],
                                   error=f"not a complete JSON object ({exc.msg}); the file is truncated or "
                                         "malformed from here"))
            break
        raw = text[pos:end]
        pos = end
        if not isinstance(obj, dict):
            records.append(_Record(locator, raw, error=f"a JSON {type(obj).__name__}, not an entity object"))
        else:
            records.append(_Record(locator, raw, data=obj))
    return records


# ---------------------------------------------------------------------------------------------
# Provenance
# ---------------------------------------------------------------------------------------------
def ftm_provenance(path: str | Path, provenance: Provenance | None = None) -> Provenance:
    """The provenance to import ``path`` with: the given one, its agency named by the file when empty.

    Raises :class:`~netintel.errors.InputError` when neither gives an agency, or no country is given.
    """
    path = Path(path)
    records = _read_records(path)
    return _complete_provenance(path, provenance, records)


def _complete_provenance(path: Path, provenance: Provenance | None, records: list[_Record]) -> Provenance:
    agency = (provenance.agency if provenance is not None else None) or ""
    country = (provenance.country if provenance is not None else None) or ""
    if not str(agency).strip():
        publishers: Counter[str] = Counter()
        datasets: Counter[str] = Counter()
        for rec in records:
            if rec.data is None:
                continue
            props = rec.data.get("properties")
            if isinstance(props, dict):
                for value in _as_list(props.get("publisher")):
                    if isinstance(value, str) and value.strip():
                        publishers[value.strip()] += 1
            for value in _as_list(rec.data.get("datasets"))[:1]:
                if isinstance(value, str) and value.strip():
                    datasets[value.strip()] += 1
        found = publishers or datasets
        if not found:
            raise InputError("no agency: the provenance names none and no entity has a publisher or datasets",
                             file=str(path), hint="give --agency NAME (or agency: in source.yaml)")
        agency = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    if not str(country).strip():
        raise InputError(f"no country for agency {agency!r}: FollowTheMoney files do not say where their "
                         "publisher is", file=str(path), hint="give --country CC (or country: in source.yaml)")
    country = Provenance.check_country(str(country), file=str(path))
    base = provenance if provenance is not None else Provenance(agency=str(agency).strip(), country=country)
    return replace(base, agency=str(agency).strip(), country=country)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------
def load_ftm(path: str | Path, provenance: Provenance | BatchBuilder | None = None, *, model: Model | None = None,
             keep_raw: bool = True) -> ImportBatch:
    """Read a FollowTheMoney JSON-lines (or JSON array) file into an :class:`~netintel.workspace.ImportBatch`.

    Parameters
    ----------
    path : the file
    provenance : the source's provenance (agency may be empty: see the module docs), or a
        :class:`~netintel.ingest._common.BatchBuilder` to fill (as :func:`netintel.ingest.ingest` does)
    model : the netintel model (the packaged one unless given)
    keep_raw : keep each accepted line in ``raw_records``

    Returns
    -------
    ImportBatch
        read = accepted + quarantined; one record per non-blank line (or array item).

    Raises
    ------
    InputError
        The file is empty, not JSON, holds no FtM entity, or no agency/country can be found.
    """
    from followthemoney import model as ftm_model

    path = Path(path)
    records = _read_records(path)
    if isinstance(provenance, BatchBuilder):
        builder = provenance
    else:
        prov = _complete_provenance(path, provenance, records)
        builder = BatchBuilder(path, format=FORMAT, provenance=prov, model=model, keep_raw=keep_raw)
    _Loader(builder, ftm_model).run(records)
    return builder.finish()


class _Loader:
    def __init__(self, builder: BatchBuilder, ftm: Any):
        from followthemoney.types import registry

        self.b = builder
        self.ftm = ftm
        self.registry = registry
        self.index: dict[str, _Record] = {}
        self.failed: dict[str, _Record] = {}  # ids whose only record was quarantined
        self._prov_cache: dict[tuple, dict[str, Any]] = {}
        self.referents: dict[str, str] = {}  # OpenSanctions: an old id merged into an entity -> that entity's id

    # -- pass 1: check each record alone, index ids, merge fragments ------------------------------
    def run(self, records: list[_Record]) -> None:
        expanded: list[_Record] = []
        for rec in records:
            expanded.extend(self._unnest(rec))
        for rec in expanded:
            if rec.error is None:
                try:
                    self._check(rec)
                except RecordError as exc:
                    rec.error = str(exc)
            if rec.error is not None or rec.ident is None:
                if rec.ident is not None:
                    self.failed.setdefault(rec.ident, rec)
                continue
            first = self.index.get(rec.ident)
            if first is None:
                self.index[rec.ident] = rec
                continue
            try:
                common = self.ftm.common_schema(first.schema, rec.schema)
            except Exception:
                rec.error = (f"duplicate id {rec.ident!r}: {first.locator} has it as {first.schema.name}, this "
                             f"line as {rec.schema.name}; ids must be unique across schemata")
                continue
            first.schema = common
            first.kind = _kind_of(common)
            _merge_props(first.data["properties"], rec.data["properties"])
            first.field_problems += rec.field_problems
            first.fragments.append(rec)
            rec.merged_into = first
        for rec in expanded:
            if rec.error is None and rec.merged_into is None and rec.ident is not None:
                for old_id in _as_list(rec.data.get("referents")):
                    if isinstance(old_id, str) and old_id not in self.index:
                        self.referents.setdefault(old_id, rec.ident)
        # entities are tried first (until none more fails: a passport fails with its holder), so
        # that a link to an entity that fails is quarantined too, never left dangling
        changed = True
        while changed:
            changed = False
            for rec in expanded:
                if rec.error is None and rec.merged_into is None and rec.kind is not None:
                    try:
                        rec.plan = self._map(rec)
                    except RecordError as exc:
                        rec.error = str(exc)
                        rec.plan = None
                        changed = True
        # -- pass 2: map, in file order -----------------------------------------------------------
        for rec in expanded:
            self.b.read()
            if rec.merged_into is not None:
                continue  # accounted with the record it merged into
            plan = rec.plan  # the entities' plans of the last round above hold under the final errors
            rec.plan = None
            if rec.error is None and plan is None:
                try:
                    plan = self._map(rec)
                except RecordError as exc:
                    rec.error = str(exc)
            if rec.error is not None:
                self.b.quarantine(rec.locator, rec.error, rec.raw)
                for frag in rec.fragments:
                    self.b.quarantine(frag.locator, f"fragment of {rec.ident!r} ({rec.locator}): {rec.error}",
                                      frag.raw)
                continue
            plan.apply()
            self.b.accept(rec.locator, rec.raw, rec.ident)
            for frag in rec.fragments:
                self.b.accept(frag.locator, frag.raw, rec.ident)

    def _unnest(self, rec: _Record) -> Iterator[_Record]:
        """OpenSanctions' nested form: entities written inside a property become records of their own."""
        yield rec
        if rec.data is None or not isinstance(rec.data.get("properties"), dict):
            return
        n = 0
        for name, values in rec.data["properties"].items():
            if not isinstance(values, list):
                continue
            for i, value in enumerate(values):
                if isinstance(value, dict) and "schema" in value:
                    n += 1
                    child = _Record(f"{rec.locator} nested {n}", json.dumps(value, ensure_ascii=False), data=value)
                    values[i] = value.get("id")
                    yield from self._unnest(child)

    def _check(self, rec: _Record) -> None:
        data = rec.data
        ident = data.get("id")
        if not isinstance(ident, (str, int)) or not str(ident).strip():
            raise RecordError("the entity has no id")
        rec.ident = str(ident).strip()
        name = data.get("schema")
        if not isinstance(name, str) or not name.strip():
            raise RecordError(f"entity {rec.ident!r} has no schema")
        schema = self.ftm.get(name.strip())
        if schema is None:
            raise RecordError(f"entity {rec.ident!r}: unknown FtM schema {name!r} (FollowTheMoney "
                              f"{_ftm_version()} has no such schema)")
        rec.schema = schema
        props = data.get("properties", {})
        if props is None:
            props = {}
        if not isinstance(props, dict):
            raise RecordError(f"entity {rec.ident!r}: properties must be an object of lists")
        clean_props: dict[str, list[str]] = {}
        for pname, values in props.items():
            values = [v for v in _as_list(values) if v is not None]
            texts = []
            for v in values:
                if isinstance(v, (dict, list)):
                    raise RecordError(f"entity {rec.ident!r}: property {pname!r} holds a nested object")
                t = str(v).strip()
                if t:
                    texts.append(t)
            clean_props[str(pname)] = texts
        data["properties"] = clean_props
        errors = {}
        for pname, values in clean_props.items():
            prop = schema.properties.get(pname)
            if prop is None or prop.stub:
                continue
            if prop.type == self.registry.date:
                bad = [(v, f"invalid date {v!r} (FtM dates are ISO 8601: 1978, 1978-03, 1978-03-14)") for v in values
                       if prop.validate([v]) is not None]
                bad += [(v, why) for v in values if prop.validate([v]) is None
                        and (why := future_date_problem(pname, v[:10])) is not None]
                if bad and _is_relation(schema):
                    errors[pname] = bad[0][1]  # a payment's or call's date places it in time: no record without
                elif bad:
                    # a person with a bad date of birth is still that person: kept, the value flagged
                    clean_props[pname] = [v for v in values if v not in {b for b, _ in bad}]
                    rec.field_problems += [(pname, v, f"{why}; the entity is kept without it: correct it in the "
                                                      "source") for v, why in bad]
        missing = [r for r in sorted(schema.required) if not clean_props.get(r)]
        if missing:
            errors.update({m: "required property is missing" for m in missing})
        if errors:
            detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
            raise RecordError(f"{schema.name} {rec.ident!r}: {detail}")
        rec.kind = _kind_of(schema)
        if rec.kind is None and not _is_relation(schema):
            raise RecordError(f"{schema.name} {rec.ident!r}: FtM schema {schema.name} is not imported (netintel has "
                              "no kind for it; documents, contracts and the like stay with the partner)")

    # -- pass 2 -----------------------------------------------------------------------------------
    def _prov(self, rec: _Record) -> dict[str, Any]:
        props = rec.data["properties"]
        reported = rec.data.get("last_change") or next(
            iter(props.get("modifiedAt") or props.get("retrievedAt") or []), None)
        handling = grading = releasable = None
        # the marking lines netintel's FtM export writes (Aleph keeps summary on every schema)
        for summary in props.get("summary") or []:
            m = re.match(r"^(handling|grading|releasable_to)\s+(\S+)$", summary.strip(), re.I)
            if m:
                what, value = m.group(1).lower(), m.group(2)
                if what == "handling":
                    handling = value
                elif what == "grading":
                    grading = value
                else:
                    releasable = tuple(v for v in value.split(",") if v)
        key = (str(reported)[:10] if reported else None, handling, grading, releasable)
        if key not in self._prov_cache:
            self._prov_cache[key] = self.b.provenance(reported=key[0], handling=handling, grading=grading,
                                                      releasable_to=releasable)
        return self._prov_cache[key]

    def _map(self, rec: _Record) -> Plan:
        try:
            return self._map_record(rec)
        except RecordError as exc:
            prefix = f"{rec.schema.name} {rec.ident!r}"
            message = str(exc)
            raise RecordError(message if message.startswith(prefix) else f"{prefix}: {message}") from None

    def _map_record(self, rec: _Record) -> Plan:
        plan = Plan(self.b, rec.locator, prov=self._prov(rec))
        schema = rec.schema
        if rec.kind is not None:
            self._map_entity(plan, rec)
        elif schema.is_a("Payment"):
            self._map_payment(plan, rec)
        elif schema.is_a("Call"):
            self._map_call(plan, rec)
        elif schema.is_a("Email") or schema.is_a("Message"):
            self._map_message(plan, rec)
        elif schema.is_a("Sanction"):
            self._map_sanction(plan, rec)
        else:
            self._map_edge(plan, rec)
        return plan

    def _endpoint(self, plan: Plan, ident: str, role: str, owner: _Record) -> EntityRef:
        ident = ident if ident in self.index else self.referents.get(ident, ident)
        target = self.index.get(ident) or self.failed.get(ident)
        if target is None:
            prop = owner.schema.properties.get(role)
            kind = _reference_kind(prop.range.name if prop is not None and prop.range else "LegalEntity", role)
            return plan.entity(kind, ident, {"ftm_id": ident})
        if target.error is not None:
            raise RecordError(f"its {role} {ident!r} is quarantined ({target.locator}: {target.error})")
        if target.kind is None:
            raise RecordError(f"its {role} {ident!r} is a {target.schema.name} ({target.locator}), not an entity")
        return EntityRef(target.kind, ident)

    def _map_entity(self, plan: Plan, rec: _Record) -> None:
        schema, kind, props = rec.schema, rec.kind, rec.data["properties"]
        out: dict[str, Any] = {}
        used = set()
        for fprop, nprop in _PROPS.get(kind, ()):
            values = props.get(fprop) or []
            if values:
                used.add(fprop)
                _add(out, nprop, values)
        if kind in ("person", "organisation", "vessel", "event") and isinstance(out.get("name"), list):
            names = out.pop("name")
            out["name"] = names[0]
            _add(out, "alias", names[1:])
        if kind == "address" and not out.get("full"):
            parts = [out.get(k) for k in ("street", "postal_code", "city", "country")]
            full = ", ".join(p if isinstance(p, str) else " ".join(p) for p in parts if p)
            if not full:
                raise RecordError(f"Address {rec.ident!r} has no full, street or city")
            out["full"] = full
        if kind == "identity_document" and "type" not in out:
            out["type"] = schema.name.lower()
        invalid = []
        extra: dict[str, Any] = {}
        for pname, values in props.items():
            prop = schema.properties.get(pname)
            if prop is None or not values:
                continue
            if prop.type.name not in _UNCHECKED_TYPES and any(prop.validate([v]) is not None for v in values):
                invalid.append(pname)
            if pname not in used and pname not in _SKIP_PROPS and prop.type != self.registry.entity and \
                    pname not in ("summary",):
                extra[pname] = values if len(values) > 1 else values[0]
        out["ftm_schema"] = schema.name
        names = dict(_PROPS.get(kind, ()))
        for pname, value, problem in rec.field_problems:
            flag_field(out, names.get(pname, pname), pname, value, problem)
        if invalid:
            out["ftm_invalid"] = sorted(invalid)
        if extra:
            out["ftm_properties"] = extra
        me = plan.entity(kind, rec.ident, out)
        # phone, e-mail and address properties: identifier entities of their own
        for pname, values in props.items():
            prop = schema.properties.get(pname)
            if prop is None or prop.stub or not values:
                continue
            ptype = prop.type
            if kind == "address" and pname in ("full", "address"):
                continue
            if ptype == self.registry.phone:
                for v in values:
                    plan.link("uses", me, plan.identifier("phone", v, prop="number"))
            elif ptype == self.registry.email:
                for v in values:
                    plan.link("uses", me, plan.identifier("email", v, prop="address"))
            elif ptype == self.registry.address and kind != "address":
                for v in values:
                    plan.link("resides_at", me, plan.identifier("address", v, prop="full"))
            elif ptype == self.registry.entity and pname in _ENTITY_REFS:
                link_kind, me_is_target = _ENTITY_REFS[pname]
                link_kind = _REF_KIND_OVERRIDE.get((_ancestor(schema, (n for n, _ in ENTITY_SCHEMATA)), pname), link_kind)
                for v in values:
                    other = self._endpoint(plan, v, pname, rec)
                    if me_is_target:
                        plan.link(link_kind, other, me, properties={"role": pname})
                    else:
                        plan.link(link_kind, me, other, properties={"role": pname})

    def _interval(self, props: dict[str, list[str]]) -> tuple[datetime | None, datetime | None, dict[str, Any]]:
        first_text = next(iter(props.get("startDate") or props.get("date") or []), None)
        last_text = next(iter(props.get("endDate") or []), None)
        kept: dict[str, Any] = {}
        if first_text:
            kept["start_date"] = first_text
        if last_text:
            kept["end_date"] = last_text
        return _partial(first_text), _partial(last_text), kept

    def _edge_props(self, rec: _Record, skip: Iterable[str]) -> dict[str, Any]:
        props = rec.data["properties"]
        out: dict[str, Any] = {"ftm_schema": rec.schema.name, "ftm_id": rec.ident}
        skip = set(skip) | _SKIP_PROPS | {"startDate", "endDate", "date"}
        for pname, values in props.items():
            prop = rec.schema.properties.get(pname)
            if pname in skip or not values or prop is None or prop.type == self.registry.entity:
                continue
            out[pname] = values if len(values) > 1 else values[0]
        return out

    def _map_edge(self, plan: Plan, rec: _Record) -> None:
        schema, props = rec.schema, rec.data["properties"]
        base = _ancestor(schema, EDGE_SCHEMATA)
        if base is not None:
            kind, sprop, tprop = EDGE_SCHEMATA[base]
        else:
            kind, sprop, tprop = "related_to", schema.edge_source, schema.edge_target
        sources, targets = props.get(sprop) or [], props.get(tprop) or []
        if not sources or not targets:
            raise RecordError(f"{schema.name} {rec.ident!r} needs both {sprop} and {tprop}")
        first, last, kept = self._interval(props)
        extra = {**self._edge_props(rec, ()), **kept}
        for s in sources:
            for t in targets:
                a, b = self._endpoint(plan, s, sprop, rec), self._endpoint(plan, t, tprop, rec)
                srid = rec.ident if len(sources) == len(targets) == 1 else f"{rec.ident}:{s}->{t}"
                plan.link(kind, a, b, source_record_id=srid, first_seen=first, last_seen=last, properties=extra)

    def _map_payment(self, plan: Plan, rec: _Record) -> None:
        props = rec.data["properties"]
        payer = self._endpoint(plan, props["payer"][0], "payer", rec)
        beneficiary = self._endpoint(plan, props["beneficiary"][0], "beneficiary", rec)
        for role, party in (("payerAccount", payer), ("beneficiaryAccount", beneficiary)):
            for acc in props.get(role) or []:
                plan.link("uses", party, self._endpoint(plan, acc, role, rec), properties={"role": role})
        amount = None
        amounts = props.get("amount") or []
        if amounts:
            try:
                amount = float(amounts[0].replace(",", ""))
            except ValueError:
                raise RecordError(f"Payment {rec.ident!r}: amount {amounts[0]!r} is not a number") from None
        currency = next(iter(props.get("currency") or []), None)
        currency = currency.strip().upper() if currency else None
        first, last, kept = self._interval(props)
        extra = {**self._edge_props(rec, ("amount", "currency")), **kept}
        # the amount is the payment's, so one transfer between the first payer and beneficiary; others noted
        for role in ("payer", "beneficiary"):
            if len(props[role]) > 1:
                extra[f"other_{role}s"] = props[role][1:]
        if first is not None:
            plan.event("transfer", payer, beneficiary, first, amount=amount, currency=currency, properties=extra)
        else:
            plan.link("transfer", payer, beneficiary, source_record_id=rec.ident, amount=amount, currency=currency,
                      properties=extra)

    def _map_call(self, plan: Plan, rec: _Record) -> None:
        props = rec.data["properties"]
        ends = []
        for role, number_prop in (("caller", "callerNumber"), ("receiver", "receiverNumber")):
            party = props.get(role) or []
            numbers = props.get(number_prop) or []
            party_ref = self._endpoint(plan, party[0], role, rec) if party else None
            phone = plan.identifier("phone", numbers[0], prop="number") if numbers else None
            if party_ref is not None and phone is not None:
                plan.link("uses", party_ref, phone, properties={"role": role})
            end = phone or party_ref
            if end is None:
                raise RecordError(f"Call {rec.ident!r} has neither {role} nor {number_prop}")
            ends.append(end)
        duration = None
        if props.get("duration"):
            try:
                duration = float(props["duration"][0])
            except ValueError:
                raise RecordError(f"Call {rec.ident!r}: duration {props['duration'][0]!r} is not a number") from None
        first, _, kept = self._interval(props)
        extra = {**self._edge_props(rec, ("duration", "callerNumber", "receiverNumber")), **kept}
        if first is not None:
            plan.event("call", ends[0], ends[1], first, duration=duration, properties=extra)
        else:
            plan.link("call", ends[0], ends[1], source_record_id=rec.ident, properties=extra)

    def _map_message(self, plan: Plan, rec: _Record) -> None:
        props = rec.data["properties"]
        senders: list[EntityRef] = []
        for role in ("emitters", "sender", "senderAccount"):
            prop = rec.schema.properties.get(role)
            for v in (props.get(role) or []) if prop is not None else []:
                if prop.type == self.registry.entity:
                    senders.append(self._endpoint(plan, v, role, rec))
                else:
                    senders.extend(self._emails(plan, v))
        if not senders:
            senders.extend(e for v in props.get("from") or [] for e in self._emails(plan, v))
        recipients: list[EntityRef] = []
        for role in ("recipients", "recipientAccount"):
            for v in props.get(role) or []:
                recipients.append(self._endpoint(plan, v, role, rec))
        for role in ("to", "cc", "bcc"):
            for v in props.get(role) or []:
                recipients.extend(self._emails(plan, v))
        if not senders or not recipients:
            raise RecordError(f"{rec.schema.name} {rec.ident!r} needs a sender (emitters/sender/from) and "
                              "recipients (recipients/to)")
        when = next(iter(props.get("date") or props.get("authoredAt") or props.get("startDate") or []), None)
        extra = self._edge_props(rec, ("bodyText", "bodyHtml", "from", "to", "cc", "bcc", "sender", "indexText"))
        time = _partial(when)
        for s in senders[:1]:
            for r in dict.fromkeys(recipients):
                if time is not None:
                    plan.event("message", s, r, time, properties=extra)
                else:
                    plan.link("message", s, r, source_record_id=f"{rec.ident}:{r.source_record_id}", properties=extra)

    def _emails(self, plan: Plan, text: str) -> list[EntityRef]:
        found = re.findall(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", text)
        refs = [plan.identifier("email", v, prop="address") for v in found]
        return [r for r in refs if r is not None]

    def _map_sanction(self, plan: Plan, rec: _Record) -> None:
        props = rec.data["properties"]
        what = "; ".join(filter(None, [", ".join(props.get("authority") or []), ", ".join(props.get("program") or []),
                                       ", ".join(props.get("startDate") or props.get("listingDate") or [])]))
        for ident in props["entity"]:
            ref = self._endpoint(plan, ident, "entity", rec)
            plan.entity(ref.kind, ref.source_record_id, {"sanctions": what or rec.ident})


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _ftm_version() -> str:
    import followthemoney

    return getattr(followthemoney, "__version__", "")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _kind_of(schema: Any) -> str | None:
    if schema.edge:
        return None
    name = _ancestor(schema, (n for n, _ in ENTITY_SCHEMATA))
    return dict(ENTITY_SCHEMATA)[name] if name else None


def _is_relation(schema: Any) -> bool:
    return bool(schema.edge) or any(schema.is_a(n) for n in ("Payment", "Call", "Email", "Message", "Sanction"))


def _ancestor(schema: Any, names: Iterable[str]) -> str | None:
    """The first of ``names`` that ``schema`` is (itself or by inheritance), or None."""
    for name in names:
        try:
            if schema.is_a(name):
                return name
        except Exception:  # a schema name this FtM version does not know
            continue
    return None


def _reference_kind(range_name: str, role: str) -> str:
    if range_name == "Person" or role in _PERSON_ROLES:
        return "person"
    for name, kind in ENTITY_SCHEMATA:
        if name == range_name:
            return kind
    return "organisation"


def _partial(text: str | None) -> datetime | None:
    """The first moment of an FtM (possibly partial) date: 1978 -> 1978-01-01."""
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", text.strip())
    if m:
        return datetime(int(m.group(1)), int(m.group(2) or 1), 1)
    try:
        return parse_datetime(text)
    except RecordError:
        return None


def _add(out: dict[str, Any], key: str, values: list[str]) -> None:
    values = [v for v in values if v not in (None, "")]
    if not values:
        return
    have = out.get(key)
    have = [] if have is None else (have if isinstance(have, list) else [have])
    merged = have + [v for v in values if v not in have]
    out[key] = merged if len(merged) > 1 else merged[0]


def _merge_props(into: dict[str, list[str]], other: dict[str, list[str]]) -> None:
    for k, values in other.items():
        have = into.setdefault(k, [])
        have.extend(v for v in values if v not in have)
