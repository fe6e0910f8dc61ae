"""Is this person, number, account or plate known anywhere? Search across the pooled records.

:func:`search` answers one free-text query against every partner's entity records: names (any
script, spelling variant, nickname, swapped order), phone numbers (any national or international
writing, read as E.164 with ``phonenumbers``), IBANs and account numbers, crypto wallets, vehicle
plates, identity document numbers, e-mail addresses and handles. Hits come back ranked, each with
the reason it matched, grouped per partner agency.

The search runs on an index table in the workspace, ``search_index``: one row per name token key
or identifier key of every entity record, sorted by key so that DuckDB's zone maps skip all but a
few row groups for a lookup. It is built on the first search and brought up to date on every
later one, source by source (a re-imported or new source is indexed again, a removed one dropped;
``search_sources`` records which import of each source the index holds).

Name keys reuse entity resolution's normalisation (:mod:`netintel.resolve.normalize`): tokens are
transliterated and folded, given names mapped to their canonical variant
(``schema/name_variants.yaml``) and reduced to their consonant skeleton, so "Aleksandr PETROV",
"Petrov, Sasha" and "ПЕТРОВ Александр" share their keys; typing-error keys (the skeleton with
one consonant left out) find "Hadaf" for "Haddad". A record is a candidate when it holds the key
of every query token (all but one of three or more), at least one of them not a typing-error key;
it is a hit when each query token also agrees with one of its name tokens closely enough (same
canonical form, or Jaro-Winkler of the canonical forms of at least ``0.8`` on the same skeleton)
and its date of birth, where both say one, is compatible. Candidates are narrowed and scored on
the index's narrow columns (key, a number per written name, the name, the birth date) before any
whole row is read: 10-20 ms for an identifier and about 100 ms for a name on a workspace of 1M
person records (``benchmarks/bench_search.py``).

A search *for* a recipient country (``recipient=``) looks only at the records that country may
receive (:meth:`netintel.workspace.Workspace.releasable_mask`), before anything is ranked.

Examples
--------
>>> from netintel.cooperation._demo import demo_workspace
>>> ws = demo_workspace()
>>> found = search(ws, "0032 470 111222")
>>> found.interpreted_as
('chars:0032470111222', 'phone:+32470111222')
>>> found.hits[["agency", "reason"]].to_dict("records")[0]
{'agency': 'Police BE', 'reason': 'phone number +32 470 11 12 22 (written +32470111222)'}
>>> search(ws, "PEETERS, Marc").hits["label"].tolist()
['Marc Peeters']
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

from ._text import printable
from .errors import InputError, WorkspaceError
from .handling import Marking
from .resolve.normalize import (PartialDate, canonical_given, crypto_wallet, document, email, fold, iban, identifier_key,
                                name_tokens, phone_e164, skeleton)

if TYPE_CHECKING:  # pragma: no cover
    from .workspace import Workspace

__all__ = ["search", "SearchResult", "build_index", "query_keys", "HIT_COLUMNS", "format_phone"]

INDEX_TABLE = "search_index"
SOURCES_TABLE = "search_sources"
#: Columns of :attr:`SearchResult.hits`, in order.
HIT_COLUMNS = ["rank", "score", "agency", "country", "kind", "label", "field", "value", "reason", "entity_id",
               "source_record_id", "locator", "grading", "handling", "releasable_to"]

# Properties read as names (tokens keyed), per entity kind; every other property is an identifier.
_NAME_PROPS = {"person": ("name", "alias"), "organisation": ("name",), "threat_actor": ("name", "alias"),
               "vessel": ("name",)}
# Properties never searched: free text, dates, codes that identify nothing on their own.
_SKIP_PROPS = frozenset({"birth_date", "gender", "nationality", "role", "description", "currency", "country",
                         "jurisdiction", "type", "legal_form", "sector", "incorporation_date", "issue_date",
                         "expiry_date", "is_family", "family", "latitude", "longitude", "operator", "bank", "bic",
                         "holder", "service", "city", "postal_code", "street", "flag", "issuing_country", "asn",
                         "hosting_provider", "registrar", "make", "model", "colour", "first_name", "last_name"})
# How close two name tokens on one skeleton must be (Jaro-Winkler of their canonical forms).
_TOKEN_MIN = 0.8
# A token written with a typing error (a letter missing, doubled or swapped): Jaro-Winkler at least this.
_TYPO_MIN = 0.9
# Entity records keyed per slice when the index is built.
_SLICE = 100_000
_ABJAD = re.compile("[\u0590-\u06ff\u0750-\u077f]")
_DATE = re.compile(r"(?<![\w./-])(\d{1,2}[./-]\d{1,2}[./-]\d{4}|\d{4}-\d{2}-\d{2}|\d{4}-\d{2}|(?:19|20)\d{2})(?![\w./-])")
_RECORD_COLUMNS = ["birth_date", "kind", "label", "agency", "country", "source_record_id", "locator", "grading", "handling",
                   "releasable_to", "retain_until"]
_INDEX_COLUMNS = ["key", "entity_id", "source_id", "field", "value", *_RECORD_COLUMNS, "birth_year"]
# ``nid``: one number per written name of one record (a hash of entity, source and name), so that a
# name lookup groups integers, not strings; ``birth_year`` as :meth:`PartialDate.parse` reads it.
_INDEX_SQL = ("key VARCHAR, entity_id VARCHAR, source_id VARCHAR, field VARCHAR, value VARCHAR, birth_date VARCHAR, "
              "kind VARCHAR, label VARCHAR, agency VARCHAR, country VARCHAR, source_record_id VARCHAR, locator VARCHAR, "
              "grading VARCHAR, handling VARCHAR, releasable_to VARCHAR[], retain_until DATE, birth_year SMALLINT, "
              "nid UBIGINT")
_READABLE = {"phone": "phone number", "iban": "IBAN", "account": "account number", "email": "e-mail address",
             "wallet": "crypto wallet", "plate": "vehicle plate", "document": "document number",
             "chars": "identifier"}


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------
_LOOSE_MAP = (("tsch", "s"), ("sch", "s"), ("tch", "s"), ("ch", "h"), ("sh", "s"), ("zh", "s"), ("ts", "s"), ("dj", "d"),
              ("kh", "h"), ("ph", "f"), ("th", "t"), ("ck", "k"), ("x", "ks"), ("q", "k"), ("w", "v"), ("j", "i"),
              ("z", "s"), ("c", "k"), ("y", "i"))


@lru_cache(maxsize=500_000)
def _loose(token: str) -> str:
    """A token with transliteration spellings made one: Ж as "zh" or German "sch", Х as "kh" or "ch", Й as "j" or "y"."""
    s = re.sub(r"c(?=[eiy])", "s", fold(token).replace(" ", ""))
    for a, b in _LOOSE_MAP:
        s = s.replace(a, b)
    return re.sub(r"(.)\1+", r"\1", s)


@lru_cache(maxsize=500_000)
def _token_forms(token: str) -> tuple[str, ...]:
    """The forms one folded name token is compared in: itself, and without a glued Arabic article
    ("almaliki" is "al-maliki", which the name tokens already drop), and with doubled letters single."""
    forms = [token]
    m = re.match(r"(al|el|ul)(?=[a-z]{4,})", token)
    if m:
        forms.append(token[m.end():])
    single = re.sub(r"(.)\1+", r"\1", token)  # a doubled letter typed by mistake ("Jaan" for "Jan")
    if len(single) >= 3:
        forms.append(single)
    return tuple(dict.fromkeys(forms))


@lru_cache(maxsize=500_000)
def _token_key(token: str) -> tuple[str, str]:
    """(canonical form, name key) of one folded name token."""
    canon = canonical_given(token)
    return canon, "n:" + (skeleton(canon) or canon)


@lru_cache(maxsize=500_000)
def _token_keys(token: str) -> tuple[str, ...]:
    """Every name key of one folded token: consonant skeleton and loose skeleton of each form."""
    keys = []
    for form in _token_forms(token):
        canon, key = _token_key(form)
        keys.append(key)
        keys.append("l:" + (re.sub(r"[aeiouvh]", "", _loose(canon)) or _loose(canon)))
        # Ч is "ch" in English, "tsch" in German, "tch" in French
        che = re.sub(r"(tsch|tch|ch)", "c", fold(canon).replace(" ", ""))
        keys.append("c:" + (re.sub(r"[aeiouyvh]", "", _loose(che)) or che))
    return tuple(dict.fromkeys(keys))


@lru_cache(maxsize=500_000)
def _typo_keys(token: str, *, query: bool = False) -> tuple[str, ...]:
    """Keys that find a token typed with one consonant missing, extra or wrong ("Smit" / "Sit").

    A record holds ``d:`` + its skeleton with one consonant left out; a query looks those up with
    its own skeleton and its own one-out forms, and the record's ``n:`` keys with its one-out forms.
    """
    skel = _token_key(token)[1][2:]
    if len(skel) < (1 if query else 2):
        return ()
    outs = sorted({skel[:i] + skel[i + 1:] for i in range(len(skel))} - {""})
    if not query:
        return tuple("d:" + o for o in outs)
    return tuple(dict.fromkeys(["d:" + skel] + ["d:" + o for o in outs] + ["n:" + o for o in outs]))


def _whole_key(tokens: list[str]) -> str:
    """The name's letters without spaces, in written order: "RUIZR AMOS" is "Ruiz Ramos"."""
    return "w:" + "".join(tokens)


def _token_agreement(q: str, r: str, abjad: bool = False) -> tuple[float, str]:
    """How well one query token agrees with one record token: (0-1, how).

    ``abjad``: one side was written in Arabic or Hebrew script, without its short vowels, so the
    same consonant skeleton is enough.
    """
    best = (0.0, "")
    for qf in _token_forms(q):
        for rf in _token_forms(r):
            if qf == rf:
                return 1.0, "same"
            q_canon, q_key = _token_key(qf)
            r_canon, r_key = _token_key(rf)
            if q_canon == r_canon:
                cand = (0.98, "variant")
            else:
                jw = max(_jw(q_canon, r_canon), _jw(_loose(q_canon), _loose(r_canon)))
                same_sound = q_key == r_key or _loose(q_canon) == _loose(r_canon)
                if abjad and q_key == r_key:
                    cand = (0.92, "spelling")
                else:
                    cand = (0.85 + 0.1 * jw, "spelling") if jw >= _TOKEN_MIN and (same_sound or jw >= 0.9) \
                        else (0.0, "")
            best = max(best, cand)
    return best


def _chars(value: Any) -> str:
    """Letters and digits only, Latin script, upper case: how an identifier is keyed whatever its type."""
    return re.sub(r"[^A-Z0-9]", "", fold(value).upper())


def _record_names(kind: str, props: dict[str, Any]) -> list[str]:
    names = []
    for prop in _NAME_PROPS.get(kind, ()):
        for v in _values(props.get(prop)):
            names.append(str(v))
    if kind == "person" and (props.get("first_name") or props.get("last_name")):
        names.append(" ".join(str(props.get(p) or "") for p in ("first_name", "last_name")).strip())
    return [n for n in dict.fromkeys(names) if n.strip()]


def _values(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [x for x in v if x is not None and str(x).strip()]
    return [v] if str(v).strip() else []


def _identifier_keys(kind: str, prop: str, value: Any, country: str | None, props: dict[str, Any]) -> list[str]:
    """Every key one identifying value is found under: its canonical key and its bare characters."""
    keys = []
    key = identifier_key(kind, prop, value, country=country, properties=props)
    if key:
        head, _, rest = key.partition(":")
        if head == "document":  # the issuer is part of the canonical key; a query seldom says it
            rest = rest.partition(":")[2] or rest
        if head == "account":
            rest = rest.rpartition(":")[2]
        if head in ("phone", "iban", "account", "email", "wallet", "plate", "document"):
            keys.append(f"{head}:{rest}")
    chars = _chars(value)
    if len(chars) >= 4:
        keys.append(f"chars:{chars}")
    return list(dict.fromkeys(keys))


def _index_rows(ents: pd.DataFrame) -> pd.DataFrame:
    """Index rows of entity records (``properties`` decoded)."""
    rows: list[tuple] = []
    for eid, sid, kind, label, props, country in zip(ents["entity_id"], ents["source_id"], ents["kind"],
                                                     ents["label"], ents["properties"], ents["country"]):
        props = props or {}
        for name in _record_names(kind, props):
            tokens = name_tokens(name)
            for token in tokens:
                for key in _token_keys(token) + _typo_keys(token):
                    rows.append((key, eid, sid, "name", name))
            if len(tokens) > 1:
                rows.append((_whole_key(tokens), eid, sid, "name", name))
        for prop, value in props.items():
            if prop in _SKIP_PROPS or prop in _NAME_PROPS.get(kind, ()):
                continue
            for v in _values(value):
                if isinstance(v, (dict, bool, float)):
                    continue
                for key in _identifier_keys(kind, prop, v, country, props):
                    rows.append((key, eid, sid, prop, str(v)))
        if kind not in _NAME_PROPS and isinstance(label, str) and label.strip():
            # an identifier entity also goes by its label (a phone reported only as written)
            for key in _identifier_keys(kind, "label", label, country, props):
                rows.append((key, eid, sid, "label", label))
    frame = pd.DataFrame(rows, columns=["key", "entity_id", "source_id", "field", "value"])
    return frame.drop_duplicates(["key", "entity_id", "source_id", "field", "value"])


def build_index(ws: "Workspace", *, rebuild: bool = False) -> dict[str, int]:
    """Create or bring up to date the workspace's search index; returns what was done.

    Sources imported (or re-imported) since the index last saw them are indexed again; sources no
    longer in the workspace are dropped. ``rebuild`` starts from scratch.
    """
    con = ws.con
    if rebuild:
        con.execute(f"DROP TABLE IF EXISTS {INDEX_TABLE}")
        con.execute(f"DROP TABLE IF EXISTS {SOURCES_TABLE}")
    if ws.has_table(INDEX_TABLE) and "nid" not in [d[0] for d in
                                                   con.execute(f"SELECT * FROM {INDEX_TABLE} LIMIT 0").description]:
        # an index written by an earlier netintel: built again in the current layout
        con.execute(f"DROP TABLE {INDEX_TABLE}")
        con.execute(f"DROP TABLE IF EXISTS {SOURCES_TABLE}")
    fresh = not ws.has_table(INDEX_TABLE)
    if fresh or not ws.has_table(SOURCES_TABLE):
        con.execute(f"CREATE TABLE IF NOT EXISTS {INDEX_TABLE} ({_INDEX_SQL})")
        con.execute(f"CREATE TABLE IF NOT EXISTS {SOURCES_TABLE} (source_id VARCHAR, imported_at TIMESTAMP)")
    stale = con.execute(
        f"SELECT i.source_id FROM {SOURCES_TABLE} i LEFT JOIN sources s USING (source_id) "
        "WHERE s.source_id IS NULL OR s.imported_at IS DISTINCT FROM i.imported_at").fetchall()
    new = con.execute(
        f"SELECT s.source_id, s.imported_at FROM sources s LEFT JOIN {SOURCES_TABLE} i USING (source_id) "
        "WHERE i.source_id IS NULL OR s.imported_at IS DISTINCT FROM i.imported_at ORDER BY s.source_id").fetchall()
    if not stale and not new:
        return {"indexed_sources": 0, "dropped_sources": 0, "rows": 0}
    stale_ids = [r[0] for r in stale]
    new_ids = [r[0] for r in new]
    staging = "_netintel_search_staging"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {staging} AS SELECT * FROM {INDEX_TABLE} LIMIT 0")
    n_rows = 0
    if new_ids:
        con.execute("CREATE OR REPLACE TEMP TABLE _netintel_search_todo AS SELECT entity_id, source_id, properties, "
                    f"{', '.join(_RECORD_COLUMNS[1:])} FROM entities WHERE source_id IN (SELECT unnest(?))", [new_ids])
        total = con.execute("SELECT count(*) FROM _netintel_search_todo").fetchone()[0]
        # in slices, so that a workspace of millions of records never sits in Python at once
        for start in range(0, total, _SLICE):
            ents = ws.sql(f"SELECT * FROM _netintel_search_todo LIMIT {_SLICE} OFFSET {start}")
            ents["properties"] = [_loads(p) for p in ents["properties"]]
            ents["birth_date"] = [str(p["birth_date"]) if p.get("birth_date") else None for p in ents["properties"]]
            ents["birth_year"] = pd.array([PartialDate.parse(d).year if d else None for d in ents["birth_date"]],
                                          dtype="Int16")
            # The record's provenance travels in the index row: a lookup never reads the entities table.
            keyed = _index_rows(ents).merge(ents.drop(columns="properties").drop_duplicates(["entity_id", "source_id"]),
                                            on=["entity_id", "source_id"], how="left")[_INDEX_COLUMNS]
            con.register("_netintel_index_rows", keyed)
            con.execute(f"INSERT INTO {staging} SELECT *, hash(entity_id, source_id, value) FROM _netintel_index_rows")
            con.unregister("_netintel_index_rows")
            n_rows += len(keyed)
        con.execute("DROP TABLE _netintel_search_todo")
    con.execute("BEGIN TRANSACTION")
    try:
        gone = sorted(set(stale_ids) | set(new_ids))
        if gone:
            con.execute(f"DELETE FROM {INDEX_TABLE} WHERE source_id IN (SELECT unnest(?))", [gone])
            con.execute(f"DELETE FROM {SOURCES_TABLE} WHERE source_id IN (SELECT unnest(?))", [gone])
        if fresh:
            # One table sorted by key: zone maps let a lookup read only the row groups that hold the key.
            con.execute(f"DROP TABLE {INDEX_TABLE}")
            con.execute(f"CREATE TABLE {INDEX_TABLE} AS SELECT * FROM {staging} ORDER BY key")
        else:
            con.execute(f"INSERT INTO {INDEX_TABLE} SELECT * FROM {staging} ORDER BY key")
        if new:
            con.executemany(f"INSERT INTO {SOURCES_TABLE} VALUES (?, ?)", [list(r) for r in new])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute(f"DROP TABLE IF EXISTS {staging}")
    return {"indexed_sources": len(new_ids), "dropped_sources": len(set(stale_ids) - set(new_ids)), "rows": n_rows}


def _loads(p: Any) -> dict[str, Any]:
    import json

    if isinstance(p, str):
        try:
            value = json.loads(p)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return p or {}


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------
def query_keys(query: str, *, regions: Iterable[str] = ()) -> dict[str, str]:
    """What a query may be: index key -> how it was read ("phone number +31612345678", "name").

    ``regions`` are the countries tried for a phone number written without its country code
    (the partners of the workspace).

    >>> sorted(query_keys("06-12345678", regions=["NL"]))
    ['chars:0612345678', 'phone:+31612345678']
    >>> query_keys("emma.blom@protonmail.com")["email:emma.blom@protonmail.com"]
    'e-mail address emma.blom@protonmail.com'
    """
    text = re.sub(r"(?i)^(tel:|phone:|mailto:)", "", str(query).strip())
    keys: dict[str, str] = {}
    if not text:
        return keys
    if "@" in text:
        e = email(text)
        if e:
            keys[f"email:{e}"] = f"e-mail address {e}"
        handle = text.lstrip("@")
        if handle and _chars(handle):
            keys.setdefault(f"chars:{_chars(handle)}", f"handle {handle}")
        return keys
    digits = re.sub(r"\D", "", text)
    phoneish = bool(re.fullmatch(r"[\d\s+()./\-]+", text)) and 6 <= len(digits) <= 17
    if phoneish:
        for region in [None, *sorted({r.upper() for r in regions if r})]:
            if region is None and not (text.startswith("+") or text.startswith("00")):
                continue
            number = phone_e164(text, region)
            if number:
                keys.setdefault(f"phone:{number}", f"phone number {format_phone(number)}")
    i = iban(text)
    if i:
        keys[f"iban:{i}"] = f"IBAN {i}"
    w = crypto_wallet(text) if re.fullmatch(r"(0[xX][0-9a-fA-F]{40}|[13][1-9A-HJ-NP-Za-km-z]{25,34}|"
                                           r"(?i:bc1|ltc1|tb1)[0-9a-z]{8,87}|T[1-9A-HJ-NP-Za-km-z]{33})", text) else None
    if w:
        keys[f"wallet:{w}"] = f"crypto wallet {w}"
    chars = _chars(text)
    if chars and any(ch.isdigit() for ch in chars) and len(chars) >= 4:
        if not phoneish and not i and not w:
            keys[f"plate:{chars}"] = f"vehicle plate {chars}"
            keys[f"document:{document(text) or chars}"] = f"document number {chars}"
            keys[f"account:{chars}"] = f"account number {chars}"
        keys.setdefault(f"chars:{chars}", f"identifier {chars}")
    return keys


def format_phone(number: str) -> str:
    """A phone number in the one readable form netintel prints: ``phonenumbers`` INTERNATIONAL.

    >>> format_phone("+31612345678")
    '+31 6 12345678'
    >>> format_phone("not a number")
    'not a number'
    """
    import phonenumbers

    try:
        parsed = phonenumbers.parse(str(number), None)
    except phonenumbers.NumberParseException:
        return str(number)
    if not phonenumbers.is_possible_number(parsed):
        return str(number)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _jw(a: str, b: str) -> float:
    from rapidfuzz.distance import JaroWinkler

    return float(JaroWinkler.similarity(a, b))


def _name_score(query_tokens: list[str], name: str, *, query_abjad: bool = False) -> tuple[float, str]:
    """How well a name as written agrees with the query's tokens: (score 0-1, reason).

    Every query token must agree with a token of the name (same, a given-name variant, a
    spelling or transliteration on the same skeleton, or a typo: Jaro-Winkler >= 0.85), except
    that a query of three or more tokens may have one the record lacks (a second surname).
    """
    rec = name_tokens(name)
    if not rec or not query_tokens:
        return 0.0, ""
    if len(rec) > 1 and len(query_tokens) > 1 and "".join(rec) == "".join(query_tokens) and rec != query_tokens:
        return 0.97, f"name {name!r}: the same letters, spaced otherwise"
    abjad = query_abjad or bool(_ABJAD.search(name))
    used: set[int] = set()
    scores, how, lacking = [], [], []
    for q in query_tokens:
        best, best_j, best_how = 0.0, -1, ""
        for j, r in enumerate(rec):
            if j in used:
                continue
            s, h = _token_agreement(q, r, abjad)
            if not s:
                jw = _jw(fold(q), fold(r))
                s, h = (0.8 + 0.15 * jw, "typo") if jw >= _TYPO_MIN and min(len(q), len(r)) >= 3 else (0.0, "")
            if s > best:
                best, best_j, best_how = s, j, h
        if best_j < 0:
            lacking.append(q)
            continue
        used.add(best_j)
        scores.append(best)
        how.append((q, rec[best_j], best_how))
    extra = len(rec) - len(used)
    # a token may be lacking (a second surname not written), not different (another given name)
    if lacking and (extra or len(lacking) > 1 or len(query_tokens) < 3):
        return 0.0, ""
    score = float(np.mean(scores)) - 0.02 * extra - 0.06 * len(lacking)
    positions = [rec.index(r) for _, r, _ in how]
    parts = []
    variants = [f"{r}~{q}" for q, r, h in how if h == "variant"]
    spellings = [f"{r}~{q}" for q, r, h in how if h == "spelling"]
    typos = [f"{r}~{q}" for q, r, h in how if h == "typo"]
    if variants:
        parts.append("given-name variant " + ", ".join(variants))
    if typos:
        parts.append("typing error " + ", ".join(typos))
    if lacking:
        parts.append(f"{', '.join(lacking)} not on record")
    if spellings:
        parts.append("spelling/transliteration " + ", ".join(spellings))
    if positions != sorted(positions):
        parts.append("names in another order")
    if not name.isascii():
        parts.append("other script")
    if extra:
        parts.append(f"{extra} more name(s) on record")
    detail = "; ".join(parts) if parts else "exact"
    agree = f"all {len(query_tokens)}" if not lacking else f"{len(scores)} of {len(query_tokens)}"
    return score, f"name {name!r}: {agree} name token(s) agree ({detail})"


def _partners(ws: "Workspace") -> set[str]:
    return {p for p in ws.partners() if p}


def search(ws: "Workspace", query: str, *, recipient: str | None = None, kinds: Iterable[str] | None = None,
           birth_date: str | None = None, limit: int = 50, min_score: float = 0.86) -> "SearchResult":
    """Search every partner's records for a name, number, account, wallet, plate, document or e-mail.

    Parameters
    ----------
    ws : the case workspace (its search index is built or brought up to date first)
    query : what to look for, as written by whoever asked ("+359 88 123 4567", "PETROV Aleksandr")
    recipient : ISO2 of the country the answer is for: only records it may receive are searched
    kinds : only entity records of these kinds (``["person"]``)
    birth_date : a (possibly partial) date of birth for a name query; a date written in the query
        ("Stefan Nistor 26.03.1969") is read as one too. Records born otherwise are left out,
        records without a date rank a little lower.
    limit : at most this many hits, best first
    min_score : name hits below this score are left out (identifier hits score 1.0)

    Returns
    -------
    SearchResult
        ``hits`` ranked (columns :data:`HIT_COLUMNS`), ``by_partner`` one row per agency.
    """
    if not isinstance(query, str) or not query.strip():
        raise InputError("the search query is empty", field="query", hint="give a name, number, account or plate")
    if _index_stale(ws):
        if getattr(ws, "read_only", False):
            raise WorkspaceError(f"{ws.path}: the search index is missing or out of date and the workspace is open "
                                 "read-only — open it writable once (netintel search builds the index)")
        build_index(ws)
    keys = query_keys(query, regions=_partners(ws))
    name_part, dob = _split_birth_date(query, birth_date)
    q_tokens = _query_name_tokens(name_part, keys)
    token_keys = [set(_token_keys(t)) | set(_typo_keys(t, query=True)) for t in q_tokens]
    whole = {_whole_key(q_tokens)} if len(q_tokens) > 1 else set()
    lookup = sorted(set(keys) | set().union(*token_keys) | whole)
    kind_list = list(kinds) if kinds is not None else None
    rows: list[dict[str, Any]] = []
    if lookup:
        rows, names = _candidates(ws, keys, q_tokens, token_keys, whole, dob, kind_list, min_score=min_score,
                                  query_abjad=bool(_ABJAD.search(name_part)))
    if rows and recipient:
        # Restrict first: what the recipient may not receive is never scored, ranked or counted.
        mask = ws.releasable_mask(pd.DataFrame(rows, columns=names), recipient).to_numpy()
        rows = [r for r, ok in zip(rows, mask) if ok]
    hits = _rank(rows, keys, q_tokens, token_keys, whole, dob, min_score=min_score,
                 query_abjad=bool(_ABJAD.search(name_part)))[:limit]
    frame = pd.DataFrame([{"rank": i, **h} for i, h in enumerate(hits, start=1)], columns=HIT_COLUMNS)
    return SearchResult(query=query, interpreted_as=tuple(sorted(keys)) if keys else ("name",), hits=frame,
                        recipient=recipient.upper() if recipient else None, marking=_marking(frame))


def _query_name_tokens(name_part: str, keys: dict[str, str]) -> list[str]:
    """The query's name tokens: none for a phone, IBAN, e-mail or wallet; for a query that reads as
    an identifier (a document, plate or account: letters and digits in one token) only its tokens
    without digits, so "ALN8898640" is not also looked up as a name; bare numbers never."""
    if any(k.startswith(("phone:", "iban:", "email:", "wallet:")) for k in keys):
        return []
    identifier = any(k.startswith("chars:") for k in keys)
    return [t for t in name_tokens(name_part)
            if not t.isdigit() and not (identifier and any(ch.isdigit() for ch in t))]


def _narrow(token: str, keys: set[str]) -> list[tuple[str, bool]]:
    """The keys one query token is looked up by, each with whether it is strong: a key of the token
    as written or spelt otherwise, not a typing-error key (those hold many unrelated names)."""
    own = set(_token_keys(token))
    return [(k, k in own) for k in sorted(keys)]


def _candidates(ws: "Workspace", keys: dict[str, str], q_tokens: list[str], token_keys: list[set[str]],
                whole: set[str], dob: PartialDate | None, kind_list: list[str] | None, *, min_score: float,
                query_abjad: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """Index rows worth scoring, narrowed in DuckDB; a name row carries the keys it holds (``held``).

    Identifier rows come back on their key. A written name comes back when it holds a key of
    enough query tokens (all, or all but one of three or more), at least one of them on a strong
    key when the query has several tokens (a name with a typing error in every token is left to
    its other identifiers), or the whole-name key; a record born in another year than the query's
    date of birth is left out (it could never be a hit).

    Every lookup is one equality per key: the index is sorted by key, so each reads a row group
    or two through DuckDB's zone maps, where a join or IN list against the keys would scan the
    whole index (15M rows at 1M records). The names are first narrowed on (key, nid) alone;
    whole rows are read for the candidates only.
    """
    per_token = [_narrow(t, ks) for t, ks in zip(q_tokens, token_keys)]
    key_list = [k for ks in per_token for k, _ in ks] + sorted(whole)
    tok_list = [i for i, ks in enumerate(per_token) for _ in ks] + [len(token_keys)] * len(whole)
    strong_list = [s for ks in per_token for _, s in ks] + [True] * len(whole)
    need = len(token_keys) - 1 if len(token_keys) >= 3 else len(token_keys)
    live = "(retain_until IS NULL OR retain_until >= current_date)"
    kind_sql = " AND kind IN (SELECT unnest(?))" if kind_list is not None else ""
    kind_arg = [kind_list] if kind_list is not None else []
    con = ws.con
    held: dict[int, list[str]] = {}
    name_keys = sorted(set(key_list))
    if name_keys:
        born = f" AND (birth_year IS NULL OR birth_year = {int(dob.year)})" if dob is not None and dob.year else ""
        found = " UNION ALL ".join(f"SELECT key, nid FROM {INDEX_TABLE} WHERE key = ? AND field = 'name'{born}"
                                   for _ in name_keys)
        found = found.replace("SELECT key, nid FROM", "SELECT key, nid, value, birth_date FROM")
        named = con.execute(
            f"WITH m AS ({found}), q AS (SELECT unnest(?) AS key, unnest(?) AS tok, unnest(?) AS strong) "
            "SELECT nid, list(DISTINCT key), any_value(value), any_value(birth_date) FROM m JOIN q USING (key) "
            "GROUP BY nid HAVING (count(DISTINCT q.tok) >= ? AND (bool_or(q.strong) OR ? = 1)) OR max(q.tok) = ?",
            name_keys + [key_list, tok_list, strong_list, max(need, 1), len(token_keys), len(token_keys)]).fetchall()
        scored: dict[str, float] = {}
        for nid, ks, value, born_on in named:
            if value not in scored:
                scored[value] = _name_score(q_tokens, value, query_abjad=query_abjad)[0]
            if scored[value] + _dob_fit(dob, born_on)[0] >= min_score:
                held[nid] = ks
    parts, args = [], []
    for k in sorted(keys):
        parts.append(f"SELECT * FROM {INDEX_TABLE} WHERE key = ? AND {live}{kind_sql}")
        args += [k, *kind_arg]
    by_key: dict[str, list[int]] = {}
    for nid, ks in held.items():  # one row per name: through the first key it holds
        by_key.setdefault(min(ks), []).append(int(nid))
    for k, nids in sorted(by_key.items()):
        # the nids are numbers netintel made, so they are written into the statement (a filter on the scan)
        parts.append(f"SELECT * FROM {INDEX_TABLE} WHERE key = ? AND nid IN ({', '.join(map(str, nids))}) "
                     f"AND {live}{kind_sql}")
        args += [k, *kind_arg]
    if not parts:
        return [], []
    cur = con.execute(" UNION ALL ".join(parts), args)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    for r in rows:
        if r["field"] == "name" and r["nid"] in held:
            r["held"] = held[r["nid"]]
    return rows, names


def _index_stale(ws: "Workspace") -> bool:
    """Whether the index is missing or behind the workspace's sources (one query, no catalogue scan)."""
    import duckdb

    try:
        n = ws.con.execute(f"SELECT count(*) FROM sources s FULL JOIN {SOURCES_TABLE} i USING (source_id) "
                           "WHERE s.imported_at IS DISTINCT FROM i.imported_at").fetchone()[0]
        ws.con.execute(f"SELECT nid FROM {INDEX_TABLE} LIMIT 0")  # the current layout
    except (duckdb.CatalogException, duckdb.BinderException):
        return True
    return bool(n)


def _split_birth_date(query: str, birth_date: Any) -> tuple[str, PartialDate | None]:
    """The query without a date of birth written in it, and that date (or ``birth_date``)."""
    found = _DATE.search(query)
    text = query
    if found:
        text = (query[:found.start()] + " " + query[found.end():]).strip()
        birth_date = birth_date or found.group(0)
    if birth_date is None or (isinstance(birth_date, str) and not birth_date.strip()):
        return text, None
    dob = PartialDate.parse(birth_date)
    return text, dob if dob.year else None


def _dob_fit(dob: PartialDate | None, written: Any) -> tuple[float, str]:
    """Score adjustment and reason for a record's date of birth against the query's."""
    if dob is None:
        return 0.0, ""
    if written is None or (isinstance(written, str) and not written.strip()):
        return -0.1, "no date of birth on record"
    rec = PartialDate.parse(written)
    if not rec.year:
        return -0.1, "no date of birth on record"
    if not dob.compatible(rec):
        return -1.0, ""
    return 0.02, f"born {written}"


def _rank(rows: list[dict[str, Any]], keys: dict[str, str], q_tokens: list[str], token_keys: list[set[str]],
          whole: set[str], dob: PartialDate | None, *, min_score: float,
          query_abjad: bool = False) -> list[dict[str, Any]]:
    """One hit per entity record with its best reason, best first."""
    best: dict[str, dict[str, Any]] = {}

    def offer(row: dict[str, Any], score: float, field: str, value: str, reason: str) -> None:
        old = best.get(row["entity_id"])
        if old is None or score > old["score"]:
            best[row["entity_id"]] = {
                "score": round(score, 4), "agency": row["agency"], "country": row["country"], "kind": row["kind"],
                "label": printable(row["label"], keep_newlines=False), "field": field,
                "value": printable(value, keep_newlines=False), "reason": reason, "entity_id": row["entity_id"],
                "source_record_id": row["source_record_id"], "locator": row["locator"], "grading": row["grading"],
                "handling": row["handling"],
                "releasable_to": list(row["releasable_to"]) if row["releasable_to"] is not None else []}

    # identifiers: the strongest key per record (a typed key before the bare characters)
    for row in sorted((r for r in rows if r["key"] in keys), key=lambda r: (r["key"].startswith("chars:"), r["key"])):
        head, _, canon = row["key"].partition(":")
        shown = format_phone(canon) if head == "phone" else canon
        offer(row, 1.0 if head != "chars" else 0.9, row["field"], row["value"],
              f"{_READABLE.get(head, head)} {shown} (written {printable(row['value'], keep_newlines=False)})")
    if q_tokens:
        held: dict[tuple[str, str, str], set[str]] = {}
        first: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row in rows:
            if row["field"] == "name" and row["key"][:2] in ("n:", "l:", "w:", "d:", "c:"):
                k = (row["entity_id"], row["source_id"], row["value"])
                held.setdefault(k, set()).update(row.get("held") or (row["key"],))
                first.setdefault(k, row)
        # every query token must sound like a token of the name, but a long query may have one the
        # record lacks (a second surname)
        need = len(token_keys) - 1 if len(token_keys) >= 3 else len(token_keys)
        scored: dict[str, tuple[float, str]] = {}  # a written name is scored once, however many records hold it
        for k, have in held.items():
            if not have & whole and sum(bool(have & t) for t in token_keys) < need:
                continue
            if k[2] not in scored:
                scored[k[2]] = _name_score(q_tokens, k[2], query_abjad=query_abjad)
            score, reason = scored[k[2]]
            fit, why = _dob_fit(dob, first[k]["birth_date"])
            score += fit
            if score < min_score:
                continue
            offer(first[k], score, "name", k[2], f"{reason}; {why}" if why else reason)
    return sorted(best.values(), key=lambda h: (-h["score"], str(h["agency"]), h["entity_id"]))


def _marking(hits: pd.DataFrame) -> Marking:
    from .graph import combine_markings

    if not len(hits):
        return Marking("TLP:CLEAR", ("*",))
    return combine_markings(zip(hits["handling"], hits["releasable_to"]))


@dataclass(frozen=True)
class SearchResult:
    """Hits of one search, ranked, with the reason for each.

    Attributes
    ----------
    query : the query as given
    interpreted_as : the index keys the query was read as (``phone:+31612345678``) or ``("name",)``
    hits : one row per entity record found (:data:`HIT_COLUMNS`), best first
    recipient : the country the search was restricted to, if any
    marking : the strictest handling and common releasability of the records found
    """

    query: str
    interpreted_as: tuple[str, ...]
    hits: pd.DataFrame
    recipient: str | None = None
    marking: Marking = field(default_factory=lambda: Marking("TLP:CLEAR", ("*",)))

    def __len__(self) -> int:
        return len(self.hits)

    @property
    def by_partner(self) -> pd.DataFrame:
        """One row per partner agency: how many records it holds, its best score and what kinds."""
        if not len(self.hits):
            return pd.DataFrame(columns=["agency", "country", "n_hits", "best_score", "kinds", "records"])
        g = self.hits.groupby(["agency", "country"], sort=False)
        out = g.agg(n_hits=("entity_id", "size"), best_score=("score", "max"),
                    kinds=("kind", lambda s: sorted(set(s))), records=("source_record_id", list)).reset_index()
        return out.sort_values(["best_score", "n_hits", "agency"], ascending=[False, False, True]).reset_index(drop=True)

    @property
    def entity_ids(self) -> list[str]:
        return list(dict.fromkeys(self.hits["entity_id"]))

    def explore(self, ws: "Workspace", **kw: Any):
        """Open the interactive link chart on the hits and their direct neighbours."""
        from .viz.explore import explore_around

        return explore_around(ws, self.entity_ids, recipient=self.recipient, **kw)

    def __repr__(self) -> str:
        who = f" for {self.recipient}" if self.recipient else ""
        lines = [f"<SearchResult {self.query!r}{who} [{self.marking.banner}]: {len(self.hits)} hit(s) at "
                 f"{self.hits['agency'].nunique() if len(self.hits) else 0} partner(s)>"]
        for agency, g in self.hits.groupby("agency", sort=False):
            lines.append(f"  {agency}:")
            lines += [f"    {r.rank}. {r.kind} {r.label!s} — {r.reason}" for r in g.itertuples()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .cooperation.markings import banner_html

        esc = html.escape
        parts = [banner_html(self.marking, self.recipient),
                 f"<p><b>Search</b> {esc(self.query)!s} — read as {esc(', '.join(self.interpreted_as))}; "
                 f"{len(self.hits)} hit(s) at {self.hits['agency'].nunique() if len(self.hits) else 0} partner(s)</p>"]
        if not len(self.hits):
            parts.append("<p>No partner holds a record that matches.</p>")
        for agency, g in self.hits.groupby("agency", sort=False):
            parts.append(f"<h4 style='margin:6px 0 2px'>{esc(str(agency))} ({esc(str(g['country'].iloc[0]))}) — "
                         f"{len(g)} record(s)</h4>")
            table = g[["rank", "score", "kind", "label", "reason", "source_record_id", "grading", "handling"]]
            parts.append(table.to_html(index=False, escape=True, border=0))
        return "\n".join(parts)
