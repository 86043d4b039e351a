import pickle
from pathlib import Path

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
    with pytest.raises(pickle.UnpicklingError, match="never loaded") as caught:
        load_student(bad)
    assert "weights_only=False" not in str(caught.value)
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


# ---------------------------------------------------------------- atomic writes
def _write_then_fail(target) -> None:
    """What a serializer cut short does: part of the bytes, then an error."""
    if isinstance(target, (str, Path)):
        with open(target, "wb") as handle:
            handle.write(b"half a file")
    else:
        target.write(b"half a file")
    raise OSError(28, "No space left on device")


def test_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    s = _student()
    path = save_student(s, tmp_path / "s.pt", dataset="toy")
    before = path.read_bytes()
    monkeypatch.setattr(torch, "save", lambda obj, f, *args, **kwargs: _write_then_fail(f))
    with pytest.raises(OSError, match="No space"):
        save_student(_student(), path, dataset="other")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_student(path)[1] == {"dataset": "toy"}
    assert [p.name for p in tmp_path.iterdir()] == ["s.pt"]     # no temporary file left behind


def test_failed_onnx_export_keeps_the_previous_file(tmp_path, monkeypatch):
    from hgnn.distill import export_onnx

    path = tmp_path / "s.onnx"
    path.write_bytes(b"the previous model")
    monkeypatch.setattr(torch.onnx, "export", lambda model, args, f, *a, **kw: _write_then_fail(f))
    with pytest.raises(OSError, match="No space"):
        export_onnx(_student(), path)
    assert path.read_bytes() == b"the previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["s.onnx"]


# ---------------------------------------------------------------- forged checkpoints
def _forge(tmp_path, config_changes=None, state_changes=None, drop=()):
    s = _student()
    blob = torch.load(save_student(s, tmp_path / "s.pt"), weights_only=True)
    blob["config"].update(config_changes or {})
    blob["state_dict"].update(state_changes or {})
    for key in drop:
        blob["config"].pop(key)
    torch.save(blob, tmp_path / "forged.pt")
    return tmp_path / "forged.pt"


@pytest.mark.parametrize("changes, message", [
    ({"in_channels": 200_000, "hidden_channels": 200_000}, "200000 but no stored tensor"),  # 200k x 200k
    ({"hidden_channels": 4096}, "hidden_channels"),
    ({"hidden_channels": -32}, "hidden_channels'] must be an int >= 1"),
    ({"out_channels": 0}, "out_channels'] must be an int >= 1"),
    ({"in_channels": "12"}, "in_channels'] must be an int"),
    ({"in_channels": 12.0}, "in_channels'] must be an int"),
    ({"num_layers": True}, "num_layers'] must be an int"),
    ({"num_layers": 10**12}, "num_layers.*tensors"),
    ({"num_layers": 3}, "num_layers.*tensors|does not match"),
    ({"dropout": float("nan")}, r"dropout'\] must be a float in \[0, 1\)"),
    ({"dropout": 1.5}, r"dropout'\] must be a float in \[0, 1\)"),
    ({"use_bn": 1}, "use_bn'] must be a bool"),
    ({"use_bn": False}, "does not match the weights"),
    ({"extra": 1}, "config has fields"),
])
def test_forged_config_is_refused_before_building(tmp_path, changes, message):
    with pytest.raises(ValueError, match=message):
        load_student(_forge(tmp_path, changes))


def test_config_must_agree_with_the_stored_weights(tmp_path):
    with pytest.raises(ValueError, match="config has fields"):
        load_student(_forge(tmp_path, drop=("dropout",)))
    # same names, other shapes: a config that agrees with itself but not with the weights
    swapped = {"lins.1.weight": torch.zeros(5, 64)}
    with pytest.raises(ValueError, match=r"lins.1.weight of shape \[5, 32\], the stored tensor is \[5, 64\]"):
        load_student(_forge(tmp_path, state_changes=swapped))
    with pytest.raises(ValueError, match="tensors missing|has no place for"):
        load_student(_forge(tmp_path, state_changes={"lins.2.weight": torch.zeros(1)}))


def test_save_refuses_metadata_it_could_not_read_back(tmp_path):
    import numpy as np

    from hgnn.distill import mlp_student

    with pytest.raises(TypeError, match="metadata 'acc' is a numpy.float64"):
        save_student(mlp_student(4, 3, 16), tmp_path / "s.pt", acc=np.float64(0.5))
    assert not (tmp_path / "s.pt").exists()
