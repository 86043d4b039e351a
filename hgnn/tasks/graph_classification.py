r"""Graph classification by k-fold cross-validation: HyperDrop (EHGNN) and node-GNN baselines.

The protocol of EHGNN (Jo et al., "Edge Representation Learning with Hypergraphs", NeurIPS 2021)
on the TU sets, built from small pieces:

* :func:`load_graph_folds`: a GIN-format TU set with its fold files (:class:`GraphFolds`);
* :func:`fold_split`: the train / validation / test graphs of one fold;
* :func:`build_graph_model`: HyperDrop or a baseline of :data:`GRAPH_MODELS`;
* :func:`fit_graph_classifier`: training on :func:`hgnn.train.engine.fit_loop` (PyG ``DataLoader``
  batches, cross-entropy, Adam, gradient clipping, the warm-up + cosine schedule of
  :func:`warmup_cosine` per step), keeping the epoch of lowest validation loss;
* :func:`run_graph_fold` and :func:`summarize_folds`: one fold as a JSON-ready dict, and the mean
  and spread over folds;
* :func:`run_graph_classification`: all of it over the requested folds.

A step minimises the mean cross-entropy of its batch :math:`B` of graphs,

.. math::
    \mathcal L_B = -\frac{1}{|B|} \sum_{g \in B} \log \mathrm{softmax}\big(f_\theta(g)\big)_{y_g}.

Example::

    from hgnn.tasks.graph_classification import run_graph_classification
    report = run_graph_classification("hyperdrop", "gin-mutag", folds=10, epochs=100)
    report["summary"]["test_acc"]          # {'mean': ..., 'std': ...} in percent
"""
from __future__ import annotations

import copy
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from hgnn.models.graph_baselines import GraphClassifier
from hgnn.models.hyperdrop_net import HyperDropNet
from hgnn.train.engine import fit_loop, seed_everything

__all__ = ["GRAPH_MODELS", "GraphFitResult", "GraphFolds", "build_graph_model", "cross_validation_settings",
           "fit_graph_classifier", "fold_split", "load_graph_folds", "run_graph_classification", "run_graph_fold",
           "summarize_folds", "warmup_cosine", "warmup_length", "with_edge_features"]

#: The model names of :func:`build_graph_model` and :func:`run_graph_classification`.
GRAPH_MODELS = ("hyperdrop", "gcn", "gin", "sagpool", "topkpool", "gmt")


def _check_count(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")


def fold_split(folds: Sequence[tuple[Tensor, Tensor]], fold: int) -> tuple[Tensor, Tensor, Tensor]:
    r"""``(train, val, test)`` graph indices of ``fold`` (0-based), by EHGNN's rule.

    Test is fold :math:`k`'s test part, validation is fold :math:`k - 1`'s test part (cyclically),
    training is fold :math:`k`'s training part minus the validation graphs: 80/10/10 with 10 folds.

    Raises:
        ValueError: if ``fold`` is not in ``[0, len(folds))``.
    """
    if not 0 <= fold < len(folds):
        raise ValueError(f"fold must be in [0, {len(folds)}), got {fold}")
    train, test = folds[fold]
    val = folds[(fold - 1) % len(folds)][1]
    train = train[~torch.isin(train, val)]
    return train, val, test


def warmup_cosine(optimizer: torch.optim.Optimizer, warmup_steps: int,
                  total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    r"""Linear warm-up to the base LR over ``warmup_steps``, then cosine decay to 0 at ``total_steps``.

    .. math::
        \eta_t / \eta = \begin{cases} t / t_w & t < t_w \\
        \tfrac12\big(1 + \cos(\pi\, \tfrac{t - t_w}{T - t_w})\big) & t \ge t_w \end{cases}
    """
    def factor(step: int) -> float:
        if step < warmup_steps:
            return step / max(1, warmup_steps)
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0))))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def warmup_length(epochs: int, patience: int, warmup_epochs: int | None = None) -> int:
    r"""Warm-up epochs of the warm-up + cosine schedule.

    EHGNN warms up for ``patience`` epochs (50 of at most 500: a tenth). A shorter run keeps at
    most that tenth, so that it reaches the peak learning rate and still decays:

    .. math::
        w = \min\big(\text{patience},\ \max(1, \lfloor \text{epochs} / 10 \rfloor)\big),

    which is EHGNN's 50 at 500 epochs. ``warmup_epochs`` sets :math:`w` outright.

    Raises:
        ValueError: if :math:`w` is not in ``[0, epochs]``.
    """
    w = min(patience, max(1, epochs // 10)) if warmup_epochs is None else int(warmup_epochs)
    if not 0 <= w <= epochs:
        raise ValueError(f"warmup_epochs must be in [0, epochs={epochs}], got {warmup_epochs!r}")
    return w


def build_graph_model(name: str, in_channels: int, edge_channels: int, num_classes: int, *, hidden: int = 128,
                      num_layers: int = 3, ratio: float = 0.8, dropout: float = 0.5,
                      avg_nodes: float = 30.0) -> nn.Module:
    """A model of :data:`GRAPH_MODELS`, called as ``model(x, edge_index, batch, edge_attr, num_graphs)``
    and returning ``[num_graphs, num_classes]`` logits.

    ``"hyperdrop"`` is :class:`~hgnn.models.HyperDropNet` (``ratio``: the fraction of each graph's
    edges it keeps); the others are :class:`~hgnn.models.GraphClassifier` with the same readout
    and head: GCN, GIN, SAGPool and TopKPool (keeping 0.5 of the nodes per layer) and GMT
    (``ceil(0.25 * avg_nodes)`` seeds).

    Raises:
        ValueError: if ``name`` is not in :data:`GRAPH_MODELS`.
    """
    if name == "hyperdrop":
        return HyperDropNet(in_channels, edge_channels, num_classes, hidden, num_layers, ratio, dropout)
    conv, pool, pool_ratio = {"gcn": ("gcn", None, 0.5), "gin": ("gin", None, 0.5), "sagpool": ("gcn", "sag", 0.5),
                              "topkpool": ("gcn", "topk", 0.5), "gmt": ("gcn", "gmt", 0.25)}.get(name, (None,) * 3)
    if conv is None:
        raise ValueError(f"model must be one of {GRAPH_MODELS}, got {name!r}")
    return GraphClassifier(in_channels, num_classes, conv, pool, hidden, num_layers, pool_ratio, avg_nodes, dropout)


def _logits(model: nn.Module, batch: Any) -> Tensor:
    return model(batch.x, batch.edge_index, batch.batch, getattr(batch, "edge_attr", None), batch.num_graphs)


@torch.no_grad()
def _scores(model: nn.Module, loader: Any, device: torch.device) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of ``model`` (eval mode) over ``loader``'s graphs."""
    model.eval()
    correct, loss, count = 0, 0.0, 0
    for batch in loader:
        batch = batch.to(device)
        out = _logits(model, batch)
        loss += F.cross_entropy(out, batch.y, reduction="sum").item()
        correct += int((out.argmax(-1) == batch.y).sum())
        count += batch.num_graphs
    return correct / max(count, 1), loss / max(count, 1)


@dataclass
class GraphFitResult:
    """What :func:`fit_graph_classifier` returns.

    Attributes:
        test_acc: test accuracy (a fraction) of the kept weights.
        val_acc, val_loss: validation accuracy and cross-entropy at ``best_epoch``.
        best_epoch: the epoch (0-based) of lowest validation loss, whose weights were kept.
        epochs_run: epochs trained (fewer than asked after early stopping).
        epoch_s: mean seconds of training per epoch (evaluation excluded).
        history: the engine's curves (:class:`~hgnn.train.engine.LoopResult`): per epoch ``loss``
            (mean training cross-entropy) and ``epoch_s``, per evaluation ``eval_epoch``,
            ``val_loss`` and ``val_acc``.
    """

    test_acc: float
    val_acc: float
    val_loss: float
    best_epoch: int
    epochs_run: int
    epoch_s: float
    history: dict[str, list[float]] = field(default_factory=dict)


def _check_graphs(**parts: Any) -> None:
    for name, graphs in parts.items():
        if not hasattr(graphs, "__len__") or len(graphs) == 0:
            raise ValueError(f"{name} must be a non-empty list (or dataset) of PyG Data graphs, got "
                             f"{type(graphs).__name__}" + (" of length 0" if hasattr(graphs, "__len__") else ""))


def fit_graph_classifier(model: nn.Module, train: Sequence, val: Sequence, test: Sequence, *, epochs: int = 100,
                         lr: float = 5e-4, weight_decay: float = 1e-4, batch_size: int = 128, patience: int = 50,
                         clip_norm: float | None = 1.0, schedule: bool = True, warmup_epochs: int | None = None,
                         device: str | torch.device = "cpu", seed: int = 0, progress: bool = False,
                         desc: str | None = None) -> GraphFitResult:
    r"""Train ``model`` on the ``train`` graphs with cross-entropy; keep the epoch of lowest
    validation loss and report its test accuracy.

    :func:`~hgnn.train.engine.fit_loop` over shuffled PyG ``DataLoader`` batches (shuffled by a
    generator seeded with ``seed``): Adam (``lr``, ``weight_decay``), the gradient norm clipped to
    ``clip_norm``, and (``schedule``) :func:`warmup_cosine` stepped per batch, its warm-up
    :func:`warmup_length` epochs long (``patience`` epochs, at most a tenth of ``epochs``;
    ``warmup_epochs`` overrides). After each epoch the validation graphs are scored; training stops
    once more than ``patience`` epochs in a row bring no lower validation loss (EHGNN's rule).

    Args:
        model: called as ``model(x, edge_index, batch, edge_attr, num_graphs) -> [B, C]``
            (:func:`build_graph_model`); moved to ``device``.
        train, val, test: lists (or PyG datasets) of ``Data`` graphs with ``x``, ``edge_index``,
            ``y`` (and ``edge_attr`` where the model uses it).
        epochs: the maximum number of epochs.
        lr, weight_decay: Adam's settings.
        batch_size: graphs per batch.
        patience: epochs without a lower validation loss tolerated before stopping (``>= 0``).
        clip_norm: the gradient-norm cap (``None``: no clipping).
        schedule: use the warm-up + cosine schedule (else a constant ``lr``).
        warmup_epochs: the warm-up's length in epochs (default :func:`warmup_length`).
        device: where to train.
        seed: seeds the shuffling of the training graphs.
        progress, desc: a tqdm bar and its label.

    Raises:
        ValueError: empty graph lists or a bad count, before any training.
    """
    from torch_geometric.loader import DataLoader

    _check_graphs(train=train, val=val, test=test)
    for name, value, low in (("epochs", epochs, 1), ("batch_size", batch_size, 1), ("patience", patience, 0)):
        _check_count(name, value, low)
    device = torch.device(device)
    model = model.to(device)
    train_loader = DataLoader(train, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    val_loader = DataLoader(val, batch_size=batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    warmup = warmup_length(epochs, patience, warmup_epochs)
    steps = len(train_loader)
    scheduler = warmup_cosine(optimizer, warmup * steps, epochs * steps) if schedule else None

    def step(batch: Any) -> tuple[Tensor, int]:
        batch = batch.to(device)
        return F.cross_entropy(_logits(model, batch), batch.y), batch.num_graphs

    def evaluate() -> dict[str, float]:
        val_acc, val_loss = _scores(model, val_loader, device)
        return {"val_loss": val_loss, "val_acc": val_acc}

    log = fit_loop(model, optimizer, train_loader, step, epochs=epochs, evaluate=evaluate, monitor="val_loss",
                   mode="min", patience=patience + 1, scheduler=scheduler, scheduler_interval="batch",
                   clip_norm=clip_norm, progress=progress, desc=desc)
    test_acc, _ = _scores(model, DataLoader(test, batch_size=batch_size), device)
    return GraphFitResult(test_acc=test_acc, val_acc=log.at_best("val_acc"), val_loss=log.best_score,
                          best_epoch=log.best_epoch, epochs_run=log.epochs_run,
                          epoch_s=statistics.fmean(log.history["epoch_s"]), history=log.history)


def with_edge_features(graphs: list) -> tuple[list, int]:
    """``(graphs, edge_channels)``: the graphs with ``edge_attr``; where the dataset has none,
    shallow copies with ones ``[m, 1]`` (as EHGNN), so that HyperDrop has edge features to start from."""
    width = int(graphs[0].edge_attr.size(1)) if getattr(graphs[0], "edge_attr", None) is not None else 0
    if width:
        return graphs, width
    out = []
    for g in graphs:
        g = copy.copy(g)
        g.edge_attr = torch.ones(g.edge_index.size(1), 1)
        out.append(g)
    return out, 1


@dataclass
class GraphFolds:
    """A graph-classification set ready for cross-validation (:func:`load_graph_folds`).

    Attributes:
        name: the dataset's name.
        graphs: the PyG ``Data`` graphs, with ``edge_attr`` (:func:`with_edge_features`).
        folds: ``(train_idx, test_idx)`` pairs of graph indices, one per fold.
        num_node_features, edge_channels, num_classes: the models' input and output widths.
        avg_nodes: mean nodes per graph (GMT's number of seeds).
    """

    name: str
    graphs: list = field(repr=False)
    folds: list = field(repr=False)
    num_node_features: int
    edge_channels: int
    num_classes: int
    avg_nodes: float


def load_graph_folds(dataset: str, root: str | None = None) -> GraphFolds:
    """Load a GIN-format TU set (``gin-*``: the DGCNN fold files) for cross-validation.

    Raises:
        ValueError: if the dataset has no fold files.
    """
    from hgnn.datasets import load

    data = load(dataset, root=root)
    if not getattr(data, "folds", None):
        raise ValueError(f"{dataset} has no fold files; use a gin-* dataset")
    graphs, edge_channels = with_edge_features(list(data))
    return GraphFolds(name=dataset, graphs=graphs, folds=list(data.folds), num_node_features=data.num_node_features,
                      edge_channels=edge_channels, num_classes=data.num_classes,
                      avg_nodes=statistics.fmean(g.num_nodes for g in graphs))


def cross_validation_settings(*, epochs: int = 100, hidden: int = 128, num_layers: int = 3, ratio: float = 0.8,
                              lr: float = 5e-4, weight_decay: float = 1e-4, batch_size: int = 128,
                              patience: int = 50, dropout: float = 0.5, warmup_epochs: int | None = None,
                              seed: int = 42) -> dict[str, Any]:
    """The settings of a cross-validation run as a JSON-ready dict (the report's ``config``), the
    warm-up resolved by :func:`warmup_length`; the defaults are EHGNN's TU settings except
    ``epochs`` (EHGNN trains up to 500) and ``ratio`` (EHGNN tunes it per dataset; 0.8 is its default).

    Raises:
        ValueError: a bad count or warm-up.
    """
    for name, value, low in (("epochs", epochs, 1), ("hidden", hidden, 1), ("num_layers", num_layers, 1),
                             ("batch_size", batch_size, 1), ("patience", patience, 0)):
        _check_count(name, value, low)
    if not 0.0 < ratio <= 1.0:
        raise ValueError(f"ratio must be in (0, 1], got {ratio!r}")
    warmup = warmup_length(epochs, patience, warmup_epochs)
    return dict(epochs=epochs, warmup_epochs=warmup, hidden=hidden, num_layers=num_layers, ratio=ratio, lr=lr,
                weight_decay=weight_decay, batch_size=batch_size, patience=patience, dropout=dropout, seed=seed)


def run_graph_fold(model: str, data: GraphFolds, fold: int, settings: Mapping[str, Any], *,
                   device: str | torch.device = "cpu", progress: bool = False) -> dict[str, Any]:
    """Train and test ``model`` on one fold of ``data`` (:func:`fold_split`, :func:`build_graph_model`,
    :func:`fit_graph_classifier`) with ``settings`` (:func:`cross_validation_settings`).

    The fold seeds itself (``seed_everything(settings["seed"])`` before building the model, the
    shuffling with ``seed + fold``), so it gives the same result alone or within a run of all folds.

    Returns:
        ``{"fold", "test_acc", "val_acc", "best_epoch", "epochs_run", "epoch_s"}``, accuracies in percent.
    """
    if model not in GRAPH_MODELS:
        raise ValueError(f"model must be one of {GRAPH_MODELS}, got {model!r}")
    s = settings
    train, val, test = fold_split(data.folds, fold)
    seed_everything(s["seed"])
    net = build_graph_model(model, data.num_node_features, data.edge_channels, data.num_classes, hidden=s["hidden"],
                            num_layers=s["num_layers"], ratio=s["ratio"], dropout=s["dropout"],
                            avg_nodes=data.avg_nodes)
    res = fit_graph_classifier(net, [data.graphs[i] for i in train], [data.graphs[i] for i in val],
                               [data.graphs[i] for i in test], epochs=s["epochs"], lr=s["lr"],
                               weight_decay=s["weight_decay"], batch_size=s["batch_size"], patience=s["patience"],
                               warmup_epochs=s["warmup_epochs"], device=device, seed=s["seed"] + fold,
                               progress=progress, desc=f"{model} fold {fold}")
    return {"fold": fold, "test_acc": 100 * res.test_acc, "val_acc": 100 * res.val_acc, "best_epoch": res.best_epoch,
            "epochs_run": res.epochs_run, "epoch_s": res.epoch_s}


def summarize_folds(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"test_acc": {"mean", "std"}, "epoch_s"}`` over fold dicts (:func:`run_graph_fold`): the
    population std over the folds (percent) and the mean seconds per epoch."""
    if not runs:
        raise ValueError("runs must hold at least one fold dict")
    accs = [r["test_acc"] for r in runs]
    return {"test_acc": {"mean": statistics.fmean(accs), "std": statistics.pstdev(accs)},
            "epoch_s": statistics.fmean(r["epoch_s"] for r in runs)}


def run_graph_classification(model: str = "hyperdrop", dataset: str = "gin-mutag", *,
                             folds: int | Sequence[int] = 10, epochs: int = 100, hidden: int = 128,
                             num_layers: int = 3, ratio: float = 0.8, lr: float = 5e-4, weight_decay: float = 1e-4,
                             batch_size: int = 128, patience: int = 50, dropout: float = 0.5,
                             warmup_epochs: int | None = None, seed: int = 42, device: str = "cpu",
                             root: str | None = None, progress: bool = True) -> dict[str, Any]:
    """k-fold cross-validation of ``model`` on a GIN-format TU dataset (its DGCNN fold files).

    Every fold is :func:`run_graph_fold` with the settings of :func:`cross_validation_settings`
    (EHGNN's TU settings but ``epochs``, whose warm-up is capped at a tenth of ``epochs`` by
    :func:`warmup_length` unless ``warmup_epochs`` is given, and ``ratio``).

    Args:
        model: one of :data:`GRAPH_MODELS`.
        dataset: a ``gin-*`` dataset name.
        folds: the number of folds (the first ``folds``) or the fold ids to run.
        epochs: the maximum number of epochs per fold.
        ratio: HyperDrop's edge keep ratio (EHGNN tunes it per dataset).
        hidden, num_layers, lr, weight_decay, batch_size, patience, dropout, warmup_epochs, seed: as
            :func:`cross_validation_settings`.
        device: where to train.
        root: the datasets folder (default ``$HGNN_DATA``).
        progress: a bar over the folds.

    Returns:
        ``{"model", "dataset", "config", "folds": [per-fold dicts], "summary"}``; ``summary`` holds
        the test accuracy's mean and (population) std in percent over the folds, and seconds per epoch.
    """
    if model not in GRAPH_MODELS:
        raise ValueError(f"model must be one of {GRAPH_MODELS}, got {model!r}")
    if isinstance(folds, int):
        _check_count("folds", folds, 1)
    config = cross_validation_settings(epochs=epochs, hidden=hidden, num_layers=num_layers, ratio=ratio, lr=lr,
                                       weight_decay=weight_decay, batch_size=batch_size, patience=patience,
                                       dropout=dropout, warmup_epochs=warmup_epochs, seed=seed)
    data = load_graph_folds(dataset, root=root)
    fold_ids = list(range(folds)) if isinstance(folds, int) else [int(f) for f in folds]
    runs = [run_graph_fold(model, data, k, config, device=device)
            for k in tqdm(fold_ids, desc=f"{model} {dataset}", disable=not progress)]
    return {"model": model, "dataset": dataset, "config": config, "folds": runs, "summary": summarize_folds(runs)}
