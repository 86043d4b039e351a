"""Molecule layers for OGB-style graphs (integer atom / bond features): embeddings and a bond-aware GCN."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import scatter


class CategoricalEncoder(nn.Module):
    r"""Sum of one embedding per categorical column (OGB's ``AtomEncoder`` / ``BondEncoder`` layout).

    .. math::
        h_i = \sum_{c=1}^{C} \mathrm{Emb}_c[x_{i,c}] \in \mathbb{R}^d

    Args:
        dims: number of categories of each of the :math:`C` columns (e.g.
            ``ogb.utils.features.get_atom_feature_dims()``).
        channels: :math:`d`.

    Shapes:
        - **x**: int64 ``[n, C]`` with ``0 <= x[:, c] < dims[c]``; **output**: ``[n, d]``.
    """

    def __init__(self, dims: Sequence[int], channels: int) -> None:
        super().__init__()
        self.dims = [int(d) for d in dims]
        self.embeddings = nn.ModuleList(nn.Embedding(d, channels) for d in self.dims)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for emb in self.embeddings:
            nn.init.xavier_uniform_(emb.weight)

    def forward(self, x: Tensor) -> Tensor:
        if x.dtype not in (torch.int64, torch.int32) or x.dim() != 2 or x.size(1) != len(self.dims):
            raise ValueError(f"x must be an integer tensor [n, {len(self.dims)}], got {x.dtype} {list(x.shape)}")
        if x.numel() and (int(x.min()) < 0 or bool((x >= torch.tensor(self.dims, device=x.device)).any())):
            raise ValueError(f"x has a category out of range; column sizes are {self.dims}")
        return sum(emb(x[:, c]) for c, emb in enumerate(self.embeddings))


class EdgeGCNConv(MessagePassing):
    r"""GCN with edge features and edge weights, as in OGB's molecule examples and EHGNN's
    ``GCNConv_OGB`` (Jo et al., NeurIPS 2021):

    .. math::
        x_v' = \sum_{u \to v} \frac{w_{uv}}{\sqrt{d_u d_v}} \mathrm{ReLU}(x_u W + e_{uv} W_e)
               + \frac{1}{d_v} \mathrm{ReLU}(x_v W + r),
        \qquad d_v = 1 + \sum_{u \to v} w_{uv}

    (``d`` counts incoming weights at the target, as the reference; :math:`r` a learned root
    embedding; :math:`w = 1` without weights).

    Shapes:
        - **x**: ``[n, d]``; **edge_index**: ``[2, m]``; **edge_attr**: ``[m, d]``;
          **edge_weight**: ``[m]`` or ``None``; **output**: ``[n, d]``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__(aggr="add")
        self.lin = nn.Linear(channels, channels)
        self.lin_edge = nn.Linear(channels, channels)
        self.root = nn.Parameter(torch.empty(1, channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.lin.reset_parameters()
        self.lin_edge.reset_parameters()
        nn.init.normal_(self.root)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        x, edge_attr = self.lin(x), self.lin_edge(edge_attr)
        src, dst = edge_index
        if edge_weight is None:
            edge_weight = x.new_ones(edge_index.size(1))
        deg = scatter(edge_weight, dst, 0, dim_size=x.size(0), reduce="sum") + 1
        norm = deg[src].rsqrt() * edge_weight * deg[dst].rsqrt()
        out = self.propagate(edge_index, x=x, edge_attr=edge_attr, norm=norm)
        return out + F.relu(x + self.root) / deg.view(-1, 1)

    def message(self, x_j: Tensor, edge_attr: Tensor, norm: Tensor) -> Tensor:
        return norm.view(-1, 1) * F.relu(x_j + edge_attr)
