"""The two-layer UniSAGE and UniGIN networks (Huang & Yang, "UniGNN", IJCAI 2021)."""
from __future__ import annotations

from hgnn.models.two_layer import TwoLayerHypergraphNet
from hgnn.nn.conv import UniGINConv, UniSAGEConv


class UniSAGE(TwoLayerHypergraphNet):
    r"""Two :class:`~hgnn.nn.conv.UniSAGEConv` layers: Huang & Yang, "UniGNN: a Unified Framework
    for Graph and Hypergraph Neural Networks", IJCAI 2021.

    .. math::
        Z = \mathrm{conv}_2\big(\mathrm{dropout}(\mathrm{ReLU}(\mathrm{conv}_1(X, G))), G\big)

    the layout of DHG's ``UniSAGE``. See :class:`~hgnn.models.two_layer.TwoLayerHypergraphNet`
    for the arguments (hidden 32, dropout 0.5 by default).
    """

    conv = UniSAGEConv


class UniGIN(TwoLayerHypergraphNet):
    r"""Two :class:`~hgnn.nn.conv.UniGINConv` layers: Huang & Yang, "UniGNN: a Unified Framework
    for Graph and Hypergraph Neural Networks", IJCAI 2021.

    .. math::
        Z = \mathrm{conv}_2\big(\mathrm{dropout}(\mathrm{ReLU}(\mathrm{conv}_1(X, G))), G\big)

    the layout of DHG's ``UniGIN``.

    Args:
        in_channels: input feature size :math:`F`.
        out_channels: number of classes :math:`C`.
        hidden_channels: hidden size (default 32).
        dropout: dropout probability between the layers (default 0.5).
        use_bn: batch normalisation after the first activation.
        eps: the initial :math:`\varepsilon` of both layers.
        train_eps: learn :math:`\varepsilon` (one per layer).
    """

    conv = UniGINConv

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        hidden_channels: int = 32,
        dropout: float = 0.5,
        use_bn: bool = False,
        eps: float = 0.0,
        train_eps: bool = False,
    ) -> None:
        super().__init__(in_channels, out_channels, hidden_channels, dropout, use_bn)
        self.conv1 = UniGINConv(in_channels, hidden_channels, eps=eps, train_eps=train_eps)
        self.conv2 = UniGINConv(hidden_channels, out_channels, eps=eps, train_eps=train_eps, dropout=dropout)
