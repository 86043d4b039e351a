"""Elementwise helpers for degree normalisations."""
from __future__ import annotations

import torch
from torch import Tensor


def inv_pow(value: Tensor, power: float = 1.0) -> Tensor:
    r"""Safe inverse power :math:`v^{-p}`, with :math:`0^{-p} := 0`.

    Isolated nodes and empty hyperedges have degree 0; their normalisation is defined as 0 so
    that they contribute nothing (instead of ``inf``/``NaN``). Computed in float64 so that degree
    normalisations are exact to double precision whatever the features' dtype; callers cast.

    Args:
        value: non-negative tensor (degrees).
        power: the exponent :math:`p`.

    Returns:
        float64 tensor of ``value``'s shape.
    """
    value = value.to(torch.float64)
    out = value.pow(-power)
    return torch.where(value > 0, out, torch.zeros_like(out))
