"""WHATsNet for edge-dependent node classification (Choe, Kim, Yoo & Shin, KDD 2023)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features
from hgnn.nn.set import ISAB, MAB
from hgnn.structure import Hypergraph, as_hypergraph, node_to_edge

__all__ = ["WHATsNet", "WHATsNetLayer"]


class WHATsNetLayer(nn.Module):
    r"""One WHATsNet layer: within-hyperedge attention updates the hyperedges, then
    within-node attention updates the nodes (``WhatsnetLayer`` of ``young917/EdgeDependentNodeLabel``,
    ``model/Whatsnet.py``, with ``att_type OrderPE``, ``agg_type PrevQ``).

    .. math::
        a_{v,e} &= \mathrm{dropout}\big(\mathrm{ISAB}^{k}_{\mathcal{E}(e)}(\{x_u + P_V p_{u,e}\}_{u \in e})_v\big) \\
        z'_e &= W_E\, \mathrm{dropout}\big(\mathrm{MAB}(z_e, \{a_{u,e}\}_{u \in e})\big) + b_E \\
        c_{v,e} &= \mathrm{dropout}\big(\mathrm{ISAB}^{k}_{\mathcal{V}(v)}(\{z'_f + P_E p_{v,f}\}_{f \ni v})_e\big) \\
        x'_v &= W_V\, \mathrm{dropout}\big(\mathrm{MAB}(x_v, \{c_{v,f}\}_{f \ni v})\big) + b_V

    :math:`\mathrm{ISAB}^k` is ``num_att_layers`` stacked :class:`~hgnn.nn.set.ISAB` blocks over the
    incidences of one hyperedge (:math:`\mathcal{E}`) or one node (:math:`\mathcal{V}`) with the
    order positional encoding :math:`p` (:func:`~hgnn.nn.conv.conhd_conv.incidence_positional_encoding`)
    added through its own projection; :math:`\mathrm{MAB}` is the set-transformer block with the
    previous hyperedge (node) embedding as the single query ("PrevQ" aggregation).
    """

    def __init__(self, in_node: int, in_edge: int, out_node: int, out_edge: int, hidden: int = 64,
                 pe_channels: int = 0, num_att_layers: int = 2, heads: int = 4, num_inducing: int = 4,
                 dropout: float = 0.5, layer_norm: bool = False) -> None:
        super().__init__()
        self.pe_node = nn.Linear(pe_channels, in_node) if pe_channels else None
        self.pe_edge = nn.Linear(pe_channels, out_edge) if pe_channels else None
        dims = [in_node] + [hidden] * num_att_layers
        self.enc_v = nn.ModuleList(ISAB(a, b, num_inducing=num_inducing, heads=heads, layer_norm=layer_norm)
                                   for a, b in zip(dims[:-1], dims[1:]))
        self.dec_v = MAB(in_edge, dims[-1], hidden, heads=heads, layer_norm=layer_norm)
        self.lin_v = nn.Linear(hidden, out_edge)
        dims = [out_edge] + [hidden] * num_att_layers
        self.enc_e = nn.ModuleList(ISAB(a, b, num_inducing=num_inducing, heads=heads, layer_norm=layer_norm)
                                   for a, b in zip(dims[:-1], dims[1:]))
        self.dec_e = MAB(in_node, dims[-1], hidden, heads=heads, layer_norm=layer_norm)
        self.lin_e = nn.Linear(hidden, out_node)
        self.dropout = dropout

    def forward(self, x: Tensor, z: Tensor, hg: Hypergraph, pe: Tensor | None) -> tuple[Tensor, Tensor]:
        nodes, edges = hg.hyperedge_index
        n, m = hg.num_nodes, hg.num_edges
        a = x.index_select(0, nodes)
        if self.pe_node is not None:
            a = a + self.pe_node(pe)
        for block in self.enc_v:
            a = block(a, edges, m)
        a = F.dropout(a, self.dropout, self.training)
        e_ids = torch.arange(m, device=x.device)
        z = self.lin_v(F.dropout(self.dec_v(z, a, e_ids, edges, m), self.dropout, self.training))
        c = z.index_select(0, edges)
        if self.pe_edge is not None:
            c = c + self.pe_edge(pe)
        for block in self.enc_e:
            c = block(c, nodes, n)
        c = F.dropout(c, self.dropout, self.training)
        v_ids = torch.arange(n, device=x.device)
        x = self.lin_e(F.dropout(self.dec_e(x, c, v_ids, nodes, n), self.dropout, self.training))
        return x, z


class WHATsNet(nn.Module):
    r"""WHATsNet: Choe, Kim, Yoo & Shin, "Classification of Edge-Dependent Labels of Nodes in
    Hypergraphs", KDD 2023 (``young917/EdgeDependentNodeLabel``: ``model/Whatsnet.py``,
    ``model/WhatsnetClassifier.py``).

    ``num_layers`` :class:`WHATsNetLayer` s update node embeddings :math:`x_v` and hyperedge
    embeddings :math:`z_e`, then the "within-attention" classifier makes each member's embedding
    edge-dependent with ISAB over the hyperedge's members and scores it linearly:

    .. math::
        z^0_e &= \frac{1}{|e|} \sum_{u \in e} x^0_u, \qquad
        (x^{l+1}, z^{l+1}) = \mathrm{Layer}_l(x^l, z^l, G, p) \\
        \hat{y}_{v,e} &= W\, \mathrm{ISAB}^{k'}_{\mathcal{E}(e)}\big(\{x^L_u\}_{u \in e}\big)_v + b

    Hidden sizes: the first ``num_layers - 1`` layers output ``hidden_channels`` for nodes and
    hyperedges, the last ``out_channels`` (the reference's ``dim_vertex``/``dim_edge``); no
    activation between layers (the reference's ``activation`` is stored but not applied). The
    initial hyperedge embedding (mean of the members' features) is our choice. Output: ``[nnz, C]``
    logits per incidence, like :class:`~hgnn.models.CoNHD`. :attr:`num_hops` is :math:`2L`, the
    neighbourhood (:func:`~hgnn.loader.hyperedge_neighborhood`) that fixes the targets' logits.

    Args:
        in_channels: node feature size.
        num_classes: number of labels.
        hidden_channels: width of the set blocks and inner layers (reference ``dim_hidden``).
        out_channels: node/hyperedge embedding size of the last layer.
        num_layers: layers :math:`L`.
        pe_channels: order positional-encoding columns (0: none).
        num_att_layers: ISAB blocks per set operator (reference ``num_att_layer``).
        scorer_layers: ISAB blocks of the classifier (reference ``scorer_num_layers``).
        heads, num_inducing: attention heads and ISAB inducing points.
        dropout: dropout after the set operators and the aggregations.
    """

    def __init__(self, in_channels: int, num_classes: int, hidden_channels: int = 64, out_channels: int = 128,
                 num_layers: int = 2, pe_channels: int = 0, num_att_layers: int = 2, scorer_layers: int = 1,
                 heads: int = 4, num_inducing: int = 4, dropout: float = 0.5, layer_norm: bool = False) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.in_channels, self.num_classes, self.num_layers = in_channels, num_classes, num_layers
        self.pe_channels = pe_channels
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.layers = nn.ModuleList(
            WHATsNetLayer(a, a, b, b, hidden=hidden_channels, pe_channels=pe_channels,
                          num_att_layers=num_att_layers, heads=heads, num_inducing=num_inducing,
                          dropout=dropout, layer_norm=layer_norm)
            for a, b in zip(sizes[:-1], sizes[1:]))
        dims = [out_channels] + [hidden_channels] * scorer_layers
        self.scorer = nn.ModuleList(ISAB(a, b, num_inducing=num_inducing, heads=heads, layer_norm=layer_norm)
                                    for a, b in zip(dims[:-1], dims[1:]))
        self.lin_out = nn.Linear(dims[-1], num_classes)

    @property
    def num_hops(self) -> int:
        return 2 * self.num_layers

    def parameter_groups(self) -> list[list[nn.Parameter]]:
        """Embedder and scorer, clipped separately (as the reference)."""
        return [list(self.layers.parameters()), list(self.scorer.parameters()) + list(self.lin_out.parameters())]

    def check_pe(self, pe: Tensor | None, num_incidences: int, dtype: torch.dtype) -> Tensor | None:
        """``pe`` validated against ``[nnz, pe_channels]`` and cast to ``dtype`` (``None`` when the
        model takes no positional encoding)."""
        if not self.pe_channels:
            return None
        if pe is None or pe.shape != (num_incidences, self.pe_channels):
            raise ValueError(f"pe must be [nnz={num_incidences}, {self.pe_channels}]")
        return pe.to(dtype)

    def score(self, x: Tensor, hg: Hypergraph) -> Tensor:
        """The within-attention classifier: ``[nnz, C]`` logits from the last node embeddings."""
        nodes, edges = hg.hyperedge_index
        h = x.index_select(0, nodes)
        for block in self.scorer:
            h = block(h, edges, hg.num_edges)
        return self.lin_out(h)

    def forward(self, x: Tensor, hg: Hypergraph | Tensor, pe: Tensor | None = None) -> Tensor:
        check_features(x, self.in_channels)
        hg = as_hypergraph(hg, x.size(0))
        pe = self.check_pe(pe, hg.num_incidences, x.dtype)
        z = node_to_edge(x, hg, reduce="mean")
        for layer in self.layers:
            x, z = layer(x, z, hg, pe)
        return self.score(x, hg)
