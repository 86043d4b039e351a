"""Conversion to and from PyG's ``HyperGraphData`` and networkx bipartite graphs."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from hgnn.structure.hypergraph import Hypergraph


def to_pyg(hg: Hypergraph) -> Any:
    """Convert to PyG: a :class:`~hgnn.structure.pyg_data.HypergraphData`, PyG's
    ``HyperGraphData`` with its exact number of hyperedges.

    ``edge_index`` is ``hg.hyperedge_index``; ``x``, ``edge_attr`` and ``y`` carry over; the weights
    go to ``hyperedge_weight`` (the argument name of PyG's ``HypergraphConv``), per-incidence
    features to ``incidence_attr``; node extras keep their names, hyperedge and incidence extras are
    prefixed ``edge_`` and ``incidence_`` (so a batch's ``batch`` and ``edge_batch`` both survive).
    The sizes are stored as ``num_nodes`` and ``num_hyperedges``, so that PyG's ``Batch`` and
    ``DataLoader`` shift each graph's hyperedge ids by the true counts, empty hyperedges included
    (PyG's own class would count ``max id + 1``). :func:`from_pyg` inverts it, for one graph or a
    batch.
    """
    from hgnn.structure.pyg_data import HypergraphData

    data = HypergraphData(x=hg.x, edge_index=hg.hyperedge_index, edge_attr=hg.edge_attr, y=hg.y)
    data.num_nodes = hg.num_nodes
    data.num_hyperedges = hg.num_edges
    if hg.is_weighted:
        data.hyperedge_weight = hg.edge_weight
    if hg.incidence_attr is not None:
        data.incidence_attr = hg.incidence_attr
    for key, value in hg.node_data.items():
        data[key] = value  # node-level extras keep their names (``batch`` is PyG's own)
    for level in ("edge", "incidence"):
        for key, value in getattr(hg, f"{level}_data").items():
            data[f"{level}_{key}"] = value
    return data


#: Attributes :func:`from_pyg` reads as fields, not as extras.
_PYG_FIELDS = frozenset(
    {"x", "y", "edge_index", "edge_attr", "hyperedge_weight", "incidence_attr", "num_nodes", "num_hyperedges",
     "batch", "ptr"}
)


def _batch_edge_counts(data: Any, num_edges: int) -> Tensor:
    """``[B]`` hyperedges per graph of a PyG ``Batch``: the stored counts, else the differences of
    the ``edge_index`` increments PyG applied."""
    stored = data._store.get("num_hyperedges") if "num_hyperedges" in data._store else None
    if isinstance(stored, Tensor):
        return stored.to(torch.long).view(-1)
    inc = data._inc_dict["edge_index"][:, 1].reshape(-1).to(torch.long)
    return torch.diff(torch.cat([inc, inc.new_tensor([num_edges])]))


def from_pyg(data: Any, **kwargs: Any) -> Hypergraph:
    """Build a :class:`Hypergraph` from PyG's ``HyperGraphData`` (or any ``Data`` whose
    ``edge_index`` is a ``[2, nnz]`` hyperedge index), or from a ``Batch`` of them.

    Reads ``x``, ``edge_attr``, ``y``, ``hyperedge_weight`` and ``incidence_attr``; sizes come from
    ``num_nodes`` / ``num_hyperedges`` when present (as :func:`to_pyg` writes them). Tensors named
    ``edge_<key>`` / ``incidence_<key>`` with one row per hyperedge / incidence become
    ``edge_data[key]`` / ``incidence_data[key]``, other tensors with one row per node become
    ``node_data``; attributes of other shapes are left out. From a ``Batch`` the result is the
    batched hypergraph, as :func:`hgnn.structure.batch` builds it: ``node_data["batch"]`` is PyG's
    ``batch`` vector and ``edge_data["batch"]`` the graph of each hyperedge. Extra keyword
    arguments go to the constructor.
    """
    from torch_geometric.data import Batch

    store = data._store if hasattr(data, "_store") else data
    edge_index = getattr(data, "edge_index", None)
    if not isinstance(edge_index, Tensor):
        raise TypeError(f"data.edge_index must be a [2, nnz] hyperedge index tensor, got {type(edge_index).__name__}")
    is_batch = isinstance(data, Batch)
    if is_batch:
        num_nodes = int(data.num_nodes)
        num_edges = int(data.num_edges)
    else:
        num_nodes = store.get("num_nodes") if hasattr(store, "get") else None
        if num_nodes is None and getattr(data, "x", None) is not None:
            num_nodes = data.x.size(0)
        num_edges = store.get("num_hyperedges") if hasattr(store, "get") else None
        num_edges = int(num_edges) if isinstance(num_edges, Tensor) and num_edges.numel() == 1 else num_edges
    num_nodes = kwargs.pop("num_nodes", num_nodes)
    num_edges = kwargs.pop("num_edges", num_edges)
    nnz = edge_index.size(1) if edge_index.dim() == 2 else -1
    extras: dict[str, dict[str, Tensor]] = {"node": {}, "edge": {}, "incidence": {}}
    for key in list(store.keys()) if hasattr(store, "keys") else []:
        value = store[key]
        if key in _PYG_FIELDS or not isinstance(value, Tensor) or value.dim() == 0:
            continue
        if key.startswith("edge_") and key[5:].isidentifier():
            level, name, rows = "edge", key[5:], num_edges
        elif key.startswith("incidence_") and key[10:].isidentifier():
            level, name, rows = "incidence", key[10:], nnz
        else:
            level, name, rows = "node", key, num_nodes
        if rows is None or value.size(0) == rows:
            extras[level][name] = value
    if is_batch:
        counts = _batch_edge_counts(data, num_edges)
        graphs = torch.arange(counts.numel(), device=edge_index.device)
        extras["node"]["batch"] = data.batch
        extras["edge"]["batch"] = torch.repeat_interleave(graphs, counts.to(edge_index.device))
    elif isinstance(store.get("batch") if hasattr(store, "get") else None, Tensor):
        extras["node"]["batch"] = store.get("batch")
    for level in ("node", "edge", "incidence"):
        kwargs[f"{level}_data"] = {**extras[level], **(kwargs.get(f"{level}_data") or {})}
    return Hypergraph(
        edge_index,
        num_nodes=num_nodes,
        num_edges=num_edges,
        x=getattr(data, "x", None),
        edge_attr=getattr(data, "edge_attr", None),
        y=getattr(data, "y", None),
        edge_weight=getattr(data, "hyperedge_weight", None),
        incidence_attr=getattr(data, "incidence_attr", None),
        **kwargs,
    )


def to_networkx(hg: Hypergraph) -> Any:
    """Convert to a bipartite :class:`networkx.Graph` (the star expansion).

    Node :math:`v` keeps key ``v`` with attribute ``bipartite=0``; hyperedge :math:`e` becomes key
    ``N + e`` with ``bipartite=1`` and its ``weight``. An incidence repeated ``k`` times becomes one
    edge with ``count=k``.
    """
    import networkx as nx

    graph = nx.Graph()
    n = hg.num_nodes
    graph.add_nodes_from(range(n), bipartite=0)
    weights = hg.edge_weight.tolist()
    graph.add_nodes_from((n + e, {"bipartite": 1, "weight": weights[e]}) for e in range(hg.num_edges))
    for v, e in hg.hyperedge_index.t().tolist():
        if graph.has_edge(v, n + e):
            graph[v][n + e]["count"] += 1
        else:
            graph.add_edge(v, n + e, count=1)
    return graph


def from_networkx(graph: Any) -> Hypergraph:
    """Build a :class:`Hypergraph` from a bipartite networkx graph.

    Nodes with ``bipartite=0`` are the hypergraph's nodes and those with ``bipartite=1`` its
    hyperedges, each numbered in sorted key order (so :func:`to_networkx` round-trips). Hyperedge
    ``weight`` attributes become ``edge_weight``; an edge's ``count`` (default 1) repeats the
    incidence.
    """
    sides: dict[int, list[Any]] = {0: [], 1: []}
    for key, attrs in graph.nodes(data=True):
        side = attrs.get("bipartite")
        if side not in (0, 1):
            raise ValueError(f"node {key!r} lacks a bipartite attribute of 0 (node) or 1 (hyperedge)")
        sides[side].append(key)
    node_ids = {key: i for i, key in enumerate(sorted(sides[0]))}
    edge_keys = sorted(sides[1])
    edge_ids = {key: i for i, key in enumerate(edge_keys)}
    pairs = []
    for a, b, attrs in graph.edges(data=True):
        if a in edge_ids:
            a, b = b, a
        if a not in node_ids or b not in edge_ids:
            raise ValueError(f"edge ({a!r}, {b!r}) does not join a node to a hyperedge")
        pairs.extend([(node_ids[a], edge_ids[b])] * int(attrs.get("count", 1)))
    pairs.sort(key=lambda p: (p[1], p[0]))
    index = torch.tensor(pairs, dtype=torch.long).t().reshape(2, -1)
    weights = [graph.nodes[key].get("weight") for key in edge_keys]
    edge_weight = None
    if any(w is not None for w in weights):
        edge_weight = torch.tensor([1.0 if w is None else float(w) for w in weights])
    return Hypergraph(index, num_nodes=len(node_ids), num_edges=len(edge_ids), edge_weight=edge_weight)
