"""Edge-dependent node classification: one label per incidence :math:`(v, e)`.

A node's label depends on the hyperedge it sits in (an author's position on a paper, a user's role
in a thread). The splits are by hyperedge (all incidences of a hyperedge are in the same split).
Models are called as ``model(x, hg, pe) -> [nnz, C]`` logits per incidence
(:class:`~hgnn.models.CoNHD`, :class:`~hgnn.models.WHATsNet`,
:class:`~hgnn.models.IncidenceScorer`)::

    from hgnn.tasks.edge_dependent import run_edge_dependent
    report = run_edge_dependent("conhd", "enc-emaileu", seeds=5, operator="unp")
    report["summary"]["test_micro_f1"]        # {'mean': ..., 'std': ...} in percent

* :mod:`~hgnn.tasks.edge_dependent.layered`: the logits of a hyperedge batch's target incidences
  (CoNHD and WHATsNet run each step only on the incidences it needs) and prediction on full
  neighbourhoods;
* :mod:`~hgnn.tasks.edge_dependent.fit`: :func:`fit_edge_dependent`, mini-batch training over
  hyperedges on the training engine, with the CoNHD reference's recipe;
* :mod:`~hgnn.tasks.edge_dependent.run`: input features, the model registry and multi-seed runs.
"""
from hgnn.tasks.edge_dependent.fit import (PRECISIONS, WHOLE_GRAPH, EdgeDependentFitResult, fit_edge_dependent,
                                           peak_memory_mb)
from hgnn.tasks.edge_dependent.layered import (batch_logits, conhd_layered_logits, predict_edge_dependent,
                                               receptive_field, whatsnet_layered_logits)
from hgnn.tasks.edge_dependent.run import (EDGE_DEPENDENT_MODELS, build_edge_dependent_model,
                                           edge_dependent_features, run_edge_dependent, standardize,
                                           summarize_edge_dependent_runs)

__all__ = [
    "EDGE_DEPENDENT_MODELS",
    "PRECISIONS",
    "WHOLE_GRAPH",
    "EdgeDependentFitResult",
    "batch_logits",
    "build_edge_dependent_model",
    "conhd_layered_logits",
    "edge_dependent_features",
    "fit_edge_dependent",
    "peak_memory_mb",
    "predict_edge_dependent",
    "receptive_field",
    "run_edge_dependent",
    "standardize",
    "summarize_edge_dependent_runs",
    "whatsnet_layered_logits",
]
