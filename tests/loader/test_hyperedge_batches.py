"""Hyperedge mini-batches: the exact L-hop incidence neighbourhood (CoNHD on a batch gives the
full-graph logits of the targets), the per-node cap, the id maps, and determinism by seed."""
from __future__ import annotations

import pytest
import torch

from hgnn import Hypergraph
from hgnn.loader import HyperedgeBatchSampler, HyperedgeLoader, hyperedge_neighborhood, sample_node_incidences
from hgnn.models import CoNHD
from hgnn.nn.conv import incidence_positional_encoding

pytestmark = pytest.mark.usefixtures("one_thread")


def random_hypergraph(num_nodes=40, num_edges=45, seed=0):
    """Sparse random hypergraph (sizes 1..4, one hyperedge repeats a node), with labels."""
    gen = torch.Generator().manual_seed(seed)
    edges = []
    for _ in range(num_edges):
        size = int(torch.randint(1, 5, (1,), generator=gen))
        edges.append(torch.randint(0, num_nodes, (size,), generator=gen).tolist())
    edges.append([3, 7, 3])
    hg = Hypergraph.from_edge_list(edges, num_nodes=num_nodes)
    y = torch.randint(0, 3, (hg.num_incidences,), generator=gen)
    return hg, y


def brute_force_reach(hg, targets, num_layers):
    """R_L = inc(B); R_{t-1} = inc(E(R_t)) | inc(V(R_t)), with Python sets."""
    cols = list(zip(hg.hyperedge_index[0].tolist(), hg.hyperedge_index[1].tolist()))
    reach = {i for i, (_, e) in enumerate(cols) if e in set(targets)}
    for _ in range(num_layers):
        es = {cols[i][1] for i in reach}
        vs = {cols[i][0] for i in reach}
        reach = {i for i, (v, e) in enumerate(cols) if e in es or v in vs}
    return sorted(reach)


@pytest.mark.parametrize("num_layers", [0, 1, 2, 3])
def test_incidence_set_matches_brute_force(num_layers):
    hg, y = random_hypergraph()
    targets = [0, 5, 45]
    batch = hyperedge_neighborhood(hg, torch.tensor(targets), num_layers, labels=y)
    assert batch.incidence_ids.tolist() == brute_force_reach(hg, targets, num_layers)
    # id maps: the sub-hypergraph is the full one's incidences, relabelled
    full = hg.hyperedge_index[:, batch.incidence_ids]
    assert torch.equal(batch.node_ids[batch.hg.hyperedge_index[0]], full[0])
    assert torch.equal(batch.edge_ids[batch.hg.hyperedge_index[1]], full[1])
    assert batch.hg.num_nodes == batch.node_ids.numel() and batch.hg.num_edges == batch.edge_ids.numel()
    # targets: every incidence of the target hyperedges, with their labels
    expect = torch.isin(hg.hyperedge_index[1], torch.tensor(targets)).nonzero().view(-1)
    assert torch.equal(batch.target_incidence_ids, expect)
    assert torch.equal(batch.incidence_ids[batch.target_index], expect)
    assert torch.equal(batch.y, y[expect])
    moved = batch.to("cpu")
    assert torch.equal(moved.incidence_ids, batch.incidence_ids) and len(moved.levels) == num_layers + 1


@pytest.mark.parametrize("operator,variant,num_layers", [
    ("unp", "gd", 1), ("isab", "gd", 2), ("unp", "admm", 2), ("isab", "gd", 3), ("sab", "gd", 2),
])
def test_batch_logits_equal_full_graph(operator, variant, num_layers):
    """The key property: CoNHD on the batch's sub-hypergraph gives the targets their full-graph logits."""
    hg, _ = random_hypergraph(seed=1)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(hg.num_nodes, 6, generator=gen)
    pe = incidence_positional_encoding(hg, torch.rand(hg.num_nodes, 2, generator=gen, dtype=torch.float64)).float()
    torch.manual_seed(0)
    model = CoNHD(6, 3, hidden_channels=8, num_layers=num_layers, operator=operator, pe_channels=2, heads=2,
                  variant=variant, dropout=0.5, input_dropout=0.5).eval()
    with torch.no_grad():
        full = model(x, hg, pe)
        for targets in ([0], [2, 9, 45], list(range(10, 20))):
            batch = hyperedge_neighborhood(hg, torch.tensor(targets), num_layers)
            assert batch.incidence_ids.numel() < hg.num_incidences or num_layers == 3
            out = model(x[batch.node_ids], batch.hg, pe[batch.incidence_ids])[batch.target_index]
            torch.testing.assert_close(out, full[batch.target_incidence_ids], rtol=1e-5, atol=1e-5)
            # one hop short is *not* enough (the test has teeth)
            short = hyperedge_neighborhood(hg, torch.tensor(targets), num_layers - 1)
            out_short = model(x[short.node_ids], short.hg, pe[short.incidence_ids])[short.target_index]
            if short.incidence_ids.numel() < batch.incidence_ids.numel():
                assert (out_short - full[short.target_incidence_ids]).abs().max() > 1e-6


def hub_hypergraph():
    """Node 0 is in 100 hyperedges {0, i}, node 1 in 30 of them too."""
    edges = [[0, i] for i in range(2, 102)] + [[0, 1, i] for i in range(102, 132)]
    return Hypergraph.from_edge_list(edges, num_nodes=132)


def test_cap_bounds_within_node_sets():
    hg = hub_hypergraph()
    gen = torch.Generator().manual_seed(0)
    targets = torch.tensor([0, 1, 2, 120])
    batch = hyperedge_neighborhood(hg, targets, 1, max_edges_per_node=5, generator=gen)
    degree = torch.bincount(batch.hg.hyperedge_index[0], minlength=batch.hg.num_nodes)
    # node 0 has 4 target hyperedges and a cap of 5, node 1 has one target hyperedge
    assert degree.max() <= 5
    assert degree[(batch.node_ids == 0).nonzero().item()] == 5
    assert degree[(batch.node_ids == 1).nonzero().item()] == 5
    # every target incidence is kept, and the target hyperedges are whole
    assert torch.isin(targets, batch.edge_ids).all()
    assert batch.num_targets == 2 + 2 + 2 + 3
    # more targets at a node than the cap: all kept, nothing else for it
    many = hyperedge_neighborhood(hg, torch.arange(8), 1, max_edges_per_node=5, generator=gen)
    deg0 = (many.node_ids[many.hg.hyperedge_index[0]] == 0).sum()
    assert deg0 == 8 and many.num_targets == 16
    # two steps: hyperedges reached are the targets plus <= cap per node of V0 = {0, 1, 2, 3, 120}
    two = hyperedge_neighborhood(hg, targets, 2, max_edges_per_node=5, generator=gen)
    assert two.edge_ids.numel() <= targets.numel() + 5 * 5
    # without a cap: everything around the hub
    assert hyperedge_neighborhood(hg, targets, 1).edge_ids.numel() == hg.num_edges


def test_sample_node_incidences_counts_and_priority():
    hg = hub_hypergraph()
    priority = torch.zeros(hg.num_incidences, dtype=torch.bool)
    priority[-3:] = True  # the last hyperedge {0, 1, 131}
    keep = sample_node_incidences(hg, 7, priority=priority, generator=torch.Generator().manual_seed(3))
    per_node = torch.bincount(hg.hyperedge_index[0, keep], minlength=hg.num_nodes)
    assert torch.equal(per_node, hg.node_degree().long().clamp(max=7))
    assert keep[priority].all()
    # roughly uniform: node 0's 130 hyperedges are each drawn 7/130 of the time on average
    counts = torch.zeros(hg.num_incidences)
    gen = torch.Generator().manual_seed(0)
    for _ in range(400):
        counts += sample_node_incidences(hg, 7, generator=gen).float()
    node0 = hg.hyperedge_index[0] == 0
    freq = counts[node0] / 400
    assert abs(freq.mean().item() - 7 / 130) < 1e-6 and freq.min() > 0.0 and freq.max() < 0.2


def brute_force_first_k(owner, key, candidates, k):
    """Per owner, its candidates ranked by (key, incidence id) in Python; the first k kept."""
    keep = torch.zeros(owner.numel(), dtype=torch.bool)
    groups = {}
    for i in candidates.nonzero().view(-1).tolist():
        groups.setdefault(int(owner[i]), []).append(i)
    for ids in groups.values():
        for i in sorted(ids, key=lambda j: (float(key[j]), j))[:k]:
            keep[i] = True
    return keep


@pytest.mark.parametrize("case", range(40))
def test_keep_first_per_node_is_the_exact_ranking(case):
    """The thresholded ranking (only keys below 2k/d are sorted) keeps exactly the k smallest keys
    of every owner: hubs and small owners, priority keys below zero, heavy ties, non-uniform keys
    (an owner whose keys all sit above its threshold falls back to a full ranking)."""
    from hgnn.loader.hyperedge_batches import _keep_first_per_node
    gen = torch.Generator().manual_seed(case)
    n = int(torch.randint(1, 600, (1,), generator=gen))
    num_owners = int(torch.randint(1, 12, (1,), generator=gen))
    owner = torch.randint(num_owners, (n,), generator=gen)
    if case % 4 == 0:
        key = torch.randint(0, 4, (n,), generator=gen).float() / 4  # many ties
    elif case % 4 == 1:
        key = 0.9 + 0.1 * torch.rand(n, generator=gen)  # far from uniform: every owner falls back
    else:
        key = torch.rand(n, generator=gen) - (torch.rand(n, generator=gen) < 0.1).float()  # priorities
    candidates = (torch.rand(num_owners, generator=gen) < 0.8)[owner]
    k = int(torch.randint(1, 40, (1,), generator=gen))
    assert torch.equal(_keep_first_per_node(owner, key, candidates, k), brute_force_first_k(owner, key, candidates, k))


def test_sampler_epochs_cover_targets_and_are_deterministic():
    hg, y = random_hypergraph(seed=2)
    train = torch.arange(0, hg.num_edges, 2)

    def epoch(seed):
        sampler = HyperedgeBatchSampler(hg, train, batch_size=4, num_layers=2, max_edges_per_node=2,
                                        labels=y, seed=seed)
        return [(b.target_edges.tolist(), b.incidence_ids.tolist(), b.y.tolist()) for b in sampler], len(sampler)

    a, n = epoch(7)
    b, _ = epoch(7)
    c, _ = epoch(8)
    assert a == b and a != c and len(a) == n == -(-train.numel() // 4)
    seen = sorted(e for targets, _, _ in a for e in targets)
    assert seen == train.tolist()
    # labels follow the hyperedge's incidences; shuffle=False keeps the order
    sampler = HyperedgeBatchSampler(hg, train, batch_size=5, num_layers=1, shuffle=False, labels=y, seed=0)
    first = next(iter(sampler))
    assert first.target_edges.tolist() == train[:5].tolist()
    assert torch.equal(first.y, y[first.target_incidence_ids])
    # incidence_data["y"] is the default label source; a bool mask selects the same hyperedges
    hg_y = Hypergraph(hg.hyperedge_index, num_nodes=hg.num_nodes, incidence_data={"y": y})
    mask = torch.zeros(hg.num_edges, dtype=torch.bool)
    mask[train] = True
    again = next(iter(HyperedgeBatchSampler(hg_y, mask, batch_size=5, num_layers=1, shuffle=False)))
    assert torch.equal(again.y, first.y)


def test_bad_arguments():
    hg, _ = random_hypergraph()
    with pytest.raises(ValueError):
        hyperedge_neighborhood(hg, torch.tensor([hg.num_edges]), 1)
    with pytest.raises(ValueError):
        hyperedge_neighborhood(hg, torch.tensor([0]), -1)
    with pytest.raises(TypeError):
        hyperedge_neighborhood(hg, torch.tensor([0.5]), 1)
    with pytest.raises(ValueError):
        hyperedge_neighborhood(hg, torch.tensor([0]), 1, max_edges_per_node=0)
    with pytest.raises(ValueError):
        HyperedgeBatchSampler(hg, torch.tensor([0]), batch_size=0, num_layers=1)


def test_lazy_sampling_equals_whole_graph_sample():
    """The batch ranks only the nodes it reaches, with the same keys as sample_node_incidences."""
    hg = hub_hypergraph()
    targets = torch.tensor([3, 110])
    target_inc = torch.isin(hg.hyperedge_index[1], targets)
    keep = sample_node_incidences(hg, 4, priority=target_inc, generator=torch.Generator().manual_seed(11))
    batch = hyperedge_neighborhood(hg, targets, 1, max_edges_per_node=4, generator=torch.Generator().manual_seed(11))
    frontier = torch.isin(hg.hyperedge_index[0], torch.tensor([0, 1, 5, 112]))
    expect = (target_inc | (frontier & keep)).nonzero().view(-1)
    assert torch.equal(batch.incidence_ids, expect)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_hyperedge_loader_covers_targets_and_matches_the_exact_neighbourhood(num_workers):
    hg, y = random_hypergraph(seed=3)
    train = torch.arange(1, hg.num_edges, 3)
    loader = HyperedgeLoader(hg, train, num_layers=2, batch_size=4, labels=y, shuffle=True,
                             num_workers=num_workers, generator=torch.Generator().manual_seed(0))
    batches = list(loader)
    assert len(batches) == len(loader) == -(-train.numel() // 4)
    assert sorted(e for b in batches for e in b.target_edges.tolist()) == train.tolist()
    for b in batches:  # no cap: exactly hyperedge_neighborhood of the same targets
        want = hyperedge_neighborhood(hg, b.target_edges, 2, labels=y)
        assert torch.equal(b.incidence_ids, want.incidence_ids) and torch.equal(b.y, want.y)
    with pytest.raises(ValueError, match="empty"):
        HyperedgeLoader(hg, torch.tensor([], dtype=torch.long), 1)
    with pytest.raises(ValueError, match="collate_fn"):
        HyperedgeLoader(hg, train, 1, collate_fn=list)


def test_member_cap_keeps_targets_whole_and_reached_members_first():
    # Target hyperedge 0 = {0, 1}; node 0 also lies in the big hyperedge 1 = {0, 2, ..., 20}.
    hg = Hypergraph.from_edge_list([[0, 1], [0, *range(2, 21)], [1, 21, 22]], num_nodes=23)
    full = hyperedge_neighborhood(hg, torch.tensor([0]), 2)
    for seed in range(5):
        b = hyperedge_neighborhood(hg, torch.tensor([0]), 2, max_nodes_per_edge=3,
                                   generator=torch.Generator().manual_seed(seed))
        members = {}
        for v, e in zip(b.node_ids[b.hg.hyperedge_index[0]].tolist(), b.edge_ids[b.hg.hyperedge_index[1]].tolist()):
            members.setdefault(e, set()).add(v)
        assert members[0] == {0, 1}  # the target: whole
        assert len(members[1]) == 3 and 0 in members[1]  # 3 of 20, the reaching node kept
        assert len(members[2]) == 3 and 1 in members[2]  # size 3 anyway: whole
        assert set(b.incidence_ids.tolist()) <= set(full.incidence_ids.tolist())
        assert torch.equal(b.target_incidence_ids, full.target_incidence_ids)
    # A cap at least the largest hyperedge changes nothing; one step never caps (targets are whole).
    assert torch.equal(hyperedge_neighborhood(hg, torch.tensor([0]), 2, max_nodes_per_edge=20).incidence_ids,
                       full.incidence_ids)
    assert torch.equal(hyperedge_neighborhood(hg, torch.tensor([1]), 1, max_nodes_per_edge=1).incidence_ids,
                       hyperedge_neighborhood(hg, torch.tensor([1]), 1).incidence_ids)
    with pytest.raises(ValueError, match="max_nodes_per_edge"):
        hyperedge_neighborhood(hg, torch.tensor([0]), 2, max_nodes_per_edge=0)


def test_member_cap_reaches_the_sampler_and_the_loader():
    hg, y = random_hypergraph(num_nodes=30, num_edges=60, seed=4)
    train = torch.arange(0, 60, 2)
    sampler = HyperedgeBatchSampler(hg, train, 8, 3, max_nodes_per_edge=1, shuffle=False, labels=y, seed=0)
    loader = HyperedgeLoader(hg, train, 3, batch_size=8, max_nodes_per_edge=1, labels=y)
    for capped in (next(iter(sampler)), next(iter(loader))):
        exact = hyperedge_neighborhood(hg, capped.target_edges, 3)
        assert capped.incidence_ids.numel() < exact.incidence_ids.numel()
        assert torch.equal(capped.target_incidence_ids, exact.target_incidence_ids)


def test_labels_and_options_are_checked_before_any_batch():
    from hgnn.loader.hyperedge_batches import HyperedgeBatchSampler, HyperedgeLoader, hyperedge_neighborhood

    hg = Hypergraph(torch.tensor([[0, 1, 1, 2, 3], [0, 0, 1, 1, 1]]))
    for labels in (torch.arange(9), torch.arange(3), torch.tensor(1)):
        with pytest.raises(ValueError, match=r"labels must be one row per incidence, \[nnz=5"):
            hyperedge_neighborhood(hg, torch.tensor([0]), 1, labels=labels)
        with pytest.raises(ValueError, match="labels must be one row per incidence"):
            HyperedgeBatchSampler(hg, torch.tensor([0, 1]), 1, 1, labels=labels)
        with pytest.raises(ValueError, match="labels must be one row per incidence"):
            HyperedgeLoader(hg, torch.tensor([0, 1]), 1, labels=labels)
    with pytest.raises(ValueError, match="num_layers"):
        HyperedgeBatchSampler(hg, torch.tensor([0, 1]), 1, -1)
    with pytest.raises(ValueError, match="max_nodes_per_edge"):
        HyperedgeBatchSampler(hg, torch.tensor([0, 1]), 1, 1, max_nodes_per_edge=0)


def test_sample_node_incidences_checks_priority():
    hg = Hypergraph(torch.tensor([[0, 1, 1, 2, 3], [0, 0, 1, 1, 1]]))
    for priority in (torch.zeros(4, dtype=torch.bool), torch.zeros(5), [True] * 5):
        with pytest.raises(ValueError, match=r"priority must be a bool mask over the incidences, \[nnz=5\]"):
            sample_node_incidences(hg, 1, priority=priority)
