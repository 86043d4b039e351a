"""HypergraphAttentionNet and UniGAT: shapes, the node-classification constructor, DHG's UniGAT with
the same weights, learning a small task, raw indices and bad sizes."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from hgnn import Hypergraph
from hgnn.models import HypergraphAttentionNet, UniGAT
from hgnn.structure import node_to_edge

pytestmark = pytest.mark.usefixtures("one_thread")

MODELS = [HypergraphAttentionNet, UniGAT]
EDGES = [[0, 1, 2], [2, 3, 4], [4, 5], [6, 7, 0, 1], [3, 8], [1, 5, 7]]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_shapes_and_raw_index(model):
    torch.manual_seed(0)
    net = model(6, 3, hidden_channels=16, dropout=0.5).eval()  # the registry's constructor call
    hg = Hypergraph.from_edge_list(EDGES, num_nodes=10)
    x = torch.randn(10, 6)
    out = net(x, hg)
    assert out.shape == (10, 3) and torch.isfinite(out).all()
    assert net.embed(x, hg).shape == (10, 16)
    torch.testing.assert_close(net(x, hg.hyperedge_index), out)
    net.train()
    assert not torch.equal(net(x, hg), net(x, hg)), "dropout acts in training"


def test_attention_net_feeds_member_means_as_hyperedge_features():
    torch.manual_seed(1)
    net = HypergraphAttentionNet(6, 3, hidden_channels=8, heads=2).eval()
    hg = Hypergraph.from_edge_list(EDGES, num_nodes=10)
    x = torch.randn(10, 6)
    hidden = F.elu(net.conv1(x, hg, hyperedge_attr=node_to_edge(x, hg, "mean")))
    expected = net.conv2(hidden, hg, hyperedge_attr=node_to_edge(hidden, hg, "mean"))
    torch.testing.assert_close(net(x, hg), expected)


def test_unigat_equals_dhg():
    dhg = pytest.importorskip("dhg", reason="DHG is a test-time reference: pip install dhg==0.9.7")
    torch.manual_seed(2)
    heads, width = 2, 4
    reference = dhg.models.UniGAT(6, width, 3, num_heads=heads).eval()
    net = UniGAT(6, 3, hidden_channels=heads * width, heads=heads).eval()
    with torch.no_grad():
        for k, layer in enumerate(reference.multi_head_layer.layers):
            rows = slice(k * width, (k + 1) * width)
            net.conv1.lin.weight[rows] = layer.theta.weight
            net.conv1.lin.bias[rows] = layer.theta.bias.normal_()
            net.conv1.att_edge[k] = layer.atten_e.weight[0].normal_()
            net.conv1.att_node[k] = layer.atten_dst.weight[0].normal_()
        out_layer = reference.out_layer
        net.conv2.lin.weight.copy_(out_layer.theta.weight)
        net.conv2.lin.bias.copy_(out_layer.theta.bias.normal_())
        net.conv2.att_edge[0] = out_layer.atten_e.weight[0].normal_()
        net.conv2.att_node[0] = out_layer.atten_dst.weight[0].normal_()
    x = torch.randn(10, 6, requires_grad=True)
    expected = reference(x, dhg.Hypergraph(10, EDGES))
    out = net(x, Hypergraph.from_edge_list(EDGES, num_nodes=10))
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    (ours,) = torch.autograd.grad(out.square().sum(), x)
    (theirs,) = torch.autograd.grad(expected.square().sum(), x)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_learns_a_small_task(model):
    """Two planted groups of nodes, each group's hyperedges inside it: the labels are learnable."""
    torch.manual_seed(3)
    groups = [list(range(0, 10)), list(range(10, 20))]
    edges = [list(torch.tensor(g)[torch.randperm(10)[:4]].tolist()) for g in groups for _ in range(8)]
    hg = Hypergraph.from_edge_list(edges, num_nodes=20)
    y = torch.tensor([0] * 10 + [1] * 10)
    x = torch.randn(20, 8) + y[:, None].float()
    net = model(8, 2, hidden_channels=16, dropout=0.1)
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    before = F.cross_entropy(net.eval()(x, hg), y).item()
    net.train()
    for _ in range(80):
        opt.zero_grad()
        F.cross_entropy(net(x, hg), y).backward()
        opt.step()
    logits = net.eval()(x, hg)
    assert F.cross_entropy(logits, y).item() < 0.5 * before
    assert (logits.argmax(1) == y).float().mean() > 0.9


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_reset_parameters_and_bad_sizes(model):
    net = model(6, 3)
    before = net.conv1.lin.weight.clone()
    net.reset_parameters()
    assert not torch.equal(before, net.conv1.lin.weight)
    with pytest.raises(ValueError, match="hidden_channels=30 must be a multiple of heads=4"):
        model(6, 3, hidden_channels=30, heads=4)
    with pytest.raises(ValueError, match="num_nodes"):
        model(6, 3).eval()(torch.randn(5, 6), Hypergraph.from_edge_list(EDGES, num_nodes=10))
