import pytest
import torch

from hgnn import Hypergraph
from hgnn.nn.conv import hgnn_smoothing
from hgnn.train.topology_repair import corrupt, soft_hgnn_operator, threshold_hypergraph

pytestmark = pytest.mark.usefixtures("one_thread")


def small():
    index = torch.tensor([[0, 1, 2, 2, 3, 4, 5, 0], [0, 0, 0, 1, 1, 2, 2, 3]])
    return Hypergraph(index, num_nodes=6, num_edges=4, x=torch.randn(6, 3), y=torch.tensor([0, 1, 0, 1, 0, 1]))


def test_soft_operator_on_a_binary_incidence_is_hgnn():
    hg = small()
    dense = torch.zeros(6, 4)
    dense[hg.hyperedge_index[0], hg.hyperedge_index[1]] = 1.0
    x = torch.randn(6, 5)
    torch.testing.assert_close(soft_hgnn_operator(dense, x), hgnn_smoothing(x, hg), atol=1e-5, rtol=1e-5)


def test_corruption_keeps_sizes_and_replaces_the_asked_fraction():
    hg = small()
    bad = corrupt(hg, 0.5, seed=0)
    assert bad.num_edges == hg.num_edges and bad.num_incidences == hg.num_incidences
    assert sorted(bad.edge_degree().tolist()) == sorted(hg.edge_degree().tolist())
    same = corrupt(hg, 0.0, seed=0)
    assert torch.equal(same.hyperedge_index, hg.hyperedge_index)
    with pytest.raises(ValueError, match="fraction"):
        corrupt(hg, 1.5)


def test_thresholding_drops_small_slots():
    prob = torch.tensor([[0.9, 0.9, 0.1], [0.8, 0.2, 0.1], [0.1, 0.1, 0.7]])
    hg = threshold_hypergraph(prob, Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=3, num_edges=0))
    assert hg.num_edges == 1 and hg.hyperedge_index.tolist() == [[0, 1], [0, 0]]
