"""Graph expansions of a hypergraph, as PyG ``edge_index`` tensors."""
from __future__ import annotations

import torch
from torch import Tensor

from hgnn.structure.hypergraph import Hypergraph


def clique_expansion(hg: Hypergraph) -> tuple[Tensor, Tensor]:
    r"""The clique expansion: every hyperedge becomes a clique.

    .. math::
        A_{uv} = \sum_{e \ni u, v} w(e)\, H_{ue} H_{ve}, \qquad u \neq v

    i.e. the off-diagonal of :math:`H W H^\top`, returned sparse: ``edge_index`` ``[2, E]`` (both
    directions, sorted by ``(u, v)``, no self-loops) and ``edge_weight`` ``[E]``. It costs
    :math:`O(\sum_e |e|^2)` time and memory, never :math:`O(N^2)`.
    """
    perm, ptr = hg.edge_order()
    nodes = hg.hyperedge_index[0, perm]
    edges = hg.hyperedge_index[1, perm]
    sizes = (ptr[1:] - ptr[:-1])[edges]  # size of the hyperedge of each sorted incidence
    device = hg.device
    left = torch.repeat_interleave(torch.arange(nodes.numel(), device=device), sizes)
    block_start = torch.cumsum(sizes, 0) - sizes
    offset = torch.arange(left.numel(), device=device) - block_start[left]
    right = ptr[edges[left]] + offset
    u, v = nodes[left], nodes[right]
    weight = hg.edge_weight[edges[left]]
    keep = u != v
    u, v, weight = u[keep], v[keep], weight[keep]
    key, inverse = torch.unique(u * hg.num_nodes + v, return_inverse=True)
    summed = torch.zeros(key.numel(), dtype=weight.dtype, device=device).index_add_(0, inverse, weight)
    edge_index = torch.stack([key // max(hg.num_nodes, 1), key % max(hg.num_nodes, 1)])
    return edge_index, summed


def star_expansion(hg: Hypergraph) -> Tensor:
    r"""The star expansion: the bipartite node-hyperedge graph.

    Nodes keep ids :math:`0..N-1`; hyperedge :math:`e` becomes node :math:`N + e`. Every incidence
    :math:`(v, e)` gives the two directed edges :math:`v \to N+e` and :math:`N+e \to v`.

    Returns:
        ``edge_index`` ``[2, 2 nnz]`` over :math:`N + M` nodes: first the node-to-hyperedge
        direction in incidence order, then the reverse.
    """
    nodes, edges = hg.hyperedge_index
    edges = edges + hg.num_nodes
    return torch.cat([torch.stack([nodes, edges]), torch.stack([edges, nodes])], dim=1)
