"""The CoNHD model: shapes, weight sharing, the unrolled diffusion (GD and ADMM), symmetries, the
empty hypergraph, gradients, bad input, and learning an edge-dependent label that only the
order positional encoding reveals."""
from __future__ import annotations


import pytest
import torch
import torch.nn.functional as F

from hgnn import Hypergraph
from hgnn.models import CoNHD
from hgnn.nn.conv import incidence_positional_encoding
from hgnn.ops import scatter

pytestmark = pytest.mark.usefixtures("one_thread")

F_IN, C, D = 5, 3, 16


def make_model(variant="gd", operator="isab", share_weights=True, num_layers=2, pe_channels=2, seed=0):
    torch.manual_seed(seed)
    return CoNHD(F_IN, C, hidden_channels=D, num_layers=num_layers, operator=operator,
                 pe_channels=pe_channels, heads=2, variant=variant, share_weights=share_weights)


def make_data(seed=0):
    """7 nodes (node 6 isolated), node 2 twice in hyperedge 1, a size-1 hyperedge."""
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3, 4, 2], [4, 5], [5, 0, 1], [3]], num_nodes=7)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(hg.num_nodes, F_IN, generator=gen)
    pe = incidence_positional_encoding(hg, torch.randint(0, 3, (hg.num_nodes, 2), generator=gen).float())
    return hg, x, pe


@pytest.mark.parametrize("share_weights", [True, False])
@pytest.mark.parametrize("variant", ["gd", "admm"])
def test_shapes_and_weight_sharing(variant, share_weights):
    hg, x, pe = make_data()
    model = make_model(variant, share_weights=share_weights, num_layers=3).eval()
    out = model(x, hg, pe)
    assert out.shape == (hg.num_incidences, C) and torch.isfinite(out).all()
    assert model.embed(x, hg, pe).shape == (hg.num_incidences, D)
    assert len(model.convs) == (1 if share_weights else 3)
    one_step = make_model(variant, share_weights=share_weights, num_layers=1)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    if share_weights:
        assert count(model) == count(one_step)
    else:
        assert count(model) == count(one_step) + 2 * count(one_step.convs[0])


@pytest.mark.parametrize("share_weights", [True, False])
@pytest.mark.parametrize("variant", ["gd", "admm"])
def test_unrolled_diffusion(variant, share_weights):
    """h0 = ReLU(W x)[v]; steps of the conv with h0 fixed; ADMM messages start at h0 and carry over."""
    hg, x, pe = make_data()
    model = make_model(variant, operator="unp", share_weights=share_weights, num_layers=3).eval()
    h0 = F.relu(model.lin_in(x))[hg.hyperedge_index[0]]
    h, z = h0, (h0, h0)
    for t in range(3):
        conv = model.convs[0 if share_weights else t]
        if variant == "gd":
            h = conv(h, hg, h0, pe)
        else:
            h, z = conv(h, hg, h0, pe, messages=z, return_messages=True)
    torch.testing.assert_close(model(x, hg, pe), model.lin_out(h))


@pytest.mark.parametrize("variant", ["gd", "admm"])
def test_equivariance_and_relabelling(variant):
    hg, x, pe = make_data()
    model = make_model(variant).eval()
    out = model(x, hg, pe)
    perm = torch.randperm(hg.num_incidences, generator=torch.Generator().manual_seed(0))
    permuted = Hypergraph(hg.hyperedge_index[:, perm], num_nodes=hg.num_nodes, num_edges=hg.num_edges)
    torch.testing.assert_close(model(x, permuted, pe[perm]), out[perm], atol=1e-5, rtol=1e-5)
    node_perm = torch.randperm(hg.num_nodes, generator=torch.Generator().manual_seed(1))
    edge_map = torch.tensor([4, 0, 6, 2, 1])  # hyperedge ids 3 and 5 unused
    index = torch.stack([node_perm[hg.hyperedge_index[0]], edge_map[hg.hyperedge_index[1]]])
    x_relabelled = torch.empty_like(x)
    x_relabelled[node_perm] = x
    relabelled = Hypergraph(index, num_nodes=hg.num_nodes, num_edges=7)
    torch.testing.assert_close(model(x_relabelled, relabelled, pe), out, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("variant", ["gd", "admm"])
def test_empty_hypergraph_and_gradients(variant):
    model = make_model(variant)
    empty = Hypergraph(torch.zeros(2, 0, dtype=torch.long), num_nodes=4, num_edges=0)
    assert model(torch.randn(4, F_IN), empty, torch.zeros(0, 2)).shape == (0, C)
    hg, x, pe = make_data()
    model.train()
    x.requires_grad_(True)
    F.cross_entropy(model(x, hg, pe), torch.arange(hg.num_incidences) % C).backward()
    assert torch.isfinite(x.grad).all()
    for name, param in model.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name


def test_bad_input():
    hg, x, pe = make_data()
    model = make_model()
    with pytest.raises(ValueError, match="x must have shape"):
        model(x[:, 1:], hg, pe)
    with pytest.raises(ValueError, match="num_nodes"):
        model(x[1:], hg, pe)
    with pytest.raises(ValueError, match="pe is required"):
        model(x, hg)
    with pytest.raises(ValueError, match="num_layers"):
        CoNHD(F_IN, C, num_layers=0)
    with pytest.raises(TypeError, match="num_classes"):
        CoNHD(F_IN, 2.0)
    with pytest.raises(ValueError, match="input_dropout"):
        CoNHD(F_IN, C, input_dropout=-0.1)
    with pytest.raises(ValueError, match="variant"):
        CoNHD(F_IN, C, variant="sgd")


# ------------------------------------------------------------------ a synthetic ENC task

def rank_task(seed=0, num_nodes=60, num_edges=150):
    """Random hyperedges of 1..6 positions (repeats allowed) and an integer centrality with ties,
    unseen by the features (all ones). Label of (v, e): 0 if v has e's largest centrality (ties
    included, so size-1 hyperedges too), else 1 if the smallest, else 2."""
    gen = torch.Generator().manual_seed(seed)
    edges = [torch.randint(0, num_nodes, (int(torch.randint(1, 7, (1,), generator=gen)),), generator=gen).tolist()
             for _ in range(num_edges)]
    hg = Hypergraph.from_edge_list(edges, num_nodes=num_nodes)
    cent = torch.randint(0, 10, (num_nodes, 1), generator=gen).float()
    value, e = cent[hg.hyperedge_index[0], 0], hg.hyperedge_index[1]
    top = value == scatter(value, e, hg.num_edges, "max")[e]
    bottom = value == scatter(value, e, hg.num_edges, "min")[e]
    y = torch.where(top, 0, torch.where(bottom, 1, 2))
    return hg, cent, y


def train_accuracy(hg, x, pe, y, steps, **kwargs):
    torch.manual_seed(0)
    model = CoNHD(x.size(1), 3, hidden_channels=32, num_layers=1, dropout=0.0,
                  pe_channels=0 if pe is None else pe.size(1), **kwargs)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    for _ in range(steps):
        model.train()
        optimizer.zero_grad()
        F.cross_entropy(model(x, hg, pe), y).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return (model(x, hg, pe).argmax(-1) == y).float().mean().item()


@pytest.mark.parametrize("variant,operator", [("gd", "unp"), ("admm", "unp"), ("gd", "isab")])
def test_learns_rank_labels_with_positional_encoding(variant, operator):
    hg, cent, y = rank_task()
    x = torch.ones(hg.num_nodes, 4)
    pe = incidence_positional_encoding(hg, cent)
    acc = train_accuracy(hg, x, pe, y, steps=200 if operator == "unp" else 150, variant=variant, operator=operator)
    assert acc > 0.9, f"train accuracy {acc:.3f}"


def test_rank_labels_are_not_learnable_without_positional_encoding():
    """With constant features and no encoding, all incidences look alike: the majority rate."""
    hg, cent, y = rank_task()
    acc = train_accuracy(hg, torch.ones(hg.num_nodes, 4), None, y, steps=60, variant="gd", operator="unp")
    assert acc <= torch.bincount(y).max().item() / y.numel() + 1e-6
