"""The main demo: train an HGNN teacher on co-citation Cora, distil it into an MLP (LightHGNN and
LightHGNN+), print accuracies and the measured inference speed-up.

    make demo            # or: python examples/demo.py [--epochs 200] [--seeds 3]
    python examples/demo.py --quick      # one seed, 30 epochs: seconds

Data: ``hgnn.datasets.load("cocitation-cora")`` (HyperGCN's files, from the ``HGNN_DATA``
folders or the ``datasets/`` cache; ``make demo`` sets ``HGNN_DATA``). If no copy can be found, the demo says so loudly
and runs on a synthetic planted-partition hypergraph instead.

Protocol (LightHGNN's, Feng et al., ICLR 2024): seed s draws 20 training and 100 validation
vertices per class, the other 1868 vertices are test vertices; row-normalised features; a singleton
hyperedge for each isolated vertex. Teacher HGNN (hidden 32, dropout 0.5) and the baselines train
200 epochs with Adam (lr 0.01, weight decay 5e-4) and keep their best validation epoch; the
students (MLP 128 hidden, batch norm, dropout 0.5) learn from the teacher's soft labels
(LightHGNN) and, for LightHGNN+, from the soft labels of reliable hyperedges too. The speed-up is
measured on this machine, teacher and student side by side.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import warnings

import torch
import torch.nn.functional as F

from hgnn import Hypergraph
from hgnn.distill import distill_seed, measure_speedup
from hgnn.transforms import prepare

NAMES = {"mlp": "MLP (labels only)", "hgnnp": "HGNN+", "hgnn": "HGNN (teacher)", "lighthgnn": "LightHGNN (MLP)",
         "lighthgnn+": "LightHGNN+ (MLP)"}


def load_data() -> tuple[Hypergraph, str]:
    try:
        from hgnn.datasets import load

        return load("cocitation-cora"), "cocitation-cora (HyperGCN)"
    except (ImportError, FileNotFoundError, OSError, ValueError) as err:
        bar = "!" * 78
        print(f"{bar}\nWARNING: cocitation-cora could not be loaded ({err}).\n"
              f"Falling back to a SYNTHETIC planted-partition hypergraph: the numbers below are\n"
              f"not Cora's.\n{bar}", file=sys.stderr)
        return synthetic(), "SYNTHETIC planted partition"


def synthetic(num_classes: int = 7, per_class: int = 200, seed: int = 0) -> Hypergraph:
    """Seven classes of 200 nodes; hyperedges of 4 same-class nodes; noisy one-hot features."""
    gen = torch.Generator().manual_seed(seed)
    n = num_classes * per_class
    y = torch.arange(n) // per_class
    edges = [torch.nonzero(y == c).view(-1)[torch.randperm(per_class, generator=gen)[:4]].tolist()
             for c in range(num_classes) for _ in range(3 * per_class // 4)]
    x = F.one_hot(y, num_classes).float() + 2.0 * torch.randn(n, num_classes, generator=gen)
    return Hypergraph.from_edge_list(edges, num_nodes=n, x=x, y=y)


def main() -> None:
    parser = argparse.ArgumentParser(description="Distil an HGNN into an MLP on co-citation Cora.")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one seed, 30 epochs, one thread")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.quick:
        args.epochs, args.seeds = 30, 1
        torch.set_num_threads(1)

    data, name = load_data()
    hg = prepare(data)
    print(f"data: {name}; {args.seeds} seeds x {args.epochs} epochs per model\n")
    runs, models = [], None
    for seed in range(args.seeds):
        run, trained = distill_seed(hg, seed, baselines=("mlp", "hgnnp"), epochs=args.epochs, progress=not args.quick)
        runs.append(run)
        models = models or trained
    sizes = runs[0]["split_sizes"]
    print(f"train / val / test vertices: {sizes[0]} / {sizes[1]} / {sizes[2]} (LightHGNN's protocol)\n")
    print("| model | test accuracy (%) | needs the hypergraph at inference |")
    print("|---|---|---|")
    for method, label in NAMES.items():
        accs = [100 * r[method]["test_acc"] for r in runs]
        std = statistics.stdev(accs) if len(accs) > 1 else 0.0
        print(f"| {label} | {statistics.fmean(accs):.2f} ± {std:.2f} | "
              f"{'yes' if method in ('hgnn', 'hgnnp') else 'no'} |")

    speed = measure_speedup(models["hgnn"], models["lighthgnn+"], hg, request=torch.tensor([0]))
    print(f"\ninference on this machine ({torch.get_num_threads()} threads, medians):")
    print(f"  one vertex:   teacher {speed['teacher_request_ms']:.3f} ms (its exact 2-hop field: "
          f"{speed['receptive_field_nodes']} vertices)  vs  student {speed['student_request_ms']:.3f} ms  "
          f"-> {speed['request_speedup']:.0f}x")
    print(f"  all {hg.num_nodes} vertices: teacher {speed['teacher_full_ms']:.2f} ms  vs  student "
          f"{speed['student_full_ms']:.2f} ms  -> {speed['full_speedup']:.1f}x")
    if speed["full_speedup"] < 1:
        print("  (over the whole graph the student's 128-wide first layer does more arithmetic than the teacher's"
              "\n   32-wide one; the student wins where the teacher must gather a neighbourhood per request:"
              "\n   see benchmarks/inference_speed.py)")
    print("\n(same pipeline: hgnn distill --dataset cocitation-cora --plus --mlp --export student.onnx)")


if __name__ == "__main__":
    main()
