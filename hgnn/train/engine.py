r"""The training engine: one loop for every model, batch kind and objective in hgnn.

:func:`fit_loop` runs epochs of gradient steps over pluggable batches and, between epochs, an
evaluation that selects the weights to keep. What differs between tasks is passed in:

* ``batches``: what one epoch iterates over: ``[None]`` for one full-graph step, a
  :class:`~hgnn.loader.NodeLoader` / :class:`~hgnn.loader.HyperedgeLoader` of mini-batches, a
  PyG ``DataLoader`` of graphs, or a callable ``epoch -> iterable`` that draws fresh batches;
* ``step``: ``batch -> loss``, the scalar to minimise on that batch (optionally with the batch's
  weight in the epoch's mean loss);
* ``evaluate``: ``() -> {name: value}``, run in eval mode without gradients; ``monitor`` names the
  value that selects the best weights (``mode="max"`` for scores, ``"min"`` for losses).

Each step is

.. math::
    \theta \leftarrow \mathrm{opt}\big(\theta, \nabla_\theta\, \mathcal L(\theta; B)\big),

with the gradient norm clipped to ``clip_norm`` (per parameter group) and the scheduler stepped
per batch or per epoch. The weights of the evaluation with the best ``monitor`` value are kept
(strictly better wins, so the earliest of equal values stays) and loaded back at the end; with
``patience``, training stops after that many evaluations in a row without a better value.

With ``checkpoint``, the state after every evaluation (weights, optimizer, scheduler, RNG states,
the best weights so far and the history) is written atomically with
:func:`~hgnn.train.checkpoint.save_checkpoint`; ``resume=True`` continues a run from that file
and ends with the same weights as an uninterrupted run (on the CPU, when every random draw comes
from the global generators: see :mod:`hgnn.train.checkpoint`).
"""
from __future__ import annotations

import copy
import math
import operator
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from hgnn.io import check_output_path
from hgnn.train.checkpoint import load_checkpoint, save_checkpoint

__all__ = ["LoopResult", "fit_loop", "seed_everything"]


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
class LoopResult:
    """What :func:`fit_loop` returns.

    Attributes:
        best_epoch: the epoch (0-based) whose weights were kept (the last one without ``evaluate``).
        best_score: the ``monitor`` value at ``best_epoch`` (``nan`` without ``evaluate``).
        epochs_run: epochs trained, counting any before a resume (fewer than asked after early stopping).
        history: per epoch ``loss`` (mean training loss, weighted by the batches' weights) and
            ``epoch_s`` (seconds of training); per evaluation ``eval_epoch`` and every value
            ``evaluate`` returned.
        seconds: wall time of this call (training and evaluation).
    """

    best_epoch: int
    best_score: float
    epochs_run: int
    history: dict[str, list[float]] = field(repr=False)
    seconds: float

    def at_best(self, key: str) -> float:
        """``history[key]`` at the kept epoch: a per-epoch entry (``loss``) or a per-evaluation one."""
        if key not in self.history:
            raise KeyError(f"no {key!r} in the history; it has {sorted(self.history)}")
        values = self.history[key]
        if len(values) == len(self.history["loss"]):
            return values[self.best_epoch]
        return values[self.history["eval_epoch"].index(self.best_epoch)]


def _check_args(model: Any, optimizer: Any, step: Any, epochs: Any, evaluate: Any, monitor: Any, mode: Any,
                patience: Any, eval_every: Any, scheduler: Any, scheduler_interval: Any, clip_norm: Any,
                resume: bool, checkpoint: Any) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (wrap several in an nn.ModuleList), got "
                        f"{type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if not callable(step):
        raise TypeError("step must be a callable batch -> loss")
    for name, value in (("epochs", epochs), ("eval_every", eval_every)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
        raise ValueError(f"patience must be an int >= 1 or None, got {patience!r}")
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' (scores) or 'min' (losses), got {mode!r}")
    if evaluate is not None and not callable(evaluate):
        raise TypeError("evaluate must be a callable () -> {name: value} or None")
    if evaluate is not None and not isinstance(monitor, str):
        raise ValueError("with evaluate, monitor must name the value that selects the best epoch "
                         "(one of the keys evaluate returns)")
    if evaluate is None and patience is not None:
        raise ValueError("patience needs evaluate (early stopping watches the monitored value)")
    if evaluate is None and monitor is not None:
        raise ValueError(f"monitor={monitor!r} needs evaluate (the callable that returns it); without evaluate the "
                         "last epoch's weights are kept")
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must have a step() method, got {type(scheduler).__name__}")
    if clip_norm is not None and not (isinstance(clip_norm, (int, float)) and clip_norm > 0):
        raise ValueError(f"clip_norm must be a positive number or None, got {clip_norm!r}")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint= (the file to continue from)")


def _mean_loss(out: Any, epoch: int) -> tuple[Tensor, float]:
    loss, weight = out if isinstance(out, tuple) else (out, 1.0)
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        raise TypeError(f"step must return a scalar loss tensor (or (loss, weight)), got {type(loss).__name__}"
                        + (f" of shape {tuple(loss.shape)}" if isinstance(loss, Tensor) else ""))
    if not bool(torch.isfinite(loss.detach())):
        raise FloatingPointError(f"the training loss became {loss.item()} at epoch {epoch}; lower the learning "
                                 "rate or check the inputs")
    return loss, float(weight)


def fit_loop(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterable[Any] | Callable[[int], Iterable[Any]],
    step: Callable[[Any], Tensor | tuple[Tensor, float]],
    *,
    epochs: int,
    evaluate: Callable[[], Mapping[str, float]] | None = None,
    monitor: str | None = None,
    mode: str = "max",
    patience: int | None = None,
    eval_every: int = 1,
    scheduler: Any = None,
    scheduler_interval: str = "epoch",
    clip_norm: float | None = None,
    clip_groups: Sequence[Iterable[nn.Parameter]] | None = None,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = False,
    desc: str | None = None,
) -> LoopResult:
    r"""Train ``model`` for up to ``epochs`` epochs of ``step`` over ``batches`` and keep the best
    evaluated weights (module docstring).

    Args:
        model: every trained module (an ``nn.ModuleList`` for several, e.g. a model and a trainable
            embedding); it is put in train mode for the steps and eval mode for ``evaluate``, and
            its ``state_dict`` is what is kept and checkpointed.
        optimizer: over the parameters to train.
        batches: an iterable re-iterated each epoch (``[None]``: one full-batch step per epoch), or
            ``epoch -> iterable``.
        step: ``batch -> loss`` or ``batch -> (loss, weight)``: the scalar to minimise (the engine
            runs ``zero_grad``, ``backward``, clipping and ``optimizer.step()`` around it) and the
            batch's weight in the epoch's mean loss (default 1).
        epochs: the maximum number of epochs.
        evaluate: ``() -> {name: float}``, run without gradients after every ``eval_every``-th
            epoch and after the last; ``None`` keeps the final weights.
        monitor: the key of ``evaluate``'s result that selects the weights.
        mode: ``"max"`` (a score) or ``"min"`` (a loss).
        patience: stop after this many evaluations in a row without a better ``monitor`` value.
        eval_every: evaluate every this many epochs.
        scheduler: a learning-rate scheduler stepped every ``scheduler_interval`` (``"epoch"`` or
            ``"batch"``).
        clip_norm: clip the gradient norm to this value before each step, separately for each of
            ``clip_groups`` (default: all of ``model``'s parameters as one group).
        checkpoint: a file written (atomically) after every evaluation, or after every epoch
            without ``evaluate``.
        resume: continue from ``checkpoint`` when it exists (start afresh when it does not).
        progress: a tqdm bar with the loss and the monitored value.
        desc: the bar's label.

    Returns:
        A :class:`LoopResult`; ``model`` holds the kept weights, in eval mode.

    Raises:
        FloatingPointError: the loss became NaN or infinite, or the monitored value NaN (the epoch is named).
        TypeError, ValueError: bad arguments, before any training.
    """
    _check_args(model, optimizer, step, epochs, evaluate, monitor, mode, patience, eval_every, scheduler,
                scheduler_interval, clip_norm, resume, checkpoint)
    if checkpoint is not None:
        checkpoint = check_output_path(checkpoint, "checkpoint")
    groups = [list(g) for g in clip_groups] if clip_groups is not None else [list(model.parameters())]
    better = operator.gt if mode == "max" else operator.lt

    history: dict[str, list[float]] = {"loss": [], "epoch_s": [], "eval_epoch": []}
    best_score, best_epoch, best_state, bad, first = (-math.inf if mode == "max" else math.inf), -1, None, 0, 0
    if resume and Path(checkpoint).is_file():
        state = load_checkpoint(checkpoint, model=model, optimizer=optimizer, scheduler=scheduler)
        history = {k: list(v) for k, v in state["history"].items()}
        best_score, best_epoch, bad = state["best_score"], state["best_epoch"], state["bad"]
        best_state = state["best_state"]
        first = state["epoch"] + 1
        if state.get("stopped"):
            first = epochs

    start = time.perf_counter()
    bar = tqdm(range(first, epochs), desc=desc, leave=False, disable=not progress, dynamic_ncols=True)
    stopped = False
    for epoch in bar:
        t0 = time.perf_counter()
        model.train()
        total, weight = 0.0, 0.0
        for batch in (batches(epoch) if callable(batches) else batches):
            optimizer.zero_grad(set_to_none=True)
            loss, w = _mean_loss(step(batch), epoch)
            loss.backward()
            if clip_norm is not None:
                for group in groups:
                    nn.utils.clip_grad_norm_(group, max_norm=clip_norm)
            optimizer.step()
            if scheduler is not None and scheduler_interval == "batch":
                scheduler.step()
            total += loss.item() * w
            weight += w
        if weight == 0:
            raise ValueError(f"batches yielded nothing at epoch {epoch}; pass a non-empty iterable ([None] for "
                             "one full-batch step)")
        if scheduler is not None and scheduler_interval == "epoch":
            scheduler.step()
        history["loss"].append(total / weight)
        history["epoch_s"].append(time.perf_counter() - t0)
        postfix = {"loss": f"{history['loss'][-1]:.3f}"}

        evaluated = evaluate is not None and ((epoch + 1) % eval_every == 0 or epoch == epochs - 1)
        if evaluated:
            model.eval()
            with torch.no_grad():
                scores = dict(evaluate())
            if monitor not in scores:
                raise KeyError(f"evaluate() returned {sorted(scores)}, without the monitored {monitor!r}")
            history["eval_epoch"].append(epoch)
            for key, value in scores.items():
                history.setdefault(key, []).append(float(value))
            value = float(scores[monitor])
            if math.isnan(value):
                raise FloatingPointError(f"the monitored {monitor!r} is NaN at epoch {epoch}: no weights can be "
                                         "chosen by it; check what evaluate() computes (e.g. a metric over no rows, "
                                         "or a model whose outputs became NaN)")
            if better(value, best_score):
                best_score, best_epoch, bad = value, epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                bad += 1
            stopped = patience is not None and bad >= patience
            postfix.update(val=f"{value:.4f}", best=f"{best_score:.4f}")
        bar.set_postfix(postfix, refresh=False)
        if checkpoint is not None and (evaluated or evaluate is None or epoch == epochs - 1 or stopped):
            save_checkpoint(checkpoint, model=model, optimizer=optimizer, scheduler=scheduler, epoch=epoch,
                            history=history, best_score=best_score, best_epoch=best_epoch, bad=bad,
                            best_state=best_state, stopped=stopped)
        if stopped:
            break
    bar.close()
    seconds = time.perf_counter() - start

    if evaluate is None:
        best_epoch, best_score = len(history["loss"]) - 1, math.nan
    elif best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return LoopResult(best_epoch=best_epoch, best_score=best_score, epochs_run=len(history["loss"]),
                      history=history, seconds=seconds)
