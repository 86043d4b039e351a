"""The two-layer HGNN network (Feng et al., "Hypergraph Neural Networks", AAAI 2019)."""
from __future__ import annotations

from hgnn.models.two_layer import TwoLayerHypergraphNet
from hgnn.nn import HGNNConv


class HGNN(TwoLayerHypergraphNet):
    r"""Two :class:`~hgnn.nn.HGNNConv` layers: Feng et al., "Hypergraph Neural Networks", AAAI 2019.

    .. math::
        Z = \mathrm{conv}_2\big(\mathrm{dropout}(\mathrm{ReLU}(\mathrm{conv}_1(X, G))), G\big)

    See :class:`~hgnn.models.two_layer.TwoLayerHypergraphNet` for the arguments
    (hidden 32, dropout 0.5 by default, as DHG's examples).
    """

    conv = HGNNConv
