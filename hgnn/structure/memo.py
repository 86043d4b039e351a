"""The memo behind :meth:`Hypergraph.cache <hgnn.structure.Hypergraph.cache>`: its key convention,
the lookup rule and the copy of its values to another device.

A hypergraph keeps what is derived from its structure (degrees, sorted orders, normalisations,
sparse operators) in a plain ``dict`` under namespaced keys ``(owner, name, *params)``.
"""
from __future__ import annotations

from typing import Any, Callable

from torch import Tensor

from hgnn.structure.fields import LEVELS, field_values

#: Cache entries that depend on the incidence alone, never on the hyperedge weights: kept even
#: while the weights are learnable.
STRUCTURE_KEYS = frozenset(
    ("hypergraph", name)
    for name in ("unit_weight", "node_degree", "edge_degree", "edge_order", "node_order", "edge_to_node_order")
)
_MISSING = object()


def check_cache_key(key: Any) -> None:
    """Raise ``TypeError`` unless ``key`` is a namespaced cache key ``(owner, name, *params)``.

    See :meth:`Hypergraph.cache <hgnn.structure.Hypergraph.cache>` for the convention.
    """
    if not (isinstance(key, tuple) and len(key) >= 2 and isinstance(key[0], str) and isinstance(key[1], str)):
        raise TypeError(
            f"cache keys are tuples (owner, name, *params) whose first two items are strings, e.g. "
            f"('hgnn', 'normalization') or ('hnhn', 'to_edge', alpha); got {key!r}"
        )


def memoize(memo: dict, key: tuple, build: Callable[[], Any], structure_only: bool) -> Any:
    """``memo[key]`` if present, else ``build()``, stored under ``key`` unless ``structure_only``
    is set and ``key`` is not one of :data:`STRUCTURE_KEYS` (learnable weights: every other value
    is rebuilt at each call so that each records its own autograd graph).

    Raises:
        TypeError: a missing ``key`` that is not ``(owner, name, *params)``.
    """
    value = memo.get(key, _MISSING)
    if value is _MISSING:
        check_cache_key(key)
        value = build()
        if key in STRUCTURE_KEYS or not structure_only:
            memo[key] = value
    return value


def map_tensors(value: Any, fn: Callable[[Tensor], Tensor]) -> Any:
    """``fn(value)`` for a tensor, applied item by item inside (nested) tuples; anything else is
    returned as is. Moves cached values, e.g. an order ``(perm, ptr)`` or a CSR pair."""
    if isinstance(value, Tensor):
        return fn(value)
    if isinstance(value, tuple):
        return tuple(map_tensors(v, fn) for v in value)
    return value


def map_hypergraph(hg: Any, fn: Callable[[Tensor], Tensor]) -> Any:
    """A copy of the :class:`~hgnn.structure.Hypergraph` ``hg`` with ``fn`` applied to every
    tensor: its fields, the extras of each level and the values kept in its memo (see
    :func:`map_tensors`), so that nothing has to be rebuilt after a move."""
    fields = {name: map_tensors(value, fn) for name, value in field_values(hg).items()}
    for level in LEVELS:
        fields[f"{level}_data"] = {key: map_tensors(value, fn) for key, value in fields[f"{level}_data"].items()}
    out = type(hg)(**fields, validate=False)
    out._cache = {key: map_tensors(value, fn) for key, value in hg._cache.items()}
    if "num_graphs" in hg.__dict__:  # a batch stays one
        out.num_graphs = hg.num_graphs
    return out
