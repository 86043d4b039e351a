"""from_features, from_graph, from_groups and nearest_neighbors against brute-force constructions."""
from __future__ import annotations


import networkx as nx
import pytest
import torch

from hgnn.structure import Hypergraph, from_features, from_graph, from_groups, nearest_neighbors


def brute_knn(x: torch.Tensor, k: int, metric: str = "euclidean") -> list[list[int]]:
    """Each node then its k nearest others, ties to the smaller id, by explicit pairwise loops."""
    n = len(x)
    out = []
    for v in range(n):
        dist = []
        for u in range(n):
            if u == v:
                continue
            if metric == "euclidean":
                d = float(((x[v] - x[u]) ** 2).sum().sqrt())
            else:
                d = 1.0 - float(torch.nn.functional.cosine_similarity(x[v], x[u], dim=0))
            dist.append((d, u))
        out.append([v] + [u for _, u in sorted(dist)[:k]])
    return out


def as_sets(edges: list[list[int]]) -> list[frozenset]:
    return [frozenset(e) for e in edges]


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("batch_size", [None, 1, 7])
def test_knn_matches_brute_force(metric, batch_size):
    x = torch.randn(23, 4, generator=torch.Generator().manual_seed(0))
    hg = from_features(x, k=4, metric=metric, batch_size=batch_size)
    assert (hg.num_nodes, hg.num_edges) == (23, 23)
    assert hg.to_edge_list() == brute_knn(x, 4, metric)


def test_ties_go_to_the_smaller_id_whatever_the_block_size():
    x = torch.tensor([[0.0], [1.0], [-1.0], [1.0], [2.0], [0.0]])  # many equal distances
    expected = brute_knn(x, 3)
    for batch_size in (1, 2, 4, None):
        assert nearest_neighbors(x, 3, batch_size=batch_size).tolist() == expected
    assert expected[0] == [0, 5, 1, 2]


def test_radius_matches_brute_force_and_can_combine_with_k():
    x = torch.randn(30, 2, generator=torch.Generator().manual_seed(1))
    dist = torch.cdist(x, x)
    hg = from_features(x, radius=0.6, batch_size=8)
    expected = [[v] + [u for u in range(30) if u != v and dist[v, u] <= 0.6] for v in range(30)]
    assert hg.to_edge_list() == expected
    both = from_features(x, k=2, radius=0.6)
    for v, members in enumerate(both.to_edge_list()):
        assert members == brute_knn(x, 2)[v][: len(members)]
        assert len(members) == min(3, len(expected[v]))


def test_include_self_false_and_dedupe():
    x = torch.tensor([[0.0], [0.1], [5.0], [5.1]])
    no_self = from_features(x, k=1, include_self=False)
    assert no_self.to_edge_list() == [[1], [0], [3], [2]]
    merged = from_features(x, k=1, dedupe=True)
    assert merged.num_edges == 2 and merged.to_edge_list() == [[0, 1], [2, 3]]
    assert from_features(x, k=1).num_edges == 4


def test_nearest_neighbors_on_a_batch_of_point_sets():
    v = torch.randn(3, 9, 2, generator=torch.Generator().manual_seed(2))
    out = nearest_neighbors(v, 2)
    assert out.shape == (3, 9, 3)
    for b in range(3):
        assert out[b].tolist() == brute_knn(v[b], 2)


def test_feature_errors_name_the_argument():
    x = torch.randn(5, 2)
    with pytest.raises(ValueError, match="k=5"):
        from_features(x, k=5)
    with pytest.raises(ValueError, match="pass k"):
        from_features(x)
    with pytest.raises(ValueError, match="metric"):
        from_features(x, k=1, metric="manhattan")
    with pytest.raises(ValueError, match="NaN"):
        from_features(torch.tensor([[float("nan")], [0.0]]), k=1)
    with pytest.raises(ValueError, match="radius"):
        from_features(x, radius=-1.0)
    with pytest.raises(ValueError, match="batch_size"):
        from_features(x, k=1, batch_size=0)


def brute_khop(edges: list[tuple[int, int]], n: int, k: int) -> list[list[int]]:
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((u, v) for u, v in edges if u != v)
    out = []
    for v in range(n):
        reach = nx.single_source_shortest_path_length(graph, v, cutoff=k)
        out.append([v] + sorted(u for u in reach if u != v))
    return out


def random_graph(n: int, m: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, n, (2, m), generator=gen)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_khop_matches_networkx(k):
    edge_index = random_graph(25, 30, seed=k)
    hg = from_graph(edge_index, num_nodes=27, kind="khop", k=k, dedupe=False)
    assert (hg.num_nodes, hg.num_edges) == (27, 27)
    assert hg.to_edge_list() == brute_khop(edge_index.t().tolist(), 27, k)


def test_khop_dedupe_keeps_first_of_each_member_set():
    edge_index = random_graph(25, 30, seed=4)
    full = brute_khop(edge_index.t().tolist(), 25, 2)
    kept, seen = [], set()
    for members in full:
        if frozenset(members) not in seen:
            seen.add(frozenset(members))
            kept.append(members)
    assert from_graph(edge_index, kind="khop", k=2).to_edge_list() == kept


def test_edges_one_hyperedge_per_undirected_edge():
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 3], [1, 0, 2, 1, 3, 0]])  # (3, 3) is a self-loop
    hg = from_graph(edge_index, num_nodes=5)
    assert (hg.num_nodes, hg.num_edges) == (5, 3)
    assert as_sets(hg.to_edge_list()) == as_sets([[0, 1], [1, 2], [3, 0]])
    both = from_graph(edge_index, dedupe=False)
    assert both.to_edge_list() == [[0, 1], [1, 0], [1, 2], [2, 1], [3, 0]]


def test_cliques_match_networkx():
    edge_index = random_graph(15, 40, seed=5)
    hg = from_graph(edge_index, num_nodes=16, kind="cliques")
    graph = nx.Graph()
    graph.add_nodes_from(range(16))
    graph.add_edges_from((u, v) for u, v in edge_index.t().tolist() if u != v)
    assert sorted(map(sorted, hg.to_edge_list())) == sorted(sorted(c) for c in nx.find_cliques(graph))
    assert [15] in hg.to_edge_list()  # an isolated node is a clique of one


def test_graph_errors():
    with pytest.raises(ValueError, match="kind"):
        from_graph(torch.tensor([[0], [1]]), kind="walks")
    with pytest.raises(ValueError, match="khop"):
        from_graph(torch.tensor([[0], [1]]), k=2)
    with pytest.raises(ValueError, match="num_nodes"):
        from_graph(torch.tensor([[0], [4]]), num_nodes=3)
    with pytest.raises(ValueError, match=r"\[2, E\]"):
        from_graph(torch.tensor([0, 1]))


def test_groups_from_lists_labels_and_named_groups():
    lists = from_groups([[0, 2], [1, 3, 4]])
    assert isinstance(lists, Hypergraph) and lists.to_edge_list() == [[0, 2], [1, 3, 4]] and lists.num_nodes == 5
    labels = torch.tensor([2, 0, 2, -1, 0, 7])
    by_label = from_groups(labels)
    assert by_label.num_nodes == 6 and by_label.num_edges == 3
    assert by_label.to_edge_list() == [[1, 4], [0, 2], [5]]
    assert by_label.label.tolist() == [0, 2, 7]
    named = from_groups({"cites": [[0, 1], [1, 2, 3]], "venue": torch.tensor([0, 0, 1, 1])})
    assert named.to_edge_list() == [[0, 1], [1, 2, 3], [0, 1], [2, 3]]
    assert named.group.tolist() == [0, 0, 1, 1]
    assert named.label.tolist() == [-1, -1, 0, 1]
    assert from_groups([[0]], num_nodes=4).num_nodes == 4


def test_group_errors():
    with pytest.raises(ValueError, match="num_nodes"):
        from_groups(torch.tensor([0, 1, 1]), num_nodes=5)
    with pytest.raises(ValueError, match="label vector"):
        from_groups(torch.tensor([0.5, 1.0]))
    with pytest.raises(ValueError, match="different lengths"):
        from_groups({"a": torch.tensor([0, 1]), "b": torch.tensor([0, 1, 2])})
    with pytest.raises(TypeError, match="groups"):
        from_groups("abc")
