"""The two-layer UniGCN network (Huang & Yang, "UniGNN", IJCAI 2021)."""
from __future__ import annotations

from hgnn.models.two_layer import TwoLayerHypergraphNet
from hgnn.nn import UniGCNConv


class UniGCN(TwoLayerHypergraphNet):
    r"""Two :class:`~hgnn.nn.UniGCNConv` layers: Huang & Yang, "UniGNN", IJCAI 2021.

    .. math::
        Z = \mathrm{conv}_2\big(\mathrm{dropout}(\mathrm{ReLU}(\mathrm{conv}_1(X, G))), G\big)

    See :class:`~hgnn.models.two_layer.TwoLayerHypergraphNet` for the arguments
    (hidden 32, dropout 0.5 by default, as DHG's examples).
    """

    conv = UniGCNConv
