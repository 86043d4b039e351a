"""Compress a graph's edges into a few clusters and reconstruct them: EHGNN's HyperCluster
autoencoder (Jo et al., NeurIPS 2021) and a node-only counterpart."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features, check_int
from hgnn.nn.conv.ehgnn_conv import EHGNNConv
from hgnn.nn.pool.hypercluster import HyperCluster
from hgnn.transforms.dht import reference_dual


class HyperClusterAutoencoder(nn.Module):
    r"""Edge reconstruction through :class:`~hgnn.nn.HyperCluster`: the reference's
    ``Model_HyperCluster`` (Jo et al., "Edge Representation Learning with Hypergraphs", NeurIPS 2021).

    On the dual hypergraph :math:`G^*` of the graph (edges as nodes; self-loop hyperedges,
    singletons dropped), with edge features :math:`E` only:

    .. math::
        Z = \mathrm{ReLU}\circ\mathrm{EHGNNConv}^{(L)} \circ \dots \circ
            \mathrm{ReLU}\circ\mathrm{EHGNNConv}^{(1)}(E), \qquad
        (P, A) = \mathrm{HyperCluster}(Z), \quad P \in \mathbb{R}^{k \times d},

    .. math::
        \hat E = \mathrm{EHGNNConv}_{out}\big(\mathrm{ReLU}\circ\mathrm{EHGNNConv}'^{(L)} \circ \dots
            (A^\top P)\big) \in \mathbb{R}^{m \times C}

    so every edge is rebuilt from :math:`k` cluster vectors per graph and the dual's connectivity.
    Trained with cross-entropy against the edge classes.

    Args:
        edge_channels: :math:`C`, one-hot edge classes in and logits out.
        hidden_channels: :math:`d`.
        num_clusters: :math:`k` (the reference: :math:`\lceil 0.15\, \bar m \rceil`).
        num_layers: :math:`L` encoder and decoder layers each.
        heads: attention heads of the clustering.
        layer_norm: HyperCluster's layer norms.

    Shapes:
        - **edge_attr**: ``[m, C]``; **edge_index**: ``[2, m]``; **batch**: ``[n]``.
        - **output**: ``[m, C]`` logits.
    """

    def __init__(self, edge_channels: int, hidden_channels: int = 32, num_clusters: int = 4, num_layers: int = 2,
                 heads: int = 1, layer_norm: bool = False) -> None:
        super().__init__()
        check_int(num_layers, "num_layers")
        self.edge_channels = edge_channels
        d = hidden_channels
        self.encoder = nn.ModuleList(EHGNNConv(edge_channels if i == 0 else d, d) for i in range(num_layers))
        self.pool = HyperCluster(d, num_clusters, heads, layer_norm)
        self.decoder = nn.ModuleList(EHGNNConv(d, d) for _ in range(num_layers))
        self.out = EHGNNConv(d, edge_channels)

    def forward(self, edge_attr: Tensor, edge_index: Tensor, batch: Tensor) -> Tensor:
        check_features(edge_attr, self.edge_channels, "edge_attr")
        dual = reference_dual(edge_index, batch.numel())
        num_graphs = int(batch.max()) + 1 if batch.numel() else 0
        z = edge_attr
        for conv in self.encoder:
            z = F.relu(conv(z, dual))
        clusters = self.pool(z, dual, batch[edge_index[0]], num_graphs)
        z = self.pool.unpool(*clusters)
        for conv in self.decoder:
            z = F.relu(conv(z, dual))
        return self.out(z, dual)


class NodeClusterAutoencoder(nn.Module):
    r"""The node-only counterpart of :class:`HyperClusterAutoencoder`: it sees the node features
    and the connectivity but no edge features, clusters *nodes* the same way (multiset attention,
    softmax over the seeds) and predicts each edge's class from its two unpooled endpoints:

    .. math::
        H = \mathrm{GCN}^{(L)}(X), \quad (P, A) = \mathrm{cluster}(H), \quad
        \tilde H = A^\top P, \quad \hat e_{uv} = \mathrm{MLP}\big([\tilde h_u + \tilde h_v \,\Vert\,
        \tilde h_u \odot \tilde h_v]\big)

    (symmetric in :math:`u, v`). What it gets right is what node types alone imply about edges.

    Args:
        in_channels: node features.
        num_edge_classes: :math:`C`.
        hidden_channels: :math:`d`.
        num_clusters: :math:`k`.
        num_layers: GCN layers.

    Shapes:
        - **x**: ``[n, in_channels]``; **edge_index**: ``[2, m]``; **batch**: ``[n]``.
        - **output**: ``[m, C]`` logits.
    """

    def __init__(self, in_channels: int, num_edge_classes: int, hidden_channels: int = 32, num_clusters: int = 4,
                 num_layers: int = 2) -> None:
        from torch_geometric.nn import GCNConv

        super().__init__()
        check_int(num_layers, "num_layers")
        check_int(num_clusters, "num_clusters")
        self.in_channels = in_channels
        d = hidden_channels
        self.convs = nn.ModuleList(GCNConv(in_channels if i == 0 else d, d) for i in range(num_layers))
        self.seeds = nn.Parameter(torch.empty(1, num_clusters, d))
        self.lin_q, self.lin_k, self.lin_v, self.lin_o = (nn.Linear(d, d) for _ in range(4))
        self.edge_mlp = nn.Sequential(nn.Linear(2 * d, d), nn.ReLU(), nn.Linear(d, num_edge_classes))
        nn.init.xavier_uniform_(self.seeds)

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor) -> Tensor:
        from torch_geometric.utils import to_dense_batch

        check_features(x, self.in_channels)
        h = x
        for conv in self.convs:
            h = F.relu(conv(h, edge_index))
        num_graphs = int(batch.max()) + 1 if batch.numel() else 0
        dense, mask = to_dense_batch(h, batch, batch_size=num_graphs)
        q = self.lin_q(self.seeds).expand(dense.size(0), -1, -1)
        logits = q @ self.lin_k(dense).transpose(1, 2) / math.sqrt(q.size(-1))
        assign = torch.softmax(logits, dim=1) * mask[:, None, :]  # over seeds
        pooled = q + assign @ self.lin_v(dense)
        pooled = pooled + F.relu(self.lin_o(pooled))
        h = (assign.transpose(1, 2) @ pooled)[mask]
        u, v = h[edge_index[0]], h[edge_index[1]]
        return self.edge_mlp(torch.cat([u + v, u * v], dim=-1))
