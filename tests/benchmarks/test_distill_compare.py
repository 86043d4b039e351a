"""benchmarks/distill/reference/compare.py pairs hgnn's production runs with the LightHGNN code's by seed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "distill" / "reference" / "compare.py"


def _reference(path: Path, teacher: list[float], student: list[float]) -> None:
    runs = [{"seed": s, "teacher": {"prod_accuracy": t}, "student": {"prod_accuracy": u}}
            for s, (t, u) in enumerate(zip(teacher, student))]
    path.write_text(json.dumps({"runs": runs}))


def test_compare_pairs_by_seed(tmp_path):
    _reference(tmp_path / "reference_prod_cocitation-cora_hgnn_light_hgnn.json", [0.60, 0.70, 0.65], [0.5, 0.6, 0.55])
    runs = [{"seed": s, "hgnn": {"all_acc": t}, "lighthgnn": {"all_acc": u}}
            for s, (t, u) in enumerate([(0.61, 0.52), (0.71, 0.62)])]  # seeds 0 and 1 only
    ours = tmp_path / "ours.json"
    ours.write_text(json.dumps({"results": {"cocitation-cora|production": {"runs": runs}}}))
    out = tmp_path / "rows.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--ours", str(ours), "--reference-dir", str(tmp_path),
                           "--out", str(out)], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    rows = {r["model"]: r for r in json.loads(out.read_text())["rows"]}
    assert set(rows) == {"HGNN (teacher)", "LightHGNN"}  # no LightHGNN+ file, no [ref] runs
    assert rows["HGNN (teacher)"]["seeds"] == [0, 1]
    assert [round(d, 6) for d in rows["LightHGNN"]["difference"]] == [2.0, 2.0]
    assert "| production | cocitation-cora | LightHGNN | 0-1 | 55.00 ± 7.07 | 57.00 ± 7.07 | +2.00 ± 0.00 |" in proc.stdout


def test_compare_refuses_files_without_common_seeds(tmp_path):
    ours = tmp_path / "ours.json"
    ours.write_text(json.dumps({"results": {"cocitation-cora|inductive": {"runs": []}}}))
    proc = subprocess.run([sys.executable, str(SCRIPT), "--ours", str(ours), "--reference-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert proc.returncode == 2 and "no cell of --ours" in proc.stderr


def test_compare_transductive_cells_read_the_transductive_files(tmp_path):
    path = tmp_path / "reference_trans_cocitation-citeseer_hgnn_light_hgnnp.json"
    path.write_text(json.dumps({"runs": [{"seed": 3, "teacher": {"accuracy": 0.6}, "student": {"accuracy": 0.7}}]}))
    ours = tmp_path / "ours.json"
    ours.write_text(json.dumps({"results": {"cocitation-citeseer|transductive": {
        "runs": [{"seed": 3, "lighthgnn+": {"test_acc": 0.65}, "lighthgnn+[ref]": {"test_acc": 0.75}}]}}}))
    proc = subprocess.run([sys.executable, str(SCRIPT), "--ours", str(ours), "--reference-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    assert "| transductive | cocitation-citeseer | LightHGNN+ | 3-3 | 70.00 ± 0.00 | 65.00 ± 0.00 | -5.00 ± 0.00 |" \
        in proc.stdout
    assert "| LightHGNN+ [ref loss] | 3-3 | 70.00 ± 0.00 | 75.00 ± 0.00 | +5.00 ± 0.00 |" in proc.stdout
