"""CoNHDConv and incidence_positional_encoding: a brute-force per-hyperedge order encoding (the
reference loader's ``make_order``, with ties and repeated nodes), a loop-per-set float64 reference
of both update rules, permutation equivariance, relabelling invariance, repeated nodes, size-1
hyperedges, the empty hypergraph, gradients and bad input."""
from __future__ import annotations

import pytest
import torch

from hgnn import Hypergraph
from hgnn.nn import CoNHDConv
from hgnn.nn.conv import incidence_positional_encoding

pytestmark = pytest.mark.usefixtures("one_thread")

D, K, HEADS = 8, 2, 2
OPERATORS = ["unp", "isab", "sab"]
VARIANTS = ["gd", "admm"]


def make_hypergraph() -> Hypergraph:
    """8 nodes (node 7 isolated), 6 hyperedges: node 2 twice in hyperedge 1, size-1 hyperedges 4
    and 5 (node 6 belongs to nothing else), columns not grouped by hyperedge."""
    edges = [[0, 1, 2], [2, 3, 4, 2], [4, 5], [6, 0, 1, 3], [3], [6]]
    hg = Hypergraph.from_edge_list(edges, num_nodes=8)
    perm = torch.randperm(hg.num_incidences, generator=torch.Generator().manual_seed(3))
    return Hypergraph(hg.hyperedge_index[:, perm], num_nodes=8, num_edges=6)


def centralities(num_nodes: int, dtype=torch.float64, seed: int = 0) -> torch.Tensor:
    """Column 0 has many ties (integers 0..2), column 1 is continuous."""
    gen = torch.Generator().manual_seed(seed)
    c0 = torch.randint(0, 3, (num_nodes,), generator=gen).to(dtype)
    c1 = torch.rand(num_nodes, generator=gen, dtype=torch.float64).to(dtype)
    return torch.stack([c0, c1], dim=1)


def make_conv(operator: str, variant: str, pe_channels: int = K, seed: int = 0) -> CoNHDConv:
    torch.manual_seed(seed)
    conv = CoNHDConv(D, operator, pe_channels=pe_channels, heads=HEADS, num_inducing=3, variant=variant)
    return conv.double().eval()


def inputs(hg: Hypergraph, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    nnz = hg.num_incidences
    h = torch.randn(nnz, D, generator=gen, dtype=torch.float64)
    h0 = torch.randn(nnz, D, generator=gen, dtype=torch.float64)
    z = (torch.randn(nnz, D, generator=gen, dtype=torch.float64),
         torch.randn(nnz, D, generator=gen, dtype=torch.float64))
    pe = incidence_positional_encoding(hg, centralities(hg.num_nodes))
    return h, h0, z, pe


# ------------------------------------------------------------------ positional encoding

def make_order(values: list[float]) -> list[float]:
    """The reference loader's ``make_order`` (``utils/data_load.py``), re-written: dense ranks
    from 1 in increasing order, equal values sharing a rank."""
    distinct = sorted(set(values))
    return [float(distinct.index(v) + 1) for v in values]


def brute_force_pe(hg: Hypergraph, cent: torch.Tensor) -> torch.Tensor:
    nodes, edges = hg.hyperedge_index.tolist()
    out = torch.zeros(len(nodes), cent.size(1), dtype=torch.float64)
    for e in range(hg.num_edges):
        cols = [i for i, f in enumerate(edges) if f == e]
        for k in range(cent.size(1)):
            feats = [float(cent[nodes[i], k]) for i in cols]
            for i, order in zip(cols, make_order(feats)):
                out[i, k] = order / len(feats)
    return out


def test_pe_hand_example():
    # hyperedge 0 = {0, 1, 2} with a tie, 1 = {2, 3}, 2 = {4} (size 1), 3 = node 1 twice and node 3
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3], [4], [1, 1, 3]], num_nodes=5)
    cent = torch.tensor([[1.0], [2.0], [2.0], [0.0], [7.0]])
    pe = incidence_positional_encoding(hg, cent)
    expected = [1 / 3, 2 / 3, 2 / 3, 1.0, 0.5, 1.0, 2 / 3, 2 / 3, 1 / 3]
    torch.testing.assert_close(pe[:, 0], torch.tensor(expected))
    assert pe.dtype == torch.float32


@pytest.mark.parametrize("seed", range(4))
def test_pe_matches_brute_force(seed):
    """Random hypergraphs with repeated nodes, ties, size-1 and empty hyperedges, shuffled columns."""
    gen = torch.Generator().manual_seed(seed)
    n, m = 15, 25
    edges = [torch.randint(0, n, (int(torch.randint(0, 7, (1,), generator=gen)),), generator=gen).tolist()
             for _ in range(m)]
    hg = Hypergraph.from_edge_list(edges, num_nodes=n)
    perm = torch.randperm(hg.num_incidences, generator=gen)
    hg = Hypergraph(hg.hyperedge_index[:, perm], num_nodes=n, num_edges=m)
    cent = torch.cat([centralities(n, seed=seed), torch.randint(0, 2, (n, 1), generator=gen).double()], 1)
    pe = incidence_positional_encoding(hg, cent)
    assert pe.shape == (hg.num_incidences, 3) and pe.dtype == torch.float64
    torch.testing.assert_close(pe, brute_force_pe(hg, cent), atol=0, rtol=0)
    assert bool(((pe > 0) & (pe <= 1)).all())
    # integer centralities: same ranks, default floating dtype
    ints = torch.randint(-3, 3, (n, 2), generator=gen)
    out = incidence_positional_encoding(hg, ints)
    assert out.dtype == torch.get_default_dtype()
    torch.testing.assert_close(out.double(), brute_force_pe(hg, ints.double()))


def test_pe_is_equivariant_and_empty_cases():
    hg = make_hypergraph()
    cent = centralities(hg.num_nodes)
    pe = incidence_positional_encoding(hg, cent)
    perm = torch.randperm(hg.num_incidences, generator=torch.Generator().manual_seed(0))
    permuted = Hypergraph(hg.hyperedge_index[:, perm], num_nodes=hg.num_nodes, num_edges=hg.num_edges)
    torch.testing.assert_close(incidence_positional_encoding(permuted, cent), pe[perm], atol=0, rtol=0)
    # raw hyperedge_index accepted
    torch.testing.assert_close(incidence_positional_encoding(hg.hyperedge_index, cent), pe)
    empty = Hypergraph(torch.zeros(2, 0, dtype=torch.long), num_nodes=3, num_edges=2)
    assert incidence_positional_encoding(empty, torch.rand(3, 4)).shape == (0, 4)
    assert incidence_positional_encoding(hg, cent[:, :0]).shape == (hg.num_incidences, 0)


def test_pe_bad_input():
    hg = make_hypergraph()
    with pytest.raises(TypeError, match="centralities"):
        incidence_positional_encoding(hg, [[1.0]] * hg.num_nodes)
    with pytest.raises(TypeError, match="centralities"):
        incidence_positional_encoding(hg, torch.ones(hg.num_nodes, 1, dtype=torch.bool))
    with pytest.raises(ValueError, match="centralities"):
        incidence_positional_encoding(hg, torch.rand(hg.num_nodes))
    with pytest.raises(ValueError, match="num_nodes"):
        incidence_positional_encoding(hg, torch.rand(hg.num_nodes + 1, 2))
    bad = torch.rand(hg.num_nodes, 2)
    bad[1, 1] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        incidence_positional_encoding(hg, bad)


def test_pe_on_email_eu_matches_reference_sample():
    """On the Email-Eu ENC data (skipped when absent): every 200th hyperedge against make_order."""
    from hgnn.datasets import get_spec, load
    from hgnn.datasets.root import find_root

    spec = get_spec("enc-emaileu")
    if find_root(spec.subdir, spec.files) is None:
        pytest.skip("enc-emaileu files not on disk")
    hg = load("enc-emaileu", download=False)
    cent = torch.stack([hg.node_data[k] for k in ("degree", "eigenvec", "pagerank", "kcore")], 1)
    pe = incidence_positional_encoding(hg, cent)
    assert pe.shape == (hg.num_incidences, 4) and bool(((pe > 0) & (pe <= 1)).all())
    perm, ptr = hg.edge_order()
    nodes = hg.hyperedge_index[0]
    for e in range(0, hg.num_edges, 200):
        cols = perm[ptr[e]:ptr[e + 1]]
        for k in range(4):
            feats = cent[nodes[cols], k].tolist()
            expected = torch.tensor(make_order(feats), dtype=pe.dtype) / len(feats)
            torch.testing.assert_close(pe[cols, k], expected.to(pe.dtype), atol=0, rtol=0)


# ------------------------------------------------------------------ loop-per-set reference

def run_sets(conv, ops, lin_pe, x, pe, group, num_groups):
    """Apply the operator to every group separately, one set at a time."""
    out = torch.zeros_like(x)
    for g in range(num_groups):
        rows = (group == g).nonzero().flatten()
        if rows.numel() == 0:
            continue
        xs = x[rows] + (lin_pe(pe[rows]) if lin_pe is not None else 0)
        single = torch.zeros(rows.numel(), dtype=torch.long)
        for op in ops:
            xs = op(xs, single, 1)
        out[rows] = xs
    return out


def reference_step(conv, hg, h, h0, pe, z=None):
    nodes, edges = hg.hyperedge_index
    if conv.variant == "gd":
        m_e = run_sets(conv, conv.edge_ops, conv.lin_pe_edge, h, pe, edges, hg.num_edges)
        m_v = run_sets(conv, conv.node_ops, conv.lin_pe_node, h, pe, nodes, hg.num_nodes)
        return conv.lin_update(torch.cat([h, m_e, m_v, h0], 1)), None
    z_e, z_v = z
    z_e = z_e + run_sets(conv, conv.edge_ops, conv.lin_pe_edge, 2 * h - z_e, pe, edges, hg.num_edges) - h
    z_v = z_v + run_sets(conv, conv.node_ops, conv.lin_pe_node, 2 * h - z_v, pe, nodes, hg.num_nodes) - h
    return conv.lin_update(torch.cat([z_e, z_v, h0], 1)), (z_e, z_v)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("operator", OPERATORS)
def test_matches_loop_per_set_reference(operator, variant):
    hg = make_hypergraph()
    conv = make_conv(operator, variant)
    h, h0, z, pe = inputs(hg)
    expected, z_next = reference_step(conv, hg, h, h0, pe, z)
    if variant == "gd":
        out = conv(h, hg, h0, pe)
    else:
        out, messages = conv(h, hg, h0, pe, messages=z, return_messages=True)
        torch.testing.assert_close(messages[0], z_next[0])
        torch.testing.assert_close(messages[1], z_next[1])
        # first step: messages default to (h, h)
        first, _ = reference_step(conv, hg, h, h0, pe, (h, h))
        torch.testing.assert_close(conv(h, hg, h0, pe), first)
    assert out.shape == (hg.num_incidences, D) and out.dtype == torch.float64
    torch.testing.assert_close(out, expected)
    # h0 defaults to h
    torch.testing.assert_close(conv(h, hg, None, pe), conv(h, hg, h, pe))


@pytest.mark.parametrize("operator", OPERATORS)
def test_without_pe_and_with_layer_norm(operator):
    hg = make_hypergraph()
    torch.manual_seed(0)
    conv = CoNHDConv(D, operator, heads=HEADS, layer_norm=True, num_set_layers=1).double().eval()
    h, h0, _, _ = inputs(hg)
    out = conv(h, hg, h0)
    expected, _ = reference_step(conv, hg, h, h0, None)
    torch.testing.assert_close(out, conv.norm(expected))
    assert conv.lin_pe_edge is None and len(conv.edge_ops) == 1


# ------------------------------------------------------------------ symmetries and edge cases

@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("operator", OPERATORS)
def test_permutation_equivariance_and_relabelling(operator, variant):
    hg = make_hypergraph()
    conv = make_conv(operator, variant)
    h, h0, z, pe = inputs(hg)
    kwargs = {"messages": z} if variant == "admm" else {}
    out = conv(h, hg, h0, pe, **kwargs)
    # permute the incidences
    perm = torch.randperm(hg.num_incidences, generator=torch.Generator().manual_seed(1))
    permuted = Hypergraph(hg.hyperedge_index[:, perm], num_nodes=hg.num_nodes, num_edges=hg.num_edges)
    kw = {"messages": (z[0][perm], z[1][perm])} if variant == "admm" else {}
    torch.testing.assert_close(conv(h[perm], permuted, h0[perm], pe[perm], **kw), out[perm])
    # relabel nodes and hyperedges (with unused ids), keep the columns
    node_map = torch.randperm(12, generator=torch.Generator().manual_seed(2))[: hg.num_nodes]
    edge_map = torch.randperm(9, generator=torch.Generator().manual_seed(3))[: hg.num_edges]
    index = torch.stack([node_map[hg.hyperedge_index[0]], edge_map[hg.hyperedge_index[1]]])
    relabelled = Hypergraph(index, num_nodes=12, num_edges=9)
    torch.testing.assert_close(conv(h, relabelled, h0, pe, **kwargs), out)


@pytest.mark.parametrize("operator", OPERATORS)
def test_repeated_node_and_singletons(operator):
    """Two copies of (v, e) with equal inputs get equal outputs; a size-1 hyperedge of a degree-1
    node is a set of one on both sides and only sees itself."""
    hg = Hypergraph.from_edge_list([[0, 1, 1], [1, 2], [3]], num_nodes=4)
    conv = make_conv(operator, "gd")
    h, h0, _, pe = inputs(hg)
    h[2], h0[2] = h[1], h0[1]
    out = conv(h, hg, h0, pe)
    torch.testing.assert_close(out[1], out[2])
    assert torch.isfinite(out).all()
    alone = Hypergraph(hg.hyperedge_index[:, -1:] * 0, num_nodes=1, num_edges=1)
    torch.testing.assert_close(conv(h[-1:], alone, h0[-1:], pe[-1:]), out[-1:])


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("operator", OPERATORS)
def test_empty_hypergraph(operator, variant):
    conv = make_conv(operator, variant).float()
    for n, m in ((0, 0), (3, 2)):
        empty = Hypergraph(torch.zeros(2, 0, dtype=torch.long), num_nodes=n, num_edges=m)
        out = conv(torch.zeros(0, D), empty, pe=torch.zeros(0, K))
        assert out.shape == (0, D)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("operator", OPERATORS)
def test_gradients_finite_and_dropout(operator, variant):
    hg = make_hypergraph()
    torch.manual_seed(0)
    conv = CoNHDConv(D, operator, pe_channels=K, heads=HEADS, dropout=0.5, variant=variant)
    h, h0, _, pe = (t.float() if isinstance(t, torch.Tensor) else t for t in inputs(hg))
    h.requires_grad_(True)
    conv.train()
    out = conv(h, hg.hyperedge_index, h0, pe)  # raw hyperedge_index accepted
    out.square().sum().backward()
    assert torch.isfinite(h.grad).all() and h.grad.abs().sum() > 0
    for name, param in conv.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
    conv.eval()
    torch.testing.assert_close(conv(h, hg, h0, pe), conv(h, hg, h0, pe))


def test_bad_input():
    hg = make_hypergraph()
    conv = make_conv("isab", "gd")
    h, h0, z, pe = inputs(hg)
    with pytest.raises(TypeError, match="hg"):
        conv(h, [[0, 1], [0, 0]], h0, pe)
    with pytest.raises(ValueError, match="h must have shape"):
        conv(h[1:], hg, h0, pe)
    with pytest.raises(TypeError, match="h must be a floating"):
        conv(h.long(), hg, h0, pe)
    with pytest.raises(ValueError, match="h0"):
        conv(h, hg, h0[:, 1:], pe)
    with pytest.raises(ValueError, match="pe is required"):
        conv(h, hg, h0)
    with pytest.raises(ValueError, match="pe must have shape"):
        conv(h, hg, h0, pe[:, :1])
    with pytest.raises(ValueError, match="admm"):
        conv(h, hg, h0, pe, messages=z)
    with pytest.raises(ValueError, match="pe_channels=0"):
        make_conv("unp", "gd", pe_channels=0)(h, hg, h0, pe)
    admm = make_conv("unp", "admm")
    with pytest.raises(TypeError, match="messages"):
        admm(h, hg, h0, pe, messages=z[0])
    with pytest.raises(ValueError, match=r"messages\[1\]"):
        admm(h, hg, h0, pe, messages=(z[0], z[1][:-1]))
    with pytest.raises(ValueError, match="operator"):
        CoNHDConv(D, "gat")
    with pytest.raises(ValueError, match="variant"):
        CoNHDConv(D, variant="adam")
    with pytest.raises(ValueError, match="dropout"):
        CoNHDConv(D, dropout=1.0)
    with pytest.raises(TypeError, match="channels"):
        CoNHDConv(8.0)
    with pytest.raises(ValueError, match="pe_channels"):
        CoNHDConv(D, pe_channels=-1)
    with pytest.raises(ValueError, match="divisible"):
        CoNHDConv(6, "sab", heads=4)
