"""Handling codes keep their meaning through combination; UK 3x5x2 / 5x5x5 are understood; country
codes are ISO 3166-1 alpha-2. Expected values are worked by hand from the schemes' definitions
(Europol handling codes; College of Policing APP 3x5x2; NIM 5x5x5)."""

from __future__ import annotations

import pytest

from netintel.errors import CountryCodeError, NetintelError
from netintel.grading import parse_grading
from netintel.handling import (Marking, canonical_handling, combine, country_code, country_codes, court_usable,
                               may_receive)
from netintel.ingest._common import BatchBuilder, Provenance


@pytest.mark.parametrize("codes", [["H1", "TLP:AMBER"], ["TLP:AMBER", "H1"], ["H1", "H2"], ["TLP:GREEN", "H1", "H3"]])
def test_h1_not_for_court_survives_every_combination(codes):
    marking = combine([(c, ["PARTNERS"], "NL") for c in codes], partners={"NL", "DE"})
    assert marking.restrictions == ("not_for_court",) and not marking.court_usable
    assert "NOT FOR USE AS EVIDENCE IN COURT" in marking.banner
    assert not court_usable(codes)


def test_without_h1_a_result_is_court_usable_and_a_marking_of_h1_alone_says_so():
    assert combine([("TLP:AMBER", ["PARTNERS"], "NL"), ("H2", [], "NL")]).court_usable
    assert Marking("H1", ("NL",)).restrictions == ("not_for_court",)  # the code's own restriction
    assert Marking("TLP:AMBER", ("NL",)) == Marking("TLP:AMBER", ("NL",), ())


@pytest.mark.parametrize("written, code, scheme, handling", [
    # 3x5x2: source 1 reliable -> B, 2 untested -> F, 3 not reliable -> E; A known directly -> 1,
    # B indirectly but corroborated -> 2, C indirectly -> 3, D not known -> 6, E suspected false -> 5
    ("1A P", "B1", "uk_3x5x2", "3x5x2:P"),
    ("3E C", "E5", "uk_3x5x2", "3x5x2:C"),
    ("2D", "F6", "uk_3x5x2", None),
    # 5x5x5: A always reliable -> A, D unreliable -> E, E untested -> F; 4 cannot be judged -> 6
    ("B2 1", "B2", "uk_5x5x5", "5x5x5:1"),
    ("D4/4", "E6", "uk_5x5x5", "5x5x5:4"),
    ("E5-5", "F5", "uk_5x5x5", "5x5x5:5"),
    ("C3 3", "C3", "uk_5x5x5", "5x5x5:3"),
])
def test_uk_gradings_and_their_handling_part(written, code, scheme, handling):
    g = parse_grading(written)
    assert (g.code, g.scheme, g.handling, g.original) == (code, scheme, handling, written)


def test_uk_handling_codes_decide_who_may_receive():
    partners = {"GB", "NL", "DE"}
    # 5x5x5 code 1: law enforcement and prosecuting agencies incl. the EEA -> the case's partners
    assert may_receive("NL", origin="GB", handling="5x5x5:1", releasable_to=["PARTNERS"], partners=partners)
    # code 2 is for UK non-prosecuting parties, code 4 the originating agency, 5 no further dissemination
    for code in ("5x5x5:2", "5x5x5:4", "5x5x5:5"):
        assert not may_receive("NL", origin="GB", handling=code, releasable_to=["GB"], partners=partners)
    # 4 and 5 rank with RED: not even an explicit list takes them abroad
    for code in ("5x5x5:4", "5x5x5:5"):
        assert not may_receive("NL", origin="GB", handling=code, releasable_to=["NL"], partners=partners)
    # 3x5x2 C: sharing subject to conditions -> the conditions restriction is kept on a result
    assert combine([("3x5x2:C", ["NL"], "GB"), ("TLP:GREEN", ["*"], "NL")]).restrictions == ("conditions",)
    assert combine([("5x5x5:3", ["PARTNERS"], "GB")], partners=partners).restrictions == ("conditions",)


@pytest.mark.parametrize("written, canonical", [("h1", "H1"), ("amber", "TLP:AMBER"), ("P", "3x5x2:P"),
                                                ("3x5x2 c", "3x5x2:C"), ("UK 5x5x5 4", "5x5x5:4"),
                                                ("5X5X5:1", "5x5x5:1")])
def test_canonical_handling(written, canonical):
    assert canonical_handling(written) == canonical


def test_a_uk_grading_carries_its_handling_into_the_record(tmp_path):
    f = tmp_path / "gb.csv"
    f.write_text("x")
    b = BatchBuilder(f, format="table", provenance=Provenance("NCA", "GB", grading="B2", handling="TLP:AMBER"))
    assert b.provenance(grading="2B C")["handling"] == "3x5x2:C"
    assert b.provenance(grading="B2 4")["handling"] == "5x5x5:4"
    assert b.provenance(grading="2B C", handling="H0")["handling"] == "H0"  # an explicit code wins
    assert b.provenance(grading="B2")["handling"] == "TLP:AMBER"


def test_country_codes_are_iso_3166_alpha_2():
    codes = country_codes()
    assert len(codes) == 250 and codes["XK"] == "Kosovo" and codes["BG"] == "Bulgaria" and codes["NO"] == "Norway"
    assert country_code(" nl ") == "NL" and country_code("gb", what="recipient") == "GB"
    for bad, hint in (("NLD", "did you mean NL"), ("UK", "is GB"), ("../../X", "alpha-2"), ("XX", "alpha-2"),
                      ("EU", "alpha-2"), ("", "alpha-2"), (None, "alpha-2"), ("N", "alpha-2")):
        with pytest.raises(CountryCodeError, match=hint) as err:
            country_code(bad, what="recipient")
        assert isinstance(err.value, NetintelError) and "recipient" in str(err.value) and repr(bad) in str(err.value)
