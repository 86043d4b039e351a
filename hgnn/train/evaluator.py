"""Classification metrics and an OGB-style :class:`Evaluator`.

All metrics take integer class predictions ``y_pred`` and targets ``y_true`` of shape ``[n]``
(or logits ``[n, C]`` for ``y_pred``, reduced by ``argmax``) and return Python floats in
``[0, 1]``. They are computed with plain tensor ops on the inputs' device: no scikit-learn.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import Tensor

__all__ = ["accuracy", "confusion_matrix", "f1_score", "macro_f1", "micro_f1", "Evaluator", "METRICS"]


def _labels(y_true: Tensor, y_pred: Tensor) -> tuple[Tensor, Tensor]:
    if not isinstance(y_true, Tensor) or not isinstance(y_pred, Tensor):
        raise TypeError("y_true and y_pred must be tensors")
    if y_pred.dim() == 2:
        y_pred = y_pred.argmax(dim=-1)
    if y_true.dim() == 2 and y_true.size(1) == 1:
        y_true = y_true.view(-1)
    if y_true.dim() != 1 or y_pred.dim() != 1:
        raise ValueError(f"y_true must be [n] and y_pred [n] or [n, C]; got {tuple(y_true.shape)} and "
                         f"{tuple(y_pred.shape)}")
    if y_true.numel() != y_pred.numel():
        raise ValueError(f"y_true has {y_true.numel()} entries but y_pred has {y_pred.numel()}")
    if y_true.numel() == 0:
        raise ValueError("cannot evaluate on zero examples: the mask or index selects nothing")
    if y_true.is_floating_point() or y_pred.is_floating_point():
        raise TypeError("y_true and y_pred must hold integer class ids (pass logits as [n, C] to argmax them)")
    if y_true.device != y_pred.device:
        raise ValueError(f"y_true is on {y_true.device} but y_pred on {y_pred.device}")
    if bool((y_true < 0).any()) or bool((y_pred < 0).any()):
        raise ValueError("class ids must be non-negative (an id such as -1 marks an unlabelled row: select the "
                         "labelled rows first)")
    return y_true.long(), y_pred.long()


def accuracy(y_true: Tensor, y_pred: Tensor) -> float:
    r"""Fraction of correct predictions, :math:`\frac1n \sum_i [\hat y_i = y_i]`."""
    y_true, y_pred = _labels(y_true, y_pred)
    return (y_true == y_pred).double().mean().item()


def confusion_matrix(y_true: Tensor, y_pred: Tensor, num_classes: int | None = None) -> Tensor:
    r"""``[C, C]`` counts :math:`M_{ab} = |\{i : y_i = a, \hat y_i = b\}|` (rows: truth)."""
    y_true, y_pred = _labels(y_true, y_pred)
    if y_true.min() < 0 or y_pred.min() < 0:
        raise ValueError("class ids must be non-negative")
    c = int(max(y_true.max().item(), y_pred.max().item())) + 1 if num_classes is None else int(num_classes)
    if max(y_true.max().item(), y_pred.max().item()) >= c:
        raise ValueError(f"num_classes={c} but a class id {max(y_true.max().item(), y_pred.max().item())} occurs")
    return torch.bincount(y_true * c + y_pred, minlength=c * c).view(c, c)


def f1_score(y_true: Tensor, y_pred: Tensor, average: str = "macro", num_classes: int | None = None) -> float:
    r"""F1 score, averaged over classes as scikit-learn does.

    With per-class true positives :math:`TP_c`, false positives :math:`FP_c` and false negatives
    :math:`FN_c`:

    * ``"micro"``: :math:`\frac{2\sum_c TP_c}{2\sum_c TP_c + \sum_c FP_c + \sum_c FN_c}`, which for
      single-label classification equals accuracy;
    * ``"macro"``: :math:`\frac{1}{|K|}\sum_{c \in K} \frac{2 TP_c}{2 TP_c + FP_c + FN_c}`, over the
      classes :math:`K` that occur in ``y_true`` or ``y_pred`` (a class in neither has an undefined
      F1 and is left out, as in scikit-learn's ``labels=None``).
    """
    if average not in ("macro", "micro"):
        raise ValueError(f"average must be 'macro' or 'micro', got {average!r}")
    cm = confusion_matrix(y_true, y_pred, num_classes).double()
    tp = cm.diagonal()
    fp = cm.sum(0) - tp
    fn = cm.sum(1) - tp
    if average == "micro":
        return (2 * tp.sum() / (2 * tp.sum() + fp.sum() + fn.sum())).item()
    present = (cm.sum(0) + cm.sum(1)) > 0
    per_class = 2 * tp[present] / (2 * tp[present] + fp[present] + fn[present])
    return per_class.mean().item()


def macro_f1(y_true: Tensor, y_pred: Tensor) -> float:
    """Macro-averaged F1 (see :func:`f1_score`)."""
    return f1_score(y_true, y_pred, "macro")


def micro_f1(y_true: Tensor, y_pred: Tensor) -> float:
    """Micro-averaged F1 (see :func:`f1_score`); equals accuracy for single-label tasks."""
    return f1_score(y_true, y_pred, "micro")


#: Metric name -> function ``(y_true, y_pred) -> float``.
METRICS = {"acc": accuracy, "macro_f1": macro_f1, "micro_f1": micro_f1}


class Evaluator:
    r"""Evaluate predictions with a fixed set of metrics, in the style of OGB's evaluators.

    .. code-block:: python

        evaluator = Evaluator()                      # acc, macro_f1, micro_f1
        evaluator.eval({"y_true": y[test], "y_pred": logits[test]})
        # {'acc': 0.71, 'macro_f1': 0.69, 'micro_f1': 0.71}

    Args:
        metrics: names from :data:`METRICS` (default: all three). The first one is the
            :attr:`main` metric, the one model selection uses.
    """

    def __init__(self, metrics: Sequence[str] = ("acc", "macro_f1", "micro_f1")) -> None:
        if isinstance(metrics, str):
            metrics = (metrics,)
        unknown = [m for m in metrics if m not in METRICS]
        if unknown or not metrics:
            raise ValueError(f"unknown metrics {unknown or metrics}; choose from {sorted(METRICS)}")
        self.metrics = tuple(metrics)

    @property
    def main(self) -> str:
        """The metric used for model selection (the first)."""
        return self.metrics[0]

    def eval(self, input_dict: Mapping[str, Tensor]) -> dict[str, float]:
        """``{"y_true": [n], "y_pred": [n] or [n, C]}`` -> ``{metric: value}``."""
        if "y_true" not in input_dict or "y_pred" not in input_dict:
            raise ValueError("input_dict must have the keys 'y_true' and 'y_pred'")
        y_true, y_pred = _labels(input_dict["y_true"], input_dict["y_pred"])
        return {m: METRICS[m](y_true, y_pred) for m in self.metrics}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(metrics={self.metrics})"
