"""hgnn against DHG 0.9.7 under one protocol: same data, splits, epochs and hyper-parameters.

    python benchmarks/node_classification/dhg_parity.py [--dataset cocitation-cora] [--seeds 5] [--epochs 200]

Our side is exactly ``hgnn train --model hgnn hgnnp --dataset cocitation-cora --seeds 5``
(:func:`hgnn.train.run_node_classification`). DHG's side trains ``dhg.models.HGNN`` /
``dhg.models.HGNNP`` (hidden 32, dropout 0.5) with the same loop (:func:`hgnn.train.fit`: Adam,
lr 0.01, weight decay 5e-4, best validation epoch), on a ``dhg.Hypergraph`` built from the very
hyperedges our run uses (self-loops for isolated nodes included) and the same row-normalised
features, split (seed s -> HyperGCN split s, 500 validation nodes from its test side) and seed.
Only the layer implementations differ.

Writes ``benchmarks/node_classification/results/dhg_parity.json`` and prints a Markdown table.
"""
from __future__ import annotations

import argparse
import platform
import statistics
from pathlib import Path

import torch
from torch import nn

from hgnn.io import write_json
from hgnn.tasks import run_node_classification
from hgnn.train import Evaluator, fit, seed_everything, split_of_seed
from hgnn.transforms import prepare


class _DHGAdapter(nn.Module):
    """Call a DHG model as ``model(x, hg)`` with its own ``dhg.Hypergraph`` bound in."""

    def __init__(self, net: nn.Module, structure) -> None:
        super().__init__()
        self.net, self.structure = net, structure

    def forward(self, x, hg=None):
        return self.net(x, self.structure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cocitation-cora")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "dhg_parity.json")
    args = parser.parse_args()

    import dhg
    from dhg.models import HGNN as DHGHGNN, HGNNP as DHGHGNNP
    from hgnn.datasets import load

    settings = dict(epochs=args.epochs, lr=0.01, weight_decay=5e-4)
    raw = load(args.dataset)
    hg = prepare(raw)  # row-L1 features, self-loops for isolated nodes: what run_node_classification does
    edges = [[] for _ in range(hg.num_edges)]
    for v, e in hg.hyperedge_index.t().tolist():
        edges[e].append(v)
    structure = dhg.Hypergraph(hg.num_nodes, edges)
    num_classes = int(hg.y.max()) + 1
    rows, results = [], {}
    for ours, theirs_cls in (("hgnn", DHGHGNN), ("hgnnp", DHGHGNNP)):
        report = run_node_classification(ours, args.dataset, seeds=args.seeds, progress=False, **settings)
        dhg_runs = []
        for seed in range(args.seeds):
            split = split_of_seed(hg, "hypergcn", seed)
            assert split.sizes() == tuple(report["runs"][seed]["split_sizes"])
            seed_everything(seed)
            model = _DHGAdapter(theirs_cls(hg.x.size(1), 32, num_classes, drop_rate=0.5), structure)
            res = fit(model, hg, split, evaluator=Evaluator(), progress=False, desc=f"dhg {ours} {seed}", **settings)
            dhg_runs.append(res.to_dict(history=False))
        ours_acc = [100 * r["test"]["acc"] for r in report["runs"]]
        dhg_acc = [100 * r["test"]["acc"] for r in dhg_runs]
        ours_ms = report["summary"]["epoch_ms"]
        dhg_ms = statistics.fmean(r["epoch_ms"] for r in dhg_runs)
        results[ours] = {"hgnn": {"test_acc": ours_acc, "epoch_ms": ours_ms},
                         "dhg": {"test_acc": dhg_acc, "epoch_ms": dhg_ms,
                                 "runs": dhg_runs},
                         "difference_points": statistics.fmean(ours_acc) - statistics.fmean(dhg_acc)}
        for lib, acc, ms in (("hgnn", ours_acc, ours_ms), ("DHG 0.9.7", dhg_acc, dhg_ms)):
            rows.append((ours.upper().replace("HGNNP", "HGNN+"), lib, statistics.fmean(acc), statistics.stdev(acc)
                         if len(acc) > 1 else 0.0, ms))
    meta = {"dataset": args.dataset, "seeds": args.seeds, "protocol": "hypergcn splits 0..seeds-1, 500 val from test side",
            "hidden": 32, "dropout": 0.5, **settings, "dhg": dhg.__version__, "torch": torch.__version__,
            "machine": f"{platform.machine()} {torch.get_num_threads()} threads", "num_edges_dhg": structure.num_e,
            "num_edges_hgnn": hg.num_edges}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, {"meta": meta, "results": results})
    print(f"{args.dataset}, {args.seeds} seeds, {args.epochs} epochs, lr 0.01, wd 5e-4, hidden 32, dropout 0.5\n")
    print("| model | library | test acc (%) | ms / epoch |")
    print("|---|---|---|---|")
    for model, lib, mean, std, ms in rows:
        print(f"| {model} | {lib} | {mean:.2f} ± {std:.2f} | {ms:.1f} |")
    for model, r in results.items():
        print(f"{model}: hgnn - DHG = {r['difference_points']:+.2f} points")


if __name__ == "__main__":
    main()
