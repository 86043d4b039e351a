"""Time to accuracy of CoNHD (UNP) against the CoNHD reference implementation, side by side.

::

    # ours: the reference's recipe, or whole-graph bfloat16 steps (the "fast" recipe)
    python benchmarks/edge_dependent/time_to_accuracy.py --dataset enc-stackoverflowbiology \\
        --recipe fast --seeds 0 --out ours_fast_bio.json
    # the reference (reference/run_reference.py ... --test-every-eval --out ref_bio_s0.json), then the table:
    python benchmarks/edge_dependent/time_to_accuracy.py --table ours_fast_bio.json --reference ref_bio_s0.json

Both sides record, at every validation, the seconds of training and validation so far
(``elapsed_s``; test scoring left out) and the validation and test micro-F1. A run's *score at
time t* is the test micro-F1 of the checkpoint it would keep at t (its best validation so far),
so no test score picks a checkpoint. The table sets the reference's score at the end of its run
(or at the latest evaluation, while it runs) beside the seconds it took to get there, and the
seconds our run took to reach the same score.

Recipes (CoNHD-UNP, the reference's model settings: width 128, dropout 0.7, two UNP blocks, the
dataset's diffusion steps and input dropout):

- ``reference``: the reference's training (sampled neighbourhoods of 64-128 target hyperedges,
  lr per dataset, ``ExponentialLR(0.99)`` per epoch, validation every 5 epochs, patience 5);
- ``fast``: one whole-graph step per epoch (``mode="full"``: every training incidence in one
  loss), lr 3e-3, no decay, ``precision="bfloat16"``, validation every 10 steps, patience 5; on
  Email-Eu sampled batches of 2048 hyperedges, lr 6e-3 decayed by 0.99 an epoch, bfloat16 steps
  and validation passes, validation every epoch (``RECIPE_OVERRIDES`` in ``run.py``).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import platform
import time
from pathlib import Path

import torch


def _load_runner():
    """This folder's ``run.py`` (its recipes and per-dataset settings), under a name of its own."""
    spec = importlib.util.spec_from_file_location("edge_dependent_run", Path(__file__).with_name("run.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_runner = _load_runner()
RECIPES, REFERENCE_CONFIGS, cell_kwargs = _runner.RECIPES, _runner.REFERENCE_CONFIGS, _runner.cell_kwargs


def best_so_far(curve: list[dict[str, float]]) -> list[dict[str, float]]:
    """Per evaluation, the test micro-F1 of the best validation so far (the earliest of equal ones)."""
    out, best_val, kept = [], -math.inf, math.nan
    for row in curve:
        if row["val"] > best_val:
            best_val, kept = row["val"], row["test"]
        out.append({**row, "kept_test": kept})
    return out


def time_to(curve: list[dict[str, float]], target: float) -> float | None:
    """Seconds until the kept checkpoint's test micro-F1 first reaches ``target`` (``None``: never)."""
    for row in best_so_far(curve):
        if row["kept_test"] >= target - 1e-12:
            return row["elapsed_s"]
    return None


def reference_curve(report: dict, clock: str = "wall") -> list[dict[str, float]]:
    """The evaluations of a ``reference/run_reference.py --test-every-eval`` JSON; ``elapsed_s`` is
    wall time, or with ``clock="cpu"`` the CPU seconds of the training and validation passes so far."""
    evaluations = [e for e in report.get("evaluations", []) if e.get("test_micro_f1") is not None]
    if not evaluations:
        raise ValueError("the reference JSON has no evaluation with a test score: run it with --test-every-eval")
    rows = []
    for e in evaluations:
        seconds = e["elapsed_s"]
        if clock == "cpu":
            seconds = (sum(p["train_cpu_s"] for p in report["epochs"] if p["epoch"] <= e["epoch"])
                       + sum(v["val_cpu_s"] for v in evaluations if v["epoch"] <= e["epoch"]))
        rows.append({"epoch": e["epoch"], "elapsed_s": seconds, "val": e["val_micro_f1"], "test": e["test_micro_f1"]})
    return rows


def our_curve(run: dict, clock: str = "wall") -> list[dict[str, float]]:
    h = run["history"]
    seconds = h["elapsed_cpu_s"] if clock == "cpu" else h["elapsed_s"]
    return [{"epoch": e, "elapsed_s": s, "val": v, "test": t}
            for e, s, v, t in zip(h["eval_epoch"], seconds, h["val_micro_f1"], h["test_micro_f1"])]


def run_ours(dataset: str, recipe: str, seeds: list[int], epochs: int | None, out: Path) -> dict:
    from hgnn.io import write_json
    from hgnn.tasks.edge_dependent import run_edge_dependent

    settings = cell_kwargs(dataset, "conhd-unp", {"epochs": epochs, "seeds": seeds}, recipe)
    settings.pop("seeds")
    meta = {"dataset": dataset, "recipe": recipe, "settings": settings, "threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version(), "cpu": platform.processor()}

    def save(report: dict) -> None:
        write_json(out, {"meta": meta, "report": report})

    start = time.perf_counter()
    report = run_edge_dependent("conhd-unp", dataset, seeds=seeds, record_test=True, progress=False,
                                on_seed=save, **settings)
    report["seconds"] = time.perf_counter() - start
    save(report)
    return report


def table(ours: list[dict], references: list[dict], clock: str = "wall") -> str:
    """One row per (our run, reference run) pair with the same seed, else every pair; seconds on
    ``clock`` (``"wall"`` or ``"cpu"``); seconds per epoch include the validation passes."""
    lines = [f"| dataset | seed | reference: test micro-F1 (best val) | reached after ({clock} s) | s / epoch | "
             f"ours: reached it after ({clock} s) | speed-up | ours at the end | our s / epoch |",
             "|---|---|---|---|---|---|---|---|---|"]
    for ref in references:
        rc = reference_curve(ref, clock)
        kept = best_so_far(rc)[-1]
        t_ref = time_to(rc, kept["kept_test"])
        ref_epoch_s = rc[-1]["elapsed_s"] / rc[-1]["epoch"]
        status = "" if ref.get("status") == "complete" else f" ({ref.get('status')}, epoch {rc[-1]['epoch']})"
        for entry in ours:
            for run in entry["report"]["runs"]:
                if run["seed"] != ref["settings"]["seed"] and len(references) > 1:
                    continue
                oc = our_curve(run, clock)
                t_ours = time_to(oc, kept["kept_test"])
                speed = "not reached" if t_ours is None else f"{t_ref / t_ours:.1f}x"
                ours_end = best_so_far(oc)[-1]["kept_test"]
                lines.append(
                    f"| {entry['meta']['dataset']} | {run['seed']} | {100 * kept['kept_test']:.2f}{status} | "
                    f"{t_ref:.0f} | {ref_epoch_s:.0f} | {'-' if t_ours is None else f'{t_ours:.0f}'} | {speed} | "
                    f"{100 * ours_end:.2f} ({entry['meta']['recipe']}) | {oc[-1]['elapsed_s'] / oc[-1]['epoch']:.1f} |")
    return "\n".join(lines)


def plot(ours: list[dict], references: list[dict], clock: str, path: Path) -> Path:
    """The kept checkpoint's test micro-F1 against seconds, every run one line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4))
    for ref in references:
        rows = best_so_far(reference_curve(ref, clock))
        ax.step([r["elapsed_s"] for r in rows], [100 * r["kept_test"] for r in rows], where="post", marker="o",
                label=f"reference, seed {ref['settings']['seed']} (its evaluations)", color="black")
        if rows:  # its latest kept score, the target
            ax.axhline(100 * rows[-1]["kept_test"], color="black", linestyle=":", linewidth=1)
    for entry in ours:
        for run in entry["report"]["runs"]:
            rows = best_so_far(our_curve(run, clock))
            ax.step([r["elapsed_s"] for r in rows], [100 * r["kept_test"] for r in rows], where="post",
                    label=f"hgnn {entry['meta']['recipe']}, seed {run['seed']}")
    ax.set_xlabel(f"{clock} seconds (training + validation, one thread)")
    ax.set_ylabel("test micro-F1 of the kept checkpoint (%)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=sorted(REFERENCE_CONFIGS), default="enc-stackoverflowbiology")
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="fast")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe's maximum epochs")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="the table's seconds: wall time, or process CPU time (steadier on a shared machine)")
    parser.add_argument("--out", type=Path, help="our run's JSON (written after every seed)")
    parser.add_argument("--table", type=Path, nargs="+", default=[], help="our JSONs to tabulate; train nothing")
    parser.add_argument("--plot", type=Path, default=None, help="also draw the curves to this image")
    parser.add_argument("--reference", type=Path, nargs="+", default=[],
                        help="run_reference.py JSONs (with --test-every-eval) to compare against")
    args = parser.parse_args()
    if not args.table and args.out is None:
        parser.error("--out is required unless --table is given")
    if args.out is not None and not args.out.parent.is_dir():
        parser.error(f"--out's folder {args.out.parent} does not exist")
    references = [json.loads(p.read_text()) for p in args.reference]
    for ref in references:
        reference_curve(ref)  # fail now on a reference without test curves
    ours = [json.loads(p.read_text()) for p in args.table]
    if not args.table:
        torch.set_num_threads(args.threads)
        run_ours(args.dataset, args.recipe, args.seeds, args.epochs, args.out)
        ours = [json.loads(args.out.read_text())]
    for entry in ours:
        for run in entry["report"]["runs"]:
            for row in best_so_far(our_curve(run)):
                print(f"{entry['meta']['recipe']} seed {run['seed']} epoch {row['epoch']:4d} {row['elapsed_s']:7.0f} s "
                      f"val {100 * row['val']:.2f} test {100 * row['test']:.2f} kept {100 * row['kept_test']:.2f}")
    if references:
        print(table(ours, references, args.clock))
    if args.plot is not None:
        print(f"plot: {plot(ours, references, args.clock, args.plot)}")


if __name__ == "__main__":
    main()
