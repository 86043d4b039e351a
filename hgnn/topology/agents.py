r"""Frozen experts as agents: a router that picks, per query, who speaks.

The agents are :math:`A` frozen expert classifiers, each an MLP trained on its own disjoint slice
of the features (:func:`train_experts`), so each one knows about the queries whose evidence falls
in its slice. For every query :math:`q` (e.g. a node's raw feature row),
:class:`~hgnn.topology.HypergraphTopologyVAE` (agents as nodes with one-hot identities, the query as
its task embedding, :math:`K` hyperedge slots) chooses who shares messages; one round of
hypergraph convolution runs over the agents' class distributions :math:`o_j(q) \in \Delta^C` and
a decision node, member of every hyperedge, reads it (:func:`decide`):

.. math::
    m_k = \frac{\sum_j H_{jk}\, o_j}{\sum_j H_{jk}}, \qquad
    d = \frac{1}{|\{k : \sum_j H_{jk} > 0\}|} \sum_{k:\, \sum_j H_{jk} > 0} m_k, \qquad
    \hat y = \arg\max_c d_c,

(the uniform distribution when no agent speaks). Each incidence is one message. The VAE is trained
by REINFORCE on the utility :math:`u = \mathbb 1[\hat y = y] - \lambda \cdot \#\text{messages}`
with :math:`H \sim \mathrm{Bernoulli}(P)` (:func:`train_router`), and uses :math:`P > 1/2` at test
time. :func:`expert_agreement` tells easy queries (the experts mostly agree) from hard ones.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from hgnn.nn import MLP
from hgnn.topology.vae import HypergraphTopologyVAE
from hgnn.train import fit_loop, seed_everything

__all__ = ["decide", "expert_agreement", "train_experts", "train_router"]


def _fit_expert(net: MLP, part: Tensor, y: Tensor, train_idx: Tensor, epochs: int, lr: float,
                weight_decay: float) -> None:
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)

    def step(batch: None) -> Tensor:
        return F.cross_entropy(net(part[train_idx]), y[train_idx])

    fit_loop(net, opt, [None], step, epochs=epochs)


def train_experts(x: Tensor, y: Tensor, train_idx: Tensor, num_experts: int, *, seed: int = 0, epochs: int = 200,
                  hidden: int = 64, lr: float = 1e-2, weight_decay: float = 5e-4) -> tuple[Tensor, list[Tensor]]:
    """Split the feature columns of ``x`` ``[Q, F]`` at random into ``num_experts`` disjoint slices and
    train one two-layer MLP per slice on ``train_idx`` (full batch, Adam). Returns every expert's
    class distributions for every row, ``[Q, A, C]`` (frozen, no gradient), and the column slices."""
    if x.dim() != 2 or y.shape != (x.size(0),):
        raise ValueError(f"x must be [Q, F] and y [Q] labels, got {list(x.shape)} and {list(y.shape)}")
    if not 1 <= num_experts <= x.size(1):
        raise ValueError(f"num_experts must be in [1, {x.size(1)}], got {num_experts}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    gen = torch.Generator().manual_seed(seed)
    slices = list(torch.randperm(x.size(1), generator=gen).chunk(num_experts))
    num_classes = int(y.max()) + 1
    outputs = []
    for j, cols in enumerate(slices):
        torch.manual_seed(seed * 1000 + j)
        net = MLP(cols.numel(), num_classes, hidden_channels=hidden, num_layers=2, dropout=0.5)
        part = x[:, cols]
        _fit_expert(net, part, y, train_idx, epochs, lr, weight_decay)
        with torch.no_grad():
            outputs.append(torch.softmax(net(part), dim=-1))
    return torch.stack(outputs, dim=1), slices


def decide(outputs: Tensor, incidence: Tensor) -> Tensor:
    r"""The decision node's class distribution (module docstring): ``outputs`` ``[B, A, C]``,
    ``incidence`` ``[B, A, K]`` (or ``[1, A, K]`` / ``[A, K]`` shared by all queries) -> ``[B, C]``."""
    if incidence.dim() == 2:
        incidence = incidence.unsqueeze(0)
    incidence = incidence.to(outputs.dtype)
    sums = incidence.transpose(1, 2) @ outputs  # [B, K, C]
    size = incidence.sum(1)  # [B, K]
    active = (size > 0).to(outputs.dtype)
    means = sums / size.clamp(min=1).unsqueeze(-1)
    count = active.sum(1, keepdim=True)
    decision = (means * active.unsqueeze(-1)).sum(1) / count.clamp(min=1)
    uniform = torch.full_like(decision, 1.0 / outputs.size(-1))
    return torch.where(count > 0, decision, uniform)


def expert_agreement(outputs: Tensor) -> Tensor:
    """Share of experts whose answer is the experts' majority answer, per query: ``[Q, A, C]`` -> ``[Q]``."""
    votes = outputs.argmax(-1)  # [Q, A]
    counts = F.one_hot(votes, outputs.size(-1)).sum(1)  # [Q, C]
    return counts.max(1).values.to(outputs.dtype) / outputs.size(1)


def train_router(outputs: Tensor, query: Tensor, y: Tensor, train_idx: Tensor, *, num_slots: int = 3,
                 cost: float = 0.01, steps: int = 1500, batch_size: int = 128, lr: float = 1e-2, beta: float = 1e-4,
                 seed: int = 0, progress: bool = True) -> tuple[HypergraphTopologyVAE, list[float]]:
    r"""Train the VAE that picks, per query, which agents speak (module docstring) by REINFORCE.

    Each step draws ``batch_size`` queries of ``train_idx``, samples :math:`H \sim
    \mathrm{Bernoulli}(P)` ``[B, A, K]`` and minimises :meth:`~HypergraphTopologyVAE.reinforce_loss`
    of :math:`u = \mathbb 1[\hat y = y] - \lambda \sum H` plus ``beta`` times the KL term.

    Args:
        outputs: ``[Q, A, C]`` the agents' class distributions per query.
        query: ``[Q, F_q]`` query embeddings; ``y``: ``[Q]`` labels.
        train_idx: the queries to train on.

    Returns:
        The trained VAE (eval mode; agents are ``torch.eye(A)``) and the mean utility per step.
    """
    if outputs.dim() != 3 or query.dim() != 2 or not outputs.size(0) == query.size(0) == y.size(0):
        raise ValueError(f"outputs must be [Q, A, C], query [Q, F_q] and y [Q] with the same Q, got "
                         f"{list(outputs.shape)}, {list(query.shape)} and {list(y.shape)}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1 (the number of REINFORCE batches), got {steps!r}")
    if train_idx.numel() == 0:
        raise ValueError("train_idx is empty: pass the indices of the queries to train on")
    num_agents = outputs.size(1)
    seed_everything(seed)
    agents = torch.eye(num_agents)
    vae = HypergraphTopologyVAE(num_agents, num_slots, hidden_channels=32, latent_channels=32,
                                query_channels=query.size(1))
    opt = torch.optim.Adam(vae.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history: list[float] = []

    def draw(epoch: int) -> list[Tensor]:
        return [train_idx[torch.randint(train_idx.numel(), (batch_size,), generator=gen)]]

    def step(idx: Tensor) -> Tensor:
        out = vae(agents, None, query[idx])
        sample = vae.discretize(out, "bernoulli", generator=gen)
        correct = (decide(outputs[idx], sample.incidence).argmax(-1) == y[idx]).to(outputs.dtype)
        utility = correct - cost * sample.incidence.flatten(1).sum(1)
        history.append(float(utility.mean()))
        return vae.reinforce_loss(sample.log_prob, utility) + beta * vae.kl_loss(out)

    fit_loop(vae, opt, draw, step, epochs=steps, progress=progress, desc=f"router seed {seed}")
    return vae, history
