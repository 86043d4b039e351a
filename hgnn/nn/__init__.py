"""Floor 3: neural-network layers on hypergraphs."""
from hgnn.nn.conv import CoNHDConv, EHGNNConv, HGNNConv, HGNNPConv, HNHNConv, UniGCNConv
from hgnn.nn.mlp import MLP
from hgnn.nn.mol import CategoricalEncoder, EdgeGCNConv
from hgnn.nn.pool import HyperCluster, HyperDrop

__all__ = ["CategoricalEncoder", "CoNHDConv", "EHGNNConv", "EdgeGCNConv", "HGNNConv", "HGNNPConv", "HNHNConv",
           "HyperCluster", "HyperDrop", "MLP", "UniGCNConv"]
