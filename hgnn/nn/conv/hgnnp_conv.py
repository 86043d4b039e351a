"""HGNN+ convolution (Gao et al., TPAMI 2022)."""
from __future__ import annotations

from torch import Tensor

from hgnn.ops import accumulate_in_float32, inv_pow
from hgnn.nn.conv.hgnn_conv import HGNNConv
from hgnn.structure import Hypergraph, node_to_node_matmul


@accumulate_in_float32
def hgnnp_smoothing(x: Tensor, hg: Hypergraph, backend: str | None = None) -> Tensor:
    r"""Two-stage mean message passing of HGNN+: :math:`D_v^{-1} H W D_e^{-1} H^\top X`.

    Stage 1 (node -> hyperedge) is the mean of the member rows, :math:`D_e^{-1} H^\top X`;
    stage 2 (hyperedge -> node) is the :math:`w`-weighted mean over a node's hyperedges,
    :math:`D_v^{-1} H W`, with :math:`D_v = \mathrm{diag}(Hw)`. Rows of the operator sum to one
    (zero rows for isolated nodes).
    """
    nodes, edges = hg.hyperedge_index

    def to_node() -> Tensor:
        return inv_pow(hg.node_degree(weighted=True))[nodes] * hg.edge_weight[edges]

    def to_edge() -> Tensor:
        return inv_pow(hg.edge_degree())[edges]

    return node_to_node_matmul(x, hg, to_edge, to_node, key=("hgnnp", "smoothing"), backend=backend)


class HGNNPConv(HGNNConv):
    r"""The HGNN+ convolution: Gao et al., "HGNN+: General Hypergraph Neural Networks", TPAMI 2022.

    .. math::
        X' = D_v^{-1} H W D_e^{-1} H^\top \left(\mathrm{dropout}(X)\,\Theta + b\right)

    i.e. a mean over each hyperedge's members, then a :math:`w`-weighted mean over each node's
    hyperedges (DHG's ``hg.v2v(X, aggr="mean")``), with :math:`D_v = \mathrm{diag}(Hw)`,
    :math:`D_e = \mathrm{diag}(H^\top \mathbf 1)` and :math:`0^{-1} := 0`. Matches DHG's
    ``HGNNPConv`` (bias before the propagation).

    Args:
        in_channels: :math:`F_{in}`.
        out_channels: :math:`F_{out}`.
        bias: learn :math:`b`.
        dropout: dropout probability on the input features (training only).
        cached: keep the structure of the first raw-index call (see :class:`~hgnn.nn.conv.HGNNConv`).

    Shapes:
        - **x**: ``[N, F_in]``; **hg**: :class:`~hgnn.Hypergraph`, or PyG's ``hyperedge_index``,
          ``hyperedge_weight``, ``hyperedge_attr``, ``num_edges`` (see :class:`~hgnn.nn.conv.HGNNConv`).
        - **output**: ``[N, F_out]``.
    """

    smoothing = staticmethod(hgnnp_smoothing)
