"""Batching many small hypergraphs into one block-diagonal hypergraph, and back."""
from __future__ import annotations

import functools
from typing import Sequence

import torch
from torch import Tensor

from hgnn.structure.hypergraph import Hypergraph

_FIELDS = ("x", "y", "edge_attr", "incidence_attr")


def _cat_optional(values: list[Tensor | None], name: str) -> Tensor | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    if len(present) != len(values):
        raise ValueError(f"hypergraphs to batch must all have {name} or all lack it")
    first = present[0]
    for i, value in enumerate(present):
        if value.shape[1:] != first.shape[1:] or value.dtype != first.dtype:
            raise ValueError(f"hypergraphs[{i}].{name} is {value.dtype} with rows of shape {list(value.shape[1:])}, "
                             f"hypergraphs[0].{name} {first.dtype} {list(first.shape[1:])}: they must match")
    return torch.cat(present)


def batch(hypergraphs: Sequence[Hypergraph]) -> Hypergraph:
    r"""Stack hypergraphs into one with block-diagonal incidence :math:`H = \mathrm{diag}(H_1, \dots, H_B)`.

    Node and hyperedge ids of graph :math:`g` are shifted by the node and hyperedge counts of the
    graphs before it. The result carries ``node_data["batch"]`` (``[N]``, graph of each node, read
    as ``hg.batch``) and ``edge_data["batch"]`` (``[M]``, read as ``hg.edge_batch``), as PyG's
    ``Batch`` does, and ``num_graphs`` (kept by :meth:`~hgnn.Hypergraph.replace` and device moves,
    so that :func:`unbatch` returns graphs without nodes too). Features, labels and extras are
    concatenated and must exist on all graphs or none.

    Args:
        hypergraphs: a non-empty sequence of :class:`Hypergraph` on one device.
    """
    graphs = list(hypergraphs)
    if not graphs:
        raise ValueError("batch needs at least one hypergraph")
    for i, g in enumerate(graphs):
        if not isinstance(g, Hypergraph):
            raise TypeError(f"hypergraphs[{i}] is a {type(g).__name__}, not a Hypergraph")
        if g.device != graphs[0].device:
            raise ValueError(f"hypergraphs[{i}] is on {g.device}, hypergraphs[0] on {graphs[0].device}")
    device = graphs[0].device
    node_counts = torch.tensor([g.num_nodes for g in graphs], device=device)
    edge_counts = torch.tensor([g.num_edges for g in graphs], device=device)
    node_offset = torch.cumsum(node_counts, 0) - node_counts
    edge_offset = torch.cumsum(edge_counts, 0) - edge_counts
    index = torch.cat(
        [g.hyperedge_index + torch.stack([node_offset[i], edge_offset[i]]).view(2, 1) for i, g in enumerate(graphs)],
        dim=1,
    )
    fields = {name: _cat_optional([getattr(g, name) for g in graphs], name) for name in _FIELDS}
    weighted = any(g.is_weighted for g in graphs)
    weight = torch.cat([g.edge_weight for g in graphs]) if weighted else None
    extras = {}
    for level in ("node", "edge", "incidence"):
        keys = set(getattr(graphs[0], f"{level}_data")) - {"batch"}
        for i, g in enumerate(graphs):
            if set(getattr(g, f"{level}_data")) - {"batch"} != keys:
                raise ValueError(f"hypergraphs[{i}] has other {level}_data keys than hypergraphs[0]")
        extras[level] = {k: torch.cat([getattr(g, f"{level}_data")[k] for g in graphs]) for k in sorted(keys)}
    graph_ids = torch.arange(len(graphs), device=device)
    extras["node"]["batch"] = torch.repeat_interleave(graph_ids, node_counts)
    extras["edge"]["batch"] = torch.repeat_interleave(graph_ids, edge_counts)
    out = Hypergraph(
        index,
        num_nodes=int(node_counts.sum()),
        num_edges=int(edge_counts.sum()),
        edge_weight=weight,
        node_data=extras["node"],
        edge_data=extras["edge"],
        incidence_data=extras["incidence"],
        validate=False,
        **fields,
    )
    out.num_graphs = len(graphs)
    return out


def unbatch(hg: Hypergraph) -> list[Hypergraph]:
    """Split a batched hypergraph (see :func:`batch`) back into its graphs.

    Uses ``node_data["batch"]`` and ``edge_data["batch"]``; incidences go to the graph of their
    node. Graph :math:`g` gets its nodes and hyperedges in their order in ``hg``.
    """
    if "batch" not in hg.node_data or "batch" not in hg.edge_data:
        raise ValueError("unbatch needs node_data['batch'] and edge_data['batch']; build hg with Hypergraph.batch")
    node_batch, edge_batch = hg.node_data["batch"], hg.edge_data["batch"]
    for name, ids in (("node_data['batch']", node_batch), ("edge_data['batch']", edge_batch)):
        if ids.dtype not in (torch.int64, torch.int32) or (ids.numel() and int(ids.min()) < 0):
            raise ValueError(f"{name} must hold non-negative integer graph ids, got {ids.dtype}")
    top = [int(v.max()) + 1 for v in (node_batch, edge_batch) if v.numel()]
    # the batch's graph count keeps trailing graphs without nodes or hyperedges
    num_graphs = max(max(top, default=0), int(hg.__dict__.get("num_graphs", 0)))
    nodes, edges = hg.hyperedge_index
    inc_batch = node_batch[nodes]
    if hg.num_incidences and bool((inc_batch != edge_batch[edges]).any()):
        raise ValueError("an incidence joins a node and a hyperedge of different graphs; hg is not a batch")
    # local ids: position of each node / hyperedge within its graph
    node_order = torch.sort(node_batch, stable=True).indices
    edge_order = torch.sort(edge_batch, stable=True).indices
    inc_order = torch.sort(inc_batch, stable=True).indices
    node_counts = torch.bincount(node_batch, minlength=num_graphs)
    edge_counts = torch.bincount(edge_batch, minlength=num_graphs)
    inc_counts = torch.bincount(inc_batch, minlength=num_graphs)
    local_node = torch.empty_like(node_batch)
    local_node[node_order] = torch.arange(hg.num_nodes, device=hg.device) - (torch.cumsum(node_counts, 0) - node_counts)[node_batch[node_order]]
    local_edge = torch.empty_like(edge_batch)
    local_edge[edge_order] = torch.arange(hg.num_edges, device=hg.device) - (torch.cumsum(edge_counts, 0) - edge_counts)[edge_batch[edge_order]]
    local_index = torch.stack([local_node[nodes], local_edge[edges]])[:, inc_order]

    def split(value, order, counts):
        if value is None:
            return [None] * num_graphs
        return list(torch.split(value[order], counts.tolist()))

    n_split = functools.partial(split, order=node_order, counts=node_counts)
    e_split = functools.partial(split, order=edge_order, counts=edge_counts)
    i_split = functools.partial(split, order=inc_order, counts=inc_counts)
    parts = {
        "hyperedge_index": split(local_index.t(), torch.arange(local_index.size(1), device=hg.device), inc_counts),
        "edge_weight": e_split(hg.edge_weight if hg.is_weighted else None),
        "x": n_split(hg.x),
        "y": n_split(hg.y),
        "edge_attr": e_split(hg.edge_attr),
        "incidence_attr": i_split(hg.incidence_attr),
    }
    node_data = {k: n_split(v) for k, v in hg.node_data.items() if k != "batch"}
    edge_data = {k: e_split(v) for k, v in hg.edge_data.items() if k != "batch"}
    incidence_data = {k: i_split(v) for k, v in hg.incidence_data.items()}
    out = []
    for g in range(num_graphs):
        out.append(
            Hypergraph(
                parts["hyperedge_index"][g].t(),
                num_nodes=int(node_counts[g]),
                num_edges=int(edge_counts[g]),
                edge_weight=parts["edge_weight"][g],
                x=parts["x"][g],
                y=parts["y"][g],
                edge_attr=parts["edge_attr"][g],
                incidence_attr=parts["incidence_attr"][g],
                node_data={k: v[g] for k, v in node_data.items()},
                edge_data={k: v[g] for k, v in edge_data.items()},
                incidence_data={k: v[g] for k, v in incidence_data.items()},
                validate=False,
            )
        )
    return out
