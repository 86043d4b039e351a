"""Re-indexing operations: sub-hypergraphs, removing empty hyperedges, adding self-loops."""
from __future__ import annotations

import torch
from torch import Tensor

from hgnn.ops import scatter
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
        edge_weight=pick(hg.edge_weight if hg.is_weighted else None, edge_keep),
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


def _rows(perm: Tensor, ptr: Tensor, ids: Tensor) -> Tensor:
    """The incidence ids of CSR rows ``ids`` (``perm[ptr[i]:ptr[i+1]]`` for each ``i``), concatenated."""
    start, end = ptr[ids], ptr[ids + 1]
    counts = end - start
    total = int(counts.sum())
    if total == 0:
        return perm.new_empty(0)
    base = torch.repeat_interleave(start - (torch.cumsum(counts, 0) - counts), counts)
    return perm[base + torch.arange(total, device=perm.device)]


def receptive_field(
    hg: Hypergraph,
    nodes: Tensor,
    num_hops: int = 2,
    new_incidences: Tensor | None = None,
    num_new_nodes: int = 0,
) -> tuple[Hypergraph, Tensor, Tensor]:
    r"""The smallest sub-hypergraph on which ``num_hops`` HGNN-type layers give the full graph's
    outputs at ``nodes``, optionally after attaching new nodes.

    With :math:`N_0` the target nodes, :math:`E_l` the hyperedges of :math:`N_{l-1}` and :math:`N_l`
    the members of :math:`E_l` (:math:`l = 1..L`), the result holds every hyperedge of :math:`E_L`
    with all its members (so hyperedge sizes are exact) and the nodes :math:`N_L`. A node of
    :math:`N_L \setminus N_{L-1}` may belong to hyperedges outside :math:`E_L`; each such node gets a
    singleton hyperedge of weight :math:`d(v) - d_{sub}(v)` so that every weighted degree
    :math:`d(v) = \sum_e w(e) H_{ve}` equals the full graph's. For operators of the form
    :math:`D_v^{a} H W D_e^{-1} H^\top D_v^{b}` (HGNN, HGNN+) the outputs at ``nodes`` after
    :math:`L` layers are then exactly the full graph's (the padding only touches rows that are not
    needed), at the cost of the neighbourhood instead of the whole graph.

    New nodes (ids ``N .. N + num_new_nodes - 1``) join through ``new_incidences`` ``[2, k]``
    (node ids, existing hyperedge ids); the base hypergraph and its cached CSR orders are reused,
    nothing of size ``nnz`` is rebuilt. Every new node must be among ``nodes`` (it is what a request
    asks about).

    Returns:
        ``(sub, node_ids, targets)``: the sub-hypergraph, the sorted global ids ``[N_L]`` of its
        nodes (new nodes have ids ``>= N`` and so come last), and the positions ``[len(nodes)]`` of
        ``nodes`` in it.
    """
    if num_hops < 1:
        raise ValueError(f"num_hops must be >= 1, got {num_hops}")
    n, m = hg.num_nodes, hg.num_edges
    total = n + int(num_new_nodes)
    nodes = torch.as_tensor(nodes, device=hg.device).long().view(-1)
    if nodes.numel() == 0:
        raise ValueError("nodes is empty; pass at least one target node")
    if int(nodes.min()) < 0 or int(nodes.max()) >= total:
        raise ValueError(f"nodes must lie in [0, {total}) (num_nodes + num_new_nodes)")
    if new_incidences is None:
        new_incidences = torch.empty(2, 0, dtype=torch.long, device=hg.device)
    new_incidences = new_incidences.to(hg.device).long()
    if new_incidences.dim() != 2 or new_incidences.size(0) != 2:
        raise ValueError(f"new_incidences must be [2, k], got {tuple(new_incidences.shape)}")
    new_nodes, new_edges = new_incidences
    if new_nodes.numel():
        if int(new_nodes.min()) < n or int(new_nodes.max()) >= total:
            raise ValueError(f"new_incidences[0] must hold new node ids in [{n}, {total})")
        if int(new_edges.min()) < 0 or int(new_edges.max()) >= m:
            raise ValueError(f"new_incidences[1] must hold existing hyperedge ids in [0, {m})")
        target = torch.zeros(total, dtype=torch.bool, device=hg.device)
        target[nodes] = True
        if not bool(target[new_nodes].all()):
            raise ValueError("every new node in new_incidences must be among `nodes`")
    node_perm, node_ptr = hg.node_order()
    edge_perm, edge_ptr = hg.edge_order()
    index = hg.hyperedge_index
    weight = hg.edge_weight

    frontier = nodes.unique()
    edge_mask = torch.zeros(m, dtype=torch.bool, device=hg.device)
    for _ in range(num_hops):
        old = frontier[frontier < n]
        edge_mask[index[1, _rows(node_perm, node_ptr, old)]] = True
        if new_nodes.numel():
            edge_mask[new_edges] = True          # all new nodes are targets, so in every frontier
        edges = edge_mask.nonzero().view(-1)
        members = index[0, _rows(edge_perm, edge_ptr, edges)]
        frontier = torch.cat([members, nodes[nodes >= n], frontier]).unique()
    edges = edge_mask.nonzero().view(-1)
    inc = _rows(edge_perm, edge_ptr, edges)
    keep_new = edge_mask[new_edges] if new_nodes.numel() else torch.zeros(0, dtype=torch.bool, device=hg.device)
    sub_nodes = torch.cat([index[0, inc], new_nodes[keep_new]])
    sub_edges_global = torch.cat([index[1, inc], new_edges[keep_new]])
    node_ids = torch.cat([sub_nodes, nodes]).unique()
    edge_local = torch.full((m,), -1, dtype=torch.long, device=hg.device)
    edge_local[edges] = torch.arange(edges.numel(), device=hg.device)
    rows = torch.searchsorted(node_ids, sub_nodes)
    cols = edge_local[sub_edges_global]
    sub_weight = weight[edges]
    # degree padding: full weighted degree (new incidences only add to new nodes) minus the sub's
    full_deg = torch.zeros(node_ids.numel(), dtype=weight.dtype, device=hg.device)
    is_old = node_ids < n
    full_deg[is_old] = hg.node_degree(weighted=True)[node_ids[is_old]]
    if new_nodes.numel():
        full_deg.index_add_(0, torch.searchsorted(node_ids, new_nodes), weight[new_edges])
    sub_deg = torch.zeros_like(full_deg).index_add_(0, rows, sub_weight[cols])
    deficit = full_deg - sub_deg
    pad = (deficit > 1e-6 * full_deg.clamp_min(1)).nonzero().view(-1)
    pad_edges = edges.numel() + torch.arange(pad.numel(), device=hg.device)
    sub = Hypergraph(torch.stack([torch.cat([rows, pad]), torch.cat([cols, pad_edges])]),
                     num_nodes=node_ids.numel(), num_edges=edges.numel() + pad.numel(),
                     edge_weight=torch.cat([sub_weight, deficit[pad]]))
    return sub, node_ids, torch.searchsorted(node_ids, nodes)


#: how :func:`merge_duplicate_edges` combines the weights of hyperedges with the same members
MERGE_REDUCES = ("mean", "sum", "max", "first")


def merge_duplicate_edges(hg: Hypergraph, reduce: str = "mean") -> tuple[Hypergraph, Tensor]:
    r"""Keep one hyperedge per member set, as DHG's ``Hypergraph`` does when it is built.

    Two hyperedges are duplicates when they have the same members with the same multiplicities
    (the same column of :math:`H`). Each set of duplicates becomes its first hyperedge (original
    order kept, so ``edge_ids`` is increasing); its weight is the ``reduce`` of their weights:

    * ``"mean"`` (default; DHG's ``merge_op="mean"``): an unweighted hypergraph stays unweighted.
      For three or more copies with different weights DHG averages pairwise in order,
      :math:`((a + b)/2 + c)/2`; this is the plain mean :math:`(a + b + c)/3`.
    * ``"sum"``: the result is weighted by multiplicity. HGNN's operator
      :math:`D_v^{-1/2} H W D_e^{-1} H^\top D_v^{-1/2}` is then unchanged: :math:`k` equal columns
      of weight 1 contribute what one column of weight :math:`k` does.
    * ``"max"``, or ``"first"`` (the first copy's weight).

    Hyperedge features and extras (``edge_attr``, ``edge_data``) and the incidences' own tensors
    come from the first copy; the duplicates' are dropped. Empty hyperedges are duplicates of one
    another.

    Args:
        hg: the hypergraph.
        reduce: ``"mean"``, ``"sum"``, ``"max"`` or ``"first"``.

    Returns:
        ``(hg', edge_ids)``: the hypergraph with :math:`M' \le M` hyperedges, and the original ids
        ``[M']`` of the hyperedges it keeps.

    Example::

        >>> hg = Hypergraph.from_edge_list([[0, 1], [2], [1, 0], [2]], num_nodes=3)
        >>> merged, kept = merge_duplicate_edges(hg)
        >>> merged.to_edge_list(), kept
        ([[0, 1], [2]], tensor([0, 1]))
    """
    if not isinstance(hg, Hypergraph):
        raise TypeError(f"hg must be a Hypergraph, got {type(hg).__name__}")
    if reduce not in MERGE_REDUCES:
        raise ValueError(f"reduce must be one of {MERGE_REDUCES}, got {reduce!r}")
    # each hyperedge's member multiset as a sorted tuple (edge order, then node order)
    nodes, edges = hg.hyperedge_index.cpu()
    order = torch.argsort(edges * max(hg.num_nodes, 1) + nodes, stable=True)
    counts = torch.bincount(edges, minlength=hg.num_edges).tolist()
    flat = nodes[order].tolist()
    first: dict[tuple[int, ...], int] = {}  # member multiset -> its group (groups numbered in order)
    groups: list[int] = []
    kept: list[int] = []  # each group's first hyperedge
    start = 0
    for edge, count in enumerate(counts):
        key = tuple(flat[start:start + count])
        start += count
        if key not in first:
            first[key] = len(kept)
            kept.append(edge)
        groups.append(first[key])
    if len(kept) == hg.num_edges:
        return hg, torch.arange(hg.num_edges, device=hg.device)
    edge_keep = torch.zeros(hg.num_edges, dtype=torch.bool)
    edge_keep[kept] = True
    edge_keep = edge_keep.to(hg.device)
    merged = _reindex(hg, torch.ones(hg.num_nodes, dtype=torch.bool, device=hg.device), edge_keep,
                      edge_keep[hg.hyperedge_index[1]])
    # unit weights stay unit under mean / max / first; only "sum" turns them into multiplicities
    if reduce != "first" and (hg.is_weighted or reduce == "sum"):
        w = hg.edge_weight
        weight = scatter(w, torch.tensor(groups, dtype=torch.long, device=w.device), len(kept), reduce)
        merged = merged.replace(edge_weight=weight, validate=False)
    return merged, torch.tensor(kept, dtype=torch.long, device=hg.device)
