"""Identifier switching against planted truth: a hand-worked case, an independent call-record
simulator (noisy background, partial contact overlap, a whole group changing phones) and the
package's generator ingested into a workspace."""

from __future__ import annotations

import pandas as pd
import pytest
from time_sim import generated_workspace, simulate

from netintel import Workspace
from netintel.analysis import confirm_switch, propose_switches, reject_switch, score_switches, switch_decisions
from netintel.analysis._timedata import number_key
from netintel.errors import ResolutionError

T0 = pd.Timestamp("2026-01-05")


def _calls(rows):
    return pd.DataFrame([{"source": s, "target": t, "time": T0 + pd.Timedelta(hours=h), "place": p}
                         for s, t, h, p in rows])


def _handworked():
    """OLD calls A, B, C, D (and X once) for 20 days, then NEW calls A, B, C from the same cell;
    OTHER, a long-running phone, also calls A and B all along."""
    rows = []
    for d in range(20):
        rows += [("OLD", "A", 24 * d + 9, "c1"), ("OLD", "B", 24 * d + 10, "c1"), ("C", "OLD", 24 * d + 11, "c9")]
        if d % 5 == 0:
            rows.append(("OLD", "D", 24 * d + 12, "c1"))
        rows += [("OTHER", "A", 24 * d + 20, "c5"), ("OTHER", "B", 24 * d + 21, "c5")]
    rows.append(("OLD", "X", 30, "c1"))
    for d in range(21, 40):
        rows += [("NEW", "A", 24 * d + 9, "c1"), ("NEW", "B", 24 * d + 10, "c1"), ("C", "NEW", 24 * d + 11, "c9")]
        rows += [("OTHER", "A", 24 * d + 20, "c5"), ("OTHER", "B", 24 * d + 21, "c5")]
    return _calls(rows)


def test_handworked_switch_has_shared_contacts_and_timing():
    result = score_switches(_handworked())
    top = result.top()
    assert top[["old_id", "new_id"]].values.tolist() == [["OLD", "NEW"]]
    row = top.iloc[0]
    # A, B and C are shared; D and X only the old phone called; OTHER is never a contact of either.
    # OLD last heard from day 19 11:00 (C calls it), NEW first on day 21 09:00
    assert sorted(row["shared_contact_ids"]) == ["A", "B", "C"]
    assert row["n_shared"] == 3
    assert row["gap_days"] == pytest.approx((pd.Timedelta(hours=24 * 21 + 9) - pd.Timedelta(hours=24 * 19 + 11))
                                            / pd.Timedelta(days=1), abs=1e-3)
    assert row["place_similarity"] == pytest.approx(1.0)  # both call from c1 only
    assert not row["direct_contact"]
    # OTHER was active all along: it did not appear when OLD went silent
    assert "OTHER" not in set(result.table["new_id"]) and "OTHER" not in set(result.table["old_id"])


def test_talking_to_each_other_halves_the_score():
    calls = _handworked()
    with_direct = pd.concat([calls, _calls([("OLD", "NEW", 24 * 19 + 14, "c1")])], ignore_index=True)
    plain = score_switches(calls).top().iloc[0]
    direct = score_switches(with_direct, min_score=0).top()
    direct = direct[direct["old_id"] == "OLD"].iloc[0]
    assert direct["direct_contact"]
    assert "NEW" not in direct["shared_contact_ids"] and "OLD" not in direct["shared_contact_ids"]
    assert direct["score"] < 0.6 * plain["score"]


def test_same_number_written_twice_is_not_a_switch():
    calls = _handworked()
    labels = {"OLD": "+31 6 1234 5678", "NEW": "0031612345678"}
    assert score_switches(calls, labels=labels).table.empty


def test_still_active_identifier_is_not_silent():
    calls = _handworked()
    # OLD keeps calling until the very end: not silent, so no switch from it
    tail = _calls([("OLD", "A", 24 * 39 + 23, "c1")])
    assert score_switches(pd.concat([calls, tail], ignore_index=True)).table.empty


@pytest.mark.parametrize("seed,observed", [(101, "all"), (102, "targets")])
def test_simulated_switches_are_top_proposals(seed, observed):
    sim = simulate(seed, observed=observed, n_background=150, days=150)
    result = score_switches(sim.calls)
    best = dict(zip(result.top()["old_id"], result.top()["new_id"]))
    truth = dict(zip(sim.switches["old"], sim.switches["new"]))
    hits = sum(best.get(old) == new for old, new in truth.items())
    assert hits / len(truth) >= 0.9, (hits, len(truth))
    false_olds = set(best) - set(truth)
    assert len(false_olds) <= 2, false_olds
    # nobody who simply left the network (no successor) is proposed with a confident score
    confident = result.top()[result.top()["score"] >= 0.4]
    assert not set(confident["old_id"]) & set(sim.leavers)


def test_whole_group_switching_at_once_is_followed():
    """A group changing phones the same day shares few contacts between its old and new phones
    until the other members' switches are followed."""
    sim = simulate(104, n_groups=3, switch_share=0.0, group_switch=True, n_background=120, days=150)
    assert len(sim.switches) == 8
    truth = dict(zip(sim.switches["old"], sim.switches["new"]))
    once = score_switches(sim.calls, rounds=1, min_score=0)
    followed = score_switches(sim.calls)
    mean = lambda r: r.top().set_index("old_id").reindex(list(truth))["score"].fillna(0).mean()  # noqa: E731
    assert mean(followed) > mean(once)
    best = dict(zip(followed.top()["old_id"], followed.top()["new_id"]))
    assert sum(best.get(o) == n for o, n in truth.items()) >= 7


def test_generated_case_switches_found_in_workspace():
    ws, case = generated_workspace()
    truth = case.truth["switches"]
    assert len(truth) >= 3
    result = propose_switches(ws)
    top = result.top()
    got = {number_key(o): number_key(n) for o, n in zip(top["old_label"], top["new_label"])}
    for old, new in zip(truth["old_number"], truth["new_number"]):
        assert got.get(number_key(old)) == number_key(new)
    true_olds = {number_key(o) for o in truth["old_number"]}
    assert len(set(got) - true_olds) <= 1
    assert result.marking and result.marking.startswith(("TLP", "H"))
    assert all(len(s) == n for s, n in zip(result.table["shared_contacts"], result.table["n_shared"]))


def test_confirm_and_reject_are_kept_with_who_and_when():
    ws, _ = generated_workspace()
    result = propose_switches(ws)
    first, second = result.top().iloc[0], result.top().iloc[1]
    row = confirm_switch(ws, first["old_id"], first["new_id"], analyst="analyst.nl", note="same IMEI",
                         proposals=result)
    reject_switch(ws, second["old_id"], second["new_id"], analyst="analyst.de")
    decisions = switch_decisions(ws)
    assert decisions[["old_id", "new_id", "decision", "analyst"]].values.tolist() == [
        [first["old_id"], first["new_id"], "confirmed", "analyst.nl"],
        [second["old_id"], second["new_id"], "rejected", "analyst.de"]]
    assert decisions["evidence"].iloc[0]["shared_contacts"] == list(first["shared_contacts"])
    assert row["score"] == pytest.approx(first["score"])
    assert decisions["decided_at"].notna().all()
    assert {"switch_confirmed", "switch_rejected"} <= set(ws.audit_log()["action"])
    # the confirmation is a must-link for entity resolution's next run; the rejection is not passed on
    assert row["resolution_applied"]
    from netintel.resolve import decisions as resolution_decisions
    passed = resolution_decisions(ws)
    assert passed[["action", "entity_ids", "other_ids", "actor"]].values.tolist() == [
        ["confirm", [first["old_id"]], [first["new_id"]], "analyst.nl"]]
    # decided pairs leave the open proposals, and come back on request with their decision
    again = propose_switches(ws)
    assert first["old_id"] not in set(again.table["old_id"])
    everything = propose_switches(ws, include_decided=True)
    decided = everything.table.dropna(subset=["decision"])
    assert set(decided["decision"]) == {"confirmed", "rejected"}
    ws.execute("DROP TABLE switch_decisions")
    ws.execute("DELETE FROM resolution_decisions")


def test_confirm_unknown_identifier_names_it():
    with Workspace() as ws, pytest.raises(ResolutionError, match="NOPE"):
        confirm_switch(ws, "NOPE", "NEITHER")


def test_deterministic():
    sim = simulate(105, n_groups=2, n_background=80, days=120)
    a = score_switches(sim.calls).table
    b = score_switches(sim.calls.sample(frac=1, random_state=3)).table
    pd.testing.assert_frame_equal(a, b)


def test_handsets_used_side_by_side_for_a_while():
    """NEW starts on day 12 while OLD is still used, more and more rarely, until day 19: still a
    proposal, with a negative gap and a timing penalty for the overlap."""
    rows = []
    for d in range(20):
        if d < 12 or d % 3 == 0:
            rows += [("OLD", "A", 24 * d + 9, "c1"), ("OLD", "B", 24 * d + 10, "c1"), ("C", "OLD", 24 * d + 11, "c1")]
    for d in range(12, 40):
        rows += [("NEW", "A", 24 * d + 9, "c1"), ("NEW", "B", 24 * d + 10, "c1"), ("C", "NEW", 24 * d + 11, "c1")]
    rows += [("Z", "A", 24 * 39 + 20, "c5"), ("Z", "B", 24 * 39 + 21, "c5")]
    row = score_switches(_calls(rows)).top().iloc[0]
    assert (row["old_id"], row["new_id"]) == ("OLD", "NEW")
    assert row["gap_days"] == pytest.approx(-(6 * 24 + 2) / 24, abs=1e-3)  # day 12 09:00 .. day 18 11:00
    assert 0 < row["timing"] < 0.9
    # used side by side for longer than max_overlap_days: not a switch
    assert score_switches(_calls(rows), max_overlap_days=3).table.empty


def test_one_number_in_two_agencies_counts_once():
    """Before resolution, a contact reported by two agencies is two entities; propose_switches
    still counts it as one shared contact, and never proposes a number as its own successor."""
    from time_sim import workspace_from
    calls = _handworked()
    # the old phone's records come from one agency (numbers as +316...), the new phone's from another
    # (written 00316...), as two partners' warrants would deliver them
    numbers = {"OLD": "+31600000001", "NEW": "+31600000002", "A": "+31611111111", "B": "+31622222222",
               "C": "+31633333333", "D": "+31644444444", "X": "+31655555555", "OTHER": "+31666666666"}
    intl = lambda n: "00" + n[1:]  # noqa: E731
    before = calls[calls["time"] < T0 + pd.Timedelta(days=20)].replace(numbers)
    after = calls[calls["time"] >= T0 + pd.Timedelta(days=20)].replace({k: intl(v) for k, v in numbers.items()})
    ws_a, _ = workspace_from(before, agency="Police A")
    ws_b, _ = workspace_from(after, agency="Police B")
    for table in ("entities", "links", "events", "sources"):  # both partners' records in one workspace
        ws_a.con.register("_rows", ws_b.sql(f"SELECT * FROM {table}"))
        ws_a.execute(f"INSERT INTO {table} SELECT * FROM _rows")
        ws_a.con.unregister("_rows")
    top = propose_switches(ws_a).top()
    assert [(o, n) for o, n in zip(top["old_label"], top["new_label"])] == [(numbers["OLD"], intl(numbers["NEW"]))]
    assert top.iloc[0]["n_shared"] == 3
    assert propose_switches(ws_a, merge_same_numbers=False).table.empty
    ws_a.close()
    ws_b.close()


# ---------------------------------------------------------------------------------------------
# The independent simulator (netintel.casesim): handsets as bare integers, 10 days and 6 months
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed,days", [(911, 10), (912, 10), (913, 180)])
def test_casesim_switches_top_proposal_on_short_and_long_records(seed, days):
    """The timing rules adapt to the span: a group that changed phones two days before the end
    of ten days of records is found, and so are switches spread over six months."""
    from netintel.casesim import simulate_calls

    sim = simulate_calls(seed, days=days, people=90 if days > 30 else 120)
    result = score_switches(sim.calls)
    best = dict(zip(result.top()["old_id"], result.top()["new_id"]))
    truth = dict(zip(sim.switches["old"], sim.switches["new"]))
    hits = sum(best.get(old) == new for old, new in truth.items())
    assert hits / len(truth) >= 0.9, (hits, len(truth), result.why_none())
    assert len(set(best) - set(truth)) <= 2
    assert result.parameters["adapted"] == ["half_life_days", "max_gap_days", "max_overlap_days", "min_silence_days"]


def test_fixed_month_long_rules_miss_ten_day_switches_and_say_why():
    """The rules written for month-long data (7 days of silence) cannot see a group that changed
    phones two days before the end of ten days of records; a run left with nothing names the
    rule that left nothing, with its setting."""
    from netintel.casesim import simulate_calls

    sim = simulate_calls(911, days=10, people=120)
    truth = dict(zip(sim.switches["old"], sim.switches["new"]))
    fixed = score_switches(sim.calls, min_silence_days=7, max_gap_days=60, max_overlap_days=14, half_life_days=30)
    found = dict(zip(fixed.top()["old_id"], fixed.top()["new_id"]))
    assert sum(found.get(o) == n for o, n in truth.items()) <= 2 < len(truth)
    none = score_switches(sim.calls, min_silence_days=9.5)
    assert none.table.empty
    why = none.why_none()
    assert why.startswith("nothing left after 'still active at the end (not silent)' (min_silence_days=9.5)")
    row = none.funnel.set_index("rule").loc["still active at the end (not silent)"]
    assert row["remaining"] == 0 and row["excluded"] > 0
    assert none.funnel.iloc[0]["remaining"] == none.n_identifiers
    assert "Why nothing was proposed" in none._repr_html_()


def test_timing_rules_adapt_to_span_and_keep_given_values():
    from netintel.analysis import timing_rules

    short = timing_rules("2026-03-01", "2026-03-11")
    long = timing_rules("2026-01-01", "2026-07-01", half_life_days=10)
    assert (short["max_gap_days"], short["max_overlap_days"], short["half_life_days"]) == (5.0, 2.0, round(10 / 6, 4))
    assert (long["max_gap_days"], long["max_overlap_days"], long["half_life_days"]) == (60.0, 14.0, 10.0)
    assert long["min_silence_days"] == 1.0 and short["min_silence_days"] == 0.25


def test_silence_follows_each_identifiers_rate():
    """Two phones stop one day before the end of 20 days: one called 10 times a day (a day of
    silence is telling), one every third day (a day of silence is nothing): only the first is
    a candidate old handset."""
    rows = []
    for d in range(19):
        rows += [("BUSY", c, 24 * d + 8 + k, "c1") for k, c in enumerate(["A", "B"] * 5)]
        if d % 3 == 0:
            rows += [("RARE", "A", 24 * d + 12, "c2"), ("RARE", "B", 24 * d + 13, "c2")]
    for d in range(19, 20):
        rows += [("NEWB", c, 24 * d + 8 + k, "c1") for k, c in enumerate(["A", "B"] * 5)]
        rows += [("NEWR", "A", 24 * d + 12, "c2"), ("NEWR", "B", 24 * d + 13, "c2"), ("NEWR", "A", 24 * d + 14, "c2")]
    result = score_switches(_calls(rows), min_score=0)
    assert set(result.table["old_id"]) == {"BUSY"}
