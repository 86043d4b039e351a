import pytest
import torch
from torch_geometric.nn import GCNConv

from hgnn.models import HyperDropNodeNet

pytestmark = pytest.mark.usefixtures("one_thread")


def graph(n=12, m=30, seed=0):
    gen = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, m), generator=gen)
    ei = torch.cat([ei, ei.flip(0), torch.arange(n).repeat(2, 1)], dim=1)
    return torch.randn(n, 5, generator=gen), ei


def test_without_drop_it_is_a_plain_gcn():
    x, ei = graph()
    net = HyperDropNodeNet(5, 3, hidden_channels=8, num_layers=2, dropout=0.0, drop=False).eval()
    ref = [GCNConv(5, 8, add_self_loops=False), GCNConv(8, 3, add_self_loops=False)]
    for ours, theirs in zip(net.convs, ref):
        theirs.load_state_dict(ours.state_dict())
    expected = ref[1](torch.relu(ref[0](x, ei)), ei)
    torch.testing.assert_close(net(x, ei), expected, atol=1e-5, rtol=1e-5)


def test_training_drops_edges_and_evaluation_keeps_them_weighted():
    x, ei = graph()
    net = HyperDropNodeNet(5, 3, hidden_channels=8, edge_channels=4, num_layers=4, ratio=0.5, dropout=0.0)
    assert list(net.score_convs) == ["1"]  # layers l with l % 4 == 1 score edges
    kept = []
    net.convs[2].register_forward_hook(lambda mod, args, out: kept.append(args[1].size(1)))
    net.train()(x, ei)
    net.eval()(x, ei)
    assert kept == [(ei.size(1) + 1) // 2, ei.size(1)]
