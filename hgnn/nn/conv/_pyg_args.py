"""The structure argument of the convolutions: a :class:`~hgnn.structure.Hypergraph`, or PyG's
``hyperedge_index, hyperedge_weight=None, hyperedge_attr=None, num_edges=None``.

Both calls reach a layer's math as one :class:`~hgnn.structure.Hypergraph`. From a raw index it is
built as PyG's ``HypergraphConv`` reads its arguments (``num_nodes = x.size(0)``; ``num_edges`` the
length of ``hyperedge_weight``, else ``max(hyperedge_index[1]) + 1``). A layer built with
``cached=True`` keeps the hypergraph of its first raw-index call in a :class:`StructureCache` and
reuses it, with its normalisation, on every later call with the same index and weights (the same
values: a call with another structure, or after an in-place edit of the first call's tensors that
changed their values, raises).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from hgnn.structure import Hypergraph, as_hypergraph
from hgnn.structure.validate import check_index, check_size, check_weight


_Seen = tuple[Tensor, tuple[int, ...], torch.device, int] | None  # (tensor, shape, device, version)


class StructureCache:
    """The hypergraph a layer built with ``cached=True`` keeps from its first raw-index call.

    The hypergraph is built from private copies of the index and the weights, so that editing the
    caller's tensors in place cannot reach it. A later call matches when its ``hyperedge_index`` /
    ``hyperedge_weight`` are the tensors of the last matching call, unchanged since (same object,
    shape, device and in-place version counter: no work), or otherwise hold the same values as the
    kept copies. A call with another structure, an in-place edit that changed the values included,
    is an error, never a silent reuse. (Inference tensors keep no version counter: they are always
    compared by value.)
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget the kept hypergraph; the next raw-index call builds and keeps a new one."""
        self.hg: Hypergraph | None = None
        self.index_copy: Tensor | None = None  # the values the hypergraph was built from
        self.weight_copy: Tensor | None = None
        self.last: tuple[_Seen, _Seen] | None = None  # the caller's tensors of the last matching call


def _seen(t: Tensor | None) -> _Seen:
    """What the O(1) match of a later call compares; ``None`` for no tensor or an inference tensor."""
    if t is None or t.is_inference():
        return None
    return t, tuple(t.shape), t.device, t._version


def _unchanged(seen: _Seen, given: Tensor) -> bool:
    """Whether ``given`` is the tensor ``seen`` recorded and was not edited, resized or moved since."""
    return (seen is not None and seen[0] is given and seen[3] == given._version
            and seen[1] == tuple(given.shape) and seen[2] == given.device)


def _check_weight(weight: Any, num_edges: int | None, index: Tensor) -> None:
    """``hyperedge_weight``: a finite non-negative floating ``[M]`` vector on the index's device."""
    if not isinstance(weight, Tensor):
        raise TypeError(f"hyperedge_weight must be a torch.Tensor, got {type(weight).__name__}")
    if weight.dim() != 1:
        raise ValueError(f"hyperedge_weight must be a vector [num_edges] (one weight per hyperedge), "
                         f"got shape {list(weight.shape)}")
    if weight.device != index.device:
        raise ValueError(f"hyperedge_weight is on {weight.device} but hyperedge_index is on {index.device}; "
                         "move both with .to(device)")
    rows = weight.size(0) if num_edges is None else num_edges
    check_weight(weight, rows, "hyperedge_weight", "hyperedge")
    if num_edges is None and index.numel() and not torch.compiler.is_compiling():
        needed = int(index[1].max()) + 1
        if rows < needed:
            raise ValueError(f"hyperedge_weight has {rows} entries but hyperedge_index has hyperedge id "
                             f"{needed - 1}; pass one weight per hyperedge")


def build_hypergraph(
    hyperedge_index: Tensor, num_nodes: int, hyperedge_weight: Tensor | None = None, num_edges: Any = None
) -> Hypergraph:
    """The :class:`~hgnn.structure.Hypergraph` PyG's ``HypergraphConv`` reads from its arguments.

    ``num_edges`` when given, else the length of ``hyperedge_weight``, else
    ``max(hyperedge_index[1]) + 1`` (PyG's inference; trailing empty hyperedges change no
    output, so the two inferences give the same numbers).

    Raises:
        TypeError: a non-integer index or ``num_edges``, non-floating weights.
        ValueError: a malformed index, ids not below the sizes, weights not ``[num_edges]``,
            negative or non-finite weights.
    """
    index = check_index(hyperedge_index)
    if num_edges is not None:
        num_edges = check_size(num_edges, "num_edges")
    if hyperedge_weight is not None:
        _check_weight(hyperedge_weight, num_edges, index)
    return Hypergraph(index, num_nodes=num_nodes, num_edges=num_edges, edge_weight=hyperedge_weight)


def _same(kept: Tensor | None, given: Tensor | None, seen: _Seen) -> bool:
    """Whether ``given`` holds the values of the kept copy (``None`` matches only ``None``):
    O(1) when it is the unchanged tensor of the last matching call, else compared by value."""
    if kept is None or given is None:
        return kept is given
    if _unchanged(seen, given):
        return True
    return kept.shape == given.shape and torch.equal(kept.to(given.device), given)


def _cached_hypergraph(
    cache: StructureCache, index: Tensor, num_nodes: int, weight: Tensor | None, num_edges: Any
) -> Hypergraph:
    """The kept hypergraph when ``index`` / ``weight`` hold the kept values (see
    :class:`StructureCache`), else build and keep it on the first call and raise on a later call
    with another structure."""
    if isinstance(weight, Tensor) and weight.requires_grad:
        raise ValueError("cached=True keeps the normalisation of the first call, but hyperedge_weight requires "
                         "grad (learned weights change at every step); build the layer with cached=False")
    hg = cache.hg
    if hg is None:
        with torch.inference_mode(False):  # copies usable by later calls outside inference mode
            index_copy = index.clone()
            weight_copy = weight.clone() if isinstance(weight, Tensor) else weight
        hg = build_hypergraph(index_copy, num_nodes, weight_copy, num_edges)
        cache.hg, cache.index_copy, cache.weight_copy = hg, index_copy, weight_copy
        cache.last = (_seen(index), _seen(weight))
        return hg
    last = cache.last or (None, None)
    same = (
        hg.num_nodes == num_nodes
        and (num_edges is None or check_size(num_edges, "num_edges") == hg.num_edges)
        and _same(cache.index_copy, index, last[0])
        and _same(cache.weight_copy, weight, last[1])
    )
    if not same:
        raise ValueError(
            f"this layer was built with cached=True and keeps the hypergraph of its first call "
            f"({hg.num_nodes} nodes, {hg.num_edges} hyperedges, {hg.num_incidences} incidences); it was "
            "called with another hyperedge_index, hyperedge_weight, num_edges or number of rows of x "
            "(or one of them was edited in place). cached=True is for one fixed hypergraph (transductive "
            "use): build the layer with cached=False, pass a Hypergraph built once per structure, or call "
            "reset_parameters() to forget the kept one"
        )
    if hg.device != index.device:
        hg = hg.to(index.device)
        cache.hg = hg
        cache.index_copy = index if cache.index_copy is None else cache.index_copy.to(index.device)
        cache.weight_copy = None if cache.weight_copy is None else cache.weight_copy.to(index.device)
    cache.last = (_seen(index), _seen(weight))  # the next call with these tensors, unchanged, costs O(1)
    return hg


def _check_attr(hyperedge_attr: Any, num_edges: int) -> None:
    if not isinstance(hyperedge_attr, Tensor):
        raise TypeError(f"hyperedge_attr must be a torch.Tensor, got {type(hyperedge_attr).__name__}")
    if hyperedge_attr.dim() == 0 or hyperedge_attr.size(0) != num_edges:
        raise ValueError(f"hyperedge_attr must have one row per hyperedge ([num_edges={num_edges}, F]), got "
                         f"shape {list(hyperedge_attr.shape)}; this layer does not use it (PyG reads it only "
                         "for attention), so it may also be left out")


def resolve_hypergraph(
    x: Tensor,
    hg: Hypergraph | Tensor | None,
    hyperedge_weight: Tensor | None = None,
    hyperedge_attr: Tensor | None = None,
    num_edges: Any = None,
    hyperedge_index: Tensor | None = None,
    cache: StructureCache | None = None,
) -> Hypergraph:
    """The hypergraph of a convolution's call ``conv(x, hg)`` or
    ``conv(x, hyperedge_index, hyperedge_weight, hyperedge_attr, num_edges)``.

    ``hyperedge_index`` is the keyword spelling of the second argument. ``hyperedge_attr`` is
    checked (one row per hyperedge) and not used. With ``cache`` (a layer built with
    ``cached=True``) a raw index's hypergraph is kept and reused.

    Raises:
        TypeError: no structure, the structure given twice, a second argument that is neither a
            :class:`~hgnn.structure.Hypergraph` nor a tensor, or ``hyperedge_weight`` /
            ``num_edges`` passed with a Hypergraph (it carries both).
        ValueError: as :func:`build_hypergraph`; ``x`` whose rows are not the hypergraph's nodes;
            a cached layer called with another structure.
    """
    if hyperedge_index is not None:
        if hg is not None:
            raise TypeError("the structure was given twice: pass it as the second argument or as "
                            "hyperedge_index=..., not both")
        hg = hyperedge_index
    if hg is None:
        raise TypeError("missing the structure: call conv(x, hg) with a Hypergraph, or "
                        "conv(x, hyperedge_index) with a [2, nnz] index tensor")
    num_nodes = x.size(0)
    if isinstance(hg, Hypergraph):
        given = [name for name, value in (("hyperedge_weight", hyperedge_weight), ("num_edges", num_edges))
                 if value is not None]
        if given:
            raise TypeError(
                f"{' and '.join(given)} cannot be passed with a Hypergraph: it already carries its hyperedge "
                "weights (edge_weight) and num_edges; set them when building it "
                "(Hypergraph(hyperedge_index, num_edges=..., edge_weight=...) or hg.replace(edge_weight=...))"
            )
        hg = as_hypergraph(hg, num_nodes)
    elif isinstance(hg, Tensor):
        if cache is not None:
            hg = _cached_hypergraph(cache, hg, num_nodes, hyperedge_weight, num_edges)
        else:
            hg = build_hypergraph(hg, num_nodes, hyperedge_weight, num_edges)
    else:
        raise TypeError(f"hg must be a Hypergraph or a [2, nnz] hyperedge_index tensor, got {type(hg).__name__}")
    if hyperedge_attr is not None:
        _check_attr(hyperedge_attr, hg.num_edges)
    return hg
