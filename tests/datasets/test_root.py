"""Root resolution, the user cache, and checksum verification (downloads: test_download.py)."""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest

from hgnn import datasets
from hgnn.datasets import ChecksumError, get_spec, registry, root
from hgnn.datasets.root import find_root


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _table(subdir: str, files: dict[str, bytes], url: str = "https://example.invalid/") -> dict:
    return {f"{subdir}/{name}": {"sha256": _sha(data), "size": len(data), "url": url + name} for name, data in files.items()}


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No HGNN_DATA, the user cache in ``tmp_path/xdg``; the working folder is a fresh temporary folder."""
    monkeypatch.delenv("HGNN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    work = tmp_path / "cwd" / "inner"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return tmp_path


def _folder(folder: Path) -> Path:
    """A loader that returns the folder it is given."""
    return folder


def _real_root(name: str) -> Path:
    """The data root holding the real files of ``name`` (found before a test changes HGNN_DATA)."""
    spec = get_spec(name)
    base = find_root(spec.subdir, spec.files)
    if base is None:
        pytest.skip(f"{name} not on disk")
    return base


def test_candidate_order(monkeypatch, tmp_path):
    a, b, c = tmp_path / "arg", tmp_path / "env1", tmp_path / "env2"
    for folder in (a, b, c):
        folder.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HGNN_DATA", f"{b}{root.os.pathsep}{c}")
    assert root.candidate_roots(a) == [a]  # an explicit root is the only one searched
    assert root.candidate_roots() == [b, c, tmp_path / "xdg" / "hgnn" / "datasets"]
    assert root.download_root(None) == b and root.download_root(a) == a
    monkeypatch.delenv("HGNN_DATA")
    assert root.download_root(None) == tmp_path / "xdg" / "hgnn" / "datasets"


def test_user_cache_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert root.cache_dir() == tmp_path / "xdg" / "hgnn"
    assert root.data_cache_dir() == tmp_path / "xdg" / "hgnn" / "datasets"
    assert root.derived_cache_dir() == tmp_path / "xdg" / "hgnn" / "cache"


@pytest.mark.parametrize("xdg", [None, "", "relative/cache"])
def test_user_cache_is_under_home_without_an_absolute_xdg_cache_home(monkeypatch, tmp_path, xdg):
    """Unset, empty or relative XDG_CACHE_HOME: ~/.cache/hgnn, never a folder of the working directory."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    monkeypatch.chdir(tmp_path)
    assert root.cache_dir() == tmp_path / "home" / ".cache" / "hgnn"
    assert root.data_cache_dir().is_absolute() and root.derived_cache_dir().is_absolute()


def test_no_folder_of_the_working_directory_or_the_package_is_searched(isolated, monkeypatch):
    """Only the user cache without HGNN_DATA: not the working directory, not the folders around the
    installed package (site-packages or a source checkout), whatever is there."""
    import sysconfig

    import hgnn

    monkeypatch.setenv("XDG_CACHE_HOME", str(isolated / "xdg"))
    cwd = Path.cwd()
    (cwd / "datasets" / "zoo").mkdir(parents=True)
    for f in get_spec("zoo").files:
        (cwd / "datasets" / "zoo" / f).write_text("x")
    roots = root.candidate_roots()
    assert roots == [isolated / "xdg" / "hgnn" / "datasets"]
    package = Path(hgnn.__file__).resolve().parent
    forbidden = [cwd, package.parent, Path(sysconfig.get_paths()["purelib"]).resolve()]
    for r in roots + [root.download_root(), root.derived_cache_dir()]:
        assert not any(r.resolve() == f or f in r.resolve().parents for f in forbidden), r
    assert find_root("zoo", get_spec("zoo").files) is None  # the files beside the working directory are not found


def test_first_hgnn_data_folder_with_all_files_wins(isolated, monkeypatch):
    first, second = isolated / "r1", isolated / "r2"
    (first / "ds").mkdir(parents=True)
    (first / "ds" / "a.txt").write_text("a")  # incomplete: b.txt missing
    (second / "ds").mkdir(parents=True)
    for f in ("a.txt", "b.txt"):
        (second / "ds" / f).write_text(f)
    monkeypatch.setenv("HGNN_DATA", f"{first}{root.os.pathsep}{second}")
    assert find_root("ds", ["a.txt", "b.txt"]) == second
    assert root.resolve("x", "ds", ["a.txt", "b.txt"], download=False, verify=False) == second / "ds"
    (first / "ds" / "b.txt").write_text("b")  # now complete: the first folder comes first
    assert root.resolve("x", "ds", ["a.txt", "b.txt"], download=False, verify=False) == first / "ds"


# --------------------------------------------------------------------------- explicit roots
def test_missing_root_is_an_error_naming_it(isolated):
    missing = isolated / "does" / "not" / "exist"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        datasets.load("zoo", root=missing)
    with pytest.raises(FileNotFoundError, match=str(missing)):
        datasets.available(root=missing)
    assert not missing.exists()  # nothing was created


def test_root_that_is_a_file_is_an_error_naming_it(isolated):
    a_file = isolated / "data.txt"
    a_file.write_text("not a folder")
    with pytest.raises(ValueError, match=f"{a_file}.*not a folder"):
        datasets.load("zoo", root=a_file)
    with pytest.raises(ValueError, match="empty string"):
        datasets.load("zoo", root="")
    with pytest.raises(TypeError, match="root must be a folder path"):
        datasets.load("zoo", root=3)


def test_missing_hgnn_data_folder_is_an_error_naming_it(isolated, monkeypatch):
    good, missing = isolated / "good", isolated / "missing"
    good.mkdir()
    monkeypatch.setenv("HGNN_DATA", str(missing))
    with pytest.raises(FileNotFoundError, match=f"HGNN_DATA folder '{missing}' does not exist"):
        datasets.load("zoo")
    monkeypatch.setenv("HGNN_DATA", f"{good}{root.os.pathsep}{missing}")  # every folder must exist
    with pytest.raises(FileNotFoundError, match=str(missing)):
        datasets.available()
    (isolated / "file").write_text("x")
    monkeypatch.setenv("HGNN_DATA", str(isolated / "file"))
    with pytest.raises(ValueError, match="not a folder"):
        datasets.load("zoo")


def test_explicit_root_without_the_dataset_does_not_fall_back(isolated, monkeypatch):
    """The files are in an HGNN_DATA folder, but root= names another folder: an error naming that
    root and the missing files, with or without a download attempt."""
    have, empty = isolated / "have", isolated / "empty"
    (have / "ds").mkdir(parents=True)
    (have / "ds" / "a.txt").write_text("a")
    empty.mkdir()
    monkeypatch.setenv("HGNN_DATA", str(have))
    table = _table("ds", {"a.txt": b"a"})
    assert root.resolve("x", "ds", ["a.txt"], download=False, checksums=table) == have / "ds"
    with pytest.raises(FileNotFoundError, match=f"not in the data root '{empty}'") as info:
        root.resolve("x", "ds", ["a.txt"], root=empty, download=False, checksums=table)
    assert "a.txt" in str(info.value)
    assert not (empty / "ds").exists()


def test_explicit_root_without_a_real_dataset_does_not_fall_back(tmp_path):
    """zoo is in a searched root (HGNN_DATA), but an empty root= is given: an error, not zoo."""
    _real_root("zoo")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=f"not in the data root '{empty}'"):
        datasets.load("zoo", root=empty, download=False)


def test_cli_root_or_hgnn_data_that_does_not_exist(isolated, monkeypatch, capsys):
    from hgnn.cli import main

    missing = isolated / "nowhere"
    assert main(["datasets", "--root", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err
    monkeypatch.setenv("HGNN_DATA", str(missing))
    assert main(["datasets"]) == 2
    assert f"HGNN_DATA folder '{missing}' does not exist" in capsys.readouterr().err


def test_checksum_mismatch_raises(isolated):
    good = b"1\t2\n"
    table = _table("ds", {"f.txt": good})
    (isolated / "data" / "ds").mkdir(parents=True)
    (isolated / "data" / "ds" / "f.txt").write_bytes(b"1\t3\n")
    with pytest.raises(ChecksumError, match="checksum mismatch"):
        root.resolve("x", "ds", ["f.txt"], root=isolated / "data", download=False, checksums=table)
    # verify=False accepts the file
    assert root.resolve("x", "ds", ["f.txt"], root=isolated / "data", download=False, verify=False, checksums=table)
    (isolated / "data" / "ds" / "f.txt").write_bytes(good)
    assert root.resolve("x", "ds", ["f.txt"], root=isolated / "data", download=False, checksums=table)


def test_edit_with_the_mtime_set_back_is_caught(tmp_path, monkeypatch):
    """Same size, mtime restored with os.utime: the second check still sees the new bytes."""
    good, bad = b"1\t2\n", b"1\t3\n"
    path = tmp_path / "f.txt"
    path.write_bytes(good)
    sha = _sha(good)
    root.verify_file(path, sha)
    before = path.stat()
    path.write_bytes(bad)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    with pytest.raises(ChecksumError):
        root.verify_file(path, sha)


def test_verified_files_are_remembered_until_their_ctime_changes(tmp_path, monkeypatch):
    real_time_ns = time.time_ns
    monkeypatch.setattr(root.time, "time_ns", lambda: real_time_ns() + 60 * 10**9)  # the file looks settled
    hashed = []
    real_sha = root.sha256_file
    monkeypatch.setattr(root, "sha256_file", lambda path, *a: hashed.append(path) or real_sha(path))
    good = b"0123456789"
    path = tmp_path / "f.bin"
    path.write_bytes(good)
    root.verify_file(path, _sha(good))
    root.verify_file(path, _sha(good))
    assert len(hashed) == 1  # remembered
    before = path.stat()
    time.sleep(0.05)  # past the file system's timestamp resolution
    path.write_bytes(b"9123456789")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(ChecksumError):
        root.verify_file(path, _sha(good))
    assert len(hashed) == 2


def test_recently_changed_files_are_hashed_on_every_check(tmp_path, monkeypatch):
    hashed = []
    real_sha = root.sha256_file
    monkeypatch.setattr(root, "sha256_file", lambda path, *a: hashed.append(path) or real_sha(path))
    path = tmp_path / "f.bin"
    path.write_bytes(b"x")
    for _ in range(2):
        root.verify_file(path, _sha(b"x"))
    assert len(hashed) == 2


def test_checksum_mismatch_on_real_dataset(monkeypatch, tmp_path):
    spec = get_spec("zoo")
    base = _real_root("zoo")
    monkeypatch.delenv("HGNN_DATA", raising=False)
    target = tmp_path / "data" / spec.subdir
    shutil.copytree(base / spec.subdir, target)
    datasets.load("zoo", root=tmp_path / "data", download=False)  # intact copy loads
    edges = target / "zoo.edges"
    edges.write_bytes(edges.read_bytes().replace(b"2\t101", b"3\t101", 1))
    with pytest.raises(ChecksumError):
        datasets.load("zoo", root=tmp_path / "data", download=False)


def test_committed_checksums_cover_every_required_file():
    table = root.load_checksums()
    assert table, "hgnn/datasets/data/checksums.json is missing"
    for info in datasets.available():
        spec = get_spec(info.name)
        for f in spec.files:
            entry = table.get(f"{spec.subdir}/{f}")
            assert entry and len(entry["sha256"]) == 64, f"{info.name}: no checksum for {f}"
            assert entry["url"] == spec.url_for(f)
            if spec.url_base is not None:
                assert entry["url"].startswith("https://raw.githubusercontent.com/")


def test_shared_files_match_checksums():
    """Every on-disk dataset resolves with verification on: each of its files, optional ones
    included, has a known SHA-256 and hashes to it."""
    checked = 0
    for info in datasets.available():
        if not info.on_disk:
            continue
        spec = get_spec(info.name)
        folder = root.resolve(spec.name, spec.subdir, spec.files, spec.optional_files, download=False,
                              checksums=spec.checksum_table())
        assert folder == Path(info.path)
        checked += 1
    if not checked:
        pytest.skip("no dataset on disk")


# --------------------------------------------------------------------------- no known checksum
def test_a_file_without_a_known_checksum_is_an_error(isolated):
    data = isolated / "data"
    (data / "ds").mkdir(parents=True)
    (data / "ds" / "f.txt").write_bytes(b"1\t2\n")
    (data / "ds" / "extra.txt").write_bytes(b"x")
    with pytest.raises(ChecksumError, match=r"no known SHA-256 for ds/f\.txt.*verify=False"):
        root.resolve("x", "ds", ["f.txt"], root=data, download=False, checksums={})
    table = _table("ds", {"f.txt": b"1\t2\n"})
    assert root.resolve("x", "ds", ["f.txt"], root=data, download=False, checksums=table) == data / "ds"
    # an optional file present on disk is verified too
    with pytest.raises(ChecksumError, match=r"ds/extra\.txt"):
        root.resolve("x", "ds", ["f.txt"], ["extra.txt"], root=data, download=False, checksums=table)
    assert root.resolve("x", "ds", ["f.txt"], ["extra.txt"], root=data, download=False, verify=False, checksums={})


def test_a_registered_dataset_is_verified_against_its_own_checksums(isolated):
    data = isolated / "data"
    (data / "mine").mkdir(parents=True)
    (data / "mine" / "edges.txt").write_bytes(b"0 1\n")
    sha = _sha(b"0 1\n")
    try:
        datasets.register("mine-unchecked", _folder, family="test", subdir="mine", files=("edges.txt",))
        with pytest.raises(ChecksumError, match=r"no known SHA-256 for mine/edges\.txt.*verify=False"):
            datasets.load("mine-unchecked", root=data, download=False)
        assert datasets.load("mine-unchecked", root=data, download=False, verify=False) == data / "mine"
        datasets.register("mine", _folder, family="test", subdir="mine", files=("edges.txt",),
                          checksums={"edges.txt": sha.upper()})
        assert datasets.load("mine", root=data, download=False) == data / "mine"
        (data / "mine" / "edges.txt").write_bytes(b"0 2\n")
        with pytest.raises(ChecksumError, match="checksum mismatch"):
            datasets.load("mine", root=data, download=False)
    finally:
        registry._REGISTRY.pop("mine", None)
        registry._REGISTRY.pop("mine-unchecked", None)


def test_register_checks_its_checksums():
    with pytest.raises(ValueError, match="not one of the dataset's files"):
        datasets.register("bad-sums", _folder, family="t", subdir="b", files=("a",), checksums={"b": "0" * 64})
    with pytest.raises(ValueError, match="64 hex digits"):
        datasets.register("bad-sums", _folder, family="t", subdir="b", files=("a",), checksums={"a": "xyz"})
    assert "bad-sums" not in registry._REGISTRY


# --------------------------------------------------------------------------- the packaged table
def test_checksum_table_is_package_data():
    import json
    from importlib import resources

    packaged = resources.files("hgnn.datasets") / "data" / "checksums.json"
    assert json.loads(packaged.read_text(encoding="utf-8"))["files"] == root.load_checksums()
    assert root.CHECKSUMS_FILE.is_file() and root.CHECKSUMS_FILE.parent.parent == Path(root.__file__).parent


def test_missing_checksum_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        root.load_checksums(tmp_path / "none.json")


def test_build_checksums_writes_the_table(tmp_path):
    """Rebuilt from a copy of zoo's files, the table is byte for byte the packaged one; a changed
    file changes its entry only."""
    spec = get_spec("zoo")
    base = _real_root("zoo")
    shutil.copytree(base / spec.subdir, tmp_path / "data" / spec.subdir)
    out = tmp_path / "checksums.json"
    table = root.build_checksums(tmp_path / "data", [spec], out=out)
    assert out.read_text(encoding="utf-8") == root.CHECKSUMS_FILE.read_text(encoding="utf-8")
    assert table["files"] == root.load_checksums()
    edges = tmp_path / "data" / spec.subdir / "zoo.edges"
    edges.write_bytes(edges.read_bytes() + b"\n")
    changed = root.build_checksums(tmp_path / "data", [spec], out=out)["files"]
    assert [k for k in changed if changed[k] != table["files"][k]] == ["zoo/zoo.edges"]
    assert root.load_checksums(out)["zoo/zoo.edges"]["sha256"] == _sha(edges.read_bytes())
