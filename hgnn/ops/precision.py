"""Low-precision inputs: sums accumulated in float32, rounded once."""
from __future__ import annotations

import functools
from typing import Any, Callable

import torch
from torch import Tensor

__all__ = ["LOW_PRECISION", "accumulate_in_float32"]

#: Floating types whose sums are accumulated in float32 (they overflow or round badly on their own).
LOW_PRECISION = (torch.float16, torch.bfloat16)


def accumulate_in_float32(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    r"""Run ``fn(x, ...)`` in ``float32`` when its first argument ``x`` is ``float16`` / ``bfloat16``.

    The result is rounded back to ``x``'s dtype once, at the end; the intermediate sums and their
    gradients never are, so a hyperedge with :math:`10^5` members does not overflow ``float16``
    (whose largest value is 65504) in the forward or the backward pass. Autocast is off inside, so
    its lower-precision products do not undo this. Other dtypes pass through unchanged.
    """

    @functools.wraps(fn)
    def wrapper(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if isinstance(x, Tensor) and x.dtype in LOW_PRECISION:
            with torch.autocast(device_type=x.device.type, enabled=False):
                return fn(x.float(), *args, **kwargs).to(x.dtype)
        return fn(x, *args, **kwargs)

    return wrapper
