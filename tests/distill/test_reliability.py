import math

import pytest
import torch
from torch import nn

from hgnn import Hypergraph
from hgnn.distill import entropy, hyperedge_reliability, sample_hyperedges
from hgnn.models import HGNN


def test_entropy_is_log_c_for_uniform_and_zero_not_nan_for_certain():
    assert torch.allclose(entropy(torch.zeros(3, 5)), torch.full((3,), math.log(5)))
    h = entropy(torch.tensor([[1e4, 0.0, 0.0]]))
    assert torch.isfinite(h).all() and float(h) < 1e-6


def _setup(seed=0):
    torch.manual_seed(seed)
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3], [3, 4, 5], [1, 5], []], num_nodes=6, num_edges=5)
    return hg, torch.rand(6, 8), HGNN(8, 3).train()


def test_reliability_range_determinism_and_mode_restored():
    hg, x, teacher = _setup()
    rho = hyperedge_reliability(teacher, x, hg, generator=torch.Generator().manual_seed(3))
    again = hyperedge_reliability(teacher, x, hg, generator=torch.Generator().manual_seed(3))
    assert torch.equal(rho, again)
    assert teacher.training                       # mode restored
    assert rho.shape == (5,) and float(rho.min()) >= 0 and float(rho.max()) <= 1
    assert float(rho[:4].min()) == 0.0            # the hyperedge whose entropy moved most
    assert float(rho[4]) == 0.0                   # empty hyperedge


def test_reliability_is_one_where_nothing_moves():
    hg, x, _ = _setup()

    class Constant(nn.Module):
        def forward(self, x, hg):
            return torch.zeros(x.size(0), 3)

    rho = hyperedge_reliability(Constant(), x, hg)
    assert torch.equal(rho, torch.tensor([1.0, 1.0, 1.0, 1.0, 0.0]))


def test_reliability_with_zero_noise_is_all_ones():
    hg, x, teacher = _setup()
    rho = hyperedge_reliability(teacher, x, hg, noise=0.0)
    assert torch.equal(rho[:4], torch.ones(4))


def test_reliability_rejects_bad_input():
    hg, x, teacher = _setup()
    with pytest.raises(ValueError, match="noise"):
        hyperedge_reliability(teacher, x, hg, noise=-1)
    with pytest.raises(ValueError, match="x must be"):
        hyperedge_reliability(teacher, x[:5], hg)


def test_sampling():
    assert sample_hyperedges(torch.ones(7)).all()
    assert not sample_hyperedges(torch.zeros(7)).any()
    rho = torch.full((20000,), 0.3)
    frac = sample_hyperedges(rho, torch.Generator().manual_seed(0)).float().mean()
    assert abs(float(frac) - 0.3) < 0.02
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        sample_hyperedges(torch.tensor([0.5, 1.5]))
    with pytest.raises(TypeError):
        sample_hyperedges(torch.tensor([1, 0]))
