"""Benson-lab node-labelled hypergraphs: house-committees, senate-committees, walmart-trips.

* Chodrow, Veldt & Benson, "Hypergraph clustering: from blockmodels to modularity", Science
  Advances 2021 (congress committees).
* Amburg, Veldt & Benson, "Clustering in graphs and hypergraphs with categorical edge labels",
  WWW 2020 (walmart-trips).

Files from ``PhilChodrow/HypergraphModularity`` (MIT): ``hyperedges-<name>.txt`` (one hyperedge per
line, comma-separated **1-based** node ids, kept in file order) and ``node-labels-<name>.txt``
(line ``i`` = 1-based label of node ``i``). Ids and labels are shifted to 0-based.

There are **no node features**. Like AllSet (Chien et al., ICLR 2022, ``load_cornell_dataset``) we
build ``x = onehot(y)`` zero-padded to ``feature_dim`` columns plus Gaussian noise of standard
deviation ``feature_noise`` on every entry; the noise comes from ``numpy.random.default_rng(seed)``
so a given seed always gives the same features. Note these features leak the label (by design of
the benchmark); ``feature_noise`` controls how much.
"""
from __future__ import annotations

from pathlib import Path

from hgnn.datasets._common import (
    gaussian_label_features,
    index_from_ragged,
    make_hypergraph,
    read_int_table,
    read_ragged_ints,
)
from hgnn.datasets.registry import register

__all__ = ["load_benson"]

_URL = "https://raw.githubusercontent.com/PhilChodrow/HypergraphModularity/master/data/"


def load_benson(
    folder: str | Path,
    *,
    stem: str | None = None,
    feature_dim: int | None = 100,
    feature_noise: float = 1.0,
    seed: int = 0,
):
    """Load a Benson-format node-labelled hypergraph (Chodrow et al. 2021; Amburg et al. 2020;
    features as AllSet, Chien et al., ICLR 2022).

    Args:
        folder: the dataset folder (``.../walmart-trips``).
        stem: the ``<name>`` in the file names; defaults to the folder name.
        feature_dim: width of the synthetic features (AllSet's "-100" variants use 100);
            ``None`` gives exactly ``C`` columns.
        feature_noise: standard deviation of the Gaussian noise (AllSet uses 0.6 or 1.0);
            0 gives the clean one-hot label.
        seed: seed of the noise.

    Returns:
        :class:`hgnn.Hypergraph` with ``hyperedge_index [2, nnz]``, ``x`` float32
        ``[N, feature_dim]``, ``y`` long ``[N]`` (0-based). No masks (no official split).
    """
    folder = Path(folder)
    stem = stem or folder.name
    labels = read_int_table(folder / f"node-labels-{stem}.txt")
    if labels.shape[1] != 1:
        raise ValueError(f"node-labels-{stem}.txt: expected one label per line, got {labels.shape[1]}")
    y = labels[:, 0] - 1
    if y.min() < 0:
        raise ValueError(f"node-labels-{stem}.txt: labels must be 1-based")
    num_nodes = y.size
    num_classes = int(y.max()) + 1

    members, sizes, _ = read_ragged_ints(folder / f"hyperedges-{stem}.txt")
    members = members - 1
    if members.size and (members.min() < 0 or members.max() >= num_nodes):
        raise ValueError(f"hyperedges-{stem}.txt: node id outside 1..{num_nodes}")
    index = index_from_ragged(members, sizes)
    x = gaussian_label_features(y, num_classes, feature_dim, float(feature_noise), seed)
    return make_hypergraph(index, num_nodes, sizes.size, x=x, y=y)


_SETS = {
    "house-committees": "US House committees (Chodrow et al. 2021), 1290 nodes, 341 hyperedges, 2 parties",
    "senate-committees": "US Senate committees (Chodrow et al. 2021), 282 nodes, 315 hyperedges, 2 parties",
    "walmart-trips": "Walmart trips (Amburg et al. 2020), 88860 products, 69906 trips, 11 departments",
}

for _name, _desc in _SETS.items():
    register(
        _name,
        load_benson,
        family="benson",
        subdir=_name,
        files=(f"hyperedges-{_name}.txt", f"node-labels-{_name}.txt"),
        optional_files=(f"label-names-{_name}.txt",),
        url_base=f"{_URL}{_name}/",
        description=_desc,
        defaults={"stem": _name},
    )
