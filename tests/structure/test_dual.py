"""The dual hypergraph: H -> H^T, features swapped, dual(dual(hg)) == hg."""
import pytest
import torch
from hypothesis import given

from _hg_reference import SETTINGS, assert_hg_equal, dense_H, hypergraphs, revalidate
from hgnn.structure import Hypergraph, dual


@SETTINGS
@given(hg=hypergraphs())
def test_dual_is_transpose_and_involution(hg):
    d = dual(hg)
    assert (d.num_nodes, d.num_edges, d.num_incidences) == (hg.num_edges, hg.num_nodes, hg.num_incidences)
    torch.testing.assert_close(dense_H(d), dense_H(hg).t())
    assert d.x is hg.edge_attr and d.edge_attr is hg.x and d.incidence_attr is hg.incidence_attr
    if hg.y is not None:
        assert torch.equal(d.edge_data["y"], hg.y)
    if hg.is_weighted:
        assert torch.equal(d.node_data["weight"], hg.edge_weight)
    assert not d.is_weighted
    revalidate(d)
    assert_hg_equal(dual(d), hg)
    assert_hg_equal(hg.dual().dual(), hg)


@SETTINGS
@given(hg=hypergraphs())
def test_dual_reuses_cached_orders_correctly(hg):
    hg.node_order(), hg.edge_order(), hg.node_degree(), hg.edge_degree()
    d = dual(hg)
    swapped = ("node_order", "edge_order", "node_degree", "edge_degree")
    assert {("hypergraph", name) for name in swapped} <= d.cached_keys()
    assert d.edge_order() is hg.node_order() and d.node_degree() is hg.edge_degree()  # reused, not rebuilt
    fresh = revalidate(d)  # same structure, nothing cached
    for name in ("node_order", "edge_order"):
        for got, want in zip(getattr(d, name)(), getattr(fresh, name)()):
            assert torch.equal(got, want), name
    assert torch.equal(d.node_degree(), fresh.node_degree())
    assert torch.equal(d.edge_degree(), fresh.edge_degree())


def test_dual_weight_travels_back():
    hg = Hypergraph.from_edge_list([[0, 1], [1, 2]], edge_weight=torch.tensor([2.0, 0.5]),
                                   node_data={"weight": torch.tensor([1.0, 2.0, 3.0])})
    d = hg.dual()
    assert torch.equal(d.edge_weight, torch.tensor([1.0, 2.0, 3.0]))  # node_data['weight'] is the dual's weight
    assert_hg_equal(d.dual(), hg)
    bad = Hypergraph.from_edge_list([[0, 1]], node_data={"weight": torch.tensor([1.0, -1.0])})
    with pytest.raises(ValueError, match="weight"):
        bad.dual()


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(edge_data={"weight": torch.tensor([2.0, 3.0])}),
        dict(edge_data={"weight": torch.tensor([2.0, 3.0])}, edge_weight=torch.tensor([1.0, 4.0])),
        dict(node_data={"y": torch.tensor([5, 6, 7])}),
        dict(node_data={"y": torch.tensor([5, 6, 7])}, y=torch.tensor([0, 1, 0])),
    ],
    ids=["edge_data-weight", "edge_data-weight+edge_weight", "node_data-y", "node_data-y+y"],
)
def test_dual_with_reserved_extra_names(kwargs):
    """edge_data['weight'] / node_data['y'] are the dual's carriers of weights / labels: a user extra
    under those names must either round-trip or be rejected, never silently change meaning or vanish."""
    hg = Hypergraph.from_edge_list([[0, 1], [1, 2]], **kwargs)
    try:
        back = hg.dual().dual()
    except ValueError as err:
        assert "weight" in str(err) or "'y'" in str(err)
        return
    assert_hg_equal(back, hg)
