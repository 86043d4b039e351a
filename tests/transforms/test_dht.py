import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch_geometric.data import Batch, Data
from torch_geometric.utils import coalesce, to_undirected

from hgnn import datasets
from hgnn.transforms import DHT, dual_hypergraph, graph_from_dual


def random_graph(seed: int, n: int, m: int, d: int = 3) -> Data:
    gen = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, max(n, 1), (2, m), generator=gen) if n else torch.empty(2, 0, dtype=torch.long)
    return Data(x=torch.randn(n, d, generator=gen), edge_index=edge_index,
                edge_attr=torch.randn(edge_index.size(1), 2, generator=gen), num_nodes=n)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 12), st.integers(0, 30), st.booleans())
def test_round_trip_directed_is_exact(seed, n, m, add_loops):
    # self-loops, repeated edges, isolated nodes and edgeless graphs all occur here
    g = random_graph(seed, n, m if n else 0)
    hg = dual_hypergraph(g.edge_index, n, x=g.x, edge_attr=g.edge_attr, add_loops=add_loops)
    assert hg.num_nodes == g.edge_index.size(1)
    assert hg.num_edges == n + (hg.num_nodes if add_loops else 0)
    back = graph_from_dual(hg)
    assert back.num_nodes == n
    assert torch.equal(back.edge_index, g.edge_index)
    assert torch.equal(back.x, g.x) and torch.equal(back.edge_attr, g.edge_attr)


def test_dual_incidence_is_the_transposed_incidence():
    edge_index = torch.tensor([[0, 1, 2, 2], [1, 2, 0, 2]])
    hg = dual_hypergraph(edge_index, 4)
    # dual node j (edge j) belongs to the hyperedges of its two endpoints; node 3 is an empty hyperedge
    h = torch.zeros(4, 4)
    h.index_put_((hg.hyperedge_index[0], hg.hyperedge_index[1]), torch.ones(8), accumulate=True)
    m = torch.zeros(4, 4)
    m.index_put_((edge_index.reshape(-1), torch.arange(4).repeat(2)), torch.ones(8), accumulate=True)
    assert torch.equal(h, m.t())
    assert hg.edge_degree().tolist() == [2, 2, 4, 0]  # the self-loop (2, 2) is in hyperedge 2 twice


def test_loops_and_dropped_singletons_follow_the_reference():
    edge_index = torch.tensor([[0, 1, 1], [1, 2, 3]])  # nodes 0, 2, 3 have degree 1
    hg = dual_hypergraph(edge_index, 4, add_loops=True, drop_singletons=True)
    pairs = set(map(tuple, hg.hyperedge_index.t().tolist()))
    assert pairs == {(0, 1), (1, 1), (2, 1), (0, 4), (1, 5), (2, 6)}
    assert hg.edge_data["loop"].tolist() == [False] * 4 + [True] * 3
    with pytest.raises(ValueError, match="drop_singletons"):
        graph_from_dual(hg)
    with pytest.raises(ValueError, match="only makes sense with add_loops"):
        dual_hypergraph(edge_index, 4, drop_singletons=True)


def test_undirected_keeps_one_dual_node_per_edge_and_round_trips():
    g = random_graph(3, 9, 20)
    edge_index = coalesce(to_undirected(g.edge_index, num_nodes=9), num_nodes=9)
    hg = dual_hypergraph(edge_index, 9, x=g.x, undirected=True)
    loops = int((edge_index[0] == edge_index[1]).sum())
    assert hg.num_nodes == (edge_index.size(1) - loops) // 2 + loops
    back = graph_from_dual(hg, undirected=True)
    assert torch.equal(back.edge_index, edge_index)


def test_batched_graphs_keep_their_graph_ids():
    graphs = [random_graph(s, n, m) for s, (n, m) in enumerate([(4, 6), (1, 0), (5, 7)])]
    batch = Batch.from_data_list(graphs)
    hg = dual_hypergraph(batch.edge_index, batch.num_nodes, batch=batch.batch, add_loops=True)
    assert hg.node_data["batch"].tolist() == [0] * 6 + [2] * 7
    assert torch.equal(graph_from_dual(hg).batch, batch.batch)


def test_bad_input_is_rejected_early():
    with pytest.raises(ValueError, match="negative"):
        dual_hypergraph(torch.tensor([[0, -1], [1, 0]]))
    with pytest.raises(ValueError, match="num_nodes"):
        dual_hypergraph(torch.tensor([[0, 5], [1, 0]]), num_nodes=3)
    with pytest.raises(ValueError, match=r"shape \[2, m\]"):
        dual_hypergraph(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="one row per edge"):
        dual_hypergraph(torch.tensor([[0, 1], [1, 0]]), edge_attr=torch.randn(3, 1))


@pytest.mark.parametrize("name", ["tu-mutag", "tu-proteins", "tu-enzymes", "tu-nci1", "tu-imdb-binary",
                                  "tu-imdb-multi", "tu-ptc-mr"])
def test_pyg_transform_round_trips_every_tu_dataset(name):
    try:
        data = datasets.load(name)
    except FileNotFoundError:
        pytest.skip(f"{name} is not on disk")
    dht = DHT()
    for graph in data:
        back = DHT.inverse(dht(graph))
        assert torch.equal(back.edge_index, graph.edge_index) and back.num_nodes == graph.num_nodes
        for key in ("x", "edge_attr"):
            a, b = getattr(graph, key, None), getattr(back, key, None)
            assert (a is None and b is None) or torch.equal(a, b)
    batch = Batch.from_data_list(list(data[:64]))
    dual = DHT(add_loops=True)(batch)
    assert dual.x.shape == (batch.edge_index.size(1), batch.edge_attr.size(1) if batch.edge_attr is not None else 1)
    back = DHT.inverse(dual)
    assert torch.equal(back.edge_index, batch.edge_index) and torch.equal(back.batch, batch.batch)


def test_dual_hypergraph_checks_batch_and_features():
    from hgnn.transforms import dual_hypergraph

    edge_index = torch.tensor([[0, 1, 2], [1, 2, 0]])
    with pytest.raises(ValueError, match="batch must hold graph ids >= 0"):
        dual_hypergraph(edge_index, batch=torch.tensor([0, -1, 0]))
    with pytest.raises(TypeError, match="batch must be a 1-D integer tensor"):
        dual_hypergraph(edge_index, batch=torch.tensor([0.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="edge_attr holds NaN"):
        dual_hypergraph(edge_index, edge_attr=torch.tensor([[1.0], [float("nan")], [0.0]]))
    with pytest.raises(ValueError, match=r"x must have one row per node \(3\)"):
        dual_hypergraph(edge_index, x=torch.ones(2, 4))
