r"""Hypergraphs built from data: node features, a graph, or groups of nodes.

* :func:`from_features`: one hyperedge per node, the node and its :math:`k` nearest neighbours
  in feature space (DHG's ``Hypergraph.from_feature_kNN``), or every node within a radius.
* :func:`from_graph`: a graph's edges, each node's :math:`k`-hop neighbourhood (DHG's
  ``Hypergraph.from_graph_kHop``) or the graph's maximal cliques as hyperedges.
* :func:`from_groups`: hyperedges listed as member ids, or one hyperedge per value of a label.

:func:`nearest_neighbors` is the neighbour search behind :func:`from_features`, also for batches
of small point sets. Every function returns a :class:`~hgnn.structure.Hypergraph` with explicit
``num_nodes`` and ``num_edges``.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from hgnn.structure.fields import edge_list_index
from hgnn.structure.hypergraph import Hypergraph

__all__ = ["METRICS", "GRAPH_KINDS", "from_features", "from_graph", "from_groups", "nearest_neighbors"]

#: Distances :func:`from_features` and :func:`nearest_neighbors` accept.
METRICS = ("euclidean", "cosine")
#: What :func:`from_graph` turns into hyperedges.
GRAPH_KINDS = ("edges", "khop", "cliques")
#: Rows of the distance matrix computed at once when ``batch_size`` is not given (at most about
#: this many entries: ``batch_size * N``).
_BLOCK_ENTRIES = 1 << 24


def _check_features(x: Any, metric: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a tensor of node features [N, F], got {type(x).__name__}")
    if x.dim() < 2:
        raise ValueError(f"x must have shape [N, F] (or [..., N, F] for nearest_neighbors), got {list(x.shape)}")
    if not x.is_floating_point():
        x = x.float()
    if not torch.isfinite(x).all():
        raise ValueError("x holds NaN or inf; clean or impute the features first")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    return x


def _check_positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def _distances(query: Tensor, x: Tensor, metric: str) -> Tensor:
    """``[..., b, N]`` distances from each query row to each row of ``x``."""
    if metric == "cosine":
        return 1.0 - F.normalize(query, dim=-1) @ F.normalize(x, dim=-1).transpose(-1, -2)
    return torch.cdist(query, x, compute_mode="donot_use_mm_for_euclid_dist")


def _blocks(n: int, batch_size: int | None) -> list[tuple[int, int]]:
    """``(start, stop)`` of the row blocks of ``batch_size`` rows (by default about
    :data:`_BLOCK_ENTRIES` distances a block)."""
    if batch_size is None:
        batch_size = max(1, _BLOCK_ENTRIES // max(n, 1))
    step = _check_positive_int(batch_size, "batch_size")
    return [(start, min(start + step, n)) for start in range(0, n, step)]


def _block_distances(x: Tensor, start: int, stop: int, metric: str, radius: float | None) -> Tensor:
    """Distances of rows ``start:stop`` to all rows; the row's own node and those beyond ``radius``
    are set to ``inf``."""
    dist = _distances(x[..., start:stop, :], x, metric)
    rows = torch.arange(stop - start, device=x.device)
    dist[..., rows, rows + start] = float("inf")
    if radius is not None:
        dist = dist.masked_fill(dist > radius, float("inf"))
    return dist


def nearest_neighbors(
    x: Tensor,
    k: int,
    metric: str = "euclidean",
    include_self: bool = True,
    batch_size: int | None = None,
) -> Tensor:
    r"""The :math:`k` nearest other rows of every row of ``x``, nearest first.

    Distances are :math:`\lVert x_u - x_v \rVert_2` (``"euclidean"``) or
    :math:`1 - \cos(x_u, x_v)` (``"cosine"``; a zero vector is at distance 1 from every row).
    Ties are broken by the smaller row id, so the result does not depend on ``batch_size`` or the
    device's sort. Rows are processed ``batch_size`` at a time, so at most ``[batch_size, N]``
    distances exist at once.

    Args:
        x: ``[N, F]`` points, or ``[..., N, F]`` for independent point sets (e.g. a batch of
            episodes), each searched on its own.
        k: neighbours per row, :math:`1 \le k \le N - 1`.
        metric: one of :data:`METRICS`.
        include_self: put the row itself first (the result then has :math:`k + 1` columns).
        batch_size: rows per block; by default about :math:`2^{24} / N`.

    Returns:
        ``LongTensor[..., N, k]`` (``k + 1`` with ``include_self``) of row ids.
    """
    x = _check_features(x, metric)
    n = x.size(-2)
    k = _check_positive_int(k, "k")
    if k > n - 1:
        raise ValueError(f"k={k} but each of the {n} rows has only {n - 1} others; pass k <= {n - 1}")
    parts = []
    for start, stop in _blocks(n, batch_size):
        dist = _block_distances(x, start, stop, metric, None)
        parts.append(torch.sort(dist, dim=-1, stable=True).indices[..., :k])
    nbrs = torch.cat(parts, dim=-2)
    if include_self:
        own = torch.arange(n, device=x.device).expand(*nbrs.shape[:-1]).unsqueeze(-1)
        nbrs = torch.cat([own, nbrs], dim=-1)
    return nbrs


def _neighbour_pairs(x: Tensor, k: int | None, radius: float | None, metric: str,
                     batch_size: int | None) -> tuple[Tensor, Tensor]:
    """``(center, member)`` pairs: the ``k`` nearest others and / or those within ``radius``."""
    n = x.size(0)
    centers, members = [], []
    for start, stop in _blocks(n, batch_size):
        dist = _block_distances(x, start, stop, metric, radius)
        if k is not None:
            values, idx = torch.sort(dist, dim=1, stable=True)
            values, idx = values[:, :k], idx[:, :k]
            row, col = torch.nonzero(torch.isfinite(values), as_tuple=True)
            centers.append(row + start)
            members.append(idx[row, col])
        else:
            row, col = torch.nonzero(torch.isfinite(dist), as_tuple=True)
            centers.append(row + start)
            members.append(col)
    return torch.cat(centers), torch.cat(members)


def _dedupe(index: Tensor, num_edges: int) -> tuple[Tensor, int]:
    """Keep the first of every set of hyperedges with the same members (as sets); renumber."""
    if num_edges == 0:
        return index, 0
    nodes, edges = index
    order = torch.argsort(edges * (int(nodes.max()) + 1 if nodes.numel() else 1) + nodes, stable=True)
    nodes_s, edges_s = nodes[order], edges[order]
    sizes = torch.bincount(edges, minlength=num_edges)
    width = int(sizes.max()) if sizes.numel() else 0
    slot = torch.arange(nodes_s.numel(), device=index.device) - (torch.cumsum(sizes, 0) - sizes)[edges_s]
    table = torch.full((num_edges, width + 1), -1, dtype=torch.long, device=index.device)
    table[:, 0] = sizes
    table[edges_s, slot + 1] = nodes_s
    _, inverse = torch.unique(table, dim=0, return_inverse=True)
    ids = torch.arange(num_edges, device=index.device)
    first = torch.full((int(inverse.max()) + 1,), num_edges, device=index.device).scatter_reduce(
        0, inverse, ids, reduce="amin")
    keep = first[inverse] == ids
    new_id = torch.cumsum(keep, 0) - 1
    kept = keep[edges]
    return torch.stack([nodes[kept], new_id[edges[kept]]]), int(keep.sum())


def _center_first(centers: Tensor, members: Tensor, n: int, include_self: bool) -> Tensor:
    """The incidences of hyperedges ``0..n-1``, hyperedge ``c`` holding ``c`` (if ``include_self``)
    and then its members in the order given."""
    if include_self:
        own = torch.arange(n, device=centers.device)
        centers, members = torch.cat([own, centers]), torch.cat([own, members])
    order = torch.argsort(centers, stable=True)
    return torch.stack([members[order], centers[order]])


def from_features(
    x: Tensor,
    k: int | None = None,
    radius: float | None = None,
    metric: str = "euclidean",
    include_self: bool = True,
    dedupe: bool = False,
    batch_size: int | None = None,
) -> Hypergraph:
    r"""One hyperedge per node: the node and its nearest neighbours in feature space.

    Hyperedge :math:`e_v` gathers node :math:`v` and

    * with ``k``: its :math:`k` nearest other nodes (DHG's ``Hypergraph.from_feature_kNN(x, k + 1)``,
      whose ``k`` counts the node itself), nearest first, ties to the smaller id;
    * with ``radius``: every other node :math:`u` with :math:`d(x_u, x_v) \le r`, in id order;
    * with both: the :math:`k` nearest among those within the radius.

    Distances as in :func:`nearest_neighbors`; rows are compared ``batch_size`` at a time, so no
    ``[N, N]`` matrix is built for large :math:`N`.

    **Duplicates.** By default hyperedge :math:`j` is node :math:`j`'s, so :math:`M = N` even when
    two nodes have the same neighbourhood. ``dedupe=True`` keeps only the first (lowest node id)
    of every group of hyperedges with the same member set, as DHG does when it merges them.

    Args:
        x: ``[N, F]`` node features (cast to float).
        k: neighbours per node, :math:`1 \le k \le N - 1`.
        radius: the largest distance to a neighbour, :math:`\ge 0`.
        metric: one of :data:`METRICS`.
        include_self: put the node itself first in its hyperedge.
        dedupe: merge hyperedges with the same members (see above).
        batch_size: rows compared at once; by default about :math:`2^{24} / N`.

    Returns:
        :class:`~hgnn.structure.Hypergraph` with ``num_nodes=N`` on ``x``'s device (features not
        attached: ``hg.replace(x=x)`` adds them).
    """
    x = _check_features(x, metric)
    if x.dim() != 2:
        raise ValueError(f"x must have shape [N, F], got {list(x.shape)}")
    if k is None and radius is None:
        raise ValueError("pass k (nearest neighbours) or radius (all nodes within a distance), or both")
    n = x.size(0)
    if k is not None:
        k = _check_positive_int(k, "k")
        if k > n - 1:
            raise ValueError(f"k={k} but each of the {n} nodes has only {n - 1} others; pass k <= {n - 1}")
    if radius is not None:
        if isinstance(radius, bool) or not isinstance(radius, (int, float)):
            raise TypeError(f"radius must be a number, got {type(radius).__name__}")
        if not radius >= 0:
            raise ValueError(f"radius must be >= 0, got {radius}")
    centers, members = _neighbour_pairs(x, k, radius, metric, batch_size)
    index = _center_first(centers, members, n, include_self)
    num_edges = n
    if dedupe:
        index, num_edges = _dedupe(index, num_edges)
    return Hypergraph(index, num_nodes=n, num_edges=num_edges)


def _check_edge_index(edge_index: Any, num_nodes: int | None) -> tuple[Tensor, int]:
    if not isinstance(edge_index, Tensor):
        raise TypeError(f"edge_index must be a LongTensor [2, E], got {type(edge_index).__name__}")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must have shape [2, E], got {list(edge_index.shape)}")
    if edge_index.dtype not in (torch.int32, torch.int64):
        raise TypeError(f"edge_index must hold integer node ids, got {edge_index.dtype}")
    edge_index = edge_index.long()
    if edge_index.numel() and int(edge_index.min()) < 0:
        raise ValueError("edge_index holds a negative node id")
    top = int(edge_index.max()) + 1 if edge_index.numel() else 0
    if num_nodes is None:
        num_nodes = top
    elif isinstance(num_nodes, bool) or not isinstance(num_nodes, int) or num_nodes < top:
        raise ValueError(f"num_nodes={num_nodes!r} but edge_index names node {top - 1}; pass num_nodes >= {top}")
    return edge_index, num_nodes


def _undirected(edge_index: Tensor, n: int) -> Tensor:
    """Both directions of every non-loop edge, once each, sorted by (source, target)."""
    src, dst = edge_index[:, edge_index[0] != edge_index[1]]
    key = torch.unique(torch.cat([src * n + dst, dst * n + src]))
    return torch.stack([key // max(n, 1), key % max(n, 1)])


def _khop_pairs(adj: Tensor, n: int, k: int) -> tuple[Tensor, Tensor]:
    """``(center, member)`` for every node within ``k`` hops of each center (itself included)."""
    ptr = torch.zeros(n + 1, dtype=torch.long, device=adj.device)
    ptr[1:] = torch.cumsum(torch.bincount(adj[0], minlength=n), 0)
    reach = torch.arange(n, device=adj.device) * (n + 1)  # keys center * n + member
    frontier = reach
    for _ in range(k):
        center, node = frontier // n, frontier % n
        count = ptr[node + 1] - ptr[node]
        source = torch.repeat_interleave(torch.arange(node.numel(), device=adj.device), count)
        offset = torch.arange(source.numel(), device=adj.device) - (torch.cumsum(count, 0) - count)[source]
        step = center[source] * n + adj[1, ptr[node[source]] + offset]
        frontier = torch.unique(step)
        frontier = frontier[~torch.isin(frontier, reach)]
        if frontier.numel() == 0:
            break
        reach = torch.cat([reach, frontier])
    reach = torch.sort(reach).values
    return reach // n, reach % n


def _cliques(adj: Tensor, n: int) -> list[list[int]]:
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(adj.t().tolist())
    return sorted(sorted(clique) for clique in nx.find_cliques(graph))


def from_graph(
    edge_index: Tensor,
    num_nodes: int | None = None,
    kind: str = "edges",
    k: int = 1,
    dedupe: bool = True,
) -> Hypergraph:
    r"""Hyperedges from a graph given as PyG's ``edge_index``.

    The graph is read as undirected and its self-loops are ignored.

    * ``"edges"``: every edge :math:`\{u, v\}` is a hyperedge (DHG's ``Hypergraph.from_graph``).
      PyG lists an undirected edge in both directions; with ``dedupe`` (default) it becomes one
      hyperedge, otherwise one per column of ``edge_index``, in column order.
    * ``"khop"``: hyperedge :math:`j` is node :math:`j` and every node within ``k`` hops, ``j``
      first, then by id (DHG's ``Hypergraph.from_graph_kHop``).
    * ``"cliques"``: the maximal cliques (networkx's ``find_cliques``; an isolated node is a
      clique of one), each sorted, listed in lexicographic order. This can take exponential time
      on dense graphs.

    With ``dedupe``, of hyperedges with the same member set only the first is kept (as DHG does);
    maximal cliques are distinct anyway.

    Args:
        edge_index: ``LongTensor[2, E]``.
        num_nodes: :math:`N`; ``max id + 1`` when ``None``.
        kind: one of :data:`GRAPH_KINDS`.
        k: hops, for ``kind="khop"`` only.
        dedupe: merge hyperedges with the same members.

    Returns:
        :class:`~hgnn.structure.Hypergraph` with ``num_nodes=N`` on ``edge_index``'s device.
    """
    edge_index, n = _check_edge_index(edge_index, num_nodes)
    if kind not in GRAPH_KINDS:
        raise ValueError(f"kind must be one of {GRAPH_KINDS}, got {kind!r}")
    k = _check_positive_int(k, "k")
    if kind != "khop" and k != 1:
        raise ValueError(f"k={k} is for kind='khop' only; drop it or pass kind='khop'")
    device = edge_index.device
    if kind == "edges":
        pairs = edge_index[:, edge_index[0] != edge_index[1]]
        index = torch.stack([pairs.t().reshape(-1),
                             torch.arange(pairs.size(1), device=device).repeat_interleave(2)])
        num_edges = pairs.size(1)
    elif kind == "khop":
        centers, members = _khop_pairs(_undirected(edge_index, n), n, k)
        index = _center_first(centers[members != centers], members[members != centers], n, True)
        num_edges = n
    else:
        members_list = _cliques(_undirected(edge_index, n).cpu(), n)
        index, num_edges = edge_list_index(members_list, device)
    if dedupe:
        index, num_edges = _dedupe(index, num_edges)
    return Hypergraph(index, num_nodes=n, num_edges=num_edges)


def _group_edges(spec: Any, name: str) -> list[list[int]] | Tensor:
    """A label vector (kept as a tensor) or a list of member lists."""
    if isinstance(spec, Tensor):
        if spec.dim() != 1 or spec.is_floating_point() or spec.dtype == torch.bool:
            raise ValueError(f"{name}: a tensor of groups must be a 1-D integer label vector [N], "
                             f"got {spec.dtype} of shape {list(spec.shape)}")
        return spec.long()
    if isinstance(spec, (str, bytes)) or not isinstance(spec, Sequence):
        raise TypeError(f"{name} must be a label vector [N] or a list of member-id lists, got {type(spec).__name__}")
    return [list(members) for members in spec]


def _label_index(labels: Tensor) -> tuple[Tensor, Tensor]:
    """Incidences of one hyperedge per label value present (ascending), and those values."""
    nodes = torch.nonzero(labels >= 0).flatten()
    values, edges = torch.unique(labels[nodes], return_inverse=True)
    order = torch.argsort(edges, stable=True)
    return torch.stack([nodes[order], edges[order]]), values


def from_groups(
    groups: Tensor | Sequence[Sequence[int]] | Mapping[str, Any],
    num_nodes: int | None = None,
) -> Hypergraph:
    r"""Hyperedges from groups of nodes.

    ``groups`` is one of

    * a list of member-id lists: hyperedge :math:`j` is ``groups[j]`` (as
      :meth:`Hypergraph.from_edge_list`);
    * a 1-D integer label vector ``[N]``: one hyperedge per label value present, in ascending
      order, holding the nodes with that label (negative labels mean "in no group"); the values
      are kept in ``edge_data["label"]`` (``-1`` for hyperedges given as lists when both forms are
      mixed in a dict);
    * a dict of named groups, each either of the above (DHG's hyperedge groups): their hyperedges
      one after the other, in the dict's order, with ``edge_data["group"]`` the position of each
      hyperedge's group in ``list(groups)``.

    Args:
        groups: the groups, as above.
        num_nodes: :math:`N`; by default a label vector's length, else ``max id + 1``.

    Returns:
        :class:`~hgnn.structure.Hypergraph` with explicit sizes.
    """
    named = isinstance(groups, Mapping)
    specs: dict[str, Any] = dict(groups) if isinstance(groups, Mapping) else {"groups": groups}
    if named and not specs:
        raise ValueError("groups is an empty dict; pass at least one named group")
    indices, group_ids, labels = [], [], []
    lengths: list[int] = []
    offset = 0
    for position, (name, spec) in enumerate(specs.items()):
        edges = _group_edges(spec, f"groups[{name!r}]" if named else "groups")
        if isinstance(edges, Tensor):
            index, values = _label_index(edges.cpu())
            count = values.numel()
            labels.append(values)
            lengths.append(edges.numel())
        else:
            index, count = edge_list_index(edges)
            labels.append(torch.full((count,), -1, dtype=torch.long))
        indices.append(index.cpu() + torch.tensor([[0], [offset]]))
        group_ids.append(torch.full((count,), position, dtype=torch.long))
        offset += count
    if len(set(lengths)) > 1:
        raise ValueError(f"the label vectors of groups have different lengths {sorted(set(lengths))}; "
                         "they must all have one entry per node")
    if lengths and num_nodes is not None and num_nodes != lengths[0]:
        raise ValueError(f"num_nodes={num_nodes} but the label vector has {lengths[0]} entries, one per node; "
                         "drop num_nodes or fix the labels")
    index = torch.cat(indices, dim=1)
    top = int(index[0].max()) + 1 if index.numel() else 0
    if num_nodes is None:
        num_nodes = lengths[0] if lengths else top
    edge_data = {}
    if lengths:
        edge_data["label"] = torch.cat(labels)
    if named:
        edge_data["group"] = torch.cat(group_ids)
    device = next((spec.device for spec in specs.values() if isinstance(spec, Tensor)), torch.device("cpu"))
    return Hypergraph(index.to(device), num_nodes=num_nodes, num_edges=offset,
                      edge_data={key: value.to(device) for key, value in edge_data.items()})
