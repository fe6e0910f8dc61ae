"""Privacy-preserving matching: nothing clear leaves, and accuracy close to clear-text matching."""

import itertools

import numpy as np
import pandas as pd
import pytest

from netintel.errors import InputError, ResolutionError
from netintel.resolve import resolve_persons
from netintel.resolve.pprl import Encodings, dice, encode, match
from netintel.synth.persons import person_records

SECRET = "correct horse battery staple"


def _cross_pairs(groups: pd.Series, agency: dict) -> set:
    out = set()
    for _, g in groups.groupby(groups):
        for a, b in itertools.combinations(sorted(g.index), 2):
            if agency[a] != agency[b]:
                out.add((a, b))
    return out


def _f1(found: set, truth: set) -> float:
    tp = len(found & truth)
    p, r = tp / max(1, len(found)), tp / max(1, len(truth))
    return 2 * p * r / max(1e-9, p + r)


@pytest.fixture(scope="module")
def records():
    recs, _ = person_records(900, seed=9175)  # an unseen seed
    return recs


def test_pprl_f1_within_005_of_clear_text_with_seven_parties(records):
    agency = dict(zip(records["record_id"], records["agency"]))
    truth = _cross_pairs(records.set_index("record_id")["true_id"], agency)
    clear, _, _ = resolve_persons(records.drop(columns="true_id").rename(columns={"record_id": "unique_id"}))
    f1_clear = _f1(_cross_pairs(clear, agency), truth)
    encs = [encode(g, SECRET, agency=a) for a, g in records.groupby("agency")]
    assert len(encs) == 7
    res = match(*encs)
    groups = res.hits.dropna(subset=["group"]).set_index("record_id")["group"]
    f1_pprl = _f1(_cross_pairs(groups, agency), truth)
    assert f1_clear >= 0.95
    assert f1_pprl >= f1_clear - 0.05, (f1_pprl, f1_clear)
    # hit / no-hit per record, and pairs only across agencies
    assert set(res.hits.columns) >= {"agency", "record_id", "hit"} and len(res.hits) == len(records)
    assert (res.pairs["agency_a"] != res.pairs["agency_b"]).all()


def test_encodings_carry_no_clear_text(records, tmp_path):
    sample = records.head(40)
    enc = encode(sample, SECRET, agency="Politie Nederland")
    text = enc.to_json().lower()
    for name in list(sample["last_name"]) + list(sample["first_name"]):
        if len(name) >= 4:
            assert name.lower() not in text
    for dob in sample["birth_date"]:
        if dob:
            assert dob not in text
    loaded = Encodings.load(enc.save(tmp_path / "nl.json"))
    assert loaded.record_ids == enc.record_ids and np.array_equal(loaded.filters, enc.filters)
    assert loaded.dob == enc.dob and loaded.bands == enc.bands


def test_same_person_scores_high_other_person_low():
    df = pd.DataFrame({"record_id": ["a", "b", "c"],
                       "name": ["Aleksandr Petrov", "ПЕТРОВ Александр", "Ivan Ivanov"],
                       "birth_date": ["1980-03-12", "12.03.1980", "1980-03-12"]})
    enc = encode(df, SECRET, agency="x")
    same = dice(enc.filters[[0]], enc.filters[[1]])[0]
    other = dice(enc.filters[[0]], enc.filters[[2]])[0]
    assert same > 0.9 > 0.5 > other


def test_different_secrets_do_not_match():
    df = pd.DataFrame({"record_id": ["a"], "name": ["Jan Jansen"], "birth_date": ["1970"]})
    with pytest.raises(ResolutionError, match="another secret"):
        match(encode(df, SECRET, agency="A"), encode(df, "another secret!", agency="B"))
    with pytest.raises(ResolutionError):
        match(encode(df, SECRET, agency="A"))
    with pytest.raises(ResolutionError):
        encode(df, "abc", agency="A")  # too short
    with pytest.raises(InputError):
        Encodings.from_json('{"format": "something else"}', file="x.json")
