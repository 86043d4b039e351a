"""EHGNN: edge representation learning by node message passing on the dual hypergraph."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_int
from hgnn.nn.conv.ehgnn_conv import EHGNNConv
from hgnn.transforms.dht import reference_dual


class EHGNN(nn.Module):
    r"""Edge representations of a graph: Jo et al., "Edge Representation Learning with Hypergraphs", NeurIPS 2021.

    The graph :math:`G = (X, M, E)` is turned into its dual hypergraph
    :math:`G^* = (E, M^\top, X)` (:func:`hgnn.transforms.dual_hypergraph`, with a self-loop
    hyperedge per edge and singleton node-hyperedges dropped, as the reference), and
    :math:`L` :class:`~hgnn.nn.EHGNNConv` layers run on it:

    .. math::
        E^{(l+1)} = \sigma\big(D^{-1} M^{*} B^{-1} M^{*\top} E^{(l)} \Theta^{(l)} + b^{(l)}\big),
        \qquad M^* = [\,M^\top \;\; I\,]

    (no activation after the last layer). Any node GNN can consume the result as edge features,
    or :class:`~hgnn.nn.HyperDrop` / :class:`~hgnn.nn.HyperCluster` can pool with it.

    Args:
        in_channels: edge feature channels.
        hidden_channels: output channels of every layer.
        num_layers: :math:`L`.
        dropout: dropout on each layer's input (training only).

    Shapes:
        - **edge_attr**: ``[m, F_in]``; **edge_index**: ``[2, m]``; **num_nodes**: ``n`` (default
          ``edge_index.max() + 1``).
        - **output**: ``[m, hidden_channels]``.
    """

    def __init__(self, in_channels: int, hidden_channels: int, num_layers: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        check_int(num_layers, "num_layers")
        self.convs = nn.ModuleList(
            EHGNNConv(in_channels if i == 0 else hidden_channels, hidden_channels, dropout=dropout)
            for i in range(num_layers)
        )

    def reset_parameters(self) -> None:
        for conv in self.convs:
            conv.reset_parameters()

    def forward(self, edge_attr: Tensor, edge_index: Tensor, num_nodes: int | None = None) -> Tensor:
        dual = reference_dual(edge_index, num_nodes)
        for i, conv in enumerate(self.convs):
            edge_attr = conv(edge_attr, dual)
            if i < len(self.convs) - 1:
                edge_attr = F.relu(edge_attr)
        return edge_attr
