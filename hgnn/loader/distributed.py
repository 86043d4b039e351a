r"""Multi-process training with ``torch.distributed``: each rank trains on its share of the targets.

With :math:`R` ranks, :func:`distributed_node_loader` gives rank :math:`r` the targets
:math:`\{t_{\pi(i)} : i \equiv r \pmod R\}` of a permutation :math:`\pi` drawn from ``seed`` and
the epoch (``torch.utils.data.DistributedSampler``, padded so that every rank has as many
batches), and ``DistributedDataParallel`` averages the gradients, so one step on :math:`R` batches
of equal size :math:`b` follows the gradient of the mean loss over their union,

.. math::
    \frac1R \sum_r \nabla \frac1b \sum_{v \in B_r} \ell_v = \nabla \frac{1}{Rb} \sum_{v \in \cup_r B_r} \ell_v,

which is what a single process on the union computes (tested with 2 gloo processes).
:func:`distributed_hyperedge_loader` shares target hyperedges the same way (edge-dependent node
classification, the loss averaged over each batch's incidences). Launch the same script on every
machine with ``torchrun`` (``examples/distributed_train.py``).
"""
from __future__ import annotations

import torch
from torch import Tensor
from torch.utils.data import DistributedSampler

from hgnn.loader.hyperedge_batches import HyperedgeLoader
from hgnn.loader.node_batches import NodeLoader
from hgnn.structure import Hypergraph

__all__ = ["distributed_hyperedge_loader", "distributed_node_loader"]


def _share(loader_cls, hg: Hypergraph, targets: Tensor, num_layers: int, batch_size: int, rank: int | None,
           world_size: int | None, shuffle: bool, seed: int, kwargs: dict):
    targets = torch.as_tensor(targets)
    if targets.dtype == torch.bool:
        targets = targets.nonzero().view(-1)
    if "sampler" in kwargs or "shuffle" in kwargs:
        raise ValueError(f"{loader_cls.__name__} shares are drawn by a DistributedSampler; pass shuffle= and seed=")
    sampler = DistributedSampler(range(targets.numel()), num_replicas=world_size, rank=rank, shuffle=shuffle,
                                 seed=seed)
    return loader_cls(hg, targets, num_layers, batch_size=batch_size, sampler=sampler, **kwargs)


def distributed_node_loader(hg: Hypergraph, nodes: Tensor, num_layers: int, batch_size: int, *, rank: int | None = None,
                            world_size: int | None = None, shuffle: bool = True, seed: int = 0, **kwargs) -> NodeLoader:
    """A :class:`~hgnn.loader.NodeLoader` over this rank's share of ``nodes`` (module docstring).

    ``rank`` and ``world_size`` default to the initialised process group's. Call
    ``loader.sampler.set_epoch(epoch)`` at the start of every epoch for a fresh permutation.
    ``kwargs`` (``max_edges_per_node``, ``max_nodes_per_edge``, ``num_workers``, ``pin_memory``, ...)
    go to :class:`~hgnn.loader.NodeLoader`.
    """
    return _share(NodeLoader, hg, nodes, num_layers, batch_size, rank, world_size, shuffle, seed, kwargs)


def distributed_hyperedge_loader(hg: Hypergraph, edges: Tensor, num_layers: int, batch_size: int, *,
                                 rank: int | None = None, world_size: int | None = None, shuffle: bool = True,
                                 seed: int = 0, **kwargs) -> HyperedgeLoader:
    """A :class:`~hgnn.loader.HyperedgeLoader` over this rank's share of the target hyperedges
    ``edges`` (ids or a bool mask), for edge-dependent node classification with CoNHD and the
    incidence scorers; the shares are drawn as :func:`distributed_node_loader`'s. ``kwargs``
    (``max_edges_per_node``, ``max_nodes_per_edge``, ``labels``, ``num_workers``, ...) go to
    :class:`~hgnn.loader.HyperedgeLoader`.
    """
    return _share(HyperedgeLoader, hg, edges, num_layers, batch_size, rank, world_size, shuffle, seed, kwargs)
