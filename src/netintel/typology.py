"""Typologies: what kind of crime each community looks like, with a probability and the indicators.

Each community is described by features an analyst would look at (:data:`FEATURES`): the mix of
entity and link kinds, the countries involved (and how many are offshore jurisdictions, cocaine
sources or migrant origins), the money (transfers, amounts, currencies, crypto wallets), cyber
infrastructure (domains, IP addresses, servers, malware, indicators), vessels and vehicles, the
mobility of the phones (cell sites, mobile networks), and the rhythm of the calls (night share,
office hours, burstiness). A random forest (scikit-learn, seeded) trained on many generated
cases classifies the community as ``drug_trafficking``, ``human_smuggling``, ``cybercrime``,
``money_laundering`` or ``other``; readable indicators (rules kept as data in
``models/typology_rules.yaml``) say why, so the analyst can check.

The shipped model lives in ``netintel/models/typology.skops`` (skops format: loaded with an
explicit list of trusted types, never unpickled) with ``typology.json`` beside it (model version,
feature list, the seeds of the training cases, scikit-learn version, held-out accuracy). This
module only loads it: training (on generated, simulated or your own labelled cases) lives in
:mod:`netintel.training.typology`.

Examples
--------
>>> row = pd.Series({f: 0.0 for f in FEATURES})
>>> row[["n_crypto_wallet", "n_cyber_infrastructure"]] = [3.0, 12.0]
>>> [i.text for i in indicators(row)]
['3 crypto wallet(s)', '12 domains, IP addresses, servers, malware or indicators: cyber infrastructure']
"""

from __future__ import annotations

import html
import json
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import yaml

from .errors import NetintelError

__all__ = [
    "TYPOLOGIES",
    "UNDETERMINED",
    "FEATURES",
    "Indicator",
    "TypologyModel",
    "community_features",
    "indicators",
    "classify_communities",
    "load_model",
]

TYPOLOGIES = ("drug_trafficking", "human_smuggling", "cybercrime", "money_laundering", "other")
MODEL_VERSION = "1.0"

_KINDS = ("person", "organisation", "phone", "email", "bank_account", "crypto_wallet", "vehicle", "vessel",
          "address", "location", "identity_document", "domain", "ip_address", "url", "malware", "threat_actor",
          "infrastructure", "indicator", "file", "user_account")
_CYBER = ("domain", "ip_address", "url", "malware", "infrastructure", "indicator", "file", "tool")
_LINK_KINDS = ("call", "transfer", "uses", "owns", "directs", "controls", "resides_at", "registered_to",
               "associate_of", "family_of", "holds_document", "resolves_to", "hosts", "indicates", "attributed_to",
               "related_to", "sighting", "targets", "member_of", "employs")
_HOUR_BANDS = ((0, 4), (4, 8), (8, 12), (12, 16), (16, 20), (20, 24))

#: The features of a community, in the order the model reads them.
FEATURES: tuple[str, ...] = (
    ("size",)
    + tuple(f"n_{k}" for k in _KINDS)
    + ("share_person", "share_phone", "share_bank_account", "organisation_share", "n_cyber_infrastructure",
       "n_countries", "n_offshore", "n_cocaine_source", "n_migrant_origin", "n_links")
    + tuple(f"share_link_{k}" for k in _LINK_KINDS)
    + ("n_directs", "n_transfers", "log_total_amount", "log_median_amount", "max_transfer", "n_currencies",
       "share_non_eur", "n_calls", "calls_per_phone", "night_call_share", "late_call_share", "office_call_share",
       "evening_call_share")
    + tuple(f"calls_h{a:02d}_{b:02d}" for a, b in _HOUR_BANDS)
    + ("weekend_call_share", "call_burstiness", "peak_day_ratio", "n_cells", "n_cell_networks",
       "max_cells_per_phone", "mean_cells_per_phone", "max_networks_per_phone", "log_mean_call_duration",
       "n_sightings")
)


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Indicator:
    """A readable indicator that fired: which typology it supports and what was seen."""

    typology: str
    text: str
    rule: str
    source: str = ""
    kinds: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    return yaml.safe_load((resources.files("netintel") / "models" / "typology_rules.yaml").read_text("utf-8"))


_COND = re.compile(r"^\s*([a-z_0-9]+)\s*(>=|<=|==|>|<)\s*(-?[0-9.]+)\s*$")
_OPS = {">=": np.greater_equal, "<=": np.less_equal, "==": np.equal, ">": np.greater, "<": np.less}


def _holds(condition: str, row: Mapping[str, float]) -> bool:
    for part in condition.split(" and "):
        m = _COND.match(part)
        if not m:
            raise NetintelError(f"typology rule condition {condition!r} is not '<feature> <op> <number>'")
        name, op, value = m.groups()
        if name not in row:
            raise NetintelError(f"typology rule condition {condition!r} names an unknown feature {name!r}; "
                                f"known: {', '.join(FEATURES)}")
        if not bool(_OPS[op](float(row[name]), float(value))):
            return False
    return True


def indicators(features: Mapping[str, float] | pd.Series) -> list[Indicator]:
    """The rule indicators (``models/typology_rules.yaml``) that fire on one community's features."""
    row = features.to_dict() if isinstance(features, pd.Series) else dict(features)
    out = []
    for rule in _rules()["indicators"]:
        if _holds(rule["when"], row):
            out.append(Indicator(rule["typology"], rule["text"].format_map(row), rule["when"],
                                 str(rule.get("source", "")), tuple(rule.get("records") or ())))
    return out


# ---------------------------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------------------------
def _country_of_phone(number: str) -> str | None:
    import phonenumbers

    text = re.sub(r"[^\d+]", "", str(number))
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(text, None))
    except phonenumbers.NumberParseException:
        return None


_IBAN = re.compile(r"^([A-Z]{2})\d{2}")


def _countries(kind: str, label: Any, props: Mapping[str, Any]) -> set[str]:
    out = set()
    for key in ("nationality", "country", "jurisdiction", "issuing_country", "flag"):
        v = props.get(key)
        for item in (v if isinstance(v, list) else [v]):
            if isinstance(item, str) and re.fullmatch(r"[A-Za-z]{2}", item.strip()):
                out.add(item.strip().upper())
    if kind == "phone":
        cc = _country_of_phone(props.get("number") or label or "")
        if cc and cc != "ZZ":
            out.add(cc)
    if kind == "bank_account":
        m = _IBAN.match(str(props.get("iban") or label or "").replace(" ", "").upper())
        if m:
            out.add(m.group(1))
    return out


def _membership_records(ws: Any, membership: pd.DataFrame, resolved: pd.DataFrame | None = None) -> pd.DataFrame:
    """entity_id, resolved_id, community for every entity record of a member (by resolved or entity id)."""
    rid = ws.resolved_ids() if resolved is None else resolved
    m = membership[["id", "community"]].astype({"id": str})
    a = rid.merge(m, left_on="resolved_id", right_on="id")
    b = rid.merge(m, left_on="entity_id", right_on="id")
    out = pd.concat([a, b], ignore_index=True).drop_duplicates("entity_id")
    return out[["entity_id", "resolved_id", "community"]]


def community_features(ws: Any, membership: pd.DataFrame, *, tables: Mapping[str, pd.DataFrame] | None = None
                       ) -> pd.DataFrame:
    """One row of :data:`FEATURES` per community.

    Parameters
    ----------
    ws : Workspace
        The case the communities were found in.
    membership : DataFrame
        ``id, community``; ids are resolved ids (as :func:`netintel.communities.detect_communities`
        gives them) or entity ids.
    tables : mapping, optional
        Already loaded ``entities``, ``links``, ``events`` (and ``resolved_ids``) frames of ``ws``
        (saves reading them again when many memberships are scored on one workspace).

    Returns
    -------
    DataFrame indexed by community, columns :data:`FEATURES`.
    """
    tables = dict(tables or {})
    ents = tables.get("entities")
    if ents is None:
        ents = ws.entities()
    links = tables.get("links")
    if links is None:
        links = ws.links()
    events = tables.get("events")
    if events is None:
        events = ws.events()
    recs = _membership_records(ws, membership, tables.get("resolved_ids"))
    comm_of = dict(zip(recs["entity_id"], recs["community"]))
    country_groups = _rules()["country_groups"]
    offshore, cocaine, migrant = (set(country_groups[k]) for k in ("offshore", "cocaine_source", "migrant_origin"))

    e = ents.drop_duplicates("entity_id").merge(recs, on="entity_id")
    e["countries"] = [_countries(k, lab, p or {}) for k, lab, p in zip(e["kind"], e["label"], e["properties"])]
    # the ends of links and events, with their communities
    lk = links.assign(cs=links["source"].map(comm_of), ct=links["target"].map(comm_of))
    ev = events.assign(cs=events["source"].map(comm_of), ct=events["target"].map(comm_of))
    kind_of = dict(zip(ents["entity_id"], ents["kind"]))
    lk["target_kind"] = lk["target"].map(kind_of)
    # rows touching each community, grouped once (a scan per community is slow on many communities)
    lk_by = _touching(lk)
    ev_by = _touching(ev)
    empty_lk, empty_ev = lk.iloc[:0], ev.iloc[:0]

    rows = {}
    for c, grp in e.groupby("community", sort=True):
        f: dict[str, float] = {}
        per_resolved = grp.drop_duplicates("resolved_id")
        size = len(per_resolved)
        kinds = per_resolved["kind"].value_counts()
        f["size"] = size
        for k in _KINDS:
            f[f"n_{k}"] = float(kinds.get(k, 0))
        f["share_person"] = f["n_person"] / size
        f["share_phone"] = f["n_phone"] / size
        f["share_bank_account"] = f["n_bank_account"] / size
        f["organisation_share"] = f["n_organisation"] / size
        f["n_cyber_infrastructure"] = float(sum(kinds.get(k, 0) for k in _CYBER))
        countries = set().union(*grp["countries"]) if len(grp) else set()
        f["n_countries"] = float(len(countries))
        f["n_offshore"] = float(len(countries & offshore))
        f["n_cocaine_source"] = float(len(countries & cocaine))
        f["n_migrant_origin"] = float(len(countries & migrant))
        touching = lk_by.get(c, empty_lk)
        f["n_links"] = float(len(touching))
        lkinds = touching["kind"].value_counts()
        for k in _LINK_KINDS:
            f[f"share_link_{k}"] = float(lkinds.get(k, 0)) / max(len(touching), 1)
        # directorships, control and ownership of companies (not of cars or phones)
        corp = touching["kind"].isin(["directs", "controls", "owns"]) & touching["target_kind"].eq("organisation")
        f["n_directs"] = float(corp.sum())
        tev = ev_by.get(c, empty_ev)
        tr = tev[tev["kind"] == "transfer"]
        amounts = pd.to_numeric(tr["amount"], errors="coerce").dropna()
        f["n_transfers"] = float(len(tr))
        f["log_total_amount"] = float(np.log1p(amounts.sum())) if len(amounts) else 0.0
        f["log_median_amount"] = float(np.log1p(amounts.median())) if len(amounts) else 0.0
        f["max_transfer"] = float(amounts.max()) if len(amounts) else 0.0
        cur = tr["currency"].dropna().astype(str).str.upper()
        f["n_currencies"] = float(cur.nunique())
        f["share_non_eur"] = float((cur != "EUR").mean()) if len(cur) else 0.0
        calls = tev[tev["kind"] == "call"]
        f.update(_call_features(calls, calls[calls["cs"] == c], f["n_phone"]))
        f["n_sightings"] = float((tev["kind"] == "sighting").sum())
        rows[c] = f
    out = pd.DataFrame.from_dict(rows, orient="index")
    for col in FEATURES:
        if col not in out:
            out[col] = 0.0
    out = out[list(FEATURES)].astype(float).fillna(0.0)
    out.index.name = "community"
    return out


def _touching(frame: pd.DataFrame) -> dict[Any, pd.DataFrame]:
    """Community -> the rows with either end in it (a row touching two communities is in both)."""
    pos = np.arange(len(frame))
    long = pd.DataFrame({"c": np.concatenate([frame["cs"].to_numpy(dtype=object), frame["ct"].to_numpy(dtype=object)]),
                         "pos": np.concatenate([pos, pos])}).dropna(subset=["c"]).drop_duplicates()
    return {c: frame.iloc[np.sort(g["pos"].to_numpy())] for c, g in long.groupby("c", sort=False)}


def _call_features(calls: pd.DataFrame, made: pd.DataFrame, n_phones: float) -> dict[str, float]:
    """Rhythm of all calls touching the community; mobility from the calls its phones made
    (a call record's cell is the caller's)."""
    f: dict[str, float] = {}
    n = len(calls)
    f["n_calls"] = float(n)
    f["calls_per_phone"] = n / max(n_phones, 1.0)
    t = pd.to_datetime(calls["time"], errors="coerce").dropna()
    h = t.dt.hour.to_numpy() if len(t) else np.array([], dtype=int)
    share = (lambda mask: float(mask.mean()) if len(h) else 0.0)  # noqa: E731
    f["night_call_share"] = share((h >= 21) | (h < 5))
    f["late_call_share"] = share((h >= 22) | (h < 7) | ((h >= 13) & (h < 16)))
    f["office_call_share"] = share((h >= 9) & (h < 17) & (t.dt.day_of_week.to_numpy() < 5) if len(t) else h > 0)
    f["evening_call_share"] = share((h >= 16) | (h < 1))
    for a, b in _HOUR_BANDS:
        f[f"calls_h{a:02d}_{b:02d}"] = share((h >= a) & (h < b))
    f["weekend_call_share"] = share(t.dt.day_of_week.to_numpy() >= 5) if len(t) else 0.0
    if len(t) >= 2:
        days = t.dt.floor("D")
        span = pd.date_range(days.min(), days.max(), freq="D")
        daily = days.value_counts().reindex(span, fill_value=0).to_numpy(dtype=float)
        mu, sd = daily.mean(), daily.std()
        f["call_burstiness"] = float((sd - mu) / (sd + mu)) if sd + mu > 0 else 0.0
        f["peak_day_ratio"] = float(daily.max() / mu) if mu > 0 else 0.0
    else:
        f["call_burstiness"] = f["peak_day_ratio"] = 0.0
    located = made.dropna(subset=["place"]).assign(place=lambda d: d["place"].astype(str))
    f["n_cells"] = float(located["place"].nunique())
    # a cell id starts with its network's mobile country code
    f["n_cell_networks"] = float(located["place"].str[:3].nunique())
    if len(located):
        per_phone = located.groupby("source")["place"].nunique()
        networks = located.assign(mcc=located["place"].str[:3]).groupby("source")["mcc"].nunique()
        f["max_cells_per_phone"] = float(per_phone.max())
        f["mean_cells_per_phone"] = float(per_phone.mean())
        f["max_networks_per_phone"] = float(networks.max())
    else:
        f["max_cells_per_phone"] = f["mean_cells_per_phone"] = f["max_networks_per_phone"] = 0.0
    dur = pd.to_numeric(calls["duration"], errors="coerce").dropna()
    f["log_mean_call_duration"] = float(np.log1p(dur.mean())) if len(dur) else 0.0
    return f


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------
_TRUSTED = ["sklearn.tree._tree.Tree"]  # the one non-default type a saved random forest holds


def _default_path() -> Path:
    return Path(str(resources.files("netintel") / "models" / "typology.skops"))


@dataclass(frozen=True)
class TypologyModel:
    """A trained typology classifier with what it was trained on.

    ``info`` holds the model version, feature list, training seeds (for generated cases), the
    scikit-learn version and evaluation figures; it is saved as JSON beside the model.
    """

    estimator: Any = field(repr=False)
    features: tuple[str, ...]
    classes: tuple[str, ...]
    info: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def training_seeds(self) -> list[int]:
        return list(self.info.get("training_seeds", []))

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Typology, probability and indicators per row of a :func:`community_features` table."""
        missing = [f for f in self.features if f not in features]
        if missing:
            raise NetintelError(f"the feature table lacks {', '.join(missing)}; compute it with community_features")
        X = features[list(self.features)].to_numpy(dtype=float)
        proba = self.estimator.predict_proba(X) if len(X) else np.zeros((0, len(self.classes)))
        classes = [str(c) for c in self.estimator.classes_]
        best = proba.argmax(axis=1) if len(X) else np.array([], dtype=int)
        out = pd.DataFrame({"community": features.index.to_numpy(),
                            "typology": [classes[i] for i in best],
                            "probability": proba.max(axis=1) if len(X) else []})
        for j, cls in enumerate(classes):
            out[f"p_{cls}"] = proba[:, j]
        inds = [indicators(row) for _, row in features.iterrows()]
        out["indicators"] = [[i.text for i in sorted(lst, key=lambda i: i.typology != t)]
                             for lst, t in zip(inds, out["typology"])]
        out["supporting"] = [[i.text for i in lst if i.typology == t] for lst, t in zip(inds, out["typology"])]
        out["rule_typology"] = [_rule_vote(lst) for lst in inds]
        return out

    def save(self, path: str | Path) -> Path:
        """Write ``path`` (skops) and ``path`` with ``.json`` beside it; returns the model path."""
        import skops.io as sio

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sio.dump(self.estimator, path)
        meta = {**self.info, "features": list(self.features), "classes": list(self.classes),
                "model_version": self.info.get("model_version", MODEL_VERSION), "format": "skops"}
        path.with_suffix(".json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", "utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> "TypologyModel":
        """Load a saved model (the shipped one by default), trusting only the types a forest needs."""
        import sklearn
        import skops.io as sio

        path = Path(path) if path is not None else _default_path()
        meta_path = path.with_suffix(".json")
        if not path.exists() or not meta_path.exists():
            raise NetintelError(f"{path}: no typology model there (need the .skops file and its .json beside it); "
                                "train one with `python -m netintel.training.typology train`")
        meta = json.loads(meta_path.read_text("utf-8"))
        untrusted = set(sio.get_untrusted_types(file=path)) - set(_TRUSTED)
        if untrusted:
            raise NetintelError(f"{path}: the model holds types netintel does not trust ({', '.join(sorted(untrusted))}); "
                                "it was not made by netintel.training.typology — refusing to load it")
        estimator = sio.load(path, trusted=list(_TRUSTED))
        if meta.get("sklearn_version") and meta["sklearn_version"] != sklearn.__version__:
            warnings.warn(f"{path.name} was trained with scikit-learn {meta['sklearn_version']}, this is "
                          f"{sklearn.__version__}; retrain it if predictions look wrong", stacklevel=2)
        return cls(estimator, tuple(meta["features"]), tuple(meta["classes"]), meta)

    def _repr_html_(self) -> str:
        i = self.info
        return (f"<p><b>Typology model</b> v{html.escape(str(i.get('model_version', MODEL_VERSION)))}: "
                f"{len(self.features)} features, classes {html.escape(', '.join(self.classes))}; trained on "
                f"{i.get('n_examples', '?')} communities from {len(self.training_seeds)} generated cases; "
                f"held-out accuracy {i.get('heldout_accuracy', float('nan')):.3f}</p>")


def _rule_vote(found: list[Indicator]) -> str:
    if not found:
        return "other"
    counts = pd.Series([i.typology for i in found]).value_counts()
    top = counts[counts == counts.max()].index
    return sorted(top, key=TYPOLOGIES.index)[0]


@lru_cache(maxsize=1)
def _shipped() -> TypologyModel:
    return TypologyModel.load(None)


def load_model(path: str | Path | None = None) -> TypologyModel:
    """The shipped typology model (cached), or the one saved at ``path``."""
    return _shipped() if path is None else TypologyModel.load(path)


UNDETERMINED = "undetermined"


def _partner_votes(ents: pd.DataFrame, recs: pd.DataFrame) -> dict[Any, list[dict[str, Any]]]:
    """Community -> the members' records whose own offence / crime-area fields name a typology."""
    from ._text import word_matcher, words

    terms = _rules().get("partner_terms") or {}
    matchers = {t: (set(v.get("topics") or ()), word_matcher(v.get("words") or ())) for t, v in terms.items()}
    comm_of = dict(zip(recs["entity_id"], recs["community"]))
    out: dict[Any, list[dict[str, Any]]] = {}
    for rid, props in zip(ents["entity_id"], ents["properties"]):
        if rid not in comm_of or not isinstance(props, dict):
            continue
        values = [v for key in ("offence", "topics") for v in (props.get(key) if isinstance(props.get(key), list)
                                                               else [props.get(key)]) if v]
        if not values:
            continue
        toks = words(" ".join(map(str, values)))
        codes = {str(v).strip().lower() for v in values}
        for typology, (topics, match) in matchers.items():
            if codes & topics or match(toks):
                out.setdefault(comm_of[rid], []).append({"record": rid, "typology": typology,
                                                         "says": "; ".join(map(str, values))})
    return out


def classify_communities(result: Any, ws: Any, *, model: TypologyModel | None = None,
                         undetermined_below: float | None = None,
                         tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Typology of every community of a :class:`~netintel.communities.CommunityResult`, with its reasons.

    Three voices (weights and threshold in ``models/typology_rules.yaml``): the trained model's
    class probabilities, the share of fired indicators per typology, and the share of the
    members' records whose own offence or crime-area fields (``offence``, FtM ``topics``) name
    the typology. A voice with nothing to say is left out; the indicators and the partners'
    records reach their full weight at ``voice_full_at`` (3) indicators or records, so one weak
    indicator does not outvote the model. The combined probability of the best
    typology below ``undetermined_below`` (default 0.6) gives ``undetermined``: netintel does
    not print a label it is not confident of.

    Returns one row per community: ``community, size, typology, probability, p_<typology>...``
    (combined), ``model_typology, model_probability`` (the model alone), ``rule_typology``,
    ``partner_typology`` (None when no record says), ``indicators`` (every indicator that fired,
    those for the chosen typology first), ``supporting``, and ``evidence``: one dict per fired
    indicator or partner record with its typology, its published ``source`` and the entity
    ``records`` behind it.

    ``tables``: the workspace's ``entities``, ``links``, ``events`` and ``resolved_ids`` frames when
    already read (a briefing reads them once), as :func:`community_features` takes them.
    """
    model = model or load_model()
    rules = _rules()
    threshold = float(undetermined_below if undetermined_below is not None else rules.get("undetermined_below", 0.6))
    voices = {"model": 1.0, "indicators": 1.0, "partner_records": 2.0, **(rules.get("voices") or {})}
    full_at = float(rules.get("voice_full_at", 3))
    membership = result.membership if hasattr(result, "membership") else result
    tables = dict(tables or {})
    ents = tables.get("entities")
    if ents is None:
        ents = tables["entities"] = ws.entities()
    feats = community_features(ws, membership, tables=tables)
    out = model.predict(feats)
    recs = _membership_records(ws, membership, tables.get("resolved_ids"))
    partner = _partner_votes(ents, recs)
    kind_records = ents[["entity_id", "kind"]].merge(recs, on="entity_id")
    by_comm_kind = {k: sorted(g["entity_id"])[:20] for k, g in kind_records.groupby(["community", "kind"])}
    classes = [c for c in TYPOLOGIES if f"p_{c}" in out]
    rows = []
    for i, (c, frow) in enumerate(feats.iterrows()):
        fired = indicators(frow)
        score = {t: voices["model"] * float(out.loc[i, f"p_{t}"]) for t in classes}
        total = voices["model"]
        # a voice speaks louder the more it has seen, up to its full weight at ``full_at`` items
        if fired:
            weight = voices["indicators"] * min(1.0, len(fired) / full_at)
            for ind in fired:
                score[ind.typology] = score.get(ind.typology, 0.0) + weight / len(fired)
            total += weight
        said = partner.get(c, [])
        if said:
            weight = voices["partner_records"] * min(1.0, len(said) / full_at)
            for rec in said:
                score[rec["typology"]] = score.get(rec["typology"], 0.0) + weight / len(said)
            total += weight
        combined = {t: v / total for t, v in score.items()}
        best = sorted(combined, key=lambda t: (-combined[t], TYPOLOGIES.index(t)))[0]
        p = combined[best]
        evidence = [{"indicator": ind.text, "typology": ind.typology, "source": ind.source,
                     "records": [r for k in ind.kinds for r in by_comm_kind.get((c, k), [])][:20]} for ind in fired]
        evidence += [{"indicator": f"partner record says '{rec['says']}'", "typology": rec["typology"],
                      "source": "the reporting agency's offence / crime-area field", "records": [rec["record"]]}
                     for rec in said]
        partner_typology = (pd.Series([r["typology"] for r in said]).value_counts().index[0] if said else None)
        rows.append({"community": c, "typology": best if p >= threshold else UNDETERMINED, "probability": p,
                     **{f"p_{t}": combined.get(t, 0.0) for t in classes},
                     "model_typology": out.loc[i, "typology"], "model_probability": float(out.loc[i, "probability"]),
                     "rule_typology": out.loc[i, "rule_typology"], "partner_typology": partner_typology,
                     "indicators": [x.text for x in sorted(fired, key=lambda x: x.typology != best)],
                     "supporting": [x.text for x in fired if x.typology == best],
                     "evidence": evidence})
    table = pd.DataFrame(rows, columns=["community", "typology", "probability", *[f"p_{t}" for t in classes],
                                        "model_typology", "model_probability", "rule_typology", "partner_typology",
                                        "indicators", "supporting", "evidence"])
    sizes = membership.groupby("community").size()
    table.insert(1, "size", table["community"].map(sizes).fillna(0).astype(int))
    table.attrs["undetermined_below"] = threshold
    return table
