"""FastHyperGCN's kept graph: when the features are compared, when the graph is rebuilt, and the
kept normalised operator against the pair normalised at every call."""
from __future__ import annotations

import pytest
import torch

from hgnn import Hypergraph
from hgnn.models import HyperGCN

EDGES = [[0, 1, 2], [2, 3, 4], [4, 5], [6, 7, 0, 1], [3, 8], [1, 5, 7], [2, 4, 6, 8, 9]]


def _setup(seed: int = 0) -> tuple[HyperGCN, Hypergraph, torch.Tensor]:
    torch.manual_seed(seed)
    model = HyperGCN(6, 3, hidden_channels=8, mediators=True, fast=True)
    return model, Hypergraph.from_edge_list(EDGES, num_nodes=11), torch.randn(11, 6)


class _CountEquals:
    def __init__(self) -> None:
        self.calls = 0
        self.equal = torch.equal

    def __call__(self, a: torch.Tensor, b: torch.Tensor) -> bool:
        self.calls += 1
        return self.equal(a, b)


def test_the_same_tensor_is_not_compared_and_an_equal_one_is(monkeypatch):
    model, hg, x = _setup()
    graph = model.fast_graph(x, hg)
    counter = _CountEquals()
    monkeypatch.setattr(torch, "equal", counter)
    assert model.fast_graph(x, hg) is graph and model.fast_graph(x[:], hg) is graph
    assert counter.calls == 0
    other = x.clone()
    assert model.fast_graph(other, hg) is graph
    assert counter.calls == 1
    assert model.fast_graph(other, hg) is graph  # the kept graph now follows the equal tensor
    assert counter.calls == 1


@pytest.mark.parametrize("edit", ["mul_", "view", "data"])
def test_features_edited_in_place_get_a_new_graph(edit):
    model, hg, x = _setup(1)
    graph = model.fast_graph(x, hg)
    if edit == "mul_":
        x.mul_(-1.0)
    elif edit == "view":
        x[:, 0] += 5.0  # through a view, which shares the version counter
    else:
        x.data = -x.data  # other memory under the same tensor object
    fresh = model.fast_graph(x, hg)
    assert fresh is not graph
    assert model.fast_graph(x, hg) is fresh


def test_other_hypergraph_or_shape_gets_a_new_graph():
    model, hg, x = _setup(2)
    graph = model.fast_graph(x, hg)
    assert model.fast_graph(x, Hypergraph.from_edge_list(EDGES, num_nodes=11)) is not graph
    hg2 = Hypergraph.from_edge_list(EDGES, num_nodes=12)
    assert model.fast_graph(torch.cat([x, x[:1]]), hg2)[0].max() <= 11


def test_inference_tensors_are_compared_by_value():
    model, hg, _ = _setup(3)
    with torch.inference_mode():
        x = torch.randn(11, 6)
        graph = model.fast_graph(x, hg)
        assert model.fast_graph(x.clone(), hg) is graph
        assert model.fast_graph(x + 1.0, hg) is not graph
        model.eval()(x, hg)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_kept_operator_gives_the_numbers_of_the_plain_pair(dtype):
    model, hg, x = _setup(4)
    model = model.to(dtype).eval()
    x = x.to(dtype)
    out = model(x, hg)
    pair = tuple(model.fast_graph(x, hg))  # a plain tuple: normalised at every call
    expected = model.conv2(torch.relu(model.conv1(x, hg, graph=pair)), hg, graph=pair)
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=1e-5)
    grads = torch.autograd.grad(out.square().sum(), list(model.parameters()))
    expected_grads = torch.autograd.grad(expected.square().sum(), list(model.parameters()))
    for grad, reference in zip(grads, expected_grads):
        torch.testing.assert_close(grad, reference, atol=1e-6, rtol=1e-5)
