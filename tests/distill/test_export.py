import pickle

import pytest
import torch

from hgnn.distill import export_program, load_student, mlp_student, save_student


def _student():
    torch.manual_seed(0)
    s = mlp_student(12, 5, hidden_channels=32)
    s.train()
    s(torch.randn(64, 12))          # move the batch-norm running statistics off their defaults
    return s.eval()


def test_checkpoint_round_trip(tmp_path):
    s = _student()
    path = save_student(s, tmp_path / "s.pt", dataset="toy", accuracy=0.5)
    loaded, meta = load_student(path)
    x = torch.randn(7, 12)
    assert torch.equal(loaded(x), s(x)) and not loaded.training
    assert meta == {"dataset": "toy", "accuracy": 0.5}


def test_checkpoint_loading_never_unpickles_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("executed",))

    bad = tmp_path / "bad.pt"
    torch.save({"format": "hgnn.distill.student/1", "config": {}, "state_dict": {}, "x": Evil()}, bad)
    with pytest.raises(pickle.UnpicklingError):
        load_student(bad)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(ValueError, match="not a student checkpoint"):
        load_student(other)


def test_save_rejects_non_mlp(tmp_path):
    with pytest.raises(TypeError, match="MLP"):
        save_student(torch.nn.Linear(2, 2), tmp_path / "x.pt")


def test_torch_export_has_a_dynamic_batch():
    s = _student()
    program = export_program(s)
    module = program.module()
    for batch in (1, 3, 50):
        x = torch.randn(batch, 12)
        assert torch.allclose(module(x), s(x), atol=1e-6)
    with pytest.raises(ValueError, match="example"):
        export_program(s, torch.randn(4, 11))


def test_onnx_student_matches_pytorch(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from hgnn.distill import check_onnx, export_onnx

    s = _student()
    path = export_onnx(s, tmp_path / "s.onnx")
    for batch in (1, 9, 200):
        report = check_onnx(path, s, torch.randn(batch, 12))
        assert report["prediction_agreement"] == 1.0 and report["max_abs_diff"] < 1e-4
    other = _student()
    torch.nn.init.normal_(other.lins[1].weight)
    with pytest.raises(AssertionError, match="differs"):
        check_onnx(path, other, torch.randn(50, 12))
