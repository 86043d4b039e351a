"""Graph classification: TU raw and GIN/DGCNN text sets; counts from the `tu` / `tu-gin` cards in datasets/README.md."""
from __future__ import annotations

import pytest
import torch

# name: graphs, class counts (sorted raw label order), nodes, undirected edges, x width, edge_attr width
TU = {
    "tu-mutag": (188, [63, 125], 3371, 3721, 7, 4),
    "tu-proteins": (1113, [663, 450], 43471, 81044, 3, 0),
    "tu-enzymes": (600, [100] * 6, 19580, 37282, 3, 0),
    "tu-nci1": (4110, [2053, 2057], 122747, 132753, 37, 0),
    "tu-imdb-binary": (1000, [500, 500], 19773, 96531, None, 0),
    "tu-imdb-multi": (1500, [500, 500, 500], 19502, 98903, None, 0),
    "tu-ptc-mr": (344, [192, 152], 4915, 5054, 18, 4),
}
# name: graphs, classes, avg nodes, avg edges, node tags (None: degree as tag), test fold size
GIN = {
    "gin-mutag": (188, 2, 17.93, 19.79, 7, 18),
    "gin-proteins": (1113, 2, 39.06, 72.82, 3, 111),
    "gin-enzymes": (600, 6, 32.63, 62.14, 3, 60),
    "gin-nci1": (4110, 2, 29.87, 32.30, 37, 411),
    "gin-imdb-binary": (1000, 2, 19.77, 96.53, None, 100),
    "gin-imdb-multi": (1500, 3, 13.00, 65.94, None, 150),
    "gin-ptc": (344, 2, 25.56, 25.96, 19, 34),
}


def _check_graph(g, width):
    ei = g.edge_index
    assert ei.dtype == torch.long and ei.size(0) == 2
    if ei.numel():
        assert int(ei.min()) >= 0 and int(ei.max()) < g.num_nodes
        pairs = set(map(tuple, ei.t().tolist()))
        assert len(pairs) == ei.size(1)  # no duplicates
        assert all((b, a) in pairs for a, b in pairs)  # undirected
    assert g.y.shape == (1,) and g.y.dtype == torch.long
    assert g.x.shape == (g.num_nodes, width) and g.x.dtype == torch.float32


@pytest.mark.parametrize("name", list(TU))
def test_tu_counts(name, load_or_skip):
    graphs, class_counts, nodes, edges, width, edge_width = TU[name]
    ds = load_or_skip(name)
    assert len(ds) == graphs and ds.num_classes == len(class_counts) and ds.folds is None
    ys = torch.cat([g.y for g in ds])
    assert torch.bincount(ys).tolist() == class_counts
    assert sum(g.num_nodes for g in ds) == nodes
    assert sum(g.edge_index.size(1) for g in ds) == 2 * edges
    if width is not None:
        assert ds.num_node_features == width
        assert torch.equal(ds[0].x.sum(1), torch.ones(ds[0].num_nodes))  # one-hot
    assert ds.num_edge_features == edge_width
    for g in list(ds)[:: max(1, graphs // 25)]:
        _check_graph(g, ds.num_node_features)


@pytest.mark.parametrize("name, width", [("tu-proteins", 4), ("tu-enzymes", 21)])
def test_tu_node_attributes(name, width, load_or_skip):
    ds = load_or_skip(name, use_node_attr=True)
    assert ds.num_node_features == width
    plain = load_or_skip(name)
    assert torch.equal(ds[3].x[:, width - 3 :], plain[3].x)


def test_imdb_is_deduplicated(load_or_skip):
    ds = load_or_skip("tu-imdb-binary")
    # the raw _A.txt has 386,124 rows = every directed edge twice
    assert sum(g.edge_index.size(1) for g in ds) == 386124 // 2


@pytest.mark.parametrize("name", list(GIN))
def test_gin_counts(name, load_or_skip):
    graphs, classes, avg_nodes, avg_edges, tags, fold = GIN[name]
    ds = load_or_skip(name)
    assert len(ds) == graphs and ds.num_classes == classes
    assert round(sum(g.num_nodes for g in ds) / graphs, 2) == avg_nodes
    assert round(sum(g.edge_index.size(1) for g in ds) / 2 / graphs, 2) == avg_edges
    if tags is not None:
        assert ds.num_node_features == tags
    for g in list(ds)[:: max(1, graphs // 25)]:
        _check_graph(g, ds.num_node_features)
    assert len(ds.folds) == 10
    tested = set()
    for train, test in ds.folds:
        assert test.numel() == fold
        assert not set(train.tolist()) & set(test.tolist())
        assert len(set(train.tolist()) | set(test.tolist())) == graphs
        tested |= set(test.tolist())
    assert len(tested) == graphs - graphs % 10


def test_gin_degree_as_tag(load_or_skip):
    ds = load_or_skip("gin-imdb-binary")
    g = ds[0]
    degree = torch.bincount(g.edge_index[0], minlength=g.num_nodes)
    # one-hot columns are sorted distinct degrees: a higher degree never maps to a lower column
    col = g.x.argmax(1)
    order = torch.argsort(degree)
    assert (col[order][1:] >= col[order][:-1]).all()
    tu = load_or_skip("tu-imdb-binary")
    assert tu.num_node_features == ds.num_node_features


@pytest.mark.parametrize("tu_name, gin_name", [("tu-proteins", "gin-proteins"), ("tu-nci1", "gin-nci1"),
                                               ("tu-imdb-multi", "gin-imdb-multi")])
def test_gin_order_matches_tu(tu_name, gin_name, load_or_skip):
    tu, gin = load_or_skip(tu_name), load_or_skip(gin_name)
    for i in range(0, len(tu), max(1, len(tu) // 40)):
        assert torch.equal(tu[i].edge_index, gin[i].edge_index)
        assert torch.equal(tu[i].y, gin[i].y)


def test_mutag_same_graphs_other_order(load_or_skip):
    tu, gin = load_or_skip("tu-mutag"), load_or_skip("gin-mutag")
    shape = lambda ds: sorted((g.num_nodes, g.edge_index.size(1), int(g.y)) for g in ds)  # noqa: E731
    assert shape(tu) == shape(gin)
    assert [int(g.y) for g in gin][:125] == [1] * 125  # positives first in the GIN file
    assert gin.classes == [0, 2] and tu.classes == [-1, 1]


def test_gin_ptc_is_not_ptc_mr(load_or_skip):
    ptc, mr = load_or_skip("gin-ptc"), load_or_skip("tu-ptc-mr")
    assert len(ptc) == len(mr) == 344
    assert sum(g.num_nodes for g in ptc) > sum(g.num_nodes for g in mr)
