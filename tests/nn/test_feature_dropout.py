"""feature_dropout: the distribution of dense dropout, random numbers for the nonzero entries only."""
from __future__ import annotations

import pytest
import torch

from hgnn.nn import fast_dropout, feature_dropout


def sparse_features(n: int = 400, f: int = 300, density: float = 0.02, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, f, generator=g) < density).float() * torch.rand(n, f, generator=g)
    return x


def test_keeps_or_scales_every_nonzero_entry_and_zeros_stay_zero():
    x = sparse_features()
    out = feature_dropout(x, 0.3, True)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert (out[x == 0] == 0).all()
    kept = out[x != 0] != 0
    assert torch.allclose(out[x != 0][kept], x[x != 0][kept] / 0.7)
    assert 0 < kept.sum() < kept.numel()


def test_keep_rate_matches_dense_dropout():
    x = sparse_features(2000, 500, 0.02)
    rates = []
    for seed in range(5):
        torch.manual_seed(seed)
        out = feature_dropout(x, 0.4, True)
        rates.append(float((out[x != 0] != 0).float().mean()))
    rate = sum(rates) / len(rates)
    # ~20000 nonzeros per draw x 5 draws: the standard error of the keep rate is ~0.0016
    assert abs(rate - 0.6) < 0.01
    torch.manual_seed(0)
    mean_scale = float((feature_dropout(x, 0.4, True).sum() / x.sum()))
    assert abs(mean_scale - 1.0) < 0.03  # unbiased, as dense dropout


def test_eval_and_zero_probability_return_the_input():
    x = sparse_features()
    assert feature_dropout(x, 0.5, False) is x
    assert feature_dropout(x, 0.0, True) is x


def test_dense_inputs_and_inputs_with_gradients_use_fast_dropout():
    dense = torch.rand(50, 40) + 0.1
    torch.manual_seed(3)
    a = feature_dropout(dense, 0.5, True)
    torch.manual_seed(3)
    b = fast_dropout(dense, 0.5, True)
    assert torch.equal(a, b)

    x = sparse_features().requires_grad_()
    torch.manual_seed(4)
    out = feature_dropout(x, 0.5, True)
    out.sum().backward()
    torch.manual_seed(4)
    reference = fast_dropout(x.detach(), 0.5, True)
    assert torch.equal(out.detach(), reference)
    # the dense dropout's gradient reaches the zero entries as well
    assert (x.grad[x.detach() == 0] != 0).any()


def test_bad_probability_is_refused():
    x = sparse_features()
    for p in (-0.1, 1.0, 1.5, True, "0.5"):
        with pytest.raises(ValueError, match="p must be a probability"):
            feature_dropout(x, p, True)  # type: ignore[arg-type]


def test_gradient_flows_to_the_weights_through_the_sparse_path():
    x = sparse_features()
    lin = torch.nn.Linear(x.size(1), 3)
    torch.manual_seed(0)
    h = feature_dropout(x, 0.5, True)
    lin(h).sum().backward()
    expected = h.sum(0).expand(3, -1)
    assert torch.allclose(lin.weight.grad, expected)


def test_nonzero_positions_are_kept_for_the_same_unchanged_tensor(monkeypatch):
    from hgnn.nn import dropout as module

    x = sparse_features(seed=5)
    feature_dropout(x, 0.5, True)
    scans = []
    real = module.Tensor.nonzero
    monkeypatch.setattr(module.Tensor, "nonzero", lambda self, *a, **k: scans.append(1) or real(self, *a, **k))
    out = feature_dropout(x, 0.5, True)
    assert scans == [] and (out[x == 0] == 0).all() and (out != 0).any()
    # an in-place edit bumps the version counter: the positions are found again
    x[0, 0], x[0, 1] = 3.0, 0.0
    out = feature_dropout(x, 0.0001, True)
    assert scans == [1] and out[0, 0] != 0 and out[0, 1] == 0
    # another tensor (even with equal values) is scanned on its own
    feature_dropout(x.clone(), 0.5, True)
    assert scans == [1, 1]
