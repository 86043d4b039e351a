"""The normalised GCN operator that a HyperGCN graph keeps: the same numbers and gradients as a
dense reference and as the pair normalised at every call, rebuilt after in-place edits, skipped
for learnable edge weights."""
from __future__ import annotations

import copy
import pickle

import pytest
import torch

import hgnn.nn.conv.hypergcn_conv as hypergcn_conv
from hgnn.nn.conv.hypergcn_conv import HyperGCNGraph, gcn_smoothing

N = 7
# parallel edges {0, 1} (both orders), a self pair {2, 2}, a zero-weight pair, node 6 isolated
PAIRS = torch.tensor([[0, 1, 2, 2, 4, 3, 5, 1], [1, 0, 0, 2, 5, 3, 3, 4]])
WEIGHT = torch.tensor([0.5, 1.5, 0.7, 0.4, 1.2, 0.9, 0.0, 2.0])


def dense_operator(pairs: torch.Tensor, weight: torch.Tensor, n: int = N) -> torch.Tensor:
    r""":math:`\hat D^{-1/2} (A + I) \hat D^{-1/2}` as a dense float64 matrix, pair by pair."""
    a = torch.zeros(n, n, dtype=torch.float64)
    a = a.index_put((pairs[0], pairs[1]), weight.double(), accumulate=True)
    a = a + a.t() + torch.eye(n, dtype=torch.float64)
    s = a.sum(1).pow(-0.5)
    return s[:, None] * a * s[None, :]


def _no_gather(*args, **kwargs):
    raise AssertionError("the kept operator should have been used")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_kept_operator_equals_dense_reference_forward_and_backward(dtype, monkeypatch):
    torch.manual_seed(0)
    x = torch.randn(N, 5, dtype=dtype, requires_grad=True)
    upstream = torch.randn(N, 5, dtype=dtype)
    tol = {"atol": 1e-5, "rtol": 1e-5} if dtype == torch.float32 else {"atol": 1e-12, "rtol": 1e-12}
    expected = dense_operator(PAIRS, WEIGHT) @ x.double()
    (expected_grad,) = torch.autograd.grad(expected, x, upstream.double())
    plain = gcn_smoothing(x, (PAIRS, WEIGHT.to(dtype)))  # normalised at every call
    (plain_grad,) = torch.autograd.grad(plain, x, upstream)
    graph = HyperGCNGraph(PAIRS, WEIGHT.to(dtype))
    with monkeypatch.context() as patch:
        patch.setattr(hypergcn_conv, "_gather_smoothing", _no_gather)
        for _ in range(2):  # built on the first call, reused on the second
            out = gcn_smoothing(x, graph)
            (grad,) = torch.autograd.grad(out, x, upstream)
            torch.testing.assert_close(out, expected.to(dtype), **tol)
            torch.testing.assert_close(grad, expected_grad.to(dtype), **tol)
            torch.testing.assert_close(out, plain, **tol)
            torch.testing.assert_close(grad, plain_grad, **tol)
    assert graph.operator(N, dtype) is graph.operator(N, dtype)
    torch.testing.assert_close(graph.operator(N, dtype).to_dense(), dense_operator(PAIRS, WEIGHT).to(dtype), **tol)


def test_native_backend_and_low_precision_skip_the_operator():
    torch.manual_seed(1)
    x = torch.randn(N, 3)
    graph = HyperGCNGraph(PAIRS, WEIGHT)
    expected = (dense_operator(PAIRS, WEIGHT) @ x.double()).float()
    torch.testing.assert_close(gcn_smoothing(x, graph, backend="native"), expected)
    half = gcn_smoothing(x.bfloat16(), graph)  # summed in float32 through the float32 operator
    assert half.dtype == torch.bfloat16
    torch.testing.assert_close(half.float(), expected, atol=0.05, rtol=0.05)


def test_operator_is_rebuilt_after_in_place_edits():
    torch.manual_seed(2)
    x = torch.randn(N, 3, dtype=torch.float64)
    weight = WEIGHT.double().clone()
    graph = HyperGCNGraph(PAIRS.clone(), weight)
    first = gcn_smoothing(x, graph)
    weight.mul_(3.0)
    torch.testing.assert_close(gcn_smoothing(x, graph), dense_operator(PAIRS, weight) @ x)
    graph[0][1, 0] = 6  # pair {0, 1} becomes {0, 6}
    moved = PAIRS.clone()
    moved[1, 0] = 6
    torch.testing.assert_close(gcn_smoothing(x, graph), dense_operator(moved, weight) @ x)
    assert not torch.allclose(first, gcn_smoothing(x, graph))


def test_learnable_edge_weights_get_their_gradient():
    torch.manual_seed(3)
    x = torch.randn(N, 4, dtype=torch.float64)
    weight = WEIGHT.double().clone().requires_grad_()
    out = gcn_smoothing(x, HyperGCNGraph(PAIRS, weight))
    (grad,) = torch.autograd.grad(out.square().sum(), weight)
    reference = weight.detach().clone().requires_grad_()
    (expected,) = torch.autograd.grad((dense_operator(PAIRS, reference) @ x).square().sum(), reference)
    torch.testing.assert_close(grad, expected)
    assert grad.abs().sum() > 0


def test_copies_and_pickles_keep_the_pair():
    x = torch.randn(N, 2)
    graph = HyperGCNGraph(PAIRS, WEIGHT)
    out = gcn_smoothing(x, graph)
    for other in (copy.deepcopy(graph), pickle.loads(pickle.dumps(graph))):
        assert isinstance(other, HyperGCNGraph) and len(other) == 2
        assert torch.equal(other[0], PAIRS) and torch.equal(other[1], WEIGHT)
        torch.testing.assert_close(gcn_smoothing(x, other), out)
