"""Where dataset files live: data roots, the user cache, SHA-256 verification and download.

Every dataset is a folder (its ``subdir``, e.g. ``cocitation-cora`` or ``enc/DBLP``) under a
*data root*. Which roots are searched:

* the ``root`` argument of :func:`hgnn.datasets.load`, when given, and **only** that folder: a
  dataset missing there is downloaded into it (where a download URL is known) or is an error
  naming the root and the missing files; it never falls back to another root;
* otherwise every folder in the ``HGNN_DATA`` environment variable (``os.pathsep``-separated),
  in order, then the user cache's ``datasets`` folder (:func:`data_cache_dir`). The first root
  that holds all of a dataset's required files wins.

The user cache (:func:`cache_dir`) is ``$XDG_CACHE_HOME/hgnn``, or ``~/.cache/hgnn`` when that
variable is unset or not an absolute path. It holds ``datasets/`` (downloads) and ``cache/``
(files derived from datasets, such as the molhiv graphs and random-walk embeddings). No folder
relative to the working directory or inside the installed package is ever searched for data or
used for downloads and caches.

An explicit root and every ``HGNN_DATA`` folder must be existing folders: a missing path raises
:class:`FileNotFoundError` and a file raises :class:`ValueError`, both naming the path.

If no searched root has the files, they are downloaded with ``pooch`` from their public origin
(the URLs in the checksum table) into the ``root`` argument if given, else the first
``HGNN_DATA`` folder, else :func:`data_cache_dir`. Each download goes to a temporary file beside
its destination and is renamed only once its SHA-256 matches.

Every file a loader reads, found or downloaded, is checked against its SHA-256 in the checksum
table shipped with the package (``hgnn/datasets/data/checksums.json``): a mismatch raises
:class:`ChecksumError`, and so does a file with no known checksum. ``verify=False`` is the only
way to load a file unchecked.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping

from hgnn.io import atomic_open

__all__ = [
    "ChecksumError",
    "CHECKSUMS_FILE",
    "ENV_VAR",
    "cache_dir",
    "data_cache_dir",
    "derived_cache_dir",
    "candidate_roots",
    "download_root",
    "find_root",
    "resolve",
    "sha256_file",
    "load_checksums",
    "verify_file",
    "build_checksums",
]

#: The checksum table in the package's source folder: what :func:`build_checksums` writes.
#: Loading reads the same file through :mod:`importlib.resources`.
CHECKSUMS_FILE = Path(__file__).with_name("data") / "checksums.json"
#: The environment variable listing data roots to search before the user cache.
ENV_VAR = "HGNN_DATA"
_TIMEOUT_S = 60


class ChecksumError(ValueError):
    """A dataset file's SHA-256 differs from the known one (corrupt, truncated or another
    version), or no SHA-256 is known for it. Delete a mismatching file (it is downloaded again), or
    pass ``verify=False`` to use the file unchecked."""


# --------------------------------------------------------------------------- roots
def cache_dir() -> Path:
    """hgnn's user cache folder: ``$XDG_CACHE_HOME/hgnn``, or ``~/.cache/hgnn`` when
    ``XDG_CACHE_HOME`` is unset, empty or relative (the XDG rule: relative values are ignored)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not base or not os.path.isabs(base):
        base = str(Path.home() / ".cache")
    return Path(base) / "hgnn"


def data_cache_dir() -> Path:
    """The default data root, searched after the ``HGNN_DATA`` folders and the download target
    when none is set: ``cache_dir() / "datasets"``."""
    return cache_dir() / "datasets"


def derived_cache_dir() -> Path:
    """Where files computed from datasets are kept (molhiv graphs, random-walk embeddings):
    ``cache_dir() / "cache"``."""
    return cache_dir() / "cache"


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

    ``[root]`` alone when ``root`` is given, else the ``HGNN_DATA`` folders then
    :func:`data_cache_dir` (which need not exist yet).

    Raises:
        FileNotFoundError: ``root`` or an ``HGNN_DATA`` folder does not exist.
        ValueError: ``root`` or an ``HGNN_DATA`` folder is a file.
    """
    if root is not None:
        return [_explicit_root(root)]
    seen, out = set(), []
    for r in _env_roots() + [data_cache_dir()]:
        key = os.path.normcase(str(r))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def download_root(root: str | Path | None = None) -> Path:
    """Where missing files are downloaded: ``root``, else the first ``HGNN_DATA`` folder, else
    :func:`data_cache_dir` (same errors as :func:`candidate_roots`)."""
    if root is not None:
        return _explicit_root(root)
    env = _env_roots()
    return env[0] if env else data_cache_dir()


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
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


_CHECKSUM_CACHE: dict[str, dict] = {}
# (resolved path, expected sha256) -> the file's identity when it last hashed to that value
_VERIFIED: dict[tuple[str, str], tuple[int, ...]] = {}
# A file changed less than this long ago is hashed on every load: its timestamps may still be
# equal to those of a later edit made within the file system's timestamp resolution.
_SETTLE_NS = 2_000_000_000


def load_checksums(path: str | Path | None = None) -> dict[str, dict]:
    """The ``files`` table of a checksum JSON: ``{"subdir/file": {"sha256", "size", "url"}}``.

    Args:
        path: a checksum file; default: the table shipped in the package
            (``hgnn/datasets/data/checksums.json``, read with :mod:`importlib.resources`).

    Raises:
        FileNotFoundError: the file does not exist (for the packaged table: a broken install).
    """
    key = "<package>" if path is None else str(Path(path).resolve())
    if key not in _CHECKSUM_CACHE:
        source = resources.files("hgnn.datasets") / "data" / "checksums.json" if path is None else Path(path)
        if not source.is_file():
            where = "hgnn/datasets/data/checksums.json" if path is None else str(path)
            raise FileNotFoundError(
                f"the checksum table {where} is missing, so dataset files cannot be verified; reinstall "
                "hgnn (the table is part of the package), or pass verify=False and download=False to load "
                "files unchecked"
            )
        _CHECKSUM_CACHE[key] = json.loads(source.read_text(encoding="utf-8")).get("files", {})
    return _CHECKSUM_CACHE[key]


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


def _no_checksum(rel: str, path: Path) -> ChecksumError:
    return ChecksumError(
        f"no known SHA-256 for {rel} (at {path}), so it cannot be verified. Files of the built-in "
        "datasets are listed in hgnn/datasets/data/checksums.json; for your own dataset pass "
        "checksums={file: sha256} to hgnn.datasets.register. To load the file unchecked, pass verify=False."
    )


# --------------------------------------------------------------------------- download
def _fetch(url: str, sha256: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` with pooch: streamed into a temporary file in ``dest``'s
    folder, checked against ``sha256`` and only then renamed to ``dest``.

    Raises:
        ChecksumError: the downloaded bytes do not hash to ``sha256`` (nothing is left behind).
        requests.RequestException: the download failed.
    """
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(progressbar=False, timeout=_TIMEOUT_S, headers={"User-Agent": "hgnn-datasets"})
    try:
        pooch.retrieve(url, known_hash=f"sha256:{sha256}", fname=dest.name, path=dest.parent, downloader=downloader)
    except requests.RequestException:
        raise
    except ValueError as err:  # pooch reports a hash mismatch as ValueError
        raise ChecksumError(
            f"the download of {dest.name} from {url} does not match its known SHA-256 {sha256} and was "
            f"discarded ({err}). The origin changed or the transfer was corrupted."
        ) from err
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(dest, 0o666 & ~mask)  # pooch's temporary file is private to the user; make it a normal file


def _download(
    name: str,
    subdir: str,
    files: list[str],
    target: Path,
    checksums: Mapping[str, dict],
    searched: list[Path],
    explicit: bool,
) -> None:
    """Fetch the files missing from ``target/subdir``; each is verified before it takes its name."""
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
        try:
            _fetch(url, sha, dest)
        except ChecksumError:
            raise
        except Exception as exc:  # network and file-system errors vary (ConnectionError, HTTPError, OSError)
            problems.append(f"{rel}: download from {url} failed ({type(exc).__name__}: {exc})")
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
            f"Put the files there, or leave the root out to search {ENV_VAR} and the cache ({data_cache_dir()})."
        )
    roots = "\n  ".join(str(r) for r in searched)
    return FileNotFoundError(
        f"dataset {name!r} is not on disk and could not be downloaded.\n"
        f"It needs these files in <root>/{subdir}/: {', '.join(files)}\n"
        f"Searched roots:\n  {roots}\n"
        f"Problems:\n  {detail}\n"
        f"Put the files under one of the roots above (e.g. {data_cache_dir() / subdir}), set "
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
        verify: check the SHA-256 of every required file and every optional file present; a file
            with no entry in the table is an error too. ``False`` loads the files unchecked.
        checksums: the table ``{"subdir/file": {"sha256", "url"}}`` (default: :func:`load_checksums`).

    Raises:
        FileNotFoundError: ``root`` or an ``HGNN_DATA`` folder does not exist, or no searched
            root has the files and they could not be downloaded; the message says where to put them.
        ValueError: ``root`` or an ``HGNN_DATA`` folder is a file.
        ChecksumError: a file does not match its SHA-256, or none is known for it.
    """
    files = list(files)
    base = find_root(subdir, files, root)
    if base is None:
        target = download_root(root)
        searched = candidate_roots(root)
        explicit = root is not None
        if not download:
            raise _not_found(name, subdir, files, searched, ["download=False was passed"], explicit)
        checksums = load_checksums() if checksums is None else checksums
        _download(name, subdir, files, target, checksums, searched, explicit)
        base = target
    folder = base / subdir
    if verify:
        checksums = load_checksums() if checksums is None else checksums
        for f in files + list(optional_files):
            rel, path = f"{subdir}/{f}", folder / f
            if not path.is_file():
                continue
            sha = (checksums.get(rel) or {}).get("sha256")
            if not sha:
                raise _no_checksum(rel, path)
            verify_file(path, sha, rel)
    return folder


def _checksums_text(table: Mapping) -> str:
    """The checksum JSON with one line per file, so that a change shows as one changed line."""
    files = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in table["files"].items())
    head = ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in table.items() if k != "files")
    return f"{{\n{head},\n \"files\": {{\n{files}\n }}\n}}\n"


def build_checksums(
    root: str | Path,
    specs: Iterable,
    previous: Mapping[str, dict] | None = None,
    out: str | Path | None = CHECKSUMS_FILE,
) -> dict:
    """Hash the files of ``specs`` found under ``root`` and write the checksum table; for maintainers.

    Args:
        root: a data root holding the original files.
        specs: registry entries (:class:`~hgnn.datasets.DatasetSpec`, e.g. from
            :func:`~hgnn.datasets.get_spec`).
        previous: entries kept for files absent from ``root``; default: the packaged table.
        out: where to write the table (atomically); default: :data:`CHECKSUMS_FILE`, the package's
            ``hgnn/datasets/data/checksums.json``; ``None`` only returns it.

    Returns:
        The JSON-ready dict ``{"algorithm": "sha256", "comment", "files": {...}}``.
    """
    root = Path(root)
    table = dict(load_checksums() if previous is None else previous)
    for spec in specs:
        for f in tuple(spec.files) + tuple(spec.optional_files):
            path = root / spec.subdir / f
            if not path.is_file():
                continue
            url = spec.url_for(f)
            table[f"{spec.subdir}/{f}"] = {"sha256": sha256_file(path), "size": path.stat().st_size, "url": url}
    result = {
        "algorithm": "sha256",
        "comment": "SHA-256 of every dataset file hgnn.datasets reads; url is the public origin "
        "(null: no single-file origin). Regenerate with hgnn.datasets.root.build_checksums.",
        "files": dict(sorted(table.items())),
    }
    if out is not None:
        with atomic_open(out) as fh:
            fh.write(_checksums_text(result))
        _CHECKSUM_CACHE.clear()
    return result
