"""AllSet convolutions: AllDeepSets and AllSetTransformer (Chien et al., ICLR 2022)."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from hgnn.nn.conv._utils import check_int, check_probability
from hgnn.nn.dropout import fast_dropout
from hgnn.nn.conv.base import NodeConv
from hgnn.nn.set import PMA, SetMLP
from hgnn.structure import Hypergraph, edge_to_node, node_to_edge

AGGREGATIONS = ("sum", "mean")


class _AllSetConv(NodeConv):
    """The two halves V -> E, E -> V shared by both AllSet layers."""

    def __init__(self, in_channels: int, out_channels: int, dropout: float, cached: bool) -> None:
        check_int(in_channels, "in_channels")
        check_int(out_channels, "out_channels")
        dropout = check_probability(dropout)
        super().__init__(in_channels, out_channels, cached)
        self.dropout = dropout

    def multiset(self, x: Tensor, hg: Hypergraph, direction: str) -> Tensor:
        """One multiset function over every hyperedge (``"node_to_edge"``) or node (``"edge_to_node"``)."""
        raise NotImplementedError

    def propagate(self, x: Tensor, hg: Hypergraph) -> Tensor:
        """Pool every hyperedge's members, then every node's hyperedges (see the subclasses)."""
        e = F.relu(self.multiset(x, hg, "node_to_edge"))
        e = fast_dropout(e, self.dropout, self.training)
        return F.relu(self.multiset(e, hg, "edge_to_node"))

    def extra_repr(self) -> str:
        cached = ", cached=True" if self.cached else ""
        return f"{self.in_channels}, {self.out_channels}, dropout={self.dropout}{cached}"


class AllDeepSetsConv(_AllSetConv):
    r"""AllDeepSets: Chien et al., "You are AllSet: A Multiset Function Framework for Hypergraph
    Neural Networks", ICLR 2022, with Deep Sets multiset functions.

    Every hyperedge pools its members, then every node pools its hyperedges, each with
    :math:`f(S) = \mathrm{ReLU}\big(\rho\big(\bigoplus_{s \in S} \mathrm{dropout}(\mathrm{ReLU}(\phi(s)))\big)\big)`:

    .. math::
        z_e = \mathrm{ReLU}\Big(\rho_{V\to E}\Big(\bigoplus_{v \in e}
              \mathrm{dropout}\big(\mathrm{ReLU}(\phi_{V\to E}(x_v))\big)\Big)\Big)

        x'_v = \mathrm{ReLU}\Big(\rho_{E\to V}\Big(\bigoplus_{e \ni v}
              \mathrm{dropout}\big(\mathrm{ReLU}(\phi_{E\to V}(\mathrm{dropout}(z_e)))\big)\Big)\Big)

    with :math:`\bigoplus` the sum (AllDeepSets' setting in the reference) or the mean, and
    :math:`\phi, \rho` four :class:`~hgnn.nn.set.SetMLP` of ``mlp_layers`` layers, layer norm on
    their input and hidden layers and dropout inside (the reference's ``HalfNLHconv`` with
    ``Normalization='ln'``, ``InputNorm=True``). A member counted twice in a hyperedge counts
    twice; hyperedge weights are not used (the reference's incidence weights are all one); an empty
    hyperedge (a node in no hyperedge) pools the zero vector. The reference adds a singleton
    hyperedge for each node first (:meth:`~hgnn.Hypergraph.add_self_loops` with
    ``isolated_only=False``; :class:`~hgnn.models.AllDeepSets` does it).

    Called as ``conv(x, hg)`` or with PyG's arguments (see :class:`~hgnn.nn.conv.HGNNConv`).

    Args:
        in_channels: :math:`F_{in}`.
        out_channels: :math:`F_{out}`.
        hidden_channels: width of :math:`\phi, \rho` (default ``out_channels``).
        mlp_layers: layers of each MLP (default 2).
        aggr: ``"sum"`` (default) or ``"mean"``.
        dropout: dropout probability inside the layer (default 0).
        norm: ``"ln"`` (default), ``"bn"`` or ``None`` in the MLPs.
        input_norm: normalise each MLP's input (default ``True``).
        cached: keep the structure of the first raw-index call (see :class:`~hgnn.nn.conv.HGNNConv`).

    Shapes:
        - **x**: ``[N, F_in]``; **hg**: :class:`~hgnn.Hypergraph` or PyG's ``hyperedge_index`` ...
        - **output**: ``[N, F_out]`` (non-negative: the layer ends with a ReLU, as the reference).
    """

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int | None = None,
                 mlp_layers: int = 2, aggr: str = "sum", dropout: float = 0.0, norm: str | None = "ln",
                 input_norm: bool = True, cached: bool = False) -> None:
        super().__init__(in_channels, out_channels, dropout, cached)
        if aggr not in AGGREGATIONS:
            raise ValueError(f"aggr must be one of {AGGREGATIONS}, got {aggr!r}")
        hidden = out_channels if hidden_channels is None else hidden_channels
        check_int(mlp_layers, "mlp_layers")
        self.aggr = aggr

        def mlp(a: int, b: int) -> SetMLP:
            return SetMLP(a, hidden, b, mlp_layers, self.dropout, norm, input_norm)

        self.v2e_phi, self.v2e_rho = mlp(in_channels, hidden), mlp(hidden, out_channels)
        self.e2v_phi, self.e2v_rho = mlp(out_channels, hidden), mlp(hidden, out_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default initialisation of the four MLPs (as the reference)."""
        for module in (self.v2e_phi, self.v2e_rho, self.e2v_phi, self.e2v_rho):
            module.reset_parameters()
        super().reset_parameters()

    def multiset(self, x: Tensor, hg: Hypergraph, direction: str) -> Tensor:
        phi, rho = (self.v2e_phi, self.v2e_rho) if direction == "node_to_edge" else (self.e2v_phi, self.e2v_rho)
        h = fast_dropout(F.relu(phi(x)), self.dropout, self.training)
        pooled = (node_to_edge if direction == "node_to_edge" else edge_to_node)(h, hg, self.aggr)
        return rho(pooled)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, aggr={self.aggr!r}"


class AllSetTransformerConv(_AllSetConv):
    r"""AllSetTransformer: Chien et al., "You are AllSet: A Multiset Function Framework for
    Hypergraph Neural Networks", ICLR 2022, with attention-pooling multiset functions.

    .. math::
        z_e = \mathrm{ReLU}\big(\mathrm{PMA}_{V\to E}(\{x_v : v \in e\})\big), \qquad
        x'_v = \mathrm{ReLU}\big(\mathrm{PMA}_{E\to V}(\{\mathrm{dropout}(z_e) : e \ni v\})\big)

    with :class:`~hgnn.nn.set.PMA` the pooling by multihead attention with one learned seed per
    direction: keys and values are linear maps of the members, the seed scores each member with a
    leaky ReLU (slope 0.2) and a softmax over the set, the seed is added to the pooled values,
    then layer norm, a residual feed-forward of ``mlp_layers`` layers and a second layer norm (the
    reference's ``PMA``; every detail is listed there). Hyperedge weights are not used; a node in no
    hyperedge and an empty hyperedge pool the empty set (the seed alone). The reference adds a
    singleton hyperedge per node first (:class:`~hgnn.models.AllSetTransformer` does it).

    Called as ``conv(x, hg)`` or with PyG's arguments (see :class:`~hgnn.nn.conv.HGNNConv`).

    Args:
        in_channels: :math:`F_{in}`.
        out_channels: :math:`F_{out}`, divisible by ``heads``.
        heads: attention heads (default 1).
        mlp_layers: layers of each PMA's feed-forward (default 2).
        dropout: dropout probability between the two halves (default 0).
        negative_slope: slope of the leaky ReLU on the scores (default 0.2).
        cached: keep the structure of the first raw-index call (see :class:`~hgnn.nn.conv.HGNNConv`).

    Shapes:
        - **x**: ``[N, F_in]``; **hg**: :class:`~hgnn.Hypergraph` or PyG's ``hyperedge_index`` ...
        - **output**: ``[N, F_out]`` (non-negative: the layer ends with a ReLU, as the reference).
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1, mlp_layers: int = 2,
                 dropout: float = 0.0, negative_slope: float = 0.2, cached: bool = False) -> None:
        super().__init__(in_channels, out_channels, dropout, cached)
        self.heads = heads
        self.v2e = PMA(in_channels, out_channels, heads, mlp_layers, negative_slope)
        self.e2v = PMA(out_channels, out_channels, heads, mlp_layers, negative_slope)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Both PMA blocks as :meth:`hgnn.nn.set.PMA.reset_parameters`."""
        self.v2e.reset_parameters()
        self.e2v.reset_parameters()
        super().reset_parameters()

    def multiset(self, x: Tensor, hg: Hypergraph, direction: str) -> Tensor:
        nodes, edges = hg.hyperedge_index
        if direction == "node_to_edge":
            return self.v2e.pool(x, edges, hg.num_edges, nodes, hg=hg, direction=direction)
        return self.e2v.pool(x, nodes, hg.num_nodes, edges, hg=hg, direction=direction)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, heads={self.heads}"
