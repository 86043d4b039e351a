"""Floor 3: neural-network layers on hypergraphs."""
from hgnn.nn.conv import CoNHDConv, EHGNNConv, HGNNConv, HGNNPConv, HNHNConv, UniGCNConv
from hgnn.nn.ehgnn import EHGNN
from hgnn.nn.mlp import MLP
from hgnn.nn.pool import HyperCluster, HyperDrop

__all__ = ["CoNHDConv", "EHGNN", "EHGNNConv", "HGNNConv", "HGNNPConv", "HNHNConv", "HyperCluster", "HyperDrop",
           "MLP", "UniGCNConv"]
