"""Markings follow the analysis: no record outside a recipient's releasability reaches its outputs."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netintel.cli._output import to_jsonable
from netintel.cooperation import (Marked, ReleasabilityError, assert_releasable, case_jurisdictions, load_records,
                                  mark, mla_annex, pooling_gain, priority_scores, recommend_jit, view_for)
from netintel.handling import Marking

from coop_fixtures import build_workspace, case_specs, releasable_ids, secrets_for


def _outputs_for(ws, recipient):
    """Every cooperation output made for ``recipient``, as (name, result, serialised text)."""
    records = load_records(ws, recipient=recipient)  # the recipient's view, loaded once
    everything = load_records(ws)  # the annex filters fact by fact for the requested country
    membership = pd.DataFrame({"id": records.nodes, "community": [i % 2 for i in range(len(records.nodes))]})
    outs = [
        ("jurisdictions", case_jurisdictions(ws, recipient=recipient)),
        ("pooling", pooling_gain(records, recipient=recipient)),
        ("jit", recommend_jit(records, min_share=0.7)),
        ("jit-records", recommend_jit(records, min_share=0.5, measure="records", max_exact=0)),
        ("priorities", priority_scores(records, membership)),
        ("mla", mla_annex(everything, country=recipient)),
    ]
    if records.nodes:
        half = records.nodes[: max(1, len(records.nodes) // 2)]
        outs.append(("jurisdictions-targets", case_jurisdictions(records, half)))
        outs.append(("mla-targets", mla_annex(everything, half, country=recipient)))
    result = []
    for name, out in outs:
        text = json.dumps(to_jsonable(out.to_dict()), ensure_ascii=False) + repr(out) + out._repr_html_()
        if hasattr(out, "html"):
            text += out.html + out.markdown
        result.append((name, out, text))
    return result


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=case_specs(), recipient=st.sampled_from(["NL", "DE", "BE", "FR", "US"]))
def test_no_record_outside_releasability_reaches_an_output(spec, recipient):
    ws = build_workspace(spec)
    try:
        allowed = releasable_ids(ws, recipient)
        secrets = secrets_for(ws, recipient)
        for name, out, text in _outputs_for(ws, recipient):
            assert out.record_ids <= allowed, (name, sorted(out.record_ids - allowed))
            assert out.marking.allows(recipient), (name, out.marking)
            assert out.recipient == recipient
            assert_releasable(ws, out.record_ids, recipient)  # the guard agrees
            leaked = sorted(s for s in secrets if s in text)
            assert not leaked, (name, leaked)
    finally:
        ws.close()


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=case_specs())
def test_originators_view_is_marked_by_everything_it_used(spec):
    ws = build_workspace(spec)
    try:
        out = case_jurisdictions(ws)
        every = set(ws.entities()["entity_id"])
        assert every <= out.record_ids  # the whole case was used
        for recipient in ("NL", "DE", "BE", "FR", "US"):
            if out.marking.allows(recipient):
                # a marking that lets a country receive the result means it may receive every input
                assert out.record_ids <= releasable_ids(ws, recipient)
    finally:
        ws.close()


def test_guard_raises_naming_the_records_and_what_to_do(demo):
    ws, ids = demo
    assert_releasable(ws, [ids["jan"], ids["marc"]], "DE")
    with pytest.raises(ReleasabilityError) as err:
        assert_releasable(ws, [ids["jan"], ids["nordhandel"]], "NL")
    message = str(err.value)
    assert ids["nordhandel"] in message and "DE" in message and "recipient='NL'" in message
    with pytest.raises(ReleasabilityError):
        assert_releasable(ws, ["Enot-a-record"], "NL")


def test_view_for_keeps_only_what_the_recipient_may_receive(demo):
    ws, ids = demo
    nl = view_for(ws, "NL")
    assert ids["nordhandel"] not in set(nl.entities["entity_id"])  # BKA's TLP:RED register entry
    assert set(nl.entities["agency"]) == {"Politie NL", "Police BE"}
    de = view_for(ws, "DE")
    assert "associate_of" not in set(de.links["kind"])  # NL's TLP:AMBER+STRICT association
    assert view_for(ws, "US").entities.empty  # not a partner: AMBER/H1 material does not go there


def test_result_of_the_originators_view_refuses_a_recipient_it_may_not_reach(demo):
    ws, _ = demo
    whole = case_jurisdictions(ws)
    # BKA's TLP:RED (DE only) meets Politie NL's TLP:AMBER+STRICT (NL only): nobody may get it all
    # (and Europol H1 material in it keeps its "not for court" restriction through the combination)
    assert whole.marking == Marking("TLP:RED", (), ("not_for_court",)) and not whole.marking.court_usable
    with pytest.raises(ReleasabilityError, match="recipient='NL'"):
        whole.check_for(ws, "NL")
    for_nl = case_jurisdictions(ws, recipient="NL")
    for_nl.check_for(ws, "NL")
    assert "view for NL" in for_nl.caveat and "view for NL" in for_nl._repr_html_()


def test_marked_wrapper_shows_its_marking(demo):
    ws, _ = demo
    records = load_records(ws, recipient="BE")
    m = mark(records.node_table(), records, title="Entities")
    assert isinstance(m, Marked) and m.recipient == "BE"
    assert m.marking.handling == "H1" and m.allows("BE")
    assert "H1 — releasable to BE" in repr(m) and "H1 — releasable to BE" in m._repr_html_()
    assert "<table" in m._repr_html_()
