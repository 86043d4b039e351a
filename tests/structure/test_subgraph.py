"""subhypergraph / remove_empty / add_self_loops against dense references."""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from _hg_reference import F64, SETTINGS, dense_H, given_weight, hypergraphs, revalidate
from hgnn.structure import Hypergraph, add_self_loops, merge_duplicate_edges, remove_empty, subhypergraph


def _check_sliced(sub, hg, node_ids, edge_ids, inc_keep):
    def same(a, b):
        assert (a is None and b is None) or torch.equal(a, b)

    same(sub.x, None if hg.x is None else hg.x[node_ids])
    same(sub.y, None if hg.y is None else hg.y[node_ids])
    same(sub.edge_attr, None if hg.edge_attr is None else hg.edge_attr[edge_ids])
    same(given_weight(sub), None if not hg.is_weighted else hg.edge_weight[edge_ids])
    same(sub.incidence_attr, None if hg.incidence_attr is None else hg.incidence_attr[inc_keep])
    for key, value in hg.node_data.items():
        same(sub.node_data[key], value[node_ids])
    for key, value in hg.edge_data.items():
        same(sub.edge_data[key], value[edge_ids])
    for key, value in hg.incidence_data.items():
        same(sub.incidence_data[key], value[inc_keep])


@SETTINGS
@given(hg=hypergraphs(), data=st.data())
def test_subhypergraph_matches_dense(hg, data):
    keep = torch.tensor(data.draw(st.lists(st.booleans(), min_size=hg.num_nodes, max_size=hg.num_nodes)), dtype=torch.bool)
    kept = keep.nonzero().view(-1)
    as_index = data.draw(st.booleans())
    if as_index:  # the same subset as a shuffled index
        selector = kept[torch.randperm(kept.numel(), generator=torch.Generator().manual_seed(0))]
    else:
        selector = keep.view(hg.num_nodes)
    sub, node_ids, edge_ids = subhypergraph(hg, selector)
    H = dense_H(hg)[kept]
    cols = (H.sum(0) > 0).nonzero().view(-1)  # hyperedges left empty are dropped
    assert torch.equal(node_ids, kept) and torch.equal(edge_ids, cols)
    assert (sub.num_nodes, sub.num_edges) == (kept.numel(), cols.numel())
    torch.testing.assert_close(dense_H(sub), H[:, cols])
    inc_keep = keep[hg.hyperedge_index[0]] if hg.num_incidences else torch.zeros(0, dtype=torch.bool)
    assert sub.num_incidences == int(inc_keep.sum())
    _check_sliced(sub, hg, node_ids, edge_ids, inc_keep)
    revalidate(sub)
    method = hg.subhypergraph(selector)
    assert torch.equal(method[0].hyperedge_index, sub.hyperedge_index)


@pytest.mark.parametrize(
    "nodes, exc, fragment",
    [
        (torch.tensor([0, 2, 0]), ValueError, "duplicates"),
        (torch.tensor([0, 4]), ValueError, "range"),
        (torch.tensor([-1, 1]), ValueError, "range"),
        (torch.tensor([True, False]), ValueError, "mask"),
        (torch.tensor([0.0, 1.0]), TypeError, "nodes"),
        (torch.tensor([[0, 1]]), TypeError, "nodes"),
    ],
)
def test_subhypergraph_bad_nodes(nodes, exc, fragment):
    hg = Hypergraph.from_edge_list([[0, 1], [1, 2, 3]])
    with pytest.raises(exc, match=fragment):
        subhypergraph(hg, nodes)


def test_subhypergraph_accepts_lists_and_empty_selection():
    hg = Hypergraph.from_edge_list([[0, 1], [1, 2, 3]], x=torch.randn(4, 2))
    sub, node_ids, edge_ids = subhypergraph(hg, [3, 1])
    assert node_ids.tolist() == [1, 3] and edge_ids.tolist() == [0, 1]
    assert sub.to_edge_list() == [[0], [0, 1]]
    empty, node_ids, edge_ids = subhypergraph(hg, torch.zeros(0, dtype=torch.long))
    assert (empty.num_nodes, empty.num_edges, empty.num_incidences) == (0, 0, 0) and empty.x.shape == (0, 2)


@SETTINGS
@given(hg=hypergraphs())
def test_remove_empty(hg):
    out, edge_ids = remove_empty(hg)
    H = dense_H(hg)
    nonempty = (H.sum(0) > 0).nonzero().view(-1)
    assert torch.equal(edge_ids, nonempty)
    torch.testing.assert_close(dense_H(out), H[:, nonempty])
    assert out.num_nodes == hg.num_nodes and (out.edge_degree() > 0).all()
    assert torch.equal(out.node_degree(), hg.node_degree())
    assert torch.equal(out.hyperedge_index[0], hg.hyperedge_index[0])  # incidences keep their order
    _check_sliced(out, hg, torch.arange(hg.num_nodes), edge_ids, torch.ones(hg.num_incidences, dtype=torch.bool))
    revalidate(out)


@pytest.mark.parametrize("isolated_only", [True, False])
@SETTINGS
@given(hg=hypergraphs())
def test_add_self_loops(isolated_only, hg):
    n, m, nnz = hg.num_nodes, hg.num_edges, hg.num_incidences
    H = dense_H(hg)
    if isolated_only:
        need = H.sum(1) == 0
    else:  # nodes not alone in some hyperedge; (v, e) twice is a size-2 hyperedge, as in UniGNN
        members = hg.to_edge_list()
        need = torch.tensor([[v] not in members for v in range(n)], dtype=torch.bool)
    new = need.nonzero().view(-1)
    k = new.numel()
    out = add_self_loops(hg, isolated_only=isolated_only)
    assert (out.num_nodes, out.num_edges, out.num_incidences) == (n, m + k, nnz + k)
    loops = torch.zeros(n, k, dtype=F64)
    loops[new, torch.arange(k)] = 1
    torch.testing.assert_close(dense_H(out), torch.cat([H, loops], 1))
    assert torch.equal(out.node_degree(), hg.node_degree() + need.float())
    if n and isolated_only:
        assert (out.node_degree() > 0).all()
    if not isolated_only:
        assert all([v] in out.to_edge_list() for v in range(n))

    def padded(value, rows):
        return None if value is None else torch.cat([value, value.new_zeros(rows, *value.shape[1:])])

    for got, want in (
        (out.edge_attr, padded(hg.edge_attr, k)),
        (out.incidence_attr, padded(hg.incidence_attr, k)),
        (out.x, hg.x),
        (out.y, hg.y),
        (given_weight(out), None if not hg.is_weighted else torch.cat([hg.edge_weight, hg.edge_weight.new_ones(k)])),
    ):
        assert (got is None and want is None) or torch.equal(got, want)
    for key, value in hg.edge_data.items():
        assert torch.equal(out.edge_data[key], padded(value, k))
    for key, value in hg.incidence_data.items():
        assert torch.equal(out.incidence_data[key], padded(value, k))
    revalidate(out)
    assert torch.equal(hg.add_self_loops(isolated_only).hyperedge_index, out.hyperedge_index)


# ---------------------------------------------------------------- merge_duplicate_edges
def _with_copies(hg: Hypergraph, data) -> Hypergraph:
    """``hg`` plus a copy of some of its hyperedges (members permuted), so duplicates are common."""
    m = hg.num_edges
    if m == 0:
        return hg
    copies = data.draw(st.lists(st.integers(0, m - 1), max_size=6))
    if not copies:
        return hg
    nodes, edges = hg.hyperedge_index
    extra_nodes, extra_edges, extra_inc = [], [], []
    for k, e in enumerate(copies):
        inc = (edges == e).nonzero().view(-1).flip(0)  # same members, another order
        extra_nodes.append(nodes[inc])
        extra_edges.append(torch.full((inc.numel(),), m + k, dtype=torch.long))
        extra_inc.append(inc)
    inc = torch.cat(extra_inc)
    index = torch.stack([torch.cat([nodes, *extra_nodes]), torch.cat([edges, *extra_edges])])
    pick = torch.cat([torch.arange(m), torch.tensor(copies, dtype=torch.long)])

    def grow(value, rows):
        return None if value is None else torch.cat([value, value[rows]])

    gen = torch.Generator().manual_seed(len(copies))
    weight = None
    if hg.is_weighted:  # the copies get weights of their own, so that the reductions differ
        weight = torch.cat([hg.edge_weight, torch.rand(len(copies), generator=gen, dtype=hg.edge_weight.dtype)])
    return Hypergraph(
        index, num_nodes=hg.num_nodes, num_edges=m + len(copies), edge_weight=weight, x=hg.x,
        edge_attr=None if hg.edge_attr is None else hg.edge_attr[pick], y=hg.y,
        incidence_attr=grow(hg.incidence_attr, inc), node_data=hg.node_data,
        edge_data={k: v[pick] for k, v in hg.edge_data.items()},
        incidence_data={k: grow(v, inc) for k, v in hg.incidence_data.items()},
    )


@pytest.mark.parametrize("reduce", ["mean", "sum", "max", "first"])
@SETTINGS
@given(hg=hypergraphs(), data=st.data())
def test_merge_duplicate_edges_matches_dense(reduce, hg, data):
    hg = _with_copies(hg, data)
    H = dense_H(hg)
    out, edge_ids = merge_duplicate_edges(hg, reduce)
    # naive reference: the first column of each distinct column of H, in order
    firsts, groups = [], []
    for e in range(hg.num_edges):
        match = [i for i, f in enumerate(firsts) if torch.equal(H[:, f], H[:, e])]
        if match:
            groups[match[0]].append(e)
        else:
            firsts.append(e)
            groups.append([e])
    assert edge_ids.tolist() == firsts
    torch.testing.assert_close(dense_H(out), H[:, firsts])
    inc_keep = torch.isin(hg.hyperedge_index[1], edge_ids)
    if hg.is_weighted and reduce != "first":
        w = hg.edge_weight
        want = torch.stack([{"mean": w[g].mean(), "sum": w[g].sum(), "max": w[g].max()}[reduce] for g in groups]) \
            if groups else w[:0]
        torch.testing.assert_close(out.edge_weight, want)
        hg = hg.replace(edge_weight=None)
        out = out.replace(edge_weight=None)
    elif reduce == "sum" and len(firsts) < hg.num_edges:
        torch.testing.assert_close(out.edge_weight, torch.tensor([float(len(g)) for g in groups]))
        out = out.replace(edge_weight=None)
    _check_sliced(out, hg, torch.arange(hg.num_nodes), edge_ids, inc_keep)
    revalidate(out)


def test_merge_duplicate_edges_sum_keeps_the_hgnn_operator():
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3], [1, 0, 2], [3], [3], [2, 3]], num_nodes=5)
    merged, kept = merge_duplicate_edges(hg, "sum")
    assert kept.tolist() == [0, 1, 3] and merged.edge_weight.tolist() == [2.0, 2.0, 2.0]

    def operator(g):
        H = dense_H(g)
        w = g.edge_weight.to(F64)
        dv = (H * w).sum(1).clamp_min(1e-12).rsqrt()
        return dv[:, None] * (H * w / H.sum(0).clamp_min(1)) @ H.t() * dv[None, :]

    torch.testing.assert_close(operator(merged), operator(hg))
    unweighted, _ = merge_duplicate_edges(hg)
    assert not unweighted.is_weighted and unweighted.to_edge_list() == [[0, 1, 2], [2, 3], [3]]


def test_merge_duplicate_edges_no_duplicates_and_errors():
    hg = Hypergraph.from_edge_list([[0, 1], [1, 2]], num_nodes=3)
    out, kept = hg.merge_duplicate_edges()
    assert out is hg and kept.tolist() == [0, 1]
    with pytest.raises(ValueError, match="reduce must be one of"):
        merge_duplicate_edges(hg, "min")
    with pytest.raises(TypeError, match="hg must be a Hypergraph"):
        merge_duplicate_edges(hg.hyperedge_index)


def test_merge_duplicate_edges_matches_dhg():
    dhg = pytest.importorskip("dhg")
    gen = torch.Generator().manual_seed(0)
    edges = [sorted(set(torch.randint(0, 9, (int(k),), generator=gen).tolist()))
             for k in torch.randint(1, 4, (60,), generator=gen)]
    hg = Hypergraph.from_edge_list(edges, num_nodes=9)
    merged, _ = merge_duplicate_edges(hg)
    g = dhg.Hypergraph(9, edges)
    assert merged.num_edges == g.num_e < hg.num_edges
    assert [tuple(e) for e in merged.to_edge_list()] == [tuple(sorted(e)) for e in g.e[0]]
