"""The UniSAGE, UniGIN and HyperGCN / FastHyperGCN networks: DHG 0.9.7's models with the same
weights, the kept fast graph, training."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from hgnn import Hypergraph
from hgnn.models import HyperGCN, UniGIN, UniSAGE

dhg = pytest.importorskip("dhg", reason="DHG is a test-time reference: pip install dhg==0.9.7")

EDGES = [[0, 1, 2], [2, 3, 4], [4, 5], [6, 7, 0, 1], [3, 8], [1, 5, 7], [2, 4, 6, 8, 9]]


def _copy(ours, theirs):
    ours.conv1.lin.load_state_dict(theirs.layers[0].theta.state_dict())
    ours.conv2.lin.load_state_dict(theirs.layers[1].theta.state_dict())


def _compare(ours, theirs, seed=None):
    ours.eval(), theirs.eval()
    x = torch.randn(11, 6, requires_grad=True)
    if seed is not None:
        torch.manual_seed(seed)
    expected = theirs(x, dhg.Hypergraph(11, EDGES))
    if seed is not None:
        torch.manual_seed(seed)  # the same random directions, drawn in the same order
    out = ours(x, Hypergraph.from_edge_list(EDGES, num_nodes=11))
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    (grad_ours,) = torch.autograd.grad(out.square().sum(), x)
    (grad_theirs,) = torch.autograd.grad(expected.square().sum(), x)
    torch.testing.assert_close(grad_ours, grad_theirs, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("mediators", [False, True])
def test_hypergcn_matches_dhg(fast, mediators):
    torch.manual_seed(0)
    theirs = dhg.models.HyperGCN(6, 8, 3, use_mediator=mediators, fast=fast)
    ours = HyperGCN(6, 3, hidden_channels=8, mediators=mediators, fast=fast)
    _copy(ours, theirs)
    _compare(ours, theirs, seed=21)


@pytest.mark.parametrize("ours, theirs", [(UniSAGE(6, 3, hidden_channels=8), "UniSAGE"),
                                          (UniGIN(6, 3, hidden_channels=8, eps=0.2), "UniGIN")],
                         ids=["unisage", "unigin"])
def test_unignn_models_match_dhg(ours, theirs):
    torch.manual_seed(1)
    kwargs = {"eps": 0.2} if theirs == "UniGIN" else {}
    reference = getattr(dhg.models, theirs)(6, 8, 3, **kwargs)
    _copy(ours, reference)
    _compare(ours, reference)


def test_fast_graph_is_kept_for_the_same_hypergraph_and_features():
    model = HyperGCN(6, 3, hidden_channels=8, mediators=True, fast=True).eval()
    hg, x = Hypergraph.from_edge_list(EDGES, num_nodes=11), torch.randn(11, 6)
    first = model(x, hg)
    graph = model.fast_graph(x, hg)
    torch.testing.assert_close(model(x.clone(), hg), first)  # equal values: the kept graph
    assert model.fast_graph(x.clone(), hg) is graph
    assert model.fast_graph(x + 1, hg) is not graph  # other features: a new graph
    model.reset_parameters()
    assert model._kept is None


def test_hypergcn_draws_a_new_graph_at_every_call():
    torch.manual_seed(2)
    model = HyperGCN(6, 3, hidden_channels=16, mediators=True).eval()
    hg, x = Hypergraph.from_edge_list(EDGES, num_nodes=11), torch.randn(11, 6)
    outs = [model(x, hg) for _ in range(6)]
    assert any(not torch.allclose(out, outs[0]) for out in outs[1:])


@pytest.mark.parametrize("make", [lambda: UniSAGE(6, 3), lambda: UniGIN(6, 3, train_eps=True),
                                  lambda: HyperGCN(6, 3), lambda: HyperGCN(6, 3, mediators=True, fast=True)],
                         ids=["unisage", "unigin", "hypergcn", "fasthypergcn"])
def test_training_fits_a_small_problem(make):
    torch.manual_seed(3)
    model = make()
    hg = Hypergraph.from_edge_list(EDGES, num_nodes=11)
    x, y = torch.randn(11, 6), torch.randint(0, 3, (11,))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x, hg.hyperedge_index), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert min(losses[-5:]) < 0.6 * losses[0]


def test_fast_model_checks_features():
    with pytest.raises(ValueError, match=r"\[num_nodes, 6\]"):
        HyperGCN(6, 3, fast=True)(torch.randn(11, 5), Hypergraph.from_edge_list(EDGES, num_nodes=11))
