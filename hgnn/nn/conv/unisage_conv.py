"""UniSAGE convolution (Huang & Yang, IJCAI 2021)."""
from __future__ import annotations

from torch import Tensor

from hgnn.nn.conv.hgnn_conv import HGNNConv
from hgnn.ops import accumulate_in_float32
from hgnn.structure import Hypergraph, incidence_matmul, node_to_edge


def _edge_weight_of_incidences(hg: Hypergraph) -> Tensor:
    """``[nnz]``: the weight :math:`w(e_i)` of each incidence's hyperedge."""
    return hg.edge_weight[hg.hyperedge_index[1]]


@accumulate_in_float32
def unignn_aggregate(x: Tensor, hg: Hypergraph, backend: str | None = None) -> Tensor:
    r"""UniGNN's two-stage aggregation :math:`H W D_e^{-1} H^\top X` (``[N, F]`` -> ``[N, F]``).

    Each hyperedge takes the mean of its members, :math:`h_e = \frac{1}{|e|}\sum_{u \in e} x_u`;
    each node then sums :math:`w(e)\, h_e` over its hyperedges (an isolated node gets zeros). With
    unit weights this is the aggregation of UniSAGE and UniGIN (mean, then sum).
    """
    e = node_to_edge(x, hg, "mean", backend=backend)
    if not hg.is_weighted:
        return incidence_matmul(e, hg, "edge_to_node", backend=backend)
    return incidence_matmul(e, hg, "edge_to_node", lambda: _edge_weight_of_incidences(hg),
                            key=("unignn", "to_node"), backend=backend)


def unisage_smoothing(x: Tensor, hg: Hypergraph, backend: str | None = None) -> Tensor:
    r"""UniSAGE's propagation :math:`(I + H W D_e^{-1} H^\top)\, X`: each row plus
    :func:`unignn_aggregate` of it."""
    return x + unignn_aggregate(x, hg, backend=backend)


class UniSAGEConv(HGNNConv):
    r"""UniSAGE: Huang & Yang, "UniGNN: a Unified Framework for Graph and Hypergraph Neural
    Networks", IJCAI 2021.

    .. math::
        x'_v = z_v + \sum_{e \ni v} w(e)\, h_e, \qquad
        h_e = \frac{1}{|e|} \sum_{u \in e} z_u, \qquad
        z = \mathrm{dropout}(X)\,\Theta + b

    i.e. :math:`X' = (I + H W D_e^{-1} H^\top)(X\Theta + b)`: GraphSAGE's "self plus aggregated
    neighbours" with the hyperedges as the neighbours (mean over members, sum over hyperedges).
    This is DHG's ``UniSAGEConv`` with ``is_last=True``: the activation, batch norm and dropout
    that DHG puts after a non-last layer belong to the model here
    (:class:`~hgnn.models.UniSAGE`). DHG and the original code ignore hyperedge weights; here
    :math:`w(e)` scales hyperedge :math:`e`'s message, so the three agree on unit weights.

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

    smoothing = staticmethod(unisage_smoothing)
