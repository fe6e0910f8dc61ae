"""Exported graph files read back: bad input is quarantined or refused with the file named."""

from __future__ import annotations

import pandas as pd
import pytest
from ingest_fixtures import write

from netintel.errors import InputError
from netintel.export import export_graph
from netintel.graph import CaseGraph
from netintel.ingest import detect_format, ingest


def _ingest(ws, paths):
    return ingest(ws, paths, agency="Partner", country="NL", progress=False)


@pytest.fixture
def graph():
    edges = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"], "kind": ["call", "associate_of"],
                          "count": [3, 1], "weight": [3.0, 1.0], "grading": ["A1", "B2"],
                          "first_seen": pd.to_datetime(["2025-01-02 10:00", None]),
                          "last_seen": pd.to_datetime(["2025-01-05 11:30", None])})
    nodes = pd.DataFrame({"id": ["a", "b", "c"], "kind": ["phone", "phone", "person"],
                          "label": ["+31 6 1", "+31 6 2", "=Eve"], "grading": ["A1", "B2", "C3"]})
    return CaseGraph.from_frames(edges, nodes)


def test_gexf_nodes_and_edges_are_read_back(ws, tmp_path, graph):
    path = export_graph(graph, tmp_path / "g", format="gexf").paths[0]
    assert detect_format(path) == "exchange"
    report = _ingest(ws, [path])
    assert (report.sources.iloc[0].read, report.sources.iloc[0].quarantined) == (5, 0)
    links = ws.links().set_index("kind")
    assert links.loc["call", "count"] == 3 and links.loc["call", "grading"] == "A1"
    assert links.loc["call", "first_seen"] == pd.Timestamp("2025-01-02 10:00")
    assert set(ws.entities().label) == {"+31 6 1", "+31 6 2", "=Eve"}, "the formula guard is not part of the value"


def test_a_bad_node_is_quarantined_the_rest_kept(ws, tmp_path, graph):
    path = export_graph(graph, tmp_path / "t", format="xlsx").paths[0]
    sheets = pd.read_excel(path, sheet_name=None, dtype=object)
    sheets["Entities"].loc[2, "kind"] = "spaceship"
    with pd.ExcelWriter(path) as xl:
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=False)
    report = _ingest(ws, [path])
    q = report.quarantine.set_index("locator").reason
    assert "unknown entity kind 'spaceship'" in q["node c"]
    assert "'c' is not an entity of the export" in q["edge e1"]
    assert report.sources.iloc[0].accepted == 3


def test_truncated_gexf_and_a_lone_link_table_are_refused(ws, tmp_path, graph):
    path = export_graph(graph, tmp_path / "g", format="gexf").paths[0]
    cut = write(tmp_path, "cut.gexf", path.read_text("utf-8")[:400])
    with pytest.raises(InputError, match="cut.gexf.*not well-formed XML"):
        _ingest(ws, [cut])
    paths = export_graph(graph, tmp_path / "i2" / "case", format="i2").paths
    paths[0].unlink()
    with pytest.raises(InputError, match="case_i2_entities.csv is not beside it"):
        _ingest(ws, [paths[1]])
