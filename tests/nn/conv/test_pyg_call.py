"""PyG's call convention on every node convolution: ``conv(x, hyperedge_index, hyperedge_weight,
hyperedge_attr, num_edges)`` gives the values and gradients of ``conv(x, hg)``; ``cached=True``
reuses the first call's structure and refuses another; bad arguments fail early and clearly."""
from __future__ import annotations

import pytest
import torch

from hgnn import Hypergraph
from hgnn.nn import EHGNNConv, HGNNConv, HGNNPConv, HNHNConv, UniGCNConv

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny hypergraphs: extra threads only contend

LAYERS = [HGNNConv, HGNNPConv, UniGCNConv, HNHNConv, EHGNNConv]
IDS = [layer.__name__ for layer in LAYERS]


def make_index() -> torch.Tensor:
    """8 nodes (node 7 isolated), 5 hyperedges, node 2 twice in hyperedge 1, columns shuffled."""
    edges = [[0, 1, 2], [2, 3, 4, 2], [4, 5], [6, 0, 1], [3]]
    index = Hypergraph.from_edge_list(edges, num_nodes=8).hyperedge_index
    return index[:, torch.randperm(index.size(1), generator=torch.Generator().manual_seed(0))]


def make_layer(layer, **kwargs):
    torch.manual_seed(0)
    conv = layer(6, 4, **kwargs).double()
    with torch.no_grad():  # non-zero biases, so that their placement matters
        for name, p in conv.named_parameters():
            if "bias" in name:
                p.normal_()
    return conv


def run(conv, x, *args, **kwargs):
    """Output, input gradient and parameter gradients of one call."""
    x = x.detach().clone().requires_grad_()
    conv.zero_grad()
    out = conv(x, *args, **kwargs)
    (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)).sum().backward()
    return out.detach(), x.grad, [p.grad.clone() for p in conv.parameters()]


def assert_same(a, b):
    """Bit-for-bit equal outputs and gradients."""
    assert torch.equal(a[0], b[0])
    assert torch.equal(a[1], b[1])
    for ga, gb in zip(a[2], b[2]):
        assert torch.equal(ga, gb)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("layer", LAYERS, ids=IDS)
def test_pyg_call_equals_hypergraph_call(layer, weighted):
    index = make_index()
    weight = torch.rand(5, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) + 0.5
    weight = weight if weighted else None
    x = torch.randn(8, 6, dtype=torch.float64)
    hg = Hypergraph(index, num_nodes=8, num_edges=5, edge_weight=weight)
    conv, cached = make_layer(layer), make_layer(layer, cached=True)

    expected = run(conv, x, hg)
    assert expected[0].abs().sum() > 0 and expected[1].abs().sum() > 0
    assert_same(run(conv, x, index, weight), expected)
    assert_same(run(conv, x, hyperedge_index=index, hyperedge_weight=weight), expected)
    assert_same(run(cached, x, index, weight), expected)  # first call: builds and keeps
    assert_same(run(cached, x, index, weight), expected)  # second call: reuses
    assert_same(run(cached, x, hg), expected)  # a Hypergraph bypasses the kept structure
    if weighted and layer is not HNHNConv:  # the weights change the output (HNHN has none)
        assert not torch.allclose(run(conv, x, index)[0], expected[0])


@pytest.mark.parametrize("layer", LAYERS, ids=IDS)
def test_trailing_empty_hyperedges(layer):
    """``num_edges`` above ``max + 1`` adds empty hyperedges: the sizes follow it, the output does not change."""
    index = make_index()
    x = torch.randn(8, 6, dtype=torch.float64)
    conv = make_layer(layer)
    expected = run(conv, x, Hypergraph(index, num_nodes=8, num_edges=7))
    assert_same(run(conv, x, index, None, None, 7), expected)
    assert_same(run(conv, x, index, num_edges=7), expected)
    torch.testing.assert_close(run(conv, x, index)[0], expected[0], rtol=1e-12, atol=1e-12)
    # weights of the empty hyperedges: num_edges from the weights' length, as given or explicit
    weight = torch.linspace(0.5, 2.0, 7, dtype=torch.float64)
    weighted = run(conv, x, Hypergraph(index, num_nodes=8, edge_weight=weight))
    assert_same(run(conv, x, index, weight), weighted)
    assert_same(run(conv, x, index, weight, num_edges=7), weighted)


@pytest.mark.parametrize("layer", LAYERS, ids=IDS)
def test_hyperedge_attr_is_accepted_and_unused(layer):
    index = make_index()
    x = torch.randn(8, 6, dtype=torch.float64)
    conv = make_layer(layer)
    expected = run(conv, x, index)
    assert_same(run(conv, x, index, None, torch.randn(5, 3, dtype=torch.float64)), expected)
    assert_same(run(conv, x, index, hyperedge_attr=torch.randn(5, 3)), expected)
    with pytest.raises(ValueError, match=r"hyperedge_attr must have one row per hyperedge \(\[num_edges=5"):
        conv(x, index, hyperedge_attr=torch.randn(4, 3))
    with pytest.raises(TypeError, match="hyperedge_attr must be a torch.Tensor"):
        conv(x, index, hyperedge_attr=[[1.0]] * 5)


def test_learnable_weights_get_the_same_gradients():
    index = make_index()
    x = torch.randn(8, 6, dtype=torch.float64)
    conv = make_layer(HGNNConv)
    grads = []
    for call in ("pyg", "hypergraph"):
        weight = torch.linspace(0.5, 1.5, 5, dtype=torch.float64).requires_grad_()
        structure = (index, weight) if call == "pyg" else (Hypergraph(index, num_nodes=8, edge_weight=weight),)
        conv(x, *structure).square().sum().backward()
        grads.append(weight.grad)
    assert grads[0].abs().sum() > 0
    assert torch.equal(grads[0], grads[1])


@pytest.mark.parametrize("layer", LAYERS, ids=IDS)
def test_cached_keeps_one_structure(layer):
    index = make_index()
    x = torch.randn(8, 6, dtype=torch.float64)
    conv = make_layer(layer, cached=True)
    assert "cached=True" in repr(conv)
    conv(x, index)
    kept = conv._cached_structure.hg
    keys = kept.cached_keys()
    assert keys, "the layer's normalisation is kept on the cached hypergraph"
    conv(x, index)
    conv(x, index.clone())  # equal values, another tensor: accepted
    assert conv._cached_structure.hg is kept and kept.cached_keys() == keys
    with pytest.raises(ValueError, match="cached=True"):
        conv(x, index.flip(1)[:, 1:])
    with pytest.raises(ValueError, match="cached=True"):
        conv(x, index, torch.ones(5, dtype=torch.float64))  # the first call had no weights
    with pytest.raises(ValueError, match="cached=True"):
        conv(x, index, num_edges=6)
    with pytest.raises(ValueError, match="cached=True"):
        conv(torch.randn(9, 6, dtype=torch.float64), index)
    conv.reset_parameters()  # forgets the structure, as PyG's cached layers do
    conv(x, index.flip(1))
    assert conv._cached_structure.hg is not kept


def test_uncached_layer_builds_each_call_and_cached_refuses_learnable_weights():
    index = make_index()
    x = torch.randn(8, 6, dtype=torch.float64)
    conv = make_layer(HGNNConv)
    assert conv._cached_structure is None and "cached" not in repr(conv)
    conv(x, index)
    conv(x, index.flip(1))  # another structure: fine without caching
    with pytest.raises(ValueError, match="requires grad"):
        make_layer(HGNNConv, cached=True)(x, index, torch.ones(5, dtype=torch.float64, requires_grad=True))


@pytest.mark.parametrize("layer", LAYERS, ids=IDS)
def test_errors(layer):
    index = make_index()
    x = torch.randn(8, 6, dtype=torch.float64)
    conv = make_layer(layer)
    hg = Hypergraph(index, num_nodes=8)
    w = torch.ones(5, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"hyperedge_weight cannot be passed with a Hypergraph: it already carries"):
        conv(x, hg, w)
    with pytest.raises(TypeError, match=r"num_edges cannot be passed with a Hypergraph: it already carries"):
        conv(x, hg, num_edges=5)
    with pytest.raises(TypeError, match="given twice"):
        conv(x, index, hyperedge_index=index)
    with pytest.raises(TypeError, match="missing the structure"):
        conv(x)
    with pytest.raises(TypeError, match="Hypergraph or a"):
        conv(x, index.tolist())
    with pytest.raises(TypeError, match="integer ids"):
        conv(x, index.double())
    with pytest.raises(ValueError, match=r"shape \[2, nnz\]"):
        conv(x, index.t())
    with pytest.raises(ValueError, match="node id 6 but num_nodes=6"):
        conv(x[:6], index)
    with pytest.raises(ValueError, match="hyperedge id 4 but num_edges=3"):
        conv(x, index, num_edges=3)
    with pytest.raises(TypeError, match="num_edges must be an int"):
        conv(x, index, num_edges=5.0)
    with pytest.raises(ValueError, match="num_edges must be >= 0"):
        conv(x, index, num_edges=-1)
    with pytest.raises(ValueError, match=r"hyperedge_weight has 4 entries but hyperedge_index has hyperedge id 4"):
        conv(x, index, w[:4])
    with pytest.raises(ValueError, match=r"hyperedge_weight must have 6 rows \(one per hyperedge\)"):
        conv(x, index, w, num_edges=6)
    with pytest.raises(ValueError, match=r"hyperedge_weight must be a vector"):
        conv(x, index, w.view(5, 1))
    with pytest.raises(TypeError, match="hyperedge_weight must be a floating tensor"):
        conv(x, index, torch.ones(5, dtype=torch.long))
    with pytest.raises(TypeError, match="hyperedge_weight must be a torch.Tensor"):
        conv(x, index, [1.0] * 5)
    with pytest.raises(ValueError, match="hyperedge_weight has negative entries"):
        conv(x, index, -w)
    with pytest.raises(ValueError, match="x must have shape"):
        conv(x[:, :5], index)


@pytest.mark.parametrize("layer", LAYERS, ids=IDS)
def test_cached_refuses_tensors_edited_in_place(layer):
    index = make_index()
    weight = torch.linspace(0.5, 1.5, 5, dtype=torch.float64)
    x = torch.randn(8, 6, dtype=torch.float64)
    expected = make_layer(layer)(x, index.clone(), weight.clone())
    conv = make_layer(layer, cached=True)
    assert torch.equal(conv(x, index, weight), expected)
    kept = conv._cached_structure.hg
    weight[0] = 5.0  # another structure through the same tensor
    with pytest.raises(ValueError, match="edited in place"):
        conv(x, index, weight)
    weight[0] = 0.5  # back to the kept values: a version bump alone is no change
    assert torch.equal(conv(x, index, weight), expected)
    index[0, 0] = 7 - index[0, 0]
    with pytest.raises(ValueError, match="cached=True"):
        conv(x, index, weight)
    with pytest.raises(ValueError, match="cached=True"):
        conv(x, index.clone(), weight)
    index[0, 0] = 7 - index[0, 0]
    assert torch.equal(conv(x, index, weight), expected)
    assert conv._cached_structure.hg is kept and torch.equal(kept.hyperedge_index, index)  # the kept copy untouched
    assert kept.hyperedge_index.data_ptr() != index.data_ptr()


def test_cached_matches_inference_tensors_by_value():
    index, x = make_index(), torch.randn(8, 6, dtype=torch.float64)
    conv = make_layer(HGNNConv, cached=True)
    with torch.inference_mode():
        index_inf, weight = index.clone(), torch.ones(5, dtype=torch.float64)
        expected = conv(x, index_inf, weight)
        assert torch.equal(conv(x, index_inf, weight), expected)
        weight[1] = 2.0
        with pytest.raises(ValueError, match="cached=True"):
            conv(x, index_inf, weight)
