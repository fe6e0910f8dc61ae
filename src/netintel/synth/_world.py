"""The fictional world behind a generated case: people, groups, identifiers, ties and events.

Internal to :mod:`netintel.synth.case`. The world is built in three steps: the groups (their
members and roles, who is tied to whom and how strongly), the people's identities (names,
phones, accounts, addresses), then the events (calls with a daily rhythm and bursts before
shipments; transfers) drawn from the ties. The partners' files are *views* of this world.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from . import names as N
from .persons import make_identities

START = datetime(2026, 1, 5)
DAYS = 112
_EPOCH = np.datetime64("2026-01-05T00:00:00")

# hour-of-day profiles: relative call intensity per hour
_HOURS = np.arange(24)
PROFILES = {
    "day": np.where((_HOURS >= 8) & (_HOURS <= 21), 3.0, 0.3) + np.where((_HOURS >= 17) & (_HOURS <= 20), 1.5, 0),
    "office": np.where((_HOURS >= 9) & (_HOURS <= 17), 4.0, 0.4),
    "evening": np.where((_HOURS >= 16) | (_HOURS <= 1), 3.0, 0.6),
    "night": np.where((_HOURS >= 21) | (_HOURS <= 4), 4.0, 0.5),
    "late": np.where((_HOURS >= 22) | (_HOURS <= 6), 3.0, 0.8) + np.where((_HOURS >= 13) & (_HOURS <= 16), 1.0, 0),
}
PROFILE_NAMES = tuple(PROFILES)

# IBAN countries for residence countries without one
_BANK_COUNTRY = {"CO": "ES", "EC": "ES", "RU": "LT", "UA": "LT", "SY": "TR", "IQ": "TR", "NG": "GB", "MA": "FR"}
# a country's mobile network code (for cell ids)
_MCC = {"NL": 204, "BE": 206, "DE": 262, "AT": 232, "ES": 214, "CO": 732, "EC": 740, "RO": 226, "BG": 284,
        "HU": 216, "RU": 250, "UA": 255, "TR": 286, "AL": 276, "NG": 621, "MA": 604, "SY": 417, "IQ": 418}

ROUTE = ("TR", "BG", "RO", "HU", "AT", "DE")
BORDER_CELLS = {  # cells at the crossings of the smuggling route
    "TR": ("28601-4120-10771", "28601-4120-10772"), "BG": ("28405-2210-31041", "28405-2210-31042"),
    "RO": ("22610-0871-55120", "22610-0871-55121"), "HU": ("21630-0310-20911", "21630-0310-20912"),
    "AT": ("23201-1101-70231",), "DE": ("26201-0911-44810",),
}


@dataclass
class Person:
    idx: int
    nationality: str
    residence: str
    community: str
    role: str
    phones: list[str] = field(default_factory=list)  # E.164, primary first
    accounts: list[str] = field(default_factory=list)  # IBANs
    cells: list[str] = field(default_factory=list)
    address_key: str = ""


@dataclass
class Org:
    true_id: str
    name: str
    country: str
    community: str
    role: str
    reg_no: str
    address: str
    accounts: list[str] = field(default_factory=list)
    sector: str = ""


@dataclass
class Vehicle:
    true_id: str
    plate: str  # as registered (BG plates in Cyrillic)
    country: str
    make: str
    model: str
    colour: str
    user: int
    community: str


@dataclass
class Community:
    cid: str
    typology: str
    description: str
    members: list[int] = field(default_factory=list)
    orgs: list[int] = field(default_factory=list)
    extra_countries: set[str] = field(default_factory=set)
    profile: str = "day"
    bursts: list[int] = field(default_factory=list)  # days with shipment bursts


@dataclass
class Cyber:
    community: str
    group_name: str
    malware_name: str
    members: dict[str, list[int]]
    domains: list[tuple[str, str]]  # (domain, country)
    ips: list[tuple[str, str]]  # (ip, country)
    servers: list[tuple[str, int, int]]  # (name, ip index, domain index)
    wallets: list[tuple[str, str]]  # (address, currency)
    hashes: list[str]
    victims: list[int]  # org indices


@dataclass(frozen=True)
class Variation:
    """How a generated world departs from the standard case (for training sets of many cases).

    size : factor on the number of members per typology; drop : features left out
    (``vehicles``, ``border_cells``, ``hawala``, ``front_companies``, ``vessels``, ``bursts``,
    ``stix``, ``mules``, ``ml_clients``, ``assoc``); templates : which planted groups to build;
    n_other : how many small unrelated groups; background : factor on the background people;
    label_background : circles of background people become communities of typology ``other``;
    profiles : hour-of-day profile per typology, replacing the usual one.
    """

    size: tuple[tuple[str, float], ...] = ()
    drop: frozenset = frozenset()
    templates: tuple[str, ...] = ("human_smuggling", "drug_trafficking", "cybercrime", "money_laundering")
    n_other: int = 2
    background: float = 1.0
    label_background: bool = False
    profiles: tuple[tuple[str, str], ...] = ()


@dataclass
class World:
    rng: np.random.Generator
    scale: float
    var: Variation = field(default_factory=Variation)
    persons: list[Person] = field(default_factory=list)
    ident: pd.DataFrame | None = None
    rows: list = field(default_factory=list)  # the identities as attribute records (fast row access)
    orgs: list[Org] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    vessels: list[dict] = field(default_factory=list)
    communities: dict[str, Community] = field(default_factory=dict)
    ties: list[tuple[int, int, float, str]] = field(default_factory=list)  # person a, b, calls/day, profile
    assoc: list[tuple[int, int, str]] = field(default_factory=list)  # police-known associations
    family: list[tuple[int, int]] = field(default_factory=list)
    flows: list[tuple[str, str, int, float, float, str]] = field(default_factory=list)  # from, to, n, mu, sigma, cur
    directorships: list[tuple[int, int, str]] = field(default_factory=list)  # person, org, role
    ownerships: list[tuple[str, int, int, float]] = field(default_factory=list)  # ("P"/"O", owner, org, pct)
    cyber: list[Cyber] = field(default_factory=list)
    switches: list[tuple[int, str, str, datetime]] = field(default_factory=list)
    wallet_owner: dict[str, int] = field(default_factory=dict)
    _serial: int = 0
    _org_names: set[tuple[str, str]] = field(default_factory=set)  # (organisation_name key, country)

    # -- variation ------------------------------------------------------------------------------
    def count(self, k: int, typology: str, minimum: int = 1) -> int:
        factor = dict(self.var.size).get(typology)
        return k if factor is None else max(minimum, int(round(k * factor)))

    def has(self, feature: str) -> bool:
        return feature not in self.var.drop

    def profile(self, typology: str, usual: str) -> str:
        return dict(self.var.profiles).get(typology, usual)

    # -- people ---------------------------------------------------------------------------------
    def person(self, nationality: str, residence: str, community: str = "", role: str = "") -> int:
        p = Person(len(self.persons), nationality, residence, community, role)
        self.persons.append(p)
        if community:
            self.communities[community].members.append(p.idx)
        return p.idx

    def tie(self, a: int, b: int, rate: float, profile: str) -> None:
        if a != b:
            self.ties.append((a, b, rate, profile))

    def next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def org(self, name: str, country: str, community: str, role: str, sector: str = "") -> int:
        name = self._unique_org_name(name, country)
        serial = self.next_serial()
        reg = _reg_number(country, serial)
        street = N.STREETS.get(country, N.STREETS["NL"])[serial % 5 % len(N.STREETS.get(country, N.STREETS["NL"]))]
        city = N.CITIES.get(country, ("Nicosia",) if country == "CY" else ("Valletta",) if country == "MT" else
                            ("Dubai",) if country == "AE" else ("Vilnius",) if country == "LT" else ("Panamá",))
        city = city[serial % len(city)]
        address = f"{N.cyrillic_to_latin(street, 'english')} {1 + serial % 90}, {N.cyrillic_to_latin(city, 'english')}"
        o = Org(f"O{len(self.orgs) + 1:05d}", name, country, community, role, reg, address, sector=sector)
        self.orgs.append(o)
        if community:
            self.communities[community].orgs.append(len(self.orgs) - 1)
        return len(self.orgs) - 1

    def _unique_org_name(self, name: str, country: str) -> str:
        """``name``, or a variant of it no other organisation of ``country`` has yet.

        A registry gives one name to one company per jurisdiction, and the resolver joins
        organisations on that (``organisation_name`` in one jurisdiction). The templates draw
        names from short pools, so at ``scale`` K the K copies of a network would share their
        front companies and be merged into one company with hundreds of directors; a later
        copy's company gets a qualifier before its legal form instead (``Tropical Harvest
        Iberia S.L.``).
        """
        from ..resolve.normalize import organisation_name  # the key the resolver joins names on

        legal = _LEGAL.get(country, "Ltd")
        stem, suffix = (name[:-len(legal) - 1], f" {legal}") if name.endswith(f" {legal}") else (name, "")
        candidate, n = name, 0
        while (organisation_name(candidate), country) in self._org_names:
            word = _ORG_QUALIFIERS[n % len(_ORG_QUALIFIERS)]
            number = f" {n // len(_ORG_QUALIFIERS) + 1}" if n >= len(_ORG_QUALIFIERS) else ""
            candidate = f"{stem} {word}{number}{suffix}"
            n += 1
        self._org_names.add((organisation_name(candidate), country))
        return candidate

    def account(self, country: str) -> str:
        country = _BANK_COUNTRY.get(country, country)
        if country not in N._IBAN_BANKS:
            country = "NL"
        return N.make_iban(country, 10_000 + self.next_serial() * 7_919)

    def add_community(self, cid: str, typology: str, description: str, profile: str) -> Community:
        c = Community(cid, typology, description, profile=profile)
        self.communities[cid] = c
        return c


def _reg_number(country: str, serial: int) -> str:
    if country == "CY":
        return f"HE {300000 + serial}"
    if country == "NL":
        return f"{60000000 + serial * 37:08d}"
    if country == "ES":
        return f"B{(70000000 + serial * 91) % 100000000:08d}"
    if country == "BE":
        return f"0{700 + serial % 99}.{serial * 13 % 1000:03d}.{serial * 7 % 1000:03d}"
    if country == "MT":
        return f"C {80000 + serial}"
    if country == "LT":
        return f"{305000000 + serial}"
    if country == "AE":
        return f"DMCC-{100000 + serial}"
    return f"{country}-{1000000 + serial}"


_ADJ = ("Crimson", "Silent", "Iron", "Velvet", "Black", "Frozen", "Hollow", "Amber", "Grey", "Scarlet", "Cobalt",
        "Ashen", "Pale", "Rusty", "Obsidian", "Hidden")
_ANIMAL = ("Marten", "Heron", "Lynx", "Jackal", "Otter", "Viper", "Raven", "Badger", "Moth", "Hyena", "Stoat",
           "Kestrel", "Pike", "Wolverine")
_SHELL_WORDS = ("Meridian", "Sapphire", "Gulf Star", "Baltic Amber", "Northgate", "Silverline", "Eastbridge",
                "Harbourview", "Crescent", "Atlas", "Orion", "Pinnacle", "Blue Coast", "Goldfield", "Summit")
_SHELL_TRADE = ("Trade Holdings", "Logistics", "General Trading", "Consulting", "Investments", "Capital",
                "Shipping", "Commodities", "Ventures", "Management")
_LEGAL = {"CY": "Ltd", "MT": "Ltd", "AE": "FZE", "LT": "UAB", "BE": "BV", "NL": "B.V.", "ES": "S.L.", "EC": "S.A.",
          "BG": "EOOD", "RO": "SRL", "TR": "Ltd. Şti.", "DE": "GmbH"}
#: Words that tell apart two companies whose template names would be the same in one country.
_ORG_QUALIFIERS = ("Iberia", "Atlantic", "Trading", "International", "Europe", "Commerce", "Partners", "Services",
                   "Invest", "Maritime", "North", "South")
_FRUIT = ("Frutas del Estrecho", "Bananera del Pacífico", "Maasvlakte Fresh", "Tropical Harvest", "Verde Export",
          "Costa Fruit", "Golden Banana", "Fresh Line", "Andes Produce", "Puerto Fruits")
_PORTS = {"ES": ("Algeciras", "Valencia"), "NL": ("Rotterdam",), "BE": ("Antwerpen",)}
_MAKES = (("Mercedes-Benz", "Sprinter"), ("Ford", "Transit"), ("Volkswagen", "Crafter"), ("Renault", "Master"),
          ("Fiat", "Ducato"), ("BMW", "X5"), ("Audi", "A6"), ("Volkswagen", "Golf"), ("Toyota", "Corolla"),
          ("Dacia", "Logan"), ("Opel", "Astra"), ("Škoda", "Octavia"))
_COLOURS = ("wit", "zwart", "grijs", "zilver", "blauw", "rood")
_BG_LETTERS = "АВЕКМНОРСТХУ"
_BG_LAT = dict(zip("АВЕКМНОРСТХУ", "ABEKMHOPCTXY"))


def _plate(country: str, serial: int) -> str:
    s = serial * 7_919 + 12_345
    L = "BDFGHJKLNPRSTVXZ"
    if country == "BG":
        region = ("СА", "СВ", "РВ", "В", "А", "Х", "Р")[s % 7]
        return f"{region} {1000 + s % 9000} {_BG_LETTERS[s // 7 % 12]}{_BG_LETTERS[s // 97 % 12]}"
    if country == "RO":
        return f"{('B', 'TM', 'AR', 'CT', 'CJ', 'GR')[s % 6]} {10 + s % 90} {L[s // 3 % 16]}{L[s // 11 % 16]}{L[s // 37 % 16]}"
    if country == "NL":
        return f"{L[s % 16]}{L[s // 5 % 16]}-{100 + s % 900}-{L[s // 13 % 16]}"
    if country == "DE":
        return f"{('M', 'B', 'HH', 'PA', 'K', 'F')[s % 6]}-{L[s // 3 % 16]}{L[s // 7 % 16]} {100 + s % 9000}"
    if country == "TR":
        return f"{(34, 22, 6, 35, 27)[s % 5]} {L[s // 3 % 16]}{L[s // 7 % 16]}{L[s // 11 % 16]} {100 + s % 900}"
    if country == "ES":
        return f"{1000 + s % 9000} {L[s // 3 % 16]}{L[s // 7 % 16]}{L[s // 11 % 16]}"
    return f"{country} {100000 + s % 900000}"


def plate_latin(plate: str) -> str:
    """A Bulgarian plate's Cyrillic letters written with the Latin look-alikes."""
    return "".join(_BG_LAT.get(ch, ch) for ch in plate)


# ---------------------------------------------------------------------------------------------
# Groups
# ---------------------------------------------------------------------------------------------
def _cycle(options, n: int) -> list:
    """``n`` items taken from ``options`` in turn (the standard case: ``n == len(options)``)."""
    return [options[i % len(options)] for i in range(n)]


def _pick(rng, options):
    return options[int(rng.integers(0, len(options)))]


def _dense(world: World, members: list[int], core: list[int], rate_core: float, rate: float, p_extra: float,
           profile: str) -> None:
    """Ties of a group: every member to one or two of the core, core among itself, plus random extra ties."""
    rng = world.rng
    for i, a in enumerate(core):
        for b in core[i + 1:]:
            world.tie(a, b, rate_core * rng.uniform(0.7, 1.4), profile)
    for m in members:
        if m in core:
            continue
        k = 1 + int(rng.random() < 0.5)
        for c in rng.choice(core, size=min(k, len(core)), replace=False):
            world.tie(int(c), m, rate * rng.uniform(0.6, 1.6), profile)
    for i, a in enumerate(members):
        for b in members[i + 1:]:
            if rng.random() < p_extra:
                world.tie(a, b, rate * rng.uniform(0.3, 1.0), profile)


def human_smuggling(world: World, cid: str) -> Community:
    rng = world.rng
    T = "human_smuggling"
    night = world.profile(T, "night")
    c = world.add_community(cid, T, "Smuggling ring moving migrants along TR-BG-RO-HU-AT-DE/NL "
                            "in vans, with safehouses and hawala payments", night)
    P = world.person
    leader = P("TR", "TR", cid, "leader")
    recruiters = [P(_pick(rng, ("SY", "IQ")), "TR", cid, "recruiter") for _ in range(world.count(2, T))]
    forger = P("TR", "TR", cid, "forger")
    coord = P("BG", "BG", cid, "coordinator")
    drivers = []
    for _ in range(world.count(4, T, 3)):
        nat = _pick(rng, ("BG", "RO"))
        drivers.append(P(nat, nat, cid, "driver"))
    keepers = [P(nat, res, cid, "safehouse") for nat, res in
               _cycle((("BG", "BG"), ("RO", "RO"), ("RO", "HU"), ("TR", "AT")), world.count(4, T, 2))]
    receivers = [P(_pick(rng, ("SY", "IQ")), _pick(rng, ("NL", "DE")), cid, "receiver")
                 for _ in range(world.count(2, T))]
    hawala = P("IQ", "DE", cid, "hawala_banker")
    members = c.members
    _dense(world, members, [leader, coord, hawala], 0.35, 0.16, 0.12, night)
    for r in recruiters + [forger]:
        world.tie(leader, r, 0.2, night)
    for d in drivers:
        world.tie(coord, d, 0.25, night)
        for k in keepers[:2] if d % 2 else keepers[2:]:
            world.tie(d, k, 0.12, night)
    for r in receivers:
        world.tie(r, drivers[-1], 0.1, night)
        world.tie(r, hawala, 0.08, night)
    # the police know some of the ties, and family between two drivers
    if world.has("assoc"):
        for a, b in [(leader, coord), (coord, drivers[0]), (coord, drivers[1]), (drivers[2], keepers[1]),
                     (leader, hawala)]:
            world.assoc.append((a, b, "medeplichtige"))
        world.family.append((drivers[0], drivers[1]))
    # vans along the route; the drivers use the route's border cells
    for d in drivers if world.has("vehicles") else []:
        country = world.persons[d].residence
        make, model = _MAKES[int(rng.integers(0, 5))]
        s = world.next_serial()
        world.vehicles.append(Vehicle(f"V{len(world.vehicles) + 1:05d}", _plate(country, s), country, make, model,
                                      _pick(rng, _COLOURS), d, cid))
        if world.has("border_cells"):
            world.persons[d].cells = [cell for cc in ROUTE for cell in BORDER_CELLS[cc]]
    # hawala: the banker pays the coordinator and the drivers per trip
    acc = {m: [world.account(world.persons[m].residence)] for m in [hawala, coord, leader] + drivers}
    acc[hawala].append(world.account("TR"))
    for m, a in acc.items():
        world.persons[m].accounts = a
    if world.has("hawala"):
        for d in drivers:
            world.flows.append((acc[hawala][0], acc[d][0], int(rng.integers(3, 7)), np.log(1500), 0.4, "EUR"))
        world.flows.append((acc[hawala][0], acc[coord][0], 6, np.log(6000), 0.3, "EUR"))
        world.flows.append((acc[hawala][1], acc[leader][0], 5, np.log(12000), 0.3, "EUR"))
    c.extra_countries |= set(ROUTE) | {"NL"}
    return c


def drug_trafficking(world: World, cid: str) -> Community:
    rng = world.rng
    T = "drug_trafficking"
    eve = world.profile(T, "evening")
    c = world.add_community(cid, T, "Cocaine importation from CO/EC in banana containers through "
                            "Algeciras, Rotterdam and Antwerp, with port insiders, front companies and cash couriers",
                            eve)
    P = world.person
    leader = P("NL", "NL", cid, "leader")
    suppliers = [P("CO", "CO", cid, "supplier") for _ in range(world.count(2, T))]
    agent = P("EC", "EC", cid, "shipping_agent")
    insiders = [P(nat, nat, cid, "port_insider") for nat in _cycle(("ES", "ES", "NL", "NL", "BE"),
                                                                    world.count(5, T, 5))]
    coord_es = P("ES", "ES", cid, "coordinator")
    coord_be = P("AL", "BE", cid, "coordinator")
    couriers = [P(nat, res, cid, "courier") for nat, res in
                _cycle((("AL", "NL"), ("NL", "ES"), ("ES", "BE")), world.count(3, T, 3))]
    distributors = [P(nat, res, cid, "distributor") for nat, res in
                    _cycle((("MA", "NL"), ("AL", "BE")), world.count(2, T))]
    members = c.members
    _dense(world, members, [leader, coord_es, coord_be], 0.3, 0.14, 0.1, eve)
    for s in suppliers:
        world.tie(s, leader, 0.12, eve)
        world.tie(s, agent, 0.15, eve)
    for i in insiders[:2]:
        world.tie(coord_es, i, 0.2, eve)
    for i in insiders[2:4]:
        world.tie(leader, i, 0.2, eve)
    for i in insiders[4:]:
        world.tie(coord_be, i, 0.2, eve)
    for k in couriers:
        world.tie(k, _pick(rng, (coord_es, coord_be, leader)), 0.15, eve)
    for d in distributors:
        world.tie(d, leader, 0.15, eve)
    if world.has("bursts"):
        c.bursts = sorted(int(x) for x in rng.choice(np.arange(15, DAYS - 5), size=3, replace=False))
    if world.has("assoc"):
        for a, b in [(leader, coord_es), (leader, insiders[2]), (coord_be, couriers[2]), (leader, distributors[0])]:
            world.assoc.append((a, b, "medeplichtige"))
    # front companies and their accounts, vessels
    if world.has("front_companies"):
        s = world.next_serial()
        fruit = _FRUIT[s % len(_FRUIT)]
        f_es = world.org(f"{fruit} {_LEGAL['ES']}", "ES", cid, "front_company", "fruit import")
        f_nl = world.org(f"{_FRUIT[(s + 3) % len(_FRUIT)]} Logistics {_LEGAL['NL']}", "NL", cid, "front_company", "logistics")
        f_ec = world.org(f"Exportadora {_FRUIT[(s + 5) % len(_FRUIT)]} {_LEGAL['EC']}", "EC", cid, "front_company",
                         "fruit export")
        for o in (f_es, f_nl, f_ec):
            world.orgs[o].accounts = [world.account(world.orgs[o].country if world.orgs[o].country != "EC" else "ES")]
        world.directorships += [(coord_es, f_es, "director"), (leader, f_nl, "director"), (agent, f_ec, "director")]
        world.ownerships.append(("P", leader, f_nl, 100.0))
        for k in range(2 if world.has("vessels") else 0):
            sv = world.next_serial()
            world.vessels.append({"true_id": f"VS{len(world.vessels) + 1:04d}", "name": f"MV {_PICK_SHIP[sv % 9]}",
                                  "imo": f"{9_100_000 + sv * 137 % 800_000}", "flag": _pick(rng, ("PA", "LR", "MT")),
                                  "community": cid, "operator": f_ec})
    for acc_m in [leader, coord_es, coord_be] + couriers:
        world.persons[acc_m].accounts = [world.account(world.persons[acc_m].residence)]
    if world.has("front_companies"):
        es, nl, ec = (world.orgs[o].accounts[0] for o in (f_es, f_nl, f_ec))
        world.flows.append((es, ec, 3, np.log(180_000), 0.3, "USD"))
        world.flows.append((nl, ec, 2, np.log(90_000), 0.3, "EUR"))
    for k in couriers:
        world.flows.append((world.persons[k].accounts[0], world.persons[leader].accounts[0], 4, np.log(9000), 0.2, "EUR"))
    c.extra_countries |= {"CO", "EC", "ES", "NL", "BE"}
    return c


_PICK_SHIP = ("ARIANA", "LUCIA", "PAOLA", "TERESA", "SOPHIA", "GIULIA", "ROSA", "VALERIA", "MAYA")


def cybercrime(world: World, cid: str) -> Community:
    rng = world.rng
    s = world.next_serial()
    group = f"{_ADJ[s % len(_ADJ)]} {_ANIMAL[(s // 3) % len(_ANIMAL)]}"
    malware = f"{_ANIMAL[(s // 3) % len(_ANIMAL)]}Lock"
    T = "cybercrime"
    late = world.profile(T, "late")
    c = world.add_community(cid, T, f"Ransomware group '{group}' ({malware}): C2 servers and leak "
                            "site in several countries, crypto wallets, money mules cashing out", late)
    P = world.person
    admin = P("RU", "RU", cid, "admin")
    dev = P(_pick(rng, ("UA", "RU")), "UA", cid, "developer")
    negotiator = P("RU", "RU", cid, "negotiator")
    affiliates = [P(nat, nat, cid, "affiliate") for nat in _cycle(("RO", "BG"), world.count(2, T))]
    mules = [P(nat, res, cid, "mule") for nat, res in
             _cycle((("RO", "RO"), ("BG", "BG"), ("NG", "NL"), ("ES", "ES")), world.count(4, T))]
    cashout = P("NG", "NL", cid, "cashout")
    members = c.members
    _dense(world, members, [admin, dev, cashout], 0.3, 0.15, 0.12, late)
    world.tie(admin, negotiator, 0.25, late)
    for a in affiliates:
        world.tie(admin, a, 0.18, late)
    for m in mules:
        world.tie(cashout, m, 0.18, late)
        world.tie(_pick(rng, affiliates), m, 0.08, late)
    if world.has("assoc"):
        world.assoc.append((cashout, mules[-1], "medeplichtige"))
    ip_countries = ["NL", "DE", "RO", "RU", "BG"]
    # addresses from the benchmarking block 198.18.0.0/15 and names under reserved TLDs (RFC 2544,
    # RFC 2606/6761), so that no real host or domain is ever labelled malicious
    ips = []
    for cc in ip_countries:
        second = _pick(rng, (18, 19, 18, 19, 18))
        third, fourth = int(rng.integers(1, 255)), int(rng.integers(0, 255))
        rng.integers(2, 254)  # a spare draw: the random stream (and the committed sample) stay as they were
        ips.append((f"198.{second}.{third}.{fourth}", cc))
    tlds = (".example", ".test", ".example.net", ".invalid", ".example.org")
    stem = malware.lower().replace("lock", "")
    domains = [(f"{stem}-{w}{int(rng.integers(10, 99))}{_pick(rng, tlds)}", _pick(rng, ip_countries))
               for w in ("update", "cdn", "files", "support")]
    servers = [(f"{group} C2 server {i + 1}", i, i) for i in range(2)] + [(f"{group} leak site", 2, 3)]
    wallets = [(_btc_address(rng), "BTC"), (_btc_address(rng), "BTC"), (_eth_address(rng), "ETH")]
    hashes = ["".join(rng.choice(list("0123456789abcdef"), size=64)) for _ in range(3)]
    victims = []
    for i in range(3):
        cc = _pick(rng, ("NL", "DE", "ES", "RO", "BE", "AT"))
        victims.append(world.org(f"{_SHELL_WORDS[(s + i * 5) % len(_SHELL_WORDS)]} "
                                 f"{_pick(rng, ('Hospital', 'Municipality', 'Logistics', 'Manufacturing'))} "
                                 f"{_LEGAL.get(cc, 'Ltd')}", cc, "", "victim"))
    cyber = (Cyber(cid, group, malware, {"admin": [admin], "developer": [dev], "negotiator": [negotiator],
                                                   "affiliate": affiliates, "mule": mules, "cashout": [cashout]},
                             domains, ips, servers, wallets, hashes, victims))
    if world.has("stix"):
        world.cyber.append(cyber)
        for w, _ in wallets:
            world.wallet_owner[w] = admin
    for m in mules + [cashout, admin]:
        world.persons[m].accounts = [world.account(world.persons[m].residence)]
    # fraud proceeds land on the mules' accounts and go on to the cash-out man
    for v in victims:
        world.orgs[v].accounts = [world.account(world.orgs[v].country)]
    for i, m in enumerate(mules if world.has("mules") else []):
        world.flows.append((world.orgs[victims[i % len(victims)]].accounts[0], world.persons[m].accounts[0], 2,
                            np.log(8000), 0.3, "EUR"))
        world.flows.append((world.persons[m].accounts[0], world.persons[cashout].accounts[0], 3, np.log(4500), 0.3,
                            "EUR"))
    c.extra_countries |= set(ip_countries)
    return c


def _btc_address(rng) -> str:
    alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    return "bc1q" + "".join(rng.choice(list(alphabet), size=38))


def _eth_address(rng) -> str:
    return "0x" + "".join(rng.choice(list("0123456789abcdef"), size=40))


def money_laundering(world: World, cid: str, clients: dict[str, Community]) -> Community:
    """The launderer's network; joined to ``clients`` (the other groups) by money and a few calls."""
    rng = world.rng
    T = "money_laundering"
    office = world.profile(T, "office")
    if not world.has("ml_clients"):
        clients = {}
    c = world.add_community(cid, T, "Professional money-laundering network: shell companies in "
                            "CY, MT, AE, LT and BE whose accounts receive from several criminal groups", office)
    P = world.person
    launderer = P(_pick(rng, ("TR", "NL")), "NL", cid, "launderer")
    accountant = P("BE", "BE", cid, "accountant")
    nominees = [P(nat, nat, cid, "nominee") for nat in _cycle(("RO", "BG", "ES"), world.count(3, T))]
    broker = P("SY", "DE", cid, "money_broker")
    exchanger = P("UA", "NL", cid, "crypto_exchanger")
    members = c.members
    _dense(world, members, [launderer, accountant], 0.3, 0.15, 0.15, office)
    world.tie(launderer, broker, 0.2, office)
    world.tie(launderer, exchanger, 0.2, office)
    if world.has("assoc"):
        world.assoc.append((launderer, accountant, "zakelijk"))
    s = world.next_serial()
    shells = []
    for i, cc in enumerate(("CY", "MT", "AE", "LT", "BE")):
        name = f"{_SHELL_WORDS[(s + i) % len(_SHELL_WORDS)]} {_SHELL_TRADE[(s + 2 * i) % len(_SHELL_TRADE)]} {_LEGAL[cc]}"
        o = world.org(name, cc, cid, "shell_company", "trading")
        world.orgs[o].accounts = [world.account(cc)]
        shells.append(o)
        director = nominees[i % len(nominees)] if i < 4 else accountant
        world.directorships.append((director, o, "director"))
        world.ownerships.append(("P", launderer if i % 2 == 0 else accountant, o, 100.0 if i % 2 == 0 else 50.0))
    world.ownerships.append(("O", shells[0], shells[1], 100.0))
    for m in (launderer, accountant, broker, exchanger):
        world.persons[m].accounts = [world.account(world.persons[m].residence)]
    shell_acc = [world.orgs[o].accounts[0] for o in shells]
    for i in range(len(shells) - 1):  # layering between the shells
        world.flows.append((shell_acc[i], shell_acc[i + 1], 3, np.log(60_000), 0.4, "EUR"))
    world.flows.append((shell_acc[-1], world.persons[launderer].accounts[0], 4, np.log(15_000), 0.3, "EUR"))
    world.flows.append((world.persons[broker].accounts[0], shell_acc[0], 3, np.log(25_000), 0.3, "EUR"))
    world.flows.append((world.persons[exchanger].accounts[0], shell_acc[2], 3, np.log(30_000), 0.3, "EUR"))
    # the joins: money from each client group, and a few calls with its leaders
    for client in clients.values():
        heads = [m for m in client.members if world.persons[m].role in
                 ("leader", "hawala_banker", "admin", "cashout", "coordinator")]
        payer = next((m for m in heads if world.persons[m].accounts), None)
        if payer is not None:
            world.flows.append((world.persons[payer].accounts[0], _pick(rng, shell_acc), 3, np.log(40_000), 0.3, "EUR"))
        for h in heads[:2]:
            contact = broker if client.typology == "human_smuggling" else \
                exchanger if client.typology == "cybercrime" else launderer
            world.tie(contact, h, 0.05, office)
        cyber = next((cb for cb in world.cyber if cb.community == client.cid), None)
        if cyber is not None:
            world.wallet_owner[cyber.wallets[1][0]] = exchanger
    c.extra_countries |= {"CY", "MT", "AE", "LT", "BE", "NL"}
    return c


def other_group(world: World, cid: str, flavour: int) -> Community:
    rng = world.rng
    if flavour % 2 == 0:
        c = world.add_community(cid, "other", "Car-theft ring stealing premium cars in NL/BE and moving them east",
                                "day")
        nats = ("RO", "RO", "BG", "NL", "BG", "RO")
    else:
        c = world.add_community(cid, "other", "Counterfeit-goods traders importing fake brand clothing",
                                "day")
        nats = ("TR", "TR", "DE", "NL", "TR")
    nats = _cycle(nats, world.count(len(nats), "other", 3))
    ids = [world.person(n, n if rng.random() < 0.5 else _pick(rng, ("NL", "BE", "DE")), cid,
                        "leader" if i == 0 else "member") for i, n in enumerate(nats)]
    day = world.profile("other", "day")
    _dense(world, ids, ids[:2], 0.25, 0.15, 0.3, day)
    if world.has("assoc"):
        world.assoc.append((ids[0], ids[1], "medeplichtige"))
    if flavour % 2 == 0 and world.has("vehicles"):
        for m in ids[1:4]:
            make, model = _MAKES[5 + int(rng.integers(0, 3))]
            world.vehicles.append(Vehicle(f"V{len(world.vehicles) + 1:05d}", _plate("NL", world.next_serial()), "NL",
                                          make, model, _pick(rng, _COLOURS), m, cid))
    return c


def background(world: World, n: int, anchors: list[int]) -> list[int]:
    """Ordinary people in circles of family and friends, calling and paying each other.

    A few of them know a group member (``anchors``): weak ties that real data always has.
    """
    rng = world.rng
    ids = []
    hosts = ("NL", "DE", "ES", "BE", "RO", "BG", "TR", "AT")
    while len(ids) < n:
        size = int(rng.integers(3, 8))
        nat = str(rng.choice(list(N.COUNTRY_WEIGHTS), p=np.array(list(N.COUNTRY_WEIGHTS.values())) /
                             sum(N.COUNTRY_WEIGHTS.values())))
        res = nat if nat in hosts or rng.random() < 0.4 else _pick(rng, hosts)
        cid = ""
        if world.var.label_background and size >= 4 and rng.random() < 0.35:
            cid = f"SC{len(world.communities) + 1:03d}"
            world.add_community(cid, "other", "A circle of family and friends with no criminal purpose", "day")
        circle = [world.person(nat if rng.random() < 0.85 else _pick(rng, list(N.POOLS)), res, cid,
                               "member" if cid else "") for _ in range(size)]
        for i, a in enumerate(circle):
            for b in circle[i + 1:]:
                if rng.random() < 0.6:
                    world.tie(a, b, 0.06 * rng.uniform(0.5, 1.5), "day")
        if size >= 2:
            world.family.append((circle[0], circle[1]))
        ids += circle
    ids = ids[:max(n, 1)]
    for a in ids:  # acquaintances outside the circle
        if rng.random() < 0.4:
            world.tie(a, int(rng.choice(ids)), 0.015, "day")
    for m in anchors:
        world.tie(m, int(rng.choice(ids)), 0.015, "day")
    for a in ids:
        if rng.random() < 0.45:
            world.persons[a].accounts = [world.account(world.persons[a].residence)]
    with_acc = [a for a in ids if world.persons[a].accounts]
    for a in with_acc:
        if rng.random() < 0.5 and len(with_acc) > 1:
            b = int(rng.choice(with_acc))
            if b != a:
                world.flows.append((world.persons[a].accounts[0], world.persons[b].accounts[0],
                                    int(rng.integers(1, 4)), np.log(150), 0.8, "EUR"))
    return ids


# ---------------------------------------------------------------------------------------------
# Identities and events
# ---------------------------------------------------------------------------------------------
def materialise(world: World) -> None:
    """Give every person an identity, phones and cells; plant the handset switches."""
    rng = world.rng
    n = len(world.persons)
    nat = [p.nationality for p in world.persons]
    res = [p.residence for p in world.persons]
    world.ident = make_identities(n, rng, nationalities=nat, residence=res, start=world.next_serial())
    world.rows = [SimpleNamespace(**r) for r in world.ident.to_dict("records")]
    world._serial += n + 1
    for p in world.persons:
        row = world.rows[p.idx]
        p.phones = [row.phone]
        cc = p.residence
        mcc = _MCC.get(cc, 204)
        if not p.cells:
            p.cells = [f"{mcc}{int(rng.integers(1, 10)):02d}-{int(rng.integers(100, 9999)):04d}-"
                       f"{int(rng.integers(10000, 65000))}" for _ in range(2)]
        p.address_key = f"{row.street} {row.house}, {row.city}"
    # leaders and a few others switch handsets once
    for c in world.communities.values():
        if c.typology in ("human_smuggling", "drug_trafficking", "cybercrime"):
            heads = [m for m in c.members if world.persons[m].role in ("leader", "admin", "coordinator")]
            for m in heads[:2 if c.typology == "drug_trafficking" else 1]:
                p = world.persons[m]
                new = N.make_phone(p.residence, world.next_serial() + 500_000, salt=3)
                when = START + timedelta(days=int(rng.integers(40, 80)), hours=int(rng.integers(0, 24)),
                                         minutes=int(rng.integers(0, 60)))
                world.switches.append((m, p.phones[0], new, when))
                p.phones.append(new)


def call_events(world: World) -> pd.DataFrame:
    """Calls drawn from the ties: Poisson counts, the group's hour profile, bursts before shipments."""
    rng = world.rng
    if not world.ties:
        return pd.DataFrame(columns=["caller", "callee", "start", "duration", "cell", "a", "b"])
    ta = np.array([t[0] for t in world.ties])
    tb = np.array([t[1] for t in world.ties])
    rate = np.array([t[2] for t in world.ties])
    prof = np.array([PROFILE_NAMES.index(t[3]) for t in world.ties])
    counts = rng.poisson(rate * DAYS)
    idx = np.repeat(np.arange(len(ta)), counts)
    m = len(idx)
    day = rng.random(m) * DAYS
    # bursts: a share of a drug group's calls fall in the three days before a shipment
    comm_of = np.array([world.persons[a].community for a in ta])
    for c in world.communities.values():
        if not c.bursts:
            continue
        sel = np.flatnonzero((comm_of[idx] == c.cid) & (rng.random(m) < 0.35))
        burst = np.array(c.bursts)[rng.integers(0, len(c.bursts), size=len(sel))]
        day[sel] = burst - rng.random(len(sel)) * 3
    hours = np.empty(m)
    for k, name in enumerate(PROFILE_NAMES):
        sel = np.flatnonzero(prof[idx] == k)
        w = PROFILES[name] / PROFILES[name].sum()
        hours[sel] = rng.choice(24, size=len(sel), p=w) + rng.random(len(sel))
    seconds = (np.floor(day) * 86400 + hours * 3600).astype(np.int64)
    seconds = np.clip(seconds, 0, DAYS * 86400 - 1)
    flip = rng.random(m) < 0.5
    a = np.where(flip, tb[idx], ta[idx])
    b = np.where(flip, ta[idx], tb[idx])
    duration = np.maximum(3, rng.lognormal(np.log(70), 0.9, size=m)).astype(int)
    times = _EPOCH + seconds.astype("timedelta64[s]")
    phone_a = np.array([world.persons[x].phones[0] for x in a], dtype=object)
    phone_b = np.array([world.persons[x].phones[0] for x in b], dtype=object)
    for person, old, new, when in world.switches:
        t = np.datetime64(when)
        after = times >= t
        phone_a[(a == person) & after] = new
        phone_b[(b == person) & after] = new
    cell_pick = rng.random(m)
    cells = np.array([world.persons[x].cells[int(u * len(world.persons[x].cells))] for x, u in zip(a, cell_pick)],
                     dtype=object)
    df = pd.DataFrame({"caller": phone_a, "callee": phone_b, "start": times, "duration": duration, "cell": cells,
                       "a": a, "b": b})
    return df.sort_values(["start", "caller", "callee"], kind="stable").reset_index(drop=True)


def transfer_events(world: World) -> pd.DataFrame:
    rng = world.rng
    rows = []
    for src, dst, n, mu, sigma, cur in world.flows:
        if src == dst:
            continue
        days = np.sort(rng.random(n) * DAYS)
        amounts = np.round(np.exp(rng.normal(mu, sigma, size=n)), 2)
        for d, amt in zip(days, amounts):
            seconds = int(d * 86400)
            hour = seconds // 3600 % 24
            if hour < 7:  # banks book in office hours
                seconds += (9 - hour) * 3600
            rows.append((src, dst, float(amt), cur, _EPOCH + np.timedelta64(min(seconds, DAYS * 86400 - 1), "s")))
    df = pd.DataFrame(rows, columns=["from_account", "to_account", "amount", "currency", "time"])
    return df.sort_values(["time", "from_account"], kind="stable").reset_index(drop=True)


def build_world(seed: int, scale: float = 1.0, variation: Variation | None = None) -> World:
    """The planted groups (``max(1, round(scale))`` copies of each template) and background people."""
    rng = np.random.default_rng(seed)
    var = variation or Variation()
    world = World(rng, scale, var)
    copies = max(1, int(round(scale)))
    want = set(var.templates)
    for k in range(copies):
        made = {}
        if "human_smuggling" in want:
            made["hs"] = human_smuggling(world, f"HS{k + 1:02d}")
        if "drug_trafficking" in want:
            made["dt"] = drug_trafficking(world, f"DT{k + 1:02d}")
        if "cybercrime" in want:
            made["cy"] = cybercrime(world, f"CY{k + 1:02d}")
        if "money_laundering" in want:
            money_laundering(world, f"ML{k + 1:02d}", dict(made))
        if "hs" in made and "dt" in made:
            # a family tie across groups: a driver's cousin is a courier (a broker between the groups)
            driver = next(m for m in made["hs"].members if world.persons[m].role == "driver")
            courier = next(m for m in made["dt"].members if world.persons[m].role == "courier")
            world.family.append((driver, courier))
            world.tie(driver, courier, 0.03, "day")
        for f in range(var.n_other):
            other_group(world, f"OT{k * var.n_other + f + 1:02d}", f)
    anchors = [m for c in world.communities.values() for m in c.members[:: max(1, len(c.members) // 2)]]
    background(world, int(round(110 * scale * var.background)), anchors)
    materialise(world)
    return world
