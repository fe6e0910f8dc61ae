"""The independent simulator: deterministic, ingested as a user would with nothing quarantined,
and the analyses measured against its planted truth (seeds never used for training or tuning)."""

from __future__ import annotations

import pandas as pd
import pytest

from netintel import Workspace
from netintel.casesim import simulate_calls, simulate_case
from netintel.ingest import ingest

# Seeds of this file: never used to train the typology model or to set any default.
CASE_SEED = 5151


@pytest.fixture(scope="module")
def case_ws(tmp_path_factory):
    from netintel.resolve import resolve

    case = simulate_case(CASE_SEED, scale=0.8)
    folders = case.write(tmp_path_factory.mktemp("casesim"))
    ws = Workspace()
    report = ingest(ws, folders, progress=False)
    resolve(ws, seed=0)
    return case, ws, report


def test_same_seed_same_files():
    assert simulate_case(3, scale=0.5).digest() == simulate_case(3, scale=0.5).digest()
    assert simulate_case(3, scale=0.5).digest() != simulate_case(4, scale=0.5).digest()
    a, b = simulate_calls(5, days=10, people=40), simulate_calls(5, days=10, people=40)
    pd.testing.assert_frame_equal(a.calls, b.calls)


def test_partners_files_ingest_without_quarantine(case_ws):
    case, ws, report = case_ws
    assert report.sources["format"].nunique() >= 4  # FtM lines and arrays, a table, events, STIX
    assert len(report.quarantine) == 0
    kinds = set(ws.entities()["kind"])
    assert {"person", "phone", "bank_account", "crypto_wallet", "vessel", "vehicle", "threat_actor"} <= kinds
    planted = case.planted(ws)
    # every planted member's record was found in the workspace
    members = case.truth["members"]
    assert planted.nunique() == 4 and len(planted) >= members["person"][members["group"].notna()].nunique() * 0.7


def test_handsets_are_bare_integers_and_switch_truth_is_complete():
    sim = simulate_calls(8, days=180, people=60)
    assert sim.calls["source"].str.fullmatch(r"\d{4,6}").all()
    group = sim.switches[sim.switches["group"].notna()]
    assert len(group) >= 4 and (group["time"].max() - group["time"].min()) <= pd.Timedelta(days=0.5)
    for r in sim.switches.itertuples():
        # the old handset falls silent after the switch, save the odd call within hours of it
        later = sim.calls[(sim.calls["source"] == r.old) & (sim.calls["time"] > r.time + pd.Timedelta(hours=4))]
        assert later.empty


def test_communities_and_typology_on_the_independent_case(case_ws):
    """Planted groups against detected communities, and the typology of the community that holds
    most of each group: right, or 'undetermined' -- never a confident wrong label."""
    from netintel.communities import detect_communities
    from netintel.graph import build_graph
    from netintel.typology import classify_communities

    case, ws, _ = case_ws
    comms = detect_communities(build_graph(ws), seed=0)
    planted = case.planted(ws)
    planted = planted[planted.index.isin(set(comms.membership["id"]))]
    nmi = comms.nmi(planted)
    assert nmi >= 0.7, nmi  # measured 0.75-0.80 on seeds 5151 and 7001-7003; the target is 0.85
    typ = classify_communities(comms, ws).set_index("community")
    where = comms.membership.set_index("id")["community"]
    truth = dict(zip(case.truth["groups"]["group"], case.truth["groups"]["typology"]))
    right = 0
    for group, ids in planted.groupby(planted).groups.items():
        c = where.reindex(ids).mode().iloc[0]
        label, p = typ.loc[c, "typology"], typ.loc[c, "probability"]
        assert label in (truth[group], "undetermined"), (group, label, p)
        right += label == truth[group]
        assert typ.loc[c, "evidence"], group  # the indicators that fired, with their records
    assert right >= 3
