r"""Learning a hypergraph's topology: a VAE over incidences and the structure learners built on it.

Follows HyperAgent (Zhang et al., arXiv 2510.10611, 2025): an encoder reads the nodes (agents, vertices) and proposes, per query,
which of :math:`K` hyperedge slots each node joins; a sparsity cost on the incidences trades
messages for accuracy, and a hypergraph convolution over the sampled incidence carries the task.

* :mod:`~hgnn.topology.vae`: :class:`HypergraphTopologyVAE` (encoder, discrete incidence samplers,
  decoder, KL and sparsity terms) and :func:`gaussian_kl`;
* :mod:`~hgnn.topology.planted`: the planted-groups task (:func:`planted_groups`, :func:`episodes`,
  :class:`Decider`) and :func:`train_planted`, which recovers the groups from the task loss alone;
* :mod:`~hgnn.topology.repair`: repairing a corrupted hypergraph (:func:`propose_members` adds
  candidate members from feature space, :class:`AnchorRepair` scores every incidence from feature
  and latent similarity, :class:`SoftHGNN` trains through soft incidences, :func:`train_repair`
  trains both);
* :mod:`~hgnn.topology.agents`: frozen experts as agents (:func:`train_experts`),
  :func:`train_router`, a router that picks who speaks per query, and
  :func:`train_sequential_router`, one that asks them one at a time until the answer settles.

Every structure learner trains on :func:`hgnn.train.fit_loop`. The full comparisons against
baselines that the benchmark README reports are reproduction scripts in ``benchmarks/topology_vae/``.

Floor: above :mod:`hgnn.train` (it uses the layers, models and the training engine).
"""
from hgnn.topology.agents import (decide, expert_agreement, route, route_sequential, router_query, train_experts,
                                  train_router, train_sequential_router)
from hgnn.topology.planted import (DIFFICULTIES, RELAXATIONS, Decider, co_membership_f1, communicate, episodes,
                                   knn_incidence, planted_groups, train_fixed, train_planted)
from hgnn.topology.repair import (AnchorRepair, SoftHGNN, corrupt, feature_prior, keep_incidences,
                                  leave_one_out_cosine, propose_members, shared_elsewhere, soft_hgnn_operator,
                                  train_repair)
from hgnn.topology.vae import HypergraphTopologyVAE, TopologyOutput, TopologySample, gaussian_kl

__all__ = [
    "AnchorRepair", "DIFFICULTIES", "Decider", "HypergraphTopologyVAE", "RELAXATIONS", "SoftHGNN", "TopologyOutput",
    "TopologySample", "co_membership_f1", "communicate", "corrupt", "decide", "episodes", "expert_agreement",
    "feature_prior", "gaussian_kl", "keep_incidences", "knn_incidence", "leave_one_out_cosine", "planted_groups",
    "propose_members", "route", "route_sequential", "router_query", "shared_elsewhere",
    "soft_hgnn_operator", "train_experts", "train_fixed", "train_planted", "train_repair", "train_router",
    "train_sequential_router",
]
