r"""Ship a distilled student: checkpoints that load without executing code, ``torch.export`` and ONNX.

* :func:`save_student` / :func:`load_student`: the MLP's constructor arguments and ``state_dict`` in
  one file of plain tensors and numbers, loaded with ``torch.load(weights_only=True)``; the stored
  configuration is checked against the stored weights before any model is built.
* :func:`export_program`: a ``torch.export`` program of ``student(x)``, ``x`` ``[batch, F]`` with a
  dynamic batch size (``torch.export.save`` writes it as ``.pt2``).
* :func:`export_onnx` and :func:`check_onnx`: an ONNX file (dynamic batch axis) and a check with
  ONNX Runtime that it gives the PyTorch student's outputs and predictions.

Every file is written atomically (:mod:`hgnn.io`): a write that fails leaves the previous file as it was.
"""
from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from hgnn.io import atomic_path, save_torch
from hgnn.nn import MLP
from hgnn.train.checkpoint import _check_storable

__all__ = ["save_student", "load_student", "export_program", "export_onnx", "check_onnx", "onnx_session"]

_FORMAT = "hgnn.distill.student/1"


def _config(student: MLP) -> dict[str, Any]:
    return {"in_channels": student.in_channels, "out_channels": student.out_channels,
            "hidden_channels": student.lins[0].out_features if len(student.lins) > 1 else student.out_channels,
            "num_layers": len(student.lins), "dropout": student.dropout,
            "use_bn": any(isinstance(n, torch.nn.BatchNorm1d) for n in student.norms)}


def save_student(student: MLP, path: str | Path, **metadata: Any) -> Path:
    """Write ``student`` (an :class:`~hgnn.nn.MLP`) and JSON-like ``metadata`` (numbers, strings,
    lists, dicts of those) to ``path``; :func:`load_student` reads it back.

    Missing parent folders are created. The file is replaced atomically: if the write fails, a
    previous file at ``path`` is left as it was.

    Raises:
        TypeError: ``student`` not an MLP, or a metadata value that ``torch.load(weights_only=True)``
            could not read back (e.g. a NumPy scalar: pass ``float(x)``).
    """
    if not isinstance(student, MLP):
        raise TypeError(f"student must be an hgnn.nn.MLP, got {type(student).__name__}")
    for key, value in metadata.items():  # what load_student could not read back is refused before writing
        _check_storable(value, f"metadata {key!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in student.state_dict().items()}
    return save_torch({"format": _FORMAT, "config": _config(student), "state_dict": state, "metadata": metadata},
                      path)


_SIZES = ("in_channels", "out_channels", "hidden_channels", "num_layers")


def _check_checkpoint(blob: dict, path: str | Path) -> tuple[dict[str, Any], dict[str, Tensor], dict[str, Any]]:
    """Check a student checkpoint's fields without building a model: ``(config, state_dict, metadata)``.

    Every configuration field must have its type and range, and the model it describes must have
    exactly the stored tensors' names and shapes, so a forged or damaged configuration can never
    make :func:`load_student` allocate more than the file holds.
    """
    where = f"student checkpoint {str(path)!r}"
    config, state, metadata = blob.get("config"), blob.get("state_dict"), blob.get("metadata", {})
    if not isinstance(config, dict):
        raise ValueError(f"{where}: 'config' must be a dict, got {type(config).__name__}")
    expected = set(_SIZES) | {"dropout", "use_bn"}
    if set(config) != expected:
        raise ValueError(f"{where}: config has fields {sorted(map(str, config))}, expected {sorted(expected)}; "
                         "the file is damaged or was not written by save_student")
    for key in _SIZES:
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{where}: config[{key!r}] must be an int >= 1, got {value!r}")
    dropout = config["dropout"]
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:  # NaN fails
        raise ValueError(f"{where}: config['dropout'] must be a float in [0, 1), got {dropout!r}")
    if not isinstance(config["use_bn"], bool):
        raise ValueError(f"{where}: config['use_bn'] must be a bool, got {config['use_bn']!r}")
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, Tensor) for k, v in state.items()):
        raise ValueError(f"{where}: 'state_dict' must be a dict of tensors")
    if not isinstance(metadata, dict):
        raise ValueError(f"{where}: 'metadata' must be a dict, got {type(metadata).__name__}")
    # Cheap bounds first, so that not even the shape-only model below can be made large: an MLP of
    # L layers stores at least 2 L tensors, and each size is a dimension of a stored tensor.
    largest = max((max(t.shape, default=1) for t in state.values()), default=0)
    if 2 * config["num_layers"] > len(state):
        raise ValueError(f"{where}: config['num_layers'] = {config['num_layers']} needs at least "
                         f"{2 * config['num_layers']} tensors, the file stores {len(state)}")
    for key in _SIZES[:3]:
        if config[key] > largest:
            raise ValueError(f"{where}: config[{key!r}] = {config[key]} but no stored tensor has a dimension "
                             f"that large (largest {largest}); the configuration does not match the weights")
    with torch.device("meta"):          # shapes only: nothing is allocated
        shapes = {k: tuple(v.shape) for k, v in MLP(**config).state_dict().items()}
    missing, extra = sorted(set(shapes) - set(state)), sorted(set(state) - set(shapes))
    if missing or extra:
        raise ValueError(f"{where}: the configuration does not match the weights (tensors missing from the file: "
                         f"{missing}; stored tensors the configuration has no place for: {extra})")
    for key, shape in shapes.items():
        if tuple(state[key].shape) != shape:
            raise ValueError(f"{where}: the configuration asks for {key} of shape {list(shape)}, the stored "
                             f"tensor is {list(state[key].shape)}")
    return config, state, metadata


def load_student(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[MLP, dict[str, Any]]:
    """Rebuild the student saved by :func:`save_student`: ``(student in eval mode, metadata)``.

    The file is read with ``torch.load(weights_only=True)``: it cannot execute code. Its stored
    configuration is checked before a model is built: every field's type and range, and that the
    model it describes has exactly the stored tensors' names and shapes.

    Raises:
        ValueError: the file is not a student checkpoint, or its configuration is malformed or
            disagrees with its weights.
        pickle.UnpicklingError: the file holds objects other than tensors and plain values (never
            loaded).
    """
    try:
        blob = torch.load(Path(path), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:  # torch's message would suggest weights_only=False: never do that here
        raise pickle.UnpicklingError(
            f"{path} holds objects other than tensors and plain values, which are never loaded, as loading them "
            "could run code; write students with hgnn.distill.save_student") from err
    if not isinstance(blob, dict) or blob.get("format") != _FORMAT:
        raise ValueError(f"{path} is not a student checkpoint written by hgnn.distill.save_student")
    config, state, metadata = _check_checkpoint(blob, path)
    student = MLP(**config)
    student.load_state_dict(state)
    return student.to(map_location).eval(), metadata


class _Plain(torch.nn.Module):
    """``student(x)`` with a single tensor argument (what exporters want)."""

    def __init__(self, student: torch.nn.Module) -> None:
        super().__init__()
        self.student = student

    def forward(self, x: Tensor) -> Tensor:
        return self.student(x)


def _example(student: MLP, example: Tensor | None) -> Tensor:
    if example is None:
        example = torch.randn(4, student.in_channels)
    if example.dim() != 2 or example.size(1) != student.in_channels:
        raise ValueError(f"example must be [batch, {student.in_channels}], got {tuple(example.shape)}")
    if example.size(0) < 2:
        raise ValueError("example needs >= 2 rows so that the batch dimension can be exported as dynamic")
    # a copy: a view would carry its whole base storage into the saved program's sample inputs
    return example.detach().clone().to(next(student.parameters()).device)


def export_program(student: MLP, example: Tensor | None = None) -> torch.export.ExportedProgram:
    """``torch.export`` the eval-mode student, batch dimension dynamic."""
    student = student.eval()
    example = _example(student, example)
    batch = torch.export.Dim("batch", min=1)
    return torch.export.export(_Plain(student).eval(), (example,), dynamic_shapes={"x": {0: batch}})


def export_onnx(student: MLP, path: str | Path, example: Tensor | None = None) -> Path:
    """Write the eval-mode student to ONNX (input ``x`` ``[batch, F]``, output ``logits`` ``[batch, C]``,
    batch dynamic). Needs the ``onnx`` and ``onnxscript`` packages (``pip install 'hgnn[export]'``).

    Missing parent folders are created. The file is replaced atomically: if the export fails, a
    previous file at ``path`` is left as it was.
    """
    student = student.eval()
    example = _example(student, example)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    batch = torch.export.Dim("batch", min=1)
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    quiet.setLevel(logging.ERROR)           # the exporter logs a warning per missing torchvision op
    try:
        with atomic_path(path) as tmp:
            torch.onnx.export(_Plain(student).eval(), (example,), str(tmp), input_names=["x"],
                              output_names=["logits"], dynamic_shapes={"x": {0: batch}}, dynamo=True,
                              external_data=False, verbose=False)
    finally:
        quiet.setLevel(level)
    return path


def onnx_session(path: str | Path, threads: int | None = None) -> Any:
    """An ONNX Runtime CPU ``InferenceSession`` for ``path`` (``threads`` intra-op threads)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def check_onnx(path: str | Path, student: MLP, x: Tensor, atol: float = 1e-4) -> dict[str, float]:
    """Run the ONNX file with ONNX Runtime on ``x`` and compare with the PyTorch student.

    Returns ``{"max_abs_diff", "prediction_agreement"}``; raises ``AssertionError`` when the
    predictions differ anywhere or the logits differ by more than ``atol``.
    """
    student = student.eval()
    with torch.no_grad():
        ref = student(x).cpu()
    out = torch.from_numpy(onnx_session(path).run(["logits"], {"x": x.detach().cpu().float().numpy()})[0])
    diff = float((out - ref).abs().max()) if ref.numel() else 0.0
    agree = float((out.argmax(1) == ref.argmax(1)).float().mean()) if ref.numel() else 1.0
    if diff > atol or agree < 1.0:
        raise AssertionError(f"ONNX student differs from PyTorch: max |diff| {diff:.2e}, agreement {agree:.4f}")
    return {"max_abs_diff": diff, "prediction_agreement": agree}
