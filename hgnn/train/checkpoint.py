r"""Training checkpoints that resume exactly: weights, optimizer, scheduler, epoch and RNG states.

:func:`save_checkpoint` writes, atomically (:func:`hgnn.io.save_torch`), one file holding

* ``model``: the model's ``state_dict()`` (the wrapped module's, for ``DistributedDataParallel``);
* ``optimizer`` / ``scheduler``: their ``state_dict()`` (Adam's moments and step counts, the
  scheduler's epoch counter and learning rates), or ``None``;
* ``epoch``: the epoch just finished (a resumed run starts at ``epoch + 1``);
* ``rng``: :func:`rng_state` of this process (torch's CPU generator, every CUDA device's, NumPy's
  global ``np.random`` state and Python's ``random``), or a list of them, one per process;
* ``extra``: whatever else the caller passes as keywords (best-so-far score and epoch, a config).

Everything is stored as tensors, numbers, strings, lists and dicts, so :func:`load_checkpoint`
reads it with ``torch.load(weights_only=True)``: a checkpoint cannot run code when it is loaded.

**Guarantee.** Save at the end of epoch :math:`k`, after everything that epoch draws random
numbers for (shuffling, sampling, dropout, evaluation). A fresh process that builds the same
model, optimizer, scheduler and data loaders (any initial weights and RNG states), calls
:func:`load_checkpoint` and trains epochs :math:`k+1, \dots, N` ends with the same weights and
optimizer state, bit for bit on the CPU, as a run that trained epochs :math:`0, \dots, N` without
stopping. This holds when every random draw comes from the global generators captured here, or
from generators re-seeded from the epoch (``DistributedSampler.set_epoch``); a ``DataLoader``
with ``shuffle=True`` draws its permutation (and its workers' seeds) from torch's global
generator when each epoch's iteration starts, so it is covered. Not captured: a position inside
an epoch (checkpoints are taken at epoch boundaries), and ``torch.Generator`` /
``numpy.random.Generator`` objects of your own (store their ``get_state()`` /
``bit_generator.state`` through ``extra``). On GPUs the states are restored too, but
non-deterministic kernels can still make runs differ.
"""
from __future__ import annotations

import os
import random
import warnings
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from hgnn.io import save_torch

__all__ = ["CHECKPOINT_FORMAT", "load_checkpoint", "rng_state", "save_checkpoint", "set_rng_state"]

CHECKPOINT_FORMAT = "hgnn.checkpoint"
"""The ``format`` entry every checkpoint written by :func:`save_checkpoint` carries."""

_VERSION = 1
_MT_WORDS = 624  # Mersenne Twister state words (NumPy's MT19937; Python's has one more, the position)
_RESERVED = ("format", "version", "model", "optimizer", "scheduler", "epoch", "rng", "extra")


def rng_state() -> dict:
    """The state of every global random number generator of this process, as plain data.

    Returns:
        ``{"torch": uint8 tensor, "cuda": [uint8 tensor per CUDA device] (empty without CUDA),
        "numpy": {"keys": int64 tensor [624], "pos": int, "has_gauss": int, "cached_gaussian": float},
        "python": {"version": int, "state": [625 ints], "gauss": float or None}}``; pass it to
        :func:`set_rng_state` to continue every generator exactly from here. NumPy's 32-bit
        Mersenne Twister words are kept in an int64 tensor: uint32 tensors cannot travel through
        ``torch.distributed.all_gather_object`` or ``multiprocessing`` queues.
    """
    _, keys, pos, has_gauss, cached = np.random.get_state()
    version, words, gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": list(torch.cuda.get_rng_state_all()) if torch.cuda.is_available() else [],
        "numpy": {"keys": torch.from_numpy(np.asarray(keys, dtype=np.uint32).astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "python": {"version": int(version), "state": [int(w) for w in words],
                   "gauss": None if gauss is None else float(gauss)},
    }


def _check_rng(state: Any, where: str, fix: str = "pass a dict returned by hgnn.train.checkpoint.rng_state()") -> None:
    """Raise ``ValueError`` naming ``where`` unless ``state`` has :func:`rng_state`'s layout."""
    def bad(what: str) -> ValueError:
        return ValueError(f"{where}: {what}; {fix}")

    if not isinstance(state, dict) or set(state) != {"torch", "cuda", "numpy", "python"}:
        raise bad("expected an RNG state with the keys 'torch', 'cuda', 'numpy', 'python'")
    t = state["torch"]
    size = torch.get_rng_state().numel()
    if not isinstance(t, torch.Tensor) or t.dtype != torch.uint8 or tuple(t.shape) != (size,):
        raise bad(f"'torch' must be a uint8 tensor of {size} bytes (torch.get_rng_state())")
    cuda = state["cuda"]
    if not isinstance(cuda, list) or not all(isinstance(c, torch.Tensor) and c.dtype == torch.uint8 for c in cuda):
        raise bad("'cuda' must be a list of uint8 tensors")
    npy = state["numpy"]
    if (not isinstance(npy, dict) or set(npy) != {"keys", "pos", "has_gauss", "cached_gaussian"}
            or not isinstance(npy["keys"], torch.Tensor) or npy["keys"].dtype != torch.int64
            or tuple(npy["keys"].shape) != (_MT_WORDS,) or npy["keys"].min() < 0 or npy["keys"].max() >= 2**32):
        raise bad(f"'numpy' must hold 'keys' (an int64 tensor of {_MT_WORDS} values in [0, 2**32)), 'pos', "
                  "'has_gauss', 'cached_gaussian'")
    if (type(npy["pos"]) is not int or not 0 <= npy["pos"] <= _MT_WORDS or type(npy["has_gauss"]) is not int
            or npy["has_gauss"] not in (0, 1) or type(npy["cached_gaussian"]) is not float):
        raise bad(f"'numpy' needs an int 'pos' in [0, {_MT_WORDS}], 'has_gauss' 0 or 1 and a float 'cached_gaussian'")
    py = state["python"]
    if (not isinstance(py, dict) or set(py) != {"version", "state", "gauss"} or type(py["version"]) is not int
            or not isinstance(py["state"], list) or len(py["state"]) != _MT_WORDS + 1
            or not all(type(w) is int for w in py["state"])
            or not (py["gauss"] is None or type(py["gauss"]) is float)):
        raise bad(f"'python' must hold an int 'version', 'state' (a list of {_MT_WORDS + 1} ints) and 'gauss'")


def set_rng_state(state: dict) -> None:
    """Restore every global generator from :func:`rng_state`'s output (validated first).

    CUDA states are restored on the first ``min(saved, available)`` devices; a state saved with
    CUDA and restored without it (or with a different number of devices) warns, since the
    CUDA draws then cannot repeat.

    Raises:
        ValueError: ``state`` does not have :func:`rng_state`'s layout (nothing is changed then).
    """
    _check_rng(state, "state")
    npy, py = state["numpy"], state["python"]
    # Python's own check (a position word beyond 624, a wrong version) runs before anything is set.
    python_state = (py["version"], tuple(py["state"]), py["gauss"])
    current = random.getstate()
    try:
        random.setstate(python_state)
    except (TypeError, ValueError) as err:
        random.setstate(current)
        raise ValueError(f"state: 'python' is not a valid random.getstate() value ({err})") from None
    keys = npy["keys"].numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, npy["pos"], npy["has_gauss"], npy["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    cuda = state["cuda"]
    available = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if cuda and len(cuda) != available:
        warnings.warn(f"the RNG state holds {len(cuda)} CUDA generator(s) but {available} CUDA device(s) are "
                      f"available; restored {min(len(cuda), available)}, so CUDA random draws will differ",
                      RuntimeWarning, stacklevel=2)
    for device, s in enumerate(cuda[:available]):
        torch.cuda.set_rng_state(s, device)


_PLAIN = (type(None), bool, int, float, complex, str, bytes, bytearray, torch.dtype, torch.device, torch.Size)


def _check_storable(obj: Any, where: str) -> None:
    """Raise ``TypeError`` naming ``where`` if ``torch.load(weights_only=True)`` could not read ``obj`` back."""
    kind = type(obj)
    if kind in _PLAIN or isinstance(obj, torch.Tensor):
        return
    if kind in (dict, OrderedDict, Counter):
        for key, value in obj.items():
            _check_storable(key, f"{where} key {key!r}")
            _check_storable(value, f"{where}[{key!r}]")
        return
    if kind in (list, tuple, set):
        for i, value in enumerate(obj):
            _check_storable(value, f"{where}[{i}]")
        return
    raise TypeError(f"{where} is a {kind.__module__}.{kind.__qualname__}, which torch.load(weights_only=True) "
                    "cannot read back; store plain numbers, strings, lists, dicts or tensors "
                    "(e.g. float(x) for a NumPy scalar, torch.from_numpy(a) for an array)")


def _module(model: nn.Module) -> nn.Module:
    """The module under a ``DataParallel`` / ``DistributedDataParallel`` wrapper (its keys carry no ``module.``)."""
    if isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
        return model.module
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def save_checkpoint(path: str | os.PathLike, *, model: nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    scheduler: Any = None, epoch: int, rng: dict | list[dict] | None = None, **extra: Any) -> Path:
    """Write a checkpoint to ``path`` atomically (the previous file survives a failed write).

    Args:
        path: the file (its folder must exist).
        model: the module (a ``DistributedDataParallel`` / ``DataParallel`` wrapper is unwrapped).
        optimizer: its state is saved when given.
        scheduler: a learning-rate scheduler (anything with ``state_dict()``), saved when given.
        epoch: the epoch just finished, counted from 0; a resumed run continues at ``epoch + 1``.
        rng: the RNG state(s) to store: ``None`` takes :func:`rng_state` now; or one such dict,
            or a list of them, one per process (e.g. gathered from every rank with
            ``torch.distributed.all_gather_object``).
        **extra: anything else to keep (``best={"val": 0.81, "epoch": 12}``): numbers, strings,
            lists, dicts, tensors. :func:`load_checkpoint` returns them.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        TypeError: an entry that ``torch.load(weights_only=True)`` could not read back (a NumPy
            scalar, an arbitrary object), named; checked before the file is touched.
        ValueError: a bad ``epoch``, ``rng``, or an ``extra`` keyword that is a reserved name.
    """
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < -1:
        raise ValueError(f"epoch must be an int >= -1 (the epoch just finished; -1 before the first), got {epoch!r}")
    clash = sorted(set(extra) & set(_RESERVED))
    if clash:
        raise ValueError(f"extra entries {clash} clash with the checkpoint's own entries {list(_RESERVED)}; "
                         "rename them")
    if rng is None:
        rng = rng_state()
    if isinstance(rng, list):
        if not rng:
            raise ValueError("rng must be an RNG state or a non-empty list of them (one per process)")
        for i, s in enumerate(rng):
            _check_rng(s, f"rng[{i}]")
    else:
        _check_rng(rng, "rng")
    if scheduler is not None and not callable(getattr(scheduler, "state_dict", None)):
        raise TypeError(f"scheduler must have a state_dict() method, got {type(scheduler).__name__}")
    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": _VERSION,
        "epoch": int(epoch),
        "model": _module(model).state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": rng,
        "extra": dict(extra),
    }
    for key, value in payload.items():
        _check_storable(value, key)
    return save_torch(payload, path)


def _check_model(state: Any, module: nn.Module, path: Path) -> None:
    if not isinstance(state, dict):
        raise ValueError(f"checkpoint {str(path)!r}: 'model' is not a state dict")
    want = module.state_dict()
    missing = [k for k in want if k not in state]
    unexpected = [k for k in state if k not in want]
    shapes = [f"{k}: {tuple(state[k].shape)} in the file, {tuple(want[k].shape)} in the model" for k in want
              if k in state and isinstance(state[k], torch.Tensor) and state[k].shape != want[k].shape]
    if missing or unexpected or shapes:
        parts = [f"missing {missing[:5]}"] if missing else []
        parts += [f"unexpected {unexpected[:5]}"] if unexpected else []
        raise ValueError(f"checkpoint {str(path)!r} does not fit the model ({'; '.join(parts + shapes[:5])}); "
                         "build the model with the configuration it was saved with")


def _check_optimizer(state: Any, optimizer: torch.optim.Optimizer, path: Path) -> None:
    if state is None:
        raise ValueError(f"checkpoint {str(path)!r} holds no optimizer state; pass optimizer=None to load weights only")
    groups = state.get("param_groups") if isinstance(state, dict) else None
    if not isinstance(groups, list) or not isinstance(state.get("state"), dict):
        raise ValueError(f"checkpoint {str(path)!r}: 'optimizer' is not an optimizer state dict")
    saved = [len(g.get("params", ())) if isinstance(g, dict) else -1 for g in groups]
    have = [len(g["params"]) for g in optimizer.param_groups]
    if saved != have:
        raise ValueError(f"checkpoint {str(path)!r}: the optimizer was saved with parameter groups of sizes {saved}, "
                         f"this one has {have}; build it over the same parameters")


def load_checkpoint(path: str | os.PathLike, *, model: nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    scheduler: Any = None, restore_rng: bool = True, rank: int | None = None,
                    map_location: Any = "cpu") -> dict:
    """Load a :func:`save_checkpoint` file into ``model`` (and ``optimizer``, ``scheduler``) and
    restore the RNG states, so that training continues exactly (module docstring).

    The file is read with ``torch.load(weights_only=True)`` and checked whole before anything is
    changed: a file of the wrong format, a model or optimizer that does not fit, or malformed RNG
    states raise and leave ``model``, ``optimizer`` and the generators as they were.

    Args:
        path: the checkpoint.
        model: the module to load the weights into (wrappers are unwrapped as on saving).
        optimizer: loads the saved optimizer state (an error if the file has none).
        scheduler: loads the saved scheduler state (an error if the file has none).
        restore_rng: restore the RNG states (:func:`set_rng_state`); ``False`` leaves them alone.
        rank: for a checkpoint holding one RNG state per process, which one to restore (default:
            this process's rank in the initialised ``torch.distributed`` group, else 0).
        map_location: where tensors are loaded (``torch.load``'s argument; default the CPU:
            ``load_state_dict`` moves them to the model's and optimizer's devices).

    Returns:
        ``{"epoch": int, "rng": the stored state(s), **extra}``: the epoch just finished when it
        was saved (continue at ``epoch + 1``) and the keywords given to :func:`save_checkpoint`.

    Raises:
        ValueError: the file is not a checkpoint that loads with ``weights_only=True`` or was not
            written by :func:`save_checkpoint`, or it does not fit the given model / optimizer /
            scheduler, or it has no RNG state for ``rank``; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # UnpicklingError, a truncated or foreign file, ...
        raise ValueError(f"checkpoint {str(path)!r} cannot be read with torch.load(weights_only=True) "
                         f"({type(err).__name__}): it is truncated, not a torch file, or it holds objects other "
                         "than tensors, numbers, strings, lists and dicts, which are never loaded, as loading "
                         "them could run code; write checkpoints with hgnn.train.checkpoint.save_checkpoint") from err
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{str(path)!r} is not an hgnn training checkpoint (no 'format': {CHECKPOINT_FORMAT!r} "
                         "entry); write checkpoints with hgnn.train.checkpoint.save_checkpoint")
    if type(ckpt.get("version")) is not int or ckpt["version"] > _VERSION:
        raise ValueError(f"checkpoint {str(path)!r} has version {ckpt.get('version')!r}; this hgnn reads versions "
                         f"up to {_VERSION} (upgrade hgnn)")
    missing = [k for k in _RESERVED if k not in ckpt]
    if missing:
        raise ValueError(f"checkpoint {str(path)!r} lacks the entries {missing}; it is damaged or was not written "
                         "by save_checkpoint")
    if type(ckpt["epoch"]) is not int or not isinstance(ckpt["extra"], dict):
        raise ValueError(f"checkpoint {str(path)!r}: 'epoch' must be an int and 'extra' a dict")
    module = _module(model)
    _check_model(ckpt["model"], module, path)
    if optimizer is not None:
        _check_optimizer(ckpt["optimizer"], optimizer, path)
    if scheduler is not None and not isinstance(ckpt["scheduler"], dict):
        raise ValueError(f"checkpoint {str(path)!r} holds no scheduler state; pass scheduler=None to skip it")
    rng = ckpt["rng"]
    states = rng if isinstance(rng, list) else [rng]
    for i, s in enumerate(states):
        where = f"checkpoint {str(path)!r}: rng" + (f"[{i}]" if isinstance(rng, list) else "")
        _check_rng(s, where, fix="the file is damaged or was not written by save_checkpoint")
    if restore_rng and isinstance(rng, list):
        if rank is None:
            distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
            rank = torch.distributed.get_rank() if distributed else 0
        if not 0 <= rank < len(rng):
            raise ValueError(f"checkpoint {str(path)!r} holds the RNG states of {len(rng)} process(es), none for "
                             f"rank {rank}; resume with {len(rng)} process(es) or pass restore_rng=False")
        restore = rng[rank]
    else:
        restore = rng
    module.load_state_dict(ckpt["model"])
    if optimizer is not None:
        optimizer.load_state_dict(ckpt["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(ckpt["scheduler"])
    if restore_rng:
        set_rng_state(restore)
    return {**ckpt["extra"], "epoch": ckpt["epoch"], "rng": rng}
