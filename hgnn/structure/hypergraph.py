r"""The :class:`Hypergraph`: incidence, sizes, features and cached orders.

A hypergraph :math:`G = (V, E, w)` with :math:`N = |V|` nodes and :math:`M = |E|` hyperedges is stored
as its list of **incidences**, PyG's ``hyperedge_index`` of shape ``[2, nnz]``: column :math:`i` says
node ``hyperedge_index[0, i]`` belongs to hyperedge ``hyperedge_index[1, i]``. The dense incidence
matrix :math:`H \in \mathbb{R}^{N \times M}` is never built; :math:`H_{ve}` is the number of columns
equal to :math:`(v, e)` (a node may appear twice in one hyperedge, e.g. with two edge-dependent
labels).

The class holds the data and its public methods; the work is done by functions elsewhere in this
package: the constructor's checks in :mod:`hgnn.structure.fields`, degrees, sorted orders and CSR
operators in :mod:`hgnn.structure.incidence`, the memo behind :meth:`Hypergraph.cache` in
:mod:`hgnn.structure.memo` and the pytree registration in :mod:`hgnn.structure.pytree`.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import torch
from torch import Tensor

from hgnn.structure.fields import check_fields, describe, edge_list_index, extra, replaced_fields
from hgnn.structure.incidence import (
    check_direction,
    degree,
    edge_to_node_permutation,
    incidence_csr_pair,
    sort_index,
)
from hgnn.structure.memo import check_cache_key, map_hypergraph, memoize
from hgnn.structure.pytree import register as register_pytree


class Hypergraph:
    r"""A hypergraph on PyG's ``hyperedge_index`` convention, with explicit sizes and features.

    Args:
        hyperedge_index: ``LongTensor[2, nnz]``; row 0 node ids in ``[0, N)``, row 1 hyperedge ids
            in ``[0, M)``. Column order is kept: per-incidence tensors follow it.
        num_nodes: :math:`N`. Inferred from ``x``, then ``y``, then ``max(row 0) + 1`` when ``None``.
        num_edges: :math:`M`. Inferred from ``edge_weight``, then ``edge_attr``, then
            ``max(row 1) + 1`` when ``None``.
        edge_weight: ``[M]`` non-negative hyperedge weights :math:`w(e)`; ``None`` means all ones.
        x: ``[N, F]`` node features.
        edge_attr: ``[M, F']`` hyperedge features.
        incidence_attr: ``[nnz, ...]`` per-incidence features (e.g. co-representations).
        y: ``[N, ...]`` node labels.
        node_data, edge_data, incidence_data: extra named tensors whose first dimension is
            :math:`N`, :math:`M` and ``nnz`` (split masks, edge-dependent labels, ...). They are read
            as attributes (``hg.train_mask``) and follow every operation that re-indexes their level.
        validate: check every argument (default). ``False`` skips the checks, for internal
            constructions from tensors already validated.

    Raises:
        TypeError: a non-tensor, a non-integer index, non-floating weights.
        ValueError: an index not shaped ``[2, nnz]``, negative ids, ids not below the given sizes,
            row counts that do not match, NaN/inf in features or weights, negative weights,
            tensors on different devices.

    Degrees, sorted orders and sparse operators are built lazily on first use and kept with
    :meth:`cache`; the hypergraph is treated as immutable once built (:meth:`replace` makes a
    changed copy).
    Example::

        >>> hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3]], num_nodes=5)
        >>> hg.node_degree()
        tensor([1., 1., 2., 1., 0.])
    """

    def __init__(
        self,
        hyperedge_index: Tensor,
        num_nodes: int | None = None,
        num_edges: int | None = None,
        edge_weight: Tensor | None = None,
        x: Tensor | None = None,
        edge_attr: Tensor | None = None,
        incidence_attr: Tensor | None = None,
        y: Tensor | None = None,
        node_data: dict[str, Tensor] | None = None,
        edge_data: dict[str, Tensor] | None = None,
        incidence_data: dict[str, Tensor] | None = None,
        validate: bool = True,
    ) -> None:
        node_data = dict(node_data or {})
        edge_data = dict(edge_data or {})
        incidence_data = dict(incidence_data or {})
        if validate:
            hyperedge_index, num_nodes, num_edges = check_fields(
                hyperedge_index, num_nodes, num_edges, edge_weight, x, edge_attr, incidence_attr, y,
                node_data, edge_data, incidence_data,
            )
        elif num_nodes is None or num_edges is None:
            raise ValueError("validate=False needs explicit num_nodes and num_edges")
        self.hyperedge_index: Tensor = hyperedge_index
        self.num_nodes: int = int(num_nodes)
        self.num_edges: int = int(num_edges)
        self._edge_weight = edge_weight
        self.x = x
        self.edge_attr = edge_attr
        self.incidence_attr = incidence_attr
        self.y = y
        self.node_data = node_data
        self.edge_data = edge_data
        self.incidence_data = incidence_data
        self._cache: dict[Any, Any] = {}

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def from_edge_list(
        cls,
        edges: Iterable[Sequence[int]],
        num_nodes: int | None = None,
        device: torch.device | str | None = None,
        **kwargs: Any,
    ) -> "Hypergraph":
        r"""Build from a list of hyperedges, each a list of node ids.

        Hyperedge :math:`j` is ``edges[j]``; the incidences are laid out hyperedge by hyperedge, in
        the order given. An empty list is an empty hyperedge (kept, with no incidence).

        Args:
            edges: iterable of node-id sequences.
            num_nodes: :math:`N`; ``max id + 1`` when ``None``.
            device: where to build the tensors.
            **kwargs: passed to :class:`Hypergraph` (``x``, ``edge_weight``, ...).
        """
        index, num_edges = edge_list_index(edges, device)
        kwargs.setdefault("num_edges", num_edges)
        return cls(index, num_nodes=num_nodes, **kwargs)

    def to_edge_list(self) -> list[list[int]]:
        """Return hyperedge ``j``'s members as ``out[j]``, in incidence order (inverse of
        :meth:`from_edge_list`)."""
        perm, ptr = self.edge_order()
        nodes = self.hyperedge_index[0, perm].tolist()
        bounds = ptr.tolist()
        return [nodes[bounds[j] : bounds[j + 1]] for j in range(self.num_edges)]

    # ------------------------------------------------------------------ basic properties
    @property
    def num_incidences(self) -> int:
        """``nnz``: the number of (node, hyperedge) incidences."""
        return self.hyperedge_index.size(1)

    @property
    def device(self) -> torch.device:
        """The device of ``hyperedge_index``, where every tensor of the hypergraph lives."""
        return self.hyperedge_index.device

    @property
    def edge_weight(self) -> Tensor:
        """``[M]`` hyperedge weights; all ones when none were given."""
        if self._edge_weight is not None:
            return self._edge_weight
        return self.cache(("hypergraph", "unit_weight"), lambda: torch.ones(self.num_edges, device=self.device))

    @property
    def is_weighted(self) -> bool:
        """Whether explicit hyperedge weights were given."""
        return self._edge_weight is not None

    def __getattr__(self, name: str) -> Tensor:
        # Only called when normal lookup fails: expose node/edge/incidence extras as attributes.
        return extra(self, name)

    def __repr__(self) -> str:
        return describe(self)

    @property
    def has_learnable_weight(self) -> bool:
        """Whether the hyperedge weights require grad (learned weights, e.g. structure learning).

        Then nothing derived from them (weighted degrees, normalisations, sparse operators) is
        cached on the hypergraph: it is rebuilt at every call, so that every forward pass records
        its own autograd graph and gradients reach the weights in every training step.
        """
        return self._edge_weight is not None and self._edge_weight.requires_grad

    # ------------------------------------------------------------------ memo and copies
    def cache(self, key: tuple, build: Callable[[], Any]) -> Any:
        r"""``build()``, computed on first use and kept on this hypergraph under ``key``.

        Layers keep here what they derive from the structure (normalisations, sparse operators,
        augmented hypergraphs), so that it is built once per hypergraph and reused by every later
        call; :meth:`to` and :meth:`pin_memory` move the kept values along.

        **Keys** are namespaced tuples ``(owner, name, *params)``: ``owner`` names the module or
        layer family that builds the entry (``"hypergraph"`` for this class's degrees, orders and
        operators, ``"propagate"``, ``"hgnn"``, ``"hnhn"``, ...), ``name`` the entry, and
        ``params`` anything else the value depends on, e.g. ``("hgnn", "normalization")`` or
        ``("hnhn", "to_edge", alpha)``. Two owners thus never read each other's entries.

        **Contract**: ``build`` takes no argument and is a pure function of the structure
        (``hyperedge_index``, the sizes), the hyperedge weights and the ``params`` of its key:
        never of features, module parameters or global state, since the value is reused for as
        long as the hypergraph lives. A hypergraph is not changed in place; :meth:`replace` makes
        a changed one, which starts with an empty memo.

        While the weights are learnable (:attr:`has_learnable_weight`), only this class's
        structure-only entries (degrees, sorted orders, the unit weight) are kept; every other
        value may depend on the weights and is rebuilt at each call, so that each forward pass
        records its own autograd graph back to them.

        Args:
            key: ``(owner, name, *params)``, hashable.
            build: zero-argument function returning the value.

        Returns:
            The kept value, or ``build()``'s on a miss.

        Raises:
            TypeError: ``key`` is not a tuple whose first two items are strings.

        Example::

            >>> hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3]])
            >>> sizes = hg.cache(("mylayer", "sizes"), lambda: hg.edge_degree() + 1)
            >>> ("mylayer", "sizes") in hg.cached_keys()
            True
        """
        return memoize(self._cache, key, build, structure_only=self.has_learnable_weight)

    def cached_keys(self) -> frozenset:
        """The keys of the values kept by :meth:`cache` now (a snapshot, for inspection)."""
        return frozenset(self._cache)

    def clear_cache(self) -> None:
        """Drop every value kept by :meth:`cache`; each is rebuilt on its next use."""
        self._cache.clear()

    def replace(self, *, validate: bool = True, **fields: Any) -> "Hypergraph":
        """A new hypergraph with ``fields`` changed and every other field taken from this one.

        Fields not named keep their values (the same tensors, not copies), the sizes included:
        a ``hyperedge_index`` with more nodes needs ``num_nodes`` too. Nothing kept by
        :meth:`cache` is carried over, as the structure or the weights may differ.

        Args:
            validate: check the result as the constructor does (default). ``False`` skips the
                checks, for internal hot paths passing tensors that are already checked.
            **fields: constructor arguments: ``hyperedge_index``, ``num_nodes``, ``num_edges``,
                ``edge_weight``, ``x``, ``edge_attr``, ``incidence_attr``, ``y``, ``node_data``,
                ``edge_data``, ``incidence_data``; ``None`` drops an optional one.

        Raises:
            TypeError: a name that is not a field.
            ValueError: with ``validate``, as the constructor (e.g. ``x`` without one row per node).

        Example::

            >>> hg = Hypergraph.from_edge_list([[0, 1], [1, 2]])
            >>> hg.replace(x=torch.ones(3, 4))
            Hypergraph(num_nodes=3, num_edges=2, nnz=4, x=[3, 4])
        """
        current = replaced_fields(self, fields)
        out = type(self)(**current, validate=validate)
        if "num_graphs" in self.__dict__:  # a batch (:func:`~hgnn.structure.batch`) stays one
            out.num_graphs = self.num_graphs
        return out

    # ------------------------------------------------------------------ cached degrees and orders
    def node_degree(self, weighted: bool = False) -> Tensor:
        r"""``[N]`` node degrees: :math:`d(v) = \sum_e H_{ve}`, or with ``weighted=True``
        :math:`d(v) = \sum_e w(e) H_{ve}` (the :math:`D_v` of HGNN, Feng et al. 2019)."""
        if weighted and self.is_weighted:
            return self.cache(
                ("hypergraph", "weighted_node_degree"),
                lambda: degree(
                    self.hyperedge_index[0], self.num_nodes, self.edge_weight[self.hyperedge_index[1]]
                ),
            )
        return self.cache(("hypergraph", "node_degree"), lambda: degree(self.hyperedge_index[0], self.num_nodes))

    def edge_degree(self) -> Tensor:
        r"""``[M]`` hyperedge degrees (sizes): :math:`\delta(e) = \sum_v H_{ve}` (the :math:`D_e`)."""
        return self.cache(("hypergraph", "edge_degree"), lambda: degree(self.hyperedge_index[1], self.num_edges))

    def edge_order(self) -> tuple[Tensor, Tensor]:
        r"""Incidences sorted by hyperedge: ``(perm, ptr)``.

        ``perm`` ``[nnz]`` lists incidence ids so that ``hyperedge_index[1, perm]`` is
        non-decreasing (stable: ties keep column order); ``ptr`` ``[M + 1]`` is the CSR row pointer,
        hyperedge ``e``'s incidences being ``perm[ptr[e]:ptr[e + 1]]``.
        """
        return self.cache(("hypergraph", "edge_order"), lambda: sort_index(self.hyperedge_index[1], self.num_edges))

    def node_order(self) -> tuple[Tensor, Tensor]:
        """Incidences sorted by node: ``(perm, ptr)`` with ``ptr`` of length ``N + 1``
        (see :meth:`edge_order`)."""
        return self.cache(("hypergraph", "node_order"), lambda: sort_index(self.hyperedge_index[0], self.num_nodes))

    def edge_to_node_order(self) -> Tensor:
        """``[nnz]`` permutation ``p`` with ``edge_perm[p] == node_perm``: it re-orders a tensor laid
        out in hyperedge-sorted order into node-sorted order."""
        return self.cache(
            ("hypergraph", "edge_to_node_order"),
            lambda: edge_to_node_permutation(self.edge_order()[0], self.node_order()[0]),
        )

    def incidence_csr(
        self, direction: str, value: Tensor | Callable[[], Tensor] | None = None, key: Any = None
    ) -> tuple[Tensor, Tensor]:
        r"""Sparse-CSR incidence operator and its transpose.

        For ``direction="node_to_edge"`` returns :math:`(A, A^\top)` with
        :math:`A \in \mathbb{R}^{M \times N}`, :math:`A_{ev} = \sum_{i:(v_i,e_i)=(v,e)} a_i`; for
        ``"edge_to_node"`` the roles swap (:math:`A \in \mathbb{R}^{N \times M}`).

        Args:
            direction: ``"node_to_edge"`` or ``"edge_to_node"``.
            value: ``[nnz]`` incidence values :math:`a_i` in column order (ones when ``None``), or a
                zero-argument function returning them, called only when the pair is built.
            key: keep the pair with :meth:`cache` under ``("hypergraph", "incidence_csr",
                direction, key)``; ``key`` is namespaced as :meth:`cache` describes, and ``value``
                must be a pure function of the structure, the weights and ``key``. ``None``
                builds the pair afresh.

        Raises:
            ValueError: an unknown ``direction``.
            TypeError: a ``key`` that is not ``(owner, name, *params)``.
        """
        check_direction(direction)

        def build() -> tuple[Tensor, Tensor]:
            vals = value() if callable(value) else value
            size = (self.num_nodes, self.num_edges)
            return incidence_csr_pair(self.hyperedge_index, size, self.edge_order(), self.node_order(), vals, direction)

        if key is None:
            return build()
        check_cache_key(key)
        return self.cache(("hypergraph", "incidence_csr", direction, key), build)

    # ------------------------------------------------------------------ moving
    def to(self, device: torch.device | str, non_blocking: bool = False) -> "Hypergraph":
        """Return a copy with every tensor (cached ones included) on ``device``."""
        device = torch.device(device)
        if device == self.device:
            return self
        return map_hypergraph(self, lambda t: t.to(device, non_blocking=non_blocking))

    def pin_memory(self) -> "Hypergraph":
        """A copy with every tensor in page-locked memory, for fast asynchronous copies to a GPU
        (what ``torch.utils.data.DataLoader(pin_memory=True)`` calls on each batch)."""
        return map_hypergraph(self, lambda t: t.pin_memory())

    def cpu(self) -> "Hypergraph":
        """``to("cpu")``."""
        return self.to("cpu")

    def cuda(self, device: int | None = None) -> "Hypergraph":
        """``to("cuda")``, or ``to(f"cuda:{device}")`` for a device index."""
        return self.to("cuda" if device is None else f"cuda:{device}")

    # ------------------------------------------------------------------ operators
    def node_to_edge(self, x: Tensor, reduce: str = "mean", weight: Tensor | None = None, backend: str | None = None) -> Tensor:
        """Aggregate node rows into hyperedges; see :func:`hgnn.structure.node_to_edge`."""
        from hgnn.structure.propagate import node_to_edge

        return node_to_edge(x, self, reduce=reduce, weight=weight, backend=backend)

    def edge_to_node(self, x: Tensor, reduce: str = "mean", weight: Tensor | None = None, backend: str | None = None) -> Tensor:
        """Aggregate hyperedge rows into nodes; see :func:`hgnn.structure.edge_to_node`."""
        from hgnn.structure.propagate import edge_to_node

        return edge_to_node(x, self, reduce=reduce, weight=weight, backend=backend)

    # ------------------------------------------------------------------ structure operations
    def dual(self) -> "Hypergraph":
        """The dual hypergraph (nodes <-> hyperedges); see :func:`hgnn.structure.dual`."""
        from hgnn.structure.dual import dual

        return dual(self)

    def clique_expansion(self) -> tuple[Tensor, Tensor]:
        """``(edge_index, edge_weight)`` of the clique expansion; see
        :func:`hgnn.structure.clique_expansion`."""
        from hgnn.structure.expansion import clique_expansion

        return clique_expansion(self)

    def star_expansion(self) -> Tensor:
        """``edge_index`` of the bipartite star expansion; see :func:`hgnn.structure.star_expansion`."""
        from hgnn.structure.expansion import star_expansion

        return star_expansion(self)

    def subhypergraph(self, nodes: Tensor) -> tuple["Hypergraph", Tensor, Tensor]:
        """``(sub, node_ids, edge_ids)`` induced by a node mask or index; see
        :func:`hgnn.structure.subhypergraph`."""
        from hgnn.structure.subgraph import subhypergraph

        return subhypergraph(self, nodes)

    def remove_empty(self) -> tuple["Hypergraph", Tensor]:
        """``(hg, edge_ids)`` without empty hyperedges; see :func:`hgnn.structure.remove_empty`."""
        from hgnn.structure.subgraph import remove_empty

        return remove_empty(self)

    def merge_duplicate_edges(self, reduce: str = "mean") -> tuple["Hypergraph", Tensor]:
        """``(hg, edge_ids)`` with one hyperedge per member set; see
        :func:`hgnn.structure.merge_duplicate_edges`."""
        from hgnn.structure.subgraph import merge_duplicate_edges

        return merge_duplicate_edges(self, reduce=reduce)

    def add_self_loops(self, isolated_only: bool = True) -> "Hypergraph":
        """Singleton hyperedges for isolated nodes; see :func:`hgnn.structure.add_self_loops`."""
        from hgnn.structure.subgraph import add_self_loops

        return add_self_loops(self, isolated_only=isolated_only)

    def unbatch(self) -> list["Hypergraph"]:
        """Split a batch back into its hypergraphs; see :func:`hgnn.structure.unbatch`."""
        from hgnn.structure.batch import unbatch

        return unbatch(self)

    @property
    def edge_batch(self) -> Tensor | None:
        """``[M]`` graph id of each hyperedge in a batch (``None`` outside a batch)."""
        return self.edge_data.get("batch")

    def to_pyg(self) -> Any:
        """Convert to PyG's ``HyperGraphData``; see :func:`hgnn.structure.to_pyg`."""
        from hgnn.structure.convert import to_pyg

        return to_pyg(self)

    @classmethod
    def from_pyg(cls, data: Any, **kwargs: Any) -> "Hypergraph":
        """Build from PyG's ``HyperGraphData``; see :func:`hgnn.structure.from_pyg`."""
        from hgnn.structure.convert import from_pyg

        return from_pyg(data, **kwargs)

    def to_networkx(self) -> Any:
        """Convert to a bipartite networkx graph; see :func:`hgnn.structure.to_networkx`."""
        from hgnn.structure.convert import to_networkx

        return to_networkx(self)

    @classmethod
    def from_networkx(cls, graph: Any) -> "Hypergraph":
        """Build from a bipartite networkx graph; see :func:`hgnn.structure.from_networkx`."""
        from hgnn.structure.convert import from_networkx

        return from_networkx(graph)

    def to_dhg(self, merge_op: str | None = None) -> Any:
        """Convert to DHG's ``dhg.Hypergraph``; see :func:`hgnn.structure.to_dhg`."""
        from hgnn.structure.convert import to_dhg

        return to_dhg(self, merge_op=merge_op)

    @classmethod
    def from_dhg(cls, hg: Any, **kwargs: Any) -> "Hypergraph":
        """Build from DHG's ``Hypergraph`` or ``Graph``; see :func:`hgnn.structure.from_dhg`."""
        from hgnn.structure.convert import from_dhg

        return from_dhg(hg, **kwargs)


class _BatchAccessor:
    """``Hypergraph.batch(list)`` batches hypergraphs; ``hg.batch`` is the ``[N]`` graph-id vector.

    One name serves both, as PyG users expect: on the class it is the batching
    function (:func:`hgnn.structure.batch`), on an instance the node-to-graph assignment
    (``node_data["batch"]``, ``None`` outside a batch).
    """

    def __get__(self, obj: Hypergraph | None, owner: type) -> Any:
        if obj is None:
            from hgnn.structure.batch import batch

            return batch
        return obj.node_data.get("batch")


Hypergraph.batch = _BatchAccessor()  # type: ignore[assignment]


def as_hypergraph(hg: Hypergraph | Tensor, num_nodes: int, num_edges: int | None = None) -> Hypergraph:
    """Return ``hg`` if it is a :class:`Hypergraph`, else wrap a raw ``hyperedge_index``.

    Layers call this so that ``forward(x, hg)`` takes either. A wrapped index gets
    ``num_nodes`` (the rows of ``x``) and builds its normalisations afresh on every call; pass a
    :class:`Hypergraph` to cache them across calls.

    Raises:
        ValueError: a :class:`Hypergraph` whose ``num_nodes`` differs from ``num_nodes``.
    """
    if isinstance(hg, Hypergraph):
        if hg.num_nodes != num_nodes:
            raise ValueError(
                f"x has {num_nodes} rows but the hypergraph has num_nodes={hg.num_nodes}; "
                "pass one feature row per node"
            )
        return hg
    if isinstance(hg, Tensor):
        return Hypergraph(hg, num_nodes=num_nodes, num_edges=num_edges)
    raise TypeError(f"hg must be a Hypergraph or a [2, nnz] hyperedge_index tensor, got {type(hg).__name__}")


# A pytree node, so that torch.export / torch.compile take a Hypergraph as a model input.
register_pytree(Hypergraph)
