"""The two-layer network shared by the HGNN family of models."""
from __future__ import annotations

from typing import ClassVar

import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.structure import Hypergraph


class TwoLayerHypergraphNet(nn.Module):
    r"""``conv -> ReLU -> [BatchNorm] -> dropout -> conv``, the layout of DHG's ``HGNN``/``HGNNP``.

    .. math::
        Z = \mathrm{conv}_2\big(\mathrm{dropout}(\mathrm{BN}(\mathrm{ReLU}(\mathrm{conv}_1(X))))\big)

    ``Z`` (``[N, C]``) are logits. Subclasses set :attr:`conv` to the convolution class.

    Args:
        in_channels: input feature size :math:`F`.
        out_channels: number of classes :math:`C`.
        hidden_channels: hidden size (default 32).
        dropout: dropout probability between the layers (default 0.5).
        use_bn: batch normalisation after the first activation (DHG's ``use_bn``).
    """

    conv: ClassVar[type[nn.Module]]

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        hidden_channels: int = 32,
        dropout: float = 0.5,
        use_bn: bool = False,
    ) -> None:
        super().__init__()
        self.conv1 = self.conv(in_channels, hidden_channels)
        self.norm = nn.BatchNorm1d(hidden_channels) if use_bn else nn.Identity()
        self.conv2 = self.conv(hidden_channels, out_channels, dropout=dropout)

    def reset_parameters(self) -> None:
        """Re-initialise both convolutions (and the batch norm)."""
        self.conv1.reset_parameters()
        self.conv2.reset_parameters()
        if isinstance(self.norm, nn.BatchNorm1d):
            self.norm.reset_parameters()

    def embed(self, x: Tensor, hg: Hypergraph | Tensor) -> Tensor:
        r"""The hidden representation :math:`\mathrm{BN}(\mathrm{ReLU}(\mathrm{conv}_1(X, G)))`,
        ``[N, hidden]`` (before the second layer's dropout)."""
        return self.norm(F.relu(self.conv1(x, hg)))

    def forward(self, x: Tensor, hg: Hypergraph | Tensor) -> Tensor:
        """``x`` ``[N, F]``, ``hg`` a :class:`~hgnn.Hypergraph` (or ``hyperedge_index``) -> ``[N, C]``."""
        return self.conv2(self.embed(x, hg), hg)
