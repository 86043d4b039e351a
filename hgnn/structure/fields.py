r"""The fields of a :class:`~hgnn.structure.Hypergraph`: their names and the checks its constructor runs.

A hypergraph holds its incidences (``hyperedge_index``, ``[2, nnz]``), its sizes :math:`N` and
:math:`M`, optional hyperedge weights and features, and named extras at three **levels**: one row
per node (``[N, ...]``), per hyperedge (``[M, ...]``) or per incidence (``[nnz, ...]``). Each check
raises early, naming the argument and the fix.
"""
from __future__ import annotations

import operator
from typing import Any, Iterable, Sequence

import torch
from torch import Tensor

from hgnn.structure.validate import check_index, check_rows, check_same_device, check_size, check_weight

#: The three levels of per-row data: one row per node, per hyperedge, per incidence.
LEVELS = ("node", "edge", "incidence")
#: The constructor's fields, the names :meth:`Hypergraph.replace` accepts.
FIELDS = (
    "hyperedge_index", "num_nodes", "num_edges", "edge_weight", "x", "edge_attr", "incidence_attr", "y",
    "node_data", "edge_data", "incidence_data",
)


def node_id(value: Any, edge: int) -> int:
    """``value`` as a Python int if it is an integer (int, NumPy / torch integer scalar).

    ``edge`` is the position of the hyperedge that lists ``value``, named in the error.

    Raises:
        TypeError: a boolean, a float (never truncated: ``1.7`` is not node 1) or a non-number.
    """
    if isinstance(value, bool) or (isinstance(value, Tensor) and value.dtype == torch.bool):
        raise TypeError(f"edges[{edge}] holds the boolean {value!r}; node ids must be integers")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"edges[{edge}] holds {value!r} ({type(value).__name__}); node ids must be integers "
            "(floats are not truncated: convert them with int() if that is what you mean)"
        ) from None


def edge_list_index(edges: Iterable[Sequence[Any]], device: torch.device | str | None = None) -> tuple[Tensor, int]:
    """``(hyperedge_index, M)`` of a list of hyperedges, each a sequence of node ids.

    The incidences are laid out hyperedge by hyperedge, in the order given; an empty sequence is
    a hyperedge without incidences. ``hyperedge_index`` is ``LongTensor[2, nnz]`` on ``device``.

    Raises:
        TypeError: a node id that is not an integer (see :func:`node_id`).
    """
    edges = [list(e) for e in edges]
    nodes = [node_id(v, j) for j, members in enumerate(edges) for v in members]
    edge_ids = [j for j, members in enumerate(edges) for _ in members]
    return torch.tensor([nodes, edge_ids], dtype=torch.long, device=device).view(2, -1), len(edges)


def infer_size(size: Any, ids: Tensor, name: str, **rows_from: Tensor | None) -> int:
    """The size ``name``: ``size`` checked when given, else the row count of the first tensor of
    ``rows_from`` that is given, else ``max(ids) + 1`` (0 without ids)."""
    if size is not None:
        return check_size(size, name)
    for value in rows_from.values():
        if isinstance(value, Tensor) and value.dim() > 0:
            return value.size(0)
    return int(ids.max()) + 1 if ids.numel() else 0


def check_ids(index: Tensor, num_nodes: int, num_edges: int) -> None:
    """Raise ``ValueError`` unless every node id of ``index`` is below ``num_nodes`` and every
    hyperedge id below ``num_edges`` (skipped while ``torch.compile`` traces)."""
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


def check_fields(
    hyperedge_index: Any,
    num_nodes: Any,
    num_edges: Any,
    edge_weight: Tensor | None,
    x: Tensor | None,
    edge_attr: Tensor | None,
    incidence_attr: Tensor | None,
    y: Tensor | None,
    node_data: dict[str, Tensor],
    edge_data: dict[str, Tensor],
    incidence_data: dict[str, Tensor],
) -> tuple[Tensor, int, int]:
    """Check the constructor's arguments together; return ``(hyperedge_index, N, M)``.

    The index comes back as int64. :math:`N` is inferred from ``x``, then ``y``, then the node ids;
    :math:`M` from ``edge_weight``, then ``edge_attr``, then the hyperedge ids (see
    :func:`infer_size`). Every tensor must have one row per item of its level, finite values, and
    live on the index's device; the keys of the ``*_data`` dicts must be identifiers.

    Raises:
        TypeError: a non-tensor, a non-integer index, non-floating weights.
        ValueError: a malformed index, ids not below the sizes, wrong row counts, NaN/inf,
            negative weights, a non-identifier key, tensors on different devices.
    """
    hyperedge_index = check_index(hyperedge_index)
    num_nodes = infer_size(num_nodes, hyperedge_index[0], "num_nodes", x=x, y=y)
    num_edges = infer_size(num_edges, hyperedge_index[1], "num_edges", edge_weight=edge_weight, edge_attr=edge_attr)
    check_ids(hyperedge_index, num_nodes, num_edges)
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
    levels = (node_data, edge_data, incidence_data)
    for data, rows, level in zip(levels, (num_nodes, num_edges, nnz), LEVELS):
        for key, value in data.items():
            if not isinstance(key, str) or not key.isidentifier():
                raise ValueError(f"{level}_data keys must be identifiers, got {key!r}")
            check_rows(value, rows, f"{level}_data[{key!r}]", level)
    named = {"x": x, "y": y, "edge_weight": edge_weight, "edge_attr": edge_attr, "incidence_attr": incidence_attr}
    named.update({f"{level}_data[{k!r}]": v for level, d in zip(LEVELS, levels) for k, v in d.items()})
    check_same_device(named, hyperedge_index.device)
    return hyperedge_index, num_nodes, num_edges


def field_values(hg: Any) -> dict[str, Any]:
    """``{name: value}`` for each of :data:`FIELDS`: the constructor arguments that rebuild
    ``hg`` (the same tensors, not copies; ``edge_weight`` is ``None`` when none was given)."""
    return {name: getattr(hg, "_edge_weight" if name == "edge_weight" else name) for name in FIELDS}


def replaced_fields(hg: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """:func:`field_values` of ``hg`` with ``fields`` put in their place.

    Raises:
        TypeError: a name in ``fields`` that is not one of :data:`FIELDS`.
    """
    unknown = sorted(set(fields).difference(FIELDS))
    if unknown:
        raise TypeError(
            f"replace() got unknown field(s) {', '.join(map(repr, unknown))}; the fields are {', '.join(FIELDS)}"
        )
    return {**field_values(hg), **fields}


def extra(hg: Any, name: str) -> Any:
    """The tensor ``name`` of ``hg``'s ``node_data``, else ``edge_data``, else ``incidence_data``.

    Raises:
        AttributeError: ``name`` starts with ``_`` or is in none of them.
    """
    if not name.startswith("_"):
        for level in LEVELS:
            data = hg.__dict__.get(f"{level}_data")
            if data is not None and name in data:
                return data[name]
    raise AttributeError(f"{type(hg).__name__} has no attribute {name!r}")


def describe(hg: Any) -> str:
    """``Hypergraph(num_nodes=..., num_edges=..., nnz=..., x=[N, F], ...)``: the sizes, the shape of
    each tensor given, the extras (``edge_data.`` / ``incidence_data.`` prefixed) and a non-CPU
    device."""
    parts = [f"num_nodes={hg.num_nodes}", f"num_edges={hg.num_edges}", f"nnz={hg.num_incidences}"]
    for name in ("x", "y", "edge_attr", "incidence_attr"):
        value = getattr(hg, name)
        if value is not None:
            parts.append(f"{name}={list(value.shape)}")
    if hg.is_weighted:
        parts.append("edge_weight")
    for level in LEVELS:
        prefix = "" if level == "node" else f"{level}_data."
        for key, value in getattr(hg, f"{level}_data").items():
            parts.append(f"{prefix}{key}={list(value.shape)}")
    if hg.device.type != "cpu":
        parts.append(f"device={hg.device}")
    return f"{type(hg).__name__}({', '.join(parts)})"
