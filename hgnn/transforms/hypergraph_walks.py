r"""Second-order (node2vec) random walks on a hypergraph, the first half of
:func:`~hgnn.transforms.random_walk_embedding`.

The walk law is the one of the CoNHD / WHATsNet preprocessing (Hyper-SAGNN's transition weights,
``preprocess/random_walk_hyper.py``); :mod:`hgnn.transforms.random_walk` lists the reference
settings.

**The walk.** Let :math:`N(v)` be the nodes sharing a hyperedge with :math:`v` (:math:`v` excluded),
:math:`d(u)` the number of hyperedges holding :math:`u` and :math:`|e|` the size of :math:`e`. The
first step from :math:`v` goes to :math:`u \in N(v)` with probability

.. math:: \pi(v \to u) \propto \Big(\sum_{e \ni v, u} \frac{1}{|e|}\Big)\, d(u)^{\beta}

(``ff_1st`` times ``node_degree ** weight_degree``, :math:`\beta = -1/2` in the reference; with
:math:`\beta = 0` this is "random incident hyperedge :math:`e` with weight :math:`(|e|-1)/|e|`,
then a uniform *other* member", the plain hypergraph walk without self-moves). After a step
:math:`s \to v`, the next node :math:`u \in N(v)` is drawn with probability
:math:`\propto \alpha_{pq}(s, u)\, \pi(v \to u)` where

.. math::
   \alpha_{pq}(s, u) = \begin{cases}
     1/p & u = s \text{ or some hyperedge holds } s, v \text{ and } u, \\
     1 & \text{else if some hyperedge holds } s \text{ and } u, \\
     1/q & \text{otherwise},
   \end{cases}

exactly the reference's ``get_alias_n2n_2nd``. The reference tabulates an alias table for every
ordered neighbour pair; here all walks advance together, one step per iteration: a candidate is
drawn from :math:`\pi(v \to \cdot)` in two inverse-CDF draws (an incident hyperedge :math:`e` with
weight :math:`(\sum_{u \in e} d(u)^\beta - d(v)^\beta)/|e|`, then a member :math:`u \ne v` of
:math:`e` with weight :math:`d(u)^\beta`) and accepted with probability
:math:`\alpha_{pq}(s, u) / \max(1/p, 1, 1/q)` (rejection sampling, as in PyG's ``torch_cluster``
node2vec walks), which gives the target law exactly.

Differences from the reference, all deliberate: a node listed twice in one hyperedge counts once
(the reference counts it twice in :math:`|e|` and :math:`d`; enc-emaileu has 5k such repeats in
542k incidences); hyperedge weights are ignored (the reference is unweighted); walks are not
shuffled (skip-gram batches are drawn in random order instead).
"""
from __future__ import annotations

import math
import numbers
import operator
from typing import SupportsIndex

import torch
from torch import Tensor

from hgnn.structure import Hypergraph

__all__ = ["hypergraph_random_walks"]

_MAX_REJECTION_ROUNDS = 100
_MAX_PAIRS = 20_000_000  # co-member pairs tabulated for adjacency tests (160 MB of keys); else scans


def _check_int(value: object, name: str, low: int | None = None) -> int:
    """``value`` as an ``int``: ``TypeError`` unless it is an integer (not a ``bool``, not a float,
    which would be truncated), ``ValueError`` if below ``low``."""
    try:
        if isinstance(value, bool) or not isinstance(value, SupportsIndex):
            raise TypeError
        number = operator.index(value)  # a float tensor raises here
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}") from None
    if low is not None and number < low:
        raise ValueError(f"{name} must be >= {low}, got {number}")
    return number


def _check_exponent(value: object) -> float:
    """``degree_exponent`` as a ``float``: ``TypeError`` unless a real number, ``ValueError`` unless finite
    (NaN or infinite weights would stop every walk at its start node)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"degree_exponent must be a real number, got {type(value).__name__} {value!r}")
    beta = float(value)
    if not math.isfinite(beta):
        raise ValueError(f"degree_exponent must be finite, got {beta}; the reference uses -0.5, 0 gives the plain walk")
    return beta


class _WalkTables:
    """Flat tables for sampling :math:`\\pi(v \\to \\cdot)` and testing memberships, built once per
    call from the hypergraph's cached node/edge orders (duplicate incidences removed first)."""

    def __init__(self, hg: Hypergraph, degree_exponent: float) -> None:
        n, m = hg.num_nodes, hg.num_edges
        nodes, edges = hg.hyperedge_index
        keys = nodes * m + edges
        unique_keys = torch.unique(keys)  # sorted
        if unique_keys.numel() != keys.numel():  # a node twice in one hyperedge counts once
            index = torch.stack([unique_keys // m, unique_keys % m])
            hg = Hypergraph(index, num_nodes=n, num_edges=m, validate=False)
            nodes, edges = index
        node_perm, self.node_ptr = hg.node_order()
        edge_perm, self.edge_ptr = hg.edge_order()
        self.keys = unique_keys  # node * M + edge, sorted: membership tests
        self.num_edges = m
        self.inc_edge = edges[node_perm]  # [nnz] hyperedge of each incidence, node-sorted
        self.inc_pos = hg.edge_to_node_order()  # [nnz] its position in the edge-sorted order
        self.member = nodes[edge_perm]  # [nnz] node of each incidence, edge-sorted
        self.degree = self.node_ptr.diff()  # [N] distinct hyperedges per node
        size = self.edge_ptr.diff().double()  # [M] distinct members per hyperedge

        w = self.degree.double().clamp(min=1).pow(degree_exponent)  # [N] d(u)^beta
        if not bool(torch.isfinite(w).all() & (w > 0).all()):
            raise ValueError(f"degree_exponent={degree_exponent} is too large in magnitude for these degrees "
                             f"(up to {int(self.degree.max())}): d ** degree_exponent overflows or underflows "
                             "float64; use an exponent of moderate size (the reference uses -0.5)")
        self.w = w
        member_w = w[self.member]  # edge-sorted
        self.member_cum = member_w.cumsum(0)  # inclusive
        self.member_excl = torch.cat([member_w.new_zeros(1), self.member_cum[:-1]])
        edge_total = torch.zeros(m, dtype=torch.float64, device=w.device).index_add_(
            0, edges[edge_perm], member_w
        )
        # weight of hyperedge e seen from v: (S_e - w_v) / |e|, node-sorted; zero for singletons
        inc_w = (edge_total[self.inc_edge] - w[nodes[node_perm]]).clamp(min=0) / size[self.inc_edge].clamp(min=1)
        inc_w = torch.where(size[self.inc_edge] > 1, inc_w, torch.zeros_like(inc_w))
        self.inc_cum = inc_w.cumsum(0)  # inclusive
        excl = torch.cat([inc_w.new_zeros(1), self.inc_cum])  # excl[k] = weight before incidence k
        self.node_base = excl[self.node_ptr[:-1]]
        self.node_total = excl[self.node_ptr[1:]] - self.node_base
        self.movable = self.node_total > 0  # has at least one neighbour
        self.pairs: Tensor | None = None  # co-member pair keys, built on the first adjacency test
        self._pairs_built = False
        # last incidence of each node with positive weight (guards float round-off at the top end)
        pos = torch.arange(inc_w.numel(), device=w.device)
        owner = torch.repeat_interleave(torch.arange(n, device=w.device), self.degree)
        last = torch.full((n,), -1, dtype=torch.long, device=w.device)
        self.node_last = last.scatter_reduce(0, owner[inc_w > 0], pos[inc_w > 0], reduce="amax")

    def propose(self, cur: Tensor, gen: torch.Generator) -> Tensor:
        """One draw from :math:`\\pi(v \\to \\cdot)` for each (movable) node in ``cur``."""
        u1 = torch.rand(cur.numel(), dtype=torch.float64, device=cur.device, generator=gen)
        u2 = torch.rand(cur.numel(), dtype=torch.float64, device=cur.device, generator=gen)
        # 1) incident hyperedge e with weight (S_e - w_v) / |e|
        r = self.node_base[cur] + u1 * self.node_total[cur]
        k = torch.searchsorted(self.inc_cum, r, right=True)
        k = torch.minimum(torch.maximum(k, self.node_ptr[cur]), self.node_last[cur])
        e = self.inc_edge[k]
        pv = self.inc_pos[k]  # where v sits in e's member list
        lo, hi = self.edge_ptr[e], self.edge_ptr[e + 1] - 1
        # 2) member u != v with weight w_u: draw in the total minus w_v, then hop over v's slot
        wv = self.w[cur]
        base = self.member_excl[lo]
        total = self.member_cum[hi] - base
        r = base + u2 * (total - wv)
        r = torch.where(r >= self.member_excl[pv], r + wv, r)
        j = torch.searchsorted(self.member_cum, r, right=True)
        j = torch.minimum(torch.maximum(j, lo), hi)
        j = torch.where(j == pv, torch.where(pv < hi, pv + 1, pv - 1), j)  # round-off only
        return self.member[j]

    def _is_member(self, node: Tensor, edge: Tensor) -> Tensor:
        query = node * self.num_edges + edge
        at = torch.searchsorted(self.keys, query).clamp(max=self.keys.numel() - 1)
        return self.keys[at] == query

    def _build_pairs(self) -> None:
        """Sorted keys ``a * N + b`` of the ordered pairs sharing a hyperedge (``a != b``), when
        :math:`\\sum_e |e|(|e|-1)` fits in ``_MAX_PAIRS``; else ``None`` (scan instead)."""
        size = self.edge_ptr.diff()
        if int((size * (size - 1)).sum()) > _MAX_PAIRS:
            self.pairs = None
            return
        n = self.degree.numel()
        reps = size[torch.repeat_interleave(torch.arange(size.numel(), device=size.device), size)]
        a = torch.repeat_interleave(self.member, reps)  # each member, once per member of its edge
        first = torch.repeat_interleave(self.edge_ptr[:-1], size)  # its edge's first slot
        offset = torch.arange(a.numel(), device=a.device) - torch.repeat_interleave(reps.cumsum(0) - reps, reps)
        b = self.member[torch.repeat_interleave(first, reps) + offset]
        keep = a != b
        self.pairs = torch.unique(a[keep] * n + b[keep])

    def _scan(self, x: Tensor, y: Tensor, z: Tensor | None) -> Tensor:
        """For each ``i``: does a hyperedge hold ``x[i]`` and ``y[i]`` (and ``z[i]`` when given)?
        Scans the hyperedges of ``x``; pass the lowest-degree node as ``x``."""
        count = self.degree[x]
        walker = torch.repeat_interleave(torch.arange(x.numel(), device=x.device), count)
        offset = torch.arange(walker.numel(), device=x.device) - torch.repeat_interleave(count.cumsum(0) - count, count)
        e = self.inc_edge[self.node_ptr[x][walker] + offset]
        hit = self._is_member(y[walker], e)
        if z is not None:
            hit &= self._is_member(z[walker], e)
        return torch.zeros(x.numel(), dtype=torch.long, device=x.device).index_add_(0, walker, hit.long()) > 0

    def adjacent(self, s: Tensor, u: Tensor) -> Tensor:
        """Whether ``s[i] != u[i]`` share a hyperedge."""
        if not self._pairs_built:
            self._build_pairs()
            self._pairs_built = True
        if self.pairs is not None:
            query = s * self.degree.numel() + u
            at = torch.searchsorted(self.pairs, query).clamp(max=max(self.pairs.numel() - 1, 0))
            return (self.pairs[at] == query) if self.pairs.numel() else torch.zeros_like(s, dtype=torch.bool)
        swap = self.degree[u] < self.degree[s]
        return self._scan(torch.where(swap, u, s), torch.where(swap, s, u), None) & (s != u)

    def in_one_edge(self, s: Tensor, v: Tensor, u: Tensor) -> Tensor:
        """Whether one hyperedge holds ``s[i]``, ``v[i]`` and ``u[i]``."""
        nodes = torch.stack([s, v, u])  # [3, P]
        lowest = self.degree[nodes].argmin(0)  # scan the edges of the lowest-degree node
        col = torch.arange(s.numel(), device=s.device)
        return self._scan(nodes[lowest, col], nodes[(lowest + 1) % 3, col], nodes[(lowest + 2) % 3, col])

    def accept(self, s: Tensor, v: Tensor, u: Tensor, level: Tensor, p: float, q: float) -> Tensor:
        """``level < alpha_pq(s, u)`` for the step ``s -> v -> u``, testing only what decides it:
        ``level`` below every weight needs no test, the adjacency test settles most of the rest,
        the three-node test runs only where ``level`` falls between ``1/p`` and ``1``."""
        close_w, adj_w, far_w = 1.0 / p, 1.0, 1.0 / q
        out = level < min(close_w, adj_w, far_w)
        todo = (~out).nonzero().squeeze(1)
        adj = self.adjacent(s[todo], u[todo]) | (s[todo] == u[todo])
        out[todo[~adj]] = level[todo[~adj]] < far_w
        todo = todo[adj]
        lvl = level[todo]
        lo, hi = min(close_w, adj_w), max(close_w, adj_w)
        out[todo[lvl < lo]] = True
        todo = todo[(lvl >= lo) & (lvl < hi)]  # decided by close (weight 1/p) vs merely adjacent (1)
        if todo.numel():
            close = (s[todo] == u[todo]) | self.in_one_edge(s[todo], v[todo], u[todo])
            out[todo] = torch.where(close, level[todo] < close_w, level[todo] < adj_w)
        return out


def hypergraph_random_walks(
    hg: Hypergraph,
    walk_length: int,
    walks_per_node: int,
    p: float = 1.0,
    q: float = 1.0,
    seed: int = 0,
    degree_exponent: float = 0.0,
) -> Tensor:
    r"""Second-order (node2vec) random walks on a hypergraph, all advanced together.

    The law is the reference's (module docstring): from :math:`v`, a neighbour :math:`u \ne v`
    sharing a hyperedge, with weight :math:`\sum_{e \ni v,u} |e|^{-1} \cdot d(u)^{\beta}`, times the
    node2vec bias :math:`1/p` (back to the previous node :math:`s`, or to a node sharing a hyperedge
    with both :math:`s` and :math:`v`), :math:`1` (another neighbour of :math:`s`) or :math:`1/q`
    (farther). ``p = q = 1`` and ``degree_exponent = 0`` give the plain walk: a random incident
    hyperedge (weighted :math:`(|e|-1)/|e|`), then a uniform other member. A node with no
    neighbour (no hyperedge, or only singletons) stays where it is for the whole walk.

    Args:
        hg: the hypergraph (``edge_weight`` is ignored). Its ``node_order``/``edge_order`` caches
            are used (built if needed).
        walk_length: nodes per walk, the start included (an ``int`` :math:`\ge 1`).
        walks_per_node: walks started from every node (an ``int`` :math:`\ge 1`).
        p: return parameter (:math:`> 0`); the reference uses 2.
        q: in-out parameter (:math:`> 0`); the reference uses 0.25 (outward-biased).
        seed: seed (an ``int``) of the ``torch.Generator`` drawing every step; same seed, same walks.
        degree_exponent: :math:`\beta`, a finite real number; the reference (Hyper-SAGNN's
            ``weight_degree``) uses -0.5.

    Returns:
        ``LongTensor[walks_per_node * N, walk_length]`` on ``hg.device``; walk ``k`` starts at node
        ``k % N``.

    Raises:
        TypeError: ``walk_length``, ``walks_per_node`` or ``seed`` not an ``int`` (a ``bool`` or a
            float included: nothing is truncated); ``degree_exponent`` not a real number.
        ValueError: ``walk_length`` or ``walks_per_node`` below 1, ``p``/``q`` not positive and
            finite, ``degree_exponent`` not finite (or so large that :math:`d(u)^{\beta}` overflows
            or underflows), or a hypergraph without nodes or incidences.
    """
    walk_length = _check_int(walk_length, "walk_length", low=1)
    walks_per_node = _check_int(walks_per_node, "walks_per_node", low=1)
    seed = _check_int(seed, "seed")
    degree_exponent = _check_exponent(degree_exponent)
    if not (p > 0 and q > 0 and math.isfinite(p) and math.isfinite(q)):
        raise ValueError(f"p and q must be positive and finite, got p={p}, q={q}")
    if hg.num_nodes == 0 or hg.num_incidences == 0:
        raise ValueError(
            f"cannot walk on an empty hypergraph ({hg.num_nodes} nodes, {hg.num_incidences} incidences)"
        )
    device = hg.device
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    tables = _WalkTables(hg, degree_exponent)
    walks = torch.empty(walks_per_node * hg.num_nodes, walk_length, dtype=torch.long, device=device)
    walks[:, 0] = torch.arange(hg.num_nodes, device=device).repeat(walks_per_node)
    biased = not (p == 1.0 and q == 1.0)
    alpha_max = max(1.0 / p, 1.0, 1.0 / q)
    for t in range(1, walk_length):
        cur = walks[:, t - 1]
        nxt = cur.clone()  # nodes without a neighbour stay put
        active = tables.movable[cur].nonzero().squeeze(1)
        if not biased or t == 1:
            nxt[active] = tables.propose(cur[active], gen)
        else:
            prev = walks[:, t - 2]
            # a node in one hyperedge only: every candidate shares it with prev, the bias is flat
            flat = tables.degree[cur[active]] == 1
            nxt[active[flat]] = tables.propose(cur[active[flat]], gen)
            active = active[~flat]
            for round_ in range(_MAX_REJECTION_ROUNDS):
                if active.numel() == 0:
                    break
                c = cur[active]
                u = tables.propose(c, gen)
                if round_ == _MAX_REJECTION_ROUNDS - 1:  # ~never reached: (1 - min accept)^99
                    nxt[active] = u
                    break
                level = torch.rand(u.numel(), dtype=torch.float64, device=device, generator=gen) * alpha_max
                accept = tables.accept(prev[active], c, u, level, p, q)
                nxt[active[accept]] = u[accept]
                active = active[~accept]
        walks[:, t] = nxt
    return walks

