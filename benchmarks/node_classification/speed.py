"""Time per epoch of hgnn's node-classification models against DHG 0.9.7 and PyG 2.8.1, side by side.

    python benchmarks/node_classification/speed.py [--datasets cocitation-cora ...] [--models hgnn unigat ...]
        [--repeats 5] [--epochs 10] [--warmup 3] [--threads 1] [--backend auto] [--budget 600]

Every model of :data:`hgnn.tasks.MODELS` that DHG or PyG also has is built twice, ours and theirs,
with the registry's sizes (hidden 32, dropout 0.5, two layers), on the same prepared data
(:func:`hgnn.transforms.prepare`, as :func:`hgnn.tasks.run_node_classification` does) and the same
training nodes (the dataset's default split, seed 0). One *epoch* is a forward pass, the
cross-entropy of the training nodes, the backward pass and an Adam step; one *evaluation* is a
forward pass in eval mode without gradients.

Protocol: ``--warmup`` epochs and evaluations per side (at least two; the first pays the one-time
costs, such as DHG's cached operators, and is recorded), then ``--repeats`` repetitions; each
repetition times ``--epochs`` epochs and as many evaluations of one side, then of the other, the
order alternating between repetitions, so that machine noise hits both alike. The reported time is
the median over the repetitions of the mean per epoch. A pair whose measurement would take longer
than ``--budget`` seconds (estimated from the second warm-up step) is skipped and its first-call
times are recorded.

PyG's two-layer ``HypergraphConv`` network gets our weights and must give our outputs before it is
timed (eval mode, ``allclose``): against ``hgnnp`` (the same operator
:math:`D_v^{-1} H W D_e^{-1} H^\\top`) and against the attention network
(``HypergraphConv(use_attention=True)``, hyperedge features the means of their members). It is
also timed against ``hgnn``, whose symmetric normalisation it does not compute (same amount of
work, other numbers: no check). DHG builds its own ``dhg.Hypergraph`` from our hyperedges, which
merges duplicated hyperedges; DHG's HyperGCN refuses single-node hyperedges, so it gets the
hyperedges of two or more nodes (those add nothing to HyperGCN's graph on either side).

Writes ``benchmarks/node_classification/results/speed.json`` and prints a Markdown table
(milliseconds as ``epoch / evaluation``; ratio > 1: ours is faster).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from functools import partial
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.datasets import load_hypergraph
from hgnn.io import check_output_path, write_json
from hgnn.ops import HAS_TORCH_SCATTER, resolve, use_backend
from hgnn.tasks import build_model
from hgnn.train import split_of_seed
from hgnn.train.splits import default_protocol
from hgnn.transforms import prepare

DATASETS = ("cocitation-cora", "coauthorship-cora", "20newsw100", "walmart-trips")
#: our registry name -> DHG 0.9.7 model class name
DHG_MODELS = {"hgnn": "HGNN", "hgnnp": "HGNNP", "hnhn": "HNHN", "unigcn": "UniGCN", "unigat": "UniGAT",
              "unisage": "UniSAGE", "unigin": "UniGIN", "hypergcn": "HyperGCN", "fasthypergcn": "HyperGCN"}
#: our registry name -> whether PyG's network computes the same numbers (checked before timing)
PYG_MODELS = {"hgnnp": True, "hgnn": False, "hypergraph-attention": True}
HEADS = 4  # the first layer's heads of our attention networks (their default)


class PyGHypergraphNet(nn.Module):
    """Two PyG ``HypergraphConv`` layers in our two-layer layout: conv, ReLU, dropout, conv."""

    def __init__(self, in_channels: int, out_channels: int, hidden: int, dropout: float) -> None:
        super().__init__()
        from torch_geometric.nn import HypergraphConv

        self.dropout = dropout
        self.conv1 = HypergraphConv(in_channels, hidden)
        self.conv2 = HypergraphConv(hidden, out_channels)

    def forward(self, x: Tensor, index: Tensor, num_edges: int) -> Tensor:
        x = F.relu(self.conv1(x, index, num_edges=num_edges))
        x = F.dropout(x, p=self.dropout, training=self.training)
        return self.conv2(x, index, num_edges=num_edges)


class PyGAttentionNet(nn.Module):
    """Two PyG ``HypergraphConv(use_attention=True)`` layers in the layout of our
    :class:`~hgnn.models.HypergraphAttentionNet`: dropout, hyperedge means, attention conv, ELU."""

    def __init__(self, in_channels: int, out_channels: int, hidden: int, dropout: float) -> None:
        super().__init__()
        from torch_geometric.nn import HypergraphConv

        self.dropout = dropout
        self.conv1 = HypergraphConv(in_channels, hidden // HEADS, use_attention=True, heads=HEADS, dropout=dropout)
        self.conv2 = HypergraphConv(hidden, out_channels, use_attention=True, heads=1, concat=False, dropout=dropout)

    def _layer(self, conv: nn.Module, x: Tensor, index: Tensor, num_edges: int) -> Tensor:
        from torch_geometric.utils import scatter

        x = F.dropout(x, p=self.dropout, training=self.training)
        attr = scatter(x[index[0]], index[1], dim=0, dim_size=num_edges, reduce="mean")
        return conv(x, index, hyperedge_attr=attr, num_edges=num_edges)

    def forward(self, x: Tensor, index: Tensor, num_edges: int) -> Tensor:
        return self._layer(self.conv2, F.elu(self._layer(self.conv1, x, index, num_edges)), index, num_edges)


def dhg_model(name: str, in_channels: int, out_channels: int, hidden: int, dropout: float) -> nn.Module:
    """DHG's model for our registry ``name``, with the registry's sizes (``use_bn=False``)."""
    import dhg.models

    cls = getattr(dhg.models, DHG_MODELS[name])
    if name == "unigat":  # DHG's hid_channels is per head; ours is all heads together
        return cls(in_channels, hidden // HEADS, out_channels, num_heads=HEADS, drop_rate=dropout)
    if name in ("hypergcn", "fasthypergcn"):
        return cls(in_channels, hidden, out_channels, use_mediator=True, fast=name == "fasthypergcn",
                   drop_rate=dropout)
    return cls(in_channels, hidden, out_channels, use_bn=False, drop_rate=dropout)


def pyg_model(ours: nn.Module, name: str, in_channels: int, out_channels: int, hidden: int,
              dropout: float) -> nn.Module:
    """PyG's network for our ``name``, holding ``ours``'s weights (random biases where ours
    has zeros, so the check sees them)."""
    cls = PyGAttentionNet if name == "hypergraph-attention" else PyGHypergraphNet
    theirs = cls(in_channels, out_channels, hidden, dropout)
    with torch.no_grad():
        for conv in (ours.conv1, ours.conv2):
            bias = conv.bias if name == "hypergraph-attention" else conv.lin.bias
            bias.normal_(std=0.1)
        state = {key.replace("lin.bias", "bias"): value for key, value in ours.state_dict().items()}
    theirs.load_state_dict(state)
    return theirs


class Side:
    """One library's model, optimiser and calls on the data: ``epoch()`` and ``evaluate()``."""

    def __init__(self, model: nn.Module, forward: Callable[[], Tensor], y: Tensor, train: Tensor) -> None:
        self.model, self.forward, self.y, self.train = model, forward, y[train], train
        self.optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)

    def epoch(self) -> None:
        """Forward, cross-entropy on the training nodes, backward, Adam step."""
        self.model.train()
        self.optimizer.zero_grad()
        F.cross_entropy(self.forward()[self.train], self.y).backward()
        self.optimizer.step()

    def evaluate(self) -> Tensor:
        """One forward pass in eval mode, without gradients."""
        self.model.eval()
        with torch.no_grad():
            return self.forward()


def timed(step: Callable[[], object], times: int) -> float:
    """Milliseconds per call of ``step`` over ``times`` calls."""
    start = time.perf_counter()
    for _ in range(times):
        step()
    return 1e3 * (time.perf_counter() - start) / times


def check_equal(ours: Side, theirs: Side) -> float:
    """Eval-mode outputs of the two sides are allclose; return the largest absolute difference."""
    a, b = ours.evaluate(), theirs.evaluate()
    if not torch.allclose(a, b, atol=1e-4, rtol=1e-4):
        raise AssertionError(f"PyG's outputs differ from ours by up to {float((a - b).abs().max()):.3g}")
    return float((a - b).abs().max())


def measure(sides: dict[str, Side], args: argparse.Namespace) -> dict:
    """Warm up, then interleaved repetitions; medians of ms per epoch / evaluation per side."""
    first: dict[str, dict[str, float]] = {}
    for lib, side in sides.items():  # the first call pays the one-time costs (caches, kept graphs)
        first[lib] = {"epoch_ms": timed(side.epoch, 1), "eval_ms": timed(side.evaluate, 1)}
        if sum(first[lib].values()) / 1e3 > args.budget:
            return {"skipped": f"the first call of {lib} took over the budget of {args.budget:.0f} s",
                    "first_call": first}
    second = sum(timed(side.epoch, 1) + timed(side.evaluate, 1) for side in sides.values())
    estimate = (max(args.warmup - 2, 0) + args.repeats * args.epochs) * second / 1e3
    if estimate > args.budget:
        return {"skipped": f"estimated {estimate:.0f} s > budget {args.budget:.0f} s", "first_call": first}
    for side in sides.values():
        for _ in range(max(args.warmup - 2, 0)):
            side.epoch()
            side.evaluate()
    runs: dict[str, dict[str, list[float]]] = {lib: {"epoch_ms": [], "eval_ms": []} for lib in sides}
    order = list(sides)
    for rep in range(args.repeats):
        for lib in order if rep % 2 == 0 else order[::-1]:
            runs[lib]["epoch_ms"].append(timed(sides[lib].epoch, args.epochs))
            runs[lib]["eval_ms"].append(timed(sides[lib].evaluate, args.epochs))
    return {lib: {key: statistics.median(values) for key, values in r.items()} | {"runs": r}
            for lib, r in runs.items()} | {"first_call": first}


def dhg_structures(hg) -> tuple:
    """DHG hypergraphs of our hyperedges: all of them, and those of two or more nodes (HyperGCN)."""
    import dhg

    edges: list[list[int]] = [[] for _ in range(hg.num_edges)]
    for v, e in hg.hyperedge_index.t().tolist():
        edges[e].append(v)
    return dhg.Hypergraph(hg.num_nodes, edges), dhg.Hypergraph(hg.num_nodes, [e for e in edges if len(e) > 1])


def run_dataset(dataset: str, models: list[str], args: argparse.Namespace) -> tuple[dict, list]:
    """Measure every pair of ``models`` on ``dataset``; the JSON entry and the table rows."""
    name, raw = load_hypergraph(dataset)
    hg = prepare(raw)
    train = split_of_seed(hg, default_protocol(hg), 0).train
    x, y, index = hg.x, hg.y, hg.hyperedge_index
    sizes = (x.size(1), int(y.max()) + 1, args.hidden, args.dropout)
    full, multi = dhg_structures(hg)
    entry = {"num_nodes": hg.num_nodes, "num_edges": hg.num_edges, "num_incidences": hg.num_incidences,
             "num_features": x.size(1), "num_train": int(train.sum()), "dhg_num_edges": full.num_e,
             "dhg_num_edges_hypergcn": multi.num_e, "pairs": []}
    rows = []
    pairs = [(m, lib) for lib, known in (("dhg", DHG_MODELS), ("pyg", PYG_MODELS)) if lib in args.libraries
             for m in models if m in known]
    for model, lib in pairs:
        if f"{dataset}/{model}/{lib}" in args.skip:
            entry["pairs"].append({"model": model, "library": lib, "skipped": "--skip"})
            rows.append((name, model, "-", "-", "skipped (--skip)", lib))
            print(" | ".join(rows[-1]), flush=True)
            continue
        torch.manual_seed(0)
        # PyG's attention layer normalises by the structure's degrees: ours does the same math with
        # normalization="structure" (the registry model's default is the attention-weighted degrees)
        same_math = {"normalization": "structure"} if model == "hypergraph-attention" else {}
        ours = build_model(model, *sizes, **same_math)
        if lib == "dhg":
            theirs = dhg_model(model, *sizes)
            structure = multi if model in ("hypergcn", "fasthypergcn") else full
            call = partial(theirs, x, structure)
        else:
            theirs = pyg_model(ours, model, *sizes)
            call = partial(theirs, x, index, hg.num_edges)
        sides = {"ours": Side(ours, partial(ours, x, hg), y, train), lib: Side(theirs, call, y, train)}
        checked = check_equal(sides["ours"], sides[lib]) if lib == "pyg" and PYG_MODELS[model] else None
        result = measure(sides, args)
        entry["pairs"].append({"model": model, "library": lib, "max_abs_diff": checked, **result})
        if "skipped" in result:
            first = {side: f"{t['epoch_ms']:.0f} / {t['eval_ms']:.0f} (first call)"
                     for side, t in result["first_call"].items()}
            rows.append((name, model, first.get("ours", "-"), first.get(lib, "-"), "skipped", lib))
        else:
            o, t = result["ours"], result[lib]
            rows.append((name, model, f"{o['epoch_ms']:.1f} / {o['eval_ms']:.1f}",
                         f"{t['epoch_ms']:.1f} / {t['eval_ms']:.1f}",
                         f"{t['epoch_ms'] / o['epoch_ms']:.2f} / {t['eval_ms'] / o['eval_ms']:.2f}", lib))
        print(" | ".join(rows[-1]), flush=True)
    return entry, rows


def machine() -> str:
    """CPU model name (Linux) or the platform's processor string."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--models", nargs="+", default=sorted(set(DHG_MODELS) | set(PYG_MODELS)))
    parser.add_argument("--libraries", nargs="+", default=["dhg", "pyg"], choices=["dhg", "pyg"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10, help="epochs (and evaluations) per repetition")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--backend", default="auto", help="hgnn.ops back-end of our side")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds allowed per (dataset, model, library)")
    parser.add_argument("--skip", nargs="+", default=[], metavar="DATASET/MODEL/LIBRARY",
                        help="pairs not to run, e.g. walmart-trips/unigat/dhg (DHG's UniGAT needs over 23 GB there)")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "speed.json")
    args = parser.parse_args()
    unknown = sorted(set(args.models) - set(DHG_MODELS) - set(PYG_MODELS))
    if unknown:
        parser.error(f"--models {unknown} have no DHG or PyG counterpart; choose from "
                     f"{sorted(set(DHG_MODELS) | set(PYG_MODELS))}")
    for flag in ("repeats", "epochs", "threads"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be >= 1, got {getattr(args, flag)}")
    check_output_path(args.out, "--out")
    torch.set_num_threads(args.threads)

    import dhg
    import torch_geometric

    meta = {"protocol": f"{args.warmup} warm-up, median of {args.repeats} interleaved repetitions of "
                        f"{args.epochs} epochs + {args.epochs} evaluations per side",
            "epoch": "forward + cross-entropy on the train nodes + backward + Adam (lr 0.01, wd 5e-4)",
            "evaluation": "forward, eval mode, no_grad", "hidden": args.hidden, "dropout": args.dropout,
            "threads": torch.get_num_threads(), "torch": torch.__version__, "dhg": dhg.__version__,
            "torch_geometric": torch_geometric.__version__, "python": platform.python_version(),
            "machine": f"{machine()}, {platform.machine()}", "cpu_count": os.cpu_count(),
            "backend": args.backend, "torch_scatter_installed": HAS_TORCH_SCATTER,
            "budget_s": args.budget}
    results, rows = {}, []
    with use_backend(args.backend):
        meta["kernels"] = {op: resolve(op, torch.device("cpu")) for op in ("sum", "mean", "max", "gather_max")}
        for dataset in args.datasets:
            results[dataset], dataset_rows = run_dataset(dataset, args.models, args)
            rows += dataset_rows
            write_json(args.out, {"meta": meta, "results": results})
    print(f"\n{meta['machine']}, {meta['threads']} thread(s), torch {meta['torch']}, DHG {meta['dhg']}, "
          f"PyG {meta['torch_geometric']}, hgnn kernels {meta['kernels']}\n")
    print("| dataset | model | ours ms | theirs ms | ratio (theirs / ours) | library |\n|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
