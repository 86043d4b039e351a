"""Run the CoNHD reference implementation (github.com/zhengyijia/CoNHD) on one edge-dependent node
classification dataset and record its timings and scores in a JSON file.

Run it with the reference environment's interpreter (``setup.sh`` beside this file builds it):

    .venv-conhd-ref/bin/python benchmarks/edge_dependent/reference/run_reference.py \\
        --dataset StackOverflowBiology --seed 0 --out ref_biology_s0.json

What runs is the reference's own ``train.py`` (via :func:`runpy.run_path`, its files unmodified)
with the arguments of its script ``script/edge_dependent_node_classification/run_<dataset>.sh``
for CoNHD_GD with the chosen set block (``--operator UNP`` by default; the script's lines are read
from the checkout, not copied here), the script's ``${seed}`` replaced by ``--seed`` and, where
given, ``--epochs`` / ``--valid-epoch`` / ``--patience`` replaced. The data are read from
``<data root>/enc/<dataset>`` through a symbolic link (the reference expects
``<data_inputdir>/edge_dependent_node_classification/<dataset>``); nothing is copied.

The reference's 44-d random-walk node features come from its preprocessing
(``preprocess/initialize_by_rw.py``, as ``script/preprocess.sh`` runs it). When the feature file is
missing it is computed first, in a child process, and kept under ``<venv>/features`` for later runs
(``--preprocess-only`` computes it and stops).

Patches (all recorded in the JSON under ``patches``):

- ``dgl.dataloading.NodeDataLoader``: the reference builds its loaders with this name, a deprecated
  alias of ``dgl.dataloading.DataLoader`` that dgl >= 1.0 removed. It is restored as a subclass of
  ``DataLoader`` that adds nothing to the batches; the subclass also times each pass over a loader
  (training, validation, test: the first, second and third loader ``train.py`` builds) and, with
  ``--max-steps`` / ``--max-train-seconds``, ends a training pass early. Unavoidable: without the
  alias ``train.py`` does not run with any dgl that has Python 3.11 wheels.
- ``utils.metric.get_clf_eval`` is wrapped (same arguments, same return value) to record each
  evaluation's micro-F1 / macro-F1 with its epoch and wall time: ``train.py`` keeps its scores in
  local variables and writes them to its logs only with one-second timestamps.
- Preprocessing only (not with ``--preprocess-as-reference``): ``ProcessPoolExecutor`` capped to
  ``--preprocess-workers`` processes (the reference starts up to 170 forked workers), and
  ``gc.collect()`` inside ``preprocess/random_walk_hyper.py`` made a no-op (it is called once per
  (node, neighbour) pair, ~70k times on Stack-Biology, and only frees memory). Neither changes
  what is computed; the walks depend on which worker draws them in the reference too (forked
  workers share one NumPy random state), so they are not reproducible either way.

The JSON (written atomically after every epoch and evaluation, and at the end) holds the settings,
the reference commit, the thread count, the machine, per-epoch wall and CPU seconds, every
validation (epoch, elapsed wall seconds, micro-/macro-F1, loss), the test scores at the
best-validation checkpoint (the only test evaluation the reference makes; ``--test-every-eval``
adds one per validation, outside the timed span) and the peak resident memory.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parents[1]))  # benchmarks/: the helpers the reference harnesses share
from reference_harness import (find_data_root, machine_info, nonneg_int, positive_int,  # noqa: E402
                               read_source_info, sha256_file, write_json_atomic)
TASK = "edge_dependent_node_classification"
#: The reference's dataset names (its run_<name>.sh scripts), with hgnn's registry names as aliases.
DATASETS = ("emailEu", "StackOverflowBiology", "StackOverflowPhysics", "DBLP")
ALIASES = {"enc-emaileu": "emailEu", "enc-stackoverflowbiology": "StackOverflowBiology",
           "enc-stackoverflowphysics": "StackOverflowPhysics", "enc-dblp": "DBLP"}
#: Files each dataset folder must hold (the four centralities feed the positional encoding).
DATA_FILES = ("hypergraph.txt", "hypergraph_pos.txt", "valid_hindex.txt", "test_hindex.txt",
              "degree_nodecentrality.txt", "eigenvec_nodecentrality.txt",
              "pagerank_nodecentrality.txt", "kcore_nodecentrality.txt")
FEAT_DIM = 44  # every ENC script: --init_feat_dim 44 (and script/preprocess.sh: --feat_dim 44)
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS")


# ----------------------------------------------------------------------------------------- options
def dataset_name(value: str) -> str:
    key = ALIASES.get(value.lower(), value)
    for name in DATASETS:
        if key.lower() == name.lower():
            return name
    raise argparse.ArgumentTypeError(
        f"unknown dataset {value!r}; choose from {', '.join(DATASETS)} (or {', '.join(ALIASES)})")


# This script runs in the reference's own environment, where hgnn is not installed, so it keeps its
# own argument checks instead of importing hgnn.cli's.
def positive_float(value: str) -> float:
    x = float(value)
    if not x > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return x


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, type=dataset_name, help=f"one of {', '.join(DATASETS)}")
    p.add_argument("--seed", type=int, default=0, help="the reference scripts use 0, 10, 100, 500, 10000")
    p.add_argument("--operator", choices=("UNP", "ISAB"), default="UNP",
                   help="CoNHD_GD's set block: which line of run_<dataset>.sh (default UNP)")
    p.add_argument("--epochs", type=positive_int, default=None, help="default: the script's (100)")
    p.add_argument("--valid-epoch", type=positive_int, default=None,
                   help="validate every this many epochs (default: the script's, 5)")
    p.add_argument("--patience", type=nonneg_int, default=None,
                   help="validations without improvement before stopping (default: train.py's, 5)")
    p.add_argument("--threads", type=positive_int, default=1, help="torch / OpenMP / BLAS threads (default 1)")
    p.add_argument("--max-steps", type=positive_int, default=None,
                   help="end each training pass after this many batches (a short check; the epoch "
                        "time is then also extrapolated to the full pass)")
    p.add_argument("--max-train-seconds", type=positive_float, default=None,
                   help="end each training pass after this many wall seconds (as --max-steps)")
    p.add_argument("--test-every-eval", action="store_true",
                   help="also score the test set after every validation (the reference scores it only "
                        "once, at the best-validation checkpoint); its time is left out of 'elapsed_s'")
    p.add_argument("--out", type=Path, default=None, help="the JSON to write (required unless --preprocess-only)")
    p.add_argument("--ref-venv", type=Path, default=Path(os.environ.get("CONHD_REF_VENV", REPO / ".venv-conhd-ref")),
                   help="the environment setup.sh built (default $CONHD_REF_VENV or <repo>/.venv-conhd-ref)")
    p.add_argument("--data-root", type=Path, default=None,
                   help="folder holding enc/<dataset> (default: the first $HGNN_DATA folder that does, "
                        "else <repo>/../shared/datasets)")
    p.add_argument("--work-dir", type=Path, default=None,
                   help="where train.py runs and writes its logs and checkpoints (must not exist; "
                        "default <venv>/runs/<dataset>-<operator>-seed<seed>-<UTC time>)")
    p.add_argument("--preprocess-only", action="store_true", help="compute the feature file if missing, then stop")
    p.add_argument("--preprocess-workers", type=nonneg_int, default=None,
                   help="cap on preprocessing worker processes (default or 0: the CPU count)")
    p.add_argument("--preprocess-as-reference", action="store_true",
                   help="preprocess without the two patches (up to 170 workers, gc.collect per pair)")
    p.add_argument("--dry-run", action="store_true", help="check the options, print train.py's arguments, stop")
    args = p.parse_args(argv)
    if args.out is None and not (args.preprocess_only or args.dry_run):
        p.error("--out is required (the JSON to write)")
    return args


def reference_argv(src: Path, name: str, operator: str, seed: int, args: argparse.Namespace,
                   data_dir: Path, feature_dir: Path) -> tuple[list[str], str]:
    """train.py's arguments: the script's line for CoNHD_GD with ``operator``, adapted."""
    script = src / "script" / TASK / f"run_{name}.sh"
    if not script.is_file():
        raise SystemExit(f"error: the reference has no {script}")
    lines = [ln.strip() for ln in script.read_text().splitlines()
             if ln.strip().startswith("python train.py") and "--embedder CoNHD_GD" in ln]
    lines = [ln for ln in lines if re.search(rf"--PE_Block\s+{operator}(\s|$)", ln)]
    if len(lines) != 1:
        raise SystemExit(f"error: expected one CoNHD_GD line with --PE_Block {operator} in {script}, found {len(lines)}")
    tokens = shlex.split(lines[0], posix=True)[2:]  # drop "python train.py"
    tokens = [str(seed) if t in ("${seed}", "$seed") else t for t in tokens]

    def put(flag: str, value: str | None) -> None:
        if value is None:
            return
        if flag in tokens:
            tokens[tokens.index(flag) + 1] = value
        else:
            tokens.extend([flag, value])

    put("--seed", str(seed))
    put("--epochs", None if args.epochs is None else str(args.epochs))
    put("--valid_epoch", None if args.valid_epoch is None else str(args.valid_epoch))
    put("--patience", None if args.patience is None else str(args.patience))
    put("--data_inputdir", str(data_dir) + os.sep)
    put("--feature_inputdir", str(feature_dir) + os.sep)
    return tokens, lines[0]


def arg_value(tokens: list[str], flag: str, default: str) -> str:
    return tokens[tokens.index(flag) + 1] if flag in tokens else default


# ---------------------------------------------------------------------------------- bookkeeping
def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


# ------------------------------------------------------------------------------ preprocessing
def feature_paths(venv: Path, name: str) -> tuple[Path, Path]:
    base = venv / "features" / TASK / "rw"
    return base / f"{name}_dim_{FEAT_DIM}.npy", base / f"{name}_dim_{FEAT_DIM}_origin_index.txt"


def preprocess_in_child(args: argparse.Namespace, data_root: Path) -> dict[str, Any]:
    """Run this script with --preprocess-only in a child process; its seconds and peak memory."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--preprocess-only", "--dataset", args.dataset,
           "--data-root", str(data_root), "--ref-venv", str(args.ref_venv)]
    if args.preprocess_workers is not None:
        cmd += ["--preprocess-workers", str(args.preprocess_workers)]
    if args.preprocess_as_reference:
        cmd.append("--preprocess-as-reference")
    print("preprocessing (the reference's random-walk features):", " ".join(shlex.quote(c) for c in cmd), flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return {"seconds": time.perf_counter() - t0, "peak_rss_mib": peak_rss_mib(resource.RUSAGE_CHILDREN),
            "command": cmd}


def preprocess(args: argparse.Namespace, data_root: Path) -> None:
    """The reference's preprocess/initialize_by_rw.py for one dataset, run in this process."""
    import concurrent.futures as cf
    import runpy

    src = args.ref_venv / "src"
    npy, index = feature_paths(args.ref_venv, args.dataset)
    if npy.is_file() and index.is_file():
        print(f"feature file exists: {npy}")
        return
    out_final = npy.parent.parent  # <venv>/features/<task>; the script writes <outputdir>/rw/...
    out_tmp = Path(tempfile.mkdtemp(prefix=f"prep-{args.dataset}-", dir=args.ref_venv))
    argv = ["initialize_by_rw.py", "--inputdir", str(data_root / "enc"), "--outputdir", str(out_tmp),
            "--dataset_name", args.dataset, "--feat_dim", str(FEAT_DIM)]
    if args.dataset == "DBLP":
        argv.append("--exist_hedgename")  # as script/preprocess.sh
    sys.path.insert(0, str(src / "preprocess"))
    if not args.preprocess_as_reference:
        cap = args.preprocess_workers or os.cpu_count() or 1

        class CappedPool(cf.ProcessPoolExecutor):
            def __init__(self, max_workers=None, *a, **k):
                super().__init__(min(max_workers or cap, cap), *a, **k)

        cf.ProcessPoolExecutor = CappedPool  # the preprocess modules import it from here
        import random_walk_hyper  # the reference's module (prints two numbers on import)

        class _NoCollect:
            @staticmethod
            def collect(*_a, **_k):
                return 0

        random_walk_hyper.gc = _NoCollect()
        print(f"preprocessing patches: at most {cap} worker processes; gc.collect() per pair skipped", flush=True)
    old_argv = sys.argv
    sys.argv = argv
    t0 = time.perf_counter()
    try:
        runpy.run_path(str(src / "preprocess" / "initialize_by_rw.py"), run_name="__main__")
        made_npy, made_index = out_tmp / "rw" / npy.name, out_tmp / "rw" / index.name
        if not (made_npy.is_file() and made_index.is_file()):
            raise SystemExit(f"error: preprocessing left no {made_npy} / {made_index}")
        npy.parent.mkdir(parents=True, exist_ok=True)
        os.replace(made_index, index)
        os.replace(made_npy, npy)  # last: the .npy's presence means both are there
        walks = out_tmp / "rw" / "walks" / args.dataset
        dest = out_final / "rw" / "walks" / args.dataset
        if walks.is_dir() and not dest.exists():  # kept for reference; the features are what train.py reads
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(walks, dest)
    finally:
        sys.argv = old_argv
        shutil.rmtree(out_tmp, ignore_errors=True)  # an interrupted run leaves no partial walk file behind
    print(f"features written: {npy} ({time.perf_counter() - t0:.0f} s)")


# ------------------------------------------------------------------------------------ training
class Recorder:
    """Collects the timings and scores of one run and writes the JSON."""

    def __init__(self, args: argparse.Namespace, report: dict[str, Any], t_start: float):
        self.args = args
        self.t_start = t_start  # after any preprocessing (setup_s: from here to the first training batch)
        self.report = report
        self.epochs: list[dict[str, Any]] = report["epochs"]
        self.evals: list[dict[str, Any]] = report["evaluations"]
        self.t_train0: float | None = None  # start of the first training pass
        self.excluded_s = 0.0  # extra test passes (--test-every-eval), kept out of elapsed_s
        self.phase: str | None = None  # the loader whose pass ended last: train / valid / test
        self.pending: dict[str, Any] | None = None  # the evaluation whose two metric calls are awaited
        self.final_test = False
        self.in_extra_test = False
        self.loader_count = 0

    def elapsed(self) -> float:
        return 0.0 if self.t_train0 is None else time.perf_counter() - self.t_train0 - self.excluded_s

    def save(self, status: str | None = None) -> None:
        if status is not None:
            self.report["status"] = status
        self.report["peak_rss_mib"] = peak_rss_mib()
        self.report["updated_utc"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        if self.args.out is not None:
            write_json_atomic(self.args.out, self.report)

    # loader passes --------------------------------------------------------------------------
    def pass_started(self, role: str) -> None:
        if role == "train" and self.t_train0 is None:
            self.t_train0 = time.perf_counter()
            self.report["setup_s"] = self.t_train0 - self.t_start

    def pass_ended(self, role: str, wall: float, cpu: float, steps: int, full_steps: int | None,
                   capped: bool) -> None:
        self.phase = role
        if role == "train":
            rec = {"epoch": len(self.epochs) + 1, "train_s": wall, "train_cpu_s": cpu, "steps": steps,
                   "full_steps": full_steps, "capped": capped, "elapsed_s": self.elapsed()}
            if capped and steps and full_steps:
                rec["train_s_extrapolated"] = wall * full_steps / steps
                rec["train_cpu_s_extrapolated"] = cpu * full_steps / steps
            self.epochs.append(rec)
            self.save()
        elif role == "valid":
            self.pending = {"epoch": len(self.epochs), "val_s": wall, "val_cpu_s": cpu, "val_steps": steps}
        elif role == "test":
            if not self.in_extra_test:
                self.final_test = True
                self.report["test"].update({"test_s": wall, "test_cpu_s": cpu, "test_steps": steps})

    # metric calls ---------------------------------------------------------------------------
    def metric(self, avg: str, accuracy: float, f1: float, frame_globals: dict[str, Any]) -> None:
        if self.in_extra_test:
            return
        if self.final_test:
            t = self.report["test"]
            t[f"{avg}_f1"] = f1
            t["accuracy"] = accuracy
            if avg == "macro":
                t["elapsed_s"] = self.elapsed()
                t["best_eval_epoch"] = frame_globals.get("best_eval_epoch")
                t["epochs_run"] = len(self.epochs)
                self.save()
            return
        if self.phase != "valid" or self.pending is None:
            return
        self.pending[f"val_{avg}_f1"] = f1
        self.pending["val_accuracy"] = accuracy
        if avg == "macro":
            ev = self.pending
            self.pending = None
            ev["elapsed_s"] = self.elapsed()
            best = max((e["val_accuracy"] for e in self.evals), default=0.0)
            ev["improved"] = best < ev["val_accuracy"]  # train.py keeps the strictly better accuracy
            self.evals.append(ev)
            if self.args.test_every_eval:
                self.extra_test(ev, frame_globals)
            self.save()

    def extra_test(self, ev: dict[str, Any], g: dict[str, Any]) -> None:
        """Score the test set with train.py's own run_test_epoch and the current weights."""
        import torch
        from sklearn.metrics import f1_score

        import random

        import numpy as np

        t0 = time.perf_counter()
        self.in_extra_test = True
        # Iterating a loader draws from torch's generator (its base seed): restore the generators
        # so that training goes on exactly as without this pass (checked on a toy hypergraph).
        states = torch.get_rng_state(), np.random.get_state(), random.getstate()
        try:
            with torch.no_grad():
                pred, label, loss, *_ = g["run_test_epoch"](g["args"], g["data"], g["testdataloader"],
                                                            g["initembedder"], g["embedder"], g["scorer"],
                                                            g["loss_fn"])
            y = torch.cat(label).cpu().numpy()
            p = torch.argmax(torch.cat(pred), dim=1).cpu().numpy()
            ev["test_micro_f1"] = float(f1_score(y, p, average="micro"))
            ev["test_macro_f1"] = float(f1_score(y, p, average="macro"))
            ev["test_loss"] = float(loss)
        finally:
            torch.set_rng_state(states[0])
            np.random.set_state(states[1])
            random.setstate(states[2])
            self.in_extra_test = False
            spent = time.perf_counter() - t0
            self.excluded_s += spent
            ev["test_extra_s"] = spent


def install_hooks(rec: Recorder, args: argparse.Namespace) -> list[dict[str, str]]:
    import dgl
    import dgl.dataloading
    import utils.metric as metric  # the reference's module (src is on sys.path)

    roles = ("train", "valid", "test")
    max_steps, max_secs = args.max_steps, args.max_train_seconds

    class NodeDataLoader(dgl.dataloading.DataLoader):
        """dgl's removed alias, restored; times each pass (see the module docstring)."""

        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self._role = roles[rec.loader_count] if rec.loader_count < len(roles) else f"loader{rec.loader_count}"
            rec.loader_count += 1

        def __iter__(self):
            role = self._role
            try:
                full = len(self)
            except TypeError:
                full = None
            rec.pass_started(role)
            t0, c0 = time.perf_counter(), time.process_time()
            it = super().__iter__()
            steps, capped = 0, False
            try:
                while True:
                    if role == "train" and ((max_steps is not None and steps >= max_steps) or
                                            (max_secs is not None and time.perf_counter() - t0 >= max_secs)):
                        capped = full is None or steps < full
                        break
                    try:
                        batch = next(it)
                    except StopIteration:
                        break
                    steps += 1
                    yield batch
            finally:
                rec.pass_ended(role, time.perf_counter() - t0, time.process_time() - c0, steps, full, capped)

    dgl.dataloading.NodeDataLoader = NodeDataLoader
    original = metric.get_clf_eval

    def get_clf_eval(y_test, pred, avg="micro", outputdim=None):
        out = original(y_test, pred, avg=avg, outputdim=outputdim)
        _confusion, accuracy, _precision, _recall, f1 = out
        rec.metric(avg, float(accuracy), float(f1), sys._getframe(1).f_globals)
        return out

    metric.get_clf_eval = get_clf_eval
    return [{"name": "dgl.dataloading.NodeDataLoader",
             "what": "restored as a dgl.dataloading.DataLoader subclass (dgl >= 1.0 removed this deprecated "
                     "alias); times each pass; with --max-steps / --max-train-seconds ends training passes early"},
            {"name": "utils.metric.get_clf_eval",
             "what": "wrapped (same arguments and result) to record each evaluation's F1 scores and time"}]


def parse_logs(work: Path) -> dict[str, Any]:
    """Losses and the test line from train.py's own logs (results_test/.../<seed>/log_*.txt)."""
    out: dict[str, Any] = {}
    logs = sorted(work.glob("results_test/**/log_train.txt"))
    if not logs:
        return out
    d = logs[0].parent
    out["log_dir"] = str(d)
    num = r"([-+0-9.eE]+|nan|inf)"
    train = {}
    for m in re.finditer(rf"(\d+) epoch: Training loss : {num} / Training acc : {num}", (d / "log_train.txt").read_text()):
        train[int(m.group(1))] = {"loss": float(m.group(2)), "acc": float(m.group(3))}
    out["train"] = train
    valid = {}
    if (d / "log_valid_micro.txt").is_file():
        for m in re.finditer(rf"(\d+) epoch:Test Loss:{num} /Accuracy:{num}/", (d / "log_valid_micro.txt").read_text()):
            valid[int(m.group(1))] = {"loss": float(m.group(2)), "accuracy": float(m.group(3))}
    out["valid"] = valid
    if (d / "log_test_micro.txt").is_file():
        m = re.search(rf"(\d+) epoch, (\d+) best eval epoch:Test Loss:{num} /Accuracy:{num}/Precision:{num}/"
                      rf"Recall:{num}/F1:{num}", (d / "log_test_micro.txt").read_text())
        if m:
            out["test"] = {"last_epoch": int(m.group(1)), "best_eval_epoch": int(m.group(2)),
                           "loss": float(m.group(3)), "micro_f1": float(m.group(7))}
    if (d / "log_test_macro.txt").is_file():
        m = re.search(rf"best eval epoch:Test Loss:{num} /Accuracy:{num}/Precision:{num}/Recall:{num}/F1:{num}",
                      (d / "log_test_macro.txt").read_text())
        if m:
            out.setdefault("test", {})["macro_f1"] = float(m.group(5))
    return out


def merge_logs(report: dict[str, Any], work: Path) -> None:
    try:
        logs = parse_logs(work)
    except (OSError, ValueError) as exc:  # the logs are a supplement; never fail the run on them
        report["log_parse_error"] = repr(exc)
        return
    for ep in report["epochs"]:
        t = logs.get("train", {}).get(ep["epoch"])
        if t:
            ep["loss"], ep["train_acc"] = t["loss"], t["acc"]
    for ev in report["evaluations"]:
        v = logs.get("valid", {}).get(ev["epoch"])
        if v:
            ev["val_loss"] = v["loss"]
    if "test" in logs:
        report["test"]["loss"] = logs["test"].get("loss")
        report["test"]["log"] = logs["test"]
    if "log_dir" in logs:
        report["log_dir"] = logs["log_dir"]


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    eps = report["epochs"]
    s: dict[str, Any] = {"epochs_run": len(eps)}
    if eps:
        full = [e for e in eps if not e["capped"]]
        s["train_s_mean"] = sum(e["train_s"] for e in full) / len(full) if full else None
        s["train_cpu_s_mean"] = sum(e["train_cpu_s"] for e in full) / len(full) if full else None
        capped = [e for e in eps if e["capped"] and "train_s_extrapolated" in e]
        if capped:
            s["train_s_extrapolated_mean"] = sum(e["train_s_extrapolated"] for e in capped) / len(capped)
            s["train_cpu_s_extrapolated_mean"] = sum(e["train_cpu_s_extrapolated"] for e in capped) / len(capped)
    t = report["test"]
    for k in ("micro_f1", "macro_f1", "best_eval_epoch"):
        if k in t:
            s[f"test_{k}" if k != "best_eval_epoch" else k] = t[k]
    best = [e for e in report["evaluations"] if e.get("epoch") == t.get("best_eval_epoch")]
    if best:
        s["val_micro_f1"] = best[0].get("val_micro_f1")
        s["val_macro_f1"] = best[0].get("val_macro_f1")
    return s


def train(args: argparse.Namespace, data_root: Path, source: dict[str, str]) -> int:
    import runpy

    t_start = time.perf_counter()
    src = (args.ref_venv / "src").resolve()
    npy, index = feature_paths(args.ref_venv, args.dataset)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    work = args.work_dir or (args.ref_venv / "runs" / f"{args.dataset}-{args.operator}-seed{args.seed}-{stamp}")
    work = work.resolve()
    if work.exists():
        raise SystemExit(f"error: --work-dir {work} exists; train.py would resume or skip a finished run there")
    data_link = work / "data" / TASK
    tokens, script_line = reference_argv(src, args.dataset, args.operator, args.seed, args,
                                         work / "data", args.ref_venv.resolve() / "features")
    epochs = int(arg_value(tokens, "--epochs", "100"))
    valid_epoch = int(arg_value(tokens, "--valid_epoch", "5"))
    if epochs < valid_epoch:
        raise SystemExit(f"error: --epochs {epochs} < validation interval {valid_epoch}: train.py would never "
                         f"validate, save no checkpoint and fail loading it for the test (pass --valid-epoch)")
    if args.dry_run:
        print("train.py " + " ".join(shlex.quote(t) for t in tokens))
        return 0

    preprocess_info = None
    if not (npy.is_file() and index.is_file()):
        preprocess_info = preprocess_in_child(args, data_root)
    t_setup = time.perf_counter()  # setup_s counts from here: imports, data loading, graph building

    work.mkdir(parents=True)
    data_link.parent.mkdir(parents=True)
    data_link.symlink_to(data_root / "enc", target_is_directory=True)

    import numpy
    import torch

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(args.threads)
    except RuntimeError:
        pass
    import dgl
    import scipy
    import sklearn

    versions = {"python": platform.python_version(), "torch": torch.__version__, "dgl": dgl.__version__,
                "numpy": numpy.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__}
    report: dict[str, Any] = {
        "kind": "conhd-reference",
        "status": "running",
        "settings": {"dataset": args.dataset, "operator": args.operator, "seed": args.seed, "epochs": epochs,
                     "valid_epoch": valid_epoch, "patience": int(arg_value(tokens, "--patience", "5")),
                     "batch_size": int(arg_value(tokens, "--bs", "64")), "lr": float(arg_value(tokens, "--lr", "0.0005")),
                     "num_layers": int(arg_value(tokens, "--num_layers", "1")),
                     "max_steps": args.max_steps, "max_train_seconds": args.max_train_seconds,
                     "test_every_eval": args.test_every_eval,
                     "train_py_argv": tokens, "script": f"script/{TASK}/run_{args.dataset}.sh",
                     "script_line": script_line},
        "reference": {"repository": "zhengyijia/CoNHD", "commit": source.get("commit"), "source": source,
                      "checkout": str(src)},
        "threads": {"torch": torch.get_num_threads(), "torch_interop": torch.get_num_interop_threads(),
                    **{k: os.environ.get(k) for k in THREAD_VARS}},
        "machine": machine_info(),
        "versions": versions,
        "data": {"root": str(data_root), "dir": str(data_root / "enc" / args.dataset), "link": str(data_link)},
        "features": {"file": str(npy), "sha256": sha256_file(npy), "preprocess": preprocess_info},
        "work_dir": str(work),
        "patches": [],
        "setup_s": None,
        "epochs": [],
        "evaluations": [],
        "test": {},
    }
    rec = Recorder(args, report, t_setup)
    sys.path.insert(0, str(src))
    report["patches"] = install_hooks(rec, args)
    rec.save()
    old_argv, old_cwd = sys.argv, os.getcwd()
    sys.argv = [str(src / "train.py"), *tokens]
    os.chdir(work)
    status, code = "complete", 0
    try:
        runpy.run_path(str(src / "train.py"), run_name="__main__")
    except SystemExit as exc:  # train.py's sys.exit("Already Run") and the like
        if exc.code not in (None, 0):
            status, code = "failed", 1
            report["error"] = f"SystemExit: {exc.code}"
    except KeyboardInterrupt:
        status, code = "interrupted", 130
    except BaseException:
        status, code = "failed", 1
        report["error"] = traceback.format_exc()
    finally:
        os.chdir(old_cwd)
        sys.argv = old_argv
    if status == "complete" and "micro_f1" not in report["test"]:
        status, code = "failed", 1
        report.setdefault("error", "train.py ended without a test evaluation")
    report["wall_s"] = time.perf_counter() - t_start
    report["machine"]["loadavg_end"] = os.getloadavg()
    merge_logs(report, work)
    report["summary"] = summarize(report)
    rec.save(status)
    print(json.dumps({"status": status, "out": str(args.out), **report["summary"]}, indent=1), flush=True)
    return code


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Thread caps before numpy / torch / dgl load their thread pools.
    for var in THREAD_VARS:
        os.environ[var] = str(args.threads)
    args.ref_venv = args.ref_venv.expanduser().resolve()
    source = read_source_info(args.ref_venv, "conhd-ref-source.txt", "train.py",
                              "benchmarks/edge_dependent/reference/setup.sh <CoNHD git dir>")
    data_root = find_data_root(args.data_root, f"enc/{args.dataset}", DATA_FILES, "enc/<dataset>")
    if args.out is not None:
        args.out = args.out.expanduser().resolve()
        if args.out.is_dir():
            raise SystemExit(f"error: --out {args.out} is a folder; give a file name")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(args.out.parent, os.W_OK):
            raise SystemExit(f"error: cannot write to {args.out.parent}")
    import importlib.util

    missing = [m for m in ("torch", "dgl", "gensim", "sklearn") if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(f"error: no {', '.join(missing)} in {sys.executable}; run this with the reference "
                         f"environment's python ({args.ref_venv / 'bin' / 'python'})")
    if args.preprocess_only:
        preprocess(args, data_root)
        return 0
    return train(args, data_root, source)


if __name__ == "__main__":
    sys.exit(main())
