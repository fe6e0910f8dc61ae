"""Handling codes and releasability: who may receive what.

Every record carries a canonical handling code (TLP 2.0, Europol H0-H3, the UK 3x5x2 handling
letter ``3x5x2:P`` / ``3x5x2:C`` or a UK 5x5x5 handling code ``5x5x5:1`` .. ``5x5x5:5``) and the list
of countries it may be released to. ``"*"`` means anyone; ``"PARTNERS"`` means every partner country
of the case (the countries of the agencies in the workspace). The originating country may always
receive its own records.

A result derived from several records carries the strictest handling code among them, the
intersection of their releasability and the union of their *restrictions* (:func:`combine`): a
restriction such as Europol H1's "not for use as evidence in court" is not a degree of strictness
and is never outranked, so combining H1 with TLP:AMBER or H2 keeps it (:func:`court_usable`).

Every country or recipient netintel is given passes :func:`country_code` (ISO 3166-1 alpha-2).

Examples
--------
>>> canonical_handling("amber")
'TLP:AMBER'
>>> default_releasable("TLP:RED", "NL")
['NL']
>>> may_receive("DE", origin="NL", handling="TLP:AMBER", releasable_to=["PARTNERS"], partners={"NL", "DE"})
True
>>> may_receive("US", origin="NL", handling="TLP:AMBER", releasable_to=["PARTNERS"], partners={"NL", "DE"})
False
>>> combine([("TLP:GREEN", ["*"], "NL"), ("H2", ["NL", "BE"], "NL")], partners={"NL", "BE", "DE"})
Marking(handling='H2', releasable_to=('BE', 'NL'))
>>> m = combine([("H1", ["PARTNERS"], "NL"), ("H2", ["NL", "BE"], "NL")], partners={"NL", "BE"})
>>> m.handling, m.restrictions, m.court_usable
('H2', ('not_for_court',), False)
>>> country_code("nl")
'NL'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Sequence

import yaml

from .errors import CountryCodeError, SchemaError

__all__ = [
    "Marking",
    "country_code",
    "country_codes",
    "restrictions_of",
    "court_usable",
    "canonical_handling",
    "handling_rank",
    "default_releasable",
    "expand_releasable",
    "may_receive",
    "combine",
    "ANYONE",
    "PARTNERS",
]

ANYONE = "*"
PARTNERS = "PARTNERS"


@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    return yaml.safe_load((resources.files("netintel") / "schema" / "handling.yaml").read_text("utf-8"))


@lru_cache(maxsize=1)
def _by_upper() -> dict[str, str]:
    spec = _spec()
    out = {code.upper(): code for code in spec["codes"]}
    out.update({alias.upper(): code for alias, code in spec["aliases"].items()})
    return out


_UK = re.compile(r"^(?:UK)?[:\-/]?(3X5X2|5X5X5)[:\-/]?([PC1-5])$")


def canonical_handling(value: Any) -> str:
    """The canonical handling code for a value as a partner wrote it (case and 'TLP:' tolerant).

    >>> canonical_handling("uk 5x5x5 3"), canonical_handling("3x5x2 c"), canonical_handling("C")
    ('5x5x5:3', '3x5x2:C', '3x5x2:C')
    """
    spec = _spec()
    if value is None or str(value).strip() == "":
        return spec["default"]
    text = str(value).strip().upper().replace(" ", "")
    table = _by_upper()
    if text in table:
        return table[text]
    if "TLP:" + text in table:
        return table["TLP:" + text]
    m = _UK.match(text)
    if m and f"{m.group(1)}:{m.group(2)}" in table:
        return table[f"{m.group(1)}:{m.group(2)}"]
    raise SchemaError(
        f"unknown handling code {value!r}; use one of {', '.join(spec['codes'])} "
        "(TLP 2.0, Europol H0-H3, UK 3x5x2 handling letter P/C, UK 5x5x5 handling code 1-5)"
    )


def handling_rank(code: str) -> int:
    """How strict a canonical code is; higher is stricter."""
    return int(_spec()["codes"][code]["rank"])


def restrictions_of(code: str) -> tuple[str, ...]:
    """The restrictions a canonical code carries beyond who may receive it (``schema/handling.yaml``).

    >>> restrictions_of("H1"), restrictions_of("TLP:AMBER"), restrictions_of("3x5x2:C")
    (('not_for_court',), (), ('conditions',))
    """
    return tuple(sorted(_spec()["codes"][code].get("restrictions") or ()))


def court_usable(codes: str | Iterable[str]) -> bool:
    """Whether material marked with these codes may be quoted in a court-facing output (an MLA annex).

    False as soon as one code carries ``not_for_court`` (Europol H1), whatever else it is combined with.

    >>> court_usable("H1"), court_usable(["TLP:AMBER", "H2"]), court_usable(["TLP:AMBER", "H1"])
    (False, True, False)
    """
    codes = [codes] if isinstance(codes, str) else list(codes)
    return not any("not_for_court" in restrictions_of(c) for c in codes)


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    data = yaml.safe_load((resources.files("netintel") / "schema" / "countries.yaml").read_text("utf-8"))
    codes = {str(k): str(v) for k, v in data["codes"].items()}
    codes.update({str(k): str(v) for k, v in (data.get("user_assigned") or {}).items()})
    return codes


def country_codes() -> dict[str, str]:
    """Every country code netintel accepts, with its English name: the 249 ISO 3166-1 alpha-2
    codes and XK (Kosovo), the user-assigned code European cooperation uses."""
    return dict(_countries())


def country_code(value: Any, *, what: str = "country") -> str:
    """``value`` as an ISO 3166-1 alpha-2 code (upper case), or a :class:`CountryCodeError`.

    This is the one check every command-line option and API argument naming a country or a
    recipient goes through: a three-letter code, a path, a name or a user-assigned code is
    refused with a message naming the value and what is accepted.

    >>> country_code(" de ", what="recipient")
    'DE'
    >>> country_code("NLD", what="recipient")
    Traceback (most recent call last):
    ...
    netintel.errors.CountryCodeError: recipient 'NLD' is not an ISO 3166-1 alpha-2 country code (did you mean NL?); accepted: ...
    """
    text = str(value).strip().upper() if value is not None else ""
    codes = _countries()
    if text in codes:
        return text
    hint = ""
    if text == "UK":
        hint = " (the United Kingdom is GB)"
    elif len(text) == 3 and text.isalpha():
        from_alpha3 = {"NLD": "NL", "DEU": "DE", "BEL": "BE", "FRA": "FR", "ESP": "ES", "BGR": "BG", "GBR": "GB",
                       "ITA": "IT", "POL": "PL", "ROU": "RO", "TUR": "TR", "ALB": "AL", "USA": "US", "AUT": "AT"}
        if text in from_alpha3:
            hint = f" (did you mean {from_alpha3[text]}?)"
    raise CountryCodeError(
        f"{what} {value!r} is not an ISO 3166-1 alpha-2 country code{hint}; accepted: the {len(codes)} "
        "ISO 3166-1 alpha-2 codes, two letters such as NL, DE, BE, FR, ES, BG, GB "
        "(netintel.handling.country_codes() lists them)", value=value, what=what)


def default_releasable(handling: str, origin: str) -> list[str]:
    """Who may receive a record marked ``handling`` when the partner named nobody explicitly."""
    rule = _spec()["codes"][handling]["releasable"]
    if rule == "*":
        return [ANYONE]
    if rule == "partners":
        return [PARTNERS]
    return [origin.upper()]


def expand_releasable(releasable_to: Iterable[str], origin: str, partners: Iterable[str]) -> set[str] | None:
    """The concrete set of countries, or None for anyone."""
    values = {str(v).upper() for v in releasable_to or ()}
    if ANYONE in values:
        return None
    out = {v for v in values if v != PARTNERS}
    if PARTNERS in values:
        out |= {p.upper() for p in partners}
    if origin:
        out.add(origin.upper())
    return out


def may_receive(
    recipient: str,
    *,
    origin: str,
    handling: str,
    releasable_to: Sequence[str],
    partners: Iterable[str] = (),
) -> bool:
    """Whether ``recipient`` (ISO2) may receive a record.

    RED / H3 material is never released beyond its originator, whatever its list says.
    """
    recipient = recipient.upper()
    if recipient == (origin or "").upper():
        return True
    if handling_rank(handling) >= handling_rank("TLP:RED"):
        return False
    allowed = expand_releasable(releasable_to, origin, partners)
    return allowed is None or recipient in allowed


@dataclass(frozen=True)
class Marking:
    """The marking of a derived result: strictest handling, intersected releasability, and every
    restriction of its inputs (``"not_for_court"``, ``"conditions"``; see ``schema/handling.yaml``)."""

    handling: str
    releasable_to: tuple[str, ...]  # sorted ISO2 codes, or ("*",) for anyone
    restrictions: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        # the handling code's own restrictions always come with it
        own = restrictions_of(self.handling) if self.handling in _spec()["codes"] else ()
        object.__setattr__(self, "restrictions", tuple(sorted(set(self.restrictions) | set(own))))

    def __repr__(self) -> str:
        extra = f", restrictions={self.restrictions!r}" if self.restrictions else ""
        return f"Marking(handling={self.handling!r}, releasable_to={self.releasable_to!r}{extra})"

    def allows(self, recipient: str) -> bool:
        return self.releasable_to == (ANYONE,) or recipient.upper() in self.releasable_to

    @property
    def court_usable(self) -> bool:
        """False when anything it was computed from may not be used as evidence in court (H1)."""
        return "not_for_court" not in self.restrictions

    @property
    def banner(self) -> str:
        who = "anyone" if self.releasable_to == (ANYONE,) else ", ".join(self.releasable_to) or "originator only"
        notes = _spec().get("restrictions") or {}
        extra = "".join(f" — {notes.get(r, r).upper()}" for r in self.restrictions)
        return f"{self.handling} — releasable to {who}{extra}"


def combine(
    records: Iterable[tuple[str, Sequence[str], str]], *, partners: Iterable[str] = ()
) -> Marking:
    """Marking of a result computed from records given as (handling, releasable_to, origin)."""
    partners = set(partners)
    strictest = None
    allowed: set[str] | None = None  # None = anyone so far
    seen = False
    restrictions: set[str] = set()
    for handling, releasable_to, origin in records:
        seen = True
        restrictions.update(restrictions_of(handling))
        if strictest is None or handling_rank(handling) > handling_rank(strictest):
            strictest = handling
        if handling_rank(handling) >= handling_rank("TLP:RED"):
            these: set[str] | None = {origin.upper()}
        else:
            these = expand_releasable(releasable_to, origin, partners)
        if these is not None:
            allowed = these if allowed is None else allowed & these
    if not seen:
        return Marking("TLP:CLEAR", (ANYONE,))
    return Marking(strictest, (ANYONE,) if allowed is None else tuple(sorted(allowed)), tuple(sorted(restrictions)))
