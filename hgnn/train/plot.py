"""Training curves as a picture (matplotlib, imported lazily)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from hgnn.io import atomic_path

__all__ = ["plot_curves"]


def plot_curves(histories: Sequence[dict[str, list[float]]], path: str | Path, title: str = "") -> Path:
    """Draw loss and accuracy curves of one or more runs and save them to ``path``.

    Left panel: training loss and validation loss per epoch; right panel: training and validation
    accuracy (the ``train_*`` / ``val_*`` keys of :attr:`FitResult.history`). Each run is a thin
    line; with several runs their mean is drawn thick on top.

    Args:
        histories: ``FitResult.history`` dicts (runs may have different lengths: early stopping).
        path: output image (``.png``, ``.pdf``, ``.svg``, ...). Missing parent folders are created;
            the file is replaced atomically, so a failed save leaves a previous image as it was.
        title: figure title.

    Raises:
        ImportError: matplotlib is not installed (``pip install 'hgnn[plot]'``).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'hgnn[plot]'") from err
    import numpy as np

    if not histories:
        raise ValueError("histories is empty: nothing to plot")
    metric_keys = sorted({k for h in histories for k in h if k.startswith("train_")})
    metric = metric_keys[0][len("train_"):] if metric_keys else None
    panels = [("loss", ["loss", "val_loss"])]
    if metric:
        panels.append((metric, [f"train_{metric}", f"val_{metric}"]))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, (label, keys) in zip(axes[0], panels):
        for key, color in zip(keys, ("tab:blue", "tab:orange")):
            curves = [np.asarray(h[key]) for h in histories if key in h]
            for c in curves:
                ax.plot(c, color=color, alpha=0.25 if len(curves) > 1 else 1.0, linewidth=0.8)
            if len(curves) > 1:
                length = min(len(c) for c in curves)
                ax.plot(np.mean([c[:length] for c in curves], axis=0), color=color, linewidth=2)
            ax.plot([], [], color=color, label="train loss" if key == "loss" else key.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=120)
    finally:
        plt.close(fig)
    return path
