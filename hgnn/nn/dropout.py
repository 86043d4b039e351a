"""Dropout with cheaper random numbers on the CPU: 16-bit masks, and none for zero entries."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from hgnn.nn.sparse_input import nonzero_positions, remember_positions

#: Above this fraction of nonzero entries the plain dense dropout is used.
MAX_DENSITY = 0.25
#: Mask resolution of :func:`fast_dropout`: probabilities are multiples of ``1 / LEVELS``.
LEVELS = 1 << 16


def _check_p(p: object) -> None:
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p < 1.0:
        raise ValueError(f"p must be a probability in [0, 1), got {p!r}")


def fast_dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    r"""Dropout whose masks cost a quarter of a random number per entry on the CPU.

    .. math::
        \mathrm{out}_{ij} = \frac{m_{ij}}{1 - \hat p}\, x_{ij}, \qquad
        m_{ij} \sim \mathrm{Bernoulli}(1 - \hat p), \qquad
        \hat p = \frac{\operatorname{round}(2^{16} p)}{2^{16}}

    Each 64-bit random integer gives the masks of four entries (16 bits each), where
    :func:`torch.nn.functional.dropout` draws one random number per entry; on a CPU that makes
    dropout of a large activation (ED-HNN's and AllSet's per-incidence hidden layers) 2-4 times
    faster. The drop probability is rounded to a multiple of :math:`2^{-16}` (exact for
    0.5, 0.25, 0.125, ...; otherwise within :math:`7.7 \cdot 10^{-6}` of ``p``) and the scale
    :math:`1 / (1 - \hat p)` matches it, so :math:`\mathbb{E}[\mathrm{out}] = x` exactly. On
    accelerators, under :func:`torch.compile`, for non-float tensors and for ``p`` below
    :math:`2^{-17}` or above :math:`1 - 2^{-17}` it is :func:`~torch.nn.functional.dropout`
    itself. Seeded with :func:`torch.manual_seed` like any CPU random draw, but a different stream
    from :func:`~torch.nn.functional.dropout`'s.

    Args:
        x: any shape.
        p: probability of an entry being zeroed, in ``[0, 1)``.
        training: apply dropout (``False`` returns ``x``).

    Returns:
        A tensor of ``x``'s shape, dtype and device.
    """
    _check_p(p)
    if not training or p == 0.0:
        return x
    dropped = round(p * LEVELS)
    if (x.device.type != "cpu" or not x.is_floating_point() or x.numel() == 0 or not 0 < dropped < LEVELS
            or torch.compiler.is_compiling()):
        return F.dropout(x, p, training)
    count = x.numel()
    words = torch.empty((count + 3) // 4, dtype=torch.int64).random_(-(1 << 63), (1 << 63) - 1)
    lanes = words.view(torch.int16)[:count].view(x.shape)  # uniform on [-2^15, 2^15)
    keep = lanes >= dropped - LEVELS // 2  # probability (LEVELS - dropped) / LEVELS
    return x * keep.to(x.dtype).mul_(LEVELS / (LEVELS - dropped))


def feature_dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    r"""Dropout of an input feature matrix, drawing random numbers only for its nonzero entries.

    .. math::
        \mathrm{out}_{ij} = \frac{m_{ij}}{1 - p}\, x_{ij}, \qquad m_{ij} \sim \mathrm{Bernoulli}(1 - p)

    the same distribution as :func:`torch.nn.functional.dropout` (a zero entry is zero whatever
    its mask). Bag-of-words features (Cora: 1.3% nonzero) make the dense dropout's random number
    generation the most expensive step of an epoch on a CPU; here only the nonzero entries draw
    one, which makes the input dropout 2-3 times faster there. The dense :func:`fast_dropout`
    runs instead when ``x`` is on an accelerator, requires a gradient (the gradient of the dense
    dropout reaches the zero entries too), has more than a quarter of its entries nonzero, or is
    traced by :func:`torch.compile` (the nonzero count is data-dependent).
    The random stream differs from :func:`~torch.nn.functional.dropout`'s, so a seeded run does
    not draw the same masks as a dense dropout would. The positions of the nonzero entries are
    kept for the last few inputs (weakly referenced, checked against the tensor's version
    counter), so the features of a full-batch run are scanned once, not at every epoch.

    Args:
        x: features, any shape (usually ``[N, F]``).
        p: probability of an entry being zeroed, in ``[0, 1)``.
        training: apply dropout (``False`` returns ``x``).

    Returns:
        A tensor of ``x``'s shape, dtype and device.
    """
    _check_p(p)
    if not training or p == 0.0:
        return x
    if (x.device.type != "cpu" or x.requires_grad or not x.is_floating_point() or x.numel() == 0
            or torch.compiler.is_compiling()):
        return fast_dropout(x, p, training)
    flat = x.reshape(-1)
    index = nonzero_positions(x, max_density=MAX_DENSITY)
    if index is None:
        return fast_dropout(x, p, training)
    keep = torch.rand(index.numel(), dtype=x.dtype, device=x.device) >= p
    values = flat.index_select(0, index) * keep.to(x.dtype) * (1.0 / (1.0 - p))
    out = flat.new_zeros(flat.shape).index_put_((index,), values).view_as(x)
    remember_positions(out, index)  # a sparse-aware first layer (input_linear) skips its zeros
    return out
