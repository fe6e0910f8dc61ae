"""The static link chart: every kind told apart, phone numbers readable, labels not piled up."""

from __future__ import annotations

import pandas as pd

from netintel.viz.linkchart import KIND_MARKERS, display_label, link_chart
from netintel.viz.style import link_colour


def _case():
    nodes = pd.DataFrame({"id": ["p1", "p2", "t1", "a1", "o1"],
                          "kind": ["person", "person", "phone", "bank_account", "organisation"],
                          "label": ["Ann Smit", "Bob Jansen", "0031612345678", "NL91ABNA0417164300", "Acme BV"]})
    edges = pd.DataFrame({"source": ["p1", "p1", "t1", "p2", "o1"], "target": ["p2", "t1", "a1", "a1", "a1"],
                          "kind": ["associate_of", "uses", "call", "transfer", "owns"], "weight": [1, 2, 3, 4, 5]})
    return nodes, edges


def test_legend_tells_every_kind_apart():
    nodes, edges = _case()
    fig = link_chart(nodes, edges, title="t", caveat="TLP:AMBER")
    legend = fig.axes[0].get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    for k in set(nodes["kind"]) | set(edges["kind"]):
        assert k.replace("_", " ") in labels
    lines = {t.get_text(): h for t, h in zip(legend.get_texts(), legend.legend_handles)}
    colours = {lines[k.replace("_", " ")].get_color() for k in set(edges["kind"])}
    assert len(colours) == edges["kind"].nunique()  # one colour per link kind
    assert len(set(KIND_MARKERS.values())) == len(KIND_MARKERS)  # one marker per entity kind
    assert link_colour("call") != link_colour("transfer")


def test_phone_numbers_in_one_readable_format():
    nodes, edges = _case()
    fig = link_chart(nodes, edges)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "+31 6 12345678" in texts and "0031612345678" not in texts
    assert display_label("phone", "+31 (0)6-1234 5678") == "+31 6 12345678"


def test_crowded_chart_labels_the_most_connected_and_says_so():
    n = 80
    nodes = pd.DataFrame({"id": [f"n{i}" for i in range(n)], "kind": "person", "label": [f"Person {i}" for i in range(n)]})
    edges = pd.DataFrame({"source": ["n0"] * (n - 1), "target": [f"n{i}" for i in range(1, n)], "kind": "call",
                          "weight": 1.0})
    fig = link_chart(nodes, edges, max_nodes=200, max_labels=20)
    assert len(fig.axes[0].texts) == 20
    assert any("labels on the 20 most connected of 80 entities" in t.get_text() for t in fig.texts)
