"""Downloads with pooch, against an HTTP server on 127.0.0.1 serving a temporary folder: a good
file lands verified under its final name, a tampered one raises and leaves nothing behind."""
from __future__ import annotations

import functools
import hashlib
import shutil
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hgnn import datasets
from hgnn.datasets import ChecksumError, get_spec, registry, root

pytest.importorskip("pooch")


class _Handler(SimpleHTTPRequestHandler):
    """Serves a folder, quietly, and records the paths asked for."""

    requested: list[str]

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.requested.append(self.path)
        super().do_GET()

    def log_message(self, format, *args):  # noqa: A002 (the signature http.server calls)
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """``(served folder, base URL, list of requested paths)``; no proxy is used for 127.0.0.1."""
    served = tmp_path / "served"
    served.mkdir()
    requested: list[str] = []
    handler = type("Handler", (_Handler,), {"requested": requested})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(served)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")
    monkeypatch.delenv("HGNN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    try:
        yield served, f"http://127.0.0.1:{httpd.server_port}/", requested
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _entry(data: bytes, url: str) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "url": url}


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_good_files_download_verified_into_the_root(server, tmp_path):
    served, url, requested = server
    payload = {"a.txt": b"hello\n", "splits/1.txt": b"0 1 2\n"}
    table = {}
    for name, data in payload.items():
        (served / name).parent.mkdir(parents=True, exist_ok=True)
        (served / name).write_bytes(data)
        table[f"fake-set/{name}"] = _entry(data, url + name)
    target = tmp_path / "dl"
    target.mkdir()
    folder = root.resolve("fake", "fake-set", list(payload), root=target, checksums=table)
    assert folder == target / "fake-set"
    assert {name: (folder / name).read_bytes() for name in payload} == payload
    assert _files(target) == ["fake-set/a.txt", "fake-set/splits/1.txt"]  # no temporary file left
    assert sorted(requested) == ["/a.txt", "/splits/1.txt"]
    requested.clear()
    root.resolve("fake", "fake-set", list(payload), root=target, checksums=table)
    assert requested == []  # found on disk: not downloaded again


def test_tampered_download_raises_and_leaves_no_file(server, tmp_path):
    served, url, _ = server
    (served / "a.txt").write_bytes(b"tampered")
    table = {"fake-set/a.txt": _entry(b"expected", url + "a.txt")}
    target = tmp_path / "dl"
    target.mkdir()
    with pytest.raises(ChecksumError, match=r"a\.txt.*does not match its known SHA-256"):
        root.resolve("fake", "fake-set", ["a.txt"], root=target, checksums=table)
    assert _files(target) == []


def test_unreachable_origin_says_where_to_put_the_files(server, tmp_path):
    served, url, _ = server
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    table = {"fake-set/a.txt": _entry(b"x", closed + "a.txt"), "fake-set/c.txt": _entry(b"y", url + "c.txt")}
    target = tmp_path / "dl"
    target.mkdir()
    with pytest.raises(FileNotFoundError) as info:
        root.resolve("fake", "fake-set", ["a.txt", "b.txt", "c.txt"], root=target, checksums=table)
    msg = str(info.value)
    assert f"not in the data root '{target}'" in msg and "a.txt" in msg
    assert "ConnectionError" in msg  # a.txt: nothing listens
    assert "b.txt: no download URL or checksum is known" in msg
    assert "404" in msg  # c.txt is not served
    assert _files(target) == []


def test_download_goes_to_the_user_cache_without_a_root(server, tmp_path):
    served, url, _ = server
    (served / "a.txt").write_bytes(b"cached\n")
    table = {"fake-set/a.txt": _entry(b"cached\n", url + "a.txt")}
    folder = root.resolve("fake", "fake-set", ["a.txt"], checksums=table)
    assert folder == tmp_path / "xdg" / "hgnn" / "datasets" / "fake-set"
    assert (folder / "a.txt").read_bytes() == b"cached\n"


def test_load_downloads_a_registered_dataset(server, tmp_path):
    """End to end through load: register with an origin and its checksums, download, read."""
    served, url, _ = server
    edges = b"0,1,2\n1,2\n"
    (served / "edges.txt").write_bytes(edges)

    def toy_loader(folder):
        from hgnn.datasets._common import index_from_ragged, make_hypergraph, read_ragged_ints

        nodes, sizes, _ = read_ragged_ints(folder / "edges.txt")
        return make_hypergraph(index_from_ragged(nodes, sizes), 3, sizes.size)

    datasets.register("toy-hg", toy_loader, family="test", subdir="toy-hg", files=("edges.txt",), url_base=url,
                      checksums={"edges.txt": hashlib.sha256(edges).hexdigest()})
    try:
        hg = datasets.load("TOY_HG")
        assert (hg.num_nodes, hg.num_edges, hg.num_incidences) == (3, 2, 5)
        assert (tmp_path / "xdg" / "hgnn" / "datasets" / "toy-hg" / "edges.txt").read_bytes() == edges
    finally:
        registry._REGISTRY.pop("toy-hg", None)


@pytest.fixture(scope="module")
def zoo_source():
    """``(data root holding zoo, zoo loaded from it)``, found before a test changes HGNN_DATA."""
    spec = get_spec("zoo")
    base = root.find_root(spec.subdir, spec.files)
    if base is None:
        pytest.skip("zoo not on disk")
    return base, datasets.load("zoo", download=False)


def test_real_dataset_downloads_against_its_pinned_checksums(zoo_source, server, tmp_path, monkeypatch):
    """zoo's original files, served locally: load downloads them, checked against the packaged
    SHA-256s, and reads the same hypergraph as from the suite's copy."""
    base, reference = zoo_source
    spec = get_spec("zoo")
    served, url, _ = server
    table = dict(root.load_checksums())
    for f in spec.files:
        shutil.copy(base / spec.subdir / f, served / f)
        table[f"{spec.subdir}/{f}"] = {**table[f"{spec.subdir}/{f}"], "url": url + f}
    monkeypatch.setattr(root, "load_checksums", lambda path=None: table)
    target = tmp_path / "dl"
    target.mkdir()
    hg = datasets.load("zoo", root=target)
    assert _files(target) == sorted(f"{spec.subdir}/{f}" for f in spec.files)
    assert hg.hyperedge_index.equal(reference.hyperedge_index) and hg.y.equal(reference.y)
