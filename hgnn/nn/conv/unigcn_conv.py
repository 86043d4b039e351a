"""UniGCN convolution (Huang & Yang, IJCAI 2021)."""
from __future__ import annotations

from torch import Tensor

from hgnn.ops import accumulate_in_float32, inv_pow, scatter
from hgnn.nn.conv.hgnn_conv import HGNNConv
from hgnn.structure import Hypergraph, node_to_node_matmul


@accumulate_in_float32
def unigcn_smoothing(x: Tensor, hg: Hypergraph, backend: str | None = None) -> Tensor:
    r"""UniGCN's propagation :math:`D_v^{-1/2} H \tilde D_e^{-1/2} W D_e^{-1} H^\top X`.

    Each hyperedge first takes the mean of its members, :math:`h_e = \frac{1}{|e|}\sum_{u \in e} x_u`;
    each node then sums :math:`w(e)\, h_e / \sqrt{d_v \tilde d_e}` over its hyperedges, where
    :math:`d_v = \sum_e w(e) H_{ve}` and :math:`\tilde d_e = \frac{1}{|e|}\sum_{u \in e} d_u` is the
    mean degree of the hyperedge's members.
    """
    nodes, edges = hg.hyperedge_index

    def to_node() -> Tensor:
        dv = hg.node_degree(weighted=True).double()
        mean_dv = scatter(dv[nodes], edges, hg.num_edges, "mean")
        return inv_pow(dv, 0.5)[nodes] * inv_pow(mean_dv, 0.5)[edges] * hg.edge_weight[edges]

    def to_edge() -> Tensor:
        return inv_pow(hg.edge_degree())[edges]

    return node_to_node_matmul(x, hg, to_edge, to_node, key=("unigcn", "smoothing"), backend=backend)


class UniGCNConv(HGNNConv):
    r"""UniGCN: Huang & Yang, "UniGNN: a Unified Framework for Graph and Hypergraph Neural
    Networks", IJCAI 2021.

    .. math::
        x'_v = \frac{1}{\sqrt{d_v}} \sum_{e \ni v} \frac{w(e)}{\sqrt{\tilde d_e}}\, h_e,
        \qquad h_e = \frac{1}{|e|} \sum_{u \in e} \left(\mathrm{dropout}(x_u)\,\Theta + b\right),
        \qquad \tilde d_e = \frac{1}{|e|}\sum_{u \in e} d_u

    i.e. :math:`X' = D_v^{-1/2} H \tilde D_e^{-1/2} W D_e^{-1} H^\top (X\Theta + b)` as in DHG's
    ``UniGCNConv`` (the original UniGNN code has no weights and no bias: with unit weights and
    ``bias=False`` the two agree).

    Args:
        in_channels: :math:`F_{in}`.
        out_channels: :math:`F_{out}`.
        bias: learn :math:`b`.
        dropout: dropout probability on the input features.
        cached: keep the structure of the first raw-index call (see :class:`~hgnn.nn.conv.HGNNConv`).

    Shapes:
        - **x**: ``[N, F_in]``; **hg**: :class:`~hgnn.Hypergraph`, or PyG's ``hyperedge_index``,
          ``hyperedge_weight``, ``hyperedge_attr``, ``num_edges`` (see :class:`~hgnn.nn.conv.HGNNConv`).
        - **output**: ``[N, F_out]``.
    """

    smoothing = staticmethod(unigcn_smoothing)
