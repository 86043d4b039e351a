"""Hypergraph convolutions, one a file (PyG style: math in the docstring, ``reset_parameters``).

The node convolutions are called as ``conv(x, hg)`` with a :class:`~hgnn.Hypergraph`, or with PyG's
arguments ``conv(x, hyperedge_index, hyperedge_weight=None, hyperedge_attr=None, num_edges=None)``
(see :class:`HGNNConv`)."""
from hgnn.nn.conv.conhd_conv import CoNHDConv, incidence_positional_encoding
from hgnn.nn.conv.ehgnn_conv import EHGNNConv
from hgnn.nn.conv.hgnn_conv import HGNNConv, hgnn_normalization, hgnn_smoothing
from hgnn.nn.conv.hgnnp_conv import HGNNPConv, hgnnp_smoothing
from hgnn.nn.conv.hnhn_conv import HNHNConv
from hgnn.nn.conv.unigcn_conv import UniGCNConv, unigcn_smoothing

__all__ = [
    "CoNHDConv",
    "EHGNNConv",
    "HGNNConv",
    "HGNNPConv",
    "HNHNConv",
    "UniGCNConv",
    "hgnn_normalization",
    "hgnn_smoothing",
    "hgnnp_smoothing",
    "incidence_positional_encoding",
    "unigcn_smoothing",
]
