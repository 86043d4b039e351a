"""Deep GCN with HyperDrop for node classification (Jo et al., NeurIPS 2021, the over-smoothing study)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features, check_int
from hgnn.nn.conv.ehgnn_conv import EHGNNConv
from hgnn.nn.pool.hyperdrop import topk_per_graph
from hgnn.transforms.dht import reference_dual


class HyperDropNodeNet(nn.Module):
    r"""An :math:`L`-layer GCN whose graph is thinned by HyperDrop while training: the reference's
    ``Model_HyperDrop_Node`` (Jo et al., "Edge Representation Learning with Hypergraphs", NeurIPS 2021).

    With :math:`\hat A` the GCN-normalised adjacency of the current edges and weights:

    .. math::
        X_l = \sigma\big(\hat A_l\, \mathrm{dropout}(X_{l-1})\, \Theta_l\big), \qquad
        E_1 = [X_1[\mathrm{src}] \,\Vert\, X_1[\mathrm{dst}]],\qquad
        E_{l+1} = \mathrm{dropout}\big(\mathrm{ReLU}(\mathrm{EHGNNConv}_l(E_l, G^*_l))\big)

    (no :math:`\sigma` after the last layer). At the layers :math:`l` with
    :math:`l \bmod 4 = 1` the edges are scored, :math:`s = \tanh(\mathrm{EHGNNConv}^{s}_l(E, G^*_l))`;
    in training the best :math:`\lceil \rho m \rceil` edges are kept with weights
    :math:`\mathrm{clamp}(s, 10^{-4}, 1)`; at evaluation every edge is kept with those weights.
    ``drop=False`` is the plain :math:`L`-layer GCN baseline.

    One deviation, said plainly: the reference feeds the first layers the raw, unweighted edge list
    of its normalised adjacency (``edge_weight=None`` with ``normalize=False``: plain sums); here
    they get the GCN-normalised unit weights, as a GCN does.

    Args:
        in_channels, num_classes: features and classes.
        hidden_channels: node hidden size (the reference: 32).
        edge_channels: edge hidden size (the reference: 16).
        num_layers: :math:`L` (the reference's Cora script: 6).
        ratio: :math:`\rho`.
        dropout: on every layer's input and on the edge features.
        drop: use HyperDrop.

    Shapes:
        - **x**: ``[n, in_channels]``; **edge_index**: ``[2, m]`` (self-loops included, as in
          :math:`A + I`); **output**: ``[n, num_classes]`` logits.
    """

    def __init__(self, in_channels: int, num_classes: int, hidden_channels: int = 32, edge_channels: int = 16,
                 num_layers: int = 6, ratio: float = 0.8, dropout: float = 0.5, drop: bool = True) -> None:
        from torch_geometric.nn import GCNConv

        super().__init__()
        for name, value in (("in_channels", in_channels), ("num_classes", num_classes), ("num_layers", num_layers)):
            check_int(value, name)
        self.in_channels, self.num_layers, self.ratio, self.dropout, self.drop = (
            in_channels, num_layers, ratio, dropout, bool(drop))
        dims = [in_channels] + [hidden_channels] * (num_layers - 1) + [num_classes]
        self.convs = nn.ModuleList(GCNConv(dims[i], dims[i + 1], normalize=False) for i in range(num_layers))
        n_edge = num_layers - 1 if self.drop else 0
        self.edge_convs = nn.ModuleList(
            EHGNNConv(2 * hidden_channels if i == 0 else edge_channels, edge_channels) for i in range(n_edge))
        self.score_convs = nn.ModuleDict(
            {str(i): EHGNNConv(edge_channels, 1) for i in range(n_edge) if i % 4 == 1})

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        from torch_geometric.nn.conv.gcn_conv import gcn_norm

        check_features(x, self.in_channels)
        n = x.size(0)
        edge_index, edge_weight = gcn_norm(edge_index, None, n, add_self_loops=False)
        raw_index = edge_index
        e, dual = None, None  # the dual (and its cached operators) is rebuilt only when edges are dropped
        for i, conv in enumerate(self.convs):
            x = conv(F.dropout(x, self.dropout, self.training), edge_index, edge_weight)
            if i < self.num_layers - 1:
                x = F.relu(x)
            if not self.drop or i >= self.num_layers - 1:
                continue
            if dual is None:
                dual = reference_dual(raw_index, n)
            if e is None:
                e = torch.cat([x[raw_index[0]], x[raw_index[1]]], dim=1)
            e = F.dropout(F.relu(self.edge_convs[i](e, dual)), self.dropout, self.training)
            if str(i) not in self.score_convs:
                continue
            score = torch.tanh(self.score_convs[str(i)](e, dual).view(-1))
            if self.training:
                perm = topk_per_graph(score, self.ratio)
                raw_index, e, weight = raw_index[:, perm], e[perm], score[perm].clamp(1e-4, 1)
                dual = None
            else:
                weight = score.clamp(1e-4, 1)
            edge_index, edge_weight = gcn_norm(raw_index, weight, n, add_self_loops=False)
        return x
