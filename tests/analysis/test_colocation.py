"""Co-location: same cell within a tolerance, merged occasions, persons through their phones."""

from __future__ import annotations

import pandas as pd
from time_sim import workspace_from

from netintel.analysis.colocation import co_presence, colocations

T = pd.Timestamp("2026-05-04 10:00")


def _ws():
    calls = pd.DataFrame([
        ("+3401", "+3499", T, "cell-9"),                                  # Ann at cell-9
        ("+3402", "+3499", T + pd.Timedelta(minutes=20), "cell-9"),       # Bob at cell-9, 20 min later
        ("+3402", "+3499", T + pd.Timedelta(minutes=50), "cell-9"),       # Bob again: same occasion
        ("+3403", "+3499", T + pd.Timedelta(hours=3), "cell-9"),          # Cem, 3 h later: no
        ("+3401", "+3499", T + pd.Timedelta(days=2), "cell-1"),           # Ann elsewhere
        ("+3403", "+3499", T + pd.Timedelta(days=2, minutes=5), "cell-2"),  # Cem: other cell
        ("+3404", "+3499", T + pd.Timedelta(days=5), "cell-5"),           # Ann's 2nd phone ...
        ("+3403", "+3499", T + pd.Timedelta(days=5, minutes=29), "cell-5"),  # ... and Cem, 29 min apart
    ], columns=["source", "target", "time", "place"])
    sightings = pd.DataFrame({"entity": ["+3403"], "time": [T + pd.Timedelta(days=9)], "place": ["port-RTM"]})
    return workspace_from(calls, users={"Ann": ["+3401", "+3404"], "Bob": ["+3402"], "Cem": ["+3403"]},
                          sightings=sightings)


def test_candidate_meetings_hand_worked():
    ws, ids = _ws()
    m = colocations(ws, tolerance="30min")
    pairs = [(r.label_a, r.label_b, r.place, r.n_observations) for r in m.itertuples()]
    names = {ids["Ann"]: "Ann", ids["Bob"]: "Bob", ids["Cem"]: "Cem"}
    got = sorted((tuple(sorted((names[a], names[b]))), p, n)
                 for a, b, p, n in zip(m["entity_a"], m["entity_b"], m["place"], m["n_observations"]))
    assert got == [(("Ann", "Bob"), "cell-9", 1), (("Ann", "Cem"), "cell-5", 1)], pairs
    ann_cem = m[m["place"] == "cell-5"].iloc[0]
    assert ann_cem["gap"] == pd.Timedelta(minutes=29)
    assert ids["+3404"] in (ann_cem["via_a"], ann_cem["via_b"])
    ws.close()


def test_tolerance_widens_and_occasions_merge():
    ws, ids = _ws()
    m = colocations(ws, tolerance="4h", merge="6h")
    at9 = m[m["place"] == "cell-9"]
    # Ann-Bob (3 co-presences merged into one occasion), Ann-Cem and Bob-Cem
    assert len(at9) == 3
    ab = at9[at9[["entity_a", "entity_b"]].apply(set, axis=1) == {ids["Ann"], ids["Bob"]}].iloc[0]
    assert ab["n_observations"] == 2 and ab["gap"] == pd.Timedelta(minutes=20)
    assert ab["start"] == T and ab["end"] == T + pd.Timedelta(minutes=50)
    only_cem = colocations(ws, tolerance="4h", entities=[ids["Cem"]])
    assert set(only_cem["entity_a"]) | set(only_cem["entity_b"]) >= {ids["Cem"]}
    assert all(ids["Cem"] in (a, b) for a, b in zip(only_cem["entity_a"], only_cem["entity_b"]))
    ws.close()


def test_co_presence_excludes_pairs_and_self():
    seen = pd.DataFrame({"entity": ["A", "A", "B"], "place": ["x", "x", "x"],
                         "time": pd.to_datetime(["2026-01-01 10:00", "2026-01-01 10:05", "2026-01-01 10:10"])})
    assert len(co_presence(seen)) == 1
    assert co_presence(seen, exclude_pairs=[("B", "A")]).empty
