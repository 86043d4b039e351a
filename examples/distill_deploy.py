"""Distil and deploy: an HGNN teacher, a LightHGNN+ MLP student, ONNX, and new vertices served
from their features alone.

    python examples/distill_deploy.py                          # cocitation-cora, 200 epochs
    python examples/distill_deploy.py --out student.onnx       # keep the exported model
    python examples/distill_deploy.py --quick                  # seconds

Needs the export extra: ``pip install 'hgnn[export]'`` (onnx, onnxscript, onnxruntime).

The production setting of LightHGNN (Feng et al., ICLR 2024): most test vertices are held out as
vertices that do not exist yet. The teacher (``hgnn.models.HGNN``) trains on the hypergraph of the
vertices seen so far; the student, an MLP on features only, learns from the teacher's soft labels
(LightHGNN, ``hgnn.distill.distill``); a one-hop student beside it also reads its co-members' mean
features (``hgnn.distill.student_input``). The features-only student is exported to ONNX
(``hgnn.distill.export_onnx``, checked against PyTorch with ``check_onnx``) and ONNX Runtime
answers requests for the new vertices: one feature row in, a class out, no hypergraph needed. The teacher, by contrast, could only classify a new vertex once
its hyperedges are known.
"""
from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import torch

from hgnn.datasets import load
from hgnn.distill import (check_onnx, distill, export_onnx, mlp_student, observed_hypergraph, onnx_session,
                          production_split, student_input, train_teacher)
from hgnn.train import accuracy, per_class_split
from hgnn.transforms import prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cocitation-cora")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--unseen", type=float, default=0.9, help="share of the test vertices held out as new")
    parser.add_argument("--out", type=Path, default=None, help="where to write the ONNX student (default: a "
                                                                "temporary folder, removed at the end)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="100 epochs on one thread")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)  # torch.export's notices about its own internals
    if args.quick:
        args.epochs = 100
        torch.set_num_threads(1)

    # the LightHGNN code's protocol: hyperedges with equal members merged (as DHG does), its split for
    # this seed (20 training and 100 validation vertices per class)
    hg, _ = prepare(load(args.dataset)).merge_duplicate_edges()
    split = per_class_split(hg, seed=args.seed, rng="python")
    ps = production_split(split, args.unseen, seed=args.seed)
    seen = observed_hypergraph(hg, ps, merge_duplicates=True)  # restricted to the vertices that exist today
    new = ps.unseen.nonzero().view(-1)  # the vertices that arrive later (ids into hg)
    print(f"{args.dataset}: {seen.num_nodes} vertices seen at training time, {new.numel()} arrive later")

    teacher = train_teacher("hgnn", seen, ps.split, epochs=args.epochs, seed=args.seed)
    torch.manual_seed(args.seed)
    student = mlp_student(hg.x.size(1), int(hg.y.max()) + 1)
    # LightHGNN (plain soft labels): in this setting LightHGNN+'s hyperedge term does not help
    distill(student, teacher, seen, ps.split, epochs=args.epochs, seed=args.seed, progress=False)
    student.eval()
    # A one-hop student also reads the mean of its co-members' features: more accurate on new vertices,
    # but it needs their hyperedges when they arrive (benchmarks/distill/README.md weighs the two).
    torch.manual_seed(args.seed)
    one_hop = mlp_student(2 * hg.x.size(1), int(hg.y.max()) + 1)
    distill(one_hop, teacher, seen, ps.split, student_x=student_input("one-hop", seen.x, seen), epochs=args.epochs,
            seed=args.seed, progress=False)
    one_hop.eval()
    with torch.no_grad():
        test = ps.split.test
        print(f"seen test vertices:  teacher {100 * accuracy(seen.y[test], teacher(seen.x, seen)[test]):.1f}%  "
              f"student {100 * accuracy(seen.y[test], student(seen.x)[test]):.1f}%")
        # For the new vertices the teacher needs their hyperedges (the full hypergraph), the student does not.
        print(f"new vertices:        teacher {100 * accuracy(hg.y[new], teacher(hg.x, hg)[new]):.1f}% (given the full "
              f"hypergraph)  student {100 * accuracy(hg.y[new], student(hg.x[new])):.1f}% (features only)")
        one_hop_new = one_hop(student_input("one-hop", hg.x, hg)[new])  # co-members from the full hypergraph
        print(f"                     one-hop student {100 * accuracy(hg.y[new], one_hop_new):.1f}% (features and "
              f"co-members' mean)")

    with tempfile.TemporaryDirectory() as tmp:
        path = export_onnx(student, args.out or Path(tmp) / "student.onnx", example=seen.x[:8])
        check = check_onnx(path, student, hg.x[new])
        print(f"exported {path.name} ({path.stat().st_size / 1024:.0f} KiB); ONNX Runtime vs PyTorch: "
              f"max |diff| {check['max_abs_diff']:.1e}, same prediction on {100 * check['prediction_agreement']:.0f}%")

        session = onnx_session(path, threads=1)
        requests = hg.x[new[:5]].numpy()
        print("serving five new vertices, one request each:")
        for vertex, row in zip(new[:5].tolist(), requests):
            start = time.perf_counter()
            logits = session.run(["logits"], {"x": row[None]})[0]
            ms = 1e3 * (time.perf_counter() - start)
            print(f"  vertex {vertex:4d}: predicted class {int(logits.argmax())}, true class {int(hg.y[vertex])} "
                  f"({ms:.2f} ms)")
        batch = hg.x[new].numpy()
        times = []
        for _ in range(10):
            start = time.perf_counter()
            session.run(["logits"], {"x": batch})
            times.append(time.perf_counter() - start)
        print(f"all {len(batch)} new vertices in one batch: {1e3 * sorted(times)[5]:.2f} ms (median of 10)")


if __name__ == "__main__":
    main()
