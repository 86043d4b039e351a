"""HNHN convolution (Dong, Sawin & Bengio, 2020)."""
from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_probability
from hgnn.nn.conv.base import NodeConv
from hgnn.ops import scatter
from hgnn.structure import Hypergraph, incidence_matmul


def _normalized_weights(power_of: Tensor, src: Tensor, dst: Tensor, num_dst: int, exponent: float) -> Tensor:
    r"""Per-incidence :math:`p_{src}^{\gamma} / \sum_{i \to dst} p_{src_i}^{\gamma}` (zero for empty groups)."""
    num = power_of.double().clamp(min=1).pow(exponent)[src]
    den = scatter(num, dst, num_dst, "sum")
    return num / den[dst]


class HNHNConv(NodeConv):
    r"""HNHN: Dong, Sawin & Bengio, "HNHN: Hypergraph Networks with Hyperedge Neurons",
    ICML GRL+ workshop 2020.

    Hyperedges are neurons with their own weights and nonlinearity:

    .. math::
        X_E &= \sigma\!\left(D_{E,\alpha}^{-1} H^\top D_{V,\alpha}\, \mathrm{dropout}(X)\,\Theta_V + b_V\right) \\
        X'  &= D_{V,\beta}^{-1} H D_{E,\beta}\, X_E\, \Theta_E + b_E

    with :math:`D_{V,\alpha} = \mathrm{diag}(d_v^{\alpha})`,
    :math:`(D_{E,\alpha})_{ee} = \sum_{v \in e} d_v^{\alpha}`,
    :math:`D_{E,\beta} = \mathrm{diag}(|e|^{\beta})` and
    :math:`(D_{V,\beta})_{vv} = \sum_{e \ni v} |e|^{\beta}`: normalised weighted means, which are
    plain means for :math:`\alpha = \beta = 0` (the default, DHG's ``HNHNConv`` up to the bias
    placement). :math:`\sigma` is ReLU. Hyperedge weights are not used (the paper has none).

    Args:
        in_channels: :math:`F_{in}`.
        out_channels: :math:`F_{out}` (also the hyperedge neurons' width).
        alpha: node-degree exponent :math:`\alpha` of the node -> hyperedge mean.
        beta: hyperedge-size exponent :math:`\beta` of the hyperedge -> node mean.
        bias: learn :math:`b_V, b_E`.
        dropout: dropout probability on the input features.
        cached: keep the structure of the first raw-index call (see :class:`~hgnn.nn.conv.HGNNConv`).

    Shapes:
        - **x**: ``[N, F_in]``; **hg**: :class:`~hgnn.Hypergraph`, or PyG's ``hyperedge_index``,
          ``hyperedge_weight`` (accepted, not used), ``hyperedge_attr``, ``num_edges`` (see
          :class:`~hgnn.nn.conv.HGNNConv`).
        - **output**: ``[N, F_out]``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        alpha: float = 0.0,
        beta: float = 0.0,
        bias: bool = True,
        dropout: float = 0.0,
        cached: bool = False,
    ) -> None:
        check_probability(dropout, "dropout")
        super().__init__(in_channels, out_channels, cached)
        self.alpha = float(alpha)
        self.beta = float(beta)
        if not (math.isfinite(self.alpha) and math.isfinite(self.beta)):
            raise ValueError(f"alpha and beta (the degree exponents) must be finite, got {alpha} and {beta}")
        self.dropout = dropout
        self.lin_node = nn.Linear(in_channels, out_channels, bias=False)
        self.lin_edge = nn.Linear(out_channels, out_channels, bias=False)
        self.bias_edge = nn.Parameter(Tensor(out_channels)) if bias else None
        self.bias_node = nn.Parameter(Tensor(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform weights, zero biases; forgets a cached structure."""
        nn.init.xavier_uniform_(self.lin_node.weight)
        nn.init.xavier_uniform_(self.lin_edge.weight)
        for b in (self.bias_edge, self.bias_node):
            if b is not None:
                nn.init.zeros_(b)
        super().reset_parameters()

    def propagate(self, x: Tensor, hg: Hypergraph) -> Tensor:
        """The node -> hyperedge neurons -> node passes of the class's formula."""
        nodes, edges = hg.hyperedge_index
        alpha, beta = self.alpha, self.beta

        def to_edge() -> Tensor:
            return _normalized_weights(hg.node_degree(), nodes, edges, hg.num_edges, alpha)

        def to_node() -> Tensor:
            return _normalized_weights(hg.edge_degree(), edges, nodes, hg.num_nodes, beta)

        x = F.dropout(x, p=self.dropout, training=self.training)
        e = incidence_matmul(self.lin_node(x), hg, "node_to_edge", to_edge, key=("hnhn", "to_edge", alpha))
        if self.bias_edge is not None:
            e = e + self.bias_edge
        e = self.lin_edge(F.relu(e))
        out = incidence_matmul(e, hg, "edge_to_node", to_node, key=("hnhn", "to_node", beta))
        if self.bias_node is not None:
            out = out + self.bias_node
        return out

    def extra_repr(self) -> str:
        cached = ", cached=True" if self.cached else ""
        return (f"{self.in_channels}, {self.out_channels}, alpha={self.alpha}, beta={self.beta}, "
                f"dropout={self.dropout}{cached}")
