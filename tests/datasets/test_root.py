"""Root resolution, checksum verification and the (monkeypatched) download path."""
from __future__ import annotations

import hashlib
import shutil
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
    """No HGNN_DATA, and a cwd without any shared/ folder next to it."""
    monkeypatch.delenv("HGNN_DATA", raising=False)
    work = tmp_path / "cwd" / "inner"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return tmp_path


def test_candidate_order(monkeypatch, tmp_path):
    a, b, c = tmp_path / "arg", tmp_path / "env1", tmp_path / "env2"
    monkeypatch.setenv("HGNN_DATA", f"{b}{root.os.pathsep}{c}")
    roots = root.candidate_roots(a)
    assert roots[:3] == [a, b, c]
    assert roots[3] == root.cache_dir()
    shared = (root.PROJECT_ROOT / ".." / "shared" / "datasets").resolve()
    assert shared in [r.resolve() for r in roots[4:]]
    assert root.download_root(None) == b and root.download_root(a) == a


def test_cache_dir_is_project_datasets_in_checkout():
    assert root.cache_dir() == root.PROJECT_ROOT / "datasets"


def test_first_root_with_all_files_wins(isolated, monkeypatch):
    first, second = isolated / "r1", isolated / "r2"
    (first / "ds").mkdir(parents=True)
    (first / "ds" / "a.txt").write_text("a")  # incomplete: b.txt missing
    (second / "ds").mkdir(parents=True)
    for f in ("a.txt", "b.txt"):
        (second / "ds" / f).write_text(f)
    monkeypatch.setenv("HGNN_DATA", str(second))
    assert find_root("ds", ["a.txt", "b.txt"], first) == second
    assert root.resolve("x", "ds", ["a.txt", "b.txt"], root=first, download=False, checksums={}) == second / "ds"
    (first / "ds" / "b.txt").write_text("b")  # now complete: the root argument comes first
    assert root.resolve("x", "ds", ["a.txt", "b.txt"], root=first, download=False, checksums={}) == first / "ds"


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


def test_checksum_mismatch_on_real_dataset(isolated):
    spec = get_spec("zoo")
    base = find_root(spec.subdir, spec.files)
    if base is None:
        pytest.skip("zoo not on disk")
    target = isolated / "data" / spec.subdir
    shutil.copytree(base / spec.subdir, target)
    datasets.load("zoo", root=isolated / "data", download=False)  # intact copy loads
    edges = target / "zoo.edges"
    edges.write_bytes(edges.read_bytes().replace(b"2\t101", b"3\t101", 1))
    with pytest.raises(ChecksumError):
        datasets.load("zoo", root=isolated / "data", download=False)


def test_download_success(monkeypatch, isolated):
    payload = {"a.txt": b"hello\n", "sub/b.txt": b"world\n"}
    table = _table("fake-set", payload)
    calls = []

    def fake_fetch(url, dest):
        calls.append(url)
        Path(dest).write_bytes(payload[url.split("example.invalid/")[1]])

    monkeypatch.setattr(root, "_fetch", fake_fetch)
    target = isolated / "dl"
    folder = root.resolve("fake", "fake-set", list(payload), root=target, checksums=table)
    assert folder == target / "fake-set"
    assert (folder / "sub" / "b.txt").read_bytes() == b"world\n"
    assert sorted(calls) == sorted(f"https://example.invalid/{k}" for k in payload)
    assert not list(folder.rglob("*.part"))
    # second call finds the files on disk: no new fetch
    calls.clear()
    root.resolve("fake", "fake-set", list(payload), root=target, checksums=table)
    assert calls == []


def test_download_checksum_mismatch_leaves_nothing(monkeypatch, isolated):
    table = _table("fake-set", {"a.txt": b"expected"})
    monkeypatch.setattr(root, "_fetch", lambda url, dest: Path(dest).write_bytes(b"tampered"))
    with pytest.raises(ChecksumError):
        root.resolve("fake", "fake-set", ["a.txt"], root=isolated / "dl", checksums=table)
    assert not any((isolated / "dl").rglob("a.txt*"))


def test_download_failure_says_where_to_put_files(monkeypatch, isolated):
    def offline(url, dest):
        raise OSError("network unreachable")

    monkeypatch.setattr(root, "_fetch", offline)
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
