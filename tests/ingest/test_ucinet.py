"""UCINET DL files, written by hand from UCINET's description of the DL format."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_fixtures import write

from netintel.errors import InputError
from netintel.ingest import detect_format, ingest
from netintel.ingest.ucinet import parse_dl

AGENCY = "Universiteit"


def _ingest(ws, path, **kw):
    return ingest(ws, [path], agency=AGENCY, country="GB", progress=False, **kw)


def _ties(ws) -> dict[tuple[str, str], tuple[float, bool, str]]:
    label = ws.entities().set_index("entity_id").label
    return {(label[r.source], label[r.target]): (r.weight, bool(r.directed), r.kind) for r in ws.links().itertuples()}


FULL = """dl n=4 format=fullmatrix
labels:
ana,bo,cy,di
data:
0 3 0 0
3 0 1 0
0 1 0 0
0 0 0 0
"""


def test_full_matrix_with_labels_symmetric_is_undirected(ws, tmp_path):
    path = write(tmp_path, "gang.dl", FULL)
    assert detect_format(path) == "ucinet"
    report = _ingest(ws, path)
    # hand-worked: ana-bo 3, bo-cy 1, each pair once; di an isolate
    assert _ties(ws) == {("ana", "bo"): (3.0, False, "associate_of"), ("bo", "cy"): (1.0, False, "associate_of")}
    assert set(ws.entities().label) == {"ana", "bo", "cy", "di"}
    row = report.sources.iloc[0]
    assert (row.read, row.accepted, row.quarantined) == (4 + 2, 6, 0)


def test_asymmetric_full_matrix_keeps_who_called_whom(ws, tmp_path):
    path = write(tmp_path, "calls.dl", "DL N=3\nFORMAT = FULLMATRIX\nLABELS EMBEDDED\nDATA:\n"
                                       "   a b c\na  0 5 0\nb  2 0 1\nc  0 0 0\n")
    _ingest(ws, path)
    assert _ties(ws) == {("a", "b"): (5.0, True, "associate_of"), ("b", "a"): (2.0, True, "associate_of"),
                         ("b", "c"): (1.0, True, "associate_of")}


def test_edgelist1_numbers_and_separate_labels(ws, tmp_path):
    path = write(tmp_path, "el.dl", "dl n=3 format=edgelist1\nlabels:\n\"Ivan P\" \"Olga K\" Mehmet\ndata:\n"
                                    "1 2 4\n2 3\n")
    _ingest(ws, path)
    assert _ties(ws) == {("Ivan P", "Olga K"): (4.0, True, "associate_of"), ("Olga K", "Mehmet"): (1.0, True,
                                                                                                 "associate_of")}


def test_nodelist1_embedded(ws, tmp_path):
    path = write(tmp_path, "nl.dl", "dl n=4 format=nodelist1\nlabels embedded:\ndata:\n"
                                    "ana bo cy\nbo ana\ncy ana\ndi\n")
    dl = parse_dl(path)
    assert dl.labels == ["ana", "bo", "cy", "di"]
    _ingest(ws, path)
    # every tie reciprocated: undirected, each pair once
    assert _ties(ws) == {("ana", "bo"): (1.0, False, "associate_of"), ("ana", "cy"): (1.0, False, "associate_of")}


def test_several_relations_by_matrix_labels(ws, tmp_path):
    path = write(tmp_path, "multi.dl", "dl n=3 nm=2 format=edgelist1\nlabels:\nx y z\nmatrix labels:\n"
                                       "call family_ties\ndata:\n1 2 3\n2 1 1\n!\n2 3\n3 2\n")
    _ingest(ws, path)
    ties = _ties(ws)
    # relation "call" is a link kind netintel knows; "family_ties" is not: default kind, relation kept
    assert ties[("x", "y")] == (3.0, True, "call") and ties[("y", "x")] == (1.0, True, "call")
    assert ties[("y", "z")] == (1.0, False, "associate_of")
    assert {p.get("relation") for p in ws.links().properties} == {"call", "family_ties"}


def test_full_matrix_two_relations(ws, tmp_path):
    path = write(tmp_path, "two.dl", "dl n=2 nm=2\nlabels:\np,q\nmatrix labels:\nmeets,calls\ndata:\n"
                                     "0 1\n1 0\n0 2\n0 0\n")
    _ingest(ws, path)
    links = ws.links()
    assert sorted(zip(links.weight, links.directed)) == [(1.0, False), (2.0, True)]


@pytest.mark.parametrize("text, why", [
    ("dl n=2 format=fullmatrix\ndata:\n0 1\n", "has 1 rows, not n=2"),
    ("dl n=2 format=fullmatrix\ndata:\n0 x\n1 0\n", "'x' is not a number"),
    ("dl n=2 format=edgelist1\ndata:\n1 5\n", "outside 1..2"),
    ("dl n=2 format=lowerhalf\ndata:\n1\n", "lowerhalf"),
    ("dl n=3 format=fullmatrix\nlabels:\na b\ndata:\n0 0 0\n0 0 0\n0 0 0\n", "2 labels for n=3"),
])
def test_bad_dl_files_say_what_is_wrong(ws, tmp_path, text, why):
    path = write(tmp_path, "bad.dl", text)
    with pytest.raises(InputError, match="bad.dl") as err:
        _ingest(ws, path)
    assert why in str(err.value)


VALIDATION = Path(__file__).resolve().parents[2].parent / "shared" / "validation"


@pytest.mark.parametrize("path", sorted((VALIDATION / "covert-networks").glob("*")) +
                         sorted((VALIDATION / "stix-examples").glob("*.json")), ids=lambda p: p.name)
def test_every_public_validation_file_ingests(ws, path):
    report = _ingest(ws, path)
    row = report.sources.iloc[0]
    assert row.status == "imported", row.error
    assert row.accepted > 0 and row.read == row.accepted + row.quarantined
    assert row.entities > 0


def test_two_mode_matrix_persons_by_meetings(ws, tmp_path):
    path = write(tmp_path, "summits.csv", ',"12/03/2008 dinner","23/04/2008 summit"\nALBANESE G,1,0\nROSSI C,1,1\n'
                                          'PANETTA P,0,0\n')
    assert detect_format(path) == "matrix"
    report = _ingest(ws, path)
    ties = _ties(ws)
    # hand-worked: 3 persons, 2 meetings, 3 attendances (person -> meeting)
    assert ties == {("ALBANESE G", "12/03/2008 dinner"): (1.0, True, "related_to"),
                    ("ROSSI C", "12/03/2008 dinner"): (1.0, True, "related_to"),
                    ("ROSSI C", "23/04/2008 summit"): (1.0, True, "related_to")}
    kinds = ws.entities().groupby("kind").size().to_dict()
    assert kinds == {"event": 2, "person": 3}
    row = report.sources.iloc[0]
    assert (row.read, row.accepted, row.quarantined) == (2 + 3 + 3, 8, 0)
