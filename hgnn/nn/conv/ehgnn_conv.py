"""The hypergraph convolution EHGNN runs on dual hypergraphs (Jo et al., NeurIPS 2021)."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_probability
from hgnn.nn.conv.base import NodeConv
from hgnn.nn.conv.hgnnp_conv import hgnnp_smoothing
from hgnn.structure import Hypergraph


class EHGNNConv(NodeConv):
    r"""Message passing on a (dual) hypergraph as in EHGNN: Jo et al., "Edge Representation Learning
    with Hypergraphs", NeurIPS 2021.

    .. math::
        X' = D^{-1} H W B^{-1} H^\top \, \mathrm{dropout}(X)\, \Theta + b

    with :math:`H` the incidence matrix, :math:`W = \mathrm{diag}(w)` the hyperedge weights,
    :math:`B` the hyperedge sizes and :math:`D = \mathrm{diag}(Hw)` the weighted node degrees
    (the operator is HGNN+'s, :func:`~hgnn.nn.conv.hgnnp_smoothing`, but the bias is added after
    the propagation, as the reference does). This is the formula of PyG's ``HypergraphConv``
    without attention, whose parameters (``lin.weight``, ``bias``) it shares: it loads that layer's
    ``state_dict`` and, with unit weights, gives its outputs; with other weights PyG's code (as of
    2.8) uses :math:`w` only in :math:`D`, where this layer also applies :math:`W`.

    On the dual hypergraph of a graph (:func:`hgnn.transforms.dual_hypergraph`), the nodes are
    the graph's edges and each hyperedge is a node's set of incident edges, so this updates every
    edge from the edges it shares an endpoint with: edge representation learning with a node
    convolution.

    Args:
        in_channels: :math:`F_{in}`.
        out_channels: :math:`F_{out}`.
        bias: learn :math:`b`.
        dropout: dropout probability on the input features (training only).
        cached: keep the structure of the first raw-index call (see :class:`~hgnn.nn.conv.HGNNConv`).

    Shapes:
        - **x**: ``[N, F_in]`` (on a dual hypergraph: ``[m, F_in]`` edge features); **hg**: a
          :class:`~hgnn.Hypergraph`, or PyG's ``hyperedge_index``, ``hyperedge_weight``,
          ``hyperedge_attr``, ``num_edges`` (see :class:`~hgnn.nn.conv.HGNNConv`).
        - **output**: ``[N, F_out]``.
    """

    def __init__(
        self, in_channels: int, out_channels: int, bias: bool = True, dropout: float = 0.0, cached: bool = False
    ) -> None:
        check_probability(dropout, "dropout")
        super().__init__(in_channels, out_channels, cached)
        self.dropout = dropout
        self.lin = nn.Linear(in_channels, out_channels, bias=False)
        self.bias = nn.Parameter(self.lin.weight.new_zeros(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform weight, zero bias (as the reference); forgets a cached structure."""
        nn.init.xavier_uniform_(self.lin.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        super().reset_parameters()

    def propagate(self, x: Tensor, hg: Hypergraph) -> Tensor:
        """Apply the dropout, the linear map, HGNN+'s operator and the bias."""
        x = F.dropout(x, p=self.dropout, training=self.training)
        out = hgnnp_smoothing(self.lin(x), hg)
        return out if self.bias is None else out + self.bias

    def extra_repr(self) -> str:
        cached = ", cached=True" if self.cached else ""
        return f"{self.in_channels}, {self.out_channels}, dropout={self.dropout}{cached}"
