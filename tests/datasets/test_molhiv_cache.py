"""The ogbg-molhiv tensor cache: tied to the SHA-256 of the HIV.csv it was built from, rebuilt when
stale, forged, truncated or inconsistent, and written atomically. The featurisation is replaced by a
stub, so these tests need neither RDKit nor the real file."""
from __future__ import annotations

import hashlib

import pytest
import torch

pytest.importorskip("torch_geometric")

from hgnn.datasets import molhiv  # noqa: E402


def _tensors(label: int) -> dict[str, torch.Tensor]:
    """Two molecules: two bonded atoms, then one lone atom."""
    return {
        "x": torch.arange(27).view(3, 9), "edge_index": torch.tensor([[0, 1], [1, 0]]),
        "edge_attr": torch.zeros(2, 3, dtype=torch.long), "num_nodes": torch.tensor([2, 1]),
        "num_edges": torch.tensor([2, 0]), "y": torch.tensor([label, 0]),
        "split_train": torch.tensor([0]), "split_valid": torch.tensor([1]),
        "split_test": torch.tensor([], dtype=torch.long),
    }


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """``(folder with HIV.csv, cache file, list of build calls)``; the build returns ``_tensors``
    with the first molecule labelled by the CSV's last character."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # the cache goes to <XDG_CACHE_HOME>/hgnn/cache
    builds = []

    def fake_build(path):
        builds.append(path)
        return _tensors(int(path.read_text().strip()[-1]))

    monkeypatch.setattr(molhiv, "_build", fake_build)
    folder = tmp_path / "molhiv"
    folder.mkdir()
    (folder / "HIV.csv").write_text("smiles,activity,HIV_active\nCC,CI,1\n")
    return folder, tmp_path / "xdg" / "hgnn" / "cache" / "ogbg-molhiv.pt", builds


def test_cache_is_tied_to_the_csv(setup):
    folder, cache, builds = setup
    assert int(molhiv.load_molhiv(folder)[0].y) == 1 and len(builds) == 1
    stored = torch.load(cache, weights_only=True)
    assert stored["source_sha256"] == hashlib.sha256((folder / "HIV.csv").read_bytes()).hexdigest()
    assert int(molhiv.load_molhiv(folder)[0].y) == 1 and len(builds) == 1  # read back
    (folder / "HIV.csv").write_text("smiles,activity,HIV_active\nCC,CI,0\n")  # another file: stale cache
    assert int(molhiv.load_molhiv(folder)[0].y) == 0 and len(builds) == 2


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other source", "inconsistent", "plain tensors"])
def test_damaged_or_forged_cache_is_rebuilt(setup, damage):
    folder, cache, builds = setup
    molhiv.load_molhiv(folder)
    good = cache.read_bytes()
    stored = torch.load(cache, weights_only=True)
    if damage == "truncated":
        cache.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        cache.write_bytes(b"not a torch file")
    elif damage == "other source":
        torch.save({**stored, "source_sha256": "0" * 64, "tensors": _tensors(0)}, cache)
    elif damage == "inconsistent":  # right key, but the sizes do not add up
        torch.save({**stored, "tensors": {**stored["tensors"], "num_nodes": torch.tensor([5, 1])}}, cache)
    else:  # the format an older version wrote: the tensors alone
        torch.save(_tensors(0), cache)
    data = molhiv.load_molhiv(folder)
    assert len(builds) == 2 and int(data[0].y) == 1 and data[0].x.shape == (2, 9)
    assert torch.load(cache, weights_only=True)["source_sha256"] == stored["source_sha256"]


def test_failed_cache_write_keeps_the_old_cache(setup, request):
    folder, cache, builds = setup
    molhiv.load_molhiv(folder)
    before = cache.read_bytes()
    (folder / "HIV.csv").write_text("smiles,activity,HIV_active\nCC,CI,0\n")

    request.getfixturevalue("disk_full")
    with pytest.warns(UserWarning, match="could not write the cache"):
        data = molhiv.load_molhiv(folder)
    assert int(data[0].y) == 0  # the rebuilt data is still returned
    assert cache.read_bytes() == before
    assert sorted(p.name for p in cache.parent.iterdir()) == [cache.name]  # no temporary file left
