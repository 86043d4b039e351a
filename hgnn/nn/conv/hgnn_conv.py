"""HGNN convolution (Feng et al., AAAI 2019)."""
from __future__ import annotations

import functools
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_probability
from hgnn.nn.conv.base import NodeConv
from hgnn.ops import accumulate_in_float32, inv_pow
from hgnn.structure import Hypergraph, node_to_node_matmul


def hgnn_normalization(hg: Hypergraph) -> tuple[Tensor, Tensor]:
    r"""Per-incidence values of the two sparse factors of HGNN's smoothing operator.

    .. math::
        L = \underbrace{D_v^{-1/2} H W}_{\text{edge}\to\text{node}}
            \;\underbrace{D_e^{-1} H^\top D_v^{-1/2}}_{\text{node}\to\text{edge}},
        \qquad d(v) = \sum_e w(e) H_{ve}, \quad \delta(e) = \sum_v H_{ve}

    Returns:
        ``(to_edge, to_node)``, each ``[nnz]``: incidence :math:`i = (v, e)` carries
        :math:`d(v)^{-1/2} / \delta(e)` in the first factor and :math:`w(e)\, d(v)^{-1/2}` in the
        second (with :math:`0^{-1} := 0`).
    """
    nodes, edges = hg.hyperedge_index
    dv = inv_pow(hg.node_degree(weighted=True), 0.5)[nodes]
    to_edge = dv * inv_pow(hg.edge_degree())[edges]
    to_node = dv * hg.edge_weight[edges]
    return to_edge, to_node


@accumulate_in_float32
def hgnn_smoothing(x: Tensor, hg: Hypergraph, backend: str | None = None) -> Tensor:
    r"""Apply :math:`L = D_v^{-1/2} H W D_e^{-1} H^\top D_v^{-1/2}` to ``x`` (``[N, F]`` -> ``[N, F]``).

    :func:`~hgnn.structure.node_to_node_matmul` with the factors of :func:`hgnn_normalization`:
    two sparse products, or one with the collapsed :math:`N \times N` matrix :math:`L` where that
    has fewer entries than the incidences (hypergraphs with many more hyperedges than nodes). The
    factors are kept on ``hg`` (:meth:`~hgnn.Hypergraph.cache`, key ``("hgnn", "normalization")``),
    built once per hypergraph, and each sparse operator once per dtype.
    """

    def factors() -> tuple[Tensor, Tensor]:
        return hg.cache(("hgnn", "normalization"), functools.partial(hgnn_normalization, hg))

    return node_to_node_matmul(x, hg, lambda: factors()[0], lambda: factors()[1], key=("hgnn", "smoothing"),
                               backend=backend)


class HGNNConv(NodeConv):
    r"""The hypergraph convolution of HGNN, Feng et al., "Hypergraph Neural Networks", AAAI 2019.

    .. math::
        X' = D_v^{-1/2} H W D_e^{-1} H^\top D_v^{-1/2} \left(\mathrm{dropout}(X)\,\Theta + b\right)

    with :math:`H \in \{0,1,\dots\}^{N \times M}` the incidence matrix, :math:`W = \mathrm{diag}(w)`
    the hyperedge weights, :math:`D_v = \mathrm{diag}(H w)` the weighted node degrees and
    :math:`D_e = \mathrm{diag}(H^\top \mathbf{1})` the hyperedge sizes; :math:`0^{-1/2} := 0`, so an
    isolated node gets a zero row. The bias is added before the smoothing, as DHG's ``HGNNConv``
    does, so the layer matches it number for number. Unlike PyG's ``HypergraphConv``, :math:`W` is
    applied in the propagation and not only in :math:`D_v`.

    Called as ``conv(x, hg)`` with a :class:`~hgnn.Hypergraph`, or as PyG's ``HypergraphConv``:
    ``conv(x, hyperedge_index, hyperedge_weight=None, hyperedge_attr=None, num_edges=None)``
    (:math:`N` = ``x.size(0)``; :math:`M` = ``num_edges``, else the length of
    ``hyperedge_weight``, else ``max(hyperedge_index[1]) + 1``; ``hyperedge_attr`` is not used, as
    by PyG's layer without attention). A raw index is turned into a hypergraph at every call unless
    the layer is built with ``cached=True``; passing a :class:`~hgnn.Hypergraph` built once caches
    the normalisation on it instead, for any number of hypergraphs.

    Args:
        in_channels: :math:`F_{in}`.
        out_channels: :math:`F_{out}`.
        bias: learn :math:`b`.
        dropout: dropout probability on the input features (training only).
        cached: keep the normalised structure of the first raw-index call and reuse it (PyG's
            ``cached``): only for transductive use, the same hypergraph at every call; a call
            with another index raises. Calls with a :class:`~hgnn.Hypergraph` are unaffected.

    Shapes:
        - **x**: ``[N, F_in]``; **hg**: a :class:`~hgnn.Hypergraph` with ``N`` nodes, or
          **hyperedge_index** ``[2, nnz]``, **hyperedge_weight** ``[M]``, **hyperedge_attr**
          ``[M, F']``.
        - **output**: ``[N, F_out]``.
    """

    smoothing = staticmethod(hgnn_smoothing)
    """The fixed operator applied after the linear map (subclasses swap it)."""

    def __init__(
        self, in_channels: int, out_channels: int, bias: bool = True, dropout: float = 0.0, cached: bool = False
    ) -> None:
        check_probability(dropout, "dropout")
        super().__init__(in_channels, out_channels, cached)
        self.dropout = dropout
        self.lin = nn.Linear(in_channels, out_channels, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform weight (as PyG), zero bias; forgets a cached structure (as PyG)."""
        nn.init.xavier_uniform_(self.lin.weight)
        if self.lin.bias is not None:
            nn.init.zeros_(self.lin.bias)
        super().reset_parameters()

    def propagate(self, x: Tensor, hg: Hypergraph) -> Tensor:
        """Apply the dropout, the linear map and :attr:`smoothing`."""
        x = F.dropout(x, p=self.dropout, training=self.training)
        return self.smoothing(self.lin(x), hg)

    def extra_repr(self) -> str:
        cached = ", cached=True" if self.cached else ""
        return f"{self.in_channels}, {self.out_channels}, dropout={self.dropout}{cached}"
