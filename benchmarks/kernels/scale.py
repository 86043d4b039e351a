"""One full-batch HGNN training epoch on large synthetic hypergraphs: time and peak memory.

    python benchmarks/kernels/scale.py [--sizes 100000 1000000 2000000] [--dhg-max-nodes 100000]

Each (library, size) runs in a fresh subprocess, so its peak resident memory (``ru_maxrss``) is its
own: the hypergraph has N nodes, N / 2 hyperedges and about 4 incidences per node (hyperedge sizes
2 + Poisson(6)), features are ``[N, 64]``, the model is a two-layer HGNN (64 -> 64 -> 10 classes)
trained with Adam on 10% of the nodes. Reported: the time to build the structure (and its cached
operators: the first forward), the median of ``--epochs`` training epochs (forward, backward,
step), and the peak RSS of the process together with its RSS right after ``import torch``. DHG
runs at the sizes up to ``--dhg-max-nodes``.

Writes ``benchmarks/kernels/results/scale.json`` and prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
import torch
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
lib, n, epochs, device = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, sys.argv[5])
from conv_speed import random_hypergraph
m, classes, f = n // 2, 10, 64
index = random_hypergraph(n, m, 8.0, seed=0)
gen = torch.Generator().manual_seed(0)
x = torch.randn(n, f, generator=gen).to(device)
y = torch.randint(0, classes, (n,), generator=gen).to(device)
train = (torch.rand(n, generator=gen) < 0.1).to(device)
torch.manual_seed(0)
start = time.perf_counter()
if lib == "hgnn":
    from hgnn import Hypergraph
    from hgnn.models import HGNN
    hg = Hypergraph(index, num_nodes=n, num_edges=m).to(device)
    model = HGNN(f, classes, hidden_channels=64).to(device)
else:
    import dhg
    from dhg.models import HGNN
    e_list = [[] for _ in range(m)]
    for v, e in index.t().tolist():
        e_list[e].append(v)
    hg = dhg.Hypergraph(n, [e for e in e_list if e], device=torch.device(device))
    model = HGNN(f, 64, classes).to(device)
with torch.no_grad():
    model(x, hg)
build = time.perf_counter() - start
opt = torch.optim.Adam(model.parameters(), lr=0.01)
times = []
for _ in range(epochs):
    t = time.perf_counter()
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(x, hg)[train], y[train]).backward()
    opt.step()
    if device == "cuda":
        torch.cuda.synchronize()
    times.append(time.perf_counter() - t)
times.sort()
out = {"library": lib, "nodes": n, "edges": m, "nnz": index.size(1), "build_s": build,
       "epoch_s": times[len(times) // 2], "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
       "rss_after_import_gib": rss0}
if device == "cuda":
    out["peak_cuda_gib"] = torch.cuda.max_memory_allocated() / 2**30
print("RESULT " + json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000, 2_000_000])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--dhg-max-nodes", type=int, default=100_000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "scale.json")
    args = parser.parse_args()

    rows = []
    for n in args.sizes:
        for lib in ("hgnn", "dhg"):
            if lib == "dhg" and n > args.dhg_max_nodes:
                continue
            cmd = [sys.executable, "-c", CHILD, lib, str(n), str(args.epochs), args.device,
                   str(Path(__file__).parent)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                rows.append({"library": lib, "nodes": n, "error": f"timeout after {args.timeout} s"})
                continue
            lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
            if proc.returncode != 0 or not lines:
                rows.append({"library": lib, "nodes": n, "error": proc.stderr.strip().splitlines()[-1:]})
            else:
                rows.append(json.loads(lines[-1][len("RESULT "):]))
            print(rows[-1], file=sys.stderr)
    from hgnn.io import write_json

    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, {"device": args.device, "rows": rows})
    print("\n| library | nodes | nnz | build (s) | epoch (s) | peak RSS (GiB) | RSS after import (GiB) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['library']} | {r['nodes']} | | | | {r['error']} | |")
        else:
            print(f"| {r['library']} | {r['nodes']} | {r['nnz']} | {r['build_s']:.2f} | {r['epoch_s']:.3f} | "
                  f"{r['peak_rss_gib']:.2f} | {r['rss_after_import_gib']:.2f} |")


if __name__ == "__main__":
    main()
