"""Transforms that derive new data from a :class:`~hgnn.Hypergraph` (floor 2.5: imports only
:mod:`hgnn.ops` and :mod:`hgnn.structure`).

* :func:`random_walk_embedding`: node features from hypergraph node2vec walks + skip-gram, the
  initial features of the CoNHD / WHATsNet edge-dependent node classification benchmarks
  (:func:`hypergraph_random_walks` and :func:`skipgram_embedding` are its two halves).
* :func:`dual_hypergraph` / :func:`graph_from_dual` / :class:`DHT`: the Dual Hypergraph
  Transformation of a graph (edges become nodes, nodes become hyperedges) and its inverse, the
  input of EHGNN (Jo et al., NeurIPS 2021).
* :func:`prepare`: the node-classification preprocessing (L1-normalised bag-of-words features,
  self loops for isolated nodes).
"""
from hgnn.transforms.dht import DHT, DualGraph, dual_hypergraph, graph_from_dual, reference_dual
from hgnn.transforms.prepare import is_bag_of_words, prepare
from hgnn.transforms.random_walk import (
    DEFAULTS,
    REFERENCE_SETTINGS,
    hypergraph_random_walks,
    random_walk_embedding,
    skipgram_embedding,
)

__all__ = [
    "DHT",
    "DualGraph",
    "dual_hypergraph",
    "graph_from_dual",
    "reference_dual",
    "DEFAULTS",
    "REFERENCE_SETTINGS",
    "hypergraph_random_walks",
    "random_walk_embedding",
    "skipgram_embedding",
    "is_bag_of_words",
    "prepare",
]
