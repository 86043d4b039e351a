import pytest
import torch

from hgnn import Hypergraph
from hgnn.distill import topology_score


def test_matches_the_reference_loop():
    torch.manual_seed(0)
    edges = [[0, 1, 2], [2, 3], [3, 4, 5, 6], [1, 6], [7]]
    hg = Hypergraph.from_edge_list(edges, num_nodes=9)       # node 8 is isolated: ignored
    h = torch.randn(9, 5)
    per_edge = []
    for members in edges:
        centre = h[members].mean(0)
        per_edge.append(torch.stack([(centre - h[v]).norm() for v in members]).mean())
    assert topology_score(h, hg) == pytest.approx(float(torch.stack(per_edge).mean()), rel=1e-6)


def test_zero_when_every_hyperedge_agrees():
    hg = Hypergraph.from_edge_list([[0, 1], [2, 3]], num_nodes=4)
    h = torch.tensor([[1.0, 2.0], [1.0, 2.0], [5.0, 0.0], [5.0, 0.0]])
    assert topology_score(h, hg) == 0.0


def test_rejects_bad_input():
    hg = Hypergraph.from_edge_list([[0, 1]], num_nodes=2)
    with pytest.raises(ValueError, match="embedding"):
        topology_score(torch.zeros(3, 2), hg)
    with pytest.raises(ValueError, match="no incidence"):
        topology_score(torch.zeros(2, 2), Hypergraph(torch.zeros(2, 0, dtype=torch.long), num_nodes=2, num_edges=0))
