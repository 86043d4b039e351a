"""The Hypergraph container: edge lists, degrees, sorted orders, CSR operators, moves, pytree."""
import numpy as np
import pytest
import torch
import torch.utils._pytree as pytree
from hypothesis import given
from hypothesis import strategies as st

from _hg_reference import F64, SETTINGS, assert_hg_equal, dense_H, hypergraphs
from hgnn.structure import Hypergraph, as_hypergraph

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support:UserWarning")

edge_lists = st.integers(0, 10).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.lists(st.integers(0, n - 1), max_size=5) if n else st.just([]), max_size=7),
    )
)


@SETTINGS
@given(data=edge_lists)
def test_edge_list_roundtrip(data):
    n, edges = data
    hg = Hypergraph.from_edge_list(edges, num_nodes=n)
    assert (hg.num_nodes, hg.num_edges, hg.num_incidences) == (n, len(edges), sum(map(len, edges)))
    assert hg.to_edge_list() == edges
    H = torch.zeros(n, len(edges), dtype=F64)
    for j, members in enumerate(edges):
        for v in members:
            H[v, j] += 1
    torch.testing.assert_close(dense_H(hg), H)


def test_from_edge_list_infers_num_nodes_and_rejects_non_integers():
    hg = Hypergraph.from_edge_list([[0, 4], [], [2]])
    assert (hg.num_nodes, hg.num_edges) == (5, 3)
    with pytest.raises(TypeError, match=r"edges\[1\]"):
        Hypergraph.from_edge_list([[0], [1.5]])


@pytest.mark.parametrize(
    "bad",
    [torch.tensor(1.7), torch.tensor([1.7])[0], np.float64(1.7), np.float32(1.0), torch.tensor(True), True, "1", None],
    ids=["tensor-float", "tensor-element", "np-float64", "np-float32", "tensor-bool", "bool", "str", "none"],
)
def test_from_edge_list_never_truncates_or_coerces(bad):
    with pytest.raises(TypeError, match=r"edges\[1\].*integers"):
        Hypergraph.from_edge_list([[0], [2, bad]])


def test_from_edge_list_takes_integer_scalars_of_any_kind():
    edges = [[np.int64(0), torch.tensor(3)], [np.int32(1), torch.tensor([2])[0]], list(torch.tensor([4, 0])), np.array([1, 2])]
    assert Hypergraph.from_edge_list(edges).to_edge_list() == [[0, 3], [1, 2], [4, 0], [1, 2]]


@SETTINGS
@given(hg=hypergraphs())
def test_degrees_equal_dense_sums(hg):
    H = dense_H(hg)
    torch.testing.assert_close(hg.node_degree().to(F64), H.sum(1))
    torch.testing.assert_close(hg.edge_degree().to(F64), H.sum(0))
    w = hg.edge_weight.to(F64)
    assert w.shape == (hg.num_edges,)
    if not hg.is_weighted:
        assert (w == 1).all()
    torch.testing.assert_close(hg.node_degree(weighted=True).to(F64), H @ w)


@SETTINGS
@given(hg=hypergraphs())
def test_sorted_orders(hg):
    nnz = hg.num_incidences
    for ids, size, (perm, ptr) in (
        (hg.hyperedge_index[1], hg.num_edges, hg.edge_order()),
        (hg.hyperedge_index[0], hg.num_nodes, hg.node_order()),
    ):
        assert torch.equal(torch.sort(perm).values, torch.arange(nnz))  # a permutation
        key = ids[perm] * (nnz + 1) + perm  # non-decreasing ids, ties in column order (stable)
        assert (key[1:] > key[:-1]).all()
        assert ptr.shape == (size + 1,) and ptr[0] == 0 and ptr[-1] == nnz
        for g in range(size):
            assert (ids[perm[ptr[g] : ptr[g + 1]]] == g).all()
    p = hg.edge_to_node_order()
    assert torch.equal(hg.edge_order()[0][p], hg.node_order()[0])


@SETTINGS
@given(hg=hypergraphs())
def test_incidence_csr(hg):
    H = dense_H(hg)
    value = torch.rand(hg.num_incidences, dtype=F64)
    Hv = torch.zeros_like(H).index_put_(tuple(hg.hyperedge_index), value, accumulate=True)
    a, a_t = hg.incidence_csr("node_to_edge")
    torch.testing.assert_close(a.to_dense().to(F64), H.t())
    torch.testing.assert_close(a_t.to_dense().to(F64), H)
    a, a_t = hg.incidence_csr("edge_to_node", value)
    torch.testing.assert_close(a.to_dense(), Hv)
    torch.testing.assert_close(a_t.to_dense(), Hv.t())


def test_incidence_csr_caches_under_key_and_rejects_bad_direction():
    hg = Hypergraph.from_edge_list([[0, 1], [1, 2]])
    calls = []

    def value():
        calls.append(1)
        return torch.ones(hg.num_incidences)

    first = hg.incidence_csr("node_to_edge", value, key=("test", "k"))
    assert hg.incidence_csr("node_to_edge", value, key=("test", "k")) is first
    assert len(calls) == 1
    with pytest.raises(ValueError, match="direction"):
        hg.incidence_csr("up")


def test_edge_weight_default_and_extras_as_attributes():
    hg = Hypergraph.from_edge_list([[0, 1], []], node_data={"train_mask": torch.tensor([True, False])})
    assert not hg.is_weighted and torch.equal(hg.edge_weight, torch.ones(2))
    assert torch.equal(hg.train_mask, torch.tensor([True, False]))
    with pytest.raises(AttributeError):
        hg.nonexistent
    assert "num_nodes=2" in repr(hg)


def test_to_same_device_returns_self():
    hg = Hypergraph.from_edge_list([[0, 1]])
    assert hg.to("cpu") is hg and hg.cpu() is hg and hg.to(torch.device("cpu")) is hg


def _not_built():
    raise AssertionError("the value was expected to be kept already")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA for a real device move")
def test_to_cuda_moves_tensors_and_caches():
    hg = Hypergraph.from_edge_list([[0, 1], [1, 2]], x=torch.randn(3, 2), edge_weight=torch.tensor([1.0, 2.0]))
    hg.node_degree(), hg.edge_order()
    out = hg.to("cuda")
    assert out.device.type == "cuda" and out.x.device.type == "cuda" and out.edge_weight.device.type == "cuda"
    assert hg.cached_keys() and out.cached_keys() == hg.cached_keys()
    kept = [out.cache(key, _not_built) for key in out.cached_keys()]
    assert all(t.device.type == "cuda" for v in kept for t in (v if isinstance(v, tuple) else (v,)))
    torch.testing.assert_close(out.node_to_edge(out.x, "sum").cpu(), hg.node_to_edge(hg.x, "sum"))
    back = out.cpu()
    assert_hg_equal(back, hg)


@SETTINGS
@given(hg=hypergraphs())
def test_pytree_roundtrip(hg):
    leaves, spec = pytree.tree_flatten(hg)
    assert all(leaf is None or isinstance(leaf, torch.Tensor) for leaf in leaves)
    assert any(leaf is hg.hyperedge_index for leaf in leaves)
    assert_hg_equal(pytree.tree_unflatten(leaves, spec), hg)
    doubled = pytree.tree_map(lambda t: t * 2 if t is not None and t.is_floating_point() else t, hg)
    if hg.x is not None:
        torch.testing.assert_close(doubled.x, hg.x * 2)


def test_as_hypergraph():
    hg = Hypergraph.from_edge_list([[0, 1]], num_nodes=3)
    assert as_hypergraph(hg, 3) is hg
    with pytest.raises(ValueError, match="num_nodes"):
        as_hypergraph(hg, 4)
    wrapped = as_hypergraph(torch.tensor([[0, 1], [0, 0]]), 5)
    assert (wrapped.num_nodes, wrapped.num_edges) == (5, 1)
    with pytest.raises(TypeError, match="hg"):
        as_hypergraph([[0, 1], [0, 0]], 2)


def test_cache_builds_once_and_reports_its_keys():
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3]])
    calls = []

    def build():
        calls.append(1)
        return hg.edge_degree() + 1

    key = ("test", "sizes", 2)
    first = hg.cache(key, build)
    assert hg.cache(key, build) is first and len(calls) == 1
    assert torch.equal(first, torch.tensor([4.0, 3.0]))
    assert key in hg.cached_keys() and ("hypergraph", "edge_degree") in hg.cached_keys()
    assert hg.cache(("test", "nothing"), lambda: None) is None
    assert hg.cache(("test", "nothing"), _not_built) is None  # a None value is kept too
    snapshot = hg.cached_keys()
    hg.cache(("test", "other"), lambda: 0)
    assert ("test", "other") not in snapshot  # a snapshot, not a view
    hg.clear_cache()
    assert hg.cached_keys() == frozenset()
    hg.cache(key, build)
    assert len(calls) == 2


@pytest.mark.parametrize("key", ["sizes", ("sizes",), (1, "sizes"), ("test", 2)])
def test_cache_rejects_keys_without_a_namespace(key):
    hg = Hypergraph.from_edge_list([[0, 1]])
    with pytest.raises(TypeError, match="owner, name"):
        hg.cache(key, lambda: 0)
    with pytest.raises(TypeError, match="owner, name"):
        hg.incidence_csr("node_to_edge", key=key)


def test_cache_keeps_only_structure_entries_while_weights_are_learnable():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3]], edge_weight=w)
    assert hg.has_learnable_weight
    calls = []
    for _ in range(2):
        hg.cache(("test", "scaled"), lambda: calls.append(1) or w * 2)
        hg.node_degree(weighted=True), hg.node_degree(), hg.edge_order()
    assert len(calls) == 2
    assert hg.cached_keys() == {("hypergraph", "node_degree"), ("hypergraph", "edge_order")}
    fixed = hg.replace(edge_weight=w.detach())
    fixed.cache(("test", "scaled"), lambda: w.detach() * 2)
    fixed.node_degree(weighted=True)
    assert {("test", "scaled"), ("hypergraph", "weighted_node_degree")} <= fixed.cached_keys()


def test_replace_changes_fields_and_shares_the_rest():
    x = torch.randn(4, 3)
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3]], x=x, node_data={"mask": torch.ones(4, dtype=torch.bool)})
    hg.node_degree()
    w = torch.tensor([2.0, 0.5])
    out = hg.replace(edge_weight=w, y=torch.tensor([0, 1, 0, 1]))
    assert type(out) is Hypergraph and out is not hg
    assert out.edge_weight is w and out.is_weighted and torch.equal(out.y, torch.tensor([0, 1, 0, 1]))
    assert out.x is x and out.hyperedge_index is hg.hyperedge_index and out.mask is hg.mask
    assert (out.num_nodes, out.num_edges) == (hg.num_nodes, hg.num_edges)
    assert out.cached_keys() == frozenset(), "nothing is carried over"
    assert not hg.is_weighted and hg.y is None, "the original is unchanged"
    assert out.replace(edge_weight=None, y=None).is_weighted is False
    assert_hg_equal(out.replace(edge_weight=None, y=None), hg)


def test_replace_validates_unless_told_not_to():
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3]])
    with pytest.raises(ValueError, match="x must have 4 rows"):
        hg.replace(x=torch.randn(5, 2))
    with pytest.raises(ValueError, match="edge_weight"):
        hg.replace(edge_weight=torch.tensor([1.0, -1.0]))
    unchecked = hg.replace(x=torch.randn(5, 2), validate=False)
    assert unchecked.x.shape == (5, 2)
    grown = hg.replace(hyperedge_index=torch.tensor([[0, 5], [0, 1]]), num_nodes=6)
    assert grown.num_nodes == 6


def test_replace_rejects_unknown_fields_by_name():
    hg = Hypergraph.from_edge_list([[0, 1]])
    with pytest.raises(TypeError, match="'features', 'weights'"):
        hg.replace(weights=torch.ones(1), features=torch.ones(2, 1))
    with pytest.raises(TypeError, match="_edge_weight"):
        hg.replace(_edge_weight=torch.ones(1))


def test_replace_keeps_the_subclass():
    class Tagged(Hypergraph):
        pass

    hg = Tagged(torch.tensor([[0, 1], [0, 0]]))
    assert type(hg.replace(x=torch.ones(2, 1))) is Tagged
