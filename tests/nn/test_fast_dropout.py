"""fast_dropout: dense dropout from 16-bit random lanes, unbiased, seeded, with F.dropout's fallbacks."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from hgnn.nn import fast_dropout
from hgnn.nn.dropout import LEVELS


@pytest.mark.parametrize("p", [0.5, 0.2, 0.9, 0.01])
def test_keep_rate_scale_and_unbiasedness(p):
    x = torch.ones(1000, 1000)
    torch.manual_seed(0)
    out = fast_dropout(x, p, True)
    dropped = round(p * LEVELS) / LEVELS
    kept = out != 0
    assert torch.allclose(out[kept], torch.full_like(out[kept], 1.0 / (1.0 - dropped)))
    # 10^6 Bernoulli draws: the standard error of the keep rate is at most 5e-4
    assert abs(float(kept.float().mean()) - (1.0 - p)) < 3e-3
    assert abs(float(out.mean()) - 1.0) < 5e-3 / (1.0 - p) ** 0.5


def test_masks_are_independent_across_entries_and_lanes():
    """Entries 4 apart share nothing: neighbours in one 64-bit word and across words are uncorrelated."""
    torch.manual_seed(1)
    kept = (fast_dropout(torch.ones(400_000), 0.5, True) != 0).float() - 0.5
    for lag in (1, 2, 3, 4, 5):
        corr = float((kept[lag:] * kept[:-lag]).mean()) / 0.25
        assert abs(corr) < 0.01, (lag, corr)
    lanes = (kept.view(-1, 4) + 0.5).mean(0)
    assert torch.allclose(lanes, torch.full_like(lanes, 0.5), atol=0.01)


def test_seeded_shape_dtype_and_gradient():
    x = torch.randn(7, 5, 3, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(2)
    a = fast_dropout(x, 0.3, True)
    torch.manual_seed(2)
    b = fast_dropout(x, 0.3, True)
    assert torch.equal(a, b) and a.shape == x.shape and a.dtype == torch.float64
    a.sum().backward()
    torch.testing.assert_close(x.grad, (a != 0).double() / (1.0 - round(0.3 * LEVELS) / LEVELS))


def test_identity_cases_and_fallbacks():
    x = torch.randn(6, 4)
    assert fast_dropout(x, 0.5, False) is x
    assert fast_dropout(x, 0.0, True) is x
    # below the mask resolution or integer tensors: torch's own dropout, same stream
    for p in (1e-7, 1.0 - 1e-7):
        torch.manual_seed(3)
        a = fast_dropout(x, p, True)
        torch.manual_seed(3)
        assert torch.equal(a, F.dropout(x, p, True))
    assert fast_dropout(torch.empty(0, 3), 0.5, True).shape == (0, 3)


def test_bad_probability_is_refused():
    for p in (-0.1, 1.0, True, "0.5", None):
        with pytest.raises(ValueError, match="p must be a probability"):
            fast_dropout(torch.ones(3), p, True)  # type: ignore[arg-type]


def test_torch_compile_uses_torch_dropout():
    def f(x):
        return fast_dropout(x, 0.5, True)
    x = torch.ones(64, 8)
    out = torch.compile(f)(x)
    assert set(out.unique().tolist()) <= {0.0, 2.0}
