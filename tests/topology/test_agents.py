import pytest
import torch

from hgnn.topology.agents import (decide, expert_agreement, route, route_sequential, router_query, train_experts,
                                  train_router, train_sequential_router)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_decide_averages_the_hyperedge_means_and_is_uniform_when_nobody_speaks():
    outputs = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]])  # [1, A=3, C=2]
    one = torch.tensor([[[1.0], [1.0], [1.0]]])
    torch.testing.assert_close(decide(outputs, one), torch.tensor([[1 / 3, 2 / 3]]))
    # Two hyperedges {0} and {1, 2}: the decision node averages their means, (1, 0) and (0, 1).
    two = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]])
    torch.testing.assert_close(decide(outputs, two), torch.tensor([[0.5, 0.5]]))
    torch.testing.assert_close(decide(outputs, torch.zeros(3, 2)), torch.tensor([[0.5, 0.5]]))  # shared [A, K]


def test_expert_agreement():
    outputs = torch.tensor([[[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]])
    assert expert_agreement(outputs).tolist() == [0.75]


def test_experts_see_disjoint_slices_and_learn():
    torch.manual_seed(0)
    y = torch.randint(0, 2, (200,))
    x = torch.randn(200, 6)
    x[:, 0] += 3 * (2 * y - 1)  # only column 0 carries the label
    outputs, slices = train_experts(x, y, torch.arange(100), 3, seed=0, epochs=100)
    assert outputs.shape == (200, 3, 2) and torch.allclose(outputs.sum(-1), torch.ones(200, 3))
    assert sorted(torch.cat(slices).tolist()) == list(range(6))
    informed = next(j for j, cols in enumerate(slices) if 0 in cols.tolist())
    acc = (outputs[100:].argmax(-1) == y[100:, None]).float().mean(0)
    assert acc[informed] > 0.9 and acc.min() < 0.75
    with pytest.raises(ValueError, match="num_experts"):
        train_experts(x, y, torch.arange(10), 7)


def test_router_learns_to_ask_the_right_agent_per_query():
    # Agent q-th is right on queries of type q and wrong elsewhere (4 agents, 2 types); the query
    # says its type. A good router asks the one right agent: full accuracy with one message.
    torch.manual_seed(0)
    q_type = torch.randint(0, 2, (256,))
    y = torch.randint(0, 3, (256,))
    right = torch.nn.functional.one_hot(y, 3).float() * 0.9 + 0.05
    wrong = torch.nn.functional.one_hot((y + 1) % 3, 3).float() * 0.9 + 0.05
    outputs = torch.stack([torch.where((q_type == a % 2)[:, None], right, wrong) for a in range(4)], dim=1)
    outputs[:, 2:] = wrong[:, None]  # agents 2 and 3 are always wrong
    query = torch.nn.functional.one_hot(q_type, 2).float()
    vae, history = train_router(outputs, query, y, torch.arange(256), num_slots=1, cost=0.05, steps=300,
                                batch_size=64, seed=0, progress=False)
    with torch.no_grad():
        chosen = (vae(torch.eye(4), None, query).prob > 0.5).float()
    accuracy = (decide(outputs, chosen).argmax(-1) == y).float().mean()
    assert accuracy > 0.95 and chosen.sum((1, 2)).mean() < 1.5
    assert history[-1] > history[0]


def test_router_and_experts_check_their_arguments():
    outputs, query, y = torch.rand(10, 3, 2), torch.rand(10, 4), torch.randint(0, 2, (10,))
    with pytest.raises(ValueError, match="same Q"):
        train_router(outputs, query[:5], y, torch.arange(5))
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        train_router(outputs, query, y, torch.arange(5), steps=0)
    with pytest.raises(ValueError, match="train_idx is empty"):
        train_router(outputs, query, y, torch.arange(0))
    with pytest.raises(ValueError, match="epochs must be"):
        train_experts(query, y, torch.arange(5), 2, epochs=0)
    with pytest.raises(ValueError, match="y \\[Q\\] labels"):
        train_experts(query, y[:5], torch.arange(5), 2)


def probe_task():
    """Agent 0 (the probe) is right on type-0 queries only; agent 1 on type-1 queries only; agent 2
    never. The query does not say its type, but the probe's answer does (it is confident exactly
    when right). Returns the query types, labels, the agents' outputs ``[256, 3, 3]`` and the queries."""
    torch.manual_seed(0)
    q_type = torch.randint(0, 2, (256,))
    y = torch.randint(0, 3, (256,))
    right = torch.nn.functional.one_hot(y, 3).float() * 0.9 + 0.05
    unsure = torch.full((256, 3), 1 / 3)
    outputs = torch.stack([torch.where((q_type == 0)[:, None], right, unsure),
                           torch.where((q_type == 1)[:, None], right, unsure), unsure], dim=1)
    return q_type, y, outputs, torch.ones(256, 1)


def train_probe_router(outputs, query, y, **options):
    """The router of the probe task: one slot, agent 0 as the probe, 300 steps of 4 samples."""
    return train_router(outputs, query, y, torch.arange(256), num_slots=1, cost=0.05, steps=300, batch_size=64,
                        probe=0, samples=4, seed=0, progress=False, **options)


def test_probe_and_escalate_routes_through_the_probe():
    q_type, y, outputs, query = probe_task()
    assert router_query(outputs, query, 0).shape == (256, 1 + 3 + 3 + 1 + 1)
    vae, _ = train_probe_router(outputs, query, y, entropy=0.05)
    incidence, messages = route(vae, outputs, query, probe=0)
    assert incidence.shape == (256, 3, 2) and torch.all(incidence[:, 0, 1] == 1)  # the probe's own hyperedge
    assert torch.equal(messages, incidence[:, :, :1].flatten(1).sum(1) + 1)
    assert (decide(outputs, incidence).argmax(-1) == y).float().mean() > 0.95
    # it escalates to agent 1 where the probe is unsure, and stops where the probe is sure
    assert messages[q_type == 1].mean() > messages[q_type == 0].mean() + 0.5
    # without the entropy bonus the probabilities saturate and the router asks agent 1 everywhere
    vae, _ = train_probe_router(outputs, query, y)
    _, flat = route(vae, outputs, query, probe=0)
    assert flat[q_type == 1].mean() - flat[q_type == 0].mean() < 0.5


def test_several_probes_vote_and_share_one_hyperedge():
    outputs = torch.softmax(torch.randn(6, 4, 3), -1)
    query = torch.zeros(6, 2)
    routed = router_query(outputs, query, [0, 2])
    mean = outputs[:, [0, 2]].mean(1)
    assert torch.allclose(routed[:, 2:5], mean) and torch.allclose(routed[:, 5:8], mean.sort(1, descending=True).values)
    votes = routed[:, -1]
    agree = outputs[:, 0].argmax(-1) == outputs[:, 2].argmax(-1)
    assert torch.equal(votes, torch.where(agree, 1.0, 0.5))
    vae, _ = train_router(outputs, query, torch.zeros(6, dtype=torch.long), torch.arange(6), num_slots=2, steps=2,
                          probe=[0, 2], samples=2, progress=False)
    incidence, messages = route(vae, outputs, query, probe=[0, 2])
    assert incidence.shape == (6, 4, 3) and incidence[:, [0, 2], 2].eq(1).all() and incidence[:, [1, 3], 2].eq(0).all()
    assert torch.equal(messages, incidence[:, :, :2].flatten(1).sum(1) + 2)


def test_probe_must_be_an_agent():
    outputs, query, y = torch.rand(10, 3, 2), torch.rand(10, 4), torch.randint(0, 2, (10,))
    for probe in (3, True, [], [0, 0], [0, 5]):
        with pytest.raises(ValueError, match="probe must be None, an agent id, distinct agent ids"):
            train_router(outputs, query, y, torch.arange(5), probe=probe)
    with pytest.raises(ValueError, match="probe must be None"):
        router_query(outputs, query, True)
    with pytest.raises(ValueError, match="samples must be an int >= 1"):
        train_router(outputs, query, y, torch.arange(5), samples=0)
    with pytest.raises(ValueError, match="entropy"):
        train_router(outputs, query, y, torch.arange(5), entropy=-0.1)


def test_entropy_bonus_applies_with_one_sample_too():
    torch.manual_seed(0)
    outputs = torch.softmax(torch.randn(32, 3, 2), -1)
    query, y = torch.randn(32, 2), torch.randint(0, 2, (32,))
    weights = []
    for entropy in (0.0, 0.5):
        vae, _ = train_router(outputs, query, y, torch.arange(32), num_slots=1, steps=5, batch_size=8,
                              entropy=entropy, seed=0, progress=False)
        weights.append(vae.slots.detach().clone())
    assert not torch.equal(weights[0], weights[1])


def test_gated_router_stops_where_the_probe_is_sure():
    # The probe task with slot gates: one draw per query opens or closes the escalation.
    q_type, y, outputs, query = probe_task()
    vae, _ = train_probe_router(outputs, query, y, entropy=0.05, gates=True)
    assert vae.gates is not None
    incidence, messages = route(vae, outputs, query, probe=0)
    assert (decide(outputs, incidence).argmax(-1) == y).float().mean() > 0.95
    assert messages[q_type == 0].mean() < 1.5 and messages[q_type == 1].mean() > 1.5


def test_probes_per_query():
    # Each query has its own probe: a [Q, P] tensor, gathered per row, one hyperedge per query.
    outputs = torch.softmax(torch.randn(5, 4, 3), dim=-1)
    ids = torch.tensor([[0, 1], [2, 3], [1, 2], [0, 3], [3, 1]])
    got = router_query(outputs, torch.zeros(5, 1), ids)
    for b in range(5):
        want = router_query(outputs[b:b + 1], torch.zeros(1, 1), ids[b].tolist())
        torch.testing.assert_close(got[b:b + 1], want)
    vae, _ = train_router(outputs, torch.zeros(5, 1), torch.tensor([0, 1, 2, 0, 1]), torch.arange(5), num_slots=1,
                          steps=2, batch_size=4, probe=ids, seed=0, progress=False)
    incidence, messages = route(vae, outputs, torch.zeros(5, 1), ids)
    probes_edge = incidence[:, :, -1]
    assert torch.equal(probes_edge, torch.zeros(5, 4).scatter_(1, ids, 1.0))
    assert bool((messages >= 2).all())
    for bad in (torch.tensor([[0, 0]] * 5), torch.tensor([[0, 4]] * 5), torch.tensor([[0, 1]] * 4),
                torch.tensor([[0.0, 1.0]] * 5)):
        with pytest.raises(ValueError, match="probe as a tensor"):
            router_query(outputs, torch.zeros(5, 1), bad)


def test_joined_probes_share_the_routers_slot():
    q_type, y, outputs, query = probe_task()
    vae, _ = train_probe_router(outputs, query, y, entropy=0.05, join_probes=True)
    incidence, messages = route(vae, outputs, query, probe=0, join_probes=True)
    assert incidence.shape == (256, 3, 1) and torch.all(incidence[:, 0, 0] == 1)  # the probe is in the one slot
    assert torch.equal(messages, incidence.flatten(1).sum(1))  # one message per incidence, the probe's once
    assert (decide(outputs, incidence).argmax(-1) == y).float().mean() > 0.95
    assert messages[q_type == 1].mean() > messages[q_type == 0].mean() + 0.5


def test_a_second_round_sees_what_the_first_added():
    # Three query types the query does not tell apart (40 / 40 / 20%). The probe (agent 0) is right
    # on type 0 and unsure elsewhere; agent 1 is right on type 1, agent 2 on type 2, both unsure
    # elsewhere. One round must ask agents 1 and 2 together wherever the probe is unsure; with two
    # rounds the router asks agent 1 first and agent 2 only where agent 1 is unsure too.
    torch.manual_seed(0)
    q_type = torch.multinomial(torch.tensor([0.4, 0.4, 0.2]), 384, replacement=True)
    y = torch.randint(0, 3, (384,))
    right = torch.nn.functional.one_hot(y, 3).float() * 0.9 + 0.05
    unsure = torch.full((384, 3), 1 / 3)
    outputs = torch.stack([torch.where((q_type == a)[:, None], right, unsure) for a in range(3)], dim=1)
    query = torch.ones(384, 1)
    per_type = {}
    for rounds in (1, 2):
        vae, _ = train_router(outputs, query, y, torch.arange(384), num_slots=1, cost=0.15, steps=400, batch_size=64,
                              probe=0, samples=4, entropy=0.05, join_probes=True, rounds=rounds, seed=0,
                              progress=False)
        incidence, messages = route(vae, outputs, query, probe=0, join_probes=True, rounds=rounds)
        assert incidence.shape == (384, 3, 1) and torch.all(incidence[:, 0, 0] == 1)
        assert torch.equal(messages, incidence.flatten(1).sum(1))
        assert (decide(outputs, incidence).argmax(-1) == y).float().mean() > 0.95
        per_type[rounds] = [messages[q_type == t].mean().item() for t in range(3)]
    assert vae.query_channels == 1 + 2 * 3 + 3
    assert per_type[1][0] < 1.3 and per_type[1][1] == per_type[1][2] == 3.0
    assert per_type[2][0] < 1.3 and per_type[2][1] < 2.2 and per_type[2][2] > 2.8
    with pytest.raises(ValueError, match="pass the probe and rounds it was trained with"):
        route(vae, outputs, query, probe=0, join_probes=True)


def test_rounds_check_their_arguments():
    outputs, query, y = torch.rand(10, 3, 2), torch.rand(10, 4), torch.randint(0, 2, (10,))
    for options in ({"rounds": 0}, {"rounds": True}, {"rounds": 2, "num_slots": 2, "join_probes": True},
                    {"rounds": 2, "num_slots": 1}, {"rounds": 2, "num_slots": 1, "join_probes": True, "gates": True}):
        with pytest.raises(ValueError, match="rounds"):
            train_router(outputs, query, y, torch.arange(5), probe=0, **options)


def test_group_summary_of_the_probes_is_what_router_query_reads():
    from hgnn.topology.agents import _group_summary
    outputs = torch.softmax(torch.randn(6, 4, 3), -1)
    routed = router_query(outputs, torch.zeros(6, 2), [0, 2])
    members = torch.zeros(6, 4)
    members[:, [0, 2]] = 1.0
    summary = _group_summary(outputs, members)
    torch.testing.assert_close(summary[:, :-1], routed[:, 2:])
    assert torch.equal(summary[:, -1], torch.full((6,), 0.5))


def _split_pool(num_queries: int = 480, seed: int = 0):
    """Seven agents, three classes. On easy queries every agent is right; on hard ones a random three
    of the seven say the same wrong class (all seven still settle on the label), and the query does
    not say which."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (num_queries,), generator=gen)
    hard = torch.rand(num_queries, generator=gen) < 0.5
    right = torch.nn.functional.one_hot(y, 3).float() * 0.8 + 0.2 / 3
    wrong = torch.nn.functional.one_hot((y + 1) % 3, 3).float() * 0.8 + 0.2 / 3
    wrong_agents = torch.rand(num_queries, 7, generator=gen).argsort(1)[:, :3]
    is_wrong = torch.zeros(num_queries, 7, dtype=torch.bool).scatter_(1, wrong_agents, True) & hard[:, None]
    outputs = torch.where(is_wrong[..., None], wrong[:, None], right[:, None])
    return outputs, torch.ones(num_queries, 1), y, hard


def test_sequential_router_asks_more_where_the_agents_disagree():
    outputs, query, y, hard = _split_pool()
    vae, history = train_sequential_router(outputs, query, y, torch.arange(240), steps=300, batch_size=64, seed=0,
                                           progress=False)
    assert history[-1] < history[0]
    test = torch.arange(240, 480)
    incidence, messages = route_sequential(vae, outputs[test], query[test], target=0.9)
    assert incidence.shape == (240, 7, 1) and torch.equal(messages, incidence.flatten(1).sum(1))
    assert (decide(outputs[test], incidence).argmax(-1) == y[test]).float().mean() > 0.95
    easy_msgs, hard_msgs = messages[~hard[test]].mean(), messages[hard[test]].mean()
    assert easy_msgs <= 3.0 and hard_msgs > 1.5 * easy_msgs  # it stops once the answers agree
    # a lower target stops sooner; target 1 asks everyone
    assert route_sequential(vae, outputs[test], query[test], target=0.5)[1].mean() < messages.mean()
    assert torch.all(route_sequential(vae, outputs[test], query[test], target=1.0)[1] == 7)


def test_sequential_router_reaches_the_reference_groups_answer():
    # Agents 0-2 are right, agents 3-6 always say class 0: with all seven the answer is often wrong,
    # with the reference "agents 0-2" it is right, and the router learns to ask those first.
    outputs, query, y, _ = _split_pool(seed=1)
    outputs[:, 3:] = torch.tensor([0.9, 0.05, 0.05])
    outputs[:, :3] = (torch.nn.functional.one_hot(y, 3).float() * 0.8 + 0.2 / 3).unsqueeze(1)
    reference = torch.zeros(480, 7)
    reference[:, :3] = 1.0
    vae, _ = train_sequential_router(outputs, query, y, torch.arange(240), reference=reference, steps=300,
                                     batch_size=64, seed=0, progress=False)
    incidence, messages = route_sequential(vae, outputs[240:], query[240:], target=0.8)
    assert (decide(outputs[240:], incidence).argmax(-1) == y[240:]).float().mean() > 0.95
    assert incidence[:, 3:].sum() == 0 and messages.mean() < 3


def test_sequential_router_checks_its_arguments():
    outputs, query, y = torch.softmax(torch.rand(10, 3, 2), -1), torch.rand(10, 4), torch.randint(0, 2, (10,))
    with pytest.raises(ValueError, match="reference"):
        train_sequential_router(outputs, query, y, torch.arange(5), reference=torch.zeros(10, 3))
    with pytest.raises(ValueError, match="reference"):
        train_sequential_router(outputs, query, y, torch.arange(5), reference=torch.ones(10, 2))
    with pytest.raises(ValueError, match="steps"):
        train_sequential_router(outputs, query, y, torch.arange(5), steps=0)
    with pytest.raises(ValueError, match="train_idx"):
        train_sequential_router(outputs, query, y, torch.arange(0))
    vae, _ = train_sequential_router(outputs, query, y, torch.arange(5), steps=2, progress=False)
    for target in (0.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match="target"):
            route_sequential(vae, outputs, query, target=target)
    with pytest.raises(ValueError, match="train_sequential_router"):
        route_sequential(vae, outputs, torch.rand(10, 5))
    router, _ = train_router(outputs, query, y, torch.arange(5), num_slots=1, steps=2, progress=False)
    with pytest.raises(ValueError, match="train_sequential_router"):
        route_sequential(router, outputs, query)
    for cap in (0, 4, True, 2.0):
        with pytest.raises(ValueError, match="max_agents"):
            train_sequential_router(outputs, query, y, torch.arange(5), max_agents=cap)
        with pytest.raises(ValueError, match="max_agents"):
            route_sequential(vae, outputs, query, max_agents=cap)


def test_sequential_router_options():
    outputs, query, y, _ = _split_pool()
    vae, _ = train_sequential_router(outputs, query, y, torch.arange(240), max_agents=3, gate_reads_answer=True,
                                     steps=20, batch_size=64, progress=False)
    assert vae.gate_channels == 2 * 3 + 3  # the mean answer, then the agreement channels
    incidence, messages = route_sequential(vae, outputs, query, target=1.0, max_agents=3)
    assert torch.all(messages == 3) and torch.equal(messages, incidence.flatten(1).sum(1))


@pytest.mark.parametrize("train", ["train_router", "train_sequential_router"])
def test_routers_reject_bad_inputs_before_training(train):
    fit = {"train_router": train_router, "train_sequential_router": train_sequential_router}[train]
    outputs, query, y = torch.softmax(torch.rand(10, 3, 2), -1), torch.rand(10, 4), torch.randint(0, 2, (10,))
    with pytest.raises(ValueError, match=r"train_idx must lie in \[0, Q=10\)"):
        fit(outputs, query, y, torch.arange(5, 12), steps=1)
    with pytest.raises(TypeError, match="train_idx must be a 1-D integer tensor"):
        fit(outputs, query, y, torch.arange(5).float(), steps=1)
    with pytest.raises(TypeError, match=r"query.to\(outputs.dtype\)"):
        fit(outputs, query.double(), y, torch.arange(5), steps=1)
    with pytest.raises(ValueError, match="finite"):
        fit(outputs.masked_fill(torch.eye(3, 2, dtype=torch.bool), float("nan")), query, y, torch.arange(5), steps=1)
    with pytest.raises(ValueError, match="y must be"):
        fit(outputs, query, y[:9], torch.arange(5), steps=1)


def test_routing_an_empty_batch():
    outputs, query, y = torch.softmax(torch.rand(10, 3, 2), -1), torch.rand(10, 4), torch.randint(0, 2, (10,))
    vae, _ = train_sequential_router(outputs, query, y, torch.arange(5), steps=2, progress=False)
    incidence, messages = route_sequential(vae, outputs[:0], query[:0])
    assert incidence.shape == (0, 3, 1) and messages.shape == (0,)
    router, _ = train_router(outputs, query, y, torch.arange(5), num_slots=2, steps=2, progress=False)
    incidence, messages = route(router, outputs[:0], query[:0])
    assert incidence.shape == (0, 3, 2) and messages.shape == (0,)
    with pytest.raises(TypeError, match="one dtype"):
        route(router, outputs, query.double())


def test_decide_agreement_and_experts_check_shapes():
    outputs = torch.softmax(torch.rand(5, 3, 2), -1)
    with pytest.raises(ValueError, match=r"outputs must be \[B, A, C\]"):
        decide(outputs[0], torch.ones(3, 1))
    for incidence in (torch.ones(4, 1), torch.ones(2, 3, 1), torch.ones(5, 3)[None, None]):
        with pytest.raises(ValueError, match="incidence must be"):
            decide(outputs, incidence)
    with pytest.raises(ValueError, match=r"outputs must be \[Q, A, C\]"):
        expert_agreement(outputs[0])
    with pytest.raises(ValueError, match="train_idx"):
        train_experts(torch.rand(10, 4), torch.randint(0, 2, (10,)), torch.arange(5, 12), 2, epochs=1)
    with pytest.raises(ValueError, match="outputs must be"):
        router_query(outputs[0], torch.rand(3, 2), 0)
