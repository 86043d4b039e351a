"""Node-classification experiments: data preparation, model registry and multi-seed runs.

This is what ``hgnn train`` and ``benchmarks/node_classification/run.py`` call::

    from hgnn.tasks import run_node_classification
    report = run_node_classification("hgnn", "cocitation-cora", seeds=5)
    report["summary"]["test_acc"]          # {'mean': ..., 'std': ...}
"""
from __future__ import annotations

import inspect
import numbers
import platform
import statistics
from functools import partial
from typing import Any, Callable, Sequence

import torch
from torch import Tensor, nn

from hgnn.models import (EDHNN, HGNN, HGNNP, HNHN, AllDeepSets, AllSetTransformer, HyperGCN, HypergraphAttentionNet,
                         UniGAT, UniGCN, UniGIN, UniSAGE)
from hgnn.nn import MLP
from hgnn.structure import Hypergraph
from hgnn.train.engine import seed_everything
from hgnn.train.evaluator import Evaluator
from hgnn.train.splits import default_protocol, get_split, num_splits, split_of_seed
from hgnn.train.trainer import fit
from hgnn.transforms import prepare

__all__ = ["MODELS", "build_model", "run_node_classification", "summarize"]

#: ``--model`` name -> class taking ``(in_channels, out_channels, hidden_channels=, dropout=)``.
#: ``hypergcn`` is HyperGCN with mediators (the paper's), ``fasthypergcn`` its variant that builds
#: the graph once from the input features.
MODELS: dict[str, Callable[..., nn.Module]] = {
    "hgnn": HGNN,
    "hgnnp": HGNNP,
    "hnhn": HNHN,
    "unigcn": UniGCN,
    "unigat": UniGAT,
    "unisage": UniSAGE,
    "unigin": UniGIN,
    "hypergcn": partial(HyperGCN, mediators=True),
    "fasthypergcn": partial(HyperGCN, mediators=True, fast=True),
    "hypergraph-attention": HypergraphAttentionNet,
    "alldeepsets": AllDeepSets,
    "allsettransformer": AllSetTransformer,
    "edhnn": EDHNN,
    "mlp": MLP,
}


def build_model(name: str, in_channels: int, out_channels: int, hidden_channels: int = 32,
                dropout: float = 0.5, **model_kwargs: Any) -> nn.Module:
    """Instantiate ``MODELS[name]`` (case-insensitive; ``hgnn+`` is ``hgnnp``); ``model_kwargs``
    go to the model's constructor (e.g. ``heads=8`` for ``allsettransformer``).

    Raises:
        ValueError: an unknown ``name``.
        TypeError: a keyword the model does not take (named with the model).
    """
    key = name.lower().replace("+", "p")
    if key not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {sorted(MODELS)}")
    factory = MODELS[key]
    target = factory.func if isinstance(factory, partial) else factory
    parameters = inspect.signature(target).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        unknown = sorted(set(model_kwargs) - set(parameters))
        if unknown:
            raise TypeError(f"model {key!r} ({target.__name__}) takes no argument(s) {unknown}; "
                            f"it takes {[p for p in parameters if p not in ('self', 'in_channels', 'out_channels')]}")
    return factory(in_channels, out_channels, hidden_channels=hidden_channels, dropout=dropout, **model_kwargs)


def summarize(values: list[float], scale: float = 100.0) -> dict[str, float]:
    """``{"mean", "std"}`` of ``scale * values`` (sample standard deviation; 0 for a single value):
    percent by default, ``scale=1`` for values already in their unit."""
    vals = [scale * v for v in values]
    return {"mean": statistics.fmean(vals), "std": statistics.stdev(vals) if len(vals) > 1 else 0.0}


def summarize_runs(runs: Sequence[dict[str, Any]], metrics: Sequence[str] | None = None) -> dict[str, Any]:
    """The ``"summary"`` of a node-classification report from its ``runs``: ``{"mean", "std"}`` in
    percent of every ``test_`` / ``val_`` / ``train_`` metric (the :class:`~hgnn.train.Evaluator`'s
    by default) and the mean ``epoch_ms``; e.g. to summarise runs gathered from several reports."""
    metrics = Evaluator().metrics if metrics is None else metrics
    summary: dict[str, Any] = {f"{part}_{metric}": summarize([r[part][metric] for r in runs])
                               for part in ("test", "val", "train") for metric in metrics}
    summary["epoch_ms"] = statistics.fmean(r["epoch_ms"] for r in runs)
    return summary


def _seed_list(seeds: Any) -> list[int]:
    """``range(seeds)`` for an int, else the given distinct non-negative ints, checked."""
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {seeds}")
        return list(range(int(seeds)))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        raise TypeError(f"seeds must be an int or a sequence of ints, got {type(seeds).__name__}")
    if any(isinstance(s, bool) or not isinstance(s, numbers.Integral) for s in seeds):
        raise TypeError(f"seeds must hold ints only, got {list(seeds)!r}")
    values = [int(s) for s in seeds]
    if not values or min(values) < 0 or len(set(values)) != len(values):
        raise ValueError(f"seeds must be a non-empty list of distinct non-negative ints, got {values}")
    return values


def run_node_classification(
    model: str = "hgnn",
    dataset: str | Hypergraph = "cocitation-cora",
    *,
    seeds: int | Sequence[int] = 5,
    protocol: str = "auto",
    split: int | None = None,
    epochs: int = 200,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    hidden: int = 32,
    dropout: float = 0.5,
    model_kwargs: dict[str, Any] | None = None,
    patience: int | None = None,
    normalize_features: str | bool = "auto",
    self_loops: bool = True,
    device: str | torch.device = "cpu",
    root: str | None = None,
    dataset_kwargs: dict[str, Any] | None = None,
    split_kwargs: dict[str, Any] | None = None,
    progress: bool = True,
    on_seed: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train ``model`` on ``dataset`` once per seed and report every run and the mean +- std.

    Seed ``s`` (``0..seeds-1``, or each of ``seeds`` when it is a sequence, e.g. ``[5, 6]`` to
    finish a run interrupted after five seeds) seeds the weights and picks the split: HyperGCN's
    split ``s mod 10``, or the ``s``-th random draw; ``split=k`` pins one split for every seed
    (``0 <= k <`` the number of fixed splits, e.g. 10 for HyperGCN's; any ``k >= 0`` for the
    random protocols). All settings end up in the returned dict's ``"config"``, so a JSON dump of
    it says how its numbers were made.

    Args:
        model_kwargs: further constructor arguments of the model (see :func:`build_model`),
            checked before any training.
        on_seed: called after each seed with the report of the seeds finished so far (the layout
            of the returned dict, with ``"complete": False`` until the last seed), e.g. to save the
            finished seeds of a run that may be interrupted.

    Returns:
        ``{"model", "dataset", "protocol", "complete", "config", "data", "runs": [...], "summary": {...}}``
        where ``summary`` holds ``test_acc``, ``test_macro_f1``, ``val_acc``, ... as ``{"mean", "std"}``
        in percent and ``epoch_ms``; each run has ``seed``, ``split``, ``split_sizes`` and the
        :class:`~hgnn.train.FitResult` fields; ``complete`` is ``True``.

    Raises:
        TypeError: ``seeds`` is not an int or a sequence of ints, or ``split`` is not an int.
        ValueError: ``seeds < 1``, an empty, negative or repeated seed list, or ``split`` is not one
            of the protocol's splits on this dataset
            (checked before any training).
    """
    seed_list = _seed_list(seeds)
    if split is not None:
        if isinstance(split, bool) or not isinstance(split, numbers.Integral):
            raise TypeError(f"split must be an int or None, got {type(split).__name__}")
        split = int(split)
    model_kwargs = dict(model_kwargs or {})
    build_model(model, 1, 2, hidden, dropout, **model_kwargs)  # a bad model name or option fails before loading
    from hgnn.datasets import load_hypergraph

    name, dataset = load_hypergraph(dataset, root=root, **(dataset_kwargs or {}))
    if protocol == "auto":
        protocol = default_protocol(dataset)
    device = torch.device(device)
    hg = prepare(dataset, normalize_features=normalize_features, self_loops=self_loops).to(device)
    fixed = num_splits(hg, protocol)  # None: one random draw per index, any index >= 0
    if hg.x is None or hg.y is None:  # prepare refuses such a hypergraph already
        raise ValueError("node classification needs node features x and labels y")
    num_features = hg.x.size(1)
    num_classes = int(hg.y.max()) + 1
    evaluator = Evaluator()
    config = {"seeds": int(seeds) if isinstance(seeds, numbers.Integral) else seed_list, "split": split,
              "epochs": epochs, "lr": lr, "weight_decay": weight_decay,
              "hidden": hidden, "dropout": dropout, "model_kwargs": model_kwargs, "patience": patience,
              "normalize_features": normalize_features, "self_loops": self_loops,
              "dataset_kwargs": dataset_kwargs or {}, "split_kwargs": split_kwargs or {},
              "device": str(device), "torch": torch.__version__, "python": platform.python_version(),
              "machine": f"{platform.machine()} {torch.get_num_threads()} threads"}
    data = {"num_nodes": hg.num_nodes, "num_edges": hg.num_edges, "num_incidences": hg.num_incidences,
            "num_features": num_features, "num_classes": num_classes}

    def report(runs: list[dict[str, Any]]) -> dict[str, Any]:
        summary = summarize_runs(runs, evaluator.metrics)
        return {"model": model, "dataset": name, "protocol": protocol, "complete": len(runs) == len(seed_list),
                "config": config, "data": data, "runs": list(runs), "summary": summary}

    runs = []
    for seed in seed_list:
        index = seed if split is None else split
        masks = (split_of_seed if split is None else get_split)(hg, protocol, index, **(split_kwargs or {}))
        seed_everything(seed)
        net = build_model(model, num_features, num_classes, hidden, dropout, **model_kwargs).to(device)
        result = fit(net, hg, masks, epochs=epochs, lr=lr, weight_decay=weight_decay, patience=patience,
                     evaluator=evaluator, progress=progress, desc=f"{model} {name} seed {seed}")
        runs.append({"seed": seed, "split": index % fixed if fixed else index,
                     "split_sizes": masks.sizes(), **result.to_dict()})
        if on_seed is not None:
            on_seed(report(runs))
    return report(runs)
