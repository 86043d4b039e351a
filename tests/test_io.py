import json
import os

import pytest
import torch

from hgnn.io import atomic_open, atomic_path, check_output_path, save_torch, write_json


def test_write_json_replaces_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.json"
    write_json(path, {"a": 1})
    write_json(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_failed_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "out.json"
    write_json(path, {"good": True})
    with pytest.raises(RuntimeError):
        with atomic_open(path) as handle:
            handle.write('{"half": ')
            raise RuntimeError("disk full")
    assert json.loads(path.read_text()) == {"good": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    with pytest.raises(TypeError):  # not serialisable: nothing touched
        write_json(path, {"bad": object()})
    assert json.loads(path.read_text()) == {"good": True}


def test_failed_write_under_a_file_size_limit_keeps_the_previous_file(tmp_path):
    resource = pytest.importorskip("resource")
    import signal

    path = tmp_path / "big.bin"
    path.write_bytes(b"old")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, hard))
    try:
        with pytest.raises(OSError):
            with atomic_open(path, "wb") as handle:
                handle.write(b"x" * 4096)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert path.read_bytes() == b"old"


def test_atomic_path_keeps_suffix_and_permissions(tmp_path):
    path = tmp_path / "fig.png"
    with atomic_path(path) as tmp:
        assert tmp.suffix == ".png" and tmp.parent == tmp_path
        tmp.write_bytes(b"png")
    assert path.read_bytes() == b"png"
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_save_torch_round_trips(tmp_path):
    path = save_torch({"w": torch.arange(3)}, tmp_path / "ckpt.pt")
    assert torch.equal(torch.load(path, weights_only=True)["w"], torch.arange(3))


def test_check_output_path_errors(tmp_path):
    with pytest.raises(IsADirectoryError, match="--out"):
        check_output_path(tmp_path, "--out")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        check_output_path(tmp_path / "missing" / "out.json", "--out")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        check_output_path(tmp_path / "file" / "out.json")
    assert check_output_path(tmp_path / "ok.json") == tmp_path / "ok.json"
