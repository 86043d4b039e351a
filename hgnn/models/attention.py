"""A two-layer hypergraph attention network on PyG's ``HypergraphConv(use_attention=True)`` numbers."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv import HypergraphAttentionConv
from hgnn.nn.conv._utils import check_int
from hgnn.nn.dropout import feature_dropout
from hgnn.structure import Hypergraph, as_hypergraph, node_to_edge


def _head_width(hidden_channels: int, heads: int) -> int:
    """The width of one head when ``hidden_channels`` is shared by ``heads`` concatenated heads."""
    check_int(hidden_channels, "hidden_channels")
    check_int(heads, "heads")
    if hidden_channels % heads:
        raise ValueError(f"hidden_channels={hidden_channels} must be a multiple of heads={heads} (the heads are "
                         "concatenated); change one of them")
    return hidden_channels // heads


class HypergraphAttentionNet(nn.Module):
    r"""Two :class:`~hgnn.nn.conv.HypergraphAttentionConv` layers (Bai, Zhang & Torr, "Hypergraph
    Convolution and Hypergraph Attention", Pattern Recognition 2021), laid out as GAT.

    .. math::
        H = \mathrm{ELU}\big(\mathrm{conv}_1(\mathrm{dropout}(X), U_0)\big), \qquad
        Z = \mathrm{conv}_2(\mathrm{dropout}(H), U_1)

    where each layer's hyperedge features are the means of its input over each hyperedge's
    members, :math:`U_0 = D_e^{-1} H^\top \mathrm{dropout}(X)` and :math:`U_1 = D_e^{-1} H^\top
    \mathrm{dropout}(H)`. The first layer concatenates ``heads`` heads of
    ``hidden_channels // heads`` channels; the second has one head. ``Z`` (``[N, C]``) are logits.
    Both layers normalise by the attention-weighted degrees (``normalization="attention"`` of
    :class:`~hgnn.nn.conv.HypergraphAttentionConv`): with PyG's normalisation every layer shrinks
    its input by about a hyperedge size times a node degree and the network hardly trains (34% on
    co-citation Cora, 2 seeds; 78% with the attention-weighted degrees, as HGNN).

    Args:
        in_channels: input feature size :math:`F`.
        out_channels: number of classes :math:`C`.
        hidden_channels: width of the hidden layer, all heads together (default 32).
        dropout: dropout probability on the features and on the attention coefficients (default 0.5).
        heads: attention heads of the first layer (default 4); must divide ``hidden_channels``.
        negative_slope: LeakyReLU slope of the attention scores.
        attention_mode: ``"node"`` or ``"edge"`` (see :class:`~hgnn.nn.conv.HypergraphAttentionConv`).
        normalization: ``"attention"`` (default) or ``"structure"`` (PyG's numbers in both layers).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        hidden_channels: int = 32,
        dropout: float = 0.5,
        heads: int = 4,
        negative_slope: float = 0.2,
        attention_mode: str = "node",
        normalization: str = "attention",
    ) -> None:
        super().__init__()
        width = _head_width(hidden_channels, heads)
        self.dropout = float(dropout)
        self.conv1 = HypergraphAttentionConv(in_channels, width, heads=heads, negative_slope=negative_slope,
                                             dropout=dropout, attention_mode=attention_mode,
                                             normalization=normalization)
        self.conv2 = HypergraphAttentionConv(hidden_channels, out_channels, heads=1, concat=False,
                                             negative_slope=negative_slope, dropout=dropout,
                                             attention_mode=attention_mode, normalization=normalization)

    def reset_parameters(self) -> None:
        """Re-initialise both convolutions."""
        self.conv1.reset_parameters()
        self.conv2.reset_parameters()

    def _layer(self, conv: HypergraphAttentionConv, x: Tensor, hg: Hypergraph) -> Tensor:
        x = feature_dropout(x, self.dropout, self.training)
        return conv(x, hg, hyperedge_attr=node_to_edge(x, hg, "mean"))

    def embed(self, x: Tensor, hg: Hypergraph | Tensor) -> Tensor:
        r"""The hidden representation :math:`H` (``[N, hidden_channels]``)."""
        hg = as_hypergraph(hg, x.size(0))
        return F.elu(self._layer(self.conv1, x, hg))

    def forward(self, x: Tensor, hg: Hypergraph | Tensor) -> Tensor:
        """``x`` ``[N, F]``, ``hg`` a :class:`~hgnn.Hypergraph` (or ``hyperedge_index``) -> ``[N, C]``."""
        hg = as_hypergraph(hg, x.size(0))
        return self._layer(self.conv2, self.embed(x, hg), hg)
