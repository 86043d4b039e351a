r"""Demonstration 2 of the topology VAE: repair a corrupted hypergraph for node classification.

Half of a hypergraph's hyperedges are removed and as many random ones (same sizes, random members)
added (:func:`corrupt`). :class:`AnchorRepair` learns, end to end with an HGNN classifier, which
incidences of the corrupted (anchor) hypergraph to keep: for every anchor incidence
:math:`i = (v, e)`,

.. math::
    \ell_i = a\, \bar s^{x}_i + b\, \bar s^{z}_i + c, \qquad P_i = \sigma(\ell_i),

with :math:`s^x` the leave-one-out cosine of the input features (:func:`leave_one_out_cosine`: is
:math:`v` like the other members of :math:`e`?), :math:`s^z` the same on the VAE latents :math:`z`,
bars standardising over the incidences, and :math:`a, b, c` learned. The encoder of
:class:`~hgnn.topology.HypergraphTopologyVAE` reads the features alone (the anchor is what is being
repaired, so it must not smooth the latents), and a linear head on :math:`z` classifies the nodes,
so the latents are shaped by the task. A two-layer HGNN classifier runs on the soft incidence
matrix :math:`P` (:func:`soft_hgnn_operator`), and everything is trained on

.. math::
    \mathcal L = \mathrm{CE}(\mathrm{HGNN}_P(X)) + \mathrm{CE}(W z) + \beta\,\mathrm{KL} + \lambda_s \textstyle\sum_i P_i .

The learned hypergraph keeps the incidences with :math:`P_i > 1/2` (hyperedges left with fewer than
two members dropped) and is scored, like the clean and the corrupted ones, by a fresh HGNN
(:func:`score`). The decoder is deletion-only: hyperedges lost to the corruption are not proposed
again. Ablation: the feature prior alone (:math:`b = 0`, no training) keeping as many incidences.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from hgnn.models import HGNN
from hgnn.topology.vae import HypergraphTopologyVAE, gaussian_kl
from hgnn.structure import Hypergraph, node_to_edge
from hgnn.train.experiment import prepare, summarize
from hgnn.train.splits import split_of_seed
from hgnn.train.trainer import fit, seed_everything

__all__ = ["AnchorRepair", "SoftHGNN", "corrupt", "keep_incidences", "leave_one_out_cosine", "run_repair",
           "score", "soft_hgnn_operator", "summarize_repair"]


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
        - **x** ``[N, F]``, **anchor** (``N`` nodes), **prior** ``[nnz]`` (:math:`\bar s^x`, computed once)
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
        if prior.shape != (anchor.num_incidences,):
            raise ValueError(f"prior must be [nnz={anchor.num_incidences}], got {list(prior.shape)}")
        mu, logvar, z = self.vae.encode(x)
        latent = _standardize(leave_one_out_cosine(z[0], anchor))
        a, b, c = self.mix
        return a * prior + b * latent + c, mu, logvar, self.head(z[0])


def score(hg: Hypergraph, split, seed: int, epochs: int = 200) -> float:
    """Test accuracy of a fresh two-layer HGNN trained on ``hg`` (best validation epoch)."""
    seed_everything(seed)
    hg = prepare(hg)
    return fit(HGNN(hg.x.size(1), int(hg.y.max()) + 1), hg, split, epochs=epochs, progress=False).test["acc"]


def run_repair(dataset: str = "cocitation-cora", *, fraction: float = 0.5, steps: int = 300, lr: float = 1e-2,
               beta: float = 1e-4, sparsity: float = 0.0, seed: int = 0, root: str | None = None,
               progress: bool = True, score_epochs: int = 200) -> dict[str, Any]:
    """Corrupt ``dataset`` (seed ``seed``), learn the repair for ``steps`` Adam steps and score the
    clean, corrupted, empty, prior-only and learned hypergraphs by :func:`score` (``score_epochs``
    epochs each) on HyperGCN split ``seed % 10``. Returns accuracies, incidence and hyperedge counts,
    the share of kept incidences that are real (not added by the corruption) and the learned
    :math:`a, b, c`."""
    from hgnn.datasets import load

    clean = load(dataset, root=root)
    split = split_of_seed(clean, "hypergcn", seed)
    bad = corrupt(clean, fraction, seed)
    real = bad.hyperedge_index[1] < clean.num_edges - int(round(fraction * clean.num_edges))
    x, y = prepare(bad).x, clean.y
    prior = _standardize(leave_one_out_cosine(x, bad))
    seed_everything(seed)
    model = AnchorRepair(x.size(1), int(y.max()) + 1)
    clf = SoftHGNN(x.size(1), int(y.max()) + 1)
    opt = torch.optim.Adam(list(model.parameters()) + list(clf.parameters()), lr=lr, weight_decay=5e-4)
    nodes, edges = bad.hyperedge_index
    for _ in tqdm(range(steps), desc=f"repair seed {seed}", disable=not progress, leave=False):
        model.train()
        clf.train()
        logits, mu, logvar, node_logits = model(x, bad, prior)
        prob = torch.sigmoid(logits)
        dense = prob.new_zeros(bad.num_nodes, bad.num_edges).index_put((nodes, edges), prob, accumulate=True)
        loss = (F.cross_entropy(clf(x, dense)[split.train], y[split.train])
                + F.cross_entropy(node_logits[split.train], y[split.train])
                + beta * gaussian_kl(mu, logvar) + sparsity * prob.sum())
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        logits = model(x, bad, prior)[0]
    keep = logits > 0
    prior_keep = torch.zeros_like(keep)
    prior_keep[prior.topk(int(keep.sum())).indices] = True
    graphs = {"clean": clean, "corrupted": bad, "learned": keep_incidences(bad, keep, clean),
              "prior only": keep_incidences(bad, prior_keep, clean),
              "no hyperedges": Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=clean.num_nodes,
                                          num_edges=0, x=clean.x, y=clean.y, node_data=dict(clean.node_data))}
    acc = {name: score(g, split, seed, score_epochs) for name, g in graphs.items()}
    return {"dataset": dataset, "fraction": fraction, "seed": seed, "steps": steps, "accuracy": acc,
            "recovered": (acc["learned"] - acc["corrupted"]) / (acc["clean"] - acc["corrupted"]),
            "incidences": {name: g.num_incidences for name, g in graphs.items()},
            "hyperedges": {name: g.num_edges for name, g in graphs.items()},
            "real_share": {"corrupted": real.float().mean().item(), "learned": real[keep].float().mean().item(),
                           "prior only": real[prior_keep].float().mean().item()},
            "mix": dict(zip("abc", model.mix.tolist()))}


def summarize_repair(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean and std over runs of each hypergraph's accuracy (%) and incidences, and of the
    recovered share of the accuracy lost to corruption."""
    out = {name: {"accuracy": summarize([r["accuracy"][name] for r in runs]),
                  "incidences": summarize([r["incidences"][name] for r in runs], scale=1.0)}
           for name in runs[0]["accuracy"]}
    out["recovered"] = summarize([r["recovered"] for r in runs], scale=1.0)
    return out
