"""Floor 3: neural-network layers on hypergraphs."""
from hgnn.nn.conv import HGNNConv, HGNNPConv, HNHNConv, UniGCNConv
from hgnn.nn.mlp import MLP

__all__ = ["HGNNConv", "HGNNPConv", "HNHNConv", "MLP", "UniGCNConv"]
from hgnn.nn.conv import CoNHDConv

__all__ += ["CoNHDConv"]
