"""The fused per-incidence MLP of ED-HNN against the concatenated form it replaces."""
from __future__ import annotations

import pytest
import torch

from hgnn import Hypergraph
from hgnn.nn.conv.edhnn_conv import pair_mlp_aggregate
from hgnn.nn.set import SetMLP
from hgnn.ops import scatter
from tests.nn.conv.test_convs import make_hypergraph


def concatenated(mlp: SetMLP, x, m, hg: Hypergraph, aggr: str):
    nodes, edges = hg.hyperedge_index
    return scatter(mlp(torch.cat([x[nodes], m[edges]], -1)), nodes, hg.num_nodes, aggr)


def make(layers, norm, input_norm, n1=5, n2=4, dtype=torch.float64, dropout=0.0):
    torch.manual_seed(layers)
    mlp = SetMLP(n1 + n2, 6, 3, layers, dropout, norm, input_norm).to(dtype)
    with torch.no_grad():  # non-trivial affine parameters of the layer norms
        for name, p in mlp.named_parameters():
            if "norm" in name:
                p.add_(0.3 * torch.randn_like(p))
    return mlp


CASES = [(layers, norm, input_norm, aggr) for layers in (1, 2, 3) for norm, input_norm in
         (("ln", True), ("ln", False), (None, False)) for aggr in ("mean", "sum")]


@pytest.mark.parametrize("layers,norm,input_norm,aggr", CASES)
def test_equals_concatenation_values_and_gradients(layers, norm, input_norm, aggr):
    mlp = make(layers, norm, input_norm).eval()
    hg = make_hypergraph(torch.float64)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(9, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    m = torch.randn(6, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    out, ref = pair_mlp_aggregate(mlp, x, m, hg, aggr), concatenated(mlp, x, m, hg, aggr)
    torch.testing.assert_close(out, ref, atol=1e-12, rtol=1e-10)
    assert out[8].abs().max() == 0  # node 8 is in no hyperedge
    upstream = torch.randn_like(out)
    params = [x, m, *mlp.parameters()]
    grads = torch.autograd.grad((out * upstream).sum(), params)
    grads_ref = torch.autograd.grad((ref * upstream).sum(), params)
    for g, r in zip(grads, grads_ref):
        torch.testing.assert_close(g, r, atol=1e-10, rtol=1e-8)


def test_training_mode_draws_the_same_dropout():
    mlp = make(3, "ln", True, dropout=0.4, dtype=torch.float32).train()
    hg = make_hypergraph()
    x, m = torch.randn(9, 5), torch.randn(6, 4)
    torch.manual_seed(9)
    out = pair_mlp_aggregate(mlp, x, m, hg, "mean")
    torch.manual_seed(9)
    torch.testing.assert_close(out, concatenated(mlp, x, m, hg, "mean"), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("offset", [0.0, 1e2, 1e4])
def test_float32_rounding_like_the_concatenation(offset):
    """Each part is centred by its own mean: under a common offset the fused float32 result is about
    as close to the float64 value as the concatenated float32 one (which also subtracts the mean)."""
    mlp = make(2, "ln", True, dtype=torch.float32).eval()
    hg = make_hypergraph()
    gen = torch.Generator().manual_seed(4)
    x, m = torch.randn(9, 5, generator=gen) + offset, torch.randn(6, 4, generator=gen) + offset
    exact = concatenated(mlp.double(), x.double(), m.double(), hg, "mean")
    mlp.float()
    fused = (pair_mlp_aggregate(mlp, x, m, hg, "mean").double() - exact).abs().max()
    plain = (concatenated(mlp, x, m, hg, "mean").double() - exact).abs().max()
    assert fused <= 4 * plain + 1e-6, (fused, plain)


def test_empty_and_memberless():
    mlp = make(2, "ln", True).eval()
    x, m = torch.randn(4, 5, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    empty = Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=4, num_edges=2)
    out = pair_mlp_aggregate(mlp, x, m, empty, "sum")
    assert out.shape == (4, 3) and out.abs().max() == 0
