"""Timelines, activity, link spans, bursts and communities over time on hand-built cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from time_sim import workspace_from

from netintel.analysis.temporal import (activity, bursts, community_evolution, detect_bursts, evolution_events,
                                        link_spans, timeline, windows)

T = pd.Timestamp("2026-03-02 08:00")


@pytest.fixture(scope="module")
def small():
    """Ann uses two phones; Bob one; +3199 is nobody's. Ann's phones call each other once."""
    calls = pd.DataFrame([
        ("+3101", "+3102", T, "c1"),                           # Ann -> Bob
        ("+3102", "+3101", T + pd.Timedelta(hours=5), "c2"),    # Bob -> Ann
        ("+3109", "+3102", T + pd.Timedelta(days=1), "c1"),     # Ann's second phone -> Bob
        ("+3101", "+3109", T + pd.Timedelta(days=1, hours=1), "c1"),  # Ann's own phones
        ("+3199", "+3101", T + pd.Timedelta(days=3), None),     # stranger -> Ann
        ("+3102", "+3199", T + pd.Timedelta(days=9), "c3"),     # Bob -> stranger, a week later
    ], columns=["source", "target", "time", "place"])
    ws, ids = workspace_from(calls, users={"Ann": ["+3101", "+3109"], "Bob": ["+3102"]},
                             sightings=pd.DataFrame({"entity": ["+3102"], "time": [T + pd.Timedelta(days=2)],
                                                     "place": ["border-7"]}))
    yield ws, ids
    ws.close()


def test_person_lane_carries_its_phones(small):
    ws, ids = small
    tl = timeline(ws, [ids["Ann"]])
    # Ann: 2 calls with Bob on +3101, 1 with Bob on +3109, 1 from the stranger; the call between her
    # own phones is not an interaction
    assert len(tl) == 4
    assert set(tl["entity"]) == {ids["Ann"]}
    assert sorted(tl["via"]) == sorted([ids["+3101"], ids["+3101"], ids["+3109"], ids["+3101"]])
    assert tl["counterpart"].tolist() == [ids["Bob"], ids["Bob"], ids["Bob"], ids["+3199"]]
    assert tl["direction"].tolist() == ["out", "in", "out", "in"]
    assert tl["time"].is_monotonic_increasing


def test_window_and_kinds(small):
    ws, ids = small
    tl = timeline(ws, [ids["Bob"]], since=T + pd.Timedelta(days=1), until=T + pd.Timedelta(days=9))
    assert tl["kind"].tolist() == ["call", "sighting"]
    assert tl["direction"].tolist() == ["in", "at"]
    only = timeline(ws, [ids["Bob"]], kinds=["sighting"])
    assert only["place"].tolist() == ["border-7"]


def test_identifier_requested_directly_keeps_its_own_lane(small):
    ws, ids = small
    tl = timeline(ws, [ids["+3109"]])
    assert set(tl["entity"]) == {ids["+3109"]}
    assert len(tl) == 2  # the call to Bob and the call from Ann's other phone


def test_activity_per_day_and_week(small):
    ws, ids = small
    daily = activity(ws, entities=[ids["Bob"]])
    assert daily["events"].tolist() == [2, 1, 1, 1]
    assert daily["out"].tolist() == [1, 0, 0, 1]
    weekly = activity(timeline(ws, [ids["Bob"]]), freq="W")
    assert weekly["period"].tolist() == [pd.Timestamp("2026-03-02"), pd.Timestamp("2026-03-09")]
    assert weekly["events"].tolist() == [4, 1]
    assert weekly["contacts"].tolist() == [1, 1]


def test_link_spans_first_and_last(small):
    ws, ids = small
    spans = link_spans(ws, kinds=["call"])
    ab = spans[(spans["source"] == ids["+3101"]) & (spans["target"] == ids["+3102"])].iloc[0]
    assert ab["first_seen"] == T and ab["last_seen"] == T and ab["count"] == 1
    assert len(spans) == 6
    uses = link_spans(ws, kinds=["uses"])
    assert uses.empty  # standing relations without dates have no span


def test_bursts_found_where_planted():
    rng = np.random.default_rng(42)
    days = pd.date_range("2026-01-01", periods=120, freq="D")
    counts = rng.poisson(4, size=120)
    planted = [30, 31, 77]
    counts[planted] += [25, 30, 28]
    found = detect_bursts(pd.Series(counts, index=days))
    assert found["start"].tolist() == [days[30], days[77]]
    assert found["end"].tolist() == [days[31], days[77]]
    assert found["peak_day"].tolist() == [days[31], days[77]]
    quiet = detect_bursts(pd.Series(rng.poisson(4, size=120), index=days))
    assert quiet.empty


def test_bursts_in_workspace_network_scope():
    calls = []
    for d in range(40):
        n = 20 if d in (12, 13) else 2
        for k in range(n):
            calls.append(("+3201", f"+32{10 + k % 5}", T + pd.Timedelta(days=d, minutes=10 * k), None))
    ws, ids = workspace_from(pd.DataFrame(calls, columns=["source", "target", "time", "place"]))
    net = bursts(ws, scope="network")
    assert net[["start", "end", "events"]].values.tolist() == [
        [(T + pd.Timedelta(days=12)).normalize(), (T + pd.Timedelta(days=13)).normalize(), 40]]
    per = bursts(ws)
    assert set(per["entity"]) >= {ids["+3201"]}
    ws.close()


def test_evolution_events_hand_worked():
    w0 = {"A": {1, 2, 3, 4}, "B": {5, 6, 7}, "C": {8, 9, 10}, "D": {11, 12, 13}}
    w1 = {"A": {1, 2, 3, 4, 14}, "BC": {5, 6, 7, 8, 9, 10}, "D1": {11, 12, 20}, "D2": {13, 21, 22, 23},
          "E": {30, 31, 32}}
    got = evolution_events(w0, w1, threshold=0.3)
    assert ("continue", ("A",), ("A",)) in got
    assert ("merge", ("B", "C"), ("BC",)) in got
    assert ("appear", (), ("E",)) in got
    # D keeps 2 of 4 in D1 (Jaccard 0.5) and 1 of 7 in D2 (0.14): it continues as D1, D2 appears
    assert ("continue", ("D",), ("D1",)) in got and ("appear", (), ("D2",)) in got
    assert evolution_events({"X": {1, 2, 3}}, {}) == [("die", ("X",), ())]


def _clique_calls(groups_by_window):
    rows = []
    for w, groups in enumerate(groups_by_window):
        for g in groups:
            for i, a in enumerate(g):
                for b in g[i + 1:]:
                    for k in range(3):
                        rows.append((a, b, T + pd.Timedelta(days=30 * w + 2 + 7 * k, hours=i), None))
        # one weak call between consecutive groups keeps the network connected
        for g, h in zip(groups, groups[1:]):
            rows.append((g[0], h[0], T + pd.Timedelta(days=30 * w + 5), None))
    return pd.DataFrame(rows, columns=["source", "target", "time", "place"])


def test_community_evolution_continue_split_merge():
    a = [f"+331{i}" for i in range(6)]
    b = [f"+332{i}" for i in range(6)]
    c = [f"+333{i}" for i in range(6)]
    windows_ = [
        [a, b + c],          # window 0: A and a big BC group
        [a, b, c],           # window 1: BC splits into B and C
        [a + b, c],          # window 2: A and B merge
    ]
    ws, ids = workspace_from(_clique_calls(windows_))
    evo = community_evolution(ws, freq="30D", since=T, until=T + pd.Timedelta(days=90), seed=3)
    assert evo.membership["window"].nunique() == 3
    t = evo.transitions
    events01 = t[t["from_window"] == 0]["event"].tolist()
    events12 = t[t["from_window"] == 1]["event"].tolist()
    assert sorted(events01) == ["continue", "split"]
    assert sorted(events12) == ["continue", "merge"]
    again = community_evolution(ws, freq="30D", since=T, until=T + pd.Timedelta(days=90), seed=3)
    pd.testing.assert_frame_equal(evo.transitions, again.transitions)
    ws.close()


def test_windows_cover_the_period():
    w = windows("2026-01-01", "2026-03-01", freq="14D", step="7D")
    assert w[0] == (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-15"))
    assert w[1][0] == pd.Timestamp("2026-01-08")
    assert w[-1][0] <= pd.Timestamp("2026-03-01") < w[-1][1]


def test_community_evolution_on_the_case_graph():
    a = [f"+341{i}" for i in range(5)]
    b = [f"+342{i}" for i in range(5)]
    ws, ids = workspace_from(_clique_calls([[a, b], [a, b]]))
    evo = community_evolution(ws, freq="30D", since=T, until=T + pd.Timedelta(days=60), seed=1, engine="graph")
    assert evo.parameters["engine"] == "graph"
    assert sorted(evo.transitions["event"]) == ["continue", "continue"]
    found = {frozenset(g["entity"]) for _, g in evo.membership[evo.membership["window"] == 0].groupby("community")}
    assert found == {frozenset(ids[x] for x in a), frozenset(ids[x] for x in b)}
    ws.close()


def test_timeline_takes_the_tables_already_read_and_gives_the_same_lanes(small):
    from read_counter import ReadCounter, workspace_tables

    ws, ids = small
    for wanted in ([ids["Ann"]], [ids["+3109"]], None):
        counted = ReadCounter(ws)
        given = timeline(counted, wanted, tables=workspace_tables(ws))
        assert counted.reads == []
        pd.testing.assert_frame_equal(given, timeline(ws, wanted))
