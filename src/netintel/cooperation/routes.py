"""Legal routes: for each requested country, the instrument, the form, the channel and how long it takes.

The route for evidence from ``requesting`` to ``requested`` is the first instrument of
:data:`EVIDENCE_ORDER` that binds both (from :mod:`netintel.cooperation.legal`): the European
Investigation Order between EU states bound by Directive 2014/41/EU; the 2000 EU convention (or
its extension to Iceland and Norway) where the EIO does not apply (Denmark, Ireland); the 1959
Council of Europe convention (ETS 030) with the Second Additional Protocol's direct judicial
channel when both are bound by ETS 182; the EU-US agreement; the UN convention against
transnational organised crime (UNTOC art. 18) for organised crime where nothing else applies;
else *none known*. Police information goes through Europol / SIENA when both have access, else
INTERPOL. Other instruments that also bind both (the TCA with the UK, Budapest for cybercrime,
Eurojust for coordination) are listed beside, and the instruments whose status is not
established are named rather than assumed.

Examples
--------
>>> r = legal_route("NL", "DE")
>>> r.instrument, r.form
('eio', 'EIO Annex A (Directive 2014/41/EU, Annex A, sections A-L)')
>>> legal_route("NL", "DK").instrument, legal_route("NL", "CH").instrument, legal_route("NL", "CO").instrument
('eu_mla_2000', 'ets030', 'untoc')
>>> legal_route("NL", "XK").status
'none known'
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

import pandas as pd

from ..errors import NetintelError
from .legal import LegalReference, legal_reference

__all__ = ["Route", "LegalRoutes", "legal_route", "legal_routes", "EVIDENCE_ORDER", "POLICE_ORDER"]

#: Instruments for gathering evidence, most specific first.
EVIDENCE_ORDER: tuple[str, ...] = ("eio", "eu_mla_2000", "eu_no_is_mla", "ets030", "eu_us_mla", "untoc")
#: Channels for police information, most integrated first.
POLICE_ORDER: tuple[str, ...] = ("europol", "interpol")
_ALSO = ("eu_uk_tca", "ets182", "ets185", "eurojust")
_CYBER = ("cybercrime",)


@dataclass(frozen=True)
class Route:
    """The route for one requested country.

    Attributes
    ----------
    requesting, requested : ISO2 codes; ``requested_name`` the country's name
    status : ``"in force"`` (an instrument binds both), ``"domestic"``, ``"unknown"`` (an instrument
        may apply but its status is not established) or ``"none known"``
    instrument : id of the instrument in ``legal_instruments.yaml`` (None when none is known)
    title, reference, source : the instrument and its public source
    form : the document it calls for (``EIO Annex A``, letter rogatory under ETS 030, ...)
    channel : how it travels (direct judicial, central authority, ...)
    police_channel : for police information (Europol / SIENA, INTERPOL)
    duration : what a public source says about time limits, else ``"unknown"``
    also : other instruments binding both (TCA, ETS 182, Budapest, Eurojust)
    not_established : instruments that may bind both but whose status is unknown
    conditions : conditions the instrument sets (UNTOC: organised crime)
    notes : what the analyst should know or do
    """

    requesting: str
    requested: str
    requested_name: str
    status: str
    instrument: str | None
    title: str
    reference: str
    source: str
    form: str
    channel: str
    police_channel: str
    duration: str
    also: tuple[str, ...] = ()
    not_established: tuple[str, ...] = ()
    conditions: str | None = None
    notes: str = ""

    @property
    def is_eio(self) -> bool:
        return self.instrument == "eio"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["also"], d["not_established"] = list(self.also), list(self.not_established)
        return d


def _police(ref: LegalReference, a: str, b: str) -> str:
    for name in POLICE_ORDER:
        inst = ref.instruments.get(name)
        if inst is not None and inst.binds(a, b):
            return inst.channel
    return "none known"


def legal_route(requesting: str, requested: str, *, typology: str | None = None,
                reference: LegalReference | None = None) -> Route:
    """The instrument, form, channel and duration for a request from ``requesting`` to ``requested``.

    Parameters
    ----------
    requesting, requested : ISO2 codes
    typology : the kind of crime (``cybercrime`` adds the Budapest convention's preservation route)
    reference : the legal reference data (default: the packaged files)
    """
    ref = reference or legal_reference()
    a, b = _code(requesting, "requesting"), _code(requested, "requested")
    name = ref.name(b)
    police = _police(ref, a, b)
    if a == b:
        return Route(a, b, name, "domestic", None, "national law", "", "", "domestic order of the competent "
                     "authority", "domestic", police, "unknown", notes=f"{name} is the requesting country")
    if ref.country(b) is None or ref.country(a) is None:
        missing = b if ref.country(b) is None else a
        return Route(a, b, name, "none known", None, "", "", "", "letters rogatory through the diplomatic channel "
                     "(no instrument known)", "diplomatic channel", police, "unknown",
                     notes=f"{missing} is not in the legal reference data: add it to schema/legal_countries.yaml "
                           "and its instruments' party lists, with the source, to get a route")
    chosen = None
    unknown = []
    for iid in EVIDENCE_ORDER:
        inst = ref.instruments.get(iid)
        if inst is None:
            continue
        bound = inst.binds(a, b)
        if bound and chosen is None:
            chosen = inst
        elif bound is None:
            unknown.append(iid)
    also = tuple(i for i in _ALSO if i in ref.instruments and ref.instruments[i].binds(a, b)
                 and (chosen is None or i != chosen.id))
    unknown += [i for i in _ALSO if i in ref.instruments and ref.instruments[i].binds(a, b) is None]
    notes = []
    if typology in _CYBER and "ets185" in also:
        notes.append("cybercrime: ask first for expedited preservation through the 24/7 network "
                     "(Budapest convention arts. 29 and 35)")
    if chosen is None:
        status = "unknown" if unknown else "none known"
        notes.append(f"no instrument binding {ref.name(a)} and {name} is known to netintel"
                     + (f" (not established: {', '.join(unknown)})" if unknown else "")
                     + "; ask the central authority whether a bilateral treaty applies, or request assistance "
                       "by letters rogatory through the diplomatic channel on the basis of reciprocity")
        return Route(a, b, name, status, None, "", "", "", "letters rogatory through the diplomatic channel "
                     "(no instrument known)", "diplomatic channel", police, "unknown", also, tuple(unknown),
                     None, "; ".join(notes))
    channel = chosen.channel
    if chosen.id == "ets030":
        direct = ref.instruments.get("ets182")
        channel = ("direct judicial (ETS 182 art. 4), or the central authority" if direct and direct.binds(a, b)
                   else "central authority (Ministry of Justice, ETS 030 art. 15(1))")
    if chosen.id == "eio":
        notes.append("police-to-police information without coercive measures can go through "
                     f"{police.split(' through')[0]} instead")
    if "eu_uk_tca" in also:
        notes.append("the EU-UK TCA, Part Three Title VIII, supplements ETS 030")
    duration = chosen.duration + (f" ({chosen.duration_source})" if chosen.duration_source and
                                  chosen.duration_source not in chosen.duration else "")
    return Route(a, b, name, "in force", chosen.id, chosen.title, chosen.reference, chosen.source, chosen.form,
                 channel, police, duration, also, tuple(unknown), chosen.conditions, "; ".join(notes))


def _code(value: str, what: str) -> str:
    code = str(value or "").strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise NetintelError(f"{what} country {value!r} is not an ISO 3166-1 alpha-2 code: write e.g. NL, DE, CH")
    return code


@dataclass(frozen=True, eq=False)
class LegalRoutes:
    """Routes from one requesting country to several requested countries (``table``: one row each)."""

    requesting: str
    routes: tuple[Route, ...]
    table: pd.DataFrame = field(repr=False)

    def route(self, country: str) -> Route:
        for r in self.routes:
            if r.requested == country.upper():
                return r
        raise NetintelError(f"no route to {country!r} in these routes; they cover "
                            f"{', '.join(r.requested for r in self.routes)}")

    def to_dict(self) -> dict[str, Any]:
        return {"requesting": self.requesting, "routes": [r.to_dict() for r in self.routes]}

    def __repr__(self) -> str:
        return (f"<LegalRoutes from {self.requesting}: "
                + ", ".join(f"{r.requested} {r.instrument or r.status}" for r in self.routes) + ">")

    def _repr_html_(self) -> str:
        cols = ["requested", "requested_name", "status", "instrument", "form", "channel", "police_channel",
                "duration"]
        return (f"<h4>Legal routes from {html.escape(self.requesting)}</h4>"
                + self.table[cols].to_html(index=False, escape=True))


def legal_routes(requesting: str, countries: Iterable[str], *, typology: str | None = None,
                 reference: LegalReference | None = None) -> LegalRoutes:
    """:func:`legal_route` for every requested country (in the order given, duplicates dropped)."""
    a = _code(requesting, "requesting")
    seen: list[str] = []
    for c in countries:
        c = _code(c, "requested")
        if c not in seen:
            seen.append(c)
    routes = tuple(legal_route(a, c, typology=typology, reference=reference) for c in seen)
    cols = ["requested", "requested_name", "status", "instrument", "form", "channel", "police_channel", "duration",
            "also", "not_established", "conditions", "notes", "reference", "source"]
    table = pd.DataFrame([{k: r.to_dict()[k] for k in cols} for r in routes], columns=cols)
    for col in ("also", "not_established"):
        table[col] = table[col].map(lambda v: ", ".join(v))
    return LegalRoutes(a, routes, table)
