"""Hypergraph attention (Bai et al., Pattern Recognition 2021), as PyG's ``HypergraphConv(use_attention=True)``."""
from __future__ import annotations

from typing import Any, overload

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._pyg_args import resolve_hypergraph
from hgnn.nn.conv._utils import check_features, check_int, check_probability
from hgnn.nn.conv.base import NodeConv
from hgnn.nn.sparse_input import linear_forward
from hgnn.ops import accumulate_in_float32, inv_pow, scatter, scatter_softmax
from hgnn.structure import Hypergraph, incidence_matmul

ATTENTION_MODES = ("node", "edge")
NORMALIZATIONS = ("structure", "attention")


@accumulate_in_float32
def attention_propagation(x: Tensor, alpha: Tensor, hg: Hypergraph) -> Tensor:
    r"""PyG's attention propagation :math:`D^{-1} H_\alpha B^{-1} H_\alpha^\top X` per head.

    .. math::
        z_e = \frac{1}{|e|} \sum_{i:\,e_i = e} \alpha_i\, x_{v_i}, \qquad
        x'_v = \frac{1}{d(v)} \sum_{i:\,v_i = v} \alpha_i\, z_{e_i}, \qquad
        d(v) = \sum_{i:\,v_i = v} w(e_i)

    with :math:`|e|` the number of incidences of :math:`e` and :math:`0^{-1} := 0`.

    Args:
        x: ``[N, heads, F]`` node features.
        alpha: ``[nnz, heads]`` attention coefficient of each incidence.
        hg: the hypergraph (its weights enter :math:`d(v)` only).

    Returns:
        ``[N, heads, F]``.
    """
    nodes, edges = hg.hyperedge_index
    to_edge = alpha.to(x.dtype) * inv_pow(hg.edge_degree()).to(x.dtype)[edges].unsqueeze(-1)
    to_node = alpha.to(x.dtype) * inv_pow(hg.node_degree(weighted=True)).to(x.dtype)[nodes].unsqueeze(-1)
    z = incidence_matmul(x, hg, "node_to_edge", to_edge)
    return incidence_matmul(z, hg, "edge_to_node", to_node)


def _safe_reciprocal(value: Tensor) -> Tensor:
    """:math:`1 / v` with :math:`1 / 0 := 0`, with finite gradients everywhere."""
    return torch.where(value > 0, value.clamp_min(torch.finfo(value.dtype).tiny).reciprocal(), value.new_zeros(()))


@accumulate_in_float32
def attention_weighted_propagation(x: Tensor, alpha: Tensor, hg: Hypergraph) -> Tensor:
    r"""Attention propagation normalised by the attention-weighted degrees, per head.

    .. math::
        z_e = \frac{\sum_{i:\,e_i = e} \alpha_i\, x_{v_i}}{\sum_{i:\,e_i = e} \alpha_i}, \qquad
        x'_v = \frac{\sum_{i:\,v_i = v} w(e_i)\, \alpha_i\, z_{e_i}}{\sum_{i:\,v_i = v} w(e_i)\, \alpha_i}

    (:math:`D_\alpha^{-1} H_\alpha W B_\alpha^{-1} H_\alpha^\top X` with the degrees of the
    attention-weighted incidence matrix :math:`H_\alpha`, :math:`0^{-1} := 0`): every hyperedge
    is an attention-weighted mean of its members and every node one of its hyperedges, so the
    output keeps the scale of ``x`` whatever the hyperedge sizes and node degrees.

    Args:
        x: ``[N, heads, F]`` node features.
        alpha: ``[nnz, heads]`` non-negative attention coefficient of each incidence.
        hg: the hypergraph (its hyperedge weights weigh the second mean).

    Returns:
        ``[N, heads, F]``.
    """
    nodes, edges = hg.hyperedge_index
    a = alpha.to(x.dtype)
    node_side = a * hg.edge_weight.to(x.dtype).index_select(0, edges).unsqueeze(-1)
    to_edge = a * _safe_reciprocal(scatter(a, edges, hg.num_edges)).index_select(0, edges)
    to_node = node_side * _safe_reciprocal(scatter(node_side, nodes, hg.num_nodes)).index_select(0, nodes)
    z = incidence_matmul(x, hg, "node_to_edge", to_edge)
    return incidence_matmul(z, hg, "edge_to_node", to_node)


class HypergraphAttentionConv(NodeConv):
    r"""Hypergraph attention: PyG's ``HypergraphConv(use_attention=True)``, after Bai, Zhang & Torr,
    "Hypergraph Convolution and Hypergraph Attention", Pattern Recognition 2021.

    Nodes and hyperedges share the map :math:`\Theta` (``[F_in, heads * F_out]``); each incidence
    :math:`i = (v, e)` gets one score per head :math:`k`,

    .. math::
        s_i^{k} = \mathrm{LeakyReLU}\big(a_k^\top [\,x_v \Theta_k \,\Vert\, u_e \Theta_k\,]\big),
        \qquad \alpha_i^{k} = \mathrm{softmax}_{\text{group}(i)}(s^{k})_i

    (``attention_mode="node"``: the softmax runs over the members of each hyperedge;
    ``"edge"``: over the hyperedges of each node), then after dropout on :math:`\alpha`

    .. math::
        X'^{k} = D^{-1} H_{\alpha^k} B^{-1} H_{\alpha^k}^\top X\Theta_k, \qquad
        X' = \big\Vert_k X'^{k} \;\text{(or } \tfrac{1}{\text{heads}}\textstyle\sum_k X'^{k}\text{)} + b

    with :math:`u_e` the hyperedge features (``hyperedge_attr``, required, ``[M, F_in]``),
    :math:`H_\alpha` the incidence matrix holding :math:`\alpha_i` at each incidence,
    :math:`D = \mathrm{diag}(Hw)` the weighted node degrees and :math:`B = \mathrm{diag}(H^\top
    \mathbf 1)` the hyperedge sizes (:math:`0^{-1} := 0`). These are PyG's numbers, which depart
    from the paper in three ways: the paper normalises symmetrically, :math:`D^{-1/2} H W B^{-1}
    H^\top D^{-1/2}`; the hyperedge weights :math:`w` enter only :math:`D`, not the propagation;
    and PyG's default softmax is over each hyperedge's members, where the paper's is over each
    node's hyperedges (``attention_mode="edge"``).

    PyG's normalisation divides by the structure's degrees on top of coefficients that already
    sum to one over each group, so every layer shrinks its input by about a hyperedge size times a
    node degree; a two-layer network of it barely trains (34% on co-citation Cora against 78% for
    HGNN). ``normalization="attention"`` divides by the degrees of the attention-weighted
    incidence matrix instead (:func:`attention_weighted_propagation`: each hyperedge an
    attention-weighted mean of its members, each node one of its hyperedges, with :math:`w`),
    which keeps the scale; :class:`~hgnn.models.HypergraphAttentionNet` uses it. Parameters are named as PyG's (``lin.weight``,
    ``att``, ``bias``), so a PyG state dict loads with :meth:`~torch.nn.Module.load_state_dict`.

    Called as ``conv(x, hg, hyperedge_attr=u)`` with a :class:`~hgnn.Hypergraph`, or as PyG's
    ``conv(x, hyperedge_index, hyperedge_weight=None, hyperedge_attr=u, num_edges=None)``;
    with a raw index, :math:`M` is ``num_edges``, else the length of ``hyperedge_weight``, else the
    rows of ``hyperedge_attr``. The mean of each hyperedge's member features,
    ``node_to_edge(x, hg, "mean")``, is a common choice of ``hyperedge_attr``.

    Args:
        in_channels: :math:`F_{in}` (of nodes and of hyperedges).
        out_channels: :math:`F_{out}` per head.
        heads: number of attention heads.
        concat: concatenate the heads (``[N, heads * F_out]``), else average them (``[N, F_out]``).
        negative_slope: slope of the LeakyReLU on the scores.
        dropout: dropout probability on the attention coefficients (training only).
        bias: learn :math:`b`.
        attention_mode: ``"node"`` (PyG's default) or ``"edge"`` (the softmax group, see above).
        normalization: ``"structure"`` (PyG's :math:`D^{-1}`, :math:`B^{-1}`, the default) or
            ``"attention"`` (the attention-weighted degrees, see above).
        cached: keep the structure of the first raw-index call (see :class:`~hgnn.nn.conv.HGNNConv`).

    Shapes:
        - **x**: ``[N, F_in]``; **hg**: a :class:`~hgnn.Hypergraph`, or **hyperedge_index**
          ``[2, nnz]`` and **hyperedge_weight** ``[M]``; **hyperedge_attr**: ``[M, F_in]``.
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
        attention_mode: str = "node",
        normalization: str = "structure",
        cached: bool = False,
    ) -> None:
        check_int(in_channels, "in_channels")
        check_int(out_channels, "out_channels")
        check_int(heads, "heads")
        check_probability(dropout, "dropout")
        if attention_mode not in ATTENTION_MODES:
            raise ValueError(f"attention_mode must be one of {ATTENTION_MODES}, got {attention_mode!r}")
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
        super().__init__(in_channels, out_channels, cached)
        self.heads = heads
        self.concat, self.negative_slope, self.dropout = bool(concat), float(negative_slope), float(dropout)
        self.attention_mode, self.normalization = attention_mode, normalization
        self.lin = nn.Linear(in_channels, heads * out_channels, bias=False)
        self.att = nn.Parameter(torch.empty(1, heads, 2 * out_channels))
        size = heads * out_channels if self.concat else out_channels
        self.bias = nn.Parameter(torch.empty(size)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform ``lin`` and ``att`` (as PyG), zero bias; forgets a cached structure."""
        nn.init.xavier_uniform_(self.lin.weight)
        bound = (6.0 / (self.heads + 2 * self.out_channels)) ** 0.5  # PyG's glorot on [heads, 2 F_out]
        nn.init.uniform_(self.att, -bound, bound)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        super().reset_parameters()

    # hyperedge_attr is required with a Hypergraph here, unlike the other node convolutions.
    @overload  # type: ignore[override]
    def forward(self, x: Tensor, hg: Hypergraph, *, hyperedge_attr: Tensor) -> Tensor: ...

    @overload
    def forward(self, x: Tensor, hyperedge_index: Tensor, /, hyperedge_weight: Tensor | None = None,
                hyperedge_attr: Tensor | None = None, num_edges: int | None = None) -> Tensor: ...

    def forward(
        self,
        x: Tensor,
        hg: Hypergraph | Tensor | None = None,
        hyperedge_weight: Tensor | None = None,
        hyperedge_attr: Tensor | None = None,
        num_edges: int | None = None,
        *,
        hyperedge_index: Tensor | None = None,
    ) -> Tensor:
        check_features(x, self.in_channels)
        hyperedge_attr = _check_hyperedge_attr(hyperedge_attr, x, self.in_channels)
        structure = hg if hg is not None else hyperedge_index
        if isinstance(structure, Tensor) and num_edges is None and hyperedge_weight is None:
            num_edges = _edges_from_attr(structure, hyperedge_attr)
        hg = resolve_hypergraph(x, hg, hyperedge_weight, None, num_edges, hyperedge_index, self._cached_structure)
        if hyperedge_attr.size(0) != hg.num_edges:
            raise ValueError(f"hyperedge_attr has {hyperedge_attr.size(0)} rows but the hypergraph has "
                             f"{hg.num_edges} hyperedges; pass one row per hyperedge")
        return self.propagate(x, hg, hyperedge_attr=hyperedge_attr)

    def propagate(self, x: Tensor, hg: Hypergraph, *, hyperedge_attr: Tensor | None = None) -> Tensor:
        """The attention of the class's formula on checked ``x`` and ``hyperedge_attr`` (required)."""
        if hyperedge_attr is None:
            hyperedge_attr = _check_hyperedge_attr(hyperedge_attr, x, self.in_channels)
        heads, channels = self.heads, self.out_channels
        xh = linear_forward(self.lin, x).view(-1, heads, channels)
        uh = self.lin(hyperedge_attr).view(-1, heads, channels)
        nodes, edges = hg.hyperedge_index
        score_node = (xh * self.att[..., :channels]).sum(-1)  # [N, heads]
        score_edge = (uh * self.att[..., channels:]).sum(-1)  # [M, heads]
        score = F.leaky_relu(score_node.index_select(0, nodes) + score_edge.index_select(0, edges),
                             self.negative_slope)
        if self.attention_mode == "node":
            alpha = scatter_softmax(score, edges, hg.num_edges)
        else:
            alpha = scatter_softmax(score, nodes, hg.num_nodes)
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)
        propagation = attention_propagation if self.normalization == "structure" else attention_weighted_propagation
        out = propagation(xh, alpha, hg)
        out = out.reshape(-1, heads * channels) if self.concat else out.mean(dim=1)
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        cached = ", cached=True" if self.cached else ""
        return (f"{self.in_channels}, {self.out_channels}, heads={self.heads}, concat={self.concat}, "
                f"attention_mode={self.attention_mode!r}, normalization={self.normalization!r}, "
                f"dropout={self.dropout}{cached}")


def _check_hyperedge_attr(hyperedge_attr: Any, x: Tensor, in_channels: int) -> Tensor:
    """``hyperedge_attr``, checked: a floating ``[M, F_in]`` tensor on ``x``'s device."""
    if hyperedge_attr is None:
        raise TypeError("HypergraphAttentionConv needs hyperedge_attr, the [num_edges, in_channels] hyperedge "
                        "features its attention compares nodes with (as PyG's HypergraphConv with attention); "
                        "e.g. pass hyperedge_attr=node_to_edge(x, hg, 'mean')")
    if not isinstance(hyperedge_attr, Tensor):
        raise TypeError(f"hyperedge_attr must be a torch.Tensor, got {type(hyperedge_attr).__name__}")
    if not hyperedge_attr.is_floating_point():
        raise TypeError(f"hyperedge_attr must be a floating tensor, got dtype {hyperedge_attr.dtype}")
    if hyperedge_attr.dim() != 2 or hyperedge_attr.size(1) != in_channels:
        raise ValueError(f"hyperedge_attr must have shape [num_edges, {in_channels}] (the layer's in_channels), "
                         f"got {list(hyperedge_attr.shape)}")
    if hyperedge_attr.device != x.device:
        raise ValueError(f"hyperedge_attr is on {hyperedge_attr.device} but x is on {x.device}; move both with "
                         ".to(device)")
    return hyperedge_attr


def _edges_from_attr(index: Tensor, hyperedge_attr: Tensor) -> int:
    """The number of hyperedges of a raw index called without ``num_edges``: the rows of ``hyperedge_attr``."""
    rows = hyperedge_attr.size(0)
    if index.dim() == 2 and index.numel() and not index.is_floating_point() and not torch.compiler.is_compiling():
        needed = int(index[1].max()) + 1
        if rows < needed:
            raise ValueError(f"hyperedge_attr has {rows} rows but hyperedge_index has hyperedge id {needed - 1}; "
                             "pass one row of hyperedge_attr per hyperedge")
    return rows
