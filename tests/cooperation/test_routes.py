"""Legal routes against hand-worked cases: EIO inside the EIO area, MLA conventions outside it."""

from __future__ import annotations

import json

import pytest

from netintel.cli._output import to_jsonable
from netintel.cooperation.routes import legal_route, legal_routes
from netintel.errors import NetintelError

EIO_STATES = ["AT", "BE", "BG", "HR", "CY", "CZ", "EE", "FI", "FR", "DE", "GR", "HU", "IT", "LV", "LT", "LU", "MT",
              "PL", "PT", "RO", "SK", "SI", "ES", "SE"]


@pytest.mark.parametrize("country", EIO_STATES)
def test_eu_state_gets_an_eio(country):
    r = legal_route("NL", country)
    assert r.instrument == "eio" and r.status == "in force"
    assert r.form.startswith("EIO Annex A") and "2014/41/EU" in r.reference
    assert "90 days" in r.duration and r.police_channel.startswith("Europol / SIENA")


@pytest.mark.parametrize("country", ["DK", "IE"])
def test_denmark_and_ireland_get_no_eio(country):
    r = legal_route("NL", country)
    assert r.instrument not in (None, "eio") and r.status == "in force"
    assert "EIO" not in r.form
    # and the other way round
    assert legal_route(country, "NL").instrument != "eio"


def test_ireland_gets_the_1959_convention_through_the_central_authority():
    r = legal_route("DE", "IE")
    assert r.instrument == "ets030" and "central authority" in r.channel
    assert "ets182" in r.not_established  # not assumed


@pytest.mark.parametrize("requesting, country", [("NL", "CH"), ("NL", "TR"), ("NL", "RS"), ("NL", "AL"),
                                                  ("NL", "UA"), ("NL", "GB"), ("CH", "TR"), ("TR", "DE")])
def test_non_eu_council_of_europe_state_gets_mla_under_the_1959_convention(requesting, country):
    r = legal_route(requesting, country)
    assert r.instrument == "ets030" and "ETS 030" in r.form and "ETS No. 030" in r.reference


def test_other_routes_by_hand():
    assert legal_route("NL", "NO").instrument == "eu_no_is_mla"
    us = legal_route("NL", "US", typology="cybercrime")
    assert us.instrument == "eu_us_mla" and "Department of Justice" in us.channel and "24/7" in us.notes
    co = legal_route("ES", "CO")
    assert co.instrument == "untoc" and "organised criminal group" in co.conditions
    assert legal_route("TR", "CO").instrument == "untoc"
    gb = legal_route("NL", "GB")
    assert "eu_uk_tca" in gb.also and "direct judicial" in gb.channel


def test_no_instrument_known_is_said():
    r = legal_route("NL", "XK")
    assert r.status == "none known" and r.instrument is None and "legal_countries.yaml" in r.notes
    assert legal_route("NL", "NL").status == "domestic"
    with pytest.raises(NetintelError, match="ISO 3166-1"):
        legal_route("NL", "Germany")


def test_routes_table_and_json():
    routes = legal_routes("nl", ["DE", "dk", "DE", "CH", "XK"])
    assert routes.table["requested"].tolist() == ["DE", "DK", "CH", "XK"]
    assert routes.table["instrument"].tolist()[:3] == ["eio", "eu_mla_2000", "ets030"]
    assert routes.route("ch").instrument == "ets030"
    json.dumps(to_jsonable(routes.to_dict()))
    assert "Legal routes from NL" in routes._repr_html_()
