"""Round-trips through PyG's HyperGraphData and networkx bipartite graphs."""
import networkx as nx
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from _hg_reference import F64, SETTINGS, assert_hg_equal, dense_H, hypergraphs
from hgnn.structure import Hypergraph, batch, from_networkx, from_pyg, to_networkx, to_pyg

pytest.importorskip("torch_geometric")

EDGE_CASES = {
    # num_nodes == num_edges == max(hyperedge id) + 1: PyG's HyperGraphData.num_nodes then answers
    # max(node id) + 1 (here 2, node 2 is isolated), so the exact size must come from the store
    "square": Hypergraph.from_edge_list([[0, 1], [1], [0]], num_nodes=3),
    # trailing empty hyperedges and isolated nodes: sizes beyond max id + 1
    "trailing-empty": Hypergraph.from_edge_list([[0, 1], [], []], num_nodes=5, x=torch.randn(5, 2)),
    "no-incidences": Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=3, num_edges=2),
    "empty": Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=0, num_edges=0),
    "weighted-repeated": Hypergraph.from_edge_list([[0, 0, 1], [2]], num_nodes=4, edge_weight=torch.tensor([0.5, 2.0])),
}


def _check_pyg_roundtrip(hg):
    data = to_pyg(hg)
    assert data.num_hyperedges == hg.num_edges
    back = from_pyg(data)
    assert (back.num_nodes, back.num_edges) == (hg.num_nodes, hg.num_edges)
    assert torch.equal(back.hyperedge_index, hg.hyperedge_index)
    for name in ("x", "edge_attr", "y", "incidence_attr", "_edge_weight"):
        a, b = getattr(back, name), getattr(hg, name)
        assert (a is None and b is None) or torch.equal(a, b), name
    assert torch.equal(Hypergraph.from_pyg(hg.to_pyg()).hyperedge_index, hg.hyperedge_index)


def _check_nx_roundtrip(hg):
    graph = to_networkx(hg)
    n, m = hg.num_nodes, hg.num_edges
    assert graph.number_of_nodes() == n + m
    assert all(graph.nodes[v]["bipartite"] == 0 for v in range(n))
    assert all(graph.nodes[n + e]["bipartite"] == 1 for e in range(m))
    H = dense_H(hg)
    assert graph.number_of_edges() == int((H > 0).sum())
    for v, e in (H > 0).nonzero().tolist():
        assert graph[v][n + e]["count"] == int(H[v, e])
    back = from_networkx(graph)
    assert (back.num_nodes, back.num_edges) == (n, m)
    torch.testing.assert_close(dense_H(back), H)  # same incidences (as a multiset)
    torch.testing.assert_close(back.edge_weight.to(F64), hg.edge_weight.to(F64))
    assert Hypergraph.from_networkx(hg.to_networkx()).num_incidences == hg.num_incidences


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_pyg_roundtrip_edge_cases(name):
    _check_pyg_roundtrip(EDGE_CASES[name])


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_networkx_roundtrip_edge_cases(name):
    _check_nx_roundtrip(EDGE_CASES[name])


@SETTINGS
@given(hg=hypergraphs())
def test_pyg_roundtrip(hg):
    _check_pyg_roundtrip(hg)


@SETTINGS
@given(hg=hypergraphs())
def test_networkx_roundtrip(hg):
    _check_nx_roundtrip(hg)


def test_to_pyg_carries_extras():
    hg = Hypergraph.from_edge_list([[0, 1], [1, 2]], node_data={"train_mask": torch.tensor([True, False, True])},
                                   incidence_data={"role": torch.tensor([0, 1, 1, 0])})
    data = hg.to_pyg()
    # node extras keep their names; hyperedge / incidence extras are prefixed by their level
    assert torch.equal(data.train_mask, hg.train_mask) and torch.equal(data.incidence_role, hg.role)


def test_to_pyg_of_a_batch_keeps_the_node_batch_vector():
    """A batched hypergraph has node_data['batch'] ([N]) and edge_data['batch'] ([M]); PyG reads
    data.batch as the node-to-graph vector, so it must be the node one (and the edge one not lost)."""
    g = Hypergraph.from_edge_list([[0, 1, 2]], num_nodes=3)
    data = batch([g, g]).to_pyg()  # N = 6, M = 2
    assert data.batch.tolist() == [0, 0, 0, 1, 1, 1]
    assert data.edge_batch.tolist() == [0, 1]


def test_from_pyg_plain_data_infers_sizes():
    from torch_geometric.data import Data

    data = Data(edge_index=torch.tensor([[0, 1, 3], [0, 0, 1]]), x=torch.randn(5, 2))
    hg = from_pyg(data)
    assert (hg.num_nodes, hg.num_edges) == (5, 2)
    assert from_pyg(data, num_edges=4).num_edges == 4


def test_from_networkx_rejects_non_bipartite():
    graph = nx.Graph()
    graph.add_node(0, bipartite=0)
    graph.add_node(1)
    with pytest.raises(ValueError, match="bipartite"):
        from_networkx(graph)
    graph = nx.Graph()
    graph.add_nodes_from([0, 1], bipartite=0)
    graph.add_edge(0, 1)
    with pytest.raises(ValueError, match="hyperedge"):
        from_networkx(graph)


def test_pyg_batching_keeps_weights_with_trailing_empty_hyperedges():
    """PyG's own HyperGraphData counts max id + 1 hyperedges: graph 2's hyperedge would then read
    graph 1's empty hyperedge's weight (3.0 instead of 10.0)."""
    from torch_geometric.data import Batch
    from torch_geometric.loader import DataLoader

    a = Hypergraph.from_edge_list([[0, 1], [1, 2], []], num_nodes=3, edge_weight=torch.tensor([1.0, 2.0, 3.0]))
    b = Hypergraph.from_edge_list([[0, 1]], num_nodes=2, edge_weight=torch.tensor([10.0]))
    for pyg in (Batch.from_data_list([a.to_pyg(), b.to_pyg()]), next(iter(DataLoader([a.to_pyg(), b.to_pyg()], batch_size=2)))):
        assert pyg.edge_index[1].tolist() == [0, 0, 1, 1, 3, 3]
        assert pyg.hyperedge_weight[pyg.edge_index[1]].tolist() == [1.0, 1.0, 2.0, 2.0, 10.0, 10.0]
        hg = Hypergraph.from_pyg(pyg)
        assert (hg.num_nodes, hg.num_edges) == (5, 4)
        assert hg.batch.tolist() == [0, 0, 0, 1, 1] and hg.edge_batch.tolist() == [0, 0, 0, 1]
        assert_hg_equal(hg, batch([a, b]))


FLAGS = st.fixed_dictionaries({k: st.booleans() for k in ("x", "edge_attr", "incidence_attr", "y", "data")})
PYG_LISTS = st.tuples(FLAGS, st.booleans()).flatmap(
    lambda fw: st.lists(hypergraphs(max_nodes=6, max_edges=4, features=fw[0], weighted=fw[1]), min_size=1, max_size=4)
)


@SETTINGS
@given(graphs=PYG_LISTS)
def test_pyg_batching_round_trips(graphs):
    """Any list through PyG's Batch / DataLoader and back: the same hypergraph as our own batch()
    (structure, weights, features, extras, node and hyperedge batch vectors), and each graph back."""
    from torch_geometric.data import Batch
    from torch_geometric.loader import DataLoader

    want = batch(graphs)
    pyg = Batch.from_data_list([g.to_pyg() for g in graphs])
    assert_hg_equal(from_pyg(pyg), want)
    (loaded,) = list(DataLoader([g.to_pyg() for g in graphs], batch_size=len(graphs)))
    assert_hg_equal(from_pyg(loaded), want)
    for g, data in zip(graphs, pyg.to_data_list()):
        assert_hg_equal(from_pyg(data), g)


def test_from_pyg_of_a_batch_of_plain_pyg_data():
    """A Batch of PyG's own HyperGraphData: sizes from PyG's increments, batch vectors kept."""
    from torch_geometric.data import Batch
    from torch_geometric.data.hypergraph_data import HyperGraphData

    parts = [HyperGraphData(edge_index=torch.tensor([[0, 1, 1], [0, 0, 1]]), x=torch.randn(3, 2)),
             HyperGraphData(edge_index=torch.tensor([[0, 1], [0, 0]]), x=torch.randn(2, 2))]
    hg = from_pyg(Batch.from_data_list(parts))
    assert (hg.num_nodes, hg.num_edges) == (5, 3)
    assert hg.batch.tolist() == [0, 0, 0, 1, 1] and hg.edge_batch.tolist() == [0, 0, 1]
