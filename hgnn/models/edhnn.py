"""The ED-HNN node classifier (Wang et al., ICLR 2023)."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.models.allset import with_self_loops
from hgnn.nn.conv import EDHNNConv
from hgnn.nn.conv._utils import check_int, check_probability
from hgnn.nn.dropout import fast_dropout, feature_dropout
from hgnn.nn.set import SetMLP
from hgnn.nn.sparse_input import linear_forward
from hgnn.structure import Hypergraph


class EDHNN(nn.Module):
    r"""ED-HNN: Wang et al., "Equivariant Hypergraph Diffusion Neural Operators", ICLR 2023 (the
    reference's ``EquivSetGNN``).

    .. math::
        X^{(0)} = \mathrm{ReLU}\big(\mathrm{dropout}(X) W_{in} + b_{in}\big), \quad
        X^{(l)} = \mathrm{ReLU}\big(\mathrm{conv}(\mathrm{dropout}(X^{(l-1)}), G, X^{(0)})\big), \quad
        Z = \mathrm{MLP}\big(\mathrm{dropout}(X^{(L)})\big)

    with one :class:`~hgnn.nn.conv.EDHNNConv` shared by the :math:`L` steps (the diffusion
    operator is the same at every step, as in the reference), on :math:`G` with a singleton
    hyperedge added for every node not already alone in one (``self_loops=False`` skips it). The
    defaults are the reference's Cora command (one step, :math:`\phi` and :math:`\rho` identities,
    :math:`\psi` one layer, 256 channels, mean aggregation, :math:`\alpha = 0`, layer norm, a
    linear classifier, dropout 0.5); train with Adam, learning rate 0.001, no weight decay, 500
    epochs.

    Args:
        in_channels: input size :math:`F`.
        out_channels: number of classes :math:`C`.
        hidden_channels: width :math:`D` (default 256).
        dropout: dropout probability (default 0.5).
        num_layers: diffusion steps :math:`L` (default 1).
        mlp1_layers, mlp2_layers, mlp3_layers: layers of :math:`\phi, \rho, \psi` (default 0, 0, 1).
        classifier_hidden, classifier_layers: the classifier MLP (default 256, 1 layer).
        aggr: ``"mean"`` (default) or ``"sum"``.
        alpha: restart weight (default 0).
        norm: ``"ln"`` (default), ``"bn"`` or ``None``.
        self_loops: add the singleton hyperedges (default ``True``).
    """

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int = 256, dropout: float = 0.5,
                 num_layers: int = 1, mlp1_layers: int = 0, mlp2_layers: int = 0, mlp3_layers: int = 1,
                 classifier_hidden: int = 256, classifier_layers: int = 1, aggr: str = "mean", alpha: float = 0.0,
                 norm: str | None = "ln", self_loops: bool = True) -> None:
        super().__init__()
        check_int(num_layers, "num_layers")
        check_probability(dropout, "dropout")
        self.dropout, self.num_layers, self.self_loops = dropout, num_layers, bool(self_loops)
        self.lin_in = nn.Linear(in_channels, hidden_channels)
        self.conv = EDHNNConv(hidden_channels, hidden_channels, mlp1_layers, mlp2_layers, mlp3_layers, aggr, alpha,
                              dropout, norm)
        self.classifier = SetMLP(hidden_channels, classifier_hidden, out_channels, classifier_layers, dropout,
                                 norm, input_norm=False)

    def reset_parameters(self) -> None:
        """Re-initialise the input map, the layer and the classifier."""
        self.lin_in.reset_parameters()
        self.conv.reset_parameters()
        self.classifier.reset_parameters()

    def embed(self, x: Tensor, hg: Hypergraph | Tensor) -> Tensor:
        """The node representation after the last step (``[N, hidden]``, before the classifier's dropout)."""
        hg = with_self_loops(x, hg) if self.self_loops else hg
        x = F.relu(linear_forward(self.lin_in, feature_dropout(x, self.dropout, self.training)))
        x0 = x
        for _ in range(self.num_layers):
            x = F.relu(self.conv(fast_dropout(x, self.dropout, self.training), hg, x0=x0))
        return x

    def forward(self, x: Tensor, hg: Hypergraph | Tensor) -> Tensor:
        """``x`` ``[N, F]``, ``hg`` a :class:`~hgnn.Hypergraph` (or ``hyperedge_index``) -> ``[N, C]`` logits."""
        return self.classifier(fast_dropout(self.embed(x, hg), self.dropout, self.training))
