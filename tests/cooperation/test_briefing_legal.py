"""The legal tables of the briefing pack, on the demo case, for the originators and for one recipient."""

from __future__ import annotations

from netintel.cooperation._briefing import legal_tables


def test_legal_tables(demo):
    ws, ids = demo
    members = [ids["jan"], ids["ali"], ids["marc"]]
    t = legal_tables(ws, members, recipient=None, min_share=0.8, key_players=members)
    assert set(t) == {"legal_routes", "jit_feasibility", "surrender"}
    routes = t["legal_routes"].set_index("requested")
    # NL holds most of the evidence on these three: it is the requesting country
    assert set(t["legal_routes"]["requesting"]) == {"NL"}
    assert routes.loc["BE", "instrument"] == "eio" and routes.loc["TR", "instrument"] == "ets030"
    assert t["jit_feasibility"]["option"].iloc[0] == "legally feasible"
    surrender = t["surrender"].set_index("label")
    assert surrender.loc["Ali Kaya", "status"] == "no country can act"
    assert surrender.loc["Ali Kaya", "arrest_step"] != surrender.loc["Ali Kaya", "arrest_step"]  # not in the sequence
    assert surrender.loc["Marc Peeters", "arrest_in"] == "BE"


def test_legal_tables_for_a_recipient_use_only_what_it_may_receive(demo):
    from netintel.cooperation import load_records

    ws, ids = demo
    members = [ids["jan"], ids["ali"], ids["marc"]]
    # Politie NL released its records to the partners (NL, BE, DE): Turkey may not see Jan or Ali
    seen = load_records(ws, recipient="TR").entities
    visible_ids = set(seen["entity_id"])
    assert ids["jan"] not in visible_ids and ids["ali"] not in visible_ids
    t = legal_tables(ws, members, recipient="TR", min_share=0.8, key_players=members)
    labels = set(t["surrender"]["label"]) if "surrender" in t else set()
    assert not labels & {"Jan de Vries", "Ali Kaya"}
    assert ids["jan"] not in str({k: v.to_dict() for k, v in t.items()})
