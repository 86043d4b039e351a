"""The training engine: selection of the best weights, early stopping, schedules, clipping,
weighted losses, checkpoints that resume exactly, and early, named errors."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hgnn.train import LoopResult, fit_loop


def _problem(seed: int = 0, n: int = 64):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=gen)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    return x, y


def _model(seed: int = 0, dropout: float = 0.0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 2))


def _full_batch(model, x, y):
    def step(_):
        return F.cross_entropy(model(x), y)
    return step


def test_scores_from_a_sequence_select_the_best_weights_and_patience_stops():
    """evaluate() returns a scripted sequence: the kept weights are those of the best (earliest of
    equals) evaluation, and training stops after `patience` evaluations without a better one."""
    x, y = _problem()
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scores = iter([0.1, 0.5, 0.3, 0.5, 0.4, 0.2, 0.9, 0.9])
    snapshots = []

    def evaluate():
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
        return {"val": next(scores)}

    log = fit_loop(model, opt, [None], _full_batch(model, x, y), epochs=8, evaluate=evaluate, monitor="val",
                   patience=4)
    assert isinstance(log, LoopResult)
    assert log.best_epoch == 1 and log.best_score == 0.5
    assert log.epochs_run == 6  # evaluations 2..5 did not beat 0.5: stop after the 4th of them
    assert log.history["eval_epoch"] == [0, 1, 2, 3, 4, 5] and log.history["val"] == [0.1, 0.5, 0.3, 0.5, 0.4, 0.2]
    for key, value in model.state_dict().items():
        assert torch.equal(value, snapshots[1][key])
    assert not model.training
    assert log.at_best("val") == 0.5 and log.at_best("loss") == log.history["loss"][1]


def test_mode_min_and_eval_every():
    x, y = _problem()
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)

    def evaluate():
        return {"val_loss": F.cross_entropy(model(x), y).item()}

    log = fit_loop(model, opt, [None], _full_batch(model, x, y), epochs=10, evaluate=evaluate, monitor="val_loss",
                   mode="min", eval_every=3)
    assert log.history["eval_epoch"] == [2, 5, 8, 9]  # every 3rd epoch and the last
    assert log.best_score == min(log.history["val_loss"])
    assert log.best_epoch == log.history["eval_epoch"][log.history["val_loss"].index(log.best_score)]
    assert F.cross_entropy(model(x), y).item() == pytest.approx(log.best_score, abs=1e-6)


def test_learning_beats_the_untrained_model():
    x, y = _problem(n=256)
    model = _model()
    before = F.cross_entropy(model(x), y).item()
    log = fit_loop(model, torch.optim.Adam(model.parameters(), lr=0.05), [None], _full_batch(model, x, y), epochs=60)
    assert math.isnan(log.best_score) and log.best_epoch == 59  # no evaluate: the final weights
    assert log.history["loss"][-1] < 0.5 * before
    assert (model(x).argmax(-1) == y).float().mean() > 0.9


def test_weighted_epoch_loss_and_batch_scheduler():
    x, y = _problem(n=60)
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # weights never change: every loss is known up front
    batches = [(x[:10], y[:10]), (x[10:], y[10:])]
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1)

    def step(batch):
        bx, by = batch
        return F.cross_entropy(model(bx), by), len(by)

    log = fit_loop(model, opt, batches, step, epochs=3, scheduler=sched, scheduler_interval="batch")
    expected = F.cross_entropy(model(x), y).item()
    assert log.history["loss"] == pytest.approx([expected] * 3, rel=1e-5)
    assert sched.last_epoch == 6  # two batches x three epochs


def test_callable_batches_get_the_epoch():
    x, y = _problem()
    model = _model()
    seen = []

    def batches(epoch):
        seen.append(epoch)
        return [None, None]

    fit_loop(model, torch.optim.SGD(model.parameters(), lr=0.01), batches, _full_batch(model, x, y), epochs=4)
    assert seen == [0, 1, 2, 3]


def test_clip_norm_bounds_every_group():
    x, y = _problem()
    model = _model()
    norms = []

    class Spy(torch.optim.SGD):
        def step(self, closure=None):
            for group in (model[0].parameters(), model[3].parameters()):
                norms.append(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in group])).item())
            return super().step(closure)

    def step(_):
        return 1e4 * F.cross_entropy(model(x), y)

    fit_loop(model, Spy(model.parameters(), lr=1e-6), [None], step, epochs=2, clip_norm=0.5,
             clip_groups=[model[0].parameters(), model[3].parameters()])
    assert norms and max(norms) <= 0.5 + 1e-5


def test_nan_loss_names_the_epoch():
    x, y = _problem()
    model = _model()
    calls = []

    def step(_):
        calls.append(1)
        loss = F.cross_entropy(model(x), y)
        return loss * float("nan") if len(calls) == 3 else loss

    with pytest.raises(FloatingPointError, match="epoch 2"):
        fit_loop(model, torch.optim.SGD(model.parameters(), lr=0.01), [None], step, epochs=5)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(epochs=0), ValueError, "epochs"),
    (dict(epochs=3, patience=2), ValueError, "patience needs evaluate"),
    (dict(epochs=3, evaluate=dict), ValueError, "monitor"),
    (dict(epochs=3, mode="best"), ValueError, "mode"),
    (dict(epochs=3, scheduler_interval="step"), ValueError, "scheduler_interval"),
    (dict(epochs=3, clip_norm=-1.0), ValueError, "clip_norm"),
    (dict(epochs=3, resume=True), ValueError, "checkpoint"),
    (dict(epochs=3, eval_every=0), ValueError, "eval_every"),
])
def test_bad_arguments_fail_before_training(kwargs, error, match):
    x, y = _problem()
    model = _model()
    calls = []

    def step(_):
        calls.append(1)
        return F.cross_entropy(model(x), y)

    with pytest.raises(error, match=match):
        fit_loop(model, torch.optim.SGD(model.parameters(), lr=0.01), [None], step, **kwargs)
    assert not calls


def test_bad_objects_and_outputs():
    x, y = _problem()
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(TypeError, match="model"):
        fit_loop([model], opt, [None], _full_batch(model, x, y), epochs=1)
    with pytest.raises(TypeError, match="optimizer"):
        fit_loop(model, "adam", [None], _full_batch(model, x, y), epochs=1)
    with pytest.raises(TypeError, match="scalar loss"):
        fit_loop(model, opt, [None], lambda _: model(x), epochs=1)
    with pytest.raises(ValueError, match="yielded nothing"):
        fit_loop(model, opt, [], _full_batch(model, x, y), epochs=1)
    with pytest.raises(KeyError, match="monitored 'val'"):
        fit_loop(model, opt, [None], _full_batch(model, x, y), epochs=1, evaluate=lambda: {"acc": 1.0},
                 monitor="val")


def test_checkpoint_folder_is_checked_before_training(tmp_path):
    x, y = _problem()
    model = _model()
    calls = []

    def step(_):
        calls.append(1)
        return F.cross_entropy(model(x), y)

    with pytest.raises(FileNotFoundError, match="does not exist"):
        fit_loop(model, torch.optim.SGD(model.parameters(), lr=0.01), [None], step, epochs=2,
                 checkpoint=tmp_path / "missing" / "run.pt")
    assert not calls


def _resumable_run(epochs, path, resume, crash_at=None):
    """Dropout, shuffled mini-batches, a scheduler and early stopping: everything a resume must
    restore. ``crash_at``: the run dies when that epoch starts."""
    x, y = _problem(n=96)
    model = _model(dropout=0.3)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16, shuffle=True)

    def step(batch):
        bx, by = batch
        return F.cross_entropy(model(bx), by), len(by)

    def evaluate():
        return {"val_loss": F.cross_entropy(model(x[:32]), y[:32]).item()}

    def batches(epoch):
        if epoch == crash_at:
            raise KeyboardInterrupt
        return loader

    log = fit_loop(model, opt, batches, step, epochs=epochs, evaluate=evaluate, monitor="val_loss", mode="min",
                   eval_every=2, patience=6, scheduler=sched, checkpoint=path, resume=resume)
    return model, log


def test_resume_ends_with_the_same_weights_and_history(tmp_path):
    whole, whole_log = _resumable_run(15, tmp_path / "a.pt", resume=False)
    with pytest.raises(KeyboardInterrupt):
        _resumable_run(15, tmp_path / "b.pt", resume=False, crash_at=7)  # last checkpoint: epoch 5
    resumed, resumed_log = _resumable_run(15, tmp_path / "b.pt", resume=True)
    for (k, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k
    assert resumed_log.history["loss"] == whole_log.history["loss"]
    assert resumed_log.best_epoch == whole_log.best_epoch and resumed_log.epochs_run == whole_log.epochs_run


def test_resume_without_a_file_starts_afresh(tmp_path):
    model, log = _resumable_run(3, tmp_path / "new.pt", resume=True)
    assert log.epochs_run == 3 and (tmp_path / "new.pt").is_file()


def test_a_nan_monitored_value_is_an_error_not_a_silent_last_epoch():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(batch):
        return model(torch.ones(1, 2)).pow(2).sum()

    with pytest.raises(FloatingPointError, match="monitored 'acc' is NaN at epoch 0"):
        fit_loop(model, opt, [None], step, epochs=3, evaluate=lambda: {"acc": float("nan")}, monitor="acc")


def test_a_monitor_without_evaluate_is_refused():
    model = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="monitor='acc' needs evaluate"):
        fit_loop(model, torch.optim.SGD(model.parameters(), lr=0.1), [None],
                 lambda b: model(torch.ones(1, 2)).sum(), epochs=1, monitor="acc")
