"""HyperDrop: drop the lowest-scored edges of each graph, scored on the dual hypergraph (Jo et al., NeurIPS 2021)."""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from hgnn.nn.conv.ehgnn_conv import EHGNNConv
from hgnn.structure import Hypergraph
from hgnn.transforms.dht import reference_dual


def topk_per_graph(score: Tensor, ratio: float, batch: Tensor | None = None, num_graphs: int | None = None) -> Tensor:
    r"""Indices of the :math:`\lceil \rho\, m_g \rceil` highest scores of each graph :math:`g`.

    Args:
        score: ``[m]`` scores.
        ratio: :math:`\rho \in (0, 1]`.
        batch: ``[m]`` graph id of each element (one graph when ``None``).
        num_graphs: number of graphs (default ``batch.max() + 1``).

    Returns:
        ``[k]`` int64 indices into ``score``, grouped by graph (ascending), each graph's in
        decreasing score order; a graph with :math:`m_g = 0` contributes nothing.
    """
    if not 0.0 < ratio <= 1.0:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")
    if score.dim() != 1:
        raise ValueError(f"score must be 1-D [m], got shape {list(score.shape)}")
    if batch is None:
        batch = score.new_zeros(score.numel(), dtype=torch.long)
    if batch.shape != score.shape:
        raise ValueError(f"batch must have the shape of score {list(score.shape)}, got {list(batch.shape)}")
    if score.numel() == 0:
        return batch.new_empty(0)
    num_graphs = int(batch.max()) + 1 if num_graphs is None else num_graphs
    count = torch.bincount(batch, minlength=num_graphs)
    keep = torch.ceil(count.double() * ratio).long()
    order = torch.argsort(score.detach(), descending=True, stable=True)
    order = order[torch.argsort(batch[order], stable=True)]  # by graph, then by score
    start = torch.cumsum(count, 0) - count
    rank = torch.arange(score.numel(), device=score.device) - start[batch[order]]
    return order[rank < keep[batch[order]]]


class DroppedEdges(NamedTuple):
    """What :class:`HyperDrop` returns: the kept ``edge_index`` ``[2, k]``, their features
    ``edge_attr`` ``[k, F]``, ``edge_weight`` ``[k]`` (the clamped scores, differentiable) and
    ``perm`` ``[k]`` (their positions in the input)."""

    edge_index: Tensor
    edge_attr: Tensor
    edge_weight: Tensor
    perm: Tensor


class HyperDrop(nn.Module):
    r"""HyperDrop edge pooling: Jo et al., "Edge Representation Learning with Hypergraphs", NeurIPS 2021.

    Each edge is scored by a one-channel :class:`~hgnn.nn.EHGNNConv` on the dual hypergraph
    :math:`G^*` of the graph, and each graph :math:`g` keeps its :math:`\lceil \rho\, m_g \rceil`
    best edges:

    .. math::
        s = \tanh\!\big(\mathrm{EHGNNConv}(E, G^*)\big) \in \mathbb{R}^m, \qquad
        \mathrm{idx} = \mathrm{top}_{\lceil \rho m_g \rceil}(s) \text{ per graph}, \qquad
        E' = E_{\mathrm{idx}}, \quad w = \mathrm{clamp}(s_{\mathrm{idx}}, 0, 1).

    No node is dropped. The kept scores are returned as edge weights for the next node layer, so
    that the scorer gets a gradient. The dual is built as the reference does (self-loop hyperedges,
    singleton node-hyperedges removed) unless one is passed.

    Args:
        in_channels: edge feature channels :math:`F`.
        ratio: :math:`\rho \in (0, 1]`.

    Shapes:
        - **edge_attr**: ``[m, F]``; **edge_index**: ``[2, m]``; **batch**: ``[n]`` node graph ids
          (``None``: one graph); **dual**: optional prebuilt dual hypergraph with ``m`` nodes.
        - **output**: :class:`DroppedEdges`.
    """

    def __init__(self, in_channels: int, ratio: float = 0.8) -> None:
        super().__init__()
        if not 0.0 < ratio <= 1.0:
            raise ValueError(f"ratio must be in (0, 1], got {ratio}")
        self.in_channels = in_channels
        self.ratio = ratio
        self.score = EHGNNConv(in_channels, 1)

    def reset_parameters(self) -> None:
        self.score.reset_parameters()

    def forward(self, edge_attr: Tensor, edge_index: Tensor, batch: Tensor | None = None,
                dual: Hypergraph | None = None) -> DroppedEdges:
        if edge_index.dim() != 2 or edge_index.size(0) != 2 or edge_index.size(1) != edge_attr.size(0):
            raise ValueError(f"edge_index must be [2, m] with m = edge_attr.size(0) = {edge_attr.size(0)}, "
                             f"got {list(edge_index.shape)}")
        if dual is None:
            dual = reference_dual(edge_index, None if batch is None else batch.numel())
        score = torch.tanh(self.score(edge_attr, dual).view(-1))
        edge_batch = None if batch is None else batch[edge_index[0]]
        num_graphs = None if batch is None or batch.numel() == 0 else int(batch.max()) + 1
        perm = topk_per_graph(score, self.ratio, edge_batch, num_graphs)
        return DroppedEdges(edge_index[:, perm], edge_attr[perm], score[perm].clamp(0, 1), perm)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, ratio={self.ratio}"
