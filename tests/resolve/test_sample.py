"""The sample case against its truth: persons in clear text, and privacy-preserving matching."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from netintel.resolve import resolve
from netintel.resolve.pprl import encode_workspace, match
from netintel.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
pytestmark = pytest.mark.skipif(not (SAMPLE / "truth" / "records.csv").exists(), reason="no sample case")


@pytest.fixture(scope="module")
def resolved():
    from netintel.ingest import ingest

    ws = Workspace(actor="test")
    ingest(ws, [SAMPLE], progress=False)
    result = resolve(ws)
    truth = pd.read_csv(SAMPLE / "truth" / "records.csv", dtype=str, keep_default_na=False)
    truth = truth.drop_duplicates(["agency", "kind", "source_record_id"])
    rec = result.records.merge(truth, on=["agency", "kind", "source_record_id"], how="left")
    yield ws, result, rec
    ws.close()


def _pairs(frame: pd.DataFrame, col: str, *, cross_agency: bool = False) -> set:
    out = set()
    for _, g in frame.groupby(col):
        for a, b in itertools.combinations(sorted(zip(g["entity_id"], g["agency"])), 2):
            if not cross_agency or a[1] != b[1]:
                out.add((a[0], b[0]))
    return out


def test_every_record_is_in_the_truth(resolved):
    _, _, rec = resolved
    assert rec["true_id"].notna().all()


def test_persons_precision_and_recall(resolved):
    _, _, rec = resolved
    persons = rec[rec["kind"] == "person"]
    found, truth = _pairs(persons, "resolved_id"), _pairs(persons, "true_id")
    tp = len(found & truth)
    precision, recall = tp / len(found), tp / len(truth)
    assert precision >= 0.97 and recall >= 0.95, (precision, recall)


def test_identifiers_resolve_exactly(resolved):
    _, _, rec = resolved
    for kind in ("phone", "address"):
        sub = rec[rec["kind"] == kind]
        assert _pairs(sub, "resolved_id") == _pairs(sub, "true_id"), kind


def test_pprl_close_to_clear_text_on_the_sample(resolved):
    ws, result, rec = resolved
    persons = rec[rec["kind"] == "person"].copy()
    persons["key"] = list(zip(persons["agency"], persons["source_record_id"]))
    truth = _pairs(persons, "true_id", cross_agency=True)

    def f1(found):
        tp = len(found & truth)
        p, r = tp / max(1, len(found)), tp / len(truth)
        return 2 * p * r / (p + r)

    f1_clear = f1(_pairs(persons, "resolved_id", cross_agency=True))
    agencies = sorted(set(persons["agency"]))
    res = match(*[encode_workspace(ws, a, "sample-secret-2026") for a in agencies])
    hits = res.hits.dropna(subset=["group"])
    group = {(a, r): g for a, r, g in zip(hits["agency"], hits["record_id"], hits["group"])}
    persons["pprl"] = [group.get(k, f"alone:{k}") for k in persons["key"]]
    f1_pprl = f1(_pairs(persons, "pprl", cross_agency=True))
    print(f"sample persons, cross-agency pairwise F1: clear text {f1_clear:.3f}, PPRL {f1_pprl:.3f}")
    assert len(agencies) >= 3
    assert f1_pprl >= f1_clear - 0.05, (f1_pprl, f1_clear)


def test_collective_merges_on_the_sample_are_true_ones(resolved):
    """The sample has no name-only person records: network agreement must add no wrong merge."""
    _, result, rec = resolved
    weak = result.pairs[(result.pairs["method"] == "collective") & result.pairs["merged"]]
    true_id = dict(zip(rec["entity_id"], rec["true_id"]))
    assert all(true_id[a] == true_id[b] for a, b in zip(weak["entity_a"], weak["entity_b"]))
    assert (rec.loc[rec["method"] == "collective", "kind"] == "person").all()
