"""Small partner files written into tmp_path, and an in-memory workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_fixtures import CDR_CSV, PERSONS_CSV, PERSONS_MAPPING, RELATIONS_CSV, RELATIONS_MAPPING, \
    TRANSACTIONS_CSV, write

from netintel import Workspace


@pytest.fixture
def ws():
    workspace = Workspace()
    yield workspace
    workspace.close()


@pytest.fixture
def persons(tmp_path) -> Path:
    write(tmp_path, "personen.mapping.yaml", PERSONS_MAPPING)
    return write(tmp_path, "personen.csv", PERSONS_CSV)


@pytest.fixture
def relations(tmp_path) -> Path:
    write(tmp_path, "relaties.mapping.yaml", RELATIONS_MAPPING)
    return write(tmp_path, "relaties.csv", RELATIONS_CSV)


@pytest.fixture
def cdr(tmp_path) -> Path:
    return write(tmp_path, "cdr.csv", CDR_CSV)


@pytest.fixture
def transactions(tmp_path) -> Path:
    return write(tmp_path, "transactions.csv", TRANSACTIONS_CSV)


@pytest.fixture
def agency_folder(tmp_path) -> Path:
    """A partner's share as it arrives: source.yaml, a table with its mapping, call records, a truth folder."""
    root = tmp_path / "share" / "nl_politie"
    write(root, "source.yaml", "agency: Politie Nederland\ncountry: NL\ngrading: C3\nhandling: TLP:AMBER\n"
                               "releasable_to: [PARTNERS]\n")
    write(root, "personen.mapping.yaml", PERSONS_MAPPING)
    write(root, "personen.csv", PERSONS_CSV)
    write(root, "relaties.mapping.yaml", RELATIONS_MAPPING)
    write(root, "relaties.csv", RELATIONS_CSV)
    write(root, "tap/cdr.csv", CDR_CSV)
    write(root, "README.md", "# what the partner sent\n")
    write(tmp_path / "share", "truth/records.csv", "agency,file,kind,source_record_id,true_id\n")
    return tmp_path / "share"
