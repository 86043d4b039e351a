import math

import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch_geometric.data import Batch, Data

from hgnn.nn import HyperDrop
from hgnn.nn.pool import topk_per_graph
from hgnn.transforms import dual_hypergraph


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=6), st.floats(0.05, 1.0), st.integers(0, 10**6))
def test_topk_per_graph_keeps_the_best_ceil_ratio_of_each_graph(sizes, ratio, seed):
    gen = torch.Generator().manual_seed(seed)
    batch = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    score = torch.randn(batch.numel(), generator=gen)
    perm = topk_per_graph(score, ratio, batch, len(sizes))
    for g, size in enumerate(sizes):
        mine = (batch == g).nonzero().view(-1)
        best = mine[score[mine].argsort(descending=True)][: math.ceil(size * ratio)]
        assert torch.equal(perm[batch[perm] == g], best)
    assert torch.equal(batch[perm], batch[perm].sort().values)  # grouped by graph


def test_topk_rejects_bad_ratio():
    with pytest.raises(ValueError, match="ratio"):
        topk_per_graph(torch.randn(3), 0.0)


def graphs():
    gen = torch.Generator().manual_seed(0)
    out = []
    for n, m in [(5, 8), (3, 0), (6, 11)]:
        ei = torch.randint(0, n, (2, m), generator=gen)
        out.append(Data(x=torch.randn(n, 2, generator=gen), edge_index=ei, edge_attr=torch.randn(m, 4, generator=gen)))
    return Batch.from_data_list(out)


def test_hyperdrop_drops_edges_per_graph_and_no_nodes():
    b = graphs()
    drop = HyperDrop(4, ratio=0.5)
    out = drop(b.edge_attr, b.edge_index, b.batch)
    edge_batch = b.batch[b.edge_index[0]]
    assert torch.bincount(edge_batch[out.perm], minlength=3).tolist() == [4, 0, 6]
    assert torch.equal(out.edge_index, b.edge_index[:, out.perm]) and torch.equal(out.edge_attr, b.edge_attr[out.perm])
    assert ((out.edge_weight >= 0) & (out.edge_weight <= 1)).all()
    # the kept scores are the largest of their graph
    dual = dual_hypergraph(b.edge_index, b.num_nodes, add_loops=True, drop_singletons=True)
    score = torch.tanh(drop.score(b.edge_attr, dual).view(-1))
    for g in (0, 2):
        kept = out.perm[edge_batch[out.perm] == g]
        dropped = ((edge_batch == g).nonzero().view(-1)).tolist()
        dropped = [i for i in dropped if i not in kept.tolist()]
        assert score[kept].min() >= score[dropped].max()


def test_the_scorer_learns_through_the_edge_weights():
    b = graphs()
    drop = HyperDrop(4, ratio=1.0)
    with torch.no_grad():
        drop.score.bias.fill_(0.3)  # positive scores: inside the clamp
    out = drop(b.edge_attr, b.edge_index, b.batch)
    out.edge_weight.sum().backward()
    assert drop.score.lin.weight.grad.abs().sum() > 0
