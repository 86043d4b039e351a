"""Bad input raises early, with the right exception type and a message naming the argument."""
import math

import pytest
import torch

from hgnn.structure import Hypergraph, edge_to_node, node_to_edge

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support:UserWarning")

INDEX = torch.tensor([[0, 1, 2, 2], [0, 0, 1, 2]])  # N = 3, M = 3, nnz = 4
nan, inf = math.nan, math.inf


def _with(value, at, fill):
    value = value.clone()
    value.view(-1)[at] = fill
    return value


BAD = {
    # id: (constructor kwargs, exception, message fragment)
    "float-index": (dict(hyperedge_index=INDEX.float()), TypeError, "hyperedge_index"),
    "bool-index": (dict(hyperedge_index=INDEX.bool()), TypeError, "hyperedge_index"),
    "list-index": (dict(hyperedge_index=INDEX.tolist()), TypeError, "hyperedge_index"),
    "shape-3xn": (dict(hyperedge_index=torch.zeros(3, 4, dtype=torch.long)), ValueError, "hyperedge_index"),
    "shape-nx2": (dict(hyperedge_index=INDEX.t()[:3].contiguous()), ValueError, "hyperedge_index"),
    "shape-1d": (dict(hyperedge_index=INDEX[0]), ValueError, "hyperedge_index"),
    "negative-node": (dict(hyperedge_index=_with(INDEX, 1, -1)), ValueError, "negative"),
    "negative-edge": (dict(hyperedge_index=_with(INDEX, 5, -2)), ValueError, "negative"),
    "node-id-too-large": (dict(num_nodes=2), ValueError, "num_nodes"),
    "edge-id-too-large": (dict(num_edges=2), ValueError, "num_edges"),
    "negative-num-nodes": (dict(num_nodes=-1), ValueError, "num_nodes"),
    "float-num-edges": (dict(num_edges=3.0), TypeError, "num_edges"),
    "x-rows": (dict(num_nodes=3, x=torch.zeros(4, 2)), ValueError, "x"),
    "y-rows": (dict(num_nodes=3, y=torch.zeros(2)), ValueError, "y"),
    "edge-attr-rows": (dict(num_edges=3, edge_attr=torch.zeros(2, 2)), ValueError, "edge_attr"),
    "incidence-attr-rows": (dict(incidence_attr=torch.zeros(5, 2)), ValueError, "incidence_attr"),
    "x-not-tensor": (dict(x=[[0.0]] * 3), TypeError, "x"),
    "x-scalar": (dict(num_nodes=3, x=torch.tensor(1.0)), ValueError, "x"),
    "x-nan": (dict(x=_with(torch.zeros(3, 2), 3, nan)), ValueError, "x"),
    "x-inf": (dict(x=_with(torch.zeros(3, 2), 0, -inf)), ValueError, "x"),
    "edge-attr-nan": (dict(edge_attr=_with(torch.zeros(3, 2), 1, nan)), ValueError, "edge_attr"),
    "incidence-attr-inf": (dict(incidence_attr=_with(torch.zeros(4), 2, inf)), ValueError, "incidence_attr"),
    "edge-weight-nan": (dict(edge_weight=_with(torch.ones(3), 0, nan)), ValueError, "edge_weight"),
    "edge-weight-inf": (dict(edge_weight=_with(torch.ones(3), 2, inf)), ValueError, "edge_weight"),
    "edge-weight-negative": (dict(edge_weight=torch.tensor([1.0, -0.5, 1.0])), ValueError, "edge_weight"),
    "edge-weight-int": (dict(edge_weight=torch.tensor([1, 2, 3])), TypeError, "edge_weight"),
    "edge-weight-2d": (dict(edge_weight=torch.ones(3, 1)), ValueError, "edge_weight"),
    "edge-weight-rows": (dict(num_edges=3, edge_weight=torch.ones(4)), ValueError, "edge_weight"),
    "node-data-rows": (dict(node_data={"mask": torch.zeros(4, dtype=torch.bool)}), ValueError, "node_data['mask']"),
    "edge-data-rows": (dict(edge_data={"label": torch.zeros(2)}), ValueError, "edge_data['label']"),
    "incidence-data-rows": (dict(incidence_data={"role": torch.zeros(3)}), ValueError, "incidence_data['role']"),
    "node-data-nan": (dict(node_data={"score": _with(torch.zeros(3), 1, nan)}), ValueError, "node_data['score']"),
    "node-data-key": (dict(node_data={"train mask": torch.zeros(3)}), ValueError, "node_data"),
    "edge-data-key": (dict(edge_data={"1st": torch.zeros(3)}), ValueError, "edge_data"),
    "incidence-data-key": (dict(incidence_data={3: torch.zeros(4)}), ValueError, "incidence_data"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_constructor_input(case):
    kwargs, exc, fragment = BAD[case]
    kwargs = {"hyperedge_index": INDEX, **kwargs}
    with pytest.raises(exc) as info:
        Hypergraph(**kwargs)
    assert fragment in str(info.value)


def test_good_input_accepted_and_int32_index_widened():
    hg = Hypergraph(INDEX.int(), x=torch.zeros(3, 2), edge_weight=torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64),
                    node_data={"mask": torch.ones(3, dtype=torch.bool)}, y=torch.arange(3))
    assert hg.hyperedge_index.dtype == torch.long
    assert (hg.num_nodes, hg.num_edges) == (3, 3)
    # sizes larger than the ids are fine: isolated nodes, empty hyperedges
    assert Hypergraph(INDEX, num_nodes=10, num_edges=7).node_degree()[3:].eq(0).all()


def test_validate_false_needs_sizes():
    with pytest.raises(ValueError, match="num_nodes"):
        Hypergraph(INDEX, validate=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="mixed devices need CUDA")
def test_mixed_devices():
    with pytest.raises(ValueError, match="x"):
        Hypergraph(INDEX, x=torch.zeros(3, 2, device="cuda"))


HG = Hypergraph(INDEX, num_nodes=3, num_edges=3)


@pytest.mark.parametrize("op", [node_to_edge, edge_to_node])
def test_bad_propagate_input(op):
    x = torch.randn(3, 2)
    with pytest.raises(ValueError, match="x"):
        op(torch.randn(4, 2), HG)
    with pytest.raises(ValueError, match="x"):
        op(torch.tensor(1.0), HG)
    with pytest.raises(TypeError, match="x"):
        op(x.tolist(), HG)
    with pytest.raises(ValueError, match="reduce"):
        op(x, HG, reduce="median")
    with pytest.raises(ValueError, match="weight"):
        op(x, HG, reduce="softmax")
    with pytest.raises(ValueError, match="weight"):
        op(x, HG, reduce="sum", weight=torch.ones(3))  # nnz = 4
    with pytest.raises(ValueError, match="weight"):
        op(x, HG, reduce="sum", weight=torch.ones(4, 1))
    with pytest.raises(TypeError, match="hg"):
        op(x, INDEX)
    with pytest.raises(ValueError, match="backend"):
        op(x, HG, reduce="sum", backend="fast")


def test_bad_propagate_input_methods():
    with pytest.raises(ValueError, match="x"):
        HG.node_to_edge(torch.randn(2, 2))
    with pytest.raises(ValueError, match="weight"):
        HG.edge_to_node(torch.randn(3, 2), reduce="softmax")


@pytest.mark.parametrize("n", [0, 3])
@pytest.mark.parametrize("backend", ["sparse", "native", "auto"])
@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "softmax"])
def test_empty_hypergraph_gives_zeros(n, backend, reduce):
    hg = Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=n, num_edges=0)
    assert hg.num_incidences == 0
    assert hg.node_degree().shape == (n,) and hg.edge_degree().shape == (0,)
    weight = torch.empty(0) if reduce == "softmax" else None
    for dtype in (torch.float32, torch.float64):
        out = hg.node_to_edge(torch.randn(n, 4, dtype=dtype), reduce, weight=weight, backend=backend)
        assert out.shape == (0, 4) and out.dtype == dtype
        out = hg.edge_to_node(torch.randn(0, 4, 2, dtype=dtype), reduce, weight=weight, backend=backend)
        assert out.shape == (n, 4, 2) and out.dtype == dtype and (out == 0).all()
    hg2 = Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=n, num_edges=2)  # empty hyperedges
    out = hg2.node_to_edge(torch.randn(n, 3), reduce, weight=weight, backend=backend)
    assert out.shape == (2, 3) and (out == 0).all()


def test_sizes_accept_numpy_integers_and_reject_numpy_floats():
    import numpy as np

    hg = Hypergraph(torch.tensor([[0, 1], [0, 0]]), num_nodes=np.int64(5), num_edges=np.int32(2))
    assert (hg.num_nodes, hg.num_edges) == (5, 2) and type(hg.num_nodes) is int
    with pytest.raises(TypeError, match="num_nodes must be an int, got float64"):
        Hypergraph(torch.tensor([[0, 1], [0, 0]]), num_nodes=np.float64(5))
