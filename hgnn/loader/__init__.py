"""Mini-batch loaders: target hyperedges or nodes with the neighbourhood a model needs."""
from hgnn.loader.hyperedge_batches import (
    HyperedgeBatch,
    HyperedgeBatchSampler,
    HyperedgeLoader,
    hyperedge_neighborhood,
    sample_node_incidences,
)
from hgnn.loader.node_batches import NodeBatch, NodeLoader, node_neighborhood
from hgnn.loader.distributed import distributed_hyperedge_loader, distributed_node_loader

__all__ = ["HyperedgeBatch", "HyperedgeBatchSampler", "HyperedgeLoader", "NodeBatch", "NodeLoader",
           "distributed_hyperedge_loader", "distributed_node_loader",
           "hyperedge_neighborhood", "node_neighborhood", "sample_node_incidences"]
