"""A planted-class hypergraph where the structure says much more than the features."""
import torch
import torch.nn.functional as F

from hgnn import Hypergraph
from hgnn.train import Split


def planted(num_classes=4, per_class=60, size=5, edges_per_class=60, signal=0.4, dim=16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    n = num_classes * per_class
    y = torch.arange(n) // per_class
    edges = []
    for c in range(num_classes):
        members = (y == c).nonzero().view(-1)
        for _ in range(edges_per_class):
            edges.append(members[torch.randperm(per_class, generator=gen)[:size]].tolist())
    x = torch.zeros(n, dim)
    x[:, :num_classes] = signal * F.one_hot(y, num_classes).float()
    x = x + torch.randn(n, dim, generator=gen)
    return Hypergraph.from_edge_list(edges, num_nodes=n, x=x, y=y)


def split(hg, train=5, val=15, seed=0):
    gen = torch.Generator().manual_seed(seed)
    tr = torch.zeros(hg.num_nodes, dtype=torch.bool)
    va = torch.zeros_like(tr)
    for c in hg.y.unique():
        m = (hg.y == c).nonzero().view(-1)
        m = m[torch.randperm(m.numel(), generator=gen)]
        tr[m[:train]] = True
        va[m[train:train + val]] = True
    return Split(tr, va, ~(tr | va))
