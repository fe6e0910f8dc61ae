"""The resolution run over a workspace: keys, deterministic hits, the person model, clusters, ids."""

from __future__ import annotations

import html
import json
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import ResolutionError
from ..workspace import Workspace
from . import collective as C
from . import decisions as D
from .deterministic import STRONG_PERSON_KEYS, entity_keys, identifier_pairs, linked_keys, organisation_pairs
from .probabilistic import (ENGINES, FeatureTable, MatchModel, combination_codes, constrained_clusters,
                            person_features)

__all__ = ["resolve", "explain", "ResolutionResult", "Explanation", "resolve_persons", "default_model", "stored_model",
           "DEFAULT_THRESHOLD", "MIN_TRAINING_RECORDS"]

#: Default match probability at or above which two person records are one person.
DEFAULT_THRESHOLD = 0.9
#: Fewer person records than this: use the packaged model instead of training one on the case.
MIN_TRAINING_RECORDS = 500
#: Scored pairs below this probability are not kept (neither merged nor worth a review).
REVIEW_FLOOR = 0.05


def default_model() -> MatchModel:
    """The packaged person model: trained without labels (u by sampling, m by EM) on fictional
    person records (built by :mod:`netintel.training.resolution`); used for small cases."""
    text = resources.files("netintel").joinpath("models/person_resolution.json").read_text(encoding="utf-8")
    return MatchModel.from_json(text)


# ---------------------------------------------------------------------------------------------
# Frame-level resolution (benchmarks, PPRL comparison)
# ---------------------------------------------------------------------------------------------
def resolve_persons(records: pd.DataFrame, *, threshold: float = DEFAULT_THRESHOLD, seed: int = 0,
                    model: MatchModel | str | Path | None = None, train: bool | None = None,
                    must_link: Sequence[tuple[str, str]] = (),
                    cannot_link: Sequence[tuple[str, str]] = (), engine: str = "duckdb",
                    spark_master: str | None = None) -> tuple[pd.Series, pd.DataFrame, MatchModel]:
    """Resolve a frame of person records (see :func:`~netintel.resolve.probabilistic.person_features`).

    Returns ``(cluster, pairs, model)``: ``cluster`` maps each ``unique_id`` to the smallest
    ``unique_id`` of its cluster; ``pairs`` are the scored candidate pairs.
    ``train``: True trains on these records, False uses ``model`` or the packaged model, None
    trains when there are at least :data:`MIN_TRAINING_RECORDS` records. ``engine`` scores the
    pairs on ``"duckdb"`` or ``"spark"`` (at ``spark_master``), as :func:`resolve`.
    """
    feats = person_features(records)
    table = FeatureTable.of(feats)  # one copy in DuckDB, for the training and the scoring
    try:
        model, _ = _pick_model(feats, model, train, seed, table)
        pairs = model.predict(feats, floor=min(REVIEW_FLOOR, threshold), engine=engine, spark_master=spark_master,
                              table=table)
    finally:
        table.close()
    strong = _strong_person_pairs(feats)
    clusters = constrained_clusters(feats["unique_id"].tolist(), pairs, threshold=threshold, features=feats,
                                    must_link=list(must_link) + strong, cannot_link=cannot_link,
                                    document_veto=model.document_veto)
    return pd.Series(clusters, name="cluster").rename_axis("unique_id"), pairs, model


def _pick_model(feats: pd.DataFrame, model: MatchModel | str | Path | None, train: bool | None,
                seed: int, table: FeatureTable | None = None) -> tuple[MatchModel, str]:
    """The model to score ``feats`` with, and how it was chosen (the run summary says it).

    Training chosen automatically (``train=None``) that cannot learn from these records (no
    duplicates among them, say) falls back to the given or packaged model, with the reason.
    """
    if isinstance(model, (str, Path)):
        model = MatchModel.load(model)
    given = model is not None
    auto = train is None
    if auto:
        train = not given and len(feats) >= MIN_TRAINING_RECORDS
    if train:
        try:
            return MatchModel.train(feats, seed=seed, table=table), "trained on this case"
        except ResolutionError as exc:
            if not auto:
                raise
            reason = str(exc).split(". Use")[0]
            warnings.warn(f"{reason}; resolving with the packaged person model instead", stacklevel=3)
            return default_model().for_size(len(feats)), f"packaged ({reason})"
    return (model or default_model()).for_size(len(feats)), "given" if given else "packaged"


def _strong_person_pairs(feats: pd.DataFrame) -> list[tuple[str, str]]:
    first: dict[str, str] = {}
    out = []
    for uid, docs in zip(feats["unique_id"], feats["documents"]):
        for d in docs:
            if d in first:
                out.append((first[d], uid))
            else:
                first[d] = uid
    return out


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResolutionResult:
    """The outcome of one resolution run.

    ``records``: one row per entity record (``entity_id, kind, agency, source_file,
    source_record_id, label, resolved_id, method``); ``pairs``: every scored or deterministic pair
    with its evidence (JSON text, as stored in ``resolution_pairs``) and whether it was merged;
    ``model``: the person model used.
    """

    run_id: int
    threshold: float
    seed: int
    run_at: datetime
    records: pd.DataFrame
    pairs: pd.DataFrame
    model: MatchModel | None
    trained: bool
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def clusters(self) -> pd.DataFrame:
        """Resolved entities with more than one record: ``resolved_id, kind, n_records, agencies, labels``."""
        r = self.records
        g = r.groupby("resolved_id")
        df = pd.DataFrame({"kind": g["kind"].first(), "n_records": g.size(),
                           "agencies": g["agency"].agg(lambda s: sorted(set(s))),
                           "labels": g["label"].agg(lambda s: sorted(set(str(x) for x in s)))}).reset_index()
        return df[df["n_records"] > 1].sort_values(["n_records", "resolved_id"], ascending=[False, True]) \
            .reset_index(drop=True)

    def uncertain(self, low: float = 0.5, high: float = 0.99) -> pd.DataFrame:
        """Person pairs not merged whose probability lies in ``[low, high)``: the ones worth a review."""
        p = self.pairs
        p = p[(p["method"] == "probabilistic") & ~p["merged"] & (p["match_probability"] >= low)
              & (p["match_probability"] < high)]
        return p.sort_values("match_probability", ascending=False).reset_index(drop=True)

    def __repr__(self) -> str:
        s = self.summary
        return (f"<ResolutionResult run {self.run_id}: {s.get('records')} records -> {s.get('entities')} entities, "
                f"{s.get('clusters')} clusters, threshold {self.threshold}>")

    def _repr_html_(self) -> str:
        s = self.summary
        rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
                       for k, v in s.items() if k != "merged_pairs")
        merged = "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>"
                         for k, v in s.get("merged_pairs", {}).items())
        return (f"<b>Resolution run {self.run_id}</b> (threshold {self.threshold}, seed {self.seed})"
                f"<table>{rows}</table><b>Merged pairs by evidence</b><table>{merged}</table>")


@dataclass(frozen=True)
class Explanation:
    """Why the records of one resolved entity were merged."""

    resolved_id: str
    members: pd.DataFrame
    evidence: pd.DataFrame
    decisions: pd.DataFrame

    def __str__(self) -> str:
        lines = [f"{self.resolved_id}: {len(self.members)} record(s)"]
        for r in self.members.itertuples(index=False):
            lines.append(f"  {r.entity_id}  {r.kind:<12} {r.agency} / {r.source_record_id}: {r.label}  [{r.method}]")
        if len(self.evidence):
            lines.append("evidence:")
            for r in self.evidence.itertuples(index=False):
                prob = "" if pd.isna(r.match_probability) else f" p={r.match_probability:.3f} w={r.match_weight:.1f}"
                mark = "merged" if r.merged else "not merged"
                lines.append(f"  {r.entity_a} ~ {r.entity_b}: {r.method} ({r.rule}){prob}; agreed: {r.agreed}; {mark}")
        if len(self.decisions):
            lines.append("decisions:")
            for r in self.decisions.itertuples(index=False):
                lines.append(f"  #{r.decision_id} {r.action} {r.entity_ids} / {r.other_ids} by {r.actor} at {r.at}"
                             + (f": {r.note}" if r.note else ""))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (f"<b>{html.escape(self.resolved_id)}</b>" + self.members.to_html(index=False)
                + "<b>Evidence</b>" + self.evidence.to_html(index=False)
                + ("<b>Decisions</b>" + self.decisions.to_html(index=False) if len(self.decisions) else ""))


def _collective_pairs(ents: pd.DataFrame, links: pd.DataFrame, feats: pd.DataFrame, pairs: pd.DataFrame,
                      clusters: dict[str, str], model: MatchModel) -> pd.DataFrame:
    """Name-only person records and fuller ones of another source whose names and networks agree
    (:mod:`netintel.resolve.collective`): ``entity_a, entity_b, name, neighbours``."""
    cols = ["entity_a", "entity_b", "name", "neighbours"]
    if not len(pairs) or "gamma_name" not in pairs:
        return pd.DataFrame(columns=cols)
    only = C.name_only(feats)
    if not only.any():
        return pd.DataFrame(columns=cols)
    levels = model.level_labels().get("name", {})
    source = dict(zip(ents["entity_id"], ents["source_file"].astype(str) + "|" + ents["agency"].astype(str)))
    a, b = pairs["unique_id_l"].to_numpy(), pairs["unique_id_r"].to_numpy()
    name = [levels.get(int(g), "") for g in pairs["gamma_name"]]
    keep = [(only.get(x, False) or only.get(y, False)) and clusters.get(x) != clusters.get(y)
            and source.get(x) != source.get(y) and n in C.NAME_AGREES for x, y, n in zip(a, b, name)]
    cand = pd.DataFrame({"entity_a": a, "entity_b": b, "name": name})[keep]
    if not len(cand):
        return pd.DataFrame(columns=cols)
    kind_of = dict(zip(ents["entity_id"], ents["kind"]))
    hoods = C.neighbourhoods(links, kind_of, clusters, set(cand["entity_a"]) | set(cand["entity_b"]))
    agreed = C.agreeing_pairs(cand[["entity_a", "entity_b"]], hoods, clusters)
    return agreed.merge(cand, on=["entity_a", "entity_b"])[cols]


# ---------------------------------------------------------------------------------------------
# The workspace run
# ---------------------------------------------------------------------------------------------
def _entity_table(ws: Workspace) -> pd.DataFrame:
    ents = ws.entities()
    if ents.empty:
        return ents.assign(source_file=pd.Series(dtype=str))
    files = ws.sql("SELECT source_id, file_name FROM sources")
    ents = ents.merge(files, on="source_id", how="left").rename(columns={"file_name": "source_file"})
    # one row per entity id; properties reported in several files merge (only those ids are walked)
    first = ents.sort_values(["entity_id", "source_id"]).drop_duplicates("entity_id").reset_index(drop=True)
    repeated = ents[ents["entity_id"].duplicated(keep=False)]
    merged: dict[str, dict] = {}
    for eid, props in zip(repeated["entity_id"], repeated["properties"]):
        tgt = merged.setdefault(eid, {})
        for k, v in (props or {}).items():
            if k not in tgt or tgt[k] in (None, "", []):
                tgt[k] = v
            elif v not in (None, "", []) and v != tgt[k]:
                have = tgt[k] if isinstance(tgt[k], list) else [tgt[k]]
                add = v if isinstance(v, list) else [v]
                tgt[k] = have + [x for x in add if x not in have]
    first["properties"] = [merged[e] if e in merged else dict(p or {})
                           for e, p in zip(first["entity_id"], first["properties"])]
    first["label"] = [_label(k, p, lab) for k, p, lab in zip(first["kind"], first["properties"], first["label"])]
    return first


def _label(kind: str, props: dict, fallback: Any) -> str:
    """A display label from the merged properties (a reference row alone has none)."""
    def one(v):
        return v[0] if isinstance(v, list) and v else v
    if kind == "person":
        name = one(props.get("name"))
        if not name:
            name = " ".join(str(one(props.get(k))) for k in ("first_name", "last_name") if one(props.get(k)))
        if name:
            return str(name)
    return str(fallback) if isinstance(fallback, str) and fallback else str(one(next(iter(props.values()), "")) or "")


#: The property a person-frame column takes, in order of preference.
_PERSON_PROPERTIES = {"name": ("name",), "first_name": ("first_name",), "last_name": ("last_name",),
                      "birth_date": ("birth_date",), "gender": ("gender",), "nationality": ("nationality",),
                      "city": ("city",), "postal_code": ("postal_code", "postcode"), "region": ("region", "state"),
                      "address": ("address",), "phone": ("phone",), "email": ("email",), "id_number": ("id_number",)}
#: Linked identifier keys ("kind:value") by the person-frame list they go to; accounts keep the kind.
_LINKED_LISTS = {"phone": "phones", "email": "emails", "document": "documents"}
_ACCOUNT_KINDS = ("iban", "account", "wallet", "plate")


def _person_frame(persons: pd.DataFrame, linked: dict[str, list[str]]) -> pd.DataFrame:
    """The person records as :func:`person_features` reads them: properties and linked identifiers,
    built a column at a time."""
    props = persons["properties"].tolist()
    out: dict[str, Any] = {"unique_id": persons["entity_id"].to_numpy(object), "country": persons["country"].to_numpy(object)}
    for col, names in _PERSON_PROPERTIES.items():
        if len(names) == 1:
            out[col] = [p.get(names[0]) for p in props]
        else:
            out[col] = [p.get(names[0]) or p.get(names[1]) for p in props]
    n = len(props)
    lists: dict[str, list[list[str]]] = {c: [[] for _ in range(n)] for c in (*_LINKED_LISTS.values(), "accounts")}
    for i, eid in enumerate(out["unique_id"]):
        for k in linked.get(eid, ()):
            kind, sep, value = k.partition(":")
            if sep and kind in _LINKED_LISTS:
                lists[_LINKED_LISTS[kind]][i].append(value)
            elif kind in _ACCOUNT_KINDS:
                lists["accounts"][i].append(k)
    return pd.DataFrame({**out, **lists})


def _assign_ids(ws: Workspace, clusters: dict[str, str], run_id: int, now: datetime) -> dict[str, str]:
    """Root -> resolved id, keeping the ids of the previous run (the cluster id registry).

    A cluster inherits the old id held by most of its records (ties: the smaller id); each old id
    goes to one cluster only (the one with the most of its records, then the smallest root);
    clusters without an old id get new ids in order of their smallest record id.
    """
    old = dict(ws.con.execute("SELECT entity_id, resolved_id FROM resolution").fetchall())
    members: dict[str, list[str]] = {}
    for eid, root in clusters.items():
        members.setdefault(root, []).append(eid)
    candidates = []
    for root, eids in members.items():
        counts: dict[str, int] = {}
        for e in eids:
            if e in old:
                counts[old[e]] = counts.get(old[e], 0) + 1
        for rid, c in counts.items():
            candidates.append((-c, rid, root))
    candidates.sort()
    taken: set[str] = set()
    out: dict[str, str] = {}
    for _, rid, root in candidates:
        if root in out or rid in taken:
            continue
        out[root] = rid
        taken.add(rid)
    issued = {r[0] for r in ws.con.execute("SELECT resolved_id FROM resolution_ids").fetchall()}
    nums = [int(r[1:]) for r in issued if r[1:].isdigit()]
    counter = max(nums) + 1 if nums else 1
    fresh = []
    for root in sorted(members):
        if root not in out:
            rid = f"N{counter:07d}"
            counter += 1
            out[root] = rid
            fresh.append((rid, run_id, now))
    if fresh:  # one frame insert: executemany costs a millisecond a row
        ws._insert_frame("resolution_ids", pd.DataFrame(fresh, columns=["resolved_id", "created_run", "created_at"]))
    return out


def resolve(ws: Workspace, *, threshold: float = DEFAULT_THRESHOLD, seed: int = 0,
            model: MatchModel | str | Path | None = None, train: bool | None = None,
            engine: str = "duckdb", spark_master: str | None = None) -> ResolutionResult:
    """Resolve every entity record of the workspace into real-world entities.

    Identifier entities (phones, e-mails, accounts, wallets, documents, plates, addresses ...)
    with the same normalised value are one entity; persons join on strong identifiers (DNA or
    fingerprint reference, document number with its issuer) and on the Splink person model
    at ``threshold``; organisations on registration number or name without legal form in one
    jurisdiction (a name never joins records held under different registration numbers). Stored
    analyst decisions are applied. Writes the ``resolution`` table (ids kept
    from earlier runs), ``resolution_pairs`` (evidence) and ``resolution_runs`` (model JSON).

    Parameters
    ----------
    threshold : match probability at or above which two person records are one person.
    seed : seed of the model training (u sampling).
    model : a trained :class:`MatchModel` (or its JSON file) to use instead of training.
    train : True to train on this case, False to use ``model`` or the packaged model, None to
        train when the case has at least :data:`MIN_TRAINING_RECORDS` person records.
    engine : where the candidate pairs are scored: ``"duckdb"`` on this machine, or ``"spark"``
        with Splink's Spark backend (PySpark and Java: ``pip install 'netintel[spark]'``). The
        blocking rules, model, clustering, stable ids and decisions are the same, and so are the
        resolved ids; training stays on DuckDB (a bounded sample, the same model file either way).
    spark_master : the Spark master URL for ``engine="spark"`` (default ``local[2]``, or the
        ``NETINTEL_SPARK_MASTER`` environment variable); a cluster URL is passed through.

    Examples
    --------
    >>> from netintel.workspace import Workspace
    >>> ws = Workspace()
    >>> resolve(ws).summary["records"]
    0
    >>> ws.close()
    """
    if not 0 < threshold <= 1:
        raise ResolutionError(f"threshold {threshold} must be a probability in (0, 1]")
    if engine not in ENGINES:
        raise ResolutionError(f"unknown resolution engine {engine!r}; use one of {', '.join(ENGINES)}")
    D.ensure_tables(ws)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    run_id = int(ws.con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM resolution_runs").fetchone()[0])
    ents = _entity_table(ws)
    must, cannot = D.constraints(ws)
    pair_frames: list[pd.DataFrame] = []
    model_used: MatchModel | None = None
    model_how = "given" if model is not None else "packaged"
    trained = False
    if ents.empty:
        clusters: dict[str, str] = {}
        ents = pd.DataFrame(columns=["entity_id", "kind", "agency", "source_file", "source_record_id", "label"])
    else:
        keys = entity_keys(ents)
        det = pd.concat([identifier_pairs(keys, kinds=[k for k in ents["kind"].unique()
                                                       if k not in ("person", "organisation")]),
                         organisation_pairs(ents, keys)], ignore_index=True)
        person_keys = keys[(keys["kind"] == "person") & keys["rule"].isin(STRONG_PERSON_KEYS)]
        det = pd.concat([det, identifier_pairs(person_keys)], ignore_index=True)
        pair_frames.append(pd.DataFrame({
            "entity_a": det["entity_a"], "entity_b": det["entity_b"], "kind": det["kind"], "method": "deterministic",
            "rule": det["rule"], "match_probability": 1.0, "match_weight": None, "agreed": det["key"],
            "evidence": [json.dumps({"key": k}, default=str) for k in det["key"]]}))
        must_all = [(r.entity_a, r.entity_b) for r in det.itertuples(index=False)] + list(must)
        persons = ents[ents["kind"] == "person"]
        links = ws.links()
        feats = None
        pairs = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability"])
        if len(persons) >= 2:
            linked = linked_keys(ents, links, keys)
            feats = person_features(_person_frame(persons, linked))
            table = FeatureTable.of(feats)  # one copy in DuckDB, for the training and the scoring
            try:
                model_used, model_how = _pick_model(feats, model, train, seed, table)
                trained = model_how == "trained on this case"
                pairs = model_used.predict(feats, floor=min(REVIEW_FLOOR, threshold), engine=engine,
                                           spark_master=spark_master, table=table)
            finally:
                table.close()
            pair_frames.append(_model_pair_frame(pairs, model_used.level_labels()))
        if must:
            pair_frames.append(pd.DataFrame({
                "entity_a": [min(a, b) for a, b in must], "entity_b": [max(a, b) for a, b in must], "kind": None,
                "method": "decision", "rule": "confirmed", "match_probability": 1.0, "match_weight": None,
                "agreed": "analyst decision", "evidence": "{}"}))
        veto = model_used.document_veto if model_used is not None else True
        clusters = constrained_clusters(ents["entity_id"].tolist(), pairs, threshold=threshold, features=feats,
                                        must_link=must_all, cannot_link=cannot, document_veto=veto)
        if feats is not None and model_used is not None:
            network = _collective_pairs(ents, links, feats, pairs, clusters, model_used)
            if len(network):
                pair_frames.append(pd.DataFrame({
                    "entity_a": network["entity_a"], "entity_b": network["entity_b"], "kind": "person",
                    "method": "collective", "rule": "name and network",
                    "match_probability": C.COLLECTIVE_PROBABILITY, "match_weight": None,
                    "agreed": [f"name ({r.name}); neighbours: {', '.join(r.neighbours)}"
                               for r in network.itertuples(index=False)],
                    "evidence": [json.dumps({"name": r.name, "neighbours": list(r.neighbours)}, sort_keys=True)
                                 for r in network.itertuples(index=False)]}))
                # joined after every model pair, and only where no record of one conflicts with the other
                weak = pd.DataFrame({"unique_id_l": network["entity_a"], "unique_id_r": network["entity_b"],
                                     "match_probability": threshold})
                clusters = constrained_clusters(ents["entity_id"].tolist(),
                                                pd.concat([pairs[["unique_id_l", "unique_id_r", "match_probability"]],
                                                           weak], ignore_index=True),
                                                threshold=threshold, features=feats, must_link=must_all,
                                                cannot_link=cannot, document_veto=veto)
    ids = _assign_ids(ws, clusters, run_id, now)
    resolved = pd.Series({e: ids[root] for e, root in clusters.items()}, dtype=object)
    pair_df = pd.concat([f for f in pair_frames if len(f)] or [pd.DataFrame(columns=PAIR_COLUMNS)],
                        ignore_index=True)[PAIR_COLUMNS]
    pair_df["merged"] = (pair_df["entity_a"].map(resolved).to_numpy(object)
                         == pair_df["entity_b"].map(resolved).to_numpy(object)) & pair_df["entity_a"].isin(resolved.index)
    kind_of = pd.Series(ents["kind"].to_numpy(object), index=ents["entity_id"].to_numpy(object))
    kind_of = kind_of[~kind_of.index.duplicated()]
    pair_df["kind"] = pair_df["kind"].where(pair_df["kind"].notna(), pair_df["entity_a"].map(kind_of))
    records = ents[["entity_id", "kind", "agency", "source_file", "source_record_id", "label"]].copy()
    records["resolved_id"] = records["entity_id"].map(resolved).to_numpy(object)
    records["method"] = _join_methods(records, pair_df, threshold)
    records = records.sort_values(["resolved_id", "entity_id"]).reset_index(drop=True)
    # the column types a frame of these rows would have (text, floats, the flag)
    pair_df = pair_df.infer_objects()
    pair_df["merged"] = pair_df["merged"].astype(bool)
    merged_pairs = pair_df.loc[pair_df["merged"]]
    evidence_kind = merged_pairs["method"].where(merged_pairs["method"] != "deterministic",
                                                 "deterministic:" + merged_pairs["rule"].astype(str))
    by_ev = {str(k): int(v) for k, v in evidence_kind.value_counts().items()}
    size = resolved.value_counts()
    summary = {
        "records": int(len(records)),
        "entities": int(records["resolved_id"].nunique()),
        "clusters": int((size > 1).sum()),
        "persons": int((records["kind"] == "person").sum()),
        "person_entities": int(records.loc[records["kind"] == "person", "resolved_id"].nunique()),
        "decisions_applied": int(len(must) + len(cannot)),
        "model": model_how,
        "engine": engine,
        "blocking_left_out": list(pairs.attrs.get("blocking_left_out", [])) if len(ents) else [],
        "merged_pairs": dict(sorted(by_ev.items())),
    }
    _write(ws, run_id, now, threshold, seed, records, pair_df, model_used, summary)
    return ResolutionResult(run_id=run_id, threshold=threshold, seed=seed, run_at=now, records=records,
                            pairs=pair_df, model=model_used, trained=trained, summary=summary)


#: The columns of a run's pairs (``ResolutionResult.pairs``, ``resolution_pairs``), ``merged`` added.
PAIR_COLUMNS = ["entity_a", "entity_b", "kind", "method", "rule", "match_probability", "match_weight", "agreed",
                "evidence"]
#: How each record joined its cluster, strongest first: its strongest merged evidence.
METHOD_RANK = {"decision": 4, "deterministic": 3, "probabilistic": 2, "collective": 1}


def _join_methods(records: pd.DataFrame, pairs: pd.DataFrame, threshold: float) -> pd.Series:
    """Per record, the strongest evidence of the merged pairs it is in (:data:`METHOD_RANK`);
    "singleton" alone in its cluster, "probabilistic" otherwise (joined through its cluster).

    A model pair below the threshold did not join its records, even when something else did."""
    joined = pairs[pairs["merged"] & ~((pairs["method"] == "probabilistic") &
                                       (pairs["match_probability"].astype(float) < threshold))]
    ends = pd.DataFrame({"entity_id": pd.concat([joined["entity_a"], joined["entity_b"]], ignore_index=True),
                         "rank": pd.concat([joined["method"].map(METHOD_RANK)] * 2, ignore_index=True)})
    best = ends.groupby("entity_id")["rank"].max()
    name = {v: k for k, v in METHOD_RANK.items()}
    size = records["resolved_id"].map(records["resolved_id"].value_counts())
    fallback = pd.Series(["singleton"] * len(records), index=records.index).where(size == 1, "probabilistic")
    return records["entity_id"].map(best.map(name)).fillna(fallback).astype(str)


def _model_pair_frame(pairs: pd.DataFrame, labels: dict[str, dict[int, str]]) -> pd.DataFrame:
    """The model's scored pairs as result rows: each comparison's level and weight (``evidence``,
    JSON with sorted keys, as stored), and what agreed.

    Both depend on the pair's levels and weights alone, which a case holds few combinations of:
    they are written once per combination and spread over the pairs."""
    if pairs.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    names = [c[6:] for c in pairs.columns if c.startswith("gamma_")]
    weights = pd.DataFrame({k: pairs[f"mw_{k}"].astype(float) if f"mw_{k}" in pairs else 0.0 for k in names},
                           index=pairs.index)
    gammas = pairs[[f"gamma_{k}" for k in names]].astype(int).to_numpy()
    weights = weights.to_numpy(dtype=float)
    # one code per combination of every level and weight: code i is the one first seen at row first[i]
    codes = combination_codes([*gammas.T, *weights.T])
    _, first = np.unique(codes, return_index=True)
    agreed, evidence = [], []
    for i in first:
        levels = [labels.get(k, {}).get(g, str(g)) for k, g in zip(names, gammas[i].tolist())]
        agreed.append(", ".join(f"{k} ({v})" for k, v in zip(names, levels) if v not in ("null", "different")))
        # Python's round, as the weights were always written
        evidence.append(json.dumps({k: {"level": v, "weight": round(w, 3)}
                                    for k, v, w in zip(names, levels, weights[i].tolist())}, sort_keys=True))
    return pd.DataFrame({"entity_a": pairs["unique_id_l"].astype(str), "entity_b": pairs["unique_id_r"].astype(str),
                         "kind": "person", "method": "probabilistic",
                         "rule": pairs["rule"].astype(str) if "rule" in pairs else "",
                         "match_probability": pairs["match_probability"].astype(float),
                         "match_weight": pairs["match_weight"].astype(float),
                         "agreed": np.asarray(agreed, dtype=object)[codes],
                         "evidence": np.asarray(evidence, dtype=object)[codes]})


def _write(ws: Workspace, run_id: int, now: datetime, threshold: float, seed: int, records: pd.DataFrame,
           pairs: pd.DataFrame, model: MatchModel | None, summary: dict[str, Any]) -> None:
    con = ws.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM resolution")
        res = pd.DataFrame({"entity_id": records["entity_id"], "resolved_id": records["resolved_id"],
                            "method": records["method"], "run_at": now})
        ws._insert_frame("resolution", res)
        con.execute("DELETE FROM resolution_pairs")  # evidence of the latest run only
        if len(pairs):
            p = pairs.copy()
            p.insert(0, "run_id", run_id)
            ws._insert_frame("resolution_pairs", p)
        con.execute("INSERT INTO resolution_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, now, ws.actor, threshold, seed, summary["records"], summary["entities"],
                     summary["clusters"], model.to_json() if model else None, json.dumps(summary, sort_keys=True)])
        ws._audit("resolve", None, None, None, {"run_id": run_id, "threshold": threshold, "seed": seed, **summary}, now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def stored_model(ws: Workspace, run_id: int | None = None) -> MatchModel:
    """The person model a resolution run used, as stored in the workspace (the last run by default).

    Pass it to :func:`resolve` (``model=``) to resolve a later version of the case with the same
    weights, or save it with :meth:`MatchModel.save` to share it.
    """
    if not ws.has_table("resolution_runs"):
        raise ResolutionError("no resolution run in this workspace; run resolve first")
    q = "SELECT run_id, model FROM resolution_runs WHERE model IS NOT NULL"
    q += " AND run_id = ?" if run_id is not None else ""
    row = ws.con.execute(q + " ORDER BY run_id DESC LIMIT 1", [run_id] if run_id is not None else []).fetchone()
    if row is None:
        raise ResolutionError(f"no stored person model{' for run ' + str(run_id) if run_id else ''}; "
                              "a run stores one when the case has at least two person records")
    return MatchModel.from_json(row[1])


def explain(ws: Workspace, id: str) -> Explanation:
    """Why the records of a resolved entity were merged (``id``: a resolved id or an entity record id).

    Examples
    --------
    >>> from netintel.workspace import Workspace
    >>> ws = Workspace()
    >>> explain(ws, "N0000001")
    Traceback (most recent call last):
    ...
    netintel.errors.ResolutionError: N0000001: no resolved entity or entity record with this id; run resolve first
    >>> ws.close()
    """
    if not ws.has_table("resolution"):
        raise ResolutionError(f"{id}: no resolved entity or entity record with this id; run resolve first")
    row = ws.con.execute("SELECT resolved_id FROM resolution WHERE resolved_id = ? OR entity_id = ? LIMIT 1",
                         [id, id]).fetchone()
    if row is None:
        raise ResolutionError(f"{id}: no resolved entity or entity record with this id; run resolve first")
    rid = row[0]
    members = ws.sql(
        "SELECT r.entity_id, e.kind, e.agency, s.file_name AS source_file, e.source_record_id, e.label, r.method "
        "FROM resolution r JOIN (SELECT DISTINCT ON (entity_id) * FROM entities ORDER BY entity_id, source_id) e "
        "USING (entity_id) LEFT JOIN sources s USING (source_id) WHERE r.resolved_id = ? ORDER BY r.entity_id", [rid])
    ids = members["entity_id"].tolist()
    ents = _entity_table(ws)
    label = dict(zip(ents["entity_id"], ents["label"]))
    members["label"] = [label.get(e, lab) for e, lab in zip(members["entity_id"], members["label"])]
    evidence = ws.sql(
        "SELECT entity_a, entity_b, method, rule, match_probability, match_weight, agreed, evidence, merged "
        "FROM resolution_pairs WHERE entity_a IN (SELECT unnest(?)) OR entity_b IN (SELECT unnest(?)) "
        "ORDER BY merged DESC, match_probability DESC, entity_a, entity_b", [ids, ids])
    decisions = D.decisions(ws)
    if len(decisions):
        touch = [bool(set(a) & set(ids) or set(b) & set(ids)) for a, b in zip(decisions["entity_ids"],
                                                                           decisions["other_ids"])]
        decisions = decisions[touch].reset_index(drop=True)
    return Explanation(resolved_id=rid, members=members, evidence=evidence, decisions=decisions)
