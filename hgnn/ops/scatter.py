"""Grouped reductions along the first dimension: the kernels under every layer.

All functions reduce the rows of ``src`` into ``dim_size`` groups and return **zeros for empty
groups** (never NaN, never ``-inf``), whatever the back-end.
"""
from __future__ import annotations

import torch
from torch import Tensor

from hgnn.ops import backend as _backend
from hgnn.ops.gather_max import gather_max
from hgnn.ops.precision import LOW_PRECISION, accumulate_in_float32

REDUCTIONS = ("sum", "mean", "max", "min")


def _check_reduce(reduce: str) -> str:
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")
    return reduce


def _check_index(index: Tensor, rows: int, dim_size: int, name: str = "index") -> None:
    """Raise ``ValueError`` unless ``index`` is ``[rows]`` with every id in ``[0, dim_size)``.

    The ``torch_scatter`` max / min kernels do not check their indices: an id out of range writes
    outside the output (a crash or wrong values), so it is rejected here. One pass over ``index``.
    """
    if index.dim() != 1 or index.numel() != rows:
        raise ValueError(f"{name} must have shape [{rows}] (one group id per row), got {list(index.shape)}")
    if rows == 0:
        return
    low, high = (int(v) for v in torch.aminmax(index))
    if low < 0 or high >= dim_size:
        bad = low if low < 0 else high
        raise ValueError(f"{name} must hold group ids in [0, dim_size={dim_size}), got {bad}; "
                         "fix the ids or pass a larger dim_size")


def _broadcast(vec: Tensor, like: Tensor) -> Tensor:
    """View a ``[n]`` tensor as ``[n, 1, ..., 1]`` so it broadcasts against ``like``."""
    return vec.view(-1, *([1] * (like.dim() - 1)))


def scatter(
    src: Tensor,
    index: Tensor,
    dim_size: int,
    reduce: str = "sum",
    backend: str | None = None,
) -> Tensor:
    r"""Reduce rows of ``src`` into groups given by ``index``.

    .. math::
        \mathrm{out}_j = \bigoplus_{i \,:\, \mathrm{index}_i = j} \mathrm{src}_i,
        \qquad \oplus \in \{\textstyle\sum, \mathrm{mean}, \max, \min\}

    and :math:`\mathrm{out}_j = 0` for a group :math:`j` that no row maps to. Sums and means of
    ``float16`` / ``bfloat16`` rows are accumulated in ``float32`` and rounded once, so they are
    finite wherever the result is in range.

    Args:
        src: ``[n, *]`` values.
        index: ``[n]`` int64 group ids in ``[0, dim_size)``.
        dim_size: number of groups ``m``.
        reduce: ``"sum"``, ``"mean"``, ``"max"`` or ``"min"``.
        backend: ``None`` (process default), ``"auto"``, ``"native"`` or ``"torch_scatter"``;
            ``"sparse"`` falls back to ``"native"`` here (it needs a cached CSR matrix, see
            :func:`hgnn.ops.csr_matmul`).

    Returns:
        ``[m, *]`` tensor of ``src``'s dtype.

    Raises:
        ValueError: an unknown ``reduce``, or for ``"max"`` / ``"min"`` on ``"torch_scatter"`` an
            ``index`` that is not ``[n]`` or holds an id outside ``[0, dim_size)`` (that kernel does
            not check its ids; the others raise PyTorch's ``RuntimeError`` for such an id).
    """
    return _scatter(src, index, dim_size, reduce, backend, "index")


def _scatter(src: Tensor, index: Tensor, dim_size: int, reduce: str, backend: str | None, index_name: str) -> Tensor:
    """:func:`scatter`, with ``index`` called ``index_name`` in its error messages."""
    _check_reduce(reduce)
    if reduce in ("sum", "mean") and src.dtype in LOW_PRECISION:
        # float16 sums of large groups overflow: accumulate in float32, round once.
        return _scatter(src.float(), index, dim_size, reduce, backend, index_name).to(src.dtype)
    name = _backend.resolve(reduce, src.device, backend)
    if name == "torch_scatter":
        if reduce in ("max", "min"):  # sum and mean run torch's own scatter_add_, which checks the ids
            _check_index(index, src.size(0), dim_size, index_name)
        return _backend.torch_scatter.scatter(src, index, dim=0, dim_size=dim_size, reduce=reduce)
    out_shape = (dim_size, *src.shape[1:])
    if reduce in ("sum", "mean"):
        out = src.new_zeros(out_shape).index_add_(0, index, src)
        if reduce == "mean":
            count = src.new_zeros(dim_size).index_add_(0, index, src.new_ones(index.numel()))
            out = out / _broadcast(count.clamp_(min=1), out)
        return out
    # max / min: include_self=False leaves untouched (empty) groups at the zero they start with.
    expanded = _broadcast(index, src).expand_as(src)
    return src.new_zeros(out_shape).scatter_reduce_(
        0, expanded, src, reduce="amax" if reduce == "max" else "amin", include_self=False
    )


@accumulate_in_float32
def scatter_softmax(src: Tensor, index: Tensor, dim_size: int, backend: str | None = None) -> Tensor:
    r"""Softmax of ``src`` within each group of ``index``.

    .. math::
        \mathrm{out}_i = \frac{\exp(s_i - m_{g(i)})}{\sum_{k \,:\, g(k) = g(i)} \exp(s_k - m_{g(i)})},
        \qquad m_j = \max_{k \,:\, g(k)=j} s_k

    The shift by the (detached) group maximum keeps ``exp`` finite; it does not change the value
    or the gradient. A score of ``-inf`` masks its row out (weight 0); a group whose scores are all
    ``-inf`` gets weights 0 and a zero gradient, never NaN.

    Args:
        src: ``[n, *]`` scores.
        index: ``[n]`` group ids in ``[0, dim_size)``.
        dim_size: number of groups.

    Returns:
        ``[n, *]`` weights that sum to one over each group with a finite score, and are 0 elsewhere.

    Raises:
        ValueError: an id of ``index`` outside ``[0, dim_size)``.
    """
    if src.numel() == 0:
        return src.clone()
    group_max = scatter(src.detach(), index, dim_size, "max", backend)
    group_max.masked_fill_(group_max == float("-inf"), 0)  # all -inf: exp gives 0s, not (-inf) - (-inf) = NaN
    exp = (src - group_max.index_select(0, index)).exp()
    denom = scatter(exp, index, dim_size, "sum", backend)
    denom = denom.masked_fill(denom == 0, 1)  # only all -inf groups sum to 0 (the max's term is 1)
    return exp / denom.index_select(0, index)


def gather_scatter(
    x: Tensor,
    src_index: Tensor,
    dst_index: Tensor,
    dim_size: int,
    weight: Tensor | None = None,
    reduce: str = "sum",
    backend: str | None = None,
) -> Tensor:
    r"""Message passing along index pairs: gather rows, weight them, reduce them.

    .. math::
        \mathrm{out}_j = \bigoplus_{i \,:\, \mathrm{dst}_i = j} w_i \, x_{\mathrm{src}_i}

    Args:
        x: ``[n_src, *]`` source rows.
        src_index: ``[nnz]`` rows of ``x`` to gather.
        dst_index: ``[nnz]`` output row of each gathered row, in ``[0, dim_size)``.
        dim_size: number of output rows.
        weight: optional ``[nnz]`` per-pair weight.
        reduce: ``"sum"``, ``"mean"``, ``"max"`` or ``"min"``.

    Returns:
        ``[dim_size, *]``.

    Raises:
        ValueError: as :func:`scatter` does for its ``index``, here for ``dst_index``.
    """
    if reduce in ("max", "min") and _backend.resolve("gather_max", x.device, backend) == "blocked":
        return gather_max(x, src_index, dst_index, dim_size, weight, reduce)
    messages = x.index_select(0, src_index)
    if weight is not None:
        messages = messages * _broadcast(weight, messages)
    return _scatter(messages, dst_index, dim_size, reduce, backend, "dst_index")
