import pytest
import torch

from hgnn.topology.planted import (DIFFICULTIES, co_membership_f1, communicate, episodes, knn_incidence, planted_groups,
                                   train_fixed, train_planted)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_planted_groups_are_disjoint_and_sized():
    for groups, size in DIFFICULTIES.values():
        h = planted_groups(24, groups, size, seed=1)
        assert h.shape == (24, groups) and (h.sum(0) == size).all() and (h.sum(1) <= 1).all()
    with pytest.raises(ValueError, match="do not fit"):
        planted_groups(5, 2, 3)


def test_targets_and_messages_follow_the_definition():
    h = planted_groups(6, 1, 3, seed=0)
    v, y = episodes(h, 4, 2, torch.Generator().manual_seed(0))
    members = h[:, 0].bool()
    group_sum = v[:, members, 0].sum(1, keepdim=True)
    assert torch.equal(y[:, members], (group_sum > 0).long().expand(-1, 3))
    assert torch.equal(y[:, ~members], (v[:, ~members, 0] > 0).long())
    m = communicate(v, h.unsqueeze(0))
    torch.testing.assert_close(m[:, members], v[:, members].sum(1, keepdim=True).expand(-1, 3, -1))
    torch.testing.assert_close(m[:, ~members], v[:, ~members])  # no hyperedge: the agent's own vector


def test_co_membership_f1_and_knn():
    h = planted_groups(8, 2, 2, seed=0)
    assert co_membership_f1(h, h) == 1.0
    assert co_membership_f1(torch.zeros(8, 1), h) == 0.0
    inc = knn_incidence(torch.randn(3, 8, 2), k=2)
    assert inc.shape == (3, 8, 8) and (inc.sum(1) == 3).all()  # each agent's hyperedge: itself + 2


def test_the_hidden_groups_make_the_task_solvable():
    h = planted_groups(24, *DIFFICULTIES["hard"], seed=0)
    assert train_fixed(h, lambda v: h.unsqueeze(0), 4, 200, 0) > 0.95
    assert train_fixed(h, lambda v: torch.zeros(1, 24, 1), 4, 200, 0) < 0.75  # alone, agents guess


def test_train_planted_recovers_the_hidden_groups():
    h = planted_groups(8, 2, 3, seed=0)
    vae, decider, learned = train_planted(h, num_slots=4, steps=200, seed=0)
    assert not vae.training and not decider.training
    assert learned.shape == (8, 4) and set(learned.unique().tolist()) <= {0.0, 1.0}
    assert ((learned.sum(0) == 0) | (learned.sum(0) >= 2)).all()  # no singleton slot survives
    assert co_membership_f1(learned, h) == 1.0
    _, _, again = train_planted(h, num_slots=4, steps=200, seed=0)
    assert torch.equal(learned, again)


@pytest.mark.parametrize("relaxation", ["gumbel", "hard-concrete", "reinforce"])
def test_train_planted_runs_with_every_relaxation(relaxation):
    h = planted_groups(6, 1, 3, seed=0)
    _, _, learned = train_planted(h, num_slots=2, steps=3, batch_size=8, relaxation=relaxation, latent=8, seed=0)
    assert learned.shape == (6, 2)


def test_train_planted_and_train_fixed_check_their_arguments():
    h = planted_groups(6, 1, 3, seed=0)
    with pytest.raises(ValueError, match="relaxation must be one of"):
        train_planted(h, relaxation="sampled")
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        train_planted(h, steps=0)
    with pytest.raises(ValueError, match="groups must be"):
        train_planted(h[:, 0])
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        train_fixed(h, lambda v: h.unsqueeze(0), 4, 0, 0)
