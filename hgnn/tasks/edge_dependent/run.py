"""Edge-dependent node classification runs: input features, the model registry and multi-seed runs.

:func:`run_edge_dependent` loads a dataset, builds its inputs (:func:`edge_dependent_features`),
trains one model per seed with :func:`~hgnn.tasks.edge_dependent.fit_edge_dependent` and reports
every run with the mean and standard deviation of the F1 scores.
"""
from __future__ import annotations

import platform
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from hgnn.models import CoNHD, WHATsNet
from hgnn.models.incidence_scorer import ENCODERS, IncidenceScorer
from hgnn.structure import Hypergraph
from hgnn.tasks.edge_dependent.fit import fit_edge_dependent
from hgnn.tasks.node_classification import summarize
from hgnn.train import seed_everything

__all__ = ["EDGE_DEPENDENT_MODELS", "build_edge_dependent_model", "edge_dependent_features", "run_edge_dependent",
           "standardize"]

#: :func:`run_edge_dependent` model names: ``conhd`` (``operator`` picks the set block;
#: ``conhd-unp`` and ``conhd-isab`` pin it; ``conhd-admm`` the ADMM variant), ``whatsnet`` and
#: the :class:`~hgnn.models.IncidenceScorer` encoders.
EDGE_DEPENDENT_MODELS = ("conhd", "conhd-unp", "conhd-isab", "conhd-admm", "whatsnet", *sorted(ENCODERS))

_CONHD_FLAVOURS = ("", "unp", "isab", "sab", "admm")


def standardize(x: Tensor) -> Tensor:
    """Per-column zero mean, unit variance (scikit-learn's ``StandardScaler``: population std,
    constant columns left at zero), in float32."""
    x = x.double()
    mean = x.mean(0, keepdim=True)
    std = x.std(0, unbiased=False, keepdim=True)
    std = torch.where(std > 0, std, torch.ones_like(std))
    return ((x - mean) / std).float()


def edge_dependent_features(hg: Hypergraph, name: str | None = None, *, dim: int = 44,
                            cache: bool | str | Path = True, progress: bool = False,
                            **walk_kwargs: Any) -> tuple[Tensor, Tensor | None]:
    """The inputs of an edge-dependent run: standardised random-walk node features ``[N, dim]``
    and the order positional encoding ``[nnz, 4]`` (degree, eigenvector, PageRank, k-core ranks of
    each node within its hyperedge, as the CoNHD reference's ``--vorder_input``; ``None`` when
    ``hg.node_data`` lacks those centralities).

    The embedding (:func:`~hgnn.transforms.random_walk_embedding`, seed 0, one per dataset as the
    reference's feature file) is cached as ``<user cache>/cache/<name>-rw<dim>.pt`` (:func:`~hgnn.datasets.root.derived_cache_dir`) when
    ``cache=True`` and ``name`` is given (a path: there; ``False``: not cached). ``walk_kwargs``
    go to :func:`~hgnn.transforms.random_walk_embedding`.
    """
    from hgnn.datasets.edge_dependent import CENTRALITIES
    from hgnn.datasets.root import derived_cache_dir
    from hgnn.nn.conv.conhd_conv import incidence_positional_encoding
    from hgnn.transforms import random_walk_embedding

    path = None
    if cache is True and name is not None:
        path = derived_cache_dir() / f"{name}-rw{dim}.pt"
    elif isinstance(cache, (str, Path)):
        path = Path(cache)
    x = random_walk_embedding(hg, dim=dim, cache=path, progress=progress, **walk_kwargs)
    pe = None
    if all(m in hg.node_data for m in CENTRALITIES):
        cent = torch.stack([hg.node_data[m].double() for m in CENTRALITIES], dim=1)
        pe = incidence_positional_encoding(hg, cent).float()
    return standardize(x), pe


def _parse_model(name: str) -> tuple[str, str]:
    """``(family, flavour)`` of a model name: ``("conhd", "unp")``, ``("whatsnet", "")``,
    ``("hgnn", "")``, ...; a ValueError naming the choices for anything else."""
    if not isinstance(name, str):
        raise TypeError(f"model must be a name (one of {EDGE_DEPENDENT_MODELS}), got {type(name).__name__}")
    key = name.lower()
    if key.startswith("conhd") and key[len("conhd"):].lstrip("-_") in _CONHD_FLAVOURS:
        return "conhd", key[len("conhd"):].lstrip("-_")
    if key == "whatsnet" or key in ENCODERS:
        return key, ""
    raise ValueError(f"unknown model {name!r}; choose from {EDGE_DEPENDENT_MODELS}")


def build_edge_dependent_model(name: str, in_channels: int, num_classes: int, *, pe_channels: int = 4,
                               operator: str = "isab", **kwargs: Any) -> nn.Module:
    """An incidence classifier by name (:data:`EDGE_DEPENDENT_MODELS`).

    ``"conhd"`` (``operator`` ``"unp"`` / ``"isab"`` / ``"sab"``; ``"conhd-unp"``, ``"conhd-isab"``
    pin it; ``"conhd-admm"`` the ADMM variant) -> :class:`~hgnn.models.CoNHD` with ``pe_channels``
    positional-encoding columns; ``"whatsnet"`` -> :class:`~hgnn.models.WHATsNet`; an encoder name
    -> :class:`~hgnn.models.IncidenceScorer` (``pe_channels`` ignored unless passed in
    ``kwargs['scorer_pe']``). ``kwargs`` go to the constructor.
    """
    family, flavour = _parse_model(name)
    if family == "conhd":
        if flavour in ("unp", "isab", "sab"):
            operator = flavour
        elif flavour == "admm":
            kwargs.setdefault("variant", "admm")
        return CoNHD(in_channels, num_classes, operator=operator, pe_channels=pe_channels, **kwargs)
    if family == "whatsnet":
        return WHATsNet(in_channels, num_classes, pe_channels=pe_channels, **kwargs)
    scorer_pe = kwargs.pop("scorer_pe", 0)
    return IncidenceScorer(in_channels, num_classes, encoder=family, pe_channels=scorer_pe, **kwargs)


def _seed_list(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, bool) or not isinstance(seeds, (int, Sequence)):
        raise TypeError(f"seeds must be a number of runs or a list of seeds, got {type(seeds).__name__}")
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {seeds}")
        return list(range(seeds))
    if len(seeds) == 0:
        raise ValueError("seeds is an empty list; pass at least one seed")
    return [int(s) for s in seeds]


def summarize_edge_dependent_runs(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The ``"summary"`` of a :func:`run_edge_dependent` report from its ``runs``: test and
    validation micro- and macro-F1 as ``{"mean", "std"}`` in percent (sample standard deviation),
    the mean ``epoch_s``, the largest ``peak_rss_mb`` and, when the runs have one, the largest
    ``peak_cuda_mb``; e.g. to summarise the seeds of one setting run in several processes."""
    if len(runs) == 0:
        raise ValueError("runs is empty: there is nothing to summarise")
    summary: dict[str, Any] = {f"{part}_{metric}": summarize([r[part][metric] for r in runs])
                               for part in ("test", "val") for metric in ("micro_f1", "macro_f1")}
    summary["epoch_s"] = statistics.fmean(r["epoch_s"] for r in runs)
    summary["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    if any(r.get("peak_cuda_mb") is not None for r in runs):
        summary["peak_cuda_mb"] = max(r["peak_cuda_mb"] or 0.0 for r in runs)
    return summary


def run_edge_dependent(
    model: str = "conhd",
    dataset: str | Hypergraph = "enc-emaileu",
    *,
    seeds: int | Sequence[int] = 5,
    epochs: int = 100,
    operator: str = "isab",
    num_layers: int = 1,
    batch_size: int | None = 128,
    lr: float = 1e-3,
    hidden: int | None = None,
    dropout: float | None = None,
    input_dropout: float = 0.0,
    max_edges_per_node: int | None = 40,
    max_nodes_per_edge: int | None = None,
    eval_every: int = 5,
    patience: int | None = 5,
    eval_batch_size: int | str | None = "auto",
    mode: str = "auto",
    gamma: float = 0.99,
    precision: str = "float32",
    eval_precision: str = "float32",
    record_test: bool = False,
    use_pe: bool = True,
    num_workers: int = 0,
    device: str | torch.device = "cpu",
    root: str | None = None,
    features: tuple[Tensor, Tensor | None] | None = None,
    model_kwargs: dict[str, Any] | None = None,
    progress: bool = True,
    on_seed: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train ``model`` on an edge-dependent dataset once per seed; report every run and mean +- std.

    The defaults are the CoNHD reference's (``zhengyijia/CoNHD``) common settings: 100 epochs,
    validation every 5 with patience 5, co-representations of width 128, dropout 0.7, 40 sampled
    hyperedges per node; the settings it varies per dataset default to its Email-Eu script's (one
    diffusion step, 128 hyperedges per step, lr 1e-3, no input dropout). The reference's
    per-dataset settings and seeds are in ``benchmarks/edge_dependent/run.py``. The
    :class:`~hgnn.models.IncidenceScorer` baselines and WHATsNet default to hidden 64 and dropout
    0.5.

    Args:
        model: a name of :data:`EDGE_DEPENDENT_MODELS`.
        dataset: a registry name (``enc-emaileu``, ``enc-stackoverflowbiology``, ...) or a
            :class:`~hgnn.structure.Hypergraph` with ``incidence_data["y"]`` and the split masks in
            ``edge_data``.
        seeds: a number of runs (seeds ``0..k-1``) or a list of seeds.
        epochs, batch_size, lr: as :func:`~hgnn.tasks.edge_dependent.fit_edge_dependent`.
        max_edges_per_node, max_nodes_per_edge: the training neighbourhoods' sampling caps (as there).
        eval_every, patience, eval_batch_size: validation settings (as there).
        mode, num_workers: how the training batches are run and built (as there).
        gamma, precision, eval_precision, record_test: the per-epoch lr decay, mixed precision of
            the training steps and of the periodic validation, and test curves (as there).
        operator: CoNHD's set block (``"unp"``, ``"isab"``, ``"sab"``) unless the name pins it.
        num_layers, input_dropout: CoNHD's diffusion steps and input dropout.
        hidden, dropout: the width and dropout (``None``: 128 and 0.7 for CoNHD, 64 and 0.5 else).
        use_pe: feed the positional encoding to CoNHD and WHATsNet.
        device: where to train.
        root: the data folder (default: the ``HGNN_DATA`` folders).
        features: precomputed ``(x, pe)`` (default :func:`edge_dependent_features`, cached).
        model_kwargs: more constructor arguments (they win over the ones above).
        progress: show tqdm bars.
        on_seed: called after each seed with the report of the seeds finished so far (the returned
            dict's layout, ``"complete": False`` until the last seed), e.g. to save the finished
            seeds of a run that may be interrupted.

    Returns:
        ``{"model", "dataset", "complete", "config", "data", "runs", "summary"}``; ``summary`` holds
        ``test_micro_f1``, ``test_macro_f1``, ``val_micro_f1``, ``val_macro_f1`` as
        ``{"mean", "std"}`` in percent, ``epoch_s`` (mean training seconds per epoch),
        ``peak_rss_mb`` (the process's peak resident memory after the runs, ``ru_maxrss``) and
        ``peak_cuda_mb`` on CUDA.
    """
    family, flavour = _parse_model(model)
    seed_list = _seed_list(seeds)
    from hgnn.datasets import load_hypergraph

    name, hg = load_hypergraph(dataset, root=root)
    if "y" not in hg.incidence_data:
        raise ValueError(f"{name!r} has no incidence labels (incidence_data['y']): it is not an edge-dependent "
                         "node-classification dataset")
    device = torch.device(device)
    x, pe = features if features is not None else edge_dependent_features(hg, name if isinstance(name, str) else None)
    if not use_pe:
        pe = None
    is_conhd = family == "conhd"
    uses_pe = is_conhd or family == "whatsnet"
    kwargs = dict(model_kwargs or {})
    if is_conhd:
        kwargs.setdefault("num_layers", num_layers)
        kwargs.setdefault("hidden_channels", hidden or 128)
        kwargs.setdefault("dropout", 0.7 if dropout is None else dropout)
        kwargs.setdefault("input_dropout", input_dropout)
    else:
        kwargs.setdefault("hidden_channels", hidden or 64)
        kwargs.setdefault("dropout", 0.5 if dropout is None else dropout)
    labels = hg.incidence_data["y"].long()
    num_classes = int(labels.max()) + 1
    hg_dev = hg.to(device)
    x, pe = x.to(device), None if pe is None else pe.to(device)
    pe_channels = 0 if pe is None else pe.size(1)
    config = {"seeds": seed_list, "epochs": epochs, "batch_size": batch_size, "lr": lr,
              "max_edges_per_node": max_edges_per_node, "max_nodes_per_edge": max_nodes_per_edge,
              "eval_every": eval_every, "patience": patience,
              "eval_batch_size": eval_batch_size, "mode": mode, "precision": precision,
              "eval_precision": eval_precision,
              "use_pe": pe is not None,
              "model_kwargs": kwargs, "device": str(device), "torch": torch.__version__,
              "python": platform.python_version(),
              "machine": f"{platform.machine()} {torch.get_num_threads()} threads",
              "optimizer": {"name": "adam", "eps": 1e-4, "weight_decay": 1e-4, "gamma": gamma, "clip_norm": 1.0}}
    if is_conhd:
        config["operator"] = flavour if flavour in ("unp", "isab", "sab") else operator
    data = {"num_nodes": hg.num_nodes, "num_edges": hg.num_edges, "num_incidences": hg.num_incidences,
            "num_features": x.size(1), "num_classes": num_classes,
            "split_edges": {k: int(hg.edge_data[f"{k}_mask"].sum()) for k in ("train", "val", "test")
                            if f"{k}_mask" in hg.edge_data}}

    def report(runs: list[dict[str, Any]]) -> dict[str, Any]:
        summary = summarize_edge_dependent_runs(runs)
        return {"model": model, "dataset": name, "complete": len(runs) == len(seed_list), "config": config,
                "data": data, "runs": list(runs), "summary": summary}

    runs = []
    for seed in seed_list:
        seed_everything(seed)
        net = build_edge_dependent_model(model, x.size(1), num_classes, pe_channels=pe_channels if uses_pe else 0,
                                         operator=operator, **kwargs).to(device)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        result = fit_edge_dependent(
            net, hg_dev, x, pe if (uses_pe or kwargs.get("scorer_pe")) else None, labels=labels.to(device),
            epochs=epochs, batch_size=batch_size, lr=lr, max_edges_per_node=max_edges_per_node,
            max_nodes_per_edge=max_nodes_per_edge, mode=mode, gamma=gamma, precision=precision,
            eval_precision=eval_precision, record_test=record_test, eval_every=eval_every, num_workers=num_workers,
            patience=patience, eval_batch_size=eval_batch_size, seed=seed, progress=progress,
            desc=f"{model} {name} seed {seed}")
        runs.append({"seed": seed, **result.to_dict()})
        if on_seed is not None:
            on_seed(report(runs))
    return report(runs)
