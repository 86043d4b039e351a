"""Where dataset files live: root resolution, SHA-256 verification and download.

Every dataset is a folder (its ``subdir``, e.g. ``cocitation-cora`` or ``enc/DBLP``) under a
*data root*. Which roots are searched:

* the ``root`` argument of :func:`hgnn.datasets.load`, when given, and **only** that folder: a
  dataset missing there is downloaded into it (where a download URL is known) or is an error
  naming the root and the missing files; it never falls back to another root;
* otherwise every folder in the ``HGNN_DATA`` environment variable (``os.pathsep``-separated),
  in order, then the cache: ``<project>/datasets/`` in a source checkout, else
  ``$XDG_CACHE_HOME/hgnn/datasets`` (default ``~/.cache/hgnn/datasets``). The first root that
  holds all of a dataset's required files wins.

An explicit root and every ``HGNN_DATA`` folder must be existing folders: a missing path raises
:class:`FileNotFoundError` and a file raises :class:`ValueError`, both naming the path.

If no searched root has the files, they are downloaded from the public origin (raw GitHub URLs
recorded in ``datasets/CHECKSUMS.json``) into the ``root`` argument if given, else the first
``HGNN_DATA`` folder, else the cache. Every file, found or downloaded, whose path is listed in the
checksum file is checked against its SHA-256; a mismatch raises :class:`ChecksumError`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Iterable, Mapping

from hgnn.io import atomic_path

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
#: The committed checksum file, ``{"files": {relpath: {"sha256", "size", "url"}}}``.
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


def _existing_folder(path: str | Path, what: str, fix: str) -> Path:
    """``path`` as an absolute :class:`Path`, checked to be an existing folder.

    Raises:
        FileNotFoundError: nothing exists at ``path``.
        ValueError: ``path`` exists but is not a folder.
    """
    folder = Path(os.path.abspath(Path(path).expanduser()))
    if not folder.exists():
        raise FileNotFoundError(f"{what} {str(folder)!r} does not exist; {fix}")
    if not folder.is_dir():
        raise ValueError(f"{what} {str(folder)!r} is not a folder (it is a file); {fix}")
    return folder


def _env_roots() -> list[Path]:
    """The ``HGNN_DATA`` folders, in order; each must exist."""
    value = os.environ.get(ENV_VAR, "")
    fix = f"set {ENV_VAR} to existing folders ({os.pathsep!r}-separated) or unset it"
    return [_existing_folder(p, f"{ENV_VAR} folder", fix) for p in value.split(os.pathsep) if p.strip()]


def _explicit_root(root: str | Path) -> Path:
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a folder path (str or os.PathLike), got {type(root).__name__}")
    if not str(root).strip():
        raise ValueError(f"root is an empty string; pass a folder, or None to search {ENV_VAR} and the cache")
    fix = f"pass an existing folder as root (--root), or leave it out to search {ENV_VAR} and the cache"
    return _existing_folder(root, "data root", fix)


def candidate_roots(root: str | Path | None = None) -> list[Path]:
    """The data roots searched, in order (see the module docstring); duplicates removed.

    ``[root]`` alone when ``root`` is given, else the ``HGNN_DATA`` folders then :func:`cache_dir`.

    Raises:
        FileNotFoundError: ``root`` or an ``HGNN_DATA`` folder does not exist.
        ValueError: ``root`` or an ``HGNN_DATA`` folder is a file.
    """
    if root is not None:
        return [_explicit_root(root)]
    roots = _env_roots() + [Path(os.path.abspath(cache_dir()))]
    seen, out = set(), []
    for r in roots:
        key = os.path.normcase(str(r))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def download_root(root: str | Path | None = None) -> Path:
    """Where missing files are downloaded: ``root``, else the first ``HGNN_DATA`` folder, else
    :func:`cache_dir` (same errors as :func:`candidate_roots`)."""
    if root is not None:
        return _explicit_root(root)
    env = _env_roots()
    return env[0] if env else cache_dir()


def find_root(subdir: str, files: Iterable[str], root: str | Path | None = None) -> Path | None:
    """The first searched root (:func:`candidate_roots`) holding every ``subdir/file``; ``None``
    if there is none."""
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
# (resolved path, expected sha256) -> the file's identity when it last hashed to that value
_VERIFIED: dict[tuple[str, str], tuple[int, ...]] = {}
# A file changed less than this long ago is hashed on every load: its timestamps may still be
# equal to those of a later edit made within the file system's timestamp resolution.
_SETTLE_NS = 2_000_000_000


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


def _identity(st: os.stat_result) -> tuple[int, ...]:
    """What changes whenever a file's bytes do: device, inode, size, mtime and ctime.

    ``os.utime`` can set the mtime back after an edit but not the ctime, which the kernel sets
    to the current time on every write, rename or ``utime``; a file replaced by another gets a new
    inode or ctime.
    """
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def verify_file(path: str | Path, expected_sha256: str, rel: str | None = None) -> None:
    """Raise :class:`ChecksumError` unless ``path`` hashes to ``expected_sha256``.

    A successful check is remembered for this process, keyed on the file's device, inode, size,
    mtime and ctime (an edit changes the ctime even when the mtime is set back), so loading the
    same dataset twice hashes it once. A file changed in the last two seconds is not remembered:
    it is hashed again on the next load.
    """
    path = Path(path)
    before = path.stat()
    key = (str(path.resolve()), expected_sha256)
    if _VERIFIED.get(key) == _identity(before):
        return
    _VERIFIED.pop(key, None)
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ChecksumError(
            f"checksum mismatch for {rel or path.name} at {path}: sha256 {actual}, expected "
            f"{expected_sha256}. The file is corrupt, truncated or a different version; delete it "
            "to re-download it, or pass verify=False to use it anyway."
        )
    after = path.stat()
    settled = time.time_ns() - max(before.st_mtime_ns, before.st_ctime_ns) > _SETTLE_NS
    if settled and _identity(after) == _identity(before):
        _VERIFIED[key] = _identity(before)


def _fetch(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` (tests monkeypatch this function)."""
    request = urllib.request.Request(url, headers={"User-Agent": "hgnn-datasets"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out)


class _FetchFailed(Exception):
    """A download failed; carries the line for the error message."""


def _download(
    name: str,
    subdir: str,
    files: list[str],
    target: Path,
    checksums: Mapping[str, dict],
    searched: list[Path],
    explicit: bool,
) -> None:
    """Fetch the files missing from ``target/subdir``; each is written atomically and verified
    before it takes its final name."""
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
        try:
            with atomic_path(dest) as part:
                try:
                    _fetch(url, part)
                except Exception as exc:  # network errors vary (URLError, OSError, HTTPError, timeout)
                    raise _FetchFailed(f"{rel}: download from {url} failed ({type(exc).__name__}: {exc})") from exc
                verify_file(part, sha, rel)
        except _FetchFailed as failed:
            problems.append(str(failed))
    if problems:
        raise _not_found(name, subdir, files, searched, problems, explicit)


def _not_found(
    name: str, subdir: str, files: list[str], searched: list[Path], problems: list[str], explicit: bool
) -> FileNotFoundError:
    detail = "\n  ".join(problems)
    if explicit:
        base = searched[0]
        missing = [f for f in files if not (base / subdir / f).is_file()] or files
        return FileNotFoundError(
            f"dataset {name!r} is not in the data root {str(base)!r} (when a root is given, only it is "
            f"searched).\nMissing in {base / subdir}: {', '.join(missing)}\n"
            f"Problems:\n  {detail}\n"
            f"Put the files there, or leave the root out to search {ENV_VAR} and the cache ({cache_dir()})."
        )
    roots = "\n  ".join(str(r) for r in searched)
    return FileNotFoundError(
        f"dataset {name!r} is not on disk and could not be downloaded.\n"
        f"It needs these files in <root>/{subdir}/: {', '.join(files)}\n"
        f"Searched roots:\n  {roots}\n"
        f"Problems:\n  {detail}\n"
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
        root: an explicit data root: the only folder searched, and the download target. It
            must be an existing folder.
        download: fetch missing files from their origin (otherwise raise at once).
        verify: check the SHA-256 of every file listed in the checksum table.
        checksums: the table to use (default: :func:`load_checksums`).

    Raises:
        FileNotFoundError: ``root`` or an ``HGNN_DATA`` folder does not exist, or no searched
            root has the files and they could not be downloaded; the message says where to put them.
        ValueError: ``root`` or an ``HGNN_DATA`` folder is a file.
        ChecksumError: a file does not match its committed SHA-256.
    """
    files = list(files)
    checksums = load_checksums() if checksums is None else checksums
    base = find_root(subdir, files, root)
    if base is None:
        target = download_root(root)
        searched = candidate_roots(root)
        explicit = root is not None
        if not download:
            raise _not_found(name, subdir, files, searched, ["download=False was passed"], explicit)
        _download(name, subdir, files, target, checksums, searched, explicit)
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
