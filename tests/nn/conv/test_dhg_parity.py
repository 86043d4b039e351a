"""HGNNConv / HGNNPConv agree with DHG's layers when given the same weights (DHG 0.9.7)."""
from __future__ import annotations

import pytest
import torch

from hgnn import Hypergraph
from hgnn.nn import HGNNConv, HGNNPConv

dhg = pytest.importorskip("dhg", reason="DHG is a test-time reference: pip install dhg==0.9.7")

EDGES = [[0, 1, 2], [2, 3, 4], [4, 5], [6, 7, 0, 1], [3, 8], [1, 5, 7]]
WEIGHTS = [0.5, 1.0, 2.0, 1.5, 0.7, 1.0]  # node 9 is isolated


@pytest.mark.parametrize(
    "ours, theirs", [(HGNNConv, "HGNNConv"), (HGNNPConv, "HGNNPConv")], ids=["hgnn", "hgnnp"]
)
@pytest.mark.parametrize("weighted", [False, True])
def test_same_output_and_gradients_as_dhg(ours, theirs, weighted):
    torch.manual_seed(0)
    kwargs = {"e_weight": WEIGHTS} if weighted else {}
    reference_graph = dhg.Hypergraph(10, EDGES, **kwargs)
    hg = Hypergraph.from_edge_list(
        EDGES, num_nodes=10, edge_weight=torch.tensor(WEIGHTS) if weighted else None
    )
    reference = getattr(dhg.nn, theirs)(6, 4, is_last=True)
    conv = ours(6, 4)
    conv.lin.load_state_dict(reference.theta.state_dict())
    x = torch.randn(10, 6, requires_grad=True)
    expected = reference(x, reference_graph)
    out = conv(x, hg)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    (grad_ours,) = torch.autograd.grad(out.square().sum(), x)
    (grad_theirs,) = torch.autograd.grad(expected.square().sum(), x)
    torch.testing.assert_close(grad_ours, grad_theirs, atol=1e-5, rtol=1e-5)
