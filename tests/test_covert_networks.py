"""The published covert networks in ``../shared/validation/covert-networks``: each file ingested as a
user would (``netintel ingest``), then communities, key players and key players per network, with
degrees checked against the matrix read independently with pandas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from netintel import Workspace
from netintel.analysis import community_key_players, key_players
from netintel.cli import main
from netintel.communities import detect_communities
from netintel.graph import build_graph

FOLDER = Path(__file__).resolve().parents[1] / ".." / "shared" / "validation" / "covert-networks"
FILES = sorted(FOLDER.glob("*.csv")) if FOLDER.is_dir() else []


def _matrix(path: Path) -> pd.DataFrame:
    m = pd.read_csv(path, index_col=0, encoding="utf-8-sig")
    m.index = m.index.map(lambda x: str(x).strip())
    m.columns = [str(c).strip() for c in m.columns]
    return m.fillna(0)


def test_the_published_networks_are_beside_the_project():
    # without them the test below would have no cases and pass by running nothing
    assert len(FILES) >= 10, (f"the published covert networks are not at {FOLDER.resolve()}: the project expects "
                              "the shared validation data beside its folder (../shared/validation/covert-networks)")


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_covert_network_file(path, tmp_path, capsys):
    db = tmp_path / "case.duckdb"
    assert main(["ingest", str(path), "-w", str(db), "--agency", "Research", "--country", "GB"]) == 0
    capsys.readouterr()
    m = _matrix(path)
    two_mode = not set(m.index) & set(m.columns)
    with Workspace(db, read_only=True) as ws:
        ents = ws.entities()
        assert (ents["kind"] == "person").sum() == len(m)
        if two_mode:  # people x meetings: one event entity per column
            assert (ents["kind"] == "event").sum() == m.shape[1]
        graph = build_graph(ws)
        comms = detect_communities(graph, seed=0)
        assert comms.n_communities >= 1 and set(comms.membership["id"]) <= set(graph.nodes["id"])
        view = graph.person_view()
        kp = key_players(view, measures=["degree", "betweenness"], seed=0).table
        leaders = community_key_players(view, comms, top=3, seed=0)
        assert leaders.groupby("community")["community_rank"].max().le(3).all()
    if not two_mode:
        # distinct neighbours of each node, from the matrix itself (either direction of a tie)
        ties = (m.to_numpy() != 0) | (m.to_numpy().T != 0)
        expected = dict(zip(m.index, ties.sum(axis=1) - ties.diagonal()))
        got = dict(zip(kp["label"].astype(str), kp["degree"]))
        assert {k: got.get(k, 0) for k in expected} == expected


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_covert_network_as_an_edge_list_workbook(path, tmp_path):
    # data we did not write, as an analyst would get it in a sheet (names as text, tie strengths as
    # number cells): the workbook's bulk path gives what its record path gives, and the links of the
    # same edges as a CSV
    from test_bulk import _both, _frame, _same

    from netintel.ingest.edgelist import load_edgelist
    from netintel.workspace import Columns

    m = _matrix(path)
    edges = m.stack().reset_index()
    edges.columns = ["source", "target", "weight"]
    edges = edges[(edges["weight"] != 0) & (edges["source"] != edges["target"])]
    edges.to_excel(tmp_path / "ties.xlsx", index=False)
    edges.to_csv(tmp_path / "ties.csv", index=False)
    bulk, record = _both(load_edgelist, tmp_path / "ties.xlsx", None)
    assert isinstance(bulk.links, Columns) and bulk.n_read == len(edges) and bulk.n_quarantined == 0
    _same(bulk, record)
    from_csv = _both(load_edgelist, tmp_path / "ties.csv", None)[0]
    cols = ["link_id", "kind", "weight", "count"]
    pd.testing.assert_frame_equal(_frame(bulk.links, "link_id")[cols], _frame(from_csv.links, "link_id")[cols])
