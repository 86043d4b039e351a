"""HyperGCN's co-citation and co-authorship hypergraphs (Cora, Citeseer, Pubmed, DBLP).

Yadati et al., "HyperGCN: A New Method of Training Graph Convolutional Networks on Hypergraphs",
NeurIPS 2019 (repository ``malllabiisc/HyperGCN``, Apache-2.0). The same files back UniGNN, AllSet,
ED-HNN and DHG's ``CocitationCora`` & co.

On disk (Python-2 pickles, read with :mod:`hgnn.datasets.safe_pickle`):

* ``hypergraph.pickle``: ``dict`` key -> members. Co-citation: the key is a paper and the members
  are the papers it cites; co-authorship: the key is an author and the members are their papers.
  **Hyperedge ``j`` is the ``j``-th key in the dict's stored order** (the pickle's insertion order,
  which is deterministic); its members are sorted ascending. The key itself is not a member
  (HyperGCN's definition).
* ``features.pickle``: ``scipy.sparse.csr_matrix`` bag of words (missing for pubmed and dblp here).
* ``labels.pickle``: ``list`` of ``N`` class ids.
* ``splits/{1..10}.pickle``: ``{"train": [...], "test": [...]}``, disjoint and covering all nodes.

Nodes in no hyperedge are kept (isolated); add singleton hyperedges / self-loops downstream if the
model needs them, as DHG and AllSet do.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from hgnn.datasets._common import index_from_lists, make_hypergraph, masks_from_splits
from hgnn.datasets.registry import register
from hgnn.datasets.safe_pickle import safe_load

__all__ = ["load_hypergcn", "FEATURE_MODES"]

_COMMIT = "4869570f822360787cb266efd237310df105501b"
_URL = f"https://raw.githubusercontent.com/malllabiisc/HyperGCN/{_COMMIT}/data/"
NUM_SPLITS = 10
#: Accepted values of ``features=``.
FEATURE_MODES = ("auto", "raise", "none", "random-projection", "random-walk")
# Original feature widths (for the error message of the sets shipped without features).
_ORIGINAL_DIM = {"cocitation-pubmed": 500, "coauthorship-dblp": 1425}


def _random_projection(num_nodes: int, dim: int, seed: int) -> np.ndarray:
    """``[N, dim]`` i.i.d. N(0, 1/dim): a Johnson-Lindenstrauss projection of identity features."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((num_nodes, dim)) / np.sqrt(dim)).astype(np.float32)


def _random_walk_smooth(x: np.ndarray, index: np.ndarray, num_nodes: int, num_edges: int, steps: int) -> np.ndarray:
    """Apply ``steps`` node -> hyperedge -> node random-walk steps ``P = D_v^-1 H D_e^-1 H^T``.

    Isolated nodes keep their own row (they are treated as having a self-loop).
    """
    h = sp.csr_matrix(
        (np.ones(index.shape[1], dtype=np.float64), (index[0], index[1])), shape=(num_nodes, num_edges)
    )
    dv = np.asarray(h.sum(axis=1)).ravel()
    de = np.asarray(h.sum(axis=0)).ravel()
    inv_de = sp.diags(np.divide(1.0, de, out=np.zeros_like(de), where=de > 0))
    isolated = dv == 0
    inv_dv = np.divide(1.0, dv, out=np.zeros_like(dv), where=~isolated)[:, None]
    out = x.astype(np.float64)
    for _ in range(steps):
        walked = inv_dv * (h @ (inv_de @ (h.T @ out)))
        walked[isolated] = out[isolated]
        out = walked
    return out.astype(np.float32)


def load_hypergcn(
    folder: str | Path,
    *,
    features: str = "auto",
    feature_dim: int = 256,
    walk_steps: int = 2,
    seed: int = 0,
    name: str | None = None,
):
    """Load one HyperGCN dataset folder (Yadati et al., NeurIPS 2019).

    Args:
        folder: the dataset folder (``.../cocitation-cora``).
        features: where ``x`` comes from.

            * ``"auto"`` (default) / ``"raise"``: ``features.pickle`` as a dense float32 matrix; if
              the file is missing (``cocitation-pubmed``, ``coauthorship-dblp`` in our mirror)
              raise ``ValueError`` -- features are never invented silently.
            * ``"none"``: ``x = None`` (no warning: you asked for it).
            * ``"random-projection"``: ``x ~ N(0, 1/feature_dim)`` of shape ``[N, feature_dim]``,
              drawn with ``numpy.random.default_rng(seed)``: a fixed random projection of one-hot
              identity features (deterministic; no information beyond node identity).
            * ``"random-walk"``: the same projection smoothed by ``walk_steps`` hypergraph random
              walk steps ``P = D_v^-1 H D_e^-1 H^T`` (isolated nodes keep their own row), so
              nearby nodes get similar features. Deterministic for a given ``seed``.

            The synthetic modes may also be requested for sets that do have features (ablations).
        feature_dim: width of the synthetic features.
        walk_steps: random-walk steps for ``"random-walk"``.
        seed: seed of the synthetic features.
        name: dataset name for messages (defaults to the folder name).

    Returns:
        :class:`hgnn.Hypergraph` with ``hyperedge_index [2, nnz]``, ``x`` float32 ``[N, F]`` (or
        ``None``), ``y`` long ``[N]``, and ``node_data`` ``train_mask`` / ``test_mask`` bool
        ``[N, 10]`` (column ``k`` is official split ``k + 1``). There is no validation split.
    """
    folder = Path(folder)
    name = name or folder.name
    if features not in FEATURE_MODES:
        raise ValueError(f"features must be one of {FEATURE_MODES}, got {features!r}")

    labels = np.asarray(safe_load(folder / "labels.pickle"), dtype=np.int64).reshape(-1)
    num_nodes = labels.size
    hyper = safe_load(folder / "hypergraph.pickle")
    edges = [sorted(int(v) for v in members) for members in hyper.values()]
    index, _ = index_from_lists(edges)
    num_edges = len(edges)

    train, test = [], []
    for k in range(1, NUM_SPLITS + 1):
        split = safe_load(folder / "splits" / f"{k}.pickle")
        train.append(np.asarray(split["train"], dtype=np.int64))
        test.append(np.asarray(split["test"], dtype=np.int64))

    x = None
    feature_file = folder / "features.pickle"
    if features in ("auto", "raise"):
        if not feature_file.is_file():
            dim = _ORIGINAL_DIM.get(name)
            what = f"the original {dim}-dim bag-of-words" if dim else "the bag-of-words features"
            raise ValueError(
                f"{name}: node features are missing ({feature_file} does not exist; {what} were "
                "too large to mirror). Pass features='random-projection' or features='random-walk' "
                "for deterministic synthetic features (see hgnn.datasets.hypergcn.load_hypergcn), "
                "features='none' for x=None, or put HyperGCN's features.pickle in that folder."
            )
        mat = safe_load(feature_file)
        if not (sp.issparse(mat) or isinstance(mat, np.ndarray)) or mat.ndim != 2:
            raise ValueError(f"{name}: {feature_file} does not hold a 2-D feature matrix")
        if mat.shape[0] != num_nodes:  # checked before densifying
            raise ValueError(f"{name}: features have {mat.shape[0]} rows but there are {num_nodes} labels")
        x = (mat.toarray() if sp.issparse(mat) else np.asarray(mat)).astype(np.float32)
    elif features in ("random-projection", "random-walk"):
        if feature_dim < 1:
            raise ValueError(f"feature_dim must be >= 1, got {feature_dim}")
        x = _random_projection(num_nodes, int(feature_dim), seed)
        if features == "random-walk":
            if walk_steps < 0:
                raise ValueError(f"walk_steps must be >= 0, got {walk_steps}")
            x = _random_walk_smooth(x, index, num_nodes, num_edges, int(walk_steps))
        warnings.warn(
            f"{name}: using synthetic {features} node features ({num_nodes} x {feature_dim}, seed={seed}); "
            "results are not comparable with papers that use the original bag-of-words features",
            UserWarning,
            stacklevel=3,
        )

    return make_hypergraph(
        index,
        num_nodes,
        num_edges,
        x=x,
        y=labels,
        node_data={
            "train_mask": masks_from_splits(train, num_nodes),
            "test_mask": masks_from_splits(test, num_nodes),
        },
    )


_SETS = {
    "cocitation-cora": ("cocitation/cora/", "Cora co-citation (HyperGCN), 2708 nodes, 1579 hyperedges"),
    "cocitation-citeseer": ("cocitation/citeseer/", "Citeseer co-citation (HyperGCN), 3312 nodes, 1079 hyperedges"),
    "cocitation-pubmed": ("cocitation/pubmed/", "Pubmed co-citation (HyperGCN), 19717 nodes; features missing"),
    "coauthorship-cora": ("coauthorship/cora/", "Cora co-authorship (HyperGCN), 2708 nodes, 1072 hyperedges"),
    "coauthorship-dblp": ("coauthorship/dblp/", "DBLP co-authorship (HyperGCN), 41302 nodes; features missing"),
}
_SPLIT_FILES = tuple(f"splits/{k}.pickle" for k in range(1, NUM_SPLITS + 1))

for _name, (_path, _desc) in _SETS.items():
    _has_features = _name not in _ORIGINAL_DIM
    register(
        _name,
        load_hypergcn,
        family="hypergcn",
        subdir=_name,
        files=("hypergraph.pickle", "labels.pickle") + (("features.pickle",) if _has_features else ()) + _SPLIT_FILES,
        optional_files=() if _has_features else ("features.pickle",),
        url_base=_URL + _path,
        description=_desc,
        defaults={"name": _name},
    )
