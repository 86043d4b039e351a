r"""Random hypergraphs, for tests, benchmarks and synthetic tasks.

* :func:`uniform`: every node joins every hyperedge independently with probability :math:`p`, or
  each hyperedge draws its size from a distribution and then its members uniformly.
* :func:`k_uniform`: every hyperedge has exactly :math:`k` members drawn uniformly.
* :func:`stochastic_block`: planted groups, with hyperedges mostly inside one block.

Every generator is vectorised over hyperedges, never repeats a node within a hyperedge, lists each
hyperedge's members in ascending order, and draws from a :class:`torch.Generator`: the same
``seed`` gives the same hypergraph (on the CPU, where it is drawn, before it moves to
``device``).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from hgnn.structure.hypergraph import Hypergraph

__all__ = ["k_uniform", "stochastic_block", "uniform"]

def _generator(seed: int | torch.Generator | None) -> torch.Generator:
    """A CPU generator: ``seed`` itself, one seeded with it, or (``None``) one seeded from torch's
    global generator, so that ``torch.manual_seed`` makes the draw repeatable."""
    if isinstance(seed, torch.Generator):
        return seed
    if seed is None:
        seed = int(torch.randint(0, 2**62, (1,)))
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, a torch.Generator or None, got {type(seed).__name__}")
    return torch.Generator().manual_seed(seed)


def _count(value: object, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _probability(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a probability (a float in [0, 1]), got {type(value).__name__}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return float(value)


def _binomial(trials: Tensor, p: float | Tensor, gen: torch.Generator) -> Tensor:
    """Binomial draws, as integers (``torch.binomial`` works on floats)."""
    prob = torch.as_tensor(p, dtype=torch.float64).expand(trials.shape)
    return torch.binomial(trials.double(), prob, generator=gen).long()


def _distinct(counts: Tensor, ranges: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
    r"""For every slot :math:`i`, ``counts[i]`` distinct integers drawn uniformly from
    ``[0, ranges[i])``: ``(slot, value)`` of every draw, sorted by slot then value.

    Slots that take more than a quarter of their range are drawn as the first ``counts[i]`` of a
    random permutation; the others by drawing with replacement and redrawing repeats until none
    is left (a few rounds, since repeats are rare there). Both are symmetric in the values, so
    every subset of the right size is equally likely.
    """
    slots, values = [], []
    top = int(ranges.max()) if ranges.numel() else 1
    dense = counts * 4 > ranges
    for chosen in torch.nonzero(dense).flatten().split(max(1, (1 << 22) // max(top, 1))):
        if chosen.numel() == 0:
            continue
        width = int(ranges[chosen].max())
        keys = torch.rand(chosen.numel(), width, generator=gen)
        keys[torch.arange(width) >= ranges[chosen, None]] = 2.0  # outside the range: never chosen
        order = torch.argsort(keys, dim=1)
        take = torch.arange(width) < counts[chosen, None]
        row, col = torch.nonzero(take, as_tuple=True)
        slots.append(chosen[row])
        values.append(order[row, col])
    sparse = torch.nonzero(~dense).flatten()
    slot = torch.repeat_interleave(sparse, counts[sparse])
    value = torch.empty(slot.numel(), dtype=torch.long)
    redraw = torch.ones(slot.numel(), dtype=torch.bool)
    while bool(redraw.any()):
        high = ranges[slot[redraw]].double()
        value[redraw] = (torch.rand(high.shape, generator=gen, dtype=torch.float64) * high).long().clamp_max(high.long() - 1)
        key = slot * (top + 1) + value
        order = torch.argsort(key, stable=True)
        repeat = torch.zeros_like(redraw)
        repeat[order[1:]] = key[order[1:]] == key[order[:-1]]
        redraw = repeat
    slots.append(slot)
    values.append(value)
    slot, value = torch.cat(slots), torch.cat(values)
    order = torch.argsort(slot * (top + 1) + value, stable=True)
    return slot[order], value[order]


def _sizes_from(size: int | Tensor | Sequence[float], num_nodes: int, num_edges: int,
                gen: torch.Generator) -> Tensor:
    """``[M]`` hyperedge sizes: ``size`` itself, or draws from the distribution ``size`` over 0, 1, ..."""
    if isinstance(size, int) and not isinstance(size, bool):
        if not 0 <= size <= num_nodes:
            raise ValueError(f"size={size} must be in [0, num_nodes={num_nodes}]")
        return torch.full((num_edges,), size, dtype=torch.long)
    probs = torch.as_tensor(size, dtype=torch.float64)
    if probs.dim() != 1 or probs.numel() == 0:
        raise ValueError("size must be an int or a 1-D distribution over sizes 0, 1, 2, ... (P(|e| = s) at s)")
    if not torch.isfinite(probs).all() or bool((probs < 0).any()) or float(probs.sum()) <= 0:
        raise ValueError("size, as a distribution, must be non-negative and finite with a positive sum")
    if probs.numel() - 1 > num_nodes and bool((probs[num_nodes + 1:] > 0).any()):
        raise ValueError(f"size gives a positive probability to sizes above num_nodes={num_nodes}")
    if num_edges == 0:
        return torch.zeros(0, dtype=torch.long)
    return torch.multinomial(probs, num_edges, replacement=True, generator=gen)


def _build(edges: Tensor, nodes: Tensor, num_nodes: int, num_edges: int, device: torch.device | str | None,
           **kwargs: Tensor | dict[str, Tensor]) -> Hypergraph:
    index = torch.stack([nodes, edges]).to(device)
    moved = {key: ({k: v.to(device) for k, v in value.items()} if isinstance(value, dict) else value.to(device))
             for key, value in kwargs.items()}
    return Hypergraph(index, num_nodes=num_nodes, num_edges=num_edges, **moved)  # type: ignore[arg-type]


def uniform(
    num_nodes: int,
    num_edges: int,
    p: float | None = None,
    size: int | Tensor | Sequence[float] | None = None,
    seed: int | torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> Hypergraph:
    r"""A random hypergraph with uniformly chosen members.

    Pass exactly one of

    * ``p``: node :math:`v` is in hyperedge :math:`e` independently with probability :math:`p`,
      so :math:`|e| \sim \mathrm{Binomial}(N, p)` (a random bipartite graph);
    * ``size``: an int (every hyperedge that size, as :func:`k_uniform`) or a distribution
      ``size[s]`` :math:`\propto P(|e| = s)` over sizes :math:`0, 1, 2, \dots`; then each
      hyperedge's members are a uniform random subset of that size.

    Hyperedges may come out empty (size 0) or equal to each other; :func:`remove_empty` drops the
    empty ones.

    Args:
        num_nodes: :math:`N \ge 1`.  num_edges: :math:`M \ge 0`.
        p: membership probability in :math:`[0, 1]`.
        size: hyperedge size or size distribution (see above).
        seed: an int, a :class:`torch.Generator` (advanced by the draw), or ``None`` (drawn from
            torch's global generator).
        device: where the result lives.

    Returns:
        :class:`~hgnn.structure.Hypergraph` with ``num_nodes=N``, ``num_edges=M``.
    """
    num_nodes = _count(num_nodes, "num_nodes", 1)
    num_edges = _count(num_edges, "num_edges")
    if (p is None) == (size is None):
        raise ValueError("pass exactly one of p (membership probability) and size (hyperedge size or distribution)")
    gen = _generator(seed)
    if p is not None:
        sizes = _binomial(torch.full((num_edges,), num_nodes), _probability(p, "p"), gen)
    else:
        sizes = _sizes_from(size, num_nodes, num_edges, gen)  # type: ignore[arg-type]
    edges, nodes = _distinct(sizes, torch.full((num_edges,), num_nodes), gen)
    return _build(edges, nodes, num_nodes, num_edges, device)


def k_uniform(
    num_nodes: int,
    num_edges: int,
    k: int,
    seed: int | torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> Hypergraph:
    r"""A random :math:`k`-uniform hypergraph: each hyperedge a uniform random :math:`k`-subset.

    Args:
        num_nodes: :math:`N \ge 1`.  num_edges: :math:`M \ge 0`.
        k: members per hyperedge, :math:`1 \le k \le N`.
        seed, device: as in :func:`uniform`.
    """
    num_nodes = _count(num_nodes, "num_nodes", 1)
    k = _count(k, "k", 1)
    if k > num_nodes:
        raise ValueError(f"k={k} is more than num_nodes={num_nodes}; a hyperedge never repeats a node")
    return uniform(num_nodes, num_edges, size=k, seed=seed, device=device)


def _home_counts(size: Tensor, home: Tensor, away: Tensor, p_in: float, p_out: float,
                 gen: torch.Generator) -> Tensor:
    r"""Members drawn from the home block when ``size`` members are drawn one at a time without
    replacement, each remaining node weighted ``p_in`` at home and ``p_out`` away."""
    taken = torch.zeros_like(size)
    for step in range(int(size.max()) if size.numel() else 0):
        active = size > step
        left_home = (home - taken).double() * p_in
        left_away = (away - (step - taken)).double() * p_out
        total = left_home + left_away
        chance = torch.where(total > 0, left_home / total.clamp_min(1e-300), (home > taken).double())
        pick = torch.rand(size.shape, generator=gen, dtype=torch.float64) < chance
        taken += (active & pick).long()
    return taken


def stochastic_block(
    block_sizes: Sequence[int],
    num_edges: int,
    p_in: float,
    p_out: float,
    edge_size: int | None = None,
    seed: int | torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> Hypergraph:
    r"""A hypergraph with planted groups: hyperedges mostly inside one block.

    Nodes are numbered block by block (block :math:`b` holds ``block_sizes[b]`` consecutive ids).
    Each hyperedge gets a home block :math:`h(e)`, drawn with probability proportional to the
    block sizes, and then its members:

    * ``edge_size=None``: node :math:`v` joins :math:`e` independently with probability
      ``p_in`` if :math:`v` is in :math:`h(e)` and ``p_out`` otherwise (a bipartite stochastic
      block model); the expected share of members at home is
      :math:`n_h p_{in} / (n_h p_{in} + (N - n_h) p_{out})`;
    * ``edge_size=s``: exactly :math:`s` members, drawn one by one without replacement, each
      remaining node weighted ``p_in`` at home and ``p_out`` elsewhere.

    Args:
        block_sizes: nodes per block, each :math:`\ge 1`.
        num_edges: :math:`M \ge 0`.
        p_in, p_out: membership probabilities (or weights, with ``edge_size``) in :math:`[0, 1]`.
        edge_size: members per hyperedge, at most :math:`N`; ``None`` for independent memberships.
        seed, device: as in :func:`uniform`.

    Returns:
        :class:`~hgnn.structure.Hypergraph` with ``y`` the block of each node ``[N]`` and
        ``edge_data["block"]`` the home block of each hyperedge ``[M]``.
    """
    if isinstance(block_sizes, (str, bytes)) or not isinstance(block_sizes, Sequence) or not block_sizes:
        raise TypeError("block_sizes must be a non-empty sequence of block sizes, e.g. [50, 50]")
    counts = torch.tensor([_count(n, "block_sizes[i]", 1) for n in block_sizes], dtype=torch.long)
    num_nodes = int(counts.sum())
    num_edges = _count(num_edges, "num_edges")
    p_in, p_out = _probability(p_in, "p_in"), _probability(p_out, "p_out")
    gen = _generator(seed)
    start = torch.cumsum(counts, 0) - counts
    home = torch.multinomial(counts.double(), num_edges, replacement=True, generator=gen) if num_edges else \
        torch.zeros(0, dtype=torch.long)
    n_home = counts[home]
    n_away = num_nodes - n_home
    if edge_size is None:
        inside = _binomial(n_home, p_in, gen)
        outside = _binomial(n_away, p_out, gen)
    else:
        edge_size = _count(edge_size, "edge_size")
        if edge_size > num_nodes:
            raise ValueError(f"edge_size={edge_size} is more than the {num_nodes} nodes")
        if p_in == 0 and p_out == 0 and edge_size > 0:
            raise ValueError("p_in and p_out are both 0: no node can be drawn; make one positive")
        size = torch.full((num_edges,), edge_size, dtype=torch.long)
        inside = _home_counts(size, n_home, n_away, p_in, p_out, gen)
        outside = size - inside
    edge_in, value_in = _distinct(inside, n_home, gen)
    edge_out, value_out = _distinct(outside, n_away, gen)
    node_in = start[home[edge_in]] + value_in
    node_out = value_out + (value_out >= start[home[edge_out]]).long() * n_home[edge_out]
    edges, nodes = torch.cat([edge_in, edge_out]), torch.cat([node_in, node_out])
    order = torch.argsort(edges * num_nodes + nodes)
    y = torch.repeat_interleave(torch.arange(len(counts)), counts)
    return _build(edges[order], nodes[order], num_nodes, num_edges, device, y=y, edge_data={"block": home})
