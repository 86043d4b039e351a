import pytest
import torch

from hgnn import Hypergraph
from hgnn.nn.conv import hgnn_smoothing
from hgnn.topology.repair import (AnchorRepair, corrupt, feature_prior, keep_incidences, leave_one_out_cosine,
                                  propose_members, shared_elsewhere, soft_hgnn_operator, train_repair)

pytestmark = pytest.mark.usefixtures("one_thread")


def small():
    index = torch.tensor([[0, 1, 2, 2, 3, 4, 5, 0], [0, 0, 0, 1, 1, 2, 2, 3]])
    return Hypergraph(index, num_nodes=6, num_edges=4, x=torch.randn(6, 3), y=torch.tensor([0, 1, 0, 1, 0, 1]))


def test_soft_operator_on_a_binary_incidence_is_hgnn():
    hg = small()
    dense = torch.zeros(6, 4)
    dense[hg.hyperedge_index[0], hg.hyperedge_index[1]] = 1.0
    x = torch.randn(6, 5)
    torch.testing.assert_close(soft_hgnn_operator(dense, x), hgnn_smoothing(x, hg), atol=1e-5, rtol=1e-5)


def test_corruption_keeps_sizes_and_replaces_the_asked_fraction():
    hg = small()
    bad = corrupt(hg, 0.5, seed=0)
    assert bad.num_edges == hg.num_edges and bad.num_incidences == hg.num_incidences
    assert sorted(bad.edge_degree().tolist()) == sorted(hg.edge_degree().tolist())
    same = corrupt(hg, 0.0, seed=0)
    assert torch.equal(same.hyperedge_index, hg.hyperedge_index)
    with pytest.raises(ValueError, match="fraction"):
        corrupt(hg, 1.5)


def test_leave_one_out_cosine_matches_a_loop():
    hg = small()
    z = torch.randn(6, 4, dtype=torch.float64)
    got = leave_one_out_cosine(z, hg)
    unit = torch.nn.functional.normalize(z, dim=1)
    nodes, edges = hg.hyperedge_index.tolist()
    for i, (v, e) in enumerate(zip(nodes, edges)):
        others = [nodes[j] for j in range(len(nodes)) if edges[j] == e and j != i]
        want = 0.0 if not others else torch.cosine_similarity(unit[v], unit[others].mean(0), dim=0).item()
        assert got[i].item() == pytest.approx(want, abs=1e-9)
    assert got[-1] == 0.0  # hyperedge 3 has one member
    with pytest.raises(ValueError, match="z must be"):
        leave_one_out_cosine(torch.randn(5, 4), hg)


def test_leave_one_out_cosine_separates_a_coherent_hyperedge_from_a_random_one():
    # Two clusters of features; hyperedge 0 stays in one cluster, hyperedge 1 mixes them.
    z = torch.cat([torch.randn(4, 8) * 0.1 + 3.0, torch.randn(4, 8) * 0.1 - 3.0])
    hg = Hypergraph(torch.tensor([[0, 1, 2, 3, 0, 4, 1, 5], [0, 0, 0, 0, 1, 1, 1, 1]]), num_nodes=8, num_edges=2)
    s = leave_one_out_cosine(z, hg)
    assert s[:4].min() > 0.9 and s[4:].max() < 0.5


def test_keep_incidences_drops_small_hyperedges_and_renumbers():
    hg = small()
    keep = torch.tensor([True, True, False, True, True, True, False, True])
    out = keep_incidences(hg, keep)
    # hyperedge 0 keeps {0, 1}, hyperedge 1 keeps {2, 3}, hyperedge 2 keeps only {4}, hyperedge 3 {0}
    assert out.num_edges == 2 and out.hyperedge_index.tolist() == [[0, 1, 2, 3], [0, 0, 1, 1]]
    assert torch.equal(out.x, hg.x)
    with pytest.raises(ValueError, match="keep must be"):
        keep_incidences(hg, torch.ones(3, dtype=torch.bool))


def test_anchor_repair_shapes_and_every_part_gets_a_gradient():
    hg = small()
    torch.manual_seed(0)
    model = AnchorRepair(3, 2, hidden_channels=8, latent_channels=4)
    prior = torch.randn(hg.num_incidences)
    logits, mu, logvar, node_logits = model(hg.x, hg, prior)
    assert logits.shape == (8,) and mu.shape == logvar.shape == (1, 6, 4) and node_logits.shape == (6, 2)
    (logits.sum() + node_logits.sum()).backward()
    assert model.mix.grad is not None and model.mix.grad.abs().sum() > 0
    assert model.vae.lin1.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="prior must be"):
        model(hg.x, hg, torch.randn(3))


def test_feature_prior_is_the_standardised_feature_similarity():
    hg = small()
    prior = feature_prior(hg.x, hg)
    s = leave_one_out_cosine(hg.x, hg)
    torch.testing.assert_close(prior, (s - s.mean()) / s.std())
    assert prior.mean().abs() < 1e-6 and (prior.std() - 1).abs() < 1e-5


def clusters(seed: int = 0) -> tuple[Hypergraph, torch.Tensor]:
    """Two feature clusters of 12 nodes (the classes); 6 hyperedges inside a cluster, 6 across them."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(24) // 12
    x = torch.randn(24, 6, generator=gen) * 0.3 + torch.where(y[:, None] == 0, 1.0, -1.0)
    edges = [torch.randperm(12, generator=gen)[:4] + 12 * (e % 2) for e in range(6)]
    edges += [torch.randperm(24, generator=gen)[:4] for _ in range(6)]
    index = torch.cat([torch.stack([m, torch.full_like(m, e)]) for e, m in enumerate(edges)], dim=1)
    return Hypergraph(index, num_nodes=24, num_edges=12, x=x, y=y), index[1] < 6


def test_train_repair_returns_trained_modules_and_a_keep_mask():
    hg, real = clusters()
    train = torch.arange(0, 24, 2)
    model, clf, keep = train_repair(hg, hg.x, hg.y, train, steps=30, seed=0)
    assert not model.training and not clf.training
    assert keep.shape == (hg.num_incidences,) and keep.dtype == torch.bool
    assert not torch.equal(model.mix.detach(), torch.tensor([1.0, 1.0, 0.0]))  # the mix was trained
    assert real[keep].float().mean() > real.float().mean()  # keeps a larger share of real incidences
    _, _, again = train_repair(hg, hg.x, hg.y, train, steps=30, seed=0)
    assert torch.equal(keep, again)
    learned = keep_incidences(hg, keep)
    assert learned.num_incidences <= hg.num_incidences


def test_propose_members_adds_the_nearest_outsiders_after_the_anchor():
    hg, _ = clusters()
    out = propose_members(hg, hg.x, 2, chunk=5)  # several chunks
    assert out.num_edges == hg.num_edges and out.num_nodes == hg.num_nodes
    assert torch.equal(out.hyperedge_index[:, :hg.num_incidences], hg.hyperedge_index)
    new_nodes, new_edges = out.hyperedge_index[:, hg.num_incidences:]
    assert new_nodes.numel() == 2 * hg.num_edges
    unit = torch.nn.functional.normalize(hg.x, dim=1)
    nodes, edges = hg.hyperedge_index
    for e in range(hg.num_edges):  # a brute-force reference per hyperedge
        members = set(nodes[edges == e].tolist())
        direction = unit[nodes[edges == e]].sum(0)
        sim = torch.nn.functional.cosine_similarity(unit, direction.expand_as(unit), dim=1)
        outside = sorted((v for v in range(hg.num_nodes) if v not in members), key=lambda v: -sim[v].item())
        got = new_nodes[new_edges == e].tolist()
        assert not members & set(got)
        assert sorted(sim[got].tolist()) == pytest.approx(sorted(sim[outside[:2]].tolist()), abs=1e-6)
    assert propose_members(hg, hg.x, 0) is hg


def test_propose_members_in_a_nearly_full_hyperedge_and_bad_arguments():
    hg = Hypergraph(torch.tensor([[0, 1, 2, 0], [0, 0, 0, 1]]), num_nodes=4, num_edges=2)
    x = torch.randn(4, 3)
    out = propose_members(hg, x, 5)
    new_nodes, new_edges = out.hyperedge_index[:, hg.num_incidences:]
    assert new_nodes[new_edges == 0].tolist() == [3]  # only one node lies outside hyperedge 0
    assert sorted(new_nodes[new_edges == 1].tolist()) == [1, 2, 3]
    with pytest.raises(ValueError, match="per_edge must be an int >= 0"):
        propose_members(hg, x, -1)
    with pytest.raises(ValueError, match="x must be"):
        propose_members(hg, x[:3], 1)
    empty = Hypergraph(torch.tensor([[0, 1], [0, 0]]), num_nodes=3, num_edges=2)
    with pytest.raises(ValueError, match="needs a member"):
        propose_members(empty, torch.randn(3, 2), 1)


def test_shared_elsewhere_matches_a_loop():
    gen = torch.Generator().manual_seed(0)
    members = [torch.randperm(9, generator=gen)[:int(k)] for k in torch.randint(1, 5, (12,), generator=gen)]
    index = torch.cat([torch.stack([m, torch.full_like(m, e)]) for e, m in enumerate(members)], dim=1)
    hg = Hypergraph(index, num_nodes=10, num_edges=12)  # node 9 is isolated
    got = shared_elsewhere(hg)
    sets = [set(m.tolist()) for m in members]
    for i, (v, e) in enumerate(index.t().tolist()):
        others = sets[e] - {v}
        want = 0.0 if not others else sum(
            sum(1 for f, s in enumerate(sets) if f != e and u in s and v in s) for u in others) / len(others)
        assert got[i].item() == pytest.approx(want)
    empty = Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=3, num_edges=0)
    assert shared_elsewhere(empty).shape == (0,)


def test_structure_term_is_learned_and_checked():
    hg, real = clusters()
    train = torch.arange(0, 24, 2)
    model, _, keep = train_repair(hg, hg.x, hg.y, train, steps=20, seed=0, structure=True)
    assert model.structure_weight.item() != 1.0  # trained
    plain, _, _ = train_repair(hg, hg.x, hg.y, train, steps=20, seed=0)
    assert plain.structure_weight.item() == 1.0  # unused without structure
    with pytest.raises(ValueError, match="structure must be"):
        model(hg.x, hg, feature_prior(hg.x, hg), torch.zeros(3))


def test_teaching_the_latents_changes_training_and_is_checked():
    hg, _ = clusters()
    train = torch.arange(0, 24, 2)
    plain, _, _ = train_repair(hg, hg.x, hg.y, train, steps=20, seed=0)
    taught, _, _ = train_repair(hg, hg.x, hg.y, train, steps=20, seed=0, teach=1.0)
    assert not torch.equal(plain.mix.detach(), taught.mix.detach())
    with pytest.raises(ValueError, match="teach"):
        train_repair(hg, hg.x, hg.y, train, teach=-1.0)


def test_train_repair_checks_its_arguments():
    hg, _ = clusters()
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        train_repair(hg, hg.x, hg.y, torch.arange(4), steps=0)
    with pytest.raises(ValueError, match="x must be"):
        train_repair(hg, hg.x[:5], hg.y, torch.arange(4))
    with pytest.raises(ValueError, match="y must be"):
        train_repair(hg, hg.x, hg.y[:5], torch.arange(4))


def test_selection_keeps_the_best_evaluated_step():
    hg, _ = clusters()
    train, val = torch.arange(0, 24, 2), torch.arange(1, 24, 2)
    prior = feature_prior(hg.x, hg)

    def val_acc(model, clf):
        with torch.no_grad():
            p = torch.sigmoid(model(hg.x, hg, prior)[0])
            dense = torch.zeros(hg.num_nodes, hg.num_edges).index_put(tuple(hg.hyperedge_index), p, accumulate=True)
            return (clf(hg.x, dense)[val].argmax(-1) == hg.y[val]).float().mean().item()

    last_model, last_clf, _ = train_repair(hg, hg.x, hg.y, train, steps=12, seed=0)
    best_model, best_clf, keep = train_repair(hg, hg.x, hg.y, train, steps=12, seed=0, select_idx=val, eval_every=1)
    assert keep.shape == (hg.num_incidences,)
    assert val_acc(best_model, best_clf) >= val_acc(last_model, last_clf)


def test_weights_from_the_validation_nodes():
    hg, _ = clusters()
    train, val = torch.arange(0, 24, 2), torch.arange(1, 24, 2)
    model, _, keep = train_repair(hg, hg.x, hg.y, train, steps=15, seed=0, structure=True, val_idx=val)
    plain, _, _ = train_repair(hg, hg.x, hg.y, train, steps=15, seed=0, structure=True)
    assert keep.shape == (hg.num_incidences,)
    assert not torch.equal(model.mix.detach(), plain.mix.detach())  # other gradients reach the weights
    assert not torch.equal(model.mix.detach(), torch.tensor([1.0, 1.0, 0.0]))  # but they do learn
    for name in ("val_idx", "select_idx"):
        for empty in (torch.empty(0, dtype=torch.long), torch.zeros(24, dtype=torch.bool)):
            with pytest.raises(ValueError, match=f"{name} selects no node"):
                train_repair(hg, hg.x, hg.y, train, steps=1, **{name: empty})
