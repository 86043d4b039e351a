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
    ``benchmarks/kernels/README.md``). ``addmm_`` with ``beta=0`` ignores the (uninitialised) output's values.
    """
    if x.dim() != 2:
        return torch.sparse.mm(a, x)
    out = x.new_empty(a.size(0), x.size(1))
    return out.addmm_(a, x, beta=0.0)


#: Rows of the ``[rows, F]`` gathered products held at once when the stored values need a gradient.
_SDDMM_BLOCK_ELEMENTS = 1 << 22


def _sampled_dot(grad: Tensor, x: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    r"""``out[i] = <grad[rows[i]], x[cols[i]]>`` for every stored entry, in blocks of bounded size."""
    out = grad.new_empty(rows.numel())
    step = max(1, _SDDMM_BLOCK_ELEMENTS // max(1, grad.size(1)))
    for start in range(0, rows.numel(), step):
        stop = start + step
        g = grad.index_select(0, rows[start:stop])
        out[start:stop] = (g * x.index_select(0, cols[start:stop])).sum(1)
    return out


class _CSRMatmul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, a_t, x, value, rows, cols):  # type: ignore[override]
        ctx.a_t = a_t
        if value is not None and ctx.needs_input_grad[3]:
            ctx.save_for_backward(x, rows, cols)
        return _spmm(a, x)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        grad = grad.contiguous()
        grad_x = _spmm(ctx.a_t, grad) if ctx.needs_input_grad[2] else None
        grad_value = None
        if ctx.needs_input_grad[3]:
            x, rows, cols = ctx.saved_tensors
            grad_value = _sampled_dot(grad, x, rows, cols)
        return None, None, grad_x, grad_value, None, None


def csr_matmul(
    a: Tensor,
    a_t: Tensor,
    x: Tensor,
    value: Tensor | None = None,
    rows: Tensor | None = None,
    cols: Tensor | None = None,
) -> Tensor:
    r"""Compute :math:`A X` for a sparse-CSR ``A`` whose transpose is already built.

    .. math::
        Y = A X, \qquad \frac{\partial L}{\partial X} = A^\top \frac{\partial L}{\partial Y},
        \qquad \frac{\partial L}{\partial a_i} = \Big\langle \frac{\partial L}{\partial Y}_{r_i},\,
        X_{c_i} \Big\rangle

    PyTorch's own backward of ``sparse.mm`` rebuilds :math:`A^\top` on every call; passing the
    cached transpose makes the backward as cheap as the forward. The stored values of ``a`` get a
    gradient only through ``value``: pass the ``[nnz]`` tensor :math:`a_i` that ``a`` and ``a_t``
    were built from (detached), with the row :math:`r_i` and column :math:`c_i` of each entry, and
    its gradient is the sampled product above (computed in blocks, never ``[nnz, F]`` at once).

    Args:
        a: ``[m, n]`` sparse-CSR matrix.
        a_t: ``[n, m]`` sparse-CSR matrix equal to ``a.T``.
        x: ``[n, F]`` dense, same dtype and device as ``a``.
        value: optional ``[nnz]`` entries of ``a`` (any order) that should receive a gradient.
        rows, cols: ``[nnz]`` int64 row and column of each entry of ``value``; required with it.

    Returns:
        ``[m, F]`` dense.
    """
    if value is not None and (rows is None or cols is None):
        raise ValueError("csr_matmul: value needs rows and cols (the position of each entry in a)")
    if value is not None and x.dim() != 2:
        raise ValueError(f"csr_matmul: value gradients need a 2-D x, got shape {list(x.shape)}")
    return _CSRMatmul.apply(a, a_t, x, value, rows, cols)
