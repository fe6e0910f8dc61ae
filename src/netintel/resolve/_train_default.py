"""Rebuild the packaged person model ``netintel/models/person_resolution.json``.

The model is trained without labels (u by random sampling, m by expectation maximisation) on
fictional person records from :func:`netintel.synth.persons.person_records` (seed 1001, never
used by the tests). Run ``python -m netintel.resolve._train_default`` after changing the
comparisons in :mod:`netintel.resolve.probabilistic`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .probabilistic import MatchModel, person_features

TRAINING_SEED = 1001
TRAINING_RECORDS = 20_000


def build(path: str | Path | None = None) -> Path:
    from ..synth.persons import person_records

    records, _ = person_records(TRAINING_RECORDS, seed=TRAINING_SEED)
    records = records.drop(columns="true_id").rename(columns={"record_id": "unique_id"})
    model = MatchModel.train(person_features(records), seed=0)
    out = Path(path) if path else Path(str(resources.files("netintel").joinpath("models/person_resolution.json")))
    out.parent.mkdir(parents=True, exist_ok=True)
    return model.save(out)


if __name__ == "__main__":  # pragma: no cover
    print(build())
