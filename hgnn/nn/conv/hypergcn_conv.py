"""HyperGCN convolution (Yadati et al., NeurIPS 2019)."""
from __future__ import annotations

import warnings
from typing import overload

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_probability
from hgnn.nn.conv.base import NodeConv
from hgnn.ops import (
    SPARSE_DTYPES, accumulate_in_float32, csr_matmul, csr_matrix, gather_scatter, inv_pow, resolve, scatter,
)
from hgnn.structure import Hypergraph


def _check_projection(projection: Tensor, x: Tensor) -> Tensor:
    if not isinstance(projection, Tensor):
        raise TypeError(f"projection must be a torch.Tensor, got {type(projection).__name__}")
    if projection.numel() != x.size(1) or projection.dim() not in (1, 2):
        raise ValueError(f"projection must be a vector of {x.size(1)} entries (one per feature column, "
                         f"[F] or [F, 1]), got shape {list(projection.shape)}")
    return projection.reshape(-1).to(device=x.device, dtype=x.dtype)


def _check_graph(graph: object, num_nodes: int) -> tuple[Tensor, Tensor]:
    """A user-given HyperGCN graph: a pair ``(edge_index [2, P] int64, edge_weight [P])`` of node ids
    in ``[0, num_nodes)`` and finite non-negative floating weights. A :class:`HyperGCNGraph` keeps
    the result of its last check and is checked again only after an in-place edit (O(1) otherwise)."""
    if not (isinstance(graph, (tuple, list)) and len(graph) == 2
            and all(isinstance(part, Tensor) for part in graph)):
        raise TypeError("graph must be a pair of tensors (edge_index [2, P], edge_weight [P]) as returned "
                        f"by hypergcn_graph, got {type(graph).__name__}")
    pairs, weight = graph
    if pairs.dim() != 2 or pairs.size(0) != 2 or pairs.dtype != torch.long:
        raise ValueError(f"graph's edge_index must be an int64 [2, P] tensor, got {pairs.dtype} "
                         f"of shape {list(pairs.shape)}")
    if weight.shape != (pairs.size(1),):
        raise ValueError(f"graph's edge_weight must have one entry per pair ([{pairs.size(1)}]), "
                         f"got shape {list(weight.shape)}")
    if not weight.is_floating_point():
        raise TypeError(f"graph's edge_weight must be a floating tensor, got dtype {weight.dtype}; "
                        "use edge_weight.float()")
    if pairs.numel() == 0 or torch.compiler.is_compiling():
        return pairs, weight
    versions = (_version(pairs), _version(weight))
    kept = graph._checked if isinstance(graph, HyperGCNGraph) else None
    if kept is not None and kept[0] == versions and None not in versions:
        top = kept[1]
    else:
        top = _check_graph_values(pairs, weight)
        if isinstance(graph, HyperGCNGraph):
            graph._checked = (versions, top)
    if top >= num_nodes:
        raise ValueError(f"graph has node id {top} but x has {num_nodes} rows; "
                         "build the graph from the same hypergraph")
    return pairs, weight


def _check_graph_values(pairs: Tensor, weight: Tensor) -> int:
    """The largest node id of a non-empty graph, after checking its ids and weights (one sync)."""
    low, top, nonfinite, negative = torch.stack([
        pairs.min(), pairs.max(), (~torch.isfinite(weight)).any().long(), (weight < 0).any().long()
    ]).tolist()
    if low < 0:
        raise ValueError(f"graph's edge_index must hold node ids >= 0, got {low}")
    if nonfinite:
        raise ValueError("graph's edge_weight holds NaN or inf; build the graph from finite features and "
                         "hyperedge weights")
    if negative:
        raise ValueError(f"graph's edge_weight must be non-negative, got {weight.min().item()}")
    return top


def _check_scores(score: Tensor, x: Tensor, r: Tensor) -> None:
    """Raise unless every node's projection ``score = x @ r`` is finite: a NaN picks no extreme node
    and would give node id ``N`` (an index error, far from the cause)."""
    if score.numel() == 0 or torch.compiler.is_compiling() or bool(torch.isfinite(score).all()):
        return
    if not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).any(1).sum())
        raise ValueError(f"x holds NaN or inf (in {bad} of its {x.size(0)} rows), so HyperGCN cannot pick the "
                         "extreme members of the hyperedges; check the features (in HyperGCNConv: its input, "
                         "its weights, and the layers and learning rate that produced them)")
    if not bool(torch.isfinite(r).all()):
        raise ValueError("projection holds NaN or inf; pass a finite direction")
    raise ValueError("x @ projection overflows (x is finite but its projection is not); rescale x or projection")


def random_projection(x: Tensor, generator: torch.Generator | None = None) -> Tensor:
    r"""The random direction :math:`r \sim U[0, 1)^F` of HyperGCN (``[F]``, ``x``'s dtype and device),
    drawn as the original code and DHG draw it."""
    return torch.rand(x.size(1), generator=generator, device=x.device).to(x.dtype)


def _version(t: Tensor) -> int | None:
    """In-place edits bump a tensor's version; inference tensors keep none."""
    return None if t.is_inference() else t._version


def _gcn_operator(pairs: Tensor, weight: Tensor, num_nodes: int, dtype: torch.dtype) -> Tensor:
    r""":math:`\hat D^{-1/2} (A + I) \hat D^{-1/2}` as an ``[N, N]`` sparse-CSR matrix of ``dtype``
    (normalised and summed in float64, rounded once; entries of value zero left out)."""
    a, b = pairs
    weight = weight.detach().double()
    degree = 1 + scatter(weight, a, num_nodes) + scatter(weight, b, num_nodes)
    norm = inv_pow(degree, 0.5)
    coef = weight * norm[a] * norm[b]
    loops = torch.arange(num_nodes, device=pairs.device)
    rows, cols = torch.cat([a, b, loops]), torch.cat([b, a, loops])
    values = torch.cat([coef, coef, norm * norm])
    keep = values != 0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ss]parse.*")
        merged = torch.sparse_coo_tensor(torch.stack([rows[keep], cols[keep]]), values[keep],
                                         (num_nodes, num_nodes), check_invariants=False).coalesce()
        (rows, cols), values = merged.indices(), merged.values()  # sorted by row, then column
        crow = torch.zeros(num_nodes + 1, dtype=torch.long, device=pairs.device)
        torch.cumsum(torch.bincount(rows, minlength=num_nodes), 0, out=crow[1:])
        return csr_matrix(crow, cols, values.to(dtype), (num_nodes, num_nodes))


class HyperGCNGraph(tuple):
    r"""A HyperGCN graph, the pair ``(edge_index [2, P], edge_weight [P])`` of
    :func:`hypergcn_graph`, that keeps its normalised GCN operator: ``HyperGCNGraph(*pair)``.

    It unpacks and indexes as the pair. :func:`gcn_smoothing` builds from it, on first use, the
    operator :math:`S = \hat D^{-1/2} (A + I) \hat D^{-1/2}` as a sparse-CSR matrix (one per number
    of nodes and dtype) and applies it in one product, with :math:`S` as its own transpose in the
    backward pass, instead of normalising and gathering at every call: a graph used many times
    (FastHyperGCN's) pays the normalisation once. The operator is rebuilt when ``edge_index`` or
    ``edge_weight`` is changed in place. Copies and pickles keep the pair, not the operator.
    """

    _operators: dict[tuple[int, torch.dtype], tuple[tuple[int | None, int | None], Tensor]]
    _checked: tuple[tuple[int | None, int | None], int] | None  # versions at the last check, largest node id

    def __new__(cls, edge_index: Tensor, edge_weight: Tensor) -> HyperGCNGraph:
        graph = super().__new__(cls, (edge_index, edge_weight))
        graph._operators = {}
        graph._checked = None
        return graph

    def __reduce__(self) -> tuple:
        return HyperGCNGraph, (self[0], self[1])

    def operator(self, num_nodes: int, dtype: torch.dtype) -> Tensor:
        """The ``[num_nodes, num_nodes]`` sparse-CSR operator :math:`S` of ``dtype``, built once."""
        pairs, weight = self
        versions = (_version(pairs), _version(weight))
        kept = self._operators.get((num_nodes, dtype))
        if kept is None or kept[0] != versions:
            kept = (versions, _gcn_operator(pairs, weight, num_nodes, dtype))
            self._operators[(num_nodes, dtype)] = kept
        return kept[1]


def hypergcn_graph(
    x: Tensor, hg: Hypergraph, mediators: bool = False, projection: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    r"""HyperGCN's graph of a hypergraph under features ``x``: each hyperedge becomes edges between
    its two most distant members along a random direction.

    With :math:`p_v = x_v^\top r`, hyperedge :math:`e` picks
    :math:`a_e = \arg\max_{v \in e} p_v` and :math:`b_e = \arg\min_{v \in e} p_v` (the smallest
    node id among ties, as DHG). Without mediators it gives the edge :math:`\{a_e, b_e\}` with weight
    :math:`w(e) / |e|`; with mediators the edges :math:`\{a_e, m\}` and :math:`\{b_e, m\}` for every
    other member :math:`m`, each of weight :math:`w(e) / (2|e| - 3)` (DHG's construction: unlike the
    original code it adds no edge :math:`\{a_e, b_e\}`, so a two-member hyperedge gives nothing).
    Self-loops get weight zero; parallel edges add up when the graph is used.

    The choice of :math:`a_e, b_e` is not differentiable: it is made on ``x.detach()`` (as DHG,
    whose index choice carries no gradient either). Gradients reach the hyperedge weights.

    Computed for all hyperedges at once (no loop), with a fixed number of edges (``M`` without
    mediators, ``2 nnz`` with), so the result has static shapes for ``torch.compile`` and
    ``torch.export``.

    Args:
        x: ``[N, F]`` features.
        hg: the hypergraph.
        mediators: connect the extremes through the other members.
        projection: ``[F]`` direction :math:`r`; drawn with :func:`random_projection` when ``None``.
        generator: the random generator for that draw.

    Returns:
        ``(edge_index, edge_weight)``: ``[2, P]`` node pairs and their ``[P]`` weights. Wrapped in
        a :class:`HyperGCNGraph` (as :class:`~hgnn.models.HyperGCN` does with its kept graph), a
        graph used at many calls is normalised once.

    Raises:
        TypeError: ``x`` not a tensor.
        ValueError: ``x`` not ``[hg.num_nodes, F]``; ``x`` (or ``projection``) holding NaN or inf,
            which leaves the extreme members undefined.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 2 or x.size(0) != hg.num_nodes:
        raise ValueError(f"x must have one row per node of hg ([{hg.num_nodes}, F]), got shape {list(x.shape)}")
    r = random_projection(x, generator) if projection is None else _check_projection(projection, x)
    nodes, edges = hg.hyperedge_index
    num_nodes, num_edges = hg.num_nodes, hg.num_edges
    score = x.detach() @ r
    _check_scores(score, x.detach(), r)
    score = score[nodes]
    top = scatter(score, edges, num_edges, "max")[edges]
    bottom = scatter(score, edges, num_edges, "min")[edges]
    beyond = torch.full_like(nodes, num_nodes)
    sup = scatter(torch.where(score == top, nodes, beyond), edges, num_edges, "min")
    inf = scatter(torch.where(score == bottom, nodes, beyond), edges, num_edges, "min")
    size = hg.edge_degree().to(x.dtype)
    weight = hg.edge_weight.to(x.dtype)
    if not mediators:
        keep = (sup != inf) & (size > 0)
        return torch.stack([sup, inf]), torch.where(keep, weight / size.clamp(min=1), 0.0)
    sup, inf = sup[edges], inf[edges]
    middle = (nodes != sup) & (nodes != inf)
    share = torch.where(middle, weight[edges] / (2 * size[edges] - 3).clamp(min=1), 0.0)
    pairs = torch.stack([torch.cat([sup, inf]), torch.cat([nodes, nodes])])
    return pairs, torch.cat([share, share])


def _gather_smoothing(x: Tensor, pairs: Tensor, weight: Tensor, backend: str | None) -> Tensor:
    n = x.size(0)
    a, b = pairs
    weight = weight.double()  # the normalisation in float64, cast once
    degree = 1 + scatter(weight, a, n, backend=backend) + scatter(weight, b, n, backend=backend)
    norm = inv_pow(degree, 0.5)
    coef = (weight * norm[a] * norm[b]).to(x.dtype)
    out = x * (norm * norm).to(x.dtype).unsqueeze(-1)
    return out + gather_scatter(x, torch.cat([a, b]), torch.cat([b, a]), n, torch.cat([coef, coef]),
                                backend=backend)


def _uses_operator(x: Tensor, graph: HyperGCNGraph, backend: str | None) -> bool:
    """Whether ``graph``'s kept sparse operator can compute the smoothing of ``x``: the sparse
    back-end, a sparse dtype, and no gradient wanted for the edge weights."""
    if x.dim() != 2 or x.dtype not in SPARSE_DTYPES:
        return False
    pairs, weight = graph
    if pairs.is_inference() or weight.is_inference() or pairs.device != x.device:
        return False
    if weight.requires_grad and torch.is_grad_enabled():
        return False
    return resolve("weighted_sum", x.device, backend) == "sparse"


@accumulate_in_float32
def gcn_smoothing(x: Tensor, graph: tuple[Tensor, Tensor], backend: str | None = None) -> Tensor:
    r"""The GCN operator :math:`\hat D^{-1/2} (A + I) \hat D^{-1/2} X` of an undirected weighted graph.

    :math:`A` is the symmetric adjacency with :math:`A_{uv}` the sum of the weights of the pairs
    :math:`\{u, v\}` in ``graph = (edge_index [2, P], edge_weight [P])`` and
    :math:`\hat D = \mathrm{diag}(\mathbf 1 + A \mathbf 1)`; every node keeps a self-loop of weight one.

    A plain pair is normalised at every call and applied by gather and scatter. A
    :class:`HyperGCNGraph` builds the normalised operator once, as a sparse-CSR matrix kept on
    the graph, and applies it in one product when the sparse back-end applies (``backend``
    ``None``, ``"auto"`` or ``"sparse"``; float32 or float64; not traced) and the edge weights
    need no gradient. Both ways give the same numbers.
    """
    if isinstance(graph, HyperGCNGraph) and _uses_operator(x, graph, backend):
        matrix = graph.operator(x.size(0), x.dtype)
        return csr_matmul(matrix, matrix, x)
    pairs, weight = graph
    return _gather_smoothing(x, pairs, weight, backend)


class HyperGCNConv(NodeConv):
    r"""HyperGCN: Yadati et al., "HyperGCN: A New Method of Training Graph Convolutional Networks
    on Hypergraphs", NeurIPS 2019.

    .. math::
        Z = \mathrm{dropout}(X)\,\Theta + b, \qquad
        X' = \hat D^{-1/2} (A_Z + I) \hat D^{-1/2} Z

    where :math:`A_Z` is the graph of :func:`hypergcn_graph` built from :math:`Z` itself under a
    random direction :math:`r` drawn at every call (each hyperedge linked between its two most
    distant members along :math:`r`, through the other members with ``mediators=True``). This is
    DHG's ``HyperGCNConv`` with ``is_last=True`` (DHG's activation, batch norm and dropout after
    a non-last layer belong to the model, :class:`~hgnn.models.HyperGCN`). FastHyperGCN passes a
    ``graph`` built once from the input features instead; wrapped in a :class:`HyperGCNGraph`
    it keeps its normalised operator, so passing the same one at every call normalises it once.

    The selection of the two extremes is not differentiable and is made on detached features;
    the gradient flows through :math:`Z` in the GCN step. Hyperedge weights scale each
    hyperedge's graph edges (DHG and the original code ignore them; all agree on unit weights).
    Hyperedges of one member and empty ones add no edge.

    Args:
        in_channels: :math:`F_{in}`.
        out_channels: :math:`F_{out}`.
        mediators: link the extremes through the other members (weights :math:`1/(2|e|-3)`).
        bias: learn :math:`b`.
        dropout: dropout probability on the input features (training only).
        cached: keep the structure of the first raw-index call (see :class:`~hgnn.nn.conv.HGNNConv`).

    Shapes:
        - **x**: ``[N, F_in]``; **hg**: :class:`~hgnn.Hypergraph`, or PyG's ``hyperedge_index``,
          ``hyperedge_weight``, ``hyperedge_attr``, ``num_edges`` (see :class:`~hgnn.nn.conv.HGNNConv`).
        - **projection** (keyword): ``[F_out]`` direction :math:`r` instead of a random one;
          **generator** (keyword): the generator of the random one; **graph** (keyword): a
          precomputed ``(edge_index [2, P], edge_weight [P])`` of :func:`hypergcn_graph` (node ids
          below ``N``, finite non-negative floating weights; a :class:`HyperGCNGraph` is checked
          once, and again only after an in-place edit).
        - **output**: ``[N, F_out]``.
    """

    def __init__(
        self, in_channels: int, out_channels: int, mediators: bool = False, bias: bool = True,
        dropout: float = 0.0, cached: bool = False,
    ) -> None:
        check_probability(dropout, "dropout")
        super().__init__(in_channels, out_channels, cached)
        self.mediators = bool(mediators)
        self.dropout = dropout
        self.lin = nn.Linear(in_channels, out_channels, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform weight, zero bias; forgets a cached structure."""
        nn.init.xavier_uniform_(self.lin.weight)
        if self.lin.bias is not None:
            nn.init.zeros_(self.lin.bias)
        super().reset_parameters()

    @overload
    def forward(self, x: Tensor, hg: Hypergraph, *, projection: Tensor | None = None,
                generator: torch.Generator | None = None, graph: tuple[Tensor, Tensor] | None = None) -> Tensor: ...

    @overload
    def forward(self, x: Tensor, hyperedge_index: Tensor, /, hyperedge_weight: Tensor | None = None,
                hyperedge_attr: Tensor | None = None, num_edges: int | None = None, *,
                projection: Tensor | None = None, generator: torch.Generator | None = None,
                graph: tuple[Tensor, Tensor] | None = None) -> Tensor: ...

    @overload
    def forward(self, x: Tensor, *, hyperedge_index: Tensor, hyperedge_weight: Tensor | None = None,
                hyperedge_attr: Tensor | None = None, num_edges: int | None = None,
                projection: Tensor | None = None, generator: torch.Generator | None = None,
                graph: tuple[Tensor, Tensor] | None = None) -> Tensor: ...

    def forward(
        self,
        x: Tensor,
        hg: Hypergraph | Tensor | None = None,
        hyperedge_weight: Tensor | None = None,
        hyperedge_attr: Tensor | None = None,
        num_edges: int | None = None,
        *,
        hyperedge_index: Tensor | None = None,
        projection: Tensor | None = None,
        generator: torch.Generator | None = None,
        graph: tuple[Tensor, Tensor] | None = None,
    ) -> Tensor:
        hg = self.resolve(x, hg, hyperedge_weight, hyperedge_attr, num_edges, hyperedge_index)
        return self.propagate(x, hg, projection=projection, generator=generator, graph=graph)

    def propagate(
        self, x: Tensor, hg: Hypergraph, *, projection: Tensor | None = None,
        generator: torch.Generator | None = None, graph: tuple[Tensor, Tensor] | None = None,
    ) -> Tensor:
        """Build (or check) the HyperGCN graph of the mapped features and apply GCN's operator."""
        x = F.dropout(x, p=self.dropout, training=self.training)
        z = self.lin(x)
        if graph is None:
            graph = hypergcn_graph(z, hg, self.mediators, projection, generator)
        elif projection is not None or generator is not None:
            raise TypeError("pass either graph (a precomputed HyperGCN graph) or projection / generator "
                            "(to build one), not both")
        else:
            pairs = _check_graph(graph, x.size(0))
            graph = graph if isinstance(graph, HyperGCNGraph) else pairs
        return gcn_smoothing(z, graph)

    def extra_repr(self) -> str:
        cached = ", cached=True" if self.cached else ""
        return f"{self.in_channels}, {self.out_channels}, mediators={self.mediators}, dropout={self.dropout}{cached}"
