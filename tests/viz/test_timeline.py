"""The timeline chart: lanes, links between lanes, zoom, legible labels, nothing written."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from netintel.viz.timeline import caveat_of, timeline_chart


def _table(n_entities=3, days=10):
    rows = []
    t0 = pd.Timestamp("2026-02-01")
    for d in range(days):
        for i in range(n_entities - 1):
            a, b = f"E{i}", f"E{i + 1}"
            t = t0 + pd.Timedelta(days=d, hours=i)
            rows.append({"time": t, "entity": a, "entity_label": f"Person {i}", "kind": "call", "direction": "out",
                         "counterpart": b, "event_id": f"V{d}-{i}", "handling": "TLP:AMBER",
                         "releasable_to": ["PARTNERS"], "country": "NL"})
            rows.append({"time": t, "entity": b, "entity_label": f"Person {i + 1}", "kind": "call",
                         "direction": "in", "counterpart": a, "event_id": f"V{d}-{i}", "handling": "TLP:AMBER",
                         "releasable_to": ["PARTNERS"], "country": "NL"})
    rows.append({"time": t0 + pd.Timedelta(days=3), "entity": "E0", "entity_label": "Person 0", "kind": "transfer",
                 "direction": "out", "counterpart": "X", "event_id": "T1", "handling": "TLP:RED",
                 "releasable_to": [], "country": "BE"})
    return pd.DataFrame(rows)


def test_lanes_links_and_marks():
    t = _table()
    fig = timeline_chart(t, title="Test")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [x.get_text() for x in ax.get_yticklabels()] == ["Person 0", "Person 1", "Person 2"]
    segments = [s for c in ax.collections if hasattr(c, "get_segments") for s in c.get_segments()]
    assert len(segments) == 20  # one line per call between two lanes in view (2 pairs x 10 days)
    assert {len(s) for s in segments} == {2}
    # the transfer to X (out of view) is a mark on Person 0's lane, not a line
    assert any("TLP:RED" in x.get_text() for x in fig.texts)  # strictest handling of the rows shown


def test_zoom_keeps_only_the_window():
    t = _table()
    fig = timeline_chart(t, since="2026-02-03", until="2026-02-05")
    segments = [s for c in fig.axes[0].collections if hasattr(c, "get_segments") for s in c.get_segments()]
    assert len(segments) == 4
    lo, hi = fig.axes[0].get_xlim()
    import matplotlib.dates as mdates
    assert mdates.num2date(lo).replace(tzinfo=None) >= pd.Timestamp("2026-02-02 12:00")
    assert mdates.num2date(hi).replace(tzinfo=None) <= pd.Timestamp("2026-02-05 12:00")


def test_too_many_lanes_are_counted_not_crammed():
    t = _table(n_entities=30, days=2)
    fig = timeline_chart(t, max_lanes=12)
    assert len(fig.axes[0].get_yticklabels()) == 12
    footer = " ".join(x.get_text() for x in fig.texts)
    assert "18 less active entities not shown" in footer


def test_empty_window_says_so():
    fig = timeline_chart(_table(), since="2027-01-01")
    assert any("no events" in x.get_text() for x in fig.axes[0].texts)


def test_caveat_combines_releasability():
    t = _table()
    assert caveat_of(t[t["kind"] == "call"]) == "TLP:AMBER — releasable to NL"
