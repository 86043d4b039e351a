"""Learnable hyperedge weights and incidence weights: every back-end gives the dense float64
reference's values and gradients, for every input, in every step of a training loop."""
from __future__ import annotations

import copy

import pytest
import torch

from hgnn import Hypergraph
from hgnn.nn import EHGNNConv, HGNNConv, HGNNPConv, HNHNConv, UniGCNConv
from hgnn.ops import HAS_TORCH_SCATTER, use_backend
from hgnn.structure import edge_to_node, incidence_matmul, node_to_edge

from tests.nn.conv.test_convs import make_hypergraph, pinv, randomize_bias, reference
from tests.structure._hg_reference import reference_aggregate

BACKENDS = ["auto", "sparse", "native"] + (["torch_scatter"] if HAS_TORCH_SCATTER else [])
CONVS = {
    "hgnn": lambda: HGNNConv(5, 4),
    "hgnnp": lambda: HGNNPConv(5, 4),
    "unigcn": lambda: UniGCNConv(5, 4),
    "hnhn": lambda: HNHNConv(5, 4, alpha=-0.5, beta=0.5),
    "ehgnn": lambda: EHGNNConv(5, 4),
}


def dense(conv, x, hg):
    """The papers' matrix formulas, dense, differentiable in x, the weights and the parameters."""
    if not isinstance(conv, EHGNNConv):
        return reference(conv, x, hg)
    # EHGNN: HGNN+'s operator, the bias after the propagation
    h = torch.zeros(hg.num_nodes, hg.num_edges, dtype=torch.float64)
    h.index_put_(tuple(hg.hyperedge_index), torch.ones(hg.num_incidences, dtype=torch.float64), accumulate=True)
    w = hg.edge_weight
    op = torch.diag(pinv(h @ w)) @ h @ torch.diag(w * pinv(h.sum(0))) @ h.t()
    out = op @ (x @ conv.lin.weight.t())
    return out if conv.bias is None else out + conv.bias


def grads_of(conv, x, w, hg, probe, backend=None):
    """Gradients of ``<conv(x, hg), probe>`` for x, the hyperedge weights and every parameter."""
    for t in [x, w, *conv.parameters()]:
        t.grad = None
    if backend is None:
        out = dense(conv, x, hg)
    else:
        with use_backend(backend):
            out = conv(x, hg)
    (out * probe.to(out.dtype)).sum().backward()
    return out.detach().double(), [None if t.grad is None else t.grad.double() for t in [x, w, *conv.parameters()]]


def assert_grads_close(got, want, atol):
    for a, b in zip(got, want):
        if b is None or a is None:  # a weight a layer does not use gets no gradient
            assert (a is None or not a.any()) and (b is None or not b.any())
        else:
            torch.testing.assert_close(a, b, atol=atol, rtol=atol)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(CONVS))
def test_conv_gradients_for_every_input_match_dense_float64(name, backend):
    torch.manual_seed(0)
    conv = randomize_bias(CONVS[name]())
    base = make_hypergraph()
    w = (base.edge_weight.clone()).requires_grad_()
    hg = Hypergraph(base.hyperedge_index, num_nodes=base.num_nodes, edge_weight=w)
    x = torch.randn(hg.num_nodes, 5, requires_grad=True)
    probe = torch.randn(hg.num_nodes, 4, dtype=torch.float64)

    conv64 = copy.deepcopy(conv).double()
    w64 = w.detach().double().requires_grad_()
    hg64 = Hypergraph(base.hyperedge_index, num_nodes=base.num_nodes, edge_weight=w64)
    x64 = x.detach().double().requires_grad_()
    want_out, want = grads_of(conv64, x64, w64, hg64, probe)
    if name != "hnhn":
        assert want[1] is not None and want[1].abs().sum() > 0, "the weights matter in this layer"

    for step in range(2):  # a second forward + backward on the same Hypergraph works and agrees
        out, got = grads_of(conv, x, w, hg, probe, backend)
        torch.testing.assert_close(out, want_out, atol=1e-5, rtol=1e-5)
        assert_grads_close(got, want, atol=1e-4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_weights_seen_first_without_grad_still_get_gradients(backend):
    """Evaluating under no_grad must not cache a weight-free normalisation for later steps."""
    base = make_hypergraph()
    w = base.edge_weight.clone().requires_grad_()
    hg = Hypergraph(base.hyperedge_index, num_nodes=base.num_nodes, edge_weight=w)
    conv = HGNNConv(5, 4)
    x = torch.randn(hg.num_nodes, 5)
    with use_backend(backend):
        with torch.no_grad():
            conv(x, hg)
        conv(x, hg).square().sum().backward()
    assert w.grad is not None and w.grad.abs().sum() > 0


def test_fixed_weights_are_still_cached():
    hg = make_hypergraph()
    assert not hg.has_learnable_weight
    HGNNConv(5, 4)(torch.randn(9, 5), hg)
    assert ("hgnn", "normalization") in hg.cached_keys()
    w = hg.edge_weight.clone().requires_grad_()
    learn = Hypergraph(hg.hyperedge_index, num_nodes=9, edge_weight=w)
    HGNNConv(5, 4)(torch.randn(9, 5), learn)
    assert learn.has_learnable_weight
    structure_only = {("hypergraph", name) for name in ("unit_weight", "node_degree", "edge_degree", "edge_order",
                                                         "node_order", "edge_to_node_order")}
    assert learn.cached_keys() and learn.cached_keys() <= structure_only, "only structure-only entries are kept"


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_loop_learns_the_hyperedge_weights(backend):
    """20 Adam steps on the weights of one Hypergraph recover a target made with other weights;
    at every step the gradient equals the dense float64 reference's at the current weights."""
    torch.manual_seed(0)
    base = make_hypergraph()
    conv = HGNNConv(5, 4)
    for p in conv.parameters():
        p.requires_grad_(False)
    x = torch.randn(9, 5)
    true_w = torch.tensor([2.0, 0.3, 1.5, 0.2, 1.0, 0.7])
    with torch.no_grad():
        target = conv(x, Hypergraph(base.hyperedge_index, num_nodes=9, edge_weight=true_w))
    w = torch.nn.Parameter(torch.ones(6))
    hg = Hypergraph(base.hyperedge_index, num_nodes=9, edge_weight=w)
    opt = torch.optim.Adam([w], lr=0.05)
    conv64 = copy.deepcopy(conv).double()
    losses = []
    with use_backend(backend):
        for _ in range(20):
            opt.zero_grad()
            loss = (conv(x, hg) - target).square().sum()
            loss.backward()
            w64 = w.detach().double().requires_grad_()
            ref = (dense(conv64, x.double(), Hypergraph(base.hyperedge_index, num_nodes=9, edge_weight=w64))
                   - target.double()).square().sum()
            ref.backward()
            torch.testing.assert_close(w.grad.double(), w64.grad, atol=1e-4, rtol=1e-4)
            losses.append(loss.item())
            opt.step()
            with torch.no_grad():
                w.clamp_(min=0)
    assert losses[-1] < 0.2 * losses[0]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", ["sum", "mean", "softmax", "max", "min"])
@pytest.mark.parametrize("direction", ["node_to_edge", "edge_to_node"])
def test_aggregation_gradients_for_x_and_incidence_weights(direction, reduce, backend):
    torch.manual_seed(1)
    hg = make_hypergraph()
    rows = hg.num_nodes if direction == "node_to_edge" else hg.num_edges
    x = torch.randn(rows, 3, requires_grad=True)
    weight = (torch.rand(hg.num_incidences) + 0.5).requires_grad_()
    fn = node_to_edge if direction == "node_to_edge" else edge_to_node
    x64, w64 = x.detach().double().requires_grad_(), weight.detach().double().requires_grad_()
    want = reference_aggregate(x64, hg, direction, reduce, w64)
    probe = torch.randn_like(want)
    (want * probe).sum().backward()
    for _ in range(2):
        x.grad = weight.grad = None
        with use_backend(backend):
            out = fn(x, hg, reduce=reduce, weight=weight)
        (out * probe.float()).sum().backward()
        torch.testing.assert_close(out.double(), want.detach(), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(x.grad.double(), x64.grad, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(weight.grad.double(), w64.grad, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_incidence_matmul_value_gradient_with_a_key(backend):
    """A lazily built value that depends on learnable weights gets its gradient, keyed or not."""
    base = make_hypergraph()
    w = base.edge_weight.clone().requires_grad_()
    hg = Hypergraph(base.hyperedge_index, num_nodes=9, edge_weight=w)
    x = torch.randn(9, 3)
    with use_backend(backend):
        for key in (None, ("test", "scaled")):
            w.grad = None
            incidence_matmul(x, hg, "node_to_edge", lambda: hg.edge_weight[hg.hyperedge_index[1]], key=key).sum().backward()
            # d/dw_e of sum_f sum_{i in e} w_e x_{v_i, f} = sum over e's members of their row sums
            want = torch.zeros(6).index_add_(0, hg.hyperedge_index[1], x.sum(1)[hg.hyperedge_index[0]])
            torch.testing.assert_close(w.grad, want)
