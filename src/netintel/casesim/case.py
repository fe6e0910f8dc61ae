"""A multi-agency case with four planted groups, written the way partners really send their data.

The groups follow published descriptions, not :mod:`netintel.synth`'s templates:

* **cocaine through a port** (Europol SOCTA 2021 and the EU Drug Markets analysis on cocaine:
  consignments hidden in reefer containers of fruit, corrupt port workers who pull them out,
  a broker in Europe who answers to a supplier in a source country, a front import company):
  a star around the broker with a small extraction crew, a vessel and a fruit importer;
* **a migrant-smuggling route** (UNODC, *Smuggling of Migrants* indicators and the Global Study
  on Smuggling of Migrants 2018: an organiser of the migrants' own origin, recruiters, drivers
  and safehouse keepers along a land route, payments through hawala or small transfers to third
  parties, night moves across several borders): a chain of country cells;
* **a ransomware crew** (Europol IOCTA 2023: ransomware-as-a-service, a core that writes the
  malware and runs the leak site, affiliates, money mules who cash the ransom out through
  crypto exchanges): described mostly by a CERT's STIX bundle, with the mules known to police;
* **a professional laundering network** (FATF, *Professional Money Laundering*, 2018, and the
  FATF/Egmont trade-based ML red flags: a controller, nominee directors, shell companies in
  secrecy jurisdictions, round-sum and just-below-threshold payments passing through quickly).

Among ordinary people (families and friends who call and pay each other), the partners report:

============================== ==========================================================
folder                          what, as sent
============================== ==========================================================
``nl_landelijke_eenheid``       FtM JSON lines (persons, vessel, company, ownership,
                                associates; ``topics`` on some persons) and an intercept
                                CDR CSV (``gesprekken.csv``, numbers as ``0031...``)
``be_pj_antwerpen``             FtM JSON array (port workers, the laundering companies)
``at_bk``                       a CSV export with an offence column (``delikt``) and a
                                mapping, numbers as ``+43 664 ...``
``bg_gdbop``                    FtM JSON lines (route cells, vehicles, safehouses)
``de_lka_cyber``                FtM JSON lines (mules, their wallets and e-mail)
``cy_mokas``                    the FIU: FtM Payments with BankAccounts and Companies
``ee_cert``                     a STIX 2.1 bundle: threat actor, identities, malware,
                                infrastructure, indicators (domains, IPs, wallets, e-mail)
============================== ==========================================================

Truth (``truth/``): ``groups.csv`` (``group, typology``) and ``members.csv`` (``agency,
source_record_id, kind, person, group, role``: every person record, as the loaders key it;
``group`` is empty for people in no planted group). :meth:`SimCase.planted` maps it onto a
workspace.

Examples
--------
>>> case = simulate_case(11, scale=0.5)
>>> sorted(case.truth["groups"]["typology"])
['cybercrime', 'drug_trafficking', 'human_smuggling', 'money_laundering']
>>> "ee_cert/bundle.json" in case.files and "at_bk/personen.csv" in case.files
True
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

__all__ = ["SimCase", "simulate_case", "GROUPS"]

#: The planted groups: name -> typology.
GROUPS = {"port_cocaine": "drug_trafficking", "balkan_route": "human_smuggling",
          "ransom_crew": "cybercrime", "pml_network": "money_laundering"}

_GIVEN = {
    "NL": ["Jeroen", "Sander", "Bas", "Ilse", "Mees", "Anouk", "Thijs", "Romy", "Kevin", "Priscilla", "Ricardo"],
    "BE": ["Wout", "Jens", "Lotte", "Kobe", "Elke", "Nabil", "Yannick", "Sofie", "Bram", "Ines"],
    "AT": ["Florian", "Lukas", "Katharina", "Stefan", "Verena", "Dominik", "Sabine"],
    "BG": ["Stoyan", "Plamen", "Desislava", "Kaloyan", "Radostin", "Vesela", "Tsvetan"],
    "DE": ["Malte", "Jannik", "Svenja", "Dennis", "Kerstin", "Ole", "Marvin"],
    "CO": ["Jhon Jairo", "Wilmer", "Yesid", "Leidy", "Fredy", "Duvan"],
    "EC": ["Segundo", "Byron", "Jefferson", "Mayra", "Wellington"],
    "SY": ["Khaled", "Bassel", "Rami", "Yaman", "Louay", "Hazem"],
    "AF": ["Zabihullah", "Naqibullah", "Farid", "Sayed", "Mirwais"],
    "TR": ["Serkan", "Volkan", "Emre", "Burak", "Ozan"],
    "RU": ["Artyom", "Kirill", "Vadim", "Maksim", "Yegor"],
    "UA": ["Bohdan", "Taras", "Oleksii", "Yaroslav"],
    "CY": ["Andreas", "Christakis", "Eleni", "Marios"],
    "LV": ["Janis", "Edgars", "Ilze", "Raivis"],
}
_FAMILY = {
    "NL": ["Wijnaldum", "Kuijpers", "van Hoorn", "Brouwers", "de Graaf", "Oosterhuis", "Pronk", "Sluijter"],
    "BE": ["Vermeulen", "Claes", "Goossens", "Ben Haddou", "Wouters", "Peeters", "De Smet"],
    "AT": ["Gruber", "Huber", "Pichler", "Moser", "Steiner", "Hofer"],
    "BG": ["Stoyanov", "Kolev", "Dimitrova", "Petkov", "Yordanov", "Nikolova"],
    "DE": ["Petersen", "Hansen", "Krüger", "Lorenz", "Brandt", "Vogel"],
    "CO": ["Restrepo Gil", "Cardona", "Montoya", "Londoño", "Arboleda"],
    "EC": ["Quiñónez", "Cedeño", "Zambrano", "Mendoza"],
    "SY": ["Haddad", "Darwish", "Kanaan", "Sabbagh", "Hamwi"],
    "AF": ["Wardak", "Popal", "Sultani", "Karimi"],
    "TR": ["Yıldırım", "Öztürk", "Kaya", "Aydın"],
    "RU": ["Volkov", "Sokolov", "Lebedev", "Morozov"],
    "UA": ["Kovalenko", "Bondarenko", "Tkachenko"],
    "CY": ["Georgiou", "Constantinou", "Charalambous"],
    "LV": ["Bērziņš", "Kalniņš", "Ozols"],
}
# street names in coded jargon: what officers write in an alias field
_NICK = ["Tio", "El Flaco", "Kapitan", "Dok", "Boss-2", "Chemist", "Sultan", "Kurd", "Zero", "Mr. Clean", "Shadow",
         "Babo", "Lalo", "Skipper", "Goldfinger"]
_CC = {"NL": "31", "BE": "32", "AT": "43", "BG": "359", "DE": "49", "CO": "57", "EC": "593", "SY": "963",
       "AF": "93", "TR": "90", "RU": "7", "UA": "380", "CY": "357", "LV": "371"}
_MCC = {"NL": "204", "BE": "206", "AT": "232", "BG": "284", "DE": "262", "HU": "216", "RS": "220", "TR": "286",
        "CO": "732", "EC": "740", "GR": "202", "CY": "280"}
_T0 = pd.Timestamp("2026-02-02")
_DAYS = 120


@dataclass
class _Person:
    pid: int
    given: str
    family: str
    country: str
    birth: str
    phone: str
    group: str | None
    role: str
    alias: str | None = None
    home: str = "NL"  # where the person lives (cells)
    mobile: tuple[str, ...] = ()  # countries the phone roams in


@dataclass(frozen=True)
class SimCase:
    """A simulated case: the partners' files (relative path -> bytes) and the truth tables."""

    seed: int
    files: dict[str, bytes] = field(repr=False)
    truth: dict[str, pd.DataFrame] = field(repr=False)

    def write(self, out: str | Path) -> list[Path]:
        """Write every partner folder and ``truth/`` under ``out``; returns the partner folders."""
        out = Path(out)
        for rel, data in sorted(self.files.items()):
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        (out / "truth").mkdir(parents=True, exist_ok=True)
        for name, frame in sorted(self.truth.items()):
            frame.to_csv(out / "truth" / f"{name}.csv", index=False)
        return sorted({out / rel.split("/")[0] for rel in self.files})

    def planted(self, ws: Any) -> pd.Series:
        """Resolved id -> planted group of every planted member's record ingested into ``ws``.

        Records are found by agency and source record id, as the loaders key them; a member
        reported by several agencies counts once per resolved entity (its most frequent group).
        """
        ents = ws.entities()
        key = dict(zip(zip(ents["agency"], ents["source_record_id"].astype(str)), ents["entity_id"]))
        resolved = dict(zip(ws.resolved_ids()["entity_id"], ws.resolved_ids()["resolved_id"]))
        m = self.truth["members"]
        m = m[m["group"].notna()]
        ids = [resolved.get(key.get((a, str(s))), key.get((a, str(s)))) for a, s in zip(m["agency"], m["source_record_id"])]
        frame = pd.DataFrame({"id": ids, "group": m["group"].to_numpy()}).dropna()
        return frame.groupby("id")["group"].agg(lambda g: g.mode().iloc[0]).rename("group")

    def digest(self) -> str:
        """SHA-256 over every file: equal digests, identical cases."""
        h = hashlib.sha256()
        for rel, data in sorted(self.files.items()):
            h.update(rel.encode())
            h.update(hashlib.sha256(data).digest())
        return h.hexdigest()


class _Builder:
    def __init__(self, seed: int, scale: float):
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.scale = scale
        self.people: list[_Person] = []
        self.ties: list[tuple[int, int, str]] = []  # (a, b, "family"|"associate")
        self.calls: list[tuple[int, int, float]] = []  # (a, b, day)
        self.payments: list[tuple[str, str, float, float, str]] = []  # (payer acc, beneficiary acc, amount, day, cur)
        self.accounts: dict[str, tuple[str, str]] = {}  # iban -> (holder key, bank country)
        self.companies: dict[str, dict[str, Any]] = {}  # company key -> properties
        self.extras: dict[str, Any] = {}

    # -- people -------------------------------------------------------------------------------
    def person(self, country: str, group: str | None, role: str, *, home: str | None = None,
               mobile: tuple[str, ...] = (), alias: bool = False) -> _Person:
        r = self.rng
        given = str(r.choice(_GIVEN[country]))
        family = str(r.choice(_FAMILY[country]))
        year = int(r.integers(1962, 2004))
        birth = f"{year}-{int(r.integers(1, 13)):02d}-{int(r.integers(1, 29)):02d}"
        home = home or country
        cc = _CC[home]
        phone = f"+{cc}{int(r.integers(600, 700))}{int(r.integers(100000, 999999))}"
        p = _Person(len(self.people), given, family, country, birth, phone, group, role,
                    str(r.choice(_NICK)) if alias else None, home, mobile or (home,))
        self.people.append(p)
        return p

    def tie(self, a: _Person, b: _Person, kind: str = "associate") -> None:
        self.ties.append((a.pid, b.pid, kind))

    def talk(self, a: _Person, b: _Person, n: float, *, days: tuple[float, float] = (0, _DAYS),
             hours: tuple[float, float] = (8, 22)) -> None:
        for _ in range(self.rng.poisson(n)):
            day = float(self.rng.uniform(*days))
            hour = float(self.rng.uniform(*hours)) % 24
            self.calls.append((a.pid, b.pid, np.floor(day) + hour / 24))

    def account(self, holder: str, country: str) -> str:
        r = self.rng
        iban = f"{country}{int(r.integers(10, 99))}{''.join(str(d) for d in r.integers(0, 10, 16))}"
        self.accounts[iban] = (holder, country)
        return iban

    def pay(self, payer: str, beneficiary: str, amount: float, day: float, currency: str = "EUR") -> None:
        self.payments.append((payer, beneficiary, round(float(amount), 2), float(day), currency))

    def n(self, base: float) -> int:
        return max(1, int(round(base * self.scale)))


def _port_cocaine(b: _Builder) -> list[_Person]:
    r = b.rng
    port = str(r.choice(["NL", "BE"]))
    supplier = b.person(str(r.choice(["CO", "EC"])), "port_cocaine", "supplier", alias=True)
    broker = b.person(port, "port_cocaine", "broker", alias=True)
    insiders = [b.person(port, "port_cocaine", "port worker") for _ in range(b.n(3))]
    crew = [b.person(str(r.choice(["NL", "BE"])), "port_cocaine", "extractor") for _ in range(b.n(4))]
    stash = b.person(port, "port_cocaine", "stash keeper")
    members = [supplier, broker, *insiders, *crew, stash]
    for m in members[2:]:
        b.tie(broker, m)
    for m in crew:
        b.tie(m, r.choice(insiders))
        b.talk(broker, m, 6)
    b.tie(supplier, broker)
    # arrivals of the vessel: calls come in bursts on the days around each
    arrivals = sorted(r.uniform(10, _DAYS - 5, 3))
    for day in arrivals:
        for m in [*insiders, *crew, stash]:
            b.talk(broker, m, 4, days=(day - 1, day + 1), hours=(2, 30))
        b.talk(supplier, broker, 5, days=(day - 6, day), hours=(14, 26))
    importer = f"{r.choice(['Tropical', 'Andes', 'Verde', 'Costa'])} Fresh Import {r.choice(['BV', 'BVBA'])}"
    b.companies["importer"] = {"name": importer, "jurisdiction": port.lower(), "owner": broker.pid}
    b.extras["vessel"] = {"name": f"MSC {r.choice(['Aurora', 'Lucia', 'Oriane', 'Tessa'])}",
                          "imo": str(int(r.integers(9100000, 9899999))), "flag": str(r.choice(["PA", "LR", "MT"]))}
    # the broker pays the extraction crew in cash-like amounts through the importer's account
    acc = b.account("company:importer", port)
    b.extras["importer_account"] = acc
    for m in crew:
        b.pay(acc, b.account(f"person:{m.pid}", port), float(r.choice([2500, 5000, 7500, 10000])), r.uniform(20, 110))
    b.pay(b.account(f"person:{supplier.pid}", supplier.country), acc, float(r.uniform(60000, 180000)),
          r.uniform(5, 30), "USD")
    return members


def _balkan_route(b: _Builder) -> list[_Person]:
    r = b.rng
    origin = str(r.choice(["SY", "AF"]))
    organiser = b.person(origin, "balkan_route", "organiser", home="TR", mobile=("TR", "BG"), alias=True)
    route = ["BG", "RS", "HU", "AT"]
    cells = []
    for country in route:
        nat = country if country in _GIVEN else origin
        keeper = b.person(nat, "balkan_route", "safehouse keeper", home=country if country in _CC else "BG")
        drivers = [b.person(str(r.choice(["BG", "TR", origin])), "balkan_route", "driver", home="BG",
                            mobile=tuple(route[max(0, route.index(country) - 1):route.index(country) + 2]))
                   for _ in range(b.n(1.5))]
        cells.append([keeper, *drivers])
    recruiters = [b.person(origin, "balkan_route", "recruiter", home="TR", mobile=("TR",)) for _ in range(b.n(2))]
    members = [organiser, *recruiters, *[m for c in cells for m in c]]
    for rc in recruiters:
        b.tie(organiser, rc)
        b.talk(organiser, rc, 10)
    for i, cell in enumerate(cells):
        keeper, drivers = cell[0], cell[1:]
        b.tie(organiser, keeper)
        b.talk(organiser, keeper, 6, hours=(20, 29))
        for d in drivers:
            b.tie(keeper, d)
            b.talk(keeper, d, 8, hours=(21, 29))
            if i + 1 < len(cells):
                b.talk(d, cells[i + 1][0], 5, hours=(22, 30))
    b.extras["vans"] = [(d.pid, f"{r.choice(['CA', 'PB', 'CB', 'B'])} {int(r.integers(1000, 9999))} "
                                f"{''.join(r.choice(list('ABEHKMOPTX'), 2))}") for c in cells for d in c[1:]]
    # hawala-like: many small transfers from relatives abroad to the recruiters' and organiser's accounts
    org_acc = b.account(f"person:{organiser.pid}", "BG")
    for rc in recruiters:
        acc = b.account(f"person:{rc.pid}", "BG")
        for _ in range(b.n(6)):
            b.pay(b.account(f"sender:{int(r.integers(1e9))}", str(r.choice(["DE", "NL", "AT", "SE"]))), acc,
                  float(r.choice([1500, 2000, 2500, 3000])), r.uniform(0, _DAYS))
        b.pay(acc, org_acc, float(r.uniform(8000, 15000)), r.uniform(30, _DAYS))
    return members


def _ransom_crew(b: _Builder) -> list[_Person]:
    r = b.rng
    core = [b.person(str(r.choice(["RU", "UA"])), "ransom_crew", "developer", home="DE", alias=True)
            for _ in range(b.n(2))]
    affiliates = [b.person(str(r.choice(["RU", "UA", "LV"])), "ransom_crew", "affiliate", home="DE")
                  for _ in range(b.n(2))]
    mules = [b.person(str(r.choice(["DE", "LV", "NL"])), "ransom_crew", "money mule", home="DE")
             for _ in range(b.n(3))]
    members = [*core, *affiliates, *mules]
    handler = affiliates[0]
    for m in mules:
        b.tie(handler, m)
        b.talk(handler, m, 4)
    for a in affiliates:
        b.tie(core[0], a)
    tag = str(r.choice(["KRAKEN", "NOCTUA", "VIPERA", "LYNX"]))
    b.extras["crew"] = {
        "name": f"{tag.title()} Spider", "malware": f"{tag.title()}Locker",
        "domains": [f"{tag.lower()}-{w}.onion.invalid" for w in r.choice(["leaks", "pay", "chat", "blog"], 3,
                                                                          replace=False)],
        "ips": [f"185.{int(r.integers(0, 255))}.{int(r.integers(0, 255))}.{int(r.integers(1, 254))}"
                for _ in range(3)],
        "wallets": {m.pid: "bc1q" + "".join(r.choice(list("023456789acdefghjklmnpqrstuvwxyz"), 38)) for m in mules},
        "emails": {a.pid: f"{a.given.split()[0].lower()}.{int(r.integers(10, 99))}@proton.invalid"
                   for a in affiliates},
    }
    exchange = b.account("company:exchange", "LT")
    for m in mules:  # mules cash out: ransom in, quickly out to an exchange
        acc = b.account(f"person:{m.pid}", "DE")
        for _ in range(b.n(3)):
            day = r.uniform(0, _DAYS - 2)
            amount = float(r.uniform(4000, 9500))
            b.pay(b.account(f"victim:{int(r.integers(1e9))}", str(r.choice(["NL", "BE", "DE", "FR"]))), acc,
                  amount, day)
            b.pay(acc, exchange, round(amount * 0.9, 2), day + 0.5)
    b.companies["exchange"] = {"name": "Baltic Coin Exchange UAB", "jurisdiction": "lt"}
    return members


def _pml_network(b: _Builder, clients: list[str]) -> list[_Person]:
    r = b.rng
    controller = b.person(str(r.choice(["CY", "BE"])), "pml_network", "controller", home="BE", alias=True)
    nominees = [b.person(str(r.choice(["CY", "LV", "BG"])), "pml_network", "nominee director", home="BE")
                for _ in range(b.n(3))]
    accountant = b.person("BE", "pml_network", "accountant")
    members = [controller, *nominees, accountant]
    for m in nominees + [accountant]:
        b.tie(controller, m)
        b.talk(controller, m, 5, hours=(9, 18))
    shells = []
    for i in range(max(3, b.n(5))):
        juris = str(r.choice(["cy", "ae", "mt", "hk", "lv"]))
        key = f"shell{i}"
        b.companies[key] = {"name": f"{r.choice(['Orion', 'Meridian', 'Helios', 'Atlas', 'Vega', 'Nexa'])} "
                                    f"{r.choice(['Trading', 'Holdings', 'Consulting', 'Logistics'])} "
                                    f"{ {'cy': 'Ltd', 'ae': 'FZE', 'mt': 'Ltd', 'hk': 'Limited', 'lv': 'SIA'}[juris]}",
                            "jurisdiction": juris, "director": nominees[i % len(nominees)].pid,
                            "controller": controller.pid}
        shells.append(b.account(f"company:{key}", juris.upper() if juris in ("cy", "mt", "lv") else "CY"))
    # layering: round sums and amounts just below reporting thresholds, passed on within days
    for src in clients:
        for _ in range(b.n(3)):
            day = float(r.uniform(5, _DAYS - 10))
            amount = float(r.choice([9500, 9800, 9900, 50000, 100000]))
            hop = list(r.choice(shells, 3, replace=False))
            b.pay(src, hop[0], amount, day)
            b.pay(hop[0], hop[1], amount * 0.98, day + float(r.uniform(0.5, 3)))
            b.pay(hop[1], hop[2], amount * 0.96, day + float(r.uniform(3, 6)))
    return members


def _background(b: _Builder, n: int) -> list[_Person]:
    r = b.rng
    out = []
    while len(out) < n:
        country = str(r.choice(["NL", "BE", "AT", "BG", "DE"]))
        family = [b.person(country, None, "none") for _ in range(int(r.integers(3, 7)))]
        for x in family[1:]:
            b.tie(family[0], x, "family")
        for i, x in enumerate(family):
            for y in family[i + 1:]:
                b.talk(x, y, 3)
        out += family
    for _ in range(len(out) // 3):  # friendships across families
        x, y = r.choice(len(out), 2, replace=False)
        b.tie(out[x], out[y])
        b.talk(out[x], out[y], 4)
    accounts = [b.account(f"person:{p.pid}", p.home) for p in out[: len(out) // 2]]
    for _ in range(len(accounts)):  # rent, loans, sales between ordinary people
        x, y = r.choice(len(accounts), 2, replace=False)
        b.pay(accounts[x], accounts[y], float(r.uniform(50, 2500)), r.uniform(0, _DAYS))
    return out


def simulate_case(seed: int, *, scale: float = 1.0) -> SimCase:
    """Simulate a multi-agency case with four planted groups among ordinary people.

    Parameters
    ----------
    seed : int
        Seeds every draw (never reuse a benchmark's seeds to train or tune).
    scale : float
        Group and population size factor (1.0: about 40 members and 120 others).

    Returns
    -------
    SimCase
    """
    b = _Builder(seed, scale)
    groups = {"port_cocaine": _port_cocaine(b), "balkan_route": _balkan_route(b), "ransom_crew": _ransom_crew(b)}
    clients = [b.extras["importer_account"], next(a for a, (h, _) in b.accounts.items()
                                                     if h == f"person:{groups['balkan_route'][0].pid}")]
    groups["pml_network"] = _pml_network(b, clients)
    background = _background(b, max(12, int(120 * scale)))
    # members have families and friends too: a tie from a few of them into the background
    for members in groups.values():
        for m in b.rng.choice(members, max(1, len(members) // 4), replace=False):
            other = background[int(b.rng.integers(len(background)))]
            b.tie(m, other, "family")
            b.talk(m, other, 2)
    files = _write_partners(b, groups, background)
    members = pd.DataFrame(b.extras.pop("_truth_rows"))
    truth = {"groups": pd.DataFrame({"group": list(GROUPS), "typology": list(GROUPS.values())}),
             "members": members.sort_values(["group", "agency", "source_record_id"]).reset_index(drop=True)}
    return SimCase(int(seed), files, truth)


# ---------------------------------------------------------------------------------------------
# Writing what partners send
# ---------------------------------------------------------------------------------------------
def _source(agency: str, country: str, grading: str, handling: str, releasable: list[str],
            scheme: str = "europol_4x4") -> bytes:
    return yaml.safe_dump({"agency": agency, "country": country, "grading": grading, "grading_scheme": scheme,
                           "handling": handling, "releasable_to": releasable}, sort_keys=False,
                          allow_unicode=True).encode()


def _fid(b: _Builder, *parts: Any) -> str:
    return hashlib.sha1("|".join(map(str, (b.seed, *parts))).encode()).hexdigest()


_TOPIC = {"drug_trafficking": "crime.traffick.drug", "human_smuggling": "crime.traffick.human",
          "cybercrime": "crime.cyber", "money_laundering": "crime.fin"}
_DELIKT = {"human_smuggling": "§ 114 FPG Schlepperei", "drug_trafficking": "§ 28a SMG Suchtgifthandel",
           None: ""}


def _ftm_person(b: _Builder, agency: str, p: _Person, *, topics: bool, national_format: bool = False) -> dict:
    props: dict[str, list[str]] = {"name": [f"{p.given} {p.family}"], "firstName": [p.given],
                                   "lastName": [p.family], "birthDate": [p.birth],
                                   "nationality": [p.country.lower()]}
    if b.rng.random() < 0.9:
        props["phone"] = ["00" + p.phone[1:] if national_format else p.phone]
    if p.alias:
        props["alias"] = [p.alias]
    if topics and p.group:
        props["topics"] = [_TOPIC[GROUPS[p.group]]]
    b.extras["_truth_rows"].append({"agency": agency, "source_record_id": _fid(b, agency, "p", p.pid),
                                    "kind": "person", "person": p.pid, "group": p.group, "role": p.role})
    return {"id": _fid(b, agency, "p", p.pid), "schema": "Person", "properties": props}


def _edges(b: _Builder, agency: str, pids: set[int]) -> list[dict]:
    out = []
    for a, c, kind in b.ties:
        if a in pids and c in pids:
            schema, sp, tp = ("Family", "person", "relative") if kind == "family" else ("Associate", "person",
                                                                                        "associate")
            out.append({"id": _fid(b, agency, "tie", a, c), "schema": schema,
                        "properties": {sp: [_fid(b, agency, "p", a)], tp: [_fid(b, agency, "p", c)]}})
    return out


def _lines(entities: list[dict]) -> bytes:
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entities).encode()


def _write_partners(b: _Builder, groups: dict[str, list[_Person]], background: list[_Person]) -> dict[str, bytes]:
    r = b.rng
    b.extras["_truth_rows"] = []
    files: dict[str, bytes] = {}
    people = b.people
    bg_by_home: dict[str, list[_Person]] = {}
    for p in background:
        bg_by_home.setdefault(p.home, []).append(p)
    shared = set(r.choice([p.pid for p in background], len(background) // 8, replace=False).tolist())

    # NL: the port case (FtM lines, with topics), NL background, and an intercept CDR
    agency = "Landelijke Eenheid NL"
    nl_people = [p for p in groups["port_cocaine"] if p.home in ("NL", "BE") or p.role == "supplier"]
    nl_people += bg_by_home.get("NL", [])
    ents = [_ftm_person(b, agency, p, topics=r.random() < 0.7) for p in nl_people]
    pids = {p.pid for p in nl_people}
    v = b.extras["vessel"]
    vessel_id = _fid(b, agency, "vessel")
    ents.append({"id": vessel_id, "schema": "Vessel",
                 "properties": {"name": [v["name"]], "imoNumber": [v["imo"]], "flag": [v["flag"]]}})
    imp = b.companies["importer"]
    imp_id = _fid(b, agency, "importer")
    ents.append({"id": imp_id, "schema": "Company",
                 "properties": {"name": [imp["name"]], "jurisdiction": [imp["jurisdiction"]]}})
    ents.append({"id": _fid(b, agency, "own"), "schema": "Ownership",
                 "properties": {"owner": [_fid(b, agency, "p", imp["owner"])], "asset": [imp_id]}})
    # the importer charters the vessel's reefer slots: an unknown-link in the export
    ents.append({"id": _fid(b, agency, "charter"), "schema": "UnknownLink",
                 "properties": {"subject": [imp_id], "object": [vessel_id], "role": ["consignee"]}})
    ents += _edges(b, agency, pids)
    files["nl_landelijke_eenheid/export.ftm.jsonl"] = _lines(ents)
    files["nl_landelijke_eenheid/source.yaml"] = _source(agency, "NL", "B2", "TLP:AMBER", ["PARTNERS"])
    targets = {p.pid for g in ("port_cocaine", "balkan_route") for p in groups[g]}
    rows = []
    for a, c, day in b.calls:
        if a not in targets and c not in targets:
            continue
        pa, pc = people[a], people[c]
        country = pa.mobile[int(r.integers(len(pa.mobile)))]
        mcc = _MCC.get(country, "204")
        cell = f"{mcc}-{int(r.integers(1, 9)):02d}-{(a * 7919) % 60000 + int(r.integers(0, 3)):05d}"
        rows.append({"a_nummer": "00" + pa.phone[1:], "b_nummer": "00" + pc.phone[1:],
                     "datum_tijd": (_T0 + pd.Timedelta(days=day)).strftime("%d-%m-%Y %H:%M"),
                     "duur_sec": int(r.lognormal(4.0, 0.9)), "cgi": cell})
    cdr = pd.DataFrame(rows, columns=["a_nummer", "b_nummer", "datum_tijd", "duur_sec", "cgi"])
    buf = io.StringIO()
    cdr.sort_values(["datum_tijd", "a_nummer"], kind="stable").to_csv(buf, index=False, sep=";")
    files["nl_landelijke_eenheid/gesprekken.csv"] = buf.getvalue().encode()
    files["nl_landelijke_eenheid/gesprekken.mapping.yaml"] = yaml.safe_dump(
        {"format": "events", "event": "call", "delimiter": ";", "date_format": "%d-%m-%Y %H:%M",
         "columns": {"caller": "a_nummer", "callee": "b_nummer", "start": "datum_tijd", "duration": "duur_sec",
                     "cell": "cgi"}}, sort_keys=False).encode()

    # BE: port workers seen at Antwerp, the laundering network, BE background (a JSON array)
    agency = "PJF Antwerpen"
    be_people = [p for p in groups["port_cocaine"] if p.role in ("port worker", "broker")]
    be_people += groups["pml_network"] + bg_by_home.get("BE", [])
    be_people += [p for p in background if p.pid in shared and p.home != "BE"]
    ents = [_ftm_person(b, agency, p, topics=False, national_format=True) for p in be_people]
    pml = groups["pml_network"]
    for key, comp in b.companies.items():
        if not key.startswith("shell"):
            continue
        cid = _fid(b, agency, key)
        ents.append({"id": cid, "schema": "Company",
                     "properties": {"name": [comp["name"]], "jurisdiction": [comp["jurisdiction"]]}})
        ents.append({"id": _fid(b, agency, key, "dir"), "schema": "Directorship",
                     "properties": {"director": [_fid(b, agency, "p", comp["director"])], "organization": [cid],
                                    "role": ["nominee director"]}})
        ents.append({"id": _fid(b, agency, key, "ctl"), "schema": "Ownership",
                     "properties": {"owner": [_fid(b, agency, "p", comp["controller"])], "asset": [cid]}})
    ents += _edges(b, agency, {p.pid for p in be_people})
    files["be_pj_antwerpen/entities.ftm.json"] = json.dumps(ents, ensure_ascii=False, indent=1).encode()
    files["be_pj_antwerpen/source.yaml"] = _source(agency, "BE", "B3", "TLP:AMBER+STRICT", ["BE", "NL", "AT", "DE"])
    del pml

    # AT: a CSV export with an offence column, the route's western end and AT background
    agency = "Bundeskriminalamt AT"
    at_people = [p for p in groups["balkan_route"] if p.home in ("AT", "HU") or p.role == "organiser"]
    at_people += bg_by_home.get("AT", [])
    at_rows = []
    for p in at_people:
        rid = f"BK-{2026}-{p.pid:05d}"
        at_rows.append({"kennzahl": rid, "familienname": p.family.upper(), "vorname": p.given,
                        "geburtsdatum": pd.Timestamp(p.birth).strftime("%d.%m.%Y"),
                        "staatsangehoerigkeit": p.country, "mobil": f"+{p.phone[1:3]} {p.phone[3:6]} {p.phone[6:]}",
                        "delikt": _DELIKT.get(GROUPS.get(p.group or ""), "") if r.random() < 0.8 else "",
                        "alias": p.alias or ""})
        b.extras["_truth_rows"].append({"agency": agency, "source_record_id": rid, "kind": "person",
                                        "person": p.pid, "group": p.group, "role": p.role})
    buf = io.StringIO()
    pd.DataFrame(at_rows).to_csv(buf, index=False)
    files["at_bk/personen.csv"] = buf.getvalue().encode()
    files["at_bk/personen.mapping.yaml"] = yaml.safe_dump(
        {"format": "table", "date_format": "%d.%m.%Y",
         "entities": {"person": {"kind": "person", "id": "kennzahl",
                                 "properties": {"last_name": "familienname", "first_name": "vorname",
                                                "birth_date": "geburtsdatum", "nationality": "staatsangehoerigkeit",
                                                "alias": "alias", "offence": "delikt"}},
                      "phone": {"kind": "phone", "properties": {"number": "mobil"}}},
         "links": [{"kind": "uses", "source": "person", "target": "phone"}]},
        sort_keys=False, allow_unicode=True).encode()
    files["at_bk/source.yaml"] = _source(agency, "AT", "B2", "TLP:AMBER", ["PARTNERS"])

    # BG: the route's cells with their vans, BG background
    agency = "ГДБОП BG"
    bg_people = [p for p in groups["balkan_route"] if p.home in ("BG", "TR", "RS")]
    bg_people += bg_by_home.get("BG", [])
    ents = [_ftm_person(b, agency, p, topics=r.random() < 0.5) for p in bg_people]
    pids = {p.pid for p in bg_people}
    for pid, plate in b.extras["vans"]:
        if pid in pids:
            vid = _fid(b, agency, "van", pid)
            ents.append({"id": vid, "schema": "Vehicle", "properties": {"registrationNumber": [plate],
                                                                        "type": ["van"], "country": ["bg"]}})
            ents.append({"id": _fid(b, agency, "van-own", pid), "schema": "Ownership",
                         "properties": {"owner": [_fid(b, agency, "p", pid)], "asset": [vid]}})
    ents += _edges(b, agency, pids)
    files["bg_gdbop/lica.ftm.jsonl"] = _lines(ents)
    files["bg_gdbop/source.yaml"] = _source(agency, "BG", "C2", "TLP:AMBER", ["PARTNERS"])

    # DE: the crew's mules and affiliates, with wallets and e-mail; DE background
    agency = "LKA Cybercrime DE"
    crew = b.extras["crew"]
    de_people = [p for p in groups["ransom_crew"] if p.role != "developer"] + bg_by_home.get("DE", [])
    ents = []
    for p in de_people:
        e = _ftm_person(b, agency, p, topics=r.random() < 0.6)
        if p.pid in crew["emails"]:
            e["properties"]["email"] = [crew["emails"][p.pid]]
        ents.append(e)
        if p.pid in crew["wallets"]:
            wid = _fid(b, agency, "wallet", p.pid)
            ents.append({"id": wid, "schema": "CryptoWallet",
                         "properties": {"publicKey": [crew["wallets"][p.pid]], "currencySymbol": ["BTC"],
                                        "holder": [e["id"]]}})
    ents += _edges(b, agency, {p.pid for p in de_people})
    files["de_lka_cyber/faelle.ftm.jsonl"] = _lines(ents)
    files["de_lka_cyber/source.yaml"] = _source(agency, "DE", "B2", "TLP:AMBER", ["PARTNERS"])

    # FIU: payments in FtM, with the accounts and their holders as the bank knows them
    agency = "MOKAS FIU CY"
    ents = []
    holder_ids: dict[str, str] = {}
    for iban, (holder, country) in sorted(b.accounts.items()):
        kind, _, key = holder.partition(":")
        hid = holder_ids.get(holder)
        if hid is None:
            hid = _fid(b, agency, "holder", holder)
            holder_ids[holder] = hid
            if kind == "person":
                p = people[int(key)]
                ents.append({"id": hid, "schema": "Person",
                             "properties": {"name": [f"{p.family.upper()} {p.given}"], "birthDate": [p.birth]}})
                if p.group:
                    b.extras["_truth_rows"].append({"agency": agency, "source_record_id": hid, "kind": "person",
                                                    "person": p.pid, "group": p.group, "role": p.role})
            elif kind == "company":
                ents.append({"id": hid, "schema": "Company",
                             "properties": {"name": [b.companies[key]["name"]],
                                            "jurisdiction": [b.companies[key]["jurisdiction"]]}})
            else:
                ents.append({"id": hid, "schema": "LegalEntity", "properties": {"name": [f"Client {key}"],
                                                                                "country": [country.lower()]}})
        ents.append({"id": _fid(b, agency, "acc", iban), "schema": "BankAccount",
                     "properties": {"iban": [iban], "country": [country.lower()]}})
    for i, (payer, beneficiary, amount, day, cur) in enumerate(b.payments):
        when = (_T0 + pd.Timedelta(days=day)).strftime("%Y-%m-%d")
        ents.append({"id": _fid(b, agency, "pay", i), "schema": "Payment",
                     "properties": {"payer": [holder_ids[b.accounts[payer][0]]],
                                    "beneficiary": [holder_ids[b.accounts[beneficiary][0]]],
                                    "payerAccount": [_fid(b, agency, "acc", payer)],
                                    "beneficiaryAccount": [_fid(b, agency, "acc", beneficiary)],
                                    "amount": [f"{amount:.2f}"], "currency": [cur], "date": [when]}})
    files["cy_mokas/payments.ftm.jsonl"] = _lines(ents)
    files["cy_mokas/source.yaml"] = _source(agency, "CY", "A2", "TLP:AMBER", ["PARTNERS"])

    files["ee_cert/bundle.json"] = _stix(b, groups["ransom_crew"])
    files["ee_cert/source.yaml"] = _source("CERT-EE", "EE", "75", "TLP:AMBER", ["PARTNERS"], "stix_confidence")
    return files


def _stix(b: _Builder, crew_members: list[_Person]) -> bytes:
    crew = b.extras["crew"]
    ns = uuid.UUID(int=b.seed)

    def sid(kind: str, *parts: Any) -> str:
        return f"{kind}--{uuid.uuid5(ns, '|'.join(map(str, (kind, *parts))))}"

    when = "2026-05-04T09:00:00.000Z"
    creator = sid("identity", "cert")
    base = {"spec_version": "2.1", "created": when, "modified": when, "created_by_ref": creator}
    objs: list[dict[str, Any]] = [{"type": "identity", "id": creator, "spec_version": "2.1", "created": when,
                                   "modified": when, "name": "CERT-EE", "identity_class": "organization"}]
    actor = sid("threat-actor", crew["name"])
    objs.append({**base, "type": "threat-actor", "id": actor, "name": crew["name"],
                 "threat_actor_types": ["crime-syndicate"], "confidence": 85})
    malware = sid("malware", crew["malware"])
    objs.append({**base, "type": "malware", "id": malware, "name": crew["malware"], "is_family": True,
                 "malware_types": ["ransomware"], "confidence": 90})
    rels = [(actor, "uses", malware)]
    for p in crew_members:
        if p.role == "developer" or p.role == "affiliate":
            ident = sid("identity", p.pid)
            objs.append({**base, "type": "identity", "id": ident, "name": f"{p.given} {p.family}",
                         "identity_class": "individual", "confidence": 60})
            rels.append((actor, "attributed-to", ident))
    infra = sid("infrastructure", "c2")
    objs.append({**base, "type": "infrastructure", "id": infra, "name": f"{crew['malware']} C2",
                 "infrastructure_types": ["command-and-control"], "confidence": 80})
    rels.append((actor, "uses", infra))
    patterns = ([f"[domain-name:value = '{d}']" for d in crew["domains"]]
                + [f"[ipv4-addr:value = '{ip}']" for ip in crew["ips"]]
                + [f"[cryptocurrency-wallet:value = '{w}']" for w in crew["wallets"].values()]
                + [f"[email-addr:value = '{e}']" for e in crew["emails"].values()])
    for i, pattern in enumerate(patterns):
        ind = sid("indicator", i)
        objs.append({**base, "type": "indicator", "id": ind, "name": f"{crew['name']} IOC {i + 1}",
                     "indicator_types": ["malicious-activity"], "pattern": pattern, "pattern_type": "stix",
                     "valid_from": "2026-02-01T00:00:00Z", "confidence": int(b.rng.integers(55, 95))})
        rels.append((ind, "indicates", actor if i >= len(crew["domains"]) + len(crew["ips"]) else infra))
    for i, (s, t, kind) in enumerate((s, t, k) for s, k, t in rels):
        objs.append({**base, "type": "relationship", "id": sid("relationship", i), "relationship_type": kind,
                     "source_ref": s, "target_ref": t})
    bundle = {"type": "bundle", "id": sid("bundle", "case"), "objects": objs}
    return json.dumps(bundle, indent=1, ensure_ascii=False).encode()
