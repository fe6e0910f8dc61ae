"""Legal reference data: which cooperation instruments bind which countries, and the bars on surrender.

The data lives in ``schema/legal_instruments.yaml`` (one entry per instrument: its public source,
the date it was checked, its parties, the form and channel it calls for, a duration where a
public source gives one) and ``schema/legal_countries.yaml`` (per country: EU membership and
whether it extradites its own nationals when no European Arrest Warrant applies, with the
provision cited). Nothing is guessed: a country may be a party, not a party, or *unknown*, and
netintel never plans on an unknown.

Examples
--------
>>> ref = legal_reference()
>>> ref.binds("eio", "NL", "DE"), ref.binds("eio", "NL", "DK"), ref.binds("ets182", "NL", "AT")
(True, False, None)
>>> ref.country("TR").nationals_outside_eaw
'barred'
>>> ref.instrument("eio").reference.startswith("Directive 2014/41/EU")
True
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import yaml

from ..errors import SchemaError

__all__ = ["Instrument", "CountryLaw", "LegalReference", "legal_reference", "NATIONALS_RULES", "COVERS"]

#: What an instrument is for.
COVERS: tuple[str, ...] = ("evidence", "surrender", "jit", "police", "cyber", "coordination")
#: How a country treats a request to surrender its own national when no EAW applies.
NATIONALS_RULES: tuple[str, ...] = ("barred", "treaty_only", "conditional", "none", "unknown")
_NATIONALS_IN_INSTRUMENT = ("surrendered", "national_law", "declaration")
_GROUPS = ("EU", "ALL")
_ISO2 = re.compile(r"^[A-Z]{2}$")
_SCHEMA = Path(__file__).resolve().parent.parent / "schema"


@dataclass(frozen=True)
class Instrument:
    """One legal instrument and who is bound by it.

    ``parties``, ``not_parties``, ``unknown``: ISO2 codes (groups expanded). ``sides``: for an
    agreement between two sides (the EU and a third state), the two sets of codes; it binds a pair
    only across the sides. ``nationals``: for surrender instruments, ``surrendered`` (nationality
    is no ground for refusal), ``national_law`` (each state may refuse its nationals) or
    ``declaration`` (a state may have declared it will not surrender them).
    """

    id: str
    title: str
    reference: str
    source: str
    checked: date
    covers: tuple[str, ...]
    form: str
    channel: str
    duration: str = "unknown"
    duration_source: str | None = None
    parties: frozenset[str] = frozenset()
    not_parties: frozenset[str] = frozenset()
    unknown: frozenset[str] = frozenset()
    sides: tuple[frozenset[str], frozenset[str]] | None = None
    nationals: str | None = None
    conditions: str | None = None

    def status(self, country: str) -> bool | None:
        """True: bound; False: not bound; None: not established."""
        cc = country.upper()
        if self.sides is not None:
            return True if (cc in self.sides[0] or cc in self.sides[1]) else False
        if cc in self.parties:
            return True
        if cc in self.not_parties:
            return False
        return None

    def binds(self, a: str, b: str) -> bool | None:
        """Whether the instrument applies between ``a`` and ``b`` (None: not established)."""
        a, b = a.upper(), b.upper()
        if self.sides is not None:
            left, right = self.sides
            return (a in left and b in right) or (a in right and b in left)
        sa, sb = self.status(a), self.status(b)
        if sa is False or sb is False:
            return False
        if sa and sb:
            return True
        return None


@dataclass(frozen=True)
class CountryLaw:
    """A country's EU membership and its rule on surrendering nationals outside the EAW (with the source)."""

    code: str
    name: str
    eu: bool
    nationals_outside_eaw: str
    source: str
    checked: date


@dataclass(frozen=True, eq=False)
class LegalReference:
    """The loaded, validated reference data (see the module notes); :func:`legal_reference` loads it once."""

    instruments: dict[str, Instrument]
    countries: dict[str, CountryLaw]
    version: int
    compiled: date
    files: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def load(cls, instruments: str | Path | None = None, countries: str | Path | None = None) -> "LegalReference":
        """Load and validate the two files (the packaged ones by default).

        Raises
        ------
        SchemaError
            Listing every problem found (file, entry, field and what to write), not only the first.
        """
        ipath = Path(instruments) if instruments else _SCHEMA / "legal_instruments.yaml"
        cpath = Path(countries) if countries else _SCHEMA / "legal_countries.yaml"
        errors: dict[str, str] = {}
        idata = _read(ipath, errors)
        cdata = _read(cpath, errors)
        country_map = _countries(cpath, cdata, errors)
        eu = frozenset(c for c, law in country_map.items() if law.eu)
        groups = {"EU": eu, "ALL": frozenset(country_map)}
        inst_map = _instruments(ipath, idata, groups, set(country_map), errors)
        if errors:
            raise SchemaError("the legal reference data is invalid; correct these entries", errors)
        compiled = idata.get("compiled") if isinstance(idata, dict) else None
        return cls(inst_map, country_map, int(idata.get("version", 1)),
                   compiled if isinstance(compiled, date) else date.min, (str(ipath), str(cpath)))

    def instrument(self, name: str) -> Instrument:
        try:
            return self.instruments[name]
        except KeyError:
            raise SchemaError(f"no instrument {name!r} in the legal reference data; known: "
                              f"{', '.join(sorted(self.instruments))}") from None

    def country(self, code: str) -> CountryLaw | None:
        """The country's entry, or None when the reference data does not list it."""
        return self.countries.get(str(code).upper())

    def binds(self, instrument: str, a: str, b: str) -> bool | None:
        return self.instrument(instrument).binds(a, b)

    def name(self, code: str) -> str:
        law = self.country(code)
        return law.name if law else str(code).upper()

    def nationals_rule(self, code: str) -> str:
        law = self.country(code)
        return law.nationals_outside_eaw if law else "unknown"

    def table(self, countries: Iterable[str] | None = None) -> pd.DataFrame:
        """One row per country: EU, each instrument (``yes`` / ``no`` / ``unknown``) and the nationals rule."""
        codes = [c.upper() for c in countries] if countries is not None else sorted(self.countries)
        multi = [i for i in self.instruments.values() if i.sides is None]
        rows = []
        for cc in codes:
            law = self.country(cc)
            row: dict[str, Any] = {"country": cc, "name": law.name if law else cc,
                                   "eu": law.eu if law else None}
            for inst in multi:
                s = inst.status(cc)
                row[inst.id] = "yes" if s else ("no" if s is False else "unknown")
            row["nationals_outside_eaw"] = law.nationals_outside_eaw if law else "unknown"
            rows.append(row)
        return pd.DataFrame(rows)

    def sources(self) -> pd.DataFrame:
        """Every instrument with its reference, public source and the date it was checked."""
        return pd.DataFrame([{"instrument": i.id, "title": i.title, "reference": i.reference, "source": i.source,
                              "checked": i.checked.isoformat()} for i in self.instruments.values()])

    def __repr__(self) -> str:
        return (f"<LegalReference v{self.version} compiled {self.compiled}: {len(self.instruments)} instruments, "
                f"{len(self.countries)} countries>")

    def _repr_html_(self) -> str:
        return (f"<p><b>Legal reference data</b> v{self.version}, compiled {self.compiled}: "
                f"{len(self.instruments)} instruments, {len(self.countries)} countries "
                f"<small>({html.escape(', '.join(Path(f).name for f in self.files))})</small></p>"
                + self.sources()[["instrument", "reference", "checked"]].to_html(index=False, escape=True))


def _read(path: Path, errors: dict[str, str]) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except OSError as exc:
        errors[str(path)] = f"cannot be read ({exc.strerror or exc})"
        return {}
    except yaml.YAMLError as exc:
        errors[str(path)] = f"is not valid YAML: {exc}"
        return {}
    if not isinstance(data, dict):
        errors[str(path)] = "must be a mapping with a top-level key (instruments: or countries:)"
        return {}
    return data


def _text(entry: dict[str, Any], key: str, where: str, errors: dict[str, str], *, required: bool = True) -> str:
    v = entry.get(key)
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            errors[f"{where}, field {key!r}"] = f"missing: write the {key} (every entry names its public source)" \
                if key == "source" else f"missing: write the {key}"
        return ""
    return str(v).strip()


def _checked(entry: dict[str, Any], where: str, errors: dict[str, str]) -> date:
    v = entry.get("checked")
    if isinstance(v, date):
        return v
    errors[f"{where}, field 'checked'"] = f"{v!r} is not a date: write the day the entry was checked as YYYY-MM-DD"
    return date.min


def _countries(path: Path, data: dict[str, Any], errors: dict[str, str]) -> dict[str, CountryLaw]:
    raw = data.get("countries")
    if not isinstance(raw, dict) or not raw:
        if data:
            errors[f"{path}, field 'countries'"] = "missing: a mapping of ISO2 codes to country entries"
        return {}
    out = {}
    for code, entry in raw.items():
        where = f"{path}, country {code}"
        code = str(code)
        if not _ISO2.match(code):
            errors[where] = "the key must be an ISO 3166-1 alpha-2 code in capitals (e.g. NL)"
            continue
        if not isinstance(entry, dict):
            errors[where] = "must be a mapping with name, eu, nationals_outside_eaw, source, checked"
            continue
        eu = entry.get("eu")
        if not isinstance(eu, bool):
            errors[f"{where}, field 'eu'"] = f"{eu!r}: write true or false"
        rule = entry.get("nationals_outside_eaw", "unknown")
        if rule not in NATIONALS_RULES:
            errors[f"{where}, field 'nationals_outside_eaw'"] = f"{rule!r}: write one of {', '.join(NATIONALS_RULES)}"
        out[code] = CountryLaw(code, _text(entry, "name", where, errors), bool(eu), str(rule),
                               _text(entry, "source", where, errors), _checked(entry, where, errors))
    return out


def _codes(value: Any, where: str, groups: dict[str, frozenset[str]], known: set[str],
           errors: dict[str, str]) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        errors[where] = "must be a list of ISO2 codes or groups (EU, ALL)"
        return frozenset()
    out: set[str] = set()
    for v in value:
        if isinstance(v, bool):  # YAML 1.1 reads an unquoted NO (Norway) as false
            errors[where] = f"{v!r} is not a country code: write \"NO\" in quotes (YAML reads NO as false)"
            continue
        v = str(v)
        if v in groups:
            out |= groups[v]
        elif v in known:
            out.add(v)
        else:
            errors[where] = (f"{v!r} is neither a country of legal_countries.yaml nor a group ({', '.join(_GROUPS)}): "
                             "add the country there first")
    return frozenset(out)


def _instruments(path: Path, data: dict[str, Any], groups: dict[str, frozenset[str]], known: set[str],
                 errors: dict[str, str]) -> dict[str, Instrument]:
    raw = data.get("instruments")
    if not isinstance(raw, dict) or not raw:
        if data:
            errors[f"{path}, field 'instruments'"] = "missing: a mapping of instrument ids to entries"
        return {}
    out = {}
    for name, entry in raw.items():
        where = f"{path}, instrument {name}"
        if not isinstance(entry, dict):
            errors[where] = "must be a mapping with title, reference, source, checked, covers, parties or sides"
            continue
        covers = entry.get("covers") or []
        bad = [c for c in covers if c not in COVERS] if isinstance(covers, list) else [covers]
        if bad or not covers:
            errors[f"{where}, field 'covers'"] = f"{bad or 'missing'}: a list of {', '.join(COVERS)}"
        nationals = entry.get("nationals")
        if nationals is not None and nationals not in _NATIONALS_IN_INSTRUMENT:
            errors[f"{where}, field 'nationals'"] = f"{nationals!r}: write one of {', '.join(_NATIONALS_IN_INSTRUMENT)}"
        parties = _codes(entry.get("parties"), f"{where}, field 'parties'", groups, known, errors)
        not_parties = _codes(entry.get("not_parties"), f"{where}, field 'not_parties'", groups, known, errors)
        unknown = _codes(entry.get("unknown"), f"{where}, field 'unknown'", groups, known, errors)
        # An explicit exclusion beats a group: "EU" minus Denmark and Ireland.
        if entry.get("open_to") is not None:
            not_parties |= groups["ALL"] - _codes(entry["open_to"], f"{where}, field 'open_to'", groups, known, errors)
        parties = parties - not_parties - unknown
        sides = None
        if entry.get("sides") is not None:
            s = entry["sides"]
            if not (isinstance(s, list) and len(s) == 2):
                errors[f"{where}, field 'sides'"] = "must be two lists of codes: [[NO, IS], [EU]]"
            else:
                sides = (_codes(s[0], f"{where}, field 'sides'", groups, known, errors),
                         _codes(s[1], f"{where}, field 'sides'", groups, known, errors))
        elif not parties:
            errors[f"{where}, field 'parties'"] = "missing: list the parties (or give sides for a two-sided agreement)"
        both = not_parties & unknown
        if both:
            errors[f"{where}, field 'unknown'"] = f"{', '.join(sorted(both))} also listed in not_parties: keep one"
        out[str(name)] = Instrument(
            id=str(name), title=_text(entry, "title", where, errors), reference=_text(entry, "reference", where, errors),
            source=_text(entry, "source", where, errors), checked=_checked(entry, where, errors),
            covers=tuple(covers) if isinstance(covers, list) else (), form=_text(entry, "form", where, errors),
            channel=_text(entry, "channel", where, errors),
            duration=_text(entry, "duration", where, errors, required=False) or "unknown",
            duration_source=_text(entry, "duration_source", where, errors, required=False) or None,
            parties=parties, not_parties=not_parties, unknown=unknown, sides=sides, nationals=nationals,
            conditions=_text(entry, "conditions", where, errors, required=False) or None)
    return out


@lru_cache(maxsize=1)
def legal_reference() -> LegalReference:
    """The packaged legal reference data, loaded and validated once."""
    return LegalReference.load()
