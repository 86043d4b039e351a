"""The settings of the hypergraph random-walk embedding (:func:`~hgnn.transforms.random_walk_embedding`):
the CoNHD / WHATsNet reference's and this library's defaults.

:mod:`hgnn.transforms.random_walk` names the reference files they were read from.
"""
from __future__ import annotations

from typing import Any

__all__ = ["DEFAULTS", "REFERENCE_SETTINGS"]

#: The CoNHD / WHATsNet preprocessing settings (:mod:`hgnn.transforms.random_walk` names the files).
REFERENCE_SETTINGS: dict[str, Any] = dict(
    dim=44,
    walk_length=40,
    walks_per_node=10,
    p=2.0,
    q=0.25,
    degree_exponent=-0.5,
    window=10,
    negatives=5,
    epochs=1,
    subsample=1e-3,
)

#: What :func:`~hgnn.transforms.random_walk_embedding` uses: the reference's settings except 5 walks per node
#: instead of 10 (half the tokens), so enc-dblp takes minutes on a CPU core; plus the optimiser's.
DEFAULTS: dict[str, Any] = {**REFERENCE_SETTINGS, "walks_per_node": 5, "lr": 0.025, "batch_size": 512}
