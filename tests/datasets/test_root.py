"""Root resolution, checksum verification and the (monkeypatched) download path."""
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
    """No HGNN_DATA; the working folder is a fresh temporary folder."""
    monkeypatch.delenv("HGNN_DATA", raising=False)
    work = tmp_path / "cwd" / "inner"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return tmp_path


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
    monkeypatch.setenv("HGNN_DATA", f"{b}{root.os.pathsep}{c}")
    assert root.candidate_roots(a) == [a]  # an explicit root is the only one searched
    assert root.candidate_roots() == [b, c, root.cache_dir()]
    assert root.download_root(None) == b and root.download_root(a) == a


def test_no_folder_beside_the_project_is_searched(isolated):
    shared = (root.PROJECT_ROOT / ".." / "shared" / "datasets").resolve()
    roots = [r.resolve() for r in root.candidate_roots()]
    assert roots == [root.cache_dir().resolve()]
    assert shared not in roots


def test_cache_dir_is_project_datasets_in_checkout():
    assert root.cache_dir() == root.PROJECT_ROOT / "datasets"


def test_first_hgnn_data_folder_with_all_files_wins(isolated, monkeypatch):
    first, second = isolated / "r1", isolated / "r2"
    (first / "ds").mkdir(parents=True)
    (first / "ds" / "a.txt").write_text("a")  # incomplete: b.txt missing
    (second / "ds").mkdir(parents=True)
    for f in ("a.txt", "b.txt"):
        (second / "ds" / f).write_text(f)
    monkeypatch.setenv("HGNN_DATA", f"{first}{root.os.pathsep}{second}")
    assert find_root("ds", ["a.txt", "b.txt"]) == second
    assert root.resolve("x", "ds", ["a.txt", "b.txt"], download=False, checksums={}) == second / "ds"
    (first / "ds" / "b.txt").write_text("b")  # now complete: the first folder comes first
    assert root.resolve("x", "ds", ["a.txt", "b.txt"], download=False, checksums={}) == first / "ds"


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
    assert root.resolve("x", "ds", ["a.txt"], download=False, checksums={}) == have / "ds"
    with pytest.raises(FileNotFoundError, match=f"not in the data root '{empty}'") as info:
        root.resolve("x", "ds", ["a.txt"], root=empty, download=False, checksums={})
    assert "a.txt" in str(info.value)
    monkeypatch.setattr(root, "_fetch", lambda url, dest: (_ for _ in ()).throw(OSError("offline")))
    table = _table("ds", {"a.txt": b"a"})
    with pytest.raises(FileNotFoundError, match=str(empty)):
        root.resolve("x", "ds", ["a.txt"], root=empty, checksums=table)
    assert not (empty / "ds" / "a.txt").exists()


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


def test_download_success(monkeypatch, isolated):
    payload = {"a.txt": b"hello\n", "sub/b.txt": b"world\n"}
    table = _table("fake-set", payload)
    calls = []

    def fake_fetch(url, dest):
        calls.append(url)
        Path(dest).write_bytes(payload[url.split("example.invalid/")[1]])

    monkeypatch.setattr(root, "_fetch", fake_fetch)
    target = isolated / "dl"
    target.mkdir()
    folder = root.resolve("fake", "fake-set", list(payload), root=target, checksums=table)
    assert folder == target / "fake-set"
    assert (folder / "sub" / "b.txt").read_bytes() == b"world\n"
    assert sorted(calls) == sorted(f"https://example.invalid/{k}" for k in payload)
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["a.txt", "b.txt"]  # no temporary left
    # second call finds the files on disk: no new fetch
    calls.clear()
    root.resolve("fake", "fake-set", list(payload), root=target, checksums=table)
    assert calls == []


def test_download_checksum_mismatch_leaves_nothing(monkeypatch, isolated):
    table = _table("fake-set", {"a.txt": b"expected"})
    monkeypatch.setattr(root, "_fetch", lambda url, dest: Path(dest).write_bytes(b"tampered"))
    (isolated / "dl").mkdir()
    with pytest.raises(ChecksumError):
        root.resolve("fake", "fake-set", ["a.txt"], root=isolated / "dl", checksums=table)
    assert not [p for p in (isolated / "dl").rglob("*") if p.is_file()]


def test_download_failure_says_where_to_put_files(monkeypatch, isolated):
    def offline(url, dest):
        raise OSError("network unreachable")

    monkeypatch.setattr(root, "_fetch", offline)
    (isolated / "dl").mkdir()
    table = _table("fake-set", {"a.txt": b"x"})
    with pytest.raises(FileNotFoundError) as info:
        root.resolve("fake", "fake-set", ["a.txt", "b.txt"], root=isolated / "dl", checksums=table)
    msg = str(info.value)
    assert "fake-set" in msg and "a.txt" in msg and "HGNN_DATA" in msg
    assert "network unreachable" in msg and "no download URL" in msg  # b.txt has no entry
    with pytest.raises(FileNotFoundError, match="download=False"):
        root.resolve("fake", "fake-set", ["a.txt"], root=isolated / "dl", download=False, checksums=table)


def test_load_downloads_into_root(monkeypatch, isolated):
    """End to end through hgnn.datasets.load with a registered toy dataset and a fake fetch."""
    edges = b"0,1,2\n1,2\n"
    table = _table("toy-hg", {"edges.txt": edges})
    monkeypatch.setattr(root, "load_checksums", lambda path=None: table)
    monkeypatch.setattr(root, "_fetch", lambda url, dest: Path(dest).write_bytes(edges))

    def toy_loader(folder):
        from hgnn.datasets._common import index_from_ragged, make_hypergraph, read_ragged_ints

        nodes, sizes, _ = read_ragged_ints(folder / "edges.txt")
        return make_hypergraph(index_from_ragged(nodes, sizes), 3, sizes.size)

    datasets.register("toy-hg", toy_loader, family="test", subdir="toy-hg", files=("edges.txt",))
    (isolated / "dl").mkdir()
    try:
        hg = datasets.load("TOY_HG", root=isolated / "dl")
        assert (hg.num_nodes, hg.num_edges, hg.num_incidences) == (3, 2, 5)
        assert (isolated / "dl" / "toy-hg" / "edges.txt").read_bytes() == edges
    finally:
        registry._REGISTRY.pop("toy-hg", None)


def test_committed_checksums_cover_every_required_file():
    table = root.load_checksums()
    assert table, "datasets/CHECKSUMS.json is missing"
    for info in datasets.available():
        spec = get_spec(info.name)
        for f in spec.files:
            entry = table.get(f"{spec.subdir}/{f}")
            assert entry and len(entry["sha256"]) == 64, f"{info.name}: no checksum for {f}"
            assert entry["url"] == spec.url_for(f)
            if spec.url_base is not None:
                assert entry["url"].startswith("https://raw.githubusercontent.com/")


def test_shared_files_match_checksums():
    """Every file of every on-disk dataset hashes to its committed SHA-256."""
    table = root.load_checksums()
    checked = 0
    for info in datasets.available():
        if not info.on_disk:
            continue
        spec = get_spec(info.name)
        for f in spec.files:
            root.verify_file(Path(info.path) / f, table[f"{spec.subdir}/{f}"]["sha256"])
            checked += 1
    if not checked:
        pytest.skip("no dataset on disk")
