import pytest
import torch

from hgnn.distill import observed_hypergraph, production_split

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
