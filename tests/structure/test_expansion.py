"""Clique and star expansions against dense H W H^T and the bipartite block matrix."""
import torch
from hypothesis import given

from _hg_reference import F64, SETTINGS, dense_H, hypergraphs
from hgnn.structure import Hypergraph, clique_expansion, star_expansion


def _densify(edge_index, n, value=None):
    value = torch.ones(edge_index.size(1), dtype=F64) if value is None else value.to(F64)
    return torch.zeros(n, n, dtype=F64).index_put_(tuple(edge_index), value, accumulate=True)


@SETTINGS
@given(hg=hypergraphs())
def test_clique_expansion_is_off_diagonal_of_HWHt(hg):
    edge_index, weight = clique_expansion(hg)
    n = hg.num_nodes
    assert edge_index.dtype == torch.long and edge_index.shape == (2, weight.numel())
    H = dense_H(hg)
    expected = H @ torch.diag(hg.edge_weight.to(F64)) @ H.t()
    expected.fill_diagonal_(0)
    torch.testing.assert_close(_densify(edge_index, n, weight), expected)
    u, v = edge_index
    assert (u != v).all()  # no self-loops
    key = u * max(n, 1) + v
    assert (key[1:] > key[:-1]).all()  # sorted by (u, v), no duplicates
    # support: exactly the pairs sharing a hyperedge (zero-weight hyperedges may add explicit zeros)
    co = (H @ H.t()).fill_diagonal_(0) > 0
    assert torch.equal(_densify(edge_index, n) > 0, co)
    assert torch.equal(_densify(edge_index, n), _densify(edge_index, n).t())  # both directions


def test_clique_expansion_small_example():
    hg = Hypergraph.from_edge_list([[0, 1, 2], [1, 2], [3]], edge_weight=torch.tensor([1.0, 2.0, 5.0]), num_nodes=5)
    edge_index, weight = hg.clique_expansion()
    assert edge_index.tolist() == [[0, 0, 1, 1, 2, 2], [1, 2, 0, 2, 0, 1]]
    assert weight.tolist() == [1.0, 1.0, 1.0, 3.0, 1.0, 3.0]


@SETTINGS
@given(hg=hypergraphs())
def test_star_expansion_is_bipartite(hg):
    n, m, nnz = hg.num_nodes, hg.num_edges, hg.num_incidences
    edge_index = star_expansion(hg)
    assert edge_index.shape == (2, 2 * nnz) and edge_index.dtype == torch.long
    nodes, edges = hg.hyperedge_index
    assert torch.equal(edge_index[:, :nnz], torch.stack([nodes, edges + n]))
    assert torch.equal(edge_index[:, nnz:], torch.stack([edges + n, nodes]))
    H = dense_H(hg)
    block = torch.zeros(n + m, n + m, dtype=F64)
    block[:n, n:] = H
    block[n:, :n] = H.t()
    torch.testing.assert_close(_densify(edge_index, n + m), block)
    assert torch.equal(hg.star_expansion(), edge_index)
