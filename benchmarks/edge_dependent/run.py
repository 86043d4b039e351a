"""Edge-dependent node classification: CoNHD (UNP and ISAB), WHATsNet and node-encoder baselines on the
four WHATsNet/CoNHD datasets.

    python benchmarks/edge_dependent/run.py [--recipe reference|fast] [--seeds 5] [--datasets ...] [--models ...] [--resume]
    python benchmarks/edge_dependent/run.py --merge part1.json part2.json \
        --out benchmarks/edge_dependent/results/edge_dependent.json

Every cell is :func:`hgnn.tasks.edge_dependent.run_edge_dependent` with the CoNHD reference's
per-dataset settings (:data:`REFERENCE_CONFIGS`: diffusion steps, batch size, lr, input dropout)
and seeds (:data:`REFERENCE_SEEDS`), and the library's defaults otherwise: co-representation 128,
dropout 0.7, two set blocks, 4 centrality positional encodings, 40 sampled hyperedges per node in
training, the reference optimiser (Adam eps 1e-4, weight decay 1e-4, gradient clipping 1,
ExponentialLR 0.99), validation every 5 epochs with patience 5; node features a trainable
embedding initialised from the standardised 44-d random-walk embedding (cached under
``~/.cache/hgnn/cache/<dataset>-rw44.pt``). Baselines (``hgnn``, ``hnhn``, ``unigcn``, ``mlp``:
:class:`hgnn.models.IncidenceScorer`, node encoder + mean hyperedge embedding + MLP on
``[h_v || z_e]``; ``whatsnet``) use the same batches, lr and optimiser, hidden 64, dropout 0.5.

``--recipe fast`` trains every model with whole-graph steps instead (:data:`RECIPES`: one step per
epoch on every training incidence, lr 3e-3 without decay, bfloat16 mixed precision, validation
every 10 steps, patience 5, at most 400 steps); the reference's recipe is the default.

Each cell runs in a fresh subprocess (``--no-isolate`` to run in-process), so that its peak memory
(``ru_maxrss``) is its own. Writes ``--out`` (default
``benchmarks/edge_dependent/results/edge_dependent.json``) after every cell (``--resume`` skips the
cells already there) and prints a Markdown table: test micro-F1 and macro-F1 (mean ± std, %),
seconds per training epoch, peak resident memory.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time
import warnings
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from hgnn.tasks.edge_dependent import PRECISIONS, WHOLE_GRAPH

DATASETS = ("enc-emaileu", "enc-stackoverflowbiology", "enc-stackoverflowphysics", "enc-dblp")
MODELS = ("conhd-unp", "conhd-isab", "hgnn", "hnhn", "unigcn", "mlp")
NAMES = {"conhd-unp": "CoNHD (UNP)", "conhd-isab": "CoNHD (ISAB)", "conhd-admm": "CoNHD-ADMM (ISAB)",
         "hgnn": "HGNN", "hnhn": "HNHN", "unigcn": "UniGCN", "mlp": "MLP", "whatsnet": "WHATsNet"}

#: The seeds of the reference scripts (``script/edge_dependent_node_classification/run_*.sh``).
REFERENCE_SEEDS = (0, 10, 100, 500, 10000)

#: Per-dataset CoNHD settings of the reference scripts (``run_emailEu.sh``,
#: ``run_StackOverflowBiology.sh``, ``run_StackOverflowPhysics.sh``, ``run_DBLP.sh``; every one
#: also uses 100 epochs, validation every 5, dropout 0.7, ``--hedge_sampling 40``,
#: ``co_rep_dim`` 128, two set blocks, 4 heads, 4 inducing points, 4 centralities: the defaults of
#: ``run_edge_dependent``). Batch size and lr apply to every model; diffusion steps and input
#: dropout to CoNHD.
REFERENCE_CONFIGS: dict[str, dict[str, Any]] = {
    "enc-emaileu": {"num_layers": 1, "batch_size": 128, "lr": 1e-3, "input_dropout": 0.0},
    "enc-stackoverflowbiology": {"num_layers": 2, "batch_size": 64, "lr": 1e-4, "input_dropout": 0.7},
    "enc-stackoverflowphysics": {"num_layers": 1, "batch_size": 64, "lr": 1e-4, "input_dropout": 0.7},
    "enc-dblp": {"num_layers": 2, "batch_size": 128, "lr": 1e-3, "input_dropout": 0.7},
}


#: Training recipes: ``reference`` (the reference's mini-batches: the per-dataset batch size and lr
#: of :data:`REFERENCE_CONFIGS`, ``ExponentialLR(0.99)`` per epoch, validation every 5 epochs, at
#: most 100) and ``fast`` (one whole-graph step per epoch, lr 3e-3 constant, bfloat16 autocast,
#: validation every 10 steps, at most 400). Both stop after 5 evaluations without a better
#: validation micro-F1. ``benchmarks/edge_dependent/time_to_accuracy.py`` times them against the
#: reference implementation.
RECIPES: dict[str, dict[str, Any]] = {
    "reference": {"mode": "auto", "gamma": 0.99, "precision": "float32", "eval_every": 5, "patience": 5,
                  "epochs": 100},
    "fast": {**WHOLE_GRAPH, "batch_size": "all", "precision": "bfloat16", "patience": 5, "epochs": 400},
}

#: Per-dataset changes to a recipe. Email-Eu (986 nodes in 209k hyperedges) learns far more per
#: second from many sampled steps than from whole-graph ones (61.7% test micro-F1 after 15
#: whole-graph steps, 340 CPU s): its fast recipe keeps the sampled neighbourhoods with batches of
#: 2048 hyperedges, lr 6e-3 decayed by 0.99 an epoch (3e-3 and 1e-2 learned slower, and so did
#: batches of 1024 and 8192), bfloat16 steps and validation passes, validation every epoch.
RECIPE_OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    ("fast", "enc-emaileu"): {"mode": "auto", "batch_size": 2048, "lr": 6e-3, "gamma": 0.99, "eval_every": 1,
                              "eval_precision": "bfloat16", "epochs": 100},
}


def reference_seeds(count: int) -> list[int]:
    """The first ``count`` reference seeds (then ``5, 6, ...`` beyond five)."""
    return list(REFERENCE_SEEDS[:count]) + list(range(5, 5 + max(0, count - len(REFERENCE_SEEDS))))


def cell_kwargs(dataset: str, model: str, kwargs: dict, recipe: str = "reference") -> dict:
    """``run_edge_dependent``'s keyword arguments for one cell: ``kwargs`` with ``seeds=k`` turned
    into the first ``k`` reference seeds, the settings left at ``None`` taken from the recipe
    (:data:`RECIPES`) and then the dataset's reference settings (batch size, lr), and CoNHD's
    diffusion steps and input dropout from the latter too (datasets without reference settings keep
    the library's defaults)."""
    ref = REFERENCE_CONFIGS.get(dataset, {})
    out = dict(kwargs)
    for key, value in {**RECIPES[recipe], **RECIPE_OVERRIDES.get((recipe, dataset), {})}.items():
        if out.get(key) is None:
            out[key] = value
    if isinstance(out.get("seeds"), int):
        out["seeds"] = reference_seeds(out["seeds"])
    for key in ("batch_size", "lr"):
        if out.get(key) is None:
            out.pop(key, None)
            if key in ref:
                out[key] = ref[key]
    if model.lower().startswith("conhd"):
        for key in ("num_layers", "input_dropout"):
            if key in ref:
                out.setdefault(key, ref[key])
    for key in ("patience", "batch_size"):  # -1 / "all": no early stopping / every training hyperedge
        if out.get(key) in (-1, "all"):
            out[key] = None
    return out


def run_cell(dataset: str, model: str, kwargs: dict, threads: int | None, recipe: str = "reference") -> dict:
    """One cell: ``run_edge_dependent(model, dataset, **cell_kwargs(...))`` without progress bars."""
    if threads:
        torch.set_num_threads(threads)
    from hgnn.tasks.edge_dependent import run_edge_dependent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_edge_dependent(model, dataset, progress=False, **cell_kwargs(dataset, model, kwargs, recipe))


def table(results: dict, models: list[str], datasets: list[str]) -> str:
    lines = ["| dataset | model | micro-F1 | macro-F1 | s / epoch | peak memory (MiB) | epochs run |",
             "|---|---|---|---|---|---|---|"]
    for d in datasets:
        for m in models:
            r = results.get(f"{d}|{m}")
            if r is None:
                continue
            s = r["summary"]
            mi, ma = s["test_micro_f1"], s["test_macro_f1"]
            mem = s.get("peak_cuda_mb") or s["peak_rss_mb"]
            runs = "/".join(str(x["epochs_run"]) for x in r["runs"])
            lines.append(f"| {d} | {NAMES.get(m, m)} | {mi['mean']:.2f} ± {mi['std']:.2f} | "
                         f"{ma['mean']:.2f} ± {ma['std']:.2f} | {s['epoch_s']:.2f} | {mem:.0f} | {runs} |")
    return "\n".join(lines)


def plot(results: dict, models: list[str], datasets: list[str], path: Path) -> Path:
    """Grouped bars: test micro-F1 (left) and macro-F1 (right) per dataset, one bar per model,
    with the std across seeds as error bars (none for single-seed cells)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = [d for d in datasets if any(f"{d}|{m}" in results for m in models)]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    width = 0.8 / max(len(models), 1)
    for ax, metric in zip(axes, ("test_micro_f1", "test_macro_f1")):
        for i, m in enumerate(models):
            xs, ys, es = [], [], []
            for j, d in enumerate(datasets):
                r = results.get(f"{d}|{m}")
                if r is not None:
                    xs.append(j + (i - (len(models) - 1) / 2) * width)
                    ys.append(r["summary"][metric]["mean"])
                    es.append(r["summary"][metric]["std"])
            ax.bar(xs, ys, width, yerr=es, label=NAMES.get(m, m), capsize=2)
        ax.set_xticks(range(len(datasets)), [d.removeprefix("enc-") for d in datasets], rotation=10)
        ax.set_title(metric.replace("test_", "test ").replace("_f1", "-F1") + " (%)")
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def read_cells(path: Path) -> dict:
    """The cells of a result file of this script (``{"results": {...}}``) or of
    ``time_to_accuracy.py`` (``{"report": ...}``: one CoNHD cell, its curves dropped)."""
    data = json.loads(path.read_text())
    if "results" in data:
        return data["results"]
    report = dict(data["report"])
    report["runs"] = [{k: v for k, v in run.items() if k != "history"} for run in report["runs"]]
    return {f"{report['dataset']}|{report['model']}": report}


def merge_results(results: dict, cells: dict) -> dict:
    """Add ``cells`` to ``results`` in place. A cell already there with the same settings
    (``config`` apart from ``seeds``) and none of the new seeds gains the new runs, its summary
    recomputed; otherwise the new cell replaces it."""
    from hgnn.tasks.edge_dependent import summarize_edge_dependent_runs

    for key, cell in cells.items():
        old = results.get(key)
        if old is not None:
            a, b = dict(old["config"]), dict(cell["config"])
            seeds_a, seeds_b = a.pop("seeds"), b.pop("seeds")
            if a == b and not set(seeds_a) & set(seeds_b):
                runs = old["runs"] + cell["runs"]
                cell = {**old, "config": {**old["config"], "seeds": seeds_a + seeds_b}, "runs": runs,
                        "complete": old.get("complete", True) and cell.get("complete", True),
                        "summary": summarize_edge_dependent_runs(runs)}
                if "seconds" in old or "seconds" in cell:
                    cell["seconds"] = old.get("seconds", 0.0) + cell.get("seconds", 0.0)
        results[key] = cell
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="reference",
                        help="training recipe (RECIPES); the options below override it")
    parser.add_argument("--seeds", type=int, default=5, help="the first k reference seeds")
    parser.add_argument("--seed-list", type=int, nargs="+", default=None,
                        help="these seeds instead (e.g. one share of a cell's seeds per process, joined by --merge)")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs (default: the recipe's)")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=sorted(NAMES))
    parser.add_argument("--batch-size", type=int, default=None,
                        help="hyperedges per step for every cell (default: the reference's per dataset)")
    parser.add_argument("--lr", type=float, default=None, help="learning rate for every cell (default: the reference's)")
    parser.add_argument("--eval-every", type=int, default=None, help="default: the recipe's")
    parser.add_argument("--patience", type=int, default=None,
                        help="evaluations without improvement (default: the recipe's); -1: none")
    parser.add_argument("--precision", choices=PRECISIONS, default=None, help="default: the recipe's")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads per cell")
    parser.add_argument("--no-isolate", action="store_true", help="run the cells in this process")
    parser.add_argument("--resume", action="store_true", help="keep the cells already in --out")
    parser.add_argument("--table-only", action="store_true", help="print the table of --out; train nothing")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "edge_dependent.json")
    parser.add_argument("--plot", type=Path, default=None, help="also draw the F1 bars to this image")
    parser.add_argument("--merge", type=Path, nargs="+", default=[],
                        help="result files of runs made in parallel (or time_to_accuracy.py outputs): their "
                             "cells are added to --out; a cell found again with the same settings and other "
                             "seeds gains those seeds' runs, else the later file wins; nothing is trained")
    args = parser.parse_args()
    from hgnn.io import write_json

    results = {}
    if (args.resume or args.table_only or args.merge) and args.out.exists():
        results = json.loads(args.out.read_text())["results"]
    if args.merge:
        for path in args.merge:
            merge_results(results, read_cells(path))
        write_json(args.out, {"meta": {"merged": [p.name for p in args.merge],
                                       "note": "settings per cell: see each cell's config"},
                              "results": results})
        args.table_only = True
    todo = [] if args.table_only else [(d, m) for d in args.datasets for m in args.models if f"{d}|{m}" not in results]
    seeds = args.seed_list or args.seeds
    kwargs = {"seeds": seeds, "epochs": args.epochs, "eval_every": args.eval_every,
              "batch_size": args.batch_size, "lr": args.lr, "precision": args.precision, "patience": args.patience,
              "device": args.device}
    ctx = mp.get_context("spawn")
    for dataset, model in tqdm(todo, desc="cells"):
        start = time.perf_counter()
        if args.no_isolate:
            report = run_cell(dataset, model, kwargs, args.threads, args.recipe)
        else:
            pool = ctx.Pool(1)
            try:
                report = pool.apply(run_cell, (dataset, model, kwargs, args.threads, args.recipe))
            finally:
                pool.close()
                pool.join()
        for run in report["runs"]:
            run.pop("history")
        report["seconds"] = time.perf_counter() - start
        results[f"{dataset}|{model}"] = report
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_json(args.out, {"meta": {"recipe": args.recipe, "seeds": seeds, "device": args.device,
                                       "torch": torch.__version__, "threads": args.threads,
                                       "isolated": not args.no_isolate},
                              "results": results})
        s = report["summary"]
        tqdm.write(f"{dataset:26s} {model:11s} micro-F1 {s['test_micro_f1']['mean']:.2f} ± "
                   f"{s['test_micro_f1']['std']:.2f}  macro-F1 {s['test_macro_f1']['mean']:.2f} ± "
                   f"{s['test_macro_f1']['std']:.2f}  ({report['seconds']:.0f} s)")
    print("\nTest F1 (%), mean ± std over each cell's seeds (one entry per seed in 'epochs run'); "
          "s / epoch = mean training epoch; "
          "memory = peak RSS of the cell (peak CUDA allocation on GPU)\n")
    shown = args.models if not args.table_only else [m for m in NAMES if any(k.endswith(f"|{m}") for k in results)]
    print(table(results, shown, args.datasets))
    if args.plot is not None:
        print(f"plot: {plot(results, shown, args.datasets, args.plot)}")


if __name__ == "__main__":
    main()
