"""HyperGCN co-citation / co-authorship sets: counts from the `hypergcn` card in datasets/README.md."""
from __future__ import annotations

import numpy as np
import pytest
import torch

# name: N, M, nnz, nodes covered, F (None: missing), C, train per split, he size min / max
COUNTS = {
    "cocitation-cora": (2708, 1579, 4786, 1434, 1433, 7, 140, 2, 5),
    "cocitation-citeseer": (3312, 1079, 3453, 1458, 3703, 6, 138, 2, 26),
    "cocitation-pubmed": (19717, 7963, 34629, 3840, None, 3, 78, 2, 171),
    "coauthorship-cora": (2708, 1072, 4585, 2388, 1433, 7, 140, 2, 43),
    "coauthorship-dblp": (41302, 22363, 99561, 41302, None, 6, 1740, 2, 202),
}
MEAN_SIZE = {"cocitation-cora": 3.03, "cocitation-citeseer": 3.20, "cocitation-pubmed": 4.35,
             "coauthorship-cora": 4.28, "coauthorship-dblp": 4.45}


@pytest.mark.parametrize("name", list(COUNTS))
def test_counts(name, load_or_skip):
    n, m, nnz, covered, f, c, train, smin, smax = COUNTS[name]
    hg = load_or_skip(name, **({} if f else {"features": "none"}))
    assert (hg.num_nodes, hg.num_edges, hg.num_incidences) == (n, m, nnz)
    assert hg.hyperedge_index[0].unique().numel() == covered
    sizes = torch.bincount(hg.hyperedge_index[1], minlength=m)
    assert (int(sizes.min()), int(sizes.max())) == (smin, smax)
    assert round(float(sizes.float().mean()), 2) == MEAN_SIZE[name]
    assert hg.y.dtype == torch.long and hg.y.shape == (n,)
    assert int(hg.y.max()) + 1 == c and int(hg.y.min()) == 0
    if f:
        assert hg.x.dtype == torch.float32 and hg.x.shape == (n, f)
        assert set(hg.x.unique().tolist()) <= {0.0, 1.0}
    else:
        assert hg.x is None
    tr, te = hg.train_mask, hg.test_mask
    assert tr.shape == te.shape == (n, 10) and tr.dtype == torch.bool
    assert (tr.sum(0) == train).all()
    assert not (tr & te).any() and (tr | te).all()
    # train is balanced per class in every split
    for k in range(10):
        per_class = torch.bincount(hg.y[tr[:, k]], minlength=c)
        assert (per_class == train // c).all()
    # members are sorted within each hyperedge, hyperedges laid out in order
    index = hg.hyperedge_index
    assert (index[1][1:] >= index[1][:-1]).all()
    same = index[1][1:] == index[1][:-1]
    assert (index[0][1:][same] > index[0][:-1][same]).all()


def test_cocitation_and_coauthorship_cora_share_nodes(load_or_skip):
    a, b = load_or_skip("cocitation-cora"), load_or_skip("coauthorship-cora")
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y) and torch.equal(a.train_mask, b.train_mask)


@pytest.mark.parametrize("name", ["cocitation-pubmed", "coauthorship-dblp"])
def test_missing_features_raise_by_default(name, load_or_skip):
    load_or_skip(name, features="none")  # skips when absent
    from hgnn.datasets import load

    with pytest.raises(ValueError, match="features='random-projection'"):
        load(name, download=False)
    with pytest.raises(ValueError, match="features must be one of"):
        load(name, download=False, features="identity")


def test_synthetic_features_are_deterministic(load_or_skip):
    a = load_or_skip("cocitation-pubmed", features="random-projection", feature_dim=32, seed=1)
    b = load_or_skip("cocitation-pubmed", features="random-projection", feature_dim=32, seed=2)
    from hgnn.datasets import load

    with pytest.warns(UserWarning, match="synthetic"):
        again = load("cocitation-pubmed", download=False, features="random-projection", feature_dim=32, seed=1)
    assert a.x.shape == (19717, 32) and a.x.dtype == torch.float32
    assert torch.equal(a.x, again.x) and not torch.equal(a.x, b.x)
    walk = load_or_skip("cocitation-pubmed", features="random-walk", feature_dim=32, seed=1)
    assert walk.x.shape == (19717, 32) and torch.isfinite(walk.x).all()
    # isolated nodes keep their projection row; covered nodes are smoothed
    covered = torch.zeros(19717, dtype=torch.bool)
    covered[walk.hyperedge_index[0]] = True
    assert torch.equal(walk.x[~covered], a.x[~covered])
    assert not torch.allclose(walk.x[covered], a.x[covered])
    # one walk step from the projection equals D_v^-1 H D_e^-1 H^T X
    one = load_or_skip("cocitation-pubmed", features="random-walk", feature_dim=32, seed=1, walk_steps=1)
    v, e = walk.hyperedge_index
    de = torch.bincount(e, minlength=walk.num_edges).double()
    dv = torch.bincount(v, minlength=walk.num_nodes).double()
    edge_mean = torch.zeros(walk.num_edges, 32, dtype=torch.float64).index_add_(0, e, a.x.double()[v]) / de[:, None]
    ref = torch.zeros(walk.num_nodes, 32, dtype=torch.float64).index_add_(0, v, edge_mean[e])
    ref = torch.where(covered[:, None], ref / dv.clamp(min=1)[:, None], a.x.double())
    np.testing.assert_allclose(one.x.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)
