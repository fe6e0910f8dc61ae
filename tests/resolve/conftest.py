"""Fixtures for the resolution tests: small workspaces filled through the loaders' batch builder."""

from __future__ import annotations

import hashlib
from typing import Any, Iterable

import pandas as pd
import pytest

from netintel.ingest._common import BatchBuilder, Provenance
from netintel.workspace import Workspace


def add_file(ws: Workspace, agency: str, country: str, file_name: str, persons: Iterable[dict[str, Any]],
             *, identifiers: Iterable[tuple[str, str, str, str]] = (), kind: str = "person") -> dict[str, str]:
    """Import one partner file of person records (and identifiers they use) into ``ws``.

    ``kind``: the records' entity kind, ``organisation`` for a register's or police file of companies.

    ``persons``: dicts with ``id`` and person properties. ``identifiers``: (person id, link kind,
    identifier kind, value), e.g. ``("P1", "uses", "phone", "06 12345678")``.
    Returns person id -> entity id.
    """
    persons = list(persons)
    sha = hashlib.sha256(repr((agency, file_name, persons, list(identifiers))).encode()).hexdigest()
    b = BatchBuilder(file_name, format="table", provenance=Provenance(agency=agency, country=country,
                                                                      grading="B2", handling="TLP:AMBER"),
                     sha256=sha)
    ids = {}
    for i, p in enumerate(persons):
        b.read()
        props = {k: v for k, v in p.items() if k != "id"}
        ids[p["id"]] = b.entity(kind, p["id"], props, locator=f"row {i + 2}")
        b.accept(f"row {i + 2}", raw=p)
    for j, (pid, link, kind, value) in enumerate(identifiers):
        b.read()
        eid = b.identifier(kind, value, locator=f"link {j}")
        b.link(link, ids[pid], eid, locator=f"link {j}")
        b.accept(f"link {j}")
    ws.write_import(b.finish())
    return ids


@pytest.fixture
def ws():
    w = Workspace(actor="analyst.test")
    yield w
    w.close()


def pairs_of(labels: pd.Series) -> set[tuple[str, str]]:
    """All unordered pairs of index values that share a label."""
    out = set()
    for _, group in labels.groupby(labels):
        ids = sorted(group.index)
        out |= {(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]}
    return out
