r"""LightHGNN+'s reliable hyperedge quantification and sampling (Feng et al., ICLR 2024, Sec. 4.2).

A hyperedge is *reliable* when the teacher's confidence on its vertices barely moves under feature
noise. With the teacher's class distributions :math:`p_v = \mathrm{softmax}(f(X, G))_v`, the vertex
entropy :math:`H_v = -\sum_c p_{vc} \log p_{vc}` and its hyperedge mean
:math:`\bar H_e = \frac{1}{|e|}\sum_{v\in e} H_v`, computed once on clean features and once on
noisy ones :math:`X' = X \odot (1 + \sigma\,\varepsilon)`, :math:`\varepsilon \sim \mathcal N(0, 1)`:

.. math::
    \delta_e = |\bar H'_e - \bar H_e|, \qquad \rho_e = 1 - \frac{\delta_e}{\max_{e'} \delta_{e'}}
    \in [0, 1].

At every training step each hyperedge is kept with probability :math:`\rho_e` (Bernoulli), and the
high-order loss (:func:`hgnn.distill.high_order_loss`) is taken on the kept ones.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from hgnn.structure import Hypergraph

__all__ = ["entropy", "hyperedge_reliability", "sample_hyperedges"]


def entropy(logits: Tensor) -> Tensor:
    r"""Shannon entropy of :math:`\mathrm{softmax}(z)` per row, ``[N, C] -> [N]``
    (:math:`0 \log 0 = 0`, computed from log-probabilities so it is never NaN)."""
    logp = torch.log_softmax(logits, dim=1)
    return -(logp.exp() * logp).sum(dim=1)


@torch.no_grad()
def hyperedge_reliability(teacher: nn.Module, x: Tensor, hg: Hypergraph, noise: float = 1.0,
                          generator: torch.Generator | None = None) -> Tensor:
    r"""Reliability :math:`\rho_e \in [0, 1]` of every hyperedge, ``[M]`` (see the module docstring).

    The teacher runs in eval mode on ``x`` and on :math:`x \odot (1 + \sigma \varepsilon)`. The
    reference code forms ``X * (randn + 1) * noise_level``, which equals this at its default
    :math:`\sigma = 1` and also rescales the features for other levels; here :math:`\sigma` only sets
    the noise. When no hyperedge moves (:math:`\max \delta = 0`) every hyperedge gets
    :math:`\rho_e = 1`; an empty hyperedge gets :math:`\rho_e = 0`.

    Args:
        teacher: a trained model called as ``teacher(x, hg)`` returning logits ``[N, C]``.
        x: node features ``[N, F]``.
        hg: the hypergraph (``N`` nodes, ``M`` hyperedges).
        noise: :math:`\sigma \ge 0`.
        generator: the random generator for :math:`\varepsilon` (on ``x``'s device).
    """
    if not isinstance(hg, Hypergraph):
        raise TypeError(f"hg must be a Hypergraph, got {type(hg).__name__}")
    if not isinstance(x, Tensor) or not x.is_floating_point() or x.dim() != 2 or x.size(0) != hg.num_nodes:
        raise ValueError(f"x must be a floating [N={hg.num_nodes}, F] tensor, got "
                         f"{getattr(x, 'dtype', type(x))} {tuple(getattr(x, 'shape', ()))}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    was_training = teacher.training
    teacher.eval()
    try:
        eps = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        clean = hg.node_to_edge(entropy(teacher(x, hg)).unsqueeze(1), reduce="mean").squeeze(1)
        noisy = hg.node_to_edge(entropy(teacher(x * (1 + noise * eps), hg)).unsqueeze(1),
                                reduce="mean").squeeze(1)
    finally:
        teacher.train(was_training)
    delta = (noisy - clean).abs()
    top = delta.max() if delta.numel() else delta.new_zeros(())
    rho = torch.ones_like(delta) if top <= 0 else 1 - delta / top
    return torch.where(hg.edge_degree() > 0, rho, torch.zeros_like(rho))


def sample_hyperedges(reliability: Tensor, generator: torch.Generator | None = None) -> Tensor:
    r"""Keep hyperedge :math:`e` with probability :math:`\rho_e`: ``[M]`` float -> ``[M]`` bool."""
    if not isinstance(reliability, Tensor) or reliability.dim() != 1 or not reliability.is_floating_point():
        raise TypeError("reliability must be a 1-D floating tensor of probabilities")
    if bool(((reliability < 0) | (reliability > 1) | reliability.isnan()).any()):
        raise ValueError("reliability must lie in [0, 1]")
    return torch.bernoulli(reliability, generator=generator).bool()
