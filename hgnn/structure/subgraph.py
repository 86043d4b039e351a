"""Re-indexing operations: sub-hypergraphs, removing empty hyperedges, adding self-loops."""
from __future__ import annotations

import torch
from torch import Tensor

from hgnn.structure.hypergraph import Hypergraph


def _as_mask(nodes: Tensor, size: int) -> Tensor:
    if not isinstance(nodes, Tensor):
        nodes = torch.as_tensor(nodes)
    if nodes.dtype == torch.bool:
        if nodes.shape != (size,):
            raise ValueError(f"a node mask must have shape [{size}] (num_nodes), got {list(nodes.shape)}")
        return nodes
    if nodes.is_floating_point() or nodes.dim() != 1:
        raise TypeError("nodes must be a bool mask [num_nodes] or a 1-D integer index tensor")
    nodes = nodes.long()
    if nodes.numel() and (int(nodes.min()) < 0 or int(nodes.max()) >= size):
        raise ValueError(f"node index out of range: ids must lie in [0, {size})")
    mask = torch.zeros(size, dtype=torch.bool, device=nodes.device)
    mask[nodes] = True
    if int(mask.sum()) != nodes.numel():
        raise ValueError("node index has duplicates; pass each node once")
    return mask


def _reindex(hg: Hypergraph, node_keep: Tensor, edge_keep: Tensor, incidence_keep: Tensor) -> Hypergraph:
    """Keep the given nodes, hyperedges and incidences, relabelling ids in order."""
    node_id = torch.cumsum(node_keep.long(), 0) - 1
    edge_id = torch.cumsum(edge_keep.long(), 0) - 1
    nodes, edges = hg.hyperedge_index[:, incidence_keep]
    index = torch.stack([node_id[nodes], edge_id[edges]])

    def pick(value, keep):
        return None if value is None else value[keep]

    return Hypergraph(
        index,
        num_nodes=int(node_keep.sum()),
        num_edges=int(edge_keep.sum()),
        edge_weight=pick(hg._edge_weight, edge_keep),
        x=pick(hg.x, node_keep),
        edge_attr=pick(hg.edge_attr, edge_keep),
        incidence_attr=pick(hg.incidence_attr, incidence_keep),
        y=pick(hg.y, node_keep),
        node_data={k: v[node_keep] for k, v in hg.node_data.items()},
        edge_data={k: v[edge_keep] for k, v in hg.edge_data.items()},
        incidence_data={k: v[incidence_keep] for k, v in hg.incidence_data.items()},
        validate=False,
    )


def subhypergraph(hg: Hypergraph, nodes: Tensor) -> tuple[Hypergraph, Tensor, Tensor]:
    r"""The sub-hypergraph induced by a node subset :math:`S`.

    Every hyperedge :math:`e` becomes :math:`e \cap S`; hyperedges left empty are removed. Kept
    nodes and hyperedges are relabelled in their original order, and every feature, label and
    extra tensor is sliced alongside.

    Args:
        hg: the hypergraph.
        nodes: bool mask ``[N]`` or integer index ``[k]`` (no duplicates) of the nodes to keep.

    Returns:
        ``(sub, node_ids, edge_ids)``: the sub-hypergraph, and the original ids of its nodes
        (``[N']``) and hyperedges (``[M']``).
    """
    node_keep = _as_mask(nodes, hg.num_nodes).to(hg.device)
    incidence_keep = node_keep[hg.hyperedge_index[0]]
    edge_keep = torch.zeros(hg.num_edges, dtype=torch.bool, device=hg.device)
    edge_keep[hg.hyperedge_index[1, incidence_keep]] = True
    sub = _reindex(hg, node_keep, edge_keep, incidence_keep)
    return sub, node_keep.nonzero().view(-1), edge_keep.nonzero().view(-1)


def remove_empty(hg: Hypergraph) -> tuple[Hypergraph, Tensor]:
    """Drop hyperedges with no incidence.

    Returns:
        ``(hg', edge_ids)``: the hypergraph without empty hyperedges and the original ids
        ``[M']`` of the hyperedges it keeps.
    """
    edge_keep = hg.edge_degree() > 0
    node_keep = torch.ones(hg.num_nodes, dtype=torch.bool, device=hg.device)
    incidence_keep = torch.ones(hg.num_incidences, dtype=torch.bool, device=hg.device)
    return _reindex(hg, node_keep, edge_keep, incidence_keep), edge_keep.nonzero().view(-1)


def add_self_loops(hg: Hypergraph, isolated_only: bool = True) -> Hypergraph:
    r"""Append singleton hyperedges :math:`\{v\}`.

    With ``isolated_only=True`` (default) only nodes in no hyperedge get one, as DHG does for
    isolated vertices; with ``False`` every node that is not already alone in a hyperedge gets one
    (UniGNN's ``--add-self-loop``). New hyperedges have weight 1 and zero features / extras; the
    original hyperedges keep their ids, new ones follow in node order.
    """
    if isolated_only:
        need = hg.node_degree() == 0
    else:
        singleton = hg.edge_degree() == 1
        has_loop = torch.zeros(hg.num_nodes, dtype=torch.bool, device=hg.device)
        inc_single = singleton[hg.hyperedge_index[1]]
        has_loop[hg.hyperedge_index[0, inc_single]] = True
        need = ~has_loop
    new_nodes = need.nonzero().view(-1)
    k = new_nodes.numel()
    if k == 0:
        return hg
    new_edges = torch.arange(hg.num_edges, hg.num_edges + k, device=hg.device)
    index = torch.cat([hg.hyperedge_index, torch.stack([new_nodes, new_edges])], dim=1)

    def grow(value, extra_rows):
        if value is None:
            return None
        return torch.cat([value, value.new_zeros((extra_rows, *value.shape[1:]))])

    weight = None
    if hg.is_weighted:
        weight = torch.cat([hg.edge_weight, hg.edge_weight.new_ones(k)])
    return Hypergraph(
        index,
        num_nodes=hg.num_nodes,
        num_edges=hg.num_edges + k,
        edge_weight=weight,
        x=hg.x,
        edge_attr=grow(hg.edge_attr, k),
        incidence_attr=grow(hg.incidence_attr, k),
        y=hg.y,
        node_data=hg.node_data,
        edge_data={key: grow(v, k) for key, v in hg.edge_data.items()},
        incidence_data={key: grow(v, k) for key, v in hg.incidence_data.items()},
        validate=False,
    )
