"""Split protocols of hgnn.train.splits: sizes, disjointness, stratification, determinism, errors."""
from __future__ import annotations

import warnings

import pytest
import torch

from hgnn import Hypergraph
from hgnn.datasets import get_spec, load
from hgnn.datasets.root import find_root
from hgnn.train import (PROTOCOLS, Split, default_protocol, get_split, hypergcn_split, official_split, split_of_seed,
                        per_class_split, random_split)


def _load_or_skip(name: str) -> Hypergraph:
    spec = get_spec(name)
    if find_root(spec.subdir, spec.files) is None:
        pytest.skip(f"{name}: data files not on disk; not downloading in tests")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return load(name, download=False)


@pytest.fixture(scope="module")
def cora() -> Hypergraph:
    return _load_or_skip("cocitation-cora")


@pytest.fixture(scope="module")
def imdb() -> Hypergraph:
    return _load_or_skip("imdb-magnn")


def _disjoint(split: Split) -> bool:
    return not bool((split.train & split.val).any() | (split.train & split.test).any()
                    | (split.val & split.test).any())


def _small_hg(y: torch.Tensor, **node_data) -> Hypergraph:
    n = y.numel()
    edges = [[i, (i + 1) % n] for i in range(n)]
    return Hypergraph.from_edge_list(edges, num_nodes=n, x=torch.ones(n, 2), y=y, node_data=node_data)


def _hypergcn_like(num_splits: int = 3, per_class: int = 30, train_per_class: int = 5) -> Hypergraph:
    """3 classes; HyperGCN-style [N, S] masks: ``train_per_class`` training nodes per class, rest test."""
    y = torch.arange(3 * per_class) % 3
    n = y.numel()
    gen = torch.Generator().manual_seed(123)
    train = torch.zeros(n, num_splits, dtype=torch.bool)
    for s in range(num_splits):
        for c in range(3):
            members = (y == c).nonzero().view(-1)
            train[members[torch.randperm(members.numel(), generator=gen)[:train_per_class]], s] = True
    return _small_hg(y, train_mask=train, test_mask=~train)


# ---------------------------------------------------------------- hypergcn_split, real data
@pytest.mark.parametrize("k", [0, 4, 9])
def test_hypergcn_val_from_test_on_cora(cora, k):
    split = hypergcn_split(cora, k)
    assert isinstance(split, Split)
    assert split.sizes() == (140, 500, 2068)
    assert all(m.dtype == torch.bool and m.shape == (cora.num_nodes,) for m in split)
    assert _disjoint(split)
    assert torch.equal(split.train, cora.train_mask[:, k])  # every training label kept
    assert not bool((split.val & ~cora.test_mask[:, k]).any())  # val carved from test
    assert bool((split.train | split.val | split.test).all())


def test_hypergcn_val_from_train_on_cora(cora):
    split = hypergcn_split(cora, 2, val_from="train")
    y = cora.y
    assert split.sizes() == (112, 28, 2568)
    assert _disjoint(split)
    assert torch.equal(split.test, cora.test_mask[:, 2])  # test set unchanged
    assert torch.equal(split.train | split.val, cora.train_mask[:, 2])
    assert torch.bincount(y[split.val], minlength=7).tolist() == [4] * 7  # stratified
    assert torch.bincount(y[split.train], minlength=7).tolist() == [16] * 7


def test_hypergcn_val_fraction(cora):
    split = hypergcn_split(cora, 0, val_from="train", val_fraction=0.5)
    assert torch.bincount(cora.y[split.val], minlength=7).tolist() == [10] * 7


def test_hypergcn_num_val(cora):
    assert hypergcn_split(cora, 0, num_val=100).sizes() == (140, 100, 2468)


@pytest.mark.parametrize("val_from", ["test", "train"])
def test_hypergcn_deterministic_per_seed(cora, val_from):
    a = hypergcn_split(cora, 1, val_from=val_from, seed=3)
    b = hypergcn_split(cora, 1, val_from=val_from, seed=3)
    c = hypergcn_split(cora, 1, val_from=val_from, seed=4)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a.val, c.val)
    assert a.sizes() == c.sizes()


def test_hypergcn_splits_differ(cora):
    assert not torch.equal(hypergcn_split(cora, 0).train, hypergcn_split(cora, 1).train)


def test_hypergcn_errors_on_cora(cora):
    with pytest.raises(ValueError, match=r"split must be in \[0, 9\], got 10"):
        hypergcn_split(cora, 10)
    with pytest.raises(ValueError, match=r"split must be in \[0, 9\], got -1"):
        hypergcn_split(cora, -1)
    with pytest.raises(ValueError, match="num_val must be in"):
        hypergcn_split(cora, 0, num_val=2568)  # the whole test side
    with pytest.raises(ValueError, match="num_val must be in"):
        hypergcn_split(cora, 0, num_val=0)
    with pytest.raises(ValueError, match="val_from must be 'test' or 'train', got 'val'"):
        hypergcn_split(cora, 0, val_from="val")
    with pytest.raises(ValueError, match="val_fraction"):
        hypergcn_split(cora, 0, val_from="train", val_fraction=1.0)


# ---------------------------------------------------------------- hypergcn_split, synthetic
def test_hypergcn_synthetic_val_from_test():
    hg = _hypergcn_like()
    split = hypergcn_split(hg, 1, num_val=20)
    assert split.sizes() == (15, 20, 90 - 15 - 20)
    assert torch.equal(split.train, hg.train_mask[:, 1])
    assert _disjoint(split)


def test_hypergcn_synthetic_val_from_train_keeps_one_training_node():
    # 5 per class * 0.2 = 1 to validation, 4 stay; with 2 per class: round(0.4) = 0 -> at least 1
    hg = _hypergcn_like(train_per_class=2)
    split = hypergcn_split(hg, 0, val_from="train")
    assert torch.bincount(hg.y[split.val], minlength=3).tolist() == [1, 1, 1]
    assert torch.bincount(hg.y[split.train], minlength=3).tolist() == [1, 1, 1]


def test_hypergcn_missing_masks():
    hg = _small_hg(torch.arange(10) % 2)
    with pytest.raises(ValueError, match="train_mask"):
        hypergcn_split(hg)
    one_d = _small_hg(torch.arange(10) % 2, train_mask=torch.ones(10, dtype=torch.bool),
                      test_mask=torch.zeros(10, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"shape \[N, S\]"):
        hypergcn_split(one_d)


# ---------------------------------------------------------------- random_split
def _labels_with_unlabelled(labelled: int = 101, unlabelled: int = 9) -> torch.Tensor:
    y = torch.arange(labelled + unlabelled) % 4
    y[torch.arange(unlabelled) * 7 + 3] = -1
    assert int((y >= 0).sum()) == labelled
    return y


def test_random_split_sizes_floor():
    y = _labels_with_unlabelled(101)
    split = random_split(y)
    assert split.sizes() == (50, 25, 26)  # floor(50.5), floor(25.25), rest
    assert random_split(y, 0.6, 0.2).sizes() == (60, 20, 21)
    assert random_split(_labels_with_unlabelled(100), seed=5).sizes() == (50, 25, 25)


def test_random_split_disjoint_covers_labelled_only():
    y = _labels_with_unlabelled(101)
    split = random_split(y, seed=2)
    assert _disjoint(split)
    assert torch.equal(split.train | split.val | split.test, y >= 0)
    assert all(m.dtype == torch.bool and m.shape == y.shape for m in split)


def test_random_split_deterministic_and_seeded():
    y = _labels_with_unlabelled(101)
    a, b, c = random_split(y, seed=7), random_split(y, seed=7), random_split(y, seed=8)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a.train, c.train)


def test_random_split_on_hypergraph():
    y = _labels_with_unlabelled(101)
    hg = _small_hg(y)
    assert all(torch.equal(u, v) for u, v in zip(random_split(hg, seed=1), random_split(y, seed=1)))


def test_random_split_errors():
    y = _labels_with_unlabelled(101)
    with pytest.raises(ValueError, match="train \\+ val < 1"):
        random_split(y, 0.0, 0.25)
    with pytest.raises(ValueError, match="train \\+ val < 1"):
        random_split(y, 0.75, 0.25)
    with pytest.raises(ValueError, match="at least 3 labelled nodes, got 2"):
        random_split(torch.tensor([0, 1, -1, -1]))
    with pytest.raises(TypeError, match="integer tensor"):
        random_split(y.float())
    with pytest.raises(TypeError, match="integer tensor"):
        random_split(y.view(-1, 1))
    no_y = Hypergraph.from_edge_list([[0, 1]], num_nodes=3)
    with pytest.raises(ValueError, match="no node labels"):
        random_split(no_y)


# ---------------------------------------------------------------- per_class_split
def _class_sizes(sizes) -> torch.Tensor:
    y = torch.cat([torch.full((s,), c) for c, s in enumerate(sizes)])
    y = y[torch.randperm(y.numel(), generator=torch.Generator().manual_seed(0))]
    return torch.cat([y, torch.full((7,), -1)])  # a few unlabelled nodes at the end


def test_per_class_split_counts():
    y = _class_sizes([150, 121, 200])
    split = per_class_split(y)
    assert torch.bincount(y[split.train], minlength=3).tolist() == [20, 20, 20]
    assert torch.bincount(y[split.val], minlength=3).tolist() == [100, 100, 100]
    assert torch.bincount(y[split.test], minlength=3).tolist() == [30, 1, 80]
    assert _disjoint(split)
    assert torch.equal(split.train | split.val | split.test, y >= 0)


def test_per_class_split_custom_counts_and_determinism():
    y = _class_sizes([30, 40])
    a = per_class_split(y, 5, 10, seed=1)
    assert torch.bincount(y[a.train], minlength=2).tolist() == [5, 5]
    assert torch.bincount(y[a.val], minlength=2).tolist() == [10, 10]
    b, c = per_class_split(y, 5, 10, seed=1), per_class_split(y, 5, 10, seed=2)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a.train, c.train)


def test_per_class_split_too_small_class():
    y = _class_sizes([150, 120, 200])  # class 1 has exactly 20 + 100: no test node left
    with pytest.raises(ValueError, match="class 1 has 120 nodes"):
        per_class_split(y)
    with pytest.raises(ValueError, match="train_per_class must be >= 1"):
        per_class_split(_class_sizes([150, 150]), 0, 100)


def test_per_class_split_on_cora(cora):
    split = per_class_split(cora, seed=0)
    assert split.sizes() == (140, 700, cora.num_nodes - 840)
    assert torch.bincount(cora.y[split.train], minlength=7).tolist() == [20] * 7


# ---------------------------------------------------------------- official_split
def test_official_split_on_imdb(imdb):
    split = official_split(imdb)
    assert split.sizes() == (400, 400, 3478)
    assert torch.equal(split.train, imdb.train_mask)
    assert torch.equal(split.val, imdb.val_mask)
    assert torch.equal(split.test, imdb.test_mask)
    assert _disjoint(split)


def test_official_split_synthetic_and_errors():
    y = torch.arange(6) % 2
    train = torch.tensor([1, 1, 0, 0, 0, 0], dtype=torch.bool)
    val = torch.tensor([0, 0, 1, 1, 0, 0], dtype=torch.bool)
    hg = _small_hg(y, train_mask=train, val_mask=val, test_mask=~(train | val))
    split = official_split(hg)
    assert split.sizes() == (2, 2, 2) and torch.equal(split.val, val)
    with pytest.raises(ValueError, match="official_split needs"):
        official_split(_small_hg(y))
    with pytest.raises(ValueError, match="official_split needs"):
        official_split(_hypergcn_like())  # [N, S] masks are not official masks


# ---------------------------------------------------------------- default_protocol / get_split
def test_default_protocol_synthetic():
    y = torch.arange(6) % 2
    ones = torch.ones(6, dtype=torch.bool)
    assert default_protocol(_small_hg(y)) == "random"
    assert default_protocol(_hypergcn_like()) == "hypergcn"
    assert default_protocol(_small_hg(y, train_mask=ones, val_mask=ones, test_mask=ones)) == "official"
    assert default_protocol(_small_hg(y, train_mask=ones)) == "random"  # no val_mask


def test_default_protocol_real(cora, imdb):
    assert default_protocol(cora) == "hypergcn"
    assert default_protocol(imdb) == "official"


def test_get_split_dispatch():
    y = _labels_with_unlabelled(101)
    hg = _small_hg(y)
    same = lambda a, b: all(torch.equal(u, v) for u, v in zip(a, b))  # noqa: E731
    assert same(get_split(hg, "auto", 3), random_split(y, seed=3))
    assert same(get_split(hg, "random", 3, train=0.6, val=0.2), random_split(y, 0.6, 0.2, seed=3))
    big = _small_hg(_class_sizes([40, 50]))
    assert same(get_split(big, "per-class", 2, train_per_class=5, val_per_class=5),
                per_class_split(big, 5, 5, seed=2))
    hgcn = _hypergcn_like(num_splits=3)
    assert same(get_split(hgcn, "hypergcn", 1, num_val=10), hypergcn_split(hgcn, 1, num_val=10))
    assert same(get_split(hgcn, "auto", 2, num_val=10), hypergcn_split(hgcn, 2, num_val=10))
    # a run's seed wraps onto the fixed splits; an explicit split index never does
    assert same(split_of_seed(hgcn, "hypergcn", 4, num_val=10), hypergcn_split(hgcn, 1, num_val=10))
    assert same(split_of_seed(hg, "random", 7), random_split(y, seed=7))
    for bad in (3, 4, 999, -1):
        with pytest.raises(ValueError, match=rf"split {bad} is not a split of protocol 'hypergcn'; valid split ids: 0\.\.2"):
            get_split(hgcn, "hypergcn", bad, num_val=10)
    with pytest.raises(ValueError, match="split -1 is not a split of protocol 'random'; valid split ids: 0 or more"):
        get_split(hg, "random", -1)
    with pytest.raises(TypeError, match="index must be an int"):
        get_split(hgcn, "hypergcn", 1.0)


def test_get_split_official(imdb):
    assert get_split(imdb).sizes() == (400, 400, 3478)
    assert get_split(imdb, "official", 5).sizes() == (400, 400, 3478)


def test_get_split_unknown_protocol():
    assert PROTOCOLS == ("hypergcn", "random", "per-class", "official")
    with pytest.raises(ValueError, match="unknown protocol 'planetoid'"):
        get_split(_small_hg(torch.arange(6) % 2), "planetoid")


def test_get_split_hypergcn_without_masks_raises_value_error():
    with pytest.raises(ValueError, match="train_mask"):
        get_split(_small_hg(torch.arange(6) % 2), "hypergcn")


@pytest.mark.parametrize("seed", [0, 3, 17])
def test_per_class_split_python_rng_is_dhgs_split_by_num(seed):
    dhg = pytest.importorskip("dhg")
    from dhg.utils import split_by_num

    y = _class_sizes([150, 121, 200])[:-7]  # DHG's split takes labels 0..C-1 only
    dhg.random.set_seed(seed)
    want = split_by_num(y.numel(), y, 20, 100)
    got = per_class_split(y, seed=seed, rng="python")
    for a, b in zip(got, want):
        assert torch.equal(a, b.bool())
    assert not torch.equal(got.train, per_class_split(y, seed=seed).train)  # the torch draw differs


def test_per_class_split_python_rng_keeps_unlabelled_out_and_checks_rng():
    y = _class_sizes([150, 121, 200])
    split = per_class_split(y, seed=1, rng="python")
    assert torch.equal(split.train | split.val | split.test, y >= 0) and _disjoint(split)
    assert all(torch.equal(a, b) for a, b in zip(split, per_class_split(y, seed=1, rng="python")))
    with pytest.raises(ValueError, match="rng must be one of"):
        per_class_split(y, rng="numpy")
    assert split_of_seed(Hypergraph(torch.zeros(2, 0, dtype=torch.long), num_nodes=y.numel(), num_edges=0, y=y),
                         "per-class", 1, rng="python").train.equal(split.train)


def test_random_split_refuses_an_empty_training_or_validation_set():
    from hgnn.train import random_split

    y = torch.arange(30) % 3
    with pytest.raises(ValueError, match="training set empty"):
        random_split(y, 0.01, 0.5)
    with pytest.raises(ValueError, match="validation set empty"):
        random_split(y, 0.5, 0.01)
    assert random_split(y, 0.5, 0.0).val.sum() == 0  # no validation set asked for
