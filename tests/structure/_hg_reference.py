"""Shared pieces of the structure tests: a random-hypergraph strategy and dense float64 references.

Everything here is deliberately naive (dense matrices, Python loops over groups) so that it is an
independent check of the package's sparse / scatter code paths.
"""
from __future__ import annotations

import math

import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from hgnn.structure import Hypergraph

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
F64 = torch.float64


@st.composite
def hypergraphs(draw, max_nodes: int = 12, max_edges: int = 8, features=None, weighted=None):
    """Random hypergraph: N in [0, max_nodes], M in [0, max_edges], up to 24 incidences with
    repeated (node, edge) pairs, empty hyperedges and isolated nodes; optional weights/features.

    ``features``: dict of booleans for x/edge_attr/incidence_attr/y/data (drawn when ``None``), so
    that a batch test can ask for hypergraphs that all carry the same fields.
    """
    n = draw(st.integers(0, max_nodes))
    m = draw(st.integers(0, max_edges))
    nnz = draw(st.integers(0, 24)) if n and m else 0
    nodes = draw(st.lists(st.integers(0, max(n - 1, 0)), min_size=nnz, max_size=nnz))
    edges = draw(st.lists(st.integers(0, max(m - 1, 0)), min_size=nnz, max_size=nnz))
    if nnz and draw(st.booleans()):  # force at least one repeated incidence
        nodes.append(nodes[0])
        edges.append(edges[0])
        nnz += 1
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    if features is None:
        features = {k: draw(st.booleans()) for k in ("x", "edge_attr", "incidence_attr", "y", "data")}
    if weighted is None:
        weighted = draw(st.booleans())
    kwargs = {}
    if weighted:
        w = torch.rand(m, generator=gen, dtype=F64) * 2
        w[torch.rand(m, generator=gen) < 0.2] = 0.0  # some zero-weight hyperedges
        kwargs["edge_weight"] = w
    if features["x"]:
        kwargs["x"] = torch.randn(n, 3, generator=gen, dtype=F64)
    if features["edge_attr"]:
        kwargs["edge_attr"] = torch.randn(m, 2, generator=gen, dtype=F64)
    if features["incidence_attr"]:
        kwargs["incidence_attr"] = torch.randn(nnz, 2, generator=gen, dtype=F64)
    if features["y"]:
        kwargs["y"] = torch.randint(0, 4, (n,), generator=gen)
    if features["data"]:
        kwargs["node_data"] = {"mask": torch.rand(n, generator=gen) < 0.5}
        kwargs["edge_data"] = {"label": torch.randint(0, 3, (m, 2), generator=gen)}
        kwargs["incidence_data"] = {"role": torch.randint(0, 5, (nnz,), generator=gen)}
    index = torch.tensor([nodes, edges], dtype=torch.long).view(2, nnz)
    return Hypergraph(index, num_nodes=n, num_edges=m, **kwargs)


def dense_H(hg: Hypergraph, dtype=F64) -> torch.Tensor:
    """``[N, M]`` incidence matrix, ``H[v, e]`` = number of incidences (v, e)."""
    nodes, edges = hg.hyperedge_index
    H = torch.zeros(hg.num_nodes, hg.num_edges, dtype=dtype)
    return H.index_put_((nodes, edges), torch.ones(nodes.numel(), dtype=dtype), accumulate=True)


def endpoints(hg: Hypergraph, direction: str):
    """``(src, dst, num_src, num_dst)`` of the incidences for a direction."""
    nodes, edges = hg.hyperedge_index
    if direction == "node_to_edge":
        return nodes, edges, hg.num_nodes, hg.num_edges
    return edges, nodes, hg.num_edges, hg.num_nodes


def reference_aggregate(x, hg, direction, reduce, weight=None):
    """Dense / per-group float64 reference of ``node_to_edge`` / ``edge_to_node``.

    Differentiable w.r.t. ``x`` and ``weight`` (so gradients can be compared too).
    """
    src, dst, num_src, num_dst = endpoints(hg, direction)
    nnz = src.numel()
    w = torch.ones(nnz, dtype=x.dtype) if weight is None else weight
    if reduce in ("sum", "mean"):
        A = torch.zeros(num_dst, num_src, dtype=x.dtype).index_put((dst, src), w, accumulate=True)
        out = A @ x.reshape(num_src, math.prod(x.shape[1:]))
        if reduce == "mean":
            denom = A.sum(1, keepdim=True)
            out = torch.where(denom != 0, out / torch.where(denom != 0, denom, 1), torch.zeros_like(out))
        return out.reshape(num_dst, *x.shape[1:])
    rows = []
    for j in range(num_dst):
        idx = [i for i in range(nnz) if int(dst[i]) == j]
        if not idx:
            rows.append(torch.zeros(x.shape[1:], dtype=x.dtype))
            continue
        idx_t = torch.tensor(idx)
        feats = x[src[idx_t]]
        wj = w[idx_t].view(-1, *([1] * (x.dim() - 1)))
        if reduce == "max":
            rows.append((wj * feats).max(0).values)
        elif reduce == "min":
            rows.append((wj * feats).min(0).values)
        elif reduce == "softmax":
            alpha = torch.softmax(w[idx_t], 0).view_as(wj)
            rows.append((alpha * feats).sum(0))
        else:
            raise ValueError(reduce)
    return torch.stack(rows) if rows else torch.zeros(0, *x.shape[1:], dtype=x.dtype)


def given_weight(hg: Hypergraph):
    """The hyperedge weights ``hg`` was built with, ``None`` when it has none."""
    return hg.edge_weight if hg.is_weighted else None


def tensors_equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)


def assert_hg_equal(a: Hypergraph, b: Hypergraph, weights_by_value: bool = False) -> None:
    """Field-by-field equality (index, sizes, weights, features, labels, extras)."""
    assert (a.num_nodes, a.num_edges) == (b.num_nodes, b.num_edges)
    assert tensors_equal(a.hyperedge_index, b.hyperedge_index), (a.hyperedge_index, b.hyperedge_index)
    if weights_by_value:
        assert torch.equal(a.edge_weight.to(F64), b.edge_weight.to(F64))
    else:
        assert a.is_weighted == b.is_weighted
        assert tensors_equal(given_weight(a), given_weight(b))
    for name in ("x", "edge_attr", "incidence_attr", "y"):
        assert tensors_equal(getattr(a, name), getattr(b, name)), name
    for level in ("node", "edge", "incidence"):
        da, db = getattr(a, f"{level}_data"), getattr(b, f"{level}_data")
        assert set(da) == set(db), (level, set(da), set(db))
        for key in da:
            assert tensors_equal(da[key], db[key]), (level, key)


def revalidate(hg: Hypergraph) -> Hypergraph:
    """Rebuild ``hg`` with every check on: a result the package built unvalidated must pass them."""
    return Hypergraph(
        hg.hyperedge_index, hg.num_nodes, hg.num_edges, given_weight(hg), hg.x, hg.edge_attr,
        hg.incidence_attr, hg.y, hg.node_data, hg.edge_data, hg.incidence_data,
    )
