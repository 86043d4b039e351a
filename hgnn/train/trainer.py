"""A small full-batch trainer for node classification with early stopping on validation."""
from __future__ import annotations

import copy
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from hgnn.structure import Hypergraph
from hgnn.train.evaluator import METRICS, Evaluator
from hgnn.train.splits import Split

__all__ = ["BestEpochTracker", "FitResult", "fit", "seed_everything"]


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy (when installed) and torch (CPU and every CUDA device)."""
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % 2**32)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    torch.manual_seed(seed)


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        best_epoch: the epoch (0-based) whose weights were kept: the best validation score.
        epochs_run: epochs actually trained (fewer than asked when early stopping fired).
        train, val, test: every evaluator metric at ``best_epoch`` on each part of the split.
        history: per-epoch ``loss`` (training cross-entropy, in train mode), ``val_loss``, and the
            main metric as ``train_<metric>`` / ``val_<metric>`` (eval mode).
        seconds: wall time of the training loop (evaluation included).
    """

    best_epoch: int
    epochs_run: int
    train: dict[str, float]
    val: dict[str, float]
    test: dict[str, float]
    history: dict[str, list[float]] = field(repr=False)
    seconds: float

    @property
    def epoch_ms(self) -> float:
        """Mean milliseconds per epoch (one training step plus one evaluation pass)."""
        return 1e3 * self.seconds / max(self.epochs_run, 1)

    def to_dict(self, history: bool = True) -> dict[str, Any]:
        """A JSON-ready dict (``history=False`` drops the per-epoch curves)."""
        out = asdict(self)
        out["epoch_ms"] = self.epoch_ms
        if not history:
            out.pop("history")
        return out


def _check_split(split: Split, n: int, device: torch.device) -> None:
    if not isinstance(split, tuple) or len(split) != 3:
        raise TypeError("split must be a Split(train, val, test) of boolean masks")
    for name, mask in zip(("train", "val", "test"), split):
        if not isinstance(mask, Tensor) or mask.dtype != torch.bool or mask.shape != (n,):
            raise ValueError(f"split.{name} must be a bool mask of shape [{n}], got "
                             f"{getattr(mask, 'dtype', type(mask))} {tuple(getattr(mask, 'shape', ()))}")
        if mask.device != device:
            raise ValueError(f"split.{name} is on {mask.device} but the features are on {device}; move it")
        if not bool(mask.any()):
            raise ValueError(f"split.{name} selects no node")
    if bool((split.train & split.val).any() | (split.train & split.test).any() | (split.val & split.test).any()):
        raise ValueError("split.train, split.val and split.test must be disjoint")


def _check_fit_inputs(hg: Hypergraph, x: Tensor | None, y: Tensor | None, split: Split, epochs: int,
                      patience: int | None) -> tuple[Tensor, Tensor, Split]:
    """The argument checks :func:`fit` and :func:`hgnn.train.minibatch.fit_minibatch` share:
    returns ``x`` and ``y`` (default ``hg.x`` / ``hg.y``) and ``split`` as a :class:`Split`."""
    if not isinstance(hg, Hypergraph):
        raise TypeError(f"hg must be a Hypergraph, got {type(hg).__name__}")
    x = hg.x if x is None else x
    y = hg.y if y is None else y
    if x is None or y is None:
        raise ValueError("node features and labels are needed: pass x= and y= or set hg.x and hg.y")
    if not x.is_floating_point():
        raise TypeError(f"x must be floating point, got {x.dtype}; use x.float()")
    if x.dim() != 2 or x.size(0) != hg.num_nodes or y.shape != (hg.num_nodes,):
        raise ValueError(f"x must be [{hg.num_nodes}, F] and y [{hg.num_nodes}]; got {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x contains NaN or inf; clean or impute the features before training")
    if y.is_floating_point():
        raise TypeError(f"y must hold integer class ids, got {y.dtype}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if patience is not None and patience < 1:
        raise ValueError(f"patience must be >= 1 or None, got {patience}")
    if isinstance(split, tuple) and not isinstance(split, Split) and len(split) == 3:
        split = Split(*split)
    _check_split(split, hg.num_nodes, x.device)
    if bool((y[split.train | split.val | split.test] < 0).any()):
        raise ValueError("the split selects unlabelled nodes (y < 0)")
    return x, y, split


class BestEpochTracker:
    """Per-epoch history and the weights of the best validation epoch (strictly better wins, so the
    earliest of equal scores is kept), with early stopping after ``patience`` epochs without
    improvement. Shared by :func:`fit` and :func:`hgnn.train.minibatch.fit_minibatch`."""

    def __init__(self, metric: str, patience: int | None = None) -> None:
        self.metric, self.patience = metric, patience
        self.history: dict[str, list[float]] = {"loss": [], "val_loss": [], f"train_{metric}": [],
                                                f"val_{metric}": []}
        self.best_score, self.best_epoch, self.best_state = -float("inf"), -1, None

    def update(self, model: nn.Module, epoch: int, loss: float, val_loss: float, train_score: float,
               val_score: float) -> bool:
        """Record one epoch; keep ``model``'s weights when ``val_score`` is the best so far. Returns
        whether to stop (patience exhausted)."""
        for key, value in (("loss", loss), ("val_loss", val_loss), (f"train_{self.metric}", train_score),
                           (f"val_{self.metric}", val_score)):
            self.history[key].append(value)
        if val_score > self.best_score:
            self.best_score, self.best_epoch = val_score, epoch
            self.best_state = copy.deepcopy(model.state_dict())
        return self.patience is not None and epoch - self.best_epoch >= self.patience


def fit(
    model: nn.Module,
    hg: Hypergraph,
    split: Split,
    *,
    x: Tensor | None = None,
    y: Tensor | None = None,
    epochs: int = 200,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    patience: int | None = None,
    evaluator: Evaluator | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    loss_fn: Callable[[Tensor], Tensor] | None = None,
    progress: bool = True,
    desc: str | None = None,
) -> FitResult:
    r"""Train ``model(x, hg) -> [N, C]`` logits full-batch and keep the best validation epoch.

    Each epoch is one Adam step on the cross-entropy of the training nodes,

    .. math::
        \mathcal L = -\frac{1}{|V_{train}|} \sum_{v \in V_{train}} \log \mathrm{softmax}(Z_v)_{y_v},

    followed by an evaluation pass (``model.eval()``, no gradients). The weights of the epoch with the
    highest validation score (the evaluator's main metric; the earliest epoch wins ties) are loaded
    back into ``model`` before the final train / val / test evaluation. With ``patience``, training
    stops once that many epochs pass without a better validation score.

    ``loss_fn`` replaces the cross-entropy: it gets the ``[N, C]`` logits of every node (train mode)
    and returns the scalar to minimise, e.g. a distillation loss
    (:class:`hgnn.distill.LightHGNNLoss`); model selection stays on the validation labels.

    Args:
        model: a module called as ``model(x, hg)``.
        hg: the hypergraph (on the model's device).
        split: boolean ``[N]`` masks (:mod:`hgnn.train.splits`).
        x, y: node features ``[N, F]`` and labels ``[N]``; default ``hg.x`` / ``hg.y``.
        epochs: maximum number of epochs.
        lr, weight_decay: Adam's settings (ignored when ``optimizer`` is given).
        patience: early-stopping patience in epochs (``None``: train all epochs).
        evaluator: metrics (default: accuracy, macro-F1, micro-F1; accuracy selects).
        loss_fn: ``logits [N, C] -> scalar`` training objective (default: cross-entropy on
            ``split.train``).
        progress: show a tqdm bar with the running validation score.
        desc: the bar's label.
    """
    x, y, split = _check_fit_inputs(hg, x, y, split, epochs, patience)
    evaluator = evaluator or Evaluator()
    main_metric = METRICS[evaluator.main]
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    y_train, y_val = y[split.train], y[split.val]

    tracker = BestEpochTracker(evaluator.main, patience)
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc=desc, leave=False, disable=not progress, dynamic_ncols=True)
    for epoch in bar:
        model.train()
        optimizer.zero_grad()
        logits = model(x, hg)
        loss = F.cross_entropy(logits[split.train], y_train) if loss_fn is None else loss_fn(logits)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"the training loss became {loss.item()} at epoch {epoch}; lower the "
                                     "learning rate or check the features")
        loss.backward()
        optimizer.step()

        model.eval()
        with torch.no_grad():
            logits = model(x, hg)
        val_logits = logits[split.val]
        score = main_metric(y_val, val_logits)
        stop = tracker.update(model, epoch, loss.item(), F.cross_entropy(val_logits, y_val).item(),
                              main_metric(y_train, logits[split.train]), score)
        bar.set_postfix(loss=f"{loss.item():.3f}", val=f"{score:.3f}", best=f"{tracker.best_score:.3f}",
                        refresh=False)
        if stop:
            break
    seconds = time.perf_counter() - start
    bar.close()

    model.load_state_dict(tracker.best_state)
    model.eval()
    with torch.no_grad():
        logits = model(x, hg)
    parts = {name: evaluator.eval({"y_true": y[mask], "y_pred": logits[mask]})
             for name, mask in zip(("train", "val", "test"), split)}
    return FitResult(best_epoch=tracker.best_epoch, epochs_run=len(tracker.history["loss"]),
                     history=tracker.history, seconds=seconds, **parts)
