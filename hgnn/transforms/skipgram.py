r"""Skip-gram with negative sampling on node walks, the second half of
:func:`~hgnn.transforms.random_walk_embedding`.

Word2vec (Mikolov et al. 2013) with gensim's sampling rules (window shrinking, frequent-token
subsampling, negatives drawn :math:`\propto \mathrm{count}^{3/4}`), trained by mini-batch lazy Adam with hand-written
gradients; :func:`skipgram_embedding` states the loss and every difference from gensim.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from hgnn.transforms.random_walk_settings import DEFAULTS

__all__ = ["skipgram_embedding"]

_MIN_STEPS = 256  # skip-gram optimiser steps per epoch, at least (while walks last)


def _compact(walks: Tensor, keep: Tensor) -> Tensor:
    """Drop the tokens where ``keep`` is False and left-align each walk; ``-1`` pads the tail."""
    pos = keep.long().cumsum(1) - 1
    out = torch.full_like(walks, -1)
    rows = torch.arange(walks.size(0), device=walks.device).unsqueeze(1).expand_as(walks)
    out[rows[keep], pos[keep]] = walks[keep]
    return out


def skipgram_embedding(
    walks: Tensor,
    num_nodes: int,
    dim: int = DEFAULTS["dim"],
    window: int = DEFAULTS["window"],
    negatives: int = DEFAULTS["negatives"],
    epochs: int = DEFAULTS["epochs"],
    lr: float = DEFAULTS["lr"],
    batch_size: int = DEFAULTS["batch_size"],
    subsample: float = DEFAULTS["subsample"],
    seed: int = 0,
    progress: bool = True,
) -> Tensor:
    r"""Skip-gram with negative sampling (word2vec, Mikolov et al. 2013) on node walks.

    Each node :math:`v` has an input vector :math:`z_v` (returned) and an output vector
    :math:`z'_v`. For every centre token :math:`c` and every context token :math:`o` within
    :math:`b` positions of it in its walk, the loss is

    .. math:: -\log\sigma(z_c^\top z'_o) - \sum_{k=1}^{K} \log\sigma(-z_c^\top z'_{n_k}),
              \qquad n_k \sim P(n) \propto \mathrm{count}(n)^{3/4},

    summed over pairs and averaged per batch. As in gensim: :math:`b` is drawn uniformly in
    :math:`1..\text{window}` per centre token; tokens of frequent nodes are dropped each epoch with
    probability :math:`1 - \min\{1, (\sqrt{f/t} + 1)\, t/f\}` (:math:`f` the node's token count,
    :math:`t` = ``subsample`` :math:`\times` all tokens) before windows are taken; :math:`z` starts
    uniform in :math:`\pm 1/(2\,\text{dim})`, :math:`z'` at zero. Unlike gensim, the :math:`K`
    negatives are drawn once per centre token and shared by its :math:`m` contexts with weight
    :math:`m` (an unbiased estimate of the per-pair sum, :math:`\sim 2\,\text{window}/K` times
    fewer dot products), and training is mini-batch Adam with ``torch.optim.SparseAdam``'s lazy
    rule (only the rows in a batch, and their moments, move) and a learning rate decaying linearly
    to ``lr / 250`` (gensim: per-pair SGD, ``alpha`` 0.025 to 1e-4). The gradients are written out
    by hand and the update applied with ``index_add_``: the same arithmetic as autograd through
    ``nn.Embedding(sparse=True)`` + ``SparseAdam`` (to float round-off), about 1.8x faster on CPU.

    Args:
        walks: ``LongTensor[W, L]`` node ids in ``[0, num_nodes)``.
        num_nodes: :math:`N`, rows of the result (nodes absent from ``walks`` keep their init).
        dim: embedding size (reference 44).
        window: maximal context distance (reference 10).
        negatives: :math:`K` (gensim's default 5).
        epochs: passes over the walks (reference 1).
        lr: Adam learning rate at the first step.
        batch_size: centre tokens per step (rounded down to whole walks, at least one), lowered
            on small inputs so that an epoch has at least 256 steps (or one per walk).
        subsample: gensim's ``sample``; 0 keeps every token.
        seed: seeds initialisation, windows, subsampling, negatives and batch order.
        progress: show a tqdm bar.

    Returns:
        ``Tensor[num_nodes, dim]`` (float32, on ``walks.device``): the input vectors :math:`z`.
    """
    check_skipgram_args(num_nodes=num_nodes, dim=dim, window=window, negatives=negatives, epochs=epochs,
                        batch_size=batch_size, lr=lr, subsample=subsample)
    if not isinstance(walks, Tensor) or walks.dim() != 2 or walks.dtype != torch.long or walks.numel() == 0:
        raise ValueError("walks must be a non-empty LongTensor [num_walks, walk_length]")
    if int(walks.min()) < 0 or int(walks.max()) >= num_nodes:
        raise ValueError(f"walks hold node ids outside [0, {num_nodes})")
    from tqdm.auto import tqdm

    device = walks.device
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    num_walks, length = walks.shape
    counts = torch.bincount(walks.reshape(-1), minlength=num_nodes).double()
    noise_cum = counts.pow(0.75).cumsum(0)
    if subsample > 0:
        f = counts.clamp(min=1)
        t = subsample * walks.numel()
        keep_prob = (((f / t).sqrt() + 1) * t / f).clamp(max=1)
    z_in = (torch.rand(num_nodes, dim, device=device, generator=gen) - 0.5) / dim
    z_out = torch.zeros(num_nodes, dim, device=device)
    adam_in, adam_out = _LazyAdam(z_in), _LazyAdam(z_out)
    # at least _MIN_STEPS steps per epoch: an Adam step moves a row by about lr, so small inputs
    # (few tokens) need smaller batches to train at all
    rows_per_batch = max(1, min(int(batch_size) // length, num_walks // _MIN_STEPS))
    steps_per_epoch = math.ceil(num_walks / rows_per_batch)
    total_steps, step = epochs * steps_per_epoch, 0
    offsets = torch.cat([torch.arange(-window, 0), torch.arange(1, window + 1)]).to(device)  # [2w]
    bar = tqdm(total=total_steps, desc="skip-gram", disable=not progress, leave=False)
    for _ in range(epochs):
        tokens = walks
        if subsample > 0:
            keep = torch.rand(walks.shape, dtype=torch.float64, device=device, generator=gen) < keep_prob[walks]
            tokens = _compact(walks, keep)
        order = torch.randperm(num_walks, device=device, generator=gen)
        for start in range(0, num_walks, rows_per_batch):
            step_lr = lr * (1.0 - (1.0 - 1.0 / 250.0) * step / total_steps)
            step += 1
            bar.update(1)
            block = tokens[order[start : start + rows_per_batch]]  # [b, L]
            padded = F.pad(block, (window, window), value=-1)
            ctx = padded.unfold(1, 2 * window + 1, 1)  # [b, L, 2w + 1]
            ctx = torch.cat([ctx[..., :window], ctx[..., window + 1 :]], dim=-1)  # [b, L, 2w]
            reach = window - torch.randint(0, window, block.shape, device=device, generator=gen)
            valid = (ctx >= 0) & (block >= 0).unsqueeze(-1) & (offsets.abs() <= reach.unsqueeze(-1))
            centre_mask = valid.any(-1)
            if not bool(centre_mask.any()):
                continue
            centres = block[centre_mask]  # [C]
            flat = valid[centre_mask].reshape(-1).nonzero().squeeze(1)  # pairs, as flat [C, 2w] slots
            pair_centre = flat // (2 * window)
            contexts = ctx[centre_mask].reshape(-1).index_select(0, flat)  # [P]
            draw = torch.rand(centres.numel(), negatives, dtype=torch.float64, device=device, generator=gen)
            noise = torch.searchsorted(noise_cum, draw * noise_cum[-1], right=True).clamp(max=num_nodes - 1)
            _, g_centre, g_context, g_noise = _sgns_grads(z_in, z_out, centres, pair_centre, contexts, noise)
            adam_in.step(centres, g_centre, step_lr)
            adam_out.step(torch.cat([contexts, noise.reshape(-1)]), torch.cat([g_context, g_noise.reshape(-1, dim)]), step_lr)
    bar.close()
    return z_in


def check_skipgram_args(lr: float, subsample: float, **counts: int) -> None:
    """Raise ``ValueError`` naming the first bad setting: each of ``counts`` (``dim``, ``window``,
    ``epochs``, ...) must be at least 1, ``lr`` positive and ``subsample`` non-negative."""
    for name, value in counts.items():
        if int(value) < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    if not subsample >= 0:
        raise ValueError(f"subsample must be >= 0, got {subsample}")


def _sgns_grads(
    z_in: Tensor, z_out: Tensor, centres: Tensor, pair_centre: Tensor, contexts: Tensor, noise: Tensor
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Loss of one skip-gram batch and its gradients, by hand (no autograd graph to build).

    ``centres`` ``[C]``; pair ``i`` joins centre ``pair_centre[i]`` to node ``contexts[i]``
    (``[P]``); ``noise`` ``[C, K]`` negatives shared by a centre's :math:`m_c` pairs with weight
    :math:`m_c`. Loss :math:`\\frac{1}{P}\\big[-\\sum_i \\log\\sigma(s_i)
    - \\sum_c m_c \\sum_k \\log\\sigma(-t_{ck})\\big]`. Returns ``(loss, dL/dz_in[centres] [C, D],
    dL/dz_out[contexts] [P, D], dL/dz_out[noise] [C, K, D])``.
    """
    z = z_in.index_select(0, centres)  # [C, D]
    zc = z_out.index_select(0, contexts)  # [P, D]
    zn = z_out.index_select(0, noise.reshape(-1)).view(*noise.shape, -1)  # [C, K, D]
    zp = z.index_select(0, pair_centre)
    pos = (zp * zc).sum(-1)  # [P]
    neg = torch.bmm(zn, z.unsqueeze(-1)).squeeze(-1)  # [C, K]
    m = torch.bincount(pair_centre, minlength=centres.numel()).to(z.dtype)  # [C]
    scale = 1.0 / pair_centre.numel()
    loss = -(F.logsigmoid(pos).sum() + (F.logsigmoid(-neg).sum(-1) * m).sum()) * scale
    g_pos = (torch.sigmoid(pos) - 1.0) * scale  # dL/ds_i
    g_neg = torch.sigmoid(neg) * (m * scale).unsqueeze(-1)  # dL/dt_ck
    g_centre = torch.bmm(g_neg.unsqueeze(1), zn).squeeze(1).index_add_(0, pair_centre, g_pos.unsqueeze(-1) * zc)
    return loss, g_centre, g_pos.unsqueeze(-1) * zp, g_neg.unsqueeze(-1) * z.unsqueeze(1)


class _LazyAdam:
    """``torch.optim.SparseAdam``'s update written out for a table and a list of (row, gradient)
    pairs: gradients of repeated rows are summed, only the touched rows' moments move, bias
    correction uses the global step count."""

    def __init__(self, weight: Tensor, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.weight, self.betas, self.eps, self.t = weight, betas, eps, 0
        self.m = torch.zeros_like(weight)
        self.v = torch.zeros_like(weight)

    def step(self, rows: Tensor, grads: Tensor, lr: float) -> None:
        b1, b2 = self.betas
        self.t += 1
        rows, inverse = torch.unique(rows, return_inverse=True)
        g = grads.new_zeros(rows.numel(), grads.size(1)).index_add_(0, inverse, grads)
        m = self.m.index_select(0, rows).mul_(b1).add_(g, alpha=1 - b1)
        v = self.v.index_select(0, rows).mul_(b2).addcmul_(g, g, value=1 - b2)
        self.m.index_copy_(0, rows, m)
        self.v.index_copy_(0, rows, v)
        step_size = lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        self.weight.index_add_(0, rows, m / (v.sqrt() + self.eps), alpha=-step_size)
