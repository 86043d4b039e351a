r"""Atomic file output: a file the library writes is either the old one or the whole new one.

Every writer here puts its bytes in a temporary file in the destination's folder, flushes and
``fsync``\ s it, then renames it over the destination with :func:`os.replace` (atomic on POSIX and
Windows). A write that fails part-way (disk full, a file-size limit, an exception, Ctrl-C) removes
the temporary file and leaves the previous file untouched.

This module imports nothing of :mod:`hgnn`, so every floor of the library may use it.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Iterator

__all__ = ["atomic_path", "atomic_open", "write_json", "save_torch", "check_output_path"]


def _umask_mode() -> int:
    """The permissions ``open(path, "w")`` would give a new file (``0o666`` less the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    For writers that take a file name (``torch.onnx.export``, ``Figure.savefig``,
    ``torch.export.save``). The temporary name keeps ``path``'s suffix, so writers that pick a
    format from it still do. On an exception the temporary file is removed and ``path`` is left as
    it was.

    Raises:
        IsADirectoryError: ``path`` is a folder.
        FileNotFoundError: ``path``'s folder does not exist.
    """
    path = Path(path)
    check_output_path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        mode = path.stat().st_mode & 0o777 if path.exists() else _umask_mode()
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise
    _fsync_dir(path.parent)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """``open(path, mode)`` for writing, made atomic (see :func:`atomic_path`).

    Args:
        path: the destination.
        mode: ``"w"`` (text) or ``"wb"`` (bytes).
        encoding: text encoding (ignored for ``"wb"``).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=None if mode == "wb" else encoding) as handle:
            yield handle
            handle.flush()


def write_json(path: str | os.PathLike, obj: Any, indent: int | None = 1) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically; return the path.

    The object is serialised before the file is touched, so an object that is not JSON-serialisable
    raises ``TypeError`` and leaves ``path`` as it was.
    """
    text = json.dumps(obj, indent=indent)
    with atomic_open(path, "w") as handle:
        handle.write(text)
    return Path(path)


def save_torch(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save(obj, path)`` made atomic; return the path."""
    import torch

    with atomic_open(path, "wb") as handle:
        torch.save(obj, handle)
    return Path(path)


def check_output_path(path: str | os.PathLike, name: str = "path") -> Path:
    """Check, before any long work, that a file can be written at ``path``.

    Args:
        path: the output file.
        name: how the caller calls it in errors (``"--out"``, ``"path"``).

    Raises:
        IsADirectoryError: ``path`` is an existing folder.
        FileNotFoundError: ``path``'s folder does not exist.
        NotADirectoryError: what should be ``path``'s folder is a file.
        PermissionError: the folder is not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{name} {str(path)!r} is a folder; give a file name inside it")
    parent = path.parent
    if not parent.exists():
        raise FileNotFoundError(f"{name} {str(path)!r}: folder {str(parent)!r} does not exist; create it first")
    if not parent.is_dir():
        raise NotADirectoryError(f"{name} {str(path)!r}: {str(parent)!r} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"{name} {str(path)!r}: folder {str(parent)!r} is not writable")
    return path
