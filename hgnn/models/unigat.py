"""The two-layer UniGAT network (Huang & Yang, "UniGNN", IJCAI 2021), as DHG's ``UniGAT``."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.models.attention import _head_width
from hgnn.nn.conv import UniGATConv
from hgnn.nn.dropout import feature_dropout
from hgnn.structure import Hypergraph, as_hypergraph


class UniGAT(nn.Module):
    r"""Two :class:`~hgnn.nn.conv.UniGATConv` layers: Huang & Yang, "UniGNN: a Unified Framework
    for Graph and Hypergraph Neural Networks", IJCAI 2021, in the layout of DHG's ``UniGAT``.

    .. math::
        H = \mathrm{BN}\big(\mathrm{ELU}(\mathrm{conv}_1(\mathrm{dropout}(X)))\big), \qquad
        Z = \mathrm{BN}\big(\mathrm{ELU}(\mathrm{conv}_2(\mathrm{dropout}(H)))\big)

    The first layer concatenates ``heads`` heads of ``hidden_channels // heads`` channels; the
    second has one head. As in DHG (and the original code), the ELU (and the batch norm when
    ``use_bn``) follows the last layer too, so the logits ``Z`` (``[N, C]``) are above :math:`-1`;
    the attention dropout of both layers is ``dropout``, as DHG's ``drop_rate``.

    Args:
        in_channels: input feature size :math:`F`.
        out_channels: number of classes :math:`C`.
        hidden_channels: width of the hidden layer, all heads together (default 32).
        dropout: dropout probability on the features and on the attention scores (default 0.5).
        heads: attention heads of the first layer (default 4); must divide ``hidden_channels``.
        use_bn: batch normalisation after each activation (DHG's ``use_bn``).
        negative_slope: LeakyReLU slope of the attention scores (DHG's ``atten_neg_slope``).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        hidden_channels: int = 32,
        dropout: float = 0.5,
        heads: int = 4,
        use_bn: bool = False,
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        width = _head_width(hidden_channels, heads)
        self.dropout = float(dropout)
        self.conv1 = UniGATConv(in_channels, width, heads=heads, negative_slope=negative_slope, dropout=dropout)
        self.conv2 = UniGATConv(hidden_channels, out_channels, negative_slope=negative_slope, dropout=dropout)
        self.norm1 = nn.BatchNorm1d(hidden_channels) if use_bn else nn.Identity()
        self.norm2 = nn.BatchNorm1d(out_channels) if use_bn else nn.Identity()

    def reset_parameters(self) -> None:
        """Re-initialise both convolutions (and the batch norms)."""
        for module in (self.conv1, self.conv2, self.norm1, self.norm2):
            if isinstance(module, (UniGATConv, nn.BatchNorm1d)):
                module.reset_parameters()

    def embed(self, x: Tensor, hg: Hypergraph | Tensor) -> Tensor:
        r"""The hidden representation :math:`H` (``[N, hidden_channels]``)."""
        x = feature_dropout(x, self.dropout, self.training)
        return self.norm1(F.elu(self.conv1(x, as_hypergraph(hg, x.size(0)))))

    def forward(self, x: Tensor, hg: Hypergraph | Tensor) -> Tensor:
        """``x`` ``[N, F]``, ``hg`` a :class:`~hgnn.Hypergraph` (or ``hyperedge_index``) -> ``[N, C]``."""
        hg = as_hypergraph(hg, x.size(0))
        h = F.dropout(self.embed(x, hg), p=self.dropout, training=self.training)
        return self.norm2(F.elu(self.conv2(h, hg)))
