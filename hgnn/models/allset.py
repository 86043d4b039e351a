"""AllSet node classifiers: AllDeepSets and AllSetTransformer (Chien et al., ICLR 2022)."""
from __future__ import annotations

from collections.abc import Sequence

import functools

import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv import AllDeepSetsConv, AllSetTransformerConv
from hgnn.nn.conv._utils import check_probability
from hgnn.nn.dropout import fast_dropout, feature_dropout
from hgnn.nn.set import SetMLP
from hgnn.structure import Hypergraph


def with_self_loops(x: Tensor, hg: Hypergraph | Tensor) -> Hypergraph:
    """``hg`` with a singleton hyperedge for every node not already alone in one (AllSet's and
    ED-HNN's preprocessing), kept on ``hg`` (:meth:`~hgnn.Hypergraph.cache`) after the first call.
    A raw ``hyperedge_index`` is read as a hypergraph on ``x.size(0)`` nodes."""
    if isinstance(hg, Tensor):
        hg = Hypergraph(hg, num_nodes=x.size(0))
    if not isinstance(hg, Hypergraph):
        raise TypeError(f"hg must be a Hypergraph or a [2, nnz] hyperedge_index tensor, got {type(hg).__name__}")
    return hg.cache(("allset", "self_loops"), functools.partial(hg.add_self_loops, isolated_only=False))


class _AllSetNet(nn.Module):
    """Input dropout, ``num_layers`` AllSet layers with dropout after each, an MLP classifier."""

    def __init__(self, convs: Sequence[nn.Module], hidden_channels: int, out_channels: int, dropout: float,
                 classifier_hidden: int, classifier_layers: int, norm: str | None, input_dropout: float,
                 self_loops: bool) -> None:
        super().__init__()
        check_probability(dropout, "dropout")
        check_probability(input_dropout, "input_dropout")
        self.dropout, self.input_dropout, self.self_loops = dropout, input_dropout, bool(self_loops)
        self.convs = nn.ModuleList(convs)
        self.classifier = SetMLP(hidden_channels, classifier_hidden, out_channels, classifier_layers, dropout,
                                 norm, input_norm=False)

    def reset_parameters(self) -> None:
        """Re-initialise every layer and the classifier."""
        for conv in self.convs:
            conv.reset_parameters()  # type: ignore[operator]
        self.classifier.reset_parameters()

    def embed(self, x: Tensor, hg: Hypergraph | Tensor) -> Tensor:
        """The node representation after the last layer (``[N, hidden]``, before the classifier)."""
        hg = with_self_loops(x, hg) if self.self_loops else hg
        x = feature_dropout(x, self.input_dropout, self.training)
        for conv in self.convs:
            x = fast_dropout(conv(x, hg), self.dropout, self.training)
        return x

    def forward(self, x: Tensor, hg: Hypergraph | Tensor) -> Tensor:
        """``x`` ``[N, F]``, ``hg`` a :class:`~hgnn.Hypergraph` (or ``hyperedge_index``) -> ``[N, C]`` logits."""
        return self.classifier(self.embed(x, hg))


class AllDeepSets(_AllSetNet):
    r"""AllDeepSets node classifier: Chien et al., "You are AllSet: A Multiset Function Framework
    for Hypergraph Neural Networks", ICLR 2022 (the reference's ``SetGNN`` without PMA).

    .. math::
        H^{(0)} = \mathrm{dropout}_{0.2}(X), \quad
        H^{(l)} = \mathrm{dropout}\big(\mathrm{AllDeepSetsConv}_l(H^{(l-1)}, G)\big), \quad
        Z = \mathrm{MLP}(H^{(L)})

    on :math:`G` with a singleton hyperedge added for every node not already alone in one (the
    reference's preprocessing; ``self_loops=False`` skips it). The defaults are the reference's
    for AllDeepSets (sum aggregation, layer norm with input norm, input dropout 0.2, dropout 0.5)
    with its Cora sizes (one layer, MLPs of 2 layers and 256 channels, a linear classifier). Train
    with Adam, learning rate 0.001, no weight decay, 500 epochs, as the reference.

    Args:
        in_channels: input size :math:`F`.
        out_channels: number of classes :math:`C`.
        hidden_channels: width of the layers (default 256).
        dropout: dropout after each layer, inside the MLPs and the classifier (default 0.5).
        num_layers: AllSet layers :math:`L` (default 1).
        mlp_layers: layers of each inner MLP (default 2).
        classifier_hidden, classifier_layers: the classifier MLP (default 256, 1 layer).
        aggr: ``"sum"`` (default) or ``"mean"``.
        norm: ``"ln"`` (default), ``"bn"`` or ``None``.
        input_dropout: dropout on the input features (default 0.2).
        self_loops: add the singleton hyperedges (default ``True``).
    """

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int = 256, dropout: float = 0.5,
                 num_layers: int = 1, mlp_layers: int = 2, classifier_hidden: int = 256, classifier_layers: int = 1,
                 aggr: str = "sum", norm: str | None = "ln", input_dropout: float = 0.2,
                 self_loops: bool = True) -> None:
        sizes = [in_channels] + [hidden_channels] * num_layers
        convs = [AllDeepSetsConv(a, b, hidden_channels, mlp_layers, aggr, dropout, norm)
                 for a, b in zip(sizes[:-1], sizes[1:])]
        super().__init__(convs, hidden_channels, out_channels, dropout, classifier_hidden, classifier_layers,
                         norm, input_dropout, self_loops)


class AllSetTransformer(_AllSetNet):
    r"""AllSetTransformer node classifier: Chien et al., "You are AllSet: A Multiset Function
    Framework for Hypergraph Neural Networks", ICLR 2022 (the reference's ``SetGNN`` with PMA).

    .. math::
        H^{(0)} = \mathrm{dropout}_{0.2}(X), \quad
        H^{(l)} = \mathrm{dropout}\big(\mathrm{AllSetTransformerConv}_l(H^{(l-1)}, G)\big), \quad
        Z = \mathrm{MLP}(H^{(L)})

    on :math:`G` with a singleton hyperedge added for every node not already alone in one. The
    defaults are the reference's Cora setting (one layer, 256 channels, 4 heads, feed-forwards of
    2 layers, a linear classifier, dropout 0.5, input dropout 0.2); train with Adam, learning rate
    0.001, no weight decay, 500 epochs.

    Args:
        in_channels: input size :math:`F`.
        out_channels: number of classes :math:`C`.
        hidden_channels: width of the layers, divisible by ``heads`` (default 256).
        dropout: dropout after each layer, between its halves and in the classifier (default 0.5).
        num_layers: AllSet layers :math:`L` (default 1).
        heads: attention heads (default 4).
        mlp_layers: layers of each PMA's feed-forward (default 2).
        classifier_hidden, classifier_layers: the classifier MLP (default 256, 1 layer).
        norm: normalisation in the classifier, ``"ln"`` (default), ``"bn"`` or ``None``.
        input_dropout: dropout on the input features (default 0.2).
        self_loops: add the singleton hyperedges (default ``True``).
    """

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int = 256, dropout: float = 0.5,
                 num_layers: int = 1, heads: int = 4, mlp_layers: int = 2, classifier_hidden: int = 256,
                 classifier_layers: int = 1, norm: str | None = "ln", input_dropout: float = 0.2,
                 self_loops: bool = True) -> None:
        sizes = [in_channels] + [hidden_channels] * num_layers
        convs = [AllSetTransformerConv(a, b, heads, mlp_layers, dropout) for a, b in zip(sizes[:-1], sizes[1:])]
        super().__init__(convs, hidden_channels, out_channels, dropout, classifier_hidden, classifier_layers,
                         norm, input_dropout, self_loops)
