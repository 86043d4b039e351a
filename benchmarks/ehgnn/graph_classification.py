"""Graph classification by 10-fold cross-validation: HyperDrop (EHGNN) against node-GNN baselines.

    python benchmarks/ehgnn/graph_classification.py [--datasets ...] [--models ...] [--epochs 500] [--resume]
    python benchmarks/ehgnn/graph_classification.py --merge part1.json part2.json   # runs made in parallel

A cell (10 folds) can take hours on a CPU: finished folds of an unfinished cell are saved under
``"partial"`` in ``--out`` as they end, and ``--resume`` trains only the folds still missing.
``--merge`` takes cells trained with another epoch cap too (a slow dataset run shorter); the table
marks them ``*N``.

Every cell is :func:`run_cell`: each fold is
:func:`hgnn.tasks.graph_classification.run_graph_fold` on the DGCNN fold files shipped with the
GIN-format TU sets (``$HGNN_DATA/tu_gin``), fold k tested on its test part, validated on fold k-1's
test part, trained on the rest (as EHGNN's reference code); the reference's settings (3 layers,
hidden 128, Adam lr 5e-4, weight decay 1e-4, batch 128, dropout 0.5, gradient clipping 1, warm-up +
cosine schedule, patience 50 on the validation loss, the HyperDrop keep ratios of
:data:`REFERENCE_RATIOS`: PROTEINS 0.65, MUTAG 0.9, IMDB-B 0.9, IMDB-M 0.85, else 0.8) except the
number of epochs (the reference trains up to 500). Graphs without edge features get ones, as the
reference does. Baselines share HyperDrop's readout (max || mean || sum over layers) and MLP head:
GCN, GIN, SAGPool and TopKPool (keep 0.5 of the nodes per layer) and GMT (PyG's Graph Multiset
Transformer readout).

Writes ``benchmarks/ehgnn/results/graph_classification.json`` after every fold and prints a Markdown
table of test accuracy (mean ± std over folds, %) and seconds per epoch.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from hgnn.tasks.graph_classification import (cross_validation_settings, load_graph_folds, run_graph_fold,
                                             summarize_folds)

DATASETS = ("gin-mutag", "gin-ptc", "gin-proteins", "gin-enzymes", "gin-nci1", "gin-imdb-binary", "gin-imdb-multi")
MODELS = ("gcn", "gin", "sagpool", "topkpool", "gmt", "hyperdrop")
NAMES = {"gcn": "GCN", "gin": "GIN", "sagpool": "SAGPool", "topkpool": "TopKPool", "gmt": "GMT",
         "hyperdrop": "HyperDrop (EHGNN)"}

#: The reference script's HyperDrop keep ratio per dataset (``scripts/classification_TU.sh``);
#: others use its parser default 0.8.
REFERENCE_RATIOS = {"gin-proteins": 0.65, "gin-mutag": 0.9, "gin-imdb-binary": 0.9, "gin-imdb-multi": 0.85}

PUBLISHED = Path(__file__).parent / "published.json"


def run_cell(model: str, dataset: str, *, folds: int = 10, epochs: int = 500, patience: int = 50,
             warmup_epochs: int | None = None, device: str = "cpu", root: str | None = None,
             done: Sequence[dict] = (), on_fold: Callable[[dict], None] | None = None,
             **settings: Any) -> dict[str, Any]:
    """One cell of the table: ``folds``-fold cross-validation of ``model`` on ``dataset`` with the
    reference's settings (keep ratio :data:`REFERENCE_RATIOS`; ``settings`` overrides others of
    :func:`~hgnn.tasks.graph_classification.cross_validation_settings`), resumable per fold.

    ``done`` holds fold dicts of an earlier, interrupted run with the same settings (their folds
    are not trained again), and ``on_fold`` is called with each new fold dict as soon as it is
    finished (to save it). Every fold seeds itself, so a resumed cell equals an uninterrupted one.

    Returns:
        The report of :func:`hgnn.tasks.graph_classification.run_graph_classification`:
        ``{"model", "dataset", "config", "folds", "summary"}``.
    """
    settings.setdefault("ratio", REFERENCE_RATIOS.get(dataset, 0.8))
    config = cross_validation_settings(epochs=epochs, patience=patience, warmup_epochs=warmup_epochs, **settings)
    fold_ids = list(range(folds))
    finished = {int(r["fold"]): r for r in done}
    if not set(finished) <= set(fold_ids):
        raise ValueError(f"done holds folds {sorted(set(finished) - set(fold_ids))} outside folds={fold_ids}")
    data = load_graph_folds(dataset, root=root) if set(fold_ids) - set(finished) else None
    runs = []
    for k in fold_ids:
        if k not in finished:
            finished[k] = run_graph_fold(model, data, k, config, device=device)
            if on_fold is not None:
                on_fold(finished[k])
        runs.append(finished[k])
    return {"model": model, "dataset": dataset, "config": config, "folds": runs, "summary": summarize_folds(runs)}


def published(path: Path = PUBLISHED) -> dict[tuple[str, str], tuple[float, float]]:
    """``{(model key, dataset): (mean, std)}`` of EHGNN's Table 3 (``published.json``, source
    ``ehgnn_table3``; its std is over 10 repeated cross-validations, ours over the folds)."""
    keys = {name.split(" ")[0]: key for key, name in NAMES.items()}
    out = {}
    for row in json.loads(path.read_text())["numbers"]:
        if row["source"] == "ehgnn_table3" and row["model"] in keys:
            out[(keys[row["model"]], row["dataset"])] = (row["mean"], row["std"])
    return out


def other_cap(cell: dict, epochs: int | None) -> int | None:
    """The epoch cap a cell was trained with, when it is not the file's ``epochs`` (else ``None``)."""
    cap = cell.get("config", {}).get("epochs")
    return None if epochs is None or cap in (None, epochs) else cap


def table(results: dict, models: list[str], datasets: list[str], paper: dict | None = None,
          epochs: int | None = None) -> str:
    """Markdown: one row per model (ours), then the paper's numbers where it has the dataset.

    A cell trained for another number of epochs than ``epochs`` (the file's protocol) is marked
    with ``*N`` (its cap), so that a shorter run merged in for a slow dataset is never mistaken
    for the full protocol."""
    lines = ["| model | " + " | ".join(d.removeprefix("gin-") for d in datasets) + " |",
             "|---|" + "---|" * len(datasets)]
    for m in models:
        cells = []
        for d in datasets:
            r = results.get(f"{d}|{m}")
            if r is None:
                cells.append("—")
                continue
            cell = f"{r['summary']['test_acc']['mean']:.2f} ± {r['summary']['test_acc']['std']:.2f}"
            cap = other_cap(r, epochs)
            cells.append(cell if cap is None else f"{cell} *{cap}")
        lines.append(f"| {NAMES.get(m, m)} | " + " | ".join(cells) + " |")
    for m in models if paper else []:
        if any((m, d) in paper for d in datasets):
            cells = [f"{paper[m, d][0]:.2f} ± {paper[m, d][1]:.2f}" if (m, d) in paper else "n/a" for d in datasets]
            lines.append(f"| {NAMES.get(m, m)}, paper | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--epochs", type=int, default=500, help="at most this many (the reference's 500)")
    parser.add_argument("--patience", type=int, default=50)
    parser.add_argument("--warmup-epochs", type=int, default=None,
                        help="default: patience, at most a tenth of --epochs "
                             "(hgnn.tasks.graph_classification.warmup_length)")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--resume", action="store_true", help="keep the cells already in --out")
    parser.add_argument("--table-only", action="store_true", help="print the table of --out; train nothing")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "graph_classification.json")
    parser.add_argument("--merge", type=Path, nargs="+", default=[],
                        help="result files of runs made in parallel (same settings): their cells are added to "
                             "--out (later files win), and nothing is trained")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from hgnn.io import write_json

    results, meta, partial = {}, None, {}
    if (args.resume or args.table_only or args.merge) and args.out.exists():
        saved = json.loads(args.out.read_text())
        results, meta, partial = saved["results"], saved.get("meta"), saved.get("partial", {})
    if meta is not None and not args.merge and (meta.get("epochs"), meta.get("warmup_epochs")) != (
            args.epochs, args.warmup_epochs):
        partial = {}  # folds of another protocol are not resumed
    if args.merge:
        for path in args.merge:
            part = json.loads(path.read_text())
            cap = part.get("meta", {}).get("epochs")
            if meta is not None and cap != meta.get("epochs"):
                print(f"{path}: trained for at most {cap} epochs, {args.out} for {meta.get('epochs')}: "
                      f"its cells are marked '*{cap}' in the table", file=sys.stderr)
            meta = meta or part.get("meta")
            results.update(part["results"])
        write_json(args.out, {"meta": meta, "results": results})
        args.table_only = True
    todo = [] if args.table_only else [(d, m) for d in args.datasets for m in args.models if f"{d}|{m}" not in results]

    def save() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        body = {"meta": {"epochs": args.epochs, "patience": args.patience, "warmup_epochs": args.warmup_epochs,
                         "folds": args.folds, "device": args.device,
                         "threads": torch.get_num_threads(), "torch": torch.__version__}, "results": results}
        if partial:
            body["partial"] = partial
        write_json(args.out, body)

    for dataset, model in tqdm(todo, desc="cells"):
        key = f"{dataset}|{model}"
        earlier = partial.get(key, {"folds": [], "seconds": 0.0})
        partial[key] = earlier
        start = time.perf_counter() - earlier["seconds"]

        def keep(fold: dict) -> None:
            earlier["folds"].append(fold)
            earlier["seconds"] = time.perf_counter() - start
            save()

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = run_cell(model, dataset, folds=args.folds, epochs=args.epochs, patience=args.patience,
                              warmup_epochs=args.warmup_epochs, device=args.device, done=earlier["folds"],
                              on_fold=keep)
        report["seconds"] = time.perf_counter() - start
        results[key] = report
        del partial[key]
        save()
        s = report["summary"]["test_acc"]
        tqdm.write(f"{dataset:16s} {model:10s} {s['mean']:.2f} ± {s['std']:.2f}  ({report['seconds']:.0f} s)")
    print("\nTest accuracy (%), mean ± std over the folds; 'paper' rows: EHGNN's Table 3 (std over 10 repeated "
          "cross-validations; n/a: not in the paper)\n")
    protocol = (meta or {}).get("epochs", args.epochs) if args.table_only else args.epochs  # --merge sets table_only
    print(table(results, args.models, args.datasets, published(), protocol))
    if any(other_cap(r, protocol) is not None for r in results.values()):
        print(f"\n*N: trained for at most N epochs instead of {protocol}")


if __name__ == "__main__":
    main()
