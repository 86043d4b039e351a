"""Helpers shared by every dataset family: fast text parsing, id relabelling, masks, features.

Nothing here knows about a particular dataset. Family modules (``hypergcn``, ``legcn``, ``benson``,
``imdb``, ``enc``, ``tu``) combine these helpers; keep new shared logic here rather than copying it
into a family module.
"""
from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "read_int_table",
    "read_float_table",
    "read_ragged_ints",
    "index_from_lists",
    "index_from_ragged",
    "relabel_first_appearance",
    "relabel_sorted",
    "mask_from_index",
    "masks_from_splits",
    "one_hot",
    "gaussian_label_features",
    "make_hypergraph",
]

_DELIMS = b" \t,\r\n"


# --------------------------------------------------------------------------- parsing
def read_int_table(path: str | Path, delimiter: str | None = None, skiprows: int = 0) -> np.ndarray:
    """Read a rectangular integer text table; returns ``int64`` array ``[rows, cols]`` (2-D)."""
    return np.loadtxt(path, dtype=np.int64, delimiter=delimiter, skiprows=skiprows, ndmin=2)


def read_float_table(path: str | Path, delimiter: str | None = None, skiprows: int = 0) -> np.ndarray:
    """Read a rectangular float text table; returns ``float64`` array ``[rows, cols]`` (2-D)."""
    return np.loadtxt(path, dtype=np.float64, delimiter=delimiter, skiprows=skiprows, ndmin=2)


_KEY_FIELD = re.compile(r"^([^\t\n]*)\t", re.M)


def read_ragged_ints(path: str | Path, keyed: bool = False) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Parse a file with one variable-length list of integers per line, without a Python loop.

    Tokens are separated by any mix of tabs, commas and spaces; each line is one record (an empty
    line is an empty record).

    Args:
        path: the text file.
        keyed: the first tab-separated field of every line is a string key (ENC's DBLP paper keys,
            written ``'conf/aaai/X15'``); it is removed before parsing and returned, with one
            layer of surrounding quotes stripped.

    Returns:
        ``(values, sizes, keys)``: ``values`` ``int64 [total]`` all integers in file order,
        ``sizes`` ``int64 [lines]`` the count per line (``sizes.sum() == total``), and ``keys``
        (``list[str]`` of length ``lines``) or ``None`` when ``keyed`` is false.
    """
    text = Path(path).read_text(encoding="utf-8").replace("\r", "")
    keys = None
    if keyed:
        raw_keys = _KEY_FIELD.findall(text)
        text = _KEY_FIELD.sub("", text)
        keys = [k[1:-1] if len(k) >= 2 and k[0] == k[-1] and k[0] in "'\"" else k for k in raw_keys]
    if text and not text.endswith("\n"):
        text += "\n"
    buf = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    newline = buf == ord("\n")
    is_delim = np.isin(buf, np.frombuffer(_DELIMS, dtype=np.uint8))
    is_tok = ~is_delim
    starts = np.flatnonzero(is_tok & np.concatenate(([True], is_delim[:-1])))
    num_lines = int(newline.sum())
    line_of = np.cumsum(newline)[starts] if starts.size else starts  # newlines strictly before
    sizes = np.bincount(line_of, minlength=num_lines).astype(np.int64)
    if keys is not None and len(keys) != num_lines:
        raise ValueError(f"{path}: {num_lines} lines but {len(keys)} have a key field")
    spaced = text.translate(str.maketrans("\t,\n", "   "))
    values = np.fromstring(spaced, dtype=np.int64, sep=" ") if starts.size else np.zeros(0, np.int64)
    if values.size != starts.size:
        raise ValueError(f"{path}: could not parse every token as an integer ({values.size} of {starts.size})")
    return values, sizes, keys


# --------------------------------------------------------------------------- structure
def index_from_ragged(nodes: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Turn concatenated member lists into ``hyperedge_index``.

    Args:
        nodes: ``[nnz]`` node ids, hyperedge by hyperedge.
        sizes: ``[M]`` number of members of each hyperedge.

    Returns:
        ``int64 [2, nnz]``: row 0 the node ids, row 1 hyperedge ``j`` repeated ``sizes[j]`` times.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    if int(sizes.sum()) != nodes.size:
        raise ValueError(f"sizes sum to {int(sizes.sum())} but there are {nodes.size} node ids")
    edges = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    return np.stack([nodes, edges])


def index_from_lists(edges: Sequence[Iterable[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Build ``hyperedge_index`` from a list of member lists (hyperedge ``j`` is ``edges[j]``).

    Returns:
        ``(index, sizes)``: ``int64 [2, nnz]`` and ``int64 [M]``.
    """
    members = [list(e) for e in edges]
    sizes = np.fromiter((len(e) for e in members), dtype=np.int64, count=len(members))
    nodes = np.fromiter(itertools.chain.from_iterable(members), dtype=np.int64, count=int(sizes.sum()))
    return index_from_ragged(nodes, sizes), sizes


def relabel_first_appearance(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Relabel arbitrary integer ids to ``0..K-1`` in order of first appearance.

    Returns:
        ``(new_ids, original)``: ``new_ids`` ``int64`` like ``ids``; ``original`` ``int64 [K]`` with
        ``original[new_ids] == ids`` (``original[k]`` is the k-th distinct id met).
    """
    ids = np.asarray(ids)
    uniq, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size, dtype=np.int64)
    return rank[inverse.reshape(-1)].reshape(ids.shape), uniq[order].astype(np.int64)


def relabel_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map values to ``0..K-1`` by sorted distinct value (PyG's convention for TU labels).

    Returns:
        ``(codes, classes)``: ``int64`` codes like ``values`` and the sorted distinct values.
    """
    classes, codes = np.unique(np.asarray(values), return_inverse=True)
    return codes.reshape(np.shape(values)).astype(np.int64), classes


# --------------------------------------------------------------------------- masks / features
def mask_from_index(index: Any, size: int) -> Tensor:
    """``BoolTensor[size]`` that is ``True`` at the given positions; raises on out-of-range ids."""
    idx = np.asarray(index, dtype=np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise ValueError(f"split index out of range [0, {size}): min {idx.min()}, max {idx.max()}")
    mask = np.zeros(size, dtype=bool)
    mask[idx] = True
    return torch.from_numpy(mask)


def masks_from_splits(splits: Sequence[Any], size: int) -> Tensor:
    """Stack several index lists into a ``BoolTensor[size, len(splits)]`` (column k = split k)."""
    if not splits:
        return torch.zeros(size, 0, dtype=torch.bool)
    return torch.stack([mask_from_index(s, size) for s in splits], dim=1)


def one_hot(codes: np.ndarray, num_classes: int | None = None, dtype=np.float32) -> np.ndarray:
    """Dense one-hot rows ``[len(codes), num_classes]`` for integer codes in ``[0, num_classes)``."""
    codes = np.asarray(codes, dtype=np.int64).reshape(-1)
    if num_classes is None:
        num_classes = int(codes.max()) + 1 if codes.size else 0
    out = np.zeros((codes.size, num_classes), dtype=dtype)
    out[np.arange(codes.size), codes] = 1
    return out


def gaussian_label_features(
    labels: np.ndarray, num_classes: int, feature_dim: int | None, noise: float, seed: int
) -> np.ndarray:
    """AllSet's synthetic features for featureless node-labelled hypergraphs.

    ``x = onehot(label)`` zero-padded to ``feature_dim`` columns, plus i.i.d. Gaussian noise of
    standard deviation ``noise`` on every entry (padding included), drawn from
    ``numpy.random.default_rng(seed)``, so the result is deterministic for a given seed.
    (Chien et al., "You are AllSet", ICLR 2022, ``load_cornell_dataset``.)

    Returns:
        ``float32 [N, feature_dim or num_classes]``.
    """
    dim = num_classes if feature_dim is None else int(feature_dim)
    if dim < num_classes:
        raise ValueError(f"feature_dim={dim} is smaller than the number of classes ({num_classes})")
    if noise < 0:
        raise ValueError(f"feature_noise must be >= 0, got {noise}")
    x = one_hot(labels, dim, dtype=np.float64)
    if noise > 0:
        x += np.random.default_rng(seed).normal(0.0, noise, size=x.shape)
    return x.astype(np.float32)


def _to_tensor(value: Any) -> Any:
    if value is None or isinstance(value, Tensor):
        return value
    arr = np.asarray(value)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(arr))


def make_hypergraph(index: np.ndarray, num_nodes: int, num_edges: int, **fields: Any):
    """Build a :class:`hgnn.Hypergraph` from numpy pieces.

    ``index`` is ``[2, nnz]``; numpy arrays in ``fields`` (``x``, ``y``, ``edge_weight``,
    ``edge_attr``, ``node_data``/``edge_data``/``incidence_data`` dicts, ...) are converted to
    tensors (float64 becomes float32). Sizes are always passed explicitly.
    """
    from hgnn.structure.hypergraph import Hypergraph  # lazy: hgnn/__init__ may import datasets

    conv = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            conv[key] = {k: _to_tensor(v) for k, v in value.items()}
        else:
            conv[key] = _to_tensor(value)
    hei = torch.from_numpy(np.ascontiguousarray(np.asarray(index, dtype=np.int64)))
    return Hypergraph(hei, num_nodes=int(num_nodes), num_edges=int(num_edges), **conv)
