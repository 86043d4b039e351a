"""float16 / bfloat16 and autocast: sums over large hyperedges are accumulated in float32, so the
results and gradients are finite (and close to float32's) wherever float32's are in range."""
from __future__ import annotations

import pytest
import torch

from hgnn import Hypergraph
from hgnn.nn import EHGNNConv, HGNNConv, HGNNPConv, UniGCNConv
from hgnn.ops import HAS_TORCH_SCATTER, scatter, scatter_softmax, use_backend
from hgnn.structure import edge_to_node, node_to_edge

BACKENDS = ["auto", "native"] + (["torch_scatter"] if HAS_TORCH_SCATTER else [])
LOW = [torch.float16, torch.bfloat16]
TOL = {torch.float16: 2e-3, torch.bfloat16: 2e-2}
N = 100_000


@pytest.fixture(scope="module")
def star():
    """One hyperedge holding 100k nodes: its sums are far above float16's largest value (65504)."""
    index = torch.stack([torch.arange(N), torch.zeros(N, dtype=torch.long)])
    return Hypergraph(index, num_nodes=N, num_edges=1)


@pytest.mark.parametrize("dtype", LOW)
@pytest.mark.parametrize("make", [HGNNConv, HGNNPConv, UniGCNConv, EHGNNConv])
def test_conv_on_a_huge_hyperedge_has_finite_gradients(star, make, dtype):
    torch.manual_seed(0)
    conv = make(4, 4)
    x = torch.randn(N, 4)
    x32 = x.clone().requires_grad_()
    conv(x32, star).sum().backward()
    low = make(4, 4).to(dtype)
    low.load_state_dict({k: v.to(dtype) for k, v in conv.state_dict().items()})
    xl = x.to(dtype).requires_grad_()
    out = low(xl, star)
    out.float().sum().backward()
    assert out.dtype == dtype
    assert torch.isfinite(out).all() and torch.isfinite(xl.grad).all()
    assert x32.grad.abs().max() < 10, "the true gradient is far inside the range"
    torch.testing.assert_close(xl.grad.float(), x32.grad, atol=TOL[dtype], rtol=TOL[dtype])


def test_autocast_gives_finite_close_results(star):
    torch.manual_seed(0)
    conv = HGNNConv(4, 4)
    x = torch.randn(N, 4)
    x32 = x.clone().requires_grad_()
    want = conv(x32, star)
    want.sum().backward()
    xa = x.clone().requires_grad_()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = conv(xa, star)
    out.float().sum().backward()
    assert torch.isfinite(xa.grad).all()
    torch.testing.assert_close(out.float(), want.detach(), atol=2e-2, rtol=2e-2)
    torch.testing.assert_close(xa.grad, x32.grad, atol=2e-2, rtol=2e-2)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", LOW)
def test_means_and_softmax_over_a_huge_group(star, backend, dtype):
    ones = torch.ones(N, 3, dtype=dtype)
    with use_backend(backend):
        mean = node_to_edge(ones, star, "mean")
        soft = node_to_edge(ones, star, "softmax", weight=torch.zeros(N, dtype=dtype))
        back = edge_to_node(torch.ones(1, 3, dtype=dtype), star, "mean")
        idx = torch.zeros(N, dtype=torch.long)
        assert scatter(ones, idx, 1, "mean").eq(1).all()
        alpha = scatter_softmax(torch.zeros(N, dtype=dtype), idx, 1)
    for t in (mean, soft, back):
        assert t.dtype == dtype and torch.isfinite(t).all()
        torch.testing.assert_close(t.float(), torch.ones_like(t, dtype=torch.float32), atol=TOL[dtype], rtol=TOL[dtype])
    assert alpha.dtype == dtype and alpha.float().sum().sub(1).abs() < 0.05 and (alpha > 0).all()
