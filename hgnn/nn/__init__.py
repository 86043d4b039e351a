"""Floor 3: neural-network layers on hypergraphs."""
from hgnn.nn.conv import HGNNConv, HGNNPConv, HNHNConv, UniGCNConv

__all__ = ["HGNNConv", "HGNNPConv", "HNHNConv", "UniGCNConv"]
