r"""LightHGNN's topology-aware score: how far vertex embeddings sit from their hyperedges' centres.

Feng et al., ICLR 2024, Sec. 5 ("over-smoothing"): with embeddings :math:`h_v` and hyperedge centres
:math:`\bar h_e = \frac{1}{|e|}\sum_{v \in e} h_v`,

.. math::
    S = \frac{1}{|E|} \sum_{e \in E} \frac{1}{|e|} \sum_{v \in e} \lVert \bar h_e - h_v \rVert_2 .

A smaller score means the vertices of each hyperedge are closer together: an HGNN smooths
embeddings along hyperedges (a small score, and towards zero when it over-smooths), a plain MLP
knows nothing of them, and a distilled student sits in between by how much topology it absorbed.
"""
from __future__ import annotations

from torch import Tensor

from hgnn.ops import scatter
from hgnn.structure import Hypergraph

__all__ = ["topology_score"]


def topology_score(embedding: Tensor, hg: Hypergraph) -> float:
    r"""The score :math:`S` above for embeddings ``[N, d]`` on ``hg``; empty hyperedges are skipped.

    Computed in :math:`O(\mathrm{nnz} \cdot d)`, without the per-hyperedge Python loop of the reference.
    """
    if not isinstance(hg, Hypergraph):
        raise TypeError(f"hg must be a Hypergraph, got {type(hg).__name__}")
    if not isinstance(embedding, Tensor) or embedding.dim() != 2 or embedding.size(0) != hg.num_nodes:
        raise ValueError(f"embedding must be [N={hg.num_nodes}, d], got {tuple(getattr(embedding, 'shape', ()))}")
    if hg.num_incidences == 0:
        raise ValueError("the hypergraph has no incidence; the topology score is undefined")
    h = embedding.detach().float()
    nodes, edges = hg.hyperedge_index
    centre = hg.node_to_edge(h, reduce="mean")
    dist = (centre[edges] - h[nodes]).norm(dim=1)
    per_edge = scatter(dist, edges, hg.num_edges, reduce="mean")
    return float(per_edge[hg.edge_degree() > 0].mean())
