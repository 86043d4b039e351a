"""Node classification: HGNN, HGNN+, HNHN, UniGCN and an MLP on every node-classification dataset.

    python benchmarks/node_classification/run.py [--seeds 5] [--epochs 200] [--datasets ...] [--models ...]

Every cell is ``hgnn train --model M --dataset D --protocol P --seeds 5`` with the defaults (Adam lr
0.01, weight decay 5e-4, hidden 32, dropout 0.5, 200 epochs, best validation epoch, row-normalised
non-negative features, self-loops for isolated nodes). Protocols:

* ``random``: AllSet's random 50/25/25 splits (one per seed) on all thirteen datasets, the protocol of
  the AllSet and ED-HNN tables that ``benchmarks/node_classification/published.json`` quotes;
* ``hypergcn``: HyperGCN's fixed splits (seed s -> split s, 500 validation nodes from the test side)
  on the five HyperGCN sets;
* ``official``: IMDB's own split, in addition to ``random``.

``cocitation-pubmed`` and ``coauthorship-dblp`` are shipped without features; they run
with ``features="random-projection"`` (a seeded 256-dim projection of identity features), so their
numbers measure structure alone and are not comparable with published ones.

Writes ``benchmarks/node_classification/results/node_classification.json`` after every cell (``--resume`` skips the cells
already there) and prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import torch
from tqdm.auto import tqdm

from hgnn.io import write_json
from hgnn.tasks import run_node_classification

MODELS = ("hgnn", "hgnnp", "hnhn", "unigcn", "mlp")
HYPERGCN = ("cocitation-cora", "cocitation-citeseer", "cocitation-pubmed", "coauthorship-cora", "coauthorship-dblp")
OTHERS = ("zoo", "mushroom", "ntu2012", "20newsw100", "house-committees", "senate-committees", "walmart-trips",
          "imdb-magnn")
NO_FEATURES = {"cocitation-pubmed", "coauthorship-dblp"}
NAMES = {"hgnn": "HGNN", "hgnnp": "HGNN+", "hnhn": "HNHN", "unigcn": "UniGCN", "mlp": "MLP"}


def cells(datasets: list[str]) -> list[tuple[str, str]]:
    out = []
    for d in datasets:
        out.append((d, "random"))
        if d in HYPERGCN:
            out.append((d, "hypergcn"))
        if d == "imdb-magnn":
            out.append((d, "official"))
    return out


def table(results: dict, models: list[str]) -> str:
    lines = ["| dataset | protocol | " + " | ".join(NAMES[m] for m in models) + " |",
             "|---|---|" + "---|" * len(models)]
    keys = sorted({tuple(k.split("|")[:2]) for k in results}, key=lambda k: (HYPERGCN + OTHERS).index(k[0])
                  if k[0] in HYPERGCN + OTHERS else 99)
    for dataset, protocol in keys:
        row = []
        for m in models:
            r = results.get(f"{dataset}|{protocol}|{m}")
            if r is None:
                row.append("")
                continue
            s = r["summary"]["test_acc"]
            row.append(f"{s['mean']:.2f} ± {s['std']:.2f}")
        star = "*" if dataset in NO_FEATURES else ""
        lines.append(f"| {dataset}{star} | {protocol} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def compare_published(results: dict, path: Path) -> str:
    """Our ``random``-protocol numbers next to the published ones in ``published.json``."""
    if not path.exists():
        return ""
    published = json.loads(path.read_text())["numbers"]
    lines = ["| dataset | model | ours (runs) | published | difference | source |", "|---|---|---|---|---|---|"]
    seen = set()
    for p in published:
        key = (p["dataset"], p["model"])
        ours = results.get(f"{p['dataset']}|random|{p['model'].lower().replace('+', 'p')}")
        if ours is None or key in seen:
            continue
        seen.add(key)
        s = ours["summary"]["test_acc"]
        star = "*" if p["dataset"] in NO_FEATURES else ""
        lines.append(f"| {p['dataset']}{star} | {p['model']} | {s['mean']:.2f} ± {s['std']:.2f} ({len(ours['runs'])}) | "
                     f"{p['mean']:.2f} ± {p['std']:.2f} | {s['mean'] - p['mean']:+.2f} | {p['source']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--datasets", nargs="+", default=list(HYPERGCN + OTHERS))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--resume", action="store_true", help="keep the cells already in --out")
    parser.add_argument("--table-only", action="store_true", help="print the tables of --out; train nothing")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "node_classification.json")
    args = parser.parse_args()

    results = {}
    if (args.resume or args.table_only) and args.out.exists():
        results = json.loads(args.out.read_text())["results"]
    todo = [] if args.table_only else [(d, p, m) for d, p in cells(args.datasets) for m in args.models if f"{d}|{p}|{m}" not in results]
    for dataset, protocol, model in tqdm(todo, desc="cells"):
        kwargs = {"features": "random-projection"} if dataset in NO_FEATURES else {}
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = run_node_classification(model, dataset, seeds=args.seeds, epochs=args.epochs, protocol=protocol,
                                             dataset_kwargs=kwargs, progress=False)
        for run in report["runs"]:
            run.pop("history")
        report["seconds"] = time.perf_counter() - start
        results[f"{dataset}|{protocol}|{model}"] = report
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_json(args.out, {"meta": {"seeds": args.seeds, "epochs": args.epochs,
                                       "torch": torch.__version__,
                                       "threads": torch.get_num_threads()},
                              "results": results})
        s = report["summary"]["test_acc"]
        tqdm.write(f"{dataset:22s} {protocol:9s} {model:7s} test {s['mean']:.2f} ± {s['std']:.2f} "
                   f"({report['seconds']:.0f} s)")
    print(f"\nTest accuracy (%), mean ± std over {args.seeds} seeds; * = synthetic features (see docstring)\n")
    print(table(results, args.models))
    comparison = compare_published(results, Path(__file__).parent / "published.json")
    if comparison:
        print("\nAgainst published numbers (random 50/25/25 protocol; see published.json for the sources)\n")
        print(comparison)


if __name__ == "__main__":
    main()
