"""Graph-classification benchmarks: TU raw files (``tu/``) and the GIN/DGCNN text files (``tu_gin/``).

* TUDataset: Morris et al., "TUDataset: A collection of benchmark datasets for learning with
  graphs", GRL+ workshop, ICML 2020. Format: ``<NAME>_A.txt`` (1-based global ``row, col`` pairs),
  ``_graph_indicator``, ``_graph_labels``, optional ``_node_labels``, ``_edge_labels``,
  ``_node_attributes``.
* GIN text format: Xu et al., "How Powerful are Graph Neural Networks?", ICLR 2019; 10-fold split
  files from DGCNN (Zhang et al., AAAI 2018), repository ``muhanzhang/pytorch_DGCNN`` (MIT).

Both readers are written here (no download, no ``processed/`` folder) and return a
:class:`GraphDataset`: a ``list`` of :class:`torch_geometric.data.Data` with

* ``edge_index`` ``[2, E]``: undirected (both directions), duplicates removed, sorted by
  ``(row, col)``. The IMDB ``_A.txt`` files list every directed edge twice; they are counted once.
* ``x`` float32 ``[n, F]``: one-hot node labels (TU) or node tags (GIN), over the sorted distinct
  values of the whole dataset. Sets without node labels (IMDB-BINARY/MULTI) use the node degree as
  the tag (GIN's ``--degree_as_tag``); ``degree_as_tag=None`` picks this automatically.
* ``y`` long ``[1]``: graph label mapped to ``0..C-1`` by sorted raw value (as PyG does; GIN maps
  by first appearance instead, which only permutes class ids).
* TU only: ``edge_attr`` float32 ``[E, L]`` one-hot edge labels (MUTAG, PTC_MR), and with
  ``use_node_attr=True`` the continuous node attributes placed before the one-hot labels (PyG order).

Quirks: ``gin-ptc`` is not TU ``PTC_MR`` (bigger graphs, 19 tags); ``gin-mutag`` lists the 125
positive graphs first, so its folds index the GIN order, not TU's. The ``folds`` of the GIN sets are
DGCNN's files (GIN's own code draws ``StratifiedKFold`` splits instead).
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from hgnn.datasets._common import one_hot, read_float_table, read_int_table, read_ragged_ints, relabel_sorted
from hgnn.datasets.registry import register

__all__ = ["GraphDataset", "load_tu", "load_tu_gin"]

NUM_FOLDS = 10


class GraphDataset(list):
    """A ``list`` of ``torch_geometric.data.Data`` graphs plus dataset-level metadata.

    Attributes:
        name: dataset name.
        num_classes: number of graph classes ``C``.
        folds: ``None`` or ``NUM_FOLDS`` pairs ``(train_idx, test_idx)`` of ``LongTensor`` graph
            indices into this list (DGCNN's 10-fold files for the GIN sets).
        classes: the raw label value of each class id (``classes[c]`` was mapped to ``c``).

    It works directly with ``torch_geometric.loader.DataLoader``.
    """

    def __init__(self, graphs, *, name: str, num_classes: int, classes: Sequence, folds=None):
        super().__init__(graphs)
        self.name = name
        self.num_classes = int(num_classes)
        self.classes = list(classes)
        self.folds = folds

    @property
    def num_node_features(self) -> int:
        """Width of ``x`` (0 when the graphs have no ``x``)."""
        x = self[0].x if len(self) else None
        return 0 if x is None else int(x.size(1))

    @property
    def num_edge_features(self) -> int:
        """Width of ``edge_attr`` (0 when absent)."""
        e = getattr(self[0], "edge_attr", None) if len(self) else None
        return 0 if e is None else int(e.size(1))

    def __repr__(self) -> str:
        folds = "" if self.folds is None else f", folds={len(self.folds)}"
        return f"GraphDataset({self.name!r}, graphs={len(self)}, classes={self.num_classes}{folds})"


def _coalesce(src: np.ndarray, dst: np.ndarray, labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Symmetrize, drop duplicate (row, col) pairs (keeping the first label) and sort; ``[2, E]``."""
    rows = np.concatenate([src, dst])
    cols = np.concatenate([dst, src])
    pairs = np.stack([rows, cols], axis=1)
    _, first = np.unique(pairs, axis=0, return_index=True)  # sorted by (row, col)
    edge = pairs[first].T.copy()
    lab = None if labels is None else np.concatenate([labels, labels])[first]
    return edge, lab


def _tag_one_hot(tags: np.ndarray) -> np.ndarray:
    codes, _ = relabel_sorted(tags)
    return one_hot(codes, int(codes.max()) + 1 if codes.size else 0)


def _build_graphs(
    node_graph: np.ndarray,
    edge: np.ndarray,
    x: np.ndarray | None,
    y: np.ndarray,
    edge_attr: np.ndarray | None = None,
) -> list:
    """Cut global arrays into per-graph ``Data`` objects (nodes of a graph must be contiguous)."""
    with warnings.catch_warnings():  # torch_geometric's first import trips torch.jit deprecations
        warnings.simplefilter("ignore", DeprecationWarning)
        from torch_geometric.data import Data

    num_graphs = y.size
    if node_graph.size and (np.any(np.diff(node_graph) < 0) or node_graph.max() >= num_graphs):
        raise ValueError("nodes of each graph must be contiguous and graph ids < number of graphs")
    if edge.size and np.any(node_graph[edge[0]] != node_graph[edge[1]]):
        raise ValueError("an edge joins nodes of two different graphs")
    node_ptr = np.concatenate([[0], np.cumsum(np.bincount(node_graph, minlength=num_graphs))])
    edge_graph = node_graph[edge[0]] if edge.size else np.zeros(0, dtype=np.int64)
    edge_ptr = np.concatenate([[0], np.cumsum(np.bincount(edge_graph, minlength=num_graphs))])
    edge_t = torch.from_numpy(np.ascontiguousarray(edge))
    x_t = None if x is None else torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    ea_t = None if edge_attr is None else torch.from_numpy(np.ascontiguousarray(edge_attr, dtype=np.float32))
    y_t = torch.from_numpy(y.astype(np.int64))
    graphs = []
    for g in range(num_graphs):
        n0, n1, e0, e1 = int(node_ptr[g]), int(node_ptr[g + 1]), int(edge_ptr[g]), int(edge_ptr[g + 1])
        data = Data(edge_index=edge_t[:, e0:e1] - n0, y=y_t[g : g + 1], num_nodes=n1 - n0)
        if x_t is not None:
            data.x = x_t[n0:n1]
        if ea_t is not None:
            data.edge_attr = ea_t[e0:e1]
        graphs.append(data)
    return graphs


def _degrees(edge: np.ndarray, num_nodes: int) -> np.ndarray:
    return np.bincount(edge[0], minlength=num_nodes) if edge.size else np.zeros(num_nodes, dtype=np.int64)


def load_tu(
    folder: str | Path,
    *,
    stem: str | None = None,
    use_node_attr: bool = False,
    use_edge_attr: bool = True,
    degree_as_tag: bool | None = None,
) -> GraphDataset:
    """Read a TU raw folder (``<NAME>_A.txt`` & co.; Morris et al., TUDataset, 2020) without
    downloading or caching anything.

    Args:
        folder: e.g. ``.../tu/MUTAG``.
        stem: ``<NAME>`` in the file names; defaults to the folder name.
        use_node_attr: prepend the continuous ``_node_attributes`` (PROTEINS: 1, ENZYMES: 18 columns).
        use_edge_attr: add one-hot ``_edge_labels`` as ``edge_attr`` where present.
        degree_as_tag: one-hot node degree instead of node labels; ``None``: only when the set has
            no node labels (IMDB).

    Returns:
        :class:`GraphDataset` of ``Data(x [n, F], edge_index [2, E], y [1], edge_attr [E, L]?)``;
        ``folds`` is ``None``.
    """
    folder = Path(folder)
    stem = stem or folder.name

    def f(suffix: str) -> Path:
        return folder / f"{stem}_{suffix}.txt"

    pairs = read_int_table(f("A"), delimiter=",") - 1
    node_graph = read_int_table(f("graph_indicator"))[:, 0] - 1
    y, classes = relabel_sorted(read_int_table(f("graph_labels"))[:, 0])
    num_nodes = node_graph.size
    if pairs.size and (pairs.min() < 0 or pairs.max() >= num_nodes):
        raise ValueError(f"{stem}_A.txt: node id outside 1..{num_nodes}")

    edge_labels = read_int_table(f("edge_labels"))[:, 0] if use_edge_attr and f("edge_labels").is_file() else None
    edge, edge_lab = _coalesce(pairs[:, 0], pairs[:, 1], edge_labels)
    edge_attr = None if edge_lab is None else _tag_one_hot(edge_lab)

    has_labels = f("node_labels").is_file()
    if degree_as_tag is None:
        degree_as_tag = not has_labels
    parts = []
    if use_node_attr and f("node_attributes").is_file():
        parts.append(read_float_table(f("node_attributes"), delimiter=",").astype(np.float32))
    if degree_as_tag:
        parts.append(_tag_one_hot(_degrees(edge, num_nodes)))
    elif has_labels:
        parts.append(_tag_one_hot(read_int_table(f("node_labels"))[:, 0]))
    x = np.concatenate(parts, axis=1) if parts else None
    graphs = _build_graphs(node_graph, edge, x, y, edge_attr)
    return GraphDataset(graphs, name=stem, num_classes=classes.size, classes=classes.tolist())


def _read_folds(folder: Path, num_graphs: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    folds = []
    for k in range(1, NUM_FOLDS + 1):
        pair = []
        for part in ("train", "test"):
            idx = np.loadtxt(folder / f"{part}_idx-{k}.txt", dtype=np.int64, ndmin=1)
            if idx.size and (idx.min() < 0 or idx.max() >= num_graphs):
                raise ValueError(f"{part}_idx-{k}.txt: graph index outside 0..{num_graphs - 1}")
            pair.append(torch.from_numpy(idx))
        folds.append((pair[0], pair[1]))
    return folds


def load_tu_gin(folder: str | Path, *, stem: str | None = None, degree_as_tag: bool | None = None) -> GraphDataset:
    """Read a GIN/DGCNN ``<NAME>.txt`` graph file and its ``10fold_idx`` splits (Xu et al., ICLR 2019;
    splits from DGCNN, Zhang et al., AAAI 2018).

    Format: line 1 is the number of graphs; each graph is a line ``n label`` followed by ``n`` node
    lines ``tag m nbr_1 .. nbr_m`` (0-based local neighbour ids). Continuous node attributes after
    the neighbours are not supported (no shipped file has them).

    Args:
        folder: e.g. ``.../tu_gin/MUTAG``.
        stem: ``<NAME>``; defaults to the folder name.
        degree_as_tag: use node degree as the tag (GIN's ``--degree_as_tag``); ``None``: only when
            every node has the same tag (the IMDB files).

    Returns:
        :class:`GraphDataset` of ``Data(x [n, T], edge_index [2, E], y [1])`` with
        ``folds`` = 10 ``(train_idx, test_idx)`` LongTensor pairs indexing this list.
    """
    folder = Path(folder)
    stem = stem or folder.name
    values, sizes, _ = read_ragged_ints(folder / f"{stem}.txt")
    line_start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    num_graphs = int(values[0])
    # walk the graph headers only (one Python step per graph, not per node)
    header = np.empty(num_graphs, dtype=np.int64)
    line = 1
    for g in range(num_graphs):
        while sizes[line] == 0:  # tolerate blank lines
            line += 1
        header[g] = line
        line += 1 + int(values[line_start[line]])
    n_per_graph = values[line_start[header]]
    raw_labels = values[line_start[header] + 1]
    node_lines = np.concatenate([np.arange(h + 1, h + 1 + n) for h, n in zip(header.tolist(), n_per_graph.tolist())])
    if node_lines.size and node_lines.max() >= sizes.size:
        raise ValueError(f"{stem}.txt ends before its last graph")
    num_nodes = node_lines.size
    node_graph = np.repeat(np.arange(num_graphs, dtype=np.int64), n_per_graph)
    graph_offset = np.concatenate([[0], np.cumsum(n_per_graph)[:-1]])

    tags = values[line_start[node_lines]]
    degree = values[line_start[node_lines] + 1]
    if not np.array_equal(sizes[node_lines], degree + 2):
        raise ValueError(f"{stem}.txt: node lines must be 'tag m nbr_1..nbr_m' (attributes are not supported)")
    # neighbour tokens: positions >= 2 of every node line
    src = np.repeat(np.arange(num_nodes, dtype=np.int64), degree)
    starts = np.repeat(line_start[node_lines] + 2, degree)
    within = np.arange(src.size, dtype=np.int64) - np.repeat(np.cumsum(degree) - degree, degree)
    dst_local = values[starts + within]
    if dst_local.size and (dst_local.min() < 0 or np.any(dst_local >= n_per_graph[node_graph[src]])):
        raise ValueError(f"{stem}.txt: neighbour id outside its graph")
    dst = dst_local + graph_offset[node_graph[src]]
    edge, _ = _coalesce(src, dst, None)

    if degree_as_tag is None:
        degree_as_tag = np.unique(tags).size == 1
    x = _tag_one_hot(_degrees(edge, num_nodes) if degree_as_tag else tags)
    y, classes = relabel_sorted(raw_labels)
    graphs = _build_graphs(node_graph, edge, x, y)
    folds = _read_folds(folder / "10fold_idx", num_graphs)
    return GraphDataset(graphs, name=stem, num_classes=classes.size, classes=classes.tolist(), folds=folds)


# --------------------------------------------------------------------------- registration
_RAW = "https://raw.githubusercontent.com/"
_TU_XUELIN = _RAW + "XuelinHu/Matrix-ResGNN-GraphClassificatio/f76543d8bd82c7ebe1c16f59d9219d038c62ac8e/data/TUDataset/{}/raw/"
_TU_INFOGRAPH = _RAW + "sunfanyunn/InfoGraph/adfa37cb88add516273edd7c6f4d77350df03637/data/{}/"
_GIN_URL = _RAW + "muhanzhang/pytorch_DGCNN/50f504131ca66382f3f078ae98e59aa3ae35b795/data/{}/"

# name -> (folder, extra files, url template or None, description)
_TU_SETS = {
    "tu-mutag": ("MUTAG", ("node_labels", "edge_labels"), _TU_XUELIN, "MUTAG (TU): 188 molecules, 2 classes"),
    "tu-proteins": ("PROTEINS", ("node_labels", "node_attributes"), _TU_XUELIN, "PROTEINS (TU): 1113 graphs"),
    "tu-enzymes": ("ENZYMES", ("node_labels", "node_attributes"), _TU_XUELIN, "ENZYMES (TU): 600 graphs, 6 classes"),
    "tu-nci1": ("NCI1", ("node_labels",), _TU_INFOGRAPH, "NCI1 (TU): 4110 molecules, 2 classes"),
    "tu-ptc-mr": ("PTC_MR", ("node_labels", "edge_labels"), _TU_INFOGRAPH, "PTC_MR (TU): 344 molecules, 2 classes"),
    "tu-imdb-binary": ("IMDB-BINARY", (), None, "IMDB-BINARY (TU): 1000 ego-networks, 2 classes"),
    "tu-imdb-multi": ("IMDB-MULTI", (), None, "IMDB-MULTI (TU): 1500 ego-networks, 3 classes"),
}
for _name, (_dir, _extra, _url, _desc) in _TU_SETS.items():
    register(
        _name,
        load_tu,
        family="tu",
        task="graph",
        subdir=f"tu/{_dir}",
        files=tuple(f"{_dir}_{s}.txt" for s in ("A", "graph_indicator", "graph_labels") + _extra),
        url_base=None if _url is None else _url.format(_dir),
        description=_desc,
        defaults={"stem": _dir},
    )

_GIN_SETS = {
    "gin-mutag": ("MUTAG", "MUTAG (GIN/DGCNN text, 10 folds; positives first)"),
    "gin-proteins": ("PROTEINS", "PROTEINS (GIN/DGCNN text, 10 folds)"),
    "gin-enzymes": ("ENZYMES", "ENZYMES (GIN/DGCNN text, 10 folds)"),
    "gin-nci1": ("NCI1", "NCI1 (GIN/DGCNN text, 10 folds)"),
    "gin-ptc": ("PTC", "PTC as in GIN's paper (not TU PTC_MR), 10 folds"),
    "gin-imdb-binary": ("IMDBBINARY", "IMDB-BINARY (GIN/DGCNN text, 10 folds; degree as tag)"),
    "gin-imdb-multi": ("IMDBMULTI", "IMDB-MULTI (GIN/DGCNN text, 10 folds; degree as tag)"),
}
_FOLD_FILES = tuple(f"10fold_idx/{p}_idx-{k}.txt" for k in range(1, NUM_FOLDS + 1) for p in ("train", "test"))
for _name, (_dir, _desc) in _GIN_SETS.items():
    register(
        _name,
        load_tu_gin,
        family="tu-gin",
        task="graph",
        subdir=f"tu_gin/{_dir}",
        files=(f"{_dir}.txt",) + _FOLD_FILES,
        url_base=_GIN_URL.format(_dir),
        description=_desc,
        defaults={"stem": _dir},
    )
