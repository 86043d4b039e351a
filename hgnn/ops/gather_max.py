"""Gather-then-max message passing in cache-sized blocks, with a backward that never stores messages."""
from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

#: Bytes of gathered messages per block on CPU: small enough that the block buffers stay in cache
#: and are never page-faulted afresh, large enough that the per-block Python overhead is
#: negligible (1-2 MiB measured best, ``benchmarks/kernels/README.md``).
BLOCK_BYTES = 2 * 2**20
#: On CUDA there is no cache to fit and each block costs kernel launches: blocks are much larger
#: (not measured on a GPU).
CUDA_BLOCK_BYTES = 256 * 2**20


def _step(x: Tensor) -> int:
    """Rows of ``x`` gathered per block."""
    budget = CUDA_BLOCK_BYTES if x.is_cuda else BLOCK_BYTES
    return max(1, budget // max(x[:1].numel() * x.element_size(), 1))


class _Blocks:
    """Reusable block buffers: every pass writes into the same cache-resident memory."""

    def __init__(self, x: Tensor, step: int) -> None:
        shape = (step, *x.shape[1:])
        self.msgs, self.other, self.mask = x.new_empty(shape), x.new_empty(shape), x.new_empty(shape)

    def messages(self, x: Tensor, src: Tensor, weight: Tensor | None, lo: int, hi: int) -> Tensor:
        """``w[lo:hi] * x[src[lo:hi]]`` into the message buffer."""
        msgs = torch.index_select(x, 0, src[lo:hi], out=self.msgs[: hi - lo])
        if weight is not None:
            msgs.mul_(weight[lo:hi].view(-1, *([1] * (x.dim() - 1))))
        return msgs

    def ties(self, msgs: Tensor, out: Tensor, idx: Tensor) -> Tensor:
        """0/1 mask of the messages equal to their group's max (written as floats: on CPU a
        comparison into a float buffer is ~4x faster than into bool, and so is the product)."""
        n = idx.numel()
        peak = torch.index_select(out, 0, idx, out=self.other[:n])
        return torch.eq(msgs, peak, out=self.mask[:n])


class _GatherMax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor | None, src: Tensor, dst: Tensor, dim_size: int,  # type: ignore[override]
                reduce: str):
        nnz, trailing = src.numel(), x.shape[1:]
        step = _step(x)
        blocks = _Blocks(x, min(step, max(nnz, 1)))
        ones = (1,) * len(trailing)
        out = x.new_full((dim_size, *trailing), float("-inf") if reduce == "max" else float("inf"))
        for lo in range(0, nnz, step):
            hi = min(lo + step, nnz)
            msgs = blocks.messages(x, src, weight, lo, hi)
            out.scatter_reduce_(0, dst[lo:hi].view(-1, *ones).expand_as(msgs), msgs, "a" + reduce)
        # Ties share the gradient evenly (as torch.amax's backward does): count them per output.
        count = x.new_zeros((dim_size, *trailing))
        for lo in range(0, nnz, step):
            hi = min(lo + step, nnz)
            idx = dst[lo:hi]
            count.index_add_(0, idx, blocks.ties(blocks.messages(x, src, weight, lo, hi), out, idx))
        has_members = torch.zeros(dim_size, dtype=torch.bool, device=x.device)
        has_members[dst] = True
        out[~has_members] = 0  # an empty group is 0, never -inf
        ctx.save_for_backward(x, weight, src, dst, out, count)
        ctx.step = step
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        x, weight, src, dst, out, count = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad = grad / count.clamp(min=1)
        grad_x = torch.zeros_like(x) if need_x else None
        grad_w = torch.zeros_like(weight) if need_w else None
        nnz, step = src.numel(), ctx.step
        blocks = _Blocks(x, min(step, max(nnz, 1)))
        ones = (1,) * (x.dim() - 1)
        for lo in range(0, nnz, step):
            hi = min(lo + step, nnz)
            idx, rows = dst[lo:hi], src[lo:hi]
            msgs = blocks.messages(x, src, weight, lo, hi)
            contrib = blocks.ties(msgs, out, idx)  # the mask buffer, turned into the gradient in place
            contrib.mul_(torch.index_select(grad, 0, idx, out=blocks.other[: hi - lo]))
            if need_w:
                raw = torch.index_select(x, 0, rows, out=blocks.msgs[: hi - lo])
                grad_w[lo:hi] = (contrib * raw).flatten(1).sum(1)
            if need_x:
                if weight is not None:
                    contrib.mul_(weight[lo:hi].view(-1, *ones))
                grad_x.index_add_(0, rows, contrib)
        return grad_x, grad_w, None, None, None, None

def gather_max(
    x: Tensor,
    src_index: Tensor,
    dst_index: Tensor,
    dim_size: int,
    weight: Tensor | None = None,
    reduce: str = "max",
) -> Tensor:
    r"""Gather rows of ``x``, weight them and take the element-wise max (or min) per group.

    .. math::
        \mathrm{out}_j = \max_{i \,:\, \mathrm{dst}_i = j} w_i\, x_{\mathrm{src}_i}
        \quad(\text{or } \min), \qquad \mathrm{out}_j = 0 \text{ for an empty group,}

    .. math::
        \frac{\partial L}{\partial x_v} = \sum_{i:\, \mathrm{src}_i = v}
        w_i\, \frac{[\,w_i x_v = \mathrm{out}_{\mathrm{dst}_i}]}{c_{\mathrm{dst}_i}}
        \frac{\partial L}{\partial \mathrm{out}_{\mathrm{dst}_i}}

    element-wise, with :math:`c_j` the number of members tied at the maximum (the gradient is
    shared evenly between ties, like ``torch.amax``'s).

    The same numbers as ``scatter(x[src] * w, dst, reduce="max")``, but the ``[nnz, F]`` messages
    are gathered in cache-sized blocks into reused buffers and never stored: the backward
    re-gathers them. Extra memory is :math:`O(|\mathrm{out}|)` instead of several ``[nnz, F]``
    buffers, and on CPU forward + backward runs ~6x faster than gather + ``scatter_reduce`` or
    ``torch_scatter.scatter_max`` at hypergraph sizes (``benchmarks/kernels/README.md``).
    Differentiable once (no double backward).

    Args:
        x: ``[n_src, *]`` floating source rows.
        src_index: ``[nnz]`` int64 rows of ``x`` to gather.
        dst_index: ``[nnz]`` int64 output row of each gathered row, in ``[0, dim_size)``.
        dim_size: number of output rows.
        weight: optional ``[nnz]`` per-pair weight :math:`w_i` (gets a gradient if it requires one).
        reduce: ``"max"`` or ``"min"``.

    Returns:
        ``[dim_size, *]``.
    """
    if reduce not in ("max", "min"):
        raise ValueError(f"reduce must be 'max' or 'min', got {reduce!r}")
    return _GatherMax.apply(x, weight, src_index, dst_index, dim_size, reduce)
