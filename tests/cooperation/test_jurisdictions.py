"""Jurisdictions on the hand-made demo case (see ``netintel.cooperation._demo``), worked by hand."""

from __future__ import annotations

from matplotlib.figure import Figure

from netintel.cooperation import case_jurisdictions, evidence_holders, load_records, node_countries
from netintel.cooperation._countries import entity_countries, iban_country, phone_country


def test_countries_from_identifiers_and_properties():
    assert phone_country("+359 88 123 4567") == "BG" and phone_country("00905321234567") == "TR"
    assert phone_country("+999 1234") is None and phone_country(None) is None
    assert iban_country("de89 3704 0044 0532 0130 00") == "DE" and iban_country("not an iban") is None
    assert entity_countries("organisation", {"jurisdiction": "es"}) == [("ES", "company")]
    assert entity_countries("phone", {"number": "+31612345678", "country": "BE"}) == [("NL", "phone")]
    assert entity_countries("vessel", {"flag": "pa"}) == [("PA", "vessel")]
    assert entity_countries("domain", {"name": "x.com"}) == []


def test_countries_involved_and_how(demo):
    ws, ids = demo
    j = case_jurisdictions(ws)
    t = j.countries.set_index("country")
    # BE: Marc's nationality and residence, the +32 phone, the BE IBAN; DE: the DE IBAN and Nordhandel;
    # NL: Jan and the +31 phone; TR: Ali's nationality.
    assert t["n_entities"].to_dict() == {"BE": 3, "DE": 2, "NL": 2, "TR": 1}
    assert t.loc["DE", "account"] == 1 and t.loc["DE", "company"] == 1
    assert t.loc["BE", "phone"] == 1 and t.loc["BE", "nationality"] == 1
    assert t.loc["TR", "agencies"] == ["Politie NL"]
    assert t.loc["DE", "agencies"] == ["BKA", "Police BE"]


def test_evidence_holders_count_entity_records_and_events(demo):
    ws, _ = demo
    ev = evidence_holders(load_records(ws)).set_index("agency")
    # Politie NL: 4 entity records + 3 calls; Police BE: 4 + 2 payments; BKA: 2 entity records.
    assert ev["n_records"].to_dict() == {"Politie NL": 7, "Police BE": 6, "BKA": 2}
    assert ev["n_relations"].to_dict() == {"Politie NL": 3, "Police BE": 2, "BKA": 1}
    assert abs(ev["share"].sum() - 1) < 1e-12
    assert ev.loc["Police BE", "gradings"] == "A2 8"


def test_flows_between_countries(demo):
    ws, _ = demo
    j = case_jurisdictions(ws)
    flows = j.flows.set_index(["from_country", "to_country", "kind"])
    assert flows.loc[("NL", "BE", "call"), "count"] == 3
    assert flows.loc[("BE", "DE", "transfer"), "amount"] == 50000.0
    m = j.flow_matrix("money")
    assert m.loc["BE", "DE"] == 50000.0 and m.to_numpy().sum() == 50000.0


def test_key_players_residence_and_activity(demo):
    ws, ids = demo
    j = case_jurisdictions(ws, key_players=[ids["marc"], ids["ali"]])
    p = j.players.set_index("label")
    assert list(p.index) == ["Marc Peeters", "Ali Kaya"]
    assert p.loc["Marc Peeters", "residence"] == ["BE"]
    # his BE phone and account, the German account he pays, the Dutch phone that calls his phone
    assert p.loc["Marc Peeters", "activity_countries"] == ["BE", "DE", "NL"]
    assert p.loc["Ali Kaya", "residence"] == [] and p.loc["Ali Kaya", "nationality"] == ["TR"]
    assert p.loc["Ali Kaya", "activity_countries"] == ["BE", "NL"]


def test_targets_and_recipient_views(demo):
    ws, ids = demo
    j = case_jurisdictions(ws, [ids["jan"]])
    # Jan with the phones he uses (expand): his +31 phone; Ali is a person, not an identifier
    assert set(j.places["country"]) == {"NL"}
    # the recipient's view is resolved from its own records: its nodes carry its own resolved ids
    nl_records = load_records(ws, recipient="NL")
    node_of = dict(zip(nl_records.entities["entity_id"], nl_records.entities["node"]))
    phone_be = ws.sql("SELECT entity_id FROM resolution WHERE resolved_id = 'N-phone-be'")["entity_id"]
    assert set(node_countries(nl_records)["node"]) >= {node_of[ids["jan"]]} | {node_of[e] for e in phone_be}
    nl = case_jurisdictions(ws, recipient="NL")
    assert "company" not in nl.countries.columns  # Nordhandel is BKA's TLP:RED material
    assert set(nl.evidence["agency"]) == {"Politie NL", "Police BE"}
    assert case_jurisdictions(ws, recipient="US").countries.empty


def test_chart_carries_the_marking(demo):
    ws, _ = demo
    j = case_jurisdictions(ws, recipient="BE")
    fig = j.chart("calls")
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.texts]
    assert any(j.marking.banner in t and "view for BE" in t for t in texts)
    assert isinstance(j.chart("money"), Figure)
    assert "Countries involved" in j._repr_html_()
