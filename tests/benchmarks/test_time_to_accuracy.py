"""benchmarks/edge_dependent/time_to_accuracy.py: the score at a time is the test micro-F1 of the
checkpoint a run would keep then (its best validation so far), and the table compares the times two
runs need to reach the reference's final score."""
from __future__ import annotations

import pytest

from tests.benchmarks._bench import load_benchmark


@pytest.fixture(scope="module")
def tta():
    return load_benchmark("edge_dependent/time_to_accuracy")


def curve(rows):
    return [{"epoch": i + 1, "elapsed_s": t, "val": v, "test": s} for i, (t, v, s) in enumerate(rows)]


def test_the_kept_checkpoint_decides_not_the_best_test_score(tta):
    rows = curve([(10, 0.60, 0.61), (20, 0.58, 0.75), (30, 0.70, 0.69), (40, 0.70, 0.80)])
    kept = [r["kept_test"] for r in tta.best_so_far(rows)]
    assert kept == [0.61, 0.61, 0.69, 0.69]  # a lower validation, or an equal one, keeps the older checkpoint
    assert tta.time_to(rows, 0.65) == 30 and tta.time_to(rows, 0.61) == 10
    assert tta.time_to(rows, 0.75) is None


def test_table_pairs_runs_and_reports_the_speed_up(tta):
    reference = {"status": "complete", "settings": {"seed": 0},
                 "epochs": [{"epoch": k, "train_s": 95.0, "train_cpu_s": 80.0} for k in range(1, 11)],
                 "evaluations": [{"epoch": 5, "elapsed_s": 500.0, "val_micro_f1": 0.70, "test_micro_f1": 0.69,
                                  "val_cpu_s": 10.0},
                                 {"epoch": 10, "elapsed_s": 1000.0, "val_micro_f1": 0.72, "test_micro_f1": 0.71,
                                  "val_cpu_s": 10.0}]}
    history = {"eval_epoch": [10, 20, 30], "elapsed_s": [50.0, 100.0, 150.0], "val_micro_f1": [0.6, 0.73, 0.74],
               "test_micro_f1": [0.6, 0.715, 0.72], "elapsed_cpu_s": [40.0, 80.0, 120.0]}
    ours = [{"meta": {"dataset": "enc-x", "recipe": "fast"},
             "report": {"runs": [{"seed": 0, "epoch_s": 5.0, "history": history}]}}]
    table = tta.table(ours, [reference])
    row = table.splitlines()[-1]
    # the reference kept 71.00 at 1000 s; ours keeps 71.50 at 100 s: 10x
    assert "| enc-x | 0 | 71.00 | 1000 | 100 | 100 | 10.0x | 72.00 (fast) | 5.0 |" == row
    # on the CPU clock: the reference's 10 epochs of 80 s and two validations of 10 s; ours 80 s
    row = tta.table(ours, [reference], "cpu").splitlines()[-1]
    assert "| enc-x | 0 | 71.00 | 820 | 82 | 80 | 10.2x | 72.00 (fast) | 4.0 |" == row
    with pytest.raises(ValueError, match="test-every-eval"):
        tta.reference_curve({"evaluations": [{"epoch": 5, "elapsed_s": 1.0, "val_micro_f1": 0.5}]})
