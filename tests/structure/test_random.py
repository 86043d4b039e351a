"""Random hypergraphs: sizes, no repeated members, seeding, and their distributions."""
from __future__ import annotations

import math

import pytest
import torch

from hgnn.structure.random import k_uniform, stochastic_block, uniform


def members_are_distinct_and_sorted(hg) -> bool:
    return all(m == sorted(set(m)) for m in hg.to_edge_list())


def test_k_uniform_sizes_members_and_seed():
    hg = k_uniform(50, 400, 4, seed=0)
    assert (hg.num_nodes, hg.num_edges) == (50, 400)
    assert hg.edge_degree().eq(4).all()
    assert members_are_distinct_and_sorted(hg)
    assert torch.equal(hg.hyperedge_index, k_uniform(50, 400, 4, seed=0).hyperedge_index)
    assert not torch.equal(hg.hyperedge_index, k_uniform(50, 400, 4, seed=1).hyperedge_index)


def test_k_uniform_members_are_uniform():
    hg = k_uniform(20, 5000, 3, seed=2)
    counts = hg.node_degree()
    expected = 5000 * 3 / 20
    # chi-square with 19 degrees of freedom: the 99.99% quantile is about 52
    assert float(((counts - expected) ** 2 / expected).sum()) < 52
    # pairs: every pair of nodes is as likely (k = N: every hyperedge is the whole node set)
    assert k_uniform(6, 10, 6, seed=0).edge_degree().eq(6).all()


def test_uniform_with_p_has_binomial_sizes():
    n, m, p = 200, 3000, 0.05
    sizes = uniform(n, m, p=p, seed=3).edge_degree()
    assert abs(float(sizes.mean()) - n * p) < 4 * math.sqrt(n * p * (1 - p) / m)
    assert abs(float(sizes.var()) - n * p * (1 - p)) < 0.15 * n * p * (1 - p)


def test_uniform_dense_p_and_distinct_members():
    hg = uniform(12, 300, p=0.7, seed=4)
    assert members_are_distinct_and_sorted(hg)
    assert abs(float(hg.edge_degree().mean()) - 8.4) < 0.3


def test_uniform_with_a_size_distribution():
    hg = uniform(30, 4000, size=[0.0, 0.0, 0.5, 0.0, 0.5], seed=5)
    sizes = hg.edge_degree()
    assert set(sizes.long().tolist()) == {2, 4}
    assert abs(float((sizes == 2).double().mean()) - 0.5) < 0.04
    assert members_are_distinct_and_sorted(hg)


def test_generator_seed_is_advanced():
    gen = torch.Generator().manual_seed(0)
    first, second = uniform(10, 5, p=0.5, seed=gen), uniform(10, 5, p=0.5, seed=gen)
    assert not torch.equal(first.hyperedge_index, second.hyperedge_index)


@pytest.mark.parametrize("edge_size", [None, 6])
def test_stochastic_block_plants_the_blocks(edge_size):
    hg = stochastic_block([40, 60, 100], 3000, p_in=0.15, p_out=0.01, edge_size=edge_size, seed=6)
    assert (hg.num_nodes, hg.num_edges) == (200, 3000)
    assert hg.y.tolist() == [0] * 40 + [1] * 60 + [2] * 100
    assert members_are_distinct_and_sorted(hg)
    nodes, edges = hg.hyperedge_index
    home = hg.block[edges]
    inside = float((hg.y[nodes] == home).double().mean())
    n_home = torch.tensor([40.0, 60.0, 100.0])[hg.block]
    if edge_size is None:  # expected within-block fraction, averaged over incidences
        expected = float((n_home * 0.15).sum() / (n_home * 0.15 + (200 - n_home) * 0.01).sum())
        assert abs(float(hg.edge_degree().mean()) - float((n_home * 0.15 + (200 - n_home) * 0.01).mean())) < 0.3
    else:
        assert hg.edge_degree().eq(6).all()
        # each draw picks home with chance n_h p_in / (n_h p_in + (N - n_h) p_out), less the
        # few home nodes already taken: the first draw's chance, to within the depletion
        expected = float((n_home * 0.15 / (n_home * 0.15 + (200 - n_home) * 0.01)).mean())
    assert inside > 0.75 and abs(inside - expected) < 0.02
    # home blocks are drawn in proportion to the block sizes
    share = torch.bincount(hg.block, minlength=3).double() / 3000
    assert torch.allclose(share, torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64), atol=0.03)


def test_stochastic_block_with_no_mixing_stays_inside():
    hg = stochastic_block([5, 5], 50, p_in=1.0, p_out=0.0, edge_size=3, seed=7)
    nodes, edges = hg.hyperedge_index
    assert torch.equal(hg.y[nodes], hg.block[edges])


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="exactly one of p"):
        uniform(5, 3)
    with pytest.raises(ValueError, match="k=6"):
        k_uniform(5, 3, 6)
    with pytest.raises(ValueError, match="p must be in"):
        uniform(5, 3, p=1.5)
    with pytest.raises(ValueError, match="above num_nodes"):
        uniform(2, 3, size=[0, 0, 0, 1])
    with pytest.raises(TypeError, match="block_sizes"):
        stochastic_block(10, 5, 0.5, 0.1)
    with pytest.raises(TypeError, match="seed"):
        uniform(5, 3, p=0.5, seed="a")
