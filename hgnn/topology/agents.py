r"""Demonstration 3 of the topology VAE: agents without LLMs.

The agents are :math:`A` frozen expert classifiers, each an MLP trained on its own disjoint slice
of the features of a real dataset (:func:`train_experts`), so each one knows about the queries
whose evidence falls in its slice. For every query :math:`q` (a node's raw feature row),
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
with :math:`H \sim \mathrm{Bernoulli}(P)`, and uses :math:`P > 1/2` at test time. It is compared
with all-to-all (every agent in one hyperedge), no communication (the best single expert decides
alone) and random hyperedges with as many messages, on easy and hard queries (easy: at least half
of the experts agree with the experts' majority answer).
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm.auto import tqdm

from hgnn.nn import MLP
from hgnn.topology.vae import HypergraphTopologyVAE
from hgnn.train.experiment import summarize
from hgnn.train.trainer import seed_everything

__all__ = ["decide", "expert_agreement", "run_agents", "summarize_agents", "train_experts", "train_router"]


def train_experts(x: Tensor, y: Tensor, train_idx: Tensor, num_experts: int, *, seed: int = 0, epochs: int = 200,
                  hidden: int = 64, lr: float = 1e-2, weight_decay: float = 5e-4) -> tuple[Tensor, list[Tensor]]:
    """Split the feature columns of ``x`` ``[Q, F]`` at random into ``num_experts`` disjoint slices and
    train one two-layer MLP per slice on ``train_idx`` (full batch, Adam). Returns every expert's
    class distributions for every row, ``[Q, A, C]`` (frozen, no gradient), and the column slices."""
    if not 1 <= num_experts <= x.size(1):
        raise ValueError(f"num_experts must be in [1, {x.size(1)}], got {num_experts}")
    gen = torch.Generator().manual_seed(seed)
    slices = list(torch.randperm(x.size(1), generator=gen).chunk(num_experts))
    num_classes = int(y.max()) + 1
    outputs = []
    for j, cols in enumerate(slices):
        torch.manual_seed(seed * 1000 + j)
        net = MLP(cols.numel(), num_classes, hidden_channels=hidden, num_layers=2, dropout=0.5)
        opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
        part = x[:, cols]
        for _ in range(epochs):
            net.train()
            loss = F.cross_entropy(net(part[train_idx]), y[train_idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.eval()
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
    num_agents = outputs.size(1)
    seed_everything(seed)
    agents = torch.eye(num_agents)
    vae = HypergraphTopologyVAE(num_agents, num_slots, hidden_channels=32, latent_channels=32,
                                query_channels=query.size(1))
    opt = torch.optim.Adam(vae.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history = []
    for _ in tqdm(range(steps), desc=f"router seed {seed}", disable=not progress, leave=False):
        vae.train()
        idx = train_idx[torch.randint(train_idx.numel(), (batch_size,), generator=gen)]
        out = vae(agents, None, query[idx])
        sample = vae.discretize(out, "bernoulli", generator=gen)
        correct = (decide(outputs[idx], sample.incidence).argmax(-1) == y[idx]).to(outputs.dtype)
        utility = correct - cost * sample.incidence.flatten(1).sum(1)
        loss = vae.reinforce_loss(sample.log_prob, utility) + beta * vae.kl_loss(out)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(float(utility.mean()))
    return vae.eval(), history


def run_agents(dataset: str = "cocitation-cora", *, num_experts: int = 8, num_slots: int = 3, cost: float = 0.01,
               steps: int = 1500, batch_size: int = 128, lr: float = 1e-2, beta: float = 1e-4, seed: int = 0,
               root: str | None = None, progress: bool = True) -> dict[str, Any]:
    """One run of the demonstration: nodes split at random (seed) into 40% expert training, 40%
    router training and 20% test queries; experts trained, then the VAE by REINFORCE for ``steps``
    batches. Returns accuracy (%) and messages per query of every method on all, easy and hard test
    queries, and the experts' own test accuracies."""
    from hgnn.datasets import load

    hg = load(dataset, root=root)
    x, y = hg.x.float(), hg.y.long()
    seed_everything(seed)
    perm = torch.randperm(x.size(0), generator=torch.Generator().manual_seed(seed))
    n_expert, n_router = int(0.4 * x.size(0)), int(0.4 * x.size(0))
    expert_idx, router_idx, test_idx = perm[:n_expert], perm[n_expert:n_expert + n_router], perm[n_expert + n_router:]
    outputs, _ = train_experts(x, y, expert_idx, num_experts, seed=seed)
    query = F.normalize(x, dim=1)
    vae, history = train_router(outputs, query, y, router_idx, num_slots=num_slots, cost=cost, steps=steps,
                                batch_size=batch_size, lr=lr, beta=beta, seed=seed, progress=progress)
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        learned = (vae(torch.eye(num_experts), None, query[test_idx]).prob > 0.5).to(x.dtype)  # [T, A, K]
    test_out, test_y = outputs[test_idx], y[test_idx]
    best = int((outputs[router_idx].argmax(-1) == y[router_idx].unsqueeze(1)).float().mean(0).argmax())
    single = torch.zeros(num_experts, 1)
    single[best] = 1.0
    # Random hypergraphs: per query, as many distinct agents as the learned one used, in one hyperedge.
    used = learned.amax(2).sum(1).long()  # distinct agents per query
    rand = torch.zeros(test_idx.numel(), num_experts, 1)
    for i, k in enumerate(used.tolist()):
        rand[i, torch.randperm(num_experts, generator=gen)[:k], 0] = 1.0
    methods = {"learned": learned, "all-to-all": torch.ones(num_experts, 1),
               "no communication (best expert)": single, "random (same agents)": rand}
    easy = expert_agreement(test_out) >= 0.5
    report: dict[str, Any] = {}
    for name, inc in methods.items():
        right = decide(test_out, inc).argmax(-1) == test_y
        messages = inc.flatten(1).sum(1).expand(test_idx.numel()) if inc.dim() == 3 else \
            torch.full((test_idx.numel(),), float(inc.sum()))
        report[name] = {part: {"accuracy": 100 * right[mask].float().mean().item(),
                               "messages": messages[mask].float().mean().item()}
                        for part, mask in (("all", torch.ones_like(easy)), ("easy", easy), ("hard", ~easy))}
    expert_acc = (test_out.argmax(-1) == test_y.unsqueeze(1)).float().mean(0).mul(100).tolist()
    return {"dataset": dataset, "seed": seed, "cost": cost, "num_experts": num_experts, "num_slots": num_slots,
            "steps": steps, "methods": report, "expert_accuracy": expert_acc,
            "easy_share": easy.float().mean().item(), "utility_history": history[:: max(1, steps // 100)]}


def summarize_agents(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """Mean and std over runs of every method's accuracy and messages on all, easy and hard queries."""
    return {name: {part: {key: summarize([r["methods"][name][part][key] for r in runs], scale=1.0)
                          for key in ("accuracy", "messages")}
                   for part in ("all", "easy", "hard")} for name in runs[0]["methods"]}
