r"""Repairing a corrupted hypergraph for node classification: a structure learner that proposes
and deletes.

Half of a hypergraph's hyperedges are removed and as many random ones (same sizes, random members)
added (:func:`corrupt`). :func:`propose_members` adds candidate incidences to this anchor: for each
hyperedge, the nodes outside it that are nearest, in feature space, to its members (no dense
:math:`N \times K` decoder: every hyperedge gets a few candidates). :class:`AnchorRepair` then
learns, end to end with an HGNN classifier, which incidences of the candidate hypergraph to keep:
for every incidence :math:`i = (v, e)`,

.. math::
    \ell_i = a\, \bar s^{x}_i + b\, \bar s^{z}_i + c, \qquad P_i = \sigma(\ell_i),

with :math:`s^x` the leave-one-out cosine of the input features (:func:`leave_one_out_cosine`: is
:math:`v` like the other members of :math:`e`?), :math:`s^z` the same on the VAE latents :math:`z`,
bars standardising over the incidences (:func:`feature_prior` is :math:`\bar s^x`), and
:math:`a, b, c` learned. The encoder of :class:`~hgnn.topology.HypergraphTopologyVAE` reads the
features alone (the anchor is what is being repaired, so it must not smooth the latents), and a
linear head on :math:`z` classifies the nodes, so the latents are shaped by the task. A two-layer
HGNN classifier runs on the soft incidence matrix :math:`P` (:func:`soft_hgnn_operator`), and
everything is trained on (:func:`train_repair`)

.. math::
    \mathcal L = \mathrm{CE}(\mathrm{HGNN}_P(X)) + \mathrm{CE}(W z)
    + \gamma\, \mathrm{KL}\big(\mathrm{sg}[\mathrm{softmax}\, \mathrm{HGNN}_P(X)] \,\big\|\,
    \mathrm{softmax}(W z)\big) + \beta\,\mathrm{KL} + \lambda_s \textstyle\sum_i P_i ,

the cross-entropies on the training nodes, the :math:`\gamma` term (``teach``) on every node: the
classifier, which sees the structure, teaches the latents its answers where there are no labels
(:math:`\mathrm{sg}`: no gradient into the classifier), so that :math:`s^z` asks "does the
classifier put :math:`v` in the class of :math:`e`'s other members?". The learned hypergraph keeps
the incidences with :math:`P_i > 1/2` (:func:`keep_incidences` drops the hyperedges left with
fewer than two members).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.structure import Hypergraph, node_to_edge
from hgnn.topology.vae import HypergraphTopologyVAE, gaussian_kl
from hgnn.train import fit_loop, seed_everything

__all__ = ["AnchorRepair", "SoftHGNN", "corrupt", "feature_prior", "keep_incidences", "leave_one_out_cosine",
           "propose_members", "shared_elsewhere", "soft_hgnn_operator", "train_repair"]


def corrupt(hg: Hypergraph, fraction: float = 0.5, seed: int = 0) -> Hypergraph:
    """Remove ``fraction`` of the hyperedges at random and add as many random ones of the removed
    sizes (members drawn uniformly without replacement). The kept hyperedges come first (ids
    ``0 .. M - r - 1``), the random ones after them. Node data is kept."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    gen = torch.Generator().manual_seed(seed)
    m = hg.num_edges
    removed = torch.randperm(m, generator=gen)[: int(round(fraction * m))]
    keep_edge = torch.ones(m, dtype=torch.bool)
    keep_edge[removed] = False
    nodes, edges = hg.hyperedge_index
    keep = keep_edge[edges]
    kept_ids = torch.cumsum(keep_edge.long(), 0) - 1
    parts = [torch.stack([nodes[keep], kept_ids[edges[keep]]])]
    sizes = hg.edge_degree()[removed].long()
    base = int(keep_edge.sum())
    for j, size in enumerate(sizes.tolist()):
        members = torch.randperm(hg.num_nodes, generator=gen)[: max(size, 1)]
        parts.append(torch.stack([members, torch.full_like(members, base + j)]))
    return Hypergraph(torch.cat(parts, dim=1), num_nodes=hg.num_nodes, num_edges=base + sizes.numel(), x=hg.x,
                      y=hg.y, node_data=dict(hg.node_data))


def propose_members(hg: Hypergraph, x: Tensor, per_edge: int = 3, *, chunk: int = 1024) -> Hypergraph:
    r"""``hg`` with candidate members added: for every hyperedge :math:`e`, the ``per_edge`` nodes
    outside it whose features are nearest its members' mean direction,

    .. math::
        \mathrm{top}_{v \notin e}\ \cos\Big(x_v,\ \sum_{u \in e} \hat x_u\Big), \qquad
        \hat x = x / \lVert x \rVert,

    (fewer where fewer nodes lie outside :math:`e`). The incidences of
    ``hg`` come first and the proposals after them, so ``mask[hg.num_incidences:]`` of any
    incidence mask covers the proposals; hyperedge ids, counts and node data are kept. Hyperedges
    are scored ``chunk`` at a time (memory :math:`N \times` ``chunk``).

    Args:
        hg: the anchor hypergraph, ``N`` nodes; every hyperedge needs a member.
        x: ``[N, F]`` node features.
        per_edge: candidates per hyperedge (0: ``hg`` unchanged).
    """
    if isinstance(per_edge, bool) or not isinstance(per_edge, int) or per_edge < 0:
        raise ValueError(f"per_edge must be an int >= 0 (candidates per hyperedge), got {per_edge!r}")
    if x.dim() != 2 or x.size(0) != hg.num_nodes:
        raise ValueError(f"x must be [num_nodes={hg.num_nodes}, F], got {list(x.shape)}")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be an int >= 1, got {chunk!r}")
    if per_edge == 0 or hg.num_edges == 0:
        return hg
    if bool((hg.edge_degree() == 0).any()):
        raise ValueError("every hyperedge of hg needs a member to propose candidates near it; drop the empty "
                         "ones first (Hypergraph.remove_empty)")
    unit = F.normalize(x.float(), dim=-1)
    nodes, edges = hg.hyperedge_index
    direction = F.normalize(node_to_edge(unit, hg, reduce="sum"), dim=-1)  # [M, F]
    outside = (hg.num_nodes - hg.edge_degree().long()).clamp(max=per_edge)  # candidates each hyperedge can get
    new_nodes, new_edges = [], []
    for start in range(0, hg.num_edges, chunk):
        stop = min(start + chunk, hg.num_edges)
        sim = unit @ direction[start:stop].T  # [N, chunk]
        inside = (edges >= start) & (edges < stop)
        sim[nodes[inside], edges[inside] - start] = -float("inf")
        top = sim.topk(min(per_edge, hg.num_nodes), dim=0).indices  # [k, chunk], nearest first
        ids = torch.arange(start, stop, device=top.device).expand_as(top)
        take = torch.arange(top.size(0), device=top.device).unsqueeze(1) < outside[start:stop].unsqueeze(0)
        new_nodes.append(top[take])
        new_edges.append(ids[take])
    proposed = torch.stack([torch.cat(new_nodes), torch.cat(new_edges)])
    return Hypergraph(torch.cat([hg.hyperedge_index, proposed.to(hg.hyperedge_index.dtype)], dim=1),
                      num_nodes=hg.num_nodes, num_edges=hg.num_edges, x=hg.x, y=hg.y, node_data=dict(hg.node_data))


def leave_one_out_cosine(z: Tensor, hg: Hypergraph) -> Tensor:
    r"""How much each member looks like the rest of its hyperedge: for incidence :math:`i = (v, e)`,

    .. math::
        s_i = \cos\Big(\hat z_v,\ \frac{1}{|e| - 1} \sum_{j:\, e_j = e,\, j \ne i} \hat z_{v_j}\Big),
        \qquad \hat z = z / \lVert z \rVert,

    and :math:`s_i = 0` in a hyperedge of size one. ``z`` ``[N, D]`` -> ``[nnz]``, differentiable.
    """
    if z.dim() != 2 or z.size(0) != hg.num_nodes:
        raise ValueError(f"z must be [num_nodes={hg.num_nodes}, D], got {list(z.shape)}")
    unit = F.normalize(z, dim=-1)
    nodes, edges = hg.hyperedge_index
    total = node_to_edge(unit, hg, reduce="sum")
    count = hg.edge_degree().to(z.dtype)[edges]
    rest = (total.index_select(0, edges) - unit.index_select(0, nodes)) / (count - 1).clamp(min=1).unsqueeze(-1)
    sim = F.cosine_similarity(unit.index_select(0, nodes), rest, dim=-1)
    return torch.where(count > 1, sim, torch.zeros_like(sim))


def shared_elsewhere(hg: Hypergraph) -> Tensor:
    r"""How many other hyperedges each member shares with the rest of its hyperedge: for incidence
    :math:`i = (v, e)`,

    .. math::
        s^h_i = \frac{1}{|e| - 1} \sum_{u \in e,\, u \ne v} \big|\{e' \ne e : u, v \in e'\}\big|
              = \frac{(H H^\top H)_{ve} - d_v - (|e| - 1)}{|e| - 1},

    and :math:`s^h_i = 0` in a hyperedge of size one. Members of a real hyperedge tend to meet
    again elsewhere (papers cited together are cited together again); the members of a random one
    rarely do. ``hg`` without repeated incidences -> ``[nnz]``; time and memory
    :math:`O(\sum_v d_v^2)`.
    """
    nodes, edges = hg.hyperedge_index
    device = nodes.device
    if nodes.numel() == 0:
        return torch.zeros(0, device=device)
    # Every pair of incidences at the same node v: (v, e1), (v, e2). The pairs with the same (e1, e2)
    # count |e1 ∩ e2|, and summing that over the pairs of (v, e) gives (H H^T H)[v, e].
    order = torch.argsort(nodes, stable=True)
    count = torch.bincount(nodes, minlength=hg.num_nodes)
    start = torch.cumsum(count, 0) - count
    per = count[nodes[order]]  # incidences at each sorted incidence's node
    first = torch.repeat_interleave(torch.arange(order.numel(), device=device), per)
    offset = torch.arange(first.numel(), device=device) - torch.repeat_interleave(torch.cumsum(per, 0) - per, per)
    second = start[nodes[order][first]] + offset
    e1, e2 = edges[order][first], edges[order][second]
    _, pair_id, overlap = torch.unique(e1 * hg.num_edges + e2, return_inverse=True, return_counts=True)
    total = torch.zeros(order.numel(), device=device).index_add_(0, second, overlap[pair_id].float())  # sorted
    total = torch.empty_like(total).index_copy_(0, order, total)
    size = hg.edge_degree().float()[edges]
    shared = (total - count.float()[nodes] - (size - 1)) / (size - 1).clamp(min=1)
    return torch.where(size > 1, shared, torch.zeros_like(shared))


def _standardize(s: Tensor) -> Tensor:
    return (s - s.mean()) / s.std().clamp(min=1e-6)


def feature_prior(x: Tensor, anchor: Hypergraph) -> Tensor:
    r""":math:`\bar s^x`: the :func:`leave_one_out_cosine` of the features ``x`` ``[N, F]`` over the
    incidences of ``anchor``, standardised to mean 0 and standard deviation 1: ``[nnz]``. Alone, it
    ranks the incidences without training (keep the top ones)."""
    return _standardize(leave_one_out_cosine(x, anchor))


def keep_incidences(hg: Hypergraph, keep: Tensor, like: Hypergraph | None = None) -> Hypergraph:
    """The sub-hypergraph of the incidences where ``keep`` (``[nnz]`` bool) holds; hyperedges left
    with fewer than two members are dropped and the rest renumbered. Node data from ``like``
    (default ``hg``)."""
    like = hg if like is None else like
    if keep.shape != (hg.num_incidences,) or keep.dtype != torch.bool:
        raise ValueError(f"keep must be a bool mask [nnz={hg.num_incidences}]")
    nodes, edges = hg.hyperedge_index[:, keep]
    count = torch.bincount(edges, minlength=hg.num_edges)
    big = count[edges] >= 2
    kept_edges, edges = torch.unique(edges[big], return_inverse=True)
    return Hypergraph(torch.stack([nodes[big], edges]), num_nodes=hg.num_nodes, num_edges=kept_edges.numel(),
                      x=like.x, y=like.y, node_data=dict(like.node_data))


def soft_hgnn_operator(p: Tensor, x: Tensor) -> Tensor:
    """:math:`\\tilde L x` for a dense soft incidence ``p`` ``[N, K]``,
    :math:`\\tilde L = D_v^{-1/2} P D_e^{-1} P^\\top D_v^{-1/2}` with :math:`D_v = \\mathrm{diag}(P
    \\mathbf 1)`, :math:`D_e = \\mathrm{diag}(P^\\top \\mathbf 1)`; ``x`` ``[N, F]`` -> ``[N, F]``."""
    dv = p.sum(1).clamp(min=1e-6).rsqrt()
    de = 1.0 / p.sum(0).clamp(min=1e-6)
    return dv[:, None] * (p @ (de[:, None] * (p.t() @ (dv[:, None] * x))))


class SoftHGNN(nn.Module):
    """Two HGNN layers over a soft incidence matrix: ``L relu(L x W1) W2`` with dropout."""

    def __init__(self, in_channels: int, num_classes: int, hidden: int = 32, dropout: float = 0.5) -> None:
        super().__init__()
        self.lin1, self.lin2, self.dropout = nn.Linear(in_channels, hidden), nn.Linear(hidden, num_classes), dropout

    def forward(self, x: Tensor, p: Tensor) -> Tensor:
        """Class logits ``[N, C]`` of ``x`` ``[N, F]`` over the soft incidence ``p`` ``[N, M]``."""
        h = F.relu(soft_hgnn_operator(p, self.lin1(F.dropout(x, self.dropout, self.training))))
        return soft_hgnn_operator(p, self.lin2(F.dropout(h, self.dropout, self.training)))


class AnchorRepair(nn.Module):
    r"""Scores every incidence of a noisy anchor hypergraph (module docstring; with
    :func:`propose_members`, of the anchor and its candidates):
    :math:`\ell_i = a \bar s^x_i + b \bar s^z_i + c`, plus :math:`d\, \bar s^h_i` when a structure
    score is given (:func:`shared_elsewhere`, standardised), from a
    :class:`~hgnn.topology.HypergraphTopologyVAE` encoder over the features alone and a node-class head on
    its latents.

    Args:
        in_channels: :math:`F`.
        num_classes: :math:`C` of the head on :math:`z`.
        hidden_channels, latent_channels: the VAE encoder's sizes.

    Shapes:
        - **x** ``[N, F]``, **anchor** (``N`` nodes), **prior** ``[nnz]`` (:math:`\bar s^x`:
          :func:`feature_prior`, computed once), **structure** ``None`` or ``[nnz]`` (:math:`\bar s^h`)
        - **output**: incidence logits ``[nnz]``, :math:`\mu`, :math:`\log\sigma^2` ``[1, N, D]`` and
          node-class logits ``[N, C]``.
    """

    def __init__(self, in_channels: int, num_classes: int, hidden_channels: int = 64,
                 latent_channels: int = 64) -> None:
        super().__init__()
        self.vae = HypergraphTopologyVAE(in_channels, 1, hidden_channels=hidden_channels,
                                         latent_channels=latent_channels)
        self.head = nn.Linear(latent_channels, num_classes)
        self.mix = nn.Parameter(torch.empty(3))  # a, b, c
        self.structure_weight = nn.Parameter(torch.empty(()))  # d
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """VAE and head as built; :math:`a = b = d = 1`, :math:`c = 0` (start from the similarities)."""
        self.vae.reset_parameters()
        self.head.reset_parameters()
        with torch.no_grad():
            self.mix.copy_(torch.tensor([1.0, 1.0, 0.0]))
            self.structure_weight.fill_(1.0)

    def encode(self, x: Tensor, anchor: Hypergraph) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        r""":math:`\bar s^z` ``[nnz]``, :math:`\mu`, :math:`\log\sigma^2` and node-class logits."""
        mu, logvar, z = self.vae.encode(x)
        return _standardize(leave_one_out_cosine(z[0], anchor)), mu, logvar, self.head(z[0])

    def combine(self, prior: Tensor, latent: Tensor, structure: Tensor | None = None,
                hold_weights: bool = False) -> Tensor:
        r"""The incidence logits :math:`a \bar s^x + b \bar s^z + c\ (+\, d \bar s^h)`; with
        ``hold_weights`` no gradient reaches :math:`a, b, c, d`."""
        mix: Tensor = self.mix.detach() if hold_weights else self.mix
        d: Tensor = self.structure_weight.detach() if hold_weights else self.structure_weight
        a, b, c = mix
        logits = a * prior + b * latent + c
        return logits if structure is None else logits + d * structure

    def forward(self, x: Tensor, anchor: Hypergraph, prior: Tensor,
                structure: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        r"""Incidence logits, :math:`\mu`, :math:`\log\sigma^2` and node-class logits (class docstring)."""
        for name, value in (("prior", prior), ("structure", structure)):
            if value is not None and value.shape != (anchor.num_incidences,):
                raise ValueError(f"{name} must be [nnz={anchor.num_incidences}], got {list(value.shape)}")
        latent, mu, logvar, node_logits = self.encode(x, anchor)
        return self.combine(prior, latent, structure), mu, logvar, node_logits


def train_repair(anchor: Hypergraph, x: Tensor, y: Tensor, train_idx: Tensor, *, steps: int = 300,
                 lr: float = 1e-2, weight_decay: float = 5e-4, beta: float = 1e-4, sparsity: float = 0.0,
                 teach: float = 0.0, structure: bool = False, val_idx: Tensor | None = None,
                 select_idx: Tensor | None = None, eval_every: int = 10, seed: int = 0, progress: bool = False) -> tuple[AnchorRepair, SoftHGNN, Tensor]:
    r"""Learn which incidences of ``anchor`` to keep (module docstring): an :class:`AnchorRepair`
    and a :class:`SoftHGNN` on its soft incidences, trained together for ``steps`` full-batch Adam
    steps on the labels of ``train_idx``.

    Args:
        anchor: the noisy hypergraph (``N`` nodes).
        x: ``[N, F]`` node features (preprocessed as the classifier wants them).
        y: ``[N]`` node labels.
        train_idx: the training nodes (indices or a bool mask).
        steps: Adam steps. lr, weight_decay: Adam's.
        beta: :math:`\beta` of the KL term. sparsity: :math:`\lambda_s`, the cost per expected incidence.
        teach: :math:`\gamma`, the weight of the classifier teaching the latents on every node (0:
            the latents learn from the training labels alone). On corrupted Cora with proposed
            members, ``teach=1`` is what makes the learned scores beat the feature prior
            (``benchmarks/topology_vae``).
        structure: also score by :math:`\bar s^h`, the standardised :func:`shared_elsewhere` of
            ``anchor`` (how often a member meets the rest of its hyperedge in other hyperedges),
            with a learned weight :math:`d`.
        val_idx: validation nodes. When given, the scoring weights :math:`a, b, c, d` learn from
            the classifier's cross-entropy on these nodes and everything else from the training
            nodes, a first-order bi-level scheme as in LDS (Franceschi et al., ICML 2019): trained
            on the training labels, the weights favour whatever lets the classifier fit those
            labels (measured: a negative :math:`d`), not what generalises.
        select_idx: nodes (e.g. the validation nodes) whose accuracy under the soft classifier,
            evaluated every ``eval_every`` steps, picks the step whose weights are kept (default:
            the last step's). Longer training prunes harder than a fresh HGNN on the kept
            hypergraph likes (measured on corrupted Cora).
        seed: seeds the initialisation and the dropout.

    Returns:
        The repair model and the classifier (eval mode) and the bool mask ``[nnz]`` of the kept
        incidences (:math:`P_i > 1/2`); :func:`keep_incidences` turns it into the learned hypergraph.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1 (the number of Adam steps), got {steps!r}")
    if x.dim() != 2 or x.size(0) != anchor.num_nodes:
        raise ValueError(f"x must be [num_nodes={anchor.num_nodes}, F], got {list(x.shape)}")
    if y.shape != (anchor.num_nodes,):
        raise ValueError(f"y must be [num_nodes={anchor.num_nodes}] labels, got {list(y.shape)}")
    if not teach >= 0:
        raise ValueError(f"teach (the weight of the classifier teaching the latents) must be >= 0, got {teach}")
    for name, idx in (("val_idx", val_idx), ("select_idx", select_idx)):
        if idx is not None and (idx.numel() == 0 or (idx.dtype == torch.bool and not bool(idx.any()))):
            raise ValueError(f"{name} selects no node: pass node indices or a bool mask with a True entry, or None")
    prior = feature_prior(x, anchor)
    shared = _standardize(shared_elsewhere(anchor)) if structure else None
    num_classes = int(y.max()) + 1
    seed_everything(seed)
    model = AnchorRepair(x.size(1), num_classes)
    clf = SoftHGNN(x.size(1), num_classes)
    opt = torch.optim.Adam(list(model.parameters()) + list(clf.parameters()), lr=lr, weight_decay=weight_decay)
    nodes, edges = anchor.hyperedge_index

    weights = [model.mix] + ([model.structure_weight] if structure else [])

    def dense(logits: Tensor) -> Tensor:
        return logits.new_zeros(anchor.num_nodes, anchor.num_edges).index_put(
            (nodes, edges), torch.sigmoid(logits), accumulate=True)

    def step(batch: None) -> Tensor:
        latent, mu, logvar, node_logits = model.encode(x, anchor)
        logits = model.combine(prior, latent, shared)
        # with val_idx the classifier and the encoder see the weights as constants
        out = clf(x, dense(logits if val_idx is None else model.combine(prior, latent, shared, hold_weights=True)))
        loss = (F.cross_entropy(out[train_idx], y[train_idx]) + F.cross_entropy(node_logits[train_idx], y[train_idx])
                + beta * gaussian_kl(mu, logvar))
        if sparsity > 0:
            loss = loss + sparsity * torch.sigmoid(logits).sum()
        if teach > 0:
            target = out.detach().softmax(-1)
            loss = loss + teach * F.kl_div(node_logits.log_softmax(-1), target, reduction="batchmean")
        if val_idx is not None:  # the weights: the validation loss through the classifier as it is
            outer = F.cross_entropy(clf(x, dense(model.combine(prior, latent.detach(), shared)))[val_idx], y[val_idx])
            grads = torch.autograd.grad(outer, weights)
            loss = loss + sum((w * g).sum() for w, g in zip(weights, grads))  # d/dw of this term is the gradient
        return loss

    def selection() -> dict[str, float]:
        out = clf(x, dense(model(x, anchor, prior, shared)[0]))
        return {"acc": (out[select_idx].argmax(-1) == y[select_idx]).float().mean().item()}

    fit_loop(nn.ModuleList([model, clf]), opt, [None], step, epochs=steps, progress=progress,
             evaluate=selection if select_idx is not None else None, monitor="acc" if select_idx is not None else None,
             eval_every=eval_every, desc=f"repair, seed {seed}")
    with torch.no_grad():
        keep = model(x, anchor, prior, shared)[0] > 0
    return model, clf, keep
