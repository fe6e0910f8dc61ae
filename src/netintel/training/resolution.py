"""Rebuild the packaged person model ``netintel/models/person_resolution.json``.

The model is trained without labels (u by random sampling, m by expectation maximisation) on
fictional person records from :func:`netintel.synth.persons.person_records` (seed 1001, never
used by the tests). Resolution only loads the file (:func:`netintel.resolve.default_model`); it
never imports the generator. Run ``python -m netintel.training.resolution`` after changing the
comparisons or features in :mod:`netintel.resolve.probabilistic`, and commit the file.

Comparisons the generator has no data for (postcodes, regions) stay untrained in the file and
weigh nothing; a case with such fields trains its own model from
:data:`netintel.resolve.MIN_TRAINING_RECORDS` records on.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..resolve.probabilistic import MatchModel, person_features

__all__ = ["TRAINING_SEED", "TRAINING_RECORDS", "build"]

TRAINING_SEED = 1001
TRAINING_RECORDS = 20_000
#: Random pairs for u: more than a case's own training takes (it is trained once, offline).
U_PAIRS = 1e6


def build(path: str | Path | None = None) -> Path:
    """Train the packaged person model and write it (default: the package's model file)."""
    from ..synth.persons import person_records

    records, _ = person_records(TRAINING_RECORDS, seed=TRAINING_SEED)
    records = records.drop(columns="true_id").rename(columns={"record_id": "unique_id"})
    model = MatchModel.train(person_features(records), seed=0, max_pairs_u=U_PAIRS)
    out = Path(path) if path else Path(str(resources.files("netintel").joinpath("models/person_resolution.json")))
    out.parent.mkdir(parents=True, exist_ok=True)
    return model.save(out)


if __name__ == "__main__":  # pragma: no cover
    print(build())
