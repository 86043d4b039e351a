import pytest
import torch
from torch_geometric.data import Batch, Data

from hgnn.nn import HyperCluster
from hgnn.transforms import dual_hypergraph


def batch_of_graphs():
    gen = torch.Generator().manual_seed(0)
    out = []
    for n, m in [(5, 7), (4, 3), (6, 10)]:
        ei = torch.randint(0, n, (2, m), generator=gen)
        out.append(Data(edge_index=ei, edge_attr=torch.randn(m, 8, generator=gen), num_nodes=n))
    b = Batch.from_data_list(out)
    dual = dual_hypergraph(b.edge_index, b.num_nodes, add_loops=True, drop_singletons=True)
    return b, dual, b.batch[b.edge_index[0]]


@pytest.mark.parametrize("heads", [1, 2])
def test_soft_assignment_sums_to_one_over_clusters(heads):
    b, dual, edge_batch = batch_of_graphs()
    pool = HyperCluster(8, num_clusters=3, heads=heads, layer_norm=True)
    out = pool(b.edge_attr, dual, edge_batch)
    assert out.pooled.shape == (3, 3, 8) and out.assignment.shape == (3, heads, 3, 10)
    sums = out.assignment.sum(2)  # over clusters
    torch.testing.assert_close(sums, out.mask[:, None, :].float().expand_as(sums))
    edges = pool.unpool(out.pooled, out.assignment, out.mask)
    assert edges.shape == (20, 8)


def test_unpooled_edges_follow_a_permutation_of_edges_within_a_graph():
    gen = torch.Generator().manual_seed(1)
    ei = torch.randint(0, 6, (2, 9), generator=gen)
    e = torch.randn(9, 8, generator=gen)
    pool = HyperCluster(8, num_clusters=2).eval()
    perm = torch.randperm(9, generator=gen)

    def run(ei, e):
        out = pool(e, dual_hypergraph(ei, 6, add_loops=True, drop_singletons=True))
        return out.pooled, pool.unpool(*out)

    pooled, edges = run(ei, e)
    pooled_p, edges_p = run(ei[:, perm], e[perm])
    torch.testing.assert_close(pooled, pooled_p, atol=1e-5, rtol=1e-5)  # pooling is permutation invariant
    torch.testing.assert_close(edges[perm], edges_p, atol=1e-5, rtol=1e-5)  # unpooling equivariant


def test_rejects_heads_that_do_not_divide_channels():
    with pytest.raises(ValueError, match="divide"):
        HyperCluster(8, 2, heads=3)


def _three_edges():
    pool = HyperCluster(8, 2)
    edge_attr = torch.randn(3, 8, generator=torch.Generator().manual_seed(0))
    dual = dual_hypergraph(torch.tensor([[0, 1, 2], [1, 2, 0]]), 3, add_loops=True)
    return pool, edge_attr, dual


@pytest.mark.parametrize("edge_batch,match", [
    (torch.tensor([1, 0, 1]), "edge_batch must be sorted"),
    (torch.tensor([0, 1, 0]), "sort the edges by graph"),
    (torch.tensor([-1, 0, 1]), "edge_batch must hold graph ids >= 0"),
    (torch.tensor([0, 1]), r"one graph id per edge \(\[3\]\)"),
    (torch.tensor([[0, 0, 1]]), r"one graph id per edge \(\[3\]\)"),
])
def test_bad_edge_batch_raises_early(edge_batch, match):
    pool, edge_attr, dual = _three_edges()
    with pytest.raises(ValueError, match=match):
        pool(edge_attr, dual, edge_batch)


def test_edge_batch_type_and_num_graphs_are_checked():
    pool, edge_attr, dual = _three_edges()
    with pytest.raises(TypeError, match="edge_batch must hold integer graph ids"):
        pool(edge_attr, dual, torch.tensor([0.0, 0.0, 1.0]))
    with pytest.raises(TypeError, match="edge_batch must be a torch.Tensor"):
        pool(edge_attr, dual, [0, 0, 1])
    with pytest.raises(ValueError, match="edge_batch has graph id 2 but num_graphs is 2"):
        pool(edge_attr, dual, torch.tensor([0, 1, 2]), num_graphs=2)
    with pytest.raises(TypeError, match="num_graphs must be an int"):
        pool(edge_attr, dual, torch.tensor([0, 0, 1]), num_graphs=2.0)
    out = pool(edge_attr, dual, torch.tensor([0, 0, 2], dtype=torch.int32), num_graphs=4)  # empty graphs: fine
    assert out.pooled.shape == (4, 2, 8) and out.mask.sum(1).tolist() == [2, 0, 1, 0]
