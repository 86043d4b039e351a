"""node_to_edge / edge_to_node on every back-end against dense float64 references."""
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from _hg_reference import F64, SETTINGS, dense_H, endpoints, hypergraphs, reference_aggregate
from hgnn import ops
from hgnn.structure import AGGREGATIONS, Hypergraph, edge_to_node, incidence_matmul, node_to_edge, node_to_node_matmul

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support:UserWarning")

BACKENDS = ["sparse", "native", "torch_scatter", "auto"]
DIRECTIONS = {"node_to_edge": node_to_edge, "edge_to_node": edge_to_node}


def _skip_missing(backend):
    if backend == "torch_scatter" and not ops.HAS_TORCH_SCATTER:
        pytest.skip("torch_scatter not importable")


def _inputs(hg, direction, reduce, weighted, seed, trailing=(3,), zeros=True):
    gen = torch.Generator().manual_seed(seed)
    _, _, num_src, _ = endpoints(hg, direction)
    x = torch.randn(num_src, *trailing, generator=gen, dtype=F64)
    weight = None
    if weighted or reduce == "softmax":
        weight = torch.rand(hg.num_incidences, generator=gen, dtype=F64) * 2
        if reduce == "softmax":
            weight = (weight - 1) * 5  # scores of either sign
        elif zeros:
            weight[torch.rand(hg.num_incidences, generator=gen) < 0.2] = 0.0  # zero-weight groups happen
    return x, weight


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", AGGREGATIONS)
@SETTINGS
@given(hg=hypergraphs(), weighted=st.booleans(), seed=st.integers(0, 2**16), trailing=st.sampled_from([(3,), (2, 2)]))
def test_aggregation_matches_dense_reference(backend, reduce, hg, weighted, seed, trailing):
    _skip_missing(backend)
    for direction, fn in DIRECTIONS.items():
        x, weight = _inputs(hg, direction, reduce, weighted, seed, trailing)
        _, dst, _, num_dst = endpoints(hg, direction)
        out = fn(x, hg, reduce=reduce, weight=weight, backend=backend)
        assert out.shape == (num_dst, *trailing) and out.dtype == F64, direction
        assert torch.isfinite(out).all(), direction
        torch.testing.assert_close(out, reference_aggregate(x, hg, direction, reduce, weight), msg=direction)
        empty = torch.bincount(dst, minlength=num_dst) == 0
        assert (out[empty] == 0).all(), direction
        # the method form is the same function
        torch.testing.assert_close(getattr(hg, direction)(x, reduce, weight, backend), out)


@pytest.mark.parametrize("reduce", ["sum", "mean"])
@SETTINGS
@given(hg=hypergraphs(weighted=False))
def test_unweighted_sum_and_mean_are_the_matrix_products(reduce, hg):
    H = dense_H(hg)
    x = torch.randn(hg.num_nodes, 2, dtype=F64)
    xe = torch.randn(hg.num_edges, 2, dtype=F64)
    de, dv = H.sum(0, keepdim=True).t(), H.sum(1, keepdim=True)
    to_edge, to_node = H.t() @ x, H @ xe
    if reduce == "mean":  # D_e^{-1} H^T X and D_v^{-1} H X_E, zero rows where the degree is 0
        to_edge = torch.where(de > 0, to_edge / de.clamp(min=1), 0.0)
        to_node = torch.where(dv > 0, to_node / dv.clamp(min=1), 0.0)
    torch.testing.assert_close(node_to_edge(x, hg, reduce), to_edge)
    torch.testing.assert_close(edge_to_node(xe, hg, reduce), to_node)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", AGGREGATIONS)
@SETTINGS
@given(hg=hypergraphs(), seed=st.integers(0, 2**16))
def test_gradients_match_reference(backend, reduce, hg, seed):
    """Gradients w.r.t. x and w.r.t. a weight that requires grad; the latter must not change the result."""
    _skip_missing(backend)
    for direction, fn in DIRECTIONS.items():
        # no zero weights: max/min must not see ties (their subgradients legitimately differ)
        x, weight = _inputs(hg, direction, reduce, True, seed, zeros=False)
        no_grad_out = fn(x, hg, reduce=reduce, weight=weight, backend=backend)
        xs = (x.clone().requires_grad_(), weight.clone().requires_grad_())
        xr = (x.clone().requires_grad_(), weight.clone().requires_grad_())
        out = fn(xs[0], hg, reduce=reduce, weight=xs[1], backend=backend)
        ref = reference_aggregate(xr[0], hg, direction, reduce, xr[1])
        torch.testing.assert_close(out.detach(), no_grad_out, msg=direction)
        g = torch.randn_like(ref)
        ((out * g).sum() + 0 * sum(t.sum() for t in xs)).backward()  # a graph even when empty
        ((ref * g).sum() + 0 * sum(t.sum() for t in xr)).backward()
        for got, want, name in ((xs[0].grad, xr[0].grad, "x"), (xs[1].grad, xr[1].grad, "weight")):
            assert got is not None, (direction, name)
            torch.testing.assert_close(got, want, msg=f"{direction} grad {name}")


def test_gradcheck_small_case():
    hg = Hypergraph.from_edge_list([[0, 1, 1], [], [2, 0]], num_nodes=4)
    x = torch.randn(4, 2, dtype=F64, requires_grad=True)
    w = torch.rand(hg.num_incidences, dtype=F64, requires_grad=True)
    for backend in ("sparse", "native"):
        for reduce in ("sum", "mean", "softmax"):
            assert torch.autograd.gradcheck(lambda x, w: node_to_edge(x, hg, reduce, w, backend), (x, w))
        xe = torch.randn(3, 2, dtype=F64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda xe: edge_to_node(xe, hg, "mean", backend=backend), (xe,))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("direction", ["node_to_edge", "edge_to_node"])
def test_incidence_matmul_cache(dtype, direction):
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3], [], [3, 3, 0]], num_nodes=5)
    _, _, num_src, num_dst = endpoints(hg, direction)
    value = torch.rand(hg.num_incidences, dtype=F64)
    x = torch.randn(num_src, 2, dtype=dtype)
    src, dst, _, _ = endpoints(hg, direction)
    A = torch.zeros(num_dst, num_src, dtype=F64).index_put((dst, src), value, accumulate=True)
    calls = []

    def lazy():
        calls.append(1)
        return value

    key = ("test", "mine")
    first = incidence_matmul(x, hg, direction, lazy, key=key, backend="sparse")
    second = incidence_matmul(x, hg, direction, lazy, key=key, backend="sparse")
    assert len(calls) == 1
    assert ("hypergraph", "incidence_csr", direction, ("test", "mine", dtype)) in hg.cached_keys()
    assert ("propagate", "incidence_value", direction, key) in hg.cached_keys()
    assert first.dtype == dtype
    torch.testing.assert_close(first, second)
    torch.testing.assert_close(first.to(F64), A @ x.to(F64), **({} if dtype == F64 else dict(rtol=1e-5, atol=1e-5)))
    # the native path with the same key reuses the cached values and agrees
    native = incidence_matmul(x, hg, direction, lazy, key=key, backend="native")
    torch.testing.assert_close(native, first)
    assert len(calls) == 1
    # plain tensor values, no key: nothing new is cached
    before = hg.cached_keys()
    torch.testing.assert_close(incidence_matmul(x, hg, direction, value, backend="sparse"), first)
    assert hg.cached_keys() == before


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("direction", ["node_to_edge", "edge_to_node"])
@pytest.mark.parametrize("edges", [[[0, 1, 2], [2, 3], [], [3, 3, 0]], [[], []]], ids=["repeats", "empty"])
def test_incidence_matmul_per_head_values(backend, direction, edges):
    """``value`` [nnz, H] weighs head h of x [rows, H, C] with its column: the dense products per
    head, and gradients for x and for the values (attention coefficients)."""
    _skip_missing(backend)
    hg = Hypergraph.from_edge_list(edges, num_nodes=5)
    src, dst, num_src, num_dst = endpoints(hg, direction)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(num_src, 3, 4, generator=g, dtype=F64, requires_grad=True)
    value = torch.rand(hg.num_incidences, 3, generator=g, dtype=F64, requires_grad=True)
    out = incidence_matmul(x, hg, direction, value, backend=backend)
    dense = [torch.zeros(num_dst, num_src, dtype=F64).index_put((dst, src), value[:, h], accumulate=True)
             for h in range(3)]
    ref = torch.stack([dense[h] @ x[:, h] for h in range(3)], dim=1)
    torch.testing.assert_close(out, ref)
    up = torch.randn_like(out)
    for a, b in zip(torch.autograd.grad((out * up).sum(), (x, value)), torch.autograd.grad((ref * up).sum(), (x, value))):
        torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match=r"needs x of shape \[rows, H, C\]"):
        incidence_matmul(x[:, :2], hg, direction, value, backend=backend)
    with pytest.raises(ValueError, match="not cached"):
        incidence_matmul(x, hg, direction, value, key=("test", "heads"), backend=backend)


@given(hypergraphs(), st.integers(1, 4))
@SETTINGS
def test_per_head_orders_are_the_sorted_orders_of_the_repeated_incidences(hg, heads):
    """The head-expanded incidences (node vH+h, hyperedge eH+h, incidence iH+h) come with the
    stable sorted orders that sort_index computes, derived without sorting again."""
    from hgnn.structure.incidence import sort_index
    from hgnn.structure.propagate import _head_orders

    index, edge_order, node_order = _head_orders(hg, heads)
    h = torch.arange(heads)
    assert torch.equal(index, (hg.hyperedge_index.unsqueeze(2) * heads + h).reshape(2, -1))
    for row, order, size in ((1, edge_order, hg.num_edges), (0, node_order, hg.num_nodes)):
        expected = sort_index(index[row], size * heads)
        assert torch.equal(order[0], expected[0]) and torch.equal(order[1], expected[1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_incidence_matmul_per_head_float32(backend):
    _skip_missing(backend)
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3], [4, 1, 0, 3]], num_nodes=6)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(hg.num_edges, 2, 5, generator=g)
    value = torch.rand(hg.num_incidences, 2, generator=g)
    out = incidence_matmul(x, hg, "edge_to_node", value, backend=backend)
    ref = incidence_matmul(x.double(), hg, "edge_to_node", value.double(), backend="native")
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.double(), ref, rtol=1e-5, atol=1e-6)


def test_incidence_matmul_bad_direction():
    hg = Hypergraph.from_edge_list([[0, 1]])
    with pytest.raises(ValueError, match="direction"):
        incidence_matmul(torch.ones(2, 1), hg, "sideways")


@pytest.mark.parametrize("backend", ["sparse", "native"])
def test_float32_inputs_keep_dtype_and_agree(backend):
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3], []], num_nodes=5)
    x = torch.randn(5, 4)
    for reduce in AGGREGATIONS:
        w = torch.rand(hg.num_incidences)
        out = node_to_edge(x, hg, reduce, w, backend)
        assert out.dtype == torch.float32
        ref = reference_aggregate(x.double(), hg, "node_to_edge", reduce, w.double())
        torch.testing.assert_close(out.double(), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("backend", ["sparse", "native"])
@pytest.mark.parametrize("first", ["edge_to_node", "node_to_edge"])
def test_mean_cache_is_per_direction(backend, first):
    """Unweighted means of both directions on one hypergraph: each must use its own degrees."""
    hg = Hypergraph(torch.tensor([[0, 0], [0, 1]]), num_nodes=1, num_edges=2)  # node 0 in edges 0 and 1
    x_node = torch.tensor([[1.0]], dtype=F64)
    x_edge = torch.tensor([[1.0], [3.0]], dtype=F64)
    expected = {"node_to_edge": torch.tensor([[1.0], [1.0]], dtype=F64), "edge_to_node": torch.tensor([[2.0]], dtype=F64)}
    inputs = {"node_to_edge": x_node, "edge_to_node": x_edge}
    for direction in (first, *(d for d in DIRECTIONS if d != first)):
        out = DIRECTIONS[direction](inputs[direction], hg, "mean", backend=backend)
        torch.testing.assert_close(out, expected[direction], msg=f"{direction} after {first}")


# ---------------------------------------------------------------------------- node_to_node_matmul
def _two_step_reference(x, hg, a, b):
    """``B (A x)`` with dense float64 ``A [M, N]`` and ``B [N, M]`` summed from the incidence values."""
    nodes, edges = hg.hyperedge_index
    A = torch.zeros(hg.num_edges, hg.num_nodes, dtype=F64).index_put_((edges, nodes), a.double(), accumulate=True)
    B = torch.zeros(hg.num_nodes, hg.num_edges, dtype=F64).index_put_((nodes, edges), b.double(), accumulate=True)
    flat = x.double().reshape(hg.num_nodes, math.prod(x.shape[1:]))
    return (B @ (A @ flat)).reshape(x.shape)


def _values(hg, seed):
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(hg.num_incidences, generator=gen, dtype=F64) + 0.1,
            torch.rand(hg.num_incidences, generator=gen, dtype=F64) + 0.1)


def _many_edges(seed, n=6, m=40, repeat=True, weighted=False):
    """Few nodes in many small hyperedges (with repeated members): the collapsed operator is smaller."""
    gen = torch.Generator().manual_seed(seed)
    sizes = torch.randint(1, 4, (m,), generator=gen)
    edges = torch.repeat_interleave(torch.arange(m), sizes)
    nodes = torch.randint(0, n - 1, (edges.numel(),), generator=gen)  # node n - 1 stays isolated
    if repeat:
        nodes, edges = torch.cat([nodes, nodes[:3]]), torch.cat([edges, edges[:3]])
    weight = torch.rand(m + 2, generator=gen, dtype=F64) if weighted else None
    return Hypergraph(torch.stack([nodes, edges]), num_nodes=n, num_edges=m + 2, edge_weight=weight)  # 2 empty


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(hg=hypergraphs(), seed=st.integers(0, 2**16), trailing=st.sampled_from([(3,), (2, 2)]))
def test_node_to_node_matmul_matches_dense_reference(backend, hg, seed, trailing):
    _skip_missing(backend)
    a, b = _values(hg, seed)
    x = torch.randn(hg.num_nodes, *trailing, dtype=F64, requires_grad=True)
    out = node_to_node_matmul(x, hg, lambda: a, lambda: b, key=("test", "op"), backend=backend)
    expected = _two_step_reference(x, hg, a, b)
    torch.testing.assert_close(out, expected)
    grad = torch.randn_like(out)
    (got,) = torch.autograd.grad(out, x, grad)
    (want,) = torch.autograd.grad(expected, x, grad)
    torch.testing.assert_close(got, want)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("seed", range(4))
def test_node_to_node_matmul_collapses_when_smaller(dtype, seed):
    hg = _many_edges(seed, weighted=seed % 2 == 1)
    a, b = _values(hg, seed)
    x = torch.randn(hg.num_nodes, 5, dtype=dtype, requires_grad=True)
    key = ("test", "op")
    out = node_to_node_matmul(x, hg, lambda: a, lambda: b, key=key, backend="sparse")
    assert ("propagate", "collapsed", key, dtype) in hg.cached_keys(), "the N x N operator was not used"
    assert out.dtype == dtype
    native = node_to_node_matmul(x, hg, lambda: a, lambda: b, key=key, backend="native")
    tol = {"atol": 1e-5, "rtol": 1e-5} if dtype == torch.float32 else {}
    torch.testing.assert_close(out, native, **tol)
    torch.testing.assert_close(out.double(), _two_step_reference(x.detach(), hg, a, b), **tol)
    grad = torch.randn_like(out)
    torch.testing.assert_close(torch.autograd.grad(out, x, grad)[0], torch.autograd.grad(native, x, grad)[0], **tol)
    assert (out[-1] == 0).all(), "an isolated node gets a zero row"


def test_node_to_node_matmul_keeps_the_factors_when_they_are_cheaper():
    # one hyperedge over every node: L is dense (N^2 entries > N incidences)
    n = 8
    hg = Hypergraph(torch.stack([torch.arange(n), torch.zeros(n, dtype=torch.long)]), num_nodes=n)
    a, b = _values(hg, 0)
    x = torch.randn(n, 3, dtype=F64)
    out = node_to_node_matmul(x, hg, lambda: a, lambda: b, key=("test", "op"), backend="sparse")
    torch.testing.assert_close(out, _two_step_reference(x, hg, a, b))
    assert hg.cache(("propagate", "collapsed", ("test", "op")), lambda: None) == ()
    assert not any(k[:2] == ("propagate", "collapsed") and len(k) == 4 for k in hg.cached_keys())


def test_node_to_node_matmul_learnable_weights_reach_the_weights():
    hg0 = _many_edges(3)
    w = torch.rand(hg0.num_edges, dtype=F64, requires_grad=True)
    hg = Hypergraph(hg0.hyperedge_index, num_nodes=hg0.num_nodes, num_edges=hg0.num_edges, edge_weight=w)
    nodes, edges = hg.hyperedge_index
    x = torch.randn(hg.num_nodes, 4, dtype=F64)
    out = node_to_node_matmul(x, hg, lambda: torch.ones(hg.num_incidences, dtype=F64),
                              lambda: hg.edge_weight[edges], key=("test", "weighted"), backend="sparse")
    out.sum().backward()
    assert w.grad is not None and w.grad.abs().sum() > 0
    assert not any(k[:2] == ("propagate", "collapsed") for k in hg.cached_keys())


def test_node_to_node_matmul_checks_its_input():
    hg = _many_edges(0)
    ones = lambda: torch.ones(hg.num_incidences)  # noqa: E731
    with pytest.raises(ValueError, match="x must have 6 rows"):
        node_to_node_matmul(torch.randn(5, 2), hg, ones, ones, key=("test", "op"))
    with pytest.raises(TypeError):
        node_to_node_matmul(torch.randn(6, 2), hg, ones, ones, key="op")
