"""A plain multi-layer perceptron: the structure-free baseline and LightHGNN's student."""
from __future__ import annotations

from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features, check_probability


class MLP(nn.Module):
    r"""``num_layers`` linear layers with ReLU, optional batch norm, and dropout between them.

    .. math::
        H^{(0)} = X, \quad
        H^{(l)} = \mathrm{dropout}\big(\mathrm{BN}(\mathrm{ReLU}(H^{(l-1)} W^{(l)} + b^{(l)}))\big),
        \quad Z = H^{(L-1)} W^{(L)} + b^{(L)}

    ``X`` is ``[N, F]``, ``Z`` is ``[N, C]``. The hypergraph argument of :meth:`forward` is accepted
    and ignored, so an ``MLP`` drops in wherever a hypergraph model ``model(x, hg)`` is expected
    (the no-structure baseline of the benchmarks, the student of LightHGNN).

    Args:
        in_channels: input size :math:`F`.
        out_channels: output size :math:`C`.
        hidden_channels: width of the hidden layers (default 32).
        num_layers: number of linear layers :math:`L \ge 1` (default 2).
        dropout: dropout probability after each hidden layer (default 0.5).
        use_bn: batch normalisation after each hidden activation.
    """

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int = 32, num_layers: int = 2,
                 dropout: float = 0.5, use_bn: bool = False) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        check_probability(dropout, "dropout")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.dropout = dropout
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.lins = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden_channels) if use_bn else nn.Identity()
                                   for _ in range(num_layers - 1))

    def reset_parameters(self) -> None:
        """Re-initialise every linear layer (and batch norm)."""
        for module in list(self.lins) + list(self.norms):
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def embed(self, x: Tensor, hg: Any = None) -> Tensor:
        r"""The last hidden representation :math:`H^{(L-1)}` (``[N, hidden]``; ``x`` itself when
        ``num_layers == 1``): what LightHGNN's topology-aware score is computed on."""
        check_features(x, self.in_channels)
        for lin, norm in zip(self.lins[:-1], self.norms):
            x = F.dropout(norm(F.relu(lin(x))), self.dropout, self.training)
        return x

    def forward(self, x: Tensor, hg: Any = None) -> Tensor:
        """``x`` ``[N, F]`` -> ``[N, C]``; ``hg`` is ignored."""
        return self.lins[-1](self.embed(x))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
                f"num_layers={len(self.lins)})")
