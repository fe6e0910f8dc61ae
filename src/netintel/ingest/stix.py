"""STIX 2.1 bundles, as CERTs and threat-intelligence platforms (MISP, OpenCTI) share them.

Each object of the bundle is parsed on its own with ``stix2.parse(..., allow_custom=True)``, so
one bad object is quarantined (with its id and the library's reason) while the rest is read.

Mapping into the common model
-----------------------------
================================== ========================================================
STIX                                netintel
================================== ========================================================
threat-actor, intrusion-set         ``threat_actor`` (``stix_type`` says which)
campaign, infrastructure, malware,  ``campaign``, ``infrastructure``, ``malware``, ``tool``,
tool, attack-pattern, vulnerability ``attack_pattern``, ``vulnerability``
identity                            ``person`` (identity_class individual), else ``organisation``
location                            ``location``
indicator                           ``indicator``; each observable its STIX pattern compares
                                    with ``=`` or ``IN`` becomes an identifier entity linked
                                    ``indicates`` FROM the indicator TO the observable
domain-name / ipv4-, ipv6-addr /    ``domain`` / ``ip_address`` / ``url`` / ``email`` / ``file``
url / email-addr / file /           / ``user_account`` / ``crypto_wallet`` identifier entities
user-account / x-crypto-wallet,     (source record id = the value as written; a file by its
cryptocurrency-wallet               SHA-256, else MD5, SHA-1, name); ``resolves_to_refs``
                                    become ``resolves_to`` links
x-misp-attribute (MISP exports)      the identifier its ``x_misp_type`` names (:data:`MISP_TYPES`:
                                    btc -> crypto_wallet, iban -> bank_account, phone-number ...)
phone-number, hostname, bank-account ``phone``, ``domain``, ``bank_account`` (OpenCTI's observables)
network-traffic, email-message      ``communicates_with`` src -> dst, ``message`` from -> to
relationship                        a link of the kind :data:`RELATIONSHIP_KINDS` gives, in the
                                    STIX direction (source_ref -> target_ref); unknown types
                                    ``related_to`` with ``relationship_type`` kept
sighting                            ``sighting`` events from the sighted object to each
                                    where_sighted_refs (else to the sighting's creator)
observed-data                       ``sighting`` events from each observable (``object_refs``, or
                                    STIX 2.0 embedded ``objects``) to its creator
report, grouping                    ``report``, linked ``related_to`` each entity it refers to
course-of-action                    ``course_of_action`` (a ``mitigates`` relationship: ``related_to``)
note, opinion                       ``note`` / ``opinion``, linked ``related_to`` each object it is about
netintel-entity and the netintel    the entity kind, id, label, properties, Admiralty grading,
extension on any object             handling and releasability netintel wrote (its STIX export);
                                    ``netintel_links`` become links with their counts and dates
marking-definition                  handling codes (below); no entity
================================== ========================================================

Pattern comparisons with ``LIKE`` or ``MATCHES`` name no exact value and add no entity (the
pattern is kept on the indicator). Other types (process,
x509-certificate, custom ``x-`` types netintel does not know, ...) are quarantined as "not
imported", never dropped unseen.

Provenance
----------
* **Handling**: ``object_marking_refs`` to TLP markings -- the TLP 1 marking ids stix2 defines
  (``TLP_WHITE``... ``TLP_RED``), TLP 2.0 marking definitions (the well-known ids, or a
  definition named ``TLP:AMBER+STRICT``, ``TLP:CLEAR``..., or with the ``tlp_2_0`` extension
  property) and statement markings ``Handling H2...`` -- become the object's handling code (the
  strictest if several; ``granular_markings`` count too, for the whole object, as netintel marks
  records whole). Objects without a marking get the provenance's default.
* **Grading**: ``confidence`` (0-100) is graded with the ``stix_confidence`` scheme; objects
  without one get the provenance's default.
* **Reported**: ``modified``, else ``created``.
* **Agency**: the provenance's agency; when it is empty, the name of the identity the
  ``created_by_ref`` of the bundle's report names (else the identity most objects name).
  **Country**: the provenance's country; when it is empty, that identity's custom ``x_country``
  or ``country`` property, or the ``country`` of a location it is ``located-at`` (only when that
  identity is the agency: a given agency of another name needs its country given too). Without either
  :func:`load_stix` raises :class:`~netintel.errors.InputError` naming the file.

Bad input
---------
Objects stix2 rejects (a missing required property such as an indicator's ``pattern``, a
malformed id or timestamp, an invalid pattern), relationships and sightings whose refs are not
in the bundle (or were quarantined), a confidence outside 0-100, and older versions of an object
(same id, earlier ``modified``) are quarantined with the object id and the reason. A file that
is not JSON, is truncated, or is not a bundle raises :class:`~netintel.errors.InputError`.

Examples
--------
>>> import tempfile, pathlib, json
>>> bundle = {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
...   {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
...    "created": "2026-03-01T10:00:00.000Z", "modified": "2026-03-01T10:00:00.000Z", "confidence": 85,
...    "pattern": "[domain-name:value = 'pay-portal.example']", "pattern_type": "stix",
...    "valid_from": "2026-03-01T10:00:00Z", "object_marking_refs": [TLP_IDS["TLP:RED"]]}]}
>>> path = pathlib.Path(tempfile.mkdtemp()) / "cert.json"
>>> _ = path.write_text(json.dumps(bundle))
>>> sniff(path)
True
>>> batch = load_stix(path, Provenance("CERT-EE", "EE"))
>>> [(e["kind"], e["label"], e["handling"], e["grading"]) for e in batch.entities]
[('indicator', "[domain-name:value = 'pay-portal.example']", 'TLP:RED', 'F1'), ('domain', 'pay-portal.example', 'TLP:RED', 'F1')]
>>> [link["kind"] for link in batch.links]
['indicates']
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import InputError, SchemaError
from ..handling import canonical_handling
from ..model import Model
from ..workspace import ImportBatch
from ._common import BatchBuilder, Provenance, RecordError, loads_json, parse_datetime, read_head
from ._plan import EntityRef, Plan, _rank

__all__ = ["FORMAT", "load_stix", "sniff", "stix_provenance", "RELATIONSHIP_KINDS", "TLP_IDS", "MISP_TYPES",
           "observables"]

#: The format name :func:`netintel.ingest.ingest` uses for these files.
FORMAT = "stix"

#: Well-known TLP marking-definition ids: TLP 1 as stix2 defines them, and TLP 2.0 (FIRST / OASIS).
TLP_IDS: dict[str, str] = {
    "TLP:CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "TLP:GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "TLP:AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "TLP:AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "TLP:RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP1 = {  # stix2.TLP_WHITE, TLP_GREEN, TLP_AMBER, TLP_RED
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "TLP:CLEAR",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "TLP:GREEN",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "TLP:AMBER",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "TLP:RED",
}
_KNOWN_MARKINGS = {**_TLP1, **{v: k for k, v in TLP_IDS.items()}}

#: STIX relationship_type -> netintel link kind (others become related_to).
RELATIONSHIP_KINDS: dict[str, str] = {
    "uses": "uses", "indicates": "indicates", "attributed-to": "attributed_to", "targets": "targets",
    "hosts": "hosts", "resolves-to": "resolves_to", "communicates-with": "communicates_with",
    "related-to": "related_to", "variant-of": "related_to", "derived-from": "related_to",
    "duplicate-of": "related_to", "authored-by": "attributed_to", "owns": "owns", "controls": "controls",
    "beacons-to": "communicates_with", "exfiltrates-to": "communicates_with", "compromises": "targets",
    "exploits": "targets", "delivers": "uses", "drops": "uses", "downloads": "uses", "impersonates": "targets",
    "located-at": "related_to", "consists-of": "related_to", "has": "related_to", "based-on": "related_to",
    "originates-from": "related_to", "characterizes": "related_to", "analysis-of": "related_to",
    "static-analysis-of": "related_to", "dynamic-analysis-of": "related_to", "investigates": "related_to",
    "mitigates": "related_to", "remediates": "related_to", "cooperates-with": "associate_of",
    "member-of": "member_of",
}

# STIX object type -> entity kind (identity is decided by identity_class).
_SDO_KINDS = {
    "threat-actor": "threat_actor", "intrusion-set": "threat_actor", "campaign": "campaign",
    "infrastructure": "infrastructure", "malware": "malware", "tool": "tool", "attack-pattern": "attack_pattern",
    "vulnerability": "vulnerability", "indicator": "indicator", "report": "report", "grouping": "report",
    "location": "location", "course-of-action": "course_of_action", "note": "note", "opinion": "opinion",
}
#: The type netintel's STIX export gives entities STIX has no object for (a new SDO of its extension).
NETINTEL_ENTITY_TYPE = "netintel-entity"
#: The id of netintel's extension-definition (entities and provenance: grading, handling, releasability).
NETINTEL_EXTENSION_ID = "extension-definition--e8546156-208b-50f6-bc82-12dfcff55ea2"
NETINTEL_CREATOR_ID = "identity--de6d7067-e3e3-5961-beaf-115b08f113c8"


def _netintel_ext(d: dict[str, Any]) -> dict[str, Any] | None:
    """What netintel's extension says of an object (its kind, id, grading...), or None."""
    if d.get("type") == NETINTEL_ENTITY_TYPE:
        return d
    ext = (d.get("extensions") or {}).get(NETINTEL_EXTENSION_ID)
    return ext if isinstance(ext, dict) and ext.get("extension_type") == "property-extension" else None
# cyber-observable type -> (kind, netintel property, STIX property holding the value)
_SCO_KINDS = {
    "domain-name": ("domain", "name", "value"), "ipv4-addr": ("ip_address", "address", "value"),
    "ipv6-addr": ("ip_address", "address", "value"), "url": ("url", "value", "value"),
    "email-addr": ("email", "address", "value"), "user-account": ("user_account", "username", "account_login"),
    "x-crypto-wallet": ("crypto_wallet", "address", "address"),
    "cryptocurrency-wallet": ("crypto_wallet", "address", "value"),
    "x-cryptocurrency-wallet": ("crypto_wallet", "address", "value"),
    "file": ("file", None, None),
    "x-misp-attribute": (None, None, "x_misp_value"),  # kind by x_misp_type, below
    # observables OpenCTI defines beyond the standard
    "phone-number": ("phone", "number", "value"), "x-phone-number": ("phone", "number", "value"),
    "hostname": ("domain", "name", "value"), "bank-account": ("bank_account", "iban", "iban"),
}
#: MISP attribute types (``x-misp-attribute`` objects MISP exports for what STIX has no observable
#: for) -> (kind, netintel property).
MISP_TYPES: dict[str, tuple[str, str]] = {
    "btc": ("crypto_wallet", "address"), "xmr": ("crypto_wallet", "address"), "eth": ("crypto_wallet", "address"),
    "dash": ("crypto_wallet", "address"), "iban": ("bank_account", "iban"),
    "bank-account-nr": ("bank_account", "account_number"), "phone-number": ("phone", "number"),
    "whatsapp": ("phone", "number"), "email": ("email", "address"), "email-src": ("email", "address"),
    "email-dst": ("email", "address"), "domain": ("domain", "name"), "hostname": ("domain", "name"),
    "ip-src": ("ip_address", "address"), "ip-dst": ("ip_address", "address"), "url": ("url", "value"),
    "link": ("url", "value"), "github-username": ("user_account", "username"),
    "twitter-id": ("user_account", "username"), "jabber-id": ("user_account", "username"),
    "passport-number": ("identity_document", "number"), "sha256": ("file", "hash_sha256"),
    "md5": ("file", "hash_md5"), "sha1": ("file", "hash_sha1"), "filename": ("file", "name"),
}
_HASH_PROPS = {"SHA256": "hash_sha256", "MD5": "hash_md5", "SHA1": "hash_sha1"}
# pattern object type and path -> (kind, netintel property)
_PATTERN_PATHS = {
    ("domain-name", "value"): ("domain", "name"), ("ipv4-addr", "value"): ("ip_address", "address"),
    ("ipv6-addr", "value"): ("ip_address", "address"), ("url", "value"): ("url", "value"),
    ("email-addr", "value"): ("email", "address"), ("email-message", "from_ref.value"): ("email", "address"),
    ("email-message", "sender_ref.value"): ("email", "address"), ("email-message", "to_refs[*].value"): ("email", "address"),
    ("file", "hashes.SHA256"): ("file", "hash_sha256"), ("file", "hashes.MD5"): ("file", "hash_md5"),
    ("file", "hashes.SHA1"): ("file", "hash_sha1"), ("file", "name"): ("file", "name"),
    ("user-account", "account_login"): ("user_account", "username"),
    ("user-account", "user_id"): ("user_account", "username"),
    ("user-account", "x_misp_phone"): ("phone", "number"),
    ("phone-number", "value"): ("phone", "number"), ("x-phone-number", "value"): ("phone", "number"),
    ("hostname", "value"): ("domain", "name"), ("bank-account", "iban"): ("bank_account", "iban"),
    ("bank-account", "account_number"): ("bank_account", "account_number"),
    ("x-crypto-wallet", "address"): ("crypto_wallet", "address"), ("x-crypto-wallet", "value"): ("crypto_wallet", "address"),
    ("cryptocurrency-wallet", "address"): ("crypto_wallet", "address"),
    ("cryptocurrency-wallet", "value"): ("crypto_wallet", "address"),
    ("x-cryptocurrency-wallet", "address"): ("crypto_wallet", "address"),
    ("x-cryptocurrency-wallet", "value"): ("crypto_wallet", "address"),
    ("network-traffic", "dst_ref.value"): (None, None), ("network-traffic", "src_ref.value"): (None, None),
}
_META_TYPES = {"marking-definition", "extension-definition"}
_RELATION_TYPES = {"relationship", "sighting", "observed-data", "network-traffic", "email-message"}


@dataclass
class _Obj:
    index: int
    locator: str
    raw: Any
    data: dict[str, Any] | None = None
    error: str | None = None
    ref: EntityRef | None = None  # the entity this object becomes, if any
    plan: Plan | None = None  # built while checking the objects that become entities

    @property
    def id(self) -> str | None:
        return self.data.get("id") if self.data else None

    @property
    def type(self) -> str:
        return str(self.data.get("type")) if self.data else ""


# ---------------------------------------------------------------------------------------------
# Recognising and reading the bundle
# ---------------------------------------------------------------------------------------------
def sniff(path: str | Path) -> bool:
    """True if the file is a JSON object of ``"type": "bundle"`` (read from its first 64 KiB).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.json"
    >>> _ = p.write_text('{"id": "p1", "schema": "Person", "properties": {}}')
    >>> sniff(p)
    False
    """
    text = read_head(path)
    if text is None:
        return False
    if not text.startswith("{"):
        return False
    try:
        obj = loads_json(text)
        return isinstance(obj, dict) and (obj.get("type") == "bundle" or _is_stix_object(obj))
    except ValueError:
        pass
    # longer than the head, or truncated: the bundle's own keys come before its objects' keys
    before_objects = text.split('"objects"', 1)[0]
    return bool(re.search(r'"type"\s*:\s*"bundle"', before_objects)) or \
        bool(re.search(r'"id"\s*:\s*"bundle--', before_objects))


def _is_stix_object(obj: dict[str, Any]) -> bool:
    """A single STIX 2.1 object (not in a bundle): a type, an id of that type and a spec_version."""
    t = obj.get("type")
    return isinstance(t, str) and str(obj.get("id") or "").startswith(f"{t}--") and obj.get("spec_version") == "2.1"


def _read_bundle(path: Path) -> list[_Obj]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", file=str(path)) from None
    if not data.strip().lstrip(b"\xef\xbb\xbf").strip():
        raise InputError("is empty", file=str(path), hint="the partner's export holds no bundle; ask for it again")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start}); STIX is always UTF-8 JSON", file=str(path),
                         hint="check what the partner sent") from None
    try:
        bundle = loads_json(text)
    except ValueError as exc:
        what = "truncated" if exc.pos >= len(text.rstrip()) - 1 else "not valid JSON"
        raise InputError(f"is {what} (JSON error at line {exc.lineno}, column {exc.colno}: {exc.msg})",
                         file=str(path), hint="ask the partner to export the STIX bundle again") from None
    if isinstance(bundle, dict) and _is_stix_object(bundle):
        bundle = {"type": "bundle", "objects": [bundle]}  # one object on its own (the OASIS examples)
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
        found = bundle.get("type") if isinstance(bundle, dict) else type(bundle).__name__
        raise InputError(f"is not a STIX bundle (its top object is {found!r}, not \"bundle\")", file=str(path),
                         hint="STIX 2.1 files are a bundle object holding the objects")
    objects = bundle.get("objects") or []
    if not isinstance(objects, list):
        raise InputError("is not a STIX bundle: its \"objects\" is not a list", file=str(path))
    out = []
    for i, obj in enumerate(objects):
        ident = obj.get("id") if isinstance(obj, dict) else None
        locator = f"object {ident}" if isinstance(ident, str) and ident else f"object #{i + 1}"
        if not isinstance(obj, dict):
            out.append(_Obj(i, locator, obj, error=f"a JSON {type(obj).__name__}, not a STIX object"))
        else:
            out.append(_Obj(i, locator, obj, data=obj))
    return out


# ---------------------------------------------------------------------------------------------
# Provenance from the bundle
# ---------------------------------------------------------------------------------------------
def stix_provenance(path: str | Path, provenance: Provenance | None = None) -> Provenance:
    """The provenance to import ``path`` with: the given one, agency and country from the bundle when empty.

    Raises :class:`~netintel.errors.InputError` (naming the file) when neither gives them.
    """
    path = Path(path)
    return _complete_provenance(path, provenance, _read_bundle(path))


def _complete_provenance(path: Path, provenance: Provenance | None, objs: list[_Obj]) -> Provenance:
    agency = str((provenance.agency if provenance is not None else None) or "").strip()
    country = str((provenance.country if provenance is not None else None) or "").strip()
    if agency and country:
        return replace(provenance, agency=agency, country=Provenance.check_country(country, file=str(path)))
    by_id = {o.id: o.data for o in objs if o.data is not None and isinstance(o.id, str)}
    creators = Counter(str(o.data["created_by_ref"]) for o in objs
                       if o.data is not None and o.data.get("created_by_ref"))
    reports = [str(o.data["created_by_ref"]) for o in objs
               if o.data is not None and o.type == "report" and o.data.get("created_by_ref")]
    creator_id = reports[0] if reports else (sorted(creators.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                                             if creators else None)
    creator = by_id.get(creator_id) if creator_id else None
    given_agency = agency
    if not agency:
        if creator is None or not str(creator.get("name") or "").strip():
            why = ("no object has a created_by_ref" if creator_id is None
                   else f"its created_by_ref {creator_id} is not an identity with a name in the bundle")
            raise InputError(f"no agency: the provenance names none and {why}", file=str(path),
                             hint="give --agency NAME (or agency: in source.yaml)")
        agency = str(creator["name"]).strip()
    creator_is_agency = creator is not None and (
        not given_agency or str(creator.get("name") or "").strip().lower() == given_agency.lower())
    if not country and creator_is_agency:
        country = str(creator.get("x_country") or creator.get("country") or "").strip()
        if not country:
            for o in objs:
                d = o.data
                if d is not None and d.get("type") == "relationship" and d.get("relationship_type") == "located-at" \
                        and d.get("source_ref") == creator_id:
                    country = str((by_id.get(d.get("target_ref")) or {}).get("country") or "").strip()
                    if country:
                        break
    if not country:
        raise InputError(f"no country for agency {agency!r}: the provenance gives none and its identity in the "
                         "bundle has no x_country, country or located-at location", file=str(path),
                         hint="give --country CC (or country: in source.yaml)")
    country = Provenance.check_country(country, file=str(path))
    base = provenance if provenance is not None else Provenance(agency=agency, country=country)
    return replace(base, agency=agency, country=country)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------
def load_stix(path: str | Path, provenance: Provenance | BatchBuilder | None = None, *,
              model: Model | None = None, keep_raw: bool = True) -> ImportBatch:
    """Read a STIX 2.1 bundle into an :class:`~netintel.workspace.ImportBatch`.

    Parameters
    ----------
    path : the bundle file
    provenance : the source's provenance; its agency and country may be empty (then they come
        from the bundle, see the module docs). Or a
        :class:`~netintel.ingest._common.BatchBuilder` to fill (as :func:`netintel.ingest.ingest` does).
    model : the netintel model (the packaged one unless given)
    keep_raw : keep each accepted object in ``raw_records``

    Returns
    -------
    ImportBatch
        read = accepted + quarantined; one record per object of the bundle.

    Raises
    ------
    InputError
        Not JSON, truncated, not a bundle, or no agency/country from the provenance or the bundle.
    """
    path = Path(path)
    objs = _read_bundle(path)
    if isinstance(provenance, BatchBuilder):
        builder = provenance
    else:
        prov = _complete_provenance(path, provenance, objs)
        builder = BatchBuilder(path, format=FORMAT, provenance=prov, model=model, keep_raw=keep_raw)
    _Loader(builder).run(objs)
    return builder.finish()


def observables(pattern: str) -> list[tuple[str, str, str]]:
    """The exact values a STIX pattern compares observables with: ``(kind, property, value)``.

    Comparisons with ``=`` and ``IN`` count; ``LIKE``, ``MATCHES``, ``!=`` and the like name no
    single value and are left out.

    >>> observables("[domain-name:value = 'c2.example'] OR [file:hashes.'SHA-256' = 'AB12']")
    [('domain', 'name', 'c2.example'), ('file', 'hash_sha256', 'AB12')]
    >>> observables("[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')] AND [url:value LIKE 'http://x%']")
    [('ip_address', 'address', '192.0.2.1'), ('ip_address', 'address', '192.0.2.2')]
    """
    return list(_observables(pattern))


_STRING = r"'(?:[^'\\]|\\.)*'"
_COMPARISON = re.compile(
    r"\s*(?P<type>[a-z0-9][a-z0-9-]*):(?P<path>[A-Za-z0-9_]+(?:\.(?:[A-Za-z0-9_]+|'[^']*')|\[(?:\*|\d+)\])*)"
    rf"\s*(?P<op>=|!=|IN|LIKE|MATCHES|<=|>=|<|>)\s*(?P<value>{_STRING}|\((?:\s*{_STRING}\s*,?)+\)|[^\s\]]+)\s*")
_GLUE = re.compile(r"\s*(\[|\]|AND\b|OR\b)\s*")


def _simple_comparisons(pattern: str) -> list[tuple[str, list[Any], str, str]] | None:
    """The comparisons of a plain pattern (``[a:b = 'c'] OR [d:e IN (...)]``), without antlr.

    None when the pattern uses anything else (parentheses, NOT, FOLLOWEDBY, qualifiers): the
    full STIX pattern grammar reads those.
    """
    out, pos = [], 0
    while pos < len(pattern):
        m = _GLUE.match(pattern, pos)
        if m and m.end() > pos:
            pos = m.end()
            continue
        m = _COMPARISON.match(pattern, pos)
        if not m or m.end() == pos:
            return None
        path = [p[1:-1] if p.startswith("'") else ("*" if p == "[*]" else int(p[1:-1]) if p.startswith("[") else p)
                for p in re.findall(r"'[^']*'|\[\*\]|\[\d+\]|[A-Za-z0-9_]+", m.group("path"))]
        out.append((m.group("type"), path, m.group("op"), m.group("value")))
        pos = m.end()
    return out


@lru_cache(maxsize=1 << 16)
def _observables(pattern: str) -> tuple[tuple[str, str, str], ...]:
    comparisons = _simple_comparisons(pattern)
    if comparisons is None:
        comparisons = _grammar_comparisons(pattern)
    found: list[tuple[str, str, str]] = []
    for obj_type, path, op, value in comparisons:
        key = _pattern_path(path)
        kind, prop = _PATTERN_PATHS.get((obj_type, key), (None, None))
        if op not in ("=", "IN"):
            continue
        values = _pattern_values(value, op)
        if obj_type == "network-traffic" and key in ("dst_ref.value", "src_ref.value"):
            for v in values:
                found.append(("ip_address", "address", v) if re.fullmatch(r"[\d.]+|[0-9a-fA-F:]+", v)
                             else ("domain", "name", v))
            continue
        if kind is None:
            continue
        found.extend((kind, prop, v) for v in values)
    return tuple(dict.fromkeys(found))


def _grammar_comparisons(pattern: str) -> list[tuple[str, list[Any], str, str]]:
    """The comparisons of any pattern, by the STIX pattern grammar (stix2patterns, antlr)."""
    from stix2patterns.v21.pattern import Pattern

    return [(t, list(path), op, value) for t, items in Pattern(pattern).inspect().comparisons.items()
            for path, op, value in items]


def _pattern_path(path: list[Any]) -> str:
    parts = []
    for p in path:
        if p == "*" or not isinstance(p, str):  # [*] (the grammar gives a sentinel object) or [0]
            parts[-1] = parts[-1] + "[*]" if parts else "[*]"
            continue
        text = str(p)
        if parts and parts[-1] == "hashes":
            text = text.upper().replace("-", "")
        parts.append(text)
    return ".".join(parts)


def _pattern_values(value: str, op: str) -> list[str]:
    text = str(value).strip()
    quoted = re.findall(r"'((?:[^'\\]|\\.)*)'", text)
    if op == "IN":
        return [_unescape(q) for q in quoted]
    if quoted:
        return [_unescape(quoted[0])]
    return [text]


def _unescape(text: str) -> str:
    return text.replace("\\'", "'").replace("\\\\", "\\")


class _Loader:
    def __init__(self, builder: BatchBuilder):
        self.b = builder
        self.by_id: dict[str, _Obj] = {}
        self.markings: dict[str, str | None] = {}
        self._prov_cache: dict[tuple, dict[str, Any]] = {}

    def run(self, objs: list[_Obj]) -> None:
        import stix2
        from stix2.exceptions import STIXError

        # -- pass 1: validate each object with stix2; index ids; markings; the entity each becomes ---
        for o in objs:
            if o.error is not None:
                continue
            try:
                stix2.parse(o.data, allow_custom=True)
            except Exception as exc:  # STIXError, and what stix2 lets slip (a malformed timestamp, an empty pattern)
                if o.type == "marking-definition" and _marking_handling(o.data) is not None and \
                        re.fullmatch(r"marking-definition--[0-9a-fA-F-]{36}", str(o.id or "")):
                    # platforms write TLP markings stix2 finds non-canonical (OpenCTI's definition_type "TLP",
                    # a TLP definition under its own id): what they mean is clear, so they count
                    pass
                else:
                    why = str(exc) if isinstance(exc, STIXError) else f"{type(exc).__name__}: {exc}"
                    o.error = f"{o.type or 'object'}: {why}"
                    continue
            if not isinstance(o.id, str):
                o.error = f"{o.type or 'object'}: has no id"
                continue
            prior = self.by_id.get(o.id)
            if prior is not None:
                # the newest version wins; of two with the same modified, the later in the bundle
                later_is_newer = str(o.data.get("modified") or "") >= str(prior.data.get("modified") or "")
                newer, older = (o, prior) if later_is_newer else (prior, o)
                self.by_id[o.id] = newer
                if older.data.get("modified") == newer.data.get("modified"):
                    older.error = (f"duplicate id {o.id}: object #{newer.index + 1} repeats it with the same "
                                   "modified time; the later is kept")
                else:
                    older.error = (f"superseded: a newer version of {o.id} (modified {newer.data.get('modified')}) "
                                   "is in the bundle")
                continue
            self.by_id[o.id] = o
        for o in objs:
            if o.error is None and o.type == "marking-definition":
                self.markings[o.id] = _marking_handling(o.data)
        for o in objs:
            if o.error is None:
                try:
                    o.ref = self._ref_of(o)
                except RecordError as exc:
                    o.error = str(exc)
        # objects that become entities are tried first (until none more fails), so that a link to
        # one that fails is quarantined too, never left dangling
        changed = True
        while changed:
            changed = False
            for o in objs:
                if o.error is None and o.ref is not None:
                    try:
                        o.plan = self._map(o)
                    except RecordError as exc:
                        o.error, o.plan, changed = f"{o.type}: {exc}", None, True
        # -- pass 2: map, in bundle order ------------------------------------------------------------
        for o in objs:
            self.b.read()
            plan, o.plan = o.plan, None  # plans of the last round above hold under the final errors
            if o.error is None and plan is None:
                try:
                    plan = self._map(o)
                except RecordError as exc:
                    o.error = f"{o.type}: {exc}"
            if o.error is not None:
                self.b.quarantine(o.locator, o.error, o.raw)
                continue
            plan.apply()
            self.b.accept(o.locator, o.raw, o.id)

    # -- the entity each object becomes -----------------------------------------------------------
    def _ref_of(self, o: _Obj) -> EntityRef | None:
        t, d = o.type, o.data
        ext = _netintel_ext(d)
        if ext is not None and ext.get("kind") and ext.get("netintel_id") and t != "relationship":
            if ext["kind"] not in self.b.model.entities:
                raise RecordError(f"not imported: netintel has no entity kind {ext['kind']!r} (netintel extension)")
            return EntityRef(str(ext["kind"]), str(ext["netintel_id"]))
        if t in _SDO_KINDS:
            return EntityRef(_SDO_KINDS[t], o.id)
        if t == "identity":
            if o.id == NETINTEL_CREATOR_ID:
                return None  # the system identity netintel's exports are created by: no entity of the case
            return EntityRef("person" if d.get("identity_class") == "individual" else "organisation", o.id)
        if t in _SCO_KINDS:
            kind, _, value = _sco_value(d)
            return EntityRef(kind, value)
        if t in _META_TYPES or t in _RELATION_TYPES:
            return None
        custom = " custom" if t.startswith("x-") else ""
        raise RecordError(f"not imported: netintel has no kind for{custom} STIX type {t!r}")

    # -- provenance of one object ------------------------------------------------------------------
    def _prov(self, d: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        codes, unknown = [], []
        refs = list(d.get("object_marking_refs") or [])
        # a granular marking restricts part of the object: netintel marks records whole, so the strictest wins
        refs += [g.get("marking_ref") for g in d.get("granular_markings") or [] if isinstance(g, dict)
                 and g.get("marking_ref")]
        for ref in refs:
            code = self.markings.get(ref) if ref in self.markings else _KNOWN_MARKINGS.get(ref)
            if code is not None:
                codes.append(code)
            elif ref not in self.markings:
                unknown.append(ref)
        handling = max(codes, key=_rank) if codes else None
        confidence = d.get("confidence")
        ext = _netintel_ext(d) or {}
        admiralty = ext.get("admiralty")
        if ext.get("handling"):
            handling = str(ext["handling"])
        releasable = tuple(ext["releasable_to"]) if ext.get("releasable_to") else None
        when = d.get("modified") or d.get("created")
        reported = None
        if when:
            try:
                reported = parse_datetime(when).date()
            except RecordError as exc:
                raise RecordError(f"modified/created: {exc}") from None
        if confidence is not None and not (isinstance(confidence, (int, float)) and 0 <= confidence <= 100):
            raise RecordError(f"confidence {confidence!r} is not a number from 0 to 100")
        key = (confidence, admiralty, handling, releasable, reported)
        prov = self._prov_cache.get(key)
        if prov is None:
            try:
                if admiralty:  # the exact Admiralty code netintel's extension carries beats its confidence band
                    prov = self.b.provenance(grading=admiralty, grading_scheme="admiralty", handling=handling,
                                             releasable_to=releasable, reported=reported)
                else:
                    prov = self.b.provenance(grading=confidence, grading_scheme="stix_confidence"
                                             if confidence is not None else None, handling=handling,
                                             releasable_to=releasable, reported=reported)
            except SchemaError as exc:
                raise RecordError(str(exc)) from None
            self._prov_cache[key] = prov
        return prov, unknown

    def _common_props(self, d: dict[str, Any], unknown_markings: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"stix_id": d.get("id")}
        creator = self.by_id.get(d.get("created_by_ref") or "")
        if creator is not None and creator.error is None:
            name = creator.data.get("name")
            if name and str(name).strip().lower() != self.b.prov.agency.strip().lower():
                out["reported_by"] = name
        if unknown_markings:
            out["unknown_markings"] = unknown_markings
        labels = d.get("labels")
        if labels:
            out["labels"] = labels
        return out

    def _target(self, plan: Plan, ref: str | None, role: str) -> EntityRef:
        if not isinstance(ref, str) or not ref:
            # stix2 lets a relationship or sighting without its refs through under allow_custom
            raise RecordError(f"has no {role}: give the id of the object it refers to")
        target = self.by_id.get(ref)
        if target is None:
            raise RecordError(f"{role} {ref} is not in the bundle")
        if target.error is not None:
            raise RecordError(f"{role} {ref} is quarantined ({target.error})")
        if target.ref is None:
            raise RecordError(f"{role} {ref} is a {target.type}, not something netintel links")
        return target.ref

    # -- mapping -----------------------------------------------------------------------------------
    def _map(self, o: _Obj) -> Plan:
        d, t = o.data, o.type
        prov, unknown = self._prov(d)
        plan = Plan(self.b, o.locator, prov=prov)
        common = self._common_props(d, unknown)
        if t in _META_TYPES or (t == "identity" and o.ref is None):
            return plan
        if t == "relationship":
            self._relationship(plan, d, common)
        elif t == "sighting":
            self._sighting(plan, d, common)
        elif t == "observed-data":
            self._observed(plan, d, common)
        elif t == "network-traffic":
            self._traffic(plan, d, common)
        elif t == "email-message":
            self._email(plan, d, common)
        elif _netintel_ext(d) is not None:
            self._netintel(plan, o, common)
        elif t in _SCO_KINDS:
            self._observable(plan, o, common)
        else:
            self._sdo(plan, o, common)
        return plan

    def _netintel(self, plan: Plan, o: _Obj, common: dict[str, Any]) -> None:
        """An entity netintel wrote: its kind, label, properties and the links it carries."""
        d, ref = o.data, o.ref
        ext = _netintel_ext(d) or {}
        props = {**(ext.get("properties") or {}), **common, "stix_type": o.type, "exported_id": ref.source_record_id}
        label = ext.get("label") or d.get("name") or d.get("value")
        ek = self.b.model.entity(ref.kind)
        if label and self.b.model.label_of(ref.kind, props) != label and ek.label:
            props[ek.label[0]] = label
        if ext.get("agencies"):
            props["reported_by"] = list(ext["agencies"])
        me = plan.entity(ref.kind, ref.source_record_id, props)
        if d.get("type") == "relationship":
            return
        for i, link in enumerate(d.get("netintel_links") or []):
            where = f"netintel_links[{i}]"
            if not isinstance(link, dict) or not link.get("kind"):
                raise RecordError(f"{where} is not a link with a kind")
            ends = [me if link.get(r) == d.get("id") else self._target(plan, str(link.get(r)), f"{where}.{r}")
                    for r in ("source_ref", "target_ref")]
            self._netintel_link(plan, link, ends[0], ends[1], where)

    def _netintel_link(self, plan: Plan, link: dict[str, Any], source: EntityRef, target: EntityRef,
                       where: str) -> None:
        lprov, _ = self._prov({"extensions": {NETINTEL_EXTENSION_ID: {**link, "extension_type": "property-extension"}},
                               "confidence": link.get("confidence")})
        first = _time(link.get("start_time"), f"{where}.start_time")
        last = _time(link.get("stop_time"), f"{where}.stop_time") or first
        props = {"reported_by": list(link["agencies"])} if link.get("agencies") else {}
        plan.link(str(link["kind"]), source, target, source_record_id=str(link.get("netintel_id") or where),
                  first_seen=first, last_seen=last, count=int(link.get("count") or 1),
                  weight=float(link["weight"]) if link.get("weight") is not None else None,
                  amount=link.get("amount"), currency=link.get("currency"), properties=props, prov=lprov)

    def _sdo(self, plan: Plan, o: _Obj, common: dict[str, Any]) -> None:
        d, t, ref = o.data, o.type, o.ref
        props: dict[str, Any] = {"name": d.get("name"), "description": d.get("description"), "stix_type": t,
                                 **common}
        if t in ("threat-actor", "intrusion-set"):
            props["alias"] = d.get("aliases")
            props["country"] = d.get("x_country") or d.get("country")
            props["threat_actor_types"] = d.get("threat_actor_types")
            props["first_seen"] = d.get("first_seen")
            props["last_seen"] = d.get("last_seen")
        elif t == "campaign":
            props.update(alias=d.get("aliases"), first_seen=d.get("first_seen"), last_seen=d.get("last_seen"),
                         objective=d.get("objective"))
        elif t == "identity":
            props.update(identity_class=d.get("identity_class"), sector=d.get("sectors"),
                         country=d.get("x_country") or d.get("country"), contact=d.get("contact_information"))
        elif t == "infrastructure":
            props.update(infrastructure_type=d.get("infrastructure_types"), alias=d.get("aliases"))
        elif t == "malware":
            props.update(is_family=d.get("is_family"), family=d.get("malware_types"), alias=d.get("aliases"))
        elif t == "tool":
            props.update(tool_types=d.get("tool_types"), alias=d.get("aliases"))
        elif t in ("attack-pattern", "vulnerability"):
            ext = [r for r in d.get("external_references") or [] if r.get("external_id")]
            if ext:
                props["external_id"] = ext[0]["external_id"]
                props["external_source"] = ext[0].get("source_name")
        elif t == "location":
            props.update(name=d.get("name") or d.get("city") or d.get("region") or d.get("country"),
                         country=d.get("country"), latitude=d.get("latitude"), longitude=d.get("longitude"),
                         type=d.get("region"))
        elif t in ("report", "grouping"):
            props.update(published=d.get("published"), type=d.get("report_types") or d.get("context"))
        elif t == "note":
            content = str(d.get("content") or "")
            props.update(name=d.get("abstract") or (content[:77] + "..." if len(content) > 80 else content),
                         content=content, authors=d.get("authors"))
        elif t == "opinion":
            props.update(name=f"opinion: {d.get('opinion')}", opinion=d.get("opinion"),
                         explanation=d.get("explanation"), authors=d.get("authors"))
        elif t == "indicator":
            props.update(pattern=d.get("pattern"), pattern_type=d.get("pattern_type") or "stix",
                         valid_from=d.get("valid_from"), valid_until=d.get("valid_until"),
                         indicator_types=d.get("indicator_types"))
        me = plan.entity(ref.kind, ref.source_record_id, props)
        if t == "indicator" and (d.get("pattern_type") or "stix") == "stix":
            try:
                found = observables(d["pattern"])
            except Exception as exc:  # stix2 validated it; a pattern stix2patterns cannot inspect is kept as text
                raise RecordError(f"its pattern cannot be read: {exc}") from None
            for kind, prop, value in found:
                plan.link("indicates", me, plan.identifier(kind, value, prop=prop),
                          properties={"via": "pattern", "stix_id": d.get("id")})
        if t in ("report", "grouping", "note", "opinion"):
            missing = []
            for ref_id in d.get("object_refs") or []:
                target = self.by_id.get(ref_id)
                if target is None or target.error is not None:
                    missing.append(ref_id)
                    continue
                if target.ref is None or ref_id == d.get("id"):
                    continue  # relationships, sightings and markings the report lists are read on their own
                plan.link("related_to", me, target.ref, properties={"role": "object_ref", "stix_id": d.get("id")})
            if missing:
                plan.entity(ref.kind, ref.source_record_id, {"missing_refs": missing})

    def _observable(self, plan: Plan, o: _Obj, common: dict[str, Any]) -> None:
        d, ref = o.data, o.ref
        props = {**common, **_sco_props(d)}
        me = plan.entity(ref.kind, ref.source_record_id, props)
        missing = []
        for key in ("resolves_to_refs",):
            for ref_id in d.get(key) or []:
                target = self.by_id.get(ref_id)
                if target is None or target.error is not None or target.ref is None:
                    missing.append(ref_id)
                    continue
                plan.link("resolves_to", me, target.ref, properties={"stix_id": d.get("id")})
        if missing:
            plan.entity(ref.kind, ref.source_record_id, {"missing_refs": missing})

    def _relationship(self, plan: Plan, d: dict[str, Any], common: dict[str, Any]) -> None:
        ext = _netintel_ext(d)
        if ext is not None and ext.get("kind"):
            self._netintel_link(plan, {**ext, "start_time": d.get("start_time"), "stop_time": d.get("stop_time"),
                                       "confidence": d.get("confidence")},
                                self._target(plan, d["source_ref"], "source_ref"),
                                self._target(plan, d["target_ref"], "target_ref"), "relationship")
            return
        rtype = str(d.get("relationship_type") or "related-to")
        kind = RELATIONSHIP_KINDS.get(rtype.lower(), "related_to")
        source = self._target(plan, d.get("source_ref"), "source_ref")
        target = self._target(plan, d.get("target_ref"), "target_ref")
        first = _time(d.get("start_time"), "start_time")
        last = _time(d.get("stop_time"), "stop_time")
        props = {**common, "relationship_type": rtype, "description": d.get("description")}
        plan.link(kind, source, target, source_record_id=d.get("id"), first_seen=first, last_seen=last,
                  properties={k: v for k, v in props.items() if v is not None})

    def _creator(self, d: dict[str, Any]) -> EntityRef | None:
        creator = self.by_id.get(d.get("created_by_ref") or "")
        if creator is None or creator.error is not None:
            return None
        return creator.ref

    def _sighting(self, plan: Plan, d: dict[str, Any], common: dict[str, Any]) -> None:
        sighted = self._target(plan, d.get("sighting_of_ref"), "sighting_of_ref")
        where = [self._target(plan, r, "where_sighted_refs") for r in d.get("where_sighted_refs") or []]
        if not where:
            creator = self._creator(d)
            if creator is None:
                raise RecordError("names neither where_sighted_refs nor a created_by_ref identity in the bundle: "
                                  "there is nothing to link the sighting to")
            where = [creator]
        time = _time(d.get("first_seen") or d.get("created"), "first_seen")
        props = {**common, "count": d.get("count"), "last_seen": d.get("last_seen"),
                 "observed_data_refs": d.get("observed_data_refs"), "summary": d.get("summary")}
        props = {k: v for k, v in props.items() if v is not None}
        for w in where:
            plan.event("sighting", sighted, w, time, properties=props)

    def _observed(self, plan: Plan, d: dict[str, Any], common: dict[str, Any]) -> None:
        refs = [self._target(plan, r, "object_refs") for r in d.get("object_refs") or []]
        skipped: list[str] = []
        embedded = d.get("objects")  # STIX 2.0: the observables inside the observed-data
        if not refs and isinstance(embedded, dict):
            for key, obj in sorted(embedded.items()):
                if not isinstance(obj, dict):
                    continue
                try:
                    kind, _, value = _sco_value(obj)
                except RecordError:
                    skipped.append(str(obj.get("type")))
                    continue
                refs.append(plan.entity(kind, value, {k: v for k, v in _sco_props(obj).items() if k != "stix_id"}))
        if not refs:
            raise RecordError("observed-data refers to no observable netintel imports"
                              + (f" (only {', '.join(skipped)})" if skipped else ""))
        creator = self._creator(d)
        props = {**common, "number_observed": d.get("number_observed"), "last_observed": d.get("last_observed")}
        if skipped:
            props["not_imported"] = skipped
        time = _time(d.get("first_observed"), "first_observed")
        for r in refs:
            if creator is not None:
                plan.event("sighting", r, creator, time, properties=props)
            else:
                plan.entity(r.kind, r.source_record_id, {"first_observed": d.get("first_observed"),
                                                         "last_observed": d.get("last_observed")})

    def _traffic(self, plan: Plan, d: dict[str, Any], common: dict[str, Any]) -> None:
        if not d.get("src_ref") or not d.get("dst_ref"):
            raise RecordError("network-traffic needs both src_ref and dst_ref to become a link")
        src = self._target(plan, d.get("src_ref"), "src_ref")
        dst = self._target(plan, d.get("dst_ref"), "dst_ref")
        props = {**common, "protocols": d.get("protocols"), "dst_port": d.get("dst_port"),
                 "src_port": d.get("src_port")}
        first = _time(d.get("start"), "start")
        if first is not None:
            plan.event("communicates_with", src, dst, first, properties={k: v for k, v in props.items() if v})
        else:
            plan.link("communicates_with", src, dst, source_record_id=d["id"],
                      properties={k: v for k, v in props.items() if v})

    def _email(self, plan: Plan, d: dict[str, Any], common: dict[str, Any]) -> None:
        sender = d.get("from_ref") or d.get("sender_ref")
        recipients = list(d.get("to_refs") or []) + list(d.get("cc_refs") or []) + list(d.get("bcc_refs") or [])
        if not sender or not recipients:
            raise RecordError("email-message needs from_ref and to_refs to become a link")
        src = self._target(plan, sender, "from_ref")
        when = _time(d.get("date"), "date")
        props = {k: v for k, v in {**common, "subject": d.get("subject")}.items() if v}
        for r in recipients:
            dst = self._target(plan, r, "to_refs")
            if when is not None:
                plan.event("message", src, dst, when, properties=props)
            else:
                plan.link("message", src, dst, source_record_id=f"{d['id']}:{r}", properties=props)


def _sco_value(d: dict[str, Any]) -> tuple[str, str, str]:
    """(kind, netintel property, value as written) of a cyber observable; RecordError if it has none."""
    t = str(d.get("type"))
    if t == "file":
        hashes = {re.sub(r"[^A-Z0-9]", "", str(k).upper()): v for k, v in (d.get("hashes") or {}).items()}
        for name in ("SHA256", "MD5", "SHA1"):
            if hashes.get(name):
                return "file", _HASH_PROPS[name], str(hashes[name]).strip()
        if d.get("name"):
            return "file", "name", str(d["name"]).strip()
        raise RecordError("file has neither a SHA-256, MD5 or SHA-1 hash nor a name")
    if t == "x-misp-attribute":
        misp_type = str(d.get("x_misp_type") or "")
        if misp_type not in MISP_TYPES:
            raise RecordError(f"not imported: netintel has no kind for MISP attribute type {misp_type!r}")
        kind, prop = MISP_TYPES[misp_type]
        value = d.get("x_misp_value")
    elif t == "bank-account" and not d.get("iban"):
        kind, prop, value = "bank_account", "account_number", d.get("account_number")
    elif t in _SCO_KINDS:
        kind, prop, key = _SCO_KINDS[t]
        value = d.get(key)
        if t == "user-account":
            value = value or d.get("user_id") or d.get("display_name")
        value = value or d.get("value") or d.get("address")
    else:
        raise RecordError(f"not imported: netintel has no kind for STIX type {t!r}")
    if value in (None, "") or isinstance(value, (dict, list)):
        raise RecordError(f"{t} has no {_SCO_KINDS.get(t, (None, None, 'value'))[2] or 'value'}")
    return kind, prop, str(value).strip()


def _sco_props(d: dict[str, Any]) -> dict[str, Any]:
    """The properties of an observable's entity."""
    t = str(d.get("type"))
    kind, prop, value = _sco_value(d)
    props: dict[str, Any] = {prop: value}
    if d.get("id"):
        props["stix_id"] = d["id"]
    if t == "file":
        for key, hashed in (d.get("hashes") or {}).items():
            norm = re.sub(r"[^A-Z0-9]", "", str(key).upper())
            props[_HASH_PROPS.get(norm, f"hash_{norm.lower()}")] = hashed
        props.update(name=d.get("name"), size=d.get("size"))
    elif t == "email-addr":
        props["display_name"] = d.get("display_name")
    elif t == "user-account":
        props.update(service=d.get("account_type"), user_id=d.get("user_id"), display_name=d.get("display_name"))
    elif t.endswith("wallet"):
        props.update(currency=d.get("currency") or d.get("currency_code"), exchange=d.get("exchange"))
    elif t == "bank-account":
        props.update(account_number=d.get("account_number"), bic=d.get("bic"))
    elif t == "x-misp-attribute":
        props.update(misp_type=d.get("x_misp_type"), misp_category=d.get("x_misp_category"),
                     comment=d.get("x_misp_comment"))
    return {k: v for k, v in props.items() if v not in (None, "")}


def _time(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return parse_datetime(value)
    except RecordError as exc:
        raise RecordError(f"{name}: {exc}") from None


def _marking_handling(d: dict[str, Any]) -> str | None:
    """The handling code a marking definition stands for, or None (a copyright statement...)."""
    known = _KNOWN_MARKINGS.get(d.get("id") or "")
    if known:
        return known
    candidates = []
    definition = d.get("definition") or {}
    if str(d.get("definition_type") or "").lower() == "tlp" and isinstance(definition, dict):
        value = definition.get("tlp") or definition.get("TLP")
        if value:
            candidates.append(value if str(value).upper().startswith("TLP:") else f"TLP:{value}")
    for ext in (d.get("extensions") or {}).values():
        if isinstance(ext, dict) and ext.get("tlp_2_0"):
            candidates.append(f"TLP:{ext['tlp_2_0']}")
    name = str(d.get("name") or "")
    m = re.match(r"^\s*TLP\s*:\s*(CLEAR|WHITE|GREEN|AMBER\+STRICT|AMBER|RED)\b", name, re.I)
    if m:
        candidates.append(f"TLP:{m.group(1)}")
    statement = definition.get("statement") if isinstance(definition, dict) else None
    if isinstance(statement, str):
        m = re.match(r"^\s*Handling\s+(TLP:\S+|H[0-3])\b", statement)
        if m:
            candidates.append(m.group(1).rstrip(":"))
    for c in candidates:
        try:
            return canonical_handling(c.upper())
        except SchemaError:
            continue
    return None
