"""The README's Python snippets run, each on its own.

Every ```python block of ``README.md`` runs in a fresh interpreter (nothing shared between blocks,
so a block that uses a name it does not define fails), with the working directory a temporary
folder (the snippets may write files) and ``HGNN_DATA`` passed through; two blocks run at a time.
A block that loads a
dataset whose files are in no data root is skipped, naming the dataset; it never downloads.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
LOADS = re.compile(r"""\bload\(\s*["']([\w.-]+)["']""")
TIMEOUT_S = 300


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line number, source)`` of every ```python fenced block of a Markdown text."""
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in FENCE.finditer(text)]


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 3, f"expected the quick tour's python blocks in {README}, found {len(BLOCKS)}"


def test_block_extraction_and_failure_are_seen(tmp_path):
    """The extractor finds fenced blocks only, and a raising block makes the run fail."""
    text = "x\n```python\nprint(1)\n```\n```bash\nls\n```\n```python\nraise SystemExit(3)\n```\n"
    blocks = python_blocks(text)
    assert [source for _, source in blocks] == ["print(1)\n", "raise SystemExit(3)\n"]
    assert [line for line, _ in blocks] == [2, 8]
    assert _run(blocks[1][1], tmp_path).returncode != 0
    assert _run("undefined_name\n", tmp_path).returncode != 0


def _missing_datasets(source: str) -> list[str]:
    """The datasets a block loads whose files are in no data root."""
    names = sorted(set(LOADS.findall(source)))
    if not names:
        return []
    from hgnn.datasets import get_spec
    from hgnn.datasets.root import find_root

    missing = []
    for name in names:
        spec = get_spec(name)
        if find_root(spec.subdir, spec.files) is None:
            missing.append(name)
    return missing


def _run(source: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    # Tiny workloads: one thread avoids OpenMP contention on a busy 2-core machine.
    env.setdefault("OMP_NUM_THREADS", "1")
    env["PYTHONWARNINGS"] = "ignore"
    return subprocess.run([sys.executable, "-c", source], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT_S)


@pytest.fixture(scope="module")
def block_results(request, tmp_path_factory):
    """Start every selected block at once, two at a time (the snippets are single-threaded), and
    hand each test its block's future: ``{line: Future[CompletedProcess] | str}``, where a string
    is the reason to skip."""
    selected = {item.callspec.params["line"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_readme_block_runs"}
    results: dict[int, Future | str] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for line, source in BLOCKS:
            if line not in selected:
                continue
            missing = _missing_datasets(source)
            if missing:
                results[line] = (f"README.md:{line} loads {', '.join(missing)}, whose files are in no data root "
                                 "(set HGNN_DATA; see datasets/README.md)")
            else:
                results[line] = pool.submit(_run, source, tmp_path_factory.mktemp(f"readme_{line}"))
        yield results


@pytest.mark.parametrize("line, source", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_block_runs(line, source, block_results):
    outcome = block_results[line]
    if isinstance(outcome, str):
        pytest.skip(outcome)
    done = outcome.result()
    assert done.returncode == 0, (f"README.md:{line}: the block exits with {done.returncode}\n"
                                  f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")
