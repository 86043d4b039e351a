"""The restricted unpickler loads data-only pickles and refuses anything that could run code."""
from __future__ import annotations

import os
import pickle
import struct
import time
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from hgnn.datasets.safe_pickle import RestrictedUnpickler, safe_load, safe_loads


class _Evil:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


@pytest.mark.parametrize(
    "func, args",
    [
        (os.system, ("echo pwned",)),
        (eval, ("1 + 1",)),
        (getattr, (0, "real")),
        (__import__, ("os",)),
        (np.load, ("/nonexistent",)),
        (sp.load_npz, ("/nonexistent",)),
    ],
    ids=["os.system", "builtins.eval", "builtins.getattr", "builtins.__import__", "numpy.load", "scipy.load_npz"],
)
def test_refuses_code_execution(func, args, tmp_path):
    payload = pickle.dumps(_Evil(func, *args), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        safe_loads(payload)
    path = tmp_path / "evil.pickle"
    path.write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError):
        safe_load(path)


def test_refuses_os_system_raw_opcodes(tmp_path):
    # hand-written protocol-0 pickle: GLOBAL posix.system, then REDUCE; must never run
    marker = tmp_path / "ran"
    payload = f"cposix\nsystem\n(Vtouch {marker}\ntR.".encode()
    with pytest.raises(pickle.UnpicklingError):
        safe_loads(payload)
    assert not marker.exists()


def _same(a, b) -> bool:
    if sp.issparse(a):
        return type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype and (a != b).nnz == 0
    if isinstance(a, np.ndarray):
        return type(b) is np.ndarray and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return type(b) is dict and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_loads_data_pickles(protocol):
    obj = {
        "set": {1, 2, 3},
        "list": [np.int64(4), np.int32(5), np.float32(0.5), np.bool_(True), np.complex64(1 + 2j)],
        "array": np.arange(6, dtype=np.float32).reshape(2, 3),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "big_endian": np.arange(4, dtype=">i4"),
        "empty": np.zeros((0, 3), dtype=np.int64),
        "csr": sp.csr_matrix(np.eye(3, dtype=np.float32)),
        "csc": sp.csc_array(np.arange(6.0).reshape(2, 3)),
        "frozen": frozenset({"a"}),
        "nested": ([np.arange(3)], (np.ones(2), "x")),
    }
    payload = pickle.dumps(obj, protocol=protocol)
    assert _same(pickle.loads(payload), safe_loads(payload))


def test_loads_python2_style_arrays():
    # Python 2 wrote raw array / scalar bytes as str (SHORT_BINSTRING); encoding='latin1' reads them as str
    def py2str(b: bytes) -> bytes:
        return b"U" + bytes([len(b)]) + b

    array = _global("numpy.core.multiarray", "_reconstruct") + _tuple(
        _global("numpy", "ndarray"), _tuple(_int(0)), py2str(b"b")
    ) + REDUCE
    raw = py2str(b"\x00\x00\x01\x00\xff\x00")
    array += _tuple(_int(1), _tuple(_int(3)), _dtype("i2", _dtype_state()), NEWFALSE, raw)
    array += BUILD
    scalar = _global("numpy.core.multiarray", "scalar")
    scalar += _tuple(_dtype("i8", _dtype_state()), py2str(bytes([7]) + bytes(7)))
    out = safe_loads(_proto(2) + MARK + array + scalar + REDUCE + b"l" + STOP)  # LIST
    assert out[0].dtype == np.int16 and out[0].tolist() == [0, 1, 255]
    assert out[1] == 7 and out[1].dtype == np.int64


def test_python2_module_names_are_translated():
    # protocol 2 with fix_imports writes Python-2 names (__builtin__.set), as HyperGCN's pickles do
    payload = pickle.dumps({7, 8}, protocol=2, fix_imports=True)
    assert b"__builtin__" in payload
    assert safe_loads(payload) == {7, 8}


def test_is_an_unpickler_subclass():
    assert issubclass(RestrictedUnpickler, pickle.Unpickler)


def test_real_hypergcn_pickle():
    from hgnn.datasets import get_spec
    from hgnn.datasets.root import find_root

    spec = get_spec("cocitation-cora")
    base = find_root(spec.subdir, spec.files)
    if base is None:
        pytest.skip("cocitation-cora not on disk")
    feats = safe_load(base / spec.subdir / "features.pickle")
    assert sp.issparse(feats) and feats.shape == (2708, 1433)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pickle names scipy's private modules
def test_every_real_dataset_pickle_loads_as_with_pickle():
    """Every pickle of every on-disk dataset loads, and equals what the unrestricted pickle gives."""
    from hgnn import datasets
    from hgnn.datasets import get_spec

    files = []
    for info in datasets.available():
        if info.on_disk:
            spec = get_spec(info.name)
            files += [f"{info.path}/{f}" for f in spec.files + spec.optional_files if f.endswith(".pickle")]
    files = [f for f in files if os.path.isfile(f)]
    if not files:
        pytest.skip("no dataset pickle on disk")
    for path in files:
        with open(path, "rb") as fh:
            expected = pickle.load(fh, encoding="latin1")
        assert _same(expected, safe_load(path)), path


# --------------------------------------------------------------------------- hostile pickles
# Built by hand from opcodes, so that no real object of the size they ask for is ever created.
STOP, TUPLE1, REDUCE, BUILD, MARK, TUPLE, NONE = b".", b"\x85", b"R", b"b", b"(", b"t", b"N"
EMPTY_DICT, SETITEMS, EMPTY_LIST, EMPTY_TUPLE, NEWOBJ = b"}", b"u", b"]", b")", b"\x81"
NEWTRUE, NEWFALSE = b"\x88", b"\x89"
BIG = 2**33  # 8 GiB of uint8


def _proto(n: int) -> bytes:
    return b"\x80" + bytes([n])


def _global(module: str, name: str) -> bytes:  # GLOBAL
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _stack_global(module: str, name: str) -> bytes:  # STACK_GLOBAL (protocol 4)
    return _text(module) + _text(name) + b"\x93"


def _int(n: int) -> bytes:
    if -(2**31) <= n < 2**31:
        return b"J" + struct.pack("<i", n)  # BININT
    raw = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(raw)]) + raw  # LONG1


def _text(s: str) -> bytes:  # BINUNICODE
    return b"X" + struct.pack("<I", len(s.encode())) + s.encode()


def _bytes(b: bytes) -> bytes:  # BINBYTES (protocol 3)
    return b"B" + struct.pack("<I", len(b)) + b


def _tuple(*items: bytes) -> bytes:
    return MARK + b"".join(items) + TUPLE


def _dtype(code: str, state: bytes | None = None) -> bytes:
    out = _global("numpy", "dtype") + _tuple(_text(code), NEWFALSE, NEWTRUE) + REDUCE
    return out + (state + BUILD if state is not None else b"")


def _dtype_state(endian="<", flags=0, subarray=NONE, elsize=-1) -> bytes:
    return _tuple(_int(3), _text(endian), subarray, NONE, NONE, _int(elsize), _int(-1), _int(flags))


def _array(shape: tuple, dtype: bytes, data: bytes) -> bytes:
    new = _global("numpy.core.multiarray", "_reconstruct") + _tuple(
        _global("numpy", "ndarray"), _tuple(_int(0)), _bytes(b"b")
    )
    state = _tuple(_int(1), _tuple(*[_int(n) for n in shape]), dtype, NEWFALSE, data)
    return new + REDUCE + state + BUILD


def _csr_with_state(shape: tuple, indptr: bytes) -> bytes:
    state = EMPTY_DICT + MARK + _text("_shape") + _tuple(*[_int(n) for n in shape])
    state += _text("data") + _array((0,), _dtype("f8"), _bytes(b""))
    state += _text("indices") + _array((0,), _dtype("i4"), _bytes(b""))
    state += _text("indptr") + indptr + SETITEMS
    return _global("scipy.sparse", "csr_matrix") + EMPTY_TUPLE + NEWOBJ + state + BUILD


HOSTILE = {
    "list(xrange(2**60))": _proto(2) + _global("__builtin__", "list") + _global("__builtin__", "xrange")
    + _int(2**60) + TUPLE1 + REDUCE + TUPLE1 + REDUCE + STOP,
    "bytearray(8 GiB)": _proto(2) + _global("__builtin__", "bytearray") + _int(BIG) + TUPLE1 + REDUCE + STOP,
    "bytes(8 GiB)": _proto(4) + _stack_global("builtins", "bytes") + _int(BIG) + TUPLE1 + REDUCE + STOP,
    "bytes(8 GiB), protocol 2": _proto(2) + _global("__builtin__", "bytes") + _int(BIG) + TUPLE1 + REDUCE + STOP,
    "numpy.ndarray(shape)": _proto(4) + _stack_global("numpy", "ndarray") + _tuple(_tuple(_int(BIG))) + REDUCE + STOP,
    "numpy.matrix": _proto(2) + _global("numpy", "matrix") + _tuple(_tuple(_int(BIG))) + REDUCE + STOP,
    "_reconstruct(huge shape)": _proto(2) + _global("numpy.core.multiarray", "_reconstruct")
    + _tuple(_global("numpy", "ndarray"), _tuple(_int(BIG)), _bytes(b"b")) + REDUCE + STOP,
    "array state larger than its bytes": _proto(3) + _array((BIG,), _dtype("u1", _dtype_state()), _bytes(b"\0" * 8))
    + STOP,
    "dtype flagged as holding objects": _proto(3)
    + _array((2**27,), _dtype("f8", _dtype_state(flags=0x3F)), EMPTY_LIST) + STOP,
    "sub-array dtype": _proto(3)
    + _array((1,), _dtype("f8", _dtype_state(subarray=_tuple(_dtype("f8"), _tuple(_int(2**30))))), _bytes(b"\0" * 8))
    + STOP,
    "object dtype": _proto(3) + _dtype("O8") + STOP,
    "void dtype of 8 GiB": _proto(3) + _global("numpy.core.multiarray", "scalar")
    + _tuple(_dtype("V8", _dtype_state("|", elsize=BIG)), _bytes(b"x")) + REDUCE + STOP,
    "scalar longer than its bytes": _proto(3) + _global("numpy._core.multiarray", "scalar")
    + _tuple(_dtype("f8"), _bytes(b"x")) + REDUCE + STOP,
    "_frombuffer(huge shape)": _proto(3) + _global("numpy.core.numeric", "_frombuffer")
    + _tuple(_bytes(b"\0" * 8), _dtype("u1"), _tuple(_int(BIG)), _text("C")) + REDUCE + STOP,
    "csr_matrix((2**31, 2**31))": _proto(2) + _global("scipy.sparse", "csr_matrix")
    + _tuple(_tuple(_int(2**31), _int(2**31))) + REDUCE + STOP,
    "lil_matrix((2**40, 2**40))": _proto(2) + _global("scipy.sparse", "lil_matrix")
    + _tuple(_tuple(_int(2**40), _int(2**40))) + REDUCE + STOP,
    "csr state with a huge shape": _proto(3)
    + _csr_with_state((2**40, 4), _array((1,), _dtype("i4"), _bytes(b"\0" * 4))) + STOP,
    "_codecs.encode(rot13)": _proto(2) + _global("_codecs", "encode") + _tuple(_text("abc"), _text("rot13")) + REDUCE
    + STOP,
    "copy_reg._reconstructor(list)": _proto(2) + _global("copy_reg", "_reconstructor")
    + _tuple(_global("__builtin__", "list"), _global("__builtin__", "list"), NONE) + REDUCE + STOP,
    "set(str)": _proto(2) + _global("__builtin__", "set") + _tuple(_text("abc")) + REDUCE + STOP,
    "state given to an admitted function": _proto(2) + _global("_codecs", "encode")
    + _tuple(NONE, EMPTY_DICT + _text("__defaults__") + _tuple(_text("rot13")) + b"s") + BUILD + STOP,
    "state given to a protocol-5 array": _proto(5) + _global("numpy.core.numeric", "_frombuffer")
    + _tuple(_bytes(b"\0" * 8), _dtype("u1"), _tuple(_int(8)), _text("C")) + REDUCE
    + _tuple(_int(1), _tuple(_int(2**27)), _dtype("f8", _dtype_state(flags=0x3F)), NEWFALSE, EMPTY_LIST) + BUILD + STOP,
}


@pytest.mark.parametrize("payload", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_pickles_are_refused_before_allocating(payload):
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(pickle.UnpicklingError):
            safe_loads(payload)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 2.0
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize(
    "module, name",
    [("__builtin__", "list"), ("builtins", "dict"), ("builtins", "range"), ("__builtin__", "xrange"),
     ("builtins", "bytearray"), ("builtins", "str"), ("builtins", "int"), ("builtins", "getattr"),
     ("numpy", "matrix"), ("numpy", "frombuffer"), ("scipy.sparse", "dok_matrix"), ("copyreg", "__newobj__")],
)
def test_allow_list_is_minimal(module, name):
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        safe_loads(_proto(2) + _global(module, name) + STOP)
