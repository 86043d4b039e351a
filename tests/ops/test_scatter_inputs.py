"""Bad group ids are rejected before a kernel that does not check them can write out of bounds."""
import pytest
import torch

from hgnn import ops


def _needs_torch_scatter():
    if not ops.HAS_TORCH_SCATTER:
        pytest.skip("torch_scatter not importable")


@pytest.mark.parametrize("reduce", ["max", "min"])
@pytest.mark.parametrize("bad", [3, 7, -1, -2])
def test_scatter_max_min_rejects_out_of_range_ids(reduce, bad):
    _needs_torch_scatter()
    index = torch.tensor([0, 0, 1, 1, bad])
    with pytest.raises(ValueError, match=r"index must hold group ids in \[0, dim_size=3\), got " + str(bad)):
        ops.scatter(torch.randn(5, 3), index, 3, reduce, backend="torch_scatter")


@pytest.mark.parametrize("reduce", ["max", "min"])
def test_scatter_max_min_rejects_index_of_wrong_length(reduce):
    _needs_torch_scatter()
    with pytest.raises(ValueError, match=r"index must have shape \[5\]"):
        ops.scatter(torch.randn(5, 3), torch.tensor([1]), 3, reduce, backend="torch_scatter")


@pytest.mark.parametrize("backend", ["native", "torch_scatter", "auto"])
@pytest.mark.parametrize("reduce", ops.REDUCTIONS)
def test_scatter_out_of_range_ids_raise_on_every_backend(backend, reduce):
    if backend == "torch_scatter":
        _needs_torch_scatter()
    for bad in (3, -2):
        with pytest.raises((ValueError, RuntimeError), match="index"):
            ops.scatter(torch.randn(5, 3), torch.tensor([0, 0, 1, 1, bad]), 3, reduce, backend=backend)


@pytest.mark.parametrize("backend", ["torch_scatter", "auto"])
@pytest.mark.parametrize("bad", [3, -2])
def test_scatter_softmax_rejects_out_of_range_ids(backend, bad):
    _needs_torch_scatter()
    with pytest.raises(ValueError, match=r"index must hold group ids in \[0, dim_size=3\)"):
        ops.scatter_softmax(torch.randn(5, 2), torch.tensor([0, 0, 1, 1, bad]), 3, backend=backend)


@pytest.mark.parametrize("reduce", ["max", "min"])
@pytest.mark.parametrize("bad", [3, -2])
def test_gather_scatter_rejects_out_of_range_dst_ids(reduce, bad):
    _needs_torch_scatter()
    dst = torch.tensor([0, 0, 1, 1, bad])
    with pytest.raises(ValueError, match=r"dst_index must hold group ids in \[0, dim_size=3\)"):
        ops.gather_scatter(torch.randn(5, 3), torch.arange(5), dst, 3, reduce=reduce, backend="torch_scatter")


@pytest.mark.parametrize("backend", ["native", "torch_scatter", "auto"])
def test_scatter_softmax_all_masked_group_is_zero(backend):
    if backend == "torch_scatter":
        _needs_torch_scatter()
    inf = float("inf")
    scores = torch.tensor([[-inf, 0.5], [-inf, 1.5], [1.0, -inf], [2.0, 3.0], [-inf, -inf]], dtype=torch.float64,
                          requires_grad=True)
    index = torch.tensor([0, 0, 1, 1, 2])
    out = ops.scatter_softmax(scores, index, 4, backend=backend)
    expected = torch.zeros(5, 2, dtype=torch.float64)
    expected[:2, 1] = torch.softmax(torch.tensor([0.5, 1.5], dtype=torch.float64), 0)
    expected[2:4, 0] = torch.softmax(torch.tensor([1.0, 2.0], dtype=torch.float64), 0)
    expected[2:4, 1] = torch.tensor([0.0, 1.0], dtype=torch.float64)
    torch.testing.assert_close(out, expected)
    (out * torch.randn(5, 2, dtype=torch.float64)).sum().backward()
    assert torch.isfinite(scores.grad).all()
    assert (scores.grad[torch.isinf(scores.detach())] == 0).all()


def test_scatter_softmax_all_masked_group_low_precision():
    out = ops.scatter_softmax(torch.full((3,), -float("inf"), dtype=torch.float16), torch.tensor([0, 0, 1]), 2)
    assert out.dtype == torch.float16 and (out == 0).all()
