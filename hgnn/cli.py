"""The ``hgnn`` command: argument parsing only; the work happens in :mod:`hgnn.train` and
:mod:`hgnn.datasets`.

.. code-block:: text

    hgnn datasets [--root DIR]
    hgnn train --model hgnn --dataset cocitation-cora [--seeds 5] [--epochs 200] [--out results.json]
               [--plot curves.png] [--protocol auto|hypergcn|random|per-class|official] ...
    hgnn train --task enc --model conhd --dataset stackoverflowbiology [--operator unp] ...
    hgnn distill --teacher hgnn --dataset cocitation-cora [--plus] [--setting production]
                 [--export student.onnx] [--save student.pt] [--program student.pt2] [--out report.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

__all__ = ["main", "build_parser", "format_table", "format_enc_table", "format_distill"]


def format_table(reports: Sequence[dict]) -> str:
    """A Markdown table of :func:`~hgnn.train.run_node_classification` reports (mean +- std, %)."""
    cols = ("model", "dataset", "protocol", "seeds", "val acc", "test acc", "test macro-F1", "ms / epoch")
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in reports:
        s = r["summary"]
        pm = lambda k: f"{s[k]['mean']:.2f} ± {s[k]['std']:.2f}"  # noqa: E731
        lines.append(f"| {r['model']} | {r['dataset']} | {r['protocol']} | {r['config']['seeds']} | "
                     f"{pm('val_acc')} | {pm('test_acc')} | {pm('test_macro_f1')} | {s['epoch_ms']:.1f} |")
    return "\n".join(lines)


def _datasets(args: argparse.Namespace) -> int:
    from hgnn.datasets import available

    rows = available(root=args.root) if args.root else available()
    width = max(len(r.name) for r in rows)
    print(f"{'name':<{width}}  {'task':<19}  {'on disk':<7}  description")
    for r in rows:
        print(f"{r.name:<{width}}  {r.task:<19}  {'yes' if r.on_disk else 'no':<7}  {r.description}")
    print(f"\n{sum(r.on_disk for r in rows)} of {len(rows)} on disk"
          + (f" (root {args.root})" if args.root else " (HGNN_DATA, datasets/, ../shared/datasets)"))
    return 0


def format_enc_table(reports: Sequence[dict]) -> str:
    """A Markdown table of :func:`~hgnn.train.enc.run_enc` reports (micro-/macro-F1, %)."""
    lines = ["| model | dataset | seeds | test micro-F1 | test macro-F1 | s / epoch |", "|---|---|---|---|---|---|"]
    for r in reports:
        s = r["summary"]
        pm = lambda k: f"{s[k]['mean']:.2f} ± {s[k]['std']:.2f}"  # noqa: E731
        lines.append(f"| {r['model']} | {r['dataset']} | {len(r['runs'])} | {pm('test_micro_f1')} | "
                     f"{pm('test_macro_f1')} | {s['epoch_s']:.1f} |")
    return "\n".join(lines)


def _train_enc(args: argparse.Namespace) -> list[dict]:
    from hgnn.train.enc import ENC_MODELS, run_enc

    unknown = [m for m in args.model if m not in ENC_MODELS]
    if unknown:
        raise ValueError(f"--task enc: unknown model(s) {unknown}; choose from {list(ENC_MODELS)}")
    datasets = [d if d.startswith("enc-") else f"enc-{d}" for d in args.dataset]
    return [run_enc(model, dataset, seeds=args.seeds, epochs=args.epochs, operator=args.operator,
                    device=args.device, root=args.root, progress=not args.no_progress)
            for dataset in datasets for model in args.model]


def _train(args: argparse.Namespace) -> int:
    from hgnn.train import MODELS, run_node_classification

    if args.task == "enc":
        reports = _train_enc(args)
        print(format_enc_table(reports))
        return _write(reports, args.out)
    unknown = [m for m in args.model if m.lower().replace("+", "p") not in MODELS]
    if unknown:
        raise ValueError(f"--task node: unknown model(s) {unknown}; choose from {sorted(MODELS)}")

    dataset_kwargs = {"features": args.features} if args.features else {}
    reports = []
    for dataset in args.dataset:
        for model in args.model:
            report = run_node_classification(
                model, dataset, seeds=args.seeds, protocol=args.protocol, split=args.split, epochs=args.epochs,
                lr=args.lr, weight_decay=args.weight_decay, hidden=args.hidden, dropout=args.dropout,
                patience=args.patience, device=args.device, root=args.root, dataset_kwargs=dataset_kwargs,
                progress=not args.no_progress)
            reports.append(report)
            if args.plot:
                from hgnn.train import plot_curves

                path = Path(args.plot)
                if len(args.model) * len(args.dataset) > 1:
                    path = path.with_name(f"{path.stem}-{model}-{dataset}{path.suffix}")
                plot_curves([run["history"] for run in report["runs"]], path,
                            title=f"{model} on {dataset} ({args.seeds} seeds)")
                print(f"curves: {path}", file=sys.stderr)
    print(format_table(reports))
    return _write(reports, args.out)


def format_distill(run: dict, speed: dict | None = None) -> str:
    """A Markdown table of one :func:`~hgnn.distill.distill_seed` run (accuracy %, topology score),
    followed by the measured speed-up."""
    methods = [k for k, v in run.items() if isinstance(v, dict)]
    metrics = [k for k in run[methods[0]] if k.endswith("_acc")]
    lines = ["| model | " + " | ".join(metrics) + " | topology score | train s |", "|---|" + "---|" * (len(metrics) + 2)]
    for m in methods:
        r = run[m]
        lines.append(f"| {m} | " + " | ".join(f"{100 * r[k]:.2f}" for k in metrics)
                     + f" | {r['topology']:.3f} | {r['seconds']:.1f} |")
    if speed:
        lines.append("")
        lines.append(f"inference, all {speed['num_nodes']} vertices: teacher {speed['teacher_full_ms']:.2f} ms, "
                     f"student {speed['student_full_ms']:.2f} ms ({speed['full_speedup']:.1f}x)")
        lines.append(f"inference, one vertex: teacher {speed['teacher_request_ms']:.3f} ms (2-hop field of "
                     f"{speed['receptive_field_nodes']} vertices), student {speed['student_request_ms']:.3f} ms "
                     f"({speed['request_speedup']:.0f}x)")
    return "\n".join(lines)


def _distill(args: argparse.Namespace) -> int:
    import warnings

    import torch

    from hgnn.datasets import load
    from hgnn.distill import distill_seed, measure_speedup, method_name, save_student
    from hgnn.train import prepare

    full = prepare(load(args.dataset, root=args.root)).to(args.device)
    run, models = distill_seed(full, args.seed, teacher=args.teacher, setting=args.setting, protocol=args.protocol,
                               modes=(args.mode,), variants=(args.plus,), baselines=("mlp",) if args.mlp else (),
                               lamb=args.lamb, tau=args.tau, noise=args.noise, epochs=args.epochs,
                               progress=not args.no_progress)
    name = method_name(args.plus, args.mode)
    student, teacher = models[name], models[args.teacher]
    speed = None
    if not args.no_speed:
        test_nodes = (full.y >= 0).nonzero().view(-1)
        speed = measure_speedup(teacher, student, full, request=test_nodes[:1])
        speed["num_nodes"] = full.num_nodes
    sizes = run["split_sizes"]
    print(f"{args.dataset}, {args.setting}, seed {args.seed}: train / val / test {sizes[0]} / {sizes[1]} / {sizes[2]}"
          + (f", {run['unseen']} unseen test vertices" if "unseen" in run else "") + "\n")
    print(format_distill(run, speed))
    meta = {"dataset": args.dataset, "teacher": args.teacher, "method": name, "setting": args.setting,
            "seed": args.seed, "accuracy": {k: v for k, v in run[name].items() if k.endswith("_acc")}}
    if args.save:
        print(f"student checkpoint: {save_student(student, args.save, **meta)}", file=sys.stderr)
    if args.program:
        path = Path(args.program)
        path.parent.mkdir(parents=True, exist_ok=True)
        from hgnn.distill import export_program

        torch.export.save(export_program(student, full.x[:8]), str(path))
        print(f"torch.export program: {path}", file=sys.stderr)
    if args.export:
        from hgnn.distill import check_onnx, export_onnx

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = export_onnx(student.cpu(), args.export, full.x[:8].cpu())
        check = check_onnx(path, student, full.x.cpu())
        print(f"ONNX student: {path} (same predictions as PyTorch on all {full.num_nodes} vertices, "
              f"max |logit diff| {check['max_abs_diff']:.1e})", file=sys.stderr)
        run["onnx"] = check
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"config": vars(args) | {"func": None}, "run": run, "speed": speed}, indent=1))
        print(f"results: {path}", file=sys.stderr)
    return 0


def _write(reports: list[dict], out: str | None) -> int:
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"results": reports}, indent=1))
        print(f"results: {path}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``hgnn`` argument parser (``datasets`` and ``train`` sub-commands)."""
    from hgnn.train import MODELS, PROTOCOLS

    parser = argparse.ArgumentParser(prog="hgnn", description="Hypergraph neural networks for PyTorch.")
    sub = parser.add_subparsers(dest="command", required=True)

    ds = sub.add_parser("datasets", help="list the datasets and whether they are on disk")
    ds.add_argument("--root", help="data root to look in (default: HGNN_DATA, datasets/, ../shared/datasets)")
    ds.set_defaults(func=_datasets)

    tr = sub.add_parser("train", help="node classification: train, evaluate, print a table",
                        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    tr.add_argument("--task", default="node", choices=("node", "enc"),
                    help="node classification, or edge-dependent node classification (one label per incidence)")
    tr.add_argument("--model", nargs="+", default=["hgnn"], metavar="MODEL",
                    help=f"node: {sorted(MODELS)}; enc: conhd, conhd-unp, conhd-isab, conhd-admm, whatsnet, "
                         "hgnn, hnhn, unigcn, mlp")
    tr.add_argument("--dataset", nargs="+", default=["cocitation-cora"], help="registry names (hgnn datasets)")
    tr.add_argument("--seeds", type=int, default=5, help="runs; seed s also picks split s")
    tr.add_argument("--epochs", type=int, default=200)
    tr.add_argument("--lr", type=float, default=0.01)
    tr.add_argument("--weight-decay", type=float, default=5e-4)
    tr.add_argument("--hidden", type=int, default=32)
    tr.add_argument("--dropout", type=float, default=0.5)
    tr.add_argument("--patience", type=int, default=None, help="early-stopping patience (default: none)")
    tr.add_argument("--protocol", default="auto", choices=("auto",) + PROTOCOLS,
                    help="auto: official masks, else HyperGCN's splits, else random 50/25/25")
    tr.add_argument("--split", type=int, default=None, help="pin one split for every seed")
    tr.add_argument("--features", default=None, choices=("random-projection", "random-walk"),
                    help="synthetic features for sets shipped without them (cocitation-pubmed, coauthorship-dblp)")
    tr.add_argument("--operator", default="isab", choices=("unp", "isab", "sab"), help="CoNHD's set operator (enc)")
    tr.add_argument("--device", default="cpu")
    tr.add_argument("--root", default=None, help="data root")
    tr.add_argument("--out", default=None, help="write the full results (every run, curves) as JSON here")
    tr.add_argument("--plot", default=None, help="save loss / accuracy curves to this image")
    tr.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    tr.set_defaults(func=_train)

    di = sub.add_parser("distill", help="train a teacher, distil it into an MLP (LightHGNN / LightHGNN+), export",
                        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    di.add_argument("--teacher", default="hgnn", choices=("hgnn", "hgnnp", "hnhn", "unigcn"))
    di.add_argument("--dataset", default="cocitation-cora", help="a node-classification dataset with features")
    di.add_argument("--plus", action="store_true", help="LightHGNN+ (high-order soft labels on reliable hyperedges)")
    di.add_argument("--setting", default="transductive", choices=("transductive", "production"))
    di.add_argument("--protocol", default="per-class", choices=PROTOCOLS,
                    help="per-class: LightHGNN's 20 train / 100 val per class")
    di.add_argument("--mode", default="kl", choices=("kl", "reference"),
                    help="kl: textbook KD; reference: the public LightHGNN code's loss")
    di.add_argument("--lamb", type=float, default=0.0, help="weight of the label cross-entropy")
    di.add_argument("--tau", type=float, default=1.0, help="temperature")
    di.add_argument("--noise", type=float, default=1.0, help="feature noise of the reliability quantification")
    di.add_argument("--epochs", type=int, default=200)
    di.add_argument("--seed", type=int, default=0, help="seeds the models and picks the split")
    di.add_argument("--mlp", action="store_true", help="also train the label-only MLP baseline")
    di.add_argument("--export", default=None, help="write the student as ONNX here (checked with onnxruntime)")
    di.add_argument("--program", default=None, help="write the student as a torch.export program (.pt2) here")
    di.add_argument("--save", default=None, help="write a student checkpoint (loads with weights_only=True)")
    di.add_argument("--no-speed", action="store_true", help="skip the inference timing")
    di.add_argument("--device", default="cpu")
    di.add_argument("--root", default=None, help="data root")
    di.add_argument("--out", default=None, help="write the run as JSON here")
    di.add_argument("--no-progress", action="store_true")
    di.set_defaults(func=_distill)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hgnn`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"hgnn {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `hgnn datasets | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
