r"""A variational autoencoder that learns a sparse, task-conditioned hypergraph.

After HyperAgent (Zhang et al., arXiv 2510.10611, 2025; agents as nodes, groups as hyperedges, a VAE
with a sparsity penalty trained by policy gradient) and its graph predecessor G-Designer (Zhang et
al., ICML 2025: GCN encoder, inner-product decoder, Bernoulli sampling, REINFORCE on task success).
Here the decoder proposes :math:`K` hyperedge *slots*, each a learnable prototype, and every node
joins every slot with its own probability; the caller turns probabilities into a hypergraph by
sampling (REINFORCE), by a straight-through relaxation (differentiable downstream loss) or by a
threshold / top-k (inference), and pays for each incidence.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features, check_int
from hgnn.nn.conv.hgnn_conv import hgnn_smoothing
from hgnn.structure import Hypergraph

__all__ = ["HypergraphTopologyVAE", "TopologySample", "TopologyOutput", "gaussian_kl"]

DISCRETE = ("bernoulli", "gumbel", "hard-concrete", "threshold", "topk")


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    r""":math:`\mathrm{KL}(\mathcal N(\mu, \sigma^2) \Vert \mathcal N(0, I)) = -\tfrac12 \sum
    (1 + \log\sigma^2 - \mu^2 - \sigma^2)` over nodes and channels, mean over the leading (query)
    axis: ``mu``, ``logvar`` ``[B, N, D]`` -> a scalar."""
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
    return kl.flatten(1).sum(1).mean()


class _StraightThrough(torch.autograd.Function):
    """Forward: the exact 0/1 values of ``hard``; backward: the gradient goes to ``soft`` unchanged."""

    @staticmethod
    def forward(ctx, hard: Tensor, soft: Tensor) -> Tensor:  # type: ignore[override]
        return hard.clone()

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        return None, grad


@dataclass
class TopologyOutput:
    """What :meth:`HypergraphTopologyVAE.forward` returns (``B`` queries, ``N`` nodes, ``K`` slots,
    ``D`` latent channels): ``prob`` ``[B, N, K]`` incidence probabilities, ``logits`` ``[B, N, K]``,
    ``mu`` / ``logvar`` / ``z`` ``[B, N', D]`` with ``N' = N + 1`` when a task node was added (its row
    last), and with slot gates ``gate_logits`` ``[B, K]`` (``None`` without). With gates, ``prob`` is
    the probability of joining a slot *given* that the slot is open."""

    prob: Tensor
    logits: Tensor
    mu: Tensor
    logvar: Tensor
    z: Tensor
    gate_logits: Tensor | None = None

    @property
    def expected(self) -> Tensor:
        r"""Marginal incidence probabilities ``[B, N, K]``: :math:`G_{bk} P_{bvk}` with gates
        (:math:`G = \sigma(\text{gate\_logits})`), else :math:`P`."""
        if self.gate_logits is None:
            return self.prob
        return torch.sigmoid(self.gate_logits).unsqueeze(1) * self.prob


@dataclass
class TopologySample:
    """A discretised incidence matrix: ``incidence`` ``[B, N, K]`` (0/1 values, or straight-through
    values whose forward is 0/1 and whose gradient is the relaxation's), ``log_prob`` ``[B]``
    (:math:`\\log p(H)` under independent Bernoullis; for REINFORCE) and ``mode``."""

    incidence: Tensor
    log_prob: Tensor
    mode: str

    def hypergraphs(self, min_size: int = 2) -> list[Hypergraph]:
        """One :class:`~hgnn.Hypergraph` per query, hyperedges with fewer than ``min_size`` members
        dropped (empty and singleton slots); ``incidence_data["weight"]`` carries the incidence values
        (with their straight-through gradient)."""
        out = []
        for h in self.incidence:
            keep = (h.detach() > 0.5).sum(0) >= min_size
            nodes, slots = (h.detach()[:, keep] > 0.5).nonzero(as_tuple=True)
            weights = h[:, keep][nodes, slots]
            out.append(Hypergraph(torch.stack([nodes, slots]), num_nodes=h.size(0), num_edges=int(keep.sum()),
                                  incidence_data={"weight": weights}, validate=False))
        return out


class HypergraphTopologyVAE(nn.Module):
    r"""Learn a hypergraph for a task: a VAE over node latents with a hyperedge-slot decoder.

    **Inputs.** Node features :math:`X \in \mathbb{R}^{N \times F}`, optionally an anchor
    hypergraph :math:`H_0` (``N`` nodes, ``M <= K`` hyperedges) and task / query embeddings
    :math:`q \in \mathbb{R}^{B \times F_q}`. With :math:`q`, a virtual task node with features
    :math:`W_t q_b` joins every anchor hyperedge (or stands alone without an anchor); the
    :math:`B` queries share the structure and run at once.

    **Encoder** (two HGNN convolutions, :math:`\tilde L` the HGNN operator of the anchor with the
    task node, or the identity without an anchor):

    .. math::
        h = \mathrm{ReLU}(\tilde L X W_1), \qquad \mu = \tilde L h W_\mu, \qquad
        \log\sigma^2 = \tilde L h W_\sigma, \qquad z = \mu + \sigma \odot \varepsilon

    (:math:`z = \mu` in eval mode).

    **Decoder.** Slot prototypes :math:`p_{bk} = s_k + W_p q_b` (learnable :math:`s_k`; the
    query term only with :math:`q`), incidence logits and probabilities for the :math:`N` real nodes

    .. math::
        \ell_{bvk} = \langle z_{bv}, p_{bk} \rangle / (\tau \sqrt{D}) + c_k, \qquad
        P_{bvk} = \sigma(\ell_{bvk}).

    **Slot gates** (``gates=True``, with a query): each slot is open for query :math:`b` with
    probability :math:`G_{bk} = \sigma(\langle w_k, q_b \rangle + g_k)`, and a node joins an open
    slot with probability :math:`P_{bvk}`; a closed slot has no member. One draw per query and slot
    switches a whole hyperedge on or off, so "this query needs no more agents" is a single decision
    rather than :math:`N` independent ones.

    **Adaptivity.** Through :math:`q` the prototypes and the gates move with the query, so how
    many incidences a query gets, :math:`\sum_{v,k} G_{bk} P_{bvk}`, is a function of the query; a
    cost per incidence in the utility (or :meth:`sparsity_loss`) makes it spend where the task gains
    from more structure. What it can tell apart is what :math:`q` carries: the query alone, or
    with cheap agents' answers in it, how sure those already are
    (:func:`hgnn.topology.router_query`, :func:`hgnn.topology.train_router`; measured in
    ``benchmarks/topology_vae``: at a cost of 0.03 per message, one router over 32 experts on four
    datasets gives an easy dataset's queries 1 message and the others 4-6; with a probe and two
    escalation rounds, where the second round reads whether the agents added agree, hard queries
    get 1.39 times the messages of easy ones, mostly between datasets: within one, 1.0-1.14 times;
    over 8 experts of one dataset, with probes, 1.00-1.14 times). A cost rewards spending where
    more agents change the answer, which is not where the agents disagree most. Asked one at a
    time, in the order of :math:`P`, with a gate that reads how the answers so far agree and stops
    once the answer has settled (:func:`hgnn.topology.train_sequential_router`), the messages follow
    the disagreement: over the 8 Cora experts hard queries get 1.42 times the messages of easy ones
    with 60% fewer messages than all-to-all and higher accuracy; over the 32 experts, 1.54 times,
    1.07-1.26 times within one dataset.

    **Losses** (:meth:`kl_loss`, :meth:`sparsity_loss`, :meth:`anchor_loss`,
    :meth:`reinforce_loss`):
    :math:`\beta\,\mathrm{KL}(q(z) \Vert \mathcal N(0, I))`,
    :math:`\lambda_s \sum_{v,k} P_{vk}` (the expected number of incidences: the communication cost),
    :math:`\lambda_a \lVert P - H_0 \rVert^2` (:math:`H_0` padded with empty slots to :math:`K`), and
    :math:`-(u - b) \log p(H)` with a moving baseline :math:`b` of the caller's utility :math:`u`.

    Args:
        in_channels: :math:`F`.
        num_slots: :math:`K`, the most hyperedges the decoder can propose.
        hidden_channels: encoder width.
        latent_channels: :math:`D`.
        query_channels: :math:`F_q` (``None``: no task node).
        tau: decoder temperature :math:`\tau`.
        baseline_momentum: :math:`m` of the REINFORCE baseline :math:`b \leftarrow m b + (1 - m)\bar u`.
        init_logvar: initial bias of :math:`\log\sigma^2`. The default :math:`-6` (:math:`\sigma
            \approx 0.05`) starts the encoder nearly deterministic: with the usual :math:`0`, the
            reparameterisation noise swamps :math:`\mu` and the decoder cannot learn a structure
            (measured on the planted-groups task); the KL term lets :math:`\sigma` grow where the task allows.
        gates: per-query slot gates (above); needs ``query_channels``.
        gate_channels: the gates read only the last ``gate_channels`` channels of the query (all
            of it by default), e.g. a summary of answers appended to it, so that what they learn
            does not depend on the query's own features.

    Shapes:
        - **x**: ``[N, F]``; **hg**: ``None`` or a :class:`~hgnn.Hypergraph` with ``N`` nodes;
          **query**: ``None``, ``[F_q]`` or ``[B, F_q]``.
        - **output**: :class:`TopologyOutput` with ``prob`` ``[B, N, K]`` (``B = 1`` without a query).
    """

    def __init__(self, in_channels: int, num_slots: int, hidden_channels: int = 64, latent_channels: int = 32,
                 query_channels: int | None = None, tau: float = 1.0, baseline_momentum: float = 0.9,
                 init_logvar: float = -6.0, gates: bool = False, gate_channels: int | None = None) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("num_slots", num_slots),
                            ("hidden_channels", hidden_channels), ("latent_channels", latent_channels)):
            check_int(value, name)
        if query_channels is not None:
            check_int(query_channels, "query_channels")
        if not tau > 0:
            raise ValueError(f"tau must be > 0, got {tau}")
        if not 0.0 <= baseline_momentum < 1.0:
            raise ValueError(f"baseline_momentum must be in [0, 1), got {baseline_momentum}")
        self.in_channels, self.num_slots, self.latent_channels = in_channels, num_slots, latent_channels
        self.query_channels, self.tau, self.momentum = query_channels, float(tau), float(baseline_momentum)
        self.init_logvar = float(init_logvar)
        self.lin1 = nn.Linear(in_channels, hidden_channels)
        self.lin_mu = nn.Linear(hidden_channels, latent_channels)
        self.lin_logvar = nn.Linear(hidden_channels, latent_channels)
        self.slots = nn.Parameter(torch.empty(num_slots, latent_channels))
        self.slot_bias = nn.Parameter(torch.zeros(num_slots))
        self.task = nn.Linear(query_channels, in_channels) if query_channels else None
        self.query_to_slots = nn.Linear(query_channels, latent_channels, bias=False) if query_channels else None
        if gates and not query_channels:
            raise ValueError("gates=True needs query_channels: the gates open slots per query")
        if gate_channels is not None:
            check_int(gate_channels, "gate_channels")
            if not gates or not query_channels or gate_channels > query_channels:
                raise ValueError(f"gate_channels={gate_channels} needs gates=True and at most query_channels="
                                 f"{query_channels} channels (the gates read the query's last gate_channels)")
        self.gate_channels = gate_channels
        self.gates = nn.Linear(gate_channels or query_channels, num_slots) if gates and query_channels else None
        self.register_buffer("baseline", torch.zeros(()))
        self.register_buffer("baseline_initialised", torch.zeros((), dtype=torch.bool))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for mod in (self.lin1, self.lin_mu, self.lin_logvar, self.task, self.query_to_slots, self.gates):
            if mod is not None:
                mod.reset_parameters()
        with torch.no_grad():
            self.lin_logvar.bias.fill_(self.init_logvar)
        nn.init.normal_(self.slots, std=1.0)
        nn.init.zeros_(self.slot_bias)
        self.baseline.zero_()
        self.baseline_initialised.zero_()

    # ------------------------------------------------------------------ encoder / decoder
    @staticmethod
    def with_task_node(hg: Hypergraph) -> Hypergraph:
        """The anchor with one more node (id ``N``) joined to every hyperedge."""
        n, m = hg.num_nodes, hg.num_edges
        extra = torch.stack([torch.full((m,), n, dtype=torch.long, device=hg.device),
                             torch.arange(m, device=hg.device)])
        return Hypergraph(torch.cat([hg.hyperedge_index, extra], dim=1), num_nodes=n + 1, num_edges=m,
                          edge_weight=hg.edge_weight, validate=False)

    def _smooth(self, h: Tensor, hg: Hypergraph | None) -> Tensor:
        """``[N', B, C]`` -> ``[N', B, C]``: the HGNN operator, or the identity without an anchor."""
        return h if hg is None else hgnn_smoothing(h, hg)

    def forward(self, x: Tensor, hg: Hypergraph | None = None, query: Tensor | None = None) -> TopologyOutput:
        mu, logvar, z = self.encode(x, hg, query)
        n, b = x.size(0), z.size(0)
        protos = self.slots.unsqueeze(0).expand(b, -1, -1)
        if query is not None:
            protos = protos + self.query_to_slots(query.reshape(b, query.size(-1))).unsqueeze(1)
        logits = z[:, :n] @ protos.transpose(1, 2) / (self.tau * math.sqrt(self.latent_channels)) + self.slot_bias
        gate_logits = None
        if self.gates is not None and query is not None:
            read = query.reshape(b, query.size(-1))
            gate_logits = self.gates(read[:, -self.gate_channels:] if self.gate_channels else read)
        return TopologyOutput(torch.sigmoid(logits), logits, mu, logvar, z, gate_logits)

    def encode(self, x: Tensor, hg: Hypergraph | None = None, query: Tensor | None = None
               ) -> tuple[Tensor, Tensor, Tensor]:
        r"""The encoder alone: :math:`(\mu, \log\sigma^2, z)`, each ``[B, N', D]`` (the task node's
        row last when ``query`` is given; :math:`z = \mu` in eval mode), for decoders other than the
        slot decoder, e.g. one scoring the incidences of a given hypergraph
        (:class:`hgnn.topology.AnchorRepair`)."""
        check_features(x, self.in_channels)
        n = x.size(0)
        if n == 0:
            raise ValueError("x has no nodes: the topology VAE needs at least one node")
        if hg is not None:
            if not isinstance(hg, Hypergraph):
                raise TypeError(f"hg must be a Hypergraph or None, got {type(hg).__name__}")
            if hg.num_nodes != n:
                raise ValueError(f"hg has {hg.num_nodes} nodes but x has {n} rows")
        if query is not None:
            if self.task is None:
                raise ValueError("query given but the VAE was built with query_channels=None")
            query = query.view(1, -1) if query.dim() == 1 else query
            check_features(query, self.query_channels, "query", rows="B")
        elif self.task is not None:
            raise ValueError(f"this VAE is query-conditioned: pass query [B, {self.query_channels}]")
        b = 1 if query is None else query.size(0)
        feats = x.unsqueeze(1).expand(n, b, -1)  # [N, B, F]
        if query is not None:
            feats = torch.cat([feats, self.task(query).unsqueeze(0)], dim=0)  # task node last: [N+1, B, F]
            if hg is not None:
                hg = hg.cache(("topology_vae", "with_task_node"), functools.partial(self.with_task_node, hg))
        h = F.relu(self._smooth(self.lin1(feats), hg))
        mu, logvar = self._smooth(self.lin_mu(h), hg), self._smooth(self.lin_logvar(h), hg).clamp(-10, 10)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
        mu, logvar, z = (t.transpose(0, 1) for t in (mu, logvar, z))  # [B, N', D]
        return mu, logvar, z

    # ------------------------------------------------------------------ discretisation
    @staticmethod
    def log_prob(logits: Tensor, incidence: Tensor) -> Tensor:
        r""":math:`\log p(H) = \sum_{v,k} H_{vk} \log P_{vk} + (1 - H_{vk}) \log(1 - P_{vk})` per query: ``[B]``."""
        return -F.binary_cross_entropy_with_logits(logits, incidence.detach(), reduction="none").flatten(1).sum(1)

    def discretize(self, out: TopologyOutput, mode: str = "bernoulli", *, temperature: float = 0.5,
                   threshold: float = 0.5, k: int | None = None, generator: torch.Generator | None = None
                   ) -> TopologySample:
        r"""Turn probabilities into an incidence matrix.

        * ``"bernoulli"``: :math:`H \sim \mathrm{Bernoulli}(P)`, no gradient through :math:`H`; use
          ``log_prob`` with :meth:`reinforce_loss`.
        * ``"gumbel"``: binary Concrete relaxation :math:`s = \sigma((\ell + \log u - \log(1-u)) / t)`,
          :math:`u \sim U(0,1)`, made hard by straight-through: forward :math:`[s > 0.5]`, gradient
          :math:`\partial s`.
        * ``"hard-concrete"``: Louizos et al. (ICLR 2018): :math:`s` stretched to :math:`(-0.1, 1.1)`
          and clipped to :math:`[0, 1]`, straight-through as above.
        * ``"threshold"``: :math:`[P > \text{threshold}]`; ``"topk"``: each slot's ``k`` most likely
          members (inference; no gradient).

        With slot gates, each slot is drawn open or closed the same way (``"bernoulli"``: sampled;
        ``"gumbel"`` / ``"hard-concrete"``: relaxed; ``"threshold"`` / ``"topk"``: open where
        :math:`G > 1/2`), closed slots lose their members, and ``log_prob`` is
        :math:`\sum_k [\log p(\text{open}_k) + \text{open}_k \sum_v \log p(H_{vk})]`.

        ``generator`` makes the draws reproducible.
        """
        if mode not in DISCRETE:
            raise ValueError(f"mode must be one of {DISCRETE}, got {mode!r}")
        members = self._discretize(out.logits, out.prob, mode, temperature, threshold, k, generator)
        if out.gate_logits is None:
            return TopologySample(members, self.log_prob(out.logits, members), mode)
        gate_prob = torch.sigmoid(out.gate_logits)
        opened = self._discretize(out.gate_logits, gate_prob, "threshold" if mode == "topk" else mode, temperature,
                                  0.5, None, generator)  # [B, K]
        incidence = members * opened.unsqueeze(1)
        member_lp = -F.binary_cross_entropy_with_logits(out.logits, members.detach(), reduction="none").sum(1)  # [B, K]
        gate_lp = -F.binary_cross_entropy_with_logits(out.gate_logits, opened.detach(), reduction="none")  # [B, K]
        return TopologySample(incidence, (gate_lp + opened.detach() * member_lp).sum(1), mode)

    @staticmethod
    def _discretize(logits: Tensor, prob: Tensor, mode: str, temperature: float, threshold: float, k: int | None,
                    generator: torch.Generator | None) -> Tensor:
        """0/1 (or straight-through) draws of ``prob`` by ``mode`` (:meth:`discretize`)."""

        def uniform() -> Tensor:
            u = torch.rand(logits.shape, generator=generator, device=logits.device, dtype=logits.dtype)
            return u.clamp(1e-6, 1 - 1e-6)

        if mode == "bernoulli":
            hard = (uniform() < prob.detach()).to(prob.dtype)
        elif mode in ("gumbel", "hard-concrete"):
            if not temperature > 0:
                raise ValueError(f"temperature must be > 0, got {temperature}")
            u = uniform()
            soft = torch.sigmoid((logits + u.log() - (1 - u).log()) / temperature)
            if mode == "hard-concrete":
                soft = (soft * 1.2 - 0.1).clamp(0.0, 1.0)
            hard = _StraightThrough.apply((soft > 0.5).to(soft.dtype), soft)
        elif mode == "threshold":
            hard = (prob.detach() > threshold).to(prob.dtype)
        else:
            if k is None:
                raise ValueError("mode='topk' needs k, the members per slot")
            check_int(k, "k")
            top = prob.detach().topk(min(k, prob.size(1)), dim=1).indices
            hard = torch.zeros_like(prob).scatter_(1, top, 1.0)
        return hard

    # ------------------------------------------------------------------ losses
    @staticmethod
    def kl_loss(out: TopologyOutput) -> Tensor:
        r""":math:`\mathrm{KL}(\mathcal N(\mu, \sigma^2) \Vert \mathcal N(0, I))`, summed over nodes and
        channels, mean over queries: :func:`gaussian_kl` of ``out.mu`` and ``out.logvar``."""
        return gaussian_kl(out.mu, out.logvar)

    @staticmethod
    def sparsity_loss(out: TopologyOutput) -> Tensor:
        r"""Expected incidences :math:`\sum_{v,k} P_{vk}` (with gates :math:`\sum_{v,k} G_k P_{vk}`),
        mean over queries."""
        return out.expected.flatten(1).sum(1).mean()

    @staticmethod
    def anchor_loss(out: TopologyOutput, anchor: Hypergraph) -> Tensor:
        r""":math:`\lVert P - H_0 \rVert_F^2` with the anchor's incidence matrix in the first
        :math:`M` slots and empty slots after it, mean over queries."""
        n, k = out.prob.shape[1:]
        if anchor.num_nodes != n:
            raise ValueError(f"anchor has {anchor.num_nodes} nodes, the output {n}")
        if anchor.num_edges > k:
            raise ValueError(f"anchor has {anchor.num_edges} hyperedges but the VAE only {k} slots; "
                             f"build it with num_slots >= {anchor.num_edges}")
        target = out.prob.new_zeros(n, k)
        target[anchor.hyperedge_index[0], anchor.hyperedge_index[1]] = 1.0
        return (out.prob - target).pow(2).flatten(1).sum(1).mean()

    def reinforce_loss(self, log_prob: Tensor, utility: Tensor, update_baseline: bool = True) -> Tensor:
        r"""Score-function loss :math:`-\frac1B \sum_b (u_b - b)\, \log p(H_b)`, whose gradient is an
        unbiased estimate of :math:`-\nabla\, \mathbb E[u]`. The baseline :math:`b` (a buffer) is the
        moving mean of past utilities, updated after use when ``update_baseline``.

        Args:
            log_prob: ``[B]`` from :meth:`discretize` (mode ``"bernoulli"``).
            utility: ``[B]`` task reward minus cost, no gradient needed.
        """
        utility = utility.detach().to(log_prob.dtype).view(-1)
        if utility.shape != log_prob.shape:
            raise ValueError(f"utility must have shape {list(log_prob.shape)}, got {list(utility.shape)}")
        if not torch.isfinite(utility).all():
            raise ValueError("utility has NaN or inf values")
        loss = -((utility - self.baseline) * log_prob).mean()
        if update_baseline:
            with torch.no_grad():
                mean = utility.mean()
                if bool(self.baseline_initialised):
                    self.baseline.mul_(self.momentum).add_((1 - self.momentum) * mean)
                else:
                    self.baseline.copy_(mean)
                    self.baseline_initialised.fill_(True)
        return loss

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, num_slots={self.num_slots}, latent={self.latent_channels}, "
                f"query_channels={self.query_channels}, tau={self.tau}"
                + (", gates=True" if self.gates is not None else "")
                + (f", gate_channels={self.gate_channels}" if self.gate_channels is not None else ""))
