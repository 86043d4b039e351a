"""Fixtures shared by the whole suite."""
from __future__ import annotations

import pytest
import torch


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
