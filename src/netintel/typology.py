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
feature list, the seeds of the training cases, scikit-learn version, held-out accuracy). Retrain
on your own labelled cases with :func:`train_typology`; regenerate the shipped model with
``python -m netintel.typology train --cases 60 --seed 1 --out src/netintel/models/typology.skops``.

Examples
--------
>>> row = pd.Series({f: 0.0 for f in FEATURES})
>>> row[["n_crypto_wallet", "n_cyber_infrastructure"]] = [3.0, 12.0]
>>> [i.text for i in indicators(row)]
['3 crypto wallet(s)', '12 domains, IP addresses, servers, malware or indicators: cyber infrastructure']
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import tempfile
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
    "FEATURES",
    "Indicator",
    "TypologyModel",
    "LabelledCase",
    "community_features",
    "indicators",
    "classify_communities",
    "train_typology",
    "load_model",
    "synth_labelled_case",
    "training_table",
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
            out.append(Indicator(rule["typology"], rule["text"].format_map(row), rule["when"]))
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


def _membership_records(ws: Any, membership: pd.DataFrame) -> pd.DataFrame:
    """entity_id, resolved_id, community for every entity record of a member (by resolved or entity id)."""
    rid = ws.resolved_ids()
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
        Already loaded ``entities``, ``links``, ``events`` frames of ``ws`` (saves reading them
        again when many memberships are scored on one workspace).

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
    recs = _membership_records(ws, membership)
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
                                "train one with `python -m netintel.typology train`")
        meta = json.loads(meta_path.read_text("utf-8"))
        untrusted = set(sio.get_untrusted_types(file=path)) - set(_TRUSTED)
        if untrusted:
            raise NetintelError(f"{path}: the model holds types netintel does not trust ({', '.join(sorted(untrusted))}); "
                                "it was not made by train_typology — refusing to load it")
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


def classify_communities(result: Any, ws: Any, *, model: TypologyModel | None = None) -> pd.DataFrame:
    """Typology of every community of a :class:`~netintel.communities.CommunityResult`.

    Returns one row per community: ``community, size, typology, probability, p_<typology>...,
    indicators`` (every indicator that fired, those for the predicted typology first),
    ``supporting`` (those for the predicted typology) and ``rule_typology`` (the typology most
    indicators point to, for a second opinion).
    """
    model = model or load_model()
    membership = result.membership if hasattr(result, "membership") else result
    feats = community_features(ws, membership)
    out = model.predict(feats)
    sizes = membership.groupby("community").size()
    out.insert(1, "size", out["community"].map(sizes).astype(int))
    return out


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LabelledCase:
    """A case with known communities: the workspace, who belongs where, and each community's typology."""

    workspace: Any
    membership: pd.DataFrame  # id (entity or resolved id), community
    typology: Mapping[str, str]
    seed: int | None = None


def synth_labelled_case(seed: int | Any, *, scale: float = 1.0, resolve: bool = False) -> LabelledCase:
    """A generated case ingested, with its planted truth.

    ``seed`` is a seed for :func:`netintel.synth.case.generate_case`, or an already generated
    :class:`~netintel.synth.case.Case` (for example one of
    :func:`netintel.synth.training.generate_cases`). With ``resolve``, entity resolution runs on
    it first (as an analyst would before clustering); the planted membership is given by entity
    record id either way.
    """
    from .ingest import ingest
    from .synth.case import generate_case
    from .workspace import Workspace, record_id

    case = generate_case(seed=seed, scale=scale) if isinstance(seed, (int, np.integer)) else seed
    seed = int(case.seed)
    with tempfile.TemporaryDirectory() as tmp:
        case.write(tmp)
        ws = Workspace()
        folders = sorted(p for p in Path(tmp).iterdir() if p.is_dir() and p.name != "truth")
        ingest(ws, folders, progress=False)
    if resolve:
        from .resolve import resolve as run_resolution

        run_resolution(ws)
    rec = case.truth["records"]
    ent = case.truth["entities"]
    comm_of = dict(zip(ent["true_id"], ent["community"].fillna("")))
    ids = [record_id("E", a, f"{k}:{s}") for a, k, s in zip(rec["agency"], rec["kind"], rec["source_record_id"])]
    membership = pd.DataFrame({"id": ids, "community": rec["true_id"].map(comm_of).fillna("")})
    membership = membership[membership["community"] != ""].drop_duplicates("id")
    typ = dict(zip(case.truth["communities"]["community"], case.truth["communities"]["typology"]))
    return LabelledCase(ws, membership.reset_index(drop=True), typ, seed)


def _detected_examples(lc: LabelledCase, *, seed: int) -> pd.DataFrame:
    """Communities as netintel finds them in the case, labelled by the planted truth of most members.

    Detected communities mostly made of people in no planted group are labelled ``other``: the
    model must learn that ordinary circles are no crime typology.
    """
    from .communities import detect_communities

    ws = lc.workspace
    try:
        from .graph import build_graph

        graph = build_graph(ws)
    except ImportError:  # graph views not available: cluster the raw links
        graph = ws.links()[["source", "target", "weight"]]
    found = detect_communities(graph, seed=seed)
    truth = dict(zip(lc.membership["id"], lc.membership["community"]))
    resolved_truth = ws.resolved_ids().assign(t=lambda d: d["entity_id"].map(truth)).dropna(subset=["t"])
    truth_of = resolved_truth.groupby("resolved_id")["t"].agg(lambda s: s.mode().iloc[0])
    m = found.membership.assign(t=found.membership["id"].map(truth_of).fillna(""))
    labels = {}
    for c, grp in m.groupby("community"):
        if len(grp) < 5:  # fragments say little about a typology
            continue
        share = grp["t"].value_counts(normalize=True)
        top = share.index[0]
        labels[c] = lc.typology.get(top, "other") if top != "" and share.iloc[0] >= 0.5 else (
            "other" if (grp["t"] == "").mean() >= 0.8 else None)
    labels = {c: v for c, v in labels.items() if v is not None}
    feats = community_features(ws, found.membership[found.membership["community"].isin(labels)])
    feats["typology"] = [labels[c] for c in feats.index]
    feats["source"] = "detected"
    return feats


def training_table(cases: Iterable[LabelledCase], *, seed: int = 0, detected: bool = True,
                   progress: bool = False) -> pd.DataFrame:
    """Features and typology of every labelled community (and, with ``detected``, of the communities
    netintel detects in each case, labelled by the truth of most of their members)."""
    parts = []
    it = cases
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(list(cases), desc="cases")
    for lc in it:
        feats = community_features(lc.workspace, lc.membership)
        feats["typology"] = [lc.typology.get(c, "other") for c in feats.index]
        feats["source"] = "truth"
        if detected:
            feats = pd.concat([feats, _detected_examples(lc, seed=seed)])
        feats["case_seed"] = lc.seed if lc.seed is not None else -1
        parts.append(feats.reset_index())
    if not parts:
        raise NetintelError("no labelled cases to train on")
    return pd.concat(parts, ignore_index=True)


def train_typology(cases: Iterable[LabelledCase] | pd.DataFrame, *, seed: int, n_estimators: int = 200,
                   detected: bool = True) -> TypologyModel:
    """Train a typology model on labelled cases (or on a :func:`training_table`).

    Parameters
    ----------
    cases : iterable of LabelledCase, or DataFrame
        The analyst's own cases (a workspace with a ``membership`` and typologies), generated ones
        (:func:`synth_labelled_case`), or a table with :data:`FEATURES` and ``typology`` columns.
    seed : int
        Seeds the random forest: same cases, same seed, same model.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> table = pd.DataFrame(rng.random((40, len(FEATURES))), columns=list(FEATURES))
    >>> table["typology"] = np.where(table["n_vessel"] > 0.5, "drug_trafficking", "other")
    >>> model = train_typology(table, seed=1, n_estimators=20)
    >>> model.predict(table.head(2))[["typology"]].to_dict("list") == {"typology": list(table.typology[:2])}
    True
    """
    import sklearn
    from sklearn.ensemble import RandomForestClassifier

    table = cases if isinstance(cases, pd.DataFrame) else training_table(list(cases), seed=seed, detected=detected)
    missing = [f for f in FEATURES if f not in table] + (["typology"] if "typology" not in table else [])
    if missing:
        raise NetintelError(f"the training table lacks {', '.join(missing)}")
    unknown = sorted(set(table["typology"]) - set(TYPOLOGIES))
    if unknown:
        raise NetintelError(f"unknown typologies {', '.join(unknown)}; use {', '.join(TYPOLOGIES)}")
    # shallow-ish trees: as accurate here, and a shipped file of a few MB rather than tens
    est = RandomForestClassifier(n_estimators=n_estimators, random_state=seed, class_weight="balanced",
                                 max_depth=12, min_samples_leaf=2, n_jobs=1)
    est.fit(table[list(FEATURES)].to_numpy(dtype=float), table["typology"].to_numpy())
    seeds = sorted({int(s) for s in table["case_seed"]}) if "case_seed" in table else []
    info = {"model_version": MODEL_VERSION, "sklearn_version": sklearn.__version__, "model_seed": seed,
            "training_seeds": [s for s in seeds if s >= 0], "n_examples": int(len(table)),
            "examples_per_typology": {str(k): int(v) for k, v in table["typology"].value_counts().sort_index().items()},
            "estimator": f"RandomForestClassifier(n_estimators={n_estimators}, max_depth=12, min_samples_leaf=2, "
                         "class_weight='balanced')"}
    return TypologyModel(est, tuple(FEATURES), tuple(str(c) for c in est.classes_), info)


def evaluate(model: TypologyModel, cases: Iterable[LabelledCase]) -> pd.DataFrame:
    """Predicted against planted typology for every planted community of ``cases``."""
    rows = []
    for lc in cases:
        feats = community_features(lc.workspace, lc.membership)
        pred = model.predict(feats)
        pred["truth"] = pred["community"].map(lc.typology)
        pred["case_seed"] = lc.seed
        rows.append(pred)
    return pd.concat(rows, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# python -m netintel.typology train ...
# ---------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m netintel.typology",
                                 description="Train the typology model on generated cases.")
    sub = ap.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train on generated cases and save the model (skops + json)")
    tr.add_argument("--cases", type=int, default=60, help="number of generated training cases")
    tr.add_argument("--seed", type=int, default=1, help="model seed; training case seeds derive from it")
    tr.add_argument("--heldout", type=int, default=10, help="generated cases (other seeds) to measure accuracy")
    tr.add_argument("--scale", type=float, default=1.0)
    tr.add_argument("--varied", action="store_true",
                    help="train on netintel.synth.training.generate_cases (groups, sizes, features and rhythm "
                         "varied at random) instead of standard cases")
    tr.add_argument("--resolve-every", type=int, default=2,
                    help="run entity resolution on every N-th case (0: never), so the model knows both")
    tr.add_argument("--out", default=str(_default_path()), help="where to write the .skops (json beside it)")
    args = ap.parse_args(argv)
    train_seeds = training_seeds(args.seed, args.cases)
    held_seeds = heldout_seeds(args.seed, args.heldout)
    from tqdm.auto import tqdm

    def resolved(i: int) -> bool:
        return args.resolve_every > 0 and i % args.resolve_every == 0

    if args.varied:
        from .synth.training import generate_cases

        generated = generate_cases(args.cases, seed=args.seed)
        train_seeds = [int(c.seed) for c in generated]
        cases = [synth_labelled_case(c, resolve=resolved(i))
                 for i, c in enumerate(tqdm(generated, desc="training cases"))]
    else:
        cases = [synth_labelled_case(s, scale=args.scale, resolve=resolved(i))
                 for i, s in enumerate(tqdm(train_seeds, desc="training cases"))]
    table = training_table(cases, seed=args.seed)
    model = train_typology(table, seed=args.seed)
    held = [synth_labelled_case(s, scale=args.scale, resolve=resolved(i))
            for i, s in enumerate(tqdm(held_seeds, desc="held-out cases"))]
    ev = evaluate(model, held)
    acc = float((ev["typology"] == ev["truth"]).mean())
    model.info.update({"heldout_seeds": held_seeds, "heldout_accuracy": acc, "scale": args.scale,
                       "resolved_training_seeds": [s for i, s in enumerate(train_seeds) if resolved(i)],
                       "generator": "netintel.synth.case.generate_case"})
    model.save(args.out)
    print(f"trained on {len(table)} communities from {len(train_seeds)} cases; held-out accuracy {acc:.3f} "
          f"on {len(ev)} planted communities of {len(held)} cases; saved {args.out}")
    print(pd.crosstab(ev["truth"], ev["typology"]))
    return 0


def training_seeds(seed: int, n: int) -> list[int]:
    """Seeds of the generated training cases: 100000 * seed + 1000 + i (never the sample's 7)."""
    return [100_000 * seed + 1_000 + i for i in range(n)]


def heldout_seeds(seed: int, n: int) -> list[int]:
    return [100_000 * seed + 50_000 + i for i in range(n)]


if __name__ == "__main__":
    sys.exit(main())
