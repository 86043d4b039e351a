import pytest
import torch
from torch_geometric.nn import HypergraphConv

from hgnn import Hypergraph
from hgnn.models import EHGNN
from hgnn.nn import EHGNNConv
from hgnn.transforms import dual_hypergraph

F64 = torch.float64


def dense_incidence(hg: Hypergraph) -> torch.Tensor:
    h = torch.zeros(hg.num_nodes, hg.num_edges, dtype=F64)
    h.index_put_(tuple(hg.hyperedge_index), torch.ones(hg.num_incidences, dtype=F64), accumulate=True)
    return h


def test_matches_the_dense_formula_with_weights():
    gen = torch.Generator().manual_seed(0)
    index = torch.tensor([[0, 1, 2, 2, 3, 0, 4], [0, 0, 0, 1, 1, 2, 2]])
    w = torch.rand(4, generator=gen, dtype=F64) + 0.5  # hyperedge 3 is empty, node 5 isolated
    hg = Hypergraph(index, num_nodes=6, num_edges=4, edge_weight=w)
    conv = EHGNNConv(3, 2).double()
    torch.nn.init.normal_(conv.bias)
    x = torch.randn(6, 3, generator=gen, dtype=F64)
    h = dense_incidence(hg)
    b_inv = torch.diag(torch.nan_to_num(1 / h.sum(0), posinf=0.0))
    d_inv = torch.diag(torch.nan_to_num(1 / (h @ w), posinf=0.0))
    expected = d_inv @ h @ torch.diag(w) @ b_inv @ h.t() @ x @ conv.lin.weight.t() + conv.bias
    torch.testing.assert_close(conv(x, hg), expected)


def test_matches_pyg_hypergraphconv_on_unit_weights():
    gen = torch.Generator().manual_seed(1)
    edge_index = torch.randint(0, 12, (2, 40), generator=gen)
    dual = dual_hypergraph(edge_index, 12, add_loops=True)
    x = torch.randn(40, 5, generator=gen)
    ours, pyg = EHGNNConv(5, 4), HypergraphConv(5, 4)
    with torch.no_grad():
        pyg.lin.weight.copy_(ours.lin.weight)
        pyg.bias.copy_(torch.randn(4, generator=gen))
        ours.bias.copy_(pyg.bias)
    torch.testing.assert_close(ours(x, dual), pyg(x, dual.hyperedge_index, num_edges=dual.num_edges), atol=1e-5,
                               rtol=1e-5)


def test_edge_representations_of_an_edgeless_graph():
    out = EHGNN(3, 8)(torch.empty(0, 3), torch.empty(2, 0, dtype=torch.long), num_nodes=4)
    assert out.shape == (0, 8)


def test_ehgnn_is_equivariant_to_edge_order():
    gen = torch.Generator().manual_seed(2)
    edge_index = torch.randint(0, 9, (2, 25), generator=gen)
    e = torch.randn(25, 3, generator=gen)
    net = EHGNN(3, 6, num_layers=2).eval()
    perm = torch.randperm(25, generator=gen)
    torch.testing.assert_close(net(e, edge_index, 9)[perm], net(e[perm], edge_index[:, perm], 9), atol=1e-5, rtol=1e-5)


def test_rejects_wrong_width():
    with pytest.raises(ValueError, match=r"shape \[num_nodes, 3\]"):
        EHGNNConv(3, 2)(torch.randn(4, 2), torch.tensor([[0, 1], [0, 0]]))
