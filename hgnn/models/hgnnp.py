"""The two-layer HGNNP network (Gao et al., "HGNN+: General Hypergraph Neural Networks", TPAMI 2022)."""
from __future__ import annotations

from hgnn.models.two_layer import TwoLayerHypergraphNet
from hgnn.nn import HGNNPConv


class HGNNP(TwoLayerHypergraphNet):
    r"""Two :class:`~hgnn.nn.HGNNPConv` layers: Gao et al., "HGNN+: General Hypergraph Neural Networks", TPAMI 2022.

    .. math::
        Z = \mathrm{conv}_2\big(\mathrm{dropout}(\mathrm{ReLU}(\mathrm{conv}_1(X, G))), G\big)

    See :class:`~hgnn.models.two_layer.TwoLayerHypergraphNet` for the arguments
    (hidden 32, dropout 0.5 by default, as DHG's examples).
    """

    conv = HGNNPConv
