"""Training the typology model: the only place that generates cases to learn from.

:mod:`netintel.typology` only loads a trained model file (skops, with its JSON beside it) and
never imports the generators. Training lives here, and may use :mod:`netintel.synth`,
:mod:`netintel.casesim` and public sets. Regenerate the shipped model with::

    python -m netintel.training.typology train --cases 60 --seed 1 --out src/netintel/models/typology.skops

Same cases, same seed, same model (the forest is seeded and trained on one thread).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import NetintelError
from ..typology import FEATURES, MODEL_VERSION, TYPOLOGIES, TypologyModel, _default_path, community_features

__all__ = ["LabelledCase", "synth_labelled_case", "training_table", "train_typology", "evaluate",
           "training_seeds", "heldout_seeds", "main"]


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
    from ..ingest import ingest
    from ..synth.case import generate_case
    from ..workspace import Workspace, record_id

    case = generate_case(seed=seed, scale=scale) if isinstance(seed, (int, np.integer)) else seed
    seed = int(case.seed)
    with tempfile.TemporaryDirectory() as tmp:
        case.write(tmp)
        ws = Workspace()
        folders = sorted(p for p in Path(tmp).iterdir() if p.is_dir() and p.name != "truth")
        ingest(ws, folders, progress=False)
    if resolve:
        from ..resolve import resolve as run_resolution

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
    from ..communities import detect_communities

    ws = lc.workspace
    try:
        from ..graph import build_graph

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
    ap = argparse.ArgumentParser(prog="python -m netintel.training.typology",
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
        from ..synth.training import generate_cases

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
