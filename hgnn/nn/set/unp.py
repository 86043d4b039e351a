"""Unweighted pooling (UNP) permutation-equivariant block on flat, unpadded groups."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features, check_int, check_probability
from hgnn.nn.set.attention import check_group, check_num_groups
from hgnn.ops import scatter


def _mlp(in_channels: int, hidden_channels: int, out_channels: int, num_layers: int, dropout: float,
         layer_norm: bool) -> nn.Sequential:
    """The reference's MLP: [LN] -> (Linear -> ReLU -> [LN] -> Dropout) x (L-1) -> Linear."""
    layers: list[nn.Module] = [nn.LayerNorm(in_channels)] if layer_norm else []
    sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), nn.ReLU()]
        if layer_norm:
            layers.append(nn.LayerNorm(b))
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class UNP(nn.Module):
    r"""Unweighted pooling block of CoNHD (Zheng & Worring, CIKM 2025; after ED-HNN): every row
    is updated from itself and the mean of its group.

    .. math::
        \mathrm{out}_i = \mathrm{MLP}_2\Big(\big[\, h_i \,\big\Vert\,
            \tfrac{1}{|G_{g(i)}|} \textstyle\sum_{j \,:\, g(j) = g(i)} \mathrm{MLP}_1(h_j) \big]\Big)

    as in the reference (``model/CoNHD_GD.py``, ``UNP``): :math:`\mathrm{MLP}_1: F \to C`,
    :math:`\mathrm{MLP}_2: F + C \to C`, each ``num_layers`` linear layers with ReLU and dropout
    between them (hidden width ``hidden_channels``); with ``layer_norm=True`` each MLP also
    normalises its input and every hidden activation (the reference's ``ln=True``, off by
    default). The mean is a segment mean (:func:`hgnn.ops.scatter`), no padding. Permutation
    equivariant within each group, independent across groups; time and memory :math:`O(n)`.

    Args:
        in_channels: input size :math:`F`.
        out_channels: output size :math:`C`.
        hidden_channels: hidden width of both MLPs (default ``out_channels``; CoNHD uses
            :math:`F = C =` hidden).
        dropout: dropout after each hidden layer of both MLPs (training only; reference default 0).
        num_layers: linear layers per MLP, ``>= 1`` (reference default 2).
        layer_norm: layer norms inside the MLPs (reference ``ln``, default off).

    Shapes:
        - **h**: ``[n, F]``; **group**: ``[n]`` int64 ids in ``[0, num_groups)``, in any order.
        - **output**: ``[n, C]``.
    """

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int | None = None,
                 dropout: float = 0.0, num_layers: int = 2, layer_norm: bool = False) -> None:
        super().__init__()
        hidden_channels = out_channels if hidden_channels is None else hidden_channels
        check_probability(dropout, "dropout")
        check_int(num_layers, "num_layers")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.hidden_channels = hidden_channels
        self.dropout = dropout
        self.num_layers = num_layers
        self.layer_norm = bool(layer_norm)
        self.mlp1 = _mlp(in_channels, hidden_channels, out_channels, num_layers, dropout, self.layer_norm)
        self.mlp2 = _mlp(in_channels + out_channels, hidden_channels, out_channels, num_layers, dropout,
                         self.layer_norm)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default ``nn.Linear`` initialisation (as the reference), unit layer norms."""
        for module in list(self.mlp1) + list(self.mlp2):
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, h: Tensor, group: Tensor, num_groups: int) -> Tensor:
        check_features(h, self.in_channels, "h")
        num_groups = check_num_groups(num_groups)
        group = check_group(group, h.size(0), num_groups)
        pooled = scatter(self.mlp1(h), group, num_groups, "mean")  # [num_groups, C]
        return self.mlp2(torch.cat([h, pooled.index_select(0, group)], dim=-1))

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, hidden_channels={self.hidden_channels}, "
                f"dropout={self.dropout}, num_layers={self.num_layers}, layer_norm={self.layer_norm}")
