"""Resolution on Spark (issue 15): the same clusters and resolved ids as on DuckDB, on local Spark.

These tests run Splink's Spark backend on a real local Spark (``local[2]``, PySpark and Java
installed by the project's own setup). One session serves the module: starting the JVM is the
slow part (about 10 s on an idle machine), scoring a few thousand records takes seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import add_file, pairs_of
from netintel.errors import ResolutionError
from netintel.resolve import confirm, reject, resolve, resolve_persons
from netintel.resolve._spark import spark_session
from netintel.synth.persons import person_records
from netintel.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]")
    yield session
    session.stop()


def _sample_workspace() -> Workspace:
    from netintel.ingest import ingest

    ws = Workspace(actor="test")
    ingest(ws, [SAMPLE], progress=False)
    return ws


def test_sample_gives_identical_resolved_ids_on_both_engines(spark):
    # two fresh workspaces, so that no id registry carries one run's ids into the other
    with _sample_workspace() as a, _sample_workspace() as b:
        duck = resolve(a, engine="duckdb")
        on_spark = resolve(b, engine="spark")
        ids_a = a.resolved_ids().sort_values("entity_id").reset_index(drop=True)
        ids_b = b.resolved_ids().sort_values("entity_id").reset_index(drop=True)
    assert on_spark.summary["engine"] == "spark" and duck.summary["engine"] == "duckdb"
    assert duck.summary["clusters"] > 50  # the sample has many cross-agency persons: the test has teeth
    pd.testing.assert_frame_equal(ids_a, ids_b)
    cols = ["entity_a", "entity_b", "method", "rule", "match_probability", "merged"]
    pa = duck.pairs[cols].sort_values(["entity_a", "entity_b", "method"]).reset_index(drop=True)
    pb = on_spark.pairs[cols].sort_values(["entity_a", "entity_b", "method"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(pa, pb)


def test_generated_persons_cluster_identically_with_a_trained_model(spark):
    n = 2_000
    records, _ = person_records(n, seed=15_001)
    truth = records.set_index("record_id")["true_id"]
    frame = records.drop(columns="true_id").rename(columns={"record_id": "unique_id"})
    duck, pairs_d, model = resolve_persons(frame, train=True, seed=0)
    on_spark, pairs_s, _ = resolve_persons(frame, model=model, train=False, engine="spark")
    pd.testing.assert_series_equal(duck.sort_index(), on_spark.sort_index())
    assert len(pairs_d) == len(pairs_s) and len(pairs_d) > n / 4
    # and the clusters are good ones, not merely equal: most true duplicate pairs are found
    found, true = pairs_of(on_spark), pairs_of(truth.reindex(on_spark.index))
    assert len(found & true) / len(true) > 0.85


def test_sliced_scoring_on_spark_gives_the_pairs_of_one_pass_and_spills_to_disk(spark, monkeypatch):
    # large cases are scored in slices (as on DuckDB): force three slices on a small set
    from netintel.resolve import probabilistic

    records, _ = person_records(1_500, seed=15_002)
    frame = records.drop(columns="true_id").rename(columns={"record_id": "unique_id"})
    feats = probabilistic.person_features(frame)
    model = probabilistic.MatchModel.train(feats, seed=0)
    whole = model.predict(feats, engine="spark")
    monkeypatch.setattr(probabilistic, "PAIRS_PER_CHUNK", max(1, probabilistic.prediction_rules(feats).block_pairs // 3))
    assert probabilistic.prediction_rules(feats).chunks >= 3
    sliced = model.predict(feats, engine="spark")
    assert len(whole) > 300
    pd.testing.assert_frame_equal(whole, sliced)
    # Splink's intermediate tables went to Parquet under the context's checkpoint directory, not the heap
    where = Path(spark.sparkContext._jsc.sc().getCheckpointDir().get().removeprefix("file:"))
    assert where.is_dir() and any(where.rglob("*.parquet"))


def test_decisions_and_stable_ids_hold_on_spark(spark):
    with Workspace(actor="analyst.test") as ws:
        nl = add_file(ws, "Politie NL", "NL", "nl.csv", [
            {"id": "P1", "name": "Ivan Petrov", "birth_date": "1980-01-05", "nationality": "BG"},
            {"id": "P2", "name": "Jan de Vries", "birth_date": "1975-02-02", "nationality": "NL"},
            {"id": "P3", "name": "Ana Lopez Garcia", "birth_date": "1990-07-14", "nationality": "ES"}])
        bg = add_file(ws, "GDNP BG", "BG", "bg.csv", [
            {"id": "B1", "name": "ПЕТРОВ Иван", "birth_date": "1980-01-05", "nationality": "BG"},
            {"id": "B2", "name": "Ana López", "birth_date": "1990-07-14", "nationality": "ES"},
            {"id": "B3", "name": "Jan Vries", "birth_date": "1975-02-02", "nationality": "NL"}])
        first = resolve(ws, engine="duckdb")
        rid = dict(zip(first.records["entity_id"], first.records["resolved_id"]))
        assert rid[nl["P1"]] == rid[bg["B1"]]
        reject(ws, nl["P3"], bg["B2"], note="different mothers' names")
        confirm(ws, nl["P2"], bg["B3"])
        second = resolve(ws, engine="spark")
        rid2 = dict(zip(second.records["entity_id"], second.records["resolved_id"]))
    assert rid2[nl["P1"]] == rid2[bg["B1"]] == rid[nl["P1"]]  # the id of the first run is kept
    assert rid2[nl["P3"]] != rid2[bg["B2"]]
    assert rid2[nl["P2"]] == rid2[bg["B3"]]


def test_missing_pyspark_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now raises ImportError
    records, _ = person_records(40, seed=3)
    frame = records.drop(columns="true_id").rename(columns={"record_id": "unique_id"})
    with pytest.raises(ResolutionError, match=r"netintel\[spark\]"):
        resolve_persons(frame, engine="spark")


def test_unknown_engine_is_refused():
    with Workspace() as ws, pytest.raises(ResolutionError, match="unknown resolution engine 'polars'"):
        resolve(ws, engine="polars")


def test_cli_resolves_on_spark_and_says_so(spark, tmp_path, capsys):
    import json

    from netintel.cli import main

    path = tmp_path / "case.duckdb"
    with Workspace(path, actor="analyst.test") as ws:
        add_file(ws, "Politie NL", "NL", "nl.csv", [
            {"id": "P1", "name": "Ivan Petrov", "birth_date": "1980-01-05", "nationality": "BG"}])
        add_file(ws, "GDNP BG", "BG", "bg.csv", [
            {"id": "B1", "name": "ПЕТРОВ Иван", "birth_date": "1980-01-05", "nationality": "BG"}])
    assert main(["resolve", "--workspace", str(path), "--engine", "spark", "--spark-master", "local[2]",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["engine"] == "spark" and out["person_entities"] == 1
