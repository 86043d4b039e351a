"""hgnn.train.plot_curves: writes an image, copes with runs of different lengths, rejects no runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from hgnn.train import plot_curves

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _matplotlib():
    pytest.importorskip("matplotlib")


def _history(epochs: int, offset: float = 0.0) -> dict[str, list[float]]:
    return {
        "loss": [1.0 / (e + 1) + offset for e in range(epochs)],
        "val_loss": [1.2 / (e + 1) + offset for e in range(epochs)],
        "train_acc": [min(1.0, 0.3 + 0.05 * e) for e in range(epochs)],
        "val_acc": [min(1.0, 0.25 + 0.04 * e) for e in range(epochs)],
    }


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")  # IHDR width, height


def test_writes_png(tmp_path):
    out = plot_curves([_history(20)], str(tmp_path / "curves.png"), title="hgnn on cora")
    assert isinstance(out, Path) and out == tmp_path / "curves.png"
    assert out.stat().st_size > 1000
    width, height = _png_size(out)
    assert width > height  # two panels side by side


def test_loss_only_history_has_one_panel(tmp_path):
    two = plot_curves([_history(10)], tmp_path / "two.png")
    one = plot_curves([{"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}], tmp_path / "one.png")
    assert _png_size(one)[0] < _png_size(two)[0]
    assert _png_size(one)[1] == _png_size(two)[1]


def test_runs_of_different_lengths(tmp_path):
    out = plot_curves([_history(30), _history(12, 0.1), _history(21, 0.2)], tmp_path / "many.png")
    assert out.read_bytes()[:8] == PNG_MAGIC


def test_creates_parent_directories_and_other_formats(tmp_path):
    out = plot_curves([_history(5)], tmp_path / "a" / "b" / "curves.svg")
    assert out.exists() and b"<svg" in out.read_bytes()[:2000]


def test_empty_raises(tmp_path):
    with pytest.raises(ValueError, match="histories is empty"):
        plot_curves([], tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_failed_save_keeps_the_previous_image(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    out = plot_curves([_history(5)], tmp_path / "curves.png")
    before = out.read_bytes()

    def write_then_fail(self, fname, *args, **kwargs):
        Path(fname).write_bytes(b"half an image")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", write_then_fail)
    with pytest.raises(OSError, match="No space"):
        plot_curves([_history(9)], out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]   # no temporary file left behind
