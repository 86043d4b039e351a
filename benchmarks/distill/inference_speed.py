"""What deployment costs: an HGNN teacher (ours, DHG's) against its distilled MLP student.

    python benchmarks/distill/inference_speed.py [--full-nodes 1e3 1e4 1e5 1e6] [--sizes 3 20 200]
                                         [--deploy-nodes 55000] [--requests 1 4 16 64 256 1024]

(a) Full-graph inference. Synthetic hypergraphs with N vertices and hyperedges of mean size k
    (2 + Poisson(k - 2) members, ceil(2N / k) hyperedges, so every vertex is in two hyperedges on
    average; a singleton hyperedge for each vertex left isolated), F = 256 features, 10 classes.
    Teacher: 2-layer HGNN, hidden 32 (LightHGNN's teacher), structure cached (ours: the cached
    sparse operator; DHG: its cached Laplacian). Student: LightHGNN's MLP (256 -> 128 -> BN -> 10),
    PyTorch eager and ONNX Runtime. Every model answers for all N vertices.

(b) The deployment case. The same kind of hypergraph at N = 55,000 vertices (the size the LightHGNN
    paper quotes its 100x at) is served; a request brings r new vertices, each with its features and
    two existing (non-singleton) hyperedges it joins, drawn at random. The teacher must attach them and run where it must:
    * ``full``: join the incidences (a new hypergraph, N + r vertices, no cached structure) and run
      the whole graph;
    * ``2-hop``: :func:`hgnn.structure.receptive_field` extracts the new vertices' exact 2-hop
      neighbourhood from the cached base hypergraph (degree-padded so the outputs are exact) and the
      teacher runs on it. DHG has no such operation; its ``2-hop`` time uses our extraction and
      builds a ``dhg.Hypergraph`` of the neighbourhood, which is how a DHG user would do it.
    The teacher's latency is the faster of its two paths. The student only needs the r feature rows.

Weights are random (speed does not depend on training); the outputs of our and DHG's teachers are
checked equal, and the 2-hop outputs equal the full graph's. Latencies are medians of repeats in one
process, all models side by side. Writes ``benchmarks/distill/results/inference_speed.json``; prints tables.
"""
from __future__ import annotations

import argparse
import math
import platform
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Callable

import torch
from tqdm.auto import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kernels"))
from conv_speed import random_hypergraph  # noqa: E402

from hgnn import Hypergraph  # noqa: E402
from hgnn.distill import export_onnx, mlp_student, onnx_session  # noqa: E402
from hgnn.distill import median_ms as _median_ms  # noqa: E402
from hgnn.io import write_json  # noqa: E402
from hgnn.models import HGNN  # noqa: E402
from hgnn.structure import receptive_field  # noqa: E402

FEATURES, HIDDEN, CLASSES = 256, 32, 10


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """:func:`hgnn.distill.median_ms` with a 20 s budget per measurement."""
    return _median_ms(fn, repeats, budget_s=20.0)


def build(n: int, k: float, seed: int = 0) -> tuple[Hypergraph, int]:
    """``(hypergraph with self-loops for isolated vertices, number of real hyperedges)``; the
    self-loops come after the real hyperedges."""
    index = random_hypergraph(n, max(1, math.ceil(2 * n / k)), k, seed)
    m = int(index[1].max()) + 1
    return Hypergraph(index, num_nodes=n, num_edges=m).add_self_loops(), m


def dhg_hypergraph(hg: Hypergraph):
    import dhg

    e_list: list[list[int]] = [[] for _ in range(hg.num_edges)]
    for v, e in hg.hyperedge_index.t().tolist():
        e_list[e].append(v)
    weights = hg.edge_weight.tolist()
    keep = [i for i, e in enumerate(e_list) if e]
    # merge_op="sum": duplicate hyperedges (e.g. a padding singleton beside a self-loop) add their
    # weights, which leaves every degree and every product H W D_e^-1 H^T unchanged
    return dhg.Hypergraph(hg.num_nodes, [e_list[i] for i in keep], [weights[i] for i in keep], merge_op="sum")


def dhg_teacher(ours: HGNN):
    from dhg.models import HGNN as DHGNN

    theirs = DHGNN(FEATURES, HIDDEN, CLASSES, use_bn=False, drop_rate=0.5)
    theirs.layers[0].theta.load_state_dict(ours.conv1.lin.state_dict())
    theirs.layers[1].theta.load_state_dict(ours.conv2.lin.state_dict())
    return theirs.eval()


def models(seed: int = 0):
    torch.manual_seed(seed)
    teacher = HGNN(FEATURES, CLASSES, hidden_channels=HIDDEN).eval()
    student = mlp_student(FEATURES, CLASSES)
    student.train()
    student(torch.randn(256, FEATURES))       # non-trivial batch-norm statistics
    return teacher, student.eval()


def full_graph(sizes_n: list[int], sizes_k: list[float], dhg_max: int, repeats: int, session) -> list[dict]:
    teacher, student = models()
    rows = []
    for n in tqdm(sizes_n, desc="(a) full graph"):
        for k in sizes_k:
            hg, _ = build(n, k)
            x = torch.rand(n, FEATURES)
            row = {"nodes": n, "mean_size": k, "edges": hg.num_edges, "nnz": hg.num_incidences, "ms": {}}
            with torch.inference_mode():
                teacher(x, hg)                                   # build the cached operator
                row["ms"]["teacher hgnn"] = median_ms(lambda: teacher(x, hg), repeats)
                row["ms"]["student torch"] = median_ms(lambda: student(x), repeats)
                if n <= dhg_max:
                    dg = dhg_hypergraph(hg)
                    theirs = dhg_teacher(teacher)
                    ok = torch.allclose(theirs(x, dg), teacher(x, hg), atol=1e-4)
                    row["dhg_matches"] = bool(ok)
                    row["ms"]["teacher dhg"] = median_ms(lambda: theirs(x, dg), repeats)
            xn = x.numpy()
            row["ms"]["student onnx"] = median_ms(lambda: session.run(["logits"], {"x": xn}), repeats)
            rows.append(row)
            tqdm.write(f"(a) N={n:>8} k={k:>5}  " + "  ".join(f"{a} {b:.2f}" for a, b in row["ms"].items()))
    return rows


def deployment(n: int, sizes_k: list[float], requests: list[int], repeats: int, session, dhg_full: bool) -> list[dict]:
    teacher, student = models()
    theirs = dhg_teacher(teacher)
    rows = []
    for k in sizes_k:
        hg, real_edges = build(n, k)
        x = torch.rand(n, FEATURES)
        hg.node_order(), hg.edge_order(), hg.node_degree(weighted=True)     # the served structure, cached
        with torch.inference_mode():
            teacher(x, hg)
        for r in tqdm(requests, desc=f"(b) k={k}", leave=False):
            gen = torch.Generator().manual_seed(r)
            new_x = torch.rand(r, FEATURES, generator=gen)
            joins = torch.randint(0, real_edges, (r, 2), generator=gen)
            new_inc = torch.stack([torch.arange(n, n + r).repeat_interleave(2), joins.reshape(-1)])
            targets = torch.arange(n, n + r)
            row = {"nodes": n, "mean_size": k, "request": r, "ms": {}}

            def joined() -> Hypergraph:
                return Hypergraph(torch.cat([hg.hyperedge_index, new_inc], 1), num_nodes=n + r,
                                  num_edges=hg.num_edges, edge_weight=hg.edge_weight)

            def full_ours():
                return teacher(torch.cat([x, new_x]), joined())[n:]

            def local_ours():
                sub, ids, pos = receptive_field(hg, targets, 2, new_incidences=new_inc, num_new_nodes=r)
                return teacher(_gather(x, new_x, ids, n), sub)[pos], sub

            def full_dhg():
                return theirs(torch.cat([x, new_x]), dhg_hypergraph(joined()))[n:]

            def local_dhg():
                sub, ids, pos = receptive_field(hg, targets, 2, new_incidences=new_inc, num_new_nodes=r)
                return theirs(_gather(x, new_x, ids, n), dhg_hypergraph(sub))[pos]

            with torch.inference_mode():
                want = full_ours()
                got, sub = local_ours()
                row["receptive_field_nodes"], row["receptive_field_nnz"] = sub.num_nodes, sub.num_incidences
                row["local_exact"] = bool(torch.allclose(got, want, atol=1e-4))
                row["dhg_matches"] = bool(torch.allclose(local_dhg(), want, atol=1e-4))
                row["ms"]["ours full"] = median_ms(full_ours, repeats)
                row["ms"]["ours 2-hop"] = median_ms(local_ours, repeats)
                if dhg_full:
                    row["ms"]["dhg full"] = median_ms(full_dhg, max(3, repeats // 4))
                row["ms"]["dhg 2-hop"] = median_ms(local_dhg, max(3, repeats // 4))
                row["ms"]["student torch"] = median_ms(lambda: student(new_x), repeats)
            xn = new_x.numpy()
            row["ms"]["student onnx"] = median_ms(lambda: session.run(["logits"], {"x": xn}), repeats)
            ms = row["ms"]
            row["teacher_ours_ms"] = min(ms["ours full"], ms["ours 2-hop"])
            row["teacher_dhg_ms"] = min(v for key, v in ms.items() if key.startswith("dhg"))
            best_student = min(ms["student torch"], ms["student onnx"])
            row["speedup_vs_dhg"] = row["teacher_dhg_ms"] / best_student
            row["speedup_vs_ours"] = row["teacher_ours_ms"] / best_student
            row["speedup_vs_dhg_torch_student"] = row["teacher_dhg_ms"] / ms["student torch"]
            row["speedup_vs_ours_torch_student"] = row["teacher_ours_ms"] / ms["student torch"]
            rows.append(row)
            tqdm.write(f"(b) k={k:>5} r={r:>5}  rf {sub.num_nodes:>6} nodes  " + "  ".join(
                f"{a} {b:.3f}" for a, b in ms.items()) + f"  x{row['speedup_vs_dhg']:.0f} vs DHG, "
                f"x{row['speedup_vs_ours']:.0f} vs ours")
    return rows


def _gather(x: torch.Tensor, new_x: torch.Tensor, ids: torch.Tensor, n: int) -> torch.Tensor:
    """Rows ``ids`` of ``cat([x, new_x])`` without building that ``[N + r, F]`` tensor (``ids`` is
    sorted, so the new vertices, ids >= n, come last)."""
    k = int(torch.searchsorted(ids, n))
    return torch.cat([x.index_select(0, ids[:k]), new_x.index_select(0, ids[k:] - n)])


def plot(deploy: list[dict], path: Path) -> None:
    """Latency per request against request size, one panel per mean hyperedge size (log-log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({r["mean_size"] for r in deploy})
    fig, axes = plt.subplots(1, len(sizes), figsize=(4.2 * len(sizes), 3.6), sharey=True, squeeze=False)
    series = {"teacher: hgnn (best path)": lambda r: r["teacher_ours_ms"],
              "teacher: DHG (best path)": lambda r: r["teacher_dhg_ms"],
              "student: PyTorch": lambda r: r["ms"]["student torch"],
              "student: ONNX Runtime": lambda r: r["ms"]["student onnx"]}
    for ax, k in zip(axes[0], sizes):
        rows = [r for r in deploy if r["mean_size"] == k]
        for label, get in series.items():
            ax.plot([r["request"] for r in rows], [get(r) for r in rows], marker="o", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"N = {rows[0]['nodes']:,}, mean hyperedge size {k:g}")
        ax.set_xlabel("new vertices per request")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("latency per request (ms)")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full-nodes", type=float, nargs="+", default=[1e3, 1e4, 1e5, 1e6])
    parser.add_argument("--sizes", type=float, nargs="+", default=[3, 20, 200])
    parser.add_argument("--dhg-max-nodes", type=float, default=1e5)
    parser.add_argument("--deploy-nodes", type=int, default=55_000)
    parser.add_argument("--requests", type=int, nargs="+", default=[1, 4, 16, 64, 256, 1024])
    parser.add_argument("--no-dhg-full", action="store_true", help="skip DHG's full-graph path in (b)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--skip-full", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "inference_speed.json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    _, student = models()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = onnx_session(export_onnx(student, Path(tmp) / "student.onnx"), threads=torch.get_num_threads())
    full = [] if args.skip_full else full_graph([int(v) for v in args.full_nodes], args.sizes,
                                                int(args.dhg_max_nodes), args.repeats, session)
    deploy = deployment(args.deploy_nodes, args.sizes, args.requests, args.repeats, session, not args.no_dhg_full)
    import dhg
    import onnxruntime

    meta = {"torch": torch.__version__, "dhg": dhg.__version__, "onnxruntime": onnxruntime.__version__,
            "threads": torch.get_num_threads(), "machine": platform.processor() or platform.machine(),
            "features": FEATURES, "teacher_hidden": HIDDEN, "student_hidden": 128, "classes": CLASSES}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, {"meta": meta, "full_graph": full, "deployment": deploy})
    plot(deploy, args.out.with_suffix(".png"))
    print(f"\n(a) full-graph inference, ms (median); {meta['threads']} threads\n")
    print("| N | mean size | nnz | teacher (hgnn) | teacher (DHG) | student (torch) | student (ONNX RT) | "
          "DHG / student | hgnn / student |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in full:
        ms = r["ms"]
        best = min(ms["student torch"], ms["student onnx"])
        dh = ms.get("teacher dhg")
        print(f"| {r['nodes']} | {r['mean_size']:g} | {r['nnz']} | {ms['teacher hgnn']:.3f} | "
              f"{'-' if dh is None else f'{dh:.3f}'} | {ms['student torch']:.3f} | {ms['student onnx']:.3f} | "
              f"{'-' if dh is None else f'{dh / best:.1f}x'} | {ms['teacher hgnn'] / best:.1f}x |")
    print(f"\n(b) deployment at N = {args.deploy_nodes}: latency per request, ms (median)\n")
    print("| mean size | new vertices | 2-hop field (nodes / nnz) | hgnn full | hgnn 2-hop | DHG full | DHG 2-hop | "
          "student torch | student ONNX RT | vs DHG | vs hgnn | student vertices / s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in deploy:
        ms = r["ms"]
        best = min(ms["student torch"], ms["student onnx"])
        dhg_full = f"{ms['dhg full']:.1f}" if "dhg full" in ms else "-"
        print(f"| {r['mean_size']:g} | {r['request']} | {r['receptive_field_nodes']} / {r['receptive_field_nnz']} | "
              f"{ms['ours full']:.2f} | {ms['ours 2-hop']:.2f} | {dhg_full} | {ms['dhg 2-hop']:.2f} | "
              f"{ms['student torch']:.3f} | {ms['student onnx']:.3f} | {r['speedup_vs_dhg']:.0f}x | "
              f"{r['speedup_vs_ours']:.0f}x | {1e3 * r['request'] / best:,.0f} |")

if __name__ == "__main__":
    main()
