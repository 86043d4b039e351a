"""Checkpoints resume exactly: a run stopped, saved, reloaded into a fresh state and continued ends
bit for bit where an uninterrupted run ends (library loop and the distributed example)."""
from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from hgnn.train import load_checkpoint, rng_state, save_checkpoint, set_rng_state

pytestmark = pytest.mark.usefixtures("one_thread")

EPOCHS, STOP = 5, 2
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "distributed_train.py"


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def data():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(40, 6, generator=gen)
    return x, (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()


def build(init_seed):
    """Model (with dropout), Adam, a step LR schedule and a shuffled DataLoader."""
    torch.manual_seed(init_seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    loader = DataLoader(TensorDataset(*data()), batch_size=8, shuffle=True)
    return model, opt, sched, loader


def train_epoch(model, opt, sched, loader, best, epoch):
    """One epoch drawing from all three global generators: shuffling and dropout (torch),
    input noise (NumPy), input scaling (Python); then the schedule and best-so-far bookkeeping."""
    model.train()
    for xb, yb in loader:
        noise = torch.from_numpy(np.random.randn(*xb.shape).astype(np.float32))
        loss = F.cross_entropy(model(xb * random.uniform(0.8, 1.2) + 0.1 * noise), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    sched.step()
    if loss.item() < best["loss"]:
        best = {"loss": loss.item(), "epoch": epoch}
    return best


def flat_state(model, opt, sched):
    tensors = list(model.state_dict().values())
    for slot in opt.state_dict()["state"].values():
        tensors += [v for v in slot.values() if isinstance(v, torch.Tensor)]
    return tensors, sched.state_dict()


def uninterrupted():
    seed_all(0)
    model, opt, sched, loader = build(0)
    best = {"loss": float("inf"), "epoch": -1}
    for epoch in range(EPOCHS):
        best = train_epoch(model, opt, sched, loader, best, epoch)
    return model, opt, sched, best


def resumed(path, restore_rng=True):
    seed_all(0)
    model, opt, sched, loader = build(0)
    best = {"loss": float("inf"), "epoch": -1}
    for epoch in range(STOP):
        best = train_epoch(model, opt, sched, loader, best, epoch)
    save_checkpoint(path, model=model, optimizer=opt, scheduler=sched, epoch=STOP - 1, best=best)
    del model, opt, sched, loader
    seed_all(1234)  # a fresh process: other RNG states, another initialisation
    model, opt, sched, loader = build(99)
    state = load_checkpoint(path, model=model, optimizer=opt, scheduler=sched, restore_rng=restore_rng)
    best = state["best"]
    for epoch in range(state["epoch"] + 1, EPOCHS):
        best = train_epoch(model, opt, sched, loader, best, epoch)
    return model, opt, sched, best


def test_resume_is_bit_for_bit(tmp_path):
    want, want_sched = flat_state(*uninterrupted()[:3])
    *trained, best = resumed(tmp_path / "ck.pt")
    got, got_sched = flat_state(*trained)
    assert len(got) == len(want) and all(torch.equal(a, b) for a, b in zip(got, want))
    assert got_sched == want_sched
    assert best == uninterrupted()[3]


def test_resume_without_the_rng_states_differs(tmp_path):
    """The control: weights, optimizer and schedule alone do not repeat the run."""
    want, _ = flat_state(*uninterrupted()[:3])
    got, _ = flat_state(*resumed(tmp_path / "ck.pt", restore_rng=False)[:3])
    assert not all(torch.equal(a, b) for a, b in zip(got, want))


def draws():
    return torch.rand(3).tolist(), np.random.rand(3).tolist(), [random.random() for _ in range(3)], \
        np.random.randn(), random.gauss(0, 1)


def test_rng_state_round_trips_through_pickle_and_weights_only(tmp_path):
    seed_all(5)
    np.random.randn(), random.gauss(0, 1)  # leave a cached Gaussian in both
    state = rng_state()
    want = draws()
    set_rng_state(pickle.loads(pickle.dumps(state)))  # how torch.distributed.all_gather_object moves it
    assert draws() == want
    torch.save(state, tmp_path / "rng.pt")
    set_rng_state(torch.load(tmp_path / "rng.pt", weights_only=True))
    assert draws() == want


def test_set_rng_state_refuses_a_malformed_state_and_changes_nothing():
    seed_all(3)
    state = rng_state()
    want = draws()
    set_rng_state(state)
    bad = dict(state, numpy=dict(state["numpy"], keys=torch.zeros(5, dtype=torch.int64)))
    with pytest.raises(ValueError, match="'numpy'.*rng_state"):
        set_rng_state(bad)
    with pytest.raises(ValueError, match="'python'"):
        set_rng_state(dict(state, python=dict(state["python"], state=[1.5] * 625)))
    with pytest.raises(ValueError, match="keys"):
        set_rng_state({"torch": state["torch"]})
    assert draws() == want


def test_one_rng_state_per_rank(tmp_path):
    model = nn.Linear(2, 2)
    seed_all(1)
    s0 = rng_state()
    seed_all(2)
    s1 = rng_state()
    want = draws()
    save_checkpoint(tmp_path / "ck.pt", model=model, epoch=0, rng=[s0, s1])
    load_checkpoint(tmp_path / "ck.pt", model=model, rank=1)
    assert draws() == want
    with pytest.raises(ValueError, match="2 process.*rank 2"):
        load_checkpoint(tmp_path / "ck.pt", model=model, rank=2)


def test_load_refuses_foreign_files_and_names_them(tmp_path):
    model = nn.Linear(3, 2)
    plain = tmp_path / "plain.pt"
    torch.save({"model": model.state_dict(), "epoch": 3}, plain)
    with pytest.raises(ValueError, match="plain.pt.*not an hgnn training checkpoint"):
        load_checkpoint(plain, model=model)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="junk.pt.*weights_only=True"):
        load_checkpoint(junk, model=model)
    hostile = tmp_path / "hostile.pt"
    marker = tmp_path / "ran"
    torch.save({"x": Hostile(str(marker))}, hostile)
    with pytest.raises(ValueError, match="hostile.pt") as caught:
        load_checkpoint(hostile, model=model)
    assert "weights_only=False" not in str(caught.value)
    assert not marker.exists()
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load_checkpoint(tmp_path / "missing.pt", model=model)


class Hostile:
    """Pickles as a call that would create a file if it were ever unpickled."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_load_checks_everything_before_changing_anything(tmp_path):
    path = tmp_path / "ck.pt"
    save_checkpoint(path, model=nn.Linear(3, 2), epoch=0)
    other = nn.Linear(4, 2)
    before = [p.detach().clone() for p in other.parameters()]
    with pytest.raises(ValueError, match="ck.pt.*does not fit the model.*weight"):
        load_checkpoint(path, model=other)
    assert all(torch.equal(a, b) for a, b in zip(before, other.parameters()))
    same = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="no optimizer state"):
        load_checkpoint(path, model=same, optimizer=torch.optim.SGD(same.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="no scheduler state"):
        opt = torch.optim.SGD(same.parameters(), lr=0.1)
        load_checkpoint(path, model=same, scheduler=torch.optim.lr_scheduler.StepLR(opt, 1))
    two_groups = torch.optim.SGD([{"params": [same.weight]}, {"params": [same.bias]}], lr=0.1)
    save_checkpoint(path, model=same, optimizer=torch.optim.SGD(same.parameters(), lr=0.1), epoch=0)
    with pytest.raises(ValueError, match=r"parameter groups of sizes \[2\].*\[1, 1\]"):
        load_checkpoint(path, model=same, optimizer=two_groups)


def test_save_refuses_what_weights_only_cannot_read_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "ck.pt"
    model = nn.Linear(2, 2)
    save_checkpoint(path, model=model, epoch=0, best={"val": 0.5})
    old = path.read_bytes()
    with pytest.raises(TypeError, match=r"extra\['best'\]\['val'\].*numpy.float64"):
        save_checkpoint(path, model=model, epoch=1, best={"val": np.float64(0.7)})
    with pytest.raises(ValueError, match="clash"):
        save_checkpoint(path, model=model, epoch=1, format="mine")
    with pytest.raises(ValueError, match="epoch"):
        save_checkpoint(path, model=model, epoch=1.0)
    assert path.read_bytes() == old
    assert load_checkpoint(path, model=model)["best"] == {"val": 0.5}
    wrapped = nn.DataParallel(model)  # saved and loaded as the wrapped module, without "module." keys
    save_checkpoint(path, model=wrapped, epoch=2)
    assert load_checkpoint(path, model=nn.Linear(2, 2))["epoch"] == 2


def _example_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env["CUDA_VISIBLE_DEVICES"] = ""  # exactness is promised on the CPU
    return env


def start_example(checkpoint, *extra):
    """The example as a single process (no torchrun: it falls back to one gloo rank)."""
    cmd = [sys.executable, str(EXAMPLE), "--dataset", "cocitation-cora", "--epochs", "2",
           "--checkpoint", str(checkpoint), *extra]
    return subprocess.Popen(cmd, env=_example_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc):
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("examples/distributed_train.py did not finish within 120 s")
    assert proc.returncode == 0, err[-3000:]
    return out


def test_distributed_example_resumes_exactly(tmp_path):
    from hgnn.datasets import get_spec
    from hgnn.datasets.root import find_root

    spec = get_spec("cocitation-cora")
    if find_root(spec.subdir, spec.files) is None:
        pytest.skip("cocitation-cora not on disk; not downloading in tests")
    whole = start_example(tmp_path / "whole.pt")  # both first runs at once: each uses one thread
    first = finish(start_example(tmp_path / "resumed.pt", "--stop-after", "1"))
    finish(whole)
    assert "epoch   0" in first and "epoch   1" not in first
    second = finish(start_example(tmp_path / "resumed.pt"))
    assert "resuming after epoch 0" in second
    whole, resumed = (torch.load(tmp_path / f, weights_only=True) for f in ("whole.pt", "resumed.pt"))
    assert whole["epoch"] == resumed["epoch"] == 1
    for key, value in whole["model"].items():
        assert torch.equal(value, resumed["model"][key]), key
    for pid, slot in whole["optimizer"]["state"].items():
        for key, value in slot.items():
            assert torch.equal(value, resumed["optimizer"]["state"][pid][key]), (pid, key)
    assert whole["extra"]["best"] == resumed["extra"]["best"]
