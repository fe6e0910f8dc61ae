"""A fictional multi-agency case: six partners' shares in their own formats, and the truth behind them.

:func:`generate_case` builds a world of planted criminal groups (a human-smuggling ring along
TR-BG-RO-HU-AT-DE/NL, a cocaine-importation network through Algeciras, Rotterdam and Antwerp, a
ransomware group with its infrastructure and money mules, the money-laundering network that
joins them, two small unrelated groups) among ordinary people who call and pay each other, and
writes what each partner agency would hold, as it would export it:

============== ======================================= ==============================================
folder          agency                                  files
============== ======================================= ==============================================
``nl_politie``  Politie Nederland (NL)                  ``personen.csv``, ``voertuigen.csv``,
                                                        ``relaties.csv`` (Dutch columns, mappings)
``bg_gdnp``     ГДНП Национална полиция (BG)            ``lica.xlsx``, ``vrazki.xlsx`` (Cyrillic)
``es_sepblac``  SEPBLAC (ES, the FIU)                   ``transacciones.csv`` (canonical columns),
                                                        ``titulares.csv``, ``cuentas.csv``
``de_bka``      Bundeskriminalamt (DE, telecom warrant) ``tkue_verkehrsdaten.csv`` (CDR, German
                                                        columns), ``bestandsdaten.csv`` (subscribers)
``ro_cert``     CERT-RO (RO)                            ``bundle.json`` (STIX 2.1)
``be_ocdefo``   Police Fédérale OCDEFO (BE)             ``entities.ftm.json`` (FollowTheMoney)
============== ======================================= ==============================================

The truth (``truth/``) follows ``docs/ARCHITECTURE.md``: ``records.csv``, ``entities.csv``,
``communities.csv``, ``switches.csv``, ``evidence.csv``, ``case.json`` and ``malformed.csv``
(every record that was corrupted on purpose, with its file and locator, so a test can check that
exactly those are quarantined). ``records.csv`` lists the entity records a loader makes from the
well-formed rows and objects.

Examples
--------
>>> case = generate_case(seed=7, scale=0.3)
>>> sorted(case.truth)
['communities', 'entities', 'evidence', 'malformed', 'records', 'switches']
>>> sorted(case.truth["communities"].typology.unique())
['cybercrime', 'drug_trafficking', 'human_smuggling', 'money_laundering', 'other']
>>> case.files.keys() >= {"nl_politie/personen.csv", "ro_cert/bundle.json", "be_ocdefo/entities.ftm.json"}
True
>>> case.truth["records"].columns.tolist()
['agency', 'file', 'kind', 'source_record_id', 'true_id']
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .._files import stable_xlsx
from . import _world as W
from . import names as N
from .persons import AgencyStyle, render_records

__all__ = ["Case", "generate_case", "CASE_AGENCIES", "GENERATOR_VERSION", "STIX_KINDS"]

GENERATOR_VERSION = "1.1"

#: The partner agencies of a generated case: folder -> (style, source.yaml settings).
CASE_AGENCIES: dict[str, tuple[AgencyStyle, dict[str, Any]]] = {
    "nl_politie": (
        AgencyStyle("Politie Nederland", "NL", "NL", date_format="%d-%m-%Y", translit="english", p_phone=0.75),
        {"grading": "B2", "grading_scheme": "admiralty", "handling": "TLP:AMBER", "releasable_to": ["PARTNERS"]}),
    "bg_gdnp": (
        AgencyStyle("ГДНП Национална полиция", "BG", "BG", script="cyrillic", order="surname_first",
                    translit="bulgarian", date_format="%d.%m.%Y", p_phone=0.75),
        {"grading": "B2", "grading_scheme": "europol_4x4", "handling": "H1", "releasable_to": ["PARTNERS"]}),
    "es_sepblac": (
        AgencyStyle("SEPBLAC", "ES", "ES", order="comma", upper_surname=True, date_format="%d/%m/%Y",
                    translit="english", p_phone=0.5),
        {"grading": "1B", "grading_scheme": "uk_3x5x2", "handling": "TLP:AMBER",
         "releasable_to": ["ES", "NL", "BE", "DE"]}),
    "de_bka": (
        AgencyStyle("Bundeskriminalamt", "DE", "DE", translit="german", date_format="%d.%m.%Y",
                    precision=(0.9, 0.0, 0.05, 0.05)),
        {"grading": "A2", "grading_scheme": "admiralty", "handling": "H2",
         "releasable_to": ["NL", "BG", "ES", "RO", "BE", "AT"]}),
    "ro_cert": (
        AgencyStyle("CERT-RO", "RO", "RO", translit="english"),
        {"grading": 70, "grading_scheme": "stix_confidence", "handling": "TLP:AMBER", "releasable_to": ["PARTNERS"]}),
    "be_ocdefo": (
        AgencyStyle("Police Fédérale OCDEFO", "BE", "BE", translit="french", p_phone=0.5),
        {"grading": "B3", "grading_scheme": "europol_4x4", "handling": "TLP:AMBER+STRICT",
         "releasable_to": ["BE", "NL", "ES"]}),
}

#: The entity kind a STIX loader makes of each STIX object type or pattern observable.
STIX_KINDS = {"identity:organization": "organisation", "identity:individual": "person",
              "threat-actor": "threat_actor", "intrusion-set": "threat_actor", "malware": "malware",
              "infrastructure": "infrastructure", "indicator": "indicator", "domain-name": "domain",
              "ipv4-addr": "ip_address", "file": "file", "cryptocurrency-wallet": "crypto_wallet"}

# which share of a group's members each person-bearing partner reports
_VISIBILITY = {  # typology: (nl_politie, bg_gdnp, de_bka subscribers)
    "human_smuggling": (0.35, 0.8, 0.4), "drug_trafficking": (0.75, 0.05, 0.35), "cybercrime": (0.3, 0.35, 0.35),
    "money_laundering": (0.6, 0.1, 0.35), "other": (0.6, 0.5, 0.3), "": (0.3, 0.25, 0.3),
}
_CREATED = "2026-04-28T10:00:00.000Z"


@dataclass(frozen=True)
class Case:
    """A generated case: the partners' files (bytes by relative path) and the truth tables.

    ``files`` maps ``<agency folder>/<file>`` to the file's bytes (``source.yaml`` and mapping
    files included); ``truth`` maps ``records``, ``entities``, ``communities``, ``switches``,
    ``evidence`` and ``malformed`` to DataFrames; ``info`` is ``case.json``.
    """

    seed: int
    scale: float
    files: dict[str, bytes]
    truth: dict[str, pd.DataFrame]
    info: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def write(self, out: str | Path) -> list[Path]:
        """Write the partners' folders and ``truth/`` under ``out``; returns the paths written."""
        out = Path(out)
        written = []
        for rel, data in sorted(self.files.items()):
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append(path)
        truth = out / "truth"
        truth.mkdir(parents=True, exist_ok=True)
        for name, frame in sorted(self.truth.items()):
            path = truth / f"{name}.csv"
            path.write_bytes(_csv_bytes(frame))
            written.append(path)
        path = truth / "case.json"
        path.write_text(json.dumps(self.info, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
        written.append(path)
        return written

    def digest(self) -> str:
        """SHA-256 over every file and truth table: equal digests, identical cases."""
        h = hashlib.sha256()
        for rel, data in sorted(self.files.items()):
            h.update(rel.encode())
            h.update(hashlib.sha256(data).digest())
        for name, frame in sorted(self.truth.items()):
            h.update(name.encode())
            h.update(hashlib.sha256(_csv_bytes(frame)).digest())
        return h.hexdigest()

    @property
    def agencies(self) -> pd.DataFrame:
        """One row per partner: folder, agency, country, files, entity records, event rows, malformed."""
        rec = self.truth["records"]
        mal = self.truth["malformed"]
        rows = []
        for folder, (style, settings) in CASE_AGENCIES.items():
            files = sorted(f.split("/", 1)[1] for f in self.files if f.startswith(folder + "/")
                           and not f.endswith((".yaml",)))
            rows.append({"folder": folder, "agency": style.name, "country": style.country, "files": ", ".join(files),
                         "entity_records": int((rec.agency == style.name).sum()),
                         "events": int(self.info["events"].get(folder, 0)),
                         "malformed": int((mal.agency == style.name).sum()),
                         "grading": str(settings["grading"]), "handling": settings["handling"]})
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        head = (f"<p><b>Generated case</b> seed {self.seed}, scale {self.scale}: "
                f"{self.info['counts']['persons']} people, {len(self.truth['communities'])} communities, "
                f"{sum(self.info['events'].values())} events, {len(self.truth['malformed'])} malformed records</p>")
        return head + self.agencies.to_html(index=False, escape=True)

    def __repr__(self) -> str:
        return (f"Case(seed={self.seed}, scale={self.scale}, files={len(self.files)}, "
                f"records={len(self.truth['records'])}, communities={len(self.truth['communities'])})")


def _csv_bytes(frame: pd.DataFrame, sep: str = ",") -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, sep=sep, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def _yaml_bytes(data: dict[str, Any]) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------
class _Builder:
    """Writes the partners' views of a world and collects the truth as it goes."""

    def __init__(self, world: W.World, seed: int, malformed: bool):
        self.w = world
        self.seed = seed
        self.rng = np.random.default_rng([seed, 1])
        self.malformed_on = malformed
        self.files: dict[str, bytes] = {}
        self.tables: dict[str, pd.DataFrame] = {}
        self.records: list[tuple[str, str, str, str, str]] = []
        self.malformed: list[tuple[str, str, str, str]] = []
        self.entities: dict[str, tuple[str, str, str, str, str]] = {}
        self.events_count: dict[str, int] = {}
        self.event_touch: list[tuple[str, str, str]] = []  # agency, true id a, true id b (evidence)
        self.ident = world.ident
        self._person_tid: dict[int, str] = {}
        self._ident_cols: dict[str, np.ndarray] | None = None
        self._phone_tid: dict[str, str] = {}
        # person-bearing partners: who reports whom
        self.visible: dict[str, set[int]] = {"nl_politie": set(), "bg_gdnp": set(), "de_bka": set()}
        rng = self.rng
        for p in world.persons:
            group = world.communities[p.community] if p.community else None
            vis = _VISIBILITY[group.typology if group is not None and not p.community.startswith("SC") else ""]
            for key, prob in zip(("nl_politie", "bg_gdnp", "de_bka"), vis):
                if rng.random() < prob:
                    self.visible[key].add(p.idx)
            if p.role == "receiver":
                self.visible["nl_politie"].add(p.idx)
            # every group member is known by name to at least one partner (the telecom's subscriber data)
            if p.community and not any(p.idx in v for v in self.visible.values()):
                self.visible["de_bka"].add(p.idx)
        for m, old, new, when in world.switches:
            self.visible["de_bka"].add(m)

    # -- truth helpers ----------------------------------------------------------------------------
    def agency(self, folder: str) -> str:
        return CASE_AGENCIES[folder][0].name

    def record(self, folder: str, file: str, kind: str, srid: str, true_id: str) -> None:
        self.records.append((self.agency(folder), f"{folder}/{file}", kind, str(srid), true_id))

    def entity(self, true_id: str, kind: str, name: str, country: str, community: str = "", role: str = "") -> str:
        if true_id not in self.entities:
            self.entities[true_id] = (true_id, kind, name, country, community, role)
        return true_id

    def person_tid(self, idx: int) -> str:
        tid = self._person_tid.get(idx)
        if tid is None:
            tid = self._person_tid[idx] = self._make_person_tid(idx)
        return tid

    def _make_person_tid(self, idx: int) -> str:
        p = self.w.persons[idx]
        row = self.w.rows[idx]
        given = N.cyrillic_to_latin(row.given, "english")
        sur = N.cyrillic_to_latin(row.surname, "english") + (f" {row.surname2}" if row.surname2 else "")
        return self.entity(row.true_id, "person", f"{given} {sur}", p.residence, p.community, p.role)

    def phone_tid(self, e164: str) -> str:
        tid = self._phone_tid.get(e164)
        if tid is None:
            tid = self._phone_tid[e164] = self._make_phone_tid(e164)
        return tid

    def _make_phone_tid(self, e164: str) -> str:
        owner = self.phone_owner.get(e164)
        comm = self.w.persons[owner].community if owner is not None else ""
        return self.entity(f"PH{e164}", "phone", e164, N._plan_of(e164).country, comm)

    def account_tid(self, iban: str) -> str:
        owner = self.account_owner.get(iban)
        comm = owner[2] if owner else ""
        return self.entity(f"BA{iban}", "bank_account", iban, iban[:2], comm)

    def address_tid(self, key: str, country: str, community: str = "") -> str:
        tid = "AD" + hashlib.sha1(key.encode()).hexdigest()[:10]
        return self.entity(tid, "address", N.cyrillic_to_latin(key, "english"), country, community)

    def org_tid(self, o: int) -> str:
        org = self.w.orgs[o]
        return self.entity(org.true_id, "organisation", org.name, org.country, org.community, org.role)

    def add_file(self, rel: str, data: bytes) -> None:
        self.files[rel] = data

    def corrupt(self, n_rows: int, share: float = 0.01, minimum: int = 1) -> list[int]:
        if not self.malformed_on or n_rows == 0:
            return []
        k = min(n_rows, max(minimum, int(round(share * n_rows))))
        return sorted(int(i) for i in self.rng.choice(n_rows, size=k, replace=False))

    # -- indexes ------------------------------------------------------------------------------------
    def index(self) -> None:
        w = self.w
        self.phone_owner: dict[str, int] = {}
        for p in w.persons:
            for ph in p.phones:
                self.phone_owner[ph] = p.idx
        self.account_owner: dict[str, tuple[str, int, str]] = {}
        for p in w.persons:
            for a in p.accounts:
                self.account_owner[a] = ("P", p.idx, p.community)
        for i, o in enumerate(w.orgs):
            for a in o.accounts:
                self.account_owner[a] = ("O", i, o.community)

    def rendered(self, folder: str, rows: list[int]) -> pd.DataFrame:
        style = CASE_AGENCIES[folder][0]
        if self._ident_cols is None:
            self._ident_cols = {c: self.ident[c].to_numpy() for c in self.ident.columns}
        return render_records(self._ident_cols, np.array(rows, dtype=int), [style], np.zeros(len(rows), dtype=int),
                              self.rng, record_ids=[str(r) for r in rows], iso_dates=False)


def _fmt_dt(ts: Any, fmt: str) -> str:
    return pd.Timestamp(ts).strftime(fmt)


def _reported(rng: np.random.Generator) -> datetime:
    return W.START + timedelta(days=int(rng.integers(0, W.DAYS)))


# ---------------------------------------------------------------------------------------------
# (a) Politie Nederland: CSV exports with Dutch columns
# ---------------------------------------------------------------------------------------------
def _nl_police(b: _Builder) -> None:
    folder = "nl_politie"
    w, rng = b.w, b.rng
    style, settings = CASE_AGENCIES[folder]
    people = sorted(b.visible[folder])
    # now and then the same person twice under two ids (two registrations, spelled differently)
    twice = [p for p in people if rng.random() < 0.04]
    rows_idx = people + twice
    rendered = b.rendered(folder, rows_idx)
    pid = {}
    rows = []
    for j, (idx, r) in enumerate(zip(rows_idx, rendered.itertuples())):
        person_id = f"P{2026_000_000 + 7 * j + 13:010d}"[-10:]
        person_id = f"NL-{person_id}"
        pid.setdefault(idx, person_id)
        p = w.persons[idx]
        code = ""
        vrijgave = ""
        grade = ""
        u = rng.random()
        if p.community and u < 0.08:
            code = "TLP:AMBER+STRICT"
        elif p.community and u < 0.1:
            code = "TLP:RED"
        elif u < 0.25:
            vrijgave = "NL,BE,DE"
        if rng.random() < 0.2:
            grade = str(W._pick(rng, ("A2", "B3", "C3", "B1")))
        address = r.address or ""
        rows.append({"persoon_id": person_id, "achternaam": r.last_name, "voornaam": r.first_name,
                     "geboortedatum": r.birth_date, "geslacht": {"m": "M", "f": "V"}[r.gender.lower()],
                     "nationaliteit": r.nationality, "telefoon": r.phone, "adres": address,
                     "woonplaats": r.city, "documentnummer": r.id_number,
                     "registratiedatum": _reported(rng).strftime("%d-%m-%Y"), "betrouwbaarheid": grade,
                     "code": code, "vrijgave": vrijgave, "_idx": idx, "_phone": r.phone_e164})
    # vehicles seen with a known person (ANPR hits and stops)
    vrows = []
    for v in w.vehicles:
        if v.user in pid:
            plate = W.plate_latin(v.plate)
            if rng.random() < 0.3:
                plate = plate.replace(" ", "").replace("-", "")
            vrows.append({"kenteken": plate, "merk": v.make, "model": v.model, "kleur": v.colour, "land": v.country,
                          "gebruiker": pid[v.user], "waargenomen": _reported(rng).strftime("%d-%m-%Y"),
                          "_tid": v.true_id, "_v": v})
    # associations the police know of, and family
    lrows = []
    pairs = [(a, c, kind) for a, c, kind in w.assoc] + [(a, c, "familie") for a, c in w.family]
    for a, c, kind in pairs:
        if a in pid and c in pid:
            since = _reported(rng) - timedelta(days=int(rng.integers(30, 900)))
            lrows.append({"relatie_id": f"R{len(lrows) + 1:05d}", "persoon_a": pid[a], "persoon_b": pid[c],
                          "relatie": kind, "sinds": since.strftime("%d-%m-%Y"),
                          "tot": "", "sterkte": str(int(rng.integers(1, 6)))})
    for t in w.ties:  # acquaintances the police noted
        if t[0] in pid and t[1] in pid and rng.random() < 0.08:
            lrows.append({"relatie_id": f"R{len(lrows) + 1:05d}", "persoon_a": pid[t[0]], "persoon_b": pid[t[1]],
                          "relatie": "kennis", "sinds": "", "tot": "", "sterkte": "1"})
    referenced = {r["gebruiker"] for r in vrows} | {r["persoon_a"] for r in lrows} | {r["persoon_b"] for r in lrows}
    # malformed rows: a bad date, a duplicate id, a broken row (an unquoted ; in the address)
    problems: dict[int, str] = {}
    dup_rows = []
    if b.malformed_on:
        first_of: dict[str, int] = {}
        for i, r in enumerate(rows):
            first_of.setdefault(r["persoon_id"], i)
        free = [i for i, r in enumerate(rows) if r["persoon_id"] not in referenced and first_of[r["persoon_id"]] == i]
        picks = [free[int(k)] for k in rng.choice(len(free), size=min(len(free), 2), replace=False)]
        if picks:
            rows[picks[0]]["geboortedatum"] = f"31-02-{int(b.w.rows[rows[picks[0]]['_idx']].birth_year)}"
            problems[picks[0]] = "bad date: geboortedatum 31 February"
        if len(picks) > 1:
            problems[picks[1]] = "broken row: an unquoted ; splits the address into an extra field"
        ok_rows = [i for i in range(len(rows)) if i not in problems]  # the original must itself be accepted
        dup = dict(rows[ok_rows[int(rng.integers(0, len(ok_rows)))]])
        dup["achternaam"] = dup["achternaam"].upper()
        dup_rows.append(dup)
    lines = []
    cols = ["persoon_id", "achternaam", "voornaam", "geboortedatum", "geslacht", "nationaliteit", "telefoon", "adres",
            "woonplaats", "documentnummer", "registratiedatum", "betrouwbaarheid", "code", "vrijgave"]
    lines.append(";".join(cols))
    file = "personen.csv"
    good_rows = []
    all_rows = rows + dup_rows  # the duplicate comes after its original
    for k, r in enumerate(all_rows):
        line_no = len(lines) + 1
        text = ";".join(_csv_field(r[c], ";") for c in cols)
        if k in problems and problems[k].startswith("broken row"):
            # the address's comma became the delimiter: one field too many, and the last one not empty
            broken = dict(r, adres=(r["adres"] or "Kerkstraat 1, Utrecht").replace(", ", ";", 1),
                          vrijgave=r["vrijgave"] or "NL,BE")
            text = ";".join(_csv_field(broken[c], ";") if c != "adres" else broken[c] for c in cols)
        lines.append(text)
        if k in problems and problems[k].startswith("bad date"):
            good_rows.append(r)  # a bad date of birth is flagged on the record, which is kept (issue 10)
        elif k in problems:
            b.malformed.append((b.agency(folder), f"{folder}/{file}", f"line {line_no}", problems[k]))
        elif k >= len(rows):
            b.malformed.append((b.agency(folder), f"{folder}/{file}", f"line {line_no}",
                                f"duplicate id {r['persoon_id']}"))
        else:
            good_rows.append(r)
    b.add_file(f"{folder}/{file}", ("\n".join(lines) + "\n").encode("utf-8"))
    for r in good_rows:
        idx = r["_idx"]
        b.record(folder, file, "person", r["persoon_id"], b.person_tid(idx))
        if r["telefoon"]:
            b.record(folder, file, "phone", r["telefoon"], b.phone_tid(r["_phone"]))
        if r["adres"]:
            b.record(folder, file, "address", r["adres"], b.address_tid(w.persons[idx].address_key,
                                                                       w.persons[idx].residence,
                                                                       w.persons[idx].community))
        if r["documentnummer"]:
            b.record(folder, file, "identity_document", r["documentnummer"],
                     b.entity(f"ID{b.w.rows[idx].id_number}", "identity_document", b.w.rows[idx].id_number,
                              b.w.rows[idx].nationality, w.persons[idx].community))
    b.tables[f"{folder}/{file}"] = pd.DataFrame([{c: r[c] for c in cols} for r in all_rows])
    mapping = {
        "format": "table", "delimiter": ";", "date_format": "%d-%m-%Y",
        "record": {"reported": "registratiedatum", "grading": "betrouwbaarheid", "handling": "code",
                   "releasable_to": "vrijgave"},
        "entities": {
            "person": {"kind": "person", "id": "persoon_id",
                       "properties": {"last_name": "achternaam", "first_name": "voornaam",
                                      "birth_date": "geboortedatum", "gender": "geslacht",
                                      "nationality": "nationaliteit", "id_number": "documentnummer"}},
            "phone": {"kind": "phone", "properties": {"number": "telefoon"}},
            "address": {"kind": "address", "properties": {"full": "adres", "city": "woonplaats"}},
            "document": {"kind": "identity_document", "properties": {"number": "documentnummer"}},
        },
        "links": [{"kind": "uses", "source": "person", "target": "phone"},
                  {"kind": "resides_at", "source": "person", "target": "address"},
                  {"kind": "holds_document", "source": "person", "target": "document"}],
    }
    b.add_file(f"{folder}/personen.mapping.yaml", _yaml_bytes(mapping))

    # voertuigen.csv
    vcols = ["kenteken", "merk", "model", "kleur", "land", "gebruiker", "waargenomen"]
    vt = pd.DataFrame([{c: r[c] for c in vcols} for r in vrows], columns=vcols)
    b.add_file(f"{folder}/voertuigen.csv", _csv_bytes(vt, ";"))
    b.tables[f"{folder}/voertuigen.csv"] = vt
    for r in vrows:
        v = r["_v"]
        b.record(folder, "voertuigen.csv", "vehicle", r["kenteken"],
                 b.entity(v.true_id, "vehicle", v.plate, v.country, v.community))
        b.record(folder, "voertuigen.csv", "person", r["gebruiker"], b.person_tid(v.user))
    b.add_file(f"{folder}/voertuigen.mapping.yaml", _yaml_bytes({
        "format": "table", "delimiter": ";", "date_format": "%d-%m-%Y",
        "entities": {"vehicle": {"kind": "vehicle", "properties": {"plate": "kenteken", "make": "merk", "model": "model",
                                                                   "colour": "kleur", "country": "land"}},
                     "user": {"kind": "person", "id": "gebruiker"}},
        "links": [{"kind": "uses", "source": "user", "target": "vehicle", "first_seen": "waargenomen"}],
    }))

    # relaties.csv, with an unknown relation kind and a missing person
    lcols = ["relatie_id", "persoon_a", "persoon_b", "relatie", "sinds", "tot", "sterkte"]
    lt = pd.DataFrame(lrows, columns=lcols)
    lbad = b.corrupt(len(lt), 0.0, 2) if len(lt) >= 4 else []
    for k, i in enumerate(lbad):
        line = f"line {i + 2}"
        if k % 2 == 0:
            lt.loc[i, "relatie"] = "zwager?"
            b.malformed.append((b.agency(folder), f"{folder}/relaties.csv", line, "unknown link kind 'zwager?'"))
        else:
            lt.loc[i, "persoon_b"] = ""
            b.malformed.append((b.agency(folder), f"{folder}/relaties.csv", line, "empty required field persoon_b"))
    b.add_file(f"{folder}/relaties.csv", _csv_bytes(lt, ";"))
    b.tables[f"{folder}/relaties.csv"] = lt
    inv = {v: k for k, v in pid.items()}
    for i, r in lt.iterrows():
        if i in lbad:
            continue
        for col in ("persoon_a", "persoon_b"):
            b.record(folder, "relaties.csv", "person", r[col], b.person_tid(inv[r[col]]))
    b.add_file(f"{folder}/relaties.mapping.yaml", _yaml_bytes({
        "format": "table", "delimiter": ";", "date_format": "%d-%m-%Y",
        "entities": {"a": {"kind": "person", "id": "persoon_a"}, "b": {"kind": "person", "id": "persoon_b"}},
        "links": [{"kind_column": "relatie", "kinds": {"familie": "family_of", "medeplichtige": "associate_of",
                                                       "kennis": "associate_of", "zakelijk": "related_to"},
                   "source": "a", "target": "b", "id": "relatie_id", "first_seen": "sinds", "last_seen": "tot",
                   "weight": "sterkte"}],
    }))
    b.add_file(f"{folder}/source.yaml", _source_yaml(folder))
    b.pid_nl = pid


def _csv_field(value: Any, sep: str) -> str:
    text = "" if value is None else str(value)
    if any(ch in text for ch in (sep, '"', "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text


def _source_yaml(folder: str) -> bytes:
    style, settings = CASE_AGENCIES[folder]
    data = {"agency": style.name, "country": style.country, **settings}
    return _yaml_bytes(data)


# ---------------------------------------------------------------------------------------------
# (b) ГДНП Bulgaria: XLSX workbooks, Cyrillic
# ---------------------------------------------------------------------------------------------
def _xlsx_bytes(sheet: str, header: list[str], rows: list[list[str]]) -> bytes:
    """An XLSX workbook written with fixed properties, so the bytes are the same on every run."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append([None if v == "" else v for v in row])
    fixed = datetime(2026, 4, 28, 10, 0, 0)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "ГДНП"
    wb.properties.lastModifiedBy = "ГДНП"
    buf = io.BytesIO()
    wb.save(buf)
    return stable_xlsx(buf.getvalue(), fixed)


def _bg_police(b: _Builder) -> None:
    folder = "bg_gdnp"
    w, rng = b.w, b.rng
    people = sorted(b.visible[folder])
    twice = [p for p in people if rng.random() < 0.04]
    rows_idx = people + twice
    rendered = b.rendered(folder, rows_idx)
    vehicle_of = {v.user: v for v in w.vehicles}
    pid: dict[int, str] = {}
    header = ["Рег. №", "Фамилия", "Име", "Дата на раждане", "Гражданство", "Телефон", "Адрес", "МПС", "Марка",
              "Дата на регистрация", "Оценка", "Код"]
    rows = []
    meta = []
    for j, (idx, r) in enumerate(zip(rows_idx, rendered.itertuples())):
        reg = f"ГДНП-{26_000 + 11 * j + 5:06d}"
        pid.setdefault(idx, reg)
        v = vehicle_of.get(idx)
        grade, code = "", ""
        u = rng.random()
        if u < 0.1:
            grade = str(W._pick(rng, ("A1", "C3", "X4", "B3")))
        if w.persons[idx].community and rng.random() < 0.1:
            code = str(W._pick(rng, ("H3", "H2")))
        rows.append([reg, r.last_name, r.first_name, r.birth_date, r.nationality, r.phone, r.address,
                     v.plate if v else "", v.make if v else "", _reported(rng).strftime("%d.%m.%Y"), grade, code])
        meta.append((idx, r.phone_e164, v))
    # links between people (Връзки)
    lrows = []
    kinds = {"medeplichtige": "съучастник", "familie": "роднина", "zakelijk": "познат"}
    pairs = [(a, c, kind) for a, c, kind in w.assoc] + [(a, c, "familie") for a, c in w.family]
    for a, c, kind in pairs:
        if a in pid and c in pid:
            lrows.append([f"В-{len(lrows) + 1:04d}", pid[a], pid[c], kinds[kind],
                          (_reported(rng) - timedelta(days=int(rng.integers(10, 400)))).strftime("%d.%m.%Y")])
    for t in w.ties:
        if t[0] in pid and t[1] in pid and rng.random() < 0.15:
            lrows.append([f"В-{len(lrows) + 1:04d}", pid[t[0]], pid[t[1]], "познат", ""])
    referenced = {r[1] for r in lrows} | {r[2] for r in lrows}
    bad: dict[int, str] = {}
    if b.malformed_on:
        times = pd.Series(rows_idx).value_counts().to_dict()
        free = [i for i, r in enumerate(rows) if r[0] not in referenced and times[rows_idx[i]] == 1]
        picks = [free[int(k)] for k in rng.choice(len(free), size=min(2, len(free)), replace=False)]
        if picks:
            rows[picks[0]][3] = "1985-13-45"
            bad[picks[0]] = "bad date: Дата на раждане 1985-13-45"
        if len(picks) > 1:
            rows[picks[1]][0] = ""
            bad[picks[1]] = "empty required field Рег. №"
    file = "lica.xlsx"
    b.add_file(f"{folder}/{file}", _xlsx_bytes("Лица", header, rows))
    b.tables[f"{folder}/{file}"] = pd.DataFrame(rows, columns=header)
    for i, (row, (idx, e164, v)) in enumerate(zip(rows, meta)):
        if i in bad and not bad[i].startswith("bad date"):  # a bad date of birth is flagged, the record kept
            b.malformed.append((b.agency(folder), f"{folder}/{file}", f"sheet Лица row {i + 2}", bad[i]))
            continue
        b.record(folder, file, "person", row[0], b.person_tid(idx))
        if row[5]:
            b.record(folder, file, "phone", row[5], b.phone_tid(e164))
        if row[6]:
            p = w.persons[idx]
            b.record(folder, file, "address", row[6], b.address_tid(p.address_key, p.residence, p.community))
        if row[7]:
            b.record(folder, file, "vehicle", row[7], b.entity(v.true_id, "vehicle", v.plate, v.country, v.community))
    b.add_file(f"{folder}/lica.mapping.yaml", _yaml_bytes({
        "format": "table", "sheet": "Лица", "date_format": "%d.%m.%Y",
        "record": {"reported": "Дата на регистрация", "grading": "Оценка", "handling": "Код"},
        "entities": {
            "person": {"kind": "person", "id": "Рег. №",
                       "properties": {"last_name": "Фамилия", "first_name": "Име", "birth_date": "Дата на раждане",
                                      "nationality": "Гражданство"}},
            "phone": {"kind": "phone", "properties": {"number": "Телефон"}},
            "address": {"kind": "address", "properties": {"full": "Адрес"}},
            "vehicle": {"kind": "vehicle", "properties": {"plate": "МПС", "make": "Марка"}},
        },
        "links": [{"kind": "uses", "source": "person", "target": "phone"},
                  {"kind": "resides_at", "source": "person", "target": "address"},
                  {"kind": "uses", "source": "person", "target": "vehicle"}],
    }))
    lheader = ["№", "Лице 1", "Лице 2", "Вид", "От дата"]
    lbad = b.corrupt(len(lrows), 0.0, 1) if len(lrows) >= 3 else []
    for i in lbad:
        lrows[i][3] = "неизвестно"
        b.malformed.append((b.agency(folder), f"{folder}/vrazki.xlsx", f"sheet Връзки row {i + 2}",
                            "unknown link kind 'неизвестно'"))
    b.add_file(f"{folder}/vrazki.xlsx", _xlsx_bytes("Връзки", lheader, lrows))
    b.tables[f"{folder}/vrazki.xlsx"] = pd.DataFrame(lrows, columns=lheader)
    inv = {v: k for k, v in pid.items()}
    for i, r in enumerate(lrows):
        if i in lbad:
            continue
        for reg in (r[1], r[2]):
            b.record(folder, "vrazki.xlsx", "person", reg, b.person_tid(inv[reg]))
    b.add_file(f"{folder}/vrazki.mapping.yaml", _yaml_bytes({
        "format": "table", "sheet": "Връзки", "date_format": "%d.%m.%Y",
        "entities": {"a": {"kind": "person", "id": "Лице 1"}, "b": {"kind": "person", "id": "Лице 2"}},
        "links": [{"kind_column": "Вид", "kinds": {"съучастник": "associate_of", "роднина": "family_of",
                                                   "познат": "associate_of"},
                   "source": "a", "target": "b", "id": "№", "first_seen": "От дата"}],
    }))
    b.add_file(f"{folder}/source.yaml", _source_yaml(folder))


# ---------------------------------------------------------------------------------------------
# (c) SEPBLAC: transactions, account holders, accounts
# ---------------------------------------------------------------------------------------------
def _fiu(b: _Builder, transfers: pd.DataFrame) -> None:
    folder = "es_sepblac"
    w, rng = b.w, b.rng
    written: dict[str, str] = {}

    def write_iban(iban: str) -> str:
        if iban not in written:
            written[iban] = N.format_iban(iban, "spaced") if rng.random() < 0.15 else iban
        return written[iban]

    t = transfers.copy()
    t["from_w"] = [write_iban(a) for a in t.from_account]
    t["to_w"] = [write_iban(a) for a in t.to_account]
    out = pd.DataFrame({
        "id": [f"OP{260000 + 3 * i:08d}" for i in range(len(t))],
        "from_account": t.from_w, "to_account": t.to_w, "amount": [f"{a:.2f}" for a in t.amount],
        "currency": t.currency, "time": [_fmt_dt(x, "%d/%m/%Y %H:%M") for x in t.time],
        "concepto": [W._pick(rng, ("TRANSFERENCIA", "FACTURA", "PAGO", "PRESTAMO", "")) for _ in range(len(t))],
    })
    bad = b.corrupt(len(out), 0.01, 3)
    problems = {}
    for k, i in enumerate(bad):
        kind = k % 3
        if kind == 0:
            out.loc[i, "time"] = "31/04/2026 10:00"
            problems[i] = "bad date: time 31/04/2026"
        elif kind == 1:
            out.loc[i, "from_account"] = ""
            problems[i] = "empty required field from_account"
        elif i > 0 and (i - 1) not in bad:
            out.loc[i, "id"] = out.loc[i - 1, "id"]  # the first of the two stays, this one is the duplicate
            problems[i] = "duplicate id " + out.loc[i, "id"]
        else:
            out.loc[i, "time"] = "2026-02-30 12:00"
            problems[i] = "bad date: time 2026-02-30"
    file = "transacciones.csv"
    b.add_file(f"{folder}/{file}", _csv_bytes(out))
    b.tables[f"{folder}/{file}"] = out
    good = 0
    for i, r in enumerate(t.itertuples()):
        if i in problems:
            # a duplicate id is quarantined only when it comes after the first (which stays)
            b.malformed.append((b.agency(folder), f"{folder}/{file}", f"line {i + 2}", problems[i]))
            continue
        good += 1
        b.record(folder, file, "bank_account", r.from_w, b.account_tid(r.from_account))
        b.record(folder, file, "bank_account", r.to_w, b.account_tid(r.to_account))
        b.event_touch.append((b.agency(folder), b.account_tid(r.from_account), b.account_tid(r.to_account)))
    b.events_count[folder] = good
    # holders of the accounts seen (persons PF, companies PJ) and the accounts
    style = CASE_AGENCIES[folder][0]
    seen = sorted(set(transfers.from_account) | set(transfers.to_account))
    holders_p: dict[int, str] = {}
    holders_o: dict[int, str] = {}
    acc_rows = []
    for iban in seen:
        owner = b.account_owner.get(iban)
        if owner is None or rng.random() < 0.12:
            continue  # a foreign bank's customer the FIU does not know
        kind, i, _ = owner
        if kind == "P":
            hid = holders_p.setdefault(i, f"T{500000 + 17 * len(holders_p) + 3 * len(holders_o):07d}")
        else:
            hid = holders_o.setdefault(i, f"J{700000 + 13 * len(holders_o):07d}")
        acc_rows.append({"cuenta": N.format_iban(iban, "spaced") if rng.random() < 0.3 else written.get(iban, iban),
                         "banco": iban[4:8], "tipo_titular": "PF" if kind == "P" else "PJ", "id_titular": hid,
                         "fecha_apertura": (W.START - timedelta(days=int(rng.integers(30, 3000)))).strftime("%d/%m/%Y"),
                         "_iban": iban, "_owner": owner})
    persons = sorted(holders_p)
    rendered = b.rendered(folder, persons)
    hrows = []
    for idx, r in zip(persons, rendered.itertuples()):
        hrows.append({"id_titular": holders_p[idx], "tipo": "PF", "nombre": r.full_name,
                      "fecha_nacimiento": r.birth_date, "nacionalidad": r.nationality, "documento": r.id_number,
                      "telefono": r.phone, "fecha_alta": _reported(rng).strftime("%d/%m/%Y"),
                      "_tid": b.person_tid(idx), "_phone": r.phone_e164, "_kind": "person"})
    for o, hid in sorted(holders_o.items(), key=lambda kv: kv[1]):
        org = w.orgs[o]
        hrows.append({"id_titular": hid, "tipo": "PJ", "nombre": org.name.upper(), "fecha_nacimiento": "",
                      "nacionalidad": org.country, "documento": org.reg_no, "telefono": "",
                      "fecha_alta": _reported(rng).strftime("%d/%m/%Y"), "_tid": b.org_tid(o), "_phone": "",
                      "_kind": "organisation"})
    hcols = ["id_titular", "tipo", "nombre", "fecha_nacimiento", "nacionalidad", "documento", "telefono", "fecha_alta"]
    # malformed: an unknown holder kind (on a holder without accounts referenced? its accounts still load)
    hbad = {}
    if b.malformed_on and hrows:
        free = [i for i, r in enumerate(hrows) if r["_kind"] == "person"]
        if free:
            i = free[int(rng.integers(0, len(free)))]
            hrows[i]["tipo"] = "PX"
            hbad[i] = "unknown entity kind 'PX' in tipo"
    ht = pd.DataFrame([{c: r[c] for c in hcols} for r in hrows], columns=hcols)
    b.add_file(f"{folder}/titulares.csv", _csv_bytes(ht))
    b.tables[f"{folder}/titulares.csv"] = ht
    bad_holders = set()
    for i, r in enumerate(hrows):
        if i in hbad:
            b.malformed.append((b.agency(folder), f"{folder}/titulares.csv", f"line {i + 2}", hbad[i]))
            bad_holders.add(r["id_titular"])
            continue
        b.record(folder, "titulares.csv", r["_kind"], r["id_titular"], r["_tid"])
        if r["telefono"]:
            b.record(folder, "titulares.csv", "phone", r["telefono"], b.phone_tid(r["_phone"]))
    b.add_file(f"{folder}/titulares.mapping.yaml", _yaml_bytes({
        "format": "table", "date_format": "%d/%m/%Y", "record": {"reported": "fecha_alta"},
        "entities": {
            "holder": {"kind_column": "tipo", "kinds": {"PF": "person", "PJ": "organisation"}, "id": "id_titular",
                       "properties": {"name": "nombre", "birth_date": "fecha_nacimiento",
                                      "nationality": "nacionalidad", "id_number": "documento"}},
            "phone": {"kind": "phone", "properties": {"number": "telefono"}},
        },
        "links": [{"kind": "uses", "source": "holder", "target": "phone"}],
    }))
    acols = ["cuenta", "banco", "tipo_titular", "id_titular", "fecha_apertura"]
    at = pd.DataFrame([{c: r[c] for c in acols} for r in acc_rows], columns=acols)
    b.add_file(f"{folder}/cuentas.csv", _csv_bytes(at))
    b.tables[f"{folder}/cuentas.csv"] = at
    hid_tid = {r["id_titular"]: (r["_tid"], r["_kind"]) for r in hrows}
    for r in acc_rows:
        b.record(folder, "cuentas.csv", "bank_account", r["cuenta"], b.account_tid(r["_iban"]))
        tid, kind = hid_tid[r["id_titular"]]
        b.record(folder, "cuentas.csv", kind, r["id_titular"], tid)
    b.add_file(f"{folder}/cuentas.mapping.yaml", _yaml_bytes({
        "format": "table", "date_format": "%d/%m/%Y",
        "entities": {
            "account": {"kind": "bank_account", "properties": {"iban": "cuenta", "bank": "banco"}},
            "holder": {"kind_column": "tipo_titular", "kinds": {"PF": "person", "PJ": "organisation"},
                       "id": "id_titular"},
        },
        "links": [{"kind": "owns", "source": "holder", "target": "account", "first_seen": "fecha_apertura"}],
    }))
    b.add_file(f"{folder}/source.yaml", _source_yaml(folder))


# ---------------------------------------------------------------------------------------------
# (d) Bundeskriminalamt: a telecom warrant's call records and subscriber data
# ---------------------------------------------------------------------------------------------
def _telecom(b: _Builder, calls: pd.DataFrame) -> None:
    folder = "de_bka"
    w, rng = b.w, b.rng

    def msisdn(e164: str) -> str:
        return "00" + e164[1:]

    callers, callees = calls.caller.tolist(), calls.callee.tolist()
    secs = calls.duration.to_numpy()
    starts = pd.DatetimeIndex(calls.start).strftime("%d.%m.%Y %H:%M:%S").tolist()
    cols_data = {
        "A-Rufnummer": [msisdn(x) for x in callers], "B-Rufnummer": [msisdn(x) for x in callees],
        "Beginn": starts,
        "Dauer": [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in secs.tolist()],
        "Funkzelle": calls.cell.tolist(),
        "Richtung": ["abgehend"] * len(calls),
    }
    bad = b.corrupt(len(calls), 0.012, 3)
    problems = {}
    for k, i in enumerate(bad):
        kind = k % 3
        if kind == 0:
            cols_data["Beginn"][i] = "32.13.2026 25:61:00"
            problems[i] = "bad date: Beginn 32.13.2026"
        elif kind == 1:
            cols_data["B-Rufnummer"][i] = ""
            problems[i] = "empty required field B-Rufnummer"
        else:
            problems[i] = "broken row: the export cut the row after the second field"
    out = pd.DataFrame(cols_data)
    lines = _csv_bytes(out, ";").decode("utf-8").split("\n")
    for i, problem in problems.items():
        if problem.startswith("broken"):
            lines[i + 1] = ";".join(lines[i + 1].split(";")[:2])
    file = "tkue_verkehrsdaten.csv"
    b.add_file(f"{folder}/{file}", "\n".join(lines).encode("utf-8"))
    b.tables[f"{folder}/{file}"] = out
    good = 0
    agency = b.agency(folder)
    seen_pairs: set[tuple[str, str]] = set()
    for i, (a, c) in enumerate(zip(callers, callees)):
        if i in problems:
            b.malformed.append((agency, f"{folder}/{file}", f"line {i + 2}", problems[i]))
            continue
        good += 1
        if (a, c) not in seen_pairs:
            seen_pairs.add((a, c))
            b.record(folder, file, "phone", msisdn(a), b.phone_tid(a))
            b.record(folder, file, "phone", msisdn(c), b.phone_tid(c))
        b.event_touch.append((agency, b.phone_tid(a), b.phone_tid(c)))
    b.events_count[folder] = good
    b.add_file(f"{folder}/tkue_verkehrsdaten.mapping.yaml", _yaml_bytes({
        "format": "events", "event": "call", "delimiter": ";", "date_format": "%d.%m.%Y %H:%M:%S",
        "columns": {"caller": "A-Rufnummer", "callee": "B-Rufnummer", "start": "Beginn", "duration": "Dauer",
                    "cell": "Funkzelle"},
    }))
    # subscribers: one contract per person (their first phone); a switcher's new phone is on a straw man
    people = sorted(b.visible[folder])
    rendered = b.rendered(folder, people)
    srows = []
    used = set()
    for idx, r in zip(people, rendered.itertuples()):
        p = w.persons[idx]
        srows.append({"Rufnummer": msisdn(p.phones[0]), "Kundennummer": f"K-{7_700_000 + 31 * idx}",
                      "Name": r.last_name, "Vorname": r.first_name, "Geburtsdatum": r.birth_date,
                      "Anschrift": r.address, "Vertragsbeginn": (W.START - timedelta(days=int(rng.integers(20, 2000)))
                                                                 ).strftime("%d.%m.%Y"),
                      "_idx": idx, "_phone": p.phones[0]})
        used.add(idx)
    straw = [p.idx for p in w.persons if not p.community and p.idx not in used]
    for m, old, new, when in w.switches:
        if straw and rng.random() < 0.7:
            s = straw.pop(int(rng.integers(0, len(straw))))
            r = b.rendered(folder, [s]).iloc[0]
            srows.append({"Rufnummer": msisdn(new), "Kundennummer": f"K-{7_700_000 + 31 * s}", "Name": r.last_name,
                          "Vorname": r.first_name, "Geburtsdatum": r.birth_date, "Anschrift": r.address,
                          "Vertragsbeginn": (when - timedelta(days=2)).strftime("%d.%m.%Y"), "_idx": s, "_phone": new})
    scols = ["Rufnummer", "Kundennummer", "Name", "Vorname", "Geburtsdatum", "Anschrift", "Vertragsbeginn"]
    st = pd.DataFrame([{c: r[c] for c in scols} for r in srows], columns=scols)
    b.add_file(f"{folder}/bestandsdaten.csv", _csv_bytes(st, ";"))
    b.tables[f"{folder}/bestandsdaten.csv"] = st
    for r in srows:
        p = w.persons[r["_idx"]]
        b.record(folder, "bestandsdaten.csv", "phone", r["Rufnummer"], b.phone_tid(r["_phone"]))
        b.record(folder, "bestandsdaten.csv", "person", r["Kundennummer"], b.person_tid(r["_idx"]))
        if r["Anschrift"]:
            b.record(folder, "bestandsdaten.csv", "address", r["Anschrift"],
                     b.address_tid(p.address_key, p.residence, p.community))
    b.add_file(f"{folder}/bestandsdaten.mapping.yaml", _yaml_bytes({
        "format": "table", "delimiter": ";", "date_format": "%d.%m.%Y",
        "entities": {
            "phone": {"kind": "phone", "properties": {"number": "Rufnummer"}},
            "subscriber": {"kind": "person", "id": "Kundennummer",
                           "properties": {"last_name": "Name", "first_name": "Vorname", "birth_date": "Geburtsdatum"}},
            "address": {"kind": "address", "properties": {"full": "Anschrift"}},
        },
        "links": [{"kind": "registered_to", "source": "phone", "target": "subscriber", "first_seen": "Vertragsbeginn"},
                  {"kind": "resides_at", "source": "subscriber", "target": "address"}],
    }))
    b.add_file(f"{folder}/source.yaml", _source_yaml(folder))


# ---------------------------------------------------------------------------------------------
# (e) CERT-RO: a STIX 2.1 bundle
# ---------------------------------------------------------------------------------------------
def _stix(b: _Builder) -> None:
    import stix2

    folder = "ro_cert"
    w, rng = b.w, b.rng
    ns = uuid.UUID("6f1c5d1e-8a52-4c55-9d1e-6e5b2b7a0c11")

    def sid(kind: str, key: str) -> str:
        return f"{kind}--{uuid.uuid5(ns, f'{b.seed}:{key}')}"

    common = {"created": _CREATED, "modified": _CREATED}
    cert = stix2.Identity(id=sid("identity", "cert"), name="CERT-RO", identity_class="organization",
                          sectors=["government"], **common)
    objects: list[Any] = [cert]
    recs: list[tuple[str, str, str]] = [("organisation", cert.id, b.entity("ORG-CERT-RO", "organisation", "CERT-RO",
                                                                          "RO"))]
    by = {"created_by_ref": cert.id}
    green, amber, red = stix2.TLP_GREEN.id, stix2.TLP_AMBER.id, stix2.TLP_RED.id
    standalone: list[str] = []
    for cy in w.cyber:
        cid = cy.community
        g_tid = b.entity(f"G-{cid}", "threat_actor", cy.group_name, "RU", cid, "group")
        actor = stix2.ThreatActor(id=sid("threat-actor", f"{cid}:group"), name=cy.group_name,
                                  threat_actor_types=["crime-syndicate"], aliases=[cy.group_name.replace(" ", "")],
                                  confidence=80, object_marking_refs=[amber], **by, **common)
        iset = stix2.IntrusionSet(id=sid("intrusion-set", f"{cid}:set"), name=f"{cy.group_name} operations",
                                  confidence=75, object_marking_refs=[amber], **by, **common)
        mal = stix2.Malware(id=sid("malware", f"{cid}:malware"), name=cy.malware_name, is_family=True,
                            malware_types=["ransomware"], confidence=90, object_marking_refs=[green], **by, **common)
        m_tid = b.entity(f"M-{cid}", "malware", cy.malware_name, "", cid)
        objects += [actor, iset, mal]
        recs += [("threat_actor", actor.id, g_tid), ("threat_actor", iset.id, g_tid), ("malware", mal.id, m_tid)]
        rel = [("attributed-to", iset.id, actor.id), ("uses", iset.id, mal.id)]
        # the individuals the CERT knows of, by handle (two by name, from a police partner)
        for k, (role, people) in enumerate(sorted(cy.members.items())):
            if role not in ("admin", "developer", "negotiator", "affiliate"):
                continue
            for m in people:
                tid = b.person_tid(m)
                row = b.w.rows[m]
                handle = f"{W._ADJ[(m * 7) % len(W._ADJ)].lower()}_{W._ANIMAL[(m * 3) % len(W._ANIMAL)].lower()}{m % 97}"
                aliases = [handle]
                name = handle
                if role in ("admin", "developer"):
                    name = f"{N.cyrillic_to_latin(row.given, 'english')} {N.cyrillic_to_latin(row.surname, 'english')}"
                marking = red if role == "admin" else amber
                ta = stix2.ThreatActor(id=sid("threat-actor", f"{cid}:{m}"), name=name, aliases=aliases,
                                       threat_actor_types=["criminal"], roles=[{"admin": "director",
                                                                                 "developer": "malware-author",
                                                                                 "negotiator": "agent",
                                                                                 "affiliate": "infrastructure-operator"}[role]],
                                       confidence=60 if name == handle else 85, object_marking_refs=[marking],
                                       **by, **common)
                objects.append(ta)
                recs.append(("threat_actor", ta.id, tid))
                rel.append(("related-to", ta.id, actor.id))
                if role == "developer":
                    rel.append(("authored-by", mal.id, ta.id))
        # infrastructure, with indicators for its domains and addresses
        for k, (name, ip_i, dom_i) in enumerate(cy.servers):
            infra = stix2.Infrastructure(id=sid("infrastructure", f"{cid}:infra{k}"), name=name,
                                         infrastructure_types=["command-and-control" if "C2" in name else "exfiltration"],
                                         confidence=80, object_marking_refs=[amber], **by, **common)
            objects.append(infra)
            recs.append(("infrastructure", infra.id, b.entity(f"I-{cid}-{k}", "infrastructure", name,
                                                              cy.ips[ip_i][1], cid)))
            rel += [("uses", mal.id, infra.id), ("uses", iset.id, infra.id)]
        indicators = []
        for k, (dom, cc) in enumerate(cy.domains):
            indicators.append((f"[domain-name:value = '{dom}']", "domain", dom,
                               b.entity(f"DN:{dom}", "domain", dom, cc, cid), f"dom{k}"))
        for k, (ip, cc) in enumerate(cy.ips):
            indicators.append((f"[ipv4-addr:value = '{ip}']", "ip_address", ip,
                               b.entity(f"IP:{ip}", "ip_address", ip, cc, cid), f"ip{k}"))
        for k, h in enumerate(cy.hashes):
            indicators.append((f"[file:hashes.'SHA-256' = '{h}']", "file", h,
                               b.entity(f"F:{h}", "file", h, "", cid), f"hash{k}"))
        for k, (addr, cur) in enumerate(cy.wallets):
            owner = w.wallet_owner.get(addr)
            comm = w.persons[owner].community if owner is not None else cid
            indicators.append((f"[cryptocurrency-wallet:address = '{addr}']", "crypto_wallet", addr,
                               b.entity(f"W:{addr}", "crypto_wallet", addr, "", comm), f"wallet{k}"))
        victims = [stix2.Identity(id=sid("identity", f"victim{v}"), name=w.orgs[v].name, identity_class="organization",
                                  confidence=70, object_marking_refs=[amber], **by, **common) for v in cy.victims]
        for v, obj in zip(cy.victims, victims):
            objects.append(obj)
            recs.append(("organisation", obj.id, b.org_tid(v)))
            rel.append(("targets", iset.id, obj.id))
        for k, (pattern, kind, value, tid, key) in enumerate(indicators):
            first = W.START + timedelta(days=int(rng.integers(0, 60)))
            ind = stix2.Indicator(id=sid("indicator", f"{cid}:{key}"), name=f"{cy.malware_name} {kind} {k + 1}",
                                  pattern=pattern, pattern_type="stix", valid_from=first.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                  indicator_types=["malicious-activity"], confidence=int(rng.integers(50, 96)),
                                  object_marking_refs=[green], **by, **common)
            objects.append(ind)
            recs.append(("indicator", ind.id, b.entity(f"IND:{ind.id}", "indicator", ind.name, "", cid)))
            recs.append((kind, value, tid))
            if k == len(indicators) - 1:
                standalone.append(ind.id)  # no relationship: the one the malformed object may be
                continue
            rel.append(("indicates", ind.id, mal.id if kind in ("file", "domain") else iset.id))
            if k % 3 == 0 and victims:
                victim = victims[k % len(victims)]
                seen = first + timedelta(days=int(rng.integers(1, 30)))
                objects.append(stix2.Sighting(
                    id=sid("sighting", f"{cid}:{key}"), sighting_of_ref=ind.id, where_sighted_refs=[victim.id],
                    first_seen=seen.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    last_seen=(seen + timedelta(hours=int(rng.integers(1, 72)))).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    count=int(rng.integers(1, 40)), confidence=70, object_marking_refs=[green], **by, **common))
        for k, (rtype, src, dst) in enumerate(rel):
            objects.append(stix2.Relationship(id=sid("relationship", f"{cid}:rel{k}:{src}:{dst}"),
                                              relationship_type=rtype, source_ref=src, target_ref=dst, confidence=70,
                                              object_marking_refs=[amber], **by, **common))
    bundle = stix2.Bundle(objects=objects, id=sid("bundle", "bundle"), allow_custom=False)
    data = json.loads(bundle.serialize())
    # one object missing a required field (an indicator without its pattern)
    if b.malformed_on and standalone:
        victim_id = standalone[0]
        for obj in data["objects"]:
            if obj["id"] == victim_id:
                del obj["pattern"]
                b.malformed.append((b.agency(folder), f"{folder}/bundle.json", f"object {victim_id}",
                                    "STIX object missing required property 'pattern'"))
        dropped_obs = _observable_of(recs, victim_id)
        recs = [r for r in recs if r[1] != victim_id and (r[1], r[2]) != dropped_obs]
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    b.add_file(f"{folder}/bundle.json", text.encode("utf-8"))
    for kind, srid, tid in recs:
        b.record(folder, "bundle.json", kind, srid, tid)
    b.add_file(f"{folder}/source.yaml", _source_yaml(folder))


def _observable_of(recs: list[tuple[str, str, str]], indicator_id: str) -> tuple[str, str] | None:
    """The (value, true id) record that follows an indicator's own record in ``recs``."""
    for i, r in enumerate(recs):
        if r[1] == indicator_id and i + 1 < len(recs):
            nxt = recs[i + 1]
            return (nxt[1], nxt[2])
    return None


# ---------------------------------------------------------------------------------------------
# (f) OCDEFO: FollowTheMoney entities
# ---------------------------------------------------------------------------------------------
def _ftm(b: _Builder, transfers: pd.DataFrame) -> None:
    from followthemoney import model

    folder = "be_ocdefo"
    w, rng = b.w, b.rng
    file = "entities.ftm.json"
    lines: list[str] = []
    recs: list[tuple[str, str, str]] = []

    def make(schema: str, key: str):
        e = model.make_entity(schema)
        e.make_id("netintel-synth", str(b.seed), key)
        return e

    def emit(e) -> int:
        lines.append(json.dumps(e.to_dict(), sort_keys=True, ensure_ascii=False))
        return len(lines)

    people: set[int] = set()
    orgs: set[int] = set()
    for p, o, _ in w.directorships:
        people.add(p)
        orgs.add(o)
    for kind, owner, o, _ in w.ownerships:
        (people if kind == "P" else orgs).add(owner)
        orgs.add(o)
    for p in w.persons:  # the money people, and a few more the investigation came across
        if p.community and (rng.random() < 0.1 or p.role in ("hawala_banker", "money_broker")):
            people.add(p.idx)
    person_ids: dict[int, str] = {}
    rendered = b.rendered(folder, sorted(people))
    for idx, r in zip(sorted(people), rendered.itertuples()):
        e = make("Person", f"person:{idx}")
        e.add("name", r.full_name)
        e.add("firstName", r.first_name)
        e.add("lastName", r.last_name)
        # registries keep the name in its original script too (Arabic, Cyrillic)
        row = b.w.rows[idx]
        script = N.POOLS[row.nationality].script
        if script == "arabic" and N.to_arabic(row.given) and N.to_arabic(row.surname):
            e.add("alias", f"{N.to_arabic(row.given)} {N.to_arabic(row.surname)}")
        elif script == "cyrillic":
            e.add("alias", f"{row.given} {row.surname}")
        if r.birth_date:
            e.add("birthDate", r.birth_date if "-" in r.birth_date or len(r.birth_date) == 4 else None)
        if r.nationality:
            e.add("nationality", r.nationality.lower())
        if r.phone_e164:
            e.add("phone", r.phone_e164)
        if r.address:
            e.add("address", r.address)
        emit(e)
        person_ids[idx] = e.id
        tid = b.person_tid(idx)
        recs.append(("person", e.id, tid))
        for ph in e.get("phone"):
            recs.append(("phone", ph, b.phone_tid(r.phone_e164)))
        for ad in e.get("address"):
            p = w.persons[idx]
            recs.append(("address", ad, b.address_tid(p.address_key, p.residence, p.community)))
    org_ids: dict[int, str] = {}
    acc_ids: dict[str, str] = {}
    for o in sorted(orgs):
        org = w.orgs[o]
        e = make("Company", f"org:{o}")
        e.add("name", org.name)
        e.add("jurisdiction", org.country.lower())
        e.add("registrationNumber", org.reg_no)
        e.add("address", org.address)
        e.add("incorporationDate", (W.START - timedelta(days=int(rng.integers(200, 3000)))).strftime("%Y-%m-%d"))
        emit(e)
        org_ids[o] = e.id
        recs.append(("organisation", e.id, b.org_tid(o)))
        for ad in e.get("address"):
            recs.append(("address", ad, b.address_tid(org.address, org.country, org.community)))
        for iban in org.accounts:
            a = make("BankAccount", f"acc:{iban}")
            a.add("iban", iban)
            a.add("bankName", {"CY": "Bank of Cyprus", "MT": "Bank of Valletta", "AE": "Emirates NBD",
                               "LT": "Revolut Bank UAB", "BE": "Belfius", "ES": "Banco Santander",
                               "NL": "ABN AMRO"}.get(iban[:2], "Bank"))
            a.add("country", iban[:2].lower())
            emit(a)
            acc_ids[iban] = a.id
            recs.append(("bank_account", a.id, b.account_tid(iban)))
            own = make("Ownership", f"own-acc:{iban}")
            own.add("owner", e.id)
            own.add("asset", a.id)
            emit(own)
    for k, (p, o, role) in enumerate(w.directorships):
        d = make("Directorship", f"dir:{p}:{o}")
        d.add("director", person_ids[p])
        d.add("organization", org_ids[o])
        d.add("role", role)
        d.add("startDate", (W.START - timedelta(days=int(rng.integers(100, 2000)))).strftime("%Y-%m-%d"))
        emit(d)
    for kind, owner, o, pct in w.ownerships:
        own = make("Ownership", f"own:{kind}{owner}:{o}")
        own.add("owner", person_ids[owner] if kind == "P" else org_ids[owner])
        own.add("asset", org_ids[o])
        own.add("percentage", f"{pct:g}")
        emit(own)
    for v in w.vessels:
        e = make("Vessel", f"vessel:{v['true_id']}")
        e.add("name", v["name"])
        e.add("imoNumber", v["imo"])
        e.add("flag", v["flag"].lower())
        if v["operator"] in org_ids:
            e.add("operator", org_ids[v["operator"]])
        emit(e)
        recs.append(("vessel", e.id, b.entity(v["true_id"], "vessel", v["name"], v["flag"], v["community"])))
    for addr, owner in sorted(w.wallet_owner.items()):
        if owner in person_ids:
            e = make("CryptoWallet", f"wallet:{addr}")
            e.add("publicKey", addr)
            e.add("currency", "BTC" if addr.startswith("bc1") else "ETH")
            e.add("holder", person_ids[owner])
            emit(e)
            recs.append(("crypto_wallet", e.id, b.entity(f"W:{addr}", "crypto_wallet", addr, "",
                                                         w.persons[owner].community)))
    # payments between the companies' accounts
    payments = transfers[transfers.from_account.isin(acc_ids) & transfers.to_account.isin(acc_ids)]
    payment_lines = []
    for k, t in enumerate(payments.itertuples()):
        pay = make("Payment", f"pay:{k}:{t.from_account}:{t.to_account}")
        pay.add("payerAccount", acc_ids[t.from_account])
        pay.add("beneficiaryAccount", acc_ids[t.to_account])
        payer = b.account_owner[t.from_account]
        payee = b.account_owner[t.to_account]
        if payer[0] == "O" and payer[1] in org_ids:
            pay.add("payer", org_ids[payer[1]])
        if payee[0] == "O" and payee[1] in org_ids:
            pay.add("beneficiary", org_ids[payee[1]])
        pay.add("amount", f"{t.amount:.2f}")
        pay.add("currency", t.currency)
        pay.add("date", pd.Timestamp(t.time).strftime("%Y-%m-%d"))
        payment_lines.append(emit(pay))
    if b.malformed_on and payment_lines:
        k = payment_lines[int(rng.integers(0, len(payment_lines)))]
        text = lines[k - 1]
        lines[k - 1] = text[: len(text) // 2]
        b.malformed.append((b.agency(folder), f"{folder}/{file}", f"line {k}", "truncated JSON line"))
    b.add_file(f"{folder}/{file}", ("\n".join(lines) + "\n").encode("utf-8"))
    for kind, srid, tid in recs:
        b.record(folder, file, kind, srid, tid)
    b.ftm_payments = len(payment_lines)
    b.add_file(f"{folder}/source.yaml", _source_yaml(folder))


# ---------------------------------------------------------------------------------------------
def generate_case(*, seed: int, scale: float = 1.0, switches: bool = True, malformed: bool = True,
                  variation: W.Variation | None = None) -> Case:
    """Generate a fictional multi-agency case (see the module docstring).

    Parameters
    ----------
    seed : the same seed (and scale) gives byte-identical files and truth.
    scale : 1.0 is the committed sample (about 170 people, 4,000 calls); the planted groups are
        repeated ``round(scale)`` times and the background grows with ``scale`` (``scale=200``
        gives about a million records: 200k entity records, 816k calls, 29k transfers, in about
        70 s of CPU and 1.4 GB; never committed).
    switches : plant handset switches in the call records (truth in ``switches``).
    malformed : corrupt about 1% of the records, as real exports are (truth in ``malformed``).
    variation : how the world departs from the standard case (group sizes, features left out,
        which groups; see :class:`netintel.synth.training.Variation`); the standard case without.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    world = W.build_world(seed, scale, variation)
    if not switches:
        for m, old, new, when in world.switches:
            world.persons[m].phones.remove(new)
        world.switches = []
    calls = W.call_events(world)
    transfers = W.transfer_events(world)
    b = _Builder(world, seed, malformed)
    b.index()
    _nl_police(b)
    _bg_police(b)
    _fiu(b, transfers)
    _telecom(b, calls)
    _stix(b)
    _ftm(b, transfers)
    return _finish(b, seed, scale, calls, transfers)


def _natural(text: str) -> tuple:
    """Sort key that orders ``line 9`` before ``line 10``."""
    import re
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(text)))


def _finish(b: _Builder, seed: int, scale: float, calls: pd.DataFrame, transfers: pd.DataFrame) -> Case:
    w = b.w
    records = pd.DataFrame(b.records, columns=["agency", "file", "kind", "source_record_id", "true_id"])
    records = records.drop_duplicates().sort_values(["file", "kind", "source_record_id"], kind="stable")
    records = records.reset_index(drop=True)
    entities = pd.DataFrame(list(b.entities.values()),
                            columns=["true_id", "kind", "name", "country", "community", "role"])
    entities = entities.sort_values("true_id", kind="stable").reset_index(drop=True)
    comm_rows = []
    for c in w.communities.values():
        countries = {w.persons[m].residence for m in c.members} | {w.persons[m].nationality for m in c.members}
        countries |= {w.orgs[o].country for o in c.orgs} | c.extra_countries
        comm_rows.append({"community": c.cid, "typology": c.typology, "description": c.description,
                          "countries": ";".join(sorted(countries))})
    communities = pd.DataFrame(comm_rows, columns=["community", "typology", "description", "countries"])
    switches = pd.DataFrame([{"true_id": w.rows[m].true_id, "old_number": old, "new_number": new,
                              "switch_time": when.strftime("%Y-%m-%dT%H:%M:%S")} for m, old, new, when in w.switches],
                            columns=["true_id", "old_number", "new_number", "switch_time"])
    # evidence: entity records on the community's entities, plus event rows touching them
    comm_of = dict(zip(entities.true_id, entities.community))
    ev = records.assign(community=records.true_id.map(comm_of).fillna(""))
    ev = ev[ev.community != ""]
    counts: dict[tuple[str, str], int] = ev.groupby(["community", "agency"]).size().to_dict()
    for agency, ta, tb in b.event_touch:
        for c in {comm_of.get(ta, ""), comm_of.get(tb, "")} - {""}:
            counts[(c, agency)] = counts.get((c, agency), 0) + 1
    country_of = {style.name: style.country for style, _ in CASE_AGENCIES.values()}
    evidence = pd.DataFrame([{"community": c, "agency": a, "country": country_of[a], "n_records": n}
                             for (c, a), n in sorted(counts.items())],
                            columns=["community", "agency", "country", "n_records"])
    malformed = pd.DataFrame(b.malformed, columns=["agency", "file", "locator", "problem"])
    malformed = malformed.sort_values(["file", "locator"], kind="stable",
                                      key=lambda col: col.map(_natural) if col.name == "locator" else col)
    malformed = malformed.reset_index(drop=True)
    info = {
        "seed": seed, "scale": scale, "generator": "netintel.synth", "generator_version": GENERATOR_VERSION,
        "period": {"start": W.START.strftime("%Y-%m-%d"),
                   "end": (W.START + timedelta(days=W.DAYS)).strftime("%Y-%m-%d")},
        "counts": {"persons": len(w.persons), "organisations": len(w.orgs), "communities": len(w.communities),
                   "entity_records": len(records), "true_entities": len(entities), "calls": len(calls),
                   "transfers": len(transfers), "switches": len(switches), "malformed": len(malformed)},
        "events": {k: int(v) for k, v in sorted(b.events_count.items())},
        "agencies": {folder: {"agency": style.name, "country": style.country}
                     for folder, (style, _) in CASE_AGENCIES.items()},
    }
    truth = {"records": records, "entities": entities, "communities": communities, "switches": switches,
             "evidence": evidence, "malformed": malformed}
    return Case(seed=seed, scale=scale, files=dict(sorted(b.files.items())), truth=truth, info=info,
                tables=b.tables)
