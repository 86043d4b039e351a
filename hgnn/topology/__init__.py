r"""Learning a hypergraph's topology: a VAE over incidences and the tasks it is shown on.

Follows HyperAgent (Zhang et al., arXiv 2510.10611, 2025): an encoder reads the nodes (agents, vertices) and proposes, per query,
which of :math:`K` hyperedge slots each node joins; a sparsity cost on the incidences trades
messages for accuracy, and a hypergraph convolution over the sampled incidence carries the task.

* :mod:`~hgnn.topology.vae`: :class:`HypergraphTopologyVAE` (encoder, discrete incidence samplers,
  decoder, KL and sparsity terms) and :func:`gaussian_kl`;
* :mod:`~hgnn.topology.planted`: recovering planted communication groups from the task loss alone;
* :mod:`~hgnn.topology.repair`: repairing a corrupted hypergraph (:class:`AnchorRepair` scores every
  incidence from feature and latent similarity, :class:`SoftHGNN` trains through soft incidences);
* :mod:`~hgnn.topology.agents`: frozen experts as agents, a router that picks who speaks per query.

Floor: beside :mod:`hgnn.train` (it uses the layers, models, datasets and the trainer).
"""
from hgnn.topology.agents import decide, expert_agreement, run_agents, summarize_agents, train_experts, train_router
from hgnn.topology.planted import (DIFFICULTIES, Decider, PlantedResult, co_membership_f1, communicate, episodes,
                                   knn_incidence, planted_groups, run_planted, summarize_planted, train_fixed)
from hgnn.topology.repair import (AnchorRepair, SoftHGNN, corrupt, keep_incidences, leave_one_out_cosine, run_repair,
                                  score, soft_hgnn_operator, summarize_repair)
from hgnn.topology.vae import HypergraphTopologyVAE, TopologyOutput, TopologySample, gaussian_kl

__all__ = [
    "AnchorRepair", "DIFFICULTIES", "Decider", "HypergraphTopologyVAE", "PlantedResult", "SoftHGNN", "TopologyOutput",
    "TopologySample", "co_membership_f1", "communicate", "corrupt", "decide", "episodes", "expert_agreement",
    "gaussian_kl", "keep_incidences", "knn_incidence", "leave_one_out_cosine", "planted_groups", "run_agents",
    "run_planted", "run_repair", "score", "soft_hgnn_operator", "summarize_agents", "summarize_planted",
    "summarize_repair", "train_experts", "train_fixed",
]
