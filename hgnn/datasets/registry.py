"""The dataset registry: :func:`load`, :func:`available` and :func:`register`.

Names are case-insensitive and ``_`` equals ``-`` (``"Cocitation_Cora"`` is ``"cocitation-cora"``).
The built-in families register themselves when :mod:`hgnn.datasets` is imported.
"""
from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from hgnn.datasets import root as _root

if TYPE_CHECKING:
    from hgnn.structure import Hypergraph

__all__ = ["DatasetSpec", "DatasetInfo", "register", "load", "load_hypergraph", "available", "get_spec",
           "normalize_name"]

_BUILTIN_FAMILIES = ("hypergcn", "legcn", "benson", "imdb", "edge_dependent", "tu", "molhiv")


@dataclass(frozen=True)
class DatasetSpec:
    """How to find and read one dataset.

    Attributes:
        name: registry name (lower case, ``-`` separated).
        loader: ``loader(folder: Path, **kwargs)`` returning the dataset.
        family: the module / data family (``"hypergcn"``, ``"tu"``, ...).
        task: ``"node"`` (node classification), ``"edge-dependent-node"`` or ``"graph"``.
        subdir: the dataset's folder under a data root.
        files: required files, relative to ``subdir``.
        optional_files: files read when present.
        url_base: raw URL prefix of the origin; ``url_base + file`` is the download URL
            (``None``: no single-file origin).
        description: one line for :func:`available`.
        defaults: keyword arguments always passed to ``loader`` (user kwargs override them).
        checksums: ``{file: sha256 hex}`` for files (relative to ``subdir``) that the packaged
            checksum table does not list, e.g. those of a dataset you register yourself.
    """

    name: str
    loader: Callable[..., Any]
    family: str
    task: str
    subdir: str
    files: tuple[str, ...]
    optional_files: tuple[str, ...] = ()
    url_base: str | None = None
    description: str = ""
    defaults: dict = field(default_factory=dict)
    checksums: dict = field(default_factory=dict)

    def url_for(self, file: str) -> str | None:
        """The origin URL of ``file`` (relative to ``subdir``), or ``None``."""
        return None if self.url_base is None else self.url_base + file

    def checksum_table(self) -> dict[str, dict]:
        """The checksum table for this dataset: the packaged one, plus :attr:`checksums` (with
        their :meth:`url_for` URLs) under ``subdir/file`` keys."""
        table = _root.load_checksums()
        if not self.checksums:
            return table
        own = {f"{self.subdir}/{f}": {"sha256": sha, "url": self.url_for(f)} for f, sha in self.checksums.items()}
        return {**table, **own}


class DatasetInfo(NamedTuple):
    """One row of :func:`available`."""

    name: str
    family: str
    task: str
    on_disk: bool
    path: str | None  # the folder found, or None
    description: str


_REGISTRY: dict[str, DatasetSpec] = {}
_LOADED_BUILTINS = False


def normalize_name(name: str) -> str:
    """Canonical registry key: stripped, lower case, ``_`` replaced by ``-``."""
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a str, got {type(name).__name__}")
    return name.strip().lower().replace("_", "-")


def register(
    name: str,
    loader: Callable[..., Any],
    *,
    family: str,
    subdir: str,
    files: tuple[str, ...] | list[str],
    optional_files: tuple[str, ...] | list[str] = (),
    task: str = "node",
    url_base: str | None = None,
    description: str = "",
    defaults: dict | None = None,
    checksums: dict[str, str] | None = None,
    overwrite: bool = False,
) -> DatasetSpec:
    """Add a dataset to the registry (see :class:`DatasetSpec` for the arguments).

    :func:`load` verifies every file it reads: give ``checksums={file: sha256 hex}`` for the files
    of a dataset of your own (``hgnn.datasets.root.sha256_file`` computes them), or load it with
    ``verify=False``.

    Returns:
        The stored :class:`DatasetSpec`.

    Raises:
        ValueError: the name is taken and ``overwrite`` is false, or ``checksums`` names a file
            that is not in ``files`` / ``optional_files`` or a value that is not 64 hex digits.
    """
    key = normalize_name(name)
    if key in _REGISTRY and not overwrite:
        raise ValueError(f"dataset {key!r} is already registered (pass overwrite=True to replace it)")
    checksums = _check_checksums(checksums or {}, tuple(files) + tuple(optional_files))
    spec = DatasetSpec(
        name=key,
        loader=loader,
        family=family,
        task=task,
        subdir=subdir,
        files=tuple(files),
        optional_files=tuple(optional_files),
        url_base=url_base,
        description=description,
        defaults=dict(defaults or {}),
        checksums=checksums,
    )
    _REGISTRY[key] = spec
    return spec


def _check_checksums(checksums: dict, files: tuple[str, ...]) -> dict[str, str]:
    """``checksums`` with lower-case digests, checked against the dataset's files."""
    if not isinstance(checksums, dict):
        raise TypeError(f"checksums must be a dict {{file: sha256 hex}}, got {type(checksums).__name__}")
    out = {}
    for f, sha in checksums.items():
        if f not in files:
            raise ValueError(f"checksums names {f!r}, which is not one of the dataset's files {list(files)}")
        if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha.lower()):
            raise ValueError(f"checksums[{f!r}] must be a SHA-256 hex digest (64 hex digits), got {sha!r}")
        out[f] = sha.lower()
    return out


def _ensure_builtins() -> None:
    global _LOADED_BUILTINS
    if not _LOADED_BUILTINS:
        _LOADED_BUILTINS = True
        for module in _BUILTIN_FAMILIES:
            importlib.import_module(f"hgnn.datasets.{module}")


def get_spec(name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` of ``name``.

    Raises:
        ValueError: unknown name; the message suggests the closest registered names and lists
            them all.
    """
    _ensure_builtins()
    key = normalize_name(name)
    if key not in _REGISTRY:
        close = difflib.get_close_matches(key, list(_REGISTRY), n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
        raise ValueError(f"unknown dataset {name!r}; {hint}available datasets: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[key]


def available(root: str | Path | None = None) -> list[DatasetInfo]:
    """Every registered dataset, sorted by family then name, with whether its files are on disk.

    Nothing is downloaded or hashed; ``on_disk`` only checks that the required files exist in one
    of the data roots (:func:`hgnn.datasets.root.candidate_roots`): ``root`` alone when given,
    else the ``HGNN_DATA`` folders and the cache.

    Returns:
        ``list[DatasetInfo]`` with fields ``name, family, task, on_disk, path, description``.

    Raises:
        FileNotFoundError: ``root`` or an ``HGNN_DATA`` folder does not exist.
        ValueError: ``root`` or an ``HGNN_DATA`` folder is a file.
    """
    _ensure_builtins()
    rows = []
    for spec in sorted(_REGISTRY.values(), key=lambda s: (s.family, s.name)):
        base = _root.find_root(spec.subdir, spec.files, root)
        path = None if base is None else str(base / spec.subdir)
        rows.append(DatasetInfo(spec.name, spec.family, spec.task, base is not None, path, spec.description))
    return rows


def load(name: str, root: str | Path | None = None, *, download: bool = True, verify: bool = True, **kwargs: Any):
    """Load a dataset by name.

    Args:
        name: a registered name (see :func:`available`); case-insensitive.
        root: an existing folder to read the dataset from, and nothing else: when given, the
            ``HGNN_DATA`` folders and the cache are not searched, and missing files are
            downloaded into it. Default: the ``HGNN_DATA`` folders, then the cache
            (see :mod:`hgnn.datasets.root`).
        download: fetch missing files from their public origin (into ``root``, else the first
            ``HGNN_DATA`` folder, else the cache).
        verify: check each file's SHA-256 against the packaged table
            (``hgnn/datasets/data/checksums.json``) or the dataset's registered ``checksums``; a
            file with no known SHA-256 is an error. ``False`` loads the files unchecked.
        **kwargs: passed to the family loader (e.g. ``features=`` for HyperGCN's pubmed/dblp,
            ``feature_dim=``/``feature_noise=``/``seed=`` for the Benson sets).

    Returns:
        A :class:`hgnn.Hypergraph` for node-level datasets, or a
        :class:`hgnn.datasets.tu.GraphDataset` (a list of ``torch_geometric.data.Data``) for the
        graph-classification sets. See each family's loader for the exact fields and shapes.

    Raises:
        ValueError: unknown name (the message lists the available ones), bad loader options, or
            ``root`` / an ``HGNN_DATA`` folder is a file.
        FileNotFoundError: ``root`` or an ``HGNN_DATA`` folder does not exist, or the files are
            not in the searched roots and could not be downloaded (the message names the roots and
            the missing files).
        hgnn.datasets.ChecksumError: a file does not match its SHA-256, or none is known for it.
    """
    spec = get_spec(name)
    folder = _root.resolve(
        spec.name,
        spec.subdir,
        spec.files,
        spec.optional_files,
        root=root,
        download=download,
        verify=verify,
        checksums=spec.checksum_table() if (verify or download) else {},
    )
    options = {**spec.defaults, **kwargs}
    return spec.loader(folder, **options)


def load_hypergraph(dataset: str | Hypergraph, root: str | Path | None = None, **kwargs: Any) -> tuple[str, Hypergraph]:
    """``(name, hypergraph)`` for a runner that takes a dataset name or a ready
    :class:`~hgnn.Hypergraph`: a name is loaded with :func:`load` (``root``, ``kwargs``), a
    hypergraph is passed through under the name ``"<Hypergraph>"``.

    Raises:
        TypeError: ``dataset`` is neither, or the name loads something other than a hypergraph
            (e.g. a graph-classification set).
    """
    from hgnn.structure import Hypergraph

    name = dataset if isinstance(dataset, str) else "<Hypergraph>"
    if isinstance(dataset, str):
        dataset = load(dataset, root=root, **kwargs)
        if not isinstance(dataset, Hypergraph):
            raise TypeError(f"dataset {name!r} loads a {type(dataset).__name__}, not one Hypergraph (e.g. a "
                            "graph-classification set of many graphs): this runner needs a single hypergraph")
    if not isinstance(dataset, Hypergraph):
        raise TypeError(f"dataset must be a name or a Hypergraph, got {type(dataset).__name__}")
    return name, dataset
