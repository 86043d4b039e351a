"""UniGIN convolution (Huang & Yang, IJCAI 2021)."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from hgnn.nn.conv.hgnn_conv import HGNNConv
from hgnn.nn.conv.unisage_conv import unignn_aggregate
from hgnn.structure import Hypergraph


def unigin_smoothing(x: Tensor, hg: Hypergraph, eps: Tensor | float = 0.0, backend: str | None = None) -> Tensor:
    r"""UniGIN's propagation :math:`\big((1 + \varepsilon) I + H W D_e^{-1} H^\top\big)\, X`
    (see :func:`~hgnn.nn.conv.unignn_aggregate`)."""
    return (1 + eps) * x + unignn_aggregate(x, hg, backend=backend)


class UniGINConv(HGNNConv):
    r"""UniGIN: Huang & Yang, "UniGNN: a Unified Framework for Graph and Hypergraph Neural
    Networks", IJCAI 2021.

    .. math::
        x'_v = (1 + \varepsilon)\, z_v + \sum_{e \ni v} w(e)\, h_e, \qquad
        h_e = \frac{1}{|e|} \sum_{u \in e} z_u, \qquad
        z = \mathrm{dropout}(X)\,\Theta + b

    i.e. :math:`X' = \big((1 + \varepsilon) I + H W D_e^{-1} H^\top\big)(X\Theta + b)`: GIN's sum
    aggregation with the hyperedges as the neighbours. As DHG's ``UniGINConv`` (with
    ``is_last=True``), the linear map comes first; DHG's activation, batch norm and dropout
    after a non-last layer belong to the model here (:class:`~hgnn.models.UniGIN`). Hyperedge
    weights scale each hyperedge's message (DHG and the original code ignore them; the three
    agree on unit weights).

    Args:
        in_channels: :math:`F_{in}`.
        out_channels: :math:`F_{out}`.
        eps: the initial :math:`\varepsilon`.
        train_eps: learn :math:`\varepsilon` (a parameter); otherwise it is a fixed buffer.
        bias: learn :math:`b`.
        dropout: dropout probability on the input features (training only).
        cached: keep the structure of the first raw-index call (see :class:`~hgnn.nn.conv.HGNNConv`).

    Shapes:
        - **x**: ``[N, F_in]``; **hg**: :class:`~hgnn.Hypergraph`, or PyG's ``hyperedge_index``,
          ``hyperedge_weight``, ``hyperedge_attr``, ``num_edges`` (see :class:`~hgnn.nn.conv.HGNNConv`).
        - **output**: ``[N, F_out]``.
    """

    eps: Tensor

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        eps: float = 0.0,
        train_eps: bool = False,
        bias: bool = True,
        dropout: float = 0.0,
        cached: bool = False,
    ) -> None:
        if isinstance(eps, bool) or not isinstance(eps, (int, float)):
            raise TypeError(f"eps must be a float, got {type(eps).__name__}")
        self.initial_eps = float(eps)
        if not math.isfinite(self.initial_eps):
            raise ValueError(f"eps must be finite, got {eps}")
        self.train_eps = bool(train_eps)
        super().__init__(in_channels, out_channels, bias=bias, dropout=dropout, cached=cached)
        if self.train_eps:
            self.eps = nn.Parameter(torch.full((1,), self.initial_eps))
        else:
            self.register_buffer("eps", torch.full((1,), self.initial_eps))

    def reset_parameters(self) -> None:
        """Glorot-uniform weight, zero bias, :math:`\\varepsilon` back to its initial value;
        forgets a cached structure."""
        super().reset_parameters()
        if hasattr(self, "eps"):  # not yet during construction
            with torch.no_grad():
                self.eps.fill_(self.initial_eps)

    def smoothing(self, x: Tensor, hg: Hypergraph) -> Tensor:  # type: ignore[override]
        r"""Apply :func:`unigin_smoothing` with this layer's :math:`\varepsilon`."""
        return unigin_smoothing(x, hg, self.eps.to(x.dtype))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, eps={self.initial_eps}, train_eps={self.train_eps}"
