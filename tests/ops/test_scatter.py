"""Grouped reductions against a Python per-group reference, on every back-end."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hgnn import ops

F64 = torch.float64
BACKENDS = ["native", "torch_scatter", "sparse", "auto", None]
SETTINGS = settings(max_examples=25, deadline=None)


def _skip_missing(backend):
    if backend == "torch_scatter" and not ops.HAS_TORCH_SCATTER:
        pytest.skip("torch_scatter not importable")


def reference_scatter(src, index, dim_size, reduce):
    out = torch.zeros(dim_size, *src.shape[1:], dtype=src.dtype)
    for j in range(dim_size):
        rows = src[index == j]
        if rows.shape[0]:
            out[j] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0).values, "min": rows.min(0).values}[reduce]
    return out


@st.composite
def grouped(draw, trailing=(2, 3)):
    """``(src, index, dim_size)`` with empty groups likely; src is ``[n, *trailing]``."""
    dim_size = draw(st.integers(0, 7))
    n = draw(st.integers(0, 20)) if dim_size else 0
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    index = torch.randint(0, max(dim_size, 1), (n,), generator=gen)
    src = torch.randn(n, *trailing, generator=gen, dtype=F64) - 3.0  # mostly negative: 0 is never a max
    return src, index, dim_size


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", ops.REDUCTIONS)
@SETTINGS
@given(data=grouped())
def test_scatter_matches_reference(backend, reduce, data):
    _skip_missing(backend)
    src, index, dim_size = data
    out = ops.scatter(src, index, dim_size, reduce, backend=backend)
    assert out.shape == (dim_size, *src.shape[1:]) and out.dtype == src.dtype
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, reference_scatter(src, index, dim_size, reduce))
    empty = torch.bincount(index, minlength=dim_size) == 0
    assert (out[empty] == 0).all()


@pytest.mark.parametrize("reduce", ops.REDUCTIONS)
def test_scatter_empty_groups_are_zero_not_inf(reduce):
    src = torch.tensor([[1.0], [2.0], [-4.0]])
    index = torch.tensor([1, 1, 3])
    for backend in [b for b in BACKENDS if b != "torch_scatter" or ops.HAS_TORCH_SCATTER]:
        out = ops.scatter(src, index, 5, reduce, backend=backend)
        assert out[[0, 2, 4]].eq(0).all(), (backend, out)
        torch.testing.assert_close(out, reference_scatter(src, index, 5, reduce))


@pytest.mark.skipif(not ops.HAS_TORCH_SCATTER, reason="torch_scatter not importable")
@pytest.mark.parametrize("reduce", ops.REDUCTIONS)
def test_backends_agree(reduce):
    gen = torch.Generator().manual_seed(0)
    src = torch.randn(50, 4, 2, generator=gen)
    index = torch.randint(0, 12, (50,), generator=gen)
    torch.testing.assert_close(
        ops.scatter(src, index, 15, reduce, backend="native"),
        ops.scatter(src, index, 15, reduce, backend="torch_scatter"),
    )


def test_scatter_bad_reduce():
    with pytest.raises(ValueError, match="reduce"):
        ops.scatter(torch.ones(2), torch.zeros(2, dtype=torch.long), 1, "prod")


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(data=grouped(trailing=(3,)))
def test_scatter_softmax_normalises_per_group(backend, data):
    _skip_missing(backend)
    scores, index, dim_size = data
    out = ops.scatter_softmax(scores, index, dim_size, backend=backend)
    assert out.shape == scores.shape and torch.isfinite(out).all()
    ref = torch.empty_like(scores)
    for j in range(dim_size):
        ref[index == j] = torch.softmax(scores[index == j], 0)
    torch.testing.assert_close(out, ref)
    sums = ops.scatter(out, index, dim_size, "sum", backend="native")
    nonempty = torch.bincount(index, minlength=dim_size) > 0
    torch.testing.assert_close(sums[nonempty], torch.ones_like(sums[nonempty]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_scatter_softmax_large_scores_finite(backend):
    _skip_missing(backend)
    scores = torch.tensor([1e4, 1e4 - 1.0, -1e4, 5e3, 1e4], dtype=torch.float32)
    index = torch.tensor([0, 0, 1, 1, 2])
    out = ops.scatter_softmax(scores, index, 4, backend=backend)
    assert torch.isfinite(out).all()
    e = torch.tensor(1.0).exp()
    expected = torch.tensor([e / (1 + e), 1 / (1 + e), 0.0, 1.0, 1.0])
    torch.testing.assert_close(out, expected)


def test_scatter_softmax_gradcheck():
    scores = torch.randn(7, 2, dtype=F64, requires_grad=True)
    index = torch.tensor([0, 0, 2, 2, 2, 3, 0])
    assert torch.autograd.gradcheck(lambda s: ops.scatter_softmax(s, index, 5, backend="native"), (scores,))


def test_scatter_softmax_empty():
    out = ops.scatter_softmax(torch.empty(0, 2), torch.empty(0, dtype=torch.long), 3)
    assert out.shape == (0, 2)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", ops.REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_gather_scatter(backend, reduce, weighted):
    _skip_missing(backend)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(6, 3, generator=gen, dtype=F64)
    src_index = torch.randint(0, 6, (15,), generator=gen)
    dst_index = torch.randint(0, 4, (15,), generator=gen)
    dst_index[dst_index == 2] = 1  # group 2 empty; group 4 (dim_size 5) too
    weight = torch.rand(15, generator=gen, dtype=F64) + 0.5 if weighted else None
    out = ops.gather_scatter(x, src_index, dst_index, 5, weight, reduce, backend=backend)
    messages = x[src_index] * (1.0 if weight is None else weight[:, None])
    torch.testing.assert_close(out, reference_scatter(messages, dst_index, 5, reduce))
    if reduce == "sum":  # dense form: A[dst, src] += w
        A = torch.zeros(5, 6, dtype=F64).index_put((dst_index, src_index), torch.ones(15, dtype=F64) if weight is None else weight, accumulate=True)
        torch.testing.assert_close(out, A @ x)
