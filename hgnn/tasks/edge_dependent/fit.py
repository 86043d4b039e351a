r"""Training an incidence classifier on mini-batches of training hyperedges, on the training engine.

:func:`fit_edge_dependent` is :func:`hgnn.train.engine.fit_loop` with hyperedge batches plugged in:
the model and a trainable node embedding train together (one ``nn.ModuleList``), each step
minimises the cross-entropy of the batch's incidences, and the weights of the best validation
micro-F1 are kept. The recipe follows the CoNHD reference (``zhengyijia/CoNHD``, ``train.py``):
Adam with ``eps=1e-4`` and weight decay 1e-4 on every parameter, gradient norms clipped to 1 for
the node embedding, the encoder and the readout *separately*, ``ExponentialLR(0.99)`` stepped once
per epoch, at most 40 hyperedges sampled per node in the training neighbourhoods, validation every
5 epochs with patience 5 (the reference's rule: training stops at the 6th evaluation in a row
without a better score) and testing the kept weights on full neighbourhoods. Where we differ:
validation also runs on full (exact) neighbourhoods (the reference reuses the sampled training
loader there); the last epoch is always evaluated; the embedding of node 0 is trainable (the
reference's ``padding_idx=0`` freezes it).
"""
from __future__ import annotations

import platform
import resource
import statistics
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.loader import HyperedgeBatch, HyperedgeBatchSampler, HyperedgeLoader, hyperedge_neighborhood
from hgnn.models import CoNHD, WHATsNet
from hgnn.models.incidence_scorer import IncidenceScorer
from hgnn.structure import Hypergraph
from hgnn.tasks.edge_dependent.layered import batch_logits, predict_edge_dependent, receptive_field
from hgnn.train import f1_score, fit_loop

__all__ = ["PRECISIONS", "WHOLE_GRAPH", "EdgeDependentFitResult", "fit_edge_dependent", "peak_memory_mb"]


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (``ru_maxrss``, KiB on Linux), in MiB."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024.0 if platform.system() != "Darwin" else rss / 2**20


@dataclass
class EdgeDependentFitResult:
    """What :func:`fit_edge_dependent` returns (F1 scores as fractions).

    Epochs are counted from 1 here: ``best_epoch`` is the number of epochs trained when the kept
    weights were evaluated (5: after the fifth epoch), as are the entries of
    ``history["eval_epoch"]``.

    Attributes:
        best_epoch: the epoch (1-based) whose weights were kept: the best validation micro-F1.
        epochs_run: epochs trained (fewer than asked after early stopping).
        train: ``{"micro_f1", "loss"}`` of the kept epoch's training pass (dropout on, sampled
            neighbourhoods).
        val, test: ``{"micro_f1", "macro_f1", "loss"}`` of the kept weights on full neighbourhoods.
        epoch_s: mean seconds of a training epoch.
        eval_s: seconds spent evaluating (every validation pass and the final one).
        seconds: wall time of the training and evaluation.
        peak_rss_mb: the process's peak resident memory (:func:`peak_memory_mb`).
        peak_cuda_mb: peak CUDA allocation on a GPU, else ``None``.
        history: per epoch ``loss``, ``train_micro_f1``, ``epoch_s``; at the evaluated epochs
            ``eval_epoch``, ``elapsed_s`` and ``elapsed_cpu_s`` (wall and process CPU seconds of
            training and validation so far),
            ``val_micro_f1``, ``val_macro_f1``, ``val_loss`` and, with ``record_test``,
            ``test_micro_f1``, ``test_macro_f1``.

    ``embedding`` (an attribute, not a field, so :meth:`to_dict` leaves it out): the trained
    ``nn.Embedding`` of the kept epoch.
    """

    best_epoch: int
    epochs_run: int
    train: dict[str, float]
    val: dict[str, float]
    test: dict[str, float]
    epoch_s: float
    eval_s: float
    seconds: float
    peak_rss_mb: float
    peak_cuda_mb: float | None = None
    history: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self, history: bool = True) -> dict[str, Any]:
        """A JSON-ready dict (``history=False`` drops the per-epoch curves)."""
        out = asdict(self)
        if not history:
            out.pop("history")
        return out


def _parameter_groups(model: nn.Module) -> list[list[nn.Parameter]]:
    """Groups clipped separately: the reference's embedder and scorer."""
    if hasattr(model, "parameter_groups"):
        return [list(g) for g in model.parameter_groups()]
    if isinstance(model, CoNHD):
        body = list(model.lin_in.parameters()) + list(model.convs.parameters())
        return [body, list(model.lin_out.parameters())]
    return [list(model.parameters())]


def _edge_ids(value: Tensor | None, hg: Hypergraph, key: str) -> Tensor:
    if value is None:
        if key not in hg.edge_data:
            raise ValueError(f"no {key!r} in hg.edge_data: pass the hyperedges explicitly")
        value = hg.edge_data[key]
    value = torch.as_tensor(value, device=hg.device)
    return value.nonzero().view(-1) if value.dtype == torch.bool else value.long()


def _metrics(y: Tensor, logits: Tensor, num_classes: int) -> dict[str, float]:
    logits = logits.float()
    return {"micro_f1": f1_score(y, logits, "micro", num_classes),
            "macro_f1": f1_score(y, logits, "macro", num_classes),
            "loss": F.cross_entropy(logits, y).item()}


def _resolve_eval_batch(eval_batch_size: int | str | None, hg: Hypergraph, edges: Tensor, hops: int | None,
                        batch_size: int) -> int | None:
    """``"auto"``: batches of ``4 * batch_size`` hyperedges, unless the batches would together
    read more incidence rows than one full-graph pass (estimated from the first batch's
    neighbourhood times the number of batches; overlapping neighbourhoods are read once per
    batch). On Stack-Physics (1 step) the batches would read ~6x the graph: a validation pass went
    from ~5.5 min in batches to one full pass."""
    if eval_batch_size != "auto":
        return eval_batch_size
    if hops is None or edges.numel() == 0:
        return None
    size = 4 * batch_size
    probe = hyperedge_neighborhood(hg, edges[:size], hops)
    num_batches = -(-edges.numel() // size)
    return None if probe.incidence_ids.numel() * num_batches >= hg.num_incidences else size


#: :func:`fit_edge_dependent`'s ``precision`` choices.
PRECISIONS = ("float32", "bfloat16")

#: :func:`fit_edge_dependent` settings for whole-graph (full-batch) training: one step per epoch on
#: the loss of every training incidence, lr 3e-3 held constant (an epoch is one step, so the
#: per-epoch decay is off), validation every 10 steps. CoNHD reached the reference's accuracy on
#: Stack-Biology 8-12x sooner this way than with the reference's mini-batches (one CPU thread).
WHOLE_GRAPH: dict[str, Any] = {"mode": "full", "batch_size": None, "lr": 3e-3, "gamma": 1.0, "eval_every": 10}


def _check_args(epochs: Any, batch_size: Any, eval_every: Any, patience: Any, mode: Any, num_workers: Any,
                precision: Any, eval_precision: Any) -> None:
    for name, value in (("epochs", epochs), ("batch_size", 1 if batch_size is None else batch_size),
                        ("eval_every", eval_every)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 0):
        raise ValueError(f"patience must be an int >= 0 (evaluations without improvement before stopping) or "
                         f"None (never stop early), got {patience!r}")
    if mode not in ("auto", "sampled", "full"):
        raise ValueError(f"mode must be 'auto', 'sampled' or 'full', got {mode!r}")
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"num_workers must be a non-negative int, got {num_workers!r}")
    for name, value in (("precision", precision), ("eval_precision", eval_precision)):
        if value not in PRECISIONS:
            raise ValueError(f"{name} must be one of {PRECISIONS}, got {value!r}")


def _embedding(x_embedding: Tensor | nn.Embedding, hg: Hypergraph, train_features: bool) -> nn.Embedding:
    """A fresh ``nn.Embedding`` holding a copy of the initial node features."""
    weight = x_embedding.weight.detach() if isinstance(x_embedding, nn.Embedding) else x_embedding
    if not isinstance(weight, Tensor) or weight.dim() != 2 or not weight.is_floating_point():
        raise TypeError("x_embedding must be a float [N, F] tensor or an nn.Embedding")
    if weight.shape[0] != hg.num_nodes:
        raise ValueError(f"x_embedding must have {hg.num_nodes} rows (one per node), got {weight.shape[0]}")
    return nn.Embedding.from_pretrained(weight.detach().float().clone(), freeze=not train_features).to(hg.device)


def fit_edge_dependent(
    model: nn.Module,
    hg: Hypergraph,
    x_embedding: Tensor | nn.Embedding,
    pe: Tensor | None = None,
    *,
    labels: Tensor | None = None,
    train_edges: Tensor | None = None,
    val_edges: Tensor | None = None,
    test_edges: Tensor | None = None,
    epochs: int = 100,
    batch_size: int | None = 64,
    lr: float = 1e-3,
    weight_decay: float = 1e-4,
    eps: float = 1e-4,
    gamma: float = 0.99,
    clip_norm: float | None = 1.0,
    max_edges_per_node: int | None = 40,
    max_nodes_per_edge: int | None = None,
    mode: str = "auto",
    eval_every: int = 5,
    patience: int | None = 5,
    eval_batch_size: int | str | None = "auto",
    train_features: bool = True,
    layered: bool = True,
    precision: str = "float32",
    eval_precision: str = "float32",
    record_test: bool = False,
    seed: int = 0,
    num_workers: int = 0,
    progress: bool = True,
    desc: str | None = None,
) -> EdgeDependentFitResult:
    r"""Train ``model(x, hg, pe) -> [nnz, C]`` on mini-batches of training hyperedges (module docstring).

    Every step draws ``batch_size`` training hyperedges and minimises the cross-entropy of their
    incidences,

    .. math::
        \mathcal{L} = -\frac{1}{|I_B|} \sum_{(v,e) \in I_B} \log \mathrm{softmax}(\hat y_{v,e})_{y_{v,e}},
        \qquad I_B = \{(v, e) : e \in B\},

    with the node features :math:`X = \mathrm{Emb}` trainable (``train_features``). Adam
    (``lr``, ``eps``, ``weight_decay`` on every parameter), gradient norms clipped to
    ``clip_norm`` per group (node embedding; the model's groups, e.g. CoNHD's diffusion and
    readout), ``ExponentialLR(gamma)`` per epoch. After every ``eval_every``-th epoch (and the
    last) the validation micro-F1 on full neighbourhoods is computed; the weights of the best
    (strictly better) evaluation, embedding included, are kept and evaluated on val and test.

    Args:
        model: the incidence classifier.
        hg: the full hypergraph (on the device to train on).
        x_embedding: ``[N, F]`` initial node features (standardise them first, see
            :func:`~hgnn.tasks.edge_dependent.standardize`) or an ``nn.Embedding``; copied into a
            fresh ``nn.Embedding``.
        pe: ``[nnz, K]`` positional encoding, or ``None``.
        labels: ``[nnz]`` labels (default ``hg.incidence_data["y"]``).
        train_edges, val_edges, test_edges: hyperedge ids or masks (default ``hg.edge_data``'s
            ``train_mask`` / ``val_mask`` / ``test_mask``).
        epochs: the maximum number of epochs.
        batch_size: training hyperedges per step; ``None``: all of them, one step per epoch (with
            ``mode="full"``: full-batch training, one whole-graph pass per step).
        lr, weight_decay, eps: Adam's settings.
        gamma: the per-epoch decay of the learning rate.
        clip_norm: the gradient-norm bound of each parameter group (``None``: no clipping).
        max_edges_per_node, max_nodes_per_edge: sampling caps of the training neighbourhoods
            (``"sampled"`` mode; ``None``: no cap).
        mode: ``"sampled"``: each step runs on the batch's ``num_hops`` neighbourhood
            (:class:`~hgnn.loader.HyperedgeBatchSampler`, with ``max_edges_per_node`` sampled
            hyperedges per node and, if given, ``max_nodes_per_edge`` members per non-target
            hyperedge); ``"full"``: each step runs the model on the whole hypergraph and
            takes the loss on the batch; ``"auto"``: sampled for :class:`~hgnn.models.CoNHD`,
            :class:`~hgnn.models.WHATsNet` and models with ``num_hops == 0`` (the MLP scorer:
            its batch is the targets' hyperedges alone), full otherwise (cheap full-graph encoders).
        eval_every: evaluate after every this many epochs.
        patience: stop once more than ``patience`` evaluations in a row bring no better validation
            micro-F1 (with 5, at the 6th); ``None``: train every epoch.
        eval_batch_size: hyperedges per evaluation batch, ``None`` for one full-graph pass, or
            ``"auto"`` (batches unless they would read more rows than one full pass; see
            :func:`~hgnn.tasks.edge_dependent.predict_edge_dependent`; all give the same logits).
        train_features: train the node embedding too.
        layered: in sampled mode, run CoNHD's step :math:`t + 1` on :math:`R_t` only and
            WHATsNet's layer :math:`k` on :math:`R_{2k-2}`
            (:func:`~hgnn.tasks.edge_dependent.conhd_layered_logits`,
            :func:`~hgnn.tasks.edge_dependent.whatsnet_layered_logits`; fewer rows per step, same
            logits without a cap).
        precision: ``"float32"``, or ``"bfloat16"``: mixed precision, the training steps' forward
            pass under :class:`torch.autocast` with ``bfloat16`` (matrix products in ``bfloat16``;
            weights, optimiser state, group sums (:func:`hgnn.ops.scatter`) and the loss in
            ``float32``). On CPUs with AMX or AVX-512 BF16 a CoNHD step is ~2x faster.
        eval_precision: the same choice for the periodic validation passes (and the test curve of
            ``record_test``) that pick the kept weights: ``"bfloat16"`` halves their cost (a
            whole-graph CoNHD pass on Email-Eu: 10.5 -> 5 CPU s). The final scores of the kept
            weights (``val``, ``test``) are always computed in ``float32``.
        record_test: also score the test hyperedges at every evaluation (``history`` gains
            ``test_micro_f1`` / ``test_macro_f1``; the kept weights are still chosen by validation
            alone), for learning curves and time-to-accuracy measurements. A batched evaluation
            scores the test part in passes of its own, whose time is left out of
            ``history["elapsed_s"]`` and ``history["elapsed_cpu_s"]``; a whole-graph evaluation
            scores both parts from its one pass (only the test metrics are added).
        seed: seeds the batch order and the neighbourhood sampling.
        num_workers: ``0`` builds the batches in this process
            (:class:`~hgnn.loader.HyperedgeBatchSampler`); more builds them in that many worker
            processes (:class:`~hgnn.loader.HyperedgeLoader`, persistent workers, pinned memory on
            CUDA) while the model trains, e.g. to keep a GPU fed. Both are reproducible under
            ``seed`` but draw different samples.
        progress: show a tqdm bar; ``desc``: its label.

    Returns:
        An :class:`EdgeDependentFitResult`; ``model`` holds the kept weights, in eval mode.

    Raises:
        ValueError, TypeError: bad arguments, before any training.
        FloatingPointError: the training loss became NaN or infinite.
    """
    _check_args(epochs, batch_size, eval_every, patience, mode, num_workers, precision, eval_precision)
    device = hg.hyperedge_index.device
    labels = hg.incidence_data.get("y") if labels is None else labels
    if labels is None or labels.shape != (hg.num_incidences,):
        raise ValueError(f"labels must be [nnz={hg.num_incidences}] (or hg.incidence_data['y'])")
    labels = labels.to(device).long()
    if pe is not None and pe.size(0) != hg.num_incidences:
        raise ValueError(f"pe must have one row per incidence ({hg.num_incidences}), got {pe.size(0)}")
    train = _edge_ids(train_edges, hg, "train_mask")
    val = _edge_ids(val_edges, hg, "val_mask")
    test = _edge_ids(test_edges, hg, "test_mask")
    if train.numel() == 0:
        raise ValueError("train_edges selects no hyperedge: there is nothing to train on")
    num_classes = getattr(model, "num_classes", None) or int(labels.max()) + 1
    emb = _embedding(x_embedding, hg, train_features)
    batch_size = train.numel() if batch_size is None else batch_size

    hops = receptive_field(model)
    if mode == "auto":
        mode = "sampled" if isinstance(model, (CoNHD, WHATsNet)) or hops == 0 else "full"
    if mode == "sampled" and hops is None:
        raise ValueError("mode='sampled' needs a model with a known receptive field (CoNHD or .num_hops)")
    depth = hops if mode == "sampled" else 0
    caps = dict(max_edges_per_node=max_edges_per_node if mode == "sampled" else None,
                max_nodes_per_edge=max_nodes_per_edge if mode == "sampled" else None)
    if num_workers == 0:
        sampler = HyperedgeBatchSampler(hg, train, batch_size, depth, shuffle=True, labels=labels, seed=seed, **caps)
    else:  # batches built in worker processes, from a CPU copy of the hypergraph
        sampler = HyperedgeLoader(hg.to("cpu"), train.cpu(), depth, batch_size, labels=labels.cpu(), shuffle=True,
                                  generator=torch.Generator().manual_seed(seed), num_workers=num_workers,
                                  persistent_workers=True, pin_memory=device.type == "cuda", **caps)
    eval_bs = _resolve_eval_batch(eval_batch_size, hg, val, hops, batch_size)

    groups = [list(emb.parameters())] if train_features else []
    groups += _parameter_groups(model)
    params = [p for g in groups for p in g if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr, eps=eps, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=gamma)

    def score(parts: dict[str, Tensor]) -> dict[str, dict[str, float]]:
        """Metrics of the current weights on each part's incidences (eval mode, no gradients)."""
        x = emb.weight
        if eval_bs is None:  # one full-graph pass serves every part
            logits = model(x, hg, pe)
            out = {}
            for name, edges in parts.items():
                keep = torch.zeros(hg.num_edges, dtype=torch.bool, device=device)
                keep[edges] = True
                ids = keep[hg.hyperedge_index[1]].nonzero().view(-1)
                out[name] = _metrics(labels[ids], logits[ids], num_classes)
            return out
        out = {}
        for name, edges in parts.items():
            ids, logits = predict_edge_dependent(model, hg, x, pe, edges, hops, eval_bs)
            out[name] = _metrics(labels[ids], logits, num_classes)
        return out

    seen = {"correct": 0, "count": 0}
    train_f1: list[float] = []  # per epoch: accuracy of the training pass
    timer = {"eval_s": 0.0, "test_s": 0.0, "test_cpu_s": 0.0}

    def epoch_batches(epoch: int) -> Iterator[HyperedgeBatch]:
        seen["correct"], seen["count"] = 0, 0
        yield from sampler
        train_f1.append(seen["correct"] / max(seen["count"], 1))

    low_precision = precision == "bfloat16"

    def step(batch: HyperedgeBatch) -> tuple[Tensor, int]:
        batch = batch.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=low_precision):
            if mode == "sampled":
                logits = batch_logits(model, emb(batch.node_ids), batch, pe, layered=layered)
            elif isinstance(model, IncidenceScorer):  # score the batch's incidences only
                logits = model(emb.weight, hg, pe, incidences=batch.target_incidence_ids)
            else:
                logits = model(emb.weight, hg, pe)[batch.target_incidence_ids]
        logits = logits.float()
        seen["correct"] += int((logits.argmax(-1) == batch.y).sum())
        seen["count"] += batch.y.numel()
        return F.cross_entropy(logits, batch.y), batch.y.numel()

    def periodic_score(parts: dict[str, Tensor]) -> dict[str, dict[str, float]]:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=eval_precision == "bfloat16"):
            return score(parts)

    def evaluate() -> dict[str, float]:
        t0 = time.perf_counter()
        # one whole-graph pass serves the test curve too; batched passes score the test part apart
        together = record_test and eval_bs is None
        scores = periodic_score({"val": val, "test": test} if together else {"val": val})
        timer["eval_s"] += time.perf_counter() - t0
        out = {f"val_{key}": value for key, value in scores["val"].items()}
        out["elapsed_s"] = time.perf_counter() - start - timer["test_s"]
        out["elapsed_cpu_s"] = time.process_time() - cpu_start - timer["test_cpu_s"]
        if record_test:
            t0, c0 = time.perf_counter(), time.process_time()
            test_scores = scores["test"] if together else periodic_score({"test": test})["test"]
            out.update({f"test_{key}": test_scores[key] for key in ("micro_f1", "macro_f1")})
            timer["test_s"] += time.perf_counter() - t0
            timer["test_cpu_s"] += time.process_time() - c0
        return out

    start, cpu_start = time.perf_counter(), time.process_time()
    log = fit_loop(nn.ModuleList([model, emb]), optimizer, epoch_batches, step, epochs=epochs, evaluate=evaluate,
                   monitor="val_micro_f1", patience=None if patience is None else patience + 1,
                   eval_every=eval_every, scheduler=scheduler, clip_norm=clip_norm, clip_groups=groups,
                   progress=progress, desc=desc)
    t0 = time.perf_counter()
    with torch.no_grad():
        final = score({"val": val, "test": test})
    timer["eval_s"] += time.perf_counter() - t0
    seconds = time.perf_counter() - start
    cuda_mb = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    h = log.history
    history = {"loss": h["loss"], "train_micro_f1": train_f1, "epoch_s": h["epoch_s"],
               "eval_epoch": [e + 1 for e in h["eval_epoch"]],
               "elapsed_s": h.get("elapsed_s", []), "elapsed_cpu_s": h.get("elapsed_cpu_s", []),
               **{f"val_{key}": h.get(f"val_{key}", []) for key in ("micro_f1", "macro_f1", "loss")}}
    if record_test:
        history.update({f"test_{key}": h.get(f"test_{key}", []) for key in ("micro_f1", "macro_f1")})
    result = EdgeDependentFitResult(
        best_epoch=log.best_epoch + 1, epochs_run=log.epochs_run,
        train={"micro_f1": train_f1[log.best_epoch], "loss": h["loss"][log.best_epoch]},
        val=final["val"], test=final["test"], epoch_s=statistics.fmean(h["epoch_s"]), eval_s=timer["eval_s"],
        seconds=seconds, peak_rss_mb=peak_memory_mb(), peak_cuda_mb=cuda_mb, history=history)
    result.embedding = emb  # the trained node features (not a dataclass field: to_dict leaves it out)
    return result
