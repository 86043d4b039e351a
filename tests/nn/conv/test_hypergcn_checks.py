"""hypergcn_graph and HyperGCNConv's ``graph=``: non-finite features and malformed user graphs fail
early with a ValueError / TypeError naming the argument."""
from __future__ import annotations

import pytest
import torch

from hgnn import Hypergraph
from hgnn.nn.conv import HyperGCNConv, hypergcn_graph
from hgnn.nn.conv.hypergcn_conv import HyperGCNGraph

pytestmark = pytest.mark.usefixtures("one_thread")


def _hypergraph() -> Hypergraph:
    return Hypergraph.from_edge_list([[0, 1, 2], [2, 3, 4], [4, 0]], num_nodes=5)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("rows", ["all", "one"])
def test_hypergcn_graph_refuses_non_finite_x(bad, rows):
    x = torch.randn(5, 3)
    if rows == "all":
        x.fill_(bad)
    else:
        x[2, 1] = bad
    with pytest.raises(ValueError, match="x holds NaN or inf"):
        hypergcn_graph(x, _hypergraph())
    with pytest.raises(ValueError, match="x holds NaN or inf"):
        hypergcn_graph(x, _hypergraph(), mediators=True)


def test_hypergcn_conv_refuses_non_finite_features_before_indexing():
    conv = HyperGCNConv(3, 4)
    with pytest.raises(ValueError, match="x holds NaN or inf"):
        conv(torch.full((5, 3), float("nan")), _hypergraph())


def test_hypergcn_graph_checks_x_shape_and_projection():
    with pytest.raises(ValueError, match=r"x must have one row per node of hg \(\[5, F\]\)"):
        hypergcn_graph(torch.randn(4, 3), _hypergraph())
    with pytest.raises(ValueError, match="projection holds NaN or inf"):
        hypergcn_graph(torch.randn(5, 3), _hypergraph(), projection=torch.tensor([1.0, float("nan"), 0.0]))


@pytest.mark.parametrize("weight,error,match", [
    (torch.tensor([-1.0, 1.0]), ValueError, "edge_weight must be non-negative"),
    (torch.tensor([float("nan"), 1.0]), ValueError, "edge_weight holds NaN or inf"),
    (torch.tensor([float("inf"), 1.0]), ValueError, "edge_weight holds NaN or inf"),
    (torch.tensor([1, 1]), TypeError, "edge_weight must be a floating tensor"),
])
def test_user_graph_weights_are_checked(weight, error, match):
    x, pairs = torch.randn(5, 3), torch.tensor([[0, 2], [1, 4]])
    for graph in ((pairs, weight), HyperGCNGraph(pairs, weight)):
        with pytest.raises(error, match=match):
            HyperGCNConv(3, 4)(x, _hypergraph(), graph=graph)


def test_user_graph_node_ids_are_checked_and_a_kept_graph_rechecked_after_an_edit():
    x, conv = torch.randn(5, 3), HyperGCNConv(3, 4)
    with pytest.raises(ValueError, match="node ids >= 0"):
        conv(x, _hypergraph(), graph=(torch.tensor([[0, -1], [1, 4]]), torch.ones(2)))
    graph = HyperGCNGraph(torch.tensor([[0, 2], [1, 4]]), torch.ones(2))
    conv(x, _hypergraph(), graph=graph)
    assert graph._checked is not None
    conv(x, _hypergraph(), graph=graph)  # unchanged: the kept check is reused
    graph[1][0] = -2.0
    with pytest.raises(ValueError, match="non-negative"):
        conv(x, _hypergraph(), graph=graph)
    graph[1][0] = 1.0
    graph[0][1, 1] = 5
    with pytest.raises(ValueError, match="node id 5 but x has 5 rows"):
        conv(x, _hypergraph(), graph=graph)
