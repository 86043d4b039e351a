"""One hypergraph convolution, forward + backward: hgnn against DHG 0.9.7 and PyG, side by side.

    python benchmarks/kernels/conv_speed.py                 # the sweep
    python benchmarks/kernels/conv_speed.py --only-target   # the 20k-node / 80k-incidence / 128-channel point
    python benchmarks/kernels/conv_speed.py --real          # the structures of real datasets instead

For each configuration (nodes N, hyperedges M = N / 2, mean hyperedge size k, channels F) one random
hypergraph and one weight matrix are shared by every library in this process:

* ``hgnn HGNNConv``, ``DHG HGNNConv`` (``is_last=True``: no activation / dropout) and PyG's
  ``HypergraphConv`` (its own normalisation ``D^-1 H W B^-1 H^T``; same cost class) -- HGNN;
* ``hgnn HGNNPConv`` and ``DHG HGNNPConv`` -- HGNN+ (mean aggregation both ways);
* ``hgnn max`` -- ``node_to_edge(max)`` then ``edge_to_node(mean)`` after the linear map (no
  counterpart in DHG / PyG; for reference);
* ``X @ Theta`` -- the dense linear map alone (forward + backward), the floor of any of them.

``dhg_ceiling`` = DHG / floor is the largest speed-up over DHG that *any* implementation computing
``X @ Theta`` and its gradients could reach on that row: where it is below 5, a "5x
faster than DHG" target cannot be met by anyone, however fast the sparse part.

``--real`` replaces the random hypergraphs by the incidence structure of real datasets (read from
``$HGNN_DATA``; 128 random feature channels): their hyperedge sizes are
skewed (``sum |e|^2`` several times that of the Poisson sizes above), which is what DHG's
``N x N`` Laplacian pays for.

Each time is the median over ``--repeats`` calls of ``conv(x, hg)`` + ``backward`` (gradients for
``x`` and the weights) after ``--warmup`` calls, so one-off structure caches (ours, DHG's Laplacian)
are built before timing; their build time is reported separately. hgnn and DHG outputs are
checked to agree before timing. A library whose first call takes more than ``--max-call-s`` is
skipped at that size and written as ``null``.

Writes ``benchmarks/kernels/results/conv_speed.json`` and prints a Markdown table.
"""
from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path
from typing import Callable

import torch
from tqdm.auto import tqdm

from hgnn import Hypergraph
from hgnn.io import write_json
from hgnn.nn import HGNNConv, HGNNPConv
from hgnn.structure import edge_to_node, node_to_edge

TARGET = (20_000, 10_000, 8, 128)


def random_hypergraph(n: int, m: int, k: float, seed: int = 0) -> torch.Tensor:
    """``hyperedge_index`` of ``m`` hyperedges with sizes ``2 + Poisson(k - 2)`` over ``n`` nodes
    (members uniform, duplicates inside a hyperedge removed)."""
    gen = torch.Generator().manual_seed(seed)
    sizes = 2 + torch.poisson(torch.full((m,), float(k - 2)), generator=gen).long()
    edges = torch.repeat_interleave(torch.arange(m), sizes)
    nodes = torch.randint(0, n, (edges.numel(),), generator=gen)
    pairs = torch.unique(edges * n + nodes)  # sorted by hyperedge, members unique
    return torch.stack([pairs % n, pairs // n])


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench(step: Callable[[], None], device: torch.device, warmup: int, repeats: int, max_call_s: float) -> float | None:
    start = time.perf_counter()
    step()
    sync(device)
    if time.perf_counter() - start > max_call_s:
        return None
    for _ in range(warmup - 1):
        step()
    sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        sync(device)
        times.append(time.perf_counter() - start)
    times.sort()
    return 1e3 * times[len(times) // 2]


def fwd_bwd(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, grad: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        x.grad = None
        fn(x).backward(grad)

    return step


REAL = ("coauthorship-cora", "cocitation-citeseer", "house-committees", "walmart-trips", "20newsW100", "enc-emaileu",
        "enc-stackoverflowbiology")


def real_hypergraph(name: str) -> tuple[torch.Tensor, int, int]:
    """``(hyperedge_index, N, M)`` of a real dataset (structure only)."""
    from hgnn import datasets

    hg = datasets.load(name, features="none") if name.startswith(("cocitation", "coauthorship")) else datasets.load(name)
    return hg.hyperedge_index, hg.num_nodes, hg.num_edges


def run_config(n: int, m: int, k: float | str, f: int, device: torch.device, args) -> dict:
    if isinstance(k, str):  # a real dataset's structure
        index, n, m = real_hypergraph(k)
        row = {"dataset": k, "mean_edge_size": round(index.size(1) / m, 1)}
    else:
        index, row = random_hypergraph(n, m, k), {"mean_edge_size": k}
    sizes = torch.bincount(index[1], minlength=m).double()
    row.update(nodes=n, edges=m, channels=f, nnz=index.size(1), sum_sq_edge_size=int((sizes * sizes).sum()),
               ms={}, build_ms={})
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(n, f, generator=gen).to(device).requires_grad_()
    grad = torch.randn(n, f, generator=gen).to(device)

    start = time.perf_counter()
    hg = Hypergraph(index, num_nodes=n, num_edges=m).to(device)
    ours, ours_p = HGNNConv(f, f).to(device), HGNNPConv(f, f).to(device)
    ours_p.load_state_dict(ours.state_dict())
    with torch.no_grad():  # build the cached operators
        ours(x, hg), ours_p(x, hg)
    row["build_ms"]["hgnn"] = 1e3 * (time.perf_counter() - start)

    # Where HGNN's collapsed N x N operator has fewer entries than the incidences, hgnn uses it
    # (node_to_node_matmul); "hgnn factored" times the two incidence products on the same structure.
    row["collapsed"] = bool(hg.cache(("propagate", "collapsed", ("hgnn", "smoothing")), tuple))
    factored = Hypergraph(index, num_nodes=n, num_edges=m).to(device)
    if row["collapsed"]:
        factored.cache(("propagate", "collapsed", ("hgnn", "smoothing")), tuple)  # decided: no collapse
        with torch.no_grad():
            ours(x, factored)

    lin = torch.nn.Linear(f, f).to(device)
    lin.load_state_dict(ours.lin.state_dict())
    steps: dict[str, Callable[[], None]] = {
        "X @ Theta": fwd_bwd(lin, x, grad),
        "hgnn HGNNConv": fwd_bwd(lambda x: ours(x, hg), x, grad),
        "hgnn factored": fwd_bwd(lambda x: ours(x, factored), x, grad),
        "hgnn HGNNPConv": fwd_bwd(lambda x: ours_p(x, hg), x, grad),
        "hgnn max": fwd_bwd(lambda x: edge_to_node(node_to_edge(lin(x), hg, "max"), hg, "mean"), x, grad),
    }

    if not args.no_pyg:
        from torch_geometric.nn import HypergraphConv

        pyg = HypergraphConv(f, f).to(device)
        with torch.no_grad():
            pyg.lin.weight.copy_(ours.lin.weight)
            pyg.bias.copy_(ours.lin.bias)
        index_dev = index.to(device)
        steps["PyG HypergraphConv"] = fwd_bwd(lambda x: pyg(x, index_dev, num_edges=m), x, grad)

    if not args.no_dhg and n <= args.dhg_max_nodes:
        import dhg
        from dhg.nn import HGNNConv as DHGConv, HGNNPConv as DHGPConv

        start = time.perf_counter()
        e_list = [[] for _ in range(m)]
        for v, e in index.t().tolist():
            e_list[e].append(v)
        e_list = [e for e in e_list if e]
        dhg_hg = dhg.Hypergraph(n, e_list, device=device)
        theirs = DHGConv(f, f, drop_rate=0.0, is_last=True).to(device)
        theirs_p = DHGPConv(f, f, drop_rate=0.0, is_last=True).to(device)
        for mod in (theirs, theirs_p):
            mod.theta.load_state_dict(ours.lin.state_dict())
        with torch.no_grad():
            ref, ref_p = theirs(x, dhg_hg), theirs_p(x, dhg_hg)
            # DHG merges duplicate hyperedges; with random members they are rare and equal in weight.
            row["dhg_matches"] = bool(torch.allclose(ref, ours(x, hg), atol=1e-4)
                                      and torch.allclose(ref_p, ours_p(x, hg), atol=1e-4))
        row["build_ms"]["dhg"] = 1e3 * (time.perf_counter() - start)
        steps["DHG HGNNConv"] = fwd_bwd(lambda x: theirs(x, dhg_hg), x, grad)
        steps["DHG HGNNPConv"] = fwd_bwd(lambda x: theirs_p(x, dhg_hg), x, grad)

    for name, step in steps.items():
        row["ms"][name] = bench(step, device, args.warmup, args.repeats, args.max_call_s)
    ms = row["ms"]
    ratio = lambda a, b: None if ms.get(a) is None or ms.get(b) is None else ms[a] / ms[b]  # noqa: E731
    row["speedup_vs_dhg"] = ratio("DHG HGNNConv", "hgnn HGNNConv")
    row["speedup_vs_pyg"] = ratio("PyG HypergraphConv", "hgnn HGNNConv")
    row["hgnnp_speedup_vs_dhg"] = ratio("DHG HGNNPConv", "hgnn HGNNPConv")
    row["over_floor"] = ratio("hgnn HGNNConv", "X @ Theta")
    row["dhg_ceiling"] = ratio("DHG HGNNConv", "X @ Theta")
    return row


def sweep(only_target: bool, real: bool = False, names: list[str] | None = None
          ) -> list[tuple[int, int, float | str, int]]:
    if real:
        return [(0, 0, name, 128) for name in (names or REAL)]
    if only_target:
        return [TARGET]
    configs = [TARGET]
    configs += [(n, n // 2, 8, 64) for n in (1_000, 10_000, 100_000, 1_000_000)]
    configs += [(20_000, 10_000, k, 64) for k in (3, 20, 50)]
    configs += [(20_000, 10_000, 8, f) for f in (16, 256)]
    return configs


def fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only-target", action="store_true")
    parser.add_argument("--real", action="store_true", help="real datasets' structures instead of the sweep")
    parser.add_argument("--datasets", nargs="+", choices=REAL, default=None, help="with --real: these only")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--max-call-s", type=float, default=20.0)
    parser.add_argument("--dhg-max-nodes", type=int, default=1_000_000)
    parser.add_argument("--no-dhg", action="store_true")
    parser.add_argument("--no-pyg", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "conv_speed.json")
    args = parser.parse_args()
    device = torch.device(args.device)

    rows = [run_config(*cfg, device, args) for cfg in tqdm(sweep(args.only_target, args.real, args.datasets), desc="configs")]
    meta = {"device": str(device), "threads": torch.get_num_threads(), "torch": torch.__version__,
            "machine": platform.machine(), "warmup": args.warmup, "repeats": args.repeats}
    try:
        import dhg
        import torch_geometric

        meta.update(dhg=dhg.__version__, torch_geometric=torch_geometric.__version__)
    except ImportError:
        pass
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, {"meta": meta, "rows": rows})

    cols = ["X @ Theta", "hgnn HGNNConv", "hgnn factored", "DHG HGNNConv", "PyG HypergraphConv", "hgnn HGNNPConv", "DHG HGNNPConv",
            "hgnn max"]
    print(f"\nforward + backward, median ms ({meta['device']}, {meta['threads']} threads)\n")
    print("| N | M | k | F | nnz | " + " | ".join(cols) + " | vs DHG | vs PyG | DHG ceiling |")
    print("|---|---|---|---|---|" + "---|" * (len(cols) + 3))
    for r in rows:
        cells = " | ".join(fmt(r["ms"].get(c)) for c in cols)
        sx = lambda v: "—" if v is None else f"{v:.1f}x"  # noqa: E731
        label = f"{r['dataset']}: {r['nodes']}" if "dataset" in r else r["nodes"]
        print(f"| {label} | {r['edges']} | {r['mean_edge_size']} | {r['channels']} | {r['nnz']} | {cells} | "
              f"{sx(r['speedup_vs_dhg'])} | {sx(r['speedup_vs_pyg'])} | {sx(r.get('dhg_ceiling'))} |")


if __name__ == "__main__":
    main()
