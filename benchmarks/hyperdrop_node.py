"""Over-smoothing study: deep GCNs with and without HyperDrop on the co-citation graphs.

    python benchmarks/hyperdrop_node.py [--datasets cocitation-cora cocitation-citeseer] [--layers 2 4 6 8]
                                        [--splits 3] [--epochs 5000]

Every cell is :func:`hgnn.train.hyperdrop_node.run_node_hyperdrop` (the reference's Cora settings:
hidden 32, edge hidden 16, dropout 0.5, Adam lr 0.01, weight decay 5e-4, warm-up + cosine,
patience 300 on validation accuracy, keep ratio 0.8) on HyperGCN's fixed splits. The graph is the
clique expansion of the HyperGCN co-citation hypergraph plus self-loops (Planetoid's citation
graph, which the paper uses, is not available here). Writes
``benchmarks/results/hyperdrop_node.json`` and prints test accuracy per depth.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from tqdm.auto import tqdm

from hgnn.io import write_json
from hgnn.train.hyperdrop_node import run_node_hyperdrop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["cocitation-cora", "cocitation-citeseer"])
    parser.add_argument("--layers", nargs="+", type=int, default=[2, 4, 6, 8])
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5000)
    parser.add_argument("--warmup-epochs", type=int, default=None,
                        help="default: the patience (300), at most a tenth of --epochs")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "hyperdrop_node.json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    results = json.loads(args.out.read_text())["results"] if args.resume and args.out.exists() else {}
    cells = [(d, l, drop) for d in args.datasets for l in args.layers for drop in (False, True)]
    for d, l, drop in tqdm(cells, desc="cells"):
        key = f"{d}|{l}|{'hyperdrop' if drop else 'gcn'}"
        if key in results:
            continue
        results[key] = run_node_hyperdrop(d, drop=drop, num_layers=l, splits=args.splits, epochs=args.epochs,
                                          warmup_epochs=args.warmup_epochs, progress=False)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_json(args.out, {"meta": {"splits": args.splits, "epochs": args.epochs,
                                       "warmup_epochs": args.warmup_epochs,
                                       "threads": torch.get_num_threads()}, "results": results})
    print("\n| dataset | model | " + " | ".join(f"L={l}" for l in args.layers) + " |")
    print("|---|---|" + "---|" * len(args.layers))
    for d in args.datasets:
        for name in ("gcn", "hyperdrop"):
            cells = []
            for l in args.layers:
                r = results.get(f"{d}|{l}|{name}")
                cells.append("—" if r is None else
                             f"{r['summary']['test_acc']['mean']:.1f} ± {r['summary']['test_acc']['std']:.1f}")
            print(f"| {d} | {'GCN' if name == 'gcn' else 'GCN + HyperDrop'} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
