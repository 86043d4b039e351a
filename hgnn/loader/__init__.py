"""Mini-batch loaders: target hyperedges or nodes with the neighbourhood a model needs."""
from hgnn.loader.hyperedge_batches import (
    HyperedgeBatch,
    HyperedgeBatchSampler,
    HyperedgeLoader,
    hyperedge_neighborhood,
    sample_node_incidences,
)
from hgnn.loader.node_batches import NodeBatch, NodeLoader, node_neighborhood

__all__ = ["HyperedgeBatch", "HyperedgeBatchSampler", "HyperedgeLoader", "NodeBatch", "NodeLoader",
           "hyperedge_neighborhood", "node_neighborhood", "sample_node_incidences"]
