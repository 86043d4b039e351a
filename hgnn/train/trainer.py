r"""Node classification on the training engine: full-graph (:func:`fit`) and mini-batch
(:func:`fit_minibatch`) training with early stopping on validation.

Both are :func:`hgnn.train.engine.fit_loop` with node batches plugged in: :func:`fit` takes one
step per epoch on the whole hypergraph, :func:`fit_minibatch` one step per
:class:`~hgnn.loader.NodeLoader` batch of training nodes (sampled neighbourhoods) and evaluates on
exact batches (:func:`~hgnn.loader.node_neighborhood` without caps), so its memory is bounded by
the batch, not the hypergraph. A step minimises the cross-entropy of its target nodes,

.. math::
    \mathcal L_B = -\frac{1}{|B|} \sum_{v \in B} \log \mathrm{softmax}\big(f_\theta(X_{S(B)}, H_{S(B)})_v\big)_{y_v},

with :math:`S(B)` the whole hypergraph (full graph) or the batch's sampled neighbourhood.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.loader import NodeLoader
from hgnn.structure import Hypergraph
from hgnn.train.engine import fit_loop
from hgnn.train.evaluator import METRICS, Evaluator
from hgnn.train.splits import Split

__all__ = ["FitResult", "fit", "fit_minibatch", "predict_minibatch"]

@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        best_epoch: the epoch (0-based) whose weights were kept: the best validation score.
        epochs_run: epochs actually trained (fewer than asked when early stopping fired).
        train, val, test: every evaluator metric at ``best_epoch`` on each part of the split.
        history: per-epoch ``loss`` (training cross-entropy, in train mode), ``val_loss``, and the main metric as ``train_<metric>`` / ``val_<metric>``
            (eval mode; :func:`fit_minibatch` takes ``train_<metric>`` from the training batches).
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
    """The argument checks :func:`fit` and :func:`fit_minibatch` share:
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




def _curves(history: dict[str, list[float]]) -> dict[str, list[float]]:
    """The per-epoch curves of a node fit (every epoch is evaluated, so ``eval_epoch`` says nothing;
    timings are in ``FitResult.seconds``)."""
    return {k: v for k, v in history.items() if k not in ("epoch_s", "eval_epoch")}


def _final_parts(evaluator: Evaluator, y: Tensor, split: Split, predict: Callable[[Tensor], Tensor]
                 ) -> dict[str, dict[str, float]]:
    return {name: evaluator.eval({"y_true": y[mask].to(logits.device), "y_pred": logits})
            for name, mask in zip(("train", "val", "test"), split) for logits in [predict(mask)]}


def _check_logits(logits: Tensor, y: Tensor, num_nodes: int) -> None:
    """Raise ``ValueError`` unless ``logits`` is ``[N, C]`` with a column for every class of ``y``."""
    if logits.dim() != 2 or logits.size(0) != num_nodes:
        raise ValueError(f"the model must return logits [N={num_nodes}, C], got {list(logits.shape)}")
    top = int(y.max()) if y.numel() else -1
    if top >= logits.size(1):
        raise ValueError(f"y has class id {top} but the model returns {logits.size(1)} classes; build it with "
                         f"out_channels >= {top + 1}")


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
    checkpoint: str | None = None,
    resume: bool = False,
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
        optimizer: replaces Adam.
        loss_fn: ``logits [N, C] -> scalar`` training objective (default: cross-entropy on
            ``split.train``).
        checkpoint, resume: a file to checkpoint every epoch to, and whether to continue from it
            (:func:`~hgnn.train.engine.fit_loop`).
        progress: show a tqdm bar with the running validation score.
        desc: the bar's label.
    """
    x, y, split = _check_fit_inputs(hg, x, y, split, epochs, patience)
    if evaluator is not None and not isinstance(evaluator, Evaluator):
        raise TypeError(f"evaluator must be an hgnn.train.Evaluator, got {type(evaluator).__name__} {evaluator!r}; "
                        "e.g. Evaluator(('acc', 'macro_f1'))")
    evaluator = evaluator or Evaluator()
    main, metric = evaluator.main, METRICS[evaluator.main]
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    y_train, y_val = y[split.train], y[split.val]
    checked = []

    def step(_: Any) -> Tensor:
        logits = model(x, hg)
        if not checked:  # the first step: do the model's outputs fit the labels?
            _check_logits(logits, y, x.size(0))
            checked.append(True)
        return F.cross_entropy(logits[split.train], y_train) if loss_fn is None else loss_fn(logits)

    def evaluate() -> dict[str, float]:
        logits = model(x, hg)
        val = logits[split.val]
        return {"val_loss": F.cross_entropy(val, y_val).item(), f"train_{main}": metric(y_train, logits[split.train]),
                f"val_{main}": metric(y_val, val)}

    log = fit_loop(model, optimizer, [None], step, epochs=epochs, evaluate=evaluate, monitor=f"val_{main}",
                   patience=patience, checkpoint=checkpoint, resume=resume, progress=progress, desc=desc)
    with torch.no_grad():
        logits = model(x, hg)
    parts = _final_parts(evaluator, y, split, lambda mask: logits[mask])
    return FitResult(best_epoch=log.best_epoch, epochs_run=log.epochs_run, history=_curves(log.history),
                     seconds=log.seconds, **parts)


@torch.no_grad()
def predict_minibatch(model: nn.Module, hg: Hypergraph, nodes: Tensor, num_layers: int, batch_size: int = 4096,
                      device: torch.device | str | None = None) -> Tensor:
    """Logits ``[len(nodes), C]`` of ``model`` (eval mode) at ``nodes`` (ids or a bool mask), from
    exact batches: the same values as a full-graph pass for HGNN / HGNN+
    (:func:`~hgnn.loader.node_neighborhood`)."""
    model.eval()
    device = torch.device(device) if device is not None else next(model.parameters()).device
    nodes = torch.as_tensor(nodes)
    if nodes.dtype == torch.bool:
        if nodes.shape != (hg.num_nodes,):
            raise ValueError(f"a node mask must have shape [{hg.num_nodes}] (one entry per node), got "
                             f"{list(nodes.shape)}")
        nodes = nodes.nonzero().view(-1)
    out = []
    for batch in NodeLoader(hg, nodes, num_layers, batch_size=batch_size, shuffle=False):
        batch = batch.to(device)
        out.append(model(batch.hg.x, batch.hg)[batch.target_index])
    return torch.cat(out)


def fit_minibatch(
    model: nn.Module,
    hg: Hypergraph,
    split: Split,
    *,
    num_layers: int = 2,
    batch_size: int = 512,
    max_edges_per_node: int | None = 10,
    max_nodes_per_edge: int | None = 10,
    epochs: int = 200,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    patience: int | None = None,
    eval_batch_size: int = 4096,
    num_workers: int = 0,
    evaluator: Evaluator | None = None,
    seed: int = 0,
    progress: bool = True,
    desc: str | None = None,
) -> FitResult:
    r"""Train ``model(x, hg) -> [N, C]`` on sampled mini-batches of the training nodes and keep the
    best validation epoch (module docstring).

    Args:
        model: an ``num_layers``-layer node model (on the device it should train on; the
            hypergraph stays on the CPU and batches are moved to the model's device).
        hg: the full hypergraph with ``x`` and ``y``.
        split: boolean ``[N]`` masks.
        num_layers: the model's layers (the neighbourhood depth).
        batch_size: training targets per step.
        max_edges_per_node, max_nodes_per_edge: sampling caps per hop (``None``: no cap).
        epochs, lr, weight_decay, patience, evaluator: as :func:`fit`.
        eval_batch_size: targets per exact evaluation batch.
        num_workers: worker processes building the training batches.
        seed: seeds the shuffling and the neighbour sampling.
    """
    _, y, split = _check_fit_inputs(hg, None, None, split, epochs, patience)
    device = next(model.parameters()).device
    evaluator = evaluator or Evaluator()
    main, metric = evaluator.main, METRICS[evaluator.main]
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    torch.manual_seed(seed)
    loader = NodeLoader(hg, split.train, num_layers, batch_size=batch_size, shuffle=True,
                        max_edges_per_node=max_edges_per_node, max_nodes_per_edge=max_nodes_per_edge,
                        num_workers=num_workers, generator=torch.Generator().manual_seed(seed),
                        pin_memory=device.type == "cuda")
    y_val = y[split.val].to(device)
    seen = {"targets": [], "logits": []}  # this epoch's training predictions, for train_<metric>

    def step(batch: Any) -> tuple[Tensor, int]:
        batch = batch.to(device, non_blocking=True)
        logits = model(batch.hg.x, batch.hg)[batch.target_index]
        seen["targets"].append(batch.y)
        seen["logits"].append(logits.detach())
        return F.cross_entropy(logits, batch.y), batch.num_targets

    def evaluate() -> dict[str, float]:
        train_score = metric(torch.cat(seen["targets"]), torch.cat(seen["logits"]))
        seen["targets"].clear()
        seen["logits"].clear()
        val = predict_minibatch(model, hg, split.val, num_layers, eval_batch_size, device)
        return {"val_loss": F.cross_entropy(val, y_val).item(), f"train_{main}": train_score,
                f"val_{main}": metric(y_val, val)}

    log = fit_loop(model, optimizer, loader, step, epochs=epochs, evaluate=evaluate, monitor=f"val_{main}",
                   patience=patience, progress=progress, desc=desc)
    parts = _final_parts(evaluator, y, split,
                         lambda mask: predict_minibatch(model, hg, mask, num_layers, eval_batch_size, device))
    return FitResult(best_epoch=log.best_epoch, epochs_run=log.epochs_run, history=_curves(log.history),
                     seconds=log.seconds, **parts)
