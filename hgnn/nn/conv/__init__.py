"""Hypergraph convolutions, one a file (PyG style: math in the docstring, ``reset_parameters``).

The node convolutions are called as ``conv(x, hg)`` with a :class:`~hgnn.Hypergraph`, or with PyG's
arguments ``conv(x, hyperedge_index, hyperedge_weight=None, hyperedge_attr=None, num_edges=None)``
(see :class:`NodeConv`, their base class)."""
from hgnn.nn.conv.allset_conv import AllDeepSetsConv, AllSetTransformerConv
from hgnn.nn.conv.base import NodeConv
from hgnn.nn.conv.conhd_conv import CoNHDConv, incidence_positional_encoding
from hgnn.nn.conv.edhnn_conv import EDHNNConv
from hgnn.nn.conv.ehgnn_conv import EHGNNConv
from hgnn.nn.conv.hgnn_conv import HGNNConv, hgnn_normalization, hgnn_smoothing
from hgnn.nn.conv.hgnnp_conv import HGNNPConv, hgnnp_smoothing
from hgnn.nn.conv.hnhn_conv import HNHNConv
from hgnn.nn.conv.hypergcn_conv import HyperGCNConv, hypergcn_graph
from hgnn.nn.conv.hypergraph_attention_conv import (HypergraphAttentionConv, attention_propagation,
                                                    attention_weighted_propagation)
from hgnn.nn.conv.unigat_conv import UniGATConv
from hgnn.nn.conv.unigcn_conv import UniGCNConv, unigcn_smoothing
from hgnn.nn.conv.unigin_conv import UniGINConv
from hgnn.nn.conv.unisage_conv import UniSAGEConv, unignn_aggregate, unisage_smoothing

__all__ = [
    "AllDeepSetsConv",
    "AllSetTransformerConv",
    "CoNHDConv",
    "EDHNNConv",
    "EHGNNConv",
    "HGNNConv",
    "HGNNPConv",
    "HNHNConv",
    "HyperGCNConv",
    "HypergraphAttentionConv",
    "NodeConv",
    "UniGATConv",
    "UniGCNConv",
    "UniGINConv",
    "UniSAGEConv",
    "attention_propagation",
    "attention_weighted_propagation",
    "hgnn_normalization",
    "hgnn_smoothing",
    "hgnnp_smoothing",
    "hypergcn_graph",
    "incidence_positional_encoding",
    "unigcn_smoothing",
    "unignn_aggregate",
    "unisage_smoothing",
]
