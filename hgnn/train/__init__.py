"""Floor 5: training utilities.

* :mod:`~hgnn.train.evaluator`: accuracy, macro-/micro-F1 and an OGB-style :class:`Evaluator`;
* :mod:`~hgnn.train.splits`: the HyperGCN, AllSet (random 50/25/25), LightHGNN (20/100 per class)
  and official split protocols;
* :mod:`~hgnn.train.trainer`: :func:`fit`, a full-batch loop with early stopping on validation;
* :mod:`~hgnn.train.experiment`: :func:`run_node_classification`, multi-seed runs behind ``hgnn train``;
* :mod:`~hgnn.train.plot`: :func:`plot_curves`;
* :mod:`~hgnn.train.checkpoint`: :func:`save_checkpoint` / :func:`load_checkpoint`, checkpoints that
  resume exactly (weights, optimizer, scheduler, epoch, RNG states);
* :mod:`~hgnn.train.enc`: edge-dependent node classification (CoNHD and baselines);
* :mod:`~hgnn.train.graph`: graph classification by 10-fold cross-validation (EHGNN and baselines);
"""
from hgnn.train.evaluator import METRICS, Evaluator, accuracy, confusion_matrix, f1_score, macro_f1, micro_f1
from hgnn.train.experiment import MODELS, build_model, prepare, run_node_classification, summarize
from hgnn.train.plot import plot_curves
from hgnn.train.splits import (PROTOCOLS, Split, default_protocol, get_split, hypergcn_split, official_split,
                               per_class_split, random_split, split_of_seed)
from hgnn.train.trainer import FitResult, fit, seed_everything

__all__ = [
    "METRICS", "MODELS", "PROTOCOLS", "Evaluator", "FitResult", "Split", "accuracy", "build_model",
    "confusion_matrix", "default_protocol", "f1_score", "fit", "get_split", "hypergcn_split", "macro_f1",
    "micro_f1", "official_split", "per_class_split", "plot_curves", "prepare", "random_split",
    "run_node_classification", "seed_everything", "split_of_seed", "summarize",
]
from hgnn.train.enc import (ENC_MODELS, REFERENCE_CONFIGS, EncFitResult, batch_logits, build_enc_model, enc_features,
                            fit_enc, predict_enc, run_enc)

__all__ += ["ENC_MODELS", "REFERENCE_CONFIGS", "EncFitResult", "batch_logits", "build_enc_model", "enc_features",
            "fit_enc", "predict_enc", "run_enc"]
from hgnn.train.graph import (GRAPH_MODELS, GraphFitResult, build_graph_model, fit_graph_classifier, fold_split,
                              run_graph_classification)

__all__ += ["GRAPH_MODELS", "GraphFitResult", "build_graph_model", "fit_graph_classifier", "fold_split",
            "run_graph_classification"]
from hgnn.train.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state

__all__ += ["load_checkpoint", "rng_state", "save_checkpoint", "set_rng_state"]
