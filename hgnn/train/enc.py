"""Edge-dependent node classification (ENC): mini-batch training over hyperedges, and multi-seed runs.

One label per incidence :math:`(v, e)`; the splits are by hyperedge (all incidences of a hyperedge
are in the same split). Models are called as ``model(x, hg, pe) -> [nnz, C]`` logits per incidence
(:class:`~hgnn.models.CoNHD`, :class:`~hgnn.models.IncidenceScorer`)::

    from hgnn.train.enc import run_enc
    report = run_enc("conhd", "enc-emaileu", seeds=5, operator="unp")
    report["summary"]["test_micro_f1"]        # {'mean': ..., 'std': ...} in percent

The training follows the CoNHD reference (``zhengyijia/CoNHD``, ``train.py``): node features are a
trainable embedding initialised from the standardised 44-d random-walk embedding; Adam with lr from
the script, ``eps=1e-4``, weight decay 1e-4 on every parameter; cross-entropy over the batch's
target incidences; gradient norms clipped to 1 for the node embedding, the encoder and the readout
*separately*; ``ExponentialLR(0.99)`` stepped once per epoch; at most 40 hyperedges sampled per
node in the training neighbourhoods; validation every 5 epochs, keeping the weights of the best
validation micro-F1 (accuracy; strictly better wins) with patience 5 evaluations (the parser
default); testing the kept weights on full neighbourhoods. Our differences: validation also runs
on full (exact) neighbourhoods (the reference reuses the sampled training loader there); the last
epoch is always evaluated; the embedding of node 0 is trainable (the reference's ``padding_idx=0``
freezes it).
"""
from __future__ import annotations

import copy
import platform
import resource
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from hgnn.loader import HyperedgeBatch, HyperedgeBatchSampler, HyperedgeLoader, hyperedge_neighborhood
from hgnn.models import CoNHD, WHATsNet
from hgnn.models.incidence_scorer import ENCODERS, IncidenceScorer
from hgnn.nn.conv._utils import check_features
from hgnn.structure import Hypergraph, node_to_edge
from hgnn.train.evaluator import f1_score
from hgnn.train.trainer import seed_everything
from hgnn.train.experiment import summarize

__all__ = [
    "ENC_MODELS",
    "REFERENCE_CONFIGS",
    "REFERENCE_SEEDS",
    "EncFitResult",
    "batch_logits",
    "build_enc_model",
    "conhd_layered_logits",
    "enc_features",
    "fit_enc",
    "peak_memory_mb",
    "predict_enc",
    "run_enc",
    "standardize",
    "whatsnet_layered_logits",
]

#: The seeds of the reference scripts (``script/edge_dependent_node_classification/run_*.sh``).
REFERENCE_SEEDS = (0, 10, 100, 500, 10000)

#: Per-dataset CoNHD settings of the reference scripts (``run_emailEu.sh``,
#: ``run_StackOverflowBiology.sh``, ``run_StackOverflowPhysics.sh``, ``run_DBLP.sh``; every one
#: also uses 100 epochs, validation every 5, dropout 0.7, ``--hedge_sampling 40``,
#: ``co_rep_dim`` 128, two set blocks, 4 heads, 4 inducing points, 4 centralities).
REFERENCE_CONFIGS: dict[str, dict[str, Any]] = {
    "enc-emaileu": {"num_layers": 1, "batch_size": 128, "lr": 1e-3, "input_dropout": 0.0},
    "enc-stackoverflowbiology": {"num_layers": 2, "batch_size": 64, "lr": 1e-4, "input_dropout": 0.7},
    "enc-stackoverflowphysics": {"num_layers": 1, "batch_size": 64, "lr": 1e-4, "input_dropout": 0.7},
    "enc-dblp": {"num_layers": 2, "batch_size": 128, "lr": 1e-3, "input_dropout": 0.7},
}

#: ``run_enc`` model names: ``conhd`` (``operator`` picks the set block; ``conhd-unp`` and
#: ``conhd-isab`` pin it) and the :class:`~hgnn.models.IncidenceScorer` encoders.
ENC_MODELS = ("conhd", "conhd-unp", "conhd-isab", "conhd-admm", "whatsnet", *sorted(ENCODERS))


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (``ru_maxrss``, KiB on Linux), in MiB."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024.0 if platform.system() != "Darwin" else rss / 2**20


def standardize(x: Tensor) -> Tensor:
    """Per-column zero mean, unit variance (scikit-learn's ``StandardScaler``: population std,
    constant columns left at zero), in float32."""
    x = x.double()
    mean = x.mean(0, keepdim=True)
    std = x.std(0, unbiased=False, keepdim=True)
    std = torch.where(std > 0, std, torch.ones_like(std))
    return ((x - mean) / std).float()


@dataclass
class EncFitResult:
    """What :func:`fit_enc` returns (F1 scores as fractions).

    ``embedding`` (an attribute, not a field): the trained ``nn.Embedding`` of the kept epoch.
    ``val`` / ``test``: ``{"micro_f1", "macro_f1", "loss"}`` of the kept weights on full
    neighbourhoods; ``train``: the training pass of the kept epoch (dropout on, sampled
    neighbourhoods). ``history``: per epoch ``loss``, ``train_micro_f1``, ``epoch_s``, and at the
    evaluated epochs ``eval_epoch``, ``val_micro_f1``, ``val_macro_f1``, ``val_loss``.
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


def conhd_layered_logits(model: CoNHD, x: Tensor, batch: HyperedgeBatch, pe: Tensor | None = None) -> Tensor:
    r"""CoNHD's logits for a batch's targets, step :math:`t + 1` run on :math:`R_t` only.

    ``model(x, batch.hg, pe)[batch.target_index]`` runs every step on all of :math:`R_0`; step
    :math:`t + 1` only needs :math:`R_t` as input (it holds the complete within-hyperedge and
    within-node sets of :math:`R_{t+1}`) and only its outputs on :math:`R_{t+1}`, so this runs
    it on the sub-hypergraph of :math:`R_t` and keeps the rows of :math:`R_{t+1}` (``batch.levels``),
    as the reference's DGL blocks do. Without a cap the logits equal the full model's; with a cap
    a node's within-node set at step :math:`t + 1` is its incidences in :math:`R_t` (rather than in
    :math:`R_0`), nearer the reference's blocks. ``x`` are the batch's node rows
    (``x_full[batch.node_ids]``), ``pe`` its incidence rows. Returns ``[T, C]`` aligned with
    ``batch.target_index`` / ``batch.y``.
    """
    levels = batch.levels
    if levels is None or len(levels) != model.num_layers + 1:
        raise ValueError(f"the batch must be built for num_layers={model.num_layers} (got "
                         f"{None if levels is None else len(levels) - 1})")
    index = batch.hg.hyperedge_index
    n, m = batch.hg.num_nodes, batch.hg.num_edges
    h0 = F.relu(model.lin_in(x)).index_select(0, index[0])
    h0 = F.dropout(h0, p=model.input_dropout, training=model.training)
    h, messages = h0, None
    for t in range(model.num_layers):
        pos = levels[t]
        sub = Hypergraph(index[:, pos], num_nodes=n, num_edges=m, validate=False)
        sub_pe = None if pe is None else pe[pos]
        conv = model.convs[0 if model.share_weights else t]
        if model.variant == "admm":
            h, messages = conv(h, sub, h0, sub_pe, messages=messages, return_messages=True)
        else:
            h = conv(h, sub, h0, sub_pe)
        keep = torch.searchsorted(pos, levels[t + 1])  # rows of R_{t+1} within R_t (both ascending)
        h, h0 = h[keep], h0[keep]
        if messages is not None:
            messages = (messages[0][keep], messages[1][keep])
    return model.lin_out(h)


def _compact(index: Tensor, num_rows: int) -> tuple[Tensor, Tensor]:
    """The sorted distinct ids of ``index`` and ``index`` relabelled to ``0..K-1`` by them."""
    present = torch.zeros(num_rows, dtype=torch.bool, device=index.device)
    present[index] = True
    ids = present.nonzero().view(-1)
    new = torch.cumsum(present.long(), 0) - 1
    return ids, new[index]


def _level(hg: Hypergraph, pos: Tensor) -> tuple[Tensor, Tensor, Hypergraph]:
    """The sub-hypergraph of the incidences ``pos`` of ``hg`` with its nodes and hyperedges
    relabelled: ``(node_ids, edge_ids, sub)``, the ids ascending ids of ``hg``."""
    nodes, edges = hg.hyperedge_index[:, pos]
    node_ids, sub_nodes = _compact(nodes, hg.num_nodes)
    edge_ids, sub_edges = _compact(edges, hg.num_edges)
    sub = Hypergraph(torch.stack([sub_nodes, sub_edges]), num_nodes=node_ids.numel(), num_edges=edge_ids.numel(),
                     validate=False)
    return node_ids, edge_ids, sub


def whatsnet_layered_logits(model: WHATsNet, x: Tensor, batch: HyperedgeBatch, pe: Tensor | None = None) -> Tensor:
    r"""WHATsNet's logits for a batch's targets, layer :math:`k` run on :math:`R_{2k-2}` only.

    A batch built for ``model.num_hops`` :math:`= 2L` hops has incidence levels
    :math:`R_0 \supseteq \dots \supseteq R_{2L}` (``batch.levels``). Layer :math:`k` (1-based)
    updates a node from its incidences and a hyperedge from its members; by induction, running it on
    the sub-hypergraph of :math:`R_{2k-2}` gives exact node embeddings on the nodes of
    :math:`R_{2k}` and exact hyperedge embeddings on the hyperedges of :math:`R_{2k-1}`, which is
    all that layer :math:`k + 1` (on :math:`R_{2k}`) and the classifier (on :math:`R_{2L}`, the
    targets' hyperedges) read. So without a cap the logits equal ``model(x, batch.hg, pe)``'s on
    the targets, at a fraction of the work (on Stack-Biology, 64 target hyperedges with 40 sampled
    hyperedges per node: :math:`|R_0| \approx 29\text{k}`, :math:`|R_2| \approx 5\text{k}`,
    :math:`|R_4| \approx 130` incidences). Every level runs on its own relabelled nodes and
    hyperedges, so no set block sees an empty group. ``x`` are the batch's node rows
    (``x_full[batch.node_ids]``), ``pe`` its incidence rows. Returns ``[T, C]`` aligned with
    ``batch.target_index`` / ``batch.y``.
    """
    levels = batch.levels
    if levels is None or len(levels) != model.num_hops + 1:
        raise ValueError(f"the batch must be built for num_hops={model.num_hops} (got "
                         f"{None if levels is None else len(levels) - 1})")
    check_features(x, model.in_channels)
    pe = model.check_pe(pe, batch.hg.num_incidences, x.dtype)
    z = node_to_edge(x, batch.hg, reduce="mean")
    node_ids = torch.arange(batch.hg.num_nodes, device=x.device)  # batch-local ids of the rows of x / z
    edge_ids = torch.arange(batch.hg.num_edges, device=x.device)
    for k, layer in enumerate(model.layers):
        pos = levels[2 * k]
        keep_n, keep_e, sub = _level(batch.hg, pos)
        x = x[torch.searchsorted(node_ids, keep_n)]
        z = z[torch.searchsorted(edge_ids, keep_e)]
        node_ids, edge_ids = keep_n, keep_e
        x, z = layer(x, z, sub, None if pe is None else pe[pos])
    keep_n, _, sub = _level(batch.hg, levels[-1])
    return model.score(x[torch.searchsorted(node_ids, keep_n)], sub)


def _layered_logits(model: CoNHD | WHATsNet, x: Tensor, batch: HyperedgeBatch, pe: Tensor | None) -> Tensor:
    """The layered logits of CoNHD or WHATsNet (the callers check the type)."""
    if isinstance(model, CoNHD):
        return conhd_layered_logits(model, x, batch, pe)
    return whatsnet_layered_logits(model, x, batch, pe)


def batch_logits(model: nn.Module, x: Tensor, batch: HyperedgeBatch, pe: Tensor | None = None, *,
                 layered: bool = True) -> Tensor:
    r"""Logits ``[T, C]`` of a :class:`~hgnn.loader.HyperedgeBatch`'s target incidences.

    ``x`` ``[N', F]`` are the features of the batch's nodes (``X[batch.node_ids]``), ``pe``
    ``[nnz, K]`` the *full* positional encoding (sliced here with ``batch.incidence_ids``).
    CoNHD and WHATsNet run layered (:func:`conhd_layered_logits`, :func:`whatsnet_layered_logits`:
    step :math:`t + 1` on :math:`R_t` only) unless ``layered=False``; other models run on the whole
    sub-hypergraph, ``model(x, batch.hg, pe)[batch.target_index]``; an
    :class:`~hgnn.models.IncidenceScorer` encodes the sub-hypergraph and scores the targets only.
    """
    sub_pe = None if pe is None else pe[batch.incidence_ids]
    if layered and isinstance(model, (CoNHD, WHATsNet)):
        return _layered_logits(model, x, batch, sub_pe)
    if isinstance(model, IncidenceScorer):
        return model(x, batch.hg, sub_pe, incidences=batch.target_index)
    return model(x, batch.hg, sub_pe)[batch.target_index]


def _num_hops(model: nn.Module) -> int | None:
    if isinstance(model, CoNHD):
        return model.num_layers
    hops = getattr(model, "num_hops", None)
    return None if hops is None else int(hops)


def _edge_ids(value: Tensor | None, hg: Hypergraph, key: str) -> Tensor:
    if value is None:
        if key not in hg.edge_data:
            raise ValueError(f"no {key!r} in hg.edge_data: pass the hyperedges explicitly")
        value = hg.edge_data[key]
    value = torch.as_tensor(value, device=hg.device)
    return value.nonzero().view(-1) if value.dtype == torch.bool else value.long()


def _metrics(y: Tensor, logits: Tensor, num_classes: int) -> dict[str, float]:
    return {"micro_f1": f1_score(y, logits, "micro", num_classes),
            "macro_f1": f1_score(y, logits, "macro", num_classes),
            "loss": F.cross_entropy(logits, y).item()}


@torch.no_grad()
def predict_enc(model: nn.Module, hg: Hypergraph, x: Tensor, pe: Tensor | None, edges: Tensor,
                num_hops: int | None = None, batch_size: int | None = None) -> tuple[Tensor, Tensor]:
    """Logits of the incidences of ``edges`` (eval mode is the caller's), on full neighbourhoods.

    ``batch_size=None`` (or a model with no known receptive field) runs the model once on the
    whole hypergraph; otherwise batches of ``batch_size`` hyperedges run on their exact
    ``num_hops`` neighbourhoods (:func:`~hgnn.loader.hyperedge_neighborhood`), which give the same
    logits. Returns ``(incidence_ids, logits)`` with the ids ascending within each batch.
    """
    hops = _num_hops(model) if num_hops is None else num_hops
    if batch_size is None or hops is None:
        keep = torch.zeros(hg.num_edges, dtype=torch.bool, device=hg.device)
        keep[edges] = True
        ids = keep[hg.hyperedge_index[1]].nonzero().view(-1)
        return ids, model(x, hg, pe)[ids]
    all_ids, all_logits = [], []
    for start in range(0, edges.numel(), batch_size):
        b = hyperedge_neighborhood(hg, edges[start:start + batch_size], hops)
        # layered (same logits, fewer rows) when the neighbourhood is the model's own depth
        all_logits.append(batch_logits(model, x[b.node_ids], b, pe, layered=hops == _num_hops(model)))
        all_ids.append(b.target_incidence_ids)
    return torch.cat(all_ids), torch.cat(all_logits)


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


def fit_enc(
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
    batch_size: int = 64,
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
    seed: int = 0,
    num_workers: int = 0,
    progress: bool = True,
    desc: str | None = None,
) -> EncFitResult:
    r"""Train ``model(x, hg, pe) -> [nnz, C]`` on mini-batches of training hyperedges.

    Every step draws ``batch_size`` training hyperedges and minimises the cross-entropy of their
    incidences,

    .. math::
        \mathcal{L} = -\frac{1}{|I_B|} \sum_{(v,e) \in I_B} \log \mathrm{softmax}(\hat y_{v,e})_{y_{v,e}},
        \qquad I_B = \{(v, e) : e \in B\},

    with the node features :math:`X = \mathrm{Emb}` trainable (``train_features``). Adam
    (``lr``, ``eps``, ``weight_decay`` on every parameter), gradient norms clipped to
    ``clip_norm`` per group (node embedding; the model's groups, e.g. CoNHD's diffusion and
    readout), ``ExponentialLR(gamma)`` per epoch. Every ``eval_every`` epochs (and at the last) the
    validation micro-F1 on full neighbourhoods is computed; the best (strictly better) epoch's
    weights, embedding included, are kept and evaluated on val and test. ``patience``: stop after
    that many evaluations without improvement beyond it (the reference's rule, ``None``: never).

    Args:
        model: the incidence classifier.
        hg: the full hypergraph.
        x_embedding: ``[N, F]`` initial node features (standardise them first, see
            :func:`standardize`) or an ``nn.Embedding``; copied into a fresh ``nn.Embedding``.
        pe: ``[nnz, K]`` positional encoding, or ``None``.
        labels: ``[nnz]`` labels (default ``hg.incidence_data["y"]``).
        train_edges, val_edges, test_edges: hyperedge ids or masks (default ``hg.edge_data``'s
            ``train_mask`` / ``val_mask`` / ``test_mask``).
        mode: ``"sampled"``: each step runs on the batch's ``num_hops`` neighbourhood
            (:class:`~hgnn.loader.HyperedgeBatchSampler`, with ``max_edges_per_node`` sampled
            hyperedges per node and, if given, ``max_nodes_per_edge`` members per non-target
            hyperedge); ``"full"``: each step runs the model on the whole hypergraph and
            takes the loss on the batch; ``"auto"``: sampled for :class:`~hgnn.models.CoNHD`,
            :class:`~hgnn.models.WHATsNet` and models with ``num_hops == 0`` (the MLP scorer:
            its batch is the targets' hyperedges alone), full otherwise (cheap full-graph encoders).
        eval_batch_size: hyperedges per evaluation batch, ``None`` for one full-graph pass, or
            ``"auto"`` (see :func:`predict_enc`; all give the same logits).
        layered: in sampled mode, run CoNHD's step :math:`t + 1` on :math:`R_t` only and
            WHATsNet's layer :math:`k` on :math:`R_{2k-2}` (:func:`conhd_layered_logits`,
            :func:`whatsnet_layered_logits`; fewer rows per step, same logits without a cap).
        seed: seeds the batch order and the neighbourhood sampling.
        num_workers: ``0`` builds the batches in this process
            (:class:`~hgnn.loader.HyperedgeBatchSampler`); more builds them in that many worker
            processes (:class:`~hgnn.loader.HyperedgeLoader`, persistent workers, pinned memory on
            CUDA) while the model trains, e.g. to keep a GPU fed. Both are reproducible under
            ``seed`` but draw different samples.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if eval_every < 1:
        raise ValueError(f"eval_every must be >= 1, got {eval_every}")
    if mode not in ("auto", "sampled", "full"):
        raise ValueError(f"mode must be 'auto', 'sampled' or 'full', got {mode!r}")
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
    num_classes = getattr(model, "num_classes", None) or int(labels.max()) + 1

    weight = x_embedding.weight.detach() if isinstance(x_embedding, nn.Embedding) else x_embedding
    if weight.shape[0] != hg.num_nodes:
        raise ValueError(f"x_embedding must have {hg.num_nodes} rows, got {weight.shape[0]}")
    emb = nn.Embedding.from_pretrained(weight.detach().float().clone(), freeze=not train_features).to(device)

    hops = _num_hops(model)
    if mode == "auto":
        mode = "sampled" if isinstance(model, (CoNHD, WHATsNet)) or hops == 0 else "full"
    if mode == "sampled" and hops is None:
        raise ValueError("mode='sampled' needs a model with a known receptive field (CoNHD or .num_hops)")
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"num_workers must be a non-negative int, got {num_workers!r}")
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

    def evaluate(parts: dict[str, Tensor]) -> dict[str, dict[str, float]]:
        model.eval()
        x = emb.weight
        out = {}
        if eval_bs is None:  # one full-graph pass serves every part
            with torch.no_grad():
                logits = model(x, hg, pe)
            for name, edges in parts.items():
                keep = torch.zeros(hg.num_edges, dtype=torch.bool, device=device)
                keep[edges] = True
                ids = keep[hg.hyperedge_index[1]].nonzero().view(-1)
                out[name] = _metrics(labels[ids], logits[ids], num_classes)
        else:
            for name, edges in parts.items():
                ids, logits = predict_enc(model, hg, x, pe, edges, hops, eval_bs)
                out[name] = _metrics(labels[ids], logits, num_classes)
        return out

    history: dict[str, list[float]] = {"loss": [], "train_micro_f1": [], "epoch_s": [], "eval_epoch": [],
                                       "val_micro_f1": [], "val_macro_f1": [], "val_loss": []}
    best_score, best_epoch, best_state, best_train, bad = -1.0, -1, None, {}, 0
    eval_s = 0.0
    start = time.perf_counter()
    bar = tqdm(range(1, epochs + 1), desc=desc, leave=False, disable=not progress, dynamic_ncols=True)
    for epoch in bar:
        t0 = time.perf_counter()
        model.train()
        emb.train()
        total, count, correct = 0.0, 0, 0
        for batch in sampler:
            batch = batch.to(device, non_blocking=True)
            if mode == "sampled":
                logits = batch_logits(model, emb(batch.node_ids), batch, pe, layered=layered)
            else:
                if isinstance(model, IncidenceScorer):  # score the batch's incidences only
                    logits = model(emb.weight, hg, pe, incidences=batch.target_incidence_ids)
                else:
                    logits = model(emb.weight, hg, pe)[batch.target_incidence_ids]
            loss = F.cross_entropy(logits, batch.y)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"the training loss became {loss.item()} at epoch {epoch}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip_norm is not None:
                for group in groups:
                    torch.nn.utils.clip_grad_norm_(group, max_norm=clip_norm)
            optimizer.step()
            n = batch.y.numel()
            total += loss.item() * n
            count += n
            correct += int((logits.argmax(-1) == batch.y).sum())
        scheduler.step()
        history["loss"].append(total / max(count, 1))
        history["train_micro_f1"].append(correct / max(count, 1))
        history["epoch_s"].append(time.perf_counter() - t0)
        if epoch % eval_every == 0 or epoch == epochs:
            t1 = time.perf_counter()
            scores = evaluate({"val": val})["val"]
            eval_s += time.perf_counter() - t1
            history["eval_epoch"].append(epoch)
            for key in ("micro_f1", "macro_f1", "loss"):
                history[f"val_{key}"].append(scores[key])
            if scores["micro_f1"] > best_score:
                best_score, best_epoch, bad = scores["micro_f1"], epoch, 0
                best_state = (copy.deepcopy(model.state_dict()), copy.deepcopy(emb.state_dict()))
                best_train = {"micro_f1": history["train_micro_f1"][-1], "loss": history["loss"][-1]}
            else:
                bad += 1
            bar.set_postfix(loss=f"{history['loss'][-1]:.3f}", val=f"{scores['micro_f1']:.4f}",
                            best=f"{best_score:.4f}", refresh=False)
            if patience is not None and bad > patience:
                break
        else:
            bar.set_postfix(loss=f"{history['loss'][-1]:.3f}", refresh=False)
    bar.close()
    model.load_state_dict(best_state[0])
    emb.load_state_dict(best_state[1])
    t1 = time.perf_counter()
    final = evaluate({"val": val, "test": test})
    eval_s += time.perf_counter() - t1
    seconds = time.perf_counter() - start
    cuda_mb = None
    if device.type == "cuda":
        cuda_mb = torch.cuda.max_memory_allocated(device) / 2**20
    model.eval()
    result = EncFitResult(best_epoch=best_epoch, epochs_run=len(history["loss"]), train=best_train,
                        val=final["val"], test=final["test"], epoch_s=statistics.fmean(history["epoch_s"]),
                        eval_s=eval_s, seconds=seconds, peak_rss_mb=peak_memory_mb(), peak_cuda_mb=cuda_mb,
                        history=history)
    result.embedding = emb  # the trained node features (not a dataclass field: to_dict leaves it out)
    return result


def enc_features(hg: Hypergraph, name: str | None = None, *, dim: int = 44, cache: bool | str | Path = True,
                 progress: bool = False, **walk_kwargs: Any) -> tuple[Tensor, Tensor]:
    """The inputs of an ENC run: standardised random-walk node features ``[N, dim]`` and the order
    positional encoding ``[nnz, 4]`` (degree, eigenvector, PageRank, k-core ranks, as the
    reference's ``--vorder_input``).

    The embedding (:func:`~hgnn.transforms.random_walk_embedding`, seed 0, one per dataset as the
    reference's feature file) is cached as ``<dataset cache>/cache/<name>-rw<dim>.pt`` when
    ``cache=True`` and ``name`` is given (a path: there; ``False``: not cached).
    """
    from hgnn.datasets.enc import CENTRALITIES
    from hgnn.datasets.root import cache_dir
    from hgnn.nn.conv.conhd_conv import incidence_positional_encoding
    from hgnn.transforms import random_walk_embedding

    path = None
    if cache is True and name is not None:
        path = cache_dir() / "cache" / f"{name}-rw{dim}.pt"
    elif isinstance(cache, (str, Path)):
        path = Path(cache)
    x = random_walk_embedding(hg, dim=dim, cache=path, progress=progress, **walk_kwargs)
    pe = None
    if all(m in hg.node_data for m in CENTRALITIES):
        cent = torch.stack([hg.node_data[m].double() for m in CENTRALITIES], dim=1)
        pe = incidence_positional_encoding(hg, cent).float()
    return standardize(x), pe


def build_enc_model(name: str, in_channels: int, num_classes: int, *, pe_channels: int = 4,
                    operator: str = "isab", **kwargs: Any) -> nn.Module:
    """``"conhd"`` (``operator`` ``"unp"``/``"isab"``; ``"conhd-unp"``, ``"conhd-isab"`` pin it;
    ``"conhd-admm"`` the ADMM variant) -> :class:`~hgnn.models.CoNHD` with ``pe_channels``
    columns; an encoder name -> :class:`~hgnn.models.IncidenceScorer` (``pe_channels`` ignored unless
    passed in ``kwargs['scorer_pe']``). ``kwargs`` go to the constructor."""
    key = name.lower()
    if key.startswith("conhd"):
        rest = key[len("conhd"):].lstrip("-_")
        if rest in ("unp", "isab", "sab"):
            operator = rest
        elif rest == "admm":
            kwargs.setdefault("variant", "admm")
        elif rest:
            raise ValueError(f"unknown CoNHD flavour {name!r}")
        return CoNHD(in_channels, num_classes, operator=operator, pe_channels=pe_channels, **kwargs)
    if key == "whatsnet":
        return WHATsNet(in_channels, num_classes, pe_channels=pe_channels, **kwargs)
    if key in ENCODERS:
        scorer_pe = kwargs.pop("scorer_pe", 0)
        return IncidenceScorer(in_channels, num_classes, encoder=key, pe_channels=scorer_pe, **kwargs)
    raise ValueError(f"unknown model {name!r}; choose from {ENC_MODELS}")


def run_enc(
    model: str = "conhd",
    dataset: str | Hypergraph = "enc-emaileu",
    *,
    seeds: int | Sequence[int] = 5,
    epochs: int = 100,
    operator: str = "isab",
    num_layers: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    hidden: int | None = None,
    dropout: float | None = None,
    input_dropout: float | None = None,
    max_edges_per_node: int | None = 40,
    max_nodes_per_edge: int | None = None,
    eval_every: int = 5,
    patience: int | None = 5,
    eval_batch_size: int | str | None = "auto",
    mode: str = "auto",
    use_pe: bool = True,
    num_workers: int = 0,
    device: str | torch.device = "cpu",
    root: str | None = None,
    features: tuple[Tensor, Tensor | None] | None = None,
    model_kwargs: dict[str, Any] | None = None,
    progress: bool = True,
    on_seed: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train ``model`` on an ENC dataset once per seed; report every run and mean +- std.

    CoNHD defaults are the reference script's for the dataset (:data:`REFERENCE_CONFIGS`: steps,
    batch size, lr, input dropout; dropout 0.7, ``co_rep_dim`` 128); the baselines
    (:class:`~hgnn.models.IncidenceScorer`) use the same batch size and lr, hidden 64 and dropout
    0.5 (our choice). ``seeds=k`` runs the reference's seeds ``0, 10, 100, 500, 10000`` (then
    ``5, 6, ...`` beyond five); a list runs those. ``features``: precomputed ``(x, pe)``
    (default :func:`enc_features`, cached). ``on_seed`` is called after each seed with the report
    of the seeds finished so far (the returned dict's layout, ``"complete": False`` until the last
    seed), e.g. to save the finished seeds of a run that may be interrupted.

    Returns:
        ``{"model", "dataset", "complete", "config", "data", "runs", "summary"}``; ``summary`` holds
        ``test_micro_f1``, ``test_macro_f1``, ``val_micro_f1``, ``val_macro_f1`` as
        ``{"mean", "std"}`` in percent, ``epoch_s`` (mean training seconds per epoch),
        ``peak_rss_mb`` (the process's peak resident memory after the runs, ``ru_maxrss``) and
        ``peak_cuda_mb`` on CUDA.
    """
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {seeds}")
        seed_list = list(REFERENCE_SEEDS[:seeds]) + list(range(5, 5 + max(0, seeds - len(REFERENCE_SEEDS))))
    else:
        seed_list = [int(s) for s in seeds]
    from hgnn.datasets import load_hypergraph

    name, dataset = load_hypergraph(dataset, root=root)
    device = torch.device(device)
    hg = dataset
    x, pe = features if features is not None else enc_features(hg, name if isinstance(name, str) else None)
    if not use_pe:
        pe = None
    ref = REFERENCE_CONFIGS.get(name, REFERENCE_CONFIGS["enc-emaileu"])
    is_conhd = model.lower().startswith("conhd")
    uses_pe = is_conhd or model.lower() == "whatsnet"
    batch_size = batch_size or ref["batch_size"]
    lr = lr if lr is not None else ref["lr"]
    kwargs = dict(model_kwargs or {})
    if is_conhd:
        kwargs.setdefault("num_layers", num_layers or ref["num_layers"])
        kwargs.setdefault("hidden_channels", hidden or 128)
        kwargs.setdefault("dropout", 0.7 if dropout is None else dropout)
        kwargs.setdefault("input_dropout", ref["input_dropout"] if input_dropout is None else input_dropout)
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
              "eval_batch_size": eval_batch_size, "mode": mode, "use_pe": pe is not None,
              "model_kwargs": kwargs, "device": str(device), "torch": torch.__version__,
              "python": platform.python_version(),
              "machine": f"{platform.machine()} {torch.get_num_threads()} threads",
              "optimizer": {"name": "adam", "eps": 1e-4, "weight_decay": 1e-4, "gamma": 0.99, "clip_norm": 1.0}}
    if is_conhd:
        flavour = model.lower()[len("conhd"):].lstrip("-_")
        config["operator"] = flavour if flavour in ("unp", "isab", "sab") else operator
    data = {"num_nodes": hg.num_nodes, "num_edges": hg.num_edges, "num_incidences": hg.num_incidences,
            "num_features": x.size(1), "num_classes": num_classes,
            "split_edges": {k: int(hg.edge_data[f"{k}_mask"].sum()) for k in ("train", "val", "test")
                            if f"{k}_mask" in hg.edge_data}}

    def report(runs: list[dict[str, Any]]) -> dict[str, Any]:
        summary: dict[str, Any] = {}
        for part in ("test", "val"):
            for metric in ("micro_f1", "macro_f1"):
                summary[f"{part}_{metric}"] = summarize([r[part][metric] for r in runs])
        summary["epoch_s"] = statistics.fmean(r["epoch_s"] for r in runs)
        summary["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
        if device.type == "cuda":
            summary["peak_cuda_mb"] = max(r["peak_cuda_mb"] for r in runs)
        return {"model": model, "dataset": name, "complete": len(runs) == len(seed_list), "config": config,
                "data": data, "runs": list(runs), "summary": summary}

    runs = []
    for seed in seed_list:
        seed_everything(seed)
        net = build_enc_model(model, x.size(1), num_classes, pe_channels=pe_channels if uses_pe else 0,
                              operator=operator,
                              **kwargs).to(device)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        result = fit_enc(net, hg_dev, x, pe if (uses_pe or kwargs.get("scorer_pe")) else None,
                         labels=labels.to(device), epochs=epochs, batch_size=batch_size, lr=lr,
                         max_edges_per_node=max_edges_per_node, max_nodes_per_edge=max_nodes_per_edge,
                         mode=mode, eval_every=eval_every, num_workers=num_workers,
                         patience=patience, eval_batch_size=eval_batch_size, seed=seed, progress=progress,
                         desc=f"{model} {name} seed {seed}")
        runs.append({"seed": seed, **result.to_dict()})
        if on_seed is not None:
            on_seed(report(runs))
    return report(runs)
