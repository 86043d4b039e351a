r"""How much faster the student answers than its teacher, measured (not estimated).

Two questions, both in one process with the same inputs:

* full graph: the teacher on every vertex with its structure cached, against the student on every
  vertex's features;
* one request: predictions for a few vertices. The teacher needs their :math:`L`-hop neighbourhood
  (:func:`hgnn.structure.receptive_field`, exact for HGNN / HGNN+) or the full graph, whichever is
  faster; the student needs only their feature rows (a one-hop student, :mod:`hgnn.distill.inputs`:
  their one-hop neighbourhood, from which it computes its input, timed with it).
"""
from __future__ import annotations

import time
from typing import Any, Callable

import torch
from torch import Tensor, nn

from hgnn.distill.inputs import STUDENT_INPUTS
from hgnn.distill.inputs import student_input as make_input
from hgnn.structure import Hypergraph, receptive_field

__all__ = ["median_ms", "measure_speedup"]


def median_ms(fn: Callable[[], Any], repeats: int = 20, budget_s: float = 10.0) -> float:
    """Median wall time of ``fn()`` in milliseconds after one warm-up call (fewer repeats, but at
    least three, when one call would overrun ``budget_s``); CUDA work is synchronised."""
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    start = time.perf_counter()
    fn()
    sync()
    first = time.perf_counter() - start
    repeats = max(3, min(int(repeats), int(budget_s / max(first, 1e-6))))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    times.sort()
    return 1e3 * times[len(times) // 2]


@torch.inference_mode()
def measure_speedup(teacher: nn.Module, student: nn.Module, hg: Hypergraph, x: Tensor | None = None,
                    request: Tensor | None = None, num_hops: int = 2, repeats: int = 20,
                    student_input: str = "features") -> dict[str, float]:
    r"""Latencies (ms, medians) of teacher and student, and their ratios.

    Args:
        teacher: ``teacher(x, hg)``, an HGNN-type model with ``num_hops`` layers.
        student: ``student(x)`` (or ``student([x || m])`` for ``student_input="one-hop"``).
        hg: the served hypergraph (its cached operators are built before timing).
        x: features ``[N, F]`` (default ``hg.x``).
        request: vertex ids of one request (default: vertex 0).
        num_hops: the teacher's depth (2 for the two-layer HGNN).
        student_input: ``"features"`` or ``"one-hop"`` (:func:`~hgnn.distill.student_input`); a
            one-hop student's times include computing its input (over the full hypergraph, or over
            the request's one-hop neighbourhood).

    Returns:
        ``teacher_full_ms``, ``student_full_ms``, ``full_speedup`` (teacher / student over all
        vertices), ``teacher_request_ms`` (the faster of the request's receptive field and the
        full graph), ``teacher_request_local_ms``, ``student_request_ms``, ``request_speedup``,
        ``request_size`` and ``receptive_field_nodes``.
    """
    x = hg.x if x is None else x
    if x is None:
        raise ValueError("pass the features x or set hg.x")
    if student_input not in STUDENT_INPUTS:
        raise ValueError(f"student_input must be one of {STUDENT_INPUTS}, got {student_input!r}")
    request = torch.zeros(1, dtype=torch.long, device=x.device) if request is None else request.to(x.device)
    was = teacher.training, student.training
    teacher.eval()
    student.eval()
    try:
        teacher(x, hg)                              # build the cached operator once
        t_full = median_ms(lambda: teacher(x, hg), repeats)
        s_full = median_ms(lambda: student(make_input(student_input, x, hg)), repeats)

        def local() -> Tensor:
            sub, ids, pos = receptive_field(hg, request, num_hops)
            return teacher(x[ids], sub)[pos]

        t_local = median_ms(local, repeats)
        x_req = x[request]

        def student_local() -> Tensor:
            if student_input == "features":
                return student(x_req)
            sub, ids, pos = receptive_field(hg, request, 1)
            return student(make_input(student_input, x[ids], sub)[pos])

        s_req = median_ms(student_local, repeats)
        sub, _, _ = receptive_field(hg, request, num_hops)
    finally:
        teacher.train(was[0])
        student.train(was[1])
    t_req = min(t_full, t_local)
    return {"teacher_full_ms": t_full, "student_full_ms": s_full, "full_speedup": t_full / s_full,
            "teacher_request_ms": t_req, "teacher_request_local_ms": t_local, "student_request_ms": s_req,
            "request_speedup": t_req / s_req, "request_size": int(request.numel()),
            "receptive_field_nodes": sub.num_nodes}
