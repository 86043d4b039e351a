"""Node-encoder baselines for edge-dependent node classification: score every incidence from
its node's embedding and its hyperedge's mean embedding."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from hgnn.models.hgnn import HGNN
from hgnn.models.hgnnp import HGNNP
from hgnn.models.hnhn import HNHN
from hgnn.models.unigcn import UniGCN
from hgnn.nn import MLP
from hgnn.ops import scatter
from hgnn.structure import Hypergraph, as_hypergraph, node_to_edge
from hgnn.structure.subgraph import _rows

__all__ = ["ENCODERS", "IncidenceScorer"]

#: ``encoder`` name -> node encoder class ``(in, out, hidden_channels=, dropout=)``.
ENCODERS = {"hgnn": HGNN, "hgnnp": HGNNP, "hnhn": HNHN, "unigcn": UniGCN, "mlp": MLP}


def _check_incidences(incidences: Tensor, nnz: int) -> Tensor:
    """Incidence ids as int64, from ids or a ``[nnz]`` boolean mask; checked against ``nnz``."""
    if not isinstance(incidences, Tensor):
        raise TypeError(f"incidences must be a torch.Tensor of incidence ids, got {type(incidences).__name__}")
    if incidences.dtype == torch.bool:
        if incidences.shape != (nnz,):
            raise ValueError(f"a boolean incidences mask must have shape [nnz]=[{nnz}], got {list(incidences.shape)}")
        return incidences.nonzero().view(-1)
    if incidences.is_floating_point() or incidences.is_complex() or incidences.dim() != 1:
        raise TypeError(f"incidences must be a 1-D integer tensor of incidence ids (columns of hyperedge_index) "
                        f"or a [nnz] boolean mask, got dtype {incidences.dtype} and shape {list(incidences.shape)}")
    if incidences.numel() and (int(incidences.min()) < 0 or int(incidences.max()) >= nnz):
        raise ValueError(f"incidences must lie in [0, nnz={nnz}), got ids from {int(incidences.min())} to "
                         f"{int(incidences.max())}")
    return incidences.long()


def _edge_means(h: Tensor, hg: Hypergraph, edges: Tensor) -> Tensor:
    r""":math:`z_{e} = \frac{1}{|e|}\sum_{u \in e} h_u` for each entry of ``edges`` (``[T]`` ->
    ``[T, d]``), reading only the incidences of those hyperedges, not all ``nnz``."""
    wanted, inverse = torch.unique(edges, return_inverse=True)
    perm, ptr = hg.edge_order()
    members = hg.hyperedge_index[0, _rows(perm, ptr, wanted)]  # hyperedge by hyperedge
    segment = torch.repeat_interleave(torch.arange(wanted.numel(), device=h.device), ptr[wanted + 1] - ptr[wanted])
    means = scatter(h.index_select(0, members), segment, wanted.numel(), "mean")
    return means.index_select(0, inverse)


class IncidenceScorer(nn.Module):
    r"""A node encoder, a hyperedge embedding, and a per-incidence classifier: the baselines of
    edge-dependent node classification (the "sm" scorer of WHATsNet / CoNHD, ``FC`` on the node
    and hyperedge embeddings, with hyperedge embeddings taken as node means).

    .. math::
        H &= \mathrm{Enc}(X, G) \in \mathbb{R}^{N \times d}, \qquad
        z_e = \frac{1}{|e|} \sum_{u \in e} h_u \\
        \hat{y}_{v,e} &= \mathrm{MLP}\big([\, h_v \,\Vert\, z_e \,\Vert\, p_{v,e} \,]\big)
            \in \mathbb{R}^{C}

    with :math:`\mathrm{Enc}` a two-layer :class:`~hgnn.models.HGNN`, :class:`~hgnn.models.HGNNP`,
    :class:`~hgnn.models.HNHN` or
    :class:`~hgnn.models.UniGCN` (output size :math:`d`, no final activation) or a two-layer
    :class:`~hgnn.nn.MLP` (no structure), :math:`|e|` counting incidences (a repeated member counts
    twice), :math:`p_{v,e}` the optional order positional encoding
    (:func:`~hgnn.nn.conv.conhd_conv.incidence_positional_encoding`, only with ``pe_channels > 0``)
    and :math:`\mathrm{MLP}` two linear layers, :math:`W_2\,\mathrm{dropout}(\mathrm{ReLU}(W_1 u))`.
    Without :math:`p` a node gets the same logits in two hyperedges only if the hyperedges' means
    coincide: edge dependence comes from :math:`z_e` alone.

    :attr:`num_hops` is the number of hyperedge -> node -> hyperedge hops
    (:func:`~hgnn.loader.hyperedge_neighborhood`) whose incidences determine the targets' logits
    exactly: 0 for the MLP encoder (the target hyperedges' members), :math:`2K + 1` for
    :math:`K = 2` message-passing layers (each layer reads the members of the node's hyperedges;
    the extra hop gives the outermost nodes their full degrees for the normalisations).

    Args:
        in_channels: node feature size :math:`F`.
        num_classes: :math:`C`.
        encoder: ``"hgnn"``, ``"hgnnp"``, ``"hnhn"``, ``"unigcn"`` or ``"mlp"``.
        hidden_channels: :math:`d`, the encoder's hidden and output size and the scorer's width.
        dropout: dropout inside the encoder and the scorer.
        pe_channels: :math:`K` positional-encoding columns fed to the scorer (0: none).

    Shapes:
        - **x** ``[N, F]``, **hg**, **pe** ``[nnz, K]`` (or ``None``) -> ``[nnz, C]`` logits, one
          row per incidence (column of ``hyperedge_index``), as :class:`~hgnn.models.CoNHD`.
    """

    def __init__(self, in_channels: int, num_classes: int, encoder: str = "hgnn", hidden_channels: int = 64,
                 dropout: float = 0.5, pe_channels: int = 0) -> None:
        super().__init__()
        key = encoder.lower() if isinstance(encoder, str) else encoder
        if key not in ENCODERS:
            raise ValueError(f"unknown encoder {encoder!r}; choose from {sorted(ENCODERS)}")
        if isinstance(pe_channels, bool) or not isinstance(pe_channels, int) or pe_channels < 0:
            raise ValueError(f"pe_channels must be a non-negative int, got {pe_channels!r}")
        self.in_channels, self.num_classes = in_channels, num_classes
        self.encoder_name, self.hidden_channels, self.pe_channels = key, hidden_channels, pe_channels
        self.encoder = ENCODERS[key](in_channels, hidden_channels, hidden_channels=hidden_channels, dropout=dropout)
        self.scorer = MLP(2 * hidden_channels + pe_channels, num_classes, hidden_channels=hidden_channels,
                          num_layers=2, dropout=dropout)

    @property
    def num_hops(self) -> int:
        return 0 if self.encoder_name == "mlp" else 5

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.scorer.reset_parameters()

    def parameter_groups(self) -> list[list[nn.Parameter]]:
        """Encoder and scorer parameters, clipped separately (as the reference's embedder/scorer)."""
        return [list(self.encoder.parameters()), list(self.scorer.parameters())]

    def forward(self, x: Tensor, hg: Hypergraph | Tensor, pe: Tensor | None = None,
                incidences: Tensor | None = None) -> Tensor:
        """Logits ``[nnz, C]``, or only those of ``incidences`` (``[T]`` incidence ids or a ``[nnz]``
        boolean mask, ``[T, C]``):
        the encoder and the hyperedge means still see the whole hypergraph, but the scorer runs on
        the requested rows only (a training step needs its batch's, not all ``nnz``)."""
        hg = as_hypergraph(hg, x.size(0))
        if self.pe_channels and (pe is None or pe.dim() != 2 or pe.shape != (hg.num_incidences, self.pe_channels)):
            raise ValueError(f"pe must be [nnz={hg.num_incidences}, {self.pe_channels}]")
        h = self.encoder(x, hg)
        nodes, edges = hg.hyperedge_index
        if incidences is None:
            z = node_to_edge(h, hg, reduce="mean").index_select(0, edges)
        else:
            incidences = _check_incidences(incidences, hg.num_incidences)
            nodes, edges = nodes[incidences], edges[incidences]
            pe = None if pe is None else pe[incidences]
            z = _edge_means(h, hg, edges)
        parts = [h.index_select(0, nodes), z]
        if self.pe_channels:
            parts.append(pe.to(h.dtype))
        return self.scorer(torch.cat(parts, dim=-1))

    def extra_repr(self) -> str:
        return f"encoder={self.encoder_name!r}, pe_channels={self.pe_channels}"
