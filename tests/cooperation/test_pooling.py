"""Pooling gain on the demo case, worked by hand."""

from __future__ import annotations

from matplotlib.figure import Figure

from netintel.cooperation import pooling_gain


def test_each_agency_alone_against_all_partners(demo):
    ws, ids = demo
    g = pooling_gain(ws, key_players=[ids["jan"], ids["marc"], ids["nordhandel"]])
    t = g.table.set_index("holder")
    # pooled: 8 resolved entities, 8 ties, all connected through the shared phone and account
    assert t.loc["all partners", ["n_entities", "n_links", "largest_connected"]].tolist() == [8, 8, 8]
    assert t.loc["Politie NL", ["n_entities", "n_links", "largest_connected"]].tolist() == [4, 4, 4]
    assert t.loc["Police BE", ["n_entities", "n_links", "largest_connected"]].tolist() == [4, 3, 4]
    assert t.loc["BKA", ["n_entities", "n_links", "largest_connected"]].tolist() == [2, 1, 2]
    assert t.loc["BKA", "entity_share"] == 2 / 8 and t.loc["Police BE", "link_share"] == 3 / 8
    assert t.loc["all partners", "key_players_seen"] == 3
    assert t.loc["Politie NL", "key_players_seen"] == 1
    assert t.loc["Politie NL", "misses"] == ["Marc Peeters", "Nordhandel GmbH"]


def test_by_country_and_for_a_recipient(demo):
    ws, _ = demo
    by_country = pooling_gain(ws, by="country").table.set_index("holder")
    assert by_country.loc["DE", "n_entities"] == 2
    nl = pooling_gain(ws, recipient="NL")
    t = nl.table.set_index("holder")
    assert "BKA" not in t.index and t.loc["all partners", "n_entities"] == 7
    assert "view for NL" in repr(nl)


def test_chart(demo):
    ws, _ = demo
    fig = pooling_gain(ws, recipient="DE").chart()
    assert isinstance(fig, Figure)
    assert any("view for DE" in t.get_text() for t in fig.texts)
