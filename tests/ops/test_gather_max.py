import importlib

import pytest
import torch
from hypothesis import given, settings, strategies as st

from hgnn import ops

gm = importlib.import_module("hgnn.ops.gather_max")  # the module; hgnn.ops.gather_max is the function

F64 = torch.float64


def reference(x, src, dst, dim_size, weight=None, reduce="max"):
    """Per-group loop: the definition, not another kernel."""
    msgs = x[src] if weight is None else x[src] * weight.view(-1, *([1] * (x.dim() - 1)))
    out = x.new_zeros(dim_size, *x.shape[1:])
    for j in range(dim_size):
        rows = msgs[dst == j]
        if rows.numel():
            out[j] = rows.max(0).values if reduce == "max" else rows.min(0).values
    return out


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of 3 rows: every test crosses many block boundaries."""
    monkeypatch.setattr(gm, "BLOCK_BYTES", 1)
    monkeypatch.setattr(gm, "_step", lambda x: 3)


@settings(max_examples=25, deadline=None)
@given(
    data=st.tuples(st.integers(1, 12), st.integers(0, 40), st.integers(1, 9), st.integers(0, 2**31 - 1)),
    reduce=st.sampled_from(["max", "min"]),
    weighted=st.booleans(),
)
def test_matches_definition_values_and_gradients(data, reduce, weighted):
    n, nnz, dim_size, seed = data
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=gen, dtype=F64, requires_grad=True)
    src = torch.randint(0, n, (nnz,), generator=gen)
    dst = torch.randint(0, dim_size, (nnz,), generator=gen)
    w = torch.rand(nnz, generator=gen, dtype=F64).add_(0.5).requires_grad_() if weighted else None
    out = ops.gather_max(x, src, dst, dim_size, w, reduce)
    ref = reference(x, src, dst, dim_size, w, reduce)
    torch.testing.assert_close(out, ref)
    grad = torch.randn(dim_size, 3, generator=gen, dtype=F64)
    inputs = [x] + ([w] if weighted else [])
    if nnz:  # random floats: no ties, so the subgradient is unique
        for a, b in zip(torch.autograd.grad(out, inputs, grad), torch.autograd.grad(ref, inputs, grad)):
            torch.testing.assert_close(a, b)


def test_blocks_do_not_change_the_result(tiny_blocks):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(20, 2, 3, generator=gen, dtype=F64, requires_grad=True)  # extra trailing dim
    src, dst = torch.randint(0, 20, (50,), generator=gen), torch.randint(0, 7, (50,), generator=gen)
    w = torch.rand(50, generator=gen, dtype=F64, requires_grad=True)
    out = ops.gather_max(x, src, dst, 8, w)
    torch.testing.assert_close(out, reference(x, src, dst, 8, w))
    assert torch.autograd.gradcheck(lambda x, w: ops.gather_max(x, src, dst, 8, w), (x, w))


def test_ties_share_the_gradient_evenly():
    x = torch.zeros(5, 2, dtype=F64, requires_grad=True)
    out = ops.gather_max(x, torch.tensor([0, 1, 2, 4]), torch.tensor([0, 0, 0, 1]), 2)
    out.sum().backward()
    # three tied members share group 0's unit gradient; node 3 is in no group
    torch.testing.assert_close(x.grad, torch.tensor([[1 / 3] * 2] * 3 + [[0.0] * 2] + [[1.0] * 2], dtype=F64))


def test_empty_groups_and_no_incidences_give_zeros():
    x = torch.randn(4, 3, requires_grad=True)
    out = ops.gather_max(x, torch.tensor([1]), torch.tensor([2]), 4, reduce="min")
    assert torch.equal(out[[0, 1, 3]], torch.zeros(3, 3)) and torch.equal(out[2], x[1].detach())
    empty = ops.gather_max(x, torch.empty(0, dtype=torch.long), torch.empty(0, dtype=torch.long), 3)
    assert torch.equal(empty, torch.zeros(3, 3))
    empty.sum().backward()
    assert torch.equal(x.grad, torch.zeros(4, 3))


def test_rejects_unknown_reduce():
    with pytest.raises(ValueError, match="reduce must be 'max' or 'min'"):
        ops.gather_max(torch.randn(2, 1), torch.tensor([0]), torch.tensor([0]), 1, reduce="sum")


def test_auto_backend_uses_the_blocked_kernel_and_named_backends_do_not():
    cpu = torch.device("cpu")
    assert ops.resolve("gather_max", cpu, "auto") == "blocked"
    assert ops.resolve("gather_max", cpu, "native") == "native"
    assert ops.resolve("gather_max", cpu, "sparse") == "native"
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(10, 4, generator=gen)
    src, dst = torch.randint(0, 10, (30,), generator=gen), torch.randint(0, 5, (30,), generator=gen)
    for reduce in ("max", "min"):
        torch.testing.assert_close(
            ops.gather_scatter(x, src, dst, 6, reduce=reduce, backend="auto"),
            ops.gather_scatter(x, src, dst, 6, reduce=reduce, backend="native"),
        )


def test_compiled_callers_trace_the_plain_path():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(10, 4, generator=gen)
    src, dst = torch.randint(0, 10, (30,), generator=gen), torch.randint(0, 5, (30,), generator=gen)
    fn = torch.compile(lambda x: ops.gather_scatter(x, src, dst, 5, reduce="max"), backend="eager")
    torch.testing.assert_close(fn(x), ops.gather_max(x, src, dst, 5))
