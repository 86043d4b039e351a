"""HyperCluster: soft clustering of a graph's edges by multiset attention on the dual hypergraph
(Jo et al., NeurIPS 2021; pooling after Baek et al.'s Graph Multiset Transformer, ICLR 2021)."""
from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features, check_int
from hgnn.nn.conv.ehgnn_conv import EHGNNConv
from hgnn.structure import Hypergraph


class ClusteredEdges(NamedTuple):
    """What :class:`HyperCluster` returns: ``pooled`` ``[B, k, d]`` cluster features,
    ``assignment`` ``[B, h, k, m_max]`` soft assignment of each edge to the clusters (per head;
    columns of padding edges are 0) and ``mask`` ``[B, m_max]`` (which padded slots are edges)."""

    pooled: Tensor
    assignment: Tensor
    mask: Tensor


def _check_edge_batch(edge_batch: object, num_edges: int, num_graphs: int | None, device: torch.device) -> None:
    """Raise early unless ``edge_batch`` is a ``[num_edges]`` integer vector of graph ids on ``device``,
    non-negative, sorted (non-decreasing) and below ``num_graphs`` when that is given.

    Dense batching reads a sorted batch: unsorted graph ids would silently mix the edges of
    different graphs, so they are refused rather than reordered.
    """
    if not isinstance(edge_batch, Tensor):
        raise TypeError(f"edge_batch must be a torch.Tensor of graph ids, got {type(edge_batch).__name__}")
    if edge_batch.is_floating_point() or edge_batch.is_complex() or edge_batch.dtype == torch.bool:
        raise TypeError(f"edge_batch must hold integer graph ids, got dtype {edge_batch.dtype}; "
                        "use edge_batch.long()")
    if edge_batch.dim() != 1 or edge_batch.size(0) != num_edges:
        raise ValueError(f"edge_batch must be a vector with one graph id per edge ([{num_edges}]), "
                         f"got shape {list(edge_batch.shape)}")
    if edge_batch.device != device:
        raise ValueError(f"edge_batch is on {edge_batch.device} but edge_attr is on {device}; "
                         "move both with .to(device)")
    if num_edges == 0 or torch.compiler.is_compiling():
        return
    low, high, unsorted = torch.stack([edge_batch.min(), edge_batch.max(), (edge_batch.diff() < 0).sum()]).tolist()
    if low < 0:
        raise ValueError(f"edge_batch must hold graph ids >= 0, got {low}")
    if unsorted:
        raise ValueError("edge_batch must be sorted (non-decreasing graph ids, as a PyG Batch gives them); "
                         "sort the edges by graph: perm = edge_batch.argsort(stable=True), then reorder "
                         "edge_batch, edge_attr and the dual hypergraph's nodes with perm")
    if num_graphs is not None and high >= num_graphs:
        raise ValueError(f"edge_batch has graph id {high} but num_graphs is {num_graphs}; pass num_graphs "
                         f">= {high + 1} (or leave it out: edge_batch.max() + 1)")


class HyperCluster(nn.Module):
    r"""HyperCluster edge pooling: Jo et al., "Edge Representation Learning with Hypergraphs", NeurIPS 2021.

    :math:`k` learnable seeds :math:`S \in \mathbb{R}^{k \times d}` attend over the :math:`m_g`
    edges of each graph, with keys and values computed by message passing on the dual hypergraph;
    the softmax runs over the *seed* axis, so each edge is softly assigned to the clusters. Per
    head :math:`h` (of :math:`H`, :math:`d_h = d / H` channels):

    .. math::
        Q = S W_q, \quad K = \mathrm{EHGNNConv}_K(E, G^*), \quad V = \mathrm{EHGNNConv}_V(E, G^*),

    .. math::
        A_h = \mathrm{softmax}_{\text{seeds}}\!\Big(\frac{Q_h K_h^\top}{\sqrt d}\Big) \in \mathbb{R}^{k \times m_g},
        \qquad O = \big\Vert_h \big(Q_h + A_h V_h\big), \qquad
        P = O + \mathrm{ReLU}(O W_o)

    (with optional layer norms after :math:`O` and :math:`P`, as the Set Transformer's MAB).
    :meth:`unpool` maps clusters back to edges by the transposed assignment,
    :math:`E' = \Vert_h A_h^\top P_h`. With one head, as the reference's scripts use, this is the
    reference's ``GMPool(cluster=True, mab_conv='Hyper')`` and its unpooling.

    Args:
        channels: :math:`d` (edge feature channels in and out).
        num_clusters: :math:`k`.
        heads: :math:`H` (divides :math:`d`).
        layer_norm: the two layer norms.

    Shapes:
        - **edge_attr**: ``[m, d]``; **dual**: the dual hypergraph (``m`` nodes); **edge_batch**:
          ``[m]`` integer graph id of each edge, non-negative and sorted (the edges of each graph
          together, graphs in order, as a PyG ``Batch`` gives them; anything else raises
          ``ValueError``); ``None``: one graph; **num_graphs**: ``B`` (an ``int`` above every
          graph id; default ``edge_batch.max() + 1``).
        - **output**: :class:`ClusteredEdges`.
    """

    def __init__(self, channels: int, num_clusters: int, heads: int = 1, layer_norm: bool = False) -> None:
        super().__init__()
        check_int(channels, "channels")
        check_int(num_clusters, "num_clusters")
        check_int(heads, "heads")
        if channels % heads:
            raise ValueError(f"heads ({heads}) must divide channels ({channels})")
        self.channels, self.num_clusters, self.heads = channels, num_clusters, heads
        self.seeds = nn.Parameter(torch.empty(1, num_clusters, channels))
        self.lin_q = nn.Linear(channels, channels)
        self.conv_k = EHGNNConv(channels, channels)
        self.conv_v = EHGNNConv(channels, channels)
        self.lin_o = nn.Linear(channels, channels)
        self.norm0 = nn.LayerNorm(channels) if layer_norm else None
        self.norm1 = nn.LayerNorm(channels) if layer_norm else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.seeds)
        for mod in (self.lin_q, self.conv_k, self.conv_v, self.lin_o, self.norm0, self.norm1):
            if mod is not None:
                mod.reset_parameters()

    def _heads(self, t: Tensor) -> Tensor:
        """``[B, L, d]`` -> ``[B, H, L, d / H]``."""
        return t.view(t.size(0), t.size(1), self.heads, -1).transpose(1, 2)

    def forward(self, edge_attr: Tensor, dual: Hypergraph, edge_batch: Tensor | None = None,
                num_graphs: int | None = None) -> ClusteredEdges:
        from torch_geometric.utils import to_dense_batch

        check_features(edge_attr, self.channels, "edge_attr")
        if dual.num_nodes != edge_attr.size(0):
            raise ValueError(f"dual must have one node per edge ({edge_attr.size(0)}), got {dual.num_nodes}")
        if num_graphs is not None:
            check_int(num_graphs, "num_graphs")
        if edge_batch is None:
            edge_batch = edge_attr.new_zeros(edge_attr.size(0), dtype=torch.long)
        else:
            _check_edge_batch(edge_batch, edge_attr.size(0), num_graphs, edge_attr.device)
        k, v = self.conv_k(edge_attr, dual), self.conv_v(edge_attr, dual)
        k, mask = to_dense_batch(k, edge_batch, batch_size=num_graphs)
        v, _ = to_dense_batch(v, edge_batch, batch_size=num_graphs)
        q = self.lin_q(self.seeds).expand(k.size(0), -1, -1)
        logits = self._heads(q) @ self._heads(k).transpose(-1, -2) / math.sqrt(self.channels)
        assignment = torch.softmax(logits, dim=-2) * mask[:, None, None, :]  # over seeds; padding -> 0
        out = self._heads(q) + assignment @ self._heads(v)
        out = out.transpose(1, 2).reshape(q.shape)
        if self.norm0 is not None:
            out = self.norm0(out)
        out = out + F.relu(self.lin_o(out))
        if self.norm1 is not None:
            out = self.norm1(out)
        return ClusteredEdges(out, assignment, mask)

    def unpool(self, pooled: Tensor, assignment: Tensor, mask: Tensor) -> Tensor:
        r"""Edges from clusters: :math:`E' = \Vert_h A_h^\top P_h`, ``[m, d]`` in edge order."""
        edges = assignment.transpose(-1, -2) @ self._heads(pooled)  # [B, H, m_max, d / H]
        edges = edges.transpose(1, 2).reshape(pooled.size(0), -1, self.channels)
        return edges[mask]

    def extra_repr(self) -> str:
        return f"{self.channels}, num_clusters={self.num_clusters}, heads={self.heads}"
