"""Hypothesis profiles: ``ci`` (the default: derandomized, a fixed budget) and ``deep`` (randomised, long).

``make test`` and CI run the ``ci`` profile, so a landing never depends on which examples a run
happens to draw: the same examples every run, on every machine. ``make test-deep`` sets
``HYPOTHESIS_PROFILE=deep``: fresh random examples each run and :func:`examples` times more of
them, to find what the fixed set misses (a failure prints the blob that reproduces it with
``@reproduce_failure``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

#: How many times more examples a test gets under the deep profile.
DEEP_FACTOR = 20

settings.register_profile(
    "ci", derandomize=True, max_examples=50, deadline=None, print_blob=True, database=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "deep", derandomize=False, max_examples=50 * DEEP_FACTOR, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in ("ci", "deep"):
    raise RuntimeError(f"HYPOTHESIS_PROFILE={PROFILE!r}: use ci (the default) or deep")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """A test's example budget: ``n`` under the ci profile, ``DEEP_FACTOR`` times ``n`` under deep."""
    return n * DEEP_FACTOR if PROFILE == "deep" else n
