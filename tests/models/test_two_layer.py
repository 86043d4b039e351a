"""The HGNN-family models: shapes, training on a planted-partition hypergraph, batch norm."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from hgnn import Hypergraph
from hgnn.models import HGNN, HGNNP, HNHN, UniGCN

MODELS = [HGNN, HGNNP, HNHN, UniGCN]


def planted_partition(num_classes=3, per_class=40, edges_per_class=60, noise_edges=15, seed=0):
    """Nodes in classes; hyperedges mostly inside one class; features only weakly informative."""
    gen = torch.Generator().manual_seed(seed)
    n = num_classes * per_class
    y = torch.arange(n) // per_class
    edges = []
    for c in range(num_classes):
        members = torch.nonzero(y == c).view(-1)
        for _ in range(edges_per_class):
            size = int(torch.randint(2, 6, (1,), generator=gen))
            edges.append(members[torch.randperm(per_class, generator=gen)[:size]].tolist())
    for _ in range(noise_edges):
        edges.append(torch.randperm(n, generator=gen)[:4].tolist())
    x = F.one_hot(y, num_classes).float() * 0.3 + torch.randn(n, num_classes, generator=gen)
    return Hypergraph.from_edge_list(edges, num_nodes=n, x=x, y=y)


@pytest.mark.parametrize("model_cls", MODELS)
def test_learns_planted_partition(model_cls):
    torch.manual_seed(0)
    hg = planted_partition()
    train = torch.zeros(hg.num_nodes, dtype=torch.bool)
    train[::4] = True
    model = model_cls(hg.x.size(1), 3)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    for _ in range(150):
        model.train()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(hg.x, hg)[train], hg.y[train])
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        pred = model(hg.x, hg).argmax(1)
    test_acc = (pred[~train] == hg.y[~train]).float().mean().item()
    # an MLP on these features alone gets ~0.45; the hypergraph carries the classes
    assert test_acc > 0.85, f"{model_cls.__name__} test accuracy {test_acc:.3f}"


@pytest.mark.parametrize("model_cls", MODELS)
def test_defaults_and_batch_norm(model_cls):
    model = model_cls(7, 3)
    assert model.conv1.out_channels == 32 and model.conv2.dropout == 0.5
    hg = planted_partition()
    bn = model_cls(hg.x.size(1), 3, hidden_channels=16, use_bn=True)
    out = bn(hg.x, hg)
    assert out.shape == (hg.num_nodes, 3) and torch.isfinite(out).all()
    before = [p.clone() for p in bn.parameters()]
    bn.reset_parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, bn.parameters()))
