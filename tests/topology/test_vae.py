import itertools

import pytest
import torch

from hgnn import Hypergraph
from hgnn.topology import HypergraphTopologyVAE

pytestmark = pytest.mark.usefixtures("one_thread")


def anchor():
    return Hypergraph(torch.tensor([[0, 1, 2, 2, 3, 4], [0, 0, 0, 1, 1, 1]]), num_nodes=6, num_edges=2)


def test_shapes_with_anchor_and_batched_queries():
    vae = HypergraphTopologyVAE(5, num_slots=4, hidden_channels=8, latent_channels=6, query_channels=3)
    out = vae(torch.randn(6, 5), anchor(), torch.randn(7, 3))
    assert out.prob.shape == (7, 6, 4) and out.mu.shape == (7, 7, 6)  # the task node is the last row
    assert ((out.prob > 0) & (out.prob < 1)).all()
    sample = vae.discretize(out, "bernoulli")
    assert sample.incidence.shape == (7, 6, 4) and sample.log_prob.shape == (7,)
    graphs = sample.hypergraphs()
    assert len(graphs) == 7 and all(g.num_nodes == 6 for g in graphs)
    assert all(bool((g.edge_degree() >= 2).all()) for g in graphs)  # no empty or singleton hyperedge


def test_queries_change_the_topology_and_structure_is_optional():
    vae = HypergraphTopologyVAE(5, num_slots=3, query_channels=2).eval()
    x = torch.randn(4, 5)
    out = vae(x, None, torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    assert not torch.allclose(out.prob[0], out.prob[1])
    plain = HypergraphTopologyVAE(5, num_slots=3).eval()
    assert plain(x).prob.shape == (1, 4, 3)


def test_sampling_is_reproducible_under_a_seed():
    vae = HypergraphTopologyVAE(5, num_slots=4)
    x = torch.randn(6, 5)
    torch.manual_seed(3)
    out = vae(x, anchor())
    for mode in ("bernoulli", "gumbel", "hard-concrete"):
        a = vae.discretize(out, mode, generator=torch.Generator().manual_seed(1)).incidence
        b = vae.discretize(out, mode, generator=torch.Generator().manual_seed(1)).incidence
        assert torch.equal(a, b)
    torch.manual_seed(3)
    again = vae(x, anchor())
    torch.testing.assert_close(out.prob, again.prob)  # the reparameterisation noise follows torch's seed


def test_straight_through_samples_are_binary_forward_and_differentiable():
    vae = HypergraphTopologyVAE(5, num_slots=4)
    out = vae(torch.randn(6, 5), anchor())
    for mode in ("gumbel", "hard-concrete"):
        h = vae.discretize(out, mode, generator=torch.Generator().manual_seed(0)).incidence
        assert set(h.detach().unique().tolist()) <= {0.0, 1.0}
        (grad,) = torch.autograd.grad(h.sum(), vae.slot_bias, retain_graph=True)
        assert grad.abs().sum() > 0
    top = vae.discretize(out, "topk", k=2).incidence
    assert top.sum(1).eq(2).all()


def test_sparsity_gradient_lowers_every_probability():
    vae = HypergraphTopologyVAE(5, num_slots=4)
    out = vae(torch.randn(6, 5), anchor())
    vae.sparsity_loss(out).backward()
    assert (vae.slot_bias.grad > 0).all()  # a descent step lowers each slot's logits, hence its incidences


def test_anchor_loss_is_zero_at_the_anchor_and_checks_slots():
    vae = HypergraphTopologyVAE(5, num_slots=3)
    out = vae(torch.randn(6, 5), anchor())
    target = torch.zeros(6, 3)
    target[anchor().hyperedge_index[0], anchor().hyperedge_index[1]] = 1
    out.prob = target.unsqueeze(0)
    assert vae.anchor_loss(out, anchor()).item() == 0.0
    small = HypergraphTopologyVAE(5, num_slots=1)
    with pytest.raises(ValueError, match="num_slots >= 2"):
        small.anchor_loss(small(torch.randn(6, 5)), anchor())


def test_reinforce_gradient_matches_finite_differences():
    """Two nodes, one slot: E[u(H)] enumerated exactly; the REINFORCE estimate averaged over many
    samples must match its finite-difference derivative in the slot bias."""
    torch.manual_seed(0)
    vae = HypergraphTopologyVAE(3, num_slots=1, hidden_channels=4, latent_channels=2).double().eval()
    x = torch.randn(2, 3, dtype=torch.float64)
    utility = {h: float(u) for h, u in zip(itertools.product([0, 1], repeat=2), [0.0, 1.0, -2.0, 3.0])}

    def expected_utility() -> float:
        p = vae(x).prob.detach().view(2)
        return sum(u * float(torch.prod(torch.where(torch.tensor(h) == 1, p, 1 - p))) for h, u in utility.items())

    eps = 1e-5
    with torch.no_grad():
        vae.slot_bias += eps
        up = expected_utility()
        vae.slot_bias -= 2 * eps
        down = expected_utility()
        vae.slot_bias += eps
    fd = (up - down) / (2 * eps)
    out = vae(x)
    out.prob, out.logits = out.prob.expand(20000, -1, -1), out.logits.expand(20000, -1, -1)
    sample = vae.discretize(out, "bernoulli", generator=torch.Generator().manual_seed(0))
    u = torch.tensor([utility[tuple(int(v) for v in h.view(2).tolist())] for h in sample.incidence],
                     dtype=torch.float64)
    vae.reinforce_loss(sample.log_prob, u).backward()
    assert vae.slot_bias.grad.item() == pytest.approx(-fd, abs=0.03)  # the loss is -E[u]


def test_bad_inputs():
    vae = HypergraphTopologyVAE(5, num_slots=2, query_channels=3)
    with pytest.raises(ValueError, match="query-conditioned"):
        vae(torch.randn(4, 5))
    with pytest.raises(ValueError, match="hg has 6 nodes"):
        vae(torch.randn(4, 5), anchor(), torch.randn(3))
    with pytest.raises(ValueError, match="mode must be one of"):
        vae.discretize(vae(torch.randn(4, 5), None, torch.randn(3)), "nope")
    with pytest.raises(ValueError, match="NaN or inf"):
        vae.reinforce_loss(torch.zeros(2), torch.tensor([1.0, float("nan")]))


def test_encode_is_the_forward_pass_encoder_and_kl_is_gaussian():
    from hgnn.topology.vae import gaussian_kl

    torch.manual_seed(0)
    vae = HypergraphTopologyVAE(3, 4, hidden_channels=8, latent_channels=5).eval()
    x = torch.randn(6, 3)
    mu, logvar, z = vae.encode(x)
    out = vae(x)
    assert mu.shape == (1, 6, 5) and torch.equal(z, mu)
    torch.testing.assert_close(out.mu, mu)
    torch.testing.assert_close(vae.kl_loss(out), gaussian_kl(mu, logvar))
    assert gaussian_kl(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4)).item() == 0.0
    # KL of N(1, 1) against N(0, 1) is 1/2 per channel: 3 nodes x 4 channels.
    assert gaussian_kl(torch.ones(2, 3, 4), torch.zeros(2, 3, 4)).item() == pytest.approx(6.0)


def test_slot_gates_close_whole_slots_and_enter_the_log_probability():
    vae = HypergraphTopologyVAE(5, num_slots=3, hidden_channels=8, latent_channels=6, query_channels=2, gates=True)
    x, q = torch.randn(4, 5), torch.randn(6, 2)
    out = vae(x, None, q)
    assert out.gate_logits.shape == (6, 3)
    gate = torch.sigmoid(out.gate_logits)
    torch.testing.assert_close(out.expected, gate.unsqueeze(1) * out.prob)
    torch.testing.assert_close(HypergraphTopologyVAE.sparsity_loss(out), (gate.unsqueeze(1) * out.prob).sum((1, 2)).mean())
    sample = vae.discretize(out, "bernoulli", generator=torch.Generator().manual_seed(0))
    opened = sample.incidence.amax(1) > 0  # a slot with a member is open
    # log p = sum_k log p(open_k) + open_k * sum_v log p(H_vk); recover the gate draws where a slot has no member
    with torch.no_grad():
        for b in range(6):
            for opened_guess in itertools.product([0.0, 1.0], repeat=3):
                o = torch.tensor(opened_guess)
                if bool((o < opened[b].float()).any()):
                    continue  # a slot with members must be open
                members = sample.incidence[b]
                want = (o * gate[b].log() + (1 - o) * (1 - gate[b]).log()).sum() + (
                    o * (members * out.prob[b].log() + (1 - members) * (1 - out.prob[b]).log()).sum(0)).sum()
                if torch.isclose(want, sample.log_prob[b], atol=1e-5):
                    break
            else:
                raise AssertionError(f"log_prob of query {b} matches no gate draw")
    closed = vae.discretize(out, "threshold")
    torch.testing.assert_close(closed.incidence, (out.prob > 0.5).float() * (gate > 0.5).float().unsqueeze(1))
    sample.log_prob.sum().backward()
    assert vae.gates.weight.grad is not None and vae.gates.weight.grad.abs().sum() > 0
    assert "gates=True" in repr(vae)


def test_slot_gates_need_a_query():
    with pytest.raises(ValueError, match="gates=True needs query_channels"):
        HypergraphTopologyVAE(5, num_slots=3, gates=True)


def test_gates_can_read_the_last_channels_of_the_query_only():
    vae = HypergraphTopologyVAE(4, num_slots=2, hidden_channels=8, latent_channels=6, query_channels=5, gates=True,
                                gate_channels=2)
    assert vae.gates.in_features == 2 and "gate_channels=2" in repr(vae)
    query = torch.randn(3, 5)
    changed = query.clone()
    changed[:, :3] = torch.randn(3, 3)  # only the channels the gates do not read
    torch.testing.assert_close(vae(torch.eye(4), None, query).gate_logits, vae(torch.eye(4), None, changed).gate_logits)
    torch.testing.assert_close(vae(torch.eye(4), None, query).gate_logits, vae.gates(query[:, 3:]))
    for options in ({"gates": False, "gate_channels": 2}, {"gates": True, "gate_channels": 6}):
        with pytest.raises(ValueError, match="gate_channels"):
            HypergraphTopologyVAE(4, num_slots=2, query_channels=5, **options)
    with pytest.raises(TypeError, match="gate_channels"):
        HypergraphTopologyVAE(4, num_slots=2, query_channels=5, gates=True, gate_channels=2.0)


def test_a_query_of_the_wrong_width_is_named_as_a_query():
    vae = HypergraphTopologyVAE(3, num_slots=2, query_channels=4)
    with pytest.raises(ValueError, match=r"query must have shape \[B, 4\], got \[2, 5\]"):
        vae(torch.eye(3), None, torch.rand(2, 5))
    assert vae(torch.eye(3), None, torch.zeros(0, 4)).prob.shape == (0, 3, 2)  # an empty batch
