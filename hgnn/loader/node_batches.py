r"""Mini-batches of target nodes with the neighbourhood an L-layer node model needs.

A node model of :math:`L` hypergraph layers (node -> hyperedge -> node each, e.g.
:class:`~hgnn.models.HGNN`) gives target node :math:`v` an output that depends on the hops
:math:`N_0 = \{\text{targets}\}`, :math:`E_l = E(N_{l-1})` (the hyperedges of those nodes) and
:math:`N_l = V(E_l)` (their members), :math:`l = 1..L`.

* **Exact** (no caps): :func:`hgnn.structure.receptive_field`: every hyperedge of :math:`E_L` whole,
  and a weighted singleton hyperedge on each outermost node that pads its degree to the full
  graph's, so HGNN / HGNN+ layers on the batch give the targets exactly their full-graph outputs.
* **Sampled** (``max_edges_per_node = k`` and / or ``max_nodes_per_edge = m``, for training): at
  every hop each newly reached node keeps a uniform sample of :math:`k` of its hyperedges and each
  newly reached hyperedge a uniform sample of :math:`m` of its members (always with the node it was
  reached from), without replacement; the batch is the union of what was kept, and the layers use
  the batch's own degrees (GraphSAGE-style neighbour sampling on the star expansion). The cost of a
  batch is bounded by :math:`|B| (k m)^L` incidences, whatever the size of the hypergraph.

:class:`NodeLoader` wraps either in a :class:`torch.utils.data.DataLoader` (shuffling, worker
processes, pinned memory).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import Tensor
from torch.utils.data import DataLoader

from hgnn.loader.hyperedge_batches import _check_cap, _keep_first_per_node
from hgnn.structure import Hypergraph, receptive_field
from hgnn.structure.subgraph import _rows

__all__ = ["NodeBatch", "NodeLoader", "node_neighborhood"]


@dataclass
class NodeBatch:
    """One batch of target nodes.

    Attributes:
        hg: the sub-hypergraph, relabelled to ``0..N'-1`` / ``0..M'-1``, with the full
            hypergraph's ``x`` and ``y`` sliced to its nodes (when present).
        node_ids: ``[N']`` global ids of its nodes, ascending.
        target_nodes: ``[B]`` global ids of the targets, as given.
        target_index: ``[B]`` their positions among the batch's nodes: ``out[target_index]`` are the
            targets' outputs of a model run on ``hg``.
        y: ``[B]`` the targets' labels when the hypergraph has ``y``, else ``None``.
    """

    hg: Hypergraph
    node_ids: Tensor
    target_nodes: Tensor
    target_index: Tensor
    y: Tensor | None = None

    @property
    def num_targets(self) -> int:
        return int(self.target_nodes.numel())

    def _map(self, fn, hg_fn) -> "NodeBatch":
        def move(t: Tensor | None) -> Tensor | None:
            return None if t is None else fn(t)

        return replace(self, hg=hg_fn(self.hg), node_ids=move(self.node_ids), target_nodes=move(self.target_nodes),
                       target_index=move(self.target_index), y=move(self.y))

    def to(self, device: torch.device | str, non_blocking: bool = False) -> "NodeBatch":
        return self._map(lambda t: t.to(device, non_blocking=non_blocking),
                         lambda hg: hg.to(device, non_blocking=non_blocking))

    def pin_memory(self) -> "NodeBatch":
        return self._map(lambda t: t.pin_memory(), lambda hg: hg.pin_memory())


def _first_k_per_group(owner: Tensor, k: int | None, generator: torch.Generator | None) -> Tensor:
    """``[c]`` bool: a uniform sample of ``k`` entries per distinct ``owner`` value (all when fewer):
    one random key per entry, ranked within its owner (:func:`~hgnn.loader.hyperedge_batches._keep_first_per_node`)."""
    everything = torch.ones(owner.numel(), dtype=torch.bool, device=owner.device)
    if k is None or owner.numel() == 0:
        return everything
    key = torch.rand(owner.numel(), generator=generator).to(owner.device)
    return _keep_first_per_node(owner, key, everything, k)


def _sampled_neighborhood(hg: Hypergraph, targets: Tensor, num_layers: int, max_edges_per_node: int | None,
                          max_nodes_per_edge: int | None, generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
    """Incidence ids kept by the sampled expansion (module docstring) and the global node ids."""
    index = hg.hyperedge_index
    node_perm, node_ptr = hg.node_order()
    edge_perm, edge_ptr = hg.edge_order()
    node_seen = torch.zeros(hg.num_nodes, dtype=torch.bool, device=hg.device)
    edge_seen = torch.zeros(hg.num_edges, dtype=torch.bool, device=hg.device)
    frontier = targets.unique()
    node_seen[frontier] = True
    kept = []
    for _ in range(num_layers):
        if frontier.numel() == 0:
            break
        inc = _rows(node_perm, node_ptr, frontier)  # every incidence of the new nodes
        inc = inc[_first_k_per_group(index[0, inc], max_edges_per_node, generator)]
        kept.append(inc)  # the new nodes' own memberships
        edges = index[1, inc].unique()
        edges = edges[~edge_seen[edges]]
        edge_seen[edges] = True
        members = _rows(edge_perm, edge_ptr, edges)
        members = members[_first_k_per_group(index[1, members], max_nodes_per_edge, generator)]
        kept.append(members)
        reached = index[0, members].unique()
        frontier = reached[~node_seen[reached]]
        node_seen[frontier] = True
    inc = torch.cat(kept).unique() if kept else index.new_empty(0)
    return inc, node_seen.nonzero().view(-1)


def _check_node_ids(hg: Hypergraph, nodes: Tensor) -> Tensor:
    """``nodes`` as given, after checking that it is a 1-D integer tensor of ids in ``[0, N)``."""
    if nodes.dtype == torch.bool or nodes.is_floating_point() or nodes.dim() != 1:
        raise TypeError(f"nodes must be ids [T], a 1-D integer tensor of node ids (a loader also takes a bool mask "
                        f"[N]), got {nodes.dtype} {list(nodes.shape)}")
    if nodes.numel() and (int(nodes.min()) < 0 or int(nodes.max()) >= hg.num_nodes):
        raise ValueError(f"node id out of range: nodes must be ids in [0, {hg.num_nodes}), got values from "
                         f"{int(nodes.min())} to {int(nodes.max())}")
    return nodes


def node_neighborhood(
    hg: Hypergraph,
    nodes: Tensor,
    num_layers: int,
    max_edges_per_node: int | None = None,
    max_nodes_per_edge: int | None = None,
    generator: torch.Generator | None = None,
) -> NodeBatch:
    r"""The batch of target ``nodes`` for an ``num_layers``-layer node model (module docstring):
    exact without caps, sampled with them.

    Args:
        hg: the full hypergraph (``x`` and ``y`` are sliced into the batch when present).
        nodes: ``[B]`` distinct target node ids.
        num_layers: :math:`L \ge 1`.
        max_edges_per_node: :math:`k`, hyperedges kept per node and hop (``None``: all).
        max_nodes_per_edge: :math:`m`, members kept per hyperedge and hop (``None``: all).
        generator: random source of the sampling (``None``: torch's global generator).
    """
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
        raise ValueError(f"num_layers must be a positive int, got {num_layers!r}")
    for value, name in ((max_edges_per_node, "max_edges_per_node"), (max_nodes_per_edge, "max_nodes_per_edge")):
        if value is not None:
            _check_cap(value, name)
    targets = _check_node_ids(hg, torch.as_tensor(nodes, device=hg.device)).long()
    if targets.numel() == 0:
        raise ValueError("nodes is empty; a batch needs at least one target node")
    if max_edges_per_node is None and max_nodes_per_edge is None:
        sub, node_ids, target_index = receptive_field(hg, targets, num_layers)
    else:
        inc, node_ids = _sampled_neighborhood(hg, targets, num_layers, max_edges_per_node, max_nodes_per_edge,
                                              generator)
        sub_nodes, sub_edges = hg.hyperedge_index[:, inc]
        edge_ids, edge_local = sub_edges.unique(return_inverse=True)
        sub = Hypergraph(torch.stack([torch.searchsorted(node_ids, sub_nodes), edge_local]),
                         num_nodes=node_ids.numel(), num_edges=edge_ids.numel(),
                         edge_weight=hg.edge_weight[edge_ids] if hg.is_weighted else None, validate=False)
        target_index = torch.searchsorted(node_ids, targets)
    if hg.x is not None or hg.y is not None:
        sub = sub.replace(x=None if hg.x is None else hg.x[node_ids], y=None if hg.y is None else hg.y[node_ids],
                          validate=False)
    y = None if hg.y is None else hg.y[targets]
    return NodeBatch(sub, node_ids, targets, target_index, y)


class NodeLoader(DataLoader):
    r"""Mini-batches of target nodes as :class:`NodeBatch` es, for training node models on
    hypergraphs that do not fit one full batch (the node-level counterpart of PyG's
    ``NeighborLoader``).

    A :class:`torch.utils.data.DataLoader` over the target ids whose ``collate_fn`` builds the
    batch (:func:`node_neighborhood`), so shuffling, ``num_workers`` (the neighbourhoods are built
    in the workers), ``pin_memory`` and ``drop_last`` work as there. Sampling draws from torch's
    global generator of the process that builds the batch; seed it (``torch.manual_seed``, and a
    ``generator`` for the shuffle) to repeat an epoch.

    Args:
        hg: the full hypergraph (on the CPU when ``num_workers > 0``).
        nodes: the target nodes: ids ``[T]`` or a bool mask ``[N]`` (e.g. the training nodes).
        num_layers: the model's layers :math:`L`.
        batch_size: targets per batch.
        max_edges_per_node, max_nodes_per_edge: sampling caps per hop (both ``None``: exact
            neighbourhoods, for evaluation).
        **kwargs: passed to :class:`~torch.utils.data.DataLoader` (``shuffle``, ``num_workers``,
            ``pin_memory``, ``drop_last``, ``generator``, ...).
    """

    def __init__(self, hg: Hypergraph, nodes: Tensor, num_layers: int, batch_size: int = 1024, *,
                 max_edges_per_node: int | None = None, max_nodes_per_edge: int | None = None, **kwargs) -> None:
        if not isinstance(hg, Hypergraph):
            raise TypeError(f"hg must be a Hypergraph, got {type(hg).__name__}")
        nodes = torch.as_tensor(nodes)
        if nodes.dtype == torch.bool:
            if nodes.shape != (hg.num_nodes,):
                raise ValueError(f"a node mask must have shape [{hg.num_nodes}], got {list(nodes.shape)}")
            nodes = nodes.nonzero().view(-1)
        _check_node_ids(hg, nodes)  # every id, not only the first batch's
        if kwargs.get("collate_fn") is not None:
            raise ValueError("NodeLoader builds its own collate_fn")
        kwargs.pop("collate_fn", None)
        # Validate once here rather than in every worker.
        node_neighborhood(hg, nodes[:1], num_layers, max_edges_per_node, max_nodes_per_edge)
        self.hg, self.num_layers = hg, num_layers
        self.max_edges_per_node, self.max_nodes_per_edge = max_edges_per_node, max_nodes_per_edge
        super().__init__(nodes.tolist(), batch_size=batch_size, collate_fn=self._collate, **kwargs)

    def _collate(self, ids: list[int]) -> NodeBatch:
        return node_neighborhood(self.hg, torch.tensor(ids, dtype=torch.long), self.num_layers,
                                 self.max_edges_per_node, self.max_nodes_per_edge)
