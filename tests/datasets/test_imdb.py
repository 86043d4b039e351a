"""IMDB4k / IMDB-AW from MAGNN's files: counts from the `imdb` card in datasets/README.md."""
from __future__ import annotations

import torch


def test_counts(load_or_skip):
    hg = load_or_skip("imdb-magnn")
    assert (hg.num_nodes, hg.num_edges, hg.num_incidences) == (4278, 2081 + 5257, 4278 + 12828)
    assert hg.x.shape == (4278, 3066) and hg.x.dtype == torch.float32
    assert int((hg.x > 0).sum()) == 27175
    assert torch.bincount(hg.y).tolist() == [1135, 1584, 1559]
    masks = [hg.train_mask, hg.val_mask, hg.test_mask]
    assert [int(m.sum()) for m in masks] == [400, 400, 3478]
    assert not (masks[0] & masks[1]).any() and not (masks[1] & masks[2]).any() and not (masks[0] & masks[2]).any()
    assert (masks[0] | masks[1] | masks[2]).all()
    kind = hg.edge_data["edge_type"]
    assert torch.bincount(kind).tolist() == [2081, 5257]
    assert (kind[:2081] == 0).all()
    sizes = torch.bincount(hg.hyperedge_index[1], minlength=hg.num_edges)
    assert int((sizes[:2081] == 1).sum()) == 1274 and int((sizes[2081:] == 1).sum()) == 3220
    assert int(sizes.min()) >= 1
    # every movie has exactly one director
    director_inc = kind[hg.hyperedge_index[1]] == 0
    assert torch.equal(torch.bincount(hg.hyperedge_index[0][director_inc], minlength=4278), torch.ones(4278, dtype=torch.long))


def test_single_kind(load_or_skip):
    actors = load_or_skip("imdb-magnn", hyperedges="actor")
    assert (actors.num_edges, actors.num_incidences) == (5257, 12828)
    directors = load_or_skip("imdb-magnn", hyperedges="director")
    assert (directors.num_edges, directors.num_incidences) == (2081, 4278)
