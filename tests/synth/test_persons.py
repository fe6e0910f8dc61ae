"""Person records for the resolution benchmark: determinism, truth, variation, scale."""

import pandas as pd
import pytest

from netintel.synth import names as N
from netintel.synth.persons import DEFAULT_AGENCIES, RECORD_COLUMNS, person_records


@pytest.fixture(scope="module")
def sample():
    return person_records(3000, seed=11)


def test_shape_and_determinism(sample):
    records, truth = sample
    assert list(records.columns) == RECORD_COLUMNS
    assert len(records) == 3000
    assert records.record_id.is_unique
    again, truth2 = person_records(3000, seed=11)
    pd.testing.assert_frame_equal(records, again)
    pd.testing.assert_frame_equal(truth, truth2)
    other, _ = person_records(3000, seed=12)
    assert not records.full_name.equals(other.full_name)


def test_truth_is_consistent(sample):
    records, truth = sample
    assert truth.true_id.is_unique
    assert set(records.true_id) == set(truth.true_id)
    counts = records.true_id.value_counts()
    assert (truth.set_index("true_id").n_records.loc[counts.index] == counts).all()
    # about the requested share of people appear more than once
    share = (truth.n_records > 1).mean()
    assert 0.3 < share < 0.5
    assert records.agency.nunique() == len(DEFAULT_AGENCIES)


def test_duplicates_mostly_cross_agencies(sample):
    records, _ = sample
    dup = records[records.true_id.duplicated(keep=False)]
    per = dup.groupby("true_id").agency.agg(["nunique", "size"])
    assert (per["nunique"] == per["size"]).mean() > 0.9


def test_the_same_person_is_written_differently(sample):
    records, truth = sample
    dup = records[records.true_id.duplicated(keep=False)]
    # names vary within a true person in a good share of the duplicated people
    varies = dup.groupby("true_id").full_name.nunique() > 1
    assert varies.mean() > 0.6
    assert records.full_name.map(N.is_cyrillic).mean() > 0.03
    assert records.full_name.map(N.is_arabic).sum() > 0
    # partial dates of birth and missing ones
    lengths = records.birth_date.str.len()
    assert (lengths == 4).mean() > 0.05 and (lengths == 7).sum() > 0 and (lengths == 10).mean() > 0.6
    # phones written several ways, all the same number
    written = records[records.phone != ""].phone
    assert written.str.startswith("+").any() and written.str.startswith("00").any() and written.str.startswith("0").any()
    # yet a true person's dates never contradict: every written date agrees with the truth
    t = truth.set_index("true_id").birth_date
    full = records[lengths == 10]
    assert (full.birth_date == t.loc[full.true_id].to_numpy()).all()
    part = records[lengths == 4]
    assert (part.birth_date == t.loc[part.true_id].str[:4].to_numpy()).all()


def test_phones_written_resolve_to_the_true_number(sample):
    import phonenumbers
    records, truth = sample
    t = truth.set_index("true_id").phone
    rows = records[records.phone != ""].head(300)
    for rec in rows.itertuples():
        parsed = phonenumbers.parse(rec.phone, rec.country)
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == t[rec.true_id]


def test_sizes_scale():
    for n in (10, 1000, 20_000):
        records, truth = person_records(n, seed=5)
        assert len(records) == n and records.record_id.is_unique
        assert len(truth) < n or n == 10
