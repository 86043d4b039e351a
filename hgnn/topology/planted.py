r"""Demonstration 1 of the topology VAE: recover planted communication groups.

:math:`N` agents each hold a private vector :math:`v_i \in \mathbb R^d`, fresh every episode. A hidden
set of disjoint groups decides what each agent must predict: an agent in group :math:`G` must say
whether :math:`\sum_{j \in G} v_{j,0} > 0`; an agent in no group, whether :math:`v_{i,0} > 0`. The
task's difficulty sets the groups (more and larger groups: harder). Agents communicate over a
hypergraph :math:`H \in \{0,1\}^{N \times K}` in one round,

.. math::
    s_k = \sum_j H_{jk} v_j, \qquad m_i = \begin{cases}
        \frac{\sum_k H_{ik} s_k}{\sum_k H_{ik}} & \sum_k H_{ik} > 0 \\ v_i & \text{otherwise} \end{cases},
    \qquad \hat y_i = \mathrm{MLP}([v_i \Vert m_i]),

and every incidence costs. The right hypergraph is the hidden groups, and it gets sparser as the task
gets easier; :class:`~hgnn.topology.HypergraphTopologyVAE` has to find it from the task loss alone.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from hgnn.topology.vae import HypergraphTopologyVAE, TopologyOutput
from hgnn.train.trainer import seed_everything

#: Difficulty -> (number of groups, group size) for 24 agents.
__all__ = ["DIFFICULTIES", "Decider", "PlantedResult", "co_membership_f1", "communicate", "episodes",
           "knn_incidence", "planted_groups", "run_planted", "summarize_planted", "train_fixed"]

DIFFICULTIES = {"easy": (2, 2), "medium": (4, 3), "hard": (6, 4)}


def planted_groups(num_agents: int, num_groups: int, group_size: int, seed: int = 0) -> Tensor:
    """``[N, G]`` 0/1 membership of ``num_groups`` disjoint random groups of ``group_size`` agents."""
    if num_groups * group_size > num_agents:
        raise ValueError(f"{num_groups} groups of {group_size} do not fit in {num_agents} agents")
    perm = torch.randperm(num_agents, generator=torch.Generator().manual_seed(seed))
    h = torch.zeros(num_agents, num_groups)
    for g in range(num_groups):
        h[perm[g * group_size:(g + 1) * group_size], g] = 1.0
    return h


def episodes(groups: Tensor, batch: int, dim: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Private vectors ``[B, N, d]`` and targets ``[B, N]`` (see the module docstring)."""
    v = torch.randn(batch, groups.size(0), dim, generator=generator)
    signal = v[..., 0]
    member = groups.sum(1) > 0
    group_sum = (signal @ groups) @ groups.t()  # [B, N]: each member gets its group's sum
    target = torch.where(member, group_sum, signal) > 0
    return v, target.long()


def communicate(v: Tensor, incidence: Tensor) -> Tensor:
    """One round of messages over ``incidence`` ``[B or 1, N, K]``: ``m`` ``[B, N, d]`` (module docstring)."""
    sums = incidence.transpose(1, 2) @ v  # [B, K, d]
    deg = incidence.sum(2, keepdim=True)  # [B, N, 1]
    gathered = incidence @ sums
    return torch.where(deg > 0, gathered / deg.clamp(min=1e-6), v)


class Decider(nn.Module):
    """Each agent's decision from its own vector and its message: ``MLP([v || m]) -> 2`` logits."""

    def __init__(self, dim: int, hidden: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 * dim, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, v: Tensor, incidence: Tensor) -> Tensor:
        return self.net(torch.cat([v, communicate(v, incidence)], dim=-1))


def co_membership_f1(pred: Tensor, true: Tensor) -> float:
    """F1 of the agent pairs that share a hyperedge in ``pred`` ``[N, K]`` against those that share a
    group in ``true`` ``[N, G]`` (matching-free; 1.0 when both have no pair)."""
    def pairs(h: Tensor) -> Tensor:
        c = (h @ h.t()) > 0
        return c & ~torch.eye(h.size(0), dtype=torch.bool)

    p, t = pairs(pred.float()), pairs(true.float())
    tp, fp, fn = int((p & t).sum()), int((p & ~t).sum()), int((~p & t).sum())
    return 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


@dataclass
class PlantedResult:
    accuracy: float
    incidences: float
    f1: float


def _evaluate(decider: Decider, incidence_fn, groups: Tensor, dim: int, seed: int, batches: int = 20) -> float:
    gen = torch.Generator().manual_seed(seed)
    correct = total = 0
    with torch.no_grad():
        for _ in range(batches):
            v, y = episodes(groups, 256, dim, gen)
            pred = decider(v, incidence_fn(v)).argmax(-1)
            correct += int((pred == y).sum())
            total += y.numel()
    return correct / total


def train_fixed(groups: Tensor, incidence_fn, dim: int, steps: int, seed: int) -> float:
    """Train a :class:`Decider` on a fixed communication rule and return its test accuracy."""
    torch.manual_seed(seed)
    decider = Decider(dim)
    opt = torch.optim.Adam(decider.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        v, y = episodes(groups, 256, dim, gen)
        loss = F.cross_entropy(decider(v, incidence_fn(v)).flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return _evaluate(decider, incidence_fn, groups, dim, seed + 10_000)


def knn_incidence(v: Tensor, k: int) -> Tensor:
    """Per episode, each agent's hyperedge is itself and its ``k`` nearest agents by private vector."""
    dist = torch.cdist(v, v)
    idx = dist.topk(k + 1, largest=False).indices  # includes itself
    return torch.zeros(v.shape[:2] + (v.size(1),)).scatter_(2, idx, 1.0).transpose(1, 2)


def run_planted(difficulty: str = "easy", *, num_agents: int = 24, dim: int = 4, num_slots: int = 12,
                steps: int = 1500, sparsity: float = 1e-4, beta: float = 1e-4, relaxation: str = "soft",
                tau: float = 1.0, lr: float = 3e-2, init_bias: float = 0.0, latent: int = 64, seed: int = 0,
                progress: bool = True) -> dict[str, Any]:
    """Learn the topology end to end (``relaxation``: the incidence probabilities themselves
    (``"soft"``), Gumbel straight-through samples, or REINFORCE on per-episode Bernoulli samples;
    task cross-entropy + ``sparsity`` x expected incidences + ``beta`` x KL), threshold it at 0.5, and
    compare it with no communication, one complete hyperedge, random hypergraphs of the same number
    of incidences and a kNN hypergraph on the private vectors, each scored by a decider trained on
    that hypergraph alone."""
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {sorted(DIFFICULTIES)}, got {difficulty!r}")
    seed_everything(seed)
    groups = planted_groups(num_agents, *DIFFICULTIES[difficulty], seed=seed)
    ids = torch.eye(num_agents)
    vae = HypergraphTopologyVAE(num_agents, num_slots, hidden_channels=2 * latent, latent_channels=latent, tau=tau)
    with torch.no_grad():
        vae.slot_bias.fill_(init_bias)
    decider = Decider(dim)
    opt = torch.optim.Adam(list(vae.parameters()) + list(decider.parameters()), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(steps), desc=f"planted {difficulty}", disable=not progress, leave=False):
        out = vae(ids)
        v, y = episodes(groups, 256, dim, gen)
        if relaxation == "reinforce":  # one Bernoulli hypergraph per episode, scored by its own utility
            batch = TopologyOutput(out.prob.expand(256, -1, -1), out.logits.expand(256, -1, -1), out.mu, out.logvar,
                                   out.z)
            sample = vae.discretize(batch, "bernoulli", generator=gen)
            ce = F.cross_entropy(decider(v, sample.incidence).transpose(1, 2), y, reduction="none").mean(1)
            utility = -ce.detach() - sparsity * sample.incidence.flatten(1).sum(1)
            loss = ce.mean() + vae.reinforce_loss(sample.log_prob, utility) + beta * vae.kl_loss(out)
        else:
            h = out.prob if relaxation == "soft" else vae.discretize(out, relaxation, generator=gen).incidence
            task = F.cross_entropy(decider(v, h).flatten(0, 1), y.flatten())
            loss = task + sparsity * vae.sparsity_loss(out) + beta * vae.kl_loss(out)
        opt.zero_grad()
        loss.backward()
        opt.step()
    vae.eval()
    with torch.no_grad():
        learned = vae.discretize(vae(ids), "threshold").incidence  # [1, N, K]
    learned = learned * (learned.sum(1, keepdim=True) >= 2)  # singleton slots carry nothing: drop them
    cost = float(learned.sum())
    steps_fixed = max(steps // 2, 1)
    # every hypergraph, the learned one included, is scored by a decider trained on it alone
    results = {"learned": PlantedResult(train_fixed(groups, lambda v: learned, dim, steps_fixed, seed), cost,
                                        co_membership_f1(learned[0], groups))}
    none = torch.zeros(1, num_agents, 1)
    complete = torch.ones(1, num_agents, 1)
    rgen = torch.Generator().manual_seed(seed + 1)
    flat = torch.zeros(num_agents * num_slots)
    flat[torch.randperm(flat.numel(), generator=rgen)[: int(cost)]] = 1.0
    random_h = flat.view(1, num_agents, num_slots)
    k = DIFFICULTIES[difficulty][1] - 1
    for name, fn, c, h in [("none", lambda v: none, 0.0, none[0]),
                           ("complete", lambda v: complete, float(num_agents), complete[0]),
                           ("random (same cost)", lambda v: random_h, cost, random_h[0]),
                           ("kNN on private vectors", lambda v: knn_incidence(v, k), float(num_agents * (k + 1)), None)]:
        acc = train_fixed(groups, fn, dim, steps_fixed, seed)
        results[name] = PlantedResult(acc, c, float("nan") if h is None else co_membership_f1(h, groups))
    return {"difficulty": difficulty, "groups": DIFFICULTIES[difficulty], "hidden_incidences": float(groups.sum()),
            "learned_incidence": learned[0].tolist(),
            "results": {name: vars(r) for name, r in results.items()}}


def summarize_planted(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean over seeds of each method's accuracy, incidences and F1."""
    methods = runs[0]["results"].keys()
    return {m: {key: statistics.fmean(r["results"][m][key] for r in runs) for key in ("accuracy", "incidences", "f1")}
            for m in methods}
