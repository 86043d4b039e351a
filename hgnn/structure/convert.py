"""Conversion to and from PyG's ``HyperGraphData``, networkx bipartite graphs and DHG's structures."""
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


#: DHG's ways of merging the weights of hyperedges with the same members (``merge_op``).
DHG_MERGE_OPS = ("mean", "sum", "max")
#: Constructor arguments :func:`from_dhg` takes from the DHG structure itself.
_DHG_STRUCTURE_ARGS = ("hyperedge_index", "num_nodes", "num_edges", "edge_weight")


def _import_dhg() -> Any:
    """The ``dhg`` package, or an ``ImportError`` saying how to install it."""
    try:
        import dhg
    except ImportError as error:
        raise ImportError("converting to or from DHG needs the dhg package: pip install dhg") from error
    return dhg


def _first_duplicate(members: list[tuple[int, ...]]) -> tuple[int, int] | None:
    """``(a, b)``, the first two hyperedges with the same member multiset, or ``None``."""
    seen: dict[tuple[int, ...], int] = {}
    for edge, key in enumerate(members):
        if key in seen:
            return seen[key], edge
        seen[key] = edge
    return None


def to_dhg(hg: Hypergraph, merge_op: str | None = None) -> Any:
    r"""Convert to DHG's ``dhg.Hypergraph`` (DHG 0.9), with the same hyperedges, weights and device.

    Hyperedge :math:`e` of ``hg`` is hyperedge :math:`e` of the result, its members listed in
    increasing order (DHG sorts them; a node repeated in a hyperedge stays repeated, so DHG's
    incidence matrix :math:`H` equals ours). Explicit hyperedge weights become DHG's ``e_weight``
    (as plain numbers: gradients do not flow back through them); a node extra named
    ``node_weight`` becomes DHG's ``v_weight``. The result lives on ``hg.device``.

    DHG's hypergraph holds the structure only: ``x``, ``y``, ``edge_attr``, ``incidence_attr`` and
    the other extras are not carried; pass ``hg.x`` to DHG's models yourself.

    DHG keeps one hyperedge per member set: hyperedges with the same members are merged and their
    weights combined with ``merge_op``. So that nothing is merged unasked, hyperedges with the same
    members (two empty hyperedges included) raise unless ``merge_op`` is given; with it, the
    result keeps the first of each set of duplicates, in order, and has fewer hyperedges. DHG's
    ``"mean"`` averages pairwise in order: three copies weighted :math:`a, b, c` get
    :math:`((a + b)/2 + c)/2`.

    Args:
        hg: the hypergraph, with at least one node (DHG needs ``num_v > 0``).
        merge_op: ``None`` (default: duplicates raise), or DHG's ``"mean"``, ``"sum"`` or ``"max"``.

    Returns:
        A ``dhg.Hypergraph`` with ``num_v = hg.num_nodes``.

    Raises:
        ImportError: DHG is not installed.
        TypeError: ``hg`` is not a :class:`Hypergraph`.
        ValueError: no node, an unknown ``merge_op``, duplicate hyperedges without ``merge_op``,
            or a ``node_weight`` extra without one value per node.

    Example::

        >>> g = to_dhg(Hypergraph.from_edge_list([[0, 1, 2], [3, 2]], num_nodes=5))
        >>> g.num_v, g.e[0]
        (5, [(0, 1, 2), (2, 3)])
    """
    dhg = _import_dhg()
    if not isinstance(hg, Hypergraph):
        raise TypeError(f"hg must be an hgnn Hypergraph, got {type(hg).__name__}")
    if merge_op is not None and merge_op not in DHG_MERGE_OPS:
        raise ValueError(f"merge_op must be None or one of {DHG_MERGE_OPS}, got {merge_op!r}")
    if hg.num_nodes == 0:
        raise ValueError("a DHG hypergraph needs at least one vertex, but hg has num_nodes=0")
    members = [tuple(sorted(edge)) for edge in hg.to_edge_list()]
    duplicate = _first_duplicate(members) if merge_op is None else None
    if duplicate is not None:
        a, b = duplicate
        raise ValueError(
            f"hyperedges {a} and {b} have the same members {list(members[a])}, and DHG keeps one hyperedge "
            "per member set; pass merge_op='mean', 'sum' or 'max' to merge them as DHG does (the result then "
            "has fewer hyperedges), or remove the duplicates first"
        )
    weights = hg.edge_weight.detach().cpu().tolist() if hg.is_weighted else None
    node_weight = hg.node_data.get("node_weight")
    if node_weight is not None and node_weight.numel() != hg.num_nodes:
        raise ValueError(f"node_data['node_weight'] becomes DHG's v_weight and needs one value per node, "
                         f"got shape {list(node_weight.shape)}")
    v_weight = None if node_weight is None else node_weight.detach().cpu().reshape(-1).tolist()
    return dhg.Hypergraph(
        hg.num_nodes, [list(m) for m in members] or None, e_weight=weights, v_weight=v_weight,
        merge_op=merge_op or "mean", device=hg.device,
    )


def _dhg_edges(structure: Any, dhg: Any) -> tuple[list[Any], list[float], Tensor | None]:
    """``(edges, weights, group)`` of a DHG ``Hypergraph`` or ``Graph``; ``group`` is each
    hyperedge's group id when the hypergraph has several groups."""
    if isinstance(structure, dhg.Hypergraph):
        edges, weights = structure.e
        groups = structure.group_names
        if len(groups) < 2:
            return list(edges), list(weights), None
        sizes = [structure.num_e_of_group(name) for name in groups]
        group = torch.repeat_interleave(torch.arange(len(groups)), torch.tensor(sizes))
        return list(edges), list(weights), group.to(structure.device)
    if isinstance(structure, dhg.Graph):
        edges, weights = structure.e
        return [(u,) if u == v else (u, v) for u, v in edges], list(weights), None
    hint = " (build one with dhg.Hypergraph.from_bigraph first)" if isinstance(structure, dhg.BiGraph) else ""
    raise TypeError(
        f"from_dhg takes a dhg.Hypergraph or an undirected dhg.Graph, got {type(structure).__name__}{hint}"
    )


def from_dhg(structure: Any, x: Tensor | None = None, y: Tensor | None = None, **kwargs: Any) -> Hypergraph:
    r"""Build a :class:`Hypergraph` from DHG's ``dhg.Hypergraph`` or undirected ``dhg.Graph``.

    From a ``dhg.Hypergraph``: its hyperedges ``structure.e`` in DHG's order (members in
    increasing order, as DHG stores them) with their weights, over ``num_v`` nodes. When the
    hypergraph has several hyperedge groups, they follow one another in
    ``structure.group_names`` order and ``edge_data["group"]`` holds each hyperedge's group id.
    Vertex weights other than all ones go to ``node_data["node_weight"]`` (hgnn's operators do not
    use them; :func:`to_dhg` writes them back).

    From a ``dhg.Graph``: each edge of ``graph.e`` becomes a two-node hyperedge and a self-loop
    :math:`(v, v)` the singleton :math:`\{v\}` (DHG's ``Hypergraph.from_graph`` would count
    :math:`v` twice in it), keeping the edge weights.

    Weights are kept as ``float32`` ``edge_weight``, or left out (an unweighted hypergraph) when
    all are one. Tensors are built on the structure's device. DHG holds no features or labels:
    pass them here.

    Args:
        structure: a ``dhg.Hypergraph`` or ``dhg.Graph``.
        x: ``[N, F]`` node features (DHG's ``data["features"]``).
        y: ``[N]`` node labels (DHG's ``data["labels"]``).
        **kwargs: further :class:`Hypergraph` arguments (``edge_attr``, ``node_data``, ...); the
            structure itself (index, sizes, weights) comes from DHG.

    Raises:
        ImportError: DHG is not installed.
        TypeError: another DHG structure (directed or bipartite graph) or a non-DHG object, or a
            structural argument in ``kwargs``.
        ValueError: ``x`` or ``y`` without one row per vertex (from the constructor).

    Example::

        >>> import dhg
        >>> hg = from_dhg(dhg.Hypergraph(4, [[0, 1], [1, 2, 3]]), x=torch.ones(4, 8))
        >>> hg.to_edge_list()
        [[0, 1], [1, 2, 3]]
    """
    dhg = _import_dhg()
    for key in _DHG_STRUCTURE_ARGS:
        if key in kwargs:
            raise TypeError(f"from_dhg takes {key} from the DHG structure; do not pass it (build the "
                            "Hypergraph and call .replace() to change it)")
    edges, weights, group = _dhg_edges(structure, dhg)
    device = torch.device(structure.device)
    edge_weight = torch.tensor(weights, dtype=torch.float32, device=device)
    if bool((edge_weight == 1).all()):
        edge_weight = None
    node_data = dict(kwargs.pop("node_data", None) or {})
    edge_data = dict(kwargs.pop("edge_data", None) or {})
    v_weight = getattr(structure, "v_weight", None) if isinstance(structure, dhg.Hypergraph) else None
    if v_weight is not None and any(w != 1 for w in v_weight):
        node_data.setdefault("node_weight", torch.tensor(v_weight, dtype=torch.float32, device=device))
    if group is not None:
        edge_data.setdefault("group", group)
    return Hypergraph.from_edge_list(
        edges, num_nodes=structure.num_v, device=device, edge_weight=edge_weight, x=x, y=y,
        node_data=node_data, edge_data=edge_data, **kwargs,
    )
