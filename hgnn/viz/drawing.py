r"""Drawing a hypergraph with matplotlib: nodes as dots, hyperedges as hulls or stars.

matplotlib is imported only when :func:`draw` runs (``pip install 'hgnn[plot]'``); the layout uses
networkx, a dependency of hgnn.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from torch import Tensor

from hgnn.io import atomic_path
from hgnn.structure import Hypergraph, clique_expansion

__all__ = ["STYLES", "draw", "layout"]

#: How :func:`draw` shows a hyperedge.
STYLES = ("hull", "star")
#: Points on the circle drawn around each member before taking the hull, so that hyperedges of one
#: or two members, or of members on a line, still get an area.
_CIRCLE = 12


def layout(hg: Hypergraph, seed: int = 0, iterations: int = 50) -> np.ndarray:
    r"""Node positions from a spring layout of the clique expansion.

    Nodes sharing many (heavy) hyperedges are pulled together: the clique expansion's edge weights
    :math:`\sum_{e \ni u, v} w(e)` are the springs' strengths (networkx's ``spring_layout``,
    Fruchterman-Reingold).

    Args:
        hg: the hypergraph.
        seed: seeds the initial positions; the same seed gives the same layout.
        iterations: force-simulation steps.

    Returns:
        ``float64[N, 2]`` positions in :math:`[-1, 1]^2`.
    """
    import networkx as nx

    if not isinstance(hg, Hypergraph):
        raise TypeError(f"hg must be a Hypergraph, got {type(hg).__name__}")
    graph = nx.Graph()
    graph.add_nodes_from(range(hg.num_nodes))
    edge_index, weight = clique_expansion(hg.cpu())
    keep = edge_index[0] < edge_index[1]
    graph.add_weighted_edges_from(zip(*edge_index[:, keep].tolist(), weight[keep].tolist()))
    pos = nx.spring_layout(graph, seed=seed, iterations=iterations)
    return np.array([pos[v] for v in range(hg.num_nodes)], dtype=np.float64).reshape(-1, 2)


def _positions(hg: Hypergraph, pos: Any, seed: int) -> np.ndarray:
    if pos is None:
        return layout(hg, seed=seed)
    if isinstance(pos, Mapping):
        missing = [v for v in range(hg.num_nodes) if v not in pos]
        if missing:
            raise ValueError(f"pos has no position for node {missing[0]}; give all {hg.num_nodes} nodes one")
        pos = [pos[v] for v in range(hg.num_nodes)]
    array = (pos.detach().cpu().numpy() if isinstance(pos, Tensor) else np.asarray(pos)).astype(np.float64)
    if array.shape != (hg.num_nodes, 2):
        raise ValueError(f"pos must have shape [num_nodes, 2] = [{hg.num_nodes}, 2], got {list(array.shape)}")
    if not np.isfinite(array).all():
        raise ValueError("pos holds NaN or inf")
    return array


def _members(hg: Hypergraph) -> list[np.ndarray]:
    """Each hyperedge's distinct members."""
    return [np.unique(np.asarray(m, dtype=np.int64)) for m in hg.cpu().to_edge_list()]


def _hull(points: np.ndarray, pad: float) -> np.ndarray:
    """The convex hull, as a closed polygon, of circles of radius ``pad`` around ``points``."""
    from scipy.spatial import ConvexHull

    angle = np.linspace(0.0, 2.0 * np.pi, _CIRCLE, endpoint=False)
    circle = pad * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    cloud = (points[:, None, :] + circle[None, :, :]).reshape(-1, 2)
    return cloud[ConvexHull(cloud).vertices]


def _node_colors(node_color: Any, n: int) -> Any:
    """``node_color`` as matplotlib takes it (a tensor becomes an array), checked for length."""
    if isinstance(node_color, Tensor):
        node_color = node_color.detach().cpu().numpy()
    if isinstance(node_color, (list, tuple, np.ndarray)) and len(node_color) != n and not (
            len(node_color) in (3, 4) and all(isinstance(c, (int, float)) for c in node_color)):
        raise ValueError(f"node_color has {len(node_color)} entries for {n} nodes; give one colour or one per node")
    return node_color


def _labels(labels: Any, n: int) -> list[str] | None:
    if labels is None or labels is False:
        return None
    if labels is True:
        return [str(v) for v in range(n)]
    if isinstance(labels, Mapping):
        return [str(labels.get(v, "")) for v in range(n)]
    texts = [str(t) for t in labels]
    if len(texts) != n:
        raise ValueError(f"labels has {len(texts)} entries for {n} nodes; give one per node, or True for node ids")
    return texts


def draw(
    hg: Hypergraph,
    pos: Tensor | np.ndarray | Mapping[int, Sequence[float]] | None = None,
    ax: Any = None,
    style: str = "hull",
    node_color: Any = "black",
    labels: bool | Sequence[Any] | Mapping[int, Any] | None = None,
    node_size: float = 30.0,
    alpha: float = 0.25,
    cmap: str = "tab10",
    seed: int = 0,
    path: str | Path | None = None,
) -> Any:
    r"""Draw a hypergraph on a matplotlib Axes.

    Nodes are dots at ``pos`` (by default :func:`layout`, a spring layout of the clique expansion).
    Each non-empty hyperedge is drawn in its own colour (``cmap``, in hyperedge order) as

    * ``"hull"``: a filled translucent convex hull around its members (rounded, so that hyperedges
      of one or two members show too) - one patch per hyperedge;
    * ``"star"``: a small square at its members' centroid joined by a line to every member - one
      line segment per distinct member.

    Args:
        hg: the hypergraph.
        pos: ``[N, 2]`` node positions (tensor, array or ``{node: (x, y)}``).
        ax: the Axes to draw on; a new figure's when ``None``.
        style: one of :data:`STYLES`.
        node_color: one colour, or one per node (e.g. ``hg.y``; numbers go through ``cmap``).
        labels: ``True`` writes node ids next to the nodes; a sequence or dict gives the texts.
        node_size: dot area in points squared. alpha: hull opacity.
        cmap: matplotlib colormap of the hyperedges (and of numeric ``node_color``).
        seed: seeds the layout when ``pos`` is ``None``.
        path: if given, the figure is saved there (atomically; format from the suffix). Nothing is
            written otherwise.

    Returns:
        The matplotlib Axes drawn on.

    Raises:
        ImportError: matplotlib is not installed (``pip install 'hgnn[plot]'``).
    """
    try:
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection
        from matplotlib.patches import Polygon
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("drawing needs matplotlib: pip install 'hgnn[plot]'") from err
    if not isinstance(hg, Hypergraph):
        raise TypeError(f"hg must be a Hypergraph, got {type(hg).__name__}")
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, got {style!r}")
    xy = _positions(hg, pos, seed)
    texts = _labels(labels, hg.num_nodes)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    colours = plt.get_cmap(cmap)
    span = float(np.ptp(xy, axis=0).max()) if hg.num_nodes > 1 else 1.0
    pad = 0.04 * (span or 1.0)
    segments: list[list[np.ndarray]] = []
    segment_colours: list[Any] = []
    for e, members in enumerate(_members(hg)):
        if members.size == 0:
            continue
        colour = colours(e % colours.N)
        points = xy[members]
        if style == "hull":
            ax.add_patch(Polygon(_hull(points, pad), closed=True, facecolor=colour, edgecolor=colour,
                                 alpha=alpha, linewidth=1.0))
        else:
            centre = points.mean(axis=0)
            segments.extend([centre, point] for point in points)
            segment_colours.extend([colour] * len(points))
            ax.scatter([centre[0]], [centre[1]], marker="s", s=node_size * 0.6, color=colour, zorder=3)
    if segments:
        ax.add_collection(LineCollection(segments, colors=segment_colours, linewidths=1.0, zorder=1))
    colour_arg = _node_colors(node_color, hg.num_nodes)
    numeric = isinstance(colour_arg, np.ndarray) and colour_arg.dtype.kind in "iuf"
    ax.scatter(xy[:, 0], xy[:, 1], s=node_size, c=colour_arg, cmap=cmap if numeric else None, zorder=4)
    for v, text in enumerate(texts or ()):
        ax.annotate(text, xy[v], xytext=(3, 3), textcoords="offset points", fontsize=8, zorder=5)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.margins(0.08)
    ax.set_axis_off()
    if path is not None:
        with atomic_path(path) as tmp:
            ax.figure.savefig(tmp, bbox_inches="tight")
    return ax
