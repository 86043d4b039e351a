"""AllDeepSets, AllSetTransformer and ED-HNN layers (and the PMA block) against per-set float64
loops of the papers' equations; gradients, both call conventions, compile/export, bad input.

Neither DHG 0.9.7 nor PyG 2.8 has these layers, so the loops below are the reference."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from hgnn import Hypergraph
from hgnn.nn.conv import AllDeepSetsConv, AllSetTransformerConv, EDHNNConv
from hgnn.nn.set import PMA, SetMLP
from tests.nn.conv.test_convs import make_hypergraph


def members(hg: Hypergraph) -> tuple[list[list[int]], list[list[int]]]:
    """Per hyperedge its member nodes, per node its hyperedges (repeats kept)."""
    of_edge = [[] for _ in range(hg.num_edges)]
    of_node = [[] for _ in range(hg.num_nodes)]
    for v, e in hg.hyperedge_index.t().tolist():
        of_edge[e].append(v)
        of_node[v].append(e)
    return of_edge, of_node


def mlp_ref(mlp, x):
    """SetMLP in plain torch: [norm] -> (linear, relu, [norm]) x (L-1) -> linear (eval mode)."""
    if isinstance(mlp, torch.nn.Identity):
        return x

    def norm(module, h):
        if isinstance(module, torch.nn.LayerNorm):
            return F.layer_norm(h, h.shape[-1:], module.weight, module.bias, module.eps)
        return h

    x = norm(mlp.input_norm, x)
    for lin, nm in zip(list(mlp.lins)[:-1], mlp.norms):
        x = norm(nm, torch.relu(x @ lin.weight.t() + lin.bias))
    return x @ mlp.lins[-1].weight.t() + mlp.lins[-1].bias


def pool(rows: torch.Tensor, width: int, reduce: str) -> torch.Tensor:
    if rows.size(0) == 0:
        return torch.zeros(width, dtype=torch.float64)
    return rows.sum(0) if reduce == "sum" else rows.mean(0)


def pma_ref(pma: PMA, rows: torch.Tensor) -> torch.Tensor:
    """One set ``rows`` [m, F] pooled by the seed: softmax over the set of leaky-ReLU scores."""
    heads, width = pma.seed.shape
    seed = pma.seed
    pooled = torch.zeros(heads, width, dtype=torch.float64)
    if rows.size(0):
        key = (rows @ pma.lin_k.weight.t() + pma.lin_k.bias).view(-1, heads, width)
        value = (rows @ pma.lin_v.weight.t() + pma.lin_v.bias).view(-1, heads, width)
        alpha = torch.softmax(F.leaky_relu((key * seed).sum(-1), 0.2), dim=0)  # [m, h]
        pooled = (alpha.unsqueeze(-1) * value).sum(0)
    o = F.layer_norm((pooled + seed).reshape(-1), (heads * width,), pma.ln0.weight, pma.ln0.bias)
    out = o + torch.relu(mlp_ref(pma.rff, o))
    return F.layer_norm(out, (heads * width,), pma.ln1.weight, pma.ln1.bias)


def reference(conv, x: torch.Tensor, hg: Hypergraph, x0=None) -> torch.Tensor:
    of_edge, of_node = members(hg)
    if isinstance(conv, AllSetTransformerConv):
        z = torch.stack([pma_ref(conv.v2e, x[e]) for e in of_edge]) if of_edge else x.new_zeros(0, conv.out_channels)
        z = torch.relu(z)
        return torch.relu(torch.stack([pma_ref(conv.e2v, z[v]) for v in of_node]))
    if isinstance(conv, AllDeepSetsConv):
        hidden = conv.v2e_phi.lins[-1].out_features
        h = torch.relu(mlp_ref(conv.v2e_phi, x))
        z = [torch.relu(mlp_ref(conv.v2e_rho, pool(h[e], hidden, conv.aggr))) for e in of_edge]
        z = torch.stack(z) if z else x.new_zeros(0, conv.out_channels)
        h = torch.relu(mlp_ref(conv.e2v_phi, z))
        return torch.stack([torch.relu(mlp_ref(conv.e2v_rho, pool(h[v], hidden, conv.aggr))) for v in of_node])
    # ED-HNN: m_e = agg phi(x_u); x~_v = agg rho([x_v || m_e]); psi((1 - a) x~_v + a x0_v)
    d = conv.out_channels
    phi = mlp_ref(conv.phi, x)
    out = []
    for v, edges in enumerate(of_node):
        msgs = []
        for e in edges:
            m_e = pool(phi[of_edge[e]], d, conv.aggr)
            msgs.append(m_e if conv.rho is None else mlp_ref(conv.rho, torch.cat([x[v], m_e])))
        xv = pool(torch.stack(msgs) if msgs else x.new_zeros(0, d), d, conv.aggr)
        out.append((1 - conv.alpha) * xv + conv.alpha * (x if x0 is None else x0)[v])
    return mlp_ref(conv.psi, torch.stack(out))


def randomize(module):
    """Non-trivial layer-norm affine parameters (defaults are 1 and 0)."""
    torch.manual_seed(11)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "norm" in name or "ln" in name:
                p.add_(0.3 * torch.randn_like(p))
    return module


CONVS = [
    lambda: AllDeepSetsConv(5, 4, hidden_channels=6),
    lambda: AllDeepSetsConv(5, 4, mlp_layers=1, aggr="mean"),
    lambda: AllSetTransformerConv(5, 4, heads=2),
    lambda: AllSetTransformerConv(5, 6, heads=3, mlp_layers=1),
    lambda: EDHNNConv(5, 4),
    lambda: EDHNNConv(4, 4, mlp1_layers=0, mlp2_layers=0, mlp3_layers=2, aggr="sum", alpha=0.0),
    lambda: EDHNNConv(4, 4, mlp1_layers=2, mlp2_layers=2, mlp3_layers=0, alpha=0.3),
    lambda: EDHNNConv(5, 4, mlp2_layers=3, aggr="sum", norm=None),
    lambda: EDHNNConv(5, 4, mlp2_layers=2, aggr="sum", input_norm=False),
]
IDS = ["deepsets-sum", "deepsets-mean-1layer", "settransformer-2heads", "settransformer-3heads",
       "edhnn", "edhnn-identities-sum", "edhnn-deep-no-psi", "edhnn-rho3-sum-no-norm", "edhnn-rho2-no-input-norm"]


def inputs(conv, dtype=torch.float32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(9, conv.in_channels, generator=gen, dtype=dtype)
    x0 = torch.randn(9, conv.out_channels, generator=gen, dtype=dtype) if isinstance(conv, EDHNNConv) else None
    return x, x0


def call(conv, x, hg, x0=None, **kw):
    if isinstance(getattr(conv, "_orig_mod", conv), EDHNNConv):  # a compiled module keeps the layer there
        return conv(x, hg, x0=x0, **kw)
    return conv(x, hg, **kw)


@pytest.mark.parametrize("make", CONVS, ids=IDS)
def test_against_dense_reference_with_gradients(make):
    torch.manual_seed(0)
    conv = randomize(make()).double().eval()
    hg = make_hypergraph(torch.float64)
    x, x0 = inputs(conv, torch.float64)
    x.requires_grad_(True)
    out = call(conv, x, hg, x0)
    expected = reference(conv, x, hg, x0)
    torch.testing.assert_close(out, expected, atol=1e-10, rtol=1e-10)
    upstream = torch.randn_like(out)
    (grad,) = torch.autograd.grad((out * upstream).sum(), x)
    (grad_ref,) = torch.autograd.grad((expected * upstream).sum(), x)
    torch.testing.assert_close(grad, grad_ref, atol=1e-6, rtol=1e-6)
    assert out.abs().sum() > 0


@pytest.mark.parametrize("make", [CONVS[1], CONVS[2], CONVS[6]], ids=[IDS[1], IDS[2], IDS[6]])
def test_gradcheck(make):
    torch.manual_seed(1)
    conv = randomize(make()).double().eval()
    hg = make_hypergraph(torch.float64)
    x, x0 = inputs(conv, torch.float64)
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: call(conv, t, hg, x0), (x,), eps=1e-6, atol=1e-5, fast_mode=True)


@pytest.mark.parametrize("make", CONVS, ids=IDS)
def test_pyg_call_equals_hypergraph_call(make):
    torch.manual_seed(2)
    conv = make().eval()
    hg = make_hypergraph()
    x, x0 = inputs(conv)
    expected = call(conv, x, hg, x0)
    index = hg.hyperedge_index
    torch.testing.assert_close(call(conv, x, index, x0), expected)
    torch.testing.assert_close(call(conv, x, index, x0, num_edges=6, hyperedge_attr=torch.randn(6, 3)), expected)
    torch.testing.assert_close(call(conv, x, None, x0, hyperedge_index=index), expected)


CACHED = [
    (lambda: AllDeepSetsConv(5, 4), lambda: AllDeepSetsConv(5, 4, cached=True)),
    (lambda: AllSetTransformerConv(5, 4, heads=2), lambda: AllSetTransformerConv(5, 4, heads=2, cached=True)),
    (lambda: EDHNNConv(5, 4), lambda: EDHNNConv(5, 4, cached=True)),
]


@pytest.mark.parametrize("make,make_cached", CACHED, ids=["deepsets", "settransformer", "edhnn"])
def test_cached_and_permutation_equivariant(make, make_cached):
    torch.manual_seed(3)
    conv = make().eval()
    hg = make_hypergraph()
    x, x0 = inputs(conv)
    expected = call(conv, x, hg, x0)
    perm = torch.randperm(9)
    inverse = torch.argsort(perm)
    moved = Hypergraph(torch.stack([inverse[hg.hyperedge_index[0]], hg.hyperedge_index[1]]), num_nodes=9,
                       num_edges=6)
    out = call(conv, x[perm], moved, None if x0 is None else x0[perm])
    torch.testing.assert_close(out, expected[perm], atol=1e-5, rtol=1e-5)
    cached = make_cached().eval()
    cached.load_state_dict(conv.state_dict())
    index = hg.hyperedge_index
    torch.testing.assert_close(call(cached, x, index, x0), expected)
    torch.testing.assert_close(call(cached, x, index.clone(), x0), expected)
    with pytest.raises(ValueError, match="cached=True"):
        call(cached, x, index[:, :-1], x0)


@pytest.mark.parametrize("make", CONVS, ids=IDS)
def test_empty_hypergraph(make):
    conv = make().eval()
    x, x0 = inputs(conv)
    empty = Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=9, num_edges=0)
    out = call(conv, x, empty, x0)
    assert out.shape == (9, conv.out_channels) and torch.isfinite(out).all()
    # hyperedges without members: a finite output as well
    no_members = Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=9, num_edges=3)
    assert torch.isfinite(call(conv, x, no_members, x0)).all()
    none = Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=0, num_edges=0)
    assert call(conv, x[:0], none, None if x0 is None else x0[:0]).shape == (0, conv.out_channels)


@pytest.mark.parametrize("make", [CONVS[1], CONVS[2], CONVS[4]], ids=[IDS[1], IDS[2], IDS[4]])
def test_torch_compile(make):
    torch.manual_seed(5)
    conv = make().eval()
    hg = make_hypergraph()
    x, x0 = inputs(conv)
    expected = call(conv, x, hg, x0)
    compiled = torch.compile(conv)
    fresh = Hypergraph(hg.hyperedge_index, num_nodes=9, num_edges=6, edge_weight=hg.edge_weight)
    torch.testing.assert_close(call(compiled, x, fresh, x0), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("make", [CONVS[0], CONVS[2], CONVS[4]], ids=[IDS[0], IDS[2], IDS[4]])
def test_torch_export(make):
    torch.manual_seed(6)
    conv = make().eval()
    hg = make_hypergraph()
    x, x0 = inputs(conv)
    kwargs = {"x0": x0} if x0 is not None else {}
    program = torch.export.export(conv, (x, hg), kwargs)
    other_x, other_x0 = inputs(conv, seed=1)
    other = {"x0": other_x0} if x0 is not None else {}
    torch.testing.assert_close(program.module()(other_x, hg, **other), call(conv, other_x, hg, other_x0),
                               atol=1e-5, rtol=1e-5)


def test_training_mode_uses_dropout_and_backpropagates():
    torch.manual_seed(7)
    conv = AllDeepSetsConv(5, 4, dropout=0.5).train()
    hg = make_hypergraph()
    x = torch.randn(9, 5)
    a, b = conv(x, hg), conv(x, hg)
    assert not torch.equal(a, b)
    a.sum().backward()
    assert all(p.grad is not None for p in conv.parameters())


def test_pma_block():
    torch.manual_seed(8)
    pma = randomize(PMA(3, 4, heads=2)).double()
    x = torch.randn(5, 3, dtype=torch.float64)
    index = torch.tensor([0, 1, 1, 4, 2])
    group = torch.tensor([2, 2, 0, 0, 2])
    out = pma(x, group, 4, index=index)
    sets = {0: [1, 4], 1: [], 2: [0, 1, 2], 3: []}
    expected = torch.stack([pma_ref(pma, x[sets[g]]) for g in range(4)])
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(pma(x[index], group, 4), expected)
    with pytest.raises(ValueError, match="index ids must lie"):
        pma(x, group, 4, index=torch.tensor([0, 1, 1, 5, 2]))
    with pytest.raises(ValueError, match="group must have shape"):
        pma(x, group[:3], 4, index=index)
    with pytest.raises(ValueError, match="divisible by heads"):
        PMA(3, 5, heads=2)


def test_set_mlp_order_and_checks():
    torch.manual_seed(9)
    mlp = randomize(SetMLP(3, 5, 2, 3, norm="ln", input_norm=True)).eval()
    x = torch.randn(4, 3)
    torch.testing.assert_close(mlp(x), mlp_ref(mlp, x))
    assert isinstance(SetMLP(3, 5, 2, 2, norm="bn").norms[0], torch.nn.BatchNorm1d)
    with pytest.raises(ValueError, match="norm must be one of"):
        SetMLP(3, 5, 2, 2, norm="layer")
    with pytest.raises(ValueError, match="num_layers must be >= 1"):
        SetMLP(3, 5, 2, 0)


def test_bad_input():
    hg = make_hypergraph()
    with pytest.raises(ValueError, match=r"x must have shape \[num_nodes, 5\]"):
        AllDeepSetsConv(5, 4)(torch.randn(9, 3), hg)
    with pytest.raises(TypeError, match="floating"):
        AllSetTransformerConv(5, 4)(torch.ones(9, 5, dtype=torch.long), hg)
    with pytest.raises(ValueError, match="aggr must be one of"):
        AllDeepSetsConv(5, 4, aggr="max")
    with pytest.raises(ValueError, match="aggr must be one of"):
        EDHNNConv(5, 4, aggr="add")
    with pytest.raises(ValueError, match="divisible by heads"):
        AllSetTransformerConv(5, 6, heads=4)
    with pytest.raises(ValueError, match="dropout must be in"):
        AllDeepSetsConv(5, 4, dropout=1.0)
    with pytest.raises(ValueError, match="mlp1_layers=0"):
        EDHNNConv(5, 4, mlp1_layers=0)
    with pytest.raises(ValueError, match="alpha must be in"):
        EDHNNConv(5, 4, alpha=1.5)
    with pytest.raises(ValueError, match="x0 is needed"):
        EDHNNConv(5, 4)(torch.randn(9, 5), hg)
    with pytest.raises(ValueError, match=r"x0 must have shape \[num_nodes, 4\]"):
        EDHNNConv(5, 4)(torch.randn(9, 5), hg, x0=torch.randn(9, 5))
    with pytest.raises(ValueError, match="one row per node"):
        EDHNNConv(5, 4)(torch.randn(9, 5), hg, x0=torch.randn(8, 4))
    with pytest.raises(TypeError, match="missing the structure"):
        AllDeepSetsConv(5, 4)(torch.randn(9, 5))
    with pytest.raises(TypeError, match="mlp_layers must be an int"):
        AllDeepSetsConv(5, 4, mlp_layers=2.0)


@pytest.mark.parametrize("make", [lambda: AllDeepSetsConv(5, 4), lambda: AllSetTransformerConv(5, 4, heads=2),
                                  lambda: EDHNNConv(5, 5)])
def test_module_dtype_casts_still_work(make):
    """The layers keep nn.Module's own methods (``half``, ``double``, ``to``) intact."""
    conv = make()
    assert conv.half() is conv and all(p.dtype == torch.float16 for p in conv.parameters())
    assert conv.double() is conv and all(p.dtype == torch.float64 for p in conv.parameters())
