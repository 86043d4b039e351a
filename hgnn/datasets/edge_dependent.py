"""Edge-dependent node classification (ENC) benchmarks: Email-Eu, Stack-Biology, Stack-Physics, DBLP.

Choe, Kim, Yoo & Shin, "Classification of Edge-Dependent Labels of Nodes in Hypergraphs" (WHATsNet),
KDD 2023 (``young917/EdgeDependentNodeLabel``); files as redistributed by CoNHD (Zheng & Worring,
CIKM 2025, ``zhengyijia/CoNHD``, MIT). Registry names: ``enc-emaileu``, ``enc-stackoverflowbiology``,
``enc-stackoverflowphysics``, ``enc-dblp`` (family ``enc``).

Layout and our choices (they follow the WHATsNet reference loader):

* ``hypergraph.txt``: line ``j`` is hyperedge ``j``; incidences are laid out line by line, in the
  order written. A node may occur twice in one hyperedge (e.g. a user who both asked and answered);
  **each occurrence is its own incidence** (``nnz`` counts positions, not unique pairs).
* Node ids are relabelled ``0..N-1`` **in order of first appearance** in ``hypergraph.txt``
  (the original id is kept in ``node_data["orig_id"]``).
* ``hypergraph_pos.txt``: token ``i`` of line ``j`` is the label of the ``i``-th member of
  hyperedge ``j``; returned as ``incidence_data["y"]``.
* ``valid_hindex.txt`` / ``test_hindex.txt``: hyperedge line numbers (DBLP: paper keys, which head
  each line of the two hypergraph files, quoted there and unquoted in the split files). Every other
  hyperedge is training data. Returned as ``edge_data`` masks.
* ``{degree,eigenvec,pagerank,kcore}_nodecentrality.txt``: ``node<TAB>value`` with a header,
  aligned to the relabelled nodes as ``node_data`` float64 vectors (float32 would tie ranks).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from hgnn.datasets._common import (
    index_from_ragged,
    make_hypergraph,
    mask_from_index,
    read_float_table,
    read_ragged_ints,
    relabel_first_appearance,
)
from hgnn.datasets.registry import register

__all__ = ["load_enc", "CENTRALITIES"]

_COMMIT = "02212eaef598ac2dbb175bd3df5687be03474b5c"
_URL = f"https://raw.githubusercontent.com/zhengyijia/CoNHD/{_COMMIT}/dataset/edge_dependent_node_classification/"
#: The node centralities of each set, in the column order of the positional encoding.
CENTRALITIES = ("degree", "eigenvec", "pagerank", "kcore")


def _split_index(path: Path, keys: list[str] | None, num_edges: int) -> np.ndarray:
    """Hyperedge ids listed in a split file (line numbers, or paper keys when ``keys`` is given)."""
    if keys is None:
        ids = np.loadtxt(path, dtype=np.int64, ndmin=1)
    else:
        where = {k: i for i, k in enumerate(keys)}
        if len(where) != len(keys):
            raise ValueError(f"{path.parent.name}: paper keys in hypergraph.txt are not unique")
        names = [line.strip().strip("'\"") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        missing = [n for n in names if n not in where]
        if missing:
            raise ValueError(f"{path.name}: {len(missing)} keys not in hypergraph.txt, e.g. {missing[0]!r}")
        ids = np.fromiter((where[n] for n in names), dtype=np.int64, count=len(names))
    if ids.size and (ids.min() < 0 or ids.max() >= num_edges):
        raise ValueError(f"{path.name}: hyperedge index outside 0..{num_edges - 1}")
    return ids


def load_enc(folder: str | Path, *, keyed: bool = False):
    """Load one ENC dataset folder (WHATsNet, Choe et al., KDD 2023; files via CoNHD).

    Args:
        folder: e.g. ``.../enc/emailEu``.
        keyed: lines of the hypergraph files start with a quoted paper key (DBLP only).

    Returns:
        :class:`hgnn.Hypergraph` with ``hyperedge_index [2, nnz]`` (one column per position, duplicates
        kept), ``x = None``, ``incidence_data["y"]`` long ``[nnz]`` edge-dependent labels,
        ``edge_data`` ``train_mask``/``val_mask``/``test_mask`` bool ``[M]``, and ``node_data``
        ``orig_id`` long ``[N]`` plus ``degree``, ``eigenvec``, ``pagerank``, ``kcore`` float64 ``[N]``.
    """
    folder = Path(folder)
    raw_nodes, sizes, keys = read_ragged_ints(folder / "hypergraph.txt", keyed=keyed)
    labels, label_sizes, label_keys = read_ragged_ints(folder / "hypergraph_pos.txt", keyed=keyed)
    if not np.array_equal(sizes, label_sizes):
        raise ValueError(f"{folder.name}: hypergraph.txt and hypergraph_pos.txt have different line lengths")
    if keyed and keys != label_keys:
        raise ValueError(f"{folder.name}: hypergraph.txt and hypergraph_pos.txt list different paper keys")
    nodes, orig_id = relabel_first_appearance(raw_nodes)
    num_nodes, num_edges = orig_id.size, sizes.size
    index = index_from_ragged(nodes, sizes)

    valid = _split_index(folder / "valid_hindex.txt", keys, num_edges)
    test = _split_index(folder / "test_hindex.txt", keys, num_edges)
    val_mask, test_mask = mask_from_index(valid, num_edges), mask_from_index(test, num_edges)
    if bool((val_mask & test_mask).any()):
        raise ValueError(f"{folder.name}: validation and test hyperedges overlap")

    # original id -> relabelled id, via a dense lookup over the (possibly sparse) original id range
    lookup = np.full(int(orig_id.max()) + 1, -1, dtype=np.int64)
    lookup[orig_id] = np.arange(num_nodes, dtype=np.int64)
    node_data = {"orig_id": orig_id}
    for measure in CENTRALITIES:
        table = read_float_table(folder / f"{measure}_nodecentrality.txt", skiprows=1)
        ids = table[:, 0].astype(np.int64)
        inside = (ids >= 0) & (ids < lookup.size)
        rows = np.where(inside, lookup[np.clip(ids, 0, lookup.size - 1)], -1)
        keep = rows >= 0  # the reference loader ignores nodes that are not in the hypergraph
        values = np.full(num_nodes, np.nan)
        values[rows[keep]] = table[keep, 1]
        if np.isnan(values).any():
            raise ValueError(f"{measure}_nodecentrality.txt: {int(np.isnan(values).sum())} nodes have no value")
        # a tensor already, so make_hypergraph keeps float64: float32 would tie ranks (CoNHD ranks in float64)
        node_data[measure] = torch.from_numpy(values.astype(np.float64))

    return make_hypergraph(
        index,
        num_nodes,
        num_edges,
        node_data=node_data,
        edge_data={"train_mask": ~(val_mask | test_mask), "val_mask": val_mask, "test_mask": test_mask},
        incidence_data={"y": labels},
    )


_SETS = {
    "enc-emaileu": ("emailEu", "Email-Eu ENC (WHATsNet): 986 nodes, 209508 hyperedges, 2 edge-dependent labels"),
    "enc-stackoverflowbiology": ("StackOverflowBiology", "Stack-Biology ENC (WHATsNet): 15490 nodes, 26823 hyperedges"),
    "enc-stackoverflowphysics": ("StackOverflowPhysics", "Stack-Physics ENC (WHATsNet): 80936 nodes, 200811 hyperedges"),
    "enc-dblp": ("DBLP", "Coauth-DBLP ENC (WHATsNet): 108484 nodes, 91266 hyperedges, 3 labels"),
}
_FILES = ("hypergraph.txt", "hypergraph_pos.txt", "valid_hindex.txt", "test_hindex.txt") + tuple(
    f"{m}_nodecentrality.txt" for m in CENTRALITIES
)

for _name, (_dir, _desc) in _SETS.items():
    register(
        _name,
        load_enc,
        family="enc",
        task="edge-dependent-node",
        subdir=f"enc/{_dir}",
        files=_FILES,
        url_base=f"{_URL}{_dir}/",
        description=_desc,
        defaults={"keyed": _dir == "DBLP"},
    )
