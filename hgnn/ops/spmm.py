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


class _CSRMatmul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a: Tensor, a_t: Tensor, x: Tensor) -> Tensor:  # type: ignore[override]
        ctx.a_t = a_t
        return torch.sparse.mm(a, x)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        grad_x = torch.sparse.mm(ctx.a_t, grad.contiguous()) if ctx.needs_input_grad[2] else None
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
