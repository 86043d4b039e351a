r"""Hypergraph random-walk node embeddings (node2vec-style walks + skip-gram), CoNHD/WHATsNet style.

The edge-dependent node classification (ENC) benchmarks have no node features. WHATsNet (Choe et al.,
KDD 2023, ``young917/EdgeDependentNodeLabel``) and CoNHD (Zheng & Worring, CIKM 2025,
``zhengyijia/CoNHD``) initialise :math:`x_v` with a random-walk embedding computed once per dataset:
second-order (node2vec, Grover & Leskovec, KDD 2016) walks on the hypergraph, with the transition
weights of Hyper-SAGNN (Zhang, Zou & Ma, ICLR 2020, ``ma-compbio/Hyper-SAGNN``), fed to gensim's
skip-gram ``Word2Vec``. This module re-implements both halves in torch.

**Reference settings** (read in ``zhengyijia/CoNHD`` at ``HEAD``; WHATsNet's copies agree):

* ``preprocess/initialize_by_rw.py``: ``p=2``, ``q=0.25``, ``walk_length=40``,
  ``num_walks=10`` per node, ``window_size=10``; ``Word2Vec(vector_size=feat_dim,
  window=10, min_count=0, sg=1, epochs=1)`` (so gensim's defaults ``negative=5``,
  ``ns_exponent=0.75``, ``sample=1e-3``, ``alpha=0.025 -> min_alpha=1e-4``); the input vectors
  ``wv`` are the features.
* ``script/preprocess.sh``: ``--feat_dim 44`` for every ENC dataset.
* ``preprocess/random_walk_hyper.py``: the walk, with ``weight_1st = 1.0`` and
  ``weight_degree = -0.5``, first-order weights, second-order (p, q) weights (a node with no
  neighbour repeats itself).
* WHATsNet (``young917/EdgeDependentNodeLabel``): the same walk code (``initialize/
  random_walk_hyper.py``), the same defaults (``utils.py``) and the same ``Word2Vec``
  call (``train.py``), with dimension 48, or 44 with positional orders.
* The features are standardised per column (``StandardScaler``) when loaded for training
  (CoNHD's and WHATsNet's ``train.py``); this module returns the raw
  skip-gram vectors, like the reference's ``.npy`` files.

These are :data:`REFERENCE_SETTINGS`. The reference walks 10 x 40 nodes from every node: on
enc-dblp (108k nodes) that is 43M tokens, about 7 minutes on one CPU core with this module.
:data:`DEFAULTS` halve it (5 walks per node; everything else as the reference), see
:func:`random_walk_embedding`.

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

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from hgnn.io import save_torch
from hgnn.structure import Hypergraph

__all__ = [
    "DEFAULTS",
    "REFERENCE_SETTINGS",
    "hypergraph_random_walks",
    "random_walk_embedding",
    "skipgram_embedding",
]

#: The CoNHD / WHATsNet preprocessing settings (see the module docstring for files and lines).
REFERENCE_SETTINGS: dict[str, Any] = dict(
    dim=44,
    walk_length=40,
    walks_per_node=10,
    p=2.0,
    q=0.25,
    degree_exponent=-0.5,
    window=10,
    negatives=5,
    epochs=1,
    subsample=1e-3,
)

#: What :func:`random_walk_embedding` uses: the reference's settings except 5 walks per node
#: instead of 10 (half the tokens), so enc-dblp takes minutes on a CPU core; plus the optimiser's.
DEFAULTS: dict[str, Any] = {**REFERENCE_SETTINGS, "walks_per_node": 5, "lr": 0.025, "batch_size": 512}

_CACHE_VERSION = 1
_MAX_REJECTION_ROUNDS = 100
_MIN_STEPS = 256  # skip-gram optimiser steps per epoch, at least (while walks last)
_MAX_PAIRS = 20_000_000  # co-member pairs tabulated for adjacency tests (160 MB of keys); else scans


# ---------------------------------------------------------------------------------------- walks
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
        walk_length: nodes per walk, the start included (:math:`\ge 1`).
        walks_per_node: walks started from every node (:math:`\ge 1`).
        p: return parameter (:math:`> 0`); the reference uses 2.
        q: in-out parameter (:math:`> 0`); the reference uses 0.25 (outward-biased).
        seed: seed of the ``torch.Generator`` drawing every step; same seed, same walks.
        degree_exponent: :math:`\beta`; the reference (Hyper-SAGNN's ``weight_degree``) uses -0.5.

    Returns:
        ``LongTensor[walks_per_node * N, walk_length]`` on ``hg.device``; walk ``k`` starts at node
        ``k % N``.

    Raises:
        ValueError: ``walk_length`` or ``walks_per_node`` below 1, ``p``/``q`` not positive, or a
            hypergraph without nodes or incidences.
    """
    walk_length, walks_per_node = int(walk_length), int(walks_per_node)
    if walk_length < 1:
        raise ValueError(f"walk_length must be >= 1, got {walk_length}")
    if walks_per_node < 1:
        raise ValueError(f"walks_per_node must be >= 1, got {walks_per_node}")
    if not (p > 0 and q > 0 and math.isfinite(p) and math.isfinite(q)):
        raise ValueError(f"p and q must be positive and finite, got p={p}, q={q}")
    if hg.num_nodes == 0 or hg.num_incidences == 0:
        raise ValueError(
            f"cannot walk on an empty hypergraph ({hg.num_nodes} nodes, {hg.num_incidences} incidences)"
        )
    device = hg.device
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    tables = _WalkTables(hg, float(degree_exponent))
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


# ---------------------------------------------------------------------------------------- skip-gram
def _compact(walks: Tensor, keep: Tensor) -> Tensor:
    """Drop the tokens where ``keep`` is False and left-align each walk; ``-1`` pads the tail."""
    pos = keep.long().cumsum(1) - 1
    out = torch.full_like(walks, -1)
    rows = torch.arange(walks.size(0), device=walks.device).unsqueeze(1).expand_as(walks)
    out[rows[keep], pos[keep]] = walks[keep]
    return out


def skipgram_embedding(
    walks: Tensor,
    num_nodes: int,
    dim: int = DEFAULTS["dim"],
    window: int = DEFAULTS["window"],
    negatives: int = DEFAULTS["negatives"],
    epochs: int = DEFAULTS["epochs"],
    lr: float = DEFAULTS["lr"],
    batch_size: int = DEFAULTS["batch_size"],
    subsample: float = DEFAULTS["subsample"],
    seed: int = 0,
    progress: bool = True,
) -> Tensor:
    r"""Skip-gram with negative sampling (word2vec, Mikolov et al. 2013) on node walks.

    Each node :math:`v` has an input vector :math:`z_v` (returned) and an output vector
    :math:`z'_v`. For every centre token :math:`c` and every context token :math:`o` within
    :math:`b` positions of it in its walk, the loss is

    .. math:: -\log\sigma(z_c^\top z'_o) - \sum_{k=1}^{K} \log\sigma(-z_c^\top z'_{n_k}),
              \qquad n_k \sim P(n) \propto \mathrm{count}(n)^{3/4},

    summed over pairs and averaged per batch. As in gensim: :math:`b` is drawn uniformly in
    :math:`1..\text{window}` per centre token; tokens of frequent nodes are dropped each epoch with
    probability :math:`1 - \min\{1, (\sqrt{f/t} + 1)\, t/f\}` (:math:`f` the node's token count,
    :math:`t` = ``subsample`` :math:`\times` all tokens) before windows are taken; :math:`z` starts
    uniform in :math:`\pm 1/(2\,\text{dim})`, :math:`z'` at zero. Unlike gensim, the :math:`K`
    negatives are drawn once per centre token and shared by its :math:`m` contexts with weight
    :math:`m` (an unbiased estimate of the per-pair sum, :math:`\sim 2\,\text{window}/K` times
    fewer dot products), and training is mini-batch Adam with ``torch.optim.SparseAdam``'s lazy
    rule (only the rows in a batch, and their moments, move) and a learning rate decaying linearly
    to ``lr / 250`` (gensim: per-pair SGD, ``alpha`` 0.025 to 1e-4). The gradients are written out
    by hand and the update applied with ``index_add_``: the same arithmetic as autograd through
    ``nn.Embedding(sparse=True)`` + ``SparseAdam`` (to float round-off), about 1.8x faster on CPU.

    Args:
        walks: ``LongTensor[W, L]`` node ids in ``[0, num_nodes)``.
        num_nodes: :math:`N`, rows of the result (nodes absent from ``walks`` keep their init).
        dim: embedding size (reference 44).
        window: maximal context distance (reference 10).
        negatives: :math:`K` (gensim's default 5).
        epochs: passes over the walks (reference 1).
        lr: Adam learning rate at the first step.
        batch_size: centre tokens per step (rounded down to whole walks, at least one), lowered
            on small inputs so that an epoch has at least 256 steps (or one per walk).
        subsample: gensim's ``sample``; 0 keeps every token.
        seed: seeds initialisation, windows, subsampling, negatives and batch order.
        progress: show a tqdm bar.

    Returns:
        ``Tensor[num_nodes, dim]`` (float32, on ``walks.device``): the input vectors :math:`z`.
    """
    _check_skipgram_args(num_nodes=num_nodes, dim=dim, window=window, negatives=negatives, epochs=epochs,
                         batch_size=batch_size, lr=lr, subsample=subsample)
    if not isinstance(walks, Tensor) or walks.dim() != 2 or walks.dtype != torch.long or walks.numel() == 0:
        raise ValueError("walks must be a non-empty LongTensor [num_walks, walk_length]")
    if int(walks.min()) < 0 or int(walks.max()) >= num_nodes:
        raise ValueError(f"walks hold node ids outside [0, {num_nodes})")
    from tqdm.auto import tqdm

    device = walks.device
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    num_walks, length = walks.shape
    counts = torch.bincount(walks.reshape(-1), minlength=num_nodes).double()
    noise_cum = counts.pow(0.75).cumsum(0)
    if subsample > 0:
        f = counts.clamp(min=1)
        t = subsample * walks.numel()
        keep_prob = (((f / t).sqrt() + 1) * t / f).clamp(max=1)
    z_in = (torch.rand(num_nodes, dim, device=device, generator=gen) - 0.5) / dim
    z_out = torch.zeros(num_nodes, dim, device=device)
    adam_in, adam_out = _LazyAdam(z_in), _LazyAdam(z_out)
    # at least _MIN_STEPS steps per epoch: an Adam step moves a row by about lr, so small inputs
    # (few tokens) need smaller batches to train at all
    rows_per_batch = max(1, min(int(batch_size) // length, num_walks // _MIN_STEPS))
    steps_per_epoch = math.ceil(num_walks / rows_per_batch)
    total_steps, step = epochs * steps_per_epoch, 0
    offsets = torch.cat([torch.arange(-window, 0), torch.arange(1, window + 1)]).to(device)  # [2w]
    bar = tqdm(total=total_steps, desc="skip-gram", disable=not progress, leave=False)
    for _ in range(epochs):
        tokens = walks
        if subsample > 0:
            keep = torch.rand(walks.shape, dtype=torch.float64, device=device, generator=gen) < keep_prob[walks]
            tokens = _compact(walks, keep)
        order = torch.randperm(num_walks, device=device, generator=gen)
        for start in range(0, num_walks, rows_per_batch):
            step_lr = lr * (1.0 - (1.0 - 1.0 / 250.0) * step / total_steps)
            step += 1
            bar.update(1)
            block = tokens[order[start : start + rows_per_batch]]  # [b, L]
            padded = F.pad(block, (window, window), value=-1)
            ctx = padded.unfold(1, 2 * window + 1, 1)  # [b, L, 2w + 1]
            ctx = torch.cat([ctx[..., :window], ctx[..., window + 1 :]], dim=-1)  # [b, L, 2w]
            reach = window - torch.randint(0, window, block.shape, device=device, generator=gen)
            valid = (ctx >= 0) & (block >= 0).unsqueeze(-1) & (offsets.abs() <= reach.unsqueeze(-1))
            centre_mask = valid.any(-1)
            if not bool(centre_mask.any()):
                continue
            centres = block[centre_mask]  # [C]
            flat = valid[centre_mask].reshape(-1).nonzero().squeeze(1)  # pairs, as flat [C, 2w] slots
            pair_centre = flat // (2 * window)
            contexts = ctx[centre_mask].reshape(-1).index_select(0, flat)  # [P]
            draw = torch.rand(centres.numel(), negatives, dtype=torch.float64, device=device, generator=gen)
            noise = torch.searchsorted(noise_cum, draw * noise_cum[-1], right=True).clamp(max=num_nodes - 1)
            _, g_centre, g_context, g_noise = _sgns_grads(z_in, z_out, centres, pair_centre, contexts, noise)
            adam_in.step(centres, g_centre, step_lr)
            adam_out.step(torch.cat([contexts, noise.reshape(-1)]), torch.cat([g_context, g_noise.reshape(-1, dim)]), step_lr)
    bar.close()
    return z_in


def _check_skipgram_args(lr: float, subsample: float, **counts: int) -> None:
    for name, value in counts.items():
        if int(value) < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    if not subsample >= 0:
        raise ValueError(f"subsample must be >= 0, got {subsample}")


def _sgns_grads(
    z_in: Tensor, z_out: Tensor, centres: Tensor, pair_centre: Tensor, contexts: Tensor, noise: Tensor
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Loss of one skip-gram batch and its gradients, by hand (no autograd graph to build).

    ``centres`` ``[C]``; pair ``i`` joins centre ``pair_centre[i]`` to node ``contexts[i]``
    (``[P]``); ``noise`` ``[C, K]`` negatives shared by a centre's :math:`m_c` pairs with weight
    :math:`m_c`. Loss :math:`\\frac{1}{P}\\big[-\\sum_i \\log\\sigma(s_i)
    - \\sum_c m_c \\sum_k \\log\\sigma(-t_{ck})\\big]`. Returns ``(loss, dL/dz_in[centres] [C, D],
    dL/dz_out[contexts] [P, D], dL/dz_out[noise] [C, K, D])``.
    """
    z = z_in.index_select(0, centres)  # [C, D]
    zc = z_out.index_select(0, contexts)  # [P, D]
    zn = z_out.index_select(0, noise.reshape(-1)).view(*noise.shape, -1)  # [C, K, D]
    zp = z.index_select(0, pair_centre)
    pos = (zp * zc).sum(-1)  # [P]
    neg = torch.bmm(zn, z.unsqueeze(-1)).squeeze(-1)  # [C, K]
    m = torch.bincount(pair_centre, minlength=centres.numel()).to(z.dtype)  # [C]
    scale = 1.0 / pair_centre.numel()
    loss = -(F.logsigmoid(pos).sum() + (F.logsigmoid(-neg).sum(-1) * m).sum()) * scale
    g_pos = (torch.sigmoid(pos) - 1.0) * scale  # dL/ds_i
    g_neg = torch.sigmoid(neg) * (m * scale).unsqueeze(-1)  # dL/dt_ck
    g_centre = torch.bmm(g_neg.unsqueeze(1), zn).squeeze(1).index_add_(0, pair_centre, g_pos.unsqueeze(-1) * zc)
    return loss, g_centre, g_pos.unsqueeze(-1) * zp, g_neg.unsqueeze(-1) * z.unsqueeze(1)


class _LazyAdam:
    """``torch.optim.SparseAdam``'s update written out for a table and a list of (row, gradient)
    pairs: gradients of repeated rows are summed, only the touched rows' moments move, bias
    correction uses the global step count."""

    def __init__(self, weight: Tensor, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.weight, self.betas, self.eps, self.t = weight, betas, eps, 0
        self.m = torch.zeros_like(weight)
        self.v = torch.zeros_like(weight)

    def step(self, rows: Tensor, grads: Tensor, lr: float) -> None:
        b1, b2 = self.betas
        self.t += 1
        rows, inverse = torch.unique(rows, return_inverse=True)
        g = grads.new_zeros(rows.numel(), grads.size(1)).index_add_(0, inverse, grads)
        m = self.m.index_select(0, rows).mul_(b1).add_(g, alpha=1 - b1)
        v = self.v.index_select(0, rows).mul_(b2).addcmul_(g, g, value=1 - b2)
        self.m.index_copy_(0, rows, m)
        self.v.index_copy_(0, rows, v)
        step_size = lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        self.weight.index_add_(0, rows, m / (v.sqrt() + self.eps), alpha=-step_size)


# ---------------------------------------------------------------------------------------- both
def _cache_key(hg: Hypergraph, settings: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    index = hg.hyperedge_index.detach().to("cpu", torch.long).contiguous()
    digest.update(index.numpy().tobytes())
    meta = dict(settings, num_nodes=hg.num_nodes, num_edges=hg.num_edges, version=_CACHE_VERSION)
    digest.update(json.dumps(meta, sort_keys=True).encode())
    return digest.hexdigest()


def _read_cache(path: Path, key: str, num_nodes: int, dim: int) -> Tensor | None:
    """The embedding stored at ``path`` if it was computed for ``key`` and is a finite floating
    ``[num_nodes, dim]`` tensor; ``None`` for a stale, truncated, corrupt or foreign file."""
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # truncated or not a torch file: recomputed and overwritten by the caller
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    emb = stored.get("embedding")
    if not isinstance(emb, Tensor) or not emb.is_floating_point() or emb.shape != (num_nodes, dim):
        return None
    return emb if bool(torch.isfinite(emb).all()) else None


def random_walk_embedding(
    hg: Hypergraph,
    dim: int = DEFAULTS["dim"],
    *,
    walk_length: int = DEFAULTS["walk_length"],
    walks_per_node: int = DEFAULTS["walks_per_node"],
    p: float = DEFAULTS["p"],
    q: float = DEFAULTS["q"],
    degree_exponent: float = DEFAULTS["degree_exponent"],
    window: int = DEFAULTS["window"],
    negatives: int = DEFAULTS["negatives"],
    epochs: int = DEFAULTS["epochs"],
    lr: float = DEFAULTS["lr"],
    batch_size: int = DEFAULTS["batch_size"],
    subsample: float = DEFAULTS["subsample"],
    seed: int = 0,
    progress: bool = True,
    cache: str | Path | None = None,
) -> Tensor:
    r"""Node features from hypergraph random walks + skip-gram (the CoNHD / WHATsNet ENC features).

    :func:`hypergraph_random_walks` then :func:`skipgram_embedding`. Defaults (:data:`DEFAULTS`)
    are the reference's (dimension 44, :math:`p = 2`, :math:`q = 1/4`, :math:`\beta = -1/2`,
    walks of 40 nodes, a 10-window, 5 negatives, one epoch, ``sample=1e-3``) except **5 walks per
    node instead of 10**, which halves the cost: enc-dblp then takes a few minutes on one CPU core.
    ``random_walk_embedding(hg, **REFERENCE_SETTINGS)`` runs the reference's settings (fine on
    the small ENC sets: enc-emaileu in seconds). The optimiser settings (Adam, ``lr`` 0.025,
    512 centre tokens per step, fewer on small inputs) are ours.

    Args:
        hg: the hypergraph (unweighted walk).
        dim: embedding size.
        walk_length, walks_per_node, p, q, degree_exponent, seed: see
            :func:`hypergraph_random_walks`.
        window, negatives, epochs, lr, batch_size, subsample, progress: see
            :func:`skipgram_embedding` (``seed`` seeds it too).
        cache: a file. If it holds an embedding computed from the same ``hyperedge_index``, sizes
            and every setting above (a SHA-256 key), that is returned; otherwise the embedding is
            computed and saved there atomically (``torch.save`` of ``{"key": str, "embedding":
            Tensor}``, read back with ``weights_only=True``), replacing a stale file. A truncated
            or corrupt file, or one whose embedding is not a finite floating ``[N, dim]`` tensor, is
            recomputed.

    Returns:
        ``Tensor[N, dim]`` float32 on ``hg.device``, not standardised (the reference applies a
        per-column ``StandardScaler`` when it loads the features).
    """
    _check_skipgram_args(num_nodes=max(hg.num_nodes, 1), dim=dim, window=window, negatives=negatives,
                         epochs=epochs, batch_size=batch_size, lr=lr, subsample=subsample)
    settings = dict(
        dim=int(dim), walk_length=int(walk_length), walks_per_node=int(walks_per_node), p=float(p),
        q=float(q), degree_exponent=float(degree_exponent), window=int(window), negatives=int(negatives),
        epochs=int(epochs), lr=float(lr), batch_size=int(batch_size), subsample=float(subsample), seed=int(seed),
    )
    key = path = None
    if cache is not None:
        path = Path(cache)
        key = _cache_key(hg, settings)
        if path.is_file():
            stored = _read_cache(path, key, hg.num_nodes, settings["dim"])
            if stored is not None:
                return stored.to(hg.device)
    walks = hypergraph_random_walks(
        hg, settings["walk_length"], settings["walks_per_node"], p=settings["p"], q=settings["q"],
        seed=settings["seed"], degree_exponent=settings["degree_exponent"],
    )
    emb = skipgram_embedding(
        walks, hg.num_nodes, dim=settings["dim"], window=settings["window"], negatives=settings["negatives"],
        epochs=settings["epochs"], lr=settings["lr"], batch_size=settings["batch_size"],
        subsample=settings["subsample"], seed=settings["seed"], progress=progress,
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_torch({"key": key, "embedding": emb.cpu()}, path)
    return emb
