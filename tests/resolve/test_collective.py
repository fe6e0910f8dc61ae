"""Collective resolution: STIX individuals (names only) join police subjects when networks agree."""

from __future__ import annotations

import json
import uuid

import pytest

from conftest import add_file
from netintel.ingest import ingest
from netintel.ingest._common import BatchBuilder, Provenance
from netintel.resolve import explain, resolve
from netintel.synth.persons import person_records

def _id(kind: str, name: str) -> str:
    return f"{kind}--{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


CERT = _id("identity", "cert")
ACTOR = _id("threat-actor", "grey heron")
CREW = ["Viktor Sokolov", "Anna Belova", "Dmitri Orlov"]


def _stix_bundle(path):
    objects = [{"type": "identity", "spec_version": "2.1", "id": CERT, "created": "2026-01-01T00:00:00Z",
                "modified": "2026-01-01T00:00:00Z", "name": "CERT-Testland", "identity_class": "organization",
                "x_country": "DK"},
               {"type": "threat-actor", "spec_version": "2.1", "id": ACTOR, "created": "2026-01-01T00:00:00Z",
                "modified": "2026-01-01T00:00:00Z", "name": "Grey Heron", "created_by_ref": CERT}]
    for i, name in enumerate(CREW):
        ident = _id("identity", name)
        objects.append({"type": "identity", "spec_version": "2.1", "id": ident, "created": "2026-01-01T00:00:00Z",
                        "modified": "2026-01-01T00:00:00Z", "name": name, "identity_class": "individual",
                        "created_by_ref": CERT})
        objects.append({"type": "relationship", "spec_version": "2.1", "id": _id("relationship", name),
                        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
                        "relationship_type": "attributed-to", "source_ref": ACTOR, "target_ref": ident,
                        "created_by_ref": CERT})
    path.write_text(json.dumps({"type": "bundle", "id": _id("bundle", "report"), "objects": objects}))
    return path


def _police(ws):
    """The crew as police subjects (full records, associates of one another) and a namesake of
    Viktor Sokolov in another agency's file with no tie to anyone."""
    b = BatchBuilder("verdaechtige.csv", format="table", sha256="police-test",
                     provenance=Provenance(agency="BKA", country="DE", grading="B2", handling="TLP:AMBER"))
    ids = {}
    for i, (name, dob) in enumerate(zip(CREW, ["1984-02-11", "1990-07-30", "1979-12-01"])):
        b.read()
        ids[name] = b.entity("person", f"D{i}", {"name": name, "birth_date": dob, "nationality": "RU"},
                             locator=f"row {i + 2}")
        b.accept(f"row {i + 2}")
    for j, (x, y) in enumerate([(0, 1), (1, 2), (0, 2)]):
        b.read()
        b.link("associate_of", ids[CREW[x]], ids[CREW[y]], locator=f"link {j}")
        b.accept(f"link {j}")
    ws.write_import(b.finish())
    # a case of realistic size: 400 other people (the prior that two records match falls with it)
    background, _ = person_records(400, seed=9301)
    people = [{"id": r.record_id, "first_name": r.first_name, "last_name": r.last_name, "birth_date": r.birth_date,
               "nationality": r.nationality} for r in background.itertuples()]
    people.append({"id": "N1", "name": "Viktor Sokolov", "birth_date": "1962-05-05", "nationality": "RU"})
    other = add_file(ws, "Politie", "NL", "personen.csv", people)
    return ids, other["N1"]


@pytest.fixture
def crew(ws, tmp_path):
    ids, namesake = _police(ws)
    ingest(ws, [_stix_bundle(tmp_path / "report.stix.json")], agency="CERT-Testland", country="DK", progress=False)
    return ws, ids, namesake


def test_stix_individuals_join_the_police_subjects_whose_network_agrees(crew):
    ws, ids, namesake = crew
    result = resolve(ws)
    rec = result.records.set_index("entity_id")
    stix = result.records[(result.records["kind"] == "person") & (result.records["agency"] == "CERT-Testland")]
    assert len(stix) == 3
    by_label = dict(zip(stix["label"], stix["entity_id"]))
    for name, police in ids.items():
        # each co-attributed individual is the police subject of the same name: the other two agree
        assert rec.loc[by_label[name], "resolved_id"] == rec.loc[police, "resolved_id"], name
        assert rec.loc[by_label[name], "method"] == "collective"
    # the namesake shares the name but no neighbour: he stays apart
    assert rec.loc[namesake, "resolved_id"] != rec.loc[ids["Viktor Sokolov"], "resolved_id"]
    weak = result.pairs[result.pairs["method"] == "collective"]
    assert len(weak) == 3 and weak["merged"].all()
    assert (weak["match_probability"] < result.threshold).all()


def test_collective_merge_shows_the_neighbours_that_agreed(crew):
    ws, ids, _ = crew
    resolve(ws)
    ex = explain(ws, ids["Viktor Sokolov"])
    weak = ex.evidence[ex.evidence["method"] == "collective"]
    assert len(weak) == 1
    text = weak["agreed"].iloc[0]
    # the agreeing neighbours are the two other crew members: STIX record ~ police record
    assert text.startswith("name (exact); neighbours: ") and text.count(" ~ ") == 2
    assert ids["Anna Belova"] in text and ids["Dmitri Orlov"] in text
    assert "collective" in str(ex)


def test_one_agreeing_neighbour_is_not_enough(ws, tmp_path):
    """Only Viktor is a police subject, with one associate who is not in the bundle: nothing joins."""
    b = BatchBuilder("verdaechtige.csv", format="table", sha256="police-one",
                     provenance=Provenance(agency="BKA", country="DE", grading="B2", handling="TLP:AMBER"))
    b.read()
    v = b.entity("person", "D0", {"name": "Viktor Sokolov", "birth_date": "1984-02-11"}, locator="row 2")
    b.accept("row 2")
    b.read()
    w = b.entity("person", "D1", {"name": "Anna Belova", "birth_date": "1990-07-30"}, locator="row 3")
    b.accept("row 3")
    b.read()
    b.link("associate_of", v, w, locator="link 0")
    b.accept("link 0")
    ws.write_import(b.finish())
    background, _ = person_records(400, seed=9301)
    add_file(ws, "Politie", "NL", "personen.csv", [
        {"id": r.record_id, "first_name": r.first_name, "last_name": r.last_name, "birth_date": r.birth_date}
        for r in background.itertuples()])
    ingest(ws, [_stix_bundle(tmp_path / "report.stix.json")], agency="CERT-Testland", country="DK", progress=False)
    result = resolve(ws)
    # Viktor's pair has one agreeing neighbour (Anna ~ Anna), Anna's one (Viktor ~ Viktor)
    assert not (result.pairs["method"] == "collective").any()
    stix = result.records[(result.records["kind"] == "person") & (result.records["agency"] == "CERT-Testland")]
    assert (stix["method"] == "singleton").all()
