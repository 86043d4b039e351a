r"""Message passing on a hypergraph: node -> hyperedge and hyperedge -> node aggregation.

These are the two halves of every spectral and spatial hypergraph layer (DHG's ``v2e`` / ``e2v``).
Sums and means run as one sparse-CSR product with the operator cached on the
:class:`~hgnn.structure.Hypergraph` (``"sparse"`` back-end); max, min and softmax run as
gather + scatter. Every path returns zeros for a hyperedge (node) with no incidence.
"""
from __future__ import annotations

import functools
import math
import warnings
from typing import Any, Callable

import torch
from torch import Tensor

from hgnn.ops import (SPARSE_DTYPES, accumulate_in_float32, csr_matmul, gather_scatter, inv_pow, resolve, scatter,
                      scatter_softmax)
from hgnn.structure.hypergraph import Hypergraph, check_cache_key
from hgnn.structure.incidence import incidence_csr_pair

AGGREGATIONS = ("sum", "mean", "max", "min", "softmax")
DIRECTIONS = ("node_to_edge", "edge_to_node")


def _endpoints(hg: Hypergraph, direction: str) -> tuple[Tensor, Tensor, int, int]:
    """``(src, dst, num_src, num_dst)`` of the incidences for a direction."""
    nodes, edges = hg.hyperedge_index
    if direction == "node_to_edge":
        return nodes, edges, hg.num_nodes, hg.num_edges
    return edges, nodes, hg.num_edges, hg.num_nodes


def _check_input(x: Tensor, rows: int, name: str, what: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() == 0 or x.size(0) != rows:
        raise ValueError(f"{name} must have {rows} rows (one per {what}), got shape {list(x.shape)}")


def _check_features(x: Tensor, rows: int, what: str) -> None:
    """``x`` is a floating ``[rows, *]`` tensor: means and weights of integer rows would be truncated."""
    _check_input(x, rows, "x", what)
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}; convert it first, e.g. x.float()")


def _check_hypergraph(hg: Hypergraph) -> None:
    """``hg`` is a :class:`~hgnn.Hypergraph` (not, say, its raw ``hyperedge_index``)."""
    if not isinstance(hg, Hypergraph):
        raise TypeError(f"hg must be a Hypergraph, got {type(hg).__name__}")


def _check_value(value: Tensor, nnz: int) -> Tensor:
    """``value`` is ``[nnz]``, one value per incidence; returned unchanged."""
    if not isinstance(value, Tensor):
        raise TypeError(f"value must be a torch.Tensor (or a function returning one), got {type(value).__name__}")
    if value.dim() != 1 or value.size(0) != nnz:
        raise ValueError(f"value must have shape [nnz]=[{nnz}] (one per incidence), or [nnz, H] with an x of shape "
                         f"[rows, H, C]; got {list(value.shape)}")
    return value


@accumulate_in_float32
def incidence_matmul(
    x: Tensor,
    hg: Hypergraph,
    direction: str,
    value: Tensor | Callable[[], Tensor] | None = None,
    key: Any = None,
    backend: str | None = None,
) -> Tensor:
    r"""Weighted sum over incidences, :math:`\mathrm{out} = A\,x`.

    For ``direction="node_to_edge"``,
    :math:`\mathrm{out}_e = \sum_{i : e_i = e} a_i\, x_{v_i}` (shape ``[M, *]``, ``x`` is ``[N, *]``);
    for ``"edge_to_node"``, :math:`\mathrm{out}_v = \sum_{i : v_i = v} a_i\, x_{e_i}` (``[N, *]``).

    Args:
        x: floating-point source rows.
        hg: the hypergraph.
        direction: ``"node_to_edge"`` or ``"edge_to_node"``.
        value: ``[nnz]`` incidence values :math:`a_i` (ones when ``None``), or a zero-argument
            function returning them, called only when the operator is not cached yet; or
            ``[nnz, H]``, one column per head of an ``x`` of shape ``[rows, H, C]`` (attention
            coefficients: :math:`\mathrm{out}_{e,h} = \sum_{i : e_i = e} a_{i,h}\, x_{v_i,h}`).
        key: when given, the values and the sparse operator (one per dtype) are kept on ``hg``
            with :meth:`~hgnn.Hypergraph.cache`, under ``("propagate", "incidence_value",
            direction, key)`` and ``("hypergraph", "incidence_csr", direction, (*key, dtype))``.
            ``key`` is namespaced, ``(owner, name, *params)`` such as ``("hgnn", "to_edge")``, and
            ``value`` must then be a pure function of the structure, the hyperedge weights and
            ``key``. Nothing is kept while the weights are learnable
            (:attr:`~hgnn.Hypergraph.has_learnable_weight`).
        backend: ``None``/``"auto"``, ``"sparse"``, ``"native"`` or ``"torch_scatter"``.

    Every back-end gives the same values and the same gradients, for ``x`` and for values that
    require grad (a tensor ``value``, or one built from learnable hyperedge weights).
    ``float16`` / ``bfloat16`` inputs are summed in ``float32`` and the result rounded once.

    Returns:
        ``[num_dst, *]`` tensor.

    Raises:
        ValueError: an unknown ``direction``, ``x`` without one row per source, or ``value`` not of
            shape ``[nnz]`` (or ``[nnz, H]`` with an ``x`` of shape ``[rows, H, C]``).
        TypeError: ``x`` not a floating-point tensor (convert it, e.g. ``x.float()``), ``hg`` not a
            :class:`~hgnn.Hypergraph`, or a ``key`` that is not ``(owner, name, *params)``.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    _check_hypergraph(hg)
    if not (value is None or isinstance(value, Tensor) or callable(value)):
        raise TypeError(f"value must be a torch.Tensor, a function returning one, or None; got {type(value).__name__}")
    if isinstance(value, Tensor) and value.dim() == 2:  # one column of values per head of x
        if x.dim() != 3 or x.size(1) != value.size(1):
            raise ValueError(f"value of shape [nnz, H]={list(value.shape)} needs x of shape [rows, H, C] with "
                             f"H={value.size(1)}, got {list(x.shape)}")
        if key is not None:
            raise ValueError("per-head values [nnz, H] are not cached: pass key=None")
        return _per_head_matmul(x, hg, direction, value, backend)
    if isinstance(value, Tensor):
        _check_value(value, hg.num_incidences)
    if key is not None:
        check_cache_key(key)
    src, dst, num_src, num_dst = _endpoints(hg, direction)
    _check_features(x, num_src, "node" if direction == "node_to_edge" else "hyperedge")
    name = resolve("weighted_sum", x.device, backend)
    dtype = x.dtype
    sparse = name == "sparse" and dtype in SPARSE_DTYPES and x.device == hg.device
    lazy = callable(value)
    if lazy and key is not None:  # the values, kept on hg (unless the weights are learnable)
        value = functools.partial(hg.cache, ("propagate", "incidence_value", direction, key), value)
    if sparse and key is not None and (value is None or lazy) and not hg.has_learnable_weight:
        # A fixed operator: built once per (key, dtype) and kept on hg.
        values_of = value if lazy else lambda: torch.ones(hg.num_incidences, device=hg.device)
        a, a_t = hg.incidence_csr(direction, lambda: _check_value(values_of(), hg.num_incidences).to(dtype),
                                  key=(*key, dtype))
        flat = x.reshape(num_src, math.prod(x.shape[1:]))
        return csr_matmul(a, a_t, flat).reshape(num_dst, *x.shape[1:])
    values = _check_value(value(), hg.num_incidences) if lazy else value
    if values is not None:
        values = values.to(dtype)
    if sparse:
        # Built afresh: the values may carry a gradient, which flows back through csr_matmul.
        grad = values is not None and values.requires_grad and torch.is_grad_enabled()
        if values is None:
            values = torch.ones(hg.num_incidences, dtype=dtype, device=hg.device)
        a, a_t = hg.incidence_csr(direction, values.detach())
        flat = x.reshape(num_src, math.prod(x.shape[1:]))
        out = csr_matmul(a, a_t, flat, values, dst, src) if grad else csr_matmul(a, a_t, flat)
        return out.reshape(num_dst, *x.shape[1:])
    return gather_scatter(x, src, dst, num_dst, values, "sum", backend="native" if name == "sparse" else name)


#: :func:`node_to_node_matmul` considers the collapsed :math:`N \times N` operator only when
#: building it visits at most this many node pairs per incidence
#: (:math:`\sum_e |e|^2 \le 16\, \mathrm{nnz}`): the product is quadratic in hyperedge size.
COLLAPSE_MAX_PAIRS_PER_INCIDENCE = 16


def _collapsed_operator(hg: Hypergraph, to_edge: Callable[[], Tensor], to_node: Callable[[], Tensor]
                        ) -> tuple[Tensor, Tensor] | tuple[()]:
    r"""``(L, L^T)`` with :math:`L = B A` in ``float64``, or ``()`` when :math:`L` would hold more
    entries than there are incidences (the two factors are then no more work) or would take more
    than :data:`COLLAPSE_MAX_PAIRS_PER_INCIDENCE` pairs per incidence to build."""
    nnz = hg.num_incidences
    pairs = float(hg.edge_degree().double().square().sum())
    if nnz == 0 or pairs > COLLAPSE_MAX_PAIRS_PER_INCIDENCE * nnz:
        return ()
    nodes, edges = hg.hyperedge_index
    n, m = hg.num_nodes, hg.num_edges

    def csr(rows: Tensor, cols: Tensor, values: Tensor, shape: tuple[int, int]) -> Tensor:
        # canonical (sorted, duplicates summed): the sparse-sparse product needs sorted columns
        coo = torch.sparse_coo_tensor(torch.stack([rows, cols]), values.detach().double(), shape)
        return coo.coalesce().to_sparse_csr()

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ss]parse.*")
        op = (csr(nodes, edges, _check_value(to_node(), nnz), (n, m))
              @ csr(edges, nodes, _check_value(to_edge(), nnz), (m, n)))
        if op.values().numel() > nnz:
            return ()
        return op, op.t().to_sparse_csr()


def node_to_node_matmul(
    x: Tensor,
    hg: Hypergraph,
    to_edge: Callable[[], Tensor],
    to_node: Callable[[], Tensor],
    key: Any,
    backend: str | None = None,
) -> Tensor:
    r"""A fixed node -> hyperedge -> node operator, :math:`\mathrm{out} = B\,(A\,x)`.

    .. math::
        \mathrm{out}_v = \sum_{i:\, v_i = v} b_i \sum_{j:\, e_j = e_i} a_j\, x_{v_j}
        \qquad (A \in \mathbb{R}^{M \times N},\ A_{e_j v_j} \mathrel{+}= a_j;\
        B \in \mathbb{R}^{N \times M},\ B_{v_i e_i} \mathrel{+}= b_i)

    the shape of the smoothing operators of HGNN, HGNN+ and UniGCN
    (:math:`L = D_v^{-1/2} H W D_e^{-1} H^\top D_v^{-1/2}` and the like). Two incidence products
    (:func:`incidence_matmul`) by default. On the sparse back-end, when the operator is fixed (the
    hyperedge weights are not learnable), the collapsed :math:`L = B A \in \mathbb{R}^{N \times N}`
    (DHG's ``L_HGNN``) is built once and kept on ``hg`` if it has at most as many entries as there
    are incidences: then one product with :math:`L` costs fewer multiply-adds than the two
    factors, and it skips the ``[M, F]`` intermediate. On a hypergraph with far more hyperedges
    than nodes the gain is large (Email-Eu, 986 nodes in 209k hyperedges of 542k incidences:
    :math:`L` has 68k entries; a forward and backward pass at 64 channels takes ~1 ms instead of
    ~110 ms on one CPU thread). :math:`L` is built in ``float64`` and rounded once to ``x``'s
    type; values agree with the two products up to floating-point rounding (the collapsed ones
    are the closer to exact), and the gradient with respect to ``x`` is :math:`A^\top B^\top`
    times the incoming one either way.

    Args:
        x: ``[N, *]`` floating-point node rows.
        hg: the hypergraph.
        to_edge, to_node: zero-argument functions returning the ``[nnz]`` values :math:`a_i` and
            :math:`b_i`, pure functions of the structure, the hyperedge weights and ``key``
            (called once per hypergraph: kept with :meth:`~hgnn.Hypergraph.cache`).
        key: ``(owner, name, *params)`` naming the operator; the factors are kept under
            ``(*key, "to_edge")`` and ``(*key, "to_node")`` as :func:`incidence_matmul` keeps
            them, the collapsed operator under ``("propagate", "collapsed", key, dtype)``.
        backend: ``None``/``"auto"``, ``"sparse"``, ``"native"`` or ``"torch_scatter"``; only
            ``"sparse"`` (the default on CPU and CUDA) uses the collapsed operator.

    Returns:
        ``[N, *]``.
    """
    _check_hypergraph(hg)
    check_cache_key(key)
    _check_features(x, hg.num_nodes, "node")
    edge_key, node_key = (*key, "to_edge"), (*key, "to_node")
    name = resolve("weighted_sum", x.device, backend)
    dtype = x.dtype
    if (name == "sparse" and dtype in SPARSE_DTYPES and x.device == hg.device and not hg.has_learnable_weight):
        a = functools.partial(hg.cache, ("propagate", "incidence_value", "node_to_edge", edge_key), to_edge)
        b = functools.partial(hg.cache, ("propagate", "incidence_value", "edge_to_node", node_key), to_node)
        exact = hg.cache(("propagate", "collapsed", key), lambda: _collapsed_operator(hg, a, b))
        if exact:
            op, op_t = hg.cache(("propagate", "collapsed", key, dtype),
                                lambda: tuple(t.to(dtype) for t in exact))
            flat = x.reshape(hg.num_nodes, math.prod(x.shape[1:]))
            return csr_matmul(op, op_t, flat).reshape(x.shape)
    e = incidence_matmul(x, hg, "node_to_edge", to_edge, key=edge_key, backend=backend)
    return incidence_matmul(e, hg, "edge_to_node", to_node, key=node_key, backend=backend)


def _head_index(hg: Hypergraph, heads: int) -> Tensor:
    """``[2, nnz H]`` incidences repeated once per head: incidence ``iH + h`` joins node
    ``v_i H + h`` and hyperedge ``e_i H + h``."""
    h = torch.arange(heads, device=hg.device)
    return (hg.hyperedge_index.unsqueeze(2) * heads + h).reshape(2, -1)


def _head_orders(
    hg: Hypergraph, heads: int
) -> tuple[Tensor, tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
    r"""Incidences of the hypergraph repeated once per head, with their sorted orders.

    Node :math:`v` becomes :math:`vH + h`, hyperedge :math:`e` becomes :math:`eH + h` and
    incidence :math:`i` becomes :math:`iH + h`: the ``[nnz, H]`` values of the heads, flattened,
    are the values of this hypergraph, and a ``[rows, H, C]`` input viewed as ``[rows H, C]`` is its
    input, so one sparse product serves every head. Returns ``(hyperedge_index, edge_order,
    node_order)`` in the layout of :meth:`~hgnn.Hypergraph.edge_order`, derived from ``hg``'s own
    orders without another sort.
    """
    def build() -> tuple[Tensor, tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
        h = torch.arange(heads, device=hg.device)

        def expand(order: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
            # Row r's incidences sit at sorted positions ptr[r] .. ptr[r+1]-1; in the expanded
            # order, row rH + h holds the same incidences, as iH + h, from ptr[r] H + h deg(r).
            perm, ptr = order
            deg = ptr.diff()
            start = ptr[:-1].unsqueeze(1) * heads + h * deg.unsqueeze(1)  # [rows, H]
            new_ptr = torch.cat([start.reshape(-1), ptr[-1:] * heads])
            row = torch.repeat_interleave(torch.arange(deg.numel(), device=hg.device), deg)
            offset = torch.arange(perm.numel(), device=hg.device) - ptr[row]
            position = (start[row] + offset.unsqueeze(1)).reshape(-1)
            new_perm = torch.empty_like(position)
            new_perm[position] = (perm.unsqueeze(1) * heads + h).reshape(-1)
            return new_perm, new_ptr

        return _head_index(hg, heads), expand(hg.edge_order()), expand(hg.node_order())

    return hg.cache(("propagate", "head_orders", heads), build)


def _per_head_matmul(x: Tensor, hg: Hypergraph, direction: str, value: Tensor, backend: str | None) -> Tensor:
    r""":math:`\mathrm{out}_{\cdot,h} = A_h\, x_{\cdot,h}` for every head at once (see :func:`_head_orders`)."""
    heads = value.size(1)
    _, _, num_src, num_dst = _endpoints(hg, direction)
    _check_features(x, num_src, "node" if direction == "node_to_edge" else "hyperedge")
    _check_input(value, hg.num_incidences, "value", "incidence")
    channels = x.size(2)
    flat = x.reshape(num_src * heads, channels)
    values = value.to(x.dtype).reshape(-1)
    name = resolve("weighted_sum", x.device, backend)
    if name == "sparse" and x.dtype in SPARSE_DTYPES and x.device == hg.device:
        index, edge_order, node_order = _head_orders(hg, heads)
        src, dst = index if direction == "node_to_edge" else (index[1], index[0])
        size = (hg.num_nodes * heads, hg.num_edges * heads)
        a, a_t = incidence_csr_pair(index, size, edge_order, node_order, values.detach(), direction)
        if values.requires_grad and torch.is_grad_enabled():
            out = csr_matmul(a, a_t, flat, values, dst, src)
        else:
            out = csr_matmul(a, a_t, flat)
    else:  # no sorted orders needed (nor built, e.g. under torch.compile)
        index = _head_index(hg, heads)
        src, dst = index if direction == "node_to_edge" else (index[1], index[0])
        out = gather_scatter(flat, src, dst, num_dst * heads, values, "sum",
                             backend="native" if name == "sparse" else name)
    return out.reshape(num_dst, heads, channels)


def _aggregate(
    x: Tensor,
    hg: Hypergraph,
    direction: str,
    reduce: str,
    weight: Tensor | None,
    backend: str | None,
) -> Tensor:
    if reduce not in AGGREGATIONS:
        raise ValueError(f"reduce must be one of {AGGREGATIONS}, got {reduce!r}")
    _check_hypergraph(hg)
    src, dst, num_src, num_dst = _endpoints(hg, direction)
    _check_features(x, num_src, "node" if direction == "node_to_edge" else "hyperedge")
    if weight is not None:
        _check_input(weight, hg.num_incidences, "weight", "incidence")
        if weight.dim() != 1:
            raise ValueError(f"weight must have shape [nnz]={[hg.num_incidences]}, got {list(weight.shape)}")
    if reduce == "softmax":
        if weight is None:
            raise ValueError("reduce='softmax' needs weight: the [nnz] scores to normalise per group")
        alpha = scatter_softmax(weight, dst, num_dst, backend=backend)
        return incidence_matmul(x, hg, direction, alpha, backend=backend)
    if reduce in ("max", "min"):
        return gather_scatter(x, src, dst, num_dst, weight, reduce, backend=backend)
    if reduce == "sum":
        key = None if weight is not None else ("propagate", "ones")
        return incidence_matmul(x, hg, direction, weight, key=key, backend=backend)
    # mean: sum_i w_i x_i / sum_i w_i, zero where the denominator is zero
    if weight is None:
        def build() -> Tensor:
            count = hg.edge_degree() if direction == "node_to_edge" else hg.node_degree()
            return inv_pow(count)[dst]

        return incidence_matmul(x, hg, direction, build, key=("propagate", "mean"), backend=backend)
    denom = scatter(weight, dst, num_dst, "sum", backend=backend)
    return incidence_matmul(x, hg, direction, weight * inv_pow(denom)[dst], backend=backend)


def node_to_edge(
    x: Tensor,
    hg: Hypergraph,
    reduce: str = "mean",
    weight: Tensor | None = None,
    backend: str | None = None,
) -> Tensor:
    r"""Aggregate node rows into their hyperedges (DHG's ``v2e``).

    .. math::
        \mathrm{out}_e = \bigoplus_{i:\,e_i = e} w_i\, x_{v_i}

    with :math:`\oplus` the sum, the max or the min, or for ``"mean"``
    :math:`\mathrm{out}_e = \sum_i w_i x_{v_i} / \sum_i w_i` (:math:`D_e^{-1} H^\top X` without
    weights), or for ``"softmax"``
    :math:`\mathrm{out}_e = \sum_i \mathrm{softmax}_{i: e_i=e}(w)_i\, x_{v_i}`.

    Args:
        x: ``[N, *]`` floating-point node rows (integer rows would be truncated: pass ``x.float()``).
        hg: the hypergraph.
        reduce: ``"sum"``, ``"mean"``, ``"max"``, ``"min"`` or ``"softmax"``.
        weight: optional ``[nnz]`` per-incidence weights (scores for ``"softmax"``).
        backend: kernel back-end (see :mod:`hgnn.ops.backend`).

    Returns:
        ``[M, *]``; zero rows for empty hyperedges.

    Raises:
        TypeError: ``x`` not a floating-point tensor, or ``hg`` not a :class:`~hgnn.Hypergraph`.
        ValueError: ``x`` without one row per node, a ``weight`` not of shape ``[nnz]``, or an
            unknown ``reduce``.
    """
    return _aggregate(x, hg, "node_to_edge", reduce, weight, backend)


def edge_to_node(
    x: Tensor,
    hg: Hypergraph,
    reduce: str = "mean",
    weight: Tensor | None = None,
    backend: str | None = None,
) -> Tensor:
    r"""Aggregate hyperedge rows into their nodes (DHG's ``e2v``).

    .. math::
        \mathrm{out}_v = \bigoplus_{i:\,v_i = v} w_i\, x_{e_i}

    with the same reductions as :func:`node_to_edge` (``"mean"`` without weights is
    :math:`D_v^{-1} H X_E`, unweighted degree).

    Args:
        x: ``[M, *]`` floating-point hyperedge rows.
        hg: the hypergraph.
        reduce: ``"sum"``, ``"mean"``, ``"max"``, ``"min"`` or ``"softmax"``.
        weight: optional ``[nnz]`` per-incidence weights.
        backend: kernel back-end.

    Returns:
        ``[N, *]``; zero rows for isolated nodes.

    Raises:
        TypeError: ``x`` not a floating-point tensor, or ``hg`` not a :class:`~hgnn.Hypergraph`.
        ValueError: ``x`` without one row per hyperedge, a ``weight`` not of shape ``[nnz]``, or an
            unknown ``reduce``.
    """
    return _aggregate(x, hg, "edge_to_node", reduce, weight, backend)
