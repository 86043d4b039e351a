"""Floor 2: the :class:`Hypergraph` structure and the operators defined on it."""
from hgnn.structure.hypergraph import Hypergraph, as_hypergraph
from hgnn.structure.batch import batch, unbatch
from hgnn.structure.convert import from_dhg, from_networkx, from_pyg, to_dhg, to_networkx, to_pyg
from hgnn.structure.dual import dual
from hgnn.structure.expansion import clique_expansion, star_expansion
from hgnn.structure.generators import from_features, from_graph, from_groups, nearest_neighbors
from hgnn.structure.propagate import AGGREGATIONS, edge_to_node, incidence_matmul, node_to_edge, node_to_node_matmul
from hgnn.structure.subgraph import (
    MERGE_REDUCES,
    add_self_loops,
    merge_duplicate_edges,
    receptive_field,
    remove_empty,
    subhypergraph,
)
from hgnn.structure import random  # random hypergraphs: hgnn.structure.random.k_uniform, ...

__all__ = [
    "AGGREGATIONS",
    "MERGE_REDUCES",
    "Hypergraph",
    "add_self_loops",
    "receptive_field",
    "as_hypergraph",
    "batch",
    "clique_expansion",
    "dual",
    "edge_to_node",
    "from_dhg",
    "from_features",
    "from_graph",
    "from_groups",
    "from_networkx",
    "from_pyg",
    "incidence_matmul",
    "merge_duplicate_edges",
    "nearest_neighbors",
    "node_to_edge",
    "node_to_node_matmul",
    "remove_empty",
    "star_expansion",
    "subhypergraph",
    "to_dhg",
    "to_networkx",
    "to_pyg",
    "unbatch",
]
