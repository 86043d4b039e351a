import math

import pytest
import torch
import torch.nn.functional as F

from hgnn import Hypergraph
from hgnn.distill import high_order_loss, reference_target, soft_label_loss


def test_kl_is_zero_at_the_teacher_and_matches_the_formula():
    torch.manual_seed(0)
    t, s = torch.randn(6, 4), torch.randn(6, 4)
    assert soft_label_loss(t.clone(), t).abs() < 1e-6
    for tau in (1.0, 2.0, 4.0):
        pt, ps = F.softmax(t / tau, 1), F.softmax(s / tau, 1)
        manual = tau ** 2 * (pt * (pt.log() - ps.log())).sum(1).mean()
        assert torch.allclose(soft_label_loss(s, t, tau), manual, atol=1e-6)


def test_reference_mode_is_the_public_code_and_pulls_towards_a_flat_target():
    torch.manual_seed(1)
    t, s = 5 * torch.randn(5, 3), torch.randn(5, 3)
    expected = F.kl_div(F.log_softmax(s, 1), F.softmax(t, 1), reduction="batchmean", log_target=True)
    assert torch.allclose(soft_label_loss(s, t, mode="reference"), expected)
    # minimise the reference loss over free logits: it converges to softmax(softmax(teacher))
    z = torch.zeros(5, 3, requires_grad=True)
    opt = torch.optim.Adam([z], lr=0.1)
    for _ in range(600):
        opt.zero_grad()
        soft_label_loss(z, t, mode="reference").backward()
        opt.step()
    assert torch.allclose(F.softmax(z, 1), reference_target(t), atol=2e-3)
    # ... which is far flatter than the teacher: max probability <= e / (e + C - 1)
    assert float(reference_target(t).max()) <= math.e / (math.e + 2) + 1e-6
    # the textbook loss instead recovers the teacher itself
    z2 = torch.zeros(5, 3, requires_grad=True)
    opt = torch.optim.Adam([z2], lr=0.1)
    for _ in range(600):
        opt.zero_grad()
        soft_label_loss(z2, t).backward()
        opt.step()
    assert torch.allclose(F.softmax(z2, 1), F.softmax(t, 1), atol=2e-3)


def test_soft_label_loss_rejects_bad_input():
    with pytest.raises(ValueError, match="tau"):
        soft_label_loss(torch.zeros(2, 3), torch.zeros(2, 3), tau=0)
    with pytest.raises(ValueError, match=r"\[N, C\]"):
        soft_label_loss(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="mode"):
        soft_label_loss(torch.zeros(2, 3), torch.zeros(2, 3), mode="hinton")


def _hg():
    return Hypergraph.from_edge_list([[0, 1, 2], [2, 3], [3, 4, 5], [1, 5]], num_nodes=6)


def test_high_order_loss_matches_per_hyperedge_kl():
    torch.manual_seed(2)
    hg = _hg()
    s, t = torch.randn(6, 3), torch.randn(6, 3)
    mask = torch.tensor([True, False, True, True])
    ps, pt = F.softmax(s, 1), F.softmax(t, 1)
    kls = []
    for e, members in enumerate([[0, 1, 2], [2, 3], [3, 4, 5], [1, 5]]):
        if mask[e]:
            a, b = pt[members].mean(0), ps[members].mean(0)
            kls.append((a * (a.log() - b.log())).sum())
    assert torch.allclose(high_order_loss(s, t, hg, mask), torch.stack(kls).mean(), atol=1e-6)
    assert high_order_loss(t, t, hg).abs() < 1e-6
    ref = high_order_loss(s, t, hg, mask, mode="reference")
    e_s = torch.stack([ps[m].mean(0) for m in ([0, 1, 2], [3, 4, 5], [1, 5])])
    e_t = torch.stack([pt[m].mean(0) for m in ([0, 1, 2], [3, 4, 5], [1, 5])])
    assert torch.allclose(ref, F.kl_div(e_s.log(), e_t, reduction="batchmean", log_target=True), atol=1e-6)


def test_high_order_loss_with_no_sampled_hyperedge_is_zero_not_nan():
    hg = _hg()
    s = torch.randn(6, 3, requires_grad=True)
    for mode in ("kl", "reference"):
        loss = high_order_loss(s, torch.randn(6, 3), hg, torch.zeros(4, dtype=torch.bool), mode=mode)
        assert loss.item() == 0.0
        loss.backward()
        assert torch.isfinite(s.grad).all()


def test_high_order_loss_rejects_bad_input():
    hg = _hg()
    with pytest.raises(ValueError, match="edge_mask"):
        high_order_loss(torch.zeros(6, 2), torch.zeros(6, 2), hg, torch.ones(3, dtype=torch.bool))
    with pytest.raises(ValueError, match="6 nodes"):
        high_order_loss(torch.zeros(5, 2), torch.zeros(5, 2), hg)
    with pytest.raises(TypeError, match="Hypergraph"):
        high_order_loss(torch.zeros(6, 2), torch.zeros(6, 2), hg.hyperedge_index)
