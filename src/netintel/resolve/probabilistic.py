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

import json
import logging
import os
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
                   "dob_y", "dob_m", "dob_d", "dob_iso", "dob_ym", "gender", "nationality", "city", "phones",
                   "emails", "documents", "accounts", "phone1", "email1", "doc1"]


def _listify(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, float) and np.isnan(value):
        return []
    if isinstance(value, (list, tuple, set, np.ndarray)):
        out = []
        for v in value:
            out.extend(_listify(v))
        return out
    s = str(value).strip()
    return [s] if s else []


def _name_of(row: Mapping[str, Any]) -> list[str]:
    first, last = row.get("first_name"), row.get("last_name")
    toks: list[str] = []
    if _listify(first) or _listify(last):
        for v in _listify(first) + _listify(last):
            toks.extend(name_tokens(v))
    if not toks:
        for v in _listify(row.get("name")) or _listify(row.get("full_name")):
            toks = name_tokens(v)
            if toks:
                break
    return toks


#: From this many records on, :func:`person_features` shows a progress bar.
PROGRESS_FROM = 50_000


def person_features(records: pd.DataFrame, *, progress: bool | None = None) -> pd.DataFrame:
    """The comparison columns of person records (one row per record, same order).

    ``records`` has ``unique_id`` and any of: ``first_name``, ``last_name``, ``name`` /
    ``full_name``, ``birth_date`` (possibly partial), ``gender``, ``nationality``, ``city`` or
    ``address``, ``phone`` / ``phones``, ``email`` / ``emails``, ``id_number`` / ``documents``
    (keys ``CC:NUMBER``), ``accounts`` (any other identifier keys: IBANs, wallets, plates), and
    ``country`` (the reporting agency's country: default phone region and document issuer).
    Values may be lists. ``progress``: a progress bar (default: from :data:`PROGRESS_FROM` records).
    """
    if "unique_id" not in records:
        raise ResolutionError("person records need a 'unique_id' column")
    rows = records.to_dict(orient="records")
    out: dict[str, list] = {c: [] for c in FEATURE_COLUMNS}
    if progress or (progress is None and len(rows) >= PROGRESS_FROM):
        from tqdm.auto import tqdm  # imported only when shown: in Jupyter it warns without ipywidgets

        rows = tqdm(rows, desc="person features", unit="record", mininterval=2)
    for row in rows:
        country = row.get("country") if isinstance(row.get("country"), str) else None
        toks = _name_of(row)
        canon = sorted(canonical_given(t) for t in toks)
        skel = sorted(s for s in (skeleton(t) for t in canon) if s)
        out["unique_id"].append(str(row["unique_id"]))
        out["name_sorted"].append(" ".join(sorted(toks)) or None)
        out["name_canon"].append(" ".join(canon) or None)
        out["name_skel"].append(" ".join(skel) or None)
        out["name_tokens"].append(canon)
        out["skel1"].append(skel[0] if skel else None)
        out["skel2"].append(skel[-1] if len(skel) > 1 else None)
        dob = PartialDate(None)
        for v in _listify(row.get("birth_date")):
            dob = PartialDate.parse(v)
            if dob.year:
                break
        out["dob_y"].append(dob.year)
        out["dob_m"].append(dob.month)
        out["dob_d"].append(dob.day)
        out["dob_iso"].append(dob.iso() if dob.precision == "day" else None)
        out["dob_ym"].append(f"{dob.year:04d}-{dob.month:02d}" if dob.month else None)
        g = fold(_listify(row.get("gender"))[0]) if _listify(row.get("gender")) else ""
        out["gender"].append({"m": "m", "male": "m", "man": "m", "f": "f", "female": "f", "w": "f",
                              "v": "f", "woman": "f"}.get(g))
        nat = _listify(row.get("nationality"))
        out["nationality"].append(nat[0].strip().upper()[:2] if nat else None)
        city = _listify(row.get("city"))
        if not city:
            addr = _listify(row.get("address"))
            city = [addr[0].rsplit(",", 1)[-1]] if addr and "," in addr[0] else []
        out["city"].append(fold(city[0]) or None if city else None)
        phones = sorted({p for p in (phone_e164(v, country) for v in
                                     _listify(row.get("phone")) + _listify(row.get("phones"))) if p})
        emails = sorted({e for e in (email(v) for v in _listify(row.get("email")) + _listify(row.get("emails"))) if e})
        docs: set[str] = set()
        for v in _listify(row.get("documents")):
            docs.add(v)  # already keyed "CC:NUMBER"
        for v in _listify(row.get("id_number")):
            # a document number written with its issuer's prefix ("BGA1234567") keys on that issuer
            issuer = v[:2].upper() if len(v) > 2 and v[:2].isalpha() and v[2:3].isalnum() else None
            d = document(v, issuer or (nat[0][:2].upper() if nat else None) or country)
            if d:
                docs.add(d)
        out["phones"].append(phones)
        out["emails"].append(emails)
        out["documents"].append(sorted(docs))
        out["accounts"].append(sorted(set(_listify(row.get("accounts")))))
        out["phone1"].append(phones[0] if phones else None)
        out["email1"].append(emails[0] if emails else None)
        out["doc1"].append(sorted(docs)[0] if docs else None)
    df = pd.DataFrame(out)
    for c in ("dob_y", "dob_m", "dob_d"):
        df[c] = df[c].astype("Int64")
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


def _tokens_within(a: str, b: str) -> str:
    """SQL: every name token of ``a`` has a close token in ``b`` (Jaro-Winkler >= 0.9, or one
    contains the other: "altamimi" and "tamimi"); tolerates a second surname, an article, a typo."""
    return (f"list_bool_and(list_transform({a}, lambda x: list_bool_or(list_transform({b}, lambda y: "
            f"jaro_winkler_similarity(x, y) >= 0.9 OR (length(y) >= 4 AND contains(x, y)) "
            f"OR (length(x) >= 4 AND contains(y, x))))))")


def _comparisons() -> list[Any]:
    from splink import comparison_library as cl

    name = cl.CustomComparison(output_column_name="name", comparison_description="names", comparison_levels=[
        _lvl("name_canon_l IS NULL OR name_canon_r IS NULL", "null", null=True),
        _lvl("name_sorted_l = name_sorted_r", "exact"),
        _lvl("name_canon_l = name_canon_r", "same with given-name variants"),
        _lvl("name_skel_l = name_skel_r", "same skeleton (transliteration)"),
        _lvl(f"{_jw('name_canon')} >= 0.94", "jaro-winkler >= 0.94"),
        _lvl(f"{_tokens_within('name_tokens_l', 'name_tokens_r')} OR {_tokens_within('name_tokens_r', 'name_tokens_l')}",
             "every token of one close to a token of the other"),
        _lvl(f"{_jw('name_canon')} >= 0.88 OR {_jw('name_skel')} >= 0.92", "jaro-winkler >= 0.88"),
        _lvl(f"{_jw('name_canon')} >= 0.78", "jaro-winkler >= 0.78"),
        _lvl("ELSE", "different"),
    ])
    dob = cl.CustomComparison(output_column_name="dob", comparison_description="date of birth", comparison_levels=[
        _lvl("dob_y_l IS NULL OR dob_y_r IS NULL", "null", null=True),
        _lvl("dob_iso_l = dob_iso_r", "same day"),
        _lvl("dob_ym_l = dob_ym_r AND (dob_d_l IS NULL OR dob_d_r IS NULL)", "same month, day unknown"),
        _lvl("dob_y_l = dob_y_r AND (dob_m_l IS NULL OR dob_m_r IS NULL)", "same year, month unknown"),
        _lvl("(dob_y_l = dob_y_r AND dob_m_l = dob_d_r AND dob_d_l = dob_m_r) OR "
             "(dob_y_l = dob_y_r AND dob_m_l = dob_m_r) OR "
             "(abs(dob_y_l - dob_y_r) = 1 AND dob_m_l = dob_m_r AND dob_d_l = dob_d_r) OR "
             "(dob_y_l = dob_y_r AND dob_d_l = dob_d_r)", "one part differs"),
        _lvl("ELSE", "different"),
    ])
    nat = cl.CustomComparison(output_column_name="nationality", comparison_levels=[
        _lvl("nationality_l IS NULL OR nationality_r IS NULL", "null", null=True),
        _lvl("nationality_l = nationality_r", "same"),
        _lvl("ELSE", "different"),
    ])
    gender = cl.CustomComparison(output_column_name="gender", comparison_levels=[
        _lvl("gender_l IS NULL OR gender_r IS NULL", "null", null=True),
        _lvl("gender_l = gender_r", "same"),
        _lvl("ELSE", "different"),
    ])
    city = cl.CustomComparison(output_column_name="city", comparison_levels=[
        _lvl("city_l IS NULL OR city_r IS NULL", "null", null=True),
        _lvl(f"city_l = city_r OR {_jw('city')} >= 0.9", "same"),
        _lvl("ELSE", "different"),
    ])
    out = [name, dob, nat, gender, city]
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
                   " OR (abs(l.dob_y - r.dob_y) = 1 AND l.dob_m = r.dob_m AND l.dob_d = r.dob_d))")


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
#: block alone; every block on a name also asks for birth dates that may agree.
BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule(("dob_iso",)),
    BlockingRule(("phone1",)),
    BlockingRule(("email1",)),
    BlockingRule(("doc1",)),
    BlockingRule(("skel1", "dob_y"), DATES_MAY_AGREE),
    BlockingRule(("skel2", "dob_y"), DATES_MAY_AGREE),
    BlockingRule(("name_canon",), DATES_MAY_AGREE),
    BlockingRule(("name_skel",), DATES_MAY_AGREE),
    BlockingRule(("skel1", "nationality"), DATES_MAY_AGREE, broad=True),
    BlockingRule(("skel2", "nationality"), DATES_MAY_AGREE, broad=True),
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
    import duckdb

    cols = list(keys)
    con = duckdb.connect()
    try:
        con.register("f", features[cols])
        where = " AND ".join(f'"{k}" IS NOT NULL' for k in cols)
        group = ", ".join(f'"{k}"' for k in cols)
        n = con.execute(f"SELECT coalesce(sum(c * (c - 1) // 2), 0)::BIGINT FROM "
                        f"(SELECT count(*) AS c FROM f WHERE {where} GROUP BY {group})").fetchone()[0]
    finally:
        con.close()
    return int(n)


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
    (8, [('skel1', 'nationality'), ('skel2', 'nationality')], 2, 1)
    """
    budget = BROAD_PAIR_BUDGET if budget is None else budget
    used, left_out = [], []
    spent = total = 0
    for rule in BLOCKING_RULES:
        n = block_pairs(features, rule.keys)
        if rule.broad:
            if spent + n > budget:
                left_out.append(rule)
                continue
            spent += n
        total += n
        used.append(rule)
    return BlockingPlan(tuple(used), tuple(left_out), total)


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
    def train(cls, features: pd.DataFrame, *, seed: int = 0, max_pairs_u: float = 4e5,
              max_pairs_em: float | None = 2e6) -> "MatchModel":
        """Train m and u without labels on ``features`` (:func:`person_features`)."""
        from splink import Linker, SettingsCreator, block_on
        from splink.backends.duckdb import DuckDBAPI

        if len(features) < 4:
            raise ResolutionError("too few person records to train a matching model (need at least 4); "
                                  "load a trained model with MatchModel.load()")
        settings = SettingsCreator(link_type="dedupe_only", comparisons=_comparisons(),
                                   blocking_rules_to_generate_predictions=_blocking_rules(),
                                   retain_intermediate_calculation_columns=False, retain_matching_columns=False,
                                   max_iterations=20, em_convergence=1e-4)
        with _quiet_splink():
            db = DuckDBAPI()
            # one thread: sums of floats in parallel come out in varying order, and the model
            # must be the same, to the last bit, for the same records and seed
            _configure_duckdb(db, 1)
            linker = Linker(db.register(features[FEATURE_COLUMNS]), settings, log_level=None)
            n = len(features)
            linker.training.estimate_probability_two_random_records_match(
                [block_on("name_canon", "dob_iso"), block_on("doc1"), block_on("name_canon", "phone1")], recall=0.6)
            linker.training.estimate_u_using_random_sampling(max_pairs=min(max_pairs_u, n * (n - 1) / 2),
                                                             seed=seed, min_count_per_level=None, num_chunks=1)
            em_kw = {"max_pairs": max_pairs_em, "record_sample_proportion": 0.2} if max_pairs_em and n > 50_000 else {}
            # Two passes, each estimating the comparisons its blocking rule does not use. The second
            # blocks on shared identifiers (mostly true matches): blocking on the name would teach
            # the model that namesakes of one nationality are matches with different birth dates.
            # One pass per identifier: an OR of equalities is a nested-loop join in DuckDB
            # (150 s at 100k records), each equality alone a hash join.
            for rule in (block_on("dob_iso"), block_on("phone1"), block_on("doc1")):
                try:
                    linker.training.estimate_parameters_using_expectation_maximisation(
                        rule, estimate_without_term_frequencies=True, **em_kw)
                except Exception as exc:  # pragma: no cover - too few pairs in a block on tiny inputs
                    if "no" not in str(exc).lower() and "empty" not in str(exc).lower():
                        raise
            model = linker.misc.save_model_to_json()
        model.pop("linker_uid", None)  # a random id per linker: the saved model must not vary
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
                spark_master: str | None = None) -> pd.DataFrame:
        """Scored candidate pairs with ``match_probability >= floor``.

        Columns: ``unique_id_l, unique_id_r, match_weight, match_probability`` and one
        ``gamma_<comparison>`` column per comparison (the level that applied), and ``rule``
        (the blocking rule that found the pair).

        ``engine``: ``"duckdb"`` (this machine) or ``"spark"`` (Splink's Spark backend on
        ``spark_master``, default ``local[2]``; see :mod:`netintel.resolve._spark`). Both score
        every pair with the same code and give the same pairs, levels and weights.
        """
        if engine not in ENGINES:
            raise ResolutionError(f"unknown resolution engine {engine!r}; use one of {', '.join(ENGINES)}")
        if len(features) < 2:
            return pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_weight", "match_probability"])
        settings = dict(self.settings)
        # the rules of this code, not those stored with the model: a model trained before a
        # blocking change still predicts with today's rules, sized to these records
        plan = prediction_rules(features)
        rules = plan.rules
        settings["blocking_rules_to_generate_predictions"] = [r.splink() for r in rules]
        settings["retain_intermediate_calculation_columns"] = True  # keeps the gamma (level) columns
        settings["retain_matching_columns"] = True
        with _quiet_splink():
            if engine == "spark":
                from ._spark import predict_on_spark

                df = predict_on_spark(settings, features, FEATURE_COLUMNS, floor=floor, master=spark_master)
            else:
                df = _predict_on_duckdb(settings, features, floor=floor, chunks=plan.chunks)
        keep = ["unique_id_l", "unique_id_r", "match_weight", "match_probability", "match_key"] + \
            [c for c in df.columns if c.startswith(("gamma_", "mw_"))]
        df = df[[c for c in keep if c in df.columns]].copy()
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


#: Smallest m a level keeps: a disagreement the training data never showed for true matches
#: (a second nationality, a move to another city) weighs against a match but never vetoes it.
MIN_PROBABILITY = 0.01
#: Smallest m of "different" on identifiers people change: a person uses several phones over a
#: case (switching is what criminals do), several e-mail addresses and accounts.
MIN_M_IDENTIFIER_DIFFERENT = {"phones": 0.15, "emails": 0.15, "accounts": 0.15, "documents": 0.05}


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


def _predict_on_duckdb(settings: dict[str, Any], features: pd.DataFrame, *, floor: float,
                       chunks: int) -> pd.DataFrame:
    from splink import Linker
    from splink.backends.duckdb import DuckDBAPI

    db = DuckDBAPI()
    _configure_duckdb(db)
    # the settings were validated when the model was trained; validating again costs seconds
    linker = Linker(db.register(features[FEATURE_COLUMNS]), settings, log_level=None, validate_settings=False)
    slices = {"num_chunks_left": chunks, "num_chunks_right": 1} if chunks > 1 else {}
    return linker.inference.predict(threshold_match_probability=floor, **slices).as_pandas_dataframe()


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


def _configure_duckdb(db: Any, threads: int = 2) -> None:
    """Threads and memory of Splink's DuckDB connection (it spills to a temporary directory)."""
    try:
        db._con.execute(f"SET threads TO {int(threads)}")
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        db._con.execute(f"SET memory_limit = '{max(1, int(total * DUCKDB_MEMORY_SHARE / 2**30))}GB'")
        db._con.execute("SET preserve_insertion_order = false")
    except Exception:  # pragma: no cover - private attribute of a dependency
        pass


def pairwise_scores(features: pd.DataFrame, *, seed: int = 0, model: MatchModel | None = None,
                    floor: float = 0.05) -> tuple[pd.DataFrame, MatchModel]:
    """Train (unless ``model`` is given) and score; returns ``(pairs, model)``."""
    model = model or MatchModel.train(features, seed=seed)
    return model.predict(features, floor=floor), model


# ---------------------------------------------------------------------------------------------
# Clusters with cannot-links
# ---------------------------------------------------------------------------------------------
def _dates_conflict(a: tuple, b: tuple) -> bool:
    (y1, m1, d1), (y2, m2, d2) = a, b
    if y1 is None or y2 is None:
        return False
    if PartialDate(y1, m1, d1).compatible(PartialDate(y2, m2, d2)):
        return False
    # one part differing between two otherwise equal dates is a typing error, not another person
    if m1 and m2 and d1 and d2:
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


def _conflict(p: _Profile, q: _Profile) -> bool:
    if len(p.genders | q.genders) > 1:
        return True
    for a in p.dates:
        for b in q.dates:
            if _dates_conflict(a, b):
                return True
    for issuer, nums in p.docs.items():
        other = q.docs.get(issuer)
        if other and not (nums & other):
            return True
    return False


def _profiles(features: pd.DataFrame) -> dict[str, _Profile]:
    out = {}
    for uid, y, m, d, g, docs in zip(features["unique_id"], features["dob_y"], features["dob_m"],
                                     features["dob_d"], features["gender"], features["documents"]):
        p = _Profile()
        if not pd.isna(y):
            p.dates.add((int(y), None if pd.isna(m) else int(m), None if pd.isna(d) else int(d)))
        if isinstance(g, str):
            p.genders.add(g)
        for doc in docs if docs is not None else []:
            issuer, _, num = str(doc).partition(":")
            p.docs.setdefault(issuer, set()).add(num)
        out[str(uid)] = p
    return out


def constrained_clusters(ids: Sequence[str], pairs: pd.DataFrame, *, threshold: float,
                         features: pd.DataFrame | None = None,
                         must_link: Iterable[tuple[str, str]] = (),
                         cannot_link: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Record id -> cluster representative (the smallest record id of its cluster).

    Must-links join first (deterministic hits, confirmed pairs). Then pairs at or above
    ``threshold`` join from the most probable down, each only when the two clusters hold no
    cannot-link and (with ``features``) no conflicting records: different dates of birth,
    genders, or documents of the same issuer.

    Examples
    --------
    A chain: A and B agree, B and C agree, but A and C are born in different years.

    >>> feats = person_features(pd.DataFrame({"unique_id": ["A", "B", "C"], "name": ["Ivan Petrov"] * 3,
    ...                                       "birth_date": ["1980-01-05", None, "1991-07-07"]}))
    >>> pairs = pd.DataFrame({"unique_id_l": ["A", "B"], "unique_id_r": ["B", "C"],
    ...                       "match_probability": [0.99, 0.98]})
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

    profiles = _profiles(features) if features is not None else {}
    members: dict[str, _Profile] = {}
    blocked: dict[str, set[str]] = {}
    for a, b in cannot_link:
        a, b = str(a), str(b)
        if a in parent and b in parent:
            blocked.setdefault(a, set()).add(b)
            blocked.setdefault(b, set()).add(a)
    cannot: dict[str, set[str]] = {k: set(v) for k, v in blocked.items()}  # keyed by root
    for k in parent:
        members[k] = profiles.get(k, _Profile())

    def union(ra: str, rb: str) -> None:
        if rb < ra:
            ra, rb = rb, ra
        parent[rb] = ra
        pa, pb = members[ra], members.pop(rb)
        pa.dates |= pb.dates
        pa.genders |= pb.genders
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
        a, b = str(a), str(b)
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb and not blocked_between(ra, rb):
                union(ra, rb)
    if len(pairs):
        strong = pairs[pairs["match_probability"] >= threshold]
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
            if features is not None and _conflict(members[ra], members[rb]):
                continue
            union(ra, rb)
    return {k: find(k) for k in parent}
