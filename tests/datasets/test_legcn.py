"""LEGCN/AllSet content/edges sets: counts from the `legcn` card in datasets/README.md."""
from __future__ import annotations

import numpy as np
import pytest
import torch

# name: N, M, nnz, F, C, he size min / mean / max
COUNTS = {
    "zoo": (101, 43, 1717, 16, 7, 1, 39.9, 93),
    "mushroom": (8124, 298, 40620, 22, 2, 1, 136.3, 1808),
    "ntu2012": (2012, 2012, 10060, 100, 67, 5, 5.0, 5),
    "20newsw100": (16242, 100, 65451, 100, 4, 29, 654.5, 2241),
}


@pytest.mark.parametrize("name", list(COUNTS))
def test_counts(name, load_or_skip):
    n, m, nnz, f, c, smin, smean, smax = COUNTS[name]
    hg = load_or_skip(name)
    assert (hg.num_nodes, hg.num_edges, hg.num_incidences) == (n, m, nnz)
    assert hg.x.shape == (n, f) and hg.x.dtype == torch.float32
    assert hg.y.dtype == torch.long and int(hg.y.min()) == 0 and int(hg.y.max()) == c - 1
    assert hg.y.unique().numel() == c
    sizes = torch.bincount(hg.hyperedge_index[1], minlength=m)
    assert (int(sizes.min()), round(float(sizes.float().mean()), 1), int(sizes.max())) == (smin, smean, smax)


def test_20news_rows_follow_node_ids(load_or_skip):
    hg = load_or_skip("20newsw100")
    from hgnn.datasets import get_spec
    from hgnn.datasets.root import find_root

    spec = get_spec("20newsw100")
    path = find_root(spec.subdir, spec.files) / spec.subdir / "20newsW100.content"
    raw = np.loadtxt(path, dtype=np.float64)
    ids = raw[:, 0].astype(np.int64)
    assert not np.array_equal(ids, np.arange(ids.size))  # the file is permuted
    for row in (0, 100, 101, 5000, ids.size - 1):
        node = ids[row]
        np.testing.assert_array_equal(hg.x[node].numpy(), raw[row, 1:-1].astype(np.float32))
        assert int(hg.y[node]) == int(raw[row, -1])


def test_zoo_labels_shifted(load_or_skip):
    hg = load_or_skip("zoo")
    assert sorted(hg.y.unique().tolist()) == list(range(7))
