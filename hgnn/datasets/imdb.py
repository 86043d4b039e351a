"""MAGNN's IMDB movies as a hypergraph: DHG's ``IMDB4k`` / LightHGNN's "IMDB-AW".

Fu et al., "MAGNN: Metapath Aggregated Graph Neural Network for Heterogeneous Graph Embedding",
WWW 2020 (preprocessed files from ``myeonghak/MAGNN_BERT``, a copy of ``cynricfu/MAGNN``). Used as a
hypergraph by DHG (IMDB4k) and LightHGNN (Feng et al., ICLR 2024, "IMDB-AW").

* Nodes: the 4278 movies (node type 0 of ``adjM``), in ``adjM`` order.
* Hyperedges: one per director (the movies they directed; 2081, ids ``0..2080``), then one per actor
  (5257, ids ``2081..7337``), both in ``adjM`` order. Singleton hyperedges are kept (1274 director
  and 3220 actor ones). ``edge_data["edge_type"]`` is 0 for director and 1 for actor hyperedges.
* ``x``: the 3066-word bag-of-words counts (``features_0.npz``), dense float32.
* ``y``: 3 genres. ``train_mask``/``val_mask``/``test_mask`` from ``train_val_test_idx.npz``
  (400 / 400 / 3478 movies).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from hgnn.datasets._common import make_hypergraph, mask_from_index
from hgnn.datasets.registry import register

__all__ = ["load_imdb"]

_COMMIT = "6ca46fbd29c5176bda3a4d718dac4742741f352f"
_URL = f"https://raw.githubusercontent.com/myeonghak/MAGNN_BERT/{_COMMIT}/data/preprocessed/IMDB_processed/"
_MOVIE, _DIRECTOR, _ACTOR = 0, 1, 2


def _load_npz(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def load_imdb(folder: str | Path, *, hyperedges: str = "director+actor"):
    """Load the IMDB movie hypergraph (MAGNN, Fu et al., WWW 2020; IMDB4k as in DHG / LightHGNN).

    Args:
        folder: the ``imdb-magnn`` folder.
        hyperedges: ``"director+actor"`` (default, IMDB4k / IMDB-AW), ``"director"`` or ``"actor"``.

    Returns:
        :class:`hgnn.Hypergraph` with ``hyperedge_index [2, nnz]`` (17106 incidences for the default),
        ``x`` float32 ``[4278, 3066]``, ``y`` long ``[4278]``, ``node_data`` ``train_mask``,
        ``val_mask``, ``test_mask`` bool ``[4278]`` and ``edge_data["edge_type"]`` long ``[M]``.
    """
    folder = Path(folder)
    if hyperedges not in ("director+actor", "director", "actor"):
        raise ValueError(f"hyperedges must be 'director+actor', 'director' or 'actor', got {hyperedges!r}")
    types = np.load(folder / "node_types.npy", allow_pickle=False)
    adj = sp.load_npz(folder / "adjM.npz").tocsr()
    movies = np.flatnonzero(types == _MOVIE)
    num_nodes = movies.size
    if not np.array_equal(movies, np.arange(num_nodes)):
        raise ValueError("node_types.npy: movies are expected to come first")

    parts, kinds, offset = [], [], 0
    wanted = {"director+actor": (_DIRECTOR, _ACTOR), "director": (_DIRECTOR,), "actor": (_ACTOR,)}[hyperedges]
    for kind in wanted:
        cols = np.flatnonzero(types == kind)
        block = adj[:num_nodes][:, cols].tocsc()  # movies x people
        block.sort_indices()
        counts = np.diff(block.indptr)
        edge_ids = np.repeat(np.arange(cols.size, dtype=np.int64), counts) + offset
        parts.append(np.stack([block.indices.astype(np.int64), edge_ids]))
        kinds.append(np.full(cols.size, 0 if kind == _DIRECTOR else 1, dtype=np.int64))
        offset += cols.size
    index = np.concatenate(parts, axis=1)

    x = sp.load_npz(folder / "features_0.npz").toarray().astype(np.float32)
    y = np.load(folder / "labels.npy", allow_pickle=False).astype(np.int64)
    split = _load_npz(folder / "train_val_test_idx.npz")
    node_data = {f"{k}_mask": mask_from_index(split[f"{k}_idx"], num_nodes) for k in ("train", "val", "test")}
    return make_hypergraph(
        index, num_nodes, offset, x=x, y=y, node_data=node_data, edge_data={"edge_type": np.concatenate(kinds)}
    )


register(
    "imdb-magnn",
    load_imdb,
    family="imdb",
    subdir="imdb-magnn",
    files=("adjM.npz", "node_types.npy", "features_0.npz", "labels.npy", "train_val_test_idx.npz"),
    url_base=_URL,
    description="IMDB movies (MAGNN) as DHG IMDB4k / LightHGNN IMDB-AW: 4278 nodes, 7338 hyperedges, 3 genres",
)
