"""PyG's ``HyperGraphData`` with an explicit hyperedge count, so that PyG batching is exact.

Imported only by :func:`hgnn.structure.to_pyg` / :func:`hgnn.structure.from_pyg`: it needs
``torch_geometric``.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch_geometric.data.hypergraph_data import HyperGraphData

__all__ = ["HypergraphData"]


class HypergraphData(HyperGraphData):
    r"""A :class:`torch_geometric.data.HyperGraphData` that stores its number of hyperedges.

    PyG's class counts hyperedges as ``max(edge_index[1]) + 1``, so a hypergraph whose last
    hyperedges are empty is counted short, and when such graphs are batched (``Batch``,
    ``torch_geometric.loader.DataLoader``) the hyperedge ids of every later graph are shifted by too
    little: they then point at another graph's ``hyperedge_weight`` / ``edge_attr`` rows. Here
    ``num_hyperedges`` (an ``int``, written by :func:`~hgnn.structure.to_pyg`) is the count, and
    batching shifts graph :math:`g`'s hyperedge ids by :math:`\sum_{h<g} M_h`. In a batch,
    ``num_hyperedges`` is the ``[B]`` vector of per-graph counts and :attr:`num_edges` their sum.
    Without ``num_hyperedges`` it behaves as ``HyperGraphData``.
    """

    @property
    def num_nodes(self) -> int | None:
        """The stored number of nodes when there is one (PyG's class second-guesses it whenever it
        equals the number of hyperedges), else PyG's inference."""
        if "num_nodes" in self._store and self._store["num_nodes"] is not None:
            return int(self._store["num_nodes"])
        return super().num_nodes

    @num_nodes.setter
    def num_nodes(self, num_nodes: int | None) -> None:
        self._store.num_nodes = num_nodes

    @property
    def num_edges(self) -> int:
        """The number of hyperedges (empty ones included)."""
        count = self._store.get("num_hyperedges") if "num_hyperedges" in self._store else None
        if count is None:
            return int(super().num_edges)
        if isinstance(count, Tensor):
            return int(count.sum())
        return int(count)

    def __inc__(self, key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        if key == "edge_index":
            return torch.tensor([[self.num_nodes], [self.num_edges]])
        return super().__inc__(key, value, *args, **kwargs)
