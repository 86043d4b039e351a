"""Fixtures shared by the whole suite, and where the suite finds the real datasets.

The library reads data from the ``HGNN_DATA`` folders and its user cache (``~/.cache/hgnn``) only. The
Makefile sets ``HGNN_DATA`` to ``../shared/datasets`` when that folder exists beside the checkout;
so that ``pytest`` run by hand finds the same data, this file does the same when ``HGNN_DATA`` is
unset. Tests of data that is nowhere on disk skip.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

_SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
if not os.environ.get("HGNN_DATA", "").strip() and _SHARED_DATA.is_dir():
    os.environ["HGNN_DATA"] = str(_SHARED_DATA)


@pytest.fixture(scope="module")
def one_thread():
    """Pin torch to one intra-op thread for a module and restore the old count after it.

    The modules that use it train on tiny graphs: extra threads only add overhead, and on a busy
    2-core machine OpenMP contention makes each step ~100x slower. Opt in with
    ``pytestmark = pytest.mark.usefixtures("one_thread")``.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def disk_full(monkeypatch):
    """Make ``torch.save`` write a few bytes and then fail as a full disk does."""

    def save(obj, f, *args, **kwargs):
        if hasattr(f, "write"):
            f.write(b"partial")
        else:
            with open(f, "wb") as handle:
                handle.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", save)
