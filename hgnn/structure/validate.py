"""Argument checks shared by the structure floor: each raises early, naming the argument and the fix."""
from __future__ import annotations

import operator
from typing import Any

import torch
from torch import Tensor


def check_tensor(value: Any, name: str) -> Tensor:
    """Raise ``TypeError`` unless ``value`` is a ``torch.Tensor``."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    return value


def check_index(index: Any, name: str = "hyperedge_index") -> Tensor:
    """Check a ``[2, nnz]`` integer incidence index and return it as int64.

    Raises:
        TypeError: not a tensor, or not an integer dtype.
        ValueError: not two rows, or negative ids.
    """
    check_tensor(index, name)
    if index.dtype in (torch.bool,) or index.is_floating_point() or index.is_complex():
        raise TypeError(
            f"{name} must hold integer ids (int64 or int32), got dtype {index.dtype}; "
            f"convert with {name}.long()"
        )
    if index.dim() != 2 or index.size(0) != 2:
        raise ValueError(
            f"{name} must have shape [2, nnz] (row 0 node ids, row 1 hyperedge ids), "
            f"got {list(index.shape)}; a [nnz, 2] array needs .t()"
        )
    index = index.long()
    if index.numel() and not torch.compiler.is_compiling() and bool((index < 0).any()):
        raise ValueError(f"{name} has negative ids; node and hyperedge ids must be >= 0")
    return index


def check_size(size: Any, name: str) -> int:
    """Check an explicit non-negative integer size."""
    if isinstance(size, Tensor) and size.numel() == 1 and not size.is_floating_point():
        size = int(size)
    elif not isinstance(size, (bool, int, Tensor)) and hasattr(size, "__index__"):
        size = operator.index(size)  # a NumPy integer, say
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"{name} must be an int, got {type(size).__name__}")
    if size < 0:
        raise ValueError(f"{name} must be >= 0, got {size}")
    return size


def check_rows(value: Any, rows: int, name: str, what: str) -> Tensor:
    """Check that a tensor has ``rows`` rows and, if floating, only finite values."""
    check_tensor(value, name)
    if value.dim() == 0 or value.size(0) != rows:
        shape = list(value.shape)
        raise ValueError(f"{name} must have {rows} rows (one per {what}), got shape {shape}")
    check_finite(value, name)
    return value


def check_finite(value: Tensor, name: str) -> Tensor:
    """Raise ``ValueError`` if a floating tensor holds NaN or infinity."""
    if (
        value.is_floating_point()
        and value.numel()
        and not torch.compiler.is_compiling()
        and not bool(torch.isfinite(value).all())
    ):
        raise ValueError(f"{name} contains NaN or infinite values; clean or impute them first")
    return value


def check_weight(value: Any, rows: int, name: str, what: str) -> Tensor:
    """Check a ``[rows]`` vector of finite, non-negative floating weights."""
    check_rows(value, rows, name, what)
    if value.dim() != 1:
        raise ValueError(f"{name} must be a vector of shape [{rows}], got {list(value.shape)}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating tensor, got dtype {value.dtype}; use .float()")
    if value.numel() and not torch.compiler.is_compiling() and bool((value < 0).any()):
        raise ValueError(f"{name} has negative entries; weights must be >= 0")
    return value


def check_device(device: Any, name: str = "device") -> torch.device:
    """``torch.device(device)``; ``ValueError`` naming ``name`` when it does not parse or asks for a
    CUDA device this machine does not have."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"{name} {device!r} is not a torch device; give e.g. 'cpu', 'cuda' or 'cuda:0'") from None
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{name} {device!r}: CUDA is not available on this machine; use 'cpu'")
        count = torch.cuda.device_count()
        if parsed.index is not None and parsed.index >= count:
            raise ValueError(f"{name} {device!r}: this machine has {count} CUDA device(s), "
                             f"'cuda:0' to 'cuda:{count - 1}'; pick one of them")
    return parsed


def check_same_device(tensors: dict[str, Tensor | None], reference: torch.device) -> None:
    """Raise ``ValueError`` if any tensor lives on another device than ``reference``."""
    for name, value in tensors.items():
        if value is not None and value.device != reference:
            raise ValueError(
                f"{name} is on {value.device} but hyperedge_index is on {reference}; "
                f"move everything with .to(device) first"
            )
