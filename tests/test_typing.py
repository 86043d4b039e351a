"""mypy on the package and on tests/typing_usage.py (the public API used as a user's code does),
with the configuration in pyproject.toml; and a check that wrong uses of the API are caught, so
that hgnn's annotations, not ``Any``, are what mypy sees.

The mypy cache lives in the system's temporary folder: the first run takes about half a minute
(most of it reading torch's annotations), later runs a few seconds.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy comes with the test extra: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[1]


def _mypy(*args: str) -> subprocess.CompletedProcess:
    import mypy.version

    cache = Path(tempfile.gettempdir()) / f"hgnn-mypy-cache-{mypy.version.__version__}-py{sys.version_info[0]}{sys.version_info[1]}"
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(cache),
           "--no-error-summary", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_package_and_public_api_type_check():
    done = _mypy()
    assert done.returncode == 0, (
        "mypy found type errors (fix them; a module whose body cannot be fixed yet goes into the "
        f"ignore_errors list of pyproject.toml):\n{done.stdout}{done.stderr}")


BAD_USAGE = '''
import torch
from hgnn import Hypergraph
from hgnn.models import HGNN
from hgnn.train import fit

hg = Hypergraph.from_edge_list([[0, 1]], num_nodes=2)
name: str = hg.num_nodes
HGNN(4, num_classes="2")
hg.node_to_edge(hg.x)
result = fit(HGNN(4, 2), hg, split=None, epochs="10")
'''


def test_wrong_uses_are_reported(tmp_path):
    bad = tmp_path / "bad_usage.py"
    bad.write_text(BAD_USAGE)
    done = _mypy(str(bad))
    lines = {int(m.group(1)): m.group(2) for m in re.finditer(r"bad_usage\.py:(\d+): error: .*\[([\w-]+)\]", done.stdout)}
    # line 8: int into str; 9: a keyword HGNN does not take; 10: Tensor | None for a Tensor;
    # 11: None for a Split and a str for epochs
    assert lines == {8: "assignment", 9: "call-arg", 10: "arg-type", 11: "arg-type"}, done.stdout + done.stderr
