"""The cooperation commands and the retention command, on the demo case written to a file."""

from __future__ import annotations

import json
from datetime import date

import pytest

from netintel.cli import main
from netintel.cooperation._demo import DEMO_IDS, demo_workspace
from netintel.workspace import Workspace


@pytest.fixture(scope="module")
def ws_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("coop") / "case.duckdb"
    demo_workspace(path, reported=date(2026, 3, 1)).close()
    return str(path)


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_jurisdictions_command(ws_file, capsys):
    out = _json(capsys, ["jurisdictions", "--workspace", ws_file, "--json"])
    assert {r["country"]: r["n_entities"] for r in out["countries"]} == {"BE": 3, "DE": 2, "NL": 2, "TR": 1}
    assert out["marking"]["handling"] == "TLP:RED"
    nl = _json(capsys, ["jurisdictions", "-w", ws_file, "--recipient", "NL", "--json"])
    assert {r["agency"] for r in nl["evidence"]} == {"Politie NL", "Police BE"} and nl["recipient"] == "NL"
    targets = _json(capsys, ["jurisdictions", "-w", ws_file, "--targets", DEMO_IDS["marc"], "--json"])
    # Marc with the phone and account he uses: all Belgian; the German account is one hop further
    assert sorted(r["country"] for r in targets["countries"]) == ["BE"]
    assert main(["jurisdictions", "-w", ws_file]) == 0
    text = capsys.readouterr().out
    assert "Countries involved" in text and "Evidence held, by agency" in text


def test_jit_command(ws_file, capsys):
    out = _json(capsys, ["jit", "-w", ws_file, "--min-share", "0.8", "--json"])
    assert out["countries"] == ["NL", "BE"] and out["share"] == 14 / 16 and out["method"] == "exact"
    de = _json(capsys, ["jit", "-w", ws_file, "--include", "DE", "--min-share", "0.5", "--json"])
    assert "DE" in de["countries"]


def test_mla_command(ws_file, capsys, tmp_path):
    assert main(["mla", "-w", ws_file, "--country", "DE", "--requesting", "NL"]) == 0
    md = capsys.readouterr().out
    # NL and DE are both bound by the EIO directive: the annex is an EIO in the Annex A layout
    assert "European Investigation Order — Annex A of Directive 2014/41/EU — to Germany (DE)" in md
    assert "1. Account information and statements for the account DE89370400440532013000" in md
    # Police BE's material is Europol H1 (not for use as evidence in court): an annex never quotes it
    # (it is referred to its originator) unless an override is given, and the override is audited
    out = _json(capsys, ["mla", "-w", ws_file, "--country", "BE", "--json"])
    assert [r["item"] for r in out["requests"]] == ["+32470111222"]
    assert {r["agency"] for r in out["restricted"]} == {"Police BE"} and "H1" not in {f["handling"] for f in out["facts"]}
    out = _json(capsys, ["mla", "-w", ws_file, "--country", "BE", "--json", "--out", str(tmp_path / "be"),
                         "--court-override", "Police BE consent, ref 2026/77"])
    assert [r["item"] for r in out["requests"]] == ["+32470111222", "BE71096123456769", "Marc Peeters"]
    assert (tmp_path / "be.html").exists() and (tmp_path / "be.md").read_text("utf-8") == out["markdown"]
    assert "NOT FOR USE AS EVIDENCE IN COURT" in out["markdown"]
    from netintel import Workspace
    with Workspace(ws_file, read_only=True) as ws:
        audit = ws.audit_log()
    entry = audit[audit["action"] == "court_use_override"]
    assert len(entry) == 1 and "ref 2026/77" in entry["details"].iloc[0]
    assert main(["mla", "-w", ws_file, "--country", "NL", "--requesting", "NL"]) == 1


def test_priorities_command(ws_file, capsys):
    out = _json(capsys, ["priorities", "-w", ws_file, "--min-size", "1", "--json"])
    assert out["weights"]["weights"]["typology"] == 0.3
    assert out["priorities"] and all(0 <= r["score"] <= 100 for r in out["priorities"])
    assert [r["rank"] for r in out["priorities"]] == list(range(1, len(out["priorities"]) + 1))


def test_retention_lists_and_purges_with_an_audit_entry(tmp_path, capsys):
    path = str(tmp_path / "old.duckdb")
    demo_workspace(path, reported=date(2020, 1, 1)).close()
    # BE's rules keep records 1095 days (to 2022-12-31), NL's and DE's 1825 days (to 2024-12-30)
    status = _json(capsys, ["retention", "-w", path, "--today", "2023-06-01", "--json"])["status"]
    by = {(r["agency"], r["table"]): r for r in status}
    assert by[("Police BE", "entities")]["n_expired"] == 4 and by[("Politie NL", "entities")]["n_expired"] == 0
    assert by[("Politie NL", "entities")]["next_review"].startswith("2024-12-30")
    assert by[("Politie NL", "events")]["n_due"] == 0
    out = _json(capsys, ["retention", "-w", path, "--today", "2023-06-01", "--purge", "--json"])
    assert {k: out["purged"][k] for k in ("entities", "links", "events")} == {"entities": 4, "links": 3, "events": 2}
    with Workspace(path, read_only=True) as ws:
        assert set(ws.entities(active_only=False)["agency"]) == {"Politie NL", "BKA"}
        audit = ws.audit_log()
        entry = json.loads(audit[audit["action"] == "purge_expired"].iloc[-1]["details"])
        assert entry["by_agency"] == {"Police BE": {"entities": 4, "links": 3, "events": 2}}
        assert len(entry["record_id_sha256"]) == 9 and "record_ids" not in entry
    # an expired record is out of analysis before any purge
    path2 = str(tmp_path / "old2.duckdb")
    demo_workspace(path2, reported=date(2020, 1, 1)).close()
    with Workspace(path2, read_only=True) as ws:
        assert "Police BE" not in set(ws.entities()["agency"])  # today is past every review date


def test_routes_command(ws_file, capsys):
    out = _json(capsys, ["routes", "--requesting", "NL", "--countries", "DE", "DK", "CH", "XK", "--json"])
    assert [(r["requested"], r["instrument"]) for r in out["routes"]] == [
        ("DE", "eio"), ("DK", "eu_mla_2000"), ("CH", "ets030"), ("XK", None)]
    case = _json(capsys, ["routes", "-w", ws_file, "--requesting", "NL", "--json"])
    assert {r["requested"] for r in case["routes"]} == {"BE", "DE", "TR"}  # the demo case's other countries
    assert main(["routes", "--requesting", "NL", "--countries", "TR"]) == 0
    assert "letter rogatory under ETS 030" in capsys.readouterr().out
    assert main(["routes", "--requesting", "NL"]) == 1  # neither countries nor a workspace


def test_surrender_command(ws_file, capsys):
    out = _json(capsys, ["surrender", "-w", ws_file, "--requesting", "NL", "--json"])
    players = {p["label"]: p for p in out["players"]}
    assert players["Jan de Vries"]["status"] == "domestic" and players["Marc Peeters"]["arrest_in"] == "BE"
    # Ali Kaya is placed only in Turkey, by his Turkish nationality: Turkey does not extradite its nationals
    assert players["Ali Kaya"]["status"] == "no country can act" and players["Ali Kaya"]["can_act"] == []
    assert all(s["status"] in ("domestic", "possible", "conditional") for s in out["sequence"])
    assert main(["surrender", "-w", ws_file, "--requesting", "NL"]) == 0
    assert "Arrest sequence (legally feasible)" in capsys.readouterr().out


def test_jit_legal_command(ws_file, capsys):
    out = _json(capsys, ["jit", "-w", ws_file, "--min-share", "0.8", "--legal", "--json"])
    assert out["countries"] == ["NL", "BE"] and [r["option"] for r in out["comparison"]] == [
        "legally feasible", "law ignored"]
    assert main(["jit", "-w", ws_file, "--legal"]) == 0
    assert "Legal basis between the members" in capsys.readouterr().out
