"""Entity resolution: who is who across partner agencies, in clear text and privacy-preserving.

The workflow, in the order an analyst meets it:

- :func:`resolve` (workspace) -> :class:`ResolutionResult`: identifiers, persons and
  organisations resolved into real-world entities with stable ``N...`` ids, every merge with its
  evidence; other modules read the result through ``Workspace.resolved_ids()``.
- :func:`explain` -> :class:`Explanation`: why these records were merged.
- :func:`confirm`, :func:`reject`, :func:`split`: the analyst's decisions, re-applied on every run.
- :mod:`netintel.resolve.pprl`: privacy-preserving matching between agencies (Bloom-filter
  encodings; only encodings leave their owner).

Building blocks: :mod:`~netintel.resolve.normalize`, :mod:`~netintel.resolve.deterministic`,
:mod:`~netintel.resolve.probabilistic` (Splink on DuckDB), :mod:`~netintel.resolve.decisions`.
"""

from ._engine import (DEFAULT_THRESHOLD, Explanation, ResolutionResult, default_model, explain, resolve,
                      resolve_persons, stored_model)
from .decisions import confirm, decisions, reject, split
from .probabilistic import MatchModel

__all__ = ["resolve", "explain", "ResolutionResult", "Explanation", "confirm", "reject", "split", "decisions",
           "MatchModel", "resolve_persons", "default_model", "stored_model", "DEFAULT_THRESHOLD"]
