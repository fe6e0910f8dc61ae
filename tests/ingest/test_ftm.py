"""FollowTheMoney JSON lines: schemata to kinds, identifier properties, references, bad lines.

The expected counts are hand-counted from ``data/registry.ftm.json`` (33 lines, one blank):

* 32 records read; quarantined: line 28 (truncated JSON), 29 (unknown schema Spaceship),
  32 (Ownership without asset), 33 (id rs-p-ana again, as a Company) -> 4; accepted 28 (line
  27 is a fragment of rs-p-ivan and merges into line 3; line 30, a person whose birthDate
  31/02/1979 is no date, is kept with the field flagged, and so is line 31, the Family that
  names that person).
* 21 entities: 13 FtM entities (2 persons, Danube Freight, Sremska Sports Club, Balkan
  Holdings, bank account, wallet, passport, national id, vessel, vehicle, user account,
  Address), 2 references to entities not in the file (nl-c-77 organisation, nl-p-19 person),
  6 identifiers from properties (Ana's phone, e-mail and address; the company's address; the
  receiver's phone of the call; the recipient's e-mail of the Email).
* 22 links and 3 events (the dated payment, call and e-mail).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from netintel.errors import InputError
from netintel.ingest import ingest
from netintel.ingest._common import BatchBuilder, Provenance
from netintel.ingest.ftm import FORMAT, load_ftm, sniff
from netintel.workspace import record_id

from hypothesis_profiles import examples
from ingest_fixtures import sample_truth

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "registry.ftm.json"
PUBLISHER = "Agencija za privredne registre (fictional)"
PROV = Provenance("APR Serbia", "RS", grading="B2", handling="TLP:AMBER")


def eid(kind: str, srid: str, agency: str = "APR Serbia") -> str:
    return record_id("E", agency, f"{kind}:{srid}")


@pytest.fixture(scope="module")
def batch():
    return load_ftm(FIXTURE, PROV)


def test_counts_read_equals_accepted_plus_quarantined(batch):
    assert (batch.n_read, batch.n_accepted, batch.n_quarantined) == (32, 28, 4)
    assert batch.n_read == batch.n_accepted + batch.n_quarantined
    assert (len(batch.entities), len(batch.links), len(batch.events)) == (22, 23, 3)
    assert batch.format == FORMAT == "ftm"


def test_quarantine_names_line_and_reason(batch):
    reasons = {q["locator"]: q["reason"] for q in batch.quarantine}
    assert set(reasons) == {"line 28", "line 29", "line 32", "line 33"}
    assert "truncated" in reasons["line 28"]
    assert "unknown FtM schema 'Spaceship'" in reasons["line 29"]
    assert "asset" in reasons["line 32"] and "required" in reasons["line 32"]
    assert "duplicate id 'rs-p-ana'" in reasons["line 33"] and "Company" in reasons["line 33"]


def test_a_bad_birth_date_is_flagged_and_the_person_kept(batch):
    by_id = {e["entity_id"]: e for e in batch.entities}
    bad = by_id[eid("person", "rs-p-bad")]["properties"]
    assert bad["name"] == "Petar Jović" and "birth_date" not in bad  # nothing reads the bad value as a date
    [flag] = bad["field_problems"]
    assert (flag["field"], flag["column"], flag["value"]) == ("birth_date", "birthDate", "31/02/1979")
    assert "invalid date" in flag["problem"] and "kept" in flag["problem"]
    family = [lk for lk in batch.links if lk["kind"] == "family_of" and eid("person", "rs-p-bad") in
              (lk["source"], lk["target"])]
    assert len(family) == 1  # line 31 names the person, who is there


def test_entity_kinds(batch):
    kinds = Counter(e["kind"] for e in batch.entities)
    assert kinds == {"person": 4, "organisation": 4, "address": 3, "phone": 2, "email": 2, "identity_document": 2,
                     "bank_account": 1, "crypto_wallet": 1, "vessel": 1, "vehicle": 1, "user_account": 1}


def test_person_properties_as_written(batch):
    by_id = {e["entity_id"]: e for e in batch.entities}
    ana = by_id[eid("person", "rs-p-ana")]
    p = ana["properties"]
    assert (p["name"], p["alias"], p["first_name"], p["last_name"]) == ("Ana Marković", "Ana Markovic", "Ana",
                                                                        "Marković")
    assert p["birth_date"] == "1978-03"  # a partial date stays as written
    assert p["nationality"] == "rs" and p["ftm_schema"] == "Person"
    assert ana["source_record_id"] == "rs-p-ana" and ana["locator"] == "line 1"
    assert ana["reported"] == date(2025, 11, 2)  # OpenSanctions' last_change
    assert (ana["agency"], ana["country"], ana["grading"], ana["handling"]) == ("APR Serbia", "RS", "B2", "TLP:AMBER")
    ivan = by_id[eid("person", "rs-p-ivan")]["properties"]
    # line 27 is a fragment of the same entity: its name and gender merge in
    assert ivan["name"] == "Иван Петров" and set(ivan["alias"]) == {"Ivan Petrov", "Ivan Petrović"}
    assert ivan["gender"] == "male" and ivan["birth_date"] == "1981"


def test_identifier_properties_become_linked_entities(batch):
    links = {(link["kind"], link["source"], link["target"]) for link in batch.links}
    ana = eid("person", "rs-p-ana")
    assert ("uses", ana, eid("phone", "+381 64 1234567")) in links
    assert ("uses", ana, eid("email", "ana.m@fict-mail.example")) in links
    assert ("resides_at", ana, eid("address", "Bulevar Oslobođenja 12, Novi Sad")) in links
    assert ("resides_at", eid("organisation", "rs-c-1"), eid("address", "Lučka 5, Pančevo")) in links


def test_relationship_schemata_become_links(batch):
    kinds = Counter(link["kind"] for link in batch.links)
    assert kinds == {"uses": 4, "owns": 4, "resides_at": 2, "family_of": 2, "transfer": 2, "holds_document": 2,
                     "directs": 1, "associate_of": 1, "member_of": 1, "employs": 1, "related_to": 1, "call": 1,
                     "message": 1}
    by_srid = {link["source_record_id"]: link for link in batch.links}
    own = by_srid["rs-own-1"]
    assert (own["kind"], own["source"], own["target"]) == ("owns", eid("person", "rs-p-ana"),
                                                          eid("organisation", "rs-c-1"))
    assert own["first_seen"] == datetime(2019, 5, 1) and own["properties"]["percentage"] == "60"
    # a link to an entity defined later in the file (line 2 -> line 3)
    fam = by_srid["rs-fam-1"]
    assert (fam["source"], fam["target"]) == (eid("person", "rs-p-ana"), eid("person", "rs-p-ivan"))
    assert fam["first_seen"] == datetime(2004, 1, 1) and fam["properties"]["start_date"] == "2004"
    emp = by_srid["rs-emp-1"]  # employer -> employee
    assert (emp["kind"], emp["source"], emp["target"]) == ("employs", eid("organisation", "rs-c-1"),
                                                          eid("person", "rs-p-ana"))
    assert by_srid["rs-ul-1"]["properties"]["role"] == "charterer"


def test_undated_payment_is_a_link_dated_one_an_event(batch):
    by_srid = {link["source_record_id"]: link for link in batch.links}
    pay2 = by_srid["rs-pay-2"]
    assert (pay2["kind"], pay2["amount"], pay2["currency"]) == ("transfer", 1200.50, "EUR")
    events = {e["kind"]: e for e in batch.events}
    assert set(events) == {"transfer", "call", "message"}
    pay1 = events["transfer"]
    assert (pay1["amount"], pay1["currency"], pay1["time"]) == (25000.0, "EUR", datetime(2024, 2, 10))
    assert pay1["source"] == eid("organisation", "rs-c-1")
    # the beneficiary is not in the file: a reference entity by its FtM id
    assert pay1["target"] == eid("organisation", "nl-c-77")
    call = events["call"]
    assert (call["source"], call["target"], call["duration"]) == (eid("phone", "+381 64 1234567"),
                                                                  eid("phone", "+31 6 12345678"), 95.0)
    agg = [link for link in batch.links if link["kind"] == "call"][0]
    assert (agg["count"], agg["first_seen"]) == (1, datetime(2024, 2, 9, 21, 14))


def test_references_to_entities_outside_the_file(batch):
    by_id = {e["entity_id"]: e for e in batch.entities}
    assert by_id[eid("person", "nl-p-19")]["properties"] == {"ftm_id": "nl-p-19"}
    assert by_id[eid("organisation", "nl-c-77")]["source_record_id"] == "nl-c-77"


def test_agency_from_publisher_when_provenance_names_none():
    batch = load_ftm(FIXTURE, Provenance("", "RS"))
    assert batch.agency == PUBLISHER
    assert {e["agency"] for e in batch.entities} == {PUBLISHER}


def test_no_country_is_an_input_error():
    with pytest.raises(InputError, match="registry.ftm.json.*no country"):
        load_ftm(FIXTURE, Provenance("APR Serbia", ""))


def test_fills_a_builder_as_ingest_does(tmp_path):
    builder = BatchBuilder(FIXTURE, format="ftm", provenance=PROV)
    batch = load_ftm(FIXTURE, builder)
    assert batch is builder.batch and batch.n_read == 32
    assert builder.finish().n_accepted == 28  # finishing again changes nothing


def test_byte_order_mark_and_json_array(tmp_path):
    bom = tmp_path / "bom.ftm.json"
    bom.write_bytes(b"\xef\xbb\xbf" + FIXTURE.read_bytes())
    assert sniff(bom)
    assert (load_ftm(bom, PROV).n_accepted, load_ftm(bom, PROV).n_quarantined) == (28, 4)
    good = [json.loads(line) for line in FIXTURE.read_text("utf-8").splitlines()[:27] if line.strip()]
    array = tmp_path / "array.json"
    array.write_text(json.dumps(good, indent=1, ensure_ascii=False), "utf-8")
    assert sniff(array)
    b = load_ftm(array, PROV)
    assert (b.n_read, b.n_accepted, b.n_quarantined, len(b.entities), len(b.links)) == (26, 26, 0, 21, 22)
    truncated = tmp_path / "cut.json"
    truncated.write_text(json.dumps(good[:3])[:-40], "utf-8")
    b = load_ftm(truncated, PROV)
    assert (b.n_read, b.n_accepted, b.n_quarantined) == (3, 2, 1)
    assert "truncated" in b.quarantine[0]["reason"]


def test_nested_entities_as_opensanctions_writes_them(tmp_path):
    line = {"id": "os-1", "schema": "Person", "properties": {
        "name": ["Mira Kos"], "addressEntity": [{"id": "os-a1", "schema": "Address",
                                                  "properties": {"full": ["Trg 1, Ljubljana"]}}]}}
    path = tmp_path / "nested.json"
    path.write_text(json.dumps(line) + "\n", "utf-8")
    b = load_ftm(path, PROV)
    assert (b.n_read, b.n_accepted) == (2, 2)
    assert [(x["kind"], x["source"], x["target"]) for x in b.links] == [
        ("resides_at", eid("person", "os-1"), eid("address", "os-a1"))]


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"\xef\xbb\xbf\n\n", "is empty"),
    (b"name,phone\nAna,+381641234567\n", "not JSON"),
    (b'{"type": "bundle", "id": "bundle--1", "objects": []}\n', "no FollowTheMoney entity"),
    (b"\x00\x01\x02binary", "binary"),
])
def test_wrong_files_are_input_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "partner.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError, match=f"partner.jsonl.*{message}"):
        load_ftm(path, PROV)


def test_sniff_tells_ftm_from_stix_and_csv(tmp_path):
    assert sniff(FIXTURE)
    assert not sniff(DATA / "cert_report.stix.json")
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n1,2\n")
    assert not sniff(csv)


def test_ingest_entry_point_reads_it(ws, tmp_path):
    shutil.copy(FIXTURE, tmp_path / "registry.ftm.json")
    report = ingest(ws, [tmp_path / "registry.ftm.json"], agency="APR Serbia", country="RS", progress=False)
    row = report.sources.iloc[0]
    assert (row.format, row.read, row.accepted, row.quarantined, row.entities, row.links, row.events) == \
        ("ftm", 32, 28, 4, 22, 23, 3)
    assert len(ws.entities()) == 22
    assert set(report.quarantine["locator"]) == {"line 28", "line 29", "line 32", "line 33"}
    flags = report.field_problems
    assert flags[["locator", "field", "value"]].values.tolist() == [["line 30", "birth_date", "31/02/1979"]]


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 32), st.sampled_from(["cut", "date", "schema", "id"]), st.integers(0, 400)),
                max_size=6))
def test_read_is_accepted_plus_quarantined_for_any_corruption(tmp_path, edits):
    lines = FIXTURE.read_text("utf-8").splitlines()
    for index, how, cut in edits:
        if how == "cut":  # a line truncated anywhere
            lines[index] = lines[index][:cut]
        elif how == "date":  # every date of the line invalid
            lines[index] = lines[index].replace('"19', '"l9').replace('"20', '"2O')
        elif how == "schema":
            lines[index] = lines[index].replace('"schema": "', '"schema": "X')
        else:
            lines[index] = lines[index].replace('"id": "rs-', '"id": "rs-p-ana", "_": "')
    path = tmp_path / "corrupt.ftm.json"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    batch = load_ftm(path, PROV)
    assert batch.n_read == batch.n_accepted + batch.n_quarantined
    assert batch.n_read == sum(1 for line in lines if line.strip())
    ids = {e["entity_id"] for e in batch.entities}
    for link in batch.links:  # no dangling ends
        assert link["source"] in ids and link["target"] in ids


def _lines(tmp_path, *entities, name="x.ftm.json"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in entities), "utf-8")
    return path


def test_sanctions_events_descendant_schemata_and_datasets(tmp_path):
    path = _lines(
        tmp_path,
        {"id": "os-1", "schema": "Person", "datasets": ["fict_sanctions"],
         "properties": {"name": ["Goran Vuk"], "nationality": ["Serbian"]}},
        {"id": "os-s1", "schema": "Sanction", "datasets": ["fict_sanctions"],
         "properties": {"entity": ["os-1"], "authority": ["Fictional Council"], "program": ["FC-7"],
                        "startDate": ["2022-04-08"]}},
        {"id": "os-pb", "schema": "PublicBody", "datasets": ["fict_sanctions"],
         "properties": {"name": ["Port Authority of Bar (fictional)"]}},
        {"id": "os-air", "schema": "Airplane", "datasets": ["fict_sanctions"],
         "properties": {"registrationNumber": ["YU-FIC"], "owner": ["os-1"]}},
        {"id": "os-ev", "schema": "Event", "datasets": ["other"],
         "properties": {"name": ["Meeting in Bar"], "date": ["2023-07"], "involved": ["os-1", "os-pb"]}},
        {"id": "os-doc", "schema": "Document", "properties": {"fileName": ["minutes.pdf"]}},
    )
    batch = load_ftm(path, Provenance("", "ME"))
    assert batch.agency == "fict_sanctions"  # no publisher: the most common first dataset
    assert (batch.n_read, batch.n_accepted, batch.n_quarantined) == (6, 5, 1)
    assert "Document" in batch.quarantine[0]["reason"] and "not imported" in batch.quarantine[0]["reason"]
    e = lambda kind, srid: record_id("E", "fict_sanctions", f"{kind}:{srid}")  # noqa: E731
    by_id = {x["entity_id"]: x for x in batch.entities}
    person = by_id[e("person", "os-1")]["properties"]
    assert person["sanctions"] == "Fictional Council; FC-7; 2022-04-08"
    assert person["nationality"] == "Serbian" and person["ftm_invalid"] == ["nationality"]  # kept as written
    assert by_id[e("organisation", "os-pb")]["properties"]["ftm_schema"] == "PublicBody"
    assert by_id[e("vehicle", "os-air")]["properties"]["plate"] == "YU-FIC"
    assert by_id[e("event", "os-ev")]["properties"]["date"] == "2023-07"
    links = {(x["kind"], x["source"], x["target"]) for x in batch.links}
    assert links == {("owns", e("person", "os-1"), e("vehicle", "os-air")),
                     ("related_to", e("person", "os-1"), e("event", "os-ev")),
                     ("related_to", e("organisation", "os-pb"), e("event", "os-ev"))}


def test_a_failing_entity_takes_its_links_with_it(tmp_path):
    """The passport fails with its holder, and the link to the passport fails with the passport."""
    path = _lines(
        tmp_path,
        {"id": "u1", "schema": "UnknownLink", "properties": {"subject": ["doc"], "object": ["c1"]}},
        {"id": "doc", "schema": "Passport", "properties": {"holder": ["p1"], "number": ["X1"]}},
        {"id": "p1", "schema": "Person", "last_change": "not a date", "properties": {"name": ["A"]}},
        {"id": "c1", "schema": "Company", "properties": {"name": ["C"]}},
    )
    batch = load_ftm(path, PROV)
    assert (batch.n_read, batch.n_accepted, batch.n_quarantined) == (4, 1, 3)
    reasons = {q["locator"]: q["reason"] for q in batch.quarantine}
    assert "reported date" in reasons["line 3"]
    assert "'p1' is quarantined (line 3" in reasons["line 2"]
    assert "'doc' is quarantined (line 2" in reasons["line 1"]
    assert [x["kind"] for x in batch.entities] == ["organisation"] and not batch.links


def test_reads_back_what_netintel_exports(tmp_path):
    """An FtM file written by netintel.export goes back in: kinds, links and handling survive."""
    import pandas as pd

    from netintel.export import export_graph
    from netintel.handling import Marking

    class Graph:
        nodes = pd.DataFrame({
            "id": ["N1", "N2", "N3", "N4"], "kind": ["person", "phone", "organisation", "bank_account"],
            "label": ["Lena Berg", "+46 70 123 45 67", "Berg Shipping AB", "SE4550000000058398257466"],
            "countries": [["SE"], ["SE"], ["SE"], ["SE"]], "agencies": [["Polisen"]] * 4,
            "n_records": [1] * 4, "handling": ["TLP:RED"] * 4})
        edges = pd.DataFrame({
            "source": ["N1", "N1", "N3"], "target": ["N2", "N3", "N4"], "kind": ["uses", "directs", "owns"],
            "directed": [True] * 3, "weight": [1.0] * 3, "count": [1] * 3, "amount": [None] * 3,
            "first_seen": pd.to_datetime([None, "2024-05-01", None]), "last_seen": pd.to_datetime([None] * 3),
            "agencies": [["Polisen"]] * 3, "grading": ["B2"] * 3, "handling": ["TLP:RED"] * 3,
            "link_ids": [["L1"], ["L2"], ["L3"]]})
        marking = Marking("TLP:RED", ("SE",))

    path = export_graph(Graph(), tmp_path / "case.ftm.json", format="ftm").paths[0]
    batch = load_ftm(path, Provenance("", "SE"))
    assert batch.agency == "Polisen" and batch.n_quarantined == 0
    assert sorted((e["kind"], e["label"]) for e in batch.entities) == [
        ("bank_account", "SE4550000000058398257466"), ("organisation", "Berg Shipping AB"), ("person", "Lena Berg"),
        ("phone", "+46701234567")]
    assert sorted(x["kind"] for x in batch.links) == ["directs", "owns", "uses"]
    assert {e["handling"] for e in batch.entities} == {"TLP:RED"}


def test_sample_case_ftm_file_against_generator_truth():
    """Every entity record the generator wrote into the FtM file, and only those; the planted bad lines quarantined."""
    for path, prov, expected, bad in sample_truth((".ftm.json", ".jsonl", ".ndjson"), "ftm"):
        batch = load_ftm(path, prov)
        assert {(e["kind"], e["source_record_id"]) for e in batch.entities} == expected
        assert {q["locator"] for q in batch.quarantine} == bad
        assert batch.n_read == batch.n_accepted + batch.n_quarantined


def test_identifier_properties_written_as_nothing_make_no_entity(tmp_path):
    path = _lines(tmp_path, {"id": "p1", "schema": "Person",
                             "properties": {"name": ["Ivo Rus"], "phone": ["n/a"], "email": ["-"], "address": ["NULL"]}})
    batch = load_ftm(path, PROV)
    assert (batch.n_accepted, [e["kind"] for e in batch.entities], batch.links) == (1, ["person"], [])


def test_one_record_many_events_have_distinct_ids(tmp_path):
    path = _lines(tmp_path, {"id": "m1", "schema": "Email", "properties": {
        "from": ["a@fict.example"], "to": ["b@fict.example", "c@fict.example"], "cc": ["d@fict.example"],
        "date": ["2024-03-01T10:00:00"], "subject": ["plan"]}})
    batch = load_ftm(path, PROV)
    assert len(batch.events) == 3 and len({e["event_id"] for e in batch.events}) == 3
    assert sorted(e["locator"] for e in batch.events) == ["line 1", "line 1 #2", "line 1 #3"]


def test_links_to_an_opensanctions_referent_go_to_the_merged_entity(tmp_path):
    path = _lines(tmp_path,
                  {"id": "NK-abc", "schema": "Person", "referents": ["gb-hmt-123", "us-ofac-9"],
                   "properties": {"name": ["Olek Dan"]}},
                  {"id": "own-1", "schema": "Ownership", "properties": {"owner": ["us-ofac-9"], "asset": ["NK-co"]}},
                  {"id": "NK-co", "schema": "Company", "properties": {"name": ["Dan Trading"]}})
    batch = load_ftm(path, PROV)
    (link,) = batch.links
    assert (link["source"], link["target"]) == (eid("person", "NK-abc"), eid("organisation", "NK-co"))
    assert len(batch.entities) == 2  # no reference entity for the old id
