"""Priority scores: components worked by hand, weights visible, settable and round-tripping."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from matplotlib.figure import Figure

from netintel.cooperation import PriorityWeights, priority_scores
from netintel.errors import SchemaError


@pytest.fixture
def membership(demo):
    _, ids = demo
    return pd.DataFrame({"id": [ids["jan"], ids["ali"], ids["marc"], ids["nordhandel"]], "community": [0, 0, 1, 1]})


def test_components_by_hand(demo, membership):
    ws, _ = demo
    typ = pd.DataFrame({"community": [0, 1], "typology": ["drug_trafficking", "money_laundering"],
                        "probability": [0.9, 0.8]})
    p = priority_scores(ws, membership, typologies=typ)
    t = p.table.set_index("community")
    # community 1: Marc and Nordhandel with the phone and both accounts they use or own
    assert t.loc[1, "persons"] == 1 and t.loc[1, "entities"] == 5 and t.loc[1, "money"] == 50000.0
    assert t.loc[1, "countries"] == ["BE", "DE"] and t.loc[0, "countries"] == ["BE", "NL", "TR"]
    assert t.loc[0, "c_typology"] == pytest.approx(0.85 * 0.9)
    assert t.loc[1, "c_typology"] == pytest.approx(0.6 * 0.8)
    assert t.loc[0, "c_size"] == pytest.approx(math.log1p(2) / math.log1p(50))
    assert t.loc[1, "c_reach"] == pytest.approx((2 - 1) / (6 - 1))
    assert t.loc[1, "c_money"] == pytest.approx(math.log1p(50000) / math.log1p(1e7))
    expected = 100 * (0.3 * 0.765 + 0.15 * math.log1p(2) / math.log1p(50) + 0.15 * 2 / 5) / 1.0
    assert t.loc[0, "score"] == pytest.approx(expected)
    contributions = [f"w_{c}" for c in ("typology", "size", "reach", "money", "violence", "exploitation")]
    assert t[contributions].sum(axis=1).tolist() == pytest.approx(t["score"].tolist())
    assert p.table["rank"].tolist() == [1, 2] and p.table["community"].tolist() == [0, 1]


def test_weights_change_the_ranking(demo, membership):
    ws, _ = demo
    w = PriorityWeights.load().with_weights(money=3.0)
    p = priority_scores(ws, membership, weights=w)
    assert p.table["community"].tolist() == [1, 0]  # the laundering community moved the money
    assert "money (weight 3)" in [t.get_text() for t in p.chart().axes[0].get_legend().get_texts()]


def test_indicators_are_counted(demo):
    ws, ids = demo
    w = PriorityWeights.from_dict({**PriorityWeights.load().to_dict(),
                                   "indicators": {"violence": ["peeters"], "exploitation": []}})
    p = priority_scores(ws, pd.DataFrame({"id": [ids["marc"]], "community": ["A"]}), weights=w)
    assert p.table.loc[0, "violence_records"] == 1 and p.table.loc[0, "indicators"] == ["peeters"]


def test_settings_round_trip_and_validate(tmp_path):
    w = PriorityWeights.load()
    back = PriorityWeights.load(w.with_weights(size=0.5).save(tmp_path / "p.yaml"))
    assert back.weights["size"] == 0.5 and back.to_dict() == w.with_weights(size=0.5).to_dict()
    with pytest.raises(SchemaError) as err:
        PriorityWeights.from_dict({"weights": {"fame": 1, "size": -1}, "caps": {"reach": 1}})
    # every problem at once: an unknown component, a negative weight, weights summing to 0, a bad cap
    assert set(err.value.errors) == {"weights.fame", "weights.size", "weights", "caps.reach"}


def test_view_for_recipient_and_chart(demo, membership):
    ws, ids = demo
    p = priority_scores(ws, membership, recipient="NL")
    t = p.table.set_index("community")
    # Nordhandel (BKA, TLP:RED) is not in NL's view, nor the German account that joined through it:
    # Marc, his phone and his account remain
    assert t.loc[1, "entities"] == 3 and t.loc[1, "money"] == 0
    assert p.marking.allows("NL") and "view for NL" in repr(p)
    fig = p.chart()
    assert isinstance(fig, Figure) and any("view for NL" in x.get_text() for x in fig.texts)


def _word_case(tmp_path):
    """Hand-made: Tunde Ogunleye (no violence: 'gun' is inside his name), a threat actor (no
    violence: 'threat' is its kind), Karl Brandt whose record notes two pistols and an assault."""
    import json

    from netintel import Workspace
    from netintel.ingest import ingest

    people = [{"id": "p1", "schema": "Person", "properties": {"name": ["Tunde Ogunleye"], "nationality": ["ng"]}},
              {"id": "p2", "schema": "Person", "properties": {"name": ["Karl Brandt"],
                                                              "notes": ["found with two pistols after an assault"]}},
              {"id": "p3", "schema": "Person", "properties": {"name": ["Gunnar Threatt"]}}]
    (tmp_path / "police.ftm.jsonl").write_text("".join(json.dumps(p) + "\n" for p in people))
    bundle = {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
        {"type": "threat-actor", "spec_version": "2.1", "id": "threat-actor--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
         "created": "2026-03-01T10:00:00.000Z", "modified": "2026-03-01T10:00:00.000Z", "name": "Pale Hyena",
         "threat_actor_types": ["crime-syndicate"]}]}
    (tmp_path / "cert.json").write_text(json.dumps(bundle))
    ws = Workspace()
    ingest(ws, [tmp_path / "police.ftm.jsonl", tmp_path / "cert.json"], agency="Test", country="NL", progress=False)
    ents = ws.entities().set_index("label")["entity_id"]
    return ws, ents


def test_indicator_words_are_whole_words_never_substrings_or_kinds(tmp_path):
    ws, ents = _word_case(tmp_path)
    membership = pd.DataFrame({"id": [ents["Tunde Ogunleye"], ents["Gunnar Threatt"], ents["Pale Hyena"],
                                      ents["Karl Brandt"]], "community": ["ogunleye", "threatt", "cyber", "brandt"]})
    t = priority_scores(ws, membership).table.set_index("community")
    assert t.loc["ogunleye", "violence_records"] == 0 and t.loc["threatt", "violence_records"] == 0
    assert t.loc["cyber", "violence_records"] == 0 and t.loc["cyber", "indicators"] == []
    # 'pistols' is the plural of the indicator 'pistol', 'assault' a word of the note: one record
    assert t.loc["brandt", "violence_records"] == 1 and t.loc["brandt", "indicators"] == ["assault", "pistol"]


def test_one_pass_equals_scoring_each_community_alone(demo):
    """All communities scored together give, row for row, what each gives scored on its own."""
    ws, ids = demo
    membership = pd.DataFrame({"id": [ids["jan"], ids["ali"], ids["marc"], ids["nordhandel"]],
                               "community": [0, 0, 1, 1]})
    together = priority_scores(ws, membership).table.drop(columns="rank").set_index("community")
    for c, group in membership.groupby("community"):
        alone = priority_scores(ws, group).table.drop(columns="rank").set_index("community")
        pd.testing.assert_frame_equal(together.loc[[c]], alone)


def test_records_loaded_from_tables_already_read_are_the_records_of_the_workspace(demo):
    from read_counter import ReadCounter, workspace_tables

    from netintel.cooperation import load_records

    ws, _ = demo
    counted = ReadCounter(ws)
    given = load_records(counted, tables=workspace_tables(ws))
    assert counted.reads == []
    read = load_records(ws)
    for name in ("entities", "links", "events"):
        pd.testing.assert_frame_equal(getattr(given, name), getattr(read, name))
    # the cached lookups of the records give what a scan of them gives
    e = read.entities
    assert read._node_of_record == dict(zip(e["entity_id"], e["node"]))
    counts = e.groupby(["node", "kind"]).size().reset_index(name="n")
    for node, g in counts.groupby("node"):
        top = g.sort_values(["n", "kind"], ascending=[False, True]).iloc[0]["kind"]
        assert read._node_kinds[node] == top
