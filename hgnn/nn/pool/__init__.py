"""Edge pooling on dual hypergraphs (EHGNN, Jo et al., NeurIPS 2021)."""
from hgnn.nn.pool.hypercluster import ClusteredEdges, HyperCluster
from hgnn.nn.pool.hyperdrop import DroppedEdges, HyperDrop, topk_per_graph

__all__ = ["ClusteredEdges", "DroppedEdges", "HyperCluster", "HyperDrop", "topk_per_graph"]
