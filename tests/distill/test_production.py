import pytest
import torch

from hgnn import Hypergraph
from hgnn.distill import observed_hypergraph, production_split
from hgnn.train import Split

from distill_data import planted, split


def test_production_split_holds_out_unseen_test_nodes():
    hg = planted()
    masks = split(hg)
    ps = production_split(masks, 0.9, seed=0)
    n_test = int(masks.test.sum())
    assert int(ps.unseen.sum()) == int(n_test * 0.9)
    assert not (ps.unseen & (masks.train | masks.val)).any() and (ps.unseen <= masks.test).all()
    assert torch.equal(ps.test, masks.test)
    observed = torch.zeros(hg.num_nodes, dtype=torch.bool)
    observed[ps.observed] = True
    assert torch.equal(observed, ~ps.unseen)
    # the observed split is the original one restricted to observed nodes
    assert torch.equal(ps.split.train, masks.train[ps.observed])
    assert int(ps.split.test.sum()) == n_test - int(ps.unseen.sum())
    assert not torch.equal(ps.unseen, production_split(masks, 0.9, seed=1).unseen)


def test_observed_hypergraph_has_no_unseen_node_and_no_isolated_node():
    hg = planted()
    ps = production_split(split(hg), 0.9, seed=0)
    sub = observed_hypergraph(hg, ps)
    assert sub.num_nodes == ps.observed.numel()
    assert torch.equal(sub.x, hg.x[ps.observed]) and torch.equal(sub.y, hg.y[ps.observed])
    assert (sub.node_degree() > 0).all()


def test_bad_ratio():
    with pytest.raises(ValueError, match="unseen_ratio"):
        production_split(split(planted()), 1.0)
    with pytest.raises(ValueError, match="holds none out"):
        production_split(split(planted()), 0.001)


def test_observed_hypergraph_merges_the_duplicates_the_restriction_makes():
    hg = Hypergraph.from_edge_list([[0, 1], [0, 2], [0], [3, 4]], num_nodes=5)
    masks = Split(torch.tensor([True, False, False, True, False]), torch.tensor([False, False, False, False, True]),
                  torch.tensor([False, True, True, False, False]))
    ps = production_split(masks, 0.5, seed=0)  # vertex 1 or 2 unseen: {0, 1} or {0, 2} becomes {0}
    kept = observed_hypergraph(hg, ps)
    merged = observed_hypergraph(hg, ps, merge_duplicates=True)
    assert kept.num_edges == 4 and merged.num_edges == 3
    assert sorted(map(sorted, merged.to_edge_list())) == sorted(map(sorted, kept.merge_duplicate_edges()[0].to_edge_list()))
