"""UniSAGEConv, UniGINConv and HyperGCNConv: dense float64 references of the papers' equations
(HyperGCN's graph built by brute force, hyperedge by hyperedge), parity with DHG 0.9.7, gradcheck,
compile / export, PyG's call, empty hypergraphs, low precision and bad input."""
from __future__ import annotations

import pytest
import torch

from hgnn import Hypergraph
from hgnn.nn.conv import HyperGCNConv, UniGINConv, UniSAGEConv, hypergcn_graph
from tests.nn.conv.test_convs import dense_h, make_hypergraph, pinv

dhg = pytest.importorskip("dhg", reason="DHG is a test-time reference: pip install dhg==0.9.7")

UNI = {"unisage": (UniSAGEConv, {}), "unigin": (UniGINConv, {"eps": 0.3}),
       "unigin-train": (UniGINConv, {"eps": -0.2, "train_eps": True})}


def randomize(conv: torch.nn.Module) -> torch.nn.Module:
    with torch.no_grad():
        conv.lin.bias.uniform_(-1, 1)
    return conv


def unignn_reference(conv, x, hg):
    """:math:`((1 + \\varepsilon) I + H W D_e^{-1} H^T)(X \\Theta + b)` dense, float64."""
    h = dense_h(hg)
    z = x.double() @ conv.lin.weight.double().t() + conv.lin.bias.double()
    eps = conv.eps.item() if isinstance(conv, UniGINConv) else 0.0
    op = (1 + eps) * torch.eye(hg.num_nodes, dtype=torch.float64)
    op = op + h @ torch.diag(hg.edge_weight.double() * pinv(h.sum(0))) @ h.t()
    return op @ z


def brute_force_adjacency(z, hg, r, mediators):
    """HyperGCN's graph as the paper describes it, one hyperedge at a time (dense ``[N, N]``)."""
    adj = torch.zeros(hg.num_nodes, hg.num_nodes, dtype=torch.float64)
    p = (z.double() @ r.double()).tolist()
    for e, members in enumerate(hg.to_edge_list()):
        if not members:
            continue
        scores = [p[v] for v in members]
        a = min(v for v in members if p[v] == max(scores))
        b = min(v for v in members if p[v] == min(scores))
        w, size = float(hg.edge_weight[e]), len(members)
        pairs = [(a, b, w / size)] if not mediators else \
            [(s, m, w / (2 * size - 3)) for m in members if m not in (a, b) for s in (a, b)]
        for u, v, value in pairs:
            if u != v:
                adj[u, v] += value
                adj[v, u] += value
    return adj


def hypergcn_reference(conv, x, hg, r):
    z = x.double() @ conv.lin.weight.double().t() + conv.lin.bias.double()
    a = brute_force_adjacency(z, hg, r, conv.mediators) + torch.eye(hg.num_nodes, dtype=torch.float64)
    s = torch.diag(a.sum(1).pow(-0.5))
    return s @ a @ s @ z


@pytest.mark.parametrize("name", list(UNI))
def test_unignn_equals_dense_reference(name):
    torch.manual_seed(0)
    make, kwargs = UNI[name]
    conv = randomize(make(5, 4, **kwargs)).double()
    hg, x = make_hypergraph(torch.float64), torch.randn(9, 5, dtype=torch.float64)
    torch.testing.assert_close(conv(x, hg), unignn_reference(conv, x, hg))


@pytest.mark.parametrize("mediators", [False, True])
def test_hypergcn_equals_brute_force_graph(mediators):
    torch.manual_seed(1)
    conv = randomize(HyperGCNConv(5, 4, mediators=mediators)).double()
    hg, x = make_hypergraph(torch.float64), torch.randn(9, 5, dtype=torch.float64)
    r = torch.rand(4, dtype=torch.float64)
    torch.testing.assert_close(conv(x, hg, projection=r), hypergcn_reference(conv, x, hg, r))


@pytest.mark.parametrize("mediators", [False, True])
def test_hypergcn_graph_breaks_ties_by_smallest_node_id(mediators):
    hg = Hypergraph.from_edge_list([[3, 1, 4, 0], [2, 5, 6], [7, 0, 2, 5, 1], [6, 6, 3]], num_nodes=8)
    x = torch.tensor([[1.0], [0.0], [1.0], [0.0], [1.0], [1.0], [0.0], [1.0]], dtype=torch.float64)
    r = torch.ones(1, dtype=torch.float64)
    pairs, weight = hypergcn_graph(x, hg, mediators, projection=r)
    dense = torch.zeros(8, 8, dtype=torch.float64).index_put_((pairs[0], pairs[1]), weight, accumulate=True)
    torch.testing.assert_close(dense + dense.t(), brute_force_adjacency(x, hg, r, mediators))
    if not mediators:  # hyperedge 0: max among {0, 4} -> 0, min among {1, 3} -> 1
        assert pairs[:, 0].tolist() == [0, 1]


# DHG ignores hyperedge weights in these layers and merges duplicates: compare on a plain hypergraph.
EDGES = [[0, 1, 2], [2, 3, 4], [4, 5], [6, 7, 0, 1], [3, 8], [1, 5, 7], [2, 4, 6, 8, 9]]


def _same_output_and_grad(conv, reference, x_ours, x_theirs, call_ours, call_theirs):
    out, expected = call_ours(conv, x_ours), call_theirs(reference, x_theirs)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    (grad_ours,) = torch.autograd.grad(out.square().sum(), x_ours)
    (grad_theirs,) = torch.autograd.grad(expected.square().sum(), x_theirs)
    torch.testing.assert_close(grad_ours, grad_theirs, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", list(UNI))
def test_unignn_matches_dhg(name):
    torch.manual_seed(2)
    make, kwargs = UNI[name]
    theirs = getattr(dhg.nn, make.__name__)(6, 4, is_last=True, **kwargs)
    conv = make(6, 4, **kwargs)
    conv.lin.load_state_dict(theirs.theta.state_dict())
    x = torch.randn(11, 6, requires_grad=True)
    _same_output_and_grad(conv, theirs, x, x, lambda c, v: c(v, Hypergraph.from_edge_list(EDGES, num_nodes=11)),
                          lambda c, v: c(v, dhg.Hypergraph(11, EDGES)))


@pytest.mark.parametrize("mediators", [False, True])
def test_hypergcn_matches_dhg_with_the_same_projection(mediators):
    torch.manual_seed(3)
    theirs = dhg.nn.HyperGCNConv(6, 4, mediators, is_last=True)
    conv = HyperGCNConv(6, 4, mediators=mediators)
    conv.lin.load_state_dict(theirs.theta.state_dict())
    x = torch.randn(11, 6, requires_grad=True)
    torch.manual_seed(11)
    r = torch.rand(4, 1)  # the draw DHG makes after the same seed

    def call_theirs(c, v):
        torch.manual_seed(11)
        return c(v, dhg.Hypergraph(11, EDGES))

    _same_output_and_grad(conv, theirs, x, x,
                          lambda c, v: c(v, Hypergraph.from_edge_list(EDGES, num_nodes=11), projection=r),
                          call_theirs)


@pytest.mark.parametrize("mediators", [False, True])
def test_fast_graph_matches_dhg_cached_graph(mediators):
    """FastHyperGCN: a graph built once from the input features, passed to the layer."""
    torch.manual_seed(4)
    theirs = dhg.nn.HyperGCNConv(6, 4, mediators, is_last=True)
    conv = HyperGCNConv(6, 4, mediators=mediators)
    conv.lin.load_state_dict(theirs.theta.state_dict())
    x = torch.randn(11, 6, requires_grad=True)
    ref_graph = dhg.Hypergraph(11, EDGES)
    torch.manual_seed(12)
    cached = dhg.Graph.from_hypergraph_hypergcn(ref_graph, x, mediators)
    torch.manual_seed(12)
    graph = hypergcn_graph(x, Hypergraph.from_edge_list(EDGES, num_nodes=11), mediators)
    _same_output_and_grad(conv, theirs, x, x,
                          lambda c, v: c(v, Hypergraph.from_edge_list(EDGES, num_nodes=11), graph=graph),
                          lambda c, v: c(v, ref_graph, cached))


def _convs():
    return [randomize(UniSAGEConv(5, 3)), randomize(UniGINConv(5, 3, eps=0.4, train_eps=True)),
            randomize(HyperGCNConv(5, 3)), randomize(HyperGCNConv(5, 3, mediators=True))]


IDS = ["unisage", "unigin", "hypergcn", "hypergcn-mediators"]


def _kwargs(conv, dtype=torch.float32):
    return {"projection": torch.linspace(0.1, 0.9, 3, dtype=dtype)} if isinstance(conv, HyperGCNConv) else {}


@pytest.mark.parametrize("index", range(4), ids=IDS)
def test_gradcheck(index):
    torch.manual_seed(5)
    conv = _convs()[index].double()
    hg = make_hypergraph(torch.float64)
    x = torch.randn(9, 5, dtype=torch.float64, requires_grad=True)
    kwargs = _kwargs(conv, torch.float64)
    assert torch.autograd.gradcheck(lambda v: conv(v, hg, **kwargs), (x,))


@pytest.mark.parametrize("index", range(4), ids=IDS)
def test_pyg_call_equals_hypergraph_call(index):
    torch.manual_seed(6)
    conv = _convs()[index].eval()
    hg, x = make_hypergraph(), torch.randn(9, 5)
    kwargs = _kwargs(conv)
    expected = conv(x, hg, **kwargs)
    torch.testing.assert_close(conv(x, hg.hyperedge_index, hg.edge_weight, None, 6, **kwargs), expected)
    torch.testing.assert_close(
        conv(x, hyperedge_index=hg.hyperedge_index, hyperedge_weight=hg.edge_weight, **kwargs), expected)


@pytest.mark.parametrize("index", range(4), ids=IDS)
def test_empty_hypergraph_keeps_the_linear_map(index):
    conv = _convs()[index]
    x = torch.randn(7, 5)
    out = conv(x, Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=7, num_edges=0), **_kwargs(conv))
    eps = conv.eps.item() if isinstance(conv, UniGINConv) else 0.0
    torch.testing.assert_close(out, (1 + eps) * conv.lin(x))


@pytest.mark.parametrize("index", [1, 2, 3], ids=IDS[1:])  # UniSAGE is UniGIN's aggregation at eps = 0
def test_torch_compile(index):
    torch.manual_seed(7)
    conv = _convs()[index].eval()
    hg, x = make_hypergraph(), torch.randn(9, 5)
    kwargs = _kwargs(conv)
    expected = conv(x, hg, **kwargs)
    fresh = Hypergraph(hg.hyperedge_index, num_nodes=9, num_edges=6, edge_weight=hg.edge_weight)
    torch.testing.assert_close(torch.compile(conv)(x, fresh, **kwargs), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("index", range(4), ids=IDS)
def test_torch_export(index):
    torch.manual_seed(8)
    conv = _convs()[index].eval()
    hg, x = make_hypergraph(), torch.randn(9, 5)
    kwargs = _kwargs(conv)
    program = torch.export.export(conv, (x, hg), kwargs)
    other = torch.randn(9, 5)
    torch.testing.assert_close(program.module()(other, hg, **kwargs), conv(other, hg, **kwargs),
                               atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("index", range(4), ids=IDS)
def test_low_precision_is_close_to_float32(index, dtype):
    torch.manual_seed(9)
    conv = _convs()[index]
    hg, x = make_hypergraph(), torch.randn(9, 5)
    expected = conv(x, hg, **_kwargs(conv))
    low = conv.to(dtype)
    out = low(x.to(dtype), hg, **_kwargs(conv, dtype))
    assert out.dtype == dtype
    torch.testing.assert_close(out.float(), expected, atol=0.1, rtol=0.05)


def test_random_projection_follows_the_generator():
    conv = HyperGCNConv(5, 8, mediators=True)
    hg, x = make_hypergraph(), torch.randn(9, 5)
    first = conv(x, hg, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(conv(x, hg, generator=torch.Generator().manual_seed(0)), first)
    outs = [conv(x, hg, generator=torch.Generator().manual_seed(s)) for s in range(1, 6)]
    assert any(not torch.allclose(out, first) for out in outs)  # the graph depends on the direction


def test_unigin_eps_is_learned_only_with_train_eps():
    fixed, learned = UniGINConv(3, 2, eps=0.5), UniGINConv(3, 2, eps=0.5, train_eps=True)
    assert "eps" not in dict(fixed.named_parameters()) and "eps" in dict(fixed.named_buffers())
    hg, x = make_hypergraph(), torch.randn(9, 3)
    learned(x, hg).sum().backward()
    assert learned.eps.grad is not None and learned.eps.grad.abs().item() > 0
    with torch.no_grad():
        learned.eps.fill_(3.0)
    learned.reset_parameters()
    assert learned.eps.item() == 0.5


def test_bad_input_raises_clear_errors():
    hg, x = make_hypergraph(), torch.randn(9, 5)
    with pytest.raises(TypeError, match="eps"):
        UniGINConv(5, 3, eps="0.1")
    with pytest.raises(ValueError, match="shape"):
        UniSAGEConv(5, 3)(torch.randn(9, 4), hg)
    conv = HyperGCNConv(5, 3)
    with pytest.raises(ValueError, match="projection"):
        conv(x, hg, projection=torch.rand(5))
    with pytest.raises(TypeError, match="projection"):
        conv(x, hg, projection=[0.1, 0.2, 0.3])
    graph = hypergcn_graph(torch.randn(9, 3), hg)
    with pytest.raises(TypeError, match="not both"):
        conv(x, hg, graph=graph, projection=torch.rand(3))
    with pytest.raises(TypeError, match="graph"):
        conv(x, hg, graph=graph[0])
    with pytest.raises(ValueError, match="node id"):
        conv(x[:4], Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=4), graph=graph)
    with pytest.raises(ValueError, match="dropout"):
        HyperGCNConv(5, 3, dropout=1.0)
