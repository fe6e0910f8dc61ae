"""``netintel communities``: one JSON row per resolved entity with community and typology."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from netintel import Workspace
from netintel.cli import main
from netintel.graph import build_graph
from netintel.ingest import ingest
from netintel.synth.case import generate_case
from netintel.typology import TYPOLOGIES, UNDETERMINED
from netintel.workspace import record_id


@pytest.fixture(scope="module")
def case_ws(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """A small generated case (seed 3, never a typology training seed) in a workspace file."""
    case = generate_case(seed=3, scale=0.3, malformed=False)
    root = tmp_path_factory.mktemp("case")
    case.write(root)
    path = root / "case.duckdb"
    with Workspace(path) as ws:
        ingest(ws, sorted(p for p in root.iterdir() if p.is_dir() and p.name != "truth"), progress=False)
    rec = case.truth["records"]
    ent = case.truth["entities"]
    truth = pd.DataFrame({"id": [record_id("E", a, f"{k}:{s}") for a, k, s in
                                 zip(rec["agency"], rec["kind"], rec["source_record_id"])],
                          "community": rec["true_id"].map(dict(zip(ent["true_id"], ent["community"])))})
    return path, truth


def _run_json(capsys, *argv: str) -> list[dict]:
    assert main(["communities", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_one_row_per_entity_with_typology(case_ws, capsys):
    path, truth = case_ws
    rows = _run_json(capsys, "--workspace", str(path), "--seed", "2")
    frame = pd.DataFrame(rows)
    with Workspace(path, read_only=True) as ws:
        ids = sorted(build_graph(ws).nodes["id"])
        # without a resolution run, each record is its own entity: resolved id = entity id
        assert set(ws.resolved_ids()["resolved_id"]) == set(ids)
    assert sorted(frame["id"]) == ids and frame["id"].is_unique
    assert {"id", "community", "typology", "probability", "indicators", "kind", "label"} <= set(frame.columns)
    # a community the voices do not agree on enough is "undetermined", never a guess
    assert frame["typology"].isin((*TYPOLOGIES, UNDETERMINED)).all()
    assert frame["probability"].between(0, 1).all()
    # a community has one typology
    assert (frame.groupby("community")["typology"].nunique() == 1).all()
    # the planted ransomware group's persons are mostly in communities classified as cybercrime
    t = frame.merge(truth, on="id")
    cyber = t[(t["community_y"] == "CY01") & (t["kind"] == "person")]
    assert len(cyber) >= 3
    assert (cyber["typology"] == "cybercrime").mean() >= 0.5


def test_options_and_table(case_ws, capsys):
    path, _ = case_ws
    graded = pd.DataFrame(_run_json(capsys, "--workspace", str(path), "--min-grading", "A2"))
    with Workspace(path, read_only=True) as ws:
        assert sorted(graded["id"]) == sorted(build_graph(ws, min_grading="A2").nodes["id"])
    assert main(["communities", "--workspace", str(path), "--method", "louvain", "--resolution", "0.5",
                 "--runs", "3", "--consensus"]) == 0
    out = capsys.readouterr().out
    assert "communities among" in out and "(louvain, resolution 0.5, seed 0)" in out and "typology" in out


def test_bad_grading_is_an_error(case_ws, capsys):
    path, _ = case_ws
    assert main(["communities", "--workspace", str(path), "--min-grading", "Z9"]) == 1
    assert "grading" in capsys.readouterr().err


def test_split_on_and_off(case_ws, capsys):
    path, _ = case_ws
    args = ["--workspace", str(path), "--seed", "1"]
    off = pd.DataFrame(_run_json(capsys, *args, "--split", "off"))
    auto = pd.DataFrame(_run_json(capsys, *args))
    on = pd.DataFrame(_run_json(capsys, *args, "--split", "on"))
    # a case this small is clustered by Leiden, without the split unless asked
    assert off.equals(auto)
    assert sorted(on["id"]) == sorted(off["id"])
    # the split only ever divides a community: each of its communities of clustered persons lies inside
    # one of the unsplit ones (an attached entity goes where its links weigh most, which a split can change)
    both = on.merge(off, on="id")
    clustered = both[(both["assigned_x"] == "clustered") & (both["assigned_y"] == "clustered")]
    assert len(clustered) > 50
    assert (clustered.groupby("community_x")["community_y"].nunique() == 1).all()
    assert on["community"].nunique() > off["community"].nunique()
    assert main(["communities", *args, "--split", "on"]) == 0
    assert "communities split on their own ties" in capsys.readouterr().out
