"""Every node-classification model on AllSet's protocol: accuracy, seconds per epoch and peak memory.

    python benchmarks/node_classification/allset.py [--runs 10] [--epochs 200] [--datasets ...] [--models ...]
    python benchmarks/node_classification/allset.py --setting paper --models allsettransformer edhnn --runs 5
    python benchmarks/node_classification/allset.py --table-only

AllSet's protocol (Chien et al., ICLR 2022): a fresh random 50/25/25 split per run, the weights of
the best validation epoch, test accuracy mean ± std over the runs. Every model is trained with
``hgnn.tasks.run_node_classification``'s defaults (Adam lr 0.01, weight decay 5e-4, hidden 32,
dropout 0.5) and its own layer defaults; nothing is tuned per dataset, unlike the papers' tables.
``--setting paper`` trains AllDeepSets, AllSetTransformer and ED-HNN at their papers' settings
instead: Adam lr 0.001, no weight decay, 500 epochs, and each reference script's per-dataset
sizes (``REFERENCE`` below; 256 channels and the models' defaults where a script has none), and
writes ``results/allset_paper.json``.

Each cell (dataset x model) runs in a fresh process with ``--threads`` threads, so its peak resident
memory (``ru_maxrss``) is its own. Writes ``benchmarks/node_classification/results/allset.json``
after every cell and the finished seeds of the running cell after every seed, in
``<out>.partial/`` (``--resume`` keeps the finished cells and resumes an interrupted cell from
its finished seeds), and prints Markdown tables; the published numbers beside ours come from
``published.json`` in this folder.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The papers' shared training setting (Adam lr 0.001, no weight decay, 500 epochs, 256 channels).
PAPER = {"hidden": 256, "lr": 1e-3, "weight_decay": 0.0}
PAPER_MODELS = ("alldeepsets", "allsettransformer", "edhnn")
#: Per-dataset settings of the reference scripts, over PAPER: AllSet's ``run_AllSetTransformer.sh``
#: (one layer, MLPs of 2 layers, a linear classifier; the House / Walmart runs with feature noise
#: 1.0) and ED-HNN's README commands. Cells missing here use PAPER and the model's defaults.
REFERENCE: dict[str, dict[str, dict]] = {
    "allsettransformer": {
        "cocitation-cora": {"model_kwargs": {"heads": 4}},
        "cocitation-citeseer": {"hidden": 512, "model_kwargs": {"heads": 8}},
        "cocitation-pubmed": {"model_kwargs": {"heads": 8}},
        "coauthorship-cora": {"hidden": 128, "model_kwargs": {"heads": 8}},
        "coauthorship-dblp": {"hidden": 512, "model_kwargs": {"heads": 8}},
        "zoo": {"hidden": 64, "lr": 0.01, "weight_decay": 1e-5, "model_kwargs": {"heads": 8}},
        "20newsw100": {"model_kwargs": {"heads": 8}},
        "mushroom": {"hidden": 128, "model_kwargs": {"heads": 1}},
        "ntu2012": {"model_kwargs": {"heads": 1}},
        "house-committees": {"hidden": 512, "model_kwargs": {"heads": 8}},
        "walmart-trips": {"model_kwargs": {"heads": 8}},
    },
    "edhnn": {
        "cocitation-cora": {},
        "cocitation-citeseer": {},
        "coauthorship-cora": {"hidden": 128, "model_kwargs": {"classifier_layers": 2, "classifier_hidden": 96}},
        "coauthorship-dblp": {"hidden": 128, "model_kwargs": {"classifier_layers": 2, "classifier_hidden": 96}},
        "cocitation-pubmed": {"hidden": 512, "model_kwargs": {
            "num_layers": 8, "mlp1_layers": 2, "mlp2_layers": 2, "mlp3_layers": 2, "classifier_layers": 2,
            "classifier_hidden": 256, "norm": None, "alpha": 0.5}},
        "senate-committees": {"hidden": 512, "model_kwargs": {
            "num_layers": 8, "mlp1_layers": 2, "mlp2_layers": 2, "mlp3_layers": 2, "classifier_layers": 2,
            "classifier_hidden": 256, "alpha": 0.5}},
        "house-committees": {"model_kwargs": {
            "num_layers": 8, "mlp1_layers": 2, "mlp2_layers": 2, "mlp3_layers": 2, "classifier_layers": 1,
            "classifier_hidden": 128, "alpha": 0.5}},
    },
}


def options_of(setting: str, model: str, dataset: str) -> dict:
    """Keyword arguments of :func:`hgnn.tasks.run_node_classification` for one cell."""
    if setting == "shared":
        return {}
    reference = REFERENCE.get(model, {}).get(dataset)
    return {**PAPER, **(reference or {}), "reference_setting": reference is not None}
DATASETS = ("cocitation-cora", "cocitation-citeseer", "coauthorship-cora", "zoo", "mushroom", "ntu2012",
            "20newsw100", "house-committees", "senate-committees", "walmart-trips", "imdb-magnn")

CHILD = r"""
import json, os, resource, sys, time, warnings
import torch
torch.set_num_threads(int(sys.argv[1]))
from hgnn.tasks import run_node_classification, summarize_runs
dataset, model, runs, epochs = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
options, partial = json.loads(sys.argv[6]), sys.argv[7]
options.pop("reference_setting", None)
key = [dataset, model, epochs, options]
start = time.perf_counter()
done = None  # the seeds an interrupted run of this very cell finished (its last on_seed report)
before = {"peak_rss_mib": None, "seconds": 0.0}  # the interrupted processes' peak memory and seconds
if os.path.exists(partial):
    with open(partial) as f:
        saved = json.load(f)
    if saved["key"] == key:
        done = saved["report"]
        before = {"peak_rss_mib": saved.get("peak_rss_mib"), "seconds": saved.get("seconds", 0.0)}
finished = [] if done is None else done["runs"]


def peak_rss_mib():
    # this process's peak resident memory, or the interrupted ones' where higher; None when an
    # interrupted process's peak was not recorded (it would be understated)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if done is None:
        return own
    return None if before["peak_rss_mib"] is None else max(own, before["peak_rss_mib"])


def merged(report):
    runs_ = sorted(finished + report["runs"], key=lambda r: r["seed"])
    for run in runs_:
        run.pop("history", None)
    config = {**report["config"], "seeds": runs}
    return {**report, "config": config, "runs": runs_, "summary": summarize_runs(runs_), "complete": len(runs_) == runs}


def save(report):
    tmp = partial + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"key": key, "report": merged(report), "peak_rss_mib": peak_rss_mib(),
                   "seconds": before["seconds"] + time.perf_counter() - start}, f)
    os.replace(tmp, partial)


remaining = [s for s in range(runs) if s not in {r["seed"] for r in finished}]
if remaining:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = merged(run_node_classification(model, dataset, seeds=remaining, epochs=epochs, protocol="random",
                                                progress=False, on_seed=save, **options))
else:
    report = done
report["resumed_seeds"] = [r["seed"] for r in finished]
report["peak_rss_mib"] = peak_rss_mib()
report["resumed_seconds"] = before["seconds"]
print("REPORT " + json.dumps(report))
"""


def run_cell(dataset: str, model: str, runs: int, epochs: int, threads: int, timeout: float | None,
             options: dict | None = None, partial: Path | None = None) -> dict:
    """One cell in a fresh process; its report with ``peak_rss_mib`` and ``seconds``. ``options``:
    keyword arguments of :func:`hgnn.tasks.run_node_classification` (``hidden``, ``lr``, ...).
    ``partial``: the file the cell saves its finished seeds to after each one, and resumes from
    (same dataset, model, epochs and options); removed once the cell is complete."""
    start = time.perf_counter()
    if partial is None:
        partial = Path(tempfile.gettempdir()) / f"hgnn-allset-{os.getpid()}-{dataset}-{model}.json"
    proc = subprocess.run([sys.executable, "-c", CHILD, str(threads), dataset, model, str(runs), str(epochs),
                           json.dumps(options or {}), str(partial)],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{dataset} / {model} failed:\n{proc.stderr[-2000:]}")
    line = next(line for line in proc.stdout.splitlines() if line.startswith("REPORT "))
    report = json.loads(line[len("REPORT "):])
    report["seconds"] = time.perf_counter() - start + report.get("resumed_seconds", 0.0)
    partial.unlink(missing_ok=True)
    return report


def memory_text(report: dict) -> str:
    """A cell's peak memory in MiB, or ``n/r`` when a process interrupted before it was recorded
    ran some of its seeds."""
    return "n/r" if report.get("peak_rss_mib") is None else f"{report['peak_rss_mib']:.0f}"


def table(results: dict, models: list[str], datasets: list[str], key: str) -> str:
    """``key``: ``acc`` (test accuracy mean ± std, %), ``epoch_ms`` or ``peak_rss_mib``."""
    lines = ["| dataset | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
    for d in datasets:
        row = []
        for m in models:
            r = results.get(f"{d}|{m}")
            if r is None:
                row.append("—")
            elif key == "acc":
                s = r["summary"]["test_acc"]
                row.append(f"{s['mean']:.2f} ± {s['std']:.2f}")
            elif key == "epoch_ms":
                row.append(f"{r['summary']['epoch_ms']:.1f}")
            else:
                row.append(memory_text(r))
        if any(c != "—" for c in row):
            lines.append(f"| {d} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    sys.path.insert(0, str(HERE))
    from run import compare_published  # noqa: E402  (this folder's grid runner)

    from hgnn.io import check_output_path, write_json
    from hgnn.tasks import MODELS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=None, help="default 200 (shared) or 500 (paper)")
    parser.add_argument("--setting", choices=("shared", "paper"), default="shared")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--models", nargs="+", default=sorted(MODELS), choices=sorted(MODELS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=None, help="seconds per cell (default: no limit)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the cells already in --out and the finished seeds of an interrupted cell")
    parser.add_argument("--table-only", action="store_true", help="print the tables of --out; train nothing")
    parser.add_argument("--merge", nargs="+", type=Path, default=[],
                        help="results files of runs split over processes: their cells go into --out (later "
                             "files win)")
    parser.add_argument("--out", type=Path, default=None,
                        help="default results/allset.json (shared) or results/allset_paper.json (paper)")
    args = parser.parse_args()
    paper = args.setting == "paper"
    if args.epochs is None:
        args.epochs = 500 if paper else 200
    if args.out is None:
        args.out = HERE / "results" / ("allset_paper.json" if paper else "allset.json")
    if paper:
        if "--models" not in sys.argv:
            args.models = list(PAPER_MODELS)
        if set(args.models) - set(PAPER_MODELS):
            parser.error(f"--setting paper is defined for {', '.join(PAPER_MODELS)} only")
    if args.runs < 1 or args.epochs < 1 or args.threads < 1:
        parser.error("--runs, --epochs and --threads must be >= 1")
    check_output_path(args.out, "--out")

    results: dict = {}
    if (args.resume or args.table_only or args.merge) and args.out.exists():
        results = json.loads(args.out.read_text())["results"]
    for path in args.merge:
        if not path.is_file():
            parser.error(f"--merge: {path} is not a file")
        results.update(json.loads(path.read_text())["results"])
    if args.merge:
        write_json(args.out, {"meta": {"protocol": "random 50/25/25 (AllSet)", "setting": args.setting,
                                       "merged": [str(p) for p in args.merge]}, "results": results})
    todo = [] if args.table_only else [(d, m) for d in args.datasets for m in args.models
                                       if f"{d}|{m}" not in results]
    for dataset, model in todo:
        options = options_of(args.setting, model, dataset)
        partial = args.out.parent / f"{args.out.stem}.partial" / f"{dataset}__{model}.json"
        partial.parent.mkdir(parents=True, exist_ok=True)
        if not args.resume:
            partial.unlink(missing_ok=True)  # an earlier interrupted run's seeds count only with --resume
        report = run_cell(dataset, model, args.runs, args.epochs, args.threads, args.timeout, options, partial)
        report["reference_setting"] = options.get("reference_setting")
        results[f"{dataset}|{model}"] = report
        write_json(args.out, {"meta": {"protocol": "random 50/25/25 (AllSet)", "setting": args.setting,
                                       "runs": args.runs, "epochs": args.epochs, "threads": args.threads},
                              "results": results})
        s = report["summary"]["test_acc"]
        print(f"{dataset:20s} {model:18s} {s['mean']:.2f} ± {s['std']:.2f}  "
              f"{report['summary']['epoch_ms']:.1f} ms/epoch  {memory_text(report)} MiB  "
              f"({report['seconds']:.0f} s)", flush=True)
    datasets = [d for d in DATASETS if any(k.startswith(d + "|") for k in results)]
    models = [m for m in sorted(MODELS) if any(k.endswith("|" + m) for k in results)]
    runs = sorted({len(r["runs"]) for r in results.values()})
    print(f"\nTest accuracy (%), mean ± std over {'/'.join(map(str, runs))} random 50/25/25 splits per cell "
          f"({args.setting} setting)\n")
    print(table(results, models, datasets, "acc"))
    print("\nMilliseconds per epoch (one training step and one evaluation pass)\n")
    print(table(results, models, datasets, "epoch_ms"))
    print("\nPeak resident memory of the cell's processes (MiB; n/r: not recorded by a process interrupted "
          "before it was)\n")
    print(table(results, models, datasets, "peak_rss_mib"))
    grid = {f"{k.split('|')[0]}|random|{k.split('|')[1]}": v for k, v in results.items()}
    comparison = compare_published(grid, HERE / "published.json")
    if comparison:
        print("\nAgainst published numbers (see published.json for the sources)\n")
        print(comparison)


if __name__ == "__main__":
    main()
