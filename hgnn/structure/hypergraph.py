r"""The :class:`Hypergraph`: incidence, sizes, features and cached orders.

A hypergraph :math:`G = (V, E, w)` with :math:`N = |V|` nodes and :math:`M = |E|` hyperedges is stored
as its list of **incidences**, PyG's ``hyperedge_index`` of shape ``[2, nnz]``: column :math:`i` says
node ``hyperedge_index[0, i]`` belongs to hyperedge ``hyperedge_index[1, i]``. The dense incidence
matrix :math:`H \in \mathbb{R}^{N \times M}` is never built; :math:`H_{ve}` is the number of columns
equal to :math:`(v, e)` (a node may appear twice in one hyperedge, e.g. with two edge-dependent
labels).
"""
from __future__ import annotations

import operator
import warnings
from typing import Any, Callable, Iterable, Sequence

import torch
import torch.utils._pytree as pytree
from torch import Tensor

from hgnn.ops import csr_matrix
from hgnn.structure.validate import (
    check_index,
    check_rows,
    check_same_device,
    check_size,
    check_weight,
)

_LEVELS = ("node", "edge", "incidence")
#: The constructor's fields, the names :meth:`Hypergraph.replace` accepts.
_FIELDS = (
    "hyperedge_index", "num_nodes", "num_edges", "edge_weight", "x", "edge_attr", "incidence_attr", "y",
    "node_data", "edge_data", "incidence_data",
)
#: Cache entries that depend on the incidence alone, never on the hyperedge weights.
_STRUCTURE_KEYS = frozenset(
    ("hypergraph", name)
    for name in ("unit_weight", "node_degree", "edge_degree", "edge_order", "node_order", "edge_to_node_order")
)
_MISSING = object()


def check_cache_key(key: Any) -> None:
    """Raise ``TypeError`` unless ``key`` is a namespaced cache key ``(owner, name, *params)``.

    See :meth:`Hypergraph.cache` for the convention.
    """
    if not (isinstance(key, tuple) and len(key) >= 2 and isinstance(key[0], str) and isinstance(key[1], str)):
        raise TypeError(
            f"cache keys are tuples (owner, name, *params) whose first two items are strings, e.g. "
            f"('hgnn', 'normalization') or ('hnhn', 'to_edge', alpha); got {key!r}"
        )


def _degree(index: Tensor, size: int, weight: Tensor | None = None, dtype=torch.float32) -> Tensor:
    """Count (or sum ``weight`` over) the occurrences of each id in ``index``; ``[size]``."""
    src = torch.ones(index.numel(), dtype=dtype, device=index.device) if weight is None else weight
    return torch.zeros(size, dtype=src.dtype, device=index.device).index_add_(0, index, src)


def _sort(index: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """Stable sort of ``index``: ``(perm, ptr)`` with ``index[perm]`` non-decreasing and CSR ``ptr``."""
    perm = torch.sort(index, stable=True).indices
    ptr = torch.zeros(size + 1, dtype=torch.long, device=index.device)
    torch.cumsum(torch.bincount(index, minlength=size), 0, out=ptr[1:])
    return perm, ptr


def _node_id(value: Any, edge: int) -> int:
    """``value`` as a Python int if it is an integer (int, NumPy / torch integer scalar); else
    ``TypeError``. Floats are refused, never truncated: ``1.7`` is not node 1."""
    if isinstance(value, bool) or (isinstance(value, Tensor) and value.dtype == torch.bool):
        raise TypeError(f"edges[{edge}] holds the boolean {value!r}; node ids must be integers")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"edges[{edge}] holds {value!r} ({type(value).__name__}); node ids must be integers "
            "(floats are not truncated: convert them with int() if that is what you mean)"
        ) from None


def _map_dict(data: dict[str, Tensor], fn) -> dict[str, Tensor]:
    return {key: fn(value) for key, value in data.items()}


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
            hyperedge_index = check_index(hyperedge_index)
            num_nodes = self._infer_size(num_nodes, hyperedge_index[0], "num_nodes", x=x, y=y)
            num_edges = self._infer_size(
                num_edges, hyperedge_index[1], "num_edges", edge_weight=edge_weight, edge_attr=edge_attr
            )
            self._check_ids(hyperedge_index, num_nodes, num_edges)
            nnz = hyperedge_index.size(1)
            if edge_weight is not None:
                check_weight(edge_weight, num_edges, "edge_weight", "hyperedge")
            for value, rows, name, what in (
                (x, num_nodes, "x", "node"),
                (y, num_nodes, "y", "node"),
                (edge_attr, num_edges, "edge_attr", "hyperedge"),
                (incidence_attr, nnz, "incidence_attr", "incidence (column of hyperedge_index)"),
            ):
                if value is not None:
                    check_rows(value, rows, name, what)
            for data, rows, level in (
                (node_data, num_nodes, "node"),
                (edge_data, num_edges, "edge"),
                (incidence_data, nnz, "incidence"),
            ):
                for key, value in data.items():
                    if not isinstance(key, str) or not key.isidentifier():
                        raise ValueError(f"{level}_data keys must be identifiers, got {key!r}")
                    check_rows(value, rows, f"{level}_data[{key!r}]", level)
            named = {"x": x, "y": y, "edge_weight": edge_weight, "edge_attr": edge_attr}
            named["incidence_attr"] = incidence_attr
            named.update({f"{lvl}_data[{k!r}]": v for lvl, d in zip(_LEVELS, (node_data, edge_data, incidence_data)) for k, v in d.items()})
            check_same_device(named, hyperedge_index.device)
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
    @staticmethod
    def _infer_size(size: Any, ids: Tensor, name: str, **rows_from: Tensor | None) -> int:
        if size is not None:
            return check_size(size, name)
        for value in rows_from.values():
            if isinstance(value, Tensor) and value.dim() > 0:
                return value.size(0)
        return int(ids.max()) + 1 if ids.numel() else 0

    @staticmethod
    def _check_ids(index: Tensor, num_nodes: int, num_edges: int) -> None:
        if index.numel() == 0 or torch.compiler.is_compiling():
            return
        max_node, max_edge = (int(v) for v in index.max(dim=1).values)
        if max_node >= num_nodes:
            raise ValueError(
                f"hyperedge_index has node id {max_node} but num_nodes={num_nodes}; "
                f"node ids must be < num_nodes (pass a larger num_nodes or fix the ids)"
            )
        if max_edge >= num_edges:
            raise ValueError(
                f"hyperedge_index has hyperedge id {max_edge} but num_edges={num_edges}; "
                f"hyperedge ids must be < num_edges (pass a larger num_edges or fix the ids)"
            )

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
        edges = [list(e) for e in edges]
        nodes = [_node_id(v, j) for j, members in enumerate(edges) for v in members]
        edge_ids = [j for j, members in enumerate(edges) for _ in members]
        index = torch.tensor([nodes, edge_ids], dtype=torch.long, device=device).view(2, -1)
        kwargs.setdefault("num_edges", len(edges))
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
        if not name.startswith("_"):
            for level in _LEVELS:
                data = self.__dict__.get(f"{level}_data")
                if data is not None and name in data:
                    return data[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __repr__(self) -> str:
        parts = [f"num_nodes={self.num_nodes}", f"num_edges={self.num_edges}", f"nnz={self.num_incidences}"]
        for name in ("x", "y", "edge_attr", "incidence_attr"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={list(value.shape)}")
        if self.is_weighted:
            parts.append("edge_weight")
        for level in _LEVELS:
            prefix = "" if level == "node" else f"{level}_data."
            for key, value in getattr(self, f"{level}_data").items():
                parts.append(f"{prefix}{key}={list(value.shape)}")
        if self.device.type != "cpu":
            parts.append(f"device={self.device}")
        return f"{type(self).__name__}({', '.join(parts)})"

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
        value = self._cache.get(key, _MISSING)
        if value is _MISSING:
            check_cache_key(key)
            value = build()
            if key in _STRUCTURE_KEYS or not self.has_learnable_weight:
                self._cache[key] = value
        return value

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
        unknown = sorted(set(fields).difference(_FIELDS))
        if unknown:
            raise TypeError(
                f"replace() got unknown field(s) {', '.join(map(repr, unknown))}; the fields are {', '.join(_FIELDS)}"
            )
        current = dict(
            hyperedge_index=self.hyperedge_index,
            num_nodes=self.num_nodes,
            num_edges=self.num_edges,
            edge_weight=self._edge_weight,
            x=self.x,
            edge_attr=self.edge_attr,
            incidence_attr=self.incidence_attr,
            y=self.y,
            node_data=self.node_data,
            edge_data=self.edge_data,
            incidence_data=self.incidence_data,
        )
        current.update(fields)
        return type(self)(**current, validate=validate)

    # ------------------------------------------------------------------ cached degrees and orders
    def node_degree(self, weighted: bool = False) -> Tensor:
        r"""``[N]`` node degrees: :math:`d(v) = \sum_e H_{ve}`, or with ``weighted=True``
        :math:`d(v) = \sum_e w(e) H_{ve}` (the :math:`D_v` of HGNN, Feng et al. 2019)."""
        if weighted and self.is_weighted:
            return self.cache(
                ("hypergraph", "weighted_node_degree"),
                lambda: _degree(
                    self.hyperedge_index[0], self.num_nodes, self.edge_weight[self.hyperedge_index[1]]
                ),
            )
        return self.cache(("hypergraph", "node_degree"), lambda: _degree(self.hyperedge_index[0], self.num_nodes))

    def edge_degree(self) -> Tensor:
        r"""``[M]`` hyperedge degrees (sizes): :math:`\delta(e) = \sum_v H_{ve}` (the :math:`D_e`)."""
        return self.cache(("hypergraph", "edge_degree"), lambda: _degree(self.hyperedge_index[1], self.num_edges))

    def edge_order(self) -> tuple[Tensor, Tensor]:
        r"""Incidences sorted by hyperedge: ``(perm, ptr)``.

        ``perm`` ``[nnz]`` lists incidence ids so that ``hyperedge_index[1, perm]`` is
        non-decreasing (stable: ties keep column order); ``ptr`` ``[M + 1]`` is the CSR row pointer,
        hyperedge ``e``'s incidences being ``perm[ptr[e]:ptr[e + 1]]``.
        """
        return self.cache(("hypergraph", "edge_order"), lambda: _sort(self.hyperedge_index[1], self.num_edges))

    def node_order(self) -> tuple[Tensor, Tensor]:
        """Incidences sorted by node: ``(perm, ptr)`` with ``ptr`` of length ``N + 1``
        (see :meth:`edge_order`)."""
        return self.cache(("hypergraph", "node_order"), lambda: _sort(self.hyperedge_index[0], self.num_nodes))

    def edge_to_node_order(self) -> Tensor:
        """``[nnz]`` permutation ``p`` with ``edge_perm[p] == node_perm``: it re-orders a tensor laid
        out in hyperedge-sorted order into node-sorted order."""

        def build() -> Tensor:
            edge_perm, _ = self.edge_order()
            node_perm, _ = self.node_order()
            rank = torch.empty_like(edge_perm)
            rank[edge_perm] = torch.arange(edge_perm.numel(), device=self.device)
            return rank[node_perm]

        return self.cache(("hypergraph", "edge_to_node_order"), build)

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
        if direction not in ("node_to_edge", "edge_to_node"):
            raise ValueError(f"direction must be 'node_to_edge' or 'edge_to_node', got {direction!r}")

        def build() -> tuple[Tensor, Tensor]:
            vals = value() if callable(value) else value
            if vals is None:
                vals = torch.ones(self.num_incidences, device=self.device)
            edge_perm, edge_ptr = self.edge_order()
            node_perm, node_ptr = self.node_order()
            nodes, edges = self.hyperedge_index
            n, m = self.num_nodes, self.num_edges
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*[Ss]parse.*")
                by_edge = csr_matrix(edge_ptr, nodes[edge_perm], vals[edge_perm], (m, n))
                by_node = csr_matrix(node_ptr, edges[node_perm], vals[node_perm], (n, m))
            return (by_edge, by_node) if direction == "node_to_edge" else (by_node, by_edge)

        if key is None:
            return build()
        check_cache_key(key)
        return self.cache(("hypergraph", "incidence_csr", direction, key), build)

    # ------------------------------------------------------------------ moving
    def _apply(self, fn) -> "Hypergraph":
        """A copy with ``fn`` applied to every tensor, cached ones included."""
        def move(value: Any) -> Any:
            if isinstance(value, Tensor):
                return fn(value)
            if isinstance(value, tuple):
                return tuple(move(v) for v in value)
            return value

        out = self.replace(
            hyperedge_index=move(self.hyperedge_index),
            edge_weight=move(self._edge_weight),
            x=move(self.x),
            edge_attr=move(self.edge_attr),
            incidence_attr=move(self.incidence_attr),
            y=move(self.y),
            node_data=_map_dict(self.node_data, move),
            edge_data=_map_dict(self.edge_data, move),
            incidence_data=_map_dict(self.incidence_data, move),
            validate=False,
        )
        out._cache = {key: move(value) for key, value in self._cache.items()}
        return out

    def to(self, device: torch.device | str, non_blocking: bool = False) -> "Hypergraph":
        """Return a copy with every tensor (cached ones included) on ``device``."""
        device = torch.device(device)
        if device == self.device:
            return self
        return self._apply(lambda t: t.to(device, non_blocking=non_blocking))

    def pin_memory(self) -> "Hypergraph":
        """A copy with every tensor in page-locked memory, for fast asynchronous copies to a GPU
        (what ``torch.utils.data.DataLoader(pin_memory=True)`` calls on each batch)."""
        return self._apply(lambda t: t.pin_memory())

    def cpu(self) -> "Hypergraph":
        return self.to("cpu")

    def cuda(self, device: int | None = None) -> "Hypergraph":
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


_PYTREE_FIELDS = ("hyperedge_index", "_edge_weight", "x", "edge_attr", "incidence_attr", "y")


def _flatten_with_keys(hg: Hypergraph):
    keys = tuple((level, tuple(getattr(hg, f"{level}_data"))) for level in _LEVELS)
    children = [(pytree.GetAttrKey(n), getattr(hg, n)) for n in _PYTREE_FIELDS]
    for level, level_keys in keys:
        data = getattr(hg, f"{level}_data")
        children.extend((pytree.GetAttrKey(f"{level}_data.{k}"), data[k]) for k in level_keys)
    return children, (hg.num_nodes, hg.num_edges, keys)


def _flatten(hg: Hypergraph):
    children, context = _flatten_with_keys(hg)
    return [child for _, child in children], context


def _unflatten(children, context) -> Hypergraph:
    num_nodes, num_edges, keys = context
    index, weight, x, edge_attr, incidence_attr, y, *rest = children
    data: dict[str, dict[str, Tensor]] = {}
    it = iter(rest)
    for level, level_keys in keys:
        data[level] = {k: next(it) for k in level_keys}
    return Hypergraph(
        index, num_nodes, num_edges, weight, x, edge_attr, incidence_attr, y,
        data["node"], data["edge"], data["incidence"], validate=False,
    )


# A pytree node, so that torch.export / torch.compile take a Hypergraph as a model input
# (its tensors become graph inputs; sizes are static; caches are rebuilt in the trace).
pytree.register_pytree_node(
    Hypergraph,
    _flatten,
    _unflatten,
    serialized_type_name="hgnn.Hypergraph",
    flatten_with_keys_fn=_flatten_with_keys,
)
