"""JIT feasibility against a hand-worked case: a recommendation never mixes in a country with no legal
route unless it is flagged with what it would take."""

from __future__ import annotations

import json
from itertools import combinations

import pytest

from netintel.cli._output import to_jsonable
from netintel.cooperation import feasible_jit, jit_basis
from netintel.ingest._common import BatchBuilder, Provenance
from netintel.workspace import Workspace

# Agencies and how many persons each alone reports: 14 evidence units in all.
HOLDINGS = {"NL": 2, "BE": 3, "CO": 4, "XK": 5}


@pytest.fixture(scope="module")
def case():
    ws = Workspace(actor="test")
    for cc, n in HOLDINGS.items():
        b = BatchBuilder(f"{cc}.csv", format="table", sha256="0" * 64, keep_raw=False,
                         provenance=Provenance(f"Police {cc}", cc, grading="B2", handling="TLP:GREEN"))
        for i in range(n):
            b.entity("person", f"{cc}{i}", {"name": f"Person {cc} {i}"}, locator=f"row {i}")
        b.read(n)
        for i in range(n):
            b.accept(f"row {i}")
        ws.write_import(b.finish())
    yield ws
    ws.close()


def test_jit_basis_by_hand():
    assert jit_basis("NL", "BE") == ("in force", "eu_jit_fd")
    assert jit_basis("NL", "NO") == ("in force", "eu_no_is_mla")
    assert jit_basis("NL", "US") == ("in force", "eu_us_mla")
    assert jit_basis("NL", "TR") == ("in force", "ets182")
    assert jit_basis("BE", "CO") == ("ad hoc agreement", "untoc")
    assert jit_basis("NL", "XK") == ("none known", None)   # not in the reference data
    # Austria's ETS 182 ratification is not established: only the ad hoc route is certain
    assert jit_basis("AT", "CH") == ("ad hoc agreement", "untoc")


def test_feasible_team_by_hand(case):
    f = feasible_jit(case, min_share=0.5)
    # law ignored, by hand: XK+CO hold 9 of 14 units (the largest pair reaching 7)
    assert set(f.unconstrained.countries) == {"CO", "XK"} and f.unconstrained.share == pytest.approx(9 / 14)
    # with a standing basis only NL+BE can team up: 5 of 14, short of the target
    assert set(f.countries) == {"NL", "BE"} and f.feasible.share == pytest.approx(5 / 14)
    assert not f.feasible.achieved
    # allowing an ad hoc UNTOC agreement: BE+CO reach 7 of 14, flagged with what it takes
    assert set(f.with_agreement.countries) == {"BE", "CO"} and f.with_agreement.achieved
    assert f.needs == ("BE-CO: ad hoc JIT agreement under UNTOC art. 19",)
    members = f.members.set_index("country")
    assert members.loc["XK", "status"] == "none known" and members.loc["CO", "status"] == "none known"
    by_option = f.comparison.set_index("option")
    assert by_option.loc["law ignored", "legal"] == "CO-XK none known"
    assert by_option.loc["legally feasible", "legal"] == "standing legal basis between every pair"
    json.dumps(to_jsonable(f.to_dict()))
    assert "Legally feasible team" in f._repr_html_() and "no legally feasible" not in repr(f)


def test_no_recommendation_mixes_in_a_country_without_a_legal_route(case):
    for share in (0.3, 0.5, 0.7, 0.9):
        f = feasible_jit(case, min_share=share)
        if f.feasible is not None:
            for a, b in combinations(f.feasible.countries, 2):
                assert jit_basis(a, b)[0] == "in force", (share, a, b)
        if f.with_agreement is not None:
            assert "XK" not in f.with_agreement.countries
            pairs = {f"{a}-{b}" for a, b in combinations(sorted(f.with_agreement.countries), 2)
                     if jit_basis(a, b)[0] != "in force"}
            assert pairs and pairs == {n.split(":")[0] for n in f.needs}


def test_a_forced_third_state_is_flagged(case):
    f = feasible_jit(case, min_share=0.5, include=["CO"])
    assert f.feasible is None or "CO" in f.feasible.countries
    assert f.with_agreement is not None and "CO" in f.with_agreement.countries and f.needs
