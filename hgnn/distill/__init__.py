"""Floor 5: distil trained hypergraph networks into MLPs (LightHGNN / LightHGNN+, Feng et al., ICLR 2024).

* :mod:`~hgnn.distill.losses`: soft-label and high-order soft-label losses (textbook KL, or the
  reference code's exact computation);
* :mod:`~hgnn.distill.reliability`: reliable hyperedge quantification and sampling;
* :mod:`~hgnn.distill.topology_score`: the topology-aware (over-smoothing) score;
* :mod:`~hgnn.distill.inputs`: the student's input (features, or one-hop: with the co-members' mean);
* :mod:`~hgnn.distill.lighthgnn`: the student, :class:`LightHGNNLoss` and :func:`distill`;
* :mod:`~hgnn.distill.production`: the production setting (unseen test vertices);
* :mod:`~hgnn.distill.experiment`: :func:`run_distillation`, multi-seed runs behind ``hgnn distill``;
* :mod:`~hgnn.distill.export`: checkpoints (``weights_only``), ``torch.export`` and ONNX;
* :mod:`~hgnn.distill.speed`: measured teacher / student latencies (full graph and per request).
"""
from hgnn.distill.experiment import SETTINGS, TEACHER_INITS, distill_seed, method_name, run_distillation, train_teacher
from hgnn.distill.inputs import STUDENT_INPUTS, comember_mean, student_input
from hgnn.distill.export import check_onnx, export_onnx, export_program, load_student, onnx_session, save_student
from hgnn.distill.lighthgnn import LightHGNNLoss, distill, mlp_student, teacher_logits
from hgnn.distill.losses import KD_MODES, high_order_loss, reference_target, soft_label_loss
from hgnn.distill.production import ProductionSplit, observed_hypergraph, production_split
from hgnn.distill.speed import measure_speedup, median_ms
from hgnn.distill.reliability import entropy, hyperedge_reliability, sample_hyperedges
from hgnn.distill.topology_score import topology_score

__all__ = [
    "KD_MODES", "SETTINGS", "STUDENT_INPUTS", "TEACHER_INITS", "check_onnx", "comember_mean", "distill",
    "distill_seed", "entropy", "export_onnx", "export_program", "high_order_loss", "hyperedge_reliability",
    "LightHGNNLoss", "load_student", "measure_speedup", "median_ms", "method_name", "mlp_student",
    "observed_hypergraph", "onnx_session", "production_split", "ProductionSplit", "reference_target",
    "run_distillation", "sample_hyperedges", "save_student", "soft_label_loss", "student_input",
    "teacher_logits", "topology_score", "train_teacher",
]
