"""Batching into a block-diagonal hypergraph and back."""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from _hg_reference import F64, SETTINGS, assert_hg_equal, dense_H, hypergraphs, revalidate
from hgnn.structure import Hypergraph, batch, unbatch

FLAGS = st.fixed_dictionaries({k: st.booleans() for k in ("x", "edge_attr", "incidence_attr", "y", "data")})
graph_lists = FLAGS.flatmap(lambda f: st.lists(hypergraphs(max_nodes=6, max_edges=4, features=f), min_size=1, max_size=4))


@SETTINGS
@given(graphs=graph_lists)
def test_batch_block_diagonal_and_unbatch_roundtrip(graphs):
    out = batch(graphs)
    assert out.num_graphs == len(graphs)
    assert (out.num_nodes, out.num_edges, out.num_incidences) == tuple(
        sum(getattr(g, a) for g in graphs) for a in ("num_nodes", "num_edges", "num_incidences")
    )
    torch.testing.assert_close(dense_H(out), torch.block_diag(*[dense_H(g) for g in graphs]))
    ids = torch.arange(len(graphs))
    assert torch.equal(out.batch, torch.repeat_interleave(ids, torch.tensor([g.num_nodes for g in graphs])))
    assert torch.equal(out.edge_batch, torch.repeat_interleave(ids, torch.tensor([g.num_edges for g in graphs])))
    for name in ("x", "y", "edge_attr", "incidence_attr"):
        parts = [getattr(g, name) for g in graphs]
        got = getattr(out, name)
        assert (got is None and parts[0] is None) or torch.equal(got, torch.cat(parts)), name
    weighted = any(g.is_weighted for g in graphs)
    assert out.is_weighted == weighted
    torch.testing.assert_close(out.edge_weight.to(F64), torch.cat([g.edge_weight.to(F64) for g in graphs]))
    revalidate(out)
    back = unbatch(out)
    assert len(back) == len(graphs)
    for got, want in zip(back, graphs):
        # an unweighted graph batched with weighted ones comes back with explicit unit weights
        assert_hg_equal(got, want, weights_by_value=weighted)
        revalidate(got)
    same = Hypergraph.batch(graphs)
    assert torch.equal(same.hyperedge_index, out.hyperedge_index) and torch.equal(same.batch, out.batch)
    assert [g.num_nodes for g in out.unbatch()] == [g.num_nodes for g in graphs]


def test_batch_with_graphs_without_hyperedges():
    a = Hypergraph.from_edge_list([], num_nodes=2, x=torch.ones(2, 1))
    b = Hypergraph.from_edge_list([[0, 1], []], x=torch.zeros(2, 1))
    c = Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=0, num_edges=0, x=torch.zeros(0, 1))
    out = Hypergraph.batch([a, c, b, c])
    assert out.batch.tolist() == [0, 0, 2, 2] and out.edge_batch.tolist() == [2, 2]
    assert out.hyperedge_index.tolist() == [[2, 3], [0, 0]]
    back = out.unbatch()
    assert len(back) == 4
    for got, want in zip(back, [a, c, b, c]):
        assert_hg_equal(got, want)


def test_instance_batch_is_none_outside_a_batch():
    hg = Hypergraph.from_edge_list([[0, 1]])
    assert hg.batch is None and hg.edge_batch is None


@pytest.mark.parametrize(
    "second, fragment",
    [
        (dict(), "x"),  # first has x, second lacks it
        (dict(x=torch.ones(2, 1), node_data={"other": torch.ones(2)}), "node_data"),
        (dict(x=torch.ones(2, 1), edge_data={"other": torch.ones(1)}), "edge_data"),
    ],
)
def test_batch_mismatched_fields(second, fragment):
    first = Hypergraph.from_edge_list([[0, 1]], x=torch.ones(2, 1))
    other = Hypergraph.from_edge_list([[0, 1]], **second)
    with pytest.raises(ValueError, match=fragment):
        batch([first, other])


def test_batch_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        batch([])
    with pytest.raises(TypeError, match=r"hypergraphs\[1\]"):
        batch([Hypergraph.from_edge_list([[0]]), torch.zeros(2, 1)])
    with pytest.raises(ValueError, match="batch"):
        unbatch(Hypergraph.from_edge_list([[0]]))


@SETTINGS
@given(graphs=graph_lists)
def test_propagation_on_a_batch_is_per_graph(graphs):
    out = batch(graphs)
    x = torch.randn(out.num_nodes, 2, dtype=F64)
    got = out.node_to_edge(x, "mean")
    parts = torch.split(x, [g.num_nodes for g in graphs])
    want = torch.cat([g.node_to_edge(p, "mean") for g, p in zip(graphs, parts)])
    torch.testing.assert_close(got, want)


def test_a_batch_keeps_its_trailing_empty_graphs_through_replace_and_moves():
    g = Hypergraph(torch.tensor([[0, 1], [0, 0]]), num_nodes=2, x=torch.ones(2, 3))
    empty = Hypergraph(torch.zeros(2, 0, dtype=torch.long), num_nodes=0, num_edges=0, x=torch.ones(0, 3))
    b = batch([g, empty, empty])
    for view in (b, b.replace(x=b.x + 1), b.to("cpu"), b.replace(x=b.x).cpu()):
        parts = unbatch(view)
        assert [p.num_nodes for p in parts] == [2, 0, 0]
    with pytest.raises(ValueError, match="non-negative integer graph ids"):
        unbatch(b.replace(node_data={"batch": b.batch - 1}))


def test_batch_names_features_of_different_widths():
    g = Hypergraph(torch.tensor([[0, 1], [0, 0]]), num_nodes=2, x=torch.ones(2, 3))
    h = Hypergraph(torch.tensor([[0, 1], [0, 0]]), num_nodes=2, x=torch.ones(2, 4))
    with pytest.raises(ValueError, match=r"hypergraphs\[1\].x .* \[4\], hypergraphs\[0\].x .* \[3\]"):
        batch([g, h])
    with pytest.raises(ValueError, match="hypergraphs\\[1\\].x is torch.float64"):
        batch([g, g.replace(x=g.x.double())])
