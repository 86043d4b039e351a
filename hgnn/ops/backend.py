"""Kernel back-ends and how one is chosen.

Three implementations of the grouped reductions live in :mod:`hgnn.ops`:

``"native"``
    Plain PyTorch (``index_add_``, ``scatter_reduce_``). Always available, traceable by
    ``torch.compile`` and ``torch.export``.
``"torch_scatter"``
    The ``torch_scatter`` extension, used when it is importable.
``"sparse"``
    A sparse-CSR matrix product (``torch.sparse.mm``) for weighted sums: the gather and the
    scatter fused into one multithreaded kernel. Only sums (and means, by pre-scaled weights)
    can be written this way.

Max and min *message passing* (gather rows, then reduce per group) has a fourth, ``"blocked"``:
:func:`hgnn.ops.gather_max`, which works through cache-sized blocks and never stores the
``[nnz, F]`` messages. ``"auto"`` uses it; naming ``"native"`` or ``"torch_scatter"`` gets plain
gather + scatter with that back-end.

``"auto"`` (the default) picks per operation the back-end that ``benchmarks/kernels.py``
measured fastest, and always ``"native"`` while ``torch.compile`` or ``torch.export`` traces,
because neither traces through sparse tensors or C++ extensions.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch

try:  # pragma: no cover - depends on the environment
    import torch_scatter  # noqa: F401

    HAS_TORCH_SCATTER = True
except Exception:  # ImportError, or an ABI mismatch raising OSError/RuntimeError
    torch_scatter = None
    HAS_TORCH_SCATTER = False

BACKENDS = ("auto", "native", "torch_scatter", "sparse")
_backend = "auto"


def get_backend() -> str:
    """Return the process-wide default back-end name (one of :data:`BACKENDS`)."""
    return _backend


def set_backend(name: str) -> None:
    """Set the process-wide default back-end.

    Args:
        name: one of ``"auto"``, ``"native"``, ``"torch_scatter"``, ``"sparse"``.
    """
    global _backend
    _backend = check_backend(name)


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Context manager that sets the default back-end inside a ``with`` block."""
    global _backend
    previous = _backend
    _backend = check_backend(name)
    try:
        yield
    finally:
        _backend = previous


def check_backend(name: str) -> str:
    """Validate a back-end name and that it can run here; return it."""
    if not isinstance(name, str) or name not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {name!r}")
    if name == "torch_scatter" and not HAS_TORCH_SCATTER:
        raise ValueError(
            "backend='torch_scatter' was asked for but torch_scatter is not importable; "
            "install it (`pip install hgnn[scatter]`) or use backend='auto'"
        )
    return name


def is_tracing() -> bool:
    """True while ``torch.compile``/``torch.export``/``torch.jit`` trace the caller."""
    return bool(torch.compiler.is_compiling() or torch.jit.is_tracing() or torch.jit.is_scripting())


def resolve(op: str, device: torch.device, backend: str | None = None) -> str:
    """Pick the concrete back-end for ``op`` on ``device``.

    Args:
        op: ``"sum"``, ``"mean"``, ``"max"``, ``"min"``, ``"weighted_sum"``
            (a weighted sum that may use the sparse-CSR product) or ``"gather_max"`` (gather rows,
            then max/min per group: :func:`hgnn.ops.gather_max`'s blocked kernel under ``"auto"``).
        device: where the operands live.
        backend: ``None`` for the process default, else a name from :data:`BACKENDS`.

    Returns:
        ``"native"``, ``"torch_scatter"``, ``"sparse"`` or (for ``"gather_max"``) ``"blocked"``.
    """
    name = _backend if backend is None else check_backend(backend)
    if is_tracing():
        return "native"
    if op == "gather_max":  # max/min message passing: the blocked kernel unless asked otherwise
        return "torch_scatter" if name == "torch_scatter" else "blocked" if name == "auto" else "native"
    if name != "auto":
        if name == "sparse" and op not in ("sum", "mean", "weighted_sum"):
            return "native"  # the sparse product only computes sums
        return name
    # Measured with benchmarks/kernels.py (forward + backward, benchmarks/kernels/README.md): on CPU the CSR
    # product beats gather + scatter ~8-12x for sums and means, and torch_scatter beats native
    # scatter_reduce by 1.1-1.3x for max/min. The same choice is made on CUDA, where it has not
    # been measured: the kernels are cuSPARSE and torch_scatter's CUDA ones.
    if op in ("sum", "mean", "weighted_sum"):
        return "sparse"
    return "torch_scatter" if HAS_TORCH_SCATTER else "native"
