"""Benson-lab sets: counts from the `benson` card in datasets/README.md; AllSet-style features."""
from __future__ import annotations

import pytest
import torch

# name: N, M, nnz, C, he size min / max, label counts (None: check extremes only)
COUNTS = {
    "house-committees": (1290, 341, 11863, 2, 1, 82, [620, 670]),
    "senate-committees": (282, 315, 5430, 2, 4, 31, [140, 142]),
    "walmart-trips": (88860, 69906, 460630, 11, 2, 25, None),
}
MEAN_SIZE = {"house-committees": 34.8, "senate-committees": 17.2, "walmart-trips": 6.6}


@pytest.mark.parametrize("name", list(COUNTS))
def test_counts(name, load_or_skip):
    n, m, nnz, c, smin, smax, label_counts = COUNTS[name]
    hg = load_or_skip(name)
    assert (hg.num_nodes, hg.num_edges, hg.num_incidences) == (n, m, nnz)
    sizes = torch.bincount(hg.hyperedge_index[1], minlength=m)
    assert (int(sizes.min()), int(sizes.max())) == (smin, smax)
    assert round(float(sizes.float().mean()), 1) == MEAN_SIZE[name]
    counts = torch.bincount(hg.y, minlength=c)
    assert counts.numel() == c
    if label_counts:
        assert counts.tolist() == label_counts
    else:
        assert (int(counts.max()), int(counts.min())) == (26178, 1590)
    assert hg.x.shape == (n, 100) and hg.x.dtype == torch.float32
    assert int(hg.hyperedge_index[0].min()) == 0 and int(hg.hyperedge_index[0].max()) <= n - 1


def test_features_follow_allset_recipe(load_or_skip):
    clean = load_or_skip("house-committees", feature_noise=0.0, feature_dim=None)
    assert clean.x.shape == (1290, 2)
    assert torch.equal(clean.x, torch.nn.functional.one_hot(clean.y, 2).float())
    padded = load_or_skip("house-committees", feature_noise=0.0)
    assert padded.x.shape == (1290, 100) and float(padded.x[:, 2:].abs().sum()) == 0.0
    a = load_or_skip("house-committees", seed=0)
    b = load_or_skip("house-committees", seed=1)
    from hgnn.datasets import load

    again = load("house-committees", download=False, seed=0)
    assert torch.equal(a.x, again.x) and not torch.equal(a.x, b.x)
    noise = a.x - padded.x
    assert abs(float(noise.std()) - 1.0) < 0.02 and abs(float(noise.mean())) < 0.02
    with pytest.raises(ValueError, match="feature_dim"):
        load("house-committees", download=False, feature_dim=1)
