"""benchmarks/node_classification/allset.py: one process per cell, the shared and the papers' setting."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "node_classification" / "allset.py"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=240)


def test_paper_setting_trains_with_the_papers_options_and_resumes(tmp_path):
    out = tmp_path / "paper.json"
    proc = run("--setting", "paper", "--models", "edhnn", "--datasets", "zoo", "--runs", "1", "--epochs", "3",
               "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["meta"]["setting"] == "paper" and report["meta"]["epochs"] == 3
    cell = report["results"]["zoo|edhnn"]
    assert cell["config"]["hidden"] == 256 and cell["config"]["lr"] == 1e-3 and cell["config"]["weight_decay"] == 0
    assert cell["config"]["model_kwargs"] == {} and cell["reference_setting"] is False  # no script for zoo
    assert len(cell["runs"]) == 1 and cell["peak_rss_mib"] > 0
    assert "(paper setting)" in proc.stdout and "| zoo |" in proc.stdout
    # --resume keeps the finished cell: nothing is trained again
    again = run("--setting", "paper", "--models", "edhnn", "--datasets", "zoo", "--runs", "1", "--epochs", "3",
                "--resume", "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0 and "ms/epoch" not in again.stdout
    assert json.loads(out.read_text())["results"]["zoo|edhnn"]["seconds"] == cell["seconds"]


def test_paper_setting_refuses_models_without_one(tmp_path):
    proc = run("--setting", "paper", "--models", "hgnn", "--out", str(tmp_path / "x.json"), cwd=tmp_path)
    assert proc.returncode == 2 and "--setting paper is defined for" in proc.stderr
    assert not (tmp_path / "x.json").exists()


def test_reference_settings_are_valid_model_options():
    """Every per-dataset reference setting builds its model (a misspelt option would fail only hours
    into a run)."""
    import importlib.util

    from hgnn.tasks import build_model

    spec = importlib.util.spec_from_file_location("allset_runner", SCRIPT)
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    for model, cells in runner.REFERENCE.items():
        for dataset in cells:
            options = runner.options_of("paper", model, dataset)
            assert options["reference_setting"] is True and options["lr"] in (1e-3, 0.01)
            build_model(model, 5, 3, options["hidden"], **options.get("model_kwargs", {}))
    assert runner.options_of("shared", "edhnn", "cocitation-cora") == {}
    senate = runner.options_of("paper", "edhnn", "senate-committees")
    assert senate["hidden"] == 512 and senate["model_kwargs"]["num_layers"] == 8


def _cell(acc: float) -> dict:
    return {"summary": {"test_acc": {"mean": acc, "std": 1.0}, "epoch_ms": 5.0}, "peak_rss_mib": 100.0,
            "runs": [{}, {}]}


def test_merge_puts_the_cells_of_split_runs_into_one_file(tmp_path):
    a, b, out = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "all.json"
    a.write_text(json.dumps({"results": {"zoo|hgnn": _cell(80.0), "zoo|mlp": _cell(70.0)}}))
    b.write_text(json.dumps({"results": {"zoo|mlp": _cell(75.0), "mushroom|hgnn": _cell(99.0)}}))
    proc = run("--merge", str(a), str(b), "--table-only", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    merged = json.loads(out.read_text())["results"]
    assert sorted(merged) == ["mushroom|hgnn", "zoo|hgnn", "zoo|mlp"]
    assert merged["zoo|mlp"]["summary"]["test_acc"]["mean"] == 75.0  # the later file wins
    assert "| zoo | 80.00 ± 1.00 | 75.00 ± 1.00 |" in proc.stdout
    missing = run("--merge", str(tmp_path / "nope.json"), "--table-only", "--out", str(out), cwd=tmp_path)
    assert missing.returncode == 2 and "is not a file" in missing.stderr


def test_trace_prints_one_row_per_requested_epoch_and_checks_options(tmp_path):
    trace = ROOT / "benchmarks" / "node_classification" / "trace.py"

    def go(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(trace), *args], cwd=tmp_path, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=240)

    proc = go("--model", "hgnn", "--dataset", "zoo", "--seed", "2", "--epochs", "5", "--every", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line.split(" | ") for line in proc.stdout.splitlines() if line[:1].isdigit()]
    assert [int(r[0]) for r in rows] == [0, 2, 4]
    losses = [float(r[1]) for r in rows]
    assert all(0 < loss < 10 for loss in losses) and losses[-1] < losses[0]  # zoo: 7 classes, it learns
    assert all(len(r) == 7 for r in rows)  # epoch, loss, grad norm, train / val / test accuracy, logit
    bad = go("--model", "hgnn", "--dataset", "zoo", "--epochs", "0")
    assert bad.returncode != 0 and "--epochs must be >= 1" in bad.stderr
    for kwargs, message in (("[1]", "must be a JSON object"), ("{", "must be a JSON object"),
                            ('{"heads": 2}', "heads")):
        bad = go("--model", "hgnn", "--dataset", "zoo", "--model-kwargs", kwargs)
        assert bad.returncode != 0 and message in bad.stderr, bad.stderr[-2000:]
    heads = go("--model", "allsettransformer", "--dataset", "zoo", "--epochs", "2", "--every", "1",
               "--model-kwargs", '{"heads": 2}')
    assert heads.returncode == 0 and "'heads': 2" in heads.stdout, heads.stderr[-2000:]


def test_an_interrupted_cell_resumes_from_its_finished_seeds(tmp_path):
    """The partial file of a cell that stopped after seed 0 is picked up with --resume: only seed 1
    trains, and the cell's report is that of both seeds, equal to an uninterrupted run."""
    out = tmp_path / "grid.json"
    full = run("--models", "mlp", "--datasets", "zoo", "--runs", "2", "--epochs", "3", "--out", str(out), cwd=tmp_path)
    assert full.returncode == 0, full.stderr[-3000:]
    whole = json.loads(out.read_text())["results"]["zoo|mlp"]
    assert whole["resumed_seeds"] == [] and not (tmp_path / "grid.partial" / "zoo__mlp.json").exists()
    # an interrupted run: seed 0 finished, saved as the cell saves it
    first = {**whole, "runs": whole["runs"][:1], "complete": False}
    partial = tmp_path / "grid.partial" / "zoo__mlp.json"
    options = {}
    partial.write_text(json.dumps({"key": ["zoo", "mlp", 3, options], "report": first,
                                   "peak_rss_mib": 1e6, "seconds": 1000.0}))
    out.unlink()
    resumed = run("--models", "mlp", "--datasets", "zoo", "--runs", "2", "--epochs", "3", "--out", str(out),
                  "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    cell = json.loads(out.read_text())["results"]["zoo|mlp"]
    assert cell["resumed_seeds"] == [0] and [r["seed"] for r in cell["runs"]] == [0, 1] and cell["complete"]
    assert cell["config"]["seeds"] == 2 and cell["summary"]["test_acc"] == whole["summary"]["test_acc"]
    assert not partial.exists()
    # the interrupted process's peak memory and seconds count: the cell's are at least theirs
    assert cell["peak_rss_mib"] == 1e6 and cell["seconds"] >= 1000.0 and cell["resumed_seconds"] == 1000.0
    # a partial file without them (written before they were recorded): the peak is unknown, not understated
    partial.write_text(json.dumps({"key": ["zoo", "mlp", 3, options], "report": first}))
    out.unlink()
    resumed = run("--models", "mlp", "--datasets", "zoo", "--runs", "2", "--epochs", "3", "--out", str(out),
                  "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    cell = json.loads(out.read_text())["results"]["zoo|mlp"]
    assert cell["peak_rss_mib"] is None and "n/r MiB" in resumed.stdout and "| n/r |" in resumed.stdout
