"""hgnn.nn.set (UNP, SAB, ISAB, MAB) on flat grouped rows: a dense per-group float64 reference
(transcribed from the CoNHD / Set Transformer code), permutation equivariance, independence of
groups, singleton / empty groups and inputs, unsorted ids, gradients, bad input."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from hgnn.nn.set import ISAB, MAB, SAB, UNP, group_pairs

pytestmark = pytest.mark.usefixtures("one_thread")

F_IN, F_OUT, HEADS, M = 6, 8, 2, 3
NAMES = ["UNP", "SAB", "ISAB"]


def make(name: str, layer_norm: bool = False, dtype=torch.float64, seed: int = 0):
    torch.manual_seed(seed)
    if name == "UNP":
        model = UNP(F_IN, F_OUT, hidden_channels=5, layer_norm=layer_norm)
    elif name == "SAB":
        model = SAB(F_IN, F_OUT, heads=HEADS, layer_norm=layer_norm)
    else:
        model = ISAB(F_IN, F_OUT, num_inducing=M, heads=HEADS, layer_norm=layer_norm)
    model = model.to(dtype).eval()
    with torch.no_grad():  # move layer norms off their identity initialisation
        for pname, param in model.named_parameters():
            if "norm" in pname or (name == "UNP" and param.dim() == 1 and layer_norm):
                param.add_(0.3 * torch.randn_like(param))
    return model


def data(n: int = 11, num_groups: int = 4, seed: int = 0, dtype=torch.float64):
    """Unsorted group ids; group 3 (of 4) is a singleton, so group sizes are 4/3/3/1 for n=11."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, F_IN, generator=gen, dtype=dtype)
    group = torch.tensor([2, 0, 1, 0, 2, 3, 1, 0, 2, 1, 0][:n])
    return x, group, num_groups


# --------------------------------------------------------------------- dense reference (per group)

def lin(layer, x):
    return x @ layer.weight.t() + layer.bias


def norm(layer, x):
    if isinstance(layer, torch.nn.LayerNorm):
        return F.layer_norm(x, layer.normalized_shape, layer.weight, layer.bias, layer.eps)
    return x


def dense_mab(mab: MAB, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """The reference MAB on one set, batch of one: heads split along features, softmax over keys."""
    query, key, value = lin(mab.lin_q, q), lin(mab.lin_k, k), lin(mab.lin_v, k)
    d = mab.out_channels
    split = d // mab.heads
    heads = []
    for c in range(mab.heads):
        sl = slice(c * split, (c + 1) * split)
        att = torch.softmax(query[:, sl] @ key[:, sl].t() / math.sqrt(d), dim=1)
        heads.append(query[:, sl] + att @ value[:, sl])
    out = norm(mab.norm0, torch.cat(heads, dim=1))
    return norm(mab.norm1, out + torch.relu(lin(mab.lin_o, out)))


def dense_mlp(seq, x):
    for layer in seq:
        if isinstance(layer, torch.nn.Linear):
            x = lin(layer, x)
        elif isinstance(layer, torch.nn.ReLU):
            x = torch.relu(x)
        elif isinstance(layer, torch.nn.LayerNorm):
            x = norm(layer, x)
    return x


def dense_set(name: str, model, xs: torch.Tensor) -> torch.Tensor:
    if name == "UNP":
        pooled = dense_mlp(model.mlp1, xs).mean(0, keepdim=True).expand(xs.size(0), -1)
        return dense_mlp(model.mlp2, torch.cat([xs, pooled], dim=1))
    if name == "SAB":
        return dense_mab(model.mab, xs, xs)
    induced = dense_mab(model.mab0, model.inducing, xs)
    return dense_mab(model.mab1, xs, induced)


def dense(name, model, x, group, num_groups):
    out = torch.zeros(x.size(0), F_OUT, dtype=x.dtype)
    for g in range(num_groups):
        rows = (group == g).nonzero().flatten()
        if rows.numel():
            out[rows] = dense_set(name, model, x[rows])
    return out


# --------------------------------------------------------------------------------------- tests

@pytest.mark.parametrize("layer_norm", [False, True])
@pytest.mark.parametrize("name", NAMES)
def test_matches_dense_per_group_reference(name, layer_norm):
    model = make(name, layer_norm)
    x, group, num_groups = data()
    out = model(x, group, num_groups)
    assert out.shape == (x.size(0), F_OUT) and out.dtype == x.dtype
    torch.testing.assert_close(out, dense(name, model, x, group, num_groups), atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_float32_shape_and_default_out_channels(name):
    x, group, num_groups = data(dtype=torch.float32)
    cls = {"UNP": lambda: UNP(F_IN, F_IN), "SAB": lambda: SAB(F_IN, heads=HEADS),
           "ISAB": lambda: ISAB(F_IN, heads=HEADS)}[name]
    out = cls()(x, group, num_groups)
    assert out.shape == (x.size(0), F_IN) and out.dtype == torch.float32
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", NAMES)
def test_permutation_equivariance(name):
    model = make(name, layer_norm=True, dtype=torch.float32)
    x, group, num_groups = data(dtype=torch.float32)
    perm = torch.randperm(x.size(0), generator=torch.Generator().manual_seed(1))
    out = model(x, group, num_groups)
    torch.testing.assert_close(model(x[perm], group[perm], num_groups), out[perm], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_group_relabelling_is_equivariant(name):
    """Renaming groups (a permutation of ids) and adding unused ids changes nothing."""
    model = make(name)
    x, group, num_groups = data()
    relabel = torch.tensor([5, 0, 3, 1])  # ids 2 and 4 stay empty
    torch.testing.assert_close(model(x, relabel[group], 6), model(x, group, num_groups))


@pytest.mark.parametrize("name", NAMES)
def test_groups_are_independent(name):
    model = make(name)
    x, group, num_groups = data()
    out = model(x, group, num_groups)
    changed = x.clone()
    in_zero = group == 0
    changed[in_zero] = torch.randn(int(in_zero.sum()), F_IN, dtype=x.dtype)
    out2 = model(changed, group, num_groups)
    torch.testing.assert_close(out2[~in_zero], out[~in_zero], atol=0, rtol=0)
    assert not torch.allclose(out2[in_zero], out[in_zero])
    # dropping a group's rows leaves the others unchanged too
    keep = ~in_zero
    torch.testing.assert_close(model(x[keep], group[keep], num_groups), out[keep])


@pytest.mark.parametrize("name", NAMES)
def test_singleton_group(name):
    model = make(name, layer_norm=True)
    x = torch.randn(1, F_IN, dtype=torch.float64)
    out = model(x, torch.tensor([0]), 1)
    torch.testing.assert_close(out, dense_set(name, model, x))
    # singleton inside a larger input (group 3 in data()) equals the model run on it alone
    xs, group, num_groups = data()
    alone = (group == 3).nonzero().flatten()
    torch.testing.assert_close(model(xs, group, num_groups)[alone], model(xs[alone], torch.tensor([0]), 1))


@pytest.mark.parametrize("num_groups", [0, 3])
@pytest.mark.parametrize("name", NAMES)
def test_empty_input(name, num_groups):
    model = make(name)
    x = torch.empty(0, F_IN, dtype=torch.float64, requires_grad=True)
    out = model(x, torch.empty(0, dtype=torch.long), num_groups)
    assert out.shape == (0, F_OUT)
    out.sum().backward()
    assert x.grad.shape == (0, F_IN)


@pytest.mark.parametrize("name", NAMES)
def test_unsorted_equals_sorted(name):
    model = make(name)
    x, group, num_groups = data()
    order = torch.sort(group, stable=True).indices
    assert not torch.equal(order, torch.arange(group.numel()))  # data() really is unsorted
    out_sorted = model(x[order], group[order], num_groups)
    torch.testing.assert_close(model(x, group, num_groups)[order], out_sorted)


def test_isab_empty_groups_are_finite():
    model = make("ISAB", layer_norm=True)
    x, group, _ = data()
    out = model(x, group * 3, 12)  # groups 1, 2, 4, 5, ... are empty
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, model(x, group, 4))
    out.sum().backward()
    assert torch.isfinite(model.inducing.grad).all()


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck(name):
    model = make(name, layer_norm=True)
    x = torch.randn(5, F_IN, dtype=torch.float64, requires_grad=True)
    group = torch.tensor([1, 0, 1, 1, 3])
    assert torch.autograd.gradcheck(lambda inp: model(inp, group, 4), (x,))
    params = [p for p in model.parameters()]
    out = model(x, group, 4).sum()
    grads = torch.autograd.grad(out, params, allow_unused=True)
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


def test_mab_cross_attention_and_keyless_query():
    torch.manual_seed(0)
    mab = MAB(5, 3, F_OUT, heads=4, layer_norm=True).double()
    q = torch.randn(6, 5, dtype=torch.float64)
    k = torch.randn(7, 3, dtype=torch.float64)
    q_group = torch.tensor([1, 0, 2, 1, 0, 1])
    k_group = torch.tensor([0, 1, 1, 0, 1, 0, 1])  # group 2 has no keys
    out = mab(q, k, q_group, k_group, 3)
    for g in (0, 1):
        rows = (q_group == g).nonzero().flatten()
        torch.testing.assert_close(out[rows], dense_mab(mab, q[rows], k[k_group == g]))
    o = norm(mab.norm0, lin(mab.lin_q, q[2:3]))  # no key: zero attention output, not NaN
    torch.testing.assert_close(out[2:3], norm(mab.norm1, o + torch.relu(lin(mab.lin_o, o))))
    qq = q[:4].clone().requires_grad_()
    kk = k.clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: mab(a, b, q_group[:4], k_group, 3), (qq, kk))


def test_group_pairs_brute_force():
    gen = torch.Generator().manual_seed(3)
    q_group = torch.randint(0, 5, (9,), generator=gen)
    k_group = torch.randint(0, 5, (13,), generator=gen)
    pair_q, pair_k = group_pairs(q_group, k_group, 5)
    got = sorted(zip(pair_q.tolist(), pair_k.tolist()))
    want = [(i, j) for i in range(9) for j in range(13) if q_group[i] == k_group[j]]
    assert got == want
    assert pair_q.numel() == sum(int((q_group == g).sum() * (k_group == g).sum()) for g in range(5))
    assert torch.equal(pair_q, torch.sort(pair_q, stable=True).values)  # sorted by query


def test_reset_parameters_and_repr():
    model = make("ISAB")
    before = model.inducing.detach().clone()
    model.reset_parameters()
    assert not torch.equal(before, model.inducing)
    bound = math.sqrt(6.0 / ((M + 1) * F_OUT))
    assert model.inducing.abs().max() <= bound
    assert "num_inducing=3" in repr(model) and "heads=2" in repr(model)
    assert "hidden_channels=5" in repr(make("UNP"))


def test_unp_dropout_only_in_training():
    model = UNP(F_IN, F_OUT, dropout=0.5).double()
    x, group, num_groups = data()
    model.eval()
    torch.testing.assert_close(model(x, group, num_groups), model(x, group, num_groups))
    model.train()
    torch.manual_seed(0)
    a = model(x, group, num_groups)
    torch.manual_seed(1)
    assert not torch.allclose(a, model(x, group, num_groups))


@pytest.mark.parametrize("name", NAMES)
def test_bad_input(name):
    model = make(name)
    x, group, num_groups = data()
    with pytest.raises(ValueError, match="group must have shape"):
        model(x, group[:-1], num_groups)
    with pytest.raises(TypeError, match="integer group ids"):
        model(x, group.double(), num_groups)
    with pytest.raises(TypeError, match="integer group ids"):
        model(x, group > 0, num_groups)
    with pytest.raises(TypeError, match="group must be a torch.Tensor"):
        model(x, group.tolist(), num_groups)
    bad = group.clone()
    bad[0] = -1
    with pytest.raises(ValueError, match=r"group ids must lie in \[0, num_groups=4\)"):
        model(x, bad, num_groups)
    with pytest.raises(ValueError, match=r"num_groups=3"):
        model(x, group, 3)
    with pytest.raises(ValueError, match="num_groups must be >= 0"):
        model(x, group, -1)
    with pytest.raises(TypeError, match="num_groups must be an int"):
        model(x, group, 4.0)
    with pytest.raises(ValueError, match="must have shape"):
        model(x[:, :-1], group, num_groups)
    with pytest.raises(TypeError, match="floating"):
        model(x.long(), group, num_groups)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="divisible by heads"):
        SAB(6, 6, heads=4)
    with pytest.raises(ValueError, match="num_inducing must be >= 1"):
        ISAB(8, num_inducing=0)
    with pytest.raises(ValueError, match="heads must be >= 1"):
        MAB(4, 4, 4, heads=0)
    with pytest.raises(ValueError, match="dropout"):
        UNP(4, 4, dropout=1.0)
    with pytest.raises(ValueError, match="num_layers"):
        UNP(4, 4, num_layers=0)
    with pytest.raises(ValueError, match="k_group must have shape"):
        MAB(4, 4, 4, heads=2)(torch.randn(2, 4), torch.randn(3, 4), torch.tensor([0, 1]),
                              torch.tensor([0, 1]), 2)


@pytest.mark.parametrize("layer_norm", [False, True])
def test_isab_fused_path_equals_pairwise_path(layer_norm):
    """The fused ISAB (shared queries scored in one product, dense softmax over the m induced
    rows) gives the values and gradients of the explicit (query, key) pair transcription."""
    torch.manual_seed(3)
    block = ISAB(6, 8, num_inducing=3, heads=2, layer_norm=layer_norm).double()
    x = torch.randn(40, 6, dtype=torch.double)
    group = torch.randint(0, 7, (40,))
    group[group == 2] = 3  # group 2 is empty
    outs, grads = [], []
    for path in (block._induced_attention, block._pairwise_attention):
        out = path(x, group, 7)
        outs.append(out)
        grads.append(torch.autograd.grad((out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype)
                                          .view_as(out)).sum(), list(block.parameters())))
    torch.testing.assert_close(outs[0], outs[1])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)
