"""HypergraphAttentionConv and UniGATConv: dense float64 formulas, PyG's ``HypergraphConv`` with
attention and DHG's ``UniGATConv`` with the same weights, gradients, compile / export, the PyG
call, empty hypergraphs, low precision and bad input."""
from __future__ import annotations

import pytest
import torch

from hgnn import Hypergraph
from hgnn.nn.conv import HypergraphAttentionConv, UniGATConv
from hgnn.structure import node_to_edge
from tests.nn.conv.test_convs import dense_h, make_hypergraph, pinv

pytestmark = pytest.mark.usefixtures("one_thread")


def randomize(conv):
    """Non-zero biases and attention vectors of a visible size, so that every term matters."""
    torch.manual_seed(7)
    with torch.no_grad():
        for name, p in conv.named_parameters():
            if "bias" in name or "att" in name:
                p.normal_()
    return conv


def grouped_softmax(score: torch.Tensor, group: torch.Tensor) -> torch.Tensor:
    """Softmax of ``score`` ``[nnz, H]`` within each group, one group at a time."""
    out = torch.zeros_like(score)
    for g in group.unique():
        mask = group == g
        out[mask] = torch.softmax(score[mask], dim=0)
    return out


def attention_reference(conv: HypergraphAttentionConv, x, u, hg):
    """PyG's attention formula, with the attention written into a dense ``[N, M]`` matrix per head."""
    x, u = x.double(), u.double()
    heads, c = conv.heads, conv.out_channels
    theta, att = conv.lin.weight.double().t(), conv.att.double()[0]
    xh, uh = (x @ theta).view(-1, heads, c), (u @ theta).view(-1, heads, c)
    nodes, edges = hg.hyperedge_index
    score = (xh[nodes] * att[:, :c]).sum(-1) + (uh[edges] * att[:, c:]).sum(-1)
    score = torch.nn.functional.leaky_relu(score, conv.negative_slope)
    alpha = grouped_softmax(score, edges if conv.attention_mode == "node" else nodes)
    h = dense_h(hg)
    w = hg.edge_weight.double()
    outs = []
    for k in range(heads):
        h_alpha = torch.zeros_like(h).index_put_((nodes, edges), alpha[:, k], accumulate=True)
        if conv.normalization == "structure":  # PyG's: the structure's degrees, w only in D
            d, b, mid = pinv(h @ w), pinv(h.sum(0)), torch.ones_like(w)
        else:  # the attention-weighted incidence's degrees, w in both
            d, b, mid = pinv(h_alpha @ w), pinv(h_alpha.sum(0)), w
        outs.append(torch.diag(d) @ h_alpha @ torch.diag(mid * b) @ h_alpha.t() @ xh[:, k])
    out = torch.cat(outs, 1) if conv.concat else torch.stack(outs).mean(0)
    return out + conv.bias.double()


def unigat_reference(conv: UniGATConv, x, hg):
    """UniGAT in dense matrices: weighted member means, per-node softmax of the clamped scores."""
    x = x.double()
    heads, c = conv.heads, conv.out_channels
    xh = (x @ conv.lin.weight.double().t() + conv.lin.bias.double()).view(-1, heads, c)
    h = dense_h(hg)
    w = hg.edge_weight.double()
    nodes, edges = hg.hyperedge_index
    outs = []
    for k in range(heads):
        he = torch.diag(w * pinv(h.sum(0))) @ h.t() @ xh[:, k]
        score = he[edges] @ conv.att_edge.double()[k] + xh[nodes, k] @ conv.att_node.double()[k]
        score = torch.nn.functional.leaky_relu(score, conv.negative_slope)
        if conv.score_clamp is not None:
            score = score.clamp(*conv.score_clamp)
        alpha = grouped_softmax(score[:, None], nodes)[:, 0]
        h_alpha = torch.zeros_like(h).index_put_((nodes, edges), alpha, accumulate=True)
        outs.append(h_alpha @ he)
    return torch.cat(outs, 1) if conv.concat else torch.stack(outs).mean(0)


ATTENTION = [
    {"heads": 1},
    {"heads": 3},
    {"heads": 3, "concat": False},
    {"heads": 2, "attention_mode": "edge"},
    {"heads": 3, "normalization": "attention"},
    {"heads": 2, "attention_mode": "edge", "normalization": "attention", "concat": False},
]
UNIGAT = [{"heads": 1}, {"heads": 3}, {"heads": 2, "concat": False}, {"heads": 2, "score_clamp": None}]


@pytest.mark.parametrize("kwargs", ATTENTION, ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_attention_matches_dense_formula(kwargs, dtype):
    conv = randomize(HypergraphAttentionConv(5, 4, **kwargs)).to(dtype).eval()
    hg = make_hypergraph(dtype)  # a repeated incidence, an isolated node, an empty hyperedge
    x, u = torch.randn(9, 5, dtype=dtype), torch.randn(6, 5, dtype=dtype)
    out = conv(x, hg, hyperedge_attr=u)
    assert out.shape == (9, 4 * kwargs["heads"] if kwargs.get("concat", True) else 4)
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(out.double(), attention_reference(conv, x, u, hg), atol=tol, rtol=tol)
    assert torch.equal(out[8], conv.bias), "an isolated node gets the bias only"


@pytest.mark.parametrize("kwargs", UNIGAT, ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_unigat_matches_dense_formula(kwargs, dtype):
    conv = randomize(UniGATConv(5, 4, **kwargs)).to(dtype).eval()
    hg = make_hypergraph(dtype)
    x = torch.randn(9, 5, dtype=dtype)
    out = conv(x, hg)
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(out.double(), unigat_reference(conv, x, hg), atol=tol, rtol=tol)
    assert out[8].abs().max() == 0, "an isolated node gets a zero row"


def test_unigat_clamp_changes_the_output():
    conv = randomize(UniGATConv(5, 4, heads=2)).eval()
    free = UniGATConv(5, 4, heads=2, score_clamp=None).eval()
    free.load_state_dict(conv.state_dict())
    hg, x = make_hypergraph(), torch.randn(9, 5)
    assert not torch.allclose(conv(x, hg), free(x, hg))


# ---------------------------------------------------------------- reference libraries

EDGES = [[0, 1, 2], [2, 3, 4], [4, 5], [6, 7, 0, 1], [3, 8], [1, 5, 7]]
WEIGHTS = [0.5, 1.0, 2.0, 1.5, 0.7, 1.0]  # node 9 is isolated


def _input_grads(out, *inputs):
    weights = torch.linspace(-1, 1, out.numel()).view_as(out)
    return torch.autograd.grad((out * weights).sum(), inputs)


@pytest.mark.parametrize("kwargs", [k for k in ATTENTION if "normalization" not in k], ids=str)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_attention_equals_pyg(kwargs, weighted):
    pyg_nn = pytest.importorskip("torch_geometric.nn")
    torch.manual_seed(0)
    reference = pyg_nn.HypergraphConv(6, 4, use_attention=True, **kwargs)
    torch.nn.init.normal_(reference.bias)
    conv = HypergraphAttentionConv(6, 4, **kwargs)
    conv.load_state_dict(reference.state_dict())  # same parameter names
    weight = torch.tensor(WEIGHTS) if weighted else None
    hg = Hypergraph.from_edge_list(EDGES, num_nodes=10, edge_weight=weight)
    x = torch.randn(10, 6, requires_grad=True)
    u = torch.randn(6, 6, requires_grad=True)
    expected = reference(x, hg.hyperedge_index, weight, u)
    out = conv(x, hg, hyperedge_attr=u)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    for ours, theirs in zip(_input_grads(out, x, u), _input_grads(expected, x, u)):
        assert theirs.abs().sum() > 0
        torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)


def _load_dhg_heads(conv: UniGATConv, layers) -> None:
    """Copy DHG's per-head ``theta`` / ``atten_e`` / ``atten_dst`` into the slices of ours."""
    c = conv.out_channels
    with torch.no_grad():
        for k, layer in enumerate(layers):
            for p in (layer.theta.bias, layer.atten_e.weight, layer.atten_dst.weight):
                p.normal_()
            conv.lin.weight[k * c:(k + 1) * c] = layer.theta.weight
            conv.lin.bias[k * c:(k + 1) * c] = layer.theta.bias
            conv.att_edge[k] = layer.atten_e.weight[0]
            conv.att_node[k] = layer.atten_dst.weight[0]


@pytest.mark.parametrize("heads", [1, 3])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_unigat_equals_dhg(heads, weighted):
    dhg = pytest.importorskip("dhg", reason="DHG is a test-time reference: pip install dhg==0.9.7")
    torch.manual_seed(0)
    graph = dhg.Hypergraph(10, EDGES, **({"e_weight": WEIGHTS} if weighted else {}))
    hg = Hypergraph.from_edge_list(EDGES, num_nodes=10, edge_weight=torch.tensor(WEIGHTS) if weighted else None)
    if heads == 1:
        reference = dhg.nn.UniGATConv(6, 4, is_last=True).eval()
        layers = [reference]
    else:
        reference = dhg.nn.MultiHeadWrapper(heads, "concat", dhg.nn.UniGATConv, in_channels=6, out_channels=4,
                                            is_last=True).eval()
        layers = list(reference.layers)
    conv = UniGATConv(6, 4, heads=heads).eval()
    _load_dhg_heads(conv, layers)
    x = torch.randn(10, 6, requires_grad=True)
    expected = reference(x, graph) if heads == 1 else reference(X=x, hg=graph)
    out = conv(x, hg)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    (ours,), (theirs,) = _input_grads(out, x), _input_grads(expected, x)
    assert theirs.abs().sum() > 0
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------- gradients, compile, export

def make_attention(**kwargs):
    return randomize(HypergraphAttentionConv(5, 4, heads=2, **kwargs))


def make_unigat(**kwargs):
    return randomize(UniGATConv(5, 4, heads=2, **kwargs))


def test_gradcheck():
    hg = make_hypergraph(torch.float64)
    x = torch.randn(9, 5, dtype=torch.float64, requires_grad=True)
    u = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    for attention in (make_attention().double(), make_attention(normalization="attention").double()):
        assert torch.autograd.gradcheck(lambda a, b, c=attention: c(a, hg, hyperedge_attr=b), (x, u))
    for conv in (make_unigat().double(), make_unigat(score_clamp=None).double()):
        assert torch.autograd.gradcheck(lambda a, c=conv: c(a, hg), (x,))


def test_torch_compile():
    """One graph each (``fullgraph``: no break); ``aot_eager`` keeps the test fast, the kernels'
    code generation is covered by tests/nn/conv/test_convs.py."""
    hg = make_hypergraph()
    fresh = Hypergraph(hg.hyperedge_index, num_nodes=9, num_edges=6, edge_weight=hg.edge_weight)
    x, u = torch.randn(9, 5), torch.randn(6, 5)
    attention, unigat = make_attention().eval(), make_unigat().eval()
    compiled = torch.compile(attention, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(compiled(x, fresh, hyperedge_attr=u), attention(x, hg, hyperedge_attr=u),
                               atol=1e-5, rtol=1e-5)
    compiled = torch.compile(unigat, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(compiled(x, fresh), unigat(x, hg), atol=1e-5, rtol=1e-5)


def test_torch_export():
    hg = make_hypergraph()
    x, u = torch.randn(9, 5), torch.randn(6, 5)
    attention, unigat = make_attention().eval(), make_unigat().eval()
    program = torch.export.export(attention, (x, hg), {"hyperedge_attr": u})
    x2, u2 = torch.randn(9, 5), torch.randn(6, 5)
    torch.testing.assert_close(program.module()(x2, hg, hyperedge_attr=u2), attention(x2, hg, hyperedge_attr=u2),
                               atol=1e-5, rtol=1e-5)
    program = torch.export.export(unigat, (x, hg))
    torch.testing.assert_close(program.module()(x2, hg), unigat(x2, hg), atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------- PyG call, empty, precision

def test_pyg_call_equals_hypergraph_call():
    base = make_hypergraph(torch.float64)
    index, weight = base.hyperedge_index, base.edge_weight
    x, u = torch.randn(9, 5, dtype=torch.float64), torch.randn(6, 5, dtype=torch.float64)
    attention, unigat = make_attention().double(), make_unigat().double()
    cached = make_attention(cached=True).double()
    cached.load_state_dict(attention.state_dict())
    expected = attention(x, base, hyperedge_attr=u)
    assert torch.equal(attention(x, index, weight, u), expected)
    assert torch.equal(attention(x, hyperedge_index=index, hyperedge_weight=weight, hyperedge_attr=u), expected)
    assert torch.equal(cached(x, index, weight, u), expected)
    assert torch.equal(cached(x, index, weight, u), expected)
    # without weights or num_edges, the hyperedges are the rows of hyperedge_attr (hyperedge 5 is empty)
    unit = Hypergraph(index, num_nodes=9, num_edges=6)
    assert torch.equal(attention(x, index, hyperedge_attr=u), attention(x, unit, hyperedge_attr=u))
    assert torch.equal(unigat(x, index, weight), unigat(x, base))
    assert torch.equal(unigat(x, index, weight, u, 6), unigat(x, base))


@pytest.mark.parametrize("num_nodes", [0, 4])
def test_empty_hypergraph(num_nodes):
    hg = Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=num_nodes, num_edges=0)
    x = torch.randn(num_nodes, 5, requires_grad=True)
    out = make_attention()(x, hg, hyperedge_attr=torch.randn(0, 5))
    assert out.shape == (num_nodes, 8) and torch.isfinite(out).all()
    out = make_unigat()(x, hg)
    assert out.shape == (num_nodes, 8) and torch.isfinite(out).all()
    out.sum().backward()
    assert torch.equal(make_unigat()(x, torch.empty(2, 0, dtype=torch.long)), torch.zeros(num_nodes, 8))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_low_precision_follows_float32(dtype):
    hg = make_hypergraph()
    x, u = torch.randn(9, 5), torch.randn(6, 5)
    for conv, args in ((make_attention(), {"hyperedge_attr": u}), (make_unigat(), {})):
        expected = conv.eval()(x, hg, **args)
        low_args = {k: v.to(dtype) for k, v in args.items()}
        out = conv.to(dtype)(x.to(dtype), hg, **low_args)
        assert out.dtype == dtype
        torch.testing.assert_close(out.float(), expected, atol=0.1, rtol=0.05)


def test_dropout_is_training_only():
    hg = make_hypergraph()
    x, u = torch.randn(9, 5), torch.randn(6, 5)
    for conv, args in ((make_attention(dropout=0.5), {"hyperedge_attr": u}), (make_unigat(dropout=0.5), {})):
        conv.eval()
        assert torch.equal(conv(x, hg, **args), conv(x, hg, **args))
        conv.train()
        torch.manual_seed(0)
        first = conv(x, hg, **args)
        assert not torch.equal(first, conv(x, hg, **args))


def test_reset_parameters_reinitialises():
    for conv in (make_attention(), make_unigat()):
        before = {name: p.clone() for name, p in conv.named_parameters()}
        conv.reset_parameters()
        for name, p in conv.named_parameters():
            if "bias" in name:
                assert torch.equal(p, torch.zeros_like(p))
            else:
                assert not torch.equal(p, before[name])


# ---------------------------------------------------------------- bad input

def test_attention_needs_hyperedge_attr_of_the_right_shape():
    conv, hg, x = make_attention(), make_hypergraph(), torch.randn(9, 5)
    with pytest.raises(TypeError, match="needs hyperedge_attr"):
        conv(x, hg)
    with pytest.raises(ValueError, match=r"hyperedge_attr must have shape \[num_edges, 5\]"):
        conv(x, hg, hyperedge_attr=torch.randn(6, 3))
    with pytest.raises(ValueError, match="hyperedge_attr has 5 rows but the hypergraph has 6 hyperedges"):
        conv(x, hg, hyperedge_attr=torch.randn(5, 5))
    with pytest.raises(ValueError, match="hyperedge_attr has 3 rows but hyperedge_index has hyperedge id 4"):
        conv(x, hg.hyperedge_index, hyperedge_attr=torch.randn(3, 5))
    with pytest.raises(TypeError, match="hyperedge_attr must be a floating tensor"):
        conv(x, hg, hyperedge_attr=torch.ones(6, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="x must have shape"):
        conv(torch.randn(9, 3), hg, hyperedge_attr=torch.randn(6, 5))


def test_bad_arguments():
    hg = make_hypergraph()
    with pytest.raises(ValueError, match="attention_mode must be one of"):
        HypergraphAttentionConv(5, 4, attention_mode="hyperedge")
    for layer in (HypergraphAttentionConv, UniGATConv):
        with pytest.raises(ValueError, match="heads must be >= 1"):
            layer(5, 4, heads=0)
        with pytest.raises(ValueError, match="dropout"):
            layer(5, 4, dropout=1.0)
    with pytest.raises(ValueError, match="score_clamp"):
        UniGATConv(5, 4, score_clamp=(5.0, 0.001))
    with pytest.raises(ValueError, match="num_nodes"):
        UniGATConv(5, 4)(torch.randn(10, 5), hg)
    with pytest.raises(TypeError, match="Hypergraph or"):
        UniGATConv(5, 4)(torch.randn(9, 5), [[0, 1], [0, 0]])


def test_mean_hyperedge_features_are_a_valid_attr():
    hg, x = make_hypergraph(), torch.randn(9, 5)
    out = make_attention()(x, hg, hyperedge_attr=node_to_edge(x, hg, "mean"))
    assert out.shape == (9, 8) and torch.isfinite(out).all()


@pytest.mark.parametrize("mode", ["node", "edge"])
def test_attention_normalization_keeps_the_scale(mode):
    """Weighted means of weighted means: identical node features come out as their own linear map
    (plus bias) on every node in a hyperedge, whatever the sizes and degrees; PyG's normalisation
    shrinks them."""
    hg = Hypergraph.from_edge_list(EDGES, num_nodes=10, edge_weight=torch.tensor(WEIGHTS))
    x = torch.full((10, 5), 0.7)
    u = node_to_edge(x, hg, "mean")
    conv = make_attention(attention_mode=mode, normalization="attention").eval()
    expected = conv.lin(x[:1]) + conv.bias
    out = conv(x, hg, hyperedge_attr=u)
    torch.testing.assert_close(out[:9], expected.expand(9, -1))
    assert torch.equal(out[9], conv.bias)  # node 9 is isolated
    with torch.no_grad():
        conv.bias.zero_()
        shrunk = conv.__class__(5, 4, heads=2, attention_mode=mode).eval()
        shrunk.load_state_dict(conv.state_dict())
        ratio = shrunk(x, hg, hyperedge_attr=u)[:9].abs().sum() / conv(x, hg, hyperedge_attr=u)[:9].abs().sum()
    assert ratio < 0.7


def test_attention_normalization_is_checked():
    with pytest.raises(ValueError, match="normalization must be one of"):
        HypergraphAttentionConv(5, 4, normalization="sym")
