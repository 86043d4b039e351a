r"""Distillation losses of LightHGNN (Feng et al., ICLR 2024): soft labels and high-order soft labels.

Two flavours of each, chosen by ``mode``:

* ``"kl"`` (default): the textbook knowledge-distillation objective (Hinton et al., 2015),
  :math:`\tau^2\, \mathrm{KL}(p^t_\tau \,\|\, p^s_\tau)` with :math:`p_\tau = \mathrm{softmax}(z/\tau)`.
* ``"reference"``: exactly what the public LightHGNN code computes. It calls
  ``F.kl_div(log_softmax(z_s), softmax(z_t), log_target=True)``: PyTorch then reads the teacher's
  *probabilities* as *log*-probabilities, so the loss is
  :math:`\sum_c e^{p^t_c}\,(p^t_c - \log p^s_c)` and its minimiser is the student distribution
  :math:`\mathrm{softmax}(p^t)`: a very flat copy of the teacher (for two classes and a teacher at
  :math:`p^t = (1, 0)` the target is :math:`(0.73, 0.27)`).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from hgnn.structure import Hypergraph

__all__ = ["KD_MODES", "soft_label_loss", "high_order_loss", "reference_target"]

KD_MODES = ("kl", "reference")


def _check(student: Tensor, teacher: Tensor, tau: float, mode: str) -> None:
    if not isinstance(student, Tensor) or not isinstance(teacher, Tensor):
        raise TypeError("student and teacher logits must be tensors")
    if student.dim() != 2 or student.shape != teacher.shape:
        raise ValueError(f"student and teacher logits must both be [N, C]; got {tuple(student.shape)} and "
                         f"{tuple(teacher.shape)}")
    if student.device != teacher.device:
        raise ValueError(f"student logits are on {student.device}, teacher logits on {teacher.device}; move one")
    if not tau > 0:
        raise ValueError(f"tau (the temperature) must be > 0, got {tau}")
    if mode not in KD_MODES:
        raise ValueError(f"mode must be one of {KD_MODES}, got {mode!r}")


def soft_label_loss(student: Tensor, teacher: Tensor, tau: float = 1.0, mode: str = "kl") -> Tensor:
    r"""LightHGNN's soft-label loss :math:`\mathcal L_{KD}` over all rows.

    .. math::
        \mathcal L_{KD} = \frac{\tau^2}{N} \sum_{v} \mathrm{KL}\big(\mathrm{softmax}(z^t_v/\tau)
        \,\big\|\, \mathrm{softmax}(z^s_v/\tau)\big)

    for ``mode="kl"``; ``mode="reference"`` computes the public code's
    ``kl_div(log_softmax(z_s), softmax(z_t), reduction="batchmean", log_target=True)`` (``tau`` unused,
    as there; see the module docstring).

    Args:
        student: student logits :math:`z^s` ``[N, C]`` (gradients flow).
        teacher: teacher logits :math:`z^t` ``[N, C]`` (treated as constants).
        tau: temperature :math:`\tau > 0`.
        mode: ``"kl"`` or ``"reference"``.

    Returns:
        a scalar.
    """
    _check(student, teacher, tau, mode)
    teacher = teacher.detach()
    if mode == "reference":
        return F.kl_div(F.log_softmax(student, dim=1), F.softmax(teacher, dim=1), reduction="batchmean",
                        log_target=True)
    return tau * tau * F.kl_div(F.log_softmax(student / tau, dim=1), F.log_softmax(teacher / tau, dim=1),
                                reduction="batchmean", log_target=True)


def high_order_loss(student: Tensor, teacher: Tensor, hg: Hypergraph, edge_mask: Tensor | None = None,
                    tau: float = 1.0, mode: str = "kl") -> Tensor:
    r"""LightHGNN+'s high-order soft-label loss :math:`\mathcal L_{HC}` on (sampled) hyperedges.

    Each hyperedge's prediction is the mean of its vertices' class distributions,
    :math:`\bar p_e = \frac{1}{|e|} \sum_{v \in e} \mathrm{softmax}(z_v/\tau)` (``[M, C]``), and

    .. math::
        \mathcal L_{HC} = \frac{\tau^2}{|E'|} \sum_{e \in E'} \mathrm{KL}\big(\bar p^t_e \,\|\, \bar p^s_e\big)

    over the hyperedges :math:`E'` selected by ``edge_mask`` (all when ``None``). ``mode="reference"``
    computes the public code's ``kl_div(log(p_s_e / tau), p_t_e / tau, log_target=True)`` with
    :math:`\bar p` taken at temperature 1. With no hyperedge selected the loss is ``0``, not NaN.

    Args:
        student, teacher: logits ``[N, C]`` (the teacher's are constants).
        hg: the hypergraph the hyperedges come from (``N`` nodes).
        edge_mask: ``[M]`` bool, the sampled hyperedges (:func:`hgnn.distill.sample_hyperedges`).
        tau: temperature.
        mode: ``"kl"`` or ``"reference"``.
    """
    _check(student, teacher, tau, mode)
    if not isinstance(hg, Hypergraph):
        raise TypeError(f"hg must be a Hypergraph, got {type(hg).__name__}")
    if student.size(0) != hg.num_nodes:
        raise ValueError(f"logits have {student.size(0)} rows but the hypergraph has {hg.num_nodes} nodes")
    if edge_mask is not None and (edge_mask.dtype != torch.bool or edge_mask.shape != (hg.num_edges,)):
        raise ValueError(f"edge_mask must be a bool tensor of shape [{hg.num_edges}], got {edge_mask.dtype} "
                         f"{tuple(edge_mask.shape)}")
    temp = 1.0 if mode == "reference" else tau
    p_s = hg.node_to_edge(F.softmax(student / temp, dim=1), reduce="mean")
    p_t = hg.node_to_edge(F.softmax(teacher.detach() / temp, dim=1), reduce="mean")
    if edge_mask is not None:
        p_s, p_t = p_s[edge_mask], p_t[edge_mask]
    if p_s.size(0) == 0:
        return student.sum() * 0.0
    if mode == "reference":
        return F.kl_div(torch.log(p_s / tau), p_t / tau, reduction="batchmean", log_target=True)
    # KL(p_t || p_s); tiny clamp: a hyperedge mean of softmaxes is > 0 except on float underflow
    tiny = torch.finfo(p_s.dtype).tiny
    log_s, log_t = p_s.clamp_min(tiny).log(), p_t.clamp_min(tiny).log()
    return tau * tau * (p_t * (log_t - log_s)).sum(dim=1).mean()


def reference_target(teacher: Tensor) -> Tensor:
    r"""The distribution the reference code's soft-label loss actually pulls the student towards:
    :math:`\mathrm{softmax}(\mathrm{softmax}(z^t))`, ``[N, C]`` (for documentation and tests)."""
    return F.softmax(F.softmax(teacher, dim=1), dim=1)
