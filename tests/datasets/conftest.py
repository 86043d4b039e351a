"""Shared fixture for the dataset tests: load a dataset once per test module, or skip if absent."""
from __future__ import annotations

import warnings

import pytest

from hgnn.datasets import get_spec, load
from hgnn.datasets.root import find_root


@pytest.fixture(scope="module")
def load_or_skip():
    """``load_or_skip(name, **kwargs)``: the loaded dataset (cached per module), or ``pytest.skip``
    when its files are in no data root. Tests never download."""
    cache: dict = {}

    def _load(name: str, **kwargs):
        key = (name, tuple(sorted(kwargs.items())))
        if key not in cache:
            spec = get_spec(name)
            if find_root(spec.subdir, spec.files) is None:
                pytest.skip(
                    f"{name}: data files not on disk (looked for <root>/{spec.subdir}/ in every data root; "
                    "set HGNN_DATA or see hgnn/datasets/root.py); not downloading in tests"
                )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # synthetic-feature notices
                cache[key] = load(name, download=False, **kwargs)
        return cache[key]

    yield _load
    cache.clear()
