r"""Repairing a corrupted hypergraph for node classification: a deletion-only structure learner.

Half of a hypergraph's hyperedges are removed and as many random ones (same sizes, random members)
added (:func:`corrupt`). :class:`AnchorRepair` learns, end to end with an HGNN classifier, which
incidences of the corrupted (anchor) hypergraph to keep: for every anchor incidence
:math:`i = (v, e)`,

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
    \mathcal L = \mathrm{CE}(\mathrm{HGNN}_P(X)) + \mathrm{CE}(W z) + \beta\,\mathrm{KL} + \lambda_s \textstyle\sum_i P_i .

The learned hypergraph keeps the incidences with :math:`P_i > 1/2` (:func:`keep_incidences` drops
the hyperedges left with fewer than two members). The decoder is deletion-only: hyperedges lost to
the corruption are not proposed again.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.structure import Hypergraph, node_to_edge
from hgnn.topology.vae import HypergraphTopologyVAE, gaussian_kl
from hgnn.train import fit_loop, seed_everything

__all__ = ["AnchorRepair", "SoftHGNN", "corrupt", "feature_prior", "keep_incidences", "leave_one_out_cosine",
           "soft_hgnn_operator", "train_repair"]


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
    r"""Deletion-only topology learning on a noisy anchor hypergraph (module docstring):
    :math:`\ell_i = a \bar s^x_i + b \bar s^z_i + c` for every anchor incidence, from a
    :class:`~hgnn.topology.HypergraphTopologyVAE` encoder over the features alone and a node-class head on
    its latents.

    Args:
        in_channels: :math:`F`.
        num_classes: :math:`C` of the head on :math:`z`.
        hidden_channels, latent_channels: the VAE encoder's sizes.

    Shapes:
        - **x** ``[N, F]``, **anchor** (``N`` nodes), **prior** ``[nnz]`` (:math:`\bar s^x`:
          :func:`feature_prior`, computed once)
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
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """VAE and head as built; :math:`a = b = 1`, :math:`c = 0` (start from the similarities)."""
        self.vae.reset_parameters()
        self.head.reset_parameters()
        with torch.no_grad():
            self.mix.copy_(torch.tensor([1.0, 1.0, 0.0]))

    def forward(self, x: Tensor, anchor: Hypergraph, prior: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        r"""Incidence logits, :math:`\mu`, :math:`\log\sigma^2` and node-class logits (class docstring)."""
        if prior.shape != (anchor.num_incidences,):
            raise ValueError(f"prior must be [nnz={anchor.num_incidences}], got {list(prior.shape)}")
        mu, logvar, z = self.vae.encode(x)
        latent = _standardize(leave_one_out_cosine(z[0], anchor))
        a, b, c = self.mix
        return a * prior + b * latent + c, mu, logvar, self.head(z[0])


def train_repair(anchor: Hypergraph, x: Tensor, y: Tensor, train_idx: Tensor, *, steps: int = 300,
                 lr: float = 1e-2, weight_decay: float = 5e-4, beta: float = 1e-4, sparsity: float = 0.0,
                 seed: int = 0, progress: bool = False) -> tuple[AnchorRepair, SoftHGNN, Tensor]:
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
    prior = feature_prior(x, anchor)
    num_classes = int(y.max()) + 1
    seed_everything(seed)
    model = AnchorRepair(x.size(1), num_classes)
    clf = SoftHGNN(x.size(1), num_classes)
    opt = torch.optim.Adam(list(model.parameters()) + list(clf.parameters()), lr=lr, weight_decay=weight_decay)
    nodes, edges = anchor.hyperedge_index

    def step(batch: None) -> Tensor:
        logits, mu, logvar, node_logits = model(x, anchor, prior)
        prob = torch.sigmoid(logits)
        dense = prob.new_zeros(anchor.num_nodes, anchor.num_edges).index_put((nodes, edges), prob, accumulate=True)
        return (F.cross_entropy(clf(x, dense)[train_idx], y[train_idx])
                + F.cross_entropy(node_logits[train_idx], y[train_idx])
                + beta * gaussian_kl(mu, logvar) + sparsity * prob.sum())

    fit_loop(nn.ModuleList([model, clf]), opt, [None], step, epochs=steps, progress=progress,
             desc=f"repair, seed {seed}")
    with torch.no_grad():
        keep = model(x, anchor, prior)[0] > 0
    return model, clf, keep
