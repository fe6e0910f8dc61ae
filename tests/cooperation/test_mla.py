"""The MLA annex: the right requests per country, facts with source and grading, releasability kept."""

from __future__ import annotations

import pytest

from netintel.cooperation import load_records, mla_annex
from netintel.cooperation.mla import RESTRICTED
from netintel.errors import NetintelError
from netintel.ingest._common import BatchBuilder, Provenance
from netintel.workspace import Workspace


def test_requests_to_germany(demo):
    ws, _ = demo
    annex = mla_annex(ws, country="DE", requesting="NL", typology="money_laundering")
    assert annex.requests[["kind", "item"]].values.tolist() == [
        ["bank_account", "DE89370400440532013000"], ["organisation", "Nordhandel GmbH"]]
    md = annex.markdown
    assert "Germany (DE)" in md and "[EIO reference]" in md and "[case reference]" in md
    assert "suspected of money laundering" in md
    # Police BE's transfers are Europol H1: not for use as evidence in court, so an annex refers
    # them to their originator instead of quoting them ...
    assert "EUR 50,000.00" not in md and "H1" not in md and annex.marking.court_usable
    assert f"reported by Police BE: {RESTRICTED}" in md
    # ... unless the originator's permission is given, which the audit log records
    from netintel.cooperation._demo import demo_workspace

    own = demo_workspace()
    annex = mla_annex(own, country="DE", requesting="NL", typology="money_laundering",
                      court_override="Police BE permission of 2026-11-30, ref BE/77")
    md = annex.markdown
    assert "2 transfers totalling EUR 50,000.00 from bank account BE71096123456769 to DE89370400440532013000" in md
    assert "source: Police BE (BE), grading A2, H1" in md
    assert not annex.marking.court_usable and "NOT FOR USE AS EVIDENCE IN COURT" in md
    audit = own.audit_log()
    assert audit["action"].tolist()[-1] == "court_use_override" and "ref BE/77" in audit["details"].iloc[-1]
    with pytest.raises(NetintelError, match="reason"):
        mla_annex(own, country="DE", court_override=" ")
    with pytest.raises(NetintelError, match="recorded"):
        mla_annex(load_records(own), country="DE", court_override="permission")
    assert "statements of account" in md and "3 March 2026 to 10 March 2026" in md
    # Politie NL's association (AMBER+STRICT, NL only) is not about a German item and is not mentioned
    assert "associate" not in md
    assert annex.marking.allows("DE") and annex.recipient == "DE"
    annex.check_for(ws, "DE")


def test_requests_to_belgium_quote_only_what_belgium_may_receive(demo):
    ws, ids = demo
    annex = mla_annex(ws, country="BE")
    # the account and Marc Peeters are known only from Police BE's H1 (not-for-court) records
    assert annex.requests["item"].tolist() == ["+32470111222"]
    assert {"a further bank account in Belgium", "a further person in Belgium"} <= set(annex.restricted["what"])
    assert "Nordhandel" not in annex.markdown  # BKA's TLP:RED register entry
    assert ids["nordhandel"] not in annex.record_ids
    annex.check_for(ws, "BE")


def _restricted_case() -> Workspace:
    """NL holds a Spanish phone; who uses it is AMBER+STRICT (NL only); the calls are shareable."""
    ws = Workspace(actor="test")
    b = BatchBuilder("nl.csv", format="table", sha256="0" * 64, keep_raw=False,
                     provenance=Provenance("Politie NL", "NL", grading="B2", handling="TLP:AMBER",
                                           releasable_to=("PARTNERS",)))
    strict = b.provenance(handling="TLP:AMBER+STRICT", releasable_to=["NL"], grading="C3")
    secret = b.entity("person", "P9", {"name": "Informant Zeta", "nationality": "NL"}, locator="row 1", prov=strict)
    es_phone = b.identifier("phone", "+34612345678", locator="row 2")
    nl_phone = b.identifier("phone", "+31612345679", locator="row 3")
    b.link("uses", secret, es_phone, locator="row 4", prov=strict)
    b.link("call", nl_phone, es_phone, locator="cdr", count=7)
    hidden_phone = b.identifier("phone", "+34699999999", locator="row 5", prov=strict)
    b.link("call", nl_phone, hidden_phone, locator="cdr 2", count=2, prov=strict)
    b.read(1)
    b.accept("row 1")
    ws.write_import(b.finish())
    es = BatchBuilder("es.csv", format="table", sha256="0" * 64, keep_raw=False,
                      provenance=Provenance("SEPBLAC", "ES", grading="B2", handling="TLP:AMBER"))
    es.entity("person", "X1", {"name": "Spanish Contact <script>", "nationality": "ES"}, locator="row 1")
    es.read(1)
    es.accept("row 1")
    ws.write_import(es.finish())
    return ws


def test_restricted_facts_are_referred_to_the_originator():
    ws = _restricted_case()
    try:
        annex = mla_annex(ws, country="ES", requesting="NL")
        items = annex.requests["item"].tolist()
        assert "+34612345678" in items and "+34699999999" not in items
        md = annex.markdown
        assert "Informant Zeta" not in md and "+34699999999" not in md and "Informant Zeta" not in annex.html
        assert "7 calls from phone +31612345679 to +34612345678" in md
        assert RESTRICTED in md and "Politie NL" in md
        # the item known only from NL-only material is announced without being named
        unnamed = annex.restricted[annex.restricted["request"].isna()]
        assert unnamed["what"].tolist() == ["a further phone in Spain"]
        annex.check_for(ws, "ES")
        # HTML: values escaped, the fields to fill in marked
        assert "<script>" not in annex.html and "&lt;script&gt;" in annex.html
        assert "<mark>[EIO reference]</mark>" in annex.html
        # the requesting country's own view quotes everything
        nl = mla_annex(ws, country="NL")
        assert "Informant Zeta" in nl.markdown
    finally:
        ws.close()


def test_red_material_is_not_even_mentioned():
    ws = Workspace(actor="test")
    try:
        b = BatchBuilder("de.csv", format="table", sha256="0" * 64, keep_raw=False,
                         provenance=Provenance("BKA", "DE", grading="B2", handling="TLP:RED"))
        b.identifier("phone", "+34612345000", locator="row 1")
        b.read(1)
        b.accept("row 1")
        ws.write_import(b.finish())
        annex = mla_annex(ws, country="ES")
        assert annex.requests.empty and annex.restricted.empty and "+34612345000" not in annex.markdown
    finally:
        ws.close()


def test_bad_requests_and_saving(demo, tmp_path):
    ws, _ = demo
    with pytest.raises(NetintelError, match="requesting country"):
        mla_annex(ws, country="NL", requesting="nl")
    with pytest.raises(ValueError, match="originators' view"):
        mla_annex(load_records(ws, recipient="DE"), country="DE")
    paths = mla_annex(ws, country="BE").save(tmp_path / "annex_be")
    assert [p.suffix for p in paths] == [".md", ".html"]
    assert paths[1].read_text("utf-8").startswith("<!DOCTYPE html>")


def test_eio_state_gets_an_annex_a(demo):
    ws, _ = demo
    annex = mla_annex(ws, country="DE", requesting="NL", typology="money_laundering")
    assert annex.route.instrument == "eio" and annex.form.startswith("EIO Annex A")
    md = annex.markdown
    positions = [md.index(f"## Section {s} — ") for s in "ABCDEFGHIJKL"]
    assert positions == sorted(positions)  # every section of Annex A, in the form's order
    assert "| **Issuing State** | Netherlands (NL) |" in md and "| **Executing State** | Germany (DE) |" in md
    assert "**H3** Information on bank and other financial accounts (art. 26)" in md
    assert "laundering of the proceeds of crime" in md  # Annex D category of the typology
    # Police BE's facts are Europol H1 (not for court): an annex never quotes them without an override
    assert "grading A2, H1" not in md and "90 days" in md
    assert annex.to_dict()["route"]["instrument"] == "eio"


def test_non_eio_states_get_the_instrument_that_applies(demo):
    ws, _ = demo
    dk = mla_annex(ws, country="DK", requesting="NL")
    assert dk.route.instrument == "eu_mla_2000" and "Section A" not in dk.markdown
    tr = mla_annex(ws, country="TR", requesting="NL")
    assert tr.route.instrument == "ets030"
    assert "Council of Europe, ETS No. 030" in tr.markdown and "letter rogatory under ETS 030" in tr.markdown
    # Ali Kaya is Turkish, but Politie NL released its records to the partners only (not TR): nothing is quoted
    assert tr.requests.empty and "Ali Kaya" not in tr.markdown
    xk = mla_annex(ws, country="XK", requesting="NL")
    assert xk.route.instrument is None and "**No legal instrument is known**" in xk.markdown
    assert "no instrument known" in repr(xk)
    # without the requesting country the instrument cannot be settled: the generic template
    generic = mla_annex(ws, country="DE")
    assert generic.route is None and "[EIO reference] (Directive 2014/41/EU) or [MLA" in generic.markdown
