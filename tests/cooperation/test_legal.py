"""The legal reference data: every entry names its source, the loader refuses bad files with every problem listed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from netintel.cooperation.legal import LegalReference, legal_reference
from netintel.errors import SchemaError

SCHEMA = Path(__file__).resolve().parents[2] / "src" / "netintel" / "schema"
SAMPLE_TRUTH = Path(__file__).resolve().parents[2] / "data" / "sample" / "truth" / "entities.csv"
EU27 = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
        "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
REQUIRED = EU27 | {"GB", "CH", "NO", "TR", "RS", "AL", "UA", "MA", "CO", "US"}


def _raw(name: str) -> dict:
    return yaml.safe_load((SCHEMA / name).read_text("utf-8"))


@pytest.mark.parametrize("name, key", [("legal_instruments.yaml", "instruments"), ("legal_countries.yaml", "countries")])
def test_every_entry_names_its_source_and_date(name, key):
    # read the files directly, not through the loader under test
    entries = _raw(name)[key]
    assert entries
    for entry_id, entry in entries.items():
        assert isinstance(entry.get("source"), str) and len(entry["source"].strip()) > 10, f"{name}: {entry_id}"
        assert isinstance(entry.get("checked"), date), f"{name}: {entry_id} has no checked date"
    if key == "instruments":
        for entry_id, entry in entries.items():
            assert entry.get("reference"), f"{entry_id} has no official reference"


def test_coverage_eu27_required_and_sample_countries():
    ref = legal_reference()
    assert {c for c, law in ref.countries.items() if law.eu} == EU27
    truth = pd.read_csv(SAMPLE_TRUTH, dtype=str)
    sample = set(truth["country"].dropna()) - {""}
    assert sample and sample <= set(ref.countries), sample - set(ref.countries)
    assert REQUIRED <= set(ref.countries)


def test_hand_checked_memberships():
    ref = legal_reference()
    eio = ref.instrument("eio")
    assert eio.status("DK") is False and eio.status("IE") is False and eio.status("FR") is True
    assert eio.status("CH") is False  # EU law binds no third state
    assert ref.instrument("eaw").status("DK") is True and ref.instrument("eaw").status("NO") is False
    assert ref.instrument("ets030").status("CH") is True and ref.instrument("ets030").status("US") is False
    assert ref.binds("eu_us_mla", "US", "NL") is True and ref.binds("eu_us_mla", "US", "CH") is False
    assert ref.binds("eu_no_is_surrender", "NO", "DE") is True and ref.binds("eu_no_is_surrender", "NO", "IS") is False
    assert ref.country("DE").nationals_outside_eaw == "barred" and "16" in ref.country("DE").source


def _copy(tmp_path: Path, mutate_countries=None, mutate_instruments=None) -> tuple[Path, Path]:
    inst, ctry = _raw("legal_instruments.yaml"), _raw("legal_countries.yaml")
    if mutate_countries:
        mutate_countries(ctry["countries"])
    if mutate_instruments:
        mutate_instruments(inst["instruments"])
    ip, cp = tmp_path / "legal_instruments.yaml", tmp_path / "legal_countries.yaml"
    ip.write_text(yaml.safe_dump(inst, allow_unicode=True), "utf-8")
    cp.write_text(yaml.safe_dump(ctry, allow_unicode=True), "utf-8")
    return ip, cp


def test_loader_refuses_an_entry_without_source_and_lists_every_problem(tmp_path):
    def break_countries(c):
        del c["BE"]["source"]
        c["FR"]["nationals_outside_eaw"] = "sometimes"

    def break_instruments(i):
        i["ets030"]["source"] = "  "
        i["eio"]["parties"].append("ZZ")

    ip, cp = _copy(tmp_path, break_countries, break_instruments)
    with pytest.raises(SchemaError) as err:
        LegalReference.load(ip, cp)
    errors = err.value.errors
    assert any("country BE" in k and "'source'" in k for k in errors)
    assert any("country FR" in k and "nationals_outside_eaw" in k for k in errors)
    assert any("instrument ets030" in k and "'source'" in k for k in errors)
    assert any("instrument eio" in k and "'parties'" in k and "'ZZ'" in v for k, v in errors.items())
    assert str(cp) in str(err.value) and str(ip) in str(err.value)


def test_loader_explains_unquoted_norway(tmp_path):
    ip, cp = _copy(tmp_path, mutate_instruments=lambda i: i["ets030"]["parties"].append(False))
    with pytest.raises(SchemaError, match='write "NO" in quotes'):
        LegalReference.load(ip, cp)


def test_packaged_copy_loads_and_tabulates():
    ref = LegalReference.load()
    t = ref.table(["NL", "DK", "XK"])
    assert t.set_index("country").loc["DK", "eio"] == "no" and t.set_index("country").loc["XK", "eio"] == "unknown"
    assert len(ref.sources()) == len(ref.instruments) and "<table" in ref._repr_html_()
