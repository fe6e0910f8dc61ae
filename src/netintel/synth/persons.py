"""Person records from several agencies with their true identities: the entity-resolution benchmark.

:func:`person_records` invents ``n`` records of fictional people as partner agencies report them
(each agency writes names in its own way, see :mod:`netintel.synth.names`) and returns them with
the truth (which records are the same person). :func:`make_identities` and :func:`render_records`
are the two steps; the case generator (:mod:`netintel.synth.case`) uses them for its own people.

Examples
--------
>>> records, truth = person_records(200, seed=3)
>>> len(records), bool(records.true_id.isin(truth.true_id).all())
(200, True)
>>> int(records.groupby("true_id").size().max()) > 1     # some people are reported more than once
True
>>> records.equals(person_records(200, seed=3)[0])
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from . import names as N

__all__ = ["AgencyStyle", "DEFAULT_AGENCIES", "person_records", "make_identities", "render_records",
           "RECORD_COLUMNS"]

#: Columns of :func:`person_records`'s records frame.
RECORD_COLUMNS = ["record_id", "agency", "country", "first_name", "last_name", "full_name", "birth_date", "gender",
                  "nationality", "address", "city", "phone", "email", "id_number", "true_id"]


@dataclass(frozen=True)
class AgencyStyle:
    """How one agency writes people.

    Parameters
    ----------
    name, country : the agency as it appears in provenance, and its ISO2 country.
    code : short prefix of its record ids.
    script : ``latin``, ``cyrillic`` (Cyrillic names in Cyrillic, foreign names often too) or
        ``arabic`` (Arabic-pool names often in Arabic script).
    order : full-name order: ``given_first`` ("Aleksandr Petrov"), ``surname_first``
        ("PETROV Aleksandr") or ``comma`` ("Petrov, Aleksandr").
    upper_surname : surnames in capitals.
    translit : preferred transliteration scheme of Cyrillic names (``names.TRANSLIT_SCHEMES``).
    date_format : the agency's full-date format (used when writing files).
    precision : probabilities of a birth date given to the day, to the month, the year only, or missing.
    p_phone, p_email, p_id, p_address : how often each attribute is filled.
    """

    name: str
    country: str
    code: str
    script: str = "latin"
    order: str = "given_first"
    upper_surname: bool = False
    translit: str = "bgn"
    date_format: str = "%Y-%m-%d"
    precision: tuple[float, float, float, float] = (0.82, 0.04, 0.10, 0.04)
    p_phone: float = 0.6
    p_email: float = 0.3
    p_id: float = 0.3
    p_address: float = 0.6
    locale_names: dict[str, str] = field(default_factory=dict)


DEFAULT_AGENCIES: tuple[AgencyStyle, ...] = (
    AgencyStyle("Politie Nederland", "NL", "NLP", date_format="%d-%m-%Y", translit="english"),
    AgencyStyle("Policía Nacional", "ES", "ESP", upper_surname=True, date_format="%d/%m/%Y", translit="english"),
    AgencyStyle("ГДНП Bulgaria", "BG", "BGP", script="cyrillic", order="surname_first", upper_surname=True,
                translit="bulgarian", date_format="%d.%m.%Y"),
    AgencyStyle("Poliția Română", "RO", "ROP", order="surname_first", upper_surname=True, date_format="%d.%m.%Y",
                translit="english"),
    AgencyStyle("Bundeskriminalamt", "DE", "BKA", order="comma", translit="german", date_format="%d.%m.%Y",
                precision=(0.55, 0.10, 0.30, 0.05)),
    AgencyStyle("Emniyet Genel Müdürlüğü", "TR", "EGM", upper_surname=True, date_format="%d.%m.%Y", translit="icao"),
    AgencyStyle("DGSN Maroc", "MA", "DGSN", script="arabic", translit="french", date_format="%d/%m/%Y"),
)

_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "protonmail.com", "hotmail.com", "mail.ru", "abv.bg",
            "gmx.de", "yandex.ru", "icloud.com")
_POOL_KEYS = tuple(N.COUNTRY_WEIGHTS)


def make_identities(n: int, rng: np.random.Generator, *, nationality_weights: dict[str, float] | None = None,
                    residence: str | list[str] | None = None, id_prefix: str = "P",
                    start: int = 0, nationalities: list[str] | np.ndarray | None = None) -> pd.DataFrame:
    """``n`` fictional people: names from their country's pool, date of birth, residence, phone, ids.

    ``nationalities`` fixes each person's nationality (name pool); otherwise it is drawn from
    ``nationality_weights``. ``residence`` is one country, one per person, or drawn (mostly the
    nationality, a third abroad in a partner country). ``start`` offsets the serials that make
    ids, phones, e-mails and document numbers unique across calls. No two people of one call
    share an address by chance: the first 180 take distinct house numbers, later ones a flat
    number besides (``house`` is then text, ``"12-2"``).

    Returns one row per person: ``true_id, gender, nationality, given, surname, surname2,
    birth_year, birth_month, birth_day, residence, city, street, house, phone, email, id_number``
    (names in their native script; phones E.164).
    """
    if nationalities is not None:
        nat = np.asarray(nationalities, dtype=object).astype(str)
    else:
        weights = nationality_weights or N.COUNTRY_WEIGHTS
        keys = np.array(list(weights))
        probs = np.array(list(weights.values()), dtype=float)
        nat = keys[rng.choice(len(keys), size=n, p=probs / probs.sum())]
    gender = np.where(rng.random(n) < 0.78, "m", "f")  # criminal-case populations are mostly male
    u = rng.random((n, 4))
    given, surname, surname2 = [], [], []
    for i in range(n):
        pool = N.POOLS[nat[i]]
        names = pool.male if gender[i] == "m" else pool.female
        given.append(names[int(u[i, 0] * len(names))])
        sur = pool.surnames[int(u[i, 1] * len(pool.surnames))]
        if gender[i] == "f":
            sur = N.feminine_surname(sur, pool.country)
        surname.append(sur)
        surname2.append(pool.surnames[int(u[i, 2] * len(pool.surnames))] if pool.double_surname else "")
    year = rng.integers(1958, 2004, size=n)
    month = rng.integers(1, 13, size=n)
    day = rng.integers(1, 29, size=n)
    if residence is None:
        # most people live in their own country; a third abroad, in one of the partner countries
        abroad = rng.random(n) < 0.33
        hosts = np.array(["NL", "DE", "ES", "BE", "AT", "RO", "BG", "TR"])
        res = np.where(abroad, hosts[rng.integers(0, len(hosts), size=n)], nat)
    elif isinstance(residence, str):
        res = np.full(n, residence)
    else:
        res = np.array(residence)
    res = np.array([r if r in N.CITIES and r in N.PHONE_PLANS else "NL" for r in res])
    serial = start + np.arange(n)
    ids = [f"{id_prefix}{s:07d}" for s in serial]
    cities, streets, houses, phones, emails, docs = [], [], [], [], [], []
    for i in range(n):
        r = res[i]
        cities.append(N.CITIES[r][int(u[i, 3] * len(N.CITIES[r]))])
        st = N.STREETS[r]
        streets.append(st[(int(serial[i]) * 7) % len(st)])
        # 180 people in a row get 180 different house numbers; from the 181st on, a flat number
        # ("12-2") keeps unrelated people from sharing a home by chance, however large the case
        house, flat = int(1 + (serial[i] * 13) % 180), i // 180
        houses.append(house if flat == 0 else f"{house}-{flat + 1}")
        phones.append(N.make_phone(r, int(serial[i]), salt=len(id_prefix)))
        local = _email_local(given[i], surname[i])
        emails.append(f"{local}{int(serial[i]) % 97}@{_DOMAINS[int(serial[i]) % len(_DOMAINS)]}")
        docs.append(f"{nat[i]}{chr(65 + int(serial[i]) % 26)}{(int(serial[i]) * 7_919 + 1_000_003) % 10_000_000:07d}")
    return pd.DataFrame({
        "true_id": ids, "gender": gender, "nationality": nat, "given": given, "surname": surname,
        "surname2": surname2, "birth_year": year, "birth_month": month, "birth_day": day, "residence": res,
        "city": cities, "street": streets, "house": houses, "phone": phones, "email": emails, "id_number": docs,
    })


@lru_cache(maxsize=65536)
def _email_local(given: str, surname: str) -> str:
    local = N.strip_diacritics(N.cyrillic_to_latin(given) + "." + N.cyrillic_to_latin(surname)).lower()
    return "".join(ch for ch in local if ch.isalnum() or ch == ".")


def _latin(text: str, scheme: str) -> str:
    return N.cyrillic_to_latin(text, scheme) if N.is_cyrillic(text) else text


def render_records(identities: pd.DataFrame | dict[str, np.ndarray], rows: np.ndarray, agencies: list[AgencyStyle],
                   agency_of: np.ndarray, rng: np.random.Generator, *,
                   record_ids: list[str] | None = None, iso_dates: bool = True) -> pd.DataFrame:
    """Write identity ``rows`` as ``agencies[agency_of]`` report them (names, dates, phones, ids vary).

    ``identities`` comes from :func:`make_identities`; ``rows`` indexes it (one entry per record),
    ``agency_of`` indexes ``agencies``. Returns :data:`RECORD_COLUMNS` (``birth_date`` ISO-like,
    possibly partial, when ``iso_dates``; otherwise full dates in the agency's own format) plus
    ``phone_e164`` (the true number behind the written one, empty when none is written).
    """
    m = len(rows)
    u = rng.random((m, 16))
    schemes = tuple(N.TRANSLIT_SCHEMES)
    # a dict of column arrays may be passed instead of the frame (callers that render many times)
    ident = identities if isinstance(identities, dict) else {c: identities[c].to_numpy() for c in identities.columns}
    out: dict[str, list] = {c: [] for c in RECORD_COLUMNS + ["phone_e164"]}
    counters: dict[str, int] = {}
    for j in range(m):
        i = int(rows[j])
        ag = agencies[int(agency_of[j])]
        uj = u[j]
        nat = ident["nationality"][i]
        pool = N.POOLS[nat]
        given, surname, surname2 = ident["given"][i], ident["surname"][i], ident["surname2"][i]
        # 1. short form of the given name
        if uj[0] < 0.07:
            nicks = N.nicknames(given)
            if nicks:
                given = nicks[int(uj[1] * len(nicks))]
        # 2. script and spelling
        if pool.script == "cyrillic":
            if ag.script == "cyrillic" and uj[2] < 0.9:
                pass  # written as the person's own documents write it
            else:
                scheme = ag.translit if uj[3] < 0.6 else schemes[int(uj[4] * len(schemes))]
                given, surname = _latin(given, scheme), _latin(surname, scheme)
        elif pool.script == "arabic":
            if ag.script == "arabic" and uj[2] < 0.7 and N.to_arabic(given) and N.to_arabic(surname):
                given, surname = N.to_arabic(given), N.to_arabic(surname)
            elif uj[3] >= 0.55:
                alt_g, alt_s = N.arabic_spellings(given), N.arabic_spellings(surname)
                if alt_g and uj[4] < 0.6:
                    given = alt_g[int(uj[5] * len(alt_g))]
                if alt_s and uj[4] > 0.3:
                    surname = alt_s[int(uj[5] * len(alt_s))]
        else:
            if ag.script == "cyrillic" and uj[2] < 0.3:
                given, surname = N.latin_to_cyrillic(given), N.latin_to_cyrillic(surname)
                surname2 = N.latin_to_cyrillic(surname2) if surname2 else ""
        # 3. Spanish-style second surname kept or not
        if surname2:
            keep = 0.85 if ag.country in ("ES", "CO", "EC") else 0.3
            if uj[6] < keep:
                surname = f"{surname} {surname2}"
        # 4. diacritics dropped by a foreign or ASCII-only system
        if not (N.is_cyrillic(surname) or N.is_arabic(surname)):
            if uj[7] < (0.1 if ag.country == nat else 0.6):
                given, surname = N.strip_diacritics(given), N.strip_diacritics(surname)
        # 5. one typing error
        if uj[8] < 0.035:
            surname = N.typo(surname, rng)
        elif uj[8] > 0.975:
            given = N.typo(given, rng)
        # 6. capitals and order
        if ag.upper_surname:
            surname = surname.upper()
        first, last = given, surname
        if uj[9] < 0.03:  # given name and surname entered in each other's field
            first, last = last, first
        if ag.order == "surname_first":
            full = f"{surname} {given}"
        elif ag.order == "comma":
            full = f"{surname}, {given}"
        else:
            full = f"{given} {surname}"
        # 7. birth date, to the day, the month, the year, or missing
        prec = ag.precision
        p = uj[10]
        y, mo, d = int(ident["birth_year"][i]), int(ident["birth_month"][i]), int(ident["birth_day"][i])
        if p < prec[0]:
            dob = N.format_birth_date(y, mo, d, "day", "%Y-%m-%d" if iso_dates else ag.date_format)
        elif p < prec[0] + prec[1]:
            dob = N.format_birth_date(y, mo, d, "month")
        elif p < prec[0] + prec[1] + prec[2]:
            dob = N.format_birth_date(y, mo, d, "year")
        else:
            dob = ""
        # 8. phone, e-mail, document, address
        phone = e164 = ""
        if uj[11] < ag.p_phone:
            e164 = ident["phone"][i]
            own = e164.startswith("+" + N.PHONE_PLANS[ident["residence"][i]].code) and ident["residence"][i] == ag.country
            styles = ("national", "compact_national", "e164", "international") if own else ("e164", "00", "international")
            phone = N.format_phone(e164, styles[int(uj[12] * len(styles))])
        email = ""
        if uj[13] < ag.p_email:
            email = ident["email"][i]
            email = email.upper() if uj[13] < ag.p_email * 0.1 else email
        doc = ident["id_number"][i] if uj[14] < ag.p_id else ""
        address = city = ""
        if uj[15] < ag.p_address:
            city = ident["city"][i]
            if ag.script != "cyrillic":
                city = _latin(city, "english")
            street = ident["street"][i]
            street = street if ag.script == "cyrillic" or not N.is_cyrillic(street) else _latin(street, "english")
            address = f"{street} {ident['house'][i]}, {city}"
        if record_ids is None:
            counters[ag.code] = counters.get(ag.code, 0) + 1
            rid = f"{ag.code}-{counters[ag.code]:07d}"
        else:
            rid = record_ids[j]
        gender = ident["gender"][i]
        for key, value in (("record_id", rid), ("agency", ag.name), ("country", ag.country), ("first_name", first),
                           ("last_name", last), ("full_name", full), ("birth_date", dob),
                           ("gender", gender.upper() if ag.country in ("DE", "AT") else gender),
                           ("nationality", nat if uj[5] > 0.08 else ""), ("address", address), ("city", city),
                           ("phone", phone), ("email", email), ("id_number", doc),
                           ("true_id", ident["true_id"][i]), ("phone_e164", e164)):
            out[key].append(value)
    return pd.DataFrame(out)


def person_records(n: int, *, seed: int, dup_rate: float = 0.4,
                   agencies: tuple[AgencyStyle, ...] | list[AgencyStyle] = DEFAULT_AGENCIES,
                   progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` person records from several agencies, and the truth of who is who.

    Parameters
    ----------
    n : number of records.
    seed : the same seed gives the same records.
    dup_rate : share of true people reported more than once (by 2 to 5 agencies; now and then
        twice by the same agency under two record ids).
    agencies : how each agency writes people (:data:`DEFAULT_AGENCIES`: Dutch, Spanish, Bulgarian
        in Cyrillic, Romanian, German, Turkish and Moroccan police).
    progress : show a tqdm bar (large ``n``).

    Returns
    -------
    records : one row per record, :data:`RECORD_COLUMNS` (``true_id`` is the truth; drop it
        before matching).
    truth : one row per true person: ``true_id, name, first_name, last_name, gender, birth_date,
        nationality, residence, city, phone, email, id_number, n_records`` (Latin script, full dates).
    """
    if n <= 0:
        raise ValueError("n must be positive")
    rng = np.random.default_rng(seed)
    agencies = list(agencies)
    n_ag = len(agencies)
    # records per person: 1, or 2-5 for the duplicated share
    mean_k = (1 - dup_rate) + dup_rate * 2.6
    n_ids = int(n / mean_k * 1.1) + 10
    extra = np.minimum(rng.geometric(0.6, size=n_ids) - 1, 3)
    k = np.where(rng.random(n_ids) < dup_rate, 2 + extra, 1)
    cum = np.cumsum(k)
    n_ids = int(np.searchsorted(cum, n) + 1)
    k = k[:n_ids].copy()
    k[-1] -= int(cum[n_ids - 1] - n)
    identities = make_identities(n_ids, rng)
    rows = np.repeat(np.arange(n_ids), k)
    # each person's records go to distinct agencies (a random order of agencies per person) ...
    order = np.argsort(rng.random((n_ids, n_ag)), axis=1)
    pos = np.arange(len(rows)) - np.repeat(cum[:n_ids] - k, k)
    agency_of = order[rows, np.minimum(pos, n_ag - 1)]
    # ... except now and then the same agency twice (two files, two record ids)
    same = (pos > 0) & (rng.random(len(rows)) < 0.03)
    agency_of[same] = order[rows[same], 0]
    shuffle = rng.permutation(len(rows))
    rows, agency_of = rows[shuffle], agency_of[shuffle]
    if progress:
        from tqdm.auto import tqdm
        parts = []
        chunk = 100_000
        for start in tqdm(range(0, len(rows), chunk), desc="person records"):
            parts.append(render_records(identities, rows[start:start + chunk], agencies,
                                        agency_of[start:start + chunk], rng))
        records = pd.concat(parts, ignore_index=True)
    else:
        records = render_records(identities, rows, agencies, agency_of, rng)
    # record ids: per agency, in order of appearance
    codes = np.array([a.code for a in agencies])[agency_of]
    seq = pd.Series(codes).groupby(codes).cumcount().to_numpy() + 1
    records["record_id"] = [f"{c}-{s:07d}" for c, s in zip(codes, seq)]
    records = records.drop(columns="phone_e164")
    truth = _truth_frame(identities, np.bincount(rows, minlength=n_ids))
    return records, truth


def _truth_frame(identities: pd.DataFrame, n_records: np.ndarray) -> pd.DataFrame:
    first = [_latin(g, "english") for g in identities.given]
    last = [(_latin(s, "english") + (" " + s2 if s2 else "")) for s, s2 in zip(identities.surname, identities.surname2)]
    return pd.DataFrame({
        "true_id": identities.true_id, "name": [f"{f} {l}" for f, l in zip(first, last)],
        "first_name": first, "last_name": last, "gender": identities.gender,
        "birth_date": [f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in zip(identities.birth_year, identities.birth_month,
                                                                      identities.birth_day)],
        "nationality": identities.nationality, "residence": identities.residence, "city": identities.city,
        "phone": identities.phone, "email": identities.email, "id_number": identities.id_number,
        "n_records": n_records,
    })
