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
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable, Mapping

__all__ = ["phone_country", "iban_country", "normalise_country", "entity_countries", "country_name",
           "BASIS_LABELS"]

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
    import phonenumbers

    text = str(number).strip()
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
    "address": [("country", "residence", "country")],
    "location": [("country", "location", "country")],
    "vehicle": [("country", "vehicle", "country")],
    "vessel": [("flag", "vessel", "country")],
    "identity_document": [("issuing_country", "document", "country")],
    "threat_actor": [("country", "actor", "country")],
}


def entity_countries(kind: str, properties: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(country, basis) pairs an entity's own properties tie it to, in rule order, without repeats.

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
        else:
            found = _countries(values, basis)
        for item in found:
            if item not in out and not any(c == item[0] and b == item[1] for c, b in out):
                out.append(item)
        if found and basis in ("phone", "account"):
            break  # the number or IBAN says where it is registered; a stated country adds nothing
    return out
