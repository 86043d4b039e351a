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
time (:func:`route`). :func:`expert_agreement` tells easy queries (the experts mostly agree) from
hard ones.

**Probe and escalate** (``probe=[a, ...]``): the router cannot tell an easy query from a hard one
by its features alone, so the probe agents always answer first (one message each) and a summary of
their answers joins the query embedding (:func:`router_query`); the probes also form a hyperedge of
their own in the decision. The VAE then adds agents where that pays, in one trained model.

**Escalation rounds** (``rounds=2``): the probes and the agents the router adds form one group;
each round the same VAE reads the query and a summary of the group so far (:func:`train_router`)
and may add agents, so a second round can spend where the agents already asked disagree, which
the first round cannot see.

**One at a time until the answer settles** (:func:`train_sequential_router`,
:func:`route_sequential`): the VAE's incidence probabilities rank the agents per query and the
agents answer in that order, one message each; after each answer its gate, which reads only how
the answers so far agree, estimates the probability :math:`s_n` that the group's answer already
equals the answer of a reference group (all agents by default), and the router stops once
:math:`s_n \ge` ``target``. Queries whose agents agree settle after one or two answers, queries
on which they disagree go on: the messages follow the query's difficulty by construction of the
stopping target, not of a cost.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from hgnn.nn import MLP
from hgnn.topology.vae import HypergraphTopologyVAE, TopologyOutput
from hgnn.train import fit_loop, seed_everything

__all__ = ["decide", "expert_agreement", "route", "route_sequential", "router_query", "train_experts", "train_router",
           "train_sequential_router"]


def _check_pair(outputs: Tensor, query: Tensor, name: str = "B") -> None:
    """``outputs`` ``[B, A, C]`` and ``query`` ``[B, F_q]``: shapes, one floating dtype, finite values."""
    if outputs.dim() != 3 or query.dim() != 2 or outputs.size(0) != query.size(0):
        raise ValueError(f"outputs must be [{name}, A, C] and query [{name}, F_q] with the same {name}, got "
                         f"{list(outputs.shape)} and {list(query.shape)}")
    if not outputs.is_floating_point() or query.dtype != outputs.dtype:
        raise TypeError(f"outputs and query must be floating tensors of one dtype, got {outputs.dtype} and "
                        f"{query.dtype}: pass query.to(outputs.dtype)")
    if not bool(torch.isfinite(outputs).all()) or not bool(torch.isfinite(query).all()):
        raise ValueError("outputs and query must be finite: they hold NaN or inf")


def _check_training(outputs: Tensor, query: Tensor, y: Tensor, train_idx: Tensor) -> None:
    """What both routers' training reads, checked before any work."""
    _check_pair(outputs, query, "Q")
    if y.shape != (outputs.size(0),):
        raise ValueError(f"y must be [Q={outputs.size(0)}] labels, got {list(y.shape)}")
    _check_train_idx(train_idx, outputs.size(0), "Q", "queries")


def _check_train_idx(train_idx: Tensor, rows: int, size: str, what: str) -> None:
    """``train_idx`` is a non-empty 1-D integer tensor of ids in ``[0, rows)`` (``size`` names
    ``rows`` in the messages, ``what`` the rows)."""
    if train_idx.dim() != 1 or train_idx.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"train_idx must be a 1-D integer tensor of {what} indices, got {train_idx.dtype} "
                        f"{list(train_idx.shape)}")
    if train_idx.numel() == 0:
        raise ValueError(f"train_idx is empty: pass the indices of the {what} to train on")
    if bool(((train_idx < 0) | (train_idx >= rows)).any()):
        raise ValueError(f"train_idx must lie in [0, {size}={rows}), got values from {int(train_idx.min())} "
                         f"to {int(train_idx.max())}")


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
    _check_train_idx(train_idx, x.size(0), "rows of x", "rows")
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
    if outputs.dim() != 3:
        raise ValueError(f"outputs must be [B, A, C], got {list(outputs.shape)}")
    if incidence.dim() == 2:
        incidence = incidence.unsqueeze(0)
    if incidence.dim() != 3 or incidence.size(1) != outputs.size(1) or incidence.size(0) not in (1, outputs.size(0)):
        raise ValueError(f"incidence must be [B={outputs.size(0)}, A={outputs.size(1)}, K], [1, A, K] or [A, K], got "
                         f"{list(incidence.shape)}")
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
    if outputs.dim() != 3:
        raise ValueError(f"outputs must be [Q, A, C], got {list(outputs.shape)}")
    votes = outputs.argmax(-1)  # [Q, A]
    counts = F.one_hot(votes, outputs.size(-1)).sum(1)  # [Q, C]
    return counts.max(1).values.to(outputs.dtype) / outputs.size(1)


Probe = int | list[int] | tuple[int, ...] | Tensor | None


def _probes(probe: Probe, num_queries: int, num_agents: int, device: torch.device | None = None) -> Tensor:
    """The probe agents per query as ``[B, P]`` long ids (``P = 0`` without a probe), checked: one id
    or a list for every query, or a ``[B, P]`` tensor of ids per query."""
    if probe is None:
        return torch.zeros(num_queries, 0, dtype=torch.long, device=device)
    if isinstance(probe, Tensor):
        if probe.dim() != 2 or probe.size(0) != num_queries or probe.dtype != torch.long \
                or bool(((probe < 0) | (probe >= num_agents)).any()) \
                or bool((probe.sort(1).values.diff(dim=1) == 0).any()):
            raise ValueError(f"probe as a tensor must be [B={num_queries}, P] long ids in [0, {num_agents}), "
                             f"distinct in each row, got {tuple(probe.shape)} {probe.dtype}")
        return probe.to(device) if device is not None else probe
    ids = [probe] if isinstance(probe, int) and not isinstance(probe, bool) else probe
    if not isinstance(ids, (list, tuple)) or not ids or len(set(ids)) != len(ids) \
            or any(isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < num_agents for a in ids):
        raise ValueError(f"probe must be None, an agent id, distinct agent ids in [0, {num_agents}) or a [B, P] "
                         f"tensor of ids per query, got {probe!r}")
    return torch.tensor(list(ids), device=device).expand(num_queries, -1)


def router_query(outputs: Tensor, query: Tensor, probe: Probe = None) -> Tensor:
    r"""What the router reads per query: ``query`` ``[B, F_q]``, or with probe agents :math:`P`
    :math:`[q \,\|\, \bar o \,\|\, \mathrm{sort}(\bar o) \,\|\, H(\bar o) \,\|\, v]` ``[B, F_q + 2C + 2]``
    (``outputs`` ``[B, A, C]``): the probes' mean answer :math:`\bar o`, its probabilities in
    decreasing order, its entropy and :math:`v`, the share of probes voting for the probes' most
    voted class. The sorted copy, the entropy and the vote make "the probes are sure" a linear
    function of the input (of the raw probabilities it is not: a uniform answer is the mean of the
    confident ones). ``probe``: agent ids for every query, or a ``[B, P]`` tensor of ids per query
    (e.g. the best experts of the query's own domain)."""
    _check_pair(outputs, query)
    ids = _probes(probe, outputs.size(0), outputs.size(1), outputs.device)
    if ids.size(1) == 0:
        return query
    answers = outputs.gather(1, ids.unsqueeze(-1).expand(-1, -1, outputs.size(-1)))  # [B, P, C]
    o = answers.mean(1)
    votes = F.one_hot(answers.argmax(-1), outputs.size(-1)).sum(1).amax(1, keepdim=True).to(o.dtype) / ids.size(1)
    return torch.cat([query, _answer_summary(o, votes)], dim=1)


def _answer_summary(o: Tensor, vote: Tensor) -> Tensor:
    r""":math:`[\bar o \,\|\, \mathrm{sort}(\bar o) \,\|\, H(\bar o) \,\|\, v]` ``[B, 2C + 2]`` from a mean
    answer ``o`` ``[B, C]`` and a vote share ``vote`` ``[B, 1]`` (:func:`router_query`)."""
    entropy = -(o * o.clamp_min(1e-12).log()).sum(1, keepdim=True)
    return torch.cat([o, o.sort(dim=1, descending=True).values, entropy, vote], dim=1)


def _with_probe(incidence: Tensor, ids: Tensor, join: bool = False) -> Tensor:
    """``[B, A, K]`` -> ``[B, A, K + 1]``: the probes' hyperedge appended (``ids`` ``[B, P]`` from
    :func:`_probes`; unchanged without a probe); with ``join``, ``[B, A, K]``: the probes join the
    first slot instead."""
    if ids.size(1) == 0:
        return incidence
    if join:
        first = incidence[:, :, :1].scatter(1, ids.unsqueeze(-1), 1.0)
        return torch.cat([first, incidence[:, :, 1:]], dim=2)
    alone = torch.zeros_like(incidence[:, :, :1]).scatter_(1, ids.unsqueeze(-1), 1.0)
    return torch.cat([incidence, alone], dim=2)


def _check_rounds(rounds: int, num_slots: int, gates: bool, join_probes: bool) -> None:
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be an int >= 1 (escalation rounds), got {rounds!r}")
    if rounds > 1 and (num_slots != 1 or gates or not join_probes):
        raise ValueError("rounds > 1 makes one group of the probes and every agent added: pass num_slots=1, "
                         f"join_probes=True and no gates (got num_slots={num_slots}, join_probes={join_probes}, "
                         f"gates={gates})")


def _group_width(query: Tensor, outputs: Tensor) -> int:
    """Channels of the query with a group's summary (:func:`_group_summary`), what the router reads
    in an escalation round and the sequential router in every round, measured on one row."""
    row = outputs.new_zeros(1, *outputs.shape[1:])  # one row of zeros: an empty batch has none
    return query.size(1) + _group_summary(row, outputs.new_zeros(1, outputs.size(1))).size(1)


def _query_width(query: Tensor, outputs: Tensor, ids: Tensor, rounds: int) -> int:
    """Channels of what the router reads: the query with the probes' summary (:func:`router_query`,
    one round) or with the group's (:func:`_group_summary`, more rounds), measured on one row."""
    if rounds > 1:
        return _group_width(query, outputs)
    row = outputs.new_zeros(1, *outputs.shape[1:])  # one row of zeros: an empty batch has none
    some_ids = torch.arange(ids.size(1), device=ids.device).unsqueeze(0)  # any P distinct agents
    return router_query(row, query.new_zeros(1, query.size(1)), some_ids).size(1)


def _group_summary(outputs: Tensor, members: Tensor) -> Tensor:
    r"""What the router reads of a group ``members`` ``[B, A]`` (0/1) in an escalation round:
    :math:`[\bar o \,\|\, \mathrm{sort}(\bar o) \,\|\, H(\bar o) \,\|\, v \,\|\, n / A]` ``[B, 2C + 3]``, the
    members' mean answer, its sorted copy, its entropy, the share of members voting for the most
    voted class (:func:`router_query`) and the share :math:`n / A` of agents already in the group."""
    count = members.sum(1, keepdim=True)
    o = (members.unsqueeze(-1) * outputs).sum(1) / count.clamp(min=1)
    votes = (F.one_hot(outputs.argmax(-1), outputs.size(-1)).to(o.dtype) * members.unsqueeze(-1)).sum(1)
    vote = votes.amax(1, keepdim=True) / count.clamp(min=1)
    return torch.cat([_answer_summary(o, vote), count / outputs.size(1)], dim=1)


def _escalate(vae: HypergraphTopologyVAE, outputs: Tensor, query: Tensor, ids: Tensor, rounds: int, mode: str,
              threshold: float = 0.5, generator: torch.Generator | None = None
              ) -> tuple[Tensor, Tensor, list[tuple[TopologyOutput, Tensor | None]]]:
    """``rounds`` escalation rounds from the probes ``ids`` ``[B, P]``: each round the VAE reads the
    query and the group so far (:func:`_group_summary`) and its draw (``mode`` of
    :meth:`~HypergraphTopologyVAE.discretize`) adds agents. Returns the final group ``[B, A]``, the
    log-probability of the draws of the agents that were not yet members ``[B]`` (the others do not
    change the group), and per round the VAE's output and the mask of those agents."""
    members = torch.zeros(outputs.shape[:2], dtype=outputs.dtype, device=outputs.device)
    members.scatter_(1, ids, 1.0)
    agents = torch.eye(outputs.size(1), dtype=outputs.dtype, device=outputs.device)
    log_prob = torch.zeros(outputs.size(0), dtype=outputs.dtype, device=outputs.device)
    per_round: list[tuple[TopologyOutput, Tensor | None]] = []
    for _ in range(rounds):
        out = vae(agents, None, torch.cat([query, _group_summary(outputs, members)], dim=1))
        logits, free = out.logits[:, :, 0], 1.0 - members
        drawn = vae.discretize(out, mode, threshold=threshold, generator=generator).incidence[:, :, 0]
        log_prob = log_prob - (F.binary_cross_entropy_with_logits(logits, drawn, reduction="none") * free).sum(1)
        members = torch.maximum(members, drawn)
        per_round.append((out, free))
    return members, log_prob, per_round


@torch.no_grad()
def route(vae: HypergraphTopologyVAE, outputs: Tensor, query: Tensor, probe: Probe = None,
          threshold: float = 0.5, join_probes: bool = False, rounds: int = 1) -> tuple[Tensor, Tensor]:
    r"""Test-time routing of a router from :func:`train_router`: the incidence :math:`[P > 1/2]`
    (with slot gates, in the slots where :math:`G > 1/2`) ``[B, A, K]`` (with the probes' own
    hyperedge appended, ``[B, A, K + 1]``, or with ``join_probes`` in the first slot, as the
    router was trained) and the messages per query ``[B]`` (the probes' included). With
    ``rounds > 1`` (as trained), ``[B, A, 1]``: the probes and every agent added in the rounds.
    :func:`decide` turns the incidence into answers."""
    _check_pair(outputs, query)
    ids = _probes(probe, outputs.size(0), outputs.size(1), outputs.device)
    _check_rounds(rounds, vae.num_slots, vae.gates is not None, join_probes)
    width = _query_width(query, outputs, ids, rounds)
    if vae.query_channels != width:
        raise ValueError(f"the router reads {vae.query_channels} query channels but this query, probe and rounds "
                         f"give {width}: pass the probe and rounds it was trained with")
    if rounds > 1:
        members = _escalate(vae, outputs, query, ids, rounds, "threshold", threshold)[0].unsqueeze(-1)
        return members, members.flatten(1).sum(1)
    out = vae(torch.eye(outputs.size(1), dtype=outputs.dtype, device=outputs.device), None,
              router_query(outputs, query, ids))
    incidence = vae.discretize(out, "threshold", threshold=threshold).incidence.to(outputs.dtype)
    decision = _with_probe(incidence, ids, join_probes)
    return decision, decision.flatten(1).sum(1)  # one message per incidence of the decision's hypergraph


def train_router(outputs: Tensor, query: Tensor, y: Tensor, train_idx: Tensor, *, num_slots: int = 3,
                 cost: float = 0.01, steps: int = 1500, batch_size: int = 128, lr: float = 1e-2, beta: float = 1e-4,
                 probe: Probe = None, samples: int = 1, entropy: float = 0.0, gates: bool = False,
                 join_probes: bool = False, rounds: int = 1, seed: int = 0,
                 progress: bool = True) -> tuple[HypergraphTopologyVAE, list[float]]:
    r"""Train the VAE that picks, per query, which agents speak (module docstring) by REINFORCE.

    Each step draws ``batch_size`` queries of ``train_idx``, samples :math:`H \sim
    \mathrm{Bernoulli}(P)` ``[B, A, K]`` (``samples`` draws per query) and minimises the
    REINFORCE loss of :math:`u = \mathbb 1[\hat y = y] - \lambda\,(\sum H + |P_{probe}|)` plus
    ``beta`` times the KL term, minus ``entropy`` times the mean Bernoulli entropy of :math:`P`.

    Args:
        outputs: ``[Q, A, C]`` the agents' class distributions per query.
        query: ``[Q, F_q]`` query embeddings; ``y``: ``[Q]`` labels.
        train_idx: the queries to train on.
        probe: an agent id, or several, that always answer first (module docstring: probe and
            escalate), or a ``[Q, P]`` tensor of ids per query; their answers join the router's
            input (:func:`router_query`), they form one hyperedge of the decision, and their
            messages count in the cost.
        samples: hypergraphs drawn per query and step. With more than one, each sample's baseline
            is the mean utility of the query's other samples (REINFORCE leave-one-out, Kool et
            al., 2019), a per-query baseline; with one, the moving mean over all queries
            (:meth:`~HypergraphTopologyVAE.reinforce_loss`).
        entropy: weight of the entropy bonus. Without it the probabilities saturate within a few
            dozen steps (the same agents for every query, measured) and the router never learns
            to tell queries apart; ``samples=4, entropy=0.02, lr=3e-3`` is what the agents study
            uses with probes.
        gates: per-query slot gates (:class:`~hgnn.topology.HypergraphTopologyVAE`): one draw opens
            or closes the whole escalation hyperedge, a stop / escalate decision; the entropy
            bonus covers the gates too.
        join_probes: the probes join the router's first slot instead of forming a hyperedge of
            their own, so that escalating makes one group of the probes and the agents added
            (:func:`decide` weighs every hyperedge equally: on its own hyperedge a single probe
            keeps half of the vote however many agents join). Pass the same to :func:`route`.
        rounds: escalation rounds. With more than one, the group starts as the probes and each
            round the VAE reads the query and a summary of the group so far (its mean answer,
            sorted, entropy, vote share and size) and adds agents (:math:`H \sim
            \mathrm{Bernoulli}(P)` over the agents not yet in it); the decision is that one group
            (``num_slots=1``, ``join_probes=True``, no gates), and the REINFORCE log-probability sums
            the rounds' draws. A second round sees answers the first could not, so it can spend where
            the agents already asked disagree. Pass the same to :func:`route`.

    Returns:
        The trained VAE (eval mode; agents are ``torch.eye(A)``) and the mean utility per step.
    """
    _check_training(outputs, query, y, train_idx)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1 (the number of REINFORCE batches), got {steps!r}")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be an int >= 1, got {samples!r}")
    if not entropy >= 0:
        raise ValueError(f"entropy (the weight of the entropy bonus) must be >= 0, got {entropy}")
    _check_rounds(rounds, num_slots, gates, join_probes)
    num_agents = outputs.size(1)
    probe_ids = _probes(probe, outputs.size(0), num_agents, outputs.device)
    seed_everything(seed)
    agents = torch.eye(num_agents)
    # what the router reads in one round; with more, _escalate builds it per round
    routed = router_query(outputs, query, probe_ids) if rounds == 1 else query
    vae = HypergraphTopologyVAE(num_agents, num_slots, hidden_channels=32, latent_channels=32,
                                query_channels=_query_width(query, outputs, probe_ids, rounds), gates=gates)
    opt = torch.optim.Adam(vae.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history: list[float] = []

    def draw(epoch: int) -> list[Tensor]:
        return [train_idx[torch.randint(train_idx.numel(), (batch_size,), generator=gen)]]

    def step(idx: Tensor) -> Tensor:
        idx = idx.repeat_interleave(samples)
        if rounds > 1:
            members, log_prob, per_round = _escalate(vae, outputs[idx], query[idx], probe_ids[idx], rounds,
                                                  "bernoulli", generator=gen)
            incidence = members.unsqueeze(-1)
        else:
            out = vae(agents, None, routed[idx])
            sample = vae.discretize(out, "bernoulli", generator=gen)
            incidence = _with_probe(sample.incidence, probe_ids[idx], join_probes)
            log_prob, per_round = sample.log_prob, [(out, None)]
        correct = (decide(outputs[idx], incidence).argmax(-1) == y[idx]).to(outputs.dtype)
        utility = correct - cost * incidence.flatten(1).sum(1)  # one message per incidence, the probes' included
        history.append(float(utility.mean()))
        if samples == 1:
            loss = vae.reinforce_loss(log_prob, utility)
        else:
            u = utility.view(-1, samples)
            advantage = (u - (u.sum(1, keepdim=True) - u) / (samples - 1)).view(-1)
            loss = -(advantage.detach() * log_prob).mean()
        for out, free in per_round:
            if entropy > 0:
                p = out.prob.clamp(1e-6, 1 - 1e-6)
                bits = -(p * p.log() + (1 - p) * (1 - p).log())
                if free is not None:  # only the draws that can change the group
                    bits = bits * free.unsqueeze(-1)
                loss = loss - entropy * bits.flatten(1).sum(1).mean()
                if out.gate_logits is not None:
                    g = torch.sigmoid(out.gate_logits).clamp(1e-6, 1 - 1e-6)
                    loss = loss - entropy * -(g * g.log() + (1 - g) * (1 - g).log()).sum(1).mean()
            loss = loss + beta * vae.kl_loss(out)
        return loss

    fit_loop(vae, opt, draw, step, epochs=steps, progress=progress, desc=f"router seed {seed}")
    return vae, history


def _check_sequential(vae: HypergraphTopologyVAE, outputs: Tensor, query: Tensor) -> None:
    width = _group_width(query, outputs)
    num_classes = outputs.size(-1)
    if vae.num_slots != 1 or vae.gates is None or vae.gate_channels not in (num_classes + 3, 2 * num_classes + 3) \
            or vae.query_channels != width or vae.in_channels != outputs.size(1):
        raise ValueError(f"vae must come from train_sequential_router on {outputs.size(1)} agents, {outputs.size(-1)} "
                         f"classes and {query.size(1)} query channels, got {vae!r}")


def _settled_logit(out: TopologyOutput) -> Tensor:
    """The sequential router's gate, the logit of "the answer has settled", per query ``[B]``."""
    if out.gate_logits is None:
        raise ValueError("the router has no gate: train it with train_sequential_router")
    return out.gate_logits[:, 0]


def _check_max_agents(max_agents: int | None, num_agents: int) -> int:
    if max_agents is None:
        return num_agents
    if isinstance(max_agents, bool) or not isinstance(max_agents, int) or not 1 <= max_agents <= num_agents:
        raise ValueError(f"max_agents must be None or an int in [1, {num_agents}], got {max_agents!r}")
    return max_agents


def _walk(vae: HypergraphTopologyVAE, outputs: Tensor, query: Tensor, steps: int
          ) -> tuple[list[TopologyOutput], list[Tensor]]:
    """``steps`` rounds of the sequential router without stopping: each round the VAE reads the
    query and the group so far (:func:`_group_summary`) and its most probable agent not yet asked
    joins. Returns per round the VAE's output and the group before that round's agent joins."""
    members = outputs.new_zeros(outputs.shape[:2])
    agents = torch.eye(outputs.size(1), dtype=outputs.dtype, device=outputs.device)
    rows = torch.arange(outputs.size(0), device=outputs.device)
    per_round, groups = [], []
    for _ in range(steps):
        out = vae(agents, None, torch.cat([query, _group_summary(outputs, members)], dim=1))
        per_round.append(out)
        groups.append(members)
        pick = out.logits[:, :, 0].detach().masked_fill(members.bool(), float("-inf")).argmax(1)
        members = members.index_put((rows, pick), outputs.new_ones(()))
    return per_round, groups


def train_sequential_router(outputs: Tensor, query: Tensor, y: Tensor, train_idx: Tensor, *,
                            reference: Tensor | None = None, max_agents: int | None = None,
                            gate_reads_answer: bool = False, steps: int = 400, batch_size: int = 128,
                            lr: float = 1e-2, beta: float = 1e-4, seed: int = 0,
                            progress: bool = True) -> tuple[HypergraphTopologyVAE, list[float]]:
    r"""Train a router that asks the agents one at a time and stops once the answer has settled
    (module docstring; :func:`route_sequential` runs it).

    One :class:`~hgnn.topology.HypergraphTopologyVAE` (one slot, a gate) reads per round the query
    and the group asked so far, :math:`[q \,\|\, \bar o \,\|\, \mathrm{sort}(\bar o) \,\|\, H(\bar o)
    \,\|\, v \,\|\, n / A]` (:func:`router_query`). Its gate reads only the last :math:`C + 3` of
    those channels, how the answers agree, not which class they name or the query's features (with
    ``gate_reads_answer``, the last :math:`2C + 3`: also the mean answer). Both heads are trained by
    binary cross-entropy along the router's own order (each round its most probable agent not yet
    asked joins), over :math:`N` rounds (``max_agents``, all :math:`A` agents by default):

    .. math::
        \mathcal L = \frac1N \sum_{n=0}^{N-1} \Big[ \sum_{j \notin S_n}
        \mathrm{BCE}\big(P_j, \mathbb 1[\arg\max o_j = y]\big)
        + \mathbb 1[n \ge 1]\, \mathrm{BCE}\big(s_n, \mathbb 1[\arg\max \bar o_{S_n} = \arg\max \bar o_R]\big)
        \Big] + \beta \sum_n \mathrm{KL}_n,

    :math:`S_n` the first :math:`n` agents asked, :math:`P_j` agent :math:`j`'s incidence
    probability (how likely it is right on this query), :math:`s_n` the gate (how likely the group's
    mean answer is already the reference group :math:`R`'s), :math:`\bar o_S` the mean answer of
    :math:`S`. No cost enters: :func:`route_sequential`'s ``target`` trades messages for accuracy.
    Stopping once the partial answer is predicted to equal the full one follows early exiting on
    consistency with the full model (CALM, Schuster et al., NeurIPS 2022) and asking until the
    answers agree (Adaptive-Consistency, Aggarwal et al., EMNLP 2023); the router is HyperAgent's
    VAE (Zhang et al., 2025).

    Args:
        outputs: ``[Q, A, C]`` the agents' class distributions per query.
        query: ``[Q, F_q]`` query embeddings; ``y``: ``[Q]`` labels.
        train_idx: the queries to train on.
        reference: ``[Q, A]`` 0/1, per query the agents whose joint answer the router must reach
            before it stops (all agents by default; on a pool of several tasks' experts, e.g. those
            of the query's own task).
        max_agents: the most agents asked per query (all by default); pass the same to
            :func:`route_sequential`.
        gate_reads_answer: the gate also reads the group's mean answer. On a pool of several
            tasks the classes name the task, and how settled an answer is depends on it; on one
            task it lets the gate fit its training queries' classes (both measured in
            ``benchmarks/topology_vae``).
        steps / batch_size / lr: Adam steps, queries per step, learning rate.
        beta: weight of the KL term.

    Returns:
        The trained VAE (eval mode) and the loss per step.
    """
    _check_training(outputs, query, y, train_idx)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1 (the number of training batches), got {steps!r}")
    num_queries, num_agents, num_classes = outputs.shape
    if reference is None:
        reference = outputs.new_ones(num_queries, num_agents)
    if reference.shape != (num_queries, num_agents) or bool(((reference != 0) & (reference != 1)).any()) \
            or bool((reference.sum(1) == 0).any()):
        raise ValueError(f"reference must be [Q={num_queries}, A={num_agents}] of 0 / 1 with at least one agent "
                         f"per query, got {tuple(reference.shape)}")
    reference = reference.to(outputs.dtype)
    rounds = _check_max_agents(max_agents, num_agents)
    seed_everything(seed)
    width = _group_width(query, outputs)
    vae = HypergraphTopologyVAE(num_agents, 1, hidden_channels=32, latent_channels=32, query_channels=width,
                                gates=True, gate_channels=(2 if gate_reads_answer else 1) * num_classes + 3
                                ).to(outputs.device)
    opt = torch.optim.Adam(vae.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    right = (outputs.argmax(-1) == y.unsqueeze(1)).to(outputs.dtype)  # [Q, A]
    settled = (reference.unsqueeze(-1) * outputs).sum(1).argmax(-1)  # the reference group's answer [Q]
    history: list[float] = []

    def draw(epoch: int) -> list[Tensor]:
        return [train_idx[torch.randint(train_idx.numel(), (batch_size,), generator=gen).to(train_idx.device)]]

    def step(idx: Tensor) -> Tensor:
        out_b = outputs[idx]
        per_round, groups = _walk(vae, out_b, query[idx], rounds)
        loss = out_b.new_zeros(())
        for n, (out, members) in enumerate(zip(per_round, groups)):
            free = 1.0 - members
            ranked = F.binary_cross_entropy_with_logits(out.logits[:, :, 0], right[idx], reduction="none")
            loss = loss + (ranked * free).sum(1).mean() / rounds + beta * vae.kl_loss(out)
            if n > 0:  # the gate of a group of n agents: has its answer settled?
                same = (decide(out_b, members.unsqueeze(-1)).argmax(-1) == settled[idx]).to(outputs.dtype)
                loss = loss + F.binary_cross_entropy_with_logits(_settled_logit(out), same) / rounds
        history.append(float(loss.detach()))
        return loss

    fit_loop(vae, opt, draw, step, epochs=steps, progress=progress, desc=f"sequential router seed {seed}")
    return vae, history


@torch.no_grad()
def route_sequential(vae: HypergraphTopologyVAE, outputs: Tensor, query: Tensor, target: float = 0.8,
                     max_agents: int | None = None) -> tuple[Tensor, Tensor]:
    r"""Test-time routing of a router from :func:`train_sequential_router`: per query the agents
    answer one at a time in the router's order, and the router stops after the :math:`n`-th
    (:math:`n \ge 1`) once its gate :math:`s_n \ge` ``target`` (or when every agent has answered).
    Returns the group asked ``[B, A, 1]`` (one hyperedge, :func:`decide` reads it) and the messages
    per query ``[B]``. A higher ``target`` asks more agents where they disagree; ``max_agents``
    caps the agents per query (as trained)."""
    if not 0.0 < target <= 1.0:
        raise ValueError(f"target (the gate's probability that the answer has settled) must be in (0, 1], got "
                         f"{target}")
    _check_pair(outputs, query)
    _check_sequential(vae, outputs, query)
    rounds = _check_max_agents(max_agents, outputs.size(1))
    members = outputs.new_zeros(outputs.shape[:2])
    asking = torch.ones(outputs.size(0), dtype=torch.bool, device=outputs.device)
    agents = torch.eye(outputs.size(1), dtype=outputs.dtype, device=outputs.device)
    for n in range(rounds):
        out = vae(agents, None, torch.cat([query, _group_summary(outputs, members)], dim=1))
        if n > 0:
            asking &= torch.sigmoid(_settled_logit(out)) < target
        if not bool(asking.any()):
            break
        pick = out.logits[:, :, 0].masked_fill(members.bool(), float("-inf")).argmax(1)
        members[asking.nonzero().squeeze(1), pick[asking]] = 1.0
    return members.unsqueeze(-1), members.sum(1)
