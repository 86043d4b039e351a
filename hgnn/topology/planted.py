r"""Planted communication groups: a task whose right hypergraph is known, and its structure learner.

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
gets easier; :func:`train_planted` has :class:`~hgnn.topology.HypergraphTopologyVAE` find it from
the task loss alone, and :func:`train_fixed` scores any hypergraph by a decider trained on it.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.structure import nearest_neighbors
from hgnn.topology.vae import HypergraphTopologyVAE, TopologyOutput
from hgnn.train import fit_loop, seed_everything

__all__ = ["DIFFICULTIES", "RELAXATIONS", "Decider", "co_membership_f1", "communicate", "episodes", "knn_incidence",
           "planted_groups", "train_fixed", "train_planted"]

#: Difficulty -> (number of groups, group size), for 24 agents.
DIFFICULTIES = {"easy": (2, 2), "medium": (4, 3), "hard": (6, 4)}
#: How :func:`train_planted` passes the incidence probabilities to the task.
RELAXATIONS = ("soft", "gumbel", "hard-concrete", "reinforce")

#: ``v -> incidence``: the communication hypergraph of a batch of episodes, ``[B or 1, N, K]``.
IncidenceFn = Callable[[Tensor], Tensor]


def _check_steps(steps: int) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1 (the number of training batches), got {steps!r}")


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
    """Each agent's decision from its own vector and its message: ``MLP([v || m]) -> 2`` logits.

    Shapes:
        - **v** ``[B, N, d]``, **incidence** ``[B or 1, N, K]``
        - **output** ``[B, N, 2]``
    """

    def __init__(self, dim: int, hidden: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 * dim, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, v: Tensor, incidence: Tensor) -> Tensor:
        """Logits ``[B, N, 2]`` from ``[v || communicate(v, incidence)]``."""
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


def _evaluate(decider: Decider, incidence_fn: IncidenceFn, groups: Tensor, dim: int, seed: int,
              batches: int = 20) -> float:
    gen = torch.Generator().manual_seed(seed)
    correct = total = 0
    with torch.no_grad():
        for _ in range(batches):
            v, y = episodes(groups, 256, dim, gen)
            pred = decider(v, incidence_fn(v)).argmax(-1)
            correct += int((pred == y).sum())
            total += y.numel()
    return correct / total


def train_fixed(groups: Tensor, incidence_fn: IncidenceFn, dim: int, steps: int, seed: int) -> float:
    """Train a :class:`Decider` for ``steps`` Adam steps (lr 0.01) of 256 fresh episodes on the
    communication hypergraph ``incidence_fn(v)`` ``[B or 1, N, K]`` and return its accuracy on 20
    held-out batches of 256 episodes (seed ``seed + 10000``)."""
    _check_steps(steps)
    torch.manual_seed(seed)
    decider = Decider(dim)
    opt = torch.optim.Adam(decider.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(seed)

    def draw(epoch: int) -> list[tuple[Tensor, Tensor]]:
        return [episodes(groups, 256, dim, gen)]

    def step(batch: tuple[Tensor, Tensor]) -> Tensor:
        v, y = batch
        return F.cross_entropy(decider(v, incidence_fn(v)).flatten(0, 1), y.flatten())

    fit_loop(decider, opt, draw, step, epochs=steps)
    return _evaluate(decider, incidence_fn, groups, dim, seed + 10_000)


def knn_incidence(v: Tensor, k: int) -> Tensor:
    """Per episode, each agent's hyperedge is itself and its ``k`` nearest agents by private vector
    (:func:`hgnn.structure.nearest_neighbors`, ties to the smaller agent id)."""
    idx = nearest_neighbors(v, k)  # [B, N, k + 1], the agent itself first
    return torch.zeros(v.shape[:2] + (v.size(1),)).scatter_(2, idx, 1.0).transpose(1, 2)


def train_planted(groups: Tensor, *, dim: int = 4, num_slots: int = 12, steps: int = 1500, batch_size: int = 256,
                  sparsity: float = 1e-4, beta: float = 1e-4, relaxation: str = "soft", tau: float = 1.0,
                  lr: float = 3e-2, init_bias: float = 0.0, latent: int = 64, seed: int = 0,
                  progress: bool = False) -> tuple[HypergraphTopologyVAE, Decider, Tensor]:
    r"""Learn the communication hypergraph of the planted-groups task end to end.

    A :class:`~hgnn.topology.HypergraphTopologyVAE` over the agents' one-hot identities proposes
    :math:`P` ``[N, K]``, and a :class:`Decider` is trained with it, both by Adam on ``batch_size``
    fresh episodes a step, minimising

    .. math::
        \mathcal L = \mathrm{CE}\big(\mathrm{Decider}(v, H)\big) + \lambda_s \textstyle\sum P
        + \beta\,\mathrm{KL},

    with :math:`H` per ``relaxation``: ``"soft"`` (the probabilities themselves), ``"gumbel"`` or
    ``"hard-concrete"`` (straight-through samples), or ``"reinforce"`` (one Bernoulli hypergraph per
    episode, the cross-entropy of its own decisions plus :math:`\lambda_s` per incidence as the
    negative utility of :meth:`~hgnn.topology.HypergraphTopologyVAE.reinforce_loss`).

    Args:
        groups: ``[N, G]`` the hidden groups (:func:`planted_groups`), which set the targets only.
        dim: :math:`d`, the private vectors' size.
        num_slots: :math:`K`. latent: the VAE's latent width (its hidden width is twice that).
        steps: Adam steps. sparsity: :math:`\lambda_s`. beta: :math:`\beta`. tau: decoder temperature.
        init_bias: the initial slot bias :math:`c_k` (negative: start sparse).
        seed: seeds torch and the episodes.

    Returns:
        The VAE and the decider (eval mode) and the learned hypergraph ``[N, K]``: the incidences with
        :math:`P > 1/2`, slots with fewer than two members emptied (a lone member hears nothing).
    """
    if relaxation not in RELAXATIONS:
        raise ValueError(f"relaxation must be one of {RELAXATIONS}, got {relaxation!r}")
    _check_steps(steps)
    if groups.dim() != 2:
        raise ValueError(f"groups must be a [num_agents, num_groups] membership matrix, got {list(groups.shape)}")
    seed_everything(seed)
    ids = torch.eye(groups.size(0))
    vae = HypergraphTopologyVAE(groups.size(0), num_slots, hidden_channels=2 * latent, latent_channels=latent,
                                tau=tau)
    with torch.no_grad():
        vae.slot_bias.fill_(init_bias)
    decider = Decider(dim)
    opt = torch.optim.Adam(list(vae.parameters()) + list(decider.parameters()), lr=lr)
    gen = torch.Generator().manual_seed(seed)

    def draw(epoch: int) -> list[tuple[Tensor, Tensor]]:
        return [episodes(groups, batch_size, dim, gen)]

    def step(batch: tuple[Tensor, Tensor]) -> Tensor:
        v, y = batch
        out = vae(ids)
        if relaxation == "reinforce":  # one Bernoulli hypergraph per episode, scored by its own utility
            many = TopologyOutput(out.prob.expand(v.size(0), -1, -1), out.logits.expand(v.size(0), -1, -1), out.mu,
                                  out.logvar, out.z)
            sample = vae.discretize(many, "bernoulli", generator=gen)
            ce = F.cross_entropy(decider(v, sample.incidence).transpose(1, 2), y, reduction="none").mean(1)
            utility = -ce.detach() - sparsity * sample.incidence.flatten(1).sum(1)
            return ce.mean() + vae.reinforce_loss(sample.log_prob, utility) + beta * vae.kl_loss(out)
        h = out.prob if relaxation == "soft" else vae.discretize(out, relaxation, generator=gen).incidence
        task = F.cross_entropy(decider(v, h).flatten(0, 1), y.flatten())
        return task + sparsity * vae.sparsity_loss(out) + beta * vae.kl_loss(out)

    fit_loop(nn.ModuleList([vae, decider]), opt, draw, step, epochs=steps, progress=progress,
             desc=f"planted groups, seed {seed}")
    with torch.no_grad():
        learned = vae.discretize(vae(ids), "threshold").incidence[0]  # [N, K]
    return vae, decider, learned * (learned.sum(0, keepdim=True) >= 2)
