"""Back-end names, the process default, and the per-operation choice of `resolve`."""
import pytest
import torch

from hgnn import ops
from hgnn.ops import backend as backend_mod

CPU = torch.device("cpu")
needs_torch_scatter = pytest.mark.skipif(not ops.HAS_TORCH_SCATTER, reason="torch_scatter not importable")


@pytest.fixture(autouse=True)
def _restore_default_backend():
    previous = ops.get_backend()
    yield
    ops.set_backend(previous)


def test_default_is_auto_and_set_backend_roundtrips():
    assert ops.get_backend() == "auto"
    ops.set_backend("native")
    assert ops.get_backend() == "native"
    assert ops.resolve("sum", CPU) == "native"  # backend=None reads the process default


@pytest.mark.parametrize("outer", ["auto", "native"])
def test_use_backend_restores_previous_value(outer):
    ops.set_backend(outer)
    with ops.use_backend("sparse"):
        assert ops.get_backend() == "sparse"
        with ops.use_backend("native"):
            assert ops.get_backend() == "native"
        assert ops.get_backend() == "sparse"
    assert ops.get_backend() == outer
    with pytest.raises(RuntimeError):
        with ops.use_backend("sparse"):
            raise RuntimeError("boom")
    assert ops.get_backend() == outer  # restored on error too


@pytest.mark.parametrize("bad", ["Native", "cuda", "", None, 3])
def test_bad_backend_names_raise_value_error(bad):
    with pytest.raises(ValueError, match="backend"):
        ops.set_backend(bad)
    with pytest.raises(ValueError, match="backend"):
        with ops.use_backend(bad):
            pass
    if bad is not None:  # None means "the process default" for resolve / the kernels
        with pytest.raises(ValueError, match="backend"):
            ops.resolve("sum", CPU, bad)
        with pytest.raises(ValueError, match="backend"):
            ops.scatter(torch.ones(2), torch.zeros(2, dtype=torch.long), 1, backend=bad)
    assert ops.get_backend() == "auto"  # a rejected name leaves the default alone


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "weighted_sum"])
def test_explicit_names(op):
    assert ops.resolve(op, CPU, "native") == "native"
    # the sparse product only computes sums: max/min fall back to native
    assert ops.resolve(op, CPU, "sparse") == ("native" if op in ("max", "min") else "sparse")
    if ops.HAS_TORCH_SCATTER:
        assert ops.resolve(op, CPU, "torch_scatter") == "torch_scatter"


def test_auto_on_cpu(monkeypatch):
    for op in ("sum", "mean", "weighted_sum"):
        assert ops.resolve(op, CPU, "auto") == "sparse"
    allowed = {"native", "torch_scatter"} if ops.HAS_TORCH_SCATTER else {"native"}
    for op in ("max", "min"):  # the sparse product cannot compute these
        assert ops.resolve(op, CPU, "auto") in allowed
    monkeypatch.setattr(backend_mod, "HAS_TORCH_SCATTER", False)
    assert ops.resolve("max", CPU, "auto") == "native"  # never picks an unavailable back-end


def test_torch_scatter_unavailable_raises(monkeypatch):
    monkeypatch.setattr(backend_mod, "HAS_TORCH_SCATTER", False)
    with pytest.raises(ValueError, match="torch_scatter"):
        ops.resolve("max", CPU, "torch_scatter")


@needs_torch_scatter
def test_torch_scatter_available():
    assert ops.resolve("max", CPU, "torch_scatter") == "torch_scatter"


@pytest.mark.parametrize("name", ["auto", "sparse", "torch_scatter"])
def test_tracing_forces_native(monkeypatch, name):
    if name == "torch_scatter" and not ops.HAS_TORCH_SCATTER:
        pytest.skip("torch_scatter not importable")
    assert not ops.is_tracing()
    monkeypatch.setattr(backend_mod, "is_tracing", lambda: True)
    assert ops.resolve("sum", CPU, name) == "native"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_jit_trace_resolves_native():
    seen = []

    def f(x):
        seen.append(ops.resolve("sum", x.device, "sparse"))
        return x * 2

    torch.jit.trace(f, torch.ones(1), check_trace=False)
    assert seen == ["native"]
