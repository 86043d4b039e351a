"""A restricted unpickler for the dataset pickles shipped by HyperGCN (Yadati et al., NeurIPS 2019).

``pickle.load`` calls whatever a pickle names, so an untrusted pickle can run code (``os.system``,
``builtins.eval``, ...) or allocate without bound from a few bytes (``bytearray(2**33)``,
``list(range(10**10))``, ``numpy.ndarray((10**10,))``). :class:`RestrictedUnpickler` resolves a
global only from the list below, and each entry checks its arguments before it allocates:

* ``numpy.dtype(code, align, copy)``: plain numeric codes only (``"b1"``, ``"i4"``, ``"u1"``,
  ``"f8"``, ``"c16"``, ...); no object, string, void, datetime, structured or sub-array types.
* ``numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b"b")`` followed by the array's state
  ``(version, shape, dtype, fortran, raw)``: ``raw`` must be exactly ``prod(shape) * itemsize``
  bytes, so an array is never larger than the bytes stored for it. ``numpy.ndarray`` is only
  accepted as that argument (calling it would allocate from a shape).
* ``numpy.core.numeric._frombuffer(raw, dtype, shape, order)`` (protocol 5): the same rule.
* ``numpy.core.multiarray.scalar(dtype, raw)``: a numeric dtype and exactly one item of bytes.
* ``scipy.sparse`` ``csr_matrix``, ``csc_matrix``, ``csr_array``, ``csc_array``: rebuilt only from
  their stored state (never called with arguments); its ``data`` / ``indices`` / ``indptr`` arrays
  must form a valid matrix of the stored shape (``check_format(full_check=True)``).
* ``set`` / ``frozenset`` of a stored list, tuple or set.
* ``object``, ``copyreg._reconstructor(sparse class, object, None)``, ``bytes()`` (no argument)
  and ``_codecs.encode(str, "latin1")``: how protocols 0 to 2 store objects and bytes.

``numpy.core`` and ``numpy._core`` are both accepted, and Python-2 module names (``__builtin__``,
``copy_reg``) are translated. Anything else (another global, an argument of the wrong type or
size, a malformed state) raises :class:`pickle.UnpicklingError`. Python-2 ``str`` objects are
decoded as latin-1 by default (numpy arrays pickled by Python 2 need that).
"""
from __future__ import annotations

import io
import math
import pickle
import re
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

__all__ = ["RestrictedUnpickler", "safe_load", "safe_loads"]

# Python 2 names pickle.Unpickler(fix_imports=True) translates; we translate them ourselves.
_PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}
_NUMPY_CORE = ("numpy.core.multiarray", "numpy._core.multiarray")
_NUMPY_NUMERIC = ("numpy.core.numeric", "numpy._core.numeric")
_SPARSE_CLASSES = frozenset({"csr_matrix", "csc_matrix", "csr_array", "csc_array"})
# numpy pickles a dtype as dtype(kind + itemsize, align, copy); the byte order comes in its state
_DTYPE_CODE = re.compile(r"[<>=|]?[biufc][0-9]{1,2}")
_NUMERIC_KINDS = "biufc"
_MAX_DIMS = 64


def _refuse(message: str) -> NoReturn:
    raise pickle.UnpicklingError(message)


class _NdarrayMarker:
    """Stands for ``numpy.ndarray`` in a pickle: accepted as the first argument of
    ``_reconstruct``, not callable (``numpy.ndarray(shape)`` allocates from the shape alone)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "numpy.ndarray"

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("numpy.ndarray may not be called (it allocates from a shape); arrays are rebuilt with _reconstruct")


_NDARRAY = _NdarrayMarker()


class _Admitted:
    """An admitted callable as a pickle sees it: it can be called, but takes no state (a ``BUILD``
    on it, e.g. to replace a function's defaults, is refused) and has no attributes to set."""

    __slots__ = ("_fn",)

    def __init__(self, fn: Any) -> None:
        object.__setattr__(self, "_fn", fn)

    def __call__(self, *args: Any) -> Any:
        return self._fn(*args)

    def __setstate__(self, state: Any) -> NoReturn:
        _refuse(f"{getattr(self._fn, '__name__', 'a callable')} cannot be given a state")

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        _refuse(f"{getattr(self._fn, '__name__', 'a callable')} has no attribute {name!r} to set")


class _PendingArray:
    """The object ``_reconstruct`` returns; its state (the pickle's ``BUILD``) is checked and turned
    into the array, which replaces it in the result. Unhashable, like an array."""

    __slots__ = ("value",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self) -> None:
        self.value = None

    def __setstate__(self, state: Any) -> None:
        if self.value is not None:
            _refuse("a numpy array's state is given twice")
        self.value = _array_from_state(state)


class _PendingSparse:
    """A scipy sparse matrix waiting for its state (its ``__dict__``), which is checked."""

    __slots__ = ("target", "value")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, target: type) -> None:
        self.target, self.value = target, None

    def __setstate__(self, state: Any) -> None:
        if self.value is not None:
            _refuse(f"the state of a scipy.sparse.{self.target.__name__} is given twice")
        self.value = _sparse_from_state(self.target, state)


class _SparseFactory:
    """Base of the stand-ins a pickle gets for the scipy sparse classes: calling one with arguments
    is refused, creating one without (``NEWOBJ``) gives a :class:`_PendingSparse`."""

    __slots__ = ()
    target: type


# --------------------------------------------------------------------------- checks
def _index(value: Any, what: str) -> int:
    import numpy as np

    if type(value) is int or isinstance(value, np.integer):
        return int(value)
    _refuse(f"{what} must be an integer, got {type(value).__name__}")


def _shape(shape: Any, what: str = "array shape") -> tuple[int, ...]:
    if type(shape) is not tuple or len(shape) > _MAX_DIMS:
        _refuse(f"{what} must be a tuple of at most {_MAX_DIMS} integers, got {type(shape).__name__}")
    dims = tuple(_index(n, what) for n in shape)
    if any(n < 0 for n in dims):
        _refuse(f"{what} {dims} has a negative size")
    return dims


def _raw_bytes(raw: Any, what: str) -> bytes:
    if type(raw) is bytes:
        return raw
    if type(raw) is str:  # a Python-2 str, decoded as latin-1
        try:
            return raw.encode("latin1")
        except UnicodeEncodeError:
            _refuse(f"{what} is text that is not latin-1 bytes")
    _refuse(f"{what} must be bytes, got {type(raw).__name__}")


def _check_dtype(dtype: Any):
    """The plain dtype of the same kind, item size and byte order as ``dtype``, which must be
    numeric; whatever else its state set (flags, fields, sub-array shape) is refused."""
    import numpy as np

    if not isinstance(dtype, np.dtype):
        _refuse(f"expected a numpy dtype, got {type(dtype).__name__}")
    problem = (
        "is not numeric" if dtype.kind not in _NUMERIC_KINDS
        else "is marked as holding Python objects" if dtype.hasobject
        else "is a sub-array type" if dtype.subdtype is not None
        else "has fields" if dtype.names is not None or dtype.fields is not None
        else None
    )
    if problem:
        _refuse(f"numpy dtype {dtype.str} {problem}; only plain numeric types are allowed")
    plain = np.dtype(dtype.str)
    if plain.kind != dtype.kind or plain.itemsize != dtype.itemsize:
        _refuse(f"numpy dtype {dtype!r} has an inconsistent item size")
    return plain


def _dtype(code: Any, align: Any = False, copy: Any = False):
    """``numpy.dtype(code, align, copy)`` for plain numeric codes; always a private copy (its state
    may set the byte order)."""
    import numpy as np

    if type(code) is bytes:  # Python-2 pickles read with encoding="bytes"
        code = code.decode("latin1")
    if type(code) is not str or not _DTYPE_CODE.fullmatch(code):
        _refuse(f"numpy dtype {code!r} is not a plain numeric type code such as 'f4' or 'i8'")
    if type(align) not in (bool, int) or type(copy) not in (bool, int):
        _refuse("numpy dtype: align and copy must be booleans")
    dtype = np.dtype(code, bool(align), True)
    if dtype.kind not in _NUMERIC_KINDS:
        _refuse(f"numpy dtype {code!r} is not numeric")
    return dtype


def _nbytes(shape: tuple[int, ...], dtype: Any) -> int:
    return math.prod(shape) * dtype.itemsize


def _array_from_state(state: Any):
    import numpy as np

    if type(state) is not tuple or len(state) not in (4, 5):
        _refuse("a numpy array's state must be (version, shape, dtype, fortran, raw bytes)")
    if len(state) == 5:
        _index(state[0], "numpy array state version")
        state = state[1:]
    shape, dtype, fortran, raw = state
    shape = _shape(shape)
    dtype = _check_dtype(dtype)
    if type(fortran) not in (bool, int):
        _refuse("a numpy array's Fortran-order flag must be a boolean")
    raw = _raw_bytes(raw, "a numpy array's data")
    if len(raw) != _nbytes(shape, dtype):
        _refuse(
            f"numpy array of shape {shape} and dtype {dtype} needs {_nbytes(shape, dtype)} bytes, "
            f"the pickle stores {len(raw)}"
        )
    array = np.ndarray.__new__(np.ndarray, (0,), "b")
    array.__setstate__((1, shape, dtype, bool(fortran), raw))
    return array


def _sparse_from_state(target: type, state: Any):
    import numpy as np

    name = f"scipy.sparse.{target.__name__}"
    if type(state) is not dict:
        _refuse(f"the state of a {name} must be a dict")
    shape = _shape(state.get("_shape", state.get("shape")), f"{name} shape")
    if len(shape) != 2:
        _refuse(f"{name} shape must have 2 entries, got {shape}")
    parts = []
    for key in ("data", "indices", "indptr"):
        value = state.get(key)
        if type(value) is _PendingArray:
            value = value.value
        if type(value) is not np.ndarray or value.ndim != 1:
            _refuse(f"{name}.{key} must be a 1-D numpy array")
        if key != "data" and value.dtype.kind not in "iu":
            _refuse(f"{name}.{key} must hold integers, got {value.dtype}")
        parts.append(value)
    try:
        matrix = target(tuple(parts), shape=shape)
        matrix.check_format(full_check=True)
    except (ValueError, TypeError, OverflowError) as err:
        _refuse(f"{name} with shape {shape} is malformed: {err}")
    return matrix


# --------------------------------------------------------------------------- admitted callables
def _set(*args: Any) -> set:
    if not args:
        return set()
    if len(args) != 1 or type(args[0]) not in (list, tuple, set, frozenset):
        _refuse("set() may only be built from a stored list, tuple or set")
    return set(args[0])


def _frozenset(*args: Any) -> frozenset:
    return frozenset(_set(*args))


def _empty_bytes(*args: Any) -> bytes:
    """``bytes()``: how protocols 0 to 2 store ``b""``; any argument is refused."""
    if args:
        _refuse("bytes() is only accepted without arguments (bytes(n) allocates n bytes)")
    return b""


def _encode(text: Any, encoding: Any = "utf-8", errors: Any = "strict") -> bytes:
    """``_codecs.encode(text, "latin1")``: how protocols 0 to 2 store ``bytes``."""
    if type(text) is not str or encoding not in ("latin1", "latin-1") or errors != "strict":
        _refuse("_codecs.encode is only accepted as encode(str, 'latin1')")
    return text.encode("latin1")


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> _PendingArray:
    """numpy's ``_frombuffer`` (protocol 5), checked; the array is handed out like a rebuilt one, so
    that a state given to it afterwards is refused rather than passed to numpy."""
    import numpy as np

    if type(buf) not in (bytes, bytearray):
        _refuse(f"numpy array data must be bytes, got {type(buf).__name__}")
    dtype = _check_dtype(dtype)
    shape = _shape(shape)
    if type(order) is not str or order not in ("C", "F"):
        _refuse(f"numpy array order must be 'C' or 'F', got {order!r}")
    if len(buf) != _nbytes(shape, dtype):
        _refuse(
            f"numpy array of shape {shape} and dtype {dtype} needs {_nbytes(shape, dtype)} bytes, "
            f"the pickle stores {len(buf)}"
        )
    pending = _PendingArray()
    pending.value = np.frombuffer(buf, dtype=dtype).reshape(shape, order=order)
    return pending


def _numpy_scalar():
    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import scalar
    return scalar


# --------------------------------------------------------------------------- the unpickler
class RestrictedUnpickler(pickle.Unpickler):
    """:class:`pickle.Unpickler` that only admits the numpy / scipy / builtin data types listed in
    the module docstring, each with bounded arguments.

    Raises:
        pickle.UnpicklingError: the pickle references any other global (e.g. ``os.system``), passes
            an admitted one arguments it does not accept, or is malformed.
    """

    def __init__(self, file: BinaryIO, *, encoding: str = "latin1", errors: str = "strict") -> None:
        super().__init__(file, encoding=encoding, errors=errors)
        self._pending: list[_PendingArray | _PendingSparse] = []
        self._factories: dict[type, type] = {}
        self._scalar = self._scalar_builder()
        self._wrapped = {
            "set": _Admitted(_set), "frozenset": _Admitted(_frozenset), "bytes": _Admitted(_empty_bytes),
            "encode": _Admitted(_encode), "dtype": _Admitted(_dtype), "_frombuffer": _Admitted(self._frombuffer),
            "_reconstruct": _Admitted(self._reconstruct), "_reconstructor": _Admitted(self._reconstructor),
        }

    def find_class(self, module: str, name: str) -> Any:  # noqa: D401 - pickle API
        module = _PY2_MODULES.get(module, module)
        found = self._admitted(module, name)
        if found is None:
            _refuse(
                f"refusing to load global {module}.{name}: only numpy arrays, scipy sparse matrices "
                "and sets are allowed in dataset pickles"
            )
        return found

    def _admitted(self, module: str, name: str) -> Any:
        if module == "builtins":
            if name == "object":
                return object
            return self._wrapped[name] if name in ("set", "frozenset", "bytes") else None
        if module == "copyreg" and name == "_reconstructor":
            return self._wrapped["_reconstructor"]
        if module == "_codecs" and name == "encode":
            return self._wrapped["encode"]
        if module == "numpy":
            return {"dtype": self._wrapped["dtype"], "ndarray": _NDARRAY}.get(name)
        if module in _NUMPY_CORE:
            return {"_reconstruct": self._wrapped["_reconstruct"], "scalar": self._scalar}.get(name)
        if module in _NUMPY_NUMERIC and name == "_frombuffer":
            return self._wrapped["_frombuffer"]
        if (module == "scipy.sparse" or module.startswith("scipy.sparse.")) and name in _SPARSE_CLASSES:
            import scipy.sparse

            # old pickles name private modules (scipy.sparse.csr); the public class is the same
            return self._sparse_factory(getattr(scipy.sparse, name))
        return None

    # admitted callables that record what they create
    def _reconstruct(self, subtype: Any, shape: Any, code: Any) -> _PendingArray:
        if subtype is not _NDARRAY:
            _refuse(f"_reconstruct may only rebuild numpy.ndarray, got {subtype!r}")
        if type(shape) is not tuple or shape != (0,) or type(code) not in (bytes, str) or code not in (b"b", "b"):
            _refuse("_reconstruct is only accepted as numpy pickles it: _reconstruct(ndarray, (0,), b'b')")
        pending = _PendingArray()
        self._pending.append(pending)
        return pending

    @staticmethod
    def _scalar_builder() -> Any:
        """``scalar(dtype, raw)`` checking ``dtype`` (remembered while it is reused, as in a list of
        numpy integers) and that ``raw`` is exactly one item."""
        scalar = _numpy_scalar()
        last: list[Any] = [None, None, -1]  # the dtype object seen last (kept alive), its plain copy, itemsize

        def checked_scalar(dtype: Any, raw: Any = None) -> Any:
            if dtype is last[0] and type(raw) is bytes and len(raw) == last[2]:
                return scalar(last[1], raw)
            plain = _check_dtype(dtype)
            raw = _raw_bytes(raw, "a numpy scalar")
            if len(raw) != plain.itemsize:
                _refuse(f"a numpy {plain} scalar needs {plain.itemsize} bytes, the pickle stores {len(raw)}")
            last[:] = [dtype, plain, plain.itemsize]
            return scalar(plain, raw)

        return checked_scalar

    def _sparse_factory(self, target: type) -> type:
        factory = self._factories.get(target)
        if factory is None:
            pending = self._pending

            def __new__(cls, *args: Any, **kwargs: Any) -> _PendingSparse:
                if args or kwargs:
                    _refuse(f"scipy.sparse.{target.__name__} may only be rebuilt from its stored state")
                obj = _PendingSparse(target)
                pending.append(obj)
                return obj

            factory = type(target.__name__, (_SparseFactory,), {"__new__": __new__, "__slots__": (), "target": target})
            self._factories[target] = factory
        return factory

    def _frombuffer(self, *args: Any) -> _PendingArray:
        pending = _frombuffer(*args)
        self._pending.append(pending)
        return pending

    def _reconstructor(self, cls: Any, base: Any, state: Any) -> _PendingSparse:
        if not (isinstance(cls, type) and issubclass(cls, _SparseFactory) and base is object and state is None):
            _refuse("copyreg._reconstructor is only accepted for scipy sparse matrices")
        return cls()

    def load(self) -> Any:
        """Unpickle one object; see the class docstring for what is admitted.

        Raises:
            pickle.UnpicklingError: the pickle is refused or malformed (every other error raised
                while reading it is turned into this one, with the original as its cause).
        """
        try:
            obj = super().load()
            if self._pending:
                obj = _resolve(obj)
                if any(p.value is None for p in self._pending):
                    _refuse("a numpy array or scipy sparse matrix has no state")
        except pickle.UnpicklingError:
            raise
        except Exception as err:  # TypeError, ValueError, EOFError, MemoryError, RecursionError, ...
            raise pickle.UnpicklingError(f"not a well-formed data pickle ({type(err).__name__}: {err})") from err
        return obj


def _resolve(obj: Any) -> Any:
    """Replace every pending array / sparse matrix in ``obj`` (lists, dicts, tuples) by its value."""
    seen: dict[int, tuple[Any, Any]] = {}  # id -> (original, replacement); keeps originals alive

    def visit(node: Any) -> Any:
        kind = type(node)
        if kind is _PendingArray or kind is _PendingSparse:
            if node.value is None:
                _refuse("a numpy array or scipy sparse matrix has no state")
            return node.value
        if kind is not list and kind is not dict and kind is not tuple:
            return node
        if id(node) in seen:
            return seen[id(node)][1]
        if kind is list:
            seen[id(node)] = (node, node)
            for i, item in enumerate(node):
                new = visit(item)
                if new is not item:
                    node[i] = new
            return node
        if kind is dict:
            seen[id(node)] = (node, node)
            for key, item in node.items():
                new = visit(item)
                if new is not item:
                    node[key] = new
            return node
        items = [visit(item) for item in node]
        new = node if all(a is b for a, b in zip(items, node)) else tuple(items)
        seen[id(node)] = (node, new)
        return new

    return visit(obj)


def safe_load(file: str | Path | BinaryIO, encoding: str = "latin1") -> Any:
    """Unpickle ``file`` (a path or a binary file object) with :class:`RestrictedUnpickler`.

    Returns:
        The unpickled object (for HyperGCN: ``dict``, ``list`` or ``scipy.sparse.csr_matrix``).

    Raises:
        pickle.UnpicklingError: see :class:`RestrictedUnpickler`.
    """
    if isinstance(file, (str, Path)):
        with open(file, "rb") as fh:
            return RestrictedUnpickler(fh, encoding=encoding).load()
    return RestrictedUnpickler(file, encoding=encoding).load()


def safe_loads(data: bytes, encoding: str = "latin1") -> Any:
    """Like :func:`safe_load` for an in-memory ``bytes`` pickle."""
    return RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()
