"""Probabilistic matching of person records with Splink on DuckDB, and coherent clusters.

The model compares names (transliterated, token order free, given-name variants and a consonant
skeleton for transliteration spellings), date of birth (partial dates agree when compatible),
nationality, gender, city and shared identifiers (phones, e-mails, documents found in the
record or through its links). Its m and u probabilities are trained without labels: u by
random sampling, m by expectation maximisation on two blocking passes; everything is seeded.

Clusters are built greedily from the strongest pair down, and two clusters join only when no
record of one conflicts with a record of the other (a different date of birth, a different
document of the same issuing country, a different gender): a weak chain A~B~C never puts A and
C together when they are visibly two people. Analyst decisions enter as must-links (confirmed
pairs) and cannot-links (rejected pairs, split clusters).

Candidate pairs come from :data:`BLOCKING_RULES`: identifiers and the full birth date alone,
name blocks only where the birth dates may agree. Name blocks grow with the square of the case
(a common given name and a birth year hold ever more people), so a large case is scored in
slices of :data:`PAIRS_PER_CHUNK` blocked pairs, and the two broad rules (a name part and a
nationality, for records without a birth date) are dropped past :data:`BROAD_PAIR_BUDGET`; the
prediction says which (``pairs.attrs["blocking_left_out"]``, and the run's summary).

Examples
--------
>>> import pandas as pd
>>> people = pd.DataFrame({"unique_id": ["a", "b", "c"],
...                        "name": ["Petrov, Alex", "ПЕТРОВ Александр", "Jan de Vries"],
...                        "birth_date": ["1980", "1980-01-05", "1975-02-02"]})
>>> f = person_features(people)
>>> f.loc[0, "name_canon"] == f.loc[1, "name_canon"], f.loc[1, "dob_iso"]
(True, '1980-01-05')
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import ResolutionError
from .normalize import PartialDate, canonical_given, document, email, fold, name_tokens, phone_e164, skeleton

__all__ = ["person_features", "MatchModel", "constrained_clusters", "FEATURE_COLUMNS", "pairwise_scores"]

#: Columns of :func:`person_features` that the model reads.
FEATURE_COLUMNS = ["unique_id", "name_sorted", "name_canon", "name_skel", "name_tokens", "skel1", "skel2",
                   "name_codes", "dob_y", "dob_m", "dob_d", "dob_iso", "dob_ym", "gender", "nationality", "city",
                   "postcode", "region", "phones", "emails", "documents", "accounts", "phone1", "email1", "doc1"]


_SCALAR_DTYPES = ("string", "empty", "integer", "floating", "mixed-integer-float")


def _list_like(v: Any) -> bool:
    return isinstance(v, (list, tuple, set, np.ndarray))


def _values_long(records: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The values of ``columns`` in long form: ``row`` (position), ``value`` (stripped text), in
    column order then list order. Scalar columns take the fast path; list cells are exploded."""
    parts = []
    for order, col in enumerate(columns):
        if col not in records:
            continue
        s = records[col].reset_index(drop=True)
        scalar = pd.api.types.infer_dtype(s, skipna=True) in _SCALAR_DTYPES
        # list cells exploded (nested ones again), in list order; empty lists and missing
        # values come out missing and are dropped below, as is text that strips to nothing
        while not scalar and s.map(_list_like).any():
            s = s.map(lambda v: v if _list_like(v) else [v]).explode()
        s = s.dropna()
        if not len(s):
            continue
        text = s.astype(str).str.strip()
        text = text[text != ""]
        parts.append(pd.DataFrame({"row": text.index.to_numpy(dtype=np.int64), "order": order,
                                   "value": text.to_numpy(dtype=object)}))
    if not parts:
        return pd.DataFrame({"row": np.zeros(0, np.int64), "order": np.zeros(0, np.int64),
                             "value": np.zeros(0, object)})
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["row", "order"], kind="stable").reset_index(drop=True)


def _first(records: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Per record, the first non-empty value of ``columns`` (text), or None."""
    long = _values_long(records, columns).drop_duplicates("row")
    out = pd.Series([None] * len(records), dtype=object)
    out.iloc[long["row"].to_numpy()] = long["value"].to_numpy()
    return out


def _joined(records: pd.DataFrame, column: str) -> pd.Series:
    """Per record, every value of ``column`` joined with spaces ("" when none)."""
    long = _values_long(records, [column])
    out = np.full(len(records), "", dtype=object)
    if len(long):
        rows, values = long["row"].to_numpy(), long["value"].to_numpy(dtype=object)
        single = np.ones(len(rows), dtype=bool)
        single[1:] = rows[1:] != rows[:-1]
        if single.all():
            out[rows] = values
        else:
            for row, value in zip(rows.tolist(), values.tolist()):
                out[row] = f"{out[row]} {value}" if out[row] else value
    return pd.Series(out, dtype=object)


def _per_unique(values: pd.Series, fn) -> list:
    """``fn`` applied once per distinct value of ``values``, spread back over the records."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = [fn(u) for u in uniques]
    none = fn(None)
    return [results[c] if c >= 0 else none for c in codes]


def _list_column(n: int, long: pd.DataFrame) -> list[list[str]]:
    """Sorted distinct ``value`` per ``row`` as lists (empty lists for rows without any)."""
    out: list[list[str]] = [[] for _ in range(n)]
    if len(long):
        long = long.drop_duplicates(["row", "value"]).sort_values(["row", "value"], kind="stable")
        for row, value in zip(long["row"].tolist(), long["value"].tolist()):
            out[row].append(value)
    return out


def _normalised_long(records: pd.DataFrame, columns: Sequence[str], fn, country: pd.Series | None) -> pd.DataFrame:
    """Long values of ``columns`` normalised by ``fn(value, country)`` once per distinct pair;
    invalid ones (None) dropped."""
    long = _values_long(records, columns)
    if not len(long):
        return long
    ctry = country.iloc[long["row"].to_numpy()].to_numpy(dtype=object) if country is not None else \
        np.full(len(long), None, dtype=object)
    key = pd.Series(list(zip(long["value"], ctry)), dtype=object)
    codes, uniques = pd.factorize(key)
    normal = np.array([fn(v, c) for v, c in uniques] + [None], dtype=object)
    long = long.assign(value=normal[codes])
    return long[long["value"].notna()]


_GENDERS = {"m": "m", "male": "m", "man": "m", "f": "f", "female": "f", "w": "f", "v": "f", "woman": "f"}
#: A name token with a digit is a code ("N17", "Suspect 1", "X2"): an identifier, not a name.
_CODE = re.compile(r"\d")


def _name_columns(tokens: tuple[str, ...] | None) -> tuple:
    toks = list(tokens or ())
    canon = sorted(canonical_given(t) for t in toks)
    skel = sorted(s for s in (skeleton(t) for t in canon) if s)
    codes = sorted(t for t in toks if _CODE.search(t))
    return (" ".join(sorted(toks)) or None, " ".join(canon) or None, " ".join(skel) or None, canon,
            skel[0] if skel else None, skel[-1] if len(skel) > 1 else None, " ".join(codes) or None)


def _dob_parts(value: Any) -> tuple:
    d = PartialDate.parse(value, strict=True)
    return (d.year, d.month, d.day, d.iso() if d.precision == "day" else None,
            f"{d.year:04d}-{d.month:02d}" if d.month else None)


#: From this many records on, :func:`person_features` shows a progress bar.
PROGRESS_FROM = 200_000


def person_features(records: pd.DataFrame, *, progress: bool | None = None) -> pd.DataFrame:
    """The comparison columns of person records (one row per record, same order).

    ``records`` has ``unique_id`` and any of: ``first_name``, ``last_name``, ``name`` /
    ``full_name``, ``birth_date`` (possibly partial; a value that is not a possible date, such
    as a field flagged as corrupted at ingest, counts as unknown), ``gender``, ``nationality``,
    ``city`` or ``address``, ``postal_code`` / ``postcode``, ``region`` / ``state``,
    ``phone`` / ``phones``, ``email`` / ``emails``, ``id_number`` / ``documents`` (keys
    ``CC:NUMBER``), ``accounts`` (any other identifier keys: IBANs, wallets, plates), and
    ``country`` (the reporting agency's country: default phone region and document issuer).
    Values may be lists. Each column is normalised once per distinct value, so a case with
    repeated names, dates and places costs little more than its distinct values.
    ``progress``: a progress bar over the steps (default: from :data:`PROGRESS_FROM` records).

    Name tokens with a digit ("N17", "Suspect 1") are kept as codes (``name_codes``): two
    records whose codes differ are never the same name.
    """
    if "unique_id" not in records:
        raise ResolutionError("person records need a 'unique_id' column")
    records = records.reset_index(drop=True)
    n = len(records)
    steps = iter(range(6))
    bar = None
    if progress or (progress is None and n >= PROGRESS_FROM):
        from tqdm.auto import tqdm  # imported only when shown: in Jupyter it warns without ipywidgets

        bar = tqdm(total=6, desc="person features", unit="step")

    def step():
        next(steps)
        if bar is not None:
            bar.update(1)

    out: dict[str, Any] = {"unique_id": records["unique_id"].astype(str).to_numpy(dtype=object)}
    country = _first(records, ["country"])
    country = country.where(country.map(lambda c: isinstance(c, str) and len(c) == 2), None) \
        .map(lambda c: c.upper() if isinstance(c, str) else None)
    # -- names: first + last when given, else the full name (tokens once per distinct value) ----
    first = _joined(records, "first_name")
    last = _joined(records, "last_name")
    first_toks = _per_unique(first.where(first != "", None), lambda v: " ".join(name_tokens(v)) if v else "")
    last_toks = _per_unique(last.where(last != "", None), lambda v: " ".join(name_tokens(v)) if v else "")
    full = _values_long(records, ["name", "full_name"])
    full_toks = np.full(n, "", dtype=object)
    if len(full):
        full = full.assign(tokens=_per_unique(full["value"], lambda v: " ".join(name_tokens(v)) if v else ""))
        full = full[full["tokens"] != ""].drop_duplicates("row")
        full_toks[full["row"].to_numpy()] = full["tokens"].to_numpy(dtype=object)
    joined = [f"{a} {b}".strip() for a, b in zip(first_toks, last_toks)]
    tokens = pd.Series([j or f for j, f in zip(joined, full_toks)], dtype=object)
    names = _per_unique(tokens.where(tokens != "", None), lambda k: _name_columns(tuple(k.split()) if k else ()))
    for i, col in enumerate(("name_sorted", "name_canon", "name_skel", "name_tokens", "skel1", "skel2",
                             "name_codes")):
        out[col] = [r[i] for r in names]
    step()
    # -- date of birth: the first value that is a possible date -----------------------------------
    long = _values_long(records, ["birth_date"])
    dob = pd.Series([None] * n, dtype=object)
    if len(long):
        parts = _per_unique(long["value"], _dob_parts)
        long = long.assign(ok=[p[0] is not None for p in parts], parts=parts)
        long = long[long["ok"]].drop_duplicates("row")
        dob.iloc[long["row"].to_numpy()] = long["parts"].to_numpy()
    dob_parts = _per_unique(dob.map(lambda p: p if p is not None else None), lambda p: p or (None,) * 5)
    for i, col in enumerate(("dob_y", "dob_m", "dob_d", "dob_iso", "dob_ym")):
        out[col] = [p[i] for p in dob_parts]
    step()
    # -- gender, nationality, place -------------------------------------------------------------
    gender = _first(records, ["gender"])
    out["gender"] = _per_unique(gender, lambda g: _GENDERS.get(fold(g)) if g is not None else None)
    nat = _first(records, ["nationality"])
    out["nationality"] = nat.map(lambda v: v.strip().upper()[:2] if isinstance(v, str) else None).tolist()
    city = _first(records, ["city"])
    addr = _first(records, ["address"])
    from_addr = addr.map(lambda a: a.rsplit(",", 1)[-1] if isinstance(a, str) and "," in a else None)
    city = city.where(city.notna(), from_addr)
    out["city"] = _per_unique(city, lambda c: (fold(c) or None) if c is not None else None)
    post = _first(records, ["postal_code", "postcode"])
    out["postcode"] = _per_unique(post, lambda p: re.sub(r"[^A-Z0-9]", "", str(p).upper()) or None
                                  if p is not None else None)
    region = _first(records, ["region", "state"])
    out["region"] = _per_unique(region, lambda r: (fold(r) or None) if r is not None else None)
    step()
    # -- identifiers ------------------------------------------------------------------------------
    phones = _normalised_long(records, ["phone", "phones"], phone_e164, country)
    emails = _normalised_long(records, ["email", "emails"], lambda v, _c: email(v), None)
    docs_given = _values_long(records, ["documents"])  # already keyed "CC:NUMBER"
    nat_or_country = pd.Series(nat.map(lambda v: v[:2].upper() if isinstance(v, str) else None)).where(
        nat.notna(), country)

    def document_key(v: str, default: str | None) -> str | None:
        # a document number written with its issuer's prefix ("BGA1234567") keys on that issuer
        issuer = v[:2].upper() if len(v) > 2 and v[:2].isalpha() and v[2:3].isalnum() else None
        return document(v, issuer or default)

    docs = _normalised_long(records, ["id_number"], document_key, nat_or_country)
    docs = pd.concat([docs_given, docs], ignore_index=True)
    accounts = _values_long(records, ["accounts"])
    out["phones"] = _list_column(n, phones)
    out["emails"] = _list_column(n, emails)
    out["documents"] = _list_column(n, docs)
    out["accounts"] = _list_column(n, accounts)
    step()
    for col, src in (("phone1", "phones"), ("email1", "emails"), ("doc1", "documents")):
        out[col] = [v[0] if v else None for v in out[src]]
    columns = {}
    for c in FEATURE_COLUMNS:
        values = out[c]
        if c in ("dob_y", "dob_m", "dob_d"):
            columns[c] = pd.array(values, dtype="Int64")
        else:
            col = np.empty(n, dtype=object)
            col[:] = values if not isinstance(values, np.ndarray) else values.tolist()
            columns[c] = col
    df = pd.DataFrame(columns)
    step()
    if bar is not None:
        bar.close()
    return df


# ---------------------------------------------------------------------------------------------
# The Splink model
# ---------------------------------------------------------------------------------------------
def _lvl(sql: str, label: str, *, null: bool = False) -> dict[str, Any]:
    d = {"sql_condition": sql, "label_for_charts": label}
    if null:
        d["is_null_level"] = True
    return d


def _jw(col: str) -> str:
    return f"jaro_winkler_similarity({col}_l, {col}_r)"


def _list_meet(col: str) -> str:
    return f"len(list_intersect({col}_l, {col}_r)) > 0"


def _list_null(col: str) -> str:
    return f"({col}_l IS NULL OR {col}_r IS NULL OR len({col}_l) = 0 OR len({col}_r) = 0)"


def _close_tokens(x: str, y: str) -> str:
    """SQL: two name tokens close enough to be one (Jaro-Winkler >= 0.9, or one contains the other)."""
    return (f"jaro_winkler_similarity({x}, {y}) >= 0.9 OR (length({y}) >= 4 AND contains({x}, {y})) "
            f"OR (length({x}) >= 4 AND contains({y}, {x}))")


def _tokens_within(a: str, b: str) -> str:
    """SQL: every name token of ``a`` has a close token in ``b`` (Jaro-Winkler >= 0.9, or one
    contains the other: "altamimi" and "tamimi"); tolerates a second surname, an article, a typo.

    Most pairs (random ones, when Splink estimates u) fail on ``a``'s first token: that token is
    tried against ``b`` first, one lambda deep, and only the pairs it passes pay the nested one.
    A ``CASE`` makes that so: DuckDB computes an ``AND``'s two sides for every row, a ``THEN`` only
    for the rows its ``WHEN`` selects (on FEBRL3's 100k random pairs, both directions: 0.148 s
    with ``AND``, 0.060 s with ``CASE``; the same value for every pair, a NULL of an empty list
    staying a non-match).
    """
    first = f"coalesce(list_bool_or(list_transform({b}, lambda y: {_close_tokens(f'{a}[1]', 'y')})), true)"
    every = f"list_bool_and(list_transform({a}, lambda x: list_bool_or(list_transform({b}, lambda y: {_close_tokens('x', 'y')}))))"
    return f"(CASE WHEN {first} THEN {every} ELSE false END)"


#: SQL: the two names carry the same codes (tokens with a digit: "N17", "Suspect 1"), or none.
SAME_CODES = "coalesce(name_codes_l, '') = coalesce(name_codes_r, '')"


def _one_typo_sql(a: str, b: str) -> str:
    """SQL: two ISO dates of one length (``YYYY-MM-DD``) one typing error apart (a digit changed, or
    two neighbours swapped): Damerau-Levenshtein <= 1, which on strings of one length is a Hamming
    distance <= 1, or 2 with the two differences a swap. DuckDB's ``damerau_levenshtein`` costs
    1.7 us a pair and ``hamming`` 0.07 us: it is asked only of the pairs two characters apart."""
    return f"(hamming({a}, {b}) <= 1 OR (hamming({a}, {b}) = 2 AND damerau_levenshtein({a}, {b}) <= 1))"


#: DuckDB macros the comparison levels call, name -> (parameters, body). Splink parses and
#: simplifies every level's SQL with sqlglot at each EM pass (74 ms a time for the nested name
#: test written out, 0.2-0.45 s of a 5,000-record training); a macro call is short to parse and
#: DuckDB expands it into the same vectorised expression. Every DuckDB connection that scores
#: pairs registers them (:func:`register_macros`): Splink's, and the one inside each Spark batch.
SQL_MACROS = {
    "ni_tokens_within": ("a, b", _tokens_within("a", "b")),
    "ni_one_typo": ("a, b", _one_typo_sql("a", "b")),
}


def register_macros(con: Any) -> None:
    """Define :data:`SQL_MACROS` on a DuckDB connection."""
    for name, (params, body) in SQL_MACROS.items():
        con.execute(f"CREATE OR REPLACE MACRO {name}({params}) AS {body}")


#: SQL: two full birth dates one typing error apart (a digit changed, or two neighbours swapped).
DOB_ONE_TYPO = "ni_one_typo(dob_iso_l, dob_iso_r)"


def _comparisons() -> list[Any]:
    from splink import comparison_library as cl

    def name_level(sql: str, label: str) -> dict[str, Any]:
        # a code is an identifier: "Suspect 1" and "Suspect 2" are different names however alike
        return _lvl(f"({sql}) AND {SAME_CODES}", label)

    name = cl.CustomComparison(output_column_name="name", comparison_description="names", comparison_levels=[
        _lvl("name_canon_l IS NULL OR name_canon_r IS NULL", "null", null=True),
        _lvl("name_sorted_l = name_sorted_r", "exact"),
        name_level("name_canon_l = name_canon_r", "same with given-name variants"),
        name_level("name_skel_l = name_skel_r", "same skeleton (transliteration)"),
        name_level(f"{_jw('name_canon')} >= 0.94", "jaro-winkler >= 0.94"),
        name_level("ni_tokens_within(name_tokens_l, name_tokens_r) OR ni_tokens_within(name_tokens_r, name_tokens_l)",
                   "every token of one close to a token of the other"),
        name_level(f"{_jw('name_canon')} >= 0.88 OR {_jw('name_skel')} >= 0.92", "jaro-winkler >= 0.88"),
        name_level(f"{_jw('name_canon')} >= 0.78", "jaro-winkler >= 0.78"),
        _lvl("ELSE", "different"),
    ])
    dob = cl.CustomComparison(output_column_name="dob", comparison_description="date of birth", comparison_levels=[
        _lvl("dob_y_l IS NULL OR dob_y_r IS NULL", "null", null=True),
        _lvl("dob_iso_l = dob_iso_r", "same day"),
        _lvl("dob_ym_l = dob_ym_r AND (dob_d_l IS NULL OR dob_d_r IS NULL)", "same month, day unknown"),
        _lvl("dob_y_l = dob_y_r AND (dob_m_l IS NULL OR dob_m_r IS NULL)", "same year, month unknown"),
        _lvl(DOB_ONE_TYPO, "one typing error"),
        _lvl("(dob_y_l = dob_y_r AND dob_m_l = dob_d_r AND dob_d_l = dob_m_r) OR "
             "(dob_y_l = dob_y_r AND dob_m_l = dob_m_r) OR "
             "(abs(dob_y_l - dob_y_r) = 1 AND dob_m_l = dob_m_r AND dob_d_l = dob_d_r) OR "
             "(dob_y_l = dob_y_r AND dob_d_l = dob_d_r)", "one part differs"),
        _lvl("ELSE", "different"),
    ])
    def exact(col: str) -> Any:
        return cl.CustomComparison(output_column_name=col, comparison_levels=[
            _lvl(f"{col}_l IS NULL OR {col}_r IS NULL", "null", null=True),
            _lvl(f"{col}_l = {col}_r", "same"),
            _lvl("ELSE", "different"),
        ])

    nat, gender, region = exact("nationality"), exact("gender"), exact("region")
    city = cl.CustomComparison(output_column_name="city", comparison_levels=[
        _lvl("city_l IS NULL OR city_r IS NULL", "null", null=True),
        _lvl(f"city_l = city_r OR {_jw('city')} >= 0.9", "same"),
        _lvl("ELSE", "different"),
    ])
    postcode = cl.CustomComparison(output_column_name="postcode", comparison_levels=[
        _lvl("postcode_l IS NULL OR postcode_r IS NULL", "null", null=True),
        _lvl("postcode_l = postcode_r", "same"),
        _lvl("damerau_levenshtein(postcode_l, postcode_r) <= 1", "one typing error"),
        _lvl("ELSE", "different"),
    ])
    out = [name, dob, nat, gender, city, postcode, region]
    for col, label in (("phones", "a shared phone"), ("emails", "a shared e-mail"),
                       ("documents", "a shared document"), ("accounts", "a shared account, wallet or vehicle")):
        out.append(cl.CustomComparison(output_column_name=col, comparison_levels=[
            _lvl(_list_null(col), "null", null=True),
            _lvl(_list_meet(col), label),
            _lvl("ELSE", "different"),
        ]))
    return out


#: Two birth dates that could belong to one person (SQL, ``l`` and ``r``): unknown on one side,
#: compatible, or one part apart (a typing error). Looser than :func:`_dates_conflict`, never
#: stricter: pairs outside it could not be merged anyway, so name-based blocks skip them.
DATES_MAY_AGREE = ("(l.dob_y IS NULL OR r.dob_y IS NULL"
                   " OR (l.dob_y = r.dob_y AND (l.dob_m IS NULL OR r.dob_m IS NULL OR l.dob_m = r.dob_m"
                   " OR l.dob_d = r.dob_d OR l.dob_m = r.dob_d))"
                   " OR (abs(l.dob_y - r.dob_y) = 1 AND l.dob_m = r.dob_m AND l.dob_d = r.dob_d)"
                   f" OR {_one_typo_sql('l.dob_iso', 'r.dob_iso')})")


@dataclass(frozen=True)
class BlockingRule:
    """One blocking rule: records meet when ``keys`` are equal (and ``condition`` holds).

    ``broad`` rules (a name token and a nationality, no date) find the rare duplicates with no
    birth date on one side; their blocks grow with the square of the case, so
    :func:`prediction_rules` keeps them only while their pairs fit a budget.
    """

    keys: tuple[str, ...]
    condition: str | None = None
    broad: bool = False

    def sql(self) -> str:
        eq = " AND ".join(f"l.{k} = r.{k}" for k in self.keys)
        return f"{eq} AND {self.condition}" if self.condition else eq

    def splink(self) -> dict[str, str]:
        return {"blocking_rule": self.sql(), "sql_dialect": "duckdb"}


#: Candidate pairs come from these rules, in this order. Identifiers and the full birth date
#: block alone; a name part with a postcode too (a birth date mistyped beyond recognition is
#: common in registers); every other block on a name also asks for birth dates that may agree,
#: except the broad one on the whole name's skeleton.
BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule(("dob_iso",)),
    BlockingRule(("phone1",)),
    BlockingRule(("email1",)),
    BlockingRule(("doc1",)),
    BlockingRule(("skel1", "dob_y"), DATES_MAY_AGREE),
    BlockingRule(("skel2", "dob_y"), DATES_MAY_AGREE),
    BlockingRule(("name_canon",), DATES_MAY_AGREE),
    BlockingRule(("name_skel",), DATES_MAY_AGREE),
    BlockingRule(("skel1", "postcode")),
    BlockingRule(("skel2", "postcode")),
    BlockingRule(("skel1", "nationality"), DATES_MAY_AGREE, broad=True),
    BlockingRule(("skel2", "nationality"), DATES_MAY_AGREE, broad=True),
    BlockingRule(("name_skel", "city"), broad=True),
)
#: Most record pairs the broad rules may join (before their date condition) in one run: about
#: 17M at 100k generated records (kept), 1.7G at 1M (left out: hours of scoring for 0.5% of
#: the true pairs).
BROAD_PAIR_BUDGET = 50_000_000


def _blocking_rules() -> list[dict[str, str]]:
    return [r.splink() for r in BLOCKING_RULES]


def block_pairs(features: pd.DataFrame, keys: Sequence[str]) -> int:
    """Record pairs that share every one of ``keys`` (non-null): the size of an equality block.

    >>> block_pairs(pd.DataFrame({"a": ["x", "x", "x", None, None]}), ["a"])
    3
    """
    return block_sizes(features, [keys])[0]


def combination_codes(columns: Sequence[np.ndarray]) -> np.ndarray:
    """One int64 code per row for the combination of its values in ``columns`` (equal arrays,
    none missing), numbered in order of first appearance: ``codes[i] == codes[j]`` exactly when
    rows ``i`` and ``j`` agree on every column.

    >>> combination_codes([np.array([1, 1, 2, 1]), np.array(["a", "b", "a", "a"], dtype=object)]).tolist()
    [0, 1, 2, 0]
    """
    codes = np.zeros(len(columns[0]) if len(columns) else 0, dtype=np.int64)
    for col in columns:
        part, values = pd.factorize(col)
        # combined codes stay below rows x distinct values, renumbered after each column
        codes = pd.factorize(codes * len(values) + part)[0].astype(np.int64)
    return codes


def block_sizes(features: pd.DataFrame, key_sets: Sequence[Sequence[str]]) -> list[int]:
    """:func:`block_pairs` of several key sets: each column is coded once (``pd.factorize``) and
    the records of each key set counted per combination of codes (``np.bincount``)."""
    codes: dict[str, np.ndarray] = {}

    def code(col: str) -> np.ndarray:
        if col not in codes:
            codes[col] = pd.factorize(features[col], use_na_sentinel=True)[0].astype(np.int64)  # -1: missing
        return codes[col]

    out = []
    for keys in key_sets:
        cols = [code(k) for k in keys]
        known = np.logical_and.reduce([c >= 0 for c in cols])
        key = combination_codes([c[known] for c in cols])
        counts = np.bincount(key) if len(key) else np.zeros(0, np.int64)
        out.append(int((counts * (counts - 1) // 2).sum()))
    return out


@dataclass(frozen=True)
class BlockingPlan:
    """The rules a prediction uses on some records, the broad ones left out, and the number of
    record pairs their equality blocks hold (an upper bound of the pairs scored: the date
    conditions and the pairs found by an earlier rule come off)."""

    rules: tuple[BlockingRule, ...]
    left_out: tuple[BlockingRule, ...]
    block_pairs: int

    @property
    def chunks(self) -> int:
        """Slices of the records to score one after the other, to keep memory bounded."""
        return max(1, -(-self.block_pairs // PAIRS_PER_CHUNK))


#: Record pairs blocked per prediction slice: about 2 GB of DuckDB memory at the peak.
PAIRS_PER_CHUNK = 25_000_000


def prediction_rules(features: pd.DataFrame, *, budget: int | None = None) -> BlockingPlan:
    """The blocking rules to predict with on ``features``; broad rules only within ``budget`` pairs
    (default :data:`BROAD_PAIR_BUDGET`).

    >>> feats = person_features(pd.DataFrame({"unique_id": ["a", "b"], "name": ["Ivan Petrov"] * 2,
    ...                                       "nationality": ["RU", "RU"]}))
    >>> plan = prediction_rules(feats, budget=0)
    >>> len(plan.rules), [r.keys for r in plan.left_out], plan.block_pairs, plan.chunks
    (11, [('skel1', 'nationality'), ('skel2', 'nationality')], 2, 1)
    """
    budget = BROAD_PAIR_BUDGET if budget is None else budget
    used, left_out = [], []
    spent = total = 0
    for rule, n in zip(BLOCKING_RULES, block_sizes(features, [r.keys for r in BLOCKING_RULES])):
        if rule.broad:
            if spent + n > budget:
                left_out.append(rule)
                continue
            spent += n
        total += n
        used.append(rule)
    return BlockingPlan(tuple(used), tuple(left_out), total)


#: Fewest candidate pairs an EM pass needs; passes with fewer are skipped (their estimates would
#: rest on a handful of pairs, and Splink fails on none).
MIN_EM_PAIRS = 10


def _training_passes(features: pd.DataFrame) -> list[tuple[str, ...]]:
    """The EM passes worth running on ``features``, each a tuple of blocking keys.

    Each pass estimates the comparisons its keys do not use: the full birth date (names,
    places, identifiers), shared identifiers (mostly true matches: blocking on the name alone
    would teach the model that namesakes of one nationality are matches with different birth
    dates), then a name and a place, which estimate the birth date where a case has no
    identifiers (addresses, but no phones or documents). One pass per identifier: an OR of
    equalities is a nested-loop join in DuckDB (150 s at 100k records), each equality alone a
    hash join. Passes whose blocks hold fewer than :data:`MIN_EM_PAIRS` pairs are left out.
    """
    passes = [("dob_iso",), ("phone1",), ("doc1",), ("name_canon", "postcode"), ("name_canon", "city")]
    sizes = dict(zip(passes, block_sizes(features, passes)))
    out = [keys for keys in passes[:3] if sizes[keys] >= MIN_EM_PAIRS]
    # one pass on a name and a place is enough: the postcode where there is one, else the city
    place = [keys for keys in passes[3:] if sizes[keys] >= MIN_EM_PAIRS]
    return out + place[:1]


def _train_splink(features: pd.DataFrame, settings: Any, *, seed: int, max_pairs_u: float,
                  max_pairs_em: float | None, table: FeatureTable | None = None) -> dict[str, Any]:
    from splink import block_on

    # the settings are this module's own, checked by its tests: validating them costs seconds
    linker = _linker(features, settings, threads=1, validate=False, table=table)
    n = len(features)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name_canon", "dob_iso"), block_on("doc1"), block_on("name_canon", "phone1")], recall=0.6)
    # u is kept above MIN_PROBABILITY / 50 (2e-4) anyway: 1e5 random pairs count 20 at that floor
    # (the packaged model, trained once, samples more)
    linker.training.estimate_u_using_random_sampling(max_pairs=min(max_pairs_u, n * (n - 1) / 2),
                                                     seed=seed, min_count_per_level=None, num_chunks=1)
    em_kw = {"max_pairs": max_pairs_em, "record_sample_proportion": 0.2} if max_pairs_em and n > 50_000 else {}
    for keys in _training_passes(features):
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*keys), estimate_without_term_frequencies=True, **em_kw)
    model = linker.misc.save_model_to_json()
    if table is not None:
        table.drop_intermediate()
    return model


def _linker(features: pd.DataFrame, settings: Any, *, threads: int = 2, validate: bool = True,
            table: "FeatureTable | None" = None) -> Any:
    """The one place a DuckDB Splink linker is made (Spark's: :mod:`netintel.resolve._spark`).

    ``threads``: one for training (sums of floats in parallel come out in varying order, and
    the model must be the same, to the last bit, for the same records and seed).
    """
    return _duckdb_linker(features, settings, threads=threads, validate=validate, table=table)[0]


@dataclass
class FeatureTable:
    """Person features copied once into a DuckDB connection (table ``ni_features``, macros and
    limits set), for a training and a prediction on the same records to share.

    Splink's queries (and the blocking) scan a table of DuckDB's own, not the pandas frame's
    Python objects at every pass. Each linker gets a Splink database API of its own on it, so
    that no cached intermediate table of one is taken for the other's.
    """

    con: Any
    n_records: int

    @classmethod
    def of(cls, features: pd.DataFrame) -> "FeatureTable":
        import duckdb

        con = duckdb.connect()
        _configure_duckdb(con)
        con.register("ni_features_frame", features[FEATURE_COLUMNS])
        con.execute("CREATE TABLE ni_features AS SELECT * FROM ni_features_frame")
        con.unregister("ni_features_frame")
        return cls(con, len(features))

    def drop_intermediate(self) -> None:
        """Drop what Splink left in the connection (a training's samples and comparison vectors)."""
        for (name,) in self.con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE "
                                        "'\\_\\_splink\\_\\_%' ESCAPE '\\'").fetchall():
            self.con.execute(f'DROP TABLE IF EXISTS "{name}"')

    def close(self) -> None:
        self.con.close()


def _duckdb_linker(features: pd.DataFrame, settings: Any, *, threads: int = 2, validate: bool = True,
                   table: FeatureTable | None = None) -> tuple[Any, Any, Any]:
    """:func:`_linker`, with the Splink database API and the DuckDB connection it runs on
    (``table``'s, when given: it must hold these ``features``)."""
    from splink import Linker
    from splink.backends.duckdb import DuckDBAPI

    if table is None:
        table = FeatureTable.of(features)
    elif table.n_records != len(features):
        raise ValueError(f"the feature table holds {table.n_records} records, not these {len(features)}")
    con = table.con
    con.execute(f"SET threads TO {int(threads)}")
    db = DuckDBAPI(connection=con)
    linker = Linker(db.register("ni_features"), settings, log_level=None, validate_settings=validate)
    return linker, db, con


def blocked_pairs_sql(rules: Sequence["BlockingRule"], table: str, *, chunk: int = 0, chunks: int = 1) -> str:
    """SQL: the candidate pairs of ``rules`` over ``table``, each once, with the first rule that finds it.

    The same pairs and ``match_key`` as Splink's own blocking, which joins rule ``k`` with "and
    none of the rules before it" (a condition that grows with every rule: 13 rules cost 0.96 s on
    10k records, 230k blocked pairs, where scoring them took 0.14 s); here each rule joins on its
    own keys and condition and the pairs are grouped once. ``chunk`` of ``chunks``: only pairs whose
    left record hashes to ``chunk`` (each pair has one left record, so slices never overlap).

    >>> print(blocked_pairs_sql([BlockingRule(("dob_iso",))], "f"))  # doctest: +NORMALIZE_WHITESPACE
    SELECT CAST(min(k) AS VARCHAR) AS match_key, join_key_l, join_key_r FROM (SELECT 0 AS k,
    l.unique_id AS join_key_l, r.unique_id AS join_key_r FROM f AS l JOIN f AS r ON l.dob_iso = r.dob_iso
    AND l.unique_id < r.unique_id) GROUP BY join_key_l, join_key_r
    """
    where = f" AND hash(l.unique_id) % {int(chunks)} = {int(chunk)}" if chunks > 1 else ""
    parts = [f"SELECT {i} AS k, l.unique_id AS join_key_l, r.unique_id AS join_key_r FROM {table} AS l "
             f"JOIN {table} AS r ON {rule.sql()} AND l.unique_id < r.unique_id{where}" for i, rule in enumerate(rules)]
    return (f"SELECT CAST(min(k) AS VARCHAR) AS match_key, join_key_l, join_key_r FROM ({' UNION ALL '.join(parts)}) "
            "GROUP BY join_key_l, join_key_r")


@dataclass
class MatchModel:
    """A trained Splink model for person records (its settings JSON, m and u included).

    Round-trips to JSON (``to_json`` / ``from_json``, ``save`` / ``load``); no pickle.
    """

    settings: dict[str, Any]
    seed: int = 0
    trained_on: int = 0

    def to_json(self) -> str:
        return json.dumps({"netintel_model": "person-resolution", "version": 1, "seed": self.seed,
                           "trained_on": self.trained_on, "splink_settings": self.settings}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | Mapping[str, Any]) -> "MatchModel":
        data = json.loads(text) if isinstance(text, str) else dict(text)
        if data.get("netintel_model") != "person-resolution":
            raise ResolutionError("not a netintel person-resolution model; save one with MatchModel.save()")
        return cls(settings=data["splink_settings"], seed=int(data.get("seed", 0)),
                   trained_on=int(data.get("trained_on", 0)))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "MatchModel":
        try:
            return cls.from_json(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ResolutionError(f"{path}: cannot read the resolution model ({exc})") from exc

    @property
    def document_veto(self) -> bool:
        """Whether two numbers of one issuer prove two people in the data this model learnt from.

        True unless the model learnt that true matches carry different document numbers more
        often than :data:`DOCUMENT_VETO_MAX_M` (the trained m of the documents' "different"
        level): in such data a differing number is evidence the model weighs, not a veto.
        """
        for comp in self.settings.get("comparisons", []):
            if comp.get("output_column_name") == "documents":
                for lvl in comp["comparison_levels"]:
                    if lvl.get("label_for_charts") == "different" and lvl.get("m_probability") is not None:
                        return float(lvl["m_probability"]) <= DOCUMENT_VETO_MAX_M
        return True

    def m_u(self) -> pd.DataFrame:
        """One row per comparison level: m, u and the match weight (log2 of m/u)."""
        rows = []
        for comp in self.settings.get("comparisons", []):
            for lvl in comp["comparison_levels"]:
                if lvl.get("is_null_level"):
                    continue
                m, u = lvl.get("m_probability"), lvl.get("u_probability")
                w = float(np.log2(m / u)) if m and u else None
                rows.append({"comparison": comp["output_column_name"], "level": lvl.get("label_for_charts"),
                             "m": m, "u": u, "match_weight": w})
        return pd.DataFrame(rows)

    # -- training and scoring ----------------------------------------------------------------
    @classmethod
    def train(cls, features: pd.DataFrame, *, seed: int = 0, max_pairs_u: float = 1e5,
              max_pairs_em: float | None = 2e6, table: FeatureTable | None = None) -> "MatchModel":
        """Train m and u without labels on ``features`` (:func:`person_features`).

        ``table``: the features already in DuckDB (:class:`FeatureTable`), shared with a
        prediction on the same records; made for this training when None.

        Raises :class:`~netintel.errors.ResolutionError` saying what to do when the records
        cannot train a model (too few, or no duplicates to learn from).
        """
        from splink import SettingsCreator

        if len(features) < 4:
            raise ResolutionError("too few person records to train a matching model (need at least 4); "
                                  "load a trained model with MatchModel.load()")
        comparisons = dict(zip(_comparison_names(), _comparisons()))
        active = _comparisons_with_data(features)
        settings = SettingsCreator(link_type="dedupe_only",
                                   comparisons=[c for name, c in comparisons.items() if name in active],
                                   blocking_rules_to_generate_predictions=[],
                                   retain_intermediate_calculation_columns=False, retain_matching_columns=False,
                                   max_iterations=20, em_convergence=1e-4)
        try:
            with _quiet_splink():
                model = _train_splink(features, settings, seed=seed, max_pairs_u=max_pairs_u,
                                      max_pairs_em=max_pairs_em, table=table)
            lam = model.get("probability_two_random_records_match")
            if lam is None or not 0 < float(lam) < 1:
                # EM that found no matches ends at a prior of 0: every later weight is log(0)
                raise ValueError(f"the estimated share of matching pairs is {lam}")
        except ResolutionError:
            raise
        except (ValueError, ArithmeticError, RuntimeError) as exc:
            # Splink's estimates break on data that holds no matches to learn from (5,000 people
            # without a duplicate: "math domain error" in the log of a zero probability)
            raise ResolutionError(f"cannot train a person model on these {len(features)} records: they hold too "
                                  f"few likely duplicates to learn from (Splink: {exc}). Use a trained model "
                                  "(MatchModel.load, or the packaged one with train=False)") from exc
        model.pop("linker_uid", None)  # a random id per linker: the saved model must not vary
        # training never reads the prediction rules (Splink parsing them cost the linker 30 ms):
        # the saved model records those of this code, with which predict() blocks anyway
        model["blocking_rules_to_generate_predictions"] = _blocking_rules()
        # the comparisons these records say nothing about join the model untrained
        trained = {c["output_column_name"]: c for c in model["comparisons"]}
        untrained = _untrained_settings()
        model["comparisons"] = [trained.get(name) or json.loads(untrained[name]) for name in comparisons]
        _fill_untrained(model)
        return cls(settings=model, seed=seed, trained_on=len(features))

    def for_size(self, n_records: int) -> "MatchModel":
        """The model applied to ``n_records`` records instead of the ``trained_on`` it learnt from.

        The prior that two random records match falls with the number of records (each person
        has about as many duplicates whatever the size of the set, among ever more pairs), so
        it is scaled by ``(trained_on - 1) / (n_records - 1)``; m and u stay as trained.

        >>> m = MatchModel({"probability_two_random_records_match": 1e-4}, trained_on=10_001)
        >>> m.for_size(1_001).settings["probability_two_random_records_match"]
        0.001
        """
        if not self.trained_on or n_records < 2 or n_records == self.trained_on:
            return self
        settings = json.loads(json.dumps(self.settings))
        lam = float(settings.get("probability_two_random_records_match", 1e-4))
        scaled = lam * (self.trained_on - 1) / (n_records - 1)
        settings["probability_two_random_records_match"] = round(min(scaled, 0.5), 12)
        return MatchModel(settings=settings, seed=self.seed, trained_on=n_records)

    def predict(self, features: pd.DataFrame, *, floor: float = 0.05, engine: str = "duckdb",
                spark_master: str | None = None, table: FeatureTable | None = None) -> pd.DataFrame:
        """Scored candidate pairs with ``match_probability >= floor``.

        Columns: ``unique_id_l, unique_id_r, match_weight, match_probability`` and one
        ``gamma_<comparison>`` column per comparison whose input at least two of ``features`` have
        (the level that applied; the others would be null for every pair), and ``rule``
        (the blocking rule that found the pair).

        ``engine``: ``"duckdb"`` (this machine) or ``"spark"`` (Splink's Spark backend on
        ``spark_master``, default ``local[2]``; see :mod:`netintel.resolve._spark`). Both score
        every pair with the same code and give the same pairs, levels and weights.
        ``table``: the features already in DuckDB (:class:`FeatureTable`; DuckDB engine).
        """
        if engine not in ENGINES:
            raise ResolutionError(f"unknown resolution engine {engine!r}; use one of {', '.join(ENGINES)}")
        if len(features) < 2:
            return pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_weight", "match_probability"])
        settings = dict(self.settings)
        # a comparison whose input no two of these records have gives every pair its null level,
        # a Bayes factor of 1: it is left out (no cost, and no "null" line in every pair's evidence)
        active = _comparisons_with_data(features)
        kept = [c for c in settings.get("comparisons", []) if c.get("output_column_name") in active]
        if kept:
            settings["comparisons"] = kept
        # the rules of this code, not those stored with the model: a model trained before a
        # blocking change still predicts with today's rules, sized to these records
        plan = prediction_rules(features)
        rules = plan.rules
        settings["blocking_rules_to_generate_predictions"] = [r.splink() for r in rules]
        settings["retain_intermediate_calculation_columns"] = True  # keeps the gamma (level) columns
        settings["retain_matching_columns"] = True  # Splink drops the gamma columns without them
        with _quiet_splink():
            if engine == "spark":
                from ._spark import predict_on_spark

                df = predict_on_spark(settings, features, FEATURE_COLUMNS, floor=floor, master=spark_master,
                                      chunks=plan.chunks)
            else:
                # the pairs are blocked here and registered with Splink, which then never reads its
                # own rules (parsing them costs a linker 30 ms): it gets none
                settings["blocking_rules_to_generate_predictions"] = []
                df = _predict_on_duckdb(features, settings, rules, chunks=plan.chunks, floor=floor, table=table)
        df = df[kept_prediction_columns(df.columns)].copy()
        names = [" & ".join(r.keys) for r in rules]
        if "match_key" in df:
            df["rule"] = [names[int(k)] if str(k).isdigit() and int(k) < len(names) else str(k)
                          for k in df.pop("match_key")]
        df["unique_id_l"] = df["unique_id_l"].astype(str)
        df["unique_id_r"] = df["unique_id_r"].astype(str)
        for g in [c for c in df.columns if c.startswith("gamma_")]:
            df[g] = df[g].astype("int64")
        # the engines' libm may differ in the last bit of a logarithm: scores are kept to 12
        # places, so the same pair has the same score (and rank) on either engine
        for col in ["match_weight", "match_probability"] + [c for c in df.columns if c.startswith("mw_")]:
            df[col] = df[col].astype(float).round(12)
        df = df.sort_values(["unique_id_l", "unique_id_r"], kind="stable").reset_index(drop=True)
        df.attrs["blocking_left_out"] = [" & ".join(r.keys) for r in plan.left_out]
        return df

    def level_labels(self) -> dict[str, dict[int, str]]:
        """comparison -> gamma value -> the level's label ("same day", "a shared phone")."""
        out: dict[str, dict[int, str]] = {}
        for comp in self.settings.get("comparisons", []):
            levels = [lvl for lvl in comp["comparison_levels"]]
            non_null = [lvl for lvl in levels if not lvl.get("is_null_level")]
            mapping = {-1: "null"}
            for i, lvl in enumerate(non_null):
                mapping[len(non_null) - 1 - i] = lvl.get("label_for_charts", "")
            out[comp["output_column_name"]] = mapping
        return out


def kept_prediction_columns(columns: Iterable[str]) -> list[str]:
    """The columns of Splink's predictions a resolution keeps: the pair, its scores, the rule
    (``match_key``) and each comparison's level and weight; not the records' own columns, which
    are most of the predictions' size (they are fetched from Splink's table without them)."""
    columns = list(columns)
    head = [c for c in ("unique_id_l", "unique_id_r", "match_weight", "match_probability", "match_key") if c in columns]
    return head + [c for c in columns if c.startswith(("gamma_", "mw_"))]


def _predict_on_duckdb(features: pd.DataFrame, settings: dict[str, Any], rules: Sequence["BlockingRule"], *,
                       chunks: int, floor: float, table: FeatureTable | None = None) -> pd.DataFrame:
    """Splink's predictions of the pairs :func:`blocked_pairs_sql` blocks, scored slice by slice."""
    # the settings were validated when the model was trained; validating again costs seconds
    linker, db, con = _duckdb_linker(features, settings, validate=False, table=table)
    frames = []
    for chunk in range(chunks):
        name = f"ni_blocked_pairs_{chunk}"
        con.execute(f"CREATE TABLE {name} AS {blocked_pairs_sql(rules, 'ni_features', chunk=chunk, chunks=chunks)}")
        linker.table_management.register_blocked_pairs_for_predict(db.register(name))
        pred = linker.inference.predict(threshold_match_probability=floor)
        cols = kept_prediction_columns(c.unquote().name for c in pred.columns)
        frames.append(con.sql(f"SELECT {', '.join(cols)} FROM {pred.physical_name}").df())
        pred.drop_table_from_database_and_remove_from_cache()
        con.execute(f"DROP TABLE {name}")
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


#: Smallest m a level keeps: a disagreement the training data never showed for true matches
#: (a second nationality, a move to another city) weighs against a match but never vetoes it.
MIN_PROBABILITY = 0.01
#: Smallest m of "different" on identifiers people change: a person uses several phones over a
#: case (switching is what criminals do), several e-mail addresses and accounts.
MIN_M_IDENTIFIER_DIFFERENT = {"phones": 0.15, "emails": 0.15, "accounts": 0.15, "documents": 0.05}
#: Largest share of true matches with different numbers of one issuer for which a differing
#: number still vetoes a join (:attr:`MatchModel.document_veto`). Identity documents are renewed
#: and partners mistype or swap numbers: where the model learns that more than one true pair in
#: 20 disagrees (the floor above is that same 1 in 20), the number is weighed like any field.
#: Measured: 0.087-0.149 on FEBRL 1-4 (copies whose social security number was replaced), the
#: floor on generated persons.
DOCUMENT_VETO_MAX_M = MIN_M_IDENTIFIER_DIFFERENT["documents"]


#: The feature column that tells whether a comparison has anything to compare in a case.
COMPARISON_INPUT = {"name": "name_canon", "dob": "dob_y", "nationality": "nationality", "gender": "gender",
                    "city": "city", "postcode": "postcode", "region": "region", "phones": "phone1",
                    "emails": "email1", "documents": "doc1", "accounts": "accounts"}


def _comparisons_with_data(features: pd.DataFrame) -> set[str]:
    """Comparisons whose input is known for at least two records (the others cannot be trained:
    Splink would spend a pass of random pairs on each to learn nothing)."""
    out = set()
    for name, col in COMPARISON_INPUT.items():
        values = features[col]
        known = values.map(len).gt(0) if col == "accounts" else values.notna()
        if int(known.sum()) >= 2:
            out.add(name)
    return out


@functools.lru_cache(maxsize=1)
def _untrained_settings() -> dict[str, str]:
    """Comparison name -> its settings without m and u, as JSON (Splink parses each level's SQL
    to make them: 0.1 s a training, made once)."""
    out = {}
    for c in _comparisons():
        d = _untrained(c)
        out[d["output_column_name"]] = json.dumps(d)
    return out


def _comparison_names() -> list[str]:
    return list(_untrained_settings())


def _untrained(comparison: Any) -> dict[str, Any]:
    """A comparison's settings without m and u (for :func:`_fill_untrained`)."""
    d = comparison.get_comparison("duckdb").as_dict()
    for lvl in d["comparison_levels"]:
        lvl.pop("m_probability", None)
        lvl.pop("u_probability", None)
    return d


def _fill_untrained(model: dict[str, Any]) -> None:
    """Levels training never saw get parameters from their kind; m and u are kept off zero.

    A comparison with no trained level at all (no shared accounts in the training data) takes
    the parameters of the phone comparison, the identifier most like it.
    """
    comps = {c["output_column_name"]: c for c in model.get("comparisons", [])}

    def trained(comp):
        return any(lvl.get("m_probability") is not None for lvl in comp["comparison_levels"]
                   if not lvl.get("is_null_level"))

    for name, comp in comps.items():
        if name in MIN_M_IDENTIFIER_DIFFERENT and not trained(comp) and "phones" in comps and trained(comps["phones"]):
            ref = [lvl for lvl in comps["phones"]["comparison_levels"] if not lvl.get("is_null_level")]
            mine = [lvl for lvl in comp["comparison_levels"] if not lvl.get("is_null_level")]
            for a, b in zip(mine, ref):
                a["m_probability"], a["u_probability"] = b.get("m_probability"), b.get("u_probability")
        if not trained(comp):
            # nothing learnt (no postcodes among the training records): no evidence either way
            levels = [lvl for lvl in comp["comparison_levels"] if not lvl.get("is_null_level")]
            for lvl in levels:
                lvl["m_probability"] = lvl["u_probability"] = 1.0 / len(levels)
            continue
        for lvl in comp["comparison_levels"]:
            if lvl.get("is_null_level"):
                continue
            if lvl.get("u_probability") is None:  # never seen among random pairs: rare by chance
                lvl["u_probability"] = MIN_PROBABILITY / 50
            if lvl.get("m_probability") is None:
                lvl["m_probability"] = MIN_PROBABILITY
            floor = MIN_PROBABILITY
            if lvl.get("label_for_charts") == "different" and name in MIN_M_IDENTIFIER_DIFFERENT:
                floor = MIN_M_IDENTIFIER_DIFFERENT[name]
            lvl["m_probability"] = float(max(lvl["m_probability"], floor))
            lvl["u_probability"] = float(max(lvl["u_probability"], MIN_PROBABILITY / 50))


#: Where candidate pairs can be scored: this machine, or a Spark cluster.
ENGINES = ("duckdb", "spark")


class _quiet_splink:
    def __enter__(self):
        self._loggers = [logging.getLogger(n) for n in ("splink", "splink.internals")]
        self._levels = [lg.level for lg in self._loggers]
        for lg in self._loggers:
            lg.setLevel(logging.ERROR)
        return self

    def __exit__(self, *exc):
        for lg, lv in zip(self._loggers, self._levels):
            lg.setLevel(lv)


#: Share of the machine's memory DuckDB may hold before it spills to disk; the rest is left to
#: Python (the records, features and scored pairs as pandas frames).
DUCKDB_MEMORY_SHARE = 0.4


def _configure_duckdb(con: Any, threads: int = 2) -> None:
    """Threads, memory (it spills to a temporary directory) and macros of Splink's DuckDB connection."""
    con.execute(f"SET threads TO {int(threads)}")
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        con.execute(f"SET memory_limit = '{max(1, int(total * DUCKDB_MEMORY_SHARE / 2**30))}GB'")
    except (ValueError, OSError, AttributeError):  # no sysconf here: DuckDB's own default limit
        pass
    con.execute("SET preserve_insertion_order = false")
    register_macros(con)


def pairwise_scores(features: pd.DataFrame, *, seed: int = 0, model: MatchModel | None = None,
                    floor: float = 0.05) -> tuple[pd.DataFrame, MatchModel]:
    """Train (unless ``model`` is given) and score; returns ``(pairs, model)``."""
    model = model or MatchModel.train(features, seed=seed)
    return model.predict(features, floor=floor), model


# ---------------------------------------------------------------------------------------------
# Clusters with cannot-links
# ---------------------------------------------------------------------------------------------
def _one_typo(a: str, b: str) -> bool:
    """Two strings of one length that differ in one character or by two neighbours swapped.

    >>> _one_typo("19560409", "19650409"), _one_typo("19560409", "19560490"), _one_typo("1956", "1965")
    (True, True, True)
    >>> _one_typo("19560409", "19670409")
    False
    """
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    if len(a) != len(b) or len(diff) > 2:
        return False
    return len(diff) <= 1 or (diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])


def _dates_conflict(a: tuple, b: tuple) -> bool:
    (y1, m1, d1), (y2, m2, d2) = a, b
    if y1 is None or y2 is None:
        return False
    if PartialDate(y1, m1, d1).compatible(PartialDate(y2, m2, d2)):
        return False
    # one part differing between two otherwise equal dates is a typing error, not another person
    if m1 and m2 and d1 and d2:
        if _one_typo(f"{y1:04d}{m1:02d}{d1:02d}", f"{y2:04d}{m2:02d}{d2:02d}"):
            return False
        diffs = (y1 != y2) + (m1 != m2) + (d1 != d2)
        if diffs == 1 and abs(y1 - y2) <= 1:
            return False
        if y1 == y2 and m1 == d2 and d1 == m2:
            return False
    return True


@dataclass
class _Profile:
    dates: set = field(default_factory=set)
    genders: set = field(default_factory=set)
    docs: dict = field(default_factory=dict)  # issuer -> set of numbers
    codes: set = field(default_factory=set)  # name codes ("17" of "N17")


def _conflict(p: _Profile, q: _Profile, direct: set | frozenset = frozenset()) -> bool:
    """Whether two clusters hold records that are visibly two people.

    ``direct``: the birth dates of the pair that would join them, as ``(date of p, date of q)``
    pairs. The model weighed that pair's dates already (a date mistyped beyond recognition,
    with name and address agreeing, may still be one person); only the other members' dates
    can veto the join, so a weak chain never joins two people born on different days.
    """
    if len(p.genders | q.genders) > 1:
        return True
    if p.codes and q.codes and not (p.codes & q.codes):
        return True
    for a in p.dates:
        for b in q.dates:
            if (a, b) not in direct and _dates_conflict(a, b):
                return True
    for issuer, nums in p.docs.items():
        other = q.docs.get(issuer)
        # a number one typing error away is the same document mistyped, not another person's
        if other and not (nums & other) and not any(_one_typo(a, b) for a in nums for b in other):
            return True
    return False


def _profiles(features: pd.DataFrame, *, documents: bool = True) -> dict[str, _Profile]:
    out = {}
    n = len(features)

    def column(name: str) -> np.ndarray:
        # plain Python values, missing as None (no pandas scalar per record)
        if name not in features:
            return np.full(n, None, dtype=object)
        return features[name].astype(object).where(features[name].notna(), None).to_numpy(object)

    for uid, y, m, d, g, docs, code in zip(column("unique_id"), column("dob_y"), column("dob_m"), column("dob_d"),
                                           column("gender"), column("documents"), column("name_codes")):
        p = _Profile()
        if isinstance(code, str):
            p.codes.add(code)
        if y is not None:
            p.dates.add((int(y), None if m is None else int(m), None if d is None else int(d)))
        if isinstance(g, str):
            p.genders.add(g)
        for doc in docs if docs is not None and documents else []:
            issuer, _, num = str(doc).partition(":")
            p.docs.setdefault(issuer, set()).add(num)
        out[str(uid)] = p
    return out


def constrained_clusters(ids: Sequence[str], pairs: pd.DataFrame, *, threshold: float,
                         features: pd.DataFrame | None = None,
                         must_link: Iterable[tuple[str, str]] = (),
                         cannot_link: Iterable[tuple[str, str]] = (),
                         document_veto: bool = True) -> dict[str, str]:
    """Record id -> cluster representative (the smallest record id of its cluster).

    Must-links join first (deterministic hits, confirmed pairs). Then pairs at or above
    ``threshold`` join from the most probable down, each only when the two clusters hold no
    cannot-link and (with ``features``) no conflicting records: different dates of birth,
    genders, or (``document_veto``: the model's :attr:`MatchModel.document_veto`) documents of
    the same issuer.

    Examples
    --------
    A chain: A and B agree, B and C agree, but A and C are born in different years.

    >>> feats = person_features(pd.DataFrame({"unique_id": ["A", "B", "C"], "name": ["Ivan Petrov"] * 3,
    ...                                       "birth_date": ["1980-01-05", None, "1991-07-07"]}))
    >>> pairs = pd.DataFrame({"unique_id_l": ["A", "B"], "unique_id_r": ["B", "C"],
    ...                       "match_probability": [0.99, 0.98]})
    >>> sorted(constrained_clusters(["A", "B", "C"], pairs, threshold=0.9, features=feats).items())
    [('A', 'A'), ('B', 'A'), ('C', 'C')]

    The same when the record without a date is the cluster's representative (a name-only record
    that matches two namesakes joins one of them, never both):

    >>> feats = person_features(pd.DataFrame({"unique_id": ["A", "B", "C"], "name": ["Ivan Petrov"] * 3,
    ...                                       "birth_date": [None, "1980-01-05", "1991-07-07"]}))
    >>> pairs = pd.DataFrame({"unique_id_l": ["A", "A"], "unique_id_r": ["B", "C"], "match_probability": [0.99, 0.98]})
    >>> sorted(constrained_clusters(["A", "B", "C"], pairs, threshold=0.9, features=feats).items())
    [('A', 'A'), ('B', 'A'), ('C', 'C')]
    """
    parent = {str(i): str(i) for i in ids}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    must_link = [(str(a), str(b)) for a, b in must_link]
    strong = pairs[pairs["match_probability"] >= threshold] if len(pairs) else pairs
    # only records some pair may join need a profile (the others stay alone, as they are)
    touched = {x for pair in must_link for x in pair}
    touched.update(strong["unique_id_l"].astype(str).tolist() if len(strong) else ())
    touched.update(strong["unique_id_r"].astype(str).tolist() if len(strong) else ())
    profiles = _profiles(features[[str(u) in touched for u in features["unique_id"].to_numpy(object)]],
                         documents=document_veto) if features is not None else {}
    members: dict[str, _Profile] = {}
    blocked: dict[str, set[str]] = {}
    for a, b in cannot_link:
        a, b = str(a), str(b)
        if a in parent and b in parent:
            blocked.setdefault(a, set()).add(b)
            blocked.setdefault(b, set()).add(a)
    cannot: dict[str, set[str]] = {k: set(v) for k, v in blocked.items()}  # keyed by root

    def member(root: str) -> _Profile:
        # a copy, made when first needed: union() grows the root's profile, and the record's own
        # profile must stay its own (a pair's own dates are the two records', not its cluster's)
        got = members.get(root)
        if got is None:
            own = profiles.get(root, _Profile())
            got = members[root] = _Profile(set(own.dates), set(own.genders),
                                           {i: set(n) for i, n in own.docs.items()}, set(own.codes))
        return got

    def union(ra: str, rb: str) -> None:
        if rb < ra:
            ra, rb = rb, ra
        parent[rb] = ra
        pa, pb = member(ra), member(rb)
        members.pop(rb)
        pa.dates |= pb.dates
        pa.genders |= pb.genders
        pa.codes |= pb.codes
        for issuer, nums in pb.docs.items():
            pa.docs.setdefault(issuer, set()).update(nums)
        ca = cannot.setdefault(ra, set())
        ca |= cannot.pop(rb, set())

    def blocked_between(ra: str, rb: str) -> bool:
        ca = {find(x) for x in cannot.get(ra, ())}
        if rb in ca:
            return True
        cb = {find(x) for x in cannot.get(rb, ())}
        return ra in cb

    for a, b in must_link:
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb and not blocked_between(ra, rb):
                union(ra, rb)
    if len(strong):
        order = np.lexsort((strong["unique_id_r"].to_numpy(), strong["unique_id_l"].to_numpy(),
                            -strong["match_probability"].to_numpy()))
        left = strong["unique_id_l"].to_numpy()[order]
        right = strong["unique_id_r"].to_numpy()[order]
        for a, b in zip(left, right):
            a, b = str(a), str(b)
            if a not in parent or b not in parent:
                continue
            ra, rb = find(a), find(b)
            if ra == rb or blocked_between(ra, rb):
                continue
            if features is not None:
                # a is in ra's cluster and b in rb's: the pair's own dates are (a's, b's)
                da, db = profiles.get(a, _Profile()).dates, profiles.get(b, _Profile()).dates
                if _conflict(member(ra), member(rb), {(x, y) for x in da for y in db}):
                    continue
            union(ra, rb)
    return {k: find(k) for k in parent}
