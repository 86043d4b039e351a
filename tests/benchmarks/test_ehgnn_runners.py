"""The EHGNN reproductions in benchmarks/ehgnn/: graph classification (per-fold resume), ogbg-molhiv,
the deep-GCN / HyperDrop study and edge reconstruction, on tiny settings."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hgnn import datasets
from tests.benchmarks._bench import load_benchmark

pytestmark = pytest.mark.usefixtures("one_thread")

ROOT = Path(__file__).resolve().parents[2]
EHGNN = ROOT / "benchmarks" / "ehgnn"

# The command of each runner as its README gives it, with tiny settings.
COMMANDS = {
    "graph_classification.py": ["--datasets", "gin-mutag", "--models", "gcn", "--epochs", "2", "--folds", "2"],
    "hyperdrop_node.py": ["--datasets", "cocitation-cora", "--layers", "2", "--splits", "1", "--epochs", "2"],
    "edge_reconstruction.py": ["--datasets", "tu-mutag", "--models", "hypercluster", "majority", "--seeds", "1",
                               "--epochs", "1"],
    "molhiv.py": ["--models", "gcn", "--seeds", "1", "--epochs", "1", "--subset", "64"],
}


def test_study_runner_reports_a_split():
    bench = load_benchmark("ehgnn/hyperdrop_node")
    report = bench.run_node_hyperdrop("cocitation-cora", num_layers=2, epochs=3, patience=1, progress=False)
    (run,) = report["runs"]
    assert 0 <= run["test_acc"] <= 100 and run["epochs_run"] <= 3 and report["graph"].startswith("clique")


def test_molhiv_runner_refuses_an_unknown_model():
    bench = load_benchmark("ehgnn/molhiv")
    with pytest.raises(ValueError, match="model must be one of"):
        bench.run_molhiv("gin")


def test_graph_classification_cell_uses_the_reference_ratio_and_resumes_per_fold():
    bench = load_benchmark("ehgnn/graph_classification")
    kwargs = dict(folds=2, epochs=2, hidden=8, patience=1)
    saved = []
    whole = bench.run_cell("gcn", "gin-mutag", on_fold=saved.append, **kwargs)
    assert whole["config"]["ratio"] == bench.REFERENCE_RATIOS["gin-mutag"] == 0.9
    assert [f["fold"] for f in saved] == [0, 1] and saved == whole["folds"]
    # Interrupted after fold 0: only fold 1 is trained again, and it equals the uninterrupted run's.
    calls = []
    resumed = bench.run_cell("gcn", "gin-mutag", done=saved[:1], on_fold=calls.append, **kwargs)
    assert [f["fold"] for f in calls] == [1]
    assert [f["test_acc"] for f in resumed["folds"]] == [f["test_acc"] for f in whole["folds"]]
    assert resumed["folds"][1]["best_epoch"] == whole["folds"][1]["best_epoch"]
    assert resumed["summary"]["test_acc"] == whole["summary"]["test_acc"]
    with pytest.raises(ValueError, match="outside folds"):
        bench.run_cell("gcn", "gin-mutag", done=[{"fold": 5}], **kwargs)


def test_graph_classification_table_has_the_papers_rows():
    bench = load_benchmark("ehgnn/graph_classification")
    paper = bench.published()
    assert paper[("hyperdrop", "gin-mutag")] == (84.0, 0.69)
    results = {"gin-mutag|hyperdrop": {"summary": {"test_acc": {"mean": 80.0, "std": 5.0}}, "config": {"epochs": 100}}}
    text = bench.table(results, ["hyperdrop"], ["gin-mutag", "gin-ptc"], paper, epochs=500)
    assert "| HyperDrop (EHGNN) | 80.00 ± 5.00 *100 | — |" in text
    assert "| HyperDrop (EHGNN), paper | 84.00 ± 0.69 | n/a |" in text


def test_edge_reconstruction_run_reports_a_seed():
    bench = load_benchmark("ehgnn/edge_reconstruction")
    data = datasets.load("tu-mutag")
    out = bench.run("hypercluster", data, seed=0, epochs=2)
    assert 0.0 <= out["test_acc"] <= 100.0 and 0 <= out["best_epoch"] < 2 and out["clusters"] >= 1


@pytest.mark.parametrize("script", sorted(COMMANDS))
def test_runner_writes_its_results(script, tmp_path):
    if script == "molhiv.py" and importlib.util.find_spec("ogb") is None:
        pytest.skip("needs the mol extra (ogb, rdkit)")
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, str(EHGNN / script), *COMMANDS[script], "--threads", "1", "--out", str(out)],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(out.read_text())["results"]
    assert "|" in proc.stdout  # the printed Markdown table
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_runners_write_to_the_method_folder_and_the_readme_gives_their_commands():
    readme = (EHGNN / "README.md").read_text()
    for script in COMMANDS:
        name = script.removesuffix(".py")
        assert 'Path(__file__).parent / "results"' in (EHGNN / script).read_text(), script
        assert f"python benchmarks/ehgnn/{script}" in readme, script
        assert f"benchmarks/ehgnn/results/{name}.json" in readme and (EHGNN / "results" / f"{name}.json").is_file()
