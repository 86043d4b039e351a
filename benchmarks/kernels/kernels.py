"""Kernel back-ends side by side: node -> hyperedge aggregation, forward + backward.

Measures every (reduce, back-end) pair on one random hypergraph in one run, so that the ratios
are comparable; the ``"auto"`` choices in ``hgnn/ops/backend.py`` come from this table.

    python benchmarks/kernels/kernels.py [--nodes 50000] [--edges 20000] [--nnz 250000] [--features 64]

Writes ``benchmarks/kernels/results/kernels.json`` and prints a Markdown table.
"""
from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import torch

from hgnn import Hypergraph
from hgnn.io import write_json
from hgnn.ops import HAS_TORCH_SCATTER
from hgnn.structure import node_to_edge


def timeit(fn, repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e3  # median, ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=50_000)
    parser.add_argument("--edges", type=int, default=20_000)
    parser.add_argument("--nnz", type=int, default=250_000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "kernels.json")
    args = parser.parse_args()

    gen = torch.Generator().manual_seed(0)
    index = torch.stack(
        [torch.randint(0, args.nodes, (args.nnz,), generator=gen), torch.randint(0, args.edges, (args.nnz,), generator=gen)]
    )
    hg = Hypergraph(index, num_nodes=args.nodes, num_edges=args.edges).to(args.device)
    x = torch.randn(args.nodes, args.features, generator=gen).to(args.device).requires_grad_()

    # "blocked" is hgnn.ops.gather_max, which backend="auto" picks for max/min message passing.
    backends = ["sparse", "blocked", "native"] + (["torch_scatter"] if HAS_TORCH_SCATTER else [])
    rows = []
    for reduce in ("sum", "mean", "max", "min"):
        for backend in backends:
            extremum = reduce in ("max", "min")
            if (backend == "sparse" and extremum) or (backend == "blocked" and not extremum):
                continue  # a matrix product only sums; the blocked kernel only takes max / min

            def step(backend: str = "auto" if backend == "blocked" else backend) -> None:
                out = node_to_edge(x, hg, reduce=reduce, backend=backend)
                out.backward(torch.ones_like(out))

            rows.append({"reduce": reduce, "backend": backend, "ms": timeit(step, args.repeats)})
    for reduce in ("sum", "mean", "max", "min"):
        best = min(r["ms"] for r in rows if r["reduce"] == reduce)
        for r in rows:
            if r["reduce"] == reduce:
                r["vs_best"] = r["ms"] / best

    result = {
        "settings": vars(args) | {"out": str(args.out)},
        "machine": {"platform": platform.platform(), "cpu_threads": torch.get_num_threads(), "torch": torch.__version__,
                    "device": torch.cuda.get_device_name() if args.device == "cuda" else platform.processor()},
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, result, indent=2)
    print(f"node_to_edge forward+backward, N={args.nodes} M={args.edges} nnz={args.nnz} F={args.features}, {args.device}")
    print("| reduce | backend | ms (median) | x best |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['reduce']} | {r['backend']} | {r['ms']:.2f} | {r['vs_best']:.2f} |")


if __name__ == "__main__":
    main()
