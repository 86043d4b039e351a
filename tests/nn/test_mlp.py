"""hgnn.nn.MLP: shapes, the ignored hypergraph argument, dropout, re-initialisation, errors."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hgnn import Hypergraph
from hgnn.nn import MLP


def _x(n: int = 10, f: int = 5, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, f, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_output_shape_and_layers(num_layers):
    model = MLP(5, 3, hidden_channels=16, num_layers=num_layers)
    assert model(_x()).shape == (10, 3)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == num_layers
    assert linears[0].in_features == 5 and linears[-1].out_features == 3
    if num_layers > 1:
        assert linears[0].out_features == 16
    assert f"num_layers={num_layers}" in repr(model)


def test_single_layer_is_one_linear():
    model = MLP(5, 3, hidden_channels=16, num_layers=1, dropout=0.5)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 1 and (linears[0].in_features, linears[0].out_features) == (5, 3)
    x = _x()
    model.train()  # no hidden layer, so no dropout even in training mode
    assert torch.allclose(model(x), F.linear(x, linears[0].weight, linears[0].bias))


def test_hypergraph_argument_is_ignored():
    torch.manual_seed(0)
    model = MLP(5, 3).eval()
    x = _x()
    hg = Hypergraph.from_edge_list([[0, 1, 2], [3, 4]], num_nodes=10)
    with torch.no_grad():
        ref = model(x)
        assert torch.equal(model(x, hg), ref)
        assert torch.equal(model(x, None), ref)
        assert torch.equal(model(x, hg.hyperedge_index), ref)


def test_forward_matches_definition_in_eval():
    torch.manual_seed(0)
    model = MLP(5, 3, hidden_channels=8, num_layers=2).eval()
    x = _x()
    l1, l2 = model.lins
    expected = F.linear(F.relu(F.linear(x, l1.weight, l1.bias)), l2.weight, l2.bias)
    with torch.no_grad():
        assert torch.allclose(model(x), expected, atol=1e-6)


def test_dropout_only_in_training_mode():
    torch.manual_seed(0)
    model = MLP(5, 3, hidden_channels=64, dropout=0.5)
    x = _x(50)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    a, b = model(x), model(x)
    assert not torch.equal(a, b)
    no_drop = MLP(5, 3, hidden_channels=64, dropout=0.0).train()
    assert torch.equal(no_drop(x), no_drop(x))


def test_batch_norm():
    model = MLP(5, 3, hidden_channels=8, num_layers=3, use_bn=True)
    assert sum(isinstance(m, nn.BatchNorm1d) for m in model.modules()) == 2
    model.train()
    model(_x(20))
    assert not torch.equal(model.norms[0].running_mean, torch.zeros(8))
    model.reset_parameters()
    assert torch.equal(model.norms[0].running_mean, torch.zeros(8))
    assert not any(isinstance(m, nn.BatchNorm1d) for m in MLP(5, 3, num_layers=3).modules())


def test_reset_parameters_changes_weights():
    torch.manual_seed(0)
    model = MLP(5, 3, num_layers=3)
    before = [p.detach().clone() for p in model.parameters()]
    model.reset_parameters()
    after = list(model.parameters())
    assert len(after) == 6
    assert all(not torch.equal(b, a) for b, a in zip(before, after))


def test_gradients_reach_every_layer():
    model = MLP(5, 3, num_layers=3, dropout=0.0)
    model(_x()).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_constructor_errors():
    with pytest.raises(ValueError, match="num_layers must be >= 1, got 0"):
        MLP(5, 3, num_layers=0)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.0"):
        MLP(5, 3, dropout=1.0)
    with pytest.raises(ValueError, match="dropout must be in"):
        MLP(5, 3, dropout=-0.1)


def test_forward_errors():
    model = MLP(5, 3)
    with pytest.raises(ValueError, match=r"shape \[num_nodes, 5\]"):
        model(_x(10, 4))
    with pytest.raises(ValueError, match=r"shape \[num_nodes, 5\]"):
        model(torch.randn(5))
    with pytest.raises(TypeError, match="floating tensor"):
        model(torch.ones(10, 5, dtype=torch.long))
    with pytest.raises(TypeError, match="torch.Tensor"):
        model([[0.0] * 5])
