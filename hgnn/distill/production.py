r"""The production setting of GLNN / LightHGNN: some test vertices arrive only at inference time.

Zhang et al. ("Graph-less Neural Networks", ICLR 2022) and LightHGNN (Feng et al., ICLR 2024)
hold out a share of the test vertices (90% in LightHGNN's code) as *unseen*. The teacher is trained
on the sub-hypergraph of the *observed* vertices (train, validation and the remaining test vertices)
and the student distils on those; at inference the unseen vertices join with their features and
hyperedges. Accuracy is reported on the observed test vertices, the unseen ones, and all test
vertices.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from hgnn.structure import Hypergraph
from hgnn.train.splits import Split

__all__ = ["ProductionSplit", "production_split", "observed_hypergraph"]


class ProductionSplit(NamedTuple):
    """A split for the production setting.

    Attributes:
        observed: ``[N_obs]`` sorted original ids of the observed vertices.
        split: train / val / observed-test masks over the observed vertices (``[N_obs]`` each).
        unseen: ``[N]`` bool, the held-out test vertices.
        test: ``[N]`` bool, all test vertices (observed and unseen).
    """

    observed: Tensor
    split: Split
    unseen: Tensor
    test: Tensor


def production_split(split: Split, unseen_ratio: float = 0.9, seed: int = 0) -> ProductionSplit:
    r"""Hold out ``unseen_ratio`` of ``split.test`` (uniformly at random, ``seed``) as unseen.

    Every vertex that is not unseen is observed, including vertices outside all three masks
    (unlabelled ones), which the observed hypergraph keeps.
    """
    train, val, test = split
    if not 0.0 < unseen_ratio < 1.0:
        raise ValueError(f"unseen_ratio must be in (0, 1), got {unseen_ratio}")
    test_ids = test.nonzero().view(-1).cpu()
    gen = torch.Generator().manual_seed(int(seed))
    picked = test_ids[torch.randperm(test_ids.numel(), generator=gen)[: int(test_ids.numel() * unseen_ratio)]]
    unseen = torch.zeros_like(test, device="cpu")
    unseen[picked] = True
    unseen = unseen.to(test.device)
    if picked.numel() == 0:
        raise ValueError(f"unseen_ratio={unseen_ratio} of {test_ids.numel()} test vertices holds none out: the "
                         "production setting would be transductive; raise unseen_ratio")
    if not bool((test & ~unseen).any()):
        raise ValueError("no observed test vertex is left; lower unseen_ratio")
    observed = (~unseen).nonzero().view(-1)
    obs_split = Split(train[observed], val[observed], (test & ~unseen)[observed])
    return ProductionSplit(observed, obs_split, unseen, test)


def observed_hypergraph(hg: Hypergraph, split: ProductionSplit, self_loops: bool = True,
                        merge_duplicates: bool = False) -> Hypergraph:
    r"""The sub-hypergraph the teacher may see: every hyperedge restricted to the observed vertices
    (:meth:`Hypergraph.subhypergraph`; emptied hyperedges dropped), features and labels sliced, and,
    with ``self_loops``, a singleton hyperedge for each vertex the restriction isolated (the
    reference's ``fix_iso_v``).

    With ``merge_duplicates``, hyperedges the restriction made equal are merged first
    (:meth:`Hypergraph.merge_duplicate_edges`), as the reference's DHG hypergraph does: on
    cocitation-cora many hyperedges shrink to the same observed singleton (seed 0: 1,209 observed
    hyperedges merged against 1,537 without).
    """
    sub, _, _ = hg.subhypergraph(split.observed)
    if merge_duplicates:
        sub, _ = sub.merge_duplicate_edges()
    return sub.add_self_loops() if self_loops else sub
