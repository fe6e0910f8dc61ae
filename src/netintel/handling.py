"""Handling codes and releasability: who may receive what.

Every record carries a canonical handling code (TLP 2.0 or Europol-style H0-H3) and the list of
countries it may be released to. ``"*"`` means anyone; ``"PARTNERS"`` means every partner country
of the case (the countries of the agencies in the workspace). The originating country may always
receive its own records.

A result derived from several records carries the strictest handling code among them and the
intersection of their releasability (:func:`combine`).

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
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Sequence

import yaml

from .errors import SchemaError

__all__ = [
    "Marking",
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


def canonical_handling(value: Any) -> str:
    """The canonical handling code for a value as a partner wrote it (case and 'TLP:' tolerant)."""
    spec = _spec()
    if value is None or str(value).strip() == "":
        return spec["default"]
    text = str(value).strip().upper().replace(" ", "")
    if text in spec["codes"]:
        return text
    if text in spec["aliases"]:
        return spec["aliases"][text]
    if "TLP:" + text in spec["codes"]:
        return "TLP:" + text
    raise SchemaError(
        f"unknown handling code {value!r}; use one of {', '.join(spec['codes'])} "
        "(TLP 2.0 or Europol-style H0-H3)"
    )


def handling_rank(code: str) -> int:
    """How strict a canonical code is; higher is stricter."""
    return int(_spec()["codes"][code]["rank"])


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
    """The marking of a derived result: strictest handling, intersected releasability."""

    handling: str
    releasable_to: tuple[str, ...]  # sorted ISO2 codes, or ("*",) for anyone

    def allows(self, recipient: str) -> bool:
        return self.releasable_to == (ANYONE,) or recipient.upper() in self.releasable_to

    @property
    def banner(self) -> str:
        who = "anyone" if self.releasable_to == (ANYONE,) else ", ".join(self.releasable_to) or "originator only"
        return f"{self.handling} — releasable to {who}"


def combine(
    records: Iterable[tuple[str, Sequence[str], str]], *, partners: Iterable[str] = ()
) -> Marking:
    """Marking of a result computed from records given as (handling, releasable_to, origin)."""
    partners = set(partners)
    strictest = None
    allowed: set[str] | None = None  # None = anyone so far
    seen = False
    for handling, releasable_to, origin in records:
        seen = True
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
    return Marking(strictest, (ANYONE,) if allowed is None else tuple(sorted(allowed)))
