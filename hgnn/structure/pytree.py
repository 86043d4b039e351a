"""A :class:`~hgnn.structure.Hypergraph` as a pytree node, so that ``torch.export`` and
``torch.compile`` take it as a model input.

Its tensors (``hyperedge_index``, the weights given, the features and every ``*_data`` extra)
become the leaves, hence graph inputs; the sizes and the extras' names are the static context.
Nothing kept by :meth:`~hgnn.structure.Hypergraph.cache` is a leaf: the caches are rebuilt in
the trace.
"""
from __future__ import annotations

from functools import partial
from typing import Any

import torch.utils._pytree as pytree
from torch import Tensor

from hgnn.structure.fields import LEVELS

#: The tensor attributes that are leaves, in order; the extras of each level follow them.
LEAF_FIELDS = ("hyperedge_index", "_edge_weight", "x", "edge_attr", "incidence_attr", "y")


def flatten_with_keys(hg: Any) -> tuple[list[tuple[Any, Tensor | None]], tuple]:
    """``(children, context)``: each leaf with its ``GetAttrKey`` (``"x"``,
    ``"node_data.train_mask"``, ...), and ``(N, M, ((level, names), ...))``."""
    keys = tuple((level, tuple(getattr(hg, f"{level}_data"))) for level in LEVELS)
    children = [(pytree.GetAttrKey(n), getattr(hg, n)) for n in LEAF_FIELDS]
    for level, level_keys in keys:
        data = getattr(hg, f"{level}_data")
        children.extend((pytree.GetAttrKey(f"{level}_data.{k}"), data[k]) for k in level_keys)
    return children, (hg.num_nodes, hg.num_edges, keys)


def flatten(hg: Any) -> tuple[list[Tensor | None], tuple]:
    """``(leaves, context)`` of :func:`flatten_with_keys` without the keys."""
    children, context = flatten_with_keys(hg)
    return [child for _, child in children], context


def unflatten(cls: type, children: list[Tensor | None], context: tuple) -> Any:
    """The ``cls`` instance (a :class:`~hgnn.structure.Hypergraph`) that :func:`flatten` took apart,
    built without checks from its leaves and context."""
    num_nodes, num_edges, keys = context
    index, weight, x, edge_attr, incidence_attr, y, *rest = children
    data: dict[str, dict[str, Tensor]] = {}
    it = iter(rest)
    for level, level_keys in keys:
        data[level] = {k: next(it) for k in level_keys}
    return cls(
        index, num_nodes, num_edges, weight, x, edge_attr, incidence_attr, y,
        data["node"], data["edge"], data["incidence"], validate=False,
    )


def register(cls: type) -> None:
    """Register ``cls`` (:class:`~hgnn.structure.Hypergraph`) with ``torch.utils._pytree`` under
    the serialised name ``"hgnn.Hypergraph"``."""
    pytree.register_pytree_node(
        cls,
        flatten,
        partial(unflatten, cls),
        serialized_type_name="hgnn.Hypergraph",
        flatten_with_keys_fn=flatten_with_keys,
    )
