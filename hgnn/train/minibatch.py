r"""Mini-batch training of node models on hypergraphs too large for one full batch.

:func:`fit_minibatch` is :func:`hgnn.train.fit` with the full-graph step replaced by an epoch
over :class:`~hgnn.loader.NodeLoader` batches of training nodes (sampled neighbourhoods), and the
full-graph evaluation by exact batches (:func:`~hgnn.loader.node_neighborhood` without caps),
so memory is bounded by the batch, not the hypergraph. Each step minimises the cross-entropy of
the batch's targets,

.. math::
    \mathcal L_B = -\frac{1}{|B|} \sum_{v \in B} \log \mathrm{softmax}\big(f_\theta(X_{S(B)}, H_{S(B)})_v\big)_{y_v},

with :math:`S(B)` the batch's sampled neighbourhood.
"""
from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from hgnn.loader import NodeLoader
from hgnn.structure import Hypergraph
from hgnn.train.evaluator import METRICS, Evaluator
from hgnn.train.splits import Split
from hgnn.train.trainer import BestEpochTracker, FitResult, _check_fit_inputs

__all__ = ["fit_minibatch", "predict_minibatch"]


@torch.no_grad()
def predict_minibatch(model: nn.Module, hg: Hypergraph, nodes: Tensor, num_layers: int, batch_size: int = 4096,
                      device: torch.device | str | None = None) -> Tensor:
    """Logits ``[len(nodes), C]`` of ``model`` (eval mode) at ``nodes``, from exact batches: the
    same values as a full-graph pass for HGNN / HGNN+ (:func:`~hgnn.loader.node_neighborhood`)."""
    model.eval()
    device = torch.device(device) if device is not None else next(model.parameters()).device
    nodes = torch.as_tensor(nodes)
    if nodes.dtype == torch.bool:
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
        epochs, lr, weight_decay, patience, evaluator: as :func:`hgnn.train.fit`.
        eval_batch_size: targets per exact evaluation batch.
        num_workers: worker processes building the training batches.
        seed: seeds the shuffling and the neighbour sampling.
    """
    _, y, split = _check_fit_inputs(hg, None, None, split, epochs, patience)
    device = next(model.parameters()).device
    evaluator = evaluator or Evaluator()
    main_metric = METRICS[evaluator.main]
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    torch.manual_seed(seed)
    loader = NodeLoader(hg, split.train, num_layers, batch_size=batch_size, shuffle=True,
                        max_edges_per_node=max_edges_per_node, max_nodes_per_edge=max_nodes_per_edge,
                        num_workers=num_workers, generator=torch.Generator().manual_seed(seed),
                        pin_memory=device.type == "cuda")
    y_val = y[split.val].to(device)
    tracker = BestEpochTracker(evaluator.main, patience)
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc=desc, leave=False, disable=not progress, dynamic_ncols=True)
    for epoch in bar:
        model.train()
        total, count, correct = 0.0, 0, 0
        for batch in loader:
            batch = batch.to(device, non_blocking=True)
            logits = model(batch.hg.x, batch.hg)[batch.target_index]
            loss = F.cross_entropy(logits, batch.y)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"the training loss became {loss.item()} at epoch {epoch}")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * batch.num_targets
            count += batch.num_targets
            correct += int((logits.argmax(-1) == batch.y).sum())
        val_logits = predict_minibatch(model, hg, split.val, num_layers, eval_batch_size, device)
        score = main_metric(y_val, val_logits)
        stop = tracker.update(model, epoch, total / count, F.cross_entropy(val_logits, y_val).item(),
                              correct / count, score)
        bar.set_postfix(loss=f"{total / count:.3f}", val=f"{score:.3f}", best=f"{tracker.best_score:.3f}",
                        refresh=False)
        if stop:
            break
    seconds = time.perf_counter() - start
    bar.close()
    model.load_state_dict(tracker.best_state)
    parts = {}
    for name, mask in zip(("train", "val", "test"), split):
        logits = predict_minibatch(model, hg, mask, num_layers, eval_batch_size, device)
        parts[name] = evaluator.eval({"y_true": y[mask].to(device), "y_pred": logits})
    return FitResult(best_epoch=tracker.best_epoch, epochs_run=len(tracker.history["loss"]),
                     history=tracker.history, seconds=seconds, **parts)
