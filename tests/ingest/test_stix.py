"""STIX 2.1 bundles: objects to kinds, pattern observables, markings, grading, bad objects.

Expected counts are hand-counted from ``data/cert_report.stix.json`` (37 objects, written by a
fictional CERT in the shape of published threat reports):

* quarantined 4: the indicator without a pattern (#16), the relationship to an attack-pattern
  not in the bundle (#33), the malware with a malformed id (#36) and the older version of
  MantisLock (#37); accepted 33.
* 22 entities: 15 domain objects (2 identities, report, intrusion set, threat actor, malware,
  tool, attack pattern, vulnerability, infrastructure, course of action, 4 indicators), 4 observables (domain,
  IPv4, wallet, e-mail) and 3 more from patterns (two file hashes, a second wallet; the domain,
  IP and first wallet of the patterns are the observables already counted).
* 34 links: 15 report -> object refs, 6 indicator -> pattern observable, 1 resolves-to, 11
  relationships, 1 sighting (aggregated from its one event).
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
from netintel.ingest.stix import FORMAT, TLP_IDS, load_stix, observables, sniff
from netintel.workspace import record_id

from hypothesis_profiles import examples
from ingest_fixtures import sample_truth

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "cert_report.stix.json"
CERT = "CERT-Vesterland (fictional)"
OBJECTS = json.loads(FIXTURE.read_text("utf-8"))["objects"]
ID = {(o["type"], o.get("name") or o.get("value") or o.get("address")): o["id"] for o in OBJECTS if "id" in o}


def eid(kind: str, srid: str, agency: str = CERT) -> str:
    return record_id("E", agency, f"{kind}:{srid}")


@pytest.fixture(scope="module")
def batch():
    return load_stix(FIXTURE, None)


def test_counts(batch):
    assert (batch.n_read, batch.n_accepted, batch.n_quarantined) == (37, 33, 4)
    assert (len(batch.entities), len(batch.links), len(batch.events)) == (22, 34, 1)
    assert batch.format == FORMAT == "stix"


def test_agency_and_country_from_the_bundle(batch):
    assert (batch.agency, batch.country) == (CERT, "DK")
    assert {e["agency"] for e in batch.entities} == {CERT}


def test_given_provenance_wins(tmp_path):
    b = load_stix(FIXTURE, Provenance("Politie CERT", "NL", handling="TLP:GREEN"))
    assert (b.agency, b.country) == ("Politie CERT", "NL")
    by_name = {e["label"]: e for e in b.entities}
    assert by_name["rclone"]["handling"] == "TLP:GREEN"  # unmarked object: the source default
    assert by_name["rclone"]["properties"]["reported_by"] == CERT


def test_quarantine_reasons_name_the_object(batch):
    reasons = {q["locator"]: q["reason"] for q in batch.quarantine}
    nopattern = ID[("indicator", "indicator without a pattern")]
    assert "pattern" in reasons[f"object {nopattern}"]
    broken = [o["id"] for o in OBJECTS if o["type"] == "relationship" and o["target_ref"].startswith("attack-pattern")
              and o["target_ref"] not in {x["id"] for x in OBJECTS}][0]
    assert "not in the bundle" in reasons[f"object {broken}"]
    assert f"object {ID[('course-of-action', 'Block MantisLock C2 domains')]}" not in reasons  # a kind of its own
    assert "not a valid STIX identifier" in reasons["object malware--1234"]
    assert "superseded" in reasons[f"object {ID[('malware', 'MantisLock')]}"]
    assert len(reasons) == 4


def test_entity_kinds(batch):
    assert Counter(e["kind"] for e in batch.entities) == {
        "indicator": 4, "organisation": 2, "threat_actor": 2, "file": 2, "crypto_wallet": 2, "report": 1,
        "malware": 1, "tool": 1, "attack_pattern": 1, "vulnerability": 1, "infrastructure": 1, "domain": 1,
        "ip_address": 1, "email": 1, "course_of_action": 1}
    by_name = {e["label"]: e for e in batch.entities}
    # the newest version of MantisLock is kept, whatever its place in the bundle
    assert by_name["MantisLock"]["properties"]["family"] == ["ransomware"]
    assert by_name["GLASS MANTIS"]["properties"]["stix_type"] == "intrusion-set"
    assert by_name["GLASS MANTIS"]["properties"]["alias"] == ["Mantis Crew", "TG-0420"]
    assert by_name["Exfiltration to Cloud Storage"]["properties"]["external_id"] == "T1567.002"
    assert by_name["Harbour Logistics AS (fictional)"]["kind"] == "organisation"


def test_pattern_observables_are_linked_from_the_indicator(batch):
    links = {(x["kind"], x["source"], x["target"]) for x in batch.links}
    c2 = eid("indicator", ID[("indicator", "MantisLock C2")])
    assert ("indicates", c2, eid("domain", "update-check.example")) in links
    assert ("indicates", c2, eid("ip_address", "198.51.100.23")) in links
    loader = eid("indicator", ID[("indicator", "MantisLock loader")])
    sha = "3f0c6a7e2b9d41c8a5e6f7081928374650a1b2c3d4e5f60718293a4b5c6d7e8f"
    assert ("indicates", loader, eid("file", sha)) in links
    wallets = eid("indicator", ID[("indicator", "Ransom payment wallets")])
    assert {t for k, s, t in links if s == wallets} == {
        eid("crypto_wallet", "bc1qm4nt1s0000000000000000000000000000fict"),
        eid("crypto_wallet", "bc1qm4nt1s1111111111111111111111111111fict")}
    like = eid("indicator", ID[("indicator", "Payload staging URLs")])
    assert not [1 for k, s, t in links if s == like]  # LIKE names no exact value
    # the domain object resolves to the IP object: the same entities the pattern names
    assert ("resolves_to", eid("domain", "update-check.example"), eid("ip_address", "198.51.100.23")) in links


def test_relationships_keep_the_stix_direction(batch):
    kinds = Counter(x["kind"] for x in batch.links)
    assert kinds == {"related_to": 18, "indicates": 7, "uses": 3, "targets": 2, "resolves_to": 1, "attributed_to": 1,
                     "communicates_with": 1, "sighting": 1}
    rel = {x["properties"].get("relationship_type"): x for x in batch.links if x["properties"].get("relationship_type")}
    attributed = rel["attributed-to"]
    assert (attributed["source"], attributed["target"]) == (eid("threat_actor", ID[("intrusion-set", "GLASS MANTIS")]),
                                                            eid("threat_actor", ID[("threat-actor", "Kestrel")]))
    assert rel["x-launders-through"]["kind"] == "related_to"
    assert rel["exploits"]["kind"] == "targets" and rel["beacons-to"]["kind"] == "communicates_with"


def test_sighting_is_an_event_to_where_sighted(batch):
    (event,) = batch.events
    assert event["kind"] == "sighting"
    assert event["source"] == eid("indicator", ID[("indicator", "MantisLock C2")])
    assert event["target"] == eid("organisation", ID[("identity", "Harbour Logistics AS (fictional)")])
    assert event["time"] == datetime(2026, 2, 27, 22, 10) and event["properties"]["count"] == 4
    assert event["grading"] == "F2"  # confidence 60


def test_report_links_its_objects_and_lists_missing_refs(batch):
    report = [e for e in batch.entities if e["kind"] == "report"][0]
    in_bundle = {o["id"] for o in OBJECTS}
    not_shared = [r for r in OBJECTS[3]["object_refs"] if r not in in_bundle]
    assert len(not_shared) == 1 and report["properties"]["missing_refs"] == not_shared
    out = [x for x in batch.links if x["source"] == report["entity_id"]]
    assert len(out) == 15 and {x["kind"] for x in out} == {"related_to"}


def test_markings_become_handling_codes(batch):
    by_name = {e["label"]: e for e in batch.entities}
    assert by_name["MantisLock C2"]["handling"] == "TLP:AMBER+STRICT"  # TLP 2.0 marking definition
    assert by_name["MantisLock C2"]["releasable_to"] == ["DK"]
    assert by_name["GLASS MANTIS"]["handling"] == "TLP:AMBER"  # stix2.TLP_AMBER (TLP 1)
    assert by_name["Kestrel"]["handling"] == "TLP:RED"
    report = [e for e in batch.entities if e["kind"] == "report"][0]
    assert report["handling"] == "TLP:GREEN"  # TLP 2.0 by well-known id; the copyright statement adds none
    assert by_name["rclone"]["handling"] == "TLP:AMBER"  # unmarked: the default


def test_confidence_becomes_grading_and_modified_the_reported_date(batch):
    by_name = {e["label"]: e for e in batch.entities}
    c2 = by_name["MantisLock C2"]
    assert (c2["grading"], c2["grading_scheme"], c2["grading_original"]) == ("F1", "stix_confidence", "85")
    assert by_name["Kestrel"]["grading"] == "F4"  # 30
    assert by_name["GLASS MANTIS"]["grading"] == "F2"  # 70
    assert c2["reported"] == date(2026, 3, 4)


def test_tlp_marking_under_own_id_and_handling_statement(tmp_path):
    bundle = json.loads(FIXTURE.read_text("utf-8"))
    objs = bundle["objects"]
    own = "marking-definition--0d3a64b8-7e8e-4d57-9a0e-0b5a3e1e2c11"
    objs.append({"type": "marking-definition", "spec_version": "2.1", "id": own, "created": "2026-01-01T00:00:00Z",
                 "definition_type": "TLP", "name": "TLP:CLEAR", "definition": {"TLP": "TLP:CLEAR"}})  # as OpenCTI writes it
    objs.append({"type": "marking-definition", "spec_version": "2.1", "created": "2026-01-01T00:00:00Z",
                 "id": "marking-definition--1d3a64b8-7e8e-4d57-9a0e-0b5a3e1e2c11", "definition_type": "statement",
                 "definition": {"statement": "Handling H2: no further dissemination"}})
    tlp2 = "marking-definition--2d3a64b8-7e8e-4d57-9a0e-0b5a3e1e2c11"  # TLP 2.0 as a platform defines it
    objs.append({"type": "marking-definition", "spec_version": "2.1", "id": tlp2, "created": "2026-01-01T00:00:00Z",
                 "name": "TLP:RED", "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                     "extension_type": "property-extension", "tlp_2_0": "red"}}})
    for o in objs:
        if o.get("name") == "Exfiltration to Cloud Storage":
            o["object_marking_refs"] = [tlp2]
        if o.get("name") == "rclone":
            o["object_marking_refs"] = [own]
        if o.get("name") == "CVE-2099-0142":
            o["object_marking_refs"] = [own, "marking-definition--1d3a64b8-7e8e-4d57-9a0e-0b5a3e1e2c11"]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), "utf-8")
    by_name = {e["label"]: e for e in load_stix(path, None).entities}
    assert by_name["rclone"]["handling"] == "TLP:CLEAR"
    assert by_name["Exfiltration to Cloud Storage"]["handling"] == "TLP:RED"
    assert by_name["CVE-2099-0142"]["handling"] == "H2"  # the strictest of the two


def test_observables_of_patterns():
    assert observables("[email-addr:value = 'a@b.example' AND file:name = 'x.exe']") == [
        ("email", "address", "a@b.example"), ("file", "name", "x.exe")]
    assert observables("[ipv4-addr:value != '10.0.0.1']") == []
    assert observables(r"[url:value = 'http://x.example/it\'s']") == [("url", "value", "http://x.example/it's")]


def _bundle_file(tmp_path, objects, name="b.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--44af6c39-c09b-49c5-9de2-394224b04982",
                                "objects": objects}), "utf-8")
    return path


def test_confidence_out_of_range_is_quarantined(tmp_path):
    tool = {"type": "tool", "spec_version": "2.1", "id": "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "name": "t",
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "confidence": 150}
    b = load_stix(_bundle_file(tmp_path, [tool]), Provenance("CERT", "EE"))
    assert (b.n_read, b.n_accepted, b.n_quarantined) == (1, 0, 1)
    assert "confidence" in b.quarantine[0]["reason"]


def test_no_agency_or_country_is_an_input_error(tmp_path):
    tool = {"type": "tool", "spec_version": "2.1", "id": "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "name": "t",
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z"}
    path = _bundle_file(tmp_path, [tool], "anon.json")
    with pytest.raises(InputError, match="anon.json.*no agency"):
        load_stix(path, None)
    with pytest.raises(InputError, match="anon.json.*no country"):
        load_stix(path, Provenance("CERT-X", ""))
    assert load_stix(path, Provenance("CERT-X", "ee")).country == "EE"


def test_fills_a_builder_as_ingest_does():
    builder = BatchBuilder(FIXTURE, format="stix", provenance=Provenance("CERT", "DK"))
    batch = load_stix(FIXTURE, builder)
    assert batch is builder.batch and (batch.n_read, batch.n_accepted) == (37, 33)


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"\xef\xbb\xbf  \n", "is empty"),
    (FIXTURE.read_bytes()[:5000], "truncated"),
    (b'{"type": "report", "id": "report--1"}', "not a STIX bundle"),
    (b'[{"type": "bundle"}]', "not a STIX bundle"),
    (b"caller,callee\n1,2\n", "not valid JSON"),
])
def test_bad_files_are_input_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "cert.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=f"cert.json.*{message}"):
        load_stix(path, Provenance("CERT", "DK"))


def test_byte_order_mark(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + FIXTURE.read_bytes())
    assert sniff(path)
    b = load_stix(path, None)
    assert (b.n_read, b.n_accepted, b.n_quarantined, len(b.entities)) == (37, 33, 4, 22)


def test_sniff(tmp_path):
    assert sniff(FIXTURE)
    assert not sniff(DATA / "registry.ftm.json")
    cut = tmp_path / "cut.json"
    cut.write_bytes(FIXTURE.read_bytes()[:3000])
    assert sniff(cut)  # a truncated bundle is still recognised; the loader then reports it


def test_ingest_entry_point_reads_it(ws, tmp_path):
    shutil.copy(FIXTURE, tmp_path / "cert_report.stix.json")
    report = ingest(ws, [tmp_path / "cert_report.stix.json"], agency="CERT-Vesterland", country="DK", progress=False)
    row = report.sources.iloc[0]
    assert (row.format, row.read, row.accepted, row.quarantined, row.entities, row.links, row.events) == \
        ("stix", 37, 33, 4, 22, 34, 1)
    assert len(report.quarantine) == 4


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 36), st.sampled_from(["id", "type", "created", "pattern", "source_ref",
                                                               "value", "name", "spec_version"]),
                          st.sampled_from([None, "", "garbage", 7])), max_size=6))
def test_read_is_accepted_plus_quarantined_for_any_corruption(tmp_path, edits):
    objects = json.loads(FIXTURE.read_text("utf-8"))["objects"]
    for index, key, value in edits:
        if value is None:
            objects[index].pop(key, None)
        else:
            objects[index][key] = value
    batch = load_stix(_bundle_file(tmp_path, objects), Provenance("CERT", "DK"))
    assert batch.n_read == 37 == batch.n_accepted + batch.n_quarantined
    ids = {e["entity_id"] for e in batch.entities}
    for link in batch.links:
        assert link["source"] in ids and link["target"] in ids


def test_an_entity_two_objects_describe_keeps_the_strictest_handling(tmp_path):
    """The IP is in an AMBER+STRICT indicator's pattern and an unmarked observable: whatever comes first."""
    objects = json.loads(FIXTURE.read_text("utf-8"))["objects"]
    for order in (objects, list(reversed(objects))):
        batch = load_stix(_bundle_file(tmp_path, order), Provenance("CERT", "DK", handling="TLP:GREEN"))
        ip = [e for e in batch.entities if e["kind"] == "ip_address"][0]
        assert (ip["handling"], ip["releasable_to"]) == ("TLP:AMBER+STRICT", ["DK"])


def _u(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def test_observables_traffic_mail_observed_data_location_and_grouping(tmp_path):
    t = "2026-04-01T10:00:00.000Z"
    soc = f"identity--{_u(1)}"
    objs = [
        {"type": "identity", "spec_version": "2.1", "id": soc, "created": t, "modified": t, "name": "SOC Ostrava",
         "identity_class": "organization"},
        {"type": "location", "spec_version": "2.1", "id": f"location--{_u(2)}", "created": t, "modified": t,
         "name": "Ostrava", "country": "CZ"},
        {"type": "relationship", "spec_version": "2.1", "id": f"relationship--{_u(3)}", "created": t, "modified": t,
         "relationship_type": "located-at", "source_ref": soc, "target_ref": f"location--{_u(2)}"},
        {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{_u(4)}", "value": "203.0.113.5"},
        {"type": "domain-name", "spec_version": "2.1", "id": f"domain-name--{_u(5)}", "value": "drop.fict.example"},
        {"type": "network-traffic", "spec_version": "2.1", "id": f"network-traffic--{_u(6)}",
         "src_ref": f"ipv4-addr--{_u(4)}", "dst_ref": f"domain-name--{_u(5)}", "protocols": ["tcp", "https"],
         "dst_port": 443, "start": "2026-03-30T01:02:03Z"},
        {"type": "email-addr", "spec_version": "2.1", "id": f"email-addr--{_u(7)}", "value": "mule1@fict.example"},
        {"type": "email-addr", "spec_version": "2.1", "id": f"email-addr--{_u(8)}", "value": "boss@fict.example"},
        {"type": "email-message", "spec_version": "2.1", "id": f"email-message--{_u(9)}", "is_multipart": False,
         "from_ref": f"email-addr--{_u(8)}", "to_refs": [f"email-addr--{_u(7)}"], "subject": "new cards",
         "date": "2026-03-29T18:00:00Z"},
        {"type": "file", "spec_version": "2.1", "id": f"file--{_u(10)}", "name": "invoice.pdf.exe",
         "hashes": {"SHA-256": "a" * 64, "MD5": "b" * 32}},
        {"type": "user-account", "spec_version": "2.1", "id": f"user-account--{_u(11)}", "account_login": "mule_77",
         "account_type": "telegram"},
        {"type": "observed-data", "spec_version": "2.1", "id": f"observed-data--{_u(12)}", "created": t, "modified": t,
         "created_by_ref": soc, "first_observed": "2026-03-28T00:00:00Z", "last_observed": "2026-03-29T00:00:00Z",
         "number_observed": 3, "object_refs": [f"file--{_u(10)}"]},
        {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{_u(16)}", "created": t, "modified": t,
         "pattern": f"[file:hashes.'SHA-256' = '{'a' * 64}']", "pattern_type": "stix", "valid_from": t},
        {"type": "sighting", "spec_version": "2.1", "id": f"sighting--{_u(13)}", "created": t, "modified": t,
         "created_by_ref": soc, "sighting_of_ref": f"indicator--{_u(16)}", "first_seen": "2026-03-29T06:00:00Z"},
        {"type": "grouping", "spec_version": "2.1", "id": f"grouping--{_u(14)}", "created": t, "modified": t,
         "created_by_ref": soc, "name": "Mule recruitment", "context": "suspicious-activity",
         "object_refs": [f"user-account--{_u(11)}", f"email-addr--{_u(7)}"]},
        {"type": "x-unknown-thing", "spec_version": "2.1", "id": f"x-unknown-thing--{_u(15)}", "foo": 1},
    ]
    batch = load_stix(_bundle_file(tmp_path, objs), None)
    # agency from the creator; its country from the location it is located at
    assert (batch.agency, batch.country) == ("SOC Ostrava", "CZ")
    assert (batch.n_read, batch.n_accepted, batch.n_quarantined) == (16, 15, 1)
    assert "custom STIX type 'x-unknown-thing'" in batch.quarantine[0]["reason"]
    agency = "SOC Ostrava"
    e = lambda kind, srid: record_id("E", agency, f"{kind}:{srid}")  # noqa: E731
    kinds = Counter(x["kind"] for x in batch.entities)
    assert kinds == {"organisation": 1, "location": 1, "ip_address": 1, "domain": 1, "email": 2, "file": 1,
                     "user_account": 1, "report": 1, "indicator": 1}
    f = [x for x in batch.entities if x["kind"] == "file"][0]
    assert (f["entity_id"], f["properties"]["hash_md5"], f["properties"]["name"]) == (e("file", "a" * 64), "b" * 32,
                                                                                      "invoice.pdf.exe")
    links = {(x["kind"], x["source"], x["target"]): x for x in batch.links}
    assert ("communicates_with", e("ip_address", "203.0.113.5"), e("domain", "drop.fict.example")) in links
    assert ("message", e("email", "boss@fict.example"), e("email", "mule1@fict.example")) in links
    # observed-data and a sighting without where_sighted: events to the observer
    observed = links[("sighting", e("file", "a" * 64), e("organisation", soc))]
    assert observed["count"] == 1 and observed["first_seen"] == datetime(2026, 3, 28)
    sighted = links[("sighting", e("indicator", f"indicator--{_u(16)}"), e("organisation", soc))]
    assert sighted["first_seen"] == datetime(2026, 3, 29, 6)
    assert ("indicates", e("indicator", f"indicator--{_u(16)}"), e("file", "a" * 64)) in links
    grouping = e("report", f"grouping--{_u(14)}")
    assert {k for k in links if k[1] == grouping} == {("related_to", grouping, e("user_account", "mule_77")),
                                                      ("related_to", grouping, e("email", "mule1@fict.example"))}
    assert ("related_to", e("organisation", soc), e("location", f"location--{_u(2)}")) in links
    assert Counter(ev["kind"] for ev in batch.events) == {"sighting": 2, "communicates_with": 1, "message": 1}


def test_stix_2_0_bundle(tmp_path):
    objs = [
        {"type": "malware", "id": f"malware--{_u(1)}", "created": "2017-01-01T00:00:00.000Z",
         "modified": "2017-01-01T00:00:00.000Z", "name": "OldRat", "labels": ["remote-access-trojan"]},
        {"type": "indicator", "id": f"indicator--{_u(2)}", "created": "2017-01-01T00:00:00.000Z",
         "modified": "2017-01-01T00:00:00.000Z", "labels": ["malicious-activity"],
         "pattern": "[ipv4-addr:value = '192.0.2.99']", "valid_from": "2017-01-01T00:00:00Z"},
        {"type": "relationship", "id": f"relationship--{_u(3)}", "created": "2017-01-01T00:00:00.000Z",
         "modified": "2017-01-01T00:00:00.000Z", "relationship_type": "indicates",
         "source_ref": f"indicator--{_u(2)}", "target_ref": f"malware--{_u(1)}"},
    ]
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"type": "bundle", "id": f"bundle--{_u(9)}", "spec_version": "2.0", "objects": objs}))
    batch = load_stix(path, Provenance("CERT", "DK"))
    assert (batch.n_read, batch.n_accepted, len(batch.entities), len(batch.links)) == (3, 3, 3, 2)
    assert sorted(x["kind"] for x in batch.links) == ["indicates", "indicates"]


PATTERNS = [
    "[domain-name:value = 'a.example'] OR [ipv4-addr:value = '192.0.2.4']",
    "[file:hashes.'SHA-256' = 'aa' OR file:hashes.MD5 = 'bb'] AND [file:name = 'x.exe']",
    "[email-message:to_refs[*].value = 'x@fict.example' AND email-message:from_ref.value = 'y@fict.example']",
    "[email-message:to_refs[0].value = 'x@fict.example']",
    "[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]",
    r"[url:value = 'http://x.example/it\'s']",
    "[network-traffic:dst_port = 443 AND network-traffic:dst_ref.value = '198.51.100.8']",
    "[ipv4-addr:value NOT = '192.0.2.9']",
    "([domain-name:value = 'c.example'] FOLLOWEDBY [url:value = 'http://c.example/x']) WITHIN 5 SECONDS",
    "[x-crypto-wallet:address = 'bc1qexample'] OR [user-account:account_login = 'mule_7']",
    "[domain-name:value LIKE '%.fict.example' OR domain-name:value MATCHES '^x']",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_plain_patterns_read_without_the_grammar_give_what_the_grammar_gives(pattern):
    from netintel.ingest import stix

    fast = stix._simple_comparisons(pattern)
    if fast is None:  # NOT, FOLLOWEDBY, qualifiers: only the grammar reads those
        assert "NOT" in pattern or "FOLLOWEDBY" in pattern
        return
    full = stix._grammar_comparisons(pattern)
    norm = lambda cs: sorted((t, stix._pattern_path(p), op, stix._pattern_values(v, op) if op in ("=", "IN") else v)  # noqa: E731
                             for t, p, op, v in cs)
    assert norm(fast) == norm(full)


def test_the_same_object_twice_is_quarantined_once(tmp_path):
    tool = {"type": "tool", "spec_version": "2.1", "id": f"tool--{_u(1)}", "name": "plink",
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z"}
    batch = load_stix(_bundle_file(tmp_path, [tool, dict(tool, name="plink (copy)")]), Provenance("CERT", "DK"))
    assert (batch.n_read, batch.n_accepted, batch.n_quarantined) == (2, 1, 1)
    assert "duplicate id" in batch.quarantine[0]["reason"]
    assert [e["label"] for e in batch.entities] == ["plink (copy)"]  # the later is kept


def test_sample_case_bundle_against_generator_truth():
    """Every entity record the generator put in the CERT's bundle, and only those; the planted bad objects quarantined."""
    checked = 0
    for path, prov, expected, bad in sample_truth((".json",), "stix"):
        if not sniff(path):
            continue  # the FtM file is .json too
        batch = load_stix(path, prov)
        assert {(e["kind"], e["source_record_id"]) for e in batch.entities} == expected
        assert {q["locator"] for q in batch.quarantine} == bad
        checked += 1
    assert checked


def test_country_of_the_bundle_creator_only_for_that_agency():
    assert load_stix(FIXTURE, Provenance("cert-vesterland (FICTIONAL)", "")).country == "DK"
    with pytest.raises(InputError, match="no country for agency 'Politie'"):
        load_stix(FIXTURE, Provenance("Politie", ""))


def test_misp_exports_attributes_and_stix_2_0_observed_data(tmp_path):
    """MISP writes what STIX has no observable for as x-misp-attribute, and 2.0 observables inside observed-data."""
    t = "2026-02-01T09:00:00.000Z"
    org = f"identity--{_u(1)}"

    def attr(n, misp_type, value):
        return {"type": "x-misp-attribute", "spec_version": "2.1", "id": f"x-misp-attribute--{_u(n)}",
                "created_by_ref": org, "created": t, "modified": t, "labels": [f'misp:type="{misp_type}"'],
                "x_misp_category": "Financial fraud", "x_misp_type": misp_type, "x_misp_value": value}

    objs = [
        {"type": "identity", "spec_version": "2.1", "id": org, "created": t, "modified": t,
         "name": "FIU-PT (fictional)", "identity_class": "organization", "x_country": "PT"},
        attr(2, "btc", "1FictBtcAddr0000000000000000000000"),
        attr(3, "iban", "PT50000201231234567890154"),
        attr(4, "phone-number", "+351 912 000 111"),
        attr(5, "text", "seized ledger, page 4"),
        {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{_u(6)}", "created_by_ref": org, "created": t,
         "modified": t, "pattern_type": "stix", "valid_from": t,
         "pattern": "[user-account:account_type = 'telegram' AND user-account:account_login = 'cashout_pt' "
                    "AND user-account:x_misp_phone = '+351 912 000 111']"},
        {"type": "observed-data", "id": f"observed-data--{_u(7)}", "created_by_ref": org, "created": t, "modified": t,
         "first_observed": "2026-01-30T00:00:00Z", "last_observed": "2026-01-31T00:00:00Z", "number_observed": 2,
         "objects": {"0": {"type": "domain-name", "value": "cashout.fict.example"},
                     "1": {"type": "mutex", "name": "Global\\fict"}}},
    ]
    batch = load_stix(_bundle_file(tmp_path, objs), None)
    assert (batch.agency, batch.country) == ("FIU-PT (fictional)", "PT")
    assert (batch.n_read, batch.n_accepted, batch.n_quarantined) == (7, 6, 1)
    assert "MISP attribute type 'text'" in batch.quarantine[0]["reason"]
    assert sorted((e["kind"], e["label"]) for e in batch.entities if e["kind"] != "indicator") == [
        ("bank_account", "PT50000201231234567890154"), ("crypto_wallet", "1FictBtcAddr0000000000000000000000"),
        ("domain", "cashout.fict.example"), ("organisation", "FIU-PT (fictional)"), ("phone", "+351 912 000 111"),
        ("user_account", "cashout_pt")]
    assert len(batch.entities) == 7
    indicator = [e for e in batch.entities if e["kind"] == "indicator"][0]["entity_id"]
    assert sorted(next(e["kind"] for e in batch.entities if e["entity_id"] == x["target"])
                  for x in batch.links if x["source"] == indicator) == ["phone", "user_account"]
    (event,) = batch.events  # the 2.0 observed-data: the domain seen by the FIU; the mutex noted, not imported
    assert event["properties"]["not_imported"] == ["mutex"] and event["time"] == datetime(2026, 1, 30)


def test_a_granular_marking_marks_the_whole_object(tmp_path):
    tool = {"type": "tool", "spec_version": "2.1", "id": f"tool--{_u(1)}", "name": "plink",
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
            "object_marking_refs": [TLP_IDS["TLP:GREEN"]],
            "granular_markings": [{"marking_ref": TLP_IDS["TLP:RED"], "selectors": ["description"]}],
            "description": "seen on the ring leader's laptop"}
    (entity,) = load_stix(_bundle_file(tmp_path, [tool]), Provenance("CERT", "DK")).entities
    assert entity["handling"] == "TLP:RED"


def test_opencti_observables_phone_and_bank_account(tmp_path):
    objs = [
        {"type": "phone-number", "spec_version": "2.1", "id": f"phone-number--{_u(1)}", "value": "+40 721 000 111"},
        {"type": "bank-account", "spec_version": "2.1", "id": f"bank-account--{_u(2)}", "iban": "RO49AAAA1B31007593840000",
         "bic": "AAAARObu"},
        {"type": "bank-account", "spec_version": "2.1", "id": f"bank-account--{_u(3)}", "account_number": "0042-77"},
        {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{_u(4)}", "created": "2026-01-01T00:00:00Z",
         "modified": "2026-01-01T00:00:00Z", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
         "pattern": "[phone-number:value = '+40 721 000 111'] OR [bank-account:iban = 'RO49AAAA1B31007593840000']"},
    ]
    batch = load_stix(_bundle_file(tmp_path, objs), Provenance("DIICOT", "RO"))
    assert batch.n_accepted == 4
    assert sorted((e["kind"], e["source_record_id"]) for e in batch.entities if e["kind"] != "indicator") == [
        ("bank_account", "0042-77"), ("bank_account", "RO49AAAA1B31007593840000"), ("phone", "+40 721 000 111")]
    assert len(batch.links) == 2  # the indicator's pattern names the phone and the IBAN objects


def test_course_of_action_note_opinion_grouping_location_are_read(tmp_path):
    def sdo(t, n, **kw):
        return {"type": t, "spec_version": "2.1", "id": f"{t}--{n:08d}-0000-4000-8000-000000000000",
                "created": "2026-03-01T10:00:00.000Z", "modified": "2026-03-01T10:00:00.000Z", **kw}
    mal = sdo("malware", 1, name="MantisLock", is_family=True)
    coa = sdo("course-of-action", 2, name="Block the C2 domains")
    note = sdo("note", 3, abstract="Seen again in March", content="Same C2 as January.", object_refs=[mal["id"]])
    opinion = sdo("opinion", 4, opinion="agree", object_refs=[mal["id"]])
    where = sdo("location", 5, name="Port of Constanta", country="RO", latitude=44.17, longitude=28.65)
    group = sdo("grouping", 6, name="March activity", context="suspicious-activity", object_refs=[mal["id"], where["id"]])
    rel = sdo("relationship", 7, relationship_type="mitigates", source_ref=coa["id"], target_ref=mal["id"])
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000009",
                                "objects": [mal, coa, note, opinion, where, group, rel]}))
    b = load_stix(path, Provenance("CERT-RO", "RO"))
    assert b.n_quarantined == 0
    kinds = {e["kind"]: e for e in b.entities}
    assert set(kinds) == {"malware", "course_of_action", "note", "opinion", "location", "report"}
    assert kinds["note"]["label"] == "Seen again in March" and kinds["opinion"]["properties"]["opinion"] == "agree"
    assert kinds["location"]["properties"]["country"] == "RO"
    links = Counter(x["kind"] for x in b.links)
    assert links == {"related_to": 1 + 1 + 2 + 1}  # mitigates, note, grouping x2, opinion
