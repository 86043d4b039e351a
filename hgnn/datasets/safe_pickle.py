"""A restricted unpickler for the Python-2 pickles shipped by HyperGCN (Yadati et al., NeurIPS 2019).

``pickle.load`` executes whatever callables a pickle names, so an untrusted pickle can run code
(``os.system``, ``builtins.eval``, ...). :class:`RestrictedUnpickler` resolves globals only from an
allow-list:

* ``numpy``: only ``ndarray``, ``dtype``, ``matrix`` and the array / scalar reconstruction
  helpers of ``numpy.core.multiarray`` / ``numpy._core.multiarray``;
* ``scipy.sparse`` (and its submodules): only the sparse matrix and array classes;
* ``builtins`` / ``__builtin__``: only plain container and number types (``set``, ``list``, ...);
  never ``eval``, ``exec``, ``getattr``, ``__import__`` or ``open``;
* ``copy_reg`` / ``copyreg``: only ``_reconstructor``; ``_codecs``: only ``encode`` (how
  Python 3 writes ``bytes`` in protocol <= 2 pickles).

Anything else raises :class:`pickle.UnpicklingError`. Python-2 ``str`` objects are decoded as
latin-1 by default (numpy arrays pickled by Python 2 need that).
"""
from __future__ import annotations

import importlib
import io
import pickle
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["RestrictedUnpickler", "safe_load", "safe_loads"]

_BUILTIN_NAMES = frozenset(
    {
        "set", "frozenset", "list", "dict", "tuple", "int", "long", "float", "complex",
        "str", "unicode", "bytes", "bytearray", "bool", "slice", "range", "xrange", "object",
    }
)
_NUMPY_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy", "matrix"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
    }
)
_SCIPY_SPARSE_CLASSES = frozenset(
    f"{fmt}_{kind}" for fmt in ("csr", "csc", "coo", "lil", "dok", "bsr", "dia") for kind in ("matrix", "array")
)
# Python 2 names pickle.Unpickler(fix_imports=True) translates; we translate them ourselves.
_PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


class RestrictedUnpickler(pickle.Unpickler):
    """:class:`pickle.Unpickler` whose :meth:`find_class` only admits numpy/scipy/builtin data types.

    Raises:
        pickle.UnpicklingError: the pickle references any other global (e.g. ``os.system``).
    """

    def find_class(self, module: str, name: str) -> Any:  # noqa: D401 - pickle API
        module = _PY2_MODULES.get(module, module)
        if module == "builtins" and name in _BUILTIN_NAMES:
            return {"long": int, "unicode": str, "xrange": range}.get(name) or getattr(
                importlib.import_module("builtins"), name
            )
        if module == "copyreg" and name == "_reconstructor":
            return importlib.import_module("copyreg")._reconstructor
        if module == "_codecs" and name == "encode":  # how protocol <= 2 pickles store bytes
            return importlib.import_module("_codecs").encode
        if (module, name) in _NUMPY_GLOBALS:
            return self._numpy_global(module, name)
        if (module == "scipy.sparse" or module.startswith("scipy.sparse.")) and name in _SCIPY_SPARSE_CLASSES:
            import scipy.sparse

            # old pickles name private modules (scipy.sparse.csr); the public class is the same
            return getattr(scipy.sparse, name)
        raise pickle.UnpicklingError(
            f"refusing to load global {module}.{name}: only numpy arrays, scipy sparse matrices "
            "and builtin containers are allowed in dataset pickles"
        )

    @staticmethod
    def _numpy_global(module: str, name: str) -> Any:
        import numpy as np

        if name in ("ndarray", "dtype", "matrix"):
            return getattr(np, name)
        # numpy.core was renamed numpy._core in numpy 2; resolve without the deprecation shim
        for candidate in (module.replace("numpy.core", "numpy._core", 1), module):
            try:
                mod = importlib.import_module(candidate)
            except ImportError:
                continue
            if hasattr(mod, name):
                return getattr(mod, name)
        raise pickle.UnpicklingError(f"cannot resolve {module}.{name} in this numpy version")


def safe_load(file: str | Path | BinaryIO, encoding: str = "latin1") -> Any:
    """Unpickle ``file`` (a path or a binary file object) with :class:`RestrictedUnpickler`.

    Returns:
        The unpickled object (for HyperGCN: ``dict``, ``list`` or ``scipy.sparse.csr_matrix``).
    """
    if isinstance(file, (str, Path)):
        with open(file, "rb") as fh:
            return RestrictedUnpickler(fh, encoding=encoding).load()
    return RestrictedUnpickler(file, encoding=encoding).load()


def safe_loads(data: bytes, encoding: str = "latin1") -> Any:
    """Like :func:`safe_load` for an in-memory ``bytes`` pickle."""
    return RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()
