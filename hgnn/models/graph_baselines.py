"""Node-GNN graph classifiers built from PyG layers: the baselines of EHGNN's graph classification
table (Jo et al., NeurIPS 2021), sharing :class:`~hgnn.models.HyperDropNet`'s readout and head so
that only the layer and the pooling differ."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.models.hyperdrop_net import readout
from hgnn.nn.conv._utils import check_features, check_int

CONVS = ("gcn", "gin")
POOLS = (None, "sag", "topk", "gmt")


def _head(in_dim: int, d: int, num_classes: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, d), nn.ReLU(), nn.Dropout(dropout), nn.Linear(d, d // 2), nn.ReLU(),
                         nn.Dropout(dropout), nn.Linear(d // 2, num_classes))


class GraphClassifier(nn.Module):
    r"""A node-GNN graph classifier: ``conv`` layers, optional ``pool``, readout, MLP head.

    With ``pool=None``, ``"sag"`` or ``"topk"``, after each layer :math:`l`

    .. math::
        X_l = \mathrm{ReLU}(\mathrm{Conv}_l(X_{l-1}, G_l)), \qquad
        r = r + [\max \Vert \mathrm{mean} \Vert \mathrm{sum}](X_l)

    and, for ``"sag"`` (Lee et al., ICML 2019) / ``"topk"`` (Gao & Ji, ICML 2019), nodes are pooled
    to :math:`\lceil \rho\, n_g \rceil` per graph before the next layer (:math:`G_{l+1}` is the
    induced subgraph). With ``"gmt"`` (Baek et al., ICLR 2021) the readout is instead PyG's
    Graph Multiset Transformer over the last layer's nodes (:math:`k = \lceil \rho\, \bar n
    \rceil` seeds). The head is ``in -> d -> d/2 -> C`` with ReLU and dropout.

    ``"gmt"`` is a simplification of the paper's model (PyG's aggregation: one head, no layer
    norm, linear rather than GNN keys and values); on ENZYMES it stays at chance (``benchmarks/ehgnn/README.md``).

    Args:
        in_channels: node features.
        num_classes: :math:`C`.
        conv: ``"gcn"`` (Kipf & Welling) or ``"gin"`` (Xu et al., two-layer MLPs, ``eps = 0``).
        pool: ``None``, ``"sag"``, ``"topk"`` or ``"gmt"``.
        hidden_channels: :math:`d`.
        num_layers: :math:`L`.
        ratio: :math:`\rho` for the node pools; for ``"gmt"``, the seeds are
            ``ceil(ratio * avg_nodes)``.
        avg_nodes: mean nodes per graph (``"gmt"`` only).
        dropout: dropout in the head.

    Shapes:
        - **x**: ``[n, in_channels]``; **edge_index**: ``[2, m]``; **batch**: ``[n]``.
        - **output**: ``[B, C]`` logits.
    """

    def __init__(self, in_channels: int, num_classes: int, conv: str = "gcn", pool: str | None = None,
                 hidden_channels: int = 128, num_layers: int = 3, ratio: float = 0.5, avg_nodes: float = 30.0,
                 dropout: float = 0.5) -> None:
        from torch_geometric.nn import GCNConv, GINConv, SAGPooling, TopKPooling
        from torch_geometric.nn.aggr import GraphMultisetTransformer

        super().__init__()
        check_int(in_channels, "in_channels")
        check_int(num_classes, "num_classes")
        check_int(num_layers, "num_layers")
        if conv not in CONVS:
            raise ValueError(f"conv must be one of {CONVS}, got {conv!r}")
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
        self.in_channels, self.num_layers, self.pool_kind = in_channels, num_layers, pool
        d = hidden_channels

        def layer(i: int) -> nn.Module:
            c_in = in_channels if i == 0 else d
            if conv == "gcn":
                return GCNConv(c_in, d)
            return GINConv(nn.Sequential(nn.Linear(c_in, d), nn.ReLU(), nn.Linear(d, d)))

        self.convs = nn.ModuleList(layer(i) for i in range(num_layers))
        if pool in ("sag", "topk"):
            make = (lambda: SAGPooling(d, ratio)) if pool == "sag" else (lambda: TopKPooling(d, ratio))
            self.pools = nn.ModuleList(make() for _ in range(num_layers - 1))
        else:
            self.pools = nn.ModuleList()
        self.gmt = GraphMultisetTransformer(d, k=max(1, math.ceil(ratio * avg_nodes))) if pool == "gmt" else None
        self.head = _head(d if pool == "gmt" else 3 * d, d, num_classes, dropout)

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor | None = None, edge_attr: Tensor | None = None,
                num_graphs: int | None = None) -> Tensor:
        check_features(x, self.in_channels)
        if batch is None:
            batch = x.new_zeros(x.size(0), dtype=torch.long)
        if num_graphs is None:
            num_graphs = int(batch.max()) + 1 if batch.numel() else 0
        rep = 0
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(x, edge_index))
            if self.gmt is None:
                rep = rep + readout(x, batch, num_graphs)
            if i < len(self.pools):
                x, edge_index, _, batch, _, _ = self.pools[i](x, edge_index, batch=batch)
        if self.gmt is not None:
            rep = self.gmt(x, batch, dim_size=num_graphs)
        return self.head(rep)
