"""Graph classification: 10-fold cross-validation as in EHGNN's reference code (Jo et al., NeurIPS 2021)."""
from __future__ import annotations

import copy
import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from hgnn.models.graph_baselines import GraphClassifier
from hgnn.models.hyperdrop_net import HyperDropNet
from hgnn.train.trainer import seed_everything

#: ``run_graph_classification`` model names.
GRAPH_MODELS = ("hyperdrop", "gcn", "gin", "sagpool", "topkpool", "gmt")

#: The reference script's HyperDrop keep ratio per dataset (``scripts/classification_TU.sh``);
#: others use the parser default 0.8.
REFERENCE_RATIOS = {"gin-proteins": 0.65, "gin-mutag": 0.9, "gin-imdb-binary": 0.9, "gin-imdb-multi": 0.85}


def fold_split(folds: Sequence[tuple[Tensor, Tensor]], fold: int) -> tuple[Tensor, Tensor, Tensor]:
    r"""``(train, val, test)`` graph indices of ``fold`` (0-based), as the reference does.

    Test is fold :math:`k`'s test part, validation is fold :math:`k - 1`'s test part (cyclically),
    training is fold :math:`k`'s training part minus the validation graphs: 80/10/10.
    """
    if not 0 <= fold < len(folds):
        raise ValueError(f"fold must be in [0, {len(folds)}), got {fold}")
    train, test = folds[fold]
    val = folds[(fold - 1) % len(folds)][1]
    train = train[~torch.isin(train, val)]
    return train, val, test


def warmup_cosine(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int):
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
    r"""Warm-up epochs of the reference's warm-up + cosine schedule.

    EHGNN's reference warms up for ``patience`` epochs (50 of at most 500: a tenth). A shorter run
    keeps at most that tenth, so that it reaches the peak learning rate and still decays:

    .. math::
        w = \min\big(\text{patience},\ \max(1, \lfloor \text{epochs} / 10 \rfloor)\big),

    which is the reference's 50 at 500 epochs. ``warmup_epochs`` sets :math:`w` outright.

    Raises:
        ValueError: if :math:`w` is not in ``[0, epochs]``.
    """
    w = min(patience, max(1, epochs // 10)) if warmup_epochs is None else int(warmup_epochs)
    if not 0 <= w <= epochs:
        raise ValueError(f"warmup_epochs must be in [0, epochs={epochs}], got {warmup_epochs!r}")
    return w


def build_graph_model(name: str, in_channels: int, edge_channels: int, num_classes: int, *, hidden: int = 128,
                      num_layers: int = 3, ratio: float = 0.8, dropout: float = 0.5, avg_nodes: float = 30.0) -> nn.Module:
    """A model of :data:`GRAPH_MODELS` (``ratio``: HyperDrop's edge keep ratio; the node pools keep
    0.5, the GMT seeds are ``ceil(0.25 * avg_nodes)``)."""
    if name == "hyperdrop":
        return HyperDropNet(in_channels, edge_channels, num_classes, hidden, num_layers, ratio, dropout)
    conv, pool, pool_ratio = {"gcn": ("gcn", None, 0.5), "gin": ("gin", None, 0.5), "sagpool": ("gcn", "sag", 0.5),
                              "topkpool": ("gcn", "topk", 0.5), "gmt": ("gcn", "gmt", 0.25)}.get(name, (None,) * 3)
    if conv is None:
        raise ValueError(f"model must be one of {GRAPH_MODELS}, got {name!r}")
    return GraphClassifier(in_channels, num_classes, conv, pool, hidden, num_layers, pool_ratio, avg_nodes, dropout)


@torch.no_grad()
def _evaluate(model: nn.Module, loader, device) -> tuple[float, float]:
    model.eval()
    correct, loss, count = 0, 0.0, 0
    for b in loader:
        b = b.to(device)
        out = model(b.x, b.edge_index, b.batch, getattr(b, "edge_attr", None), b.num_graphs)
        loss += F.cross_entropy(out, b.y, reduction="sum").item()
        correct += int((out.argmax(-1) == b.y).sum())
        count += b.num_graphs
    return correct / max(count, 1), loss / max(count, 1)


@dataclass
class GraphFitResult:
    """One fold: test accuracy of the best-validation-loss epoch, and its curve."""

    test_acc: float
    val_acc: float
    val_loss: float
    best_epoch: int
    epochs_run: int
    epoch_s: float
    history: dict[str, list[float]] = field(default_factory=dict)


def fit_graph_classifier(model: nn.Module, train: list, val: list, test: list, *, epochs: int = 100,
                         lr: float = 5e-4, weight_decay: float = 1e-4, batch_size: int = 128, patience: int = 50,
                         clip_norm: float | None = 1.0, schedule: bool = True, warmup_epochs: int | None = None,
                         device: str | torch.device = "cpu", seed: int = 0, progress: bool = False,
                         desc: str | None = None) -> GraphFitResult:
    r"""Train on ``train`` graphs with cross-entropy; keep the epoch of lowest validation loss.

    Adam (``lr``, ``weight_decay``), gradient norm clipped to ``clip_norm``, and (``schedule``) the
    reference's warm-up + cosine schedule per step, warm-up :func:`warmup_length` epochs long
    (``patience`` epochs, at most a tenth of ``epochs``; ``warmup_epochs`` overrides). Stops after
    ``patience`` epochs without a lower validation loss. Returns the test accuracy of the kept
    weights.
    """
    from torch_geometric.loader import DataLoader

    device = torch.device(device)
    model = model.to(device)
    gen = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train, batch_size=batch_size, shuffle=True, generator=gen)
    val_loader = DataLoader(val, batch_size=batch_size)
    test_loader = DataLoader(test, batch_size=batch_size)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    warmup = warmup_length(epochs, patience, warmup_epochs)
    sched = warmup_cosine(opt, warmup * len(train_loader), epochs * len(train_loader)) if schedule else None
    best = (math.inf, -1, None, 0.0)
    history: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "val_acc": [], "epoch_s": []}
    bad = 0
    for epoch in tqdm(range(epochs), desc=desc, leave=False, disable=not progress):
        t0 = time.perf_counter()
        model.train()
        total = 0.0
        for b in train_loader:
            b = b.to(device)
            loss = F.cross_entropy(model(b.x, b.edge_index, b.batch, getattr(b, "edge_attr", None), b.num_graphs), b.y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            opt.step()
            if sched is not None:
                sched.step()
            total += loss.item() * b.num_graphs
        history["epoch_s"].append(time.perf_counter() - t0)
        val_acc, val_loss = _evaluate(model, val_loader, device)
        history["train_loss"].append(total / len(train))
        history["val_loss"].append(val_loss)
        history["val_acc"].append(val_acc)
        if val_loss < best[0]:
            best, bad = (val_loss, epoch, copy.deepcopy(model.state_dict()), val_acc), 0
        else:
            bad += 1
            if bad > patience:
                break
    model.load_state_dict(best[2])
    test_acc, _ = _evaluate(model, test_loader, device)
    return GraphFitResult(test_acc=test_acc, val_acc=best[3], val_loss=best[0], best_epoch=best[1],
                          epochs_run=len(history["val_loss"]), epoch_s=statistics.fmean(history["epoch_s"]),
                          history=history)


def with_edge_features(graphs: list) -> tuple[list, int]:
    """Graphs with ``edge_attr`` (ones ``[m, 1]`` where the dataset has none, as the reference)."""
    width = int(graphs[0].edge_attr.size(1)) if getattr(graphs[0], "edge_attr", None) is not None else 0
    if width:
        return graphs, width
    out = []
    for g in graphs:
        g = copy.copy(g)
        g.edge_attr = torch.ones(g.edge_index.size(1), 1)
        out.append(g)
    return out, 1


def run_graph_classification(model: str = "hyperdrop", dataset: str = "gin-mutag", *, folds: int | Sequence[int] = 10,
                             epochs: int = 100, hidden: int = 128, num_layers: int = 3, ratio: float | None = None,
                             lr: float = 5e-4, weight_decay: float = 1e-4, batch_size: int = 128, patience: int = 50,
                             dropout: float = 0.5, warmup_epochs: int | None = None, seed: int = 42,
                             device: str = "cpu", root: str | None = None, progress: bool = True,
                             done: Sequence[dict] = (),
                             on_fold: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """10-fold cross-validation of ``model`` on a GIN-format TU dataset (its DGCNN fold files).

    Defaults are the reference's TU settings except ``epochs`` (the reference trains up to 500
    with patience 50; its 50 warm-up epochs are capped at a tenth of ``epochs`` by
    :func:`warmup_length` unless ``warmup_epochs`` is given); ``ratio`` defaults to
    :data:`REFERENCE_RATIOS` (0.8 elsewhere).

    A cell can take hours on a CPU, so it resumes per fold: ``done`` holds fold dicts of an
    earlier, interrupted run with the same settings (their folds are not trained again), and
    ``on_fold`` is called with each new fold dict as soon as it is finished (to save it).
    Every fold seeds itself, so a resumed cell equals an uninterrupted one.

    Returns:
        ``{"model", "dataset", "config", "folds": [per-fold dicts], "summary"}``; ``summary`` holds
        test accuracy mean and (population) std in percent over the folds, and seconds per epoch.
    """
    from hgnn.datasets import load

    warmup = warmup_length(epochs, patience, warmup_epochs)  # a bad warm-up fails before the data loads
    data = load(dataset, root=root)
    if not getattr(data, "folds", None):
        raise ValueError(f"{dataset} has no fold files; use a gin-* dataset")
    graphs, edge_channels = with_edge_features(list(data))
    fold_ids = list(range(folds)) if isinstance(folds, int) else [int(f) for f in folds]
    ratio = REFERENCE_RATIOS.get(dataset, 0.8) if ratio is None else ratio
    avg_nodes = statistics.fmean(g.num_nodes for g in graphs)
    config = dict(epochs=epochs, warmup_epochs=warmup, hidden=hidden, num_layers=num_layers, ratio=ratio, lr=lr,
                  weight_decay=weight_decay, batch_size=batch_size, patience=patience, dropout=dropout, seed=seed)
    finished = {int(r["fold"]): r for r in done}
    if not set(finished) <= set(fold_ids):
        raise ValueError(f"done holds folds {sorted(set(finished) - set(fold_ids))} outside folds={fold_ids}")
    runs = []
    for k in tqdm(fold_ids, desc=f"{model} {dataset}", disable=not progress):
        if k in finished:
            runs.append(finished[k])
            continue
        train, val, test = fold_split(data.folds, k)
        seed_everything(seed)
        net = build_graph_model(model, data.num_node_features, edge_channels, data.num_classes, hidden=hidden,
                                num_layers=num_layers, ratio=ratio, dropout=dropout, avg_nodes=avg_nodes)
        res = fit_graph_classifier(net, [graphs[i] for i in train], [graphs[i] for i in val], [graphs[i] for i in test],
                                   epochs=epochs, lr=lr, weight_decay=weight_decay, batch_size=batch_size,
                                   patience=patience, warmup_epochs=warmup, device=device, seed=seed + k)
        runs.append({"fold": k, "test_acc": 100 * res.test_acc, "val_acc": 100 * res.val_acc,
                     "best_epoch": res.best_epoch, "epochs_run": res.epochs_run, "epoch_s": res.epoch_s})
        if on_fold is not None:
            on_fold(runs[-1])
    accs = [r["test_acc"] for r in runs]
    summary = {"test_acc": {"mean": statistics.fmean(accs), "std": statistics.pstdev(accs)},
               "epoch_s": statistics.fmean(r["epoch_s"] for r in runs)}
    return {"model": model, "dataset": dataset, "config": config, "folds": runs, "summary": summary}
