"""Where dataset files live: root resolution, SHA-256 verification and download.

Every dataset is a folder (its ``subdir``, e.g. ``cocitation-cora`` or ``enc/DBLP``) under a
*data root*. For a dataset, the data roots are tried in this order and the first one that holds all
of its required files wins:

1. the ``root`` argument of :func:`hgnn.datasets.load`;
2. every folder in the ``HGNN_DATA`` environment variable (``os.pathsep``-separated);
3. the project's cache, ``<project>/datasets/`` (when running from a source checkout; otherwise
   ``$XDG_CACHE_HOME/hgnn/datasets``, default ``~/.cache/hgnn/datasets``);
4. ``<project>/../shared/datasets``, then ``<cwd>/../shared/datasets`` and ``<cwd>/shared/datasets``.

If none has the files, they are downloaded from the public origin (raw GitHub URLs recorded in
``datasets/CHECKSUMS.json``) into the ``root`` argument if given, else the first ``HGNN_DATA``
folder, else the project cache. Every file, found or downloaded, whose path is listed in the
checksum file is checked against its SHA-256; a mismatch raises :class:`ChecksumError`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import urllib.request
from pathlib import Path
from typing import Iterable, Mapping

__all__ = [
    "ChecksumError",
    "PROJECT_ROOT",
    "CHECKSUMS_PATH",
    "cache_dir",
    "candidate_roots",
    "download_root",
    "find_root",
    "resolve",
    "sha256_file",
    "load_checksums",
    "verify_file",
    "build_checksums",
]

#: The source checkout this package lives in (``hgnn/datasets/root.py`` -> ``parents[2]``).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The committed checksum file: ``{"files": {relpath: {"sha256", "size", "url"}}}``.
CHECKSUMS_PATH = PROJECT_ROOT / "datasets" / "CHECKSUMS.json"
ENV_VAR = "HGNN_DATA"
_TIMEOUT_S = 60


class ChecksumError(ValueError):
    """A dataset file's SHA-256 differs from the committed one (corrupt, truncated or another
    version). Delete the file (it is re-downloaded) or pass ``verify=False`` to accept it."""


# --------------------------------------------------------------------------- roots
def _is_checkout() -> bool:
    return (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "hgnn").is_dir()


def cache_dir() -> Path:
    """The download cache: ``<project>/datasets`` in a source checkout, else
    ``$XDG_CACHE_HOME/hgnn/datasets`` (default ``~/.cache/hgnn/datasets``)."""
    if _is_checkout():
        return PROJECT_ROOT / "datasets"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hgnn" / "datasets"


def _env_roots() -> list[Path]:
    value = os.environ.get(ENV_VAR, "")
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]


def candidate_roots(root: str | Path | None = None) -> list[Path]:
    """The data roots searched, in order (see the module docstring); duplicates removed."""
    roots: list[Path] = []
    if root is not None:
        roots.append(Path(root).expanduser())
    roots += _env_roots()
    roots.append(cache_dir())
    roots.append(PROJECT_ROOT / ".." / "shared" / "datasets")
    cwd = Path.cwd()
    roots += [cwd / ".." / "shared" / "datasets", cwd / "shared" / "datasets"]
    seen, out = set(), []
    for r in roots:
        key = os.path.normcase(os.path.abspath(r))
        if key not in seen:
            seen.add(key)
            out.append(Path(os.path.abspath(r)))
    return out


def download_root(root: str | Path | None = None) -> Path:
    """Where missing files are downloaded: ``root``, else the first ``HGNN_DATA`` folder, else
    :func:`cache_dir`."""
    if root is not None:
        return Path(root).expanduser()
    env = _env_roots()
    return env[0] if env else cache_dir()


def find_root(subdir: str, files: Iterable[str], root: str | Path | None = None) -> Path | None:
    """The first candidate root holding every ``subdir/file``; ``None`` if there is none."""
    files = list(files)
    for base in candidate_roots(root):
        if all((base / subdir / f).is_file() for f in files):
            return base
    return None


# --------------------------------------------------------------------------- checksums
def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


_CHECKSUM_CACHE: dict[Path, dict] = {}
_VERIFIED: set[tuple[str, int, int, str]] = set()


def load_checksums(path: str | Path | None = None) -> dict[str, dict]:
    """The ``files`` table of the checksum JSON: ``{"subdir/file": {"sha256", "size", "url"}}``.

    Returns an empty dict when the file does not exist (e.g. an installed wheel without it).
    """
    path = Path(path) if path is not None else CHECKSUMS_PATH
    if path not in _CHECKSUM_CACHE:
        if not path.is_file():
            return {}
        with open(path, encoding="utf-8") as fh:
            _CHECKSUM_CACHE[path] = json.load(fh).get("files", {})
    return _CHECKSUM_CACHE[path]


def verify_file(path: str | Path, expected_sha256: str, rel: str | None = None) -> None:
    """Raise :class:`ChecksumError` unless ``path`` hashes to ``expected_sha256``.

    A successful check is remembered for this process (keyed on path, size and mtime), so loading
    the same dataset twice hashes it once.
    """
    path = Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, expected_sha256)
    if key in _VERIFIED:
        return
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ChecksumError(
            f"checksum mismatch for {rel or path.name} at {path}: sha256 {actual}, expected "
            f"{expected_sha256}. The file is corrupt, truncated or a different version; delete it "
            "to re-download it, or pass verify=False to use it anyway."
        )
    _VERIFIED.add(key)


def _fetch(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` (tests monkeypatch this function)."""
    request = urllib.request.Request(url, headers={"User-Agent": "hgnn-datasets"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out)


def _download(
    name: str, subdir: str, files: list[str], target: Path, checksums: Mapping[str, dict], searched: list[Path]
) -> None:
    problems = []
    for f in files:
        rel = f"{subdir}/{f}"
        dest = target / subdir / f
        if dest.is_file():
            continue
        entry = checksums.get(rel) or {}
        url, sha = entry.get("url"), entry.get("sha256")
        if not url or not sha:
            problems.append(f"{rel}: no download URL or checksum is known")
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        try:
            _fetch(url, part)
        except Exception as exc:  # network errors vary (URLError, OSError, HTTPError, timeout)
            part.unlink(missing_ok=True)
            problems.append(f"{rel}: download from {url} failed ({type(exc).__name__}: {exc})")
            continue
        try:
            verify_file(part, sha, rel)
        except ChecksumError:
            part.unlink(missing_ok=True)
            raise
        part.replace(dest)
    if problems:
        raise _not_found(name, subdir, files, searched, problems)


def _not_found(name: str, subdir: str, files: list[str], searched: list[Path], problems: list[str]) -> FileNotFoundError:
    roots = "\n  ".join(str(r) for r in searched)
    listing = ", ".join(files)
    detail = "\n  ".join(problems)
    return FileNotFoundError(
        f"dataset {name!r} is not on disk and could not be downloaded.\n"
        f"It needs these files in <root>/{subdir}/: {listing}\n"
        f"Searched roots:\n  {roots}\n"
        f"Download problems:\n  {detail}\n"
        f"Put the files under one of the roots above (e.g. {cache_dir() / subdir}), set "
        f"{ENV_VAR}=/path/to/datasets, or pass root=... to hgnn.datasets.load."
    )


def resolve(
    name: str,
    subdir: str,
    files: Iterable[str],
    optional_files: Iterable[str] = (),
    root: str | Path | None = None,
    download: bool = True,
    verify: bool = True,
    checksums: Mapping[str, dict] | None = None,
) -> Path:
    """Find (or download) a dataset and return its folder ``<data root>/<subdir>``.

    Args:
        name: dataset name, for messages.
        subdir: the dataset's folder under a data root.
        files: required file names, relative to ``subdir``.
        optional_files: files used when present (verified too, never downloaded).
        root: an explicit data root, searched first and used as the download target.
        download: fetch missing files from their origin (otherwise raise at once).
        verify: check the SHA-256 of every file listed in the checksum table.
        checksums: the table to use (default: :func:`load_checksums`).

    Raises:
        FileNotFoundError: no root has the files and they could not be downloaded; the message
            says where to put them.
        ChecksumError: a file does not match its committed SHA-256.
    """
    files = list(files)
    checksums = load_checksums() if checksums is None else checksums
    base = find_root(subdir, files, root)
    if base is None:
        target = download_root(root)
        searched = candidate_roots(root)
        if not download:
            raise _not_found(name, subdir, files, searched, ["download=False was passed"])
        _download(name, subdir, files, target, checksums, searched)
        base = target
    folder = base / subdir
    if verify:
        for f in files + list(optional_files):
            entry = checksums.get(f"{subdir}/{f}")
            if entry and entry.get("sha256") and (folder / f).is_file():
                verify_file(folder / f, entry["sha256"], f"{subdir}/{f}")
    return folder


def build_checksums(root: str | Path, specs: Iterable, previous: Mapping[str, dict] | None = None) -> dict:
    """Hash the files of ``specs`` (registry entries) found under ``root``; for the maintainer.

    Returns the JSON-ready dict ``{"algorithm": "sha256", "files": {...}}``; files absent from
    ``root`` keep their ``previous`` entry, if any.
    """
    root = Path(root)
    table = dict(previous or {})
    for spec in specs:
        for f in tuple(spec.files) + tuple(spec.optional_files):
            path = root / spec.subdir / f
            if not path.is_file():
                continue
            url = spec.url_for(f)
            table[f"{spec.subdir}/{f}"] = {"sha256": sha256_file(path), "size": path.stat().st_size, "url": url}
    return {
        "algorithm": "sha256",
        "comment": "SHA-256 of every dataset file hgnn.datasets reads; url is the public origin "
        "(null: no single-file origin). Regenerate with hgnn.datasets.root.build_checksums.",
        "files": dict(sorted(table.items())),
    }
