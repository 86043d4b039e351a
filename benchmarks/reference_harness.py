"""Pieces shared by the harnesses that run a paper's own code beside hgnn
(``benchmarks/<method>/reference/run_reference.py``).

Standard library only: the harnesses run in the reference's environment, where hgnn and its
dependencies are not installed. They put this folder on ``sys.path`` and import from here.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import socket
import tempfile
from pathlib import Path
from typing import Any


def positive_int(value: str) -> int:
    """argparse type: an int >= 1."""
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return n


def nonneg_int(value: str) -> int:
    """argparse type: an int >= 0."""
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return n


#: hgnn's repository (this file is benchmarks/reference_harness.py)
REPO = Path(__file__).resolve().parents[1]


def find_data_root(explicit: Path | None, relative: str, files: tuple[str, ...], holding: str) -> Path:
    """The data root whose ``<relative>/`` holds every one of ``files``: ``explicit`` (``--data-root``),
    else the first ``$HGNN_DATA`` folder that has ``<relative>/``, else ``<repo>/../shared/datasets``.
    ``holding`` names what the root holds, for the message when none is found."""
    if explicit is not None:
        candidates = [explicit]
    else:
        candidates = [Path(p) for p in os.environ.get("HGNN_DATA", "").split(os.pathsep) if p.strip()]
        candidates.append(REPO.parent / "shared" / "datasets")
    for root in candidates:
        if (root / relative).is_dir():
            root = root.resolve()
            missing = [f for f in files if not (root / relative / f).is_file()]
            if missing:
                raise SystemExit(f"error: {root / relative} lacks {', '.join(missing)}")
            return root
    where = ", ".join(str(c) for c in candidates) or "(none)"
    hint = "pass --data-root" if explicit is None else "check --data-root"
    raise SystemExit(f"error: no {relative} folder under {where}; {hint} (the folder holding {holding})")


def read_source_info(venv: Path, info_name: str, entry: str, setup: str) -> dict[str, str]:
    """The ``key=value`` lines ``setup.sh`` wrote to ``<venv>/<info_name>`` about the reference
    checkout in ``<venv>/src`` (which must hold ``entry``); ``setup`` is the command to run first."""
    src = venv / "src"
    info_file = venv / info_name
    if not (src / entry).is_file() or not info_file.is_file():
        raise SystemExit(f"error: no reference checkout in {src} (or no {info_file.name}); run {setup} first")
    return dict(line.split("=", 1) for line in info_file.read_text().splitlines() if "=" in line)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON to a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1, default=str)
            f.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would make the result private
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def machine_info() -> dict[str, Any]:
    """Host, CPU model, core counts, Python, nice value and the load average now."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"hostname": socket.gethostname(), "platform": platform.platform(), "cpu": cpu,
            "cpu_count": os.cpu_count(), "python": platform.python_version()}
    try:
        info["affinity_cpus"] = len(os.sched_getaffinity(0))
        info["loadavg_start"] = os.getloadavg()
    except (AttributeError, OSError):
        pass
    try:
        info["nice"] = os.nice(0)
    except OSError:
        pass
    return info
