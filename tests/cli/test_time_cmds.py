"""``netintel switches`` and ``netintel timeline`` on an operator CDR ingested from CSV."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
from time_sim import simulate  # noqa: E402

from netintel import Workspace  # noqa: E402
from netintel.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    sim = simulate(211, n_groups=2, group_size=6, n_background=60, days=120, switch_share=0.34,
                   group_switch=False, observed="targets")
    folder = tmp_path_factory.mktemp("cdr")
    cdr = sim.calls.rename(columns={"source": "caller", "target": "callee", "time": "start", "place": "cell"})
    cdr["start"] = cdr["start"].dt.strftime("%Y-%m-%d %H:%M:%S")
    cdr[["caller", "callee", "start", "duration", "cell"]].to_csv(folder / "cdr.csv", index=False)
    ws_path = folder / "case.duckdb"
    assert main(["ingest", str(folder / "cdr.csv"), "-w", str(ws_path), "--agency", "Test Police", "--country", "NL",
                 "--grading", "B2", "--handling", "TLP:AMBER", "--no-progress"]) == 0
    return sim, ws_path


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_switches_json_lists_the_planted_switches(case, capsys):
    sim, ws_path = case
    assert main(["switches", "-w", str(ws_path), "--json", "--top"]) == 0
    out = _json(capsys)
    got = {p["old_label"]: p["new_label"] for p in out["proposals"]}
    truth = dict(zip(sim.switches["old"], sim.switches["new"]))
    assert len(truth) >= 3
    assert sum(got.get(o) == n for o, n in truth.items()) >= len(truth) - 1
    first = out["proposals"][0]
    assert {"old_id", "new_id", "score", "shared_contacts"} <= set(first)
    assert first["shared_contacts"] and 0 < first["score"] <= 1
    assert out["marking"].startswith("TLP:AMBER")


def test_switches_min_score_filters(case, capsys):
    _, ws_path = case
    main(["switches", "-w", str(ws_path), "--json", "--min-score", "0.99"])
    assert _json(capsys)["proposals"] == []


def test_confirm_records_the_decision(case, capsys, tmp_path):
    _, ws_path = case
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(Path(ws_path).read_bytes())
    main(["switches", "-w", str(copy), "--json", "--top"])
    best = _json(capsys)["proposals"][0]
    assert main(["switches", "-w", str(copy), "--confirm", best["old_id"], best["new_id"], "--analyst", "a.nl",
                 "--note", "same IMEI", "--json"]) == 0
    row = _json(capsys)
    assert row["decision"] == "confirmed" and row["analyst"] == "a.nl"
    with Workspace(copy, read_only=True) as ws:
        stored = ws.sql("SELECT old_id, new_id, decision, analyst, note FROM switch_decisions")
    assert stored.values.tolist() == [[best["old_id"], best["new_id"], "confirmed", "a.nl", "same IMEI"]]
    assert main(["switches", "-w", str(copy), "--confirm", "E-none", "E-nope"]) == 1
    assert "not in this workspace" in capsys.readouterr().err


def test_timeline_json_and_chart(case, capsys, tmp_path):
    sim, ws_path = case
    main(["switches", "-w", str(ws_path), "--json", "--top"])
    best = _json(capsys)["proposals"][0]
    chart = tmp_path / "tl.png"
    assert main(["timeline", "-w", str(ws_path), "-e", best["old_id"], "-e", best["new_id"], "--json",
                 "--since", "2025-03-10", "--until", "2025-07-01", "--out", str(chart)]) == 0
    out = _json(capsys)
    events = pd.DataFrame(out["events"])
    assert set(events["entity"]) == {best["old_id"], best["new_id"]}
    assert pd.to_datetime(events["time"]).between("2025-03-10", "2025-07-01").all()
    expected = sim.calls[(sim.calls["time"] >= "2025-03-10") & (sim.calls["time"] < "2025-07-01")]
    n_expected = sum(((expected["source"] == x) | (expected["target"] == x)).sum()
                     for x in (best["old_label"], best["new_label"]))
    assert len(events) == n_expected
    assert chart.exists() and chart.stat().st_size > 10_000 and out["chart"] == str(chart)


def test_timeline_community_table(case, capsys):
    _, ws_path = case
    assert main(["timeline", "-w", str(ws_path), "--community", "0"]) == 0
    assert "event rows" in capsys.readouterr().out
    assert main(["timeline", "-w", str(ws_path), "--community", "999"]) == 1


def test_switches_cli_exposes_rules_and_explains_nothing(tmp_path, capsys):
    """`netintel switches` takes the timing rules as options; with none proposed it prints the
    rule funnel instead of an empty table."""
    from netintel.casesim import simulate_calls

    folder = simulate_calls(911, days=10, people=60).write(tmp_path / "carrier")
    db = tmp_path / "case.duckdb"
    assert main(["ingest", str(folder), "--workspace", str(db)]) == 0
    capsys.readouterr()
    assert main(["switches", "--workspace", str(db), "--min-silence-days", "9.5"]) == 0
    out = capsys.readouterr().out
    assert "No switch proposed: nothing left after 'still active at the end (not silent)'" in out
    assert "min_silence_days=9.5" in out
    assert main(["switches", "--workspace", str(db), "--top"]) == 0
    out = capsys.readouterr().out
    assert "identifiers with a switch proposal" in out
