"""Planted-partition graphs: mixing as asked, communities a reference detects, determinism, speed of scale."""

import igraph as ig
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import normalized_mutual_info_score

from netintel.synth.graphs import mixing, planted_partition_graph


@pytest.mark.parametrize("mu", [0.1, 0.3])
def test_mixing_is_what_was_asked(mu):
    edges, truth = planted_partition_graph(20_000, seed=4, mu=mu)
    assert abs(mixing(edges, truth) - mu) < 0.025
    assert abs(mixing(edges, truth, weighted=True) - mu) < 0.03
    assert abs(len(edges) - 20_000) < 0.05 * 20_000


def test_simple_graph_with_power_law_degrees():
    edges, truth = planted_partition_graph(20_000, seed=2)
    g = nx.from_pandas_edgelist(edges, "source", "target")
    assert nx.number_of_selfloops(g) == 0 and g.number_of_edges() == len(edges)
    deg = np.array([d for _, d in g.degree()])
    assert abs(deg.mean() - 10) < 1.0
    assert deg.max() > 4 * deg.mean()  # heavy tail
    sizes = truth.value_counts()
    assert sizes.min() >= 15 and sizes.max() > 3 * sizes.min()
    assert (edges.source < edges.target).all() and (edges.weight >= 1).all()


def test_communities_are_recoverable_by_a_reference():
    edges, truth = planted_partition_graph(10_000, seed=3, mu=0.1)
    g = nx.from_pandas_edgelist(edges, "source", "target", edge_attr="weight")
    found = nx.community.louvain_communities(g, weight="weight", seed=1)
    label = {n: i for i, c in enumerate(found) for n in c}
    nodes = sorted(g.nodes)
    score = normalized_mutual_info_score(truth.loc[nodes], [label[n] for n in nodes])
    assert score > 0.9


def test_deterministic():
    a = planted_partition_graph(5_000, seed=9)
    b = planted_partition_graph(5_000, seed=9)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_series_equal(a[1], b[1])
    c = planted_partition_graph(5_000, seed=10)
    assert not a[0].equals(c[0])


def test_scales_to_a_hundred_thousand_links_quickly():
    edges, truth = planted_partition_graph(100_000, seed=1)
    assert len(truth) == edges[["source", "target"]].to_numpy().max() + 1 or len(truth) > 19_000
    g = ig.Graph(n=len(truth), edges=edges[["source", "target"]].to_numpy())
    assert g.is_simple()
