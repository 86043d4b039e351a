"""The benchmark runners of node classification, kernels, scaling and distillation run from their
folders with the README's command shape (tiny settings) and write their results JSON where told."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CASES = {
    "node_classification/run.py": ["--seeds", "1", "--epochs", "2", "--datasets", "zoo", "--models", "hgnn", "mlp"],
    "kernels/kernels.py": ["--nodes", "2000", "--edges", "500", "--nnz", "8000", "--repeats", "2", "--device", "cpu"],
    "kernels/scale.py": ["--sizes", "2000", "--epochs", "1", "--dhg-max-nodes", "0"],
    "distill/run.py": ["--seeds", "1", "--epochs", "2", "--datasets", "zoo", "--settings", "transductive"],
    "distill/production_gap.py": ["--seeds", "1", "--epochs", "2", "--datasets", "cocitation-cora", "--variants",
                                  "lighthgnn", "one-hop", "augment", "mlp"],
    "distill/inference_speed.py": ["--full-nodes", "1e3", "--sizes", "3", "--deploy-nodes", "1000", "--requests", "1",
                                   "--repeats", "2", "--no-dhg-full", "--dhg-max-nodes", "0"],
    "scaling/minibatch.py": ["--part", "scale", "--sizes", "2000", "--epochs", "1"],
}


@pytest.mark.parametrize("script", sorted(CASES))
def test_runner_writes_its_results(script, tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *CASES[script], "--out", str(out)],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert isinstance(report, dict) and report
    assert "|" in proc.stdout  # the printed Markdown table


def test_default_outputs_are_in_the_method_folder():
    """Each runner's default ``--out`` is ``benchmarks/<method>/results/<name>.json``, where its
    README says the stored results are."""
    for script in CASES:
        text = (ROOT / "benchmarks" / script).read_text()
        assert 'Path(__file__).parent / "results"' in text, script
        method = script.split("/")[0]
        readme = (ROOT / "benchmarks" / method / "README.md").read_text()
        assert f"benchmarks/{script}" in readme, f"{method}/README.md does not give the command of {script}"
