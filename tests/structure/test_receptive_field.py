"""receptive_field: HGNN-type outputs on the extracted neighbourhood equal the full graph's."""
import pytest
import torch

from hgnn import Hypergraph
from hgnn.models import HGNN, HGNNP
from hgnn.structure import receptive_field


def _random(n=300, m=120, seed=0, weighted=True):
    gen = torch.Generator().manual_seed(seed)
    sizes = 1 + torch.poisson(torch.full((m,), 3.0), generator=gen).long()
    edges = torch.repeat_interleave(torch.arange(m), sizes)
    nodes = torch.randint(0, n, (edges.numel(),), generator=gen)
    w = 0.5 + torch.rand(m, generator=gen) if weighted else None
    return Hypergraph(torch.stack([nodes, edges]), num_nodes=n, num_edges=m, edge_weight=w)


@pytest.mark.parametrize("model_cls", [HGNN, HGNNP])
@pytest.mark.parametrize("weighted", [False, True])
def test_outputs_at_targets_are_exact(model_cls, weighted):
    torch.manual_seed(0)
    hg = _random(weighted=weighted)
    x = torch.randn(hg.num_nodes, 8)
    model = model_cls(8, 4, hidden_channels=16).eval()
    full = model(x, hg)
    targets = torch.tensor([5, 17, 17, 250])
    sub, ids, pos = receptive_field(hg, targets, num_hops=2)
    assert sub.num_nodes < hg.num_nodes
    assert torch.equal(ids[pos], targets)
    assert torch.allclose(model(x[ids], sub)[pos], full[targets], atol=1e-5)


def test_one_hop_is_enough_for_one_layer_and_not_for_two():
    torch.manual_seed(1)
    hg = _random(n=400, m=200, seed=3, weighted=False)
    x = torch.randn(hg.num_nodes, 6)
    model = HGNN(6, 3, hidden_channels=8).eval()
    targets = torch.tensor([1, 2, 3])
    layer = model.conv1
    sub, ids, pos = receptive_field(hg, targets, num_hops=1)
    assert torch.allclose(layer(x[ids], sub)[pos], layer(x, hg)[targets], atol=1e-5)
    # two layers on a one-hop field are wrong in general: the test can fail
    assert not torch.allclose(model(x[ids], sub)[pos], model(x, hg)[targets], atol=1e-5)


@pytest.mark.parametrize("model_cls", [HGNN, HGNNP])
def test_new_nodes_attached_without_rebuilding(model_cls):
    torch.manual_seed(2)
    hg = _random(seed=4)
    n, k = hg.num_nodes, 3
    x, new_x = torch.randn(n, 8), torch.randn(k, 8)
    new = torch.tensor([[n, n, n + 1, n + 2, n + 2], [0, 7, 7, 50, 119]])
    model = model_cls(8, 4, hidden_channels=16).eval()
    joined = Hypergraph(torch.cat([hg.hyperedge_index, new], 1), num_nodes=n + k, num_edges=hg.num_edges,
                        edge_weight=hg.edge_weight)
    want = model(torch.cat([x, new_x]), joined)[n:]
    targets = torch.arange(n, n + k)
    sub, ids, pos = receptive_field(hg, targets, 2, new_incidences=new, num_new_nodes=k)
    feats = torch.cat([x, new_x])[ids]
    assert torch.allclose(model(feats, sub)[pos], want, atol=1e-5)


def test_bad_input():
    hg = _random()
    n = hg.num_nodes
    with pytest.raises(ValueError, match="num_hops"):
        receptive_field(hg, torch.tensor([0]), 0)
    with pytest.raises(ValueError, match="nodes must lie"):
        receptive_field(hg, torch.tensor([n]))
    with pytest.raises(ValueError, match="empty"):
        receptive_field(hg, torch.tensor([], dtype=torch.long))
    with pytest.raises(ValueError, match="existing hyperedge"):
        receptive_field(hg, torch.tensor([n]), new_incidences=torch.tensor([[n], [hg.num_edges]]), num_new_nodes=1)
    with pytest.raises(ValueError, match="among `nodes`"):
        receptive_field(hg, torch.tensor([0]), new_incidences=torch.tensor([[n], [0]]), num_new_nodes=1)
