"""Message passing rejects inputs that would give silently wrong results or errors from deep inside."""
import pytest
import torch

from hgnn import ops
from hgnn.structure import Hypergraph, edge_to_node, incidence_matmul, node_to_edge, node_to_node_matmul
from hgnn.structure.incidence import incidence_csr_pair

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support:UserWarning")

BACKENDS = ["sparse", "native", "torch_scatter", "auto"]
INDEX = torch.tensor([[0, 1, 2, 3, 4, 1], [0, 0, 1, 1, 1, 2]])  # 5 nodes, 3 hyperedges, nnz = 6


def _hg():
    return Hypergraph(INDEX, num_nodes=5, num_edges=3)


def _skip_missing(backend):
    if backend == "torch_scatter" and not ops.HAS_TORCH_SCATTER:
        pytest.skip("torch_scatter not importable")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "softmax"])
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
def test_aggregate_rejects_integer_features(backend, reduce, dtype):
    _skip_missing(backend)
    hg = _hg()
    weight = torch.zeros(hg.num_incidences) if reduce == "softmax" else None
    with pytest.raises(TypeError, match=r"x must be a floating-point tensor.*x\.float\(\)"):
        node_to_edge(torch.tensor([[1], [2], [2], [0], [7]]).to(dtype), hg, reduce, weight, backend)
    with pytest.raises(TypeError, match=r"x must be a floating-point tensor"):
        edge_to_node(torch.ones(3, 2, dtype=dtype), hg, reduce, weight, backend)


def test_integer_mean_was_truncated_to_zero():
    x = torch.tensor([[1], [2], [2], [0], [7]])
    with pytest.raises(TypeError, match="x"):
        _hg().node_to_edge(x)
    expected = torch.tensor([[1.5], [3.0], [2.0]])  # what the floating path computes
    torch.testing.assert_close(_hg().node_to_edge(x.float()), expected)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("direction", ["node_to_edge", "edge_to_node"])
def test_incidence_matmul_rejects_integer_features(backend, direction):
    _skip_missing(backend)
    rows = 5 if direction == "node_to_edge" else 3
    with pytest.raises(TypeError, match=r"x\.float\(\)"):
        incidence_matmul(torch.ones(rows, 2, dtype=torch.long), _hg(), direction, backend=backend)
    with pytest.raises(TypeError, match=r"x\.float\(\)"):  # per-head values
        incidence_matmul(torch.ones(rows, 2, 3, dtype=torch.long), _hg(), direction, torch.ones(6, 2), backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_node_to_node_matmul_rejects_integer_features(backend):
    _skip_missing(backend)
    ones = lambda: torch.ones(6)  # noqa: E731
    with pytest.raises(TypeError, match=r"x\.float\(\)"):
        node_to_node_matmul(torch.ones(5, 2, dtype=torch.long), _hg(), ones, ones, ("test", "int"), backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("direction", ["node_to_edge", "edge_to_node"])
@pytest.mark.parametrize("shape", [(3,), (7,), (), (6, 1, 1)])
def test_incidence_matmul_rejects_value_of_wrong_shape(backend, direction, shape):
    _skip_missing(backend)
    x = torch.randn(5 if direction == "node_to_edge" else 3, 2)
    with pytest.raises(ValueError, match=r"value must have shape \[nnz\]=\[6\]"):
        incidence_matmul(x, _hg(), direction, torch.ones(shape), backend=backend)
    with pytest.raises(ValueError, match=r"value must have shape \[nnz\]=\[6\]"):  # a function returning them
        incidence_matmul(x, _hg(), direction, lambda: torch.ones(shape), backend=backend)
    with pytest.raises(ValueError, match=r"value must have shape \[nnz\]=\[6\]"):  # the same, kept on hg
        incidence_matmul(x, _hg(), direction, lambda: torch.ones(shape), key=("test", "bad"), backend=backend)


def test_incidence_matmul_rejects_value_of_wrong_type():
    with pytest.raises(TypeError, match="value"):
        incidence_matmul(torch.randn(5, 2), _hg(), "node_to_edge", [1.0] * 6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_node_to_node_matmul_rejects_values_of_wrong_shape(backend):
    _skip_missing(backend)
    ones, short = (lambda: torch.ones(6)), (lambda: torch.ones(2))
    with pytest.raises(ValueError, match=r"value must have shape \[nnz\]=\[6\]"):
        node_to_node_matmul(torch.randn(5, 2), _hg(), short, ones, ("test", "short_a"), backend=backend)
    with pytest.raises(ValueError, match=r"value must have shape \[nnz\]=\[6\]"):
        node_to_node_matmul(torch.randn(5, 2), _hg(), ones, short, ("test", "short_b"), backend=backend)


@pytest.mark.parametrize("direction", ["node_to_edge", "edge_to_node"])
def test_incidence_csr_rejects_value_of_wrong_shape(direction):
    hg = _hg()
    with pytest.raises(ValueError, match=r"value must have shape \[nnz\]=\[6\]"):
        hg.incidence_csr(direction, torch.ones(3))
    with pytest.raises(ValueError, match=r"value must have shape \[nnz\]=\[6\]"):
        incidence_csr_pair(INDEX, (5, 3), hg.edge_order(), hg.node_order(), torch.ones(6, 1), direction)


@pytest.mark.parametrize("direction", ["node_to_edge", "edge_to_node"])
def test_raw_index_as_hg_is_a_type_error(direction):
    x = torch.randn(5, 2)
    with pytest.raises(TypeError, match="hg must be a Hypergraph, got Tensor"):
        incidence_matmul(x, INDEX, direction)
    with pytest.raises(TypeError, match="hg must be a Hypergraph, got Tensor"):
        incidence_matmul(x.view(5, 1, 2), INDEX, direction, torch.ones(6, 1))
    with pytest.raises(TypeError, match="hg must be a Hypergraph, got Tensor"):
        node_to_node_matmul(x, INDEX, lambda: torch.ones(6), lambda: torch.ones(6), ("test", "raw"))
