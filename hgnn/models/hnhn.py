"""The two-layer HNHN network (Dong et al., "HNHN: Hypergraph Networks with Hyperedge Neurons", 2020)."""
from __future__ import annotations

from hgnn.models.two_layer import TwoLayerHypergraphNet
from hgnn.nn import HNHNConv


class HNHN(TwoLayerHypergraphNet):
    r"""Two :class:`~hgnn.nn.HNHNConv` layers: Dong et al., "HNHN: Hypergraph Networks with Hyperedge Neurons", 2020.

    .. math::
        Z = \mathrm{conv}_2\big(\mathrm{dropout}(\mathrm{ReLU}(\mathrm{conv}_1(X, G))), G\big)

    See :class:`~hgnn.models.two_layer.TwoLayerHypergraphNet` for the arguments
    (hidden 32, dropout 0.5 by default, as DHG's examples).
    """

    conv = HNHNConv
