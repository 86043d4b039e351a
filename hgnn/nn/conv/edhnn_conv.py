"""ED-HNN convolution (Wang et al., ICLR 2023)."""
from __future__ import annotations

from typing import cast, overload

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features, check_int, check_probability
from hgnn.nn.conv.allset_conv import AGGREGATIONS
from hgnn.nn.conv.base import NodeConv
from hgnn.nn.dropout import fast_dropout
from hgnn.nn.set import SetMLP
from hgnn.ops import scatter
from hgnn.structure import Hypergraph, edge_to_node, node_to_edge


class EDHNNConv(NodeConv):
    r"""The equivariant diffusion layer of ED-HNN: Wang et al., "Equivariant Hypergraph Diffusion
    Neural Operators", ICLR 2023.

    .. math::
        m_e = \bigoplus_{u \in e} \phi(x_u), \qquad
        \tilde x_v = \bigoplus_{e \ni v} \rho\big([x_v \,\Vert\, m_e]\big), \qquad
        x'_v = \psi\big((1 - \alpha)\, \tilde x_v + \alpha\, x^{(0)}_v\big)

    with :math:`\bigoplus` the mean (ED-HNN's setting) or the sum, :math:`x^{(0)}` the initial
    features (the restart of the diffusion) and :math:`\phi, \rho, \psi` :class:`~hgnn.nn.set.SetMLP`
    of ``mlp1_layers``, ``mlp2_layers``, ``mlp3_layers`` layers (the reference's ``EquivSetConv``:
    ``W1``, ``W2``, ``W``). As there, an MLP of 0 layers is the identity, except :math:`\rho`, which
    then keeps only :math:`m_e` (the node's own part of the concatenation is dropped); the MLPs use
    the normalisation and input normalisation ED-HNN's training script passes (layer norm, on). A
    member counted twice in a hyperedge counts twice; hyperedge weights are not used; a node in no
    hyperedge gets :math:`\tilde x_v = 0`. The ED-HNN network applies one such layer (shared
    weights) several times (:class:`~hgnn.models.EDHNN`).

    With layer norm or no normalisation, :math:`\rho` never builds the ``[nnz, F_in + F_out]``
    concatenation: its first linear map is split over the two parts and applied to the node and
    hyperedge rows, its input layer norm follows from each part's mean and variance, and its last
    linear map runs after the aggregation (``hgnn.nn.conv.edhnn_conv.pair_mlp_aggregate``).
    A :math:`\rho` of one or two layers then costs :math:`O(\mathrm{nnz}\, F_{out})` per
    incidence instead of :math:`O(\mathrm{nnz}\, (F_{in} + F_{out})\, F_{out})`; the values are
    the same up to rounding. Batch norm keeps the concatenated form (its statistics run over the
    incidences).

    Called as ``conv(x, hg, x0=...)`` or with PyG's arguments (see :class:`~hgnn.nn.conv.HGNNConv`).

    Args:
        in_channels: :math:`F_{in}`.
        out_channels: :math:`F_{out}`; equal to ``in_channels`` when ``mlp1_layers=0``.
        mlp1_layers, mlp2_layers, mlp3_layers: layers of :math:`\phi, \rho, \psi` (default 1 each).
        aggr: ``"mean"`` (default) or ``"sum"``.
        alpha: restart weight :math:`\alpha \in [0, 1]` (default 0.5).
        dropout: dropout inside the MLPs (default 0).
        norm: ``"ln"`` (default), ``"bn"`` or ``None`` in the MLPs.
        input_norm: normalise each MLP's input (default ``True``).
        cached: keep the structure of the first raw-index call (see :class:`~hgnn.nn.conv.HGNNConv`).

    Shapes:
        - **x**: ``[N, F_in]``; **hg**: :class:`~hgnn.Hypergraph` or PyG's ``hyperedge_index`` ...;
          **x0**: ``[N, F_out]`` (default ``x``, which then needs ``F_in = F_out``; unused when
          :math:`\alpha = 0`).
        - **output**: ``[N, F_out]``.
    """

    def __init__(self, in_channels: int, out_channels: int, mlp1_layers: int = 1, mlp2_layers: int = 1,
                 mlp3_layers: int = 1, aggr: str = "mean", alpha: float = 0.5, dropout: float = 0.0,
                 norm: str | None = "ln", input_norm: bool = True, cached: bool = False) -> None:
        check_int(in_channels, "in_channels")
        check_int(out_channels, "out_channels")
        for name, value in (("mlp1_layers", mlp1_layers), ("mlp2_layers", mlp2_layers),
                            ("mlp3_layers", mlp3_layers)):
            check_int(value, name, low=0)
        if mlp1_layers == 0 and in_channels != out_channels:
            raise ValueError(f"mlp1_layers=0 makes phi the identity, so in_channels ({in_channels}) must equal "
                             f"out_channels ({out_channels}); use mlp1_layers >= 1 or equal sizes")
        if aggr not in AGGREGATIONS:
            raise ValueError(f"aggr must be one of {AGGREGATIONS}, got {aggr!r}")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        dropout = check_probability(dropout)
        super().__init__(in_channels, out_channels, cached)
        self.aggr, self.alpha = aggr, float(alpha)
        self.dropout = dropout

        def mlp(a: int, layers: int) -> nn.Module:
            if layers == 0:
                return nn.Identity()
            return SetMLP(a, out_channels, out_channels, layers, self.dropout, norm, input_norm)

        self.phi = mlp(in_channels, mlp1_layers)
        self.rho = mlp(in_channels + out_channels, mlp2_layers) if mlp2_layers else None
        self.psi = mlp(out_channels, mlp3_layers)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default initialisation of the MLPs (as the reference)."""
        for module in (self.phi, self.rho, self.psi):
            if isinstance(module, SetMLP):
                module.reset_parameters()
        super().reset_parameters()

    @overload
    def forward(self, x: Tensor, hg: Hypergraph, *, x0: Tensor | None = None) -> Tensor: ...

    @overload
    def forward(self, x: Tensor, hyperedge_index: Tensor, /, hyperedge_weight: Tensor | None = None,
                hyperedge_attr: Tensor | None = None, num_edges: int | None = None, *,
                x0: Tensor | None = None) -> Tensor: ...

    @overload
    def forward(self, x: Tensor, *, hyperedge_index: Tensor, hyperedge_weight: Tensor | None = None,
                hyperedge_attr: Tensor | None = None, num_edges: int | None = None,
                x0: Tensor | None = None) -> Tensor: ...

    def forward(
        self,
        x: Tensor,
        hg: Hypergraph | Tensor | None = None,
        hyperedge_weight: Tensor | None = None,
        hyperedge_attr: Tensor | None = None,
        num_edges: int | None = None,
        *,
        hyperedge_index: Tensor | None = None,
        x0: Tensor | None = None,
    ) -> Tensor:
        hg = self.resolve(x, hg, hyperedge_weight, hyperedge_attr, num_edges, hyperedge_index)
        return self.propagate(x, hg, x0=x0)

    def propagate(self, x: Tensor, hg: Hypergraph, *, x0: Tensor | None = None) -> Tensor:
        """One diffusion step of the class's formula, restarted from ``x0``."""
        if self.alpha > 0:
            if x0 is None:
                if self.in_channels != self.out_channels:
                    raise ValueError(f"x0 is needed: alpha={self.alpha} mixes in x0 [N, {self.out_channels}] "
                                     f"and x has {self.in_channels} columns; pass x0=...")
                x0 = x
            check_features(x0, self.out_channels, "x0")
            if x0.size(0) != x.size(0):
                raise ValueError(f"x0 must have one row per node ({x.size(0)}), got {x0.size(0)}")
        m = node_to_edge(self.phi(x), hg, self.aggr)
        if self.rho is None:
            diffused = edge_to_node(m, hg, self.aggr)
        elif isinstance(self.rho, SetMLP) and self.rho.norm in ("ln", None):
            diffused = pair_mlp_aggregate(self.rho, x, m, hg, self.aggr)
        else:
            nodes, edges = hg.hyperedge_index
            pair = torch.cat([x.index_select(0, nodes), m.index_select(0, edges)], dim=-1)
            diffused = scatter(self.rho(pair), nodes, hg.num_nodes, self.aggr)
        if self.alpha > 0 and x0 is not None:  # x0 is set above whenever alpha > 0
            diffused = (1.0 - self.alpha) * diffused + self.alpha * x0
        return self.psi(diffused)

    def extra_repr(self) -> str:
        cached = ", cached=True" if self.cached else ""
        return f"{self.in_channels}, {self.out_channels}, aggr={self.aggr!r}, alpha={self.alpha}{cached}"


def pair_mlp_aggregate(mlp: SetMLP, x: Tensor, m: Tensor, hg: Hypergraph, aggr: str = "mean") -> Tensor:
    r"""``scatter(mlp(cat([x[v], m[e]])), v)`` over the incidences :math:`(v, e)`, without the
    ``[nnz, F + D]`` concatenation and with the first and last linear maps on nodes and hyperedges.

    .. math::
        \tilde x_v = \bigoplus_{e \ni v} \mathrm{MLP}\big([x_v \,\Vert\, m_e]\big)

    The first linear map splits over the concatenation, :math:`W [x_v \Vert m_e] = A x_v + B m_e`,
    so :math:`A x` (``[N, H]``) and :math:`B m` (``[E, H]``) are computed once and added per
    incidence. A layer norm of the concatenation has per-incidence statistics that follow from each
    part's own mean and variance: with :math:`n_1, n_2` the two widths, :math:`n = n_1 + n_2` and
    :math:`d = \mu_x - \mu_m`,

    .. math::
        \mu = \frac{n_1 \mu_x + n_2 \mu_m}{n}, \qquad
        \sigma^2 = \frac{n_1 \sigma_x^2 + n_2 \sigma_m^2}{n} + \frac{n_1 n_2}{n^2} d^2,

    and :math:`W \operatorname{diag}(\gamma)` is applied to each part centred by its own mean
    (no cancellation). The last linear map commutes with the mean / sum over a node's incidences,
    so it runs on the ``[N, H]`` aggregate (its bias scaled by the incidence count for the sum,
    zero for a node in no hyperedge). An MLP of :math:`L` layers thus costs :math:`O(\mathrm{nnz}\,H)`
    plus :math:`(L - 2)` per-incidence hidden layers instead of :math:`O(\mathrm{nnz}\,(F + D) H)`
    for the first; the values equal the concatenated form up to rounding, and so do the gradients.

    Args:
        mlp: a :class:`~hgnn.nn.set.SetMLP` with ``norm="ln"`` or ``None`` and ``F + D`` inputs.
        x: node features ``[N, F]``; m: hyperedge features ``[E, D]``.
        hg: the hypergraph; aggr: ``"mean"`` or ``"sum"``.

    Returns:
        ``[N, out]``.
    """
    nodes, edges = hg.hyperedge_index
    n1, n2 = x.size(-1), m.size(-1)
    lins = cast("list[nn.Linear]", list(mlp.lins))
    hidden_norms = cast("list[nn.Module]", list(mlp.norms))
    first = lins[0]
    weight = first.weight
    if isinstance(mlp.input_norm, nn.LayerNorm):
        norm = mlp.input_norm
        n = n1 + n2
        mean_x, mean_m = x.mean(-1, keepdim=True), m.mean(-1, keepdim=True)
        var_x = (x - mean_x).pow(2).mean(-1, keepdim=True)
        var_m = (m - mean_m).pow(2).mean(-1, keepdim=True)
        if norm.weight is not None:
            weight = weight * norm.weight
        a, b = weight[:, :n1], weight[:, n1:]
        xa = (x - mean_x) @ a.t()
        mb = (m - mean_m) @ b.t()
        # The shift of each part from the pair's mean, times W diag(gamma) 1 of that part.
        shift = (n2 / n) * a.sum(1) - (n1 / n) * b.sum(1)
        d = mean_x.index_select(0, nodes) - mean_m.index_select(0, edges)
        var = (n1 * var_x.index_select(0, nodes) + n2 * var_m.index_select(0, edges)) / n + (n1 * n2 / n**2) * d.pow(2)
        h = (xa.index_select(0, nodes) + mb.index_select(0, edges) + d * shift) * torch.rsqrt(var + norm.eps)
        bias = first.weight @ norm.bias if norm.bias is not None else None
        if first.bias is not None:
            bias = first.bias if bias is None else bias + first.bias
        if bias is not None:
            h = h + bias
    else:
        h = (x @ weight[:, :n1].t()).index_select(0, nodes) + (m @ weight[:, n1:].t()).index_select(0, edges)
        if first.bias is not None:
            h = h + first.bias
    if len(lins) == 1:
        return scatter(h, nodes, hg.num_nodes, aggr)
    h = fast_dropout(hidden_norms[0](F.relu(h)), mlp.dropout, mlp.training)
    for lin, hidden_norm in zip(lins[1:-1], hidden_norms[1:]):
        h = fast_dropout(hidden_norm(F.relu(lin(h))), mlp.dropout, mlp.training)
    last = lins[-1]
    out = scatter(h, nodes, hg.num_nodes, aggr) @ last.weight.t()
    if last.bias is not None:
        count = hg.node_degree().to(out.dtype).unsqueeze(-1)  # incidences per node
        out = out + (count if aggr == "sum" else count.clamp(max=1)) * last.bias
    return out
