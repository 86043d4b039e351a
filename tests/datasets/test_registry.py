"""Registry: names, families, unknown names, registration."""
from __future__ import annotations

import pytest
import torch

from hgnn import datasets
from hgnn.datasets import registry

EXPECTED = {
    "hypergcn": {"cocitation-cora", "cocitation-citeseer", "cocitation-pubmed", "coauthorship-cora", "coauthorship-dblp"},
    "legcn": {"zoo", "mushroom", "ntu2012", "20newsw100"},
    "benson": {"house-committees", "senate-committees", "walmart-trips"},
    "imdb": {"imdb-magnn"},
    "enc": {"enc-emaileu", "enc-stackoverflowbiology", "enc-stackoverflowphysics", "enc-dblp"},
    "tu": {"tu-mutag", "tu-proteins", "tu-enzymes", "tu-nci1", "tu-ptc-mr", "tu-imdb-binary", "tu-imdb-multi"},
    "tu-gin": {"gin-mutag", "gin-proteins", "gin-enzymes", "gin-nci1", "gin-ptc", "gin-imdb-binary", "gin-imdb-multi"},
}


def test_available_lists_every_family():
    rows = datasets.available()
    by_family: dict[str, set] = {}
    for row in rows:
        by_family.setdefault(row.family, set()).add(row.name)
        assert isinstance(row.on_disk, bool)
        assert (row.path is not None) == row.on_disk
        assert row.task in ("node", "edge-dependent-node", "graph")
    for family, names in EXPECTED.items():
        assert names <= by_family.get(family, set()), family


def test_unknown_name_lists_available():
    with pytest.raises(ValueError) as info:
        datasets.load("cocitation-coraa")
    msg = str(info.value)
    assert "cocitation-coraa" in msg and "cocitation-cora" in msg and "walmart-trips" in msg
    assert "did you mean 'cocitation-cora'" in msg


def test_unknown_name_is_reported_even_when_a_data_folder_is_missing(monkeypatch):
    """The suggestion needs the registry only, not the data roots."""
    monkeypatch.setenv("HGNN_DATA", "/does/not/exist")
    with pytest.raises(ValueError, match="unknown dataset 'zooo'; did you mean 'zoo'"):
        datasets.get_spec("zooo")


def test_name_normalization():
    assert datasets.get_spec("Cocitation_Cora").name == "cocitation-cora"
    assert datasets.get_spec(" TU-PTC_MR ").name == "tu-ptc-mr"
    with pytest.raises(TypeError):
        datasets.get_spec(3)


def test_register_refuses_duplicates():
    with pytest.raises(ValueError, match="already registered"):
        datasets.register("zoo", lambda folder: None, family="x", subdir="zoo", files=())
    spec = datasets.register("tmp-dummy", lambda folder: folder, family="x", subdir="tmp", files=())
    try:
        assert spec.url_for("a.txt") is None
        assert datasets.get_spec("tmp_dummy") is spec
    finally:
        registry._REGISTRY.pop("tmp-dummy", None)


def test_load_hypergraph_passes_hypergraphs_through_and_rejects_the_rest():
    from hgnn import Hypergraph
    from hgnn.datasets import load_hypergraph

    hg = Hypergraph(torch.tensor([[0, 1], [0, 0]]))
    assert load_hypergraph(hg) == ("<Hypergraph>", hg)
    with pytest.raises(TypeError, match="name or a Hypergraph"):
        load_hypergraph(torch.zeros(2, 2))
    with pytest.raises(ValueError):
        load_hypergraph("no-such-dataset")


def test_load_hypergraph_names_a_dataset_that_is_not_one_hypergraph(monkeypatch):
    import hgnn.datasets.registry as registry

    monkeypatch.setattr(registry, "load", lambda name, root=None, **kwargs: ["a graph", "another graph"])
    with pytest.raises(TypeError, match="dataset 'tu-mutag' loads a list, not one Hypergraph"):
        registry.load_hypergraph("tu-mutag")
