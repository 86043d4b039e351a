"""Sparse-CSR matrix products with a cached transpose for the backward pass."""
from __future__ import annotations

import torch
from torch import Tensor

SPARSE_DTYPES = (torch.float32, torch.float64)


def csr_matrix(crow: Tensor, col: Tensor, value: Tensor, shape: tuple[int, int]) -> Tensor:
    r"""Build a ``torch.sparse_csr_tensor`` without re-validating indices already checked.

    Args:
        crow: ``[rows + 1]`` int64 row pointer.
        col: ``[nnz]`` int64 column of each stored value, rows in order.
        value: ``[nnz]`` values.
        shape: ``(rows, cols)``.
    """
    return torch.sparse_csr_tensor(crow, col, value, shape, check_invariants=False)


def _spmm(a: Tensor, x: Tensor) -> Tensor:
    """``a @ x`` written straight into a fresh output.

    ``torch.sparse.mm`` zero-fills its output and then copies the product into it: two extra passes
    over ``[rows, F]`` that cost more than the product itself at hypergraph sizes (see
    ``benchmarks/NOTES.md``). ``addmm_`` with ``beta=0`` ignores the (uninitialised) output's values.
    """
    if x.dim() != 2:
        return torch.sparse.mm(a, x)
    out = x.new_empty(a.size(0), x.size(1))
    return out.addmm_(a, x, beta=0.0)


class _CSRMatmul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a: Tensor, a_t: Tensor, x: Tensor) -> Tensor:  # type: ignore[override]
        ctx.a_t = a_t
        return _spmm(a, x)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        grad_x = _spmm(ctx.a_t, grad.contiguous()) if ctx.needs_input_grad[2] else None
        return None, None, grad_x


def csr_matmul(a: Tensor, a_t: Tensor, x: Tensor) -> Tensor:
    r"""Compute :math:`A X` for a sparse-CSR ``A`` whose transpose is already built.

    .. math::
        Y = A X, \qquad \frac{\partial L}{\partial X} = A^\top \frac{\partial L}{\partial Y}

    PyTorch's own backward of ``sparse.mm`` rebuilds :math:`A^\top` on every call; passing the
    cached transpose makes the backward as cheap as the forward. ``A``'s values get no gradient.

    Args:
        a: ``[m, n]`` sparse-CSR matrix.
        a_t: ``[n, m]`` sparse-CSR matrix equal to ``a.T``.
        x: ``[n, F]`` dense, same dtype and device as ``a``.

    Returns:
        ``[m, F]`` dense.
    """
    return _CSRMatmul.apply(a, a_t, x)
