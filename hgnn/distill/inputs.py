r"""What the student sees: a vertex's features, optionally with the mean of its co-members'.

A LightHGNN student is an MLP on the features alone, :math:`f(x_v)`: it needs no hypergraph at
inference. In the production setting (test vertices that arrive only at inference) such a student
has learnt from the teacher on the observed vertices only and trails the teacher by several points.
A *one-hop* student also gets the mean of the features of the vertex's co-members (the other
members of its hyperedges),

.. math::
    m_v = \frac{\sum_{e \ni v} \sum_{u \in e,\, u \ne v} x_u}{\sum_{e \ni v} (|e| - 1)},
    \qquad f\big([\,x_v \,\|\, m_v\,]\big),

(:math:`m_v = 0` for a vertex with no co-member; incidences count with multiplicity, so a vertex
listed twice in a hyperedge is once its own co-member there; weights are ignored). Computing
:math:`m_v` for a request reads the members of the vertex's own hyperedges, one hop, with no
learnt weights: the teacher's two HGNN layers read two hops and run a linear map on each. At
training time :math:`m_v` comes from the hypergraph the teacher was
trained on (in production: the observed one); at inference from the hypergraph the vertices
arrive in.

``STUDENT_INPUTS``: ``"features"`` (:math:`x_v`, LightHGNN's student) and ``"one-hop"``
(:math:`[x_v \| m_v]`).
"""
from __future__ import annotations

import torch
from torch import Tensor

from hgnn.structure import Hypergraph, edge_to_node, node_to_edge

__all__ = ["STUDENT_INPUTS", "comember_mean", "student_input"]

STUDENT_INPUTS = ("features", "one-hop")


def comember_mean(x: Tensor, hg: Hypergraph) -> Tensor:
    r"""The mean :math:`m_v` of the features of each vertex's co-members (module docstring).

    Args:
        x: node features ``[N, F]`` (floating point).
        hg: the hypergraph, :math:`N` nodes.

    Returns:
        ``[N, F]``, zero rows for vertices with no co-member.
    """
    if not isinstance(hg, Hypergraph):
        raise TypeError(f"hg must be a Hypergraph, got {type(hg).__name__}")
    if not isinstance(x, Tensor) or x.dim() != 2 or not x.is_floating_point():
        raise TypeError("x must be a floating-point tensor of shape [N, F]")
    if x.size(0) != hg.num_nodes:
        raise ValueError(f"x has {x.size(0)} rows but the hypergraph has {hg.num_nodes} nodes")
    if x.device != hg.device:
        raise ValueError(f"x is on {x.device} but the hypergraph on {hg.device}; move one")
    # sum over the incidences (v, e) of e's member sum, minus v itself once per incidence
    degree = hg.node_degree().to(x.dtype)
    total = edge_to_node(node_to_edge(x, hg, "sum"), hg, "sum") - degree[:, None] * x
    sizes = hg.edge_degree().to(x.dtype)[:, None]
    denom = edge_to_node(sizes, hg, "sum").view(-1) - degree
    return total / denom.clamp_min(1)[:, None]


def student_input(kind: str, x: Tensor, hg: Hypergraph) -> Tensor:
    r"""The student's input for ``kind``: ``"features"`` gives ``x`` ``[N, F]``, ``"one-hop"`` gives
    :math:`[x \| m]` ``[N, 2F]`` with :math:`m` from :func:`comember_mean`."""
    if kind not in STUDENT_INPUTS:
        raise ValueError(f"student input must be one of {STUDENT_INPUTS}, got {kind!r}")
    if kind == "features":
        return x
    return torch.cat([x, comember_mean(x, hg)], dim=1)
