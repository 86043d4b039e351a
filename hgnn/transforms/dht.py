r"""The Dual Hypergraph Transformation (DHT) of a graph and its inverse.

Jo, Baek, Lee, Kim, Kang, Hwang, "Edge Representation Learning with Hypergraphs", NeurIPS 2021.

A graph :math:`G = (X, M, E)` with node features :math:`X \in \mathbb{R}^{n \times d}`, incidence
matrix :math:`M \in \{0, 1\}^{n \times m}` (two ones per column: the edge's endpoints) and edge
features :math:`E \in \mathbb{R}^{m \times d'}` becomes the hypergraph

.. math::
    G^* = (E, M^\top, X):

every edge is a node of :math:`G^*` carrying the edge's features, and every original node is a
hyperedge of :math:`G^*` holding its incident edges and carrying the node's features. Edge
representation learning is then node message passing on :math:`G^*` (:class:`hgnn.nn.EHGNNConv`).

Layout of the returned :class:`~hgnn.Hypergraph` (the convention that makes the inverse exact):
incidence columns ``2j`` and ``2j + 1`` are dual node ``j``'s membership in the hyperedges of its
source and of its target, in that order (a self-loop edge ``(v, v)`` is in hyperedge ``v`` twice);
then, with ``add_loops``, one singleton hyperedge ``{j}`` per dual node, numbered ``n + j``.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from hgnn.structure import Hypergraph

__all__ = ["DHT", "DualGraph", "dual_hypergraph", "graph_from_dual", "reference_dual"]


class DualGraph(NamedTuple):
    """A graph recovered by :func:`graph_from_dual`: ``edge_index`` ``[2, m]``, ``num_nodes``,
    node features ``x`` ``[n, d]`` (or ``None``), ``edge_attr`` ``[m, d']`` (or ``None``) and the
    nodes' graph ids ``batch`` ``[n]`` (or ``None``)."""

    edge_index: Tensor
    num_nodes: int
    x: Tensor | None
    edge_attr: Tensor | None
    batch: Tensor | None


def _check_edge_index(edge_index: Tensor, num_nodes: int | None) -> int:
    if not isinstance(edge_index, Tensor):
        raise TypeError(f"edge_index must be a torch.Tensor, got {type(edge_index).__name__}")
    if edge_index.dtype not in (torch.int64, torch.int32) or edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must be an integer tensor of shape [2, m], got {edge_index.dtype} "
                         f"{list(edge_index.shape)}")
    if edge_index.numel() and int(edge_index.min()) < 0:
        raise ValueError("edge_index has negative node ids; node ids must be in [0, num_nodes)")
    needed = int(edge_index.max()) + 1 if edge_index.numel() else 0
    if num_nodes is None:
        return needed
    if not isinstance(num_nodes, int) or isinstance(num_nodes, bool) or num_nodes < needed:
        raise ValueError(f"num_nodes={num_nodes!r} but edge_index refers to node {needed - 1}; pass num_nodes "
                         f">= {needed}")
    return num_nodes


def _check_rows(t: Tensor | None, rows: int, name: str, what: str) -> None:
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dim() == 0 or t.size(0) != rows:
        raise ValueError(f"{name} must have one row per {what} ({rows}), got shape {list(t.shape)}")
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} holds NaN or inf")


def _check_batch(batch: Tensor | None, rows: int) -> None:
    _check_rows(batch, rows, "batch", "node")
    if batch is None:
        return
    if batch.dim() != 1 or batch.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"batch must be a 1-D integer tensor of graph ids, got {batch.dtype} {list(batch.shape)}")
    if batch.numel() and int(batch.min()) < 0:
        raise ValueError(f"batch must hold graph ids >= 0, got {int(batch.min())}")


def dual_hypergraph(
    edge_index: Tensor,
    num_nodes: int | None = None,
    *,
    x: Tensor | None = None,
    edge_attr: Tensor | None = None,
    batch: Tensor | None = None,
    undirected: bool = False,
    add_loops: bool = False,
    drop_singletons: bool = False,
) -> Hypergraph:
    r"""The dual hypergraph :math:`G^* = (E, M^\top, X)` of a graph (Jo et al., NeurIPS 2021).

    .. math::
        H^* = M^\top \in \{0,1,2\}^{m \times n}, \qquad X^* = E, \qquad E^* = X

    Args:
        edge_index: ``[2, m]`` edges ``(source, target)`` of a graph with ``num_nodes`` nodes
            (a PyG-style batch of graphs is one graph).
        num_nodes: :math:`n` (default ``edge_index.max() + 1``); nodes without edges become empty
            hyperedges.
        x: ``[n, d]`` node features, stored as the dual's hyperedge features ``edge_attr``.
        edge_attr: ``[m, d']`` edge features, stored as the dual's node features ``x``.
        batch: ``[n]`` graph id of each node; the dual gets ``node_data["batch"]`` (``[m]``, the
            graph of each edge's source) and ``edge_data["batch"]``.
        undirected: ``edge_index`` holds both directions of every undirected edge (PyG's
            convention); keep one dual node per undirected edge (the direction with
            ``source <= target``; its ``edge_attr`` row) instead of one per direction as the
            reference code does.
        add_loops: add a singleton hyperedge :math:`\{j\}` for each dual node :math:`j` (ids
            ``n + j``; its ``edge_data["loop"]`` is ``True`` and its hyperedge feature is 0), so that
            message passing keeps each edge's own state.
        drop_singletons: with ``add_loops``, remove the incidences of original nodes of degree 1
            (their hyperedge would duplicate the new loop), as the reference's ``DHT`` does. The
            result can no longer be inverted.

    Returns:
        A :class:`~hgnn.Hypergraph` with :math:`m` nodes and :math:`n` (+ :math:`m`) hyperedges;
        ``incidence_data["end"]`` is 0 for an edge's source and 1 for its target, ``-1`` on loops.
    """
    n = _check_edge_index(edge_index, num_nodes)
    edge_index = edge_index.long()
    _check_rows(x, n, "x", "node")
    _check_rows(edge_attr, edge_index.size(1), "edge_attr", "edge")
    _check_batch(batch, n)
    if drop_singletons and not add_loops:
        raise ValueError("drop_singletons=True only makes sense with add_loops=True")
    if undirected:
        keep = (edge_index[0] <= edge_index[1]).nonzero().view(-1)
        edge_index = edge_index[:, keep]
        edge_attr = None if edge_attr is None else edge_attr[keep]
    m, device = edge_index.size(1), edge_index.device
    dual_nodes = torch.arange(m, device=device).repeat_interleave(2)
    hyperedges = edge_index.t().reshape(-1)  # source_0, target_0, source_1, ...
    end = torch.arange(2, device=device).repeat(m)
    num_edges = n
    loop_mask = torch.zeros(n, dtype=torch.bool, device=device)
    if add_loops:
        if drop_singletons:
            keep = torch.bincount(hyperedges, minlength=n)[hyperedges] != 1
            dual_nodes, hyperedges, end = dual_nodes[keep], hyperedges[keep], end[keep]
        loops = torch.arange(m, device=device)
        dual_nodes = torch.cat([dual_nodes, loops])
        hyperedges = torch.cat([hyperedges, n + loops])
        end = torch.cat([end, torch.full((m,), -1, dtype=end.dtype, device=device)])
        num_edges = n + m
        loop_mask = torch.cat([loop_mask, torch.ones(m, dtype=torch.bool, device=device)])
    hyperedge_attr = x
    if x is not None and add_loops:
        hyperedge_attr = torch.cat([x, x.new_zeros(m, *x.shape[1:])])
    node_data: dict[str, Tensor] = {}
    edge_data: dict[str, Tensor] = {"loop": loop_mask}
    if batch is not None:
        batch = batch.long()
        node_data["batch"] = batch[edge_index[0]]
        edge_data["batch"] = torch.cat([batch, node_data["batch"]]) if add_loops else batch
    return Hypergraph(
        torch.stack([dual_nodes, hyperedges]),
        num_nodes=m,
        num_edges=num_edges,
        x=edge_attr,
        edge_attr=hyperedge_attr,
        node_data=node_data,
        edge_data=edge_data,
        incidence_data={"end": end},
        validate=False,
    )


def reference_dual(edge_index: Tensor, num_nodes: int | None = None) -> Hypergraph:
    """The dual as EHGNN's reference code builds it before every edge layer: a self-loop hyperedge
    per edge and the singleton node-hyperedges dropped
    (``dual_hypergraph(edge_index, num_nodes, add_loops=True, drop_singletons=True)``)."""
    return dual_hypergraph(edge_index, num_nodes, add_loops=True, drop_singletons=True)


def graph_from_dual(hg: Hypergraph, undirected: bool = False) -> DualGraph:
    r"""Invert :func:`dual_hypergraph`: :math:`(E, M^\top, X) \mapsto (X, M, E)`.

    Reads each dual node's two non-loop incidences (``incidence_data["end"]`` 0 = source,
    1 = target); loops (``edge_data["loop"]``) are ignored.

    Args:
        hg: a dual hypergraph made by :func:`dual_hypergraph` (without ``drop_singletons``).
        undirected: the dual was built with ``undirected=True``: return both directions of every
            edge, coalesced (sorted by source, then target), each with its edge's features.

    Returns:
        :class:`DualGraph` ``(edge_index, num_nodes, x, edge_attr, batch)``.
    """
    end = hg.incidence_data.get("end")
    loop = hg.edge_data.get("loop")
    if end is None or loop is None:
        raise ValueError("hg was not made by dual_hypergraph (it lacks incidence_data['end'] and edge_data['loop'])")
    dual_nodes, hyperedges = hg.hyperedge_index
    m, n = hg.num_nodes, int((~loop).sum())
    real = end >= 0
    if int(real.sum()) != 2 * m:
        raise ValueError("every dual node needs its two endpoint incidences; a dual built with "
                         "drop_singletons=True cannot be inverted")
    edge_index = torch.empty(2, m, dtype=torch.long, device=hyperedges.device)
    edge_index[end[real], dual_nodes[real]] = hyperedges[real]
    x = None if hg.edge_attr is None else hg.edge_attr[:n]
    edge_attr = hg.x
    batch = hg.edge_data.get("batch")
    batch = None if batch is None else batch[:n]
    if undirected:
        src, dst = edge_index
        off = src != dst
        edge_index = torch.cat([edge_index, torch.stack([dst[off], src[off]])], dim=1)
        ids = torch.cat([torch.arange(m, device=src.device), off.nonzero().view(-1)])
        order = torch.argsort(edge_index[0] * max(n, 1) + edge_index[1], stable=True)
        edge_index, ids = edge_index[:, order], ids[order]
        edge_attr = None if edge_attr is None else edge_attr[ids]
    return DualGraph(edge_index, n, x, edge_attr, batch)


class DHT:
    r"""The Dual Hypergraph Transformation as a PyG-style transform on :class:`torch_geometric.data.Data`.

    ``DHT()(data)`` returns a ``Data`` for :math:`G^* = (E, M^\top, X)` with ``x`` = the edge
    features (``[m, 1]`` ones when the graph has none, as the reference code does),
    ``hyperedge_index`` ``[2, nnz]``, ``hyperedge_attr`` = the node features, ``num_nodes`` = m,
    ``num_hyperedges``, ``loop`` (which hyperedges are loops), ``end`` (per incidence) and, for a
    batch, ``batch`` (the graph of each edge) and ``ptr``-free graph labels ``y`` carried over.
    ``DHT.inverse(dual)`` gives the original ``Data`` back (``x``, ``edge_index``, ``edge_attr``,
    ``y``, ``batch``). See :func:`dual_hypergraph` for the options.
    """

    def __init__(self, undirected: bool = False, add_loops: bool = False) -> None:
        self.undirected = bool(undirected)
        self.add_loops = bool(add_loops)

    def __call__(self, data):
        from torch_geometric.data import Data

        edge_attr = data.edge_attr
        had_edge_attr = edge_attr is not None
        if edge_attr is None:
            edge_attr = torch.ones(data.edge_index.size(1), 1, device=data.edge_index.device)
        batch = getattr(data, "batch", None)
        hg = dual_hypergraph(data.edge_index, data.num_nodes, x=data.x, edge_attr=edge_attr, batch=batch,
                             undirected=self.undirected, add_loops=self.add_loops)
        out = Data(x=hg.x, hyperedge_index=hg.hyperedge_index, hyperedge_attr=hg.edge_attr, num_nodes=hg.num_nodes,
                   num_hyperedges=hg.num_edges, loop=hg.edge_data["loop"], end=hg.incidence_data["end"],
                   had_edge_attr=had_edge_attr, undirected=self.undirected)
        if batch is not None:
            out.batch = hg.node_data["batch"]
            out.hyperedge_batch = hg.edge_data["batch"]
        if getattr(data, "y", None) is not None:
            out.y = data.y
        return out

    @staticmethod
    def inverse(dual):
        """The original graph ``Data`` of a ``DHT()(data)`` result."""
        from torch_geometric.data import Data

        edge_data = {"loop": dual.loop}
        if getattr(dual, "hyperedge_batch", None) is not None:
            edge_data["batch"] = dual.hyperedge_batch
        hg = Hypergraph(dual.hyperedge_index, num_nodes=dual.num_nodes, num_edges=int(dual.num_hyperedges),
                        x=dual.x, edge_attr=dual.hyperedge_attr, edge_data=edge_data,
                        incidence_data={"end": dual.end}, validate=False)
        graph = graph_from_dual(hg, undirected=bool(dual.undirected))
        out = Data(x=graph.x, edge_index=graph.edge_index, num_nodes=graph.num_nodes,
                   edge_attr=graph.edge_attr if dual.had_edge_attr else None)
        if graph.batch is not None:
            out.batch = graph.batch
        if getattr(dual, "y", None) is not None:
            out.y = dual.y
        return out

    def __repr__(self) -> str:
        return f"DHT(undirected={self.undirected}, add_loops={self.add_loops})"
