"""The base class of the node convolutions: their two call conventions in one place."""
from __future__ import annotations

from typing import overload

from torch import Tensor, nn

from hgnn.nn.conv._pyg_args import StructureCache, resolve_hypergraph
from hgnn.nn.conv._utils import check_features, check_int
from hgnn.structure import Hypergraph


class NodeConv(nn.Module):
    r"""Base class of the node convolutions (as PyG's ``MessagePassing``): it owns the call
    conventions and ``cached``, a subclass implements :meth:`propagate`.

    A node convolution maps node features ``[N, F_in]`` on a hypergraph to ``[N, F_out]`` and is
    called either way:

    - ``conv(x, hg)`` with a :class:`~hgnn.Hypergraph` (its hyperedge weights and number of
      hyperedges travel with it; operators a layer derives from it are cached on it, for any
      number of hypergraphs);
    - as PyG's ``HypergraphConv``: ``conv(x, hyperedge_index, hyperedge_weight=None,
      hyperedge_attr=None, num_edges=None)``, or with ``hyperedge_index=...`` as a keyword.
      :math:`N` = ``x.size(0)``; :math:`M` = ``num_edges``, else the length of
      ``hyperedge_weight``, else ``max(hyperedge_index[1]) + 1``. ``hyperedge_attr`` is checked
      (one row per hyperedge) and, unless the layer says otherwise, not used, as by PyG's layer
      without attention.

    A raw index is turned into a hypergraph at every call unless the layer is built with
    ``cached=True`` (PyG's ``cached``): then the hypergraph of the first raw-index call, with its
    normalisation, is kept and reused; it is for transductive use only (the same structure at
    every call: a call with another index, weights, ``num_edges`` or number of rows raises), and
    :meth:`reset_parameters` forgets it. Calls with a :class:`~hgnn.Hypergraph` are unaffected.

    Args:
        in_channels: :math:`F_{in}`, checked against ``x`` at every call.
        out_channels: :math:`F_{out}`.
        cached: keep the structure of the first raw-index call.

    Shapes:
        - **x**: ``[N, F_in]``; **hg**: a :class:`~hgnn.Hypergraph` with ``N`` nodes, or
          **hyperedge_index** ``[2, nnz]``, **hyperedge_weight** ``[M]``, **hyperedge_attr**
          ``[M, F']``.
        - **output**: ``[N, F_out]`` (or as the subclass says).
    """

    def __init__(self, in_channels: int, out_channels: int, cached: bool = False) -> None:
        super().__init__()
        check_int(in_channels, "in_channels")
        check_int(out_channels, "out_channels")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.cached = bool(cached)
        self._cached_structure = StructureCache() if self.cached else None

    def reset_parameters(self) -> None:
        """Forget a cached structure (subclasses reset their parameters and call this)."""
        if self._cached_structure is not None:
            self._cached_structure.clear()

    def resolve(
        self,
        x: Tensor,
        hg: Hypergraph | Tensor | None = None,
        hyperedge_weight: Tensor | None = None,
        hyperedge_attr: Tensor | None = None,
        num_edges: int | None = None,
        hyperedge_index: Tensor | None = None,
    ) -> Hypergraph:
        """Check ``x`` against ``in_channels`` and return the call's hypergraph, from either call
        convention (see the class), through the cache of a layer built with ``cached=True``.

        A subclass whose :meth:`forward` takes keyword arguments of its own calls this, then
        :meth:`propagate` with them.

        Raises:
            TypeError: ``x`` not a floating tensor; no structure or the structure given twice;
                ``hyperedge_weight`` / ``num_edges`` passed with a :class:`~hgnn.Hypergraph`.
            ValueError: ``x`` not ``[N, in_channels]``; a malformed index or weights; a cached
                layer called with another structure.
        """
        check_features(x, self.in_channels)
        return resolve_hypergraph(x, hg, hyperedge_weight, hyperedge_attr, num_edges, hyperedge_index,
                                  self._cached_structure)

    def propagate(self, x: Tensor, hg: Hypergraph) -> Tensor:
        """The layer's computation on checked features ``x`` ``[N, F_in]`` and the call's
        hypergraph ``hg``; subclasses implement it (with keyword arguments of their own if any)."""
        raise NotImplementedError(f"{type(self).__name__} must implement propagate(x, hg)")

    @overload
    def forward(self, x: Tensor, hg: Hypergraph) -> Tensor: ...

    @overload
    def forward(self, x: Tensor, hyperedge_index: Tensor, /, hyperedge_weight: Tensor | None = None,
                hyperedge_attr: Tensor | None = None, num_edges: int | None = None) -> Tensor: ...

    @overload
    def forward(self, x: Tensor, *, hyperedge_index: Tensor, hyperedge_weight: Tensor | None = None,
                hyperedge_attr: Tensor | None = None, num_edges: int | None = None) -> Tensor: ...

    def forward(
        self,
        x: Tensor,
        hg: Hypergraph | Tensor | None = None,
        hyperedge_weight: Tensor | None = None,
        hyperedge_attr: Tensor | None = None,
        num_edges: int | None = None,
        *,
        hyperedge_index: Tensor | None = None,
    ) -> Tensor:
        """:meth:`propagate` on the hypergraph of either call convention (see the class and
        :meth:`resolve`, whose errors it raises)."""
        return self.propagate(x, self.resolve(x, hg, hyperedge_weight, hyperedge_attr, num_edges, hyperedge_index))

    def extra_repr(self) -> str:
        cached = ", cached=True" if self.cached else ""
        return f"{self.in_channels}, {self.out_channels}{cached}"
