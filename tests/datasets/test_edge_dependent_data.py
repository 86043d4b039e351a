"""Edge-dependent node-classification sets (family `enc`, hgnn.datasets.edge_dependent): counts from the
family `enc` card in datasets/README.md."""
from __future__ import annotations

import numpy as np
import pytest
import torch

# name: nodes, hyperedges, incidences, unique (v, e), label counts, max size, mean size,
#       size-1 hyperedges, valid, test
COUNTS = {
    "enc-emaileu": (986, 209508, 541842, 536844, [209508, 332334], 59, 2.59, 0, 41902, 41902),
    "enc-stackoverflowbiology": (15490, 26823, 56257, 55405, [26290, 18444, 11523], 12, 2.10, 6167, 5365, 5365),
    "enc-stackoverflowphysics": (80936, 200811, 479809, 473632, [194575, 201121, 84113], 48, 2.39, 40490, 40162, 40163),
    "enc-dblp": (108484, 91266, 321011, 321004, [91266, 138479, 91266], 36, 3.52, 0, 18253, 18254),
}
FOLDERS = {"enc-emaileu": "emailEu", "enc-stackoverflowbiology": "StackOverflowBiology",
           "enc-stackoverflowphysics": "StackOverflowPhysics", "enc-dblp": "DBLP"}


@pytest.mark.parametrize("name", list(COUNTS))
def test_counts(name, load_or_skip):
    n, m, nnz, uniq, labels, smax, smean, singles, n_val, n_test = COUNTS[name]
    hg = load_or_skip(name)
    assert (hg.num_nodes, hg.num_edges, hg.num_incidences) == (n, m, nnz)
    v, e = hg.hyperedge_index
    assert torch.unique(v * m + e).numel() == uniq
    y = hg.incidence_data["y"]
    assert y.dtype == torch.long and y.shape == (nnz,)
    assert torch.bincount(y).tolist() == labels
    sizes = torch.bincount(e, minlength=m)
    assert int(sizes.max()) == smax and round(float(sizes.float().mean()), 2) == smean
    assert int((sizes == 1).sum()) == singles
    tr, va, te = hg.edge_data["train_mask"], hg.edge_data["val_mask"], hg.edge_data["test_mask"]
    assert (int(va.sum()), int(te.sum())) == (n_val, n_test)
    assert int(tr.sum()) == m - n_val - n_test
    assert not (va & te).any() and (tr ^ va ^ te).all()
    # nodes are numbered by first appearance: the first occurrences are 0, 1, 2, ...
    first = np.unique(v.numpy(), return_index=True)[1]
    assert np.array_equal(v.numpy()[np.sort(first)], np.arange(n))
    for measure in ("degree", "eigenvec", "pagerank", "kcore"):
        value = hg.node_data[measure]
        assert value.shape == (n,) and value.dtype == torch.float64 and torch.isfinite(value).all()
    assert hg.node_data["orig_id"].unique().numel() == n


@pytest.mark.parametrize("name", list(COUNTS))
def test_alignment_with_files(name, load_or_skip):
    hg = load_or_skip(name)
    from hgnn.datasets import get_spec
    from hgnn.datasets.root import find_root

    spec = get_spec(name)
    folder = find_root(spec.subdir, spec.files) / spec.subdir
    with open(folder / "hypergraph.txt") as fh:
        first_line = fh.readline().split("\t")
    with open(folder / "hypergraph_pos.txt") as fh:
        first_pos = fh.readline().split("\t")
    if name == "enc-dblp":
        first_line, first_pos = first_line[1:], first_pos[1:]
    members = [int(t) for t in first_line]
    orig = hg.node_data["orig_id"]
    size0 = len(members)
    assert orig[hg.hyperedge_index[0, :size0]].tolist() == members
    assert hg.incidence_data["y"][:size0].tolist() == [int(t) for t in first_pos]
    # centrality rows follow the relabelled nodes
    table = np.loadtxt(folder / "degree_nodecentrality.txt", skiprows=1)
    lookup = {int(o): i for i, o in enumerate(orig.tolist())}
    for node_id, value in table[:: max(1, len(table) // 50)]:
        assert float(hg.node_data["degree"][lookup[int(node_id)]]) == pytest.approx(value)


def test_dblp_author_positions(load_or_skip):
    hg = load_or_skip("enc-dblp")
    e, y = hg.hyperedge_index[1], hg.incidence_data["y"]
    starts = torch.ones_like(e, dtype=torch.bool)
    starts[1:] = e[1:] != e[:-1]
    assert (y[starts] == 0).all()  # first author first
    assert torch.equal(torch.bincount(e[y == 2], minlength=hg.num_edges), torch.ones(hg.num_edges, dtype=torch.long))
