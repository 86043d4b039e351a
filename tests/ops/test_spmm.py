"""Sparse-CSR product with a cached transpose: forward and backward against dense float64."""
import pytest
import torch

from hgnn import ops

F64 = torch.float64
pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support:UserWarning")


def _random_sparse(m, n, seed, dtype=F64):
    gen = torch.Generator().manual_seed(seed)
    dense = torch.randn(m, n, generator=gen, dtype=dtype)
    dense[torch.rand(m, n, generator=gen) < 0.6] = 0
    return dense, dense.to_sparse_csr(), dense.t().contiguous().to_sparse_csr()


@pytest.mark.parametrize("shape", [(5, 4), (1, 7), (6, 1), (0, 3), (3, 0)])
@pytest.mark.parametrize("dtype", ops.SPARSE_DTYPES)
def test_csr_matmul_forward_and_grad(shape, dtype):
    m, n = shape
    dense, a, a_t = _random_sparse(m, n, seed=m * 10 + n, dtype=dtype)
    x = torch.randn(n, 3, dtype=dtype, requires_grad=True)
    out = ops.csr_matmul(a, a_t, x)
    assert out.shape == (m, 3) and out.dtype == dtype
    torch.testing.assert_close(out, dense @ x.detach())
    g = torch.randn(m, 3, dtype=dtype)
    out.backward(g)
    torch.testing.assert_close(x.grad, dense.t() @ g)


def test_csr_matmul_gradcheck():
    _, a, a_t = _random_sparse(4, 5, seed=3)
    x = torch.randn(5, 2, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: ops.csr_matmul(a, a_t, x), (x,))


def test_csr_matmul_uses_given_transpose():
    # backward must use a_t (the cached transpose), not rebuild A^T: pass a different a_t to see it
    dense, a, _ = _random_sparse(3, 3, seed=5)
    other = torch.eye(3, dtype=F64).to_sparse_csr()
    x = torch.randn(3, 2, dtype=F64, requires_grad=True)
    ops.csr_matmul(a, other, x).backward(torch.ones(3, 2, dtype=F64))
    torch.testing.assert_close(x.grad, torch.ones(3, 2, dtype=F64))


def test_csr_matrix_builds_the_matrix():
    crow = torch.tensor([0, 2, 2, 3])
    col = torch.tensor([0, 2, 1])
    value = torch.tensor([1.0, 2.0, 3.0], dtype=F64)
    a = ops.csr_matrix(crow, col, value, (3, 4))
    expected = torch.zeros(3, 4, dtype=F64)
    expected[0, 0], expected[0, 2], expected[2, 1] = 1.0, 2.0, 3.0
    assert a.layout == torch.sparse_csr
    torch.testing.assert_close(a.to_dense(), expected)
