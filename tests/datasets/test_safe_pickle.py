"""The restricted unpickler loads data-only pickles and refuses anything that could run code."""
from __future__ import annotations

import os
import pickle

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


def test_loads_data_pickles():
    obj = {
        "set": {1, 2, 3},
        "list": [np.int64(4), np.int32(5)],
        "array": np.arange(6, dtype=np.float32).reshape(2, 3),
        "csr": sp.csr_matrix(np.eye(3, dtype=np.float32)),
        "frozen": frozenset({"a"}),
    }
    for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
        out = safe_loads(pickle.dumps(obj, protocol=protocol))
        assert out["set"] == {1, 2, 3} and out["frozen"] == frozenset({"a"})
        assert [int(v) for v in out["list"]] == [4, 5]
        np.testing.assert_array_equal(out["array"], obj["array"])
        assert sp.issparse(out["csr"]) and (out["csr"] != obj["csr"]).nnz == 0


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
