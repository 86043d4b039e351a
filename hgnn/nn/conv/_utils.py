"""Small helpers shared by the convolution layers."""
from __future__ import annotations

from torch import Tensor


def check_int(value: object, name: str, low: int = 1) -> None:
    """Raise ``TypeError`` unless ``value`` is an ``int`` (not a ``bool``), ``ValueError`` if below ``low``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")


def check_probability(value: float, name: str = "dropout") -> float:
    """``value`` as a float, or ``ValueError`` unless it is in ``[0, 1)`` (a dropout probability)."""
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return float(value)


def check_features(x: Tensor, in_channels: int, name: str = "x", rows: str = "num_nodes") -> None:
    """Raise early on a non-tensor, non-floating or wrongly sized feature matrix (``rows`` names its
    first axis in the message)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating tensor, got dtype {x.dtype}; use {name}.float()")
    if x.dim() != 2 or x.size(1) != in_channels:
        raise ValueError(f"{name} must have shape [{rows}, {in_channels}], got {list(x.shape)}")
