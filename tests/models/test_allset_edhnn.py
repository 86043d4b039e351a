"""AllDeepSets, AllSetTransformer and EDHNN node classifiers: layout, self loops, training on Cora."""
from __future__ import annotations

import os

import pytest
import torch

from hgnn import Hypergraph
from hgnn.models import EDHNN, AllDeepSets, AllSetTransformer
from hgnn.models.allset import with_self_loops
from tests.nn.conv.test_convs import make_hypergraph

MODELS = [
    lambda: AllDeepSets(5, 3, hidden_channels=8, classifier_hidden=8, classifier_layers=2, num_layers=2),
    lambda: AllSetTransformer(5, 3, hidden_channels=8, heads=2, num_layers=2),
    lambda: EDHNN(5, 3, hidden_channels=8, num_layers=3, mlp1_layers=1, mlp2_layers=1, alpha=0.5),
]
IDS = ["alldeepsets", "allsettransformer", "edhnn"]

# Test accuracy of hgnn.nn.MLP (hidden 32, 200 epochs, lr 0.01, weight decay 5e-4) on
# cocitation-cora, HyperGCN split 0: 0.61.
MLP_BASELINE = 0.61


def test_self_loops_for_every_node_not_alone():
    hg = make_hypergraph()  # node 3 is alone in hyperedge 4; node 8 is isolated
    looped = with_self_loops(torch.randn(9, 5), hg)
    assert looped.num_edges == 6 + 8
    singles = looped.hyperedge_index[0, looped.hyperedge_index[1] >= 6].tolist()
    assert singles == [0, 1, 2, 4, 5, 6, 7, 8]
    assert with_self_loops(torch.randn(9, 5), hg) is looped  # kept on hg
    from_index = with_self_loops(torch.randn(9, 5), hg.hyperedge_index)
    assert from_index.num_nodes == 9 and from_index.num_edges == 5 + 8
    with pytest.raises(TypeError, match="hg must be a Hypergraph"):
        with_self_loops(torch.randn(9, 5), [[0, 1]])


@pytest.mark.parametrize("make", MODELS, ids=IDS)
def test_forward_backward_and_reset(make):
    torch.manual_seed(0)
    model = make()
    hg = make_hypergraph()
    x = torch.randn(9, 5)
    out = model(x, hg)
    assert out.shape == (9, 3) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.eval()
    first = model(x, hg)
    torch.testing.assert_close(model(x, hg.hyperedge_index), first)  # same hypergraph from the index
    assert not torch.allclose(model.embed(x, hg), torch.zeros(1))
    model.reset_parameters()
    assert not torch.allclose(model(x, hg), first)
    looped = model(x, hg)
    model.self_loops = False
    assert not torch.allclose(model(x, hg), looped)  # the singleton hyperedges change the output
    torch.testing.assert_close(model(x, with_self_loops(x, hg)), looped)


def test_edhnn_shares_one_layer_across_steps():
    one, three = EDHNN(5, 3, hidden_channels=8, num_layers=1), EDHNN(5, 3, hidden_channels=8, num_layers=3)
    assert sum(p.numel() for p in one.parameters()) == sum(p.numel() for p in three.parameters())
    three.load_state_dict(one.state_dict())
    hg, x = make_hypergraph(), torch.randn(9, 5)
    assert not torch.allclose(one.eval()(x, hg), three.eval()(x, hg))


def test_empty_hypergraph():
    empty = Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=4, num_edges=0)
    for make in MODELS:
        model = make().eval()
        assert model(torch.randn(4, 5), empty).shape == (4, 3)
        model.self_loops = False
        assert torch.isfinite(model(torch.randn(4, 5), empty)).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="dropout must be in"):
        AllDeepSets(5, 3, dropout=1.5)
    with pytest.raises(ValueError, match="input_dropout must be in"):
        AllSetTransformer(5, 3, input_dropout=-0.1)
    with pytest.raises(ValueError, match="divisible by heads"):
        AllSetTransformer(5, 3, hidden_channels=10, heads=4)
    with pytest.raises(ValueError, match="num_layers must be >= 1"):
        EDHNN(5, 3, num_layers=0)


CORA = [
    (lambda f, c: AllSetTransformer(f, c, hidden_channels=32, heads=1), 0.01),
    (lambda f, c: EDHNN(f, c, hidden_channels=64), 0.01),
]


@pytest.mark.parametrize("make,lr", CORA, ids=IDS[1:])
def test_learns_cora_beyond_mlp(make, lr):
    os.environ.setdefault("HGNN_DATA", "/work/shared/datasets")
    from hgnn.datasets import load
    from hgnn.train import fit
    from hgnn.train.splits import hypergcn_split
    from hgnn.transforms import prepare

    hg = prepare(load("cocitation-cora"))
    torch.manual_seed(0)
    model = make(hg.x.size(1), int(hg.y.max()) + 1)
    result = fit(model, hg, hypergcn_split(hg, 0), epochs=50, lr=lr, weight_decay=0.0, progress=False)
    assert result.test["acc"] >= MLP_BASELINE + 0.05
