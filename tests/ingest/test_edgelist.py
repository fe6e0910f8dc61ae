"""Edge lists and UCINET-style adjacency matrices, checked against networkx."""

from __future__ import annotations

import io

import networkx as nx
import pandas as pd
import pytest
from ingest_fixtures import write

from netintel.errors import InputError
from netintel.ingest import detect_format, ingest
from netintel.workspace import record_id

AGENCY = "Universiteit"

# A 10-node labelled matrix in the shape published criminal networks take (anonymised labels).
MATRIX = """\
,N01,N02,N03,N04,N05,N06,N07,N08,N09,N10
N01,0,1,1,0,0,0,0,0,0,2
N02,1,0,1,0,0,0,0,0,0,0
N03,1,1,0,1,0,0,0,0,0,0
N04,0,0,1,0,3,0,0,0,0,0
N05,0,0,0,3,0,1,1,0,0,0
N06,0,0,0,0,1,0,1,0,0,0
N07,0,0,0,0,1,1,0,1,0,0
N08,0,0,0,0,0,0,1,0,0,0
N09,0,0,0,0,0,0,0,0,0,0
N10,2,0,0,0,0,0,0,0,0,0
"""


def _ingest(ws, path, **kw):
    return ingest(ws, [path], agency=AGENCY, country="GB", progress=False, **kw)


def _graph(ws) -> nx.Graph:
    ents = ws.entities().set_index("entity_id").label
    g = nx.Graph()
    g.add_nodes_from(ents)
    for link in ws.links().itertuples():
        g.add_edge(ents[link.source], ents[link.target], weight=link.weight)
    return g


def test_symmetric_matrix_matches_networkx(ws, tmp_path):
    path = write(tmp_path, "network.csv", MATRIX)
    assert detect_format(path) == "matrix"
    report = _ingest(ws, path)
    reference = nx.from_pandas_adjacency(pd.read_csv(io.StringIO(MATRIX), index_col=0))
    got = _graph(ws)
    assert set(got.nodes) == set(reference.nodes)  # N09, an isolate, is a node too
    assert {frozenset(e) for e in got.edges} == {frozenset(e) for e in reference.edges}
    assert all(got.edges[u, v]["weight"] == reference.edges[u, v]["weight"] for u, v in reference.edges)
    row = report.sources.iloc[0]
    # records: 10 nodes + one per tie of the upper triangle
    assert (row.read, row.accepted, row.quarantined, row.links) == (10 + 10, 20, 0, 10)
    links = ws.links()
    assert set(links.kind) == {"associate_of"} and not links.directed.any()
    assert set(ws.entities().kind) == {"person"}
    assert record_id("E", AGENCY, "person:N01") in set(ws.entities().entity_id)


def test_asymmetric_matrix_gives_directed_links_and_quarantines_bad_cells(ws, tmp_path):
    path = write(tmp_path, "m.csv", ";A;B;C\nA;0;2;3\nB;0;0;x\nC;1;0;4\n")
    report = _ingest(ws, path, format="matrix", mapping=None)
    links = ws.links()
    ents = ws.entities().set_index("entity_id").label
    ties = {(ents[s], ents[t]): w for s, t, w in zip(links.source, links.target, links.weight)}
    # who called whom is kept, even with an undirected kind: A->C and C->A stay two directed links;
    # B->C is quarantined; C-C is on the diagonal
    assert ties == {("A", "B"): 2.0, ("A", "C"): 3.0, ("C", "A"): 1.0}
    assert links.directed.all()
    q = report.quarantine.set_index("locator").reason
    assert "'x' is not a number" in q["line 3, column C"]
    assert "diagonal" in q["line 4, column C"]
    row = report.sources.iloc[0]
    assert row.read == row.accepted + row.quarantined == 3 + 5


def test_directed_link_kind_from_mapping(ws, tmp_path):
    path = write(tmp_path, "m.csv", ",A,B\nA,0,1\nB,0,0\n")
    write(tmp_path, "m.mapping.yaml", "format: matrix\nnode_kind: organisation\nlink_kind: controls\n")
    _ingest(ws, path)
    link = ws.links().iloc[0]
    ents = ws.entities().set_index("entity_id")
    assert (link.kind, link.directed, ents.label[link.source], ents.label[link.target]) == ("controls", True, "A", "B")
    assert set(ents.kind) == {"organisation"}


@pytest.mark.parametrize("text, message", [
    (",A,B\nA,0,1\nC,1,0\n", "not a square labelled adjacency matrix"),
    (",A,A\nA,0,1\nA,1,0\n", "duplicate column names"),
])
def test_not_a_matrix(ws, tmp_path, text, message):
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(InputError, match=message):
        _ingest(ws, path, format="matrix")


def test_edge_list(ws, tmp_path):
    path = write(tmp_path, "ties.csv", "source,target,weight\nA,B,2\nB,A,1\nB,C,\nC,,1\nD,D,1\nA,C,0\nA,D,x\n")
    report = _ingest(ws, path)
    row = report.sources.iloc[0]
    assert (row.format, row.read, row.accepted, row.quarantined) == ("edgelist", 7, 3, 4)
    got = _graph(ws)
    # A-B and B-A are one undirected tie whose weight adds up; an empty weight counts 1
    assert {frozenset(e): d["weight"] for *e, d in [(u, v, d) for u, v, d in got.edges(data=True)]} == {
        frozenset("AB"): 3.0, frozenset("BC"): 1.0}
    q = report.quarantine.set_index("locator").reason
    assert "missing" in q["line 5"] and "self-loop" in q["line 6"] and "positive" in q["line 7"]
    assert "not a number" in q["line 8"]


def test_edge_list_kind_column_and_renames(ws, tmp_path):
    path = write(tmp_path, "ties.csv", "van\tnaar\tsoort\nA\tB\tfamilie\nB\tC\tvriend\nC\tD\tunknown_kind\n")
    write(tmp_path, "ties.mapping.yaml", "format: edgelist\ncolumns: {source: van, target: naar, kind: soort}\n"
                                         "kinds: {familie: family_of, vriend: associate_of}\n")
    report = _ingest(ws, path)
    assert sorted(ws.links().kind) == ["associate_of", "family_of"]
    assert "unknown link kind 'unknown_kind'" in report.quarantine.reason.iloc[0]


def test_a_large_matrix_is_recognised_from_its_first_rows(ws, tmp_path):
    n = 400  # wider than the head read to recognise formats
    labels = [f"N{i:03d}" for i in range(n)]
    lines = ["," + ",".join(labels)]
    for i, label in enumerate(labels):
        lines.append(label + "," + ",".join("1" if abs(i - j) == 1 else "0" for j in range(n)))
    path = write(tmp_path, "chain.csv", "\n".join(lines) + "\n")
    assert path.stat().st_size > 1 << 18
    assert detect_format(path) == "matrix"
    report = _ingest(ws, path)
    assert (report.sources.iloc[0].links, report.sources.iloc[0].entities) == (n - 1, n)


def test_matrix_with_trailing_delimiters_and_empty_cells(ws, tmp_path):
    # as spreadsheets export it: a delimiter at the end of each line, empty cells for no tie
    path = write(tmp_path, "export.csv", ",A,B,C,\nA,,1,,\nB,1,,2,\nC,,2,,\n")
    report = _ingest(ws, path)
    assert report.sources.iloc[0].format == "matrix"
    assert sorted((*sorted((u, v)), w) for u, v, w in _graph(ws).edges(data="weight")) == \
        [("A", "B", 1.0), ("B", "C", 2.0)]
