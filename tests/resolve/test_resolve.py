"""Resolution over a workspace: identifiers, persons, evidence, decisions, stable ids."""

import json

import pytest
from hypothesis import given, settings, strategies as st

from conftest import add_file
from hypothesis_profiles import examples
from netintel.errors import ResolutionError
from netintel.resolve import confirm, decisions, explain, reject, resolve, split, stored_model

NL = [
    {"id": "P1", "first_name": "Aleksandr", "last_name": "Petrov", "birth_date": "1980-03-12", "nationality": "RU"},
    {"id": "P2", "name": "Jan de Vries", "birth_date": "1975-01-01", "nationality": "NL"},
    {"id": "P3", "name": "Fatima Bouzaid", "birth_date": "1990-06-30", "nationality": "MA"},
]
BG = [
    {"id": "B7", "name": "ПЕТРОВ Александр", "birth_date": "12.03.1980", "nationality": "RU"},
    {"id": "B8", "name": "Ivan Ivanov", "birth_date": "1966-02-02", "nationality": "BG"},
]


@pytest.fixture
def case(ws):
    nl = add_file(ws, "Politie Nederland", "NL", "personen.csv", NL,
                  identifiers=[("P1", "uses", "phone", "06 12345678"), ("P2", "owns", "bank_account",
                                                                         "NL91 ABNA 0417 1643 00")])
    bg = add_file(ws, "ГДНП Bulgaria", "BG", "lica.csv", BG,
                  identifiers=[("B7", "uses", "phone", "+31612345678"), ("B8", "uses", "phone", "0888 123 456")])
    return ws, nl, bg


def _rid(ws, entity_id):
    return ws.resolved_ids().set_index("entity_id").loc[entity_id, "resolved_id"]


def test_same_person_and_same_phone_across_agencies_with_evidence(case):
    ws, nl, bg = case
    before = ws.sql("SELECT * FROM entities ORDER BY entity_id, source_id")
    res = resolve(ws)
    assert before.equals(ws.sql("SELECT * FROM entities ORDER BY entity_id, source_id"))  # sources unchanged
    assert _rid(ws, nl["P1"]) == _rid(ws, bg["B7"])
    assert len({_rid(ws, nl["P2"]), _rid(ws, nl["P3"]), _rid(ws, bg["B8"]), _rid(ws, nl["P1"])}) == 4
    phones = res.records[res.records["kind"] == "phone"]
    assert phones["resolved_id"].nunique() == 2  # +31612345678 written twice, +359888123456 once
    assert all(r.startswith("N") for r in ws.resolved_ids()["resolved_id"])
    assert res.summary["merged_pairs"]["deterministic:phone"] == 1
    assert res.summary["merged_pairs"]["probabilistic"] == 1
    assert res.summary["records"] == 9 and res.summary["entities"] == 7
    assert stored_model(ws).to_json() == res.model.to_json()  # the model is kept with the run
    # and why: the evidence behind the merge: the evidence behind the merge
    ex = explain(ws, nl["P1"])
    assert set(ex.members["entity_id"]) == {nl["P1"], bg["B7"]}
    row = ex.evidence[ex.evidence["merged"]].iloc[0]
    assert row["method"] == "probabilistic" and row["match_probability"] > 0.9
    ev = json.loads(row["evidence"])
    assert ev["dob"]["level"] == "same day" and ev["phones"]["level"] == "a shared phone"
    assert "name" in row["agreed"]
    assert explain(ws, ex.resolved_id).resolved_id == ex.resolved_id
    assert "Politie Nederland / P1" in str(ex)
    with pytest.raises(ResolutionError):
        explain(ws, "N9999999")


def test_decisions_are_stored_and_reapplied(case):
    ws, nl, bg = case
    resolve(ws)
    reject(ws, nl["P1"], bg["B7"], note="different fathers")
    confirm(ws, nl["P3"], bg["B8"], note="same fingerprints via liaison officer")
    res = resolve(ws)
    assert _rid(ws, nl["P1"]) != _rid(ws, bg["B7"])
    assert _rid(ws, nl["P3"]) == _rid(ws, bg["B8"])
    assert res.summary["decisions_applied"] == 2
    d = decisions(ws)
    assert d["action"].tolist() == ["reject", "confirm"] and set(d["actor"]) == {"analyst.test"}
    assert d["at"].notna().all()
    audit = ws.audit_log()
    assert {"resolution_reject", "resolution_confirm", "resolve"} <= set(audit["action"])
    # later runs keep applying them
    resolve(ws, threshold=0.5)
    assert _rid(ws, nl["P1"]) != _rid(ws, bg["B7"])
    assert _rid(ws, nl["P3"]) == _rid(ws, bg["B8"])


def test_split_keeps_records_apart(case):
    ws, nl, bg = case
    resolve(ws)
    rid = _rid(ws, nl["P1"])
    split(ws, [bg["B7"]])
    resolve(ws)
    # two parts of one record each: the id goes to the part with the smaller record id
    assert _rid(ws, nl["P1"]) != _rid(ws, bg["B7"])
    assert rid in {_rid(ws, nl["P1"]), _rid(ws, bg["B7"])}
    with pytest.raises(ResolutionError):
        split(ws, [nl["P2"]])  # alone in its cluster: nothing to split
    with pytest.raises(ResolutionError):
        confirm(ws, nl["P1"], "Enot-an-id")


def test_new_partner_file_keeps_ids_and_decisions(case):
    ws, nl, bg = case
    resolve(ws)
    reject(ws, nl["P2"], bg["B8"])
    confirm(ws, nl["P3"], bg["B8"])
    first = resolve(ws)
    before = ws.resolved_ids().set_index("entity_id")["resolved_id"]
    de = add_file(ws, "Bundeskriminalamt", "DE", "personen.csv", [
        {"id": "X1", "name": "Petrov, Aleksandr", "birth_date": "12.03.1980", "nationality": "RU"},
        {"id": "X2", "name": "Müller, Hans", "birth_date": "1950-05-05", "nationality": "DE"},
    ], identifiers=[("X1", "uses", "phone", "0031 6 12345678")])
    second = resolve(ws)
    after = ws.resolved_ids().set_index("entity_id")["resolved_id"]
    assert (after[before.index] == before).all()  # every existing record keeps its resolved id
    assert after[de["X1"]] == before[nl["P1"]]    # the new record joins the existing cluster
    assert after[de["X2"]] not in set(before)     # a new person gets a new id
    assert after[nl["P3"]] == after[bg["B8"]] != after[nl["P2"]]
    assert second.run_id == first.run_id + 1 and second.summary["decisions_applied"] == 2


def test_ids_are_not_reused_after_a_merge(ws):
    a = add_file(ws, "A", "NL", "a.csv", [{"id": "1", "name": "Kees Bakker", "birth_date": "1970-01-01"}])
    resolve(ws)
    b = add_file(ws, "B", "BE", "b.csv", [{"id": "2", "name": "Kees Bakker", "birth_date": "1970-01-01"}])
    reject(ws, a["1"], b["2"])
    resolve(ws)
    ids = ws.resolved_ids()["resolved_id"].tolist()
    assert len(set(ids)) == 2
    assert _rid(ws, a["1"]) == "N0000001" and _rid(ws, b["2"]) == "N0000002"


def test_organisations_join_on_name_unless_their_registers_differ(ws):
    nl = add_file(ws, "KvK extract", "NL", "kvk.csv", [
        {"id": "K1", "name": "Golden Banana Logistics B.V.", "registration_number": "12345678", "jurisdiction": "NL"},
        {"id": "K2", "name": "GOLDEN BANANA LOGISTICS BV", "registration_number": "87654321", "jurisdiction": "NL"},
        {"id": "K3", "name": "Blue Coast Consulting BV", "registration_number": "11112222", "jurisdiction": "NL"},
        {"id": "K4", "name": "Red Harbour Shipping BV", "registration_number": "33334444", "jurisdiction": "NL"},
    ], kind="organisation")
    police = add_file(ws, "Politie Nederland", "NL", "bedrijven.csv", [
        {"id": "B1", "name": "Golden Banana Logistics", "jurisdiction": "NL"},  # which of the two? neither
        {"id": "B2", "name": "Golden Banana Logistics BV", "registration_number": "87654321", "jurisdiction": "NL"},
        {"id": "B3", "name": "Blue Coast Consulting", "jurisdiction": "NL"},  # one register under this name
        {"id": "B4", "name": "Blue Coast Consulting", "jurisdiction": "BE"},  # another country's company
    ], kind="organisation")
    be = add_file(ws, "Police Fédérale", "BE", "societes.csv", [
        {"id": "S1", "name": "Red Harbour Shipping B.V.", "registration_number": "33334444"},  # no jurisdiction
    ], kind="organisation")
    resolve(ws)
    assert _rid(ws, be["S1"]) == _rid(ws, nl["K4"])  # the same number, whichever country reported it
    assert _rid(ws, nl["K1"]) != _rid(ws, nl["K2"])  # one name, two registration numbers: two companies
    assert _rid(ws, police["B2"]) == _rid(ws, nl["K2"])  # the same number joins across agencies
    assert _rid(ws, police["B1"]) not in {_rid(ws, nl["K1"]), _rid(ws, nl["K2"])}
    assert _rid(ws, police["B3"]) == _rid(ws, nl["K3"])  # the name alone, where it names one register
    assert _rid(ws, police["B4"]) != _rid(ws, nl["K3"])


def test_a_record_with_two_names_does_not_chain_two_registers(ws):
    ids = add_file(ws, "KvK extract", "NL", "kvk.csv", [
        {"id": "A", "name": "Alpha Trading BV", "registration_number": "12345678", "jurisdiction": "NL"},
        {"id": "D", "name": ["Alpha Trading BV", "Beta Shipping BV"], "jurisdiction": "NL"},
        {"id": "C", "name": "Beta Shipping BV", "registration_number": "87654321", "jurisdiction": "NL"},
    ], kind="organisation")
    resolve(ws)
    assert _rid(ws, ids["A"]) == _rid(ws, ids["D"])  # the first name, taken in name order, joins
    assert _rid(ws, ids["C"]) != _rid(ws, ids["A"])  # the second would join two registers: it does not


_ORG_NAMES = ["Alpha Trading BV", "ALPHA TRADING B.V.", "Beta Shipping BV", "Gamma Holding"]


@given(st.lists(st.tuples(st.lists(st.sampled_from(_ORG_NAMES), min_size=1, max_size=2),
                          st.sampled_from([None, "12345678", "87654321", "55556666"]),
                          st.sampled_from([None, "NL", "BE"])), min_size=1, max_size=12))
@settings(max_examples=examples(80), deadline=None)
def test_no_organisation_made_by_the_rules_holds_two_registers(records):
    import pandas as pd

    from netintel.resolve.deterministic import entity_keys, organisation_pairs
    from netintel.resolve.normalize import organisation_name

    props = [{"name": names if len(names) > 1 else names[0], **({"registration_number": reg} if reg else {}),
              **({"jurisdiction": jur} if jur else {})} for names, reg, jur in records]
    ents = pd.DataFrame({"entity_id": [f"O{i:02d}" for i in range(len(props))], "kind": "organisation",
                         "country": "NL", "properties": props})
    keys = entity_keys(ents)
    pairs = organisation_pairs(ents, keys)
    parent = {e: e for e in ents["entity_id"]}

    def root(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in zip(pairs["entity_a"], pairs["entity_b"]):
        parent[root(b)] = root(a)
    held: dict[str, set] = {}
    for eid, key in zip(keys["entity_id"], keys["key"]):
        held.setdefault(root(eid), set()).add(key.rsplit(":", 1)[1])  # the number
    assert all(len(v) <= 1 for v in held.values())
    # and a name still joins what it names alone: the records of one name in one jurisdiction,
    # where no record of that name carries a number, are one organisation
    for key in {organisation_name(n) for names, _, _ in records for n in names}:
        named = [(i, jur) for i, (names, _, jur) in enumerate(records) if key in {organisation_name(n) for n in names}]
        if any(records[i][1] for i, _ in named):
            continue
        for jur in {j for _, j in named if j}:
            assert len({root(f"O{i:02d}") for i, j in named if j == jur}) == 1
