"""Every script in ``examples/`` runs in its ``--quick`` mode and prints its results.

Each example runs as a user would run it: ``python examples/<script> --quick`` in a fresh process,
with the environment of the suite (``HGNN_DATA`` included) and an empty temporary folder as the
working directory, which must still be empty afterwards. The scripts start together, at most two
at a time (each uses one thread in quick mode), so the module costs about half the scripts' summed
run time; each test then waits for its own script. An example whose dataset is nowhere on disk, or
that needs an optional package that is not installed, is skipped with the reason.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TOPOLOGY_RESULTS = ROOT / "benchmarks" / "topology_vae" / "results" / "topology_vae.json"
WORKERS = max(1, min(2, os.cpu_count() or 1))
TIMEOUT_S = 240  # one script; quick mode takes 5 to 30 s on a 2-core machine


@dataclass
class Run:
    """What one ``--quick`` run left behind."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    files_left: list[str]

    def number(self, pattern: str) -> float:
        """The first number captured by ``pattern`` in the output (the test fails if it is absent)."""
        match = re.search(pattern, self.stdout, re.MULTILINE)
        assert match, f"no line matching {pattern!r} in the output:\n{self.stdout}"
        return float(match.group(1))


def check_node_classification(run: Run) -> None:
    hgnn = run.number(r"^hgnn +val accuracy .*test accuracy +([\d.]+)%")
    mlp = run.number(r"^mlp +val accuracy .*test accuracy +([\d.]+)%")
    for name in ("hgnnp", "unigcn", "hnhn"):
        run.number(rf"^{name} +val accuracy .*test accuracy +([\d.]+)%")
    assert hgnn > 50.0, "HGNN on Cora should be far above chance (14%)"
    assert hgnn > mlp, "the hyperedges should help HGNN beat the structure-free MLP"


def check_edge_dependent(run: Run) -> None:
    conhd = run.number(r"^CoNHD \(unp\) +test micro-F1 [\d.]+ +macro-F1 ([\d.]+)")
    scorer = run.number(r"^MLP incidence scorer +test micro-F1 [\d.]+ +macro-F1 ([\d.]+)")
    assert conhd > 40.0, "always answering the majority label gives a macro-F1 below 40"
    assert conhd > scorer


def check_edge_classification(run: Run) -> None:
    majority = run.number(r"^majority type +test accuracy ([\d.]+)%")
    mlp = run.number(r"^MLP \(no structure\) test accuracy ([\d.]+)%")
    dual = run.number(r"^EHGNN on the dual +test accuracy ([\d.]+)%")
    assert dual > mlp > majority


def check_distill_deploy(run: Run) -> None:
    assert run.number(r"same prediction on ([\d.]+)%") == 100.0
    assert run.number(r"^new vertices: .* student ([\d.]+)% \(features only\)") > 30.0  # chance: 14%
    assert run.number(r"^ +one-hop student ([\d.]+)% \(features and co-members' mean\)") > 30.0
    assert len(re.findall(r"^  vertex +\d+: predicted class \d+, true class \d+", run.stdout, re.MULTILINE)) == 5
    run.number(r"^all (\d+) new vertices in one batch")


def check_demo(run: Run) -> None:
    assert run.number(r"^\| HGNN \(teacher\) \| ([\d.]+)") > 50.0
    run.number(r"^\| LightHGNN\+ \(MLP\) \| ([\d.]+)")
    run.number(r"-> ([\d.]+)x")


def check_graph_classification(run: Run) -> None:
    for name in ("gcn", "hyperdrop"):
        assert 0.0 <= run.number(rf"^{name} +test accuracy ([\d.]+)%") <= 100.0


def check_topology_planted_groups(run: Run) -> None:
    for difficulty in ("easy", "medium", "hard"):
        run.number(rf"^\| {difficulty} \((\d+)\) \| learned \|")
        assert run.number(rf"^\| {difficulty} \(\d+\) \| hidden groups \| [\d.]+ \| [\d.]+ \| ([\d.]+) \|") == 1.0


def check_topology_repair(run: Run) -> None:
    clean = run.number(r"^\| clean \| ([\d.]+)")
    corrupted = run.number(r"^\| corrupted \| ([\d.]+)")
    run.number(r"^\| learned \| ([\d.]+)")
    run.number(r"learned hypergraph recovers: (-?[\d.]+)")
    assert clean > corrupted, "replacing half of the hyperedges by random ones should cost accuracy"


def check_topology_agents(run: Run) -> None:
    for method in ("learned", "all-to-all", r"no communication \(best expert\)"):
        run.number(rf"^\| {method} \| ([\d.]+)")
    assert run.number(r"^\| all-to-all \| [\d.]+ \| ([\d.]+)") == 8.0, "all-to-all: one message per expert"
    assert run.number(r"^\| all-to-all \| [\d.]+ \| [\d.]+ \| [\d.]+ / ([\d.]+)") == 8.0, "hard queries: 8 too"
    assert run.number(r"^(\d+) easy and \d+ hard test queries") > 0


def check_draw_hypergraph(run: Run) -> None:
    planted = run.number(r"^planted blocks +\d+ hyperedges, (\d+)% inside one block")
    assert run.number(r"^\d+-nearest neighbours +\d+ hyperedges, (\d+)% inside one block") >= 80
    run.number(r"^cliques +\d+ hyperedges, (\d+)% inside one block")
    assert planted >= 60, "p_in = 0.5 against p_out = 0.02 keeps most hyperedges inside a block"
    assert "figure saved" not in run.stdout, "without --out nothing is drawn to a file"


def check_distributed_train(run: Run) -> None:
    assert run.number(r"^1 processes; best validation accuracy [\d.]+, its test accuracy ([\d.]+)") > 1 / 7


@dataclass
class Case:
    """An example script: the datasets and optional modules it needs, and the check of its output."""

    check: Callable[[Run], None]
    datasets: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()


# The slowest first, so that the pool finishes sooner.
CASES = {
    "topology_repair.py": Case(check_topology_repair, ("cocitation-cora",)),
    "topology_agents.py": Case(check_topology_agents, ("cocitation-cora",)),
    "demo.py": Case(check_demo, ("cocitation-cora",)),
    "distill_deploy.py": Case(check_distill_deploy, ("cocitation-cora",), ("onnx", "onnxscript", "onnxruntime")),
    "node_classification.py": Case(check_node_classification, ("cocitation-cora",)),
    "topology_planted_groups.py": Case(check_topology_planted_groups),
    "edge_dependent.py": Case(check_edge_dependent, ("enc-emaileu",)),
    "edge_classification.py": Case(check_edge_classification, ("tu-mutag",)),
    "distributed_train.py": Case(check_distributed_train, ("cocitation-cora",)),
    "graph_classification.py": Case(check_graph_classification, ("gin-mutag",)),
    "draw_hypergraph.py": Case(check_draw_hypergraph, modules=("matplotlib",)),
}


def skip_reason(script: str) -> str | None:
    """Why ``script`` cannot run here (a dataset or an optional module is missing), or ``None``."""
    from hgnn.datasets import available

    case = CASES[script]
    on_disk = {info.name for info in available() if info.on_disk}
    absent = [name for name in case.datasets if name not in on_disk]
    if absent:
        return f"dataset {', '.join(absent)} not on disk (set HGNN_DATA to the datasets folder)"
    missing = [name for name in case.modules if importlib.util.find_spec(name) is None]
    if missing:
        return f"optional package {', '.join(missing)} not installed (pip install 'hgnn[export]')"
    if script == "distributed_train.py":
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_gloo_available()):
            return "torch.distributed with the gloo backend is not available"
    return None


def run_quick(script: str) -> Run:
    with tempfile.TemporaryDirectory() as cwd:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(EXAMPLES / script), "--quick"], cwd=cwd, env=dict(os.environ),
                              capture_output=True, text=True, timeout=TIMEOUT_S)
        return Run(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start, sorted(os.listdir(cwd)))


@pytest.fixture(scope="module")
def runs(request):
    """The selected examples, started together on a small pool: script name -> future of its :class:`Run`."""
    selected = [item.callspec.params["script"] for item in request.session.items
                if item.module is request.module and "script" in getattr(getattr(item, "callspec", None), "params", {})]
    runnable = [s for s in CASES if s in selected and skip_reason(s) is None]
    results_before = TOPOLOGY_RESULTS.stat().st_mtime_ns if TOPOLOGY_RESULTS.exists() else None
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        yield {script: pool.submit(run_quick, script) for script in runnable}
    results_after = TOPOLOGY_RESULTS.stat().st_mtime_ns if TOPOLOGY_RESULTS.exists() else None
    assert results_after == results_before, "a --quick run rewrote benchmarks/topology_vae/results/topology_vae.json"


def test_every_example_has_a_case():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(CASES)


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_quick(script, runs):
    reason = skip_reason(script)
    if reason is not None:
        pytest.skip(reason)
    run = runs[script].result()
    assert run.returncode == 0, (f"{script} --quick exited with {run.returncode} after {run.seconds:.0f} s:\n"
                                 f"{run.stdout}\n{run.stderr[-4000:]}")
    assert run.files_left == [], f"{script} --quick wrote {run.files_left} into its working directory"
    CASES[script].check(run)
