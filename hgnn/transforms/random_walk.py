r"""Hypergraph random-walk node embeddings (node2vec-style walks + skip-gram), CoNHD/WHATsNet style.

The edge-dependent node classification (ENC) benchmarks have no node features. WHATsNet (Choe et al.,
KDD 2023, ``young917/EdgeDependentNodeLabel``) and CoNHD (Zheng & Worring, CIKM 2025,
``zhengyijia/CoNHD``) initialise :math:`x_v` with a random-walk embedding computed once per dataset:
second-order (node2vec, Grover & Leskovec, KDD 2016) walks on the hypergraph, with the transition
weights of Hyper-SAGNN (Zhang, Zou & Ma, ICLR 2020, ``ma-compbio/Hyper-SAGNN``), fed to gensim's
skip-gram ``Word2Vec``. This module re-implements both halves in torch:
:mod:`hgnn.transforms.hypergraph_walks` (the walk law) and :mod:`hgnn.transforms.skipgram`.

**Reference settings** (read in ``zhengyijia/CoNHD`` at ``HEAD``; WHATsNet's copies agree):

* ``preprocess/initialize_by_rw.py``: ``p=2``, ``q=0.25``, ``walk_length=40``,
  ``num_walks=10`` per node, ``window_size=10``; ``Word2Vec(vector_size=feat_dim,
  window=10, min_count=0, sg=1, epochs=1)`` (so gensim's defaults ``negative=5``,
  ``ns_exponent=0.75``, ``sample=1e-3``, ``alpha=0.025 -> min_alpha=1e-4``); the input vectors
  ``wv`` are the features.
* ``script/preprocess.sh``: ``--feat_dim 44`` for every ENC dataset.
* ``preprocess/random_walk_hyper.py``: the walk, with ``weight_1st = 1.0`` and
  ``weight_degree = -0.5``, first-order weights, second-order (p, q) weights (a node with no
  neighbour repeats itself).
* WHATsNet (``young917/EdgeDependentNodeLabel``): the same walk code (``initialize/
  random_walk_hyper.py``), the same defaults (``utils.py``) and the same ``Word2Vec``
  call (``train.py``), with dimension 48, or 44 with positional orders.
* The features are standardised per column (``StandardScaler``) when loaded for training
  (CoNHD's and WHATsNet's ``train.py``); this module returns the raw
  skip-gram vectors, like the reference's ``.npy`` files.

These are :data:`REFERENCE_SETTINGS`. The reference walks 10 x 40 nodes from every node: on
enc-dblp (108k nodes) that is 43M tokens, about 7 minutes on one CPU core with this module.
:data:`DEFAULTS` halve it (5 walks per node; everything else as the reference), see
:func:`random_walk_embedding`.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from hgnn.io import save_torch
from hgnn.structure import Hypergraph
from hgnn.transforms.hypergraph_walks import _check_exponent, _check_int, hypergraph_random_walks
from hgnn.transforms.random_walk_settings import DEFAULTS, REFERENCE_SETTINGS
from hgnn.transforms.skipgram import check_skipgram_args, skipgram_embedding

__all__ = [
    "DEFAULTS",
    "REFERENCE_SETTINGS",
    "hypergraph_random_walks",
    "random_walk_embedding",
    "skipgram_embedding",
]

_CACHE_VERSION = 1


# ---------------------------------------------------------------------------------------- cache I/O
def _cache_key(hg: Hypergraph, settings: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    index = hg.hyperedge_index.detach().to("cpu", torch.long).contiguous()
    digest.update(index.numpy().tobytes())
    meta = dict(settings, num_nodes=hg.num_nodes, num_edges=hg.num_edges, version=_CACHE_VERSION)
    digest.update(json.dumps(meta, sort_keys=True).encode())
    return digest.hexdigest()


def _read_cache(path: Path, key: str, num_nodes: int, dim: int) -> Tensor | None:
    """The embedding stored at ``path`` if it was computed for ``key`` and is a finite floating
    ``[num_nodes, dim]`` tensor; ``None`` for a stale, truncated, corrupt or foreign file."""
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # truncated or not a torch file: recomputed and overwritten by the caller
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    emb = stored.get("embedding")
    if not isinstance(emb, Tensor) or not emb.is_floating_point() or emb.shape != (num_nodes, dim):
        return None
    return emb if bool(torch.isfinite(emb).all()) else None


def random_walk_embedding(
    hg: Hypergraph,
    dim: int = DEFAULTS["dim"],
    *,
    walk_length: int = DEFAULTS["walk_length"],
    walks_per_node: int = DEFAULTS["walks_per_node"],
    p: float = DEFAULTS["p"],
    q: float = DEFAULTS["q"],
    degree_exponent: float = DEFAULTS["degree_exponent"],
    window: int = DEFAULTS["window"],
    negatives: int = DEFAULTS["negatives"],
    epochs: int = DEFAULTS["epochs"],
    lr: float = DEFAULTS["lr"],
    batch_size: int = DEFAULTS["batch_size"],
    subsample: float = DEFAULTS["subsample"],
    seed: int = 0,
    progress: bool = True,
    cache: str | Path | None = None,
) -> Tensor:
    r"""Node features from hypergraph random walks + skip-gram (the CoNHD / WHATsNet ENC features).

    :func:`hypergraph_random_walks` then :func:`skipgram_embedding`. Defaults (:data:`DEFAULTS`)
    are the reference's (dimension 44, :math:`p = 2`, :math:`q = 1/4`, :math:`\beta = -1/2`,
    walks of 40 nodes, a 10-window, 5 negatives, one epoch, ``sample=1e-3``) except **5 walks per
    node instead of 10**, which halves the cost: enc-dblp then takes a few minutes on one CPU core.
    ``random_walk_embedding(hg, **REFERENCE_SETTINGS)`` runs the reference's settings (fine on
    the small ENC sets: enc-emaileu in seconds). The optimiser settings (Adam, ``lr`` 0.025,
    512 centre tokens per step, fewer on small inputs) are ours.

    Args:
        hg: the hypergraph (unweighted walk).
        dim: embedding size.
        walk_length, walks_per_node, p, q, degree_exponent, seed: see
            :func:`hypergraph_random_walks`.
        window, negatives, epochs, lr, batch_size, subsample, progress: see
            :func:`skipgram_embedding` (``seed`` seeds it too).
        cache: a file. If it holds an embedding computed from the same ``hyperedge_index``, sizes
            and every setting above (a SHA-256 key), that is returned; otherwise the embedding is
            computed and saved there atomically (``torch.save`` of ``{"key": str, "embedding":
            Tensor}``, read back with ``weights_only=True``), replacing a stale file. A truncated
            or corrupt file, or one whose embedding is not a finite floating ``[N, dim]`` tensor, is
            recomputed.

    Returns:
        ``Tensor[N, dim]`` float32 on ``hg.device``, not standardised (the reference applies a
        per-column ``StandardScaler`` when it loads the features).
    """
    check_skipgram_args(num_nodes=max(hg.num_nodes, 1), dim=dim, window=window, negatives=negatives,
                        epochs=epochs, batch_size=batch_size, lr=lr, subsample=subsample)
    settings = dict(  # the walk's settings checked as hypergraph_random_walks checks them: none truncated
        dim=int(dim), walk_length=_check_int(walk_length, "walk_length", low=1),
        walks_per_node=_check_int(walks_per_node, "walks_per_node", low=1), p=float(p), q=float(q),
        degree_exponent=_check_exponent(degree_exponent), window=int(window), negatives=int(negatives),
        epochs=int(epochs), lr=float(lr), batch_size=int(batch_size), subsample=float(subsample),
        seed=_check_int(seed, "seed"),
    )
    key = path = None
    if cache is not None:
        path = Path(cache)
        key = _cache_key(hg, settings)
        if path.is_file():
            stored = _read_cache(path, key, hg.num_nodes, settings["dim"])
            if stored is not None:
                return stored.to(hg.device)
    walks = hypergraph_random_walks(
        hg, settings["walk_length"], settings["walks_per_node"], p=settings["p"], q=settings["q"],
        seed=settings["seed"], degree_exponent=settings["degree_exponent"],
    )
    emb = skipgram_embedding(
        walks, hg.num_nodes, dim=settings["dim"], window=settings["window"], negatives=settings["negatives"],
        epochs=settings["epochs"], lr=settings["lr"], batch_size=settings["batch_size"],
        subsample=settings["subsample"], seed=settings["seed"], progress=progress,
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_torch({"key": key, "embedding": emb.cpu()}, path)
    return emb
