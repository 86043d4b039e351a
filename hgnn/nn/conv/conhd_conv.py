"""CoNHD convolution: one diffusion step on co-representations (Zheng & Worring, CIKM 2025)."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_int, check_probability
from hgnn.nn.dropout import fast_dropout
from hgnn.nn.set import ISAB, SAB, UNP
from hgnn.structure import Hypergraph, as_hypergraph

__all__ = ["CoNHDConv", "incidence_positional_encoding"]

OPERATORS = ("unp", "isab", "sab")
VARIANTS = ("gd", "admm")


def incidence_positional_encoding(hg: Hypergraph | Tensor, centralities: Tensor) -> Tensor:
    r"""CoNHD's order positional encoding of every incidence: the dense rank of its node among
    the members of its hyperedge, by each node centrality, divided by the hyperedge size.

    For incidence :math:`i = (v, e)` and centrality :math:`c_k`:

    .. math::
        \mathrm{pe}_{ik} = \frac{1 + \big|\{c_k(u) : u \in e,\ c_k(u) < c_k(v)\}\big|}{|e|}

    where the set counts *distinct* values (dense rank, ascending, starting at 1: equal
    centralities share a rank and the next larger value gets the next integer), and :math:`|e|`
    counts incidences (a node listed twice in :math:`e` counts twice, and both of its incidences
    get the same rank). So :math:`\mathrm{pe}_{ik} \in (0, 1]`, and it is 1 only when :math:`v`
    is the unique-valued maximum of a hyperedge whose members all differ. This is
    ``make_order(feats)`` then ``orders[vorder] / len(feats)`` of the reference loader
    (``utils/data_load.py`` of ``zhengyijia/CoNHD``, itself WHATsNet's), the same vector for
    the within-hyperedge and the within-node operator.

    Values are compared exactly, as the reference does on Python floats: pass ``float64``
    centralities to reproduce it where two values differ only beyond ``float32`` precision.
    Vectorised: one stable sort by value and one stable sort by hyperedge per column (no Python
    loop over hyperedges); :math:`O(\mathrm{nnz} \log \mathrm{nnz} \cdot K)`.

    Args:
        hg: a :class:`~hgnn.Hypergraph` with :math:`N` nodes, or a raw ``hyperedge_index``.
        centralities: ``[N, K]`` node centralities (e.g. degree, eigenvector, PageRank, k-core,
            the reference's order), real-valued and finite.

    Returns:
        ``[nnz, K]`` encodings in incidence (column) order, of ``centralities``' dtype when it is
        floating, else of the default dtype.

    Raises:
        TypeError: ``centralities`` not a real tensor.
        ValueError: ``centralities`` not ``[N, K]``, or holding NaN/inf.
    """
    if not isinstance(centralities, Tensor):
        raise TypeError(f"centralities must be a torch.Tensor, got {type(centralities).__name__}")
    if centralities.dtype == torch.bool or centralities.is_complex():
        raise TypeError(f"centralities must be real-valued, got dtype {centralities.dtype}")
    if centralities.dim() != 2:
        raise ValueError(
            f"centralities must have shape [num_nodes, K], got {list(centralities.shape)}; "
            "use centralities.unsqueeze(1) for a single measure"
        )
    hg = as_hypergraph(hg, centralities.size(0))
    if centralities.device != hg.device:
        raise ValueError(f"centralities is on {centralities.device} but the hypergraph on {hg.device}")
    if centralities.is_floating_point() and not bool(torch.isfinite(centralities).all()):
        raise ValueError("centralities must be finite (no NaN or inf)")
    dtype = centralities.dtype if centralities.is_floating_point() else torch.get_default_dtype()
    nodes, edges = hg.hyperedge_index
    nnz, k = nodes.numel(), centralities.size(1)
    if nnz == 0 or k == 0:
        return torch.zeros(nnz, k, dtype=dtype, device=hg.device)

    values = centralities.index_select(0, nodes)  # [nnz, K]
    # Sort every column by (hyperedge, value): stable by value, then stable by hyperedge.
    order = torch.sort(values, dim=0, stable=True).indices
    by_edge = torch.sort(edges[order], dim=0, stable=True).indices
    order = order.gather(0, by_edge)
    edge_sorted = edges[order]
    value_sorted = values.gather(0, order)
    # A new dense rank starts at every hyperedge boundary and every change of value.
    new = torch.ones(nnz, k, dtype=torch.long, device=hg.device)
    new[1:] = ((edge_sorted[1:] != edge_sorted[:-1]) | (value_sorted[1:] != value_sorted[:-1])).long()
    count = torch.cumsum(new, dim=0)
    # Sorted by hyperedge first, hyperedge e occupies the sorted positions [ptr[e], ptr[e + 1]).
    _, ptr = hg.edge_order()
    first = ptr[:-1][edge_sorted]
    rank = count - count.gather(0, first) + 1
    size = hg.edge_degree().to(dtype)[edge_sorted]
    out = torch.empty(nnz, k, dtype=dtype, device=hg.device)
    out.scatter_(0, order, rank.to(dtype) / size)
    return out


def _check_rows(value: Any, rows: int, channels: int, name: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating tensor, got dtype {value.dtype}; use {name}.float()")
    if value.dim() != 2 or value.size(0) != rows or value.size(1) != channels:
        raise ValueError(
            f"{name} must have shape [nnz={rows}, {channels}] (one row per incidence), got {list(value.shape)}"
        )
    return value


class CoNHDConv(nn.Module):
    r"""One diffusion step of CoNHD: Zheng & Worring, "Modeling Edge-Specific Node Features
    through Co-Representation Neural Hypergraph Diffusion", CIKM 2025 (arXiv 2405.14286).

    Every incidence :math:`(v, e)` carries its own *co-representation* :math:`h_{v,e}`. A step
    runs a permutation-equivariant set operator over the incidences of each hyperedge
    (:math:`\mathcal{E}(e) = \{(u, e) : u \in e\}`) and another over the incidences of each node
    (:math:`\mathcal{V}(v) = \{(v, f) : f \ni v\}`), each a stack of ``num_set_layers`` blocks
    :math:`\Phi` (``UNP``, ``ISAB`` or ``SAB`` from :mod:`hgnn.nn.set`), then mixes the results.
    The order positional encoding :math:`p_{v,e}` (:func:`incidence_positional_encoding`) enters
    each operator through its own linear projection, added to its input. With
    :math:`\phi_\mathcal{E}(X)_{v,e} = \mathrm{dropout}\big(\Phi_\mathcal{E}\big(\{x_{u,e} +
    P_\mathcal{E}\, p_{u,e} + b_\mathcal{E}\}_{(u,e) \in \mathcal{E}(e)}\big)_{v,e}\big)` and
    :math:`\phi_\mathcal{V}` alike over :math:`\mathcal{V}(v)`:

    **Gradient-diffusion variant** (``variant="gd"``, ``CoNHD_GD_Layer``):

    .. math::
        h^{t+1}_{v,e} = \mathrm{LN}\Big(W \big[\, h^t_{v,e} \,\Vert\, \phi_\mathcal{E}(h^t)_{v,e}
            \,\Vert\, \phi_\mathcal{V}(h^t)_{v,e} \,\Vert\, h^0_{v,e} \big] + b\Big),
        \qquad W \in \mathbb{R}^{d \times 4d}

    **ADMM variant** (``variant="admm"``, ``CoNHD_ADMM_Layer``), carrying one message per
    incidence and side, :math:`z_\mathcal{E}` and :math:`z_\mathcal{V}` (both :math:`h^0` at the
    first step):

    .. math::
        z^{t+1}_\mathcal{E} &= z^t_\mathcal{E} + \phi_\mathcal{E}(2h^t - z^t_\mathcal{E}) - h^t,
        \qquad
        z^{t+1}_\mathcal{V} = z^t_\mathcal{V} + \phi_\mathcal{V}(2h^t - z^t_\mathcal{V}) - h^t \\
        h^{t+1}_{v,e} &= \mathrm{LN}\Big(W \big[\, z^{t+1}_{\mathcal{E},v,e} \,\Vert\,
            z^{t+1}_{\mathcal{V},v,e} \,\Vert\, h^0_{v,e} \big] + b\Big),
        \qquad W \in \mathbb{R}^{d \times 3d}

    :math:`h^0` are the initial co-representations (the unstructured regulariser of the
    diffusion). There is no activation after :math:`W` (the set blocks hold the nonlinearity),
    :math:`\mathrm{LN}` is the identity unless ``layer_norm=True`` (which also switches on the
    layer norms inside the set blocks), and dropout acts on the set operators' outputs only.
    All of this follows the reference code, ``model/CoNHD_GD.py`` and ``model/CoNHD_ADMM.py``
    (``zhengyijia/CoNHD``): there, ``enc_v``/``pe_v`` are the within-hyperedge operator and its
    projection, ``enc_e``/``pe_e`` the within-node ones.

    The groups are ``hyperedge_index[1]`` (within-hyperedge) and ``hyperedge_index[0]``
    (within-node), in any column order; a node listed twice in one hyperedge gives two
    incidences, each a member of both sets; a size-1 hyperedge (or a degree-1 node) is a set of
    one; ``nnz = 0`` gives an empty output. The layer is equivariant to permutations of the
    incidences and invariant to relabelling nodes or hyperedges. During training the reference
    loader caps the within-node sets at 40 sampled hyperedges per node (``--hedge_sampling 40``,
    full sets at test time); that sampling belongs to the data loader and is not done here.

    Args:
        channels: co-representation size :math:`d` (divisible by ``heads`` for ``"isab"`` and
            ``"sab"``; the reference uses 128).
        operator: the set block :math:`\Phi`: ``"unp"`` (:class:`~hgnn.nn.set.UNP`, two 2-layer
            MLPs of width :math:`d`), ``"isab"`` (:class:`~hgnn.nn.set.ISAB`) or ``"sab"``
            (:class:`~hgnn.nn.set.SAB`).
        pe_channels: number :math:`K` of positional-encoding columns; 0 for none (then ``pe``
            must be ``None``).
        num_set_layers: blocks stacked in each operator (reference ``num_att_layer``: 2 in every
            released script).
        heads: attention heads of ``"isab"``/``"sab"`` (reference 4).
        num_inducing: inducing points of ``"isab"`` (reference 4).
        dropout: dropout on each operator's output (training only; the scripts use 0.7), with
            :func:`hgnn.nn.fast_dropout`'s masks.
        variant: ``"gd"`` or ``"admm"``.
        layer_norm: the reference's ``--layernorm`` (off in every released script).

    Shapes:
        - **h**, **h0**: ``[nnz, d]``; **hg**: a :class:`~hgnn.Hypergraph` (or
          ``hyperedge_index`` ``[2, nnz]``); **pe**: ``[nnz, K]``; **messages**: a pair of
          ``[nnz, d]`` (ADMM only).
        - **output**: ``[nnz, d]``, or ``(output, (z_E, z_V))`` with ``return_messages=True``.
    """

    def __init__(
        self,
        channels: int,
        operator: str = "isab",
        pe_channels: int = 0,
        num_set_layers: int = 2,
        heads: int = 4,
        num_inducing: int = 4,
        dropout: float = 0.0,
        variant: str = "gd",
        layer_norm: bool = False,
    ) -> None:
        super().__init__()
        for name, value, low in (("channels", channels, 1), ("pe_channels", pe_channels, 0),
                                 ("num_set_layers", num_set_layers, 1)):
            check_int(value, name, low)
        if not isinstance(operator, str) or operator.lower() not in OPERATORS:
            raise ValueError(f"operator must be one of {OPERATORS}, got {operator!r}")
        if not isinstance(variant, str) or variant.lower() not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        check_probability(dropout, "dropout")
        self.channels = channels
        self.operator = operator.lower()
        self.pe_channels = pe_channels
        self.num_set_layers = num_set_layers
        self.heads = heads
        self.num_inducing = num_inducing
        self.dropout = dropout
        self.variant = variant.lower()
        self.layer_norm = bool(layer_norm)

        self.edge_ops = nn.ModuleList(self._block() for _ in range(num_set_layers))
        self.node_ops = nn.ModuleList(self._block() for _ in range(num_set_layers))
        self.lin_pe_edge = nn.Linear(pe_channels, channels) if pe_channels else None
        self.lin_pe_node = nn.Linear(pe_channels, channels) if pe_channels else None
        self.lin_update = nn.Linear((4 if self.variant == "gd" else 3) * channels, channels)
        self.norm = nn.LayerNorm(channels) if self.layer_norm else nn.Identity()
        self.reset_parameters()

    def _block(self) -> nn.Module:
        d = self.channels
        if self.operator == "unp":
            return UNP(d, d, hidden_channels=d, layer_norm=self.layer_norm)
        if self.operator == "isab":
            return ISAB(d, d, num_inducing=self.num_inducing, heads=self.heads, layer_norm=self.layer_norm)
        return SAB(d, d, heads=self.heads, layer_norm=self.layer_norm)

    def reset_parameters(self) -> None:
        """The set blocks as theirs; PyTorch's default ``nn.Linear`` initialisation for the
        projections and the update (as the reference); unit layer norm."""
        for op in list(self.edge_ops) + list(self.node_ops):
            op.reset_parameters()
        for module in (self.lin_pe_edge, self.lin_pe_node, self.lin_update, self.norm):
            if module is not None and hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def _diffuse(self, x: Tensor, ops: nn.ModuleList, lin_pe: nn.Linear | None, pe: Tensor | None,
                 group: Tensor, num_groups: int) -> Tensor:
        """``dropout(Phi(x + P pe + b))`` over the sets given by ``group``."""
        if lin_pe is not None and pe is not None:
            x = x + lin_pe(pe)
        for op in ops:
            x = op(x, group, num_groups)
        return fast_dropout(x, self.dropout, self.training)

    def forward(
        self,
        h: Tensor,
        hg: Hypergraph | Tensor,
        h0: Tensor | None = None,
        pe: Tensor | None = None,
        messages: tuple[Tensor, Tensor] | None = None,
        return_messages: bool = False,
    ) -> Tensor | tuple[Tensor, tuple[Tensor, Tensor]]:
        r"""One step.

        Args:
            h: ``[nnz, d]`` co-representations :math:`h^t`, in column order of ``hyperedge_index``.
            hg: the hypergraph.
            h0: ``[nnz, d]`` initial co-representations :math:`h^0`; ``None`` means ``h`` (the
                first step).
            pe: ``[nnz, K]`` positional encoding; required when ``pe_channels > 0``.
            messages: ADMM only: :math:`(z_\mathcal{E}, z_\mathcal{V})`; ``None`` means
                ``(h, h)`` (the first step, when ``h = h0``).
            return_messages: ADMM only: also return :math:`(z^{t+1}_\mathcal{E},
                z^{t+1}_\mathcal{V})` for the next step.
        """
        if isinstance(hg, Tensor):
            hg = Hypergraph(hg)
        elif not isinstance(hg, Hypergraph):
            raise TypeError(
                f"hg must be a Hypergraph or a [2, nnz] hyperedge_index tensor, got {type(hg).__name__}"
            )
        nnz, d = hg.num_incidences, self.channels
        h = _check_rows(h, nnz, d, "h")
        h0 = h if h0 is None else _check_rows(h0, nnz, d, "h0")
        if self.pe_channels:
            if pe is None:
                raise ValueError(
                    f"pe is required: the layer was built with pe_channels={self.pe_channels} "
                    "(see incidence_positional_encoding)"
                )
            pe = _check_rows(pe, nnz, self.pe_channels, "pe")
        elif pe is not None:
            raise ValueError("pe was given but the layer was built with pe_channels=0")
        if self.variant == "gd" and (messages is not None or return_messages):
            raise ValueError("messages / return_messages are only used by variant='admm'")

        nodes, edges = hg.hyperedge_index
        if self.variant == "gd":
            m_edge = self._diffuse(h, self.edge_ops, self.lin_pe_edge, pe, edges, hg.num_edges)
            m_node = self._diffuse(h, self.node_ops, self.lin_pe_node, pe, nodes, hg.num_nodes)
            return self.norm(self.lin_update(torch.cat([h, m_edge, m_node, h0], dim=-1)))

        if messages is None:
            z_edge, z_node = h, h
        else:
            if not isinstance(messages, (tuple, list)) or len(messages) != 2:
                raise TypeError("messages must be a pair (z_edge, z_node) of [nnz, d] tensors")
            z_edge = _check_rows(messages[0], nnz, d, "messages[0]")
            z_node = _check_rows(messages[1], nnz, d, "messages[1]")
        z_edge = z_edge + self._diffuse(2 * h - z_edge, self.edge_ops, self.lin_pe_edge, pe, edges,
                                        hg.num_edges) - h
        z_node = z_node + self._diffuse(2 * h - z_node, self.node_ops, self.lin_pe_node, pe, nodes,
                                        hg.num_nodes) - h
        out = self.norm(self.lin_update(torch.cat([z_edge, z_node, h0], dim=-1)))
        return (out, (z_edge, z_node)) if return_messages else out

    def extra_repr(self) -> str:
        return (f"{self.channels}, operator={self.operator!r}, variant={self.variant!r}, "
                f"pe_channels={self.pe_channels}, num_set_layers={self.num_set_layers}, "
                f"dropout={self.dropout}, layer_norm={self.layer_norm}")
