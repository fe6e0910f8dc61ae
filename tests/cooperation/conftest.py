"""Fixtures for the cooperation tests: the hand-made demo case (see ``netintel.cooperation._demo``)."""

from __future__ import annotations

import pytest

from netintel.cooperation._demo import DEMO_IDS, demo_workspace


@pytest.fixture(scope="module")
def demo():
    """The demo workspace (read only: tests that change a workspace build their own)."""
    ws = demo_workspace()
    yield ws, dict(DEMO_IDS)
    ws.close()
