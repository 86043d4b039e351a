"""Floor 5: the training engine, evaluation, split protocols and plots.

* :mod:`~hgnn.train.engine`: :func:`fit_loop`, the one training loop (pluggable batches, loss,
  evaluation, early stopping, checkpoints) every pipeline of hgnn runs on;
* :mod:`~hgnn.train.trainer`: :func:`fit` and :func:`fit_minibatch`, node classification on the
  engine (full graph or sampled node mini-batches);
* :mod:`~hgnn.train.checkpoint`: :func:`save_checkpoint` / :func:`load_checkpoint`, checkpoints that
  resume exactly (weights, optimizer, scheduler, epoch, RNG states);
* :mod:`~hgnn.train.evaluator`: accuracy, macro-/micro-F1 and an OGB-style :class:`Evaluator`;
* :mod:`~hgnn.train.splits`: the HyperGCN, AllSet (random 50/25/25), LightHGNN (20/100 per class)
  and official split protocols;
* :mod:`~hgnn.train.plot`: :func:`plot_curves`.
"""
from hgnn.train.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from hgnn.train.engine import LoopResult, fit_loop, seed_everything
from hgnn.train.evaluator import METRICS, Evaluator, accuracy, confusion_matrix, f1_score, macro_f1, micro_f1
from hgnn.train.plot import plot_curves
from hgnn.train.splits import (PROTOCOLS, SPLIT_RNGS, Split, default_protocol, get_split, hypergcn_split,
                               official_split, per_class_split, random_split, split_of_seed)
from hgnn.train.trainer import FitResult, fit, fit_minibatch, predict_minibatch

__all__ = [
    "METRICS", "PROTOCOLS", "SPLIT_RNGS", "Evaluator", "FitResult", "LoopResult", "Split", "accuracy",
    "confusion_matrix", "default_protocol", "f1_score", "fit", "fit_loop", "fit_minibatch", "get_split",
    "hypergcn_split", "load_checkpoint", "macro_f1", "micro_f1", "official_split", "per_class_split", "plot_curves",
    "predict_minibatch", "random_split", "rng_state", "save_checkpoint", "seed_everything", "set_rng_state",
    "split_of_seed",
]
