"""Benchmark datasets for hypergraph learning, read offline from their original files.

Quick start::

    >>> from hgnn import datasets
    >>> [d.name for d in datasets.available() if d.on_disk][:3]
    >>> hg = datasets.load("cocitation-cora")            # hgnn.Hypergraph
    >>> hg.x.shape, hg.y.shape, hg.train_mask.shape      # [2708, 1433], [2708], [2708, 10]
    >>> gin = datasets.load("gin-mutag")                 # GraphDataset: list of PyG Data + folds

Families (one module each): :mod:`~hgnn.datasets.hypergcn` (co-citation / co-authorship),
:mod:`~hgnn.datasets.legcn` (zoo, Mushroom, NTU2012, 20newsW100), :mod:`~hgnn.datasets.benson`
(house/senate committees, walmart-trips), :mod:`~hgnn.datasets.imdb` (IMDB4k),
:mod:`~hgnn.datasets.edge_dependent` (edge-dependent node labels: the ``enc-*`` sets) and
:mod:`~hgnn.datasets.tu` (graph classification). Files are found as described in
:mod:`hgnn.datasets.root` (the ``HGNN_DATA`` folders, then ``~/.cache/hgnn/datasets``); every
file is checked against the SHA-256 table shipped in ``hgnn/datasets/data/checksums.json``.
Dataset cards: ``datasets/README.md``.
"""
from hgnn.datasets.registry import DatasetInfo, DatasetSpec, available, get_spec, load, load_hypergraph, register
from hgnn.datasets.root import ChecksumError
from hgnn.datasets.safe_pickle import RestrictedUnpickler, safe_load
from hgnn.datasets import benson, edge_dependent, hypergcn, imdb, legcn, molhiv, tu  # noqa: F401  (register built-ins)
from hgnn.datasets.benson import load_benson
from hgnn.datasets.edge_dependent import load_enc
from hgnn.datasets.hypergcn import load_hypergcn
from hgnn.datasets.imdb import load_imdb
from hgnn.datasets.legcn import load_legcn
from hgnn.datasets.molhiv import load_molhiv
from hgnn.datasets.tu import GraphDataset, load_tu, load_tu_gin

__all__ = [
    "load",
    "load_hypergraph",
    "available",
    "register",
    "get_spec",
    "DatasetInfo",
    "DatasetSpec",
    "ChecksumError",
    "GraphDataset",
    "RestrictedUnpickler",
    "safe_load",
    "load_hypergcn",
    "load_legcn",
    "load_benson",
    "load_imdb",
    "load_enc",
    "load_molhiv",
    "load_tu",
    "load_tu_gin",
]
