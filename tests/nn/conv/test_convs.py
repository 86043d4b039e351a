"""Every convolution against a dense float64 formula, on weighted hypergraphs with isolated nodes,
empty hyperedges and repeated incidences; gradients, back-ends, compile/export, bad input."""
from __future__ import annotations

import collections

import pytest
import torch

from hgnn import Hypergraph
from hgnn.nn import HGNNConv, HGNNPConv, HNHNConv, UniGCNConv
from hgnn.ops import HAS_TORCH_SCATTER, use_backend

BACKENDS = ["sparse", "native"] + (["torch_scatter"] if HAS_TORCH_SCATTER else [])


def make_hypergraph(dtype=torch.float32, seed=0) -> Hypergraph:
    """9 nodes (node 8 isolated), 6 hyperedges (hyperedge 5 empty), node 2 twice in hyperedge 1."""
    gen = torch.Generator().manual_seed(seed)
    edges = [[0, 1, 2], [2, 3, 4, 2], [4, 5], [6, 7, 0, 1], [3], []]
    weight = torch.rand(6, generator=gen, dtype=dtype) + 0.5
    return Hypergraph.from_edge_list(edges, num_nodes=9, edge_weight=weight)


def dense_h(hg: Hypergraph) -> torch.Tensor:
    h = torch.zeros(hg.num_nodes, hg.num_edges, dtype=torch.float64)
    ones = torch.ones(hg.num_incidences, dtype=torch.float64)
    return h.index_put_(tuple(hg.hyperedge_index), ones, accumulate=True)


def pinv(d: torch.Tensor, p: float = 1.0) -> torch.Tensor:
    """``d ** -p`` with ``0 ** -p := 0``, differentiable where ``d > 0`` (no NaN gradient at 0)."""
    return torch.where(d > 0, torch.where(d > 0, d, 1).pow(-p), torch.zeros_like(d))


def linear(conv, x):
    return x @ conv.lin.weight.double().t() + conv.lin.bias.double()


def reference(conv, x: torch.Tensor, hg: Hypergraph) -> torch.Tensor:
    """The papers' matrix formulas, dense, float64."""
    h = dense_h(hg)
    w = hg.edge_weight.double()
    dv = h @ w
    de = h.sum(0)
    x = x.double()
    if isinstance(conv, HNHNConv):
        dv_count, a, b = h.sum(1), conv.alpha, conv.beta
        dva = torch.diag(dv_count.clamp(min=1).pow(a))
        dea = pinv(h.t() @ dva.diagonal())
        xe = torch.relu(torch.diag(dea) @ h.t() @ dva @ (x @ conv.lin_node.weight.double().t()) + conv.bias_edge.double())
        deb = torch.diag(de.clamp(min=1).pow(b))
        dvb = pinv(h @ deb.diagonal())
        return torch.diag(dvb) @ h @ deb @ (xe @ conv.lin_edge.weight.double().t()) + conv.bias_node.double()
    z = linear(conv, x)
    if isinstance(conv, UniGCNConv):
        de_tilde = pinv(de) * (h.t() @ dv)
        op = torch.diag(pinv(dv, 0.5)) @ h @ torch.diag(pinv(de_tilde, 0.5) * w * pinv(de)) @ h.t()
    elif isinstance(conv, HGNNPConv):
        op = torch.diag(pinv(dv)) @ h @ torch.diag(w * pinv(de)) @ h.t()
    else:
        s = torch.diag(pinv(dv, 0.5))
        op = s @ h @ torch.diag(w * pinv(de)) @ h.t() @ s
    return op @ z


CONVS = [
    lambda: HGNNConv(5, 4),
    lambda: HGNNPConv(5, 4),
    lambda: UniGCNConv(5, 4),
    lambda: HNHNConv(5, 4),
    lambda: HNHNConv(5, 4, alpha=-0.5, beta=0.5),
]
IDS = ["hgnn", "hgnnp", "unigcn", "hnhn", "hnhn-alpha-beta"]


def randomize_bias(conv):
    with torch.no_grad():
        for name, p in conv.named_parameters():
            if "bias" in name:
                p.normal_()
    return conv


@pytest.mark.parametrize("make", CONVS, ids=IDS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_matches_dense_formula_float32(make, backend):
    torch.manual_seed(0)
    conv = randomize_bias(make()).eval()
    hg = make_hypergraph()
    x = torch.randn(hg.num_nodes, 5)
    with use_backend(backend):
        out = conv(x, hg)
    assert out.dtype == torch.float32 and out.shape == (9, 4)
    torch.testing.assert_close(out.double(), reference(conv, x, hg), atol=1e-5, rtol=1e-5)
    if not isinstance(conv, HNHNConv):
        assert out[8].abs().max() == 0, "an isolated node gets a zero row"


@pytest.mark.parametrize("make", CONVS, ids=IDS)
def test_matches_dense_formula_float64_and_raw_index(make):
    torch.manual_seed(1)
    conv = randomize_bias(make()).double().eval()
    hg = make_hypergraph(torch.float64)
    x = torch.randn(hg.num_nodes, 5, dtype=torch.float64)
    torch.testing.assert_close(conv(x, hg), reference(conv, x, hg), atol=1e-12, rtol=1e-10)
    # a raw hyperedge_index is accepted (unit weights, sizes from x and max id)
    raw = Hypergraph(hg.hyperedge_index, num_nodes=9)
    torch.testing.assert_close(conv(x, hg.hyperedge_index), reference(conv, x, raw), atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("make", CONVS, ids=IDS)
def test_gradcheck(make):
    torch.manual_seed(2)
    conv = make().double()
    hg = make_hypergraph(torch.float64)
    x = torch.randn(hg.num_nodes, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda inp: conv(inp, hg), (x,))


@pytest.mark.parametrize("make", CONVS, ids=IDS)
def test_backends_agree_on_gradients(make):
    torch.manual_seed(3)
    conv = make()
    hg = make_hypergraph()
    x = torch.randn(hg.num_nodes, 5)
    grads = []
    for backend in BACKENDS:
        conv.zero_grad()
        with use_backend(backend):
            conv(x, hg).square().sum().backward()
        grads.append([p.grad.clone() for p in conv.parameters()])
    for other in grads[1:]:
        for a, b in zip(grads[0], other):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("make", CONVS, ids=IDS)
@pytest.mark.parametrize("num_nodes", [0, 4])
def test_empty_hypergraph(make, num_nodes):
    conv = make()
    hg = Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=num_nodes, num_edges=0)
    out = conv(torch.randn(num_nodes, 5), hg)
    assert out.shape == (num_nodes, 4)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("make", CONVS, ids=IDS)
def test_bad_input(make):
    conv = make()
    hg = make_hypergraph()
    with pytest.raises(ValueError, match="x must have shape"):
        conv(torch.randn(9, 3), hg)
    with pytest.raises(ValueError, match="num_nodes"):
        conv(torch.randn(10, 5), hg)
    with pytest.raises(TypeError, match="floating"):
        conv(torch.ones(9, 5, dtype=torch.long), hg)
    with pytest.raises(TypeError, match="Hypergraph or"):
        conv(torch.randn(9, 5), [[0, 1], [0, 0]])


def test_dropout_is_training_only():
    torch.manual_seed(4)
    conv = HGNNConv(5, 4, dropout=0.5)
    hg = make_hypergraph()
    x = torch.randn(9, 5)
    conv.eval()
    torch.testing.assert_close(conv(x, hg), conv(x, hg))
    conv.train()
    assert not torch.equal(conv(x, hg), conv(x, hg))
    with pytest.raises(ValueError, match="dropout"):
        HGNNConv(5, 4, dropout=1.0)


def test_normalisation_is_cached_on_the_hypergraph():
    conv = HGNNConv(5, 4)
    hg = make_hypergraph()
    conv(torch.randn(9, 5), hg)
    cached = hg.cached_keys()
    conv(torch.randn(9, 5), hg)
    assert ("hgnn", "normalization") in cached and hg.cached_keys() == cached


class CountingHypergraph(Hypergraph):
    """A hypergraph that counts the builds of each entry kept with :meth:`Hypergraph.cache`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.builds = collections.Counter()

    def cache(self, key, build):
        def counted():
            self.builds[key] += 1
            return build()

        return super().cache(key, counted)


def _value_key(direction, key):
    return ("propagate", "incidence_value", direction, key)


# The normalisation each layer keeps on the hypergraph.
NORMALISATION_KEYS = [
    ("hgnn", "normalization"),
    _value_key("edge_to_node", ("hgnnp", "smoothing", "to_node")),
    _value_key("edge_to_node", ("unigcn", "smoothing", "to_node")),
    _value_key("node_to_edge", ("hnhn", "to_edge", 0.0)),
    _value_key("edge_to_node", ("hnhn", "to_node", 0.5)),
]


@pytest.mark.parametrize("backend", ["sparse", "native"])
@pytest.mark.parametrize("make,key", list(zip(CONVS, NORMALISATION_KEYS)), ids=IDS)
def test_normalisation_is_built_once_per_hypergraph_and_dtype(make, key, backend):
    base = make_hypergraph()
    hg = CountingHypergraph(base.hyperedge_index, num_nodes=9, edge_weight=base.edge_weight)
    conv = make()
    with use_backend(backend):
        for dtype in (torch.float32, torch.float64) * 3:
            conv.to(dtype)(torch.randn(9, 5, dtype=dtype), hg)
    assert hg.builds[key] == 1
    assert set(hg.builds.values()) == {1}, f"an entry was built twice: {hg.builds}"
    operators = {k for k in hg.builds if k[1] == "incidence_csr"}
    collapsed = {k for k in hg.builds if k[:2] == ("propagate", "collapsed") and len(k) == 4}
    if backend == "sparse":  # per dtype: one sparse operator per direction, or the collapsed one
        assert {k[-1][-1] for k in operators} | {k[-1] for k in collapsed} == {torch.float32, torch.float64}
        assert len(operators) % 2 == 0 and (operators or collapsed)
    else:
        assert not operators and not collapsed


@pytest.mark.parametrize("make", CONVS, ids=IDS)
def test_reset_parameters_reinitialises(make):
    conv = make()
    before = [p.clone() for p in conv.parameters()]
    with torch.no_grad():
        for p in conv.parameters():
            p.add_(1.0)
    conv.reset_parameters()
    for a, b in zip(before, conv.parameters()):
        if a.dim() > 1:  # weights are re-drawn, not restored
            assert not torch.equal(a + 1.0, b)
        else:
            assert torch.equal(b, torch.zeros_like(b))


@pytest.mark.parametrize("make", CONVS, ids=IDS)
def test_torch_compile(make):
    torch.manual_seed(5)
    conv = make().eval()
    hg = make_hypergraph()
    x = torch.randn(9, 5)
    expected = conv(x, hg)
    compiled = torch.compile(conv)
    fresh = Hypergraph(hg.hyperedge_index, num_nodes=9, num_edges=6, edge_weight=hg.edge_weight)
    torch.testing.assert_close(compiled(x, fresh), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("make", CONVS, ids=IDS)
def test_torch_export(make):
    torch.manual_seed(6)
    conv = make().eval()
    hg = make_hypergraph()
    x = torch.randn(9, 5)
    program = torch.export.export(conv, (x, hg))
    other_x = torch.randn(9, 5)
    torch.testing.assert_close(program.module()(other_x, hg), conv(other_x, hg), atol=1e-5, rtol=1e-5)
