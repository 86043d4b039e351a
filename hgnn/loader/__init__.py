"""Mini-batch loaders: target hyperedges with the incidence neighbourhood a model needs."""
from hgnn.loader.hyperedge_batches import (
    HyperedgeBatch,
    HyperedgeBatchSampler,
    hyperedge_neighborhood,
    sample_node_incidences,
)

__all__ = ["HyperedgeBatch", "HyperedgeBatchSampler", "hyperedge_neighborhood", "sample_node_incidences"]
