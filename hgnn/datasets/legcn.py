"""LEGCN / AllSet ``.content`` + ``.edges`` hypergraphs: zoo, Mushroom, NTU2012, 20newsW100.

Yang et al., "Semi-supervised Hypergraph Node Classification on Hypergraph Line Expansion"
(LEGCN), CIKM 2022, repository ``ycq091044/LEGCN``; read the same way by AllSet
(Chien et al., ICLR 2022, ``load_LE_dataset``). Underlying data: UCI Zoo, UCI Mushroom, NTU2012
3-D shapes (Feng et al., HGNN, AAAI 2019) and 20 Newsgroups with 100 binary words.

* ``<name>.content``: ``node_id f_1 .. f_F label`` per line. Node ids are a permutation of
  ``0..N-1`` (not in file order for 20newsW100): **node ``i`` of the returned hypergraph is the node
  whose id is ``i``**, i.e. rows are reordered by id.
* ``<name>.edges``: ``(node_id, hyperedge_id)`` incidence pairs; hyperedge ids follow the node ids
  (``N..N+M-1``) and are reindexed to ``0..M-1`` in increasing id order. Incidence order is the
  file order.
* zoo's labels are ``1..7`` and are shifted to ``0..6``; the other sets are already 0-based.
* There are no split files (AllSet/ED-HNN draw random 50/25/25 splits).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hgnn.datasets._common import make_hypergraph, read_float_table, read_int_table
from hgnn.datasets.registry import register

__all__ = ["load_legcn"]

_COMMIT = "823c459f2ebb26e4e657527a941a501423916dde"
_URL = f"https://raw.githubusercontent.com/ycq091044/LEGCN/{_COMMIT}/data/"


def load_legcn(folder: str | Path, *, stem: str | None = None, label_offset: int = 0):
    """Load a LEGCN ``.content``/``.edges`` dataset folder (Yang et al., CIKM 2022; AllSet, ICLR 2022).

    Args:
        folder: the dataset folder (``.../zoo``).
        stem: file stem (``zoo`` for ``zoo.content``); defaults to the folder name.
        label_offset: subtracted from the labels on disk (1 for zoo, whose labels are 1-based).

    Returns:
        :class:`hgnn.Hypergraph` with ``hyperedge_index [2, nnz]``, ``x`` float32 ``[N, F]`` (rows in
        node-id order), ``y`` long ``[N]`` (0-based). No masks: the sets have no official split.
    """
    folder = Path(folder)
    stem = stem or folder.name
    content = read_float_table(folder / f"{stem}.content")
    ids = content[:, 0].astype(np.int64)
    num_nodes = ids.size
    if not np.array_equal(np.sort(ids), np.arange(num_nodes)):
        raise ValueError(f"{stem}.content: node ids are not a permutation of 0..{num_nodes - 1}")
    order = np.argsort(ids)  # row order[i] holds node id i
    x = content[order, 1:-1].astype(np.float32)
    y = content[order, -1].astype(np.int64) - int(label_offset)
    if y.min() < 0:
        raise ValueError(f"{stem}.content: negative label after subtracting label_offset={label_offset}")

    pairs = read_int_table(folder / f"{stem}.edges")
    nodes = pairs[:, 0]
    if nodes.min() < 0 or nodes.max() >= num_nodes:
        raise ValueError(f"{stem}.edges: node id outside 0..{num_nodes - 1}")
    edge_ids, edges = np.unique(pairs[:, 1], return_inverse=True)
    if edge_ids.min() < num_nodes:
        raise ValueError(f"{stem}.edges: hyperedge ids must come after the {num_nodes} node ids")
    index = np.stack([nodes, edges.reshape(-1).astype(np.int64)])
    return make_hypergraph(index, num_nodes, edge_ids.size, x=x, y=y)


_SETS = {
    "zoo": ("zoo", "UCI Zoo (LEGCN/AllSet), 101 nodes, 43 hyperedges, 7 classes"),
    "mushroom": ("Mushroom", "UCI Mushroom (LEGCN/AllSet), 8124 nodes, 298 hyperedges, 2 classes"),
    "ntu2012": ("NTU2012", "NTU2012 3-D shapes (LEGCN/AllSet), 2012 nodes, 2012 hyperedges, 67 classes"),
    "20newsw100": ("20newsW100", "20 Newsgroups, 100 words (LEGCN/AllSet; DHG News20), 16242 nodes, 4 classes"),
}

for _name, (_dir, _desc) in _SETS.items():
    register(
        _name,
        load_legcn,
        family="legcn",
        subdir=_dir,
        files=(f"{_dir}.content", f"{_dir}.edges"),
        url_base=f"{_URL}{_dir}/",
        description=_desc,
        defaults={"stem": _dir, "label_offset": 1 if _name == "zoo" else 0},
    )
