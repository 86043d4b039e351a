"""input_linear: the sparse product for bag-of-words inputs equals F.linear, values and gradients."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from hgnn.nn import feature_dropout, input_linear, remember_nonzeros
from hgnn.nn.sparse_input import known_positions, linear_forward


def bag_of_words(n=200, f=300, density=0.02, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, f, generator=g) < density).to(dtype) * torch.rand(n, f, generator=g, dtype=dtype)


def params(f=300, d=16, seed=1):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(d, f, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(d, generator=g, dtype=torch.float64, requires_grad=True)
    return w, b


@pytest.mark.parametrize("source", ["dropout-train", "dropout-eval", "remembered"])
def test_equals_dense_linear_with_gradients(source):
    x = bag_of_words()
    w, b = params()
    if source == "dropout-train":
        torch.manual_seed(0)
        x = feature_dropout(x, 0.4, True)
    elif source == "dropout-eval":
        feature_dropout(x, 0.4, True)  # training once records the input's positions
        x = feature_dropout(x, 0.4, False)
    else:
        remember_nonzeros(x)
    assert known_positions(x) is not None  # the sparse path is taken
    out, ref = input_linear(x, w, b), F.linear(x, w, b)
    torch.testing.assert_close(out, ref, atol=1e-12, rtol=1e-12)
    up = torch.randn_like(out)
    for g, r in zip(torch.autograd.grad((out * up).sum(), (w, b)), torch.autograd.grad((ref * up).sum(), (w, b))):
        torch.testing.assert_close(g, r, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(input_linear(x, w, None), F.linear(x, w), atol=1e-12, rtol=1e-12)


def test_unknown_dense_and_edited_inputs_use_the_dense_product(monkeypatch):
    w, b = params()
    calls = []
    real = torch.sparse.mm
    monkeypatch.setattr(torch.sparse, "mm", lambda *a: calls.append(1) or real(*a))
    fresh = bag_of_words(seed=3)
    torch.testing.assert_close(input_linear(fresh, w, b), F.linear(fresh, w, b))  # never scanned: dense
    dense = torch.rand(200, 300, dtype=torch.float64) + 0.1
    remember_nonzeros(dense)  # above 10% nonzero: nothing is remembered
    torch.testing.assert_close(input_linear(dense, w, b), F.linear(dense, w, b))
    assert calls == []
    x = remember_nonzeros(bag_of_words(seed=4))
    input_linear(x, w, b)
    assert calls == [1]
    x[5, 7] = 2.0  # an in-place edit: the remembered positions no longer hold
    torch.testing.assert_close(input_linear(x, w, b), F.linear(x, w, b))
    assert calls == [1]
    grad_x = bag_of_words(seed=5).requires_grad_()
    remember_nonzeros(grad_x.detach())
    out = input_linear(grad_x, w, b)
    out.sum().backward()
    assert grad_x.grad is not None  # an input that needs a gradient gets one (dense product)


def test_linear_forward_respects_hooks_and_subclasses():
    x = remember_nonzeros(bag_of_words(dtype=torch.float32))
    lin = torch.nn.Linear(300, 8)
    torch.testing.assert_close(linear_forward(lin, x), lin(x), atol=1e-5, rtol=1e-5)
    lin.register_forward_hook(lambda m, i, o: o * 0)
    assert linear_forward(lin, x).abs().max() == 0  # the hook ran

    class Doubled(torch.nn.Linear):
        def forward(self, inp):
            return 2 * super().forward(inp)

    doubled = Doubled(300, 8)
    torch.testing.assert_close(linear_forward(doubled, x), doubled(x))


def test_models_train_the_same_with_the_sparse_input_product(monkeypatch):
    """ED-HNN, AllSetTransformer, UniGAT and the attention network on bag-of-words inputs: the
    sparse first layer is taken and gives the dense result."""
    from hgnn import Hypergraph
    from hgnn.models import EDHNN, AllSetTransformer, HypergraphAttentionNet, UniGAT

    calls = []
    real = torch.sparse.mm
    monkeypatch.setattr(torch.sparse, "mm", lambda *a: calls.append(1) or real(*a))

    x = bag_of_words(60, 120, 0.03, dtype=torch.float32)
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3, 4, 5], [10, 11], [20, 30, 40, 50]], num_nodes=60)
    for model in (EDHNN(120, 3, 16), AllSetTransformer(120, 3, 16), UniGAT(120, 3, 16), HypergraphAttentionNet(120, 3, 16)):
        model.eval()
        feature_dropout(x, 0.5, True)  # records x's positions: the evaluation below is sparse
        calls.clear()
        out = model(x, hg)
        assert calls, type(model).__name__
        remembered = x.clone()  # an unknown tensor with the same values: dense
        torch.testing.assert_close(out, model(remembered, hg), atol=1e-5, rtol=1e-5)
