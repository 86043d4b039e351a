"""UniGAT convolution (Huang & Yang, IJCAI 2021), as DHG's ``UniGATConv``."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_int, check_probability
from hgnn.nn.conv.base import NodeConv
from hgnn.nn.sparse_input import linear_forward
from hgnn.ops import scatter, scatter_softmax
from hgnn.structure import Hypergraph, incidence_matmul, node_to_edge


class UniGATConv(NodeConv):
    r"""UniGAT: Huang & Yang, "UniGNN: a Unified Framework for Graph and Hypergraph Neural
    Networks", IJCAI 2021; the numbers of DHG's ``UniGATConv``.

    Each hyperedge is the weighted mean of its members; each node attends over its hyperedges.
    Per head :math:`k` (with :math:`\Theta_k` and :math:`b_k` the head's slice of ``lin``):

    .. math::
        x_v^{k} = x_v \Theta_k + b_k, \qquad
        h_e^{k} = \frac{w(e)}{|e|} \sum_{u \in e} x_u^{k}, \qquad
        s_{ve}^{k} = \mathrm{clamp}\Big(\mathrm{dropout}\big(\mathrm{LeakyReLU}(
            a_{e,k}^\top h_e^{k} + a_{v,k}^\top x_v^{k})\big),\ c_{lo},\ c_{hi}\Big)

    .. math::
        x_v'^{k} = \sum_{e \ni v} \frac{\exp s_{ve}^{k}}{\sum_{e' \ni v} \exp s_{ve'}^{k}}\, h_e^{k},
        \qquad x'_v = \big\Vert_k x_v'^{k} \;\text{(or the mean over heads)}

    The clamp to :math:`[c_{lo}, c_{hi}] = [0.001, 5]` (``score_clamp``) is DHG's guard against NaN
    in training, and with it a negative or dropped score becomes :math:`0.001`, not a large
    negative number; ``score_clamp=None`` leaves the scores as the LeakyReLU gives them. A
    single head (``heads=1``) is DHG's layer with ``is_last=True`` (no activation inside);
    ``heads=h, concat=True`` equals DHG's ``MultiHeadWrapper(h, "concat", UniGATConv, ...)``. A
    node in no hyperedge gets a zero row.

    Called as ``conv(x, hg)`` with a :class:`~hgnn.Hypergraph`, or with PyG's arguments
    ``conv(x, hyperedge_index, hyperedge_weight=None, hyperedge_attr=None, num_edges=None)``
    (``hyperedge_attr`` is not used: the hyperedge features are the members' means).

    Args:
        in_channels: :math:`F_{in}`.
        out_channels: :math:`F_{out}` per head.
        heads: number of attention heads.
        concat: concatenate the heads (``[N, heads * F_out]``), else average them (``[N, F_out]``).
        negative_slope: slope of the LeakyReLU on the scores.
        dropout: dropout probability on the scores, before the clamp (DHG's ``drop_rate``,
            0.5 there by default; training only).
        bias: learn :math:`b`.
        score_clamp: ``(low, high)`` bounds of the scores, or ``None`` for no clamp.
        cached: keep the structure of the first raw-index call (see :class:`~hgnn.nn.conv.HGNNConv`).

    Shapes:
        - **x**: ``[N, F_in]``; **hg**: a :class:`~hgnn.Hypergraph`, or PyG's ``hyperedge_index``,
          ``hyperedge_weight``, ``hyperedge_attr``, ``num_edges``.
        - **output**: ``[N, heads * F_out]`` with ``concat=True``, else ``[N, F_out]``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        heads: int = 1,
        concat: bool = True,
        negative_slope: float = 0.2,
        dropout: float = 0.0,
        bias: bool = True,
        score_clamp: tuple[float, float] | None = (0.001, 5.0),
        cached: bool = False,
    ) -> None:
        check_int(in_channels, "in_channels")
        check_int(out_channels, "out_channels")
        check_int(heads, "heads")
        check_probability(dropout, "dropout")
        if score_clamp is not None:
            if len(score_clamp) != 2 or not float(score_clamp[0]) < float(score_clamp[1]):
                raise ValueError(f"score_clamp must be (low, high) with low < high, or None, got {score_clamp}")
            score_clamp = (float(score_clamp[0]), float(score_clamp[1]))
        super().__init__(in_channels, out_channels, cached)
        self.heads = heads
        self.concat, self.negative_slope, self.dropout = bool(concat), float(negative_slope), float(dropout)
        self.score_clamp = score_clamp
        self.lin = nn.Linear(in_channels, heads * out_channels, bias=bias)
        self.att_edge = nn.Parameter(torch.empty(heads, out_channels))
        self.att_node = nn.Parameter(torch.empty(heads, out_channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform ``lin``, ``att_edge`` and ``att_node``, zero bias; forgets a cached structure."""
        nn.init.xavier_uniform_(self.lin.weight)
        if self.lin.bias is not None:
            nn.init.zeros_(self.lin.bias)
        bound = (6.0 / (1 + self.out_channels)) ** 0.5  # each head's vector, as a [1, F_out] map
        nn.init.uniform_(self.att_edge, -bound, bound)
        nn.init.uniform_(self.att_node, -bound, bound)
        super().reset_parameters()

    def propagate(self, x: Tensor, hg: Hypergraph) -> Tensor:
        """The attention of the class's formula, all heads at once."""
        heads, channels = self.heads, self.out_channels
        xh = linear_forward(self.lin, x).view(-1, heads, channels)
        eh = node_to_edge(xh, hg, "mean") * hg.edge_weight.to(xh.dtype).view(-1, 1, 1)  # [M, heads, F_out]
        nodes, edges = hg.hyperedge_index
        score_edge = (eh * self.att_edge).sum(-1)  # [M, heads]
        score_node = (xh * self.att_node).sum(-1)  # [N, heads]
        score = F.leaky_relu(score_edge.index_select(0, edges) + score_node.index_select(0, nodes),
                             self.negative_slope)
        score = F.dropout(score, p=self.dropout, training=self.training)
        if self.score_clamp is not None:
            score = score.clamp(*self.score_clamp)
        alpha = scatter_softmax(score, nodes, hg.num_nodes)  # [nnz, heads]
        out = incidence_matmul(eh, hg, "edge_to_node", alpha)  # [N, heads, F_out]
        return out.reshape(-1, heads * channels) if self.concat else out.mean(dim=1)

    def extra_repr(self) -> str:
        cached = ", cached=True" if self.cached else ""
        return (f"{self.in_channels}, {self.out_channels}, heads={self.heads}, concat={self.concat}, "
                f"dropout={self.dropout}, score_clamp={self.score_clamp}{cached}")

