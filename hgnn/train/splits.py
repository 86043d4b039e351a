"""Train / validation / test split protocols for node classification.

Every protocol returns a :class:`Split` of three disjoint boolean masks of shape ``[N]``.

==================  =========================================================================
protocol            what it does
==================  =========================================================================
``"hypergcn"``      HyperGCN's ten fixed splits (Yadati et al., NeurIPS 2019), with a validation
                    set carved out as described in :func:`hypergcn_split`.
``"random"``        AllSet's random splits (Chien et al., ICLR 2022): 50% / 25% / 25% of the
                    labelled nodes, a fresh permutation per seed (:func:`random_split`).
``"per-class"``     LightHGNN's protocol (Feng et al., ICLR 2024): 20 training and 100
                    validation nodes per class, the rest for testing (:func:`per_class_split`).
``"official"``      the dataset's own ``train_mask`` / ``val_mask`` / ``test_mask`` (IMDB).
==================  =========================================================================
"""
from __future__ import annotations

import numbers
import random

from typing import NamedTuple

import torch
from torch import Tensor

from hgnn.structure import Hypergraph

__all__ = ["Split", "hypergcn_split", "random_split", "per_class_split", "official_split", "get_split",
           "split_of_seed", "default_protocol", "num_splits", "PROTOCOLS", "SPLIT_RNGS"]

PROTOCOLS = ("hypergcn", "random", "per-class", "official")
#: the shuffles :func:`per_class_split` can draw with
SPLIT_RNGS = ("torch", "python")


class Split(NamedTuple):
    """Three disjoint ``[N]`` boolean masks."""

    train: Tensor
    val: Tensor
    test: Tensor

    def sizes(self) -> tuple[int, int, int]:
        """``(|train|, |val|, |test|)``."""
        return int(self.train.sum()), int(self.val.sum()), int(self.test.sum())


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def _mask(n: int, index: Tensor, device: torch.device) -> Tensor:
    mask = torch.zeros(n, dtype=torch.bool)
    mask[index] = True
    return mask.to(device)


def _labels(y: Tensor | Hypergraph) -> Tensor:
    if isinstance(y, Hypergraph):
        if y.y is None:
            raise ValueError("the hypergraph has no node labels `y`")
        y = y.y
    if not isinstance(y, Tensor) or y.dim() != 1 or y.is_floating_point():
        raise TypeError("y must be a [N] integer tensor of class ids (negative = unlabelled)")
    return y


def hypergcn_split(hg: Hypergraph, split: int = 0, *, val_from: str = "test", num_val: int = 500,
                   val_fraction: float = 0.2, seed: int = 0) -> Split:
    r"""One of HyperGCN's ten fixed splits, with a validation set.

    HyperGCN's files give ``train_mask`` / ``test_mask`` of shape ``[N, 10]`` (20 labelled nodes per
    class for the co-citation sets) and no validation set; HyperGCN and UniGNN report the test
    accuracy after a fixed number of epochs. Early stopping and model selection need one, so:

    * ``val_from="test"`` (default): ``num_val`` nodes drawn at random (``seed``) from the test side,
      the rest stay test nodes. This is the Planetoid / DHG convention (their co-citation sets have
      500 validation nodes outside the labelled set) and keeps every training label.
    * ``val_from="train"``: a ``val_fraction`` share of the training nodes, stratified by class, is
      held out for validation; the test set is HyperGCN's unchanged. This costs training labels
      (with 20 per class, 4 per class go to validation).

    Args:
        hg: a hypergraph from a HyperGCN loader (``node_data`` has ``[N, 10]`` ``train_mask`` and
            ``test_mask``).
        split: which split, ``0..9``.
    """
    train_all, test_all = hg.node_data.get("train_mask"), hg.node_data.get("test_mask")
    if train_all is None or test_all is None or train_all.dim() != 2:
        raise ValueError("hypergcn_split needs node_data['train_mask'] and ['test_mask'] of shape [N, S] "
                         "(load a HyperGCN dataset: cocitation-* or coauthorship-*)")
    if not 0 <= split < train_all.size(1):
        raise ValueError(f"split must be in [0, {train_all.size(1) - 1}], got {split}")
    if val_from not in ("test", "train"):
        raise ValueError(f"val_from must be 'test' or 'train', got {val_from!r}")
    n, device = hg.num_nodes, train_all.device
    train, test = train_all[:, split].cpu().clone(), test_all[:, split].cpu().clone()
    gen = _generator(seed)
    val = torch.zeros(n, dtype=torch.bool)
    if val_from == "test":
        rest = test.nonzero().view(-1)
        if not 0 < num_val < rest.numel():
            raise ValueError(f"num_val must be in (0, {rest.numel()}) for this split, got {num_val}")
        pick = rest[torch.randperm(rest.numel(), generator=gen)[:num_val]]
        val[pick] = True
        test[pick] = False
    else:
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
        y = _labels(hg).cpu()
        for c in y[train].unique():
            members = (train & (y == c)).nonzero().view(-1)
            k = int(round(val_fraction * members.numel()))
            k = min(max(k, 1), members.numel() - 1) if members.numel() > 1 else 0
            pick = members[torch.randperm(members.numel(), generator=gen)[:k]]
            val[pick] = True
            train[pick] = False
    return Split(train.to(device), val.to(device), test.to(device))


def random_split(y: Tensor | Hypergraph, train: float = 0.5, val: float = 0.25, *, seed: int = 0) -> Split:
    r"""AllSet's random split: a permutation of the labelled nodes (``y >= 0``), cut at
    ``train`` and ``train + val`` of their number; the rest is the test set.

    Chien et al., "You are AllSet", ICLR 2022 (``rand_train_test_idx`` with ``balance=False``):
    train / val / test = 50% / 25% / 25% by default, one permutation per ``seed``.
    """
    y = _labels(y)
    if not (0 < train < 1 and 0 <= val < 1 and train + val < 1):
        raise ValueError(f"need 0 < train, 0 <= val and train + val < 1; got train={train}, val={val}")
    labelled = (y >= 0).nonzero().view(-1).cpu()
    if labelled.numel() < 3:
        raise ValueError(f"random_split needs at least 3 labelled nodes, got {labelled.numel()}")
    perm = labelled[torch.randperm(labelled.numel(), generator=_generator(seed))]
    n_train = int(train * perm.numel())
    n_val = int(val * perm.numel())
    if n_train == 0 or (val > 0 and n_val == 0):
        raise ValueError(f"train={train}, val={val} of {perm.numel()} labelled nodes leaves the "
                         f"{'training' if n_train == 0 else 'validation'} set empty; raise that fraction")
    n = y.numel()
    return Split(_mask(n, perm[:n_train], y.device), _mask(n, perm[n_train:n_train + n_val], y.device),
                 _mask(n, perm[n_train + n_val:], y.device))


def per_class_split(y: Tensor | Hypergraph, train_per_class: int = 20, val_per_class: int = 100, *,
                    seed: int = 0, rng: str = "torch") -> Split:
    r"""LightHGNN's protocol: for every class, ``train_per_class`` random nodes for training and
    ``val_per_class`` for validation; all other labelled nodes are test nodes.

    Feng et al., "LightHGNN: Distilling Hypergraph Neural Networks into MLPs for 100x Faster
    Inference", ICLR 2024. Classes are taken in increasing label order and each class's nodes
    (in increasing id order) are shuffled; its first ``train_per_class`` are for training, the next
    ``val_per_class`` for validation. ``rng`` picks the shuffle:

    * ``"torch"`` (default): ``torch.randperm`` with one ``torch.Generator`` seeded ``seed``.
    * ``"python"``: ``random.Random(seed).shuffle``, the draw of DHG's ``split_by_num`` after
      ``dhg.random.set_seed(seed)``, which the public LightHGNN code uses: split ``seed`` is then
      theirs, vertex for vertex (for seed-for-seed comparisons with that code).

    A class with no more than ``train_per_class + val_per_class`` nodes raises ``ValueError`` (it
    would leave no test node of that class).
    """
    y = _labels(y)
    if train_per_class < 1 or val_per_class < 0:
        raise ValueError("train_per_class must be >= 1 and val_per_class >= 0")
    if rng not in SPLIT_RNGS:
        raise ValueError(f"rng must be one of {SPLIT_RNGS}, got {rng!r}")
    yc = y.cpu()
    gen = _generator(seed)
    py_rng = random.Random(int(seed))
    train, val = [], []
    for c in yc[yc >= 0].unique().tolist():
        members = (yc == c).nonzero().view(-1)
        need = train_per_class + val_per_class
        if members.numel() <= need:
            raise ValueError(f"class {c} has {members.numel()} nodes, but per_class_split needs more than "
                             f"train_per_class + val_per_class = {need}; lower them or use the 'random' protocol")
        if rng == "python":
            order = members.tolist()
            py_rng.shuffle(order)
            members = torch.tensor(order, dtype=torch.long)
        else:
            members = members[torch.randperm(members.numel(), generator=gen)]
        train.append(members[:train_per_class])
        val.append(members[train_per_class:need])
    n = y.numel()
    train_m, val_m = _mask(n, torch.cat(train), y.device), _mask(n, torch.cat(val), y.device)
    return Split(train_m, val_m, (y >= 0) & ~train_m & ~val_m)


def official_split(hg: Hypergraph) -> Split:
    """The dataset's own ``[N]`` ``train_mask`` / ``val_mask`` / ``test_mask`` in ``node_data``."""
    masks = [hg.node_data.get(k) for k in ("train_mask", "val_mask", "test_mask")]
    if any(m is None or m.dim() != 1 for m in masks):
        raise ValueError("official_split needs [N] train_mask, val_mask and test_mask in node_data; "
                         f"this hypergraph has {sorted(hg.node_data)}")
    return Split(*masks)


def default_protocol(hg: Hypergraph) -> str:
    """``"official"`` when the data has ``[N]`` train/val/test masks, ``"hypergcn"`` when it has
    HyperGCN's ``[N, 10]`` masks, else ``"random"``."""
    train = hg.node_data.get("train_mask")
    if train is not None and train.dim() == 1 and "val_mask" in hg.node_data:
        return "official"
    if train is not None and train.dim() == 2:
        return "hypergcn"
    return "random"


def num_splits(hg: Hypergraph, protocol: str) -> int | None:
    """How many fixed splits a protocol has on ``hg`` (``None``: one per seed, unbounded)."""
    if protocol == "hypergcn":
        train = hg.node_data.get("train_mask")
        if train is None or train.dim() != 2:
            raise ValueError("the 'hypergcn' protocol needs node_data['train_mask'] of shape [N, S] (HyperGCN's "
                             "cocitation-* / coauthorship-* sets); use protocol='random' for other data")
        return train.size(1)
    if protocol == "official":
        return 1
    return None


def get_split(hg: Hypergraph, protocol: str = "auto", index: int = 0, **kwargs) -> Split:
    """Dispatch to a protocol. ``index`` is the fixed split (``hypergcn``: ``0 <= index <`` the number
    of splits) or the seed of the random draw (``random``, ``per-class``: any ``index >= 0``);
    keyword arguments go to the protocol's function. :func:`split_of_seed` maps a run's seed to a
    split.

    Raises:
        TypeError: ``index`` is not an int.
        ValueError: an unknown protocol, or ``index`` is not one of its splits (never wrapped).
    """
    if isinstance(index, bool) or not isinstance(index, numbers.Integral):
        raise TypeError(f"index must be an int, got {type(index).__name__}")
    index = int(index)
    if protocol == "auto":
        protocol = default_protocol(hg)
    if protocol in PROTOCOLS and protocol != "official":
        fixed = num_splits(hg, protocol)
        if index < 0 or (fixed is not None and index >= fixed):
            valid = "0 or more" if fixed is None else f"0..{fixed - 1}" if fixed > 1 else "0"
            raise ValueError(f"split {index} is not a split of protocol {protocol!r}; valid split ids: {valid}")
    if protocol == "hypergcn":
        return hypergcn_split(hg, index, **kwargs)
    if protocol == "random":
        return random_split(hg, seed=index, **kwargs)
    if protocol == "per-class":
        return per_class_split(hg, seed=index, **kwargs)
    if protocol == "official":
        return official_split(hg)
    raise ValueError(f"unknown protocol {protocol!r}; choose from {PROTOCOLS} or 'auto'")


def split_of_seed(hg: Hypergraph, protocol: str, seed: int, **kwargs) -> Split:
    """The split run ``seed`` uses: fixed split ``seed mod K`` of a protocol with ``K`` fixed splits
    (HyperGCN's 10), else the ``seed``-th random draw. See :func:`get_split`."""
    if protocol == "auto":
        protocol = default_protocol(hg)
    fixed = num_splits(hg, protocol) if protocol in PROTOCOLS else None
    return get_split(hg, protocol, seed % fixed if fixed else seed, **kwargs)
