import pytest
import torch

from hgnn.distill import measure_speedup, median_ms, mlp_student
from hgnn.models import HGNN

from distill_data import planted

pytestmark = pytest.mark.usefixtures("one_thread")


def test_median_ms_counts_the_call():
    import time

    assert median_ms(lambda: time.sleep(0.002), repeats=5) >= 2.0


def test_measure_speedup_reports_consistent_ratios():
    hg = planted()
    teacher, student = HGNN(16, 4).train(), mlp_student(16, 4).train()
    s = measure_speedup(teacher, student, hg, request=torch.tensor([3]), repeats=5)
    assert teacher.training and student.training                    # modes restored
    assert s["full_speedup"] == pytest.approx(s["teacher_full_ms"] / s["student_full_ms"])
    assert s["teacher_request_ms"] == min(s["teacher_full_ms"], s["teacher_request_local_ms"])
    assert s["request_speedup"] == pytest.approx(s["teacher_request_ms"] / s["student_request_ms"])
    assert 1 <= s["receptive_field_nodes"] <= hg.num_nodes and s["request_size"] == 1


def test_measure_speedup_one_hop_student_reads_its_wider_input():
    hg = planted()
    teacher, student = HGNN(16, 4), mlp_student(32, 4)
    s = measure_speedup(teacher, student, hg, request=torch.tensor([3]), repeats=3, student_input="one-hop")
    assert s["student_request_ms"] > 0 and s["student_full_ms"] > 0
    with pytest.raises(ValueError, match="32"):  # a features-only timing feeds 16 columns to a 32-column student
        measure_speedup(teacher, student, hg, repeats=3)
    with pytest.raises(ValueError, match="student_input must be one of"):
        measure_speedup(teacher, student, hg, repeats=3, student_input="two-hop")
