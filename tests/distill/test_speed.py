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
