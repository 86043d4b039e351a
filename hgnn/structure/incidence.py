r"""Degrees, sorted orders and sparse operators computed from an incidence list.

The functions behind :class:`~hgnn.structure.Hypergraph`'s cached :meth:`~hgnn.structure.Hypergraph.node_degree`,
:meth:`~hgnn.structure.Hypergraph.edge_order`, :meth:`~hgnn.structure.Hypergraph.incidence_csr`, ...
They take the raw tensors (``hyperedge_index`` ``[2, nnz]``, row 0 node ids, row 1 hyperedge ids)
and keep nothing; the hypergraph caches their results.
"""
from __future__ import annotations

import warnings

import torch
from torch import Tensor

from hgnn.ops import csr_matrix

#: The two directions of :func:`incidence_csr_pair`.
DIRECTIONS = ("node_to_edge", "edge_to_node")


def degree(index: Tensor, size: int, weight: Tensor | None = None, dtype: torch.dtype = torch.float32) -> Tensor:
    r"""``[size]`` occurrence counts of each id in ``index`` (``[nnz]``), or the sums of ``weight``
    (``[nnz]``) over them: :math:`d_k = \sum_{i : \text{index}_i = k} \text{weight}_i`.

    With row 0 of ``hyperedge_index`` this is the node degree :math:`d(v) = \sum_e H_{ve}`, with
    row 1 the hyperedge size :math:`\delta(e)`. ``dtype`` is the result's without ``weight``.
    """
    src = torch.ones(index.numel(), dtype=dtype, device=index.device) if weight is None else weight
    return torch.zeros(size, dtype=src.dtype, device=index.device).index_add_(0, index, src)


def sort_index(index: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """Stable sort of the ids ``index`` (``[nnz]``, in ``[0, size)``): ``(perm, ptr)``.

    ``index[perm]`` is non-decreasing (ties keep their order) and ``ptr`` (``[size + 1]``) is the
    CSR row pointer: the positions holding id ``k`` are ``perm[ptr[k]:ptr[k + 1]]``.
    """
    perm = torch.sort(index, stable=True).indices
    ptr = torch.zeros(size + 1, dtype=torch.long, device=index.device)
    torch.cumsum(torch.bincount(index, minlength=size), 0, out=ptr[1:])
    return perm, ptr


def edge_to_node_permutation(edge_perm: Tensor, node_perm: Tensor) -> Tensor:
    """``[nnz]`` permutation ``p`` with ``edge_perm[p] == node_perm``: it re-orders a tensor laid
    out in hyperedge-sorted order (``edge_perm``) into node-sorted order (``node_perm``)."""
    rank = torch.empty_like(edge_perm)
    rank[edge_perm] = torch.arange(edge_perm.numel(), device=edge_perm.device)
    return rank[node_perm]


def check_direction(direction: str) -> None:
    """Raise ``ValueError`` unless ``direction`` is ``"node_to_edge"`` or ``"edge_to_node"``."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'node_to_edge' or 'edge_to_node', got {direction!r}")


def incidence_csr_pair(
    hyperedge_index: Tensor,
    size: tuple[int, int],
    edge_order: tuple[Tensor, Tensor],
    node_order: tuple[Tensor, Tensor],
    value: Tensor | None,
    direction: str,
) -> tuple[Tensor, Tensor]:
    r"""The sparse-CSR incidence operator :math:`A` and its transpose, ``(A, A^T)``.

    :math:`A_{ev} = \sum_{i:(v_i,e_i)=(v,e)} a_i` is ``[M, N]`` for ``direction="node_to_edge"``;
    for ``"edge_to_node"`` the roles swap (``[N, M]``).

    Args:
        hyperedge_index: ``[2, nnz]`` incidences.
        size: ``(N, M)``.
        edge_order, node_order: ``(perm, ptr)`` of :func:`sort_index` on rows 1 and 0.
        value: ``[nnz]`` incidence values :math:`a_i` in column order; ones when ``None``.
        direction: ``"node_to_edge"`` or ``"edge_to_node"``.

    Raises:
        ValueError: an unknown ``direction``, or ``value`` not of shape ``[nnz]``.
    """
    check_direction(direction)
    nnz = hyperedge_index.size(1)
    if value is None:
        value = torch.ones(nnz, device=hyperedge_index.device)
    elif value.dim() != 1 or value.size(0) != nnz:
        raise ValueError(f"value must have shape [nnz]=[{nnz}] (one per incidence), got {list(value.shape)}")
    (edge_perm, edge_ptr), (node_perm, node_ptr) = edge_order, node_order
    nodes, edges = hyperedge_index
    n, m = size
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ss]parse.*")
        by_edge = csr_matrix(edge_ptr, nodes[edge_perm], value[edge_perm], (m, n))
        by_node = csr_matrix(node_ptr, edges[node_perm], value[node_perm], (n, m))
    return (by_edge, by_node) if direction == "node_to_edge" else (by_node, by_edge)
