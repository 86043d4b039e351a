"""Linear maps of sparse input features (bag-of-words) that multiply only the nonzero entries."""
from __future__ import annotations

import weakref

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.ops import csr_matrix

#: Remembered nonzero positions: ``id(tensor) -> (weak reference, version counter, flat positions)``.
_POSITIONS: dict[int, tuple[weakref.ref, int, Tensor]] = {}
#: How many tensors' positions are kept at most.
CAPACITY = 8
#: :func:`input_linear` multiplies sparsely below this fraction of nonzero entries.
MAX_DENSITY = 0.1


def remember_positions(x: Tensor, index: Tensor) -> None:
    """Record that every nonzero entry of ``x`` lies at one of the flat positions ``index``
    (sorted, int64), for as long as ``x`` lives unchanged."""
    for key in [k for k, (ref, _, _) in _POSITIONS.items() if ref() is None]:
        del _POSITIONS[key]
    if len(_POSITIONS) >= CAPACITY:
        _POSITIONS.pop(next(iter(_POSITIONS)))
    _POSITIONS[id(x)] = (weakref.ref(x), x._version, index)


def known_positions(x: Tensor) -> Tensor | None:
    """The positions recorded for this very tensor object at its current version, else ``None``:
    neither a new tensor at a recycled address nor an in-place edit reuses them."""
    entry = _POSITIONS.get(id(x))
    if entry is not None and entry[0]() is x and entry[1] == x._version:
        return entry[2]
    return None


def nonzero_positions(x: Tensor, max_density: float = MAX_DENSITY) -> Tensor | None:
    """Sorted flat positions of ``x``'s nonzero entries, or ``None`` when more than
    ``max_density`` of them are nonzero; a sparse tensor is scanned once while it lives unchanged
    (then its positions are remembered)."""
    index = known_positions(x)
    if index is None:
        nonzero = x.reshape(-1) != 0
        if int(nonzero.sum()) > max_density * x.numel():
            return None
        index = nonzero.nonzero().squeeze(1)
        remember_positions(x, index)
    return index if index.numel() <= max_density * x.numel() else None


def input_linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r""":func:`torch.nn.functional.linear` that multiplies only the nonzero entries of a sparse
    input feature matrix.

    .. math::
        Y = X W^\top + b, \qquad Y_{i} = \sum_{j \,:\, X_{ij} \ne 0} X_{ij} W_{:, j} + b

    For an ``[N, F]`` input on the CPU with at most 10% nonzero entries (bag-of-words features:
    Cora 1.3%, Citeseer 0.9%) the product runs as a sparse-CSR times dense matrix product, in
    :math:`O(\mathrm{nnz}(X)\, D)` instead of :math:`O(N F D)`, and so does the weight's gradient.
    The sparse product needs the nonzero positions to be known already: :func:`~hgnn.nn.feature_dropout`
    records them for its input (the features of a full-batch run, scanned once) and its output,
    so ``input_linear(feature_dropout(x, p, training), W, b)`` is sparse in training and in
    evaluation; :func:`remember_nonzeros` records them for any other input. Every other input (an
    input that needs a gradient, unknown or dense, higher-dimensional, on an accelerator, under
    :func:`torch.compile`) gets the plain :func:`~torch.nn.functional.linear`, without a scan.
    The values equal the dense product up to rounding.

    Args:
        x: ``[N, F]`` features.
        weight: ``[D, F]``; bias: ``[D]`` or ``None``.

    Returns:
        ``[N, D]``.
    """
    if (x.dim() != 2 or x.device.type != "cpu" or x.requires_grad or not x.is_floating_point()
            or x.numel() == 0 or weight.dim() != 2 or weight.size(1) != x.size(1) or weight.dtype != x.dtype
            or torch.compiler.is_compiling()):
        return F.linear(x, weight, bias)
    index = known_positions(x)
    if index is None or index.numel() > MAX_DENSITY * x.numel():
        return F.linear(x, weight, bias)
    rows, cols = index // x.size(1), index % x.size(1)
    crow = torch.zeros(x.size(0) + 1, dtype=torch.int64)
    torch.cumsum(torch.bincount(rows, minlength=x.size(0)), 0, out=crow[1:])
    matrix = csr_matrix(crow, cols, x.reshape(-1).index_select(0, index), (x.size(0), x.size(1)))
    out = torch.sparse.mm(matrix, weight.t())
    return out if bias is None else out + bias


def remember_nonzeros(x: Tensor) -> Tensor:
    """Scan ``x`` once so that :func:`input_linear` multiplies only its nonzero entries while it
    lives unchanged (when at most 10% are nonzero); returns ``x``."""
    nonzero_positions(x)
    return x


def linear_forward(module: nn.Module, x: Tensor) -> Tensor:
    """``module(x)`` for an :class:`~torch.nn.Linear` input layer, through :func:`input_linear`
    when ``module`` is exactly an :class:`~torch.nn.Linear` without forward hooks (a subclass, a
    wrapper or a hooked layer runs its own forward)."""
    if type(module) is nn.Linear and not module._forward_hooks and not module._forward_pre_hooks:
        return input_linear(x, module.weight, module.bias)
    return module(x)
