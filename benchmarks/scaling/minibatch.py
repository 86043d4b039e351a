"""Full-batch against mini-batch training of HGNN: accuracy on Cora, time and memory at scale.

    python benchmarks/scaling/minibatch.py --part accuracy [--splits 10]
    python benchmarks/scaling/minibatch.py --part scale [--sizes 100000 1000000 2000000]
    python benchmarks/scaling/minibatch.py --part ddp [--processes 1 2] [--ddp-nodes 100000]
    python benchmarks/scaling/minibatch.py --part enc [--enc-dataset enc-stackoverflowbiology] [--epochs 8]
        [--enc-models conhd-unp] [--enc-lr 4e-4] [--enc-batch-size 256] [--enc-key enc]

``accuracy``: HyperGCN co-citation Cora, splits 0..S-1, a two-layer HGNN (hidden 32) trained 200
epochs full-batch (``hgnn.train.fit``) and on mini-batches (``hgnn.train.minibatch.fit_minibatch``:
32 training nodes a step, 10 hyperedges per node and 10 members per hyperedge sampled per hop, exact
batched evaluation); test accuracy at the best validation epoch.

``scale``: synthetic hypergraphs as ``benchmarks/kernels/scale.py`` (N nodes, N / 2 hyperedges, ~4
incidences per node, features ``[N, 64]``, 10 classes, 10% training nodes), each (mode, size) in a
fresh subprocess so that its peak RSS is its own: one full-batch epoch against one mini-batch
epoch over the training nodes (``--batch-size`` 1024, ``--caps`` 3 3: hyperedges per node and
members per hyperedge sampled per hop), median of ``--epochs``.

``ddp``: the same synthetic hypergraph (``--ddp-nodes``), one mini-batch epoch under
``torchrun --standalone --nproc_per_node=P`` (gloo, one thread per process) for each ``P`` in
``--processes``: each process takes its share of the training nodes; median epoch after a warm-up.

``enc``: edge-dependent node classification (``hgnn.tasks.edge_dependent.run_edge_dependent`` through
``benchmarks/edge_dependent/run.py``'s ``run_cell``, the reference's batch
size and lr for the dataset unless ``--enc-batch-size`` / ``--enc-lr`` say otherwise, seed 0,
``--epochs`` epochs, validation every 2, no early stop) with
the HGNN+ incidence scorer and CoNHD (UNP), each trained twice on the same batches of target
hyperedges: ``full`` runs the model on the whole hypergraph at every step and takes the loss on
the batch's incidences; ``sampled`` runs it on the batch's neighbourhood
(:func:`hgnn.loader.hyperedge_neighborhood`, the model's depth, 40 hyperedges sampled per node, as
CoNHD's reference). Each run in a fresh subprocess (its own peak RSS). A ``full`` CoNHD epoch is
one whole-hypergraph pass per batch (252 passes at the reference's 64 on Stack-Biology, ~15 min on
one CPU thread), so larger batches (with the lr scaled alike) keep it affordable.

Writes ``benchmarks/scaling/results/minibatch.json`` (one key per part) and prints a table.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "results" / "minibatch.json"
KERNELS = Path(__file__).resolve().parents[1] / "kernels"  # conv_speed.random_hypergraph


def synthetic_task(n: int, features: int = 64, classes: int = 10, seed: int = 0):
    """The synthetic node task of the scale and ddp parts (as ``scale.py``'s): ``n`` nodes, ``n / 2``
    hyperedges of sizes 2 + Poisson(6), Gaussian features, random labels, 10% training nodes.
    Returns ``(hg, train_mask, classes)``."""
    import torch

    sys.path.insert(0, str(KERNELS))
    from conv_speed import random_hypergraph
    from hgnn import Hypergraph

    index = random_hypergraph(n, n // 2, 8.0, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=gen)
    y = torch.randint(0, classes, (n,), generator=gen)
    train = torch.rand(n, generator=gen) < 0.1
    return Hypergraph(index, num_nodes=n, num_edges=n // 2, x=x, y=y), train, classes

CHILD = r"""
import json, resource, sys, time
import torch
torch.set_num_threads(int(sys.argv[5]))
mode, n, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
batch_size, k, mcap = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
sys.path.insert(0, sys.argv[4])
from minibatch import synthetic_task  # its folder; it adds benchmarks/kernels for conv_speed
from hgnn.loader import NodeLoader
from hgnn.models import HGNN
hg, train, classes = synthetic_task(n)
x, y, f = hg.x, hg.y, hg.x.size(1)
torch.manual_seed(0)
model = HGNN(f, classes, hidden_channels=64)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
times, steps = [], 0
for _ in range(epochs):
    t = time.perf_counter()
    if mode == "full":
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x, hg)[train], y[train]).backward()
        opt.step()
        steps = 1
    else:
        steps = 0
        for batch in NodeLoader(hg, train, 2, batch_size=batch_size, shuffle=True, max_edges_per_node=k,
                                max_nodes_per_edge=mcap):
            opt.zero_grad()
            out = model(batch.hg.x, batch.hg)[batch.target_index]
            torch.nn.functional.cross_entropy(out, batch.y).backward()
            opt.step()
            steps += 1
    times.append(time.perf_counter() - t)
times.sort()
print("RESULT " + json.dumps({"mode": mode, "nodes": n, "nnz": hg.num_incidences, "epoch_s": times[len(times) // 2],
                              "steps": steps, "batch_size": batch_size, "caps": [k, mcap],
                              "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
"""


DDP_CHILD = r"""
import json, sys, time
import torch
import torch.distributed as dist
torch.set_num_threads(1)
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
n, epochs, batch_size, k, mcap = (int(a) for a in sys.argv[2:7])
sys.path.insert(0, sys.argv[1])
from minibatch import synthetic_task
from hgnn.models import HGNN
from hgnn.loader.distributed import distributed_node_loader
hg, train, classes = synthetic_task(n)
f = hg.x.size(1)
torch.manual_seed(rank)
loader = distributed_node_loader(hg, train, 2, batch_size, max_edges_per_node=k, max_nodes_per_edge=mcap)
model = torch.nn.parallel.DistributedDataParallel(HGNN(f, classes, hidden_channels=64))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
times = []
for epoch in range(epochs + 1):  # the first epoch warms up
    loader.sampler.set_epoch(epoch)
    dist.barrier()
    t = time.perf_counter()
    for batch in loader:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(batch.hg.x, batch.hg)[batch.target_index], batch.y).backward()
        opt.step()
    dist.barrier()
    times.append(time.perf_counter() - t)
if rank == 0:
    epoch_s = sorted(times[1:])[len(times[1:]) // 2]
    print("RESULT " + json.dumps({"processes": world, "nodes": n, "targets": int(train.sum()), "epoch_s": epoch_s,
                                  "targets_per_s": int(train.sum()) / epoch_s}))
del model, opt  # free the DDP reducer before the group: see examples/distributed_train.py
dist.destroy_process_group()
"""


def ddp(nodes: int, epochs: int, batch_size: int, caps: list[int], processes: list[int], timeout: float) -> dict:
    import shutil
    import tempfile

    torchrun = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "ddp_child.py"
        script.write_text(DDP_CHILD)
        for w in processes:
            cmd = [torchrun, "--standalone", f"--nproc_per_node={w}", str(script), str(Path(__file__).parent),
                   str(nodes), str(epochs), str(batch_size), str(caps[0]), str(caps[1])]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
            rows.append(json.loads(lines[-1][len("RESULT "):]) if proc.returncode == 0 and lines else
                        {"processes": w, "error": proc.stderr.strip().splitlines()[-1:]})
            print(rows[-1], file=sys.stderr)
    return {"nodes": nodes, "epochs": epochs, "batch_size": batch_size, "caps": caps, "threads_per_process": 1,
            "rows": rows}


def accuracy(splits: int) -> dict:
    import torch

    from hgnn.datasets import load
    from hgnn.models import HGNN
    from hgnn.tasks import summarize
    from hgnn.train import fit, seed_everything, split_of_seed
    from hgnn.transforms import prepare
    from hgnn.train import fit_minibatch

    torch.set_num_threads(1)
    hg = prepare(load("cocitation-cora"))
    classes = int(hg.y.max()) + 1
    rows = []
    for s in range(splits):
        split = split_of_seed(hg, "hypergcn", s)
        seed_everything(s)
        t = time.perf_counter()
        full = fit(HGNN(hg.x.size(1), classes), hg, split, epochs=200, progress=False)
        full_s = time.perf_counter() - t
        seed_everything(s)
        t = time.perf_counter()
        mini = fit_minibatch(HGNN(hg.x.size(1), classes), hg, split, batch_size=32, max_edges_per_node=10,
                             max_nodes_per_edge=10, epochs=200, seed=s, progress=False)
        mini_s = time.perf_counter() - t
        rows.append({"split": s, "full_acc": full.test["acc"], "minibatch_acc": mini.test["acc"],
                     "full_s": full_s, "minibatch_s": mini_s})
        print(rows[-1], file=sys.stderr)

    return {"dataset": "cocitation-cora", "model": "hgnn (hidden 32)", "epochs": 200,
            "minibatch": {"batch_size": 32, "max_edges_per_node": 10, "max_nodes_per_edge": 10},
            "machine": "cpu, 1 thread", "rows": rows,
            "summary": {"full": summarize([r["full_acc"] for r in rows]),
                        "minibatch": summarize([r["minibatch_acc"] for r in rows])}}


def scale(sizes: list[int], epochs: int, threads: int, timeout: float, batch_size: int, caps: list[int]) -> dict:
    rows = []
    for n in sizes:
        for mode in ("full", "minibatch"):
            cmd = [sys.executable, "-c", CHILD, mode, str(n), str(epochs), str(Path(__file__).parent), str(threads),
                   str(batch_size), str(caps[0]), str(caps[1])]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                rows.append({"mode": mode, "nodes": n, "error": f"timeout after {timeout} s"})
                continue
            lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
            rows.append(json.loads(lines[-1][len("RESULT "):]) if proc.returncode == 0 and lines else
                        {"mode": mode, "nodes": n, "error": proc.stderr.strip().splitlines()[-1:]})
            print(rows[-1], file=sys.stderr)
    return {"threads": threads, "epochs": epochs, "batch_size": batch_size, "caps": caps, "rows": rows}


def enc(dataset: str, models: list[str], epochs: int, threads: int, lr: float | None,
        batch_size: int | None = None) -> dict:
    import multiprocessing as mp

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "edge_dependent"))
    from run import run_cell  # benchmarks/edge_dependent/run.py: a cell with the reference's settings

    kwargs = {"seeds": [0], "epochs": epochs, "eval_every": 2, "patience": -1, "max_edges_per_node": 40, "lr": lr,
              "batch_size": batch_size}  # None: run_cell takes the reference's
    ctx = mp.get_context("spawn")
    rows = []
    for model in models:
        for mode in ("full", "sampled"):
            pool = ctx.Pool(1)
            try:
                report = pool.apply(run_cell, (dataset, model, {**kwargs, "mode": mode}, threads))
            finally:
                pool.close()
                pool.join()
            (run,) = report["runs"]
            rows.append({"model": model, "mode": mode, "test_micro_f1": 100 * run["test"]["micro_f1"],
                         "test_macro_f1": 100 * run["test"]["macro_f1"], "val_micro_f1": 100 * run["val"]["micro_f1"],
                         "best_epoch": run["best_epoch"], "epoch_s": run["epoch_s"], "peak_rss_mb": run["peak_rss_mb"],
                         "val_curve": run["history"]["val_micro_f1"], "config": report["config"]})
            print({k: v for k, v in rows[-1].items() if k not in ("config", "val_curve")}, file=sys.stderr)
    return {"dataset": dataset, "epochs": epochs, "threads": threads, "seed": 0, "lr": lr, "batch_size": batch_size,
            "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("accuracy", "scale", "ddp", "enc"), required=True)
    parser.add_argument("--enc-dataset", default="enc-stackoverflowbiology", help="enc part: the ENC dataset")
    parser.add_argument("--enc-models", nargs="+", default=["hgnnp", "conhd-unp"], help="enc part: models")
    parser.add_argument("--enc-lr", type=float, default=None, help="enc part: learning rate (default: the reference's)")
    parser.add_argument("--enc-batch-size", type=int, default=None,
                        help="enc part: target hyperedges per step (default: the reference's 64)")
    parser.add_argument("--enc-key", default="enc", help="enc part: the key of minibatch.json to write")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2], help="ddp part: world sizes")
    parser.add_argument("--ddp-nodes", type=int, default=100_000, help="ddp part: hypergraph size")
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000, 2_000_000])
    parser.add_argument("--epochs", type=int, default=None, help="scale / ddp parts: timed epochs (default 3); "
                        "enc part: training epochs (default 8)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1024, help="scale part: training nodes per step")
    parser.add_argument("--caps", type=int, nargs=2, default=[3, 3],
                        help="scale part: hyperedges per node and members per hyperedge sampled per hop")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    saved = json.loads(args.out.read_text()) if args.out.exists() else {}
    if args.part == "accuracy":
        saved["accuracy"] = result = accuracy(args.splits)
        s = result["summary"]
        print("\n| training | test accuracy (%) |\n|---|---|")
        print(f"| full batch | {s['full']['mean']:.2f} ± {s['full']['std']:.2f} |")
        print(f"| mini-batch | {s['minibatch']['mean']:.2f} ± {s['minibatch']['std']:.2f} |")
    elif args.part == "enc":
        saved[args.enc_key] = result = enc(args.enc_dataset, args.enc_models, args.epochs or 8, args.threads,
                                           args.enc_lr, args.enc_batch_size)
        print(f"\n{args.enc_dataset}, {result['epochs']} epochs, seed 0\n")
        print("| model | training | test micro-F1 | test macro-F1 | s / epoch | peak RSS (MiB) |\n|---|---|---|---|---|---|")
        for r in result["rows"]:
            print(f"| {r['model']} | {r['mode']} | {r['test_micro_f1']:.2f} | {r['test_macro_f1']:.2f} | "
                  f"{r['epoch_s']:.1f} | {r['peak_rss_mb']:.0f} |")
    elif args.part == "ddp":
        saved["ddp"] = result = ddp(args.ddp_nodes, args.epochs or 3, args.batch_size, args.caps, args.processes,
                                    args.timeout)
        print("\n| processes | epoch (s) | training nodes / s |\n|---|---|---|")
        for r in result["rows"]:
            print(f"| {r['processes']} | {r.get('epoch_s', float('nan')):.2f} | {r.get('targets_per_s', float('nan')):.0f} |")
    else:
        saved["scale"] = result = scale(args.sizes, args.epochs or 3, args.threads, args.timeout, args.batch_size, args.caps)
        print("\n| nodes | nnz | mode | epoch (s) | steps | peak RSS (GiB) |\n|---|---|---|---|---|---|")
        for r in result["rows"]:
            if "error" in r:
                print(f"| {r['nodes']} | | {r['mode']} | {r['error']} | | |")
            else:
                print(f"| {r['nodes']} | {r['nnz']} | {r['mode']} | {r['epoch_s']:.2f} | {r['steps']} | "
                      f"{r['peak_rss_gib']:.2f} |")
    from hgnn.io import write_json

    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, saved)


if __name__ == "__main__":
    main()
