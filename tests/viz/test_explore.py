"""The interactive link chart: the view in Python, and what a real browser draws of it."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from matplotlib.figure import Figure

from browser_tools import call, open_chart, screenshot, start_chromium, stop_chromium
from netintel.cooperation._demo import demo_workspace
from netintel.graph import build_graph
from netintel.grading import at_least
from netintel.model import default_model
from netintel.viz.explore import _icons, explore, explore_around


@pytest.fixture(scope="module")
def demo():
    ws = demo_workspace()
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def browser():
    b = start_chromium()
    yield b
    stop_chromium(b)


def test_view_expand_hide_and_icons(demo):
    chart = explore_around(demo, [demo.sql("SELECT entity_id FROM entities WHERE label = 'Jan de Vries'")
                                  .iloc[0, 0]])
    g = build_graph(demo)
    jan = g.nodes.loc[g.nodes["label"] == "Jan de Vries", "id"].iloc[0]
    near = set(g.edges.loc[g.edges["source"] == jan, "target"]) | set(g.edges.loc[g.edges["target"] == jan, "source"])
    assert set(chart.nodes["id"]) == {jan} | near
    before = len(chart.nodes)
    phone = g.nodes.loc[g.nodes["label"] == "+32470111222", "id"].iloc[0]
    assert len(chart.expand([phone]).nodes) > before  # Marc Peeters comes in
    assert "Marc Peeters" in set(chart.nodes["label"])
    chart.hide([phone])
    assert phone not in set(chart.nodes["id"]) and not len(chart.edges[(chart.edges["source"] == phone)
                                                                        | (chart.edges["target"] == phone)])
    assert phone in set(chart.unhide().nodes["id"])
    # every entity kind of the schema has its own pictogram
    assert set(default_model().entities) <= set(_icons())
    assert len(set(_icons().values())) == len(_icons())


def test_payload_phone_labels_cards_and_briefing(demo):
    chart = explore(demo, title="Demo case")
    data = chart.payload()
    labels = {n["label"] for n in data["nodes"]}
    assert "+32 470 11 12 22" in labels  # phonenumbers INTERNATIONAL
    jan = next(n for n in data["nodes"] if n["label"] == "Jan de Vries")
    assert "Politie NL" in jan["card"] and "TLP:AMBER" in jan["card"] and "B2" in jan["card"]
    call_edge = next(e for e in data["edges"] if e["kind"] == "call")
    assert call_edge["directed"] and "Count 3" in call_edge["card"] and "2026-03-01" in call_edge["card"]
    assert len({e["color"] for e in data["edges"]}) == len({e["kind"] for e in data["edges"]})
    fig = chart.briefing(source="demo", date="2026-12-03")
    assert isinstance(fig, Figure)
    assert chart.caveat in [t.get_text() for t in fig.texts]
    assert chart.caveat.startswith("TLP:RED")  # BKA's RED record is on the analyst's own chart


def test_recipient_view_is_the_graph_apis(demo):
    chart = explore(demo).for_recipient("NL")
    expected = build_graph(demo, recipient="NL")
    assert set(chart.nodes["id"]) == set(expected.nodes["id"])
    assert len(chart.edges) == len(expected.edges)
    text = chart.to_html()
    assert "Nordhandel" not in text and "TLP:RED" not in text  # BKA's RED material
    with pytest.raises(Exception, match="workspace"):
        explore(build_graph(demo), recipient="NL")


def test_saved_html_draws_filters_and_recipient_in_chromium(demo, browser, tmp_path):
    chart = explore(demo, title="Demo case")
    path = chart.save_html(tmp_path / "demo.html")
    cid = open_chart(browser, path)
    stats = call(browser, cid, "c.stats()")
    assert (stats["nodes"], stats["edges"]) == (len(chart.nodes), len(chart.edges)) == (8, 8)
    screenshot(browser, "explore-demo")
    # minimum grading B2: the links the graph API keeps with min_grading="B2"
    want = build_graph(demo, min_grading="B2")
    got = call(browser, cid, "c.setMinGrading('B2')")
    assert got["edges"] == len(want.edges) < stats["edges"]
    assert got["nodes"] == stats["nodes"]  # entities stay, as in the graph API
    call(browser, cid, "c.setMinGrading('')")
    # one agency: only its entities and links
    got = call(browser, cid, "c.setAgencies(['Police BE'])")
    be = chart.nodes[[("Police BE" in list(a)) for a in chart.nodes["agencies"]]]
    assert got["nodes"] == len(be) < stats["nodes"]
    screenshot(browser, "explore-demo-police-be")
    # the time window: only calls and transfers active in the first week of March 2026 (+ standing links)
    call(browser, cid, "c.setAgencies(" + json.dumps(sorted({a for x in chart.nodes['agencies'] for a in x})) + ")")
    got = call(browser, cid, "c.setWindow('2026-03-01', '2026-03-02')")
    e = chart.edges
    in_window = e[(e["first_seen"].isna() & e["last_seen"].isna())
                  | ((e["last_seen"] >= pd.Timestamp("2026-03-01")) & (e["first_seen"] <= pd.Timestamp("2026-03-02 23:59:59")))]
    assert got["edges"] == len(in_window) < stats["edges"]
    # the recipient's saved view holds no node it may not receive
    nl = chart.for_recipient("NL").save_html(tmp_path / "demo-nl.html")
    cid = open_chart(browser, nl)
    ids = set(call(browser, cid, "c.stats().node_ids"))
    allowed = set(build_graph(demo, recipient="NL").nodes["id"])
    restricted = set(build_graph(demo).nodes["id"]) - allowed
    assert restricted and ids == allowed and not ids & restricted
    screenshot(browser, "explore-demo-for-NL")


def test_notebook_widget_output_draws_in_chromium(browser, tmp_path):
    """The executed notebook 09, exported to HTML with its widget state, draws the chart offline
    (netintel's renderer instead of the CDN one) with the view the notebook printed last."""
    import re
    from pathlib import Path

    import nbformat
    from nbconvert import HTMLExporter

    from netintel.viz.explore import notebook_renderer_js

    nb_path = Path(__file__).resolve().parents[2] / "notebooks" / "09_explore_and_search.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    assert "widgets" in nb.metadata, "notebook 09 was executed without its widget state"
    printed = [o.get("text", "") for c in nb.cells if c.cell_type == "code" and "chart.filter" in c.source
               for o in c.outputs]
    n_nodes, n_edges = map(int, re.search(r"(\d+) entities, (\d+) links", "".join(printed)).groups())
    renderer = tmp_path / "netintel-widgets.js"
    renderer.write_text(notebook_renderer_js(), encoding="utf-8")
    body, _ = HTMLExporter(widget_renderer_url=renderer.resolve().as_uri()).from_notebook_node(nb)
    page = tmp_path / "09.html"
    page.write_text(body, encoding="utf-8")
    cid = open_chart(browser, page, timeout=30)
    stats = call(browser, cid, "c.stats()")
    assert (stats["nodes"], stats["edges"]) == (n_nodes, n_edges)
    agencies = call(browser, cid, "Array.from(document.querySelectorAll('.netintel-agencies input')).map(i => i.value)")
    one = call(browser, cid, f"c.setAgencies([{agencies[0]!r}])")
    assert one["nodes"] < n_nodes
    screenshot(browser, "notebook09-widget")
