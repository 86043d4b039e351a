"""The DHG bridge: hgnn -> DHG -> hgnn round-trips, and DHG's own operators and models give our
numbers on the converted structure (DHG 0.9.7)."""
from __future__ import annotations

import sys

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from _hg_reference import SETTINGS, dense_H
from hgnn import models
from hgnn.nn.conv import hgnn_smoothing, hgnnp_smoothing
from hgnn.structure import Hypergraph, edge_to_node, from_dhg, node_to_edge, to_dhg

dhg = pytest.importorskip("dhg", reason="DHG is a test-time reference: pip install dhg==0.9.7")

pytestmark = [pytest.mark.usefixtures("one_thread"),
              pytest.mark.filterwarnings("ignore:Sparse:UserWarning")]  # DHG's sparse COO/CSR notices
TOL = {"atol": 1e-6, "rtol": 1e-6}


@st.composite
def distinct_hypergraphs(draw, min_edges: int = 0, repeated_members: bool = True):
    """A hypergraph DHG can hold: N >= 1, hyperedges with distinct member multisets (one may be
    empty, a node may repeat inside one), zero or positive weights, columns in random order."""
    n = draw(st.integers(1, 10))
    member = st.integers(0, n - 1)
    members = st.lists(member, max_size=4).map(sorted)
    if not repeated_members:
        members = st.lists(member, max_size=4, unique=True).map(sorted)
    edges = draw(st.lists(members, min_size=min_edges, max_size=7, unique_by=tuple))
    weights = draw(st.none() | st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.5, 3.0]),
                                        min_size=len(edges), max_size=len(edges)))
    hg = Hypergraph.from_edge_list(edges, num_nodes=n,
                                   edge_weight=None if weights is None else torch.tensor(weights))
    if draw(st.booleans()):  # any column order: DHG lists each hyperedge's members sorted
        perm = torch.randperm(hg.num_incidences, generator=torch.Generator().manual_seed(draw(st.integers(0, 99))))
        hg = hg.replace(hyperedge_index=hg.hyperedge_index[:, perm])
    return hg, edges


@SETTINGS
@given(distinct_hypergraphs())
def test_roundtrip_keeps_hyperedges_in_order_and_weights(case):
    hg, edges = case
    g = to_dhg(hg)
    assert (g.num_v, g.num_e) == (hg.num_nodes, hg.num_edges)
    assert [list(e) for e in g.e[0]] == edges  # same order, members sorted
    back = from_dhg(g)
    assert (back.num_nodes, back.num_edges) == (hg.num_nodes, hg.num_edges)
    assert back.to_edge_list() == edges
    torch.testing.assert_close(dense_H(back), dense_H(hg))
    torch.testing.assert_close(back.edge_weight, hg.edge_weight.float())
    # unit weights come back as "unweighted"; any other weights are kept
    assert back.is_weighted == bool((hg.edge_weight != 1).any())
    assert Hypergraph.from_dhg(hg.to_dhg()).to_edge_list() == edges


@SETTINGS
@given(distinct_hypergraphs(min_edges=1), st.integers(0, 2**16))
def test_dhg_operators_on_the_converted_structure_equal_ours(case, seed):
    hg, _ = case
    g = to_dhg(hg)
    x = torch.randn(hg.num_nodes, 3, generator=torch.Generator().manual_seed(seed))
    y = torch.randn(hg.num_edges, 3, generator=torch.Generator().manual_seed(seed + 1))
    w = hg.edge_weight.float().view(-1, 1)
    torch.testing.assert_close(g.H.to_dense().double(), dense_H(hg))
    torch.testing.assert_close(g.D_v.to_dense().diagonal(), hg.node_degree(weighted=True), **TOL)
    torch.testing.assert_close(g.D_e.to_dense().diagonal(), hg.edge_degree(), **TOL)
    # L_HGNN = D_v^-1/2 H W D_e^-1 H^T D_v^-1/2, as a matrix and applied
    eye = torch.eye(hg.num_nodes)
    torch.testing.assert_close(g.L_HGNN.to_dense(), hgnn_smoothing(eye, hg), **TOL)
    torch.testing.assert_close(g.smoothing_with_HGNN(x), hgnn_smoothing(x, hg), **TOL)
    # v2e: the mean over members, then DHG's update multiplies by w(e)
    torch.testing.assert_close(g.v2e_aggregation(x, aggr="mean"), node_to_edge(x, hg, "mean"), **TOL)
    torch.testing.assert_close(g.v2e(x, aggr="mean"), node_to_edge(x, hg, "mean") * w, **TOL)
    torch.testing.assert_close(g.v2e(x, aggr="sum"), node_to_edge(x, hg, "sum") * w, **TOL)
    # e2v mean divides the sum by the weighted degree (the plain mean on unit weights)
    degree = hg.node_degree(weighted=True).view(-1, 1)
    expected = torch.where(degree > 0, edge_to_node(y, hg, "sum") / degree.clamp(min=1e-30), 0.0)
    torch.testing.assert_close(g.e2v(y, aggr="mean"), expected, **TOL)
    if not hg.is_weighted:
        torch.testing.assert_close(g.e2v(y, aggr="mean"), edge_to_node(y, hg, "mean"), **TOL)
    # v2v mean is HGNN+'s operator D_v^-1 H W D_e^-1 H^T
    torch.testing.assert_close(g.v2v(x, aggr="mean"), hgnnp_smoothing(x, hg), **TOL)


EDGES = [[0, 1, 2], [2, 3, 4], [4, 5], [6, 7, 0, 1], [3, 8], [1, 5, 7], []]  # node 9 isolated, one empty
WEIGHTS = [0.5, 1.0, 2.0, 1.5, 0.7, 1.0, 3.0]


@pytest.mark.parametrize("name", ["HGNN", "HGNNP", "UniGCN"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_dhg_models_on_the_converted_structure_equal_ours(name, weighted):
    torch.manual_seed(0)
    hg = Hypergraph.from_edge_list(EDGES, num_nodes=10, edge_weight=torch.tensor(WEIGHTS) if weighted else None)
    theirs = getattr(dhg.models, name)(6, 16, 3, drop_rate=0.5).eval()
    ours = getattr(models, name)(6, 3, hidden_channels=16, dropout=0.5).eval()
    for layer, conv in zip(theirs.layers, (ours.conv1, ours.conv2)):
        conv.lin.load_state_dict(layer.theta.state_dict())
    x = torch.randn(10, 6)
    with torch.no_grad():
        torch.testing.assert_close(ours(x, hg), theirs(x, to_dhg(hg)), **TOL)
        # and back: our model on a hypergraph converted from DHG's
        torch.testing.assert_close(ours(x, from_dhg(to_dhg(hg))), theirs(x, to_dhg(hg)), **TOL)


def test_from_dhg_graph_turns_each_edge_into_a_hyperedge():
    graph = dhg.Graph(5, [(0, 1), (2, 1), (3, 3)], e_weight=[1.0, 2.0, 0.5])
    hg = from_dhg(graph, x=torch.ones(5, 2), y=torch.arange(5))
    assert hg.to_edge_list() == [[0, 1], [1, 2], [3]]  # a self-loop is a singleton
    torch.testing.assert_close(hg.edge_weight, torch.tensor([1.0, 2.0, 0.5]))
    assert hg.x.shape == (5, 2) and torch.equal(hg.y, torch.arange(5))
    assert not from_dhg(dhg.Graph(3, [(0, 1)])).is_weighted


def test_from_dhg_keeps_groups_vertex_weights_and_extra_fields():
    g = dhg.Hypergraph(5, [[0, 1], [2, 3]], v_weight=[1.0, 2.0, 1.0, 1.0, 0.5])
    g.add_hyperedges([[1, 4]], e_weight=[2.0], group_name="knn")
    hg = from_dhg(g, edge_attr=torch.zeros(3, 4), node_data={"mask": torch.ones(5, dtype=torch.bool)})
    assert hg.to_edge_list() == [[0, 1], [2, 3], [1, 4]]
    assert torch.equal(hg.edge_data["group"], torch.tensor([0, 0, 1]))
    torch.testing.assert_close(hg.edge_weight, torch.tensor([1.0, 1.0, 2.0]))
    torch.testing.assert_close(hg.node_weight, torch.tensor([1.0, 2.0, 1.0, 1.0, 0.5]))
    assert hg.edge_attr.shape == (3, 4) and hg.mask.all()
    assert to_dhg(hg).v_weight == [1.0, 2.0, 1.0, 1.0, 0.5]
    assert "node_weight" not in from_dhg(dhg.Hypergraph(3, [[0, 1]])).node_data


def test_duplicate_hyperedges_raise_unless_a_merge_op_is_given():
    hg = Hypergraph.from_edge_list([[0, 1], [2], [1, 0], [1, 0]], num_nodes=3,
                                   edge_weight=torch.tensor([1.0, 5.0, 2.0, 4.0]))
    with pytest.raises(ValueError, match=r"hyperedges 0 and 2 have the same members \[0, 1\].*merge_op"):
        to_dhg(hg)
    with pytest.raises(ValueError, match="hyperedges 0 and 1 have the same members"):
        to_dhg(Hypergraph.from_edge_list([[], []], num_nodes=2))
    summed = to_dhg(hg, merge_op="sum")
    assert summed.e == ([(0, 1), (2,)], [7.0, 5.0])
    # DHG's mean is pairwise, in order: ((1 + 2) / 2 + 4) / 2
    assert hg.to_dhg(merge_op="mean").e == ([(0, 1), (2,)], [2.75, 5.0])
    assert to_dhg(hg, merge_op="max").e[1] == [4.0, 5.0]


def test_bad_input_raises_clear_errors(monkeypatch):
    hg = Hypergraph.from_edge_list([[0, 1]], num_nodes=2)
    with pytest.raises(ValueError, match="merge_op must be None or one of"):
        to_dhg(hg, merge_op="min")
    with pytest.raises(ValueError, match="at least one vertex"):
        to_dhg(Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=0, num_edges=0))
    with pytest.raises(ValueError, match="one value per node"):
        to_dhg(hg.replace(node_data={"node_weight": torch.ones(2, 3)}))
    with pytest.raises(TypeError, match="hg must be an hgnn Hypergraph"):
        to_dhg(dhg.Hypergraph(2, [[0, 1]]))
    with pytest.raises(TypeError, match="from_bigraph"):
        from_dhg(dhg.BiGraph(2, 3, [(0, 1)]))
    with pytest.raises(TypeError, match="got DiGraph"):
        from_dhg(dhg.DiGraph(3, [(0, 1)]))
    with pytest.raises(TypeError, match="got Hypergraph"):
        from_dhg(hg)  # an hgnn Hypergraph is not a DHG structure
    with pytest.raises(TypeError, match="takes num_nodes from the DHG structure"):
        from_dhg(dhg.Hypergraph(3, [[0, 1]]), num_nodes=4)
    with pytest.raises(ValueError, match="x"):
        from_dhg(dhg.Hypergraph(3, [[0, 1]]), x=torch.ones(4, 2))
    monkeypatch.setitem(sys.modules, "dhg", None)  # as if DHG were not installed
    with pytest.raises(ImportError, match="pip install dhg"):
        to_dhg(hg)
    with pytest.raises(ImportError, match="pip install dhg"):
        from_dhg(object())



@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA for a device round-trip")
def test_the_device_is_kept_both_ways():
    hg = Hypergraph.from_edge_list(EDGES, num_nodes=10, edge_weight=torch.tensor(WEIGHTS)).cuda()
    g = to_dhg(hg)
    assert g.device == hg.device
    x = torch.randn(10, 3, device=hg.device)
    torch.testing.assert_close(g.smoothing_with_HGNN(x), hgnn_smoothing(x, hg), **TOL)
    back = from_dhg(g, x=x)
    assert back.device == hg.device and back.edge_weight.device == hg.device
    assert back.to_edge_list() == hg.to_edge_list()
