"""Source and information grading, mapped from every partner's scheme onto one scale.

The common scale is the 6x6 Admiralty code: reliability A-F and credibility 1-6, written "B2".
Europol's 4x4, the UK 3x5x2 and 5x5x5 and STIX confidence (0-100) map onto it as declared in
``schema/grading.yaml``; the original grading and its scheme are kept beside the canonical code.
The UK schemes carry a handling part too (3x5x2's letter P/C, 5x5x5's code 1-5): it is kept as
:attr:`Grading.handling` (``"3x5x2:C"``, ``"5x5x5:4"``), which ingest uses as the record's handling
code when none is given explicitly.

Examples
--------
>>> parse_grading("B2")
Grading(code='B2', scheme='admiralty', original='B2')
>>> parse_grading("X4", scheme="europol_4x4").code
'F6'
>>> parse_grading("1B C").code, parse_grading("1B C").handling
('B2', '3x5x2:C')
>>> g = parse_grading("D3 4")
>>> g.code, g.scheme, g.handling
('E3', 'uk_5x5x5', '5x5x5:4')
>>> parse_grading(85).code
'F1'
>>> at_least("B2", "C3"), at_least("C2", "B2")
(True, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from .errors import SchemaError

__all__ = ["Grading", "parse_grading", "grading_score", "at_least", "SCHEMES"]


@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    return yaml.safe_load((resources.files("netintel") / "schema" / "grading.yaml").read_text("utf-8"))


SCHEMES = ("admiralty", "europol_4x4", "uk_3x5x2", "uk_5x5x5", "stix_confidence")
_ORDER_REL = "ABCDEF"
_ORDER_CRED = "123456"


@dataclass(frozen=True)
class Grading:
    code: str  # canonical Admiralty code, e.g. "B2"
    scheme: str
    original: str
    handling: str | None = field(default=None, repr=False)  # UK schemes: the handling code they carry

    @property
    def reliability(self) -> str:
        return self.code[0]

    @property
    def credibility(self) -> int:
        return int(self.code[1])

    @property
    def score(self) -> float:
        return grading_score(self.code)


def _handling_part(text: str, scheme: str) -> str | None:
    spec = _spec()["schemes"][scheme]
    if "handling" not in spec:
        return None
    m = re.match(spec["pattern"], text.strip().upper())
    return spec["handling"].get(m.group(3)) if m and m.lastindex and m.lastindex >= 3 and m.group(3) else None


def _from_scheme(text: str, scheme: str) -> str | None:
    spec = _spec()["schemes"][scheme]
    if scheme == "stix_confidence":
        try:
            value = float(text)
        except ValueError:
            return None
        if not 0 <= value <= 100:
            return None
        for upper, cred in spec["bands"]:
            if value <= upper:
                return f"{spec['reliability']}{cred}"
        return None
    m = re.match(spec["pattern"], text.strip().upper())
    if not m:
        return None
    rel, cred = m.group(1), m.group(2)
    return f"{spec['reliability'][rel]}{spec['credibility'][cred]}"


def parse_grading(value: Any, *, scheme: str | None = None) -> Grading:
    """Parse a grading as a partner wrote it.

    Parameters
    ----------
    value : str or number
        "B2", "b-2", "X4" (Europol), "1A P" (UK 3x5x2), or a STIX confidence 0-100.
    scheme : str, optional
        One of :data:`SCHEMES`. Without it the scheme is recognised from the value's shape;
        Admiralty wins where a value fits both Admiralty and Europol.

    Raises
    ------
    SchemaError
        If the value fits no scheme (or not the one named).
    """
    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        default = _spec()["default"]
        return Grading(default, "none", "")
    text = str(value).strip()
    if scheme is not None:
        if scheme not in SCHEMES:
            raise SchemaError(f"unknown grading scheme {scheme!r}; use one of {', '.join(SCHEMES)}")
        code = _from_scheme(text, scheme)
        if code is None:
            raise SchemaError(f"grading {text!r} is not a valid {scheme} grading")
        return Grading(code, scheme, text, _handling_part(text, scheme))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        candidates = ("stix_confidence",)
    elif re.fullmatch(r"\d{1,3}(\.\d+)?", text) and not re.fullmatch(r"[123]", text):
        candidates = ("stix_confidence",)
    else:
        candidates = ("admiralty", "europol_4x4", "uk_3x5x2", "uk_5x5x5")
    for name in candidates:
        code = _from_scheme(text, name)
        if code is not None:
            return Grading(code, name, text, _handling_part(text, name))
    raise SchemaError(
        f"grading {text!r} fits none of the known schemes "
        "(Admiralty 'B2', Europol 4x4 'X4', UK 3x5x2 '1A P', UK 5x5x5 'B2 1', STIX confidence 0-100)"
    )


def grading_score(code: str) -> float:
    """A number in (0, 1] for a canonical code: the product of reliability and credibility scores.

    >>> grading_score("A1"), round(grading_score("B2"), 2)
    (1.0, 0.64)
    """
    canon = _spec()["canonical"]
    return float(canon["reliability"][code[0]]) * float(canon["credibility"][code[1]])


def _rank(code: str) -> tuple[int, int]:
    # "cannot be judged" (F / 6) ranks below every judged value: it never passes a minimum.
    return (_ORDER_REL.index(code[0]), _ORDER_CRED.index(code[1]))


def at_least(code: str, minimum: str) -> bool:
    """True when ``code`` is graded at least as well as ``minimum`` on both axes.

    "Everything graded below B2" is everything for which ``at_least(code, "B2")`` is False.
    """
    r, c = _rank(code)
    mr, mc = _rank(minimum)
    return r <= mr and c <= mc
