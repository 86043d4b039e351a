"""The multi-layer perceptron of the AllSet and ED-HNN reference code, with input normalisation."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_int, check_probability
from hgnn.nn.dropout import fast_dropout

NORMS = ("ln", "bn", None)


def _norm(kind: str | None, channels: int) -> nn.Module:
    if kind == "ln":
        return nn.LayerNorm(channels)
    if kind == "bn":
        return nn.BatchNorm1d(channels)
    return nn.Identity()


def check_norm(norm: object) -> str | None:
    """Check a normalisation name: ``"ln"`` (layer norm), ``"bn"`` (batch norm) or ``None``."""
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    return norm  # type: ignore[return-value]


class SetMLP(nn.Module):
    r"""The MLP the multiset layers of AllSet (Chien et al., ICLR 2022) and ED-HNN (Wang et al.,
    ICLR 2023) are built from.

    .. math::
        H^{(0)} = \mathrm{N}_{in}(X), \quad
        H^{(l)} = \mathrm{dropout}\big(\mathrm{N}_l(\mathrm{ReLU}(H^{(l-1)} W^{(l)} + b^{(l)}))\big),
        \quad Y = H^{(L-1)} W^{(L)} + b^{(L)}

    with :math:`\mathrm{N}` a layer norm, a batch norm or the identity, applied to the input only
    when ``input_norm`` is set and after each hidden activation (the order of the reference
    code's ``MLP``: activation, then normalisation, then dropout). One layer is a plain linear map
    after the optional input normalisation.

    Args:
        in_channels: input size :math:`F`.
        hidden_channels: width of the hidden layers.
        out_channels: output size :math:`D`.
        num_layers: number of linear layers :math:`L \ge 1`.
        dropout: dropout probability after each hidden layer.
        norm: ``"ln"``, ``"bn"`` or ``None``.
        input_norm: normalise the input with ``norm`` first.

    Shapes:
        - **x**: ``[n, F]``; **output**: ``[n, D]``.
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_layers: int,
                 dropout: float = 0.0, norm: str | None = "ln", input_norm: bool = False) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("hidden_channels", hidden_channels),
                            ("out_channels", out_channels), ("num_layers", num_layers)):
            check_int(value, name)
        check_probability(dropout, "dropout")
        self.norm = check_norm(norm)
        self.dropout = dropout
        self.in_channels, self.out_channels = in_channels, out_channels
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.lins = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.input_norm = _norm(norm if input_norm else None, in_channels)
        self.norms = nn.ModuleList(_norm(norm, hidden_channels) for _ in range(num_layers - 1))

    def reset_parameters(self) -> None:
        """PyTorch's default initialisation of every linear layer, unit normalisations."""
        for module in [*self.lins, self.input_norm, *self.norms]:
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        x = self.input_norm(x)
        for lin, norm in zip(self.lins[:-1], self.norms):
            x = fast_dropout(norm(F.relu(lin(x))), self.dropout, self.training)
        return self.lins[-1](x)

    def extra_repr(self) -> str:
        return f"num_layers={len(self.lins)}, norm={self.norm!r}, dropout={self.dropout}"
