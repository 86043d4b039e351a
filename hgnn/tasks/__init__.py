"""Floor 5: task pipelines built on the training engine (:mod:`hgnn.train`).

* :mod:`~hgnn.tasks.node_classification`: the model registry and multi-seed
  node-classification runs behind ``hgnn train``;
* :mod:`~hgnn.tasks.edge_dependent`: edge-dependent node classification (one label per
  incidence): mini-batch training over hyperedges and multi-seed runs behind
  ``hgnn train --task edge-dependent``;
* :mod:`~hgnn.tasks.graph_classification`: graph classification by k-fold cross-validation
  (EHGNN's HyperDrop and node-GNN baselines), fold by fold or whole.
"""
from hgnn.tasks.node_classification import MODELS, build_model, run_node_classification, summarize, summarize_runs

__all__ = ["MODELS", "build_model", "run_node_classification", "summarize", "summarize_runs"]
from hgnn.tasks.graph_classification import (GRAPH_MODELS, GraphFitResult, GraphFolds, build_graph_model,
                                             cross_validation_settings, fit_graph_classifier, fold_split,
                                             load_graph_folds, run_graph_classification, run_graph_fold,
                                             summarize_folds, warmup_cosine, warmup_length, with_edge_features)

__all__ += ["GRAPH_MODELS", "GraphFitResult", "GraphFolds", "build_graph_model", "cross_validation_settings",
            "fit_graph_classifier", "fold_split", "load_graph_folds", "run_graph_classification", "run_graph_fold",
            "summarize_folds", "warmup_cosine", "warmup_length", "with_edge_features"]
from hgnn.tasks.edge_dependent import (EDGE_DEPENDENT_MODELS, EdgeDependentFitResult, build_edge_dependent_model,
                                       edge_dependent_features, fit_edge_dependent, run_edge_dependent)

__all__ += ["EDGE_DEPENDENT_MODELS", "EdgeDependentFitResult", "build_edge_dependent_model", "edge_dependent_features",
            "fit_edge_dependent", "run_edge_dependent"]
