"""The workspace report: intake, quarantine, grading and handling tables, and its charts."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from netintel import Workspace
from netintel.ingest import ingest
from netintel.report import grading_chart, grading_summary, handling_summary, quarantine_reasons, workspace_marking, \
    reason_category, records_chart, workspace_report

CDR = """caller,callee,start,duration,cell
+31612345678,+32470000001,2026-06-01T00:08:00,65,NL-1
+31612345678,+32470000001,2026-06-01T00:09:00,5,NL-1
+31612345678,,2026-06-01T00:10:00,5,NL-1
+31612345678,+32470000001,not-a-date,5,NL-1
"""
TIES = """source,target,weight,grade
A,B,1,B2
B,C,2,X4
C,D,3,Q
"""


@pytest.fixture
def ws(tmp_path):
    (tmp_path / "nl").mkdir()
    (tmp_path / "nl" / "tap.csv").write_text(CDR)
    (tmp_path / "be").mkdir()
    (tmp_path / "be" / "ties.csv").write_text(TIES)
    (tmp_path / "be" / "ties.mapping.yaml").write_text("format: edgelist\nrecord: {grading: grade}\n")
    workspace = Workspace()
    ingest(workspace, tmp_path / "nl", agency="KPN", country="NL", grading="B2", handling="H2", progress=False)
    ingest(workspace, tmp_path / "be", agency="Federale Politie", country="BE", handling="TLP:GREEN",
           progress=False)
    yield workspace
    workspace.close()


def test_workspace_report_tables(ws):
    report = workspace_report(ws)
    intake = report.intake.set_index("file")
    assert intake.loc["tap.csv", ["read", "accepted", "quarantined", "entities", "links", "events"]].tolist() == \
        [4, 2, 2, 2, 1, 2]
    assert intake.loc["ties.csv", ["read", "accepted", "quarantined", "links"]].tolist() == [3, 2, 1, 2]
    assert "read 7 = accepted 4 + quarantined 3" in report.summary()
    reasons = quarantine_reasons(ws).set_index(["file", "category"]).records
    assert reasons.to_dict() == {("tap.csv", "bad date"): 1, ("tap.csv", "missing value"): 1,
                                 ("ties.csv", "bad grading"): 1}
    # KPN: 2 phones + 1 link + 2 events, all B2 and H2; BE: nodes A, B, C (3) and two links
    grading = grading_summary(ws)
    assert grading.loc["KPN"].to_dict() == {"B2": 5, "F6": 0}
    # "X4" is Europol 4x4 (X = cannot be judged -> F, 4 -> 6); the first row's grading carries its nodes
    assert grading.loc["Federale Politie"].to_dict() == {"B2": 3, "F6": 2}
    assert handling_summary(ws).loc["Federale Politie", "TLP:GREEN"] == 5
    assert "ties.csv" in report._repr_html_()
    assert set(report.tables()) == {"intake", "quarantine_reasons", "grading", "handling"}


@pytest.mark.parametrize("reason, category", [
    ("callee is missing", "missing value"),
    ("links[0]: the target (b) has no value", "missing value"),
    ("unknown link kind 'vijand' in column relatie", "unknown kind"),
    ("grading 'Q' fits none of the known schemes", "bad grading"),
    ("unknown handling code 'PURPLE'", "bad handling code"),
    ("malformed row: 3 fields where the header has 5", "malformed record"),
    ("something else entirely", "other"),
])
def test_reason_categories(reason, category):
    assert reason_category(reason) == category


def test_charts_are_figures_with_one_bar_per_agency_and_part(ws):
    report = workspace_report(ws)
    fig = records_chart(report.intake)
    assert isinstance(fig, Figure)
    bars = [p for p in fig.axes[0].patches]
    assert len(bars) == 2 * 2  # two agencies x two formats (stacked, zero-height where absent)
    assert sorted(b.get_width() for b in bars if b.get_width() > 0) == [3, 4]
    fig2 = grading_chart(report.grading)
    widths = {}
    for bar in fig2.axes[0].patches:
        y = round(bar.get_y() + bar.get_height() / 2)
        widths[y] = widths.get(y, 0) + bar.get_width()
    assert all(w == pytest.approx(100) for w in widths.values())


@pytest.mark.parametrize("reason, category", [
    ("indicator: No values for required properties for Indicator: (pattern).", "missing value"),
    ("birth_date (geboortedatum) '31-02-1970' is not a date in the form %d-%m-%Y", "bad date"),
    ("time: date '31/04/2026 10:00' is in no recognised form", "bad date"),
    ("unknown entity kind 'PX' in column tipo; map it in kinds:", "unknown kind"),
    ("weight 'x' is not a number", "bad number"),
    ("currency 'EURO!' is not a currency code (EUR, USD, BTC, ...)", "bad currency"),
])
def test_reason_categories_of_the_sample_case(reason, category):
    assert reason_category(reason) == category


def test_workspace_marking_is_the_strictest_and_narrowest(ws):
    marking = workspace_marking(ws)
    # KPN's H2 records are releasable to their originator only; the Belgian GREEN ones to anyone
    assert marking.handling == "H2"
    assert marking.releasable_to == ("NL",)
    assert marking.banner == "H2 — releasable to NL"
