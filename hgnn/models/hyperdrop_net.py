"""The EHGNN graph classifier with HyperDrop (Jo et al., NeurIPS 2021)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features, check_int
from hgnn.nn.conv.ehgnn_conv import EHGNNConv
from hgnn.nn.pool.hyperdrop import HyperDrop
from hgnn.transforms.dht import reference_dual


def readout(x: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
    r"""``[max || mean || sum]`` pooling of node features per graph: ``[n, d]`` -> ``[B, 3d]``."""
    from torch_geometric.nn import global_add_pool, global_max_pool, global_mean_pool

    return torch.cat([global_max_pool(x, batch, num_graphs), global_mean_pool(x, batch, num_graphs),
                      global_add_pool(x, batch, num_graphs)], dim=1)


class HyperDropNet(nn.Module):
    r"""Graph classification with edge dropping: the HyperDrop model of Jo et al., "Edge
    Representation Learning with Hypergraphs", NeurIPS 2021 (the reference's ``Model_HyperDrop``).

    For layers :math:`l = 1, \dots, L` (graph :math:`G_1 = G`, edge features :math:`E_1` the
    input ones, or ones), with :math:`G^*_l` the dual hypergraph of :math:`G_l`:

    .. math::
        X_l = \mathrm{ReLU}\big(\mathrm{GCN}_l(X_{l-1}, G_l, w_l)\big), \qquad
        r = r + [\max \,\Vert\, \mathrm{mean} \,\Vert\, \mathrm{sum}](X_l)

    and, for :math:`l < L`, edge message passing then dropping,

    .. math::
        E_{l+1}' = \mathrm{ReLU}\big(\mathrm{EHGNNConv}_l(E_l, G^*_l)\big), \qquad
        (G_{l+1}, E_{l+1}, w_{l+1}) = \mathrm{HyperDrop}_l(E_{l+1}', G_l)

    (``HyperDrop`` keeps :math:`\lceil \rho\, m_g \rceil` edges per graph; :math:`w` are its
    clamped scores, used as GCN edge weights). The graph representation :math:`r \in
    \mathbb{R}^{3d}` goes through an MLP ``3d -> d -> d/2 -> C`` with ReLU and dropout.

    Args:
        in_channels: node features.
        edge_channels: edge features (1 for graphs without them: ones are used).
        num_classes: :math:`C`.
        hidden_channels: :math:`d` (node and edge hidden size).
        num_layers: :math:`L`.
        ratio: :math:`\rho`, the fraction of each graph's edges kept per HyperDrop.
        dropout: dropout in the MLP head.

    Shapes:
        - **x**: ``[n, in_channels]``; **edge_index**: ``[2, m]``; **batch**: ``[n]``;
          **edge_attr**: ``[m, edge_channels]`` or ``None``.
        - **output**: ``[B, C]`` logits.
    """

    def __init__(self, in_channels: int, edge_channels: int, num_classes: int, hidden_channels: int = 128,
                 num_layers: int = 3, ratio: float = 0.8, dropout: float = 0.5) -> None:
        from torch_geometric.nn import GCNConv

        super().__init__()
        for name, value in (("in_channels", in_channels), ("edge_channels", edge_channels),
                            ("num_classes", num_classes), ("hidden_channels", hidden_channels),
                            ("num_layers", num_layers)):
            check_int(value, name)
        self.in_channels, self.edge_channels, self.num_classes = in_channels, edge_channels, num_classes
        self.num_layers = num_layers
        d = hidden_channels
        self.convs = nn.ModuleList(GCNConv(in_channels if i == 0 else d, d) for i in range(num_layers))
        self.edge_convs = nn.ModuleList(EHGNNConv(edge_channels if i == 0 else d, d) for i in range(num_layers - 1))
        self.drops = nn.ModuleList(HyperDrop(d, ratio) for _ in range(num_layers - 1))
        self.head = nn.Sequential(nn.Linear(3 * d, d), nn.ReLU(), nn.Dropout(dropout), nn.Linear(d, d // 2),
                                  nn.ReLU(), nn.Dropout(dropout), nn.Linear(d // 2, num_classes))

    def reset_parameters(self) -> None:
        for mod in [*self.convs, *self.edge_convs, *self.drops]:
            mod.reset_parameters()
        for mod in self.head:
            if isinstance(mod, nn.Linear):
                mod.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor | None = None,
                edge_attr: Tensor | None = None, num_graphs: int | None = None) -> Tensor:
        check_features(x, self.in_channels)
        if batch is None:
            batch = x.new_zeros(x.size(0), dtype=torch.long)
        if num_graphs is None:
            num_graphs = int(batch.max()) + 1 if batch.numel() else 0
        if edge_attr is None:
            edge_attr = x.new_ones(edge_index.size(1), self.edge_channels)
        check_features(edge_attr, self.edge_channels, "edge_attr")
        edge_weight, rep = None, 0
        for i in range(self.num_layers):
            x = F.relu(self.convs[i](x, edge_index, edge_weight))
            if i < self.num_layers - 1:
                dual = reference_dual(edge_index, x.size(0))
                edge_attr = F.relu(self.edge_convs[i](edge_attr, dual))
                edge_index, edge_attr, edge_weight, _ = self.drops[i](edge_attr, edge_index, batch, dual)
            rep = rep + readout(x, batch, num_graphs)
        return self.head(rep)


class HyperDropMolNet(nn.Module):
    r"""HyperDrop for OGB molecules: the reference's ``Model_HyperDrop_OGB`` (Jo et al., NeurIPS 2021).

    As :class:`HyperDropNet`, with atoms and bonds embedded by :class:`~hgnn.nn.CategoricalEncoder`
    (:math:`X_0`, :math:`E_1` in :math:`\mathbb{R}^d`) and the node layers
    :class:`~hgnn.nn.EdgeGCNConv` (bond features enter the messages; HyperDrop's clamped
    scores are their edge weights). The head outputs ``num_tasks`` logits for ``BCEWithLogitsLoss``.

    Args:
        atom_dims / bond_dims: category counts of the atom / bond columns
            (``ogb.utils.features.get_atom_feature_dims()`` / ``get_bond_feature_dims()``).
        num_tasks: outputs (1 for ogbg-molhiv).
        hidden_channels, num_layers, ratio, dropout: as :class:`HyperDropNet`.
        drop: ``False`` gives the plain edge-featured GCN baseline (no dual convolutions, no dropping).

    Shapes:
        - **x**: int64 ``[n, len(atom_dims)]``; **edge_index**: ``[2, m]``; **batch**: ``[n]``;
          **edge_attr**: int64 ``[m, len(bond_dims)]``; **output**: ``[B, num_tasks]``.
    """

    def __init__(self, atom_dims: Sequence[int], bond_dims: Sequence[int], num_tasks: int = 1,
                 hidden_channels: int = 128, num_layers: int = 3, ratio: float = 0.8, dropout: float = 0.5,
                 drop: bool = True) -> None:
        from hgnn.nn.mol import CategoricalEncoder, EdgeGCNConv

        super().__init__()
        check_int(num_layers, "num_layers")
        d = hidden_channels
        self.num_layers = num_layers
        self.drop = bool(drop)
        self.atoms = CategoricalEncoder(atom_dims, d)
        self.bonds = CategoricalEncoder(bond_dims, d)
        self.convs = nn.ModuleList(EdgeGCNConv(d) for _ in range(num_layers))
        n_drop = num_layers - 1 if self.drop else 0
        self.edge_convs = nn.ModuleList(EHGNNConv(d, d) for _ in range(n_drop))
        self.drops = nn.ModuleList(HyperDrop(d, ratio) for _ in range(n_drop))
        self.head = nn.Sequential(nn.Linear(3 * d, d), nn.ReLU(), nn.Dropout(dropout), nn.Linear(d, d // 2),
                                  nn.ReLU(), nn.Dropout(dropout), nn.Linear(d // 2, num_tasks))

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor | None = None, edge_attr: Tensor | None = None,
                num_graphs: int | None = None) -> Tensor:
        if edge_attr is None:
            raise ValueError("edge_attr (int64 bond features) is required")
        if batch is None:
            batch = edge_index.new_zeros(x.size(0))
        if num_graphs is None:
            num_graphs = int(batch.max()) + 1 if batch.numel() else 0
        x, edge_attr = self.atoms(x), self.bonds(edge_attr)
        edge_weight, rep = None, 0
        for i in range(self.num_layers):
            x = F.relu(self.convs[i](x, edge_index, edge_attr, edge_weight))
            if i < len(self.drops):
                dual = reference_dual(edge_index, x.size(0))
                edge_attr = F.relu(self.edge_convs[i](edge_attr, dual))
                edge_index, edge_attr, edge_weight, _ = self.drops[i](edge_attr, edge_index, batch, dual)
            rep = rep + readout(x, batch, num_graphs)
        return self.head(rep)
