r"""LightHGNN and LightHGNN+: distil a trained HGNN into an MLP (Feng et al., ICLR 2024).

The student is an MLP on node features alone (:func:`mlp_student`); it learns from the teacher's
soft labels on every node of the setting, and LightHGNN+ adds the high-order soft labels of
reliable hyperedges:

.. math::
    \mathcal L = \lambda\, \mathrm{CE}(z^s_{V_{train}}, y_{V_{train}})
               + (1 - \lambda)\,\big(\mathcal L_{KD}(z^s, z^t) + [\mathcal L_{HC}(z^s, z^t; E_{\rho})]\big)

with :math:`\mathcal L_{KD}` from :func:`~hgnn.distill.soft_label_loss`, :math:`\mathcal L_{HC}` from
:func:`~hgnn.distill.high_order_loss` on the hyperedges :math:`E_\rho` sampled afresh each step
with probability :math:`\rho_e` (:func:`~hgnn.distill.hyperedge_reliability`), the bracketed term
for LightHGNN+ only. The reference configuration uses :math:`\lambda = 0` and :math:`\tau = 1`.

Example::

    teacher = HGNN(F, C); fit(teacher, hg, split)
    student = mlp_student(F, C)
    result = distill(student, teacher, hg, split, plus=True)
    student(x_new)          # no hypergraph needed at inference
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.distill.losses import KD_MODES, high_order_loss, soft_label_loss
from hgnn.distill.reliability import hyperedge_reliability, sample_hyperedges
from hgnn.nn import MLP
from hgnn.structure import Hypergraph
from hgnn.train.evaluator import Evaluator
from hgnn.train.splits import Split
from hgnn.train import FitResult, fit

__all__ = ["LightHGNNLoss", "distill", "mlp_student", "teacher_logits"]


def mlp_student(in_channels: int, out_channels: int, hidden_channels: int = 128, num_layers: int = 2,
                dropout: float = 0.5, use_bn: bool = True) -> MLP:
    r"""LightHGNN's student: ``Linear(F, 128) -> ReLU -> BatchNorm -> Dropout(0.5) -> Linear(128, C)``.

    An :class:`~hgnn.nn.MLP`; ``student(x)`` maps ``[N, F]`` to ``[N, C]`` with no hypergraph.
    """
    return MLP(in_channels, out_channels, hidden_channels=hidden_channels, num_layers=num_layers,
               dropout=dropout, use_bn=use_bn)


@torch.no_grad()
def teacher_logits(teacher: nn.Module, x: Tensor, hg: Hypergraph) -> Tensor:
    """The teacher's logits ``[N, C]`` in eval mode, as constants (its train/eval mode is restored)."""
    was_training = teacher.training
    teacher.eval()
    try:
        out = teacher(x, hg)
    finally:
        teacher.train(was_training)
    if not bool(torch.isfinite(out).all()):
        raise ValueError("the teacher's logits contain NaN or inf; check the teacher and the features")
    return out.detach()


class LightHGNNLoss(nn.Module):
    r"""The LightHGNN / LightHGNN+ objective as a callable ``loss(student_logits) -> scalar``.

    See the module docstring for :math:`\mathcal L`. Pass it to :func:`hgnn.train.fit` as
    ``loss_fn``. With ``reliability`` (``[M]``) it is LightHGNN+: each call samples a fresh set of
    hyperedges from ``reliability`` (with ``generator``) for the high-order term.

    Args:
        teacher_logits: :math:`z^t` ``[N, C]``.
        y: labels ``[N]``; only ``y[train_mask]`` is read (and only when ``lamb > 0``).
        train_mask: ``[N]`` bool, the labelled training nodes.
        hg: the hypergraph (needed for LightHGNN+).
        reliability: ``[M]`` hyperedge reliabilities :math:`\rho` (LightHGNN+) or ``None`` (LightHGNN).
        lamb: :math:`\lambda \in [0, 1]`, the weight of the label cross-entropy.
        tau: temperature.
        mode: ``"kl"`` (textbook KL) or ``"reference"`` (the public code's loss); see
            :mod:`hgnn.distill.losses`.
        generator: random generator for the hyperedge sampling.
    """

    def __init__(self, teacher_logits: Tensor, y: Tensor, train_mask: Tensor, hg: Hypergraph | None = None,
                 reliability: Tensor | None = None, lamb: float = 0.0, tau: float = 1.0, mode: str = "kl",
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= lamb <= 1.0:
            raise ValueError(f"lamb must be in [0, 1], got {lamb}")
        if not tau > 0:
            raise ValueError(f"tau must be > 0, got {tau}")
        if mode not in KD_MODES:
            raise ValueError(f"mode must be one of {KD_MODES}, got {mode!r}")
        n = teacher_logits.size(0)
        if train_mask.dtype != torch.bool or train_mask.shape != (n,) or y.shape != (n,):
            raise ValueError(f"train_mask must be bool [{n}] and y [{n}], like the teacher logits' rows")
        if reliability is not None:
            if hg is None:
                raise ValueError("LightHGNN+ (reliability given) needs the hypergraph hg")
            if reliability.shape != (hg.num_edges,):
                raise ValueError(f"reliability must be [{hg.num_edges}] (one per hyperedge), got "
                                 f"{tuple(reliability.shape)}")
        self.teacher_logits, self.y, self.train_mask = teacher_logits.detach(), y, train_mask
        self.hg, self.reliability = hg, reliability
        self.lamb, self.tau, self.mode, self.generator = lamb, tau, mode, generator

    @property
    def plus(self) -> bool:
        """Whether the high-order term is on (LightHGNN+)."""
        return self.reliability is not None

    def forward(self, student_logits: Tensor) -> Tensor:
        """``[N, C]`` student logits -> the scalar loss."""
        soft = soft_label_loss(student_logits, self.teacher_logits, self.tau, self.mode)
        if self.plus:
            mask = sample_hyperedges(self.reliability, self.generator)
            soft = soft + high_order_loss(student_logits, self.teacher_logits, self.hg, mask, self.tau, self.mode)
        if self.lamb == 0.0:
            return soft
        ce = F.cross_entropy(student_logits[self.train_mask], self.y[self.train_mask])
        return self.lamb * ce + (1 - self.lamb) * soft


def distill(
    student: nn.Module,
    teacher: nn.Module,
    hg: Hypergraph,
    split: Split,
    *,
    plus: bool = False,
    x: Tensor | None = None,
    y: Tensor | None = None,
    student_x: Tensor | None = None,
    augment: float = 0.0,
    lamb: float = 0.0,
    tau: float = 1.0,
    mode: str = "kl",
    noise: float = 1.0,
    epochs: int = 200,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    seed: int | None = None,
    evaluator: Evaluator | None = None,
    progress: bool = True,
    desc: str | None = None,
) -> FitResult:
    r"""Train ``student`` (an MLP on ``x``) from a trained ``teacher`` on ``hg``: LightHGNN, or
    LightHGNN+ with ``plus=True``.

    The teacher's logits on every node of ``hg`` (eval mode) are the soft labels; for LightHGNN+ the
    hyperedge reliabilities are computed once (:func:`~hgnn.distill.hyperedge_reliability`, noise
    ``noise``). Then :func:`hgnn.train.fit` runs ``epochs`` Adam steps on :class:`LightHGNNLoss`
    and keeps the student of the best validation accuracy (reference: 200 epochs, lr 0.01,
    weight decay 5e-4). ``student`` is called as ``student(x, hg)``; an :class:`~hgnn.nn.MLP`
    ignores ``hg``.

    Args:
        student: the MLP to train (e.g. :func:`mlp_student`).
        teacher: a trained ``teacher(x, hg) -> [N, C]``.
        hg, split: the hypergraph the teacher was trained on and its train / val / test masks.
        plus: LightHGNN+ (high-order soft labels on reliable hyperedges).
        x, y: features and labels (default ``hg.x`` / ``hg.y``); the teacher reads ``x``.
        student_x: what the student reads, ``[N, F']`` (default ``x``; e.g. the one-hop input of
            :func:`~hgnn.distill.student_input`).
        augment: function matching (Beyer et al., "Knowledge distillation: A good teacher is
            patient and consistent", CVPR 2022): with :math:`p > 0`, every step zeroes each entry of
            ``x`` with probability :math:`p` (inverted dropout) and the student matches the
            teacher's outputs *on that same corrupted input*, so it learns the teacher's function
            around the training vertices, not only at them. Needs the student to read ``x``
            (not with ``student_x``). ``0`` (default): the fixed soft labels of LightHGNN.
        lamb, tau, mode: see :class:`LightHGNNLoss`.
        noise: feature-noise level :math:`\sigma` of the reliability quantification.
        epochs, lr, weight_decay: the student's optimisation.
        seed: seeds the noise and the hyperedge sampling (``None``: the global RNG).
        evaluator, progress, desc: passed to :func:`hgnn.train.fit`.

    Returns:
        the student's :class:`~hgnn.train.FitResult` (the student holds its best weights).
    """
    if not isinstance(hg, Hypergraph):
        raise TypeError(f"hg must be a Hypergraph, got {type(hg).__name__}")
    x = hg.x if x is None else x
    y = hg.y if y is None else y
    if x is None or y is None:
        raise ValueError("node features and labels are needed: pass x= and y= or set hg.x and hg.y")
    if not 0.0 <= augment < 1.0:
        raise ValueError(f"augment (the share of input entries dropped) must be in [0, 1), got {augment}")
    if augment > 0 and student_x is not None:
        raise ValueError("augment corrupts x for teacher and student alike; it cannot be combined with student_x")
    if student_x is not None and (not isinstance(student_x, Tensor) or student_x.dim() != 2
                                  or student_x.size(0) != x.size(0)):
        raise ValueError(f"student_x must be a [{x.size(0)}, F'] tensor (one row per node), got "
                         f"{tuple(student_x.shape) if isinstance(student_x, Tensor) else type(student_x).__name__}")
    generator = None
    if seed is not None:
        generator = torch.Generator(device=x.device).manual_seed(int(seed))
    z_t = teacher_logits(teacher, x, hg)
    reliability = hyperedge_reliability(teacher, x, hg, noise, generator) if plus else None
    loss = LightHGNNLoss(z_t, y, split[0], hg, reliability, lamb=lamb, tau=tau, mode=mode, generator=generator)
    if augment > 0:
        matched = _FunctionMatching(student, teacher, hg, augment)

        def matched_loss(logits: Tensor) -> Tensor:
            loss.teacher_logits = matched.teacher_out
            return loss(logits)

        return fit(matched, hg, split, x=x, y=y, epochs=epochs, lr=lr, weight_decay=weight_decay,
                   evaluator=evaluator, loss_fn=matched_loss, progress=progress, desc=desc)
    return fit(student, hg, split, x=x if student_x is None else student_x, y=y, epochs=epochs, lr=lr,
               weight_decay=weight_decay, evaluator=evaluator, loss_fn=loss, progress=progress, desc=desc)


class _FunctionMatching(nn.Module):
    """Wraps a student for :func:`distill`'s ``augment``: in training mode the input loses a share
    ``p`` of its entries and the teacher's logits on that input are kept for the loss; in eval mode
    the student alone. The teacher is held outside the module tree (not trained, not saved)."""

    def __init__(self, student: nn.Module, teacher: nn.Module, hg: Hypergraph, p: float) -> None:
        super().__init__()
        self.student, self.p = student, p
        self._teacher, self._hg = (teacher,), hg
        self.teacher_out: Tensor | None = None

    def forward(self, x: Tensor, hg: Hypergraph | None = None) -> Tensor:
        if self.training:
            x = F.dropout(x, self.p, True)
            self.teacher_out = teacher_logits(self._teacher[0], x, self._hg)
        return self.student(x)

