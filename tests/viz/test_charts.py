import pandas as pd
import pytest

from netintel.viz.charts import community_overview, key_player_bars
from netintel.viz.linkchart import link_chart
from netintel.viz.style import save


@pytest.fixture
def players():
    return pd.DataFrame({"id": [f"N{i}" for i in range(30)], "label": [f"Person {i}" for i in range(30)],
                         "pagerank": [1 / (i + 1) for i in range(30)], "countries": [["NL"]] * 30})


def test_key_players_shows_top_entities_best_first(players):
    fig = key_player_bars(players, score="pagerank", top=10, caveat="TLP:RED", pseudonyms={"N0": "PERSON-001"})
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(ticks) == 10 and ticks[-1] == "PERSON-001 (NL)", "best at the top, pseudonym used"
    texts = [t.get_text() for t in fig.texts]
    assert texts.count("TLP:RED") == 2, "caveat banner at top and bottom"
    assert any("top 10 of 30" in t for t in texts), "says what was left out"


def test_community_overview_labels_typology():
    summary = pd.DataFrame({"community": [0, 1, 2], "size": [40, 12, 7],
                            "typology": ["human_smuggling", "cybercrime", "other"], "probability": [0.9, 0.8, 0.6]})
    fig = community_overview(summary)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "  human smuggling (90%)" in texts


def test_link_chart_aggregates_large_graphs_and_says_so(tmp_path):
    n = 300
    nodes = pd.DataFrame({"id": range(n), "kind": "person", "label": [f"P{i}" for i in range(n)]})
    edges = pd.DataFrame({"source": range(n - 1), "target": range(1, n), "kind": "call", "weight": 1.0})
    fig = link_chart(nodes, edges, communities={i: i // 50 for i in range(n)}, max_nodes=100)
    assert any("aggregated: 300 entities shown as 6 communities" in t.get_text() for t in fig.texts)
    paths = save(fig, tmp_path / "chart", formats=("png", "svg", "pdf"))
    assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"] and all(p.stat().st_size > 1000 for p in paths)


def test_saved_charts_are_byte_identical_run_to_run(tmp_path, players):
    a = save(key_player_bars(players, score="pagerank"), tmp_path / "a", formats=("png", "svg", "pdf"))
    b = save(key_player_bars(players, score="pagerank"), tmp_path / "b", formats=("png", "svg", "pdf"))
    for x, y in zip(a, b):
        assert x.read_bytes() == y.read_bytes(), x.suffix
