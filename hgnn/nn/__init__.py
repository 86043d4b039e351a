"""Floor 3: neural-network layers on hypergraphs.

The molecule layers (:mod:`hgnn.nn.mol`) build on ``torch_geometric``; they are imported on first
use, so that ``import hgnn.nn`` does not load PyG.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hgnn.nn.conv import (AllDeepSetsConv, AllSetTransformerConv, CoNHDConv, EDHNNConv, EHGNNConv, HGNNConv, HGNNPConv,
                          HNHNConv, HyperGCNConv, HypergraphAttentionConv, UniGATConv, UniGCNConv, UniGINConv,
                          UniSAGEConv)
from hgnn.nn.dropout import fast_dropout, feature_dropout
from hgnn.nn.mlp import MLP
from hgnn.nn.pool import HyperCluster, HyperDrop
from hgnn.nn.sparse_input import input_linear, remember_nonzeros

if TYPE_CHECKING:
    from hgnn.nn.mol import CategoricalEncoder, EdgeGCNConv

_LAZY = {"CategoricalEncoder": "hgnn.nn.mol", "EdgeGCNConv": "hgnn.nn.mol"}

__all__ = ["AllDeepSetsConv", "AllSetTransformerConv", "CategoricalEncoder", "CoNHDConv", "EDHNNConv", "EHGNNConv",
           "EdgeGCNConv", "HGNNConv", "HGNNPConv", "HNHNConv", "HyperCluster", "HyperDrop", "HyperGCNConv",
           "HypergraphAttentionConv", "MLP", "UniGATConv", "UniGCNConv", "UniGINConv", "UniSAGEConv", "fast_dropout",
           "feature_dropout", "input_linear", "remember_nonzeros"]


def __getattr__(name: str) -> Any:
    """Import the molecule layers on first access (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})  # not set(): the sub-package hgnn.nn.set shadows it here
