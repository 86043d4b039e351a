"""Conversion to and from PyG's ``HyperGraphData`` and networkx bipartite graphs."""
from __future__ import annotations

from typing import Any

import torch

from hgnn.structure.hypergraph import Hypergraph


def to_pyg(hg: Hypergraph) -> Any:
    """Convert to :class:`torch_geometric.data.HyperGraphData`.

    ``edge_index`` is ``hg.hyperedge_index``; ``x``, ``edge_attr`` and ``y`` carry over; the weights
    go to ``hyperedge_weight`` (the argument name of PyG's ``HypergraphConv``), per-incidence
    features to ``incidence_attr``; node extras keep their names, hyperedge and incidence extras are
    prefixed ``edge_`` and ``incidence_`` (so a batch's ``batch`` and ``edge_batch`` both survive). PyG infers the number of
    hyperedges as ``max id + 1``, so the exact sizes are also stored as ``num_nodes`` and
    ``num_hyperedges``.
    """
    from torch_geometric.data.hypergraph_data import HyperGraphData

    data = HyperGraphData(x=hg.x, edge_index=hg.hyperedge_index, edge_attr=hg.edge_attr, y=hg.y)
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


def from_pyg(data: Any, **kwargs: Any) -> Hypergraph:
    """Build a :class:`Hypergraph` from a PyG ``HyperGraphData`` (or any ``Data`` whose
    ``edge_index`` is a ``[2, nnz]`` hyperedge index).

    Reads ``x``, ``edge_attr``, ``y``, ``hyperedge_weight`` and ``incidence_attr``; sizes come from
    ``num_hyperedges`` / the stored ``num_nodes`` when present (as :func:`to_pyg` writes them).
    Extra keyword arguments go to the constructor.
    """
    store = data._store if hasattr(data, "_store") else data
    num_nodes = store.get("num_nodes") if hasattr(store, "get") else None
    if num_nodes is None and getattr(data, "x", None) is not None:
        num_nodes = data.x.size(0)
    kwargs.setdefault("num_nodes", num_nodes)
    kwargs.setdefault("num_edges", getattr(data, "num_hyperedges", None))
    return Hypergraph(
        data.edge_index,
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
