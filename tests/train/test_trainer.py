"""hgnn.train.fit: learning, best-epoch restoration, early stopping, reproducibility, input checks."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hgnn import Hypergraph
from hgnn.models import HGNN
from hgnn.nn import MLP
from hgnn.train import Evaluator, FitResult, Split, accuracy, fit, random_split, seed_everything


pytestmark = pytest.mark.usefixtures("one_thread")


def planted_partition(num_classes: int = 3, per_class: int = 40, edges_per_class: int = 40, noise_edges: int = 10,
                      seed: int = 0) -> Hypergraph:
    """Hyperedges mostly inside one class (every node in at least one); features weakly informative."""
    gen = torch.Generator().manual_seed(seed)
    n = num_classes * per_class
    y = torch.arange(n) // per_class
    edges = []
    for c in range(num_classes):
        members = (y == c).nonzero().view(-1)
        perm = members[torch.randperm(per_class, generator=gen)]
        edges += [perm[i:i + 4].tolist() for i in range(0, per_class, 4)]
        for _ in range(edges_per_class):
            size = int(torch.randint(2, 6, (1,), generator=gen))
            edges.append(members[torch.randperm(per_class, generator=gen)[:size]].tolist())
    for _ in range(noise_edges):
        edges.append(torch.randperm(n, generator=gen)[:4].tolist())
    signal = torch.cat([F.one_hot(y, num_classes).float(), torch.zeros(n, 5)], 1)
    x = signal + torch.randn(n, num_classes + 5, generator=gen)
    return Hypergraph.from_edge_list(edges, num_nodes=n, x=x, y=y)


@pytest.fixture(scope="module")
def hg() -> Hypergraph:
    return planted_partition()


@pytest.fixture(scope="module")
def split(hg) -> Split:
    return random_split(hg, seed=0)


def _model(hg: Hypergraph, seed: int = 0, cls=HGNN) -> nn.Module:
    seed_everything(seed)
    return cls(hg.x.size(1), 3)


def _val_acc(model: nn.Module, hg: Hypergraph, mask: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        return accuracy(hg.y[mask], model(hg.x, hg)[mask])


# ---------------------------------------------------------------- learning
def test_fit_learns_planted_partition(hg, split):
    result = fit(_model(hg), hg, split, epochs=100, lr=0.05, progress=False)
    assert isinstance(result, FitResult)
    assert result.test["acc"] > 0.9, result.test
    assert result.train["acc"] > 0.9
    assert set(result.test) == {"acc", "macro_f1", "micro_f1"}
    assert result.test["micro_f1"] == pytest.approx(result.test["acc"])
    # the features alone are much weaker: the hypergraph is what makes the task learnable
    mlp = fit(_model(hg, cls=MLP), hg, split, epochs=100, lr=0.05, progress=False)
    assert mlp.test["acc"] < result.test["acc"] - 0.15


def test_history_lengths_and_keys(hg, split):
    result = fit(_model(hg), hg, split, epochs=12, progress=False)
    assert result.epochs_run == 12
    assert set(result.history) == {"loss", "val_loss", "train_acc", "val_acc"}
    assert all(len(v) == 12 for v in result.history.values())
    assert all(np.isfinite(v).all() for v in result.history.values())
    assert result.seconds > 0
    assert result.epoch_ms == pytest.approx(1e3 * result.seconds / 12)
    d = result.to_dict(history=False)
    assert "history" not in d and d["epoch_ms"] == result.epoch_ms and d["best_epoch"] == result.best_epoch
    assert result.to_dict()["history"] == result.history


def test_history_keys_follow_the_main_metric(hg, split):
    result = fit(_model(hg), hg, split, epochs=3, evaluator=Evaluator(["macro_f1", "acc"]), progress=False)
    assert set(result.history) == {"loss", "val_loss", "train_macro_f1", "val_macro_f1"}
    assert list(result.val) == ["macro_f1", "acc"]
    assert result.val["macro_f1"] == pytest.approx(max(result.history["val_macro_f1"]))


def test_loss_decreases(hg, split):
    result = fit(_model(hg), hg, split, epochs=60, lr=0.05, progress=False)
    assert np.mean(result.history["loss"][-5:]) < 0.6 * np.mean(result.history["loss"][:5])


# ---------------------------------------------------------------- best epoch
def test_best_epoch_and_restored_weights(hg, split):
    # an MLP on the weak features overfits: its validation accuracy peaks early, then drops
    model = _model(hg, seed=1, cls=MLP)
    result = fit(model, hg, split, epochs=40, lr=0.05, weight_decay=0.0, progress=False)
    val = result.history["val_acc"]
    assert result.best_epoch == int(np.argmax(val))  # the earliest best epoch
    assert result.val["acc"] == pytest.approx(val[result.best_epoch]) == pytest.approx(max(val))
    assert val[-1] < max(val), "precondition: the final epoch must be worse than the best one"
    # the model holds the best epoch's weights, not the last epoch's
    assert not model.training
    assert _val_acc(model, hg, split.val) == pytest.approx(result.val["acc"])
    assert _val_acc(model, hg, split.test) == pytest.approx(result.test["acc"])


def test_best_epoch_is_earliest_on_ties(hg, split):
    # a model that never changes (lr=0 SGD, no dropout): every epoch ties, the first one is kept
    seed_everything(0)
    model = HGNN(hg.x.size(1), 3, dropout=0.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    result = fit(model, hg, split, epochs=5, optimizer=opt, progress=False)
    assert result.best_epoch == 0
    assert len(set(result.history["loss"])) == 1  # the optimizer given was used, not Adam


# ---------------------------------------------------------------- early stopping
@pytest.mark.parametrize("patience", [3, 8])
def test_patience_stops_early(hg, split, patience):
    result = fit(_model(hg), hg, split, epochs=400, lr=0.05, patience=patience, progress=False)
    assert result.epochs_run < 400
    assert result.epochs_run - 1 - result.best_epoch == patience
    assert all(len(v) == result.epochs_run for v in result.history.values())
    assert max(result.history["val_acc"][result.best_epoch + 1:]) <= result.val["acc"]


def test_no_patience_runs_all_epochs(hg, split):
    assert fit(_model(hg), hg, split, epochs=30, lr=0.05, progress=False).epochs_run == 30


# ---------------------------------------------------------------- reproducibility
def test_seed_everything_reproducible_fits(hg, split):
    a = fit(_model(hg, seed=3), hg, split, epochs=15, progress=False)
    b = fit(_model(hg, seed=3), hg, split, epochs=15, progress=False)
    c = fit(_model(hg, seed=4), hg, split, epochs=15, progress=False)
    assert a.history == b.history and a.test == b.test and a.best_epoch == b.best_epoch
    assert a.history["loss"] != c.history["loss"]


def test_seed_everything_seeds_all_generators():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    seed_everything(11)
    first = draw()
    seed_everything(11)
    assert draw() == first
    seed_everything(12)
    assert all(u != v for u, v in zip(draw(), first))


# ---------------------------------------------------------------- x / y overrides
def test_explicit_x_and_y(hg, split):
    bare = Hypergraph(hg.hyperedge_index, num_nodes=hg.num_nodes, num_edges=hg.num_edges)
    result = fit(_model(hg), bare, split, x=hg.x, y=hg.y, epochs=5, progress=False)
    reference = fit(_model(hg), hg, split, epochs=5, progress=False)
    assert result.history == reference.history
    with pytest.raises(ValueError, match="features and labels are needed"):
        fit(_model(hg), bare, split, epochs=5, progress=False)


# ---------------------------------------------------------------- input errors
def _masks(n: int, train, val, test) -> Split:
    out = []
    for idx in (train, val, test):
        m = torch.zeros(n, dtype=torch.bool)
        m[list(idx)] = True
        out.append(m)
    return Split(*out)


def test_nan_features_raise(hg, split):
    x = hg.x.clone()
    x[3, 1] = float("nan")
    with pytest.raises(ValueError, match="NaN or inf"):
        fit(_model(hg), hg, split, x=x, epochs=2, progress=False)
    x[3, 1] = float("inf")
    with pytest.raises(ValueError, match="NaN or inf"):
        fit(_model(hg), hg, split, x=x, epochs=2, progress=False)


def test_bad_x_and_y_raise(hg, split):
    with pytest.raises(TypeError, match="integer class ids"):
        fit(_model(hg), hg, split, y=hg.y.float(), epochs=2, progress=False)
    with pytest.raises(TypeError, match="x must be floating point"):
        fit(_model(hg), hg, split, x=hg.x.long(), epochs=2, progress=False)
    with pytest.raises(ValueError, match=r"x must be \[120, F\]"):
        fit(_model(hg), hg, split, x=hg.x[:-1], epochs=2, progress=False)
    with pytest.raises(ValueError, match=r"y \[120\]"):
        fit(_model(hg), hg, split, y=hg.y.view(-1, 1), epochs=2, progress=False)


def test_bad_mask_shape_or_dtype_raise(hg, split):
    with pytest.raises(ValueError, match=r"split.train must be a bool mask of shape \[120\]"):
        fit(_model(hg), hg, Split(split.train[:-1], split.val, split.test), epochs=2, progress=False)
    with pytest.raises(ValueError, match=r"split.val must be a bool mask"):
        fit(_model(hg), hg, Split(split.train, split.val.long(), split.test), epochs=2, progress=False)
    with pytest.raises(ValueError, match=r"split.test must be a bool mask"):
        fit(_model(hg), hg, Split(split.train, split.val, split.test.nonzero().view(-1)), epochs=2,
            progress=False)
    with pytest.raises(TypeError, match="split must be a Split"):
        fit(_model(hg), hg, (split.train, split.val), epochs=2, progress=False)


def test_overlapping_masks_raise(hg):
    with pytest.raises(ValueError, match="must be disjoint"):
        fit(_model(hg), hg, _masks(120, range(0, 60), range(59, 90), range(90, 120)), epochs=2, progress=False)
    with pytest.raises(ValueError, match="must be disjoint"):
        fit(_model(hg), hg, _masks(120, range(0, 60), range(60, 90), range(0, 1)), epochs=2, progress=False)


def test_empty_mask_raises(hg):
    with pytest.raises(ValueError, match="split.val selects no node"):
        fit(_model(hg), hg, _masks(120, range(0, 60), [], range(60, 120)), epochs=2, progress=False)


def test_unlabelled_nodes_in_split_raise(hg, split):
    y = hg.y.clone()
    y[split.test.nonzero()[0]] = -1
    with pytest.raises(ValueError, match="unlabelled nodes"):
        fit(_model(hg), hg, split, y=y, epochs=2, progress=False)
    # unlabelled nodes outside the split are fine
    outside = _masks(120, range(0, 60), range(60, 90), range(90, 119))
    y = hg.y.clone()
    y[119] = -1
    assert fit(_model(hg), hg, outside, y=y, epochs=2, progress=False).epochs_run == 2


def test_bad_epochs_and_patience_raise(hg, split):
    with pytest.raises(ValueError, match="epochs must be >= 1, got 0"):
        fit(_model(hg), hg, split, epochs=0, progress=False)
    with pytest.raises(ValueError, match="patience must be >= 1"):
        fit(_model(hg), hg, split, epochs=5, patience=0, progress=False)


class _NaNModel(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.lin = nn.Linear(in_channels, out_channels)

    def forward(self, x, hg):
        return self.lin(x) * float("nan")


def test_nan_loss_raises_floating_point_error(hg, split):
    with pytest.raises(FloatingPointError, match="training loss became nan at epoch 0"):
        fit(_NaNModel(hg.x.size(1), 3), hg, split, epochs=3, progress=False)


def test_non_hypergraph_raises_type_error(hg, split):
    with pytest.raises(TypeError, match="hg must be a Hypergraph"):
        fit(_model(hg), hg.hyperedge_index, split, epochs=2, progress=False)


def test_plain_tuple_split_is_accepted(hg, split):
    result = fit(_model(hg), hg, (split.train, split.val, split.test), epochs=3, progress=False)
    assert result.epochs_run == 3


def test_loss_fn_replaces_the_cross_entropy(hg, split):
    default = _model(hg, seed=3)
    r1 = fit(default, hg, split, epochs=15, progress=False)
    seen = []

    def ce(logits):
        seen.append(tuple(logits.shape))
        return F.cross_entropy(logits[split.train], hg.y[split.train])

    custom = _model(hg, seed=3)
    r2 = fit(custom, hg, split, epochs=15, loss_fn=ce, progress=False)
    assert seen[0] == (hg.num_nodes, int(hg.y.max()) + 1) and len(seen) == 15   # all nodes, every epoch
    assert r1.history["loss"] == pytest.approx(r2.history["loss"])
    # a different objective trains differently: the test can fail
    other = _model(hg, seed=3)
    r3 = fit(other, hg, split, epochs=15, loss_fn=lambda z: -z[:, 0].mean(), progress=False)
    assert r3.history["loss"] != pytest.approx(r1.history["loss"])


def test_fit_names_labels_the_model_cannot_output_and_a_wrong_evaluator():
    from hgnn.models import HGNN
    from hgnn.train import random_split

    hg = Hypergraph(torch.tensor([[0, 1, 1, 2, 3, 4, 5], [0, 0, 1, 1, 1, 2, 2]]), x=torch.randn(6, 4),
                    y=torch.tensor([0, 1, 1, 0, 2, 0]))
    split = random_split(hg.y, 0.5, 0.25, seed=0)
    with pytest.raises(ValueError, match=r"class id 2 but the model returns 2 classes; build it with out_channels >= 3"):
        fit(HGNN(4, 2, hidden_channels=4), hg, split, epochs=2)
    with pytest.raises(TypeError, match="evaluator must be an hgnn.train.Evaluator"):
        fit(HGNN(4, 3, hidden_channels=4), hg, split, epochs=2, evaluator="acc")
