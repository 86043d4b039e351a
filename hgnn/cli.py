"""The ``hgnn`` command: argument parsing only; the work happens in :mod:`hgnn.train` and
:mod:`hgnn.datasets`.

.. code-block:: text

    hgnn datasets [--root DIR]
    hgnn train --model hgnn --dataset cocitation-cora [--seeds 5] [--epochs 200] [--out results.json]
               [--plot curves.png] [--protocol auto|hypergcn|random|per-class|official] ...
    hgnn train --task edge-dependent --model conhd --dataset stackoverflowbiology [--operator unp] ...
    hgnn distill --teacher hgnn --dataset cocitation-cora [--plus] [--setting production]
                 [--export student.onnx] [--save student.pt] [--program student.pt2] [--out report.json]

Arguments, dataset and model names, output paths and optional extras (matplotlib for ``--plot``,
onnx / onnxscript / onnxruntime for ``--export``) are checked before any training: a problem is one
line on stderr and exit status 2. Outputs are written atomically; ``hgnn train --out`` is rewritten
after every finished seed (``"complete": false`` until the end), and Ctrl-C ends with exit status
130 and a line saying where the finished seeds are.
"""
from __future__ import annotations

import argparse
import difflib
import functools
import importlib
import math
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from hgnn.io import atomic_path, check_output_path, write_json

__all__ = ["main", "build_parser", "format_table", "format_edge_dependent_table", "format_distill"]


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except ``None`` (the help then says what the task picks)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return action.help if action.default is None else super()._get_help_string(action)


class _Refused(Exception):
    """A check before any work failed: one line on stderr, exit status 2."""


def _number(text: str, kind: Callable[[str], Any]) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}")
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _ranged(kind: Callable[[str], Any], accept: Callable[[Any], bool], what: str, doc: str) -> Callable[[str], Any]:
    """An ``argparse`` type: ``kind(text)``, finite, and refused unless ``accept(value)``."""

    def parse(text: str) -> Any:
        value = _number(text, kind)
        if not accept(value):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    parse.__doc__ = f"``argparse`` type: {doc}."
    return parse


positive_int = _ranged(int, lambda v: v >= 1, "an integer >= 1", "an integer >= 1")
non_negative_int = _ranged(int, lambda v: v >= 0, "an integer >= 0", "an integer >= 0")
positive_float = _ranged(float, lambda v: v > 0, "a number > 0", "a finite number > 0")
non_negative_float = _ranged(float, lambda v: v >= 0, "a number >= 0", "a finite number >= 0")
probability = _ranged(float, lambda v: 0 <= v < 1, "in [0, 1)", "a number in [0, 1) (a dropout probability)")
unit_interval = _ranged(float, lambda v: 0 <= v <= 1, "in [0, 1]", "a number in [0, 1] (a mixing weight)")


def _did_you_mean(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name.strip().lower().replace("_", "-"), list(choices), n=3, cutoff=0.6)
    return f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""


def _check_dataset(name: str) -> None:
    """Refuse an unknown dataset name before anything is loaded (the registry's error suggests the
    closest names)."""
    from hgnn.datasets import get_spec

    try:
        get_spec(name)
    except ValueError as err:
        raise _Refused(str(err)) from None


def _check_models(models: Sequence[str], known: Sequence[str], task: str,
                  normalize: Callable[[str], str] = str.lower) -> None:
    unknown = [m for m in models if normalize(m) not in known]
    if unknown:
        hint = _did_you_mean(unknown[0], known)
        raise _Refused(f"--task {task}: unknown model(s) {unknown}; {hint}choose from {list(known)}")


def _check_output(path: str | None, option: str) -> None:
    if path is not None:
        try:
            check_output_path(path, option)
        except OSError as err:
            raise _Refused(str(err)) from None


def _check_extra(modules: Sequence[str], option: str, extra: str) -> None:
    """Refuse ``option`` when one of ``modules`` (an optional dependency) cannot be imported."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise _Refused(f"{option} needs {module}, which is not installed: pip install 'hgnn[{extra}]'") from None


def _check_distinct_outputs(args: argparse.Namespace, outputs: Sequence[tuple[str, str | Path | None]]) -> None:
    """Refuse two output options of one command that name the same file: the later write would
    replace the earlier one. ``outputs`` are ``(option, path)`` pairs; ``None`` paths are skipped."""
    seen: dict[Path, str] = {}
    for option, path in outputs:
        if path is None:
            continue
        first = seen.setdefault(Path(path).resolve(), option)
        if first != option:
            args.command_parser.error(f"{first} and {option} both write {str(path)!r}: the later output would "
                                      "replace the earlier one; give each its own file")


def _check_device(args: argparse.Namespace) -> None:
    """Refuse a ``--device`` that torch cannot parse, or a CUDA device this machine does not have."""
    from hgnn.structure.validate import check_device

    try:
        check_device(args.device, "--device")
    except ValueError as err:
        args.command_parser.error(str(err))


def _check_plot_format(args: argparse.Namespace) -> None:
    """Refuse a ``--plot`` file whose suffix is not an image format matplotlib writes (matplotlib
    picks the format from the suffix; it must be installed)."""
    from matplotlib.backend_bases import FigureCanvasBase

    formats = sorted(FigureCanvasBase.get_supported_filetypes())
    suffix = Path(args.plot).suffix[1:].lower()
    if suffix not in formats:
        what = f"suffix .{suffix}" if suffix else "no suffix"
        args.command_parser.error(f"--plot {args.plot!r} has {what}, not an image format matplotlib writes; "
                                  f"end it in one of {', '.join('.' + f for f in formats)}")


def _mean_std(summary: dict, key: str) -> str:
    """``summary[key]`` as ``"mean ± std"`` with two decimals."""
    return f"{summary[key]['mean']:.2f} ± {summary[key]['std']:.2f}"


def format_table(reports: Sequence[dict]) -> str:
    """A Markdown table of :func:`~hgnn.train.run_node_classification` reports (mean +- std, %)."""
    cols = ("model", "dataset", "protocol", "seeds", "val acc", "test acc", "test macro-F1", "ms / epoch")
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in reports:
        s = r["summary"]
        pm = functools.partial(_mean_std, s)
        lines.append(f"| {r['model']} | {r['dataset']} | {r['protocol']} | {r['config']['seeds']} | "
                     f"{pm('val_acc')} | {pm('test_acc')} | {pm('test_macro_f1')} | {s['epoch_ms']:.1f} |")
    return "\n".join(lines)


def _datasets(args: argparse.Namespace) -> int:
    from hgnn.datasets import available
    from hgnn.datasets.root import candidate_roots, data_cache_dir, derived_cache_dir, download_root

    rows = available() if args.root is None else available(root=args.root)
    width = max(len(r.name) for r in rows)
    print(f"{'name':<{width}}  {'task':<19}  {'on disk':<7}  description")
    for r in rows:
        print(f"{r.name:<{width}}  {r.task:<19}  {'yes' if r.on_disk else 'no':<7}  {r.description}")
    print(f"\n{sum(r.on_disk for r in rows)} of {len(rows)} on disk")
    print("data roots searched, in order:")
    for folder in candidate_roots(args.root):
        origin = "--root" if args.root is not None else "user cache" if folder == data_cache_dir() else "HGNN_DATA"
        print(f"  {folder}  ({origin}{'' if folder.is_dir() else ', does not exist yet'})")
    print(f"downloads go to: {download_root(args.root)}")
    print(f"derived caches go to: {derived_cache_dir()}")
    return 0


def format_edge_dependent_table(reports: Sequence[dict]) -> str:
    """A Markdown table of :func:`~hgnn.tasks.edge_dependent.run_edge_dependent` reports (micro-/macro-F1, %)."""
    lines = ["| model | dataset | seeds | test micro-F1 | test macro-F1 | s / epoch |", "|---|---|---|---|---|---|"]
    for r in reports:
        s = r["summary"]
        pm = functools.partial(_mean_std, s)
        lines.append(f"| {r['model']} | {r['dataset']} | {len(r['runs'])} | {pm('test_micro_f1')} | "
                     f"{pm('test_macro_f1')} | {s['epoch_s']:.1f} |")
    return "\n".join(lines)


def _plot_path(args: argparse.Namespace, model: str, dataset: str) -> Path:
    """``--plot``'s file for one model and dataset (suffixed with both when there are several)."""
    path = Path(args.plot)
    if len(args.model) * len(args.dataset) > 1:
        path = path.with_name(f"{path.stem}-{model}-{dataset}{path.suffix}")
    return path


#: ``hgnn train`` options that only one task reads: giving one to the other task is refused.
_TASK_OPTIONS = {"node": ("weight_decay", "protocol", "split", "features", "plot"),
                 "edge-dependent": ("operator", "whole_graph", "precision")}


def _check_train(args: argparse.Namespace) -> None:
    """Everything ``hgnn train`` can check before loading data: names, options, the device, outputs
    (each writable, no two at the same file, ``--plot`` in an image format), extras."""
    from hgnn.tasks import MODELS
    from hgnn.tasks.edge_dependent import EDGE_DEPENDENT_MODELS

    other = "edge-dependent" if args.task == "node" else "node"
    for key in _TASK_OPTIONS[other]:
        if getattr(args, key) is not None:
            raise _Refused(f"--{key.replace('_', '-')} is an option of --task {other}, not of --task {args.task}")
    if args.task == "edge-dependent":
        _check_models(args.model, EDGE_DEPENDENT_MODELS, "edge-dependent")
        args.dataset = [d if d.startswith("enc-") else f"enc-{d}" for d in args.dataset]
    else:
        _check_models(args.model, sorted(MODELS), "node", lambda m: m.lower().replace("+", "p"))
    for dataset in args.dataset:
        _check_dataset(dataset)
    _check_device(args)
    _check_output(args.out, "--out")
    plots = [] if args.plot is None else [_plot_path(args, m, d) for d in args.dataset for m in args.model]
    for path in plots:
        _check_output(str(path), "--plot")
    _check_distinct_outputs(args, [("--out", args.out)] + [("--plot", path) for path in plots])
    if args.plot is not None:
        _check_extra(("matplotlib",), "--plot", "plot")
        _check_plot_format(args)


def _run_edge_dependent(args: argparse.Namespace, model: str, dataset: str,
                        on_seed: Callable[[dict], None]) -> dict:
    from hgnn.tasks.edge_dependent import WHOLE_GRAPH, run_edge_dependent

    given = {k: getattr(args, k) for k in ("lr", "hidden", "dropout", "patience", "precision")
             if getattr(args, k) is not None}
    if args.whole_graph:  # one full-batch step per epoch; options given explicitly win
        given = {**WHOLE_GRAPH, **given}
    return run_edge_dependent(model, dataset, seeds=args.seeds, epochs=args.epochs, operator=args.operator or "isab",
                              device=args.device, root=args.root, progress=not args.no_progress, on_seed=on_seed,
                              **given)


def _run_node(args: argparse.Namespace, model: str, dataset: str, on_seed: Callable[[dict], None]) -> dict:
    from hgnn.tasks import run_node_classification

    dataset_kwargs = {"features": args.features} if args.features else {}
    return run_node_classification(
        model, dataset, seeds=args.seeds, protocol=args.protocol or "auto", split=args.split, epochs=args.epochs,
        lr=0.01 if args.lr is None else args.lr, hidden=32 if args.hidden is None else args.hidden,
        weight_decay=5e-4 if args.weight_decay is None else args.weight_decay,
        dropout=0.5 if args.dropout is None else args.dropout, patience=args.patience, device=args.device,
        root=args.root, dataset_kwargs=dataset_kwargs, progress=not args.no_progress, on_seed=on_seed)


def _train(args: argparse.Namespace) -> int:
    _check_train(args)
    reports: list[dict] = []
    finished = 0  # seeds whose results are in --out

    def on_seed(partial: dict) -> None:
        nonlocal finished
        if args.out:
            _write(args.out, reports + [partial], complete=False)
        finished = sum(len(r["runs"]) for r in reports) + len(partial["runs"])

    try:
        for dataset in args.dataset:
            for model in args.model:
                run = _run_edge_dependent if args.task == "edge-dependent" else _run_node
                report = run(args, model, dataset, on_seed)
                reports.append(report)
                if args.plot:
                    from hgnn.train import plot_curves

                    path = plot_curves([r["history"] for r in report["runs"]], _plot_path(args, model, dataset),
                                       title=f"{model} on {dataset} ({args.seeds} seeds)")
                    print(f"curves: {path}", file=sys.stderr)
    except KeyboardInterrupt:
        if args.out and finished:
            where = f"the {finished} finished seed(s) are in {args.out} (marked \"complete\": false)"
        elif args.out:
            where = f"no seed had finished; {args.out} was not written"
        else:
            where = f"{finished} seed(s) had finished; pass --out to keep finished seeds"
        print(f"hgnn train: interrupted; {where}", file=sys.stderr)
        return 130
    print((format_edge_dependent_table if args.task == "edge-dependent" else format_table)(reports))
    if args.out:
        print(f"results: {_write(args.out, reports, complete=True)}", file=sys.stderr)
    return 0


def format_distill(run: dict, speed: dict | None = None) -> str:
    """A Markdown table of one :func:`~hgnn.distill.distill_seed` run (accuracy %, topology score),
    followed by the measured speed-up."""
    methods = [k for k, v in run.items() if isinstance(v, dict)]
    metrics = [k for k in run[methods[0]] if k.endswith("_acc")]
    lines = ["| model | " + " | ".join(metrics) + " | topology score | train s |",
             "|---|" + "---|" * (len(metrics) + 2)]
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


def _check_distill(args: argparse.Namespace) -> None:
    """Everything ``hgnn distill`` can check before loading data: the dataset, options, the device,
    outputs (each writable, no two at the same file), extras."""
    _check_dataset(args.dataset)
    if args.augment > 0 and args.one_hop:
        args.command_parser.error("--augment corrupts the features the teacher and a features-only student read; "
                                  "it does not apply with --one-hop: drop one of them")
    _check_device(args)
    outputs = [(f"--{option}", getattr(args, option)) for option in ("out", "save", "export", "program")]
    for option, path in outputs:
        _check_output(path, option)
    _check_distinct_outputs(args, outputs)
    if args.export is not None:  # export_onnx needs onnx and onnxscript, check_onnx onnxruntime
        _check_extra(("onnx", "onnxscript", "onnxruntime"), "--export", "export")


def _distill(args: argparse.Namespace) -> int:
    import warnings

    import torch

    from hgnn.datasets import load
    from hgnn.distill import distill_seed, measure_speedup, method_name, save_student, student_input
    from hgnn.transforms import prepare

    _check_distill(args)
    kind = "one-hop" if args.one_hop else "features"
    full = prepare(load(args.dataset, root=args.root))
    if not args.keep_duplicates:
        full, _ = full.merge_duplicate_edges()
    full = full.to(args.device)
    run, models = distill_seed(full, args.seed, teacher=args.teacher, setting=args.setting, protocol=args.protocol,
                               modes=(args.mode,), variants=(args.plus,), baselines=("mlp",) if args.mlp else (),
                               lamb=args.lamb, tau=args.tau, noise=args.noise, epochs=args.epochs,
                               split_rng=args.split_rng, merge_duplicates=not args.keep_duplicates,
                               teacher_init=args.teacher_init, student_inputs=(kind,), augment=args.augment,
                               progress=not args.no_progress)
    name = method_name(args.plus, args.mode, kind)
    student, teacher = models[name], models[args.teacher]
    speed = None
    if not args.no_speed:
        test_nodes = (full.y >= 0).nonzero().view(-1)
        speed = measure_speedup(teacher, student, full, request=test_nodes[:1], student_input=kind)
        speed["num_nodes"] = full.num_nodes
    sizes = run["split_sizes"]
    print(f"{args.dataset}, {args.setting}, seed {args.seed}: train / val / test {sizes[0]} / {sizes[1]} / {sizes[2]}"
          + (f", {run['unseen']} unseen test vertices" if "unseen" in run else "") + "\n")
    print(format_distill(run, speed))
    x_student = student_input(kind, full.x, full)
    meta = {"dataset": args.dataset, "teacher": args.teacher, "method": name, "student_input": kind,
            "setting": args.setting,
            "seed": args.seed, "accuracy": {k: v for k, v in run[name].items() if k.endswith("_acc")}}
    if args.save:
        print(f"student checkpoint: {save_student(student, args.save, **meta)}", file=sys.stderr)
    if args.program:
        from hgnn.distill import export_program

        program = export_program(student, x_student[:8])
        with atomic_path(args.program) as tmp:
            torch.export.save(program, str(tmp))
        print(f"torch.export program: {args.program}", file=sys.stderr)
    if args.export:
        from hgnn.distill import check_onnx, export_onnx

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = export_onnx(student.cpu(), args.export, x_student[:8].cpu())
        check = check_onnx(path, student, x_student.cpu())
        print(f"ONNX student: {path} (same predictions as PyTorch on all {full.num_nodes} vertices, "
              f"max |logit diff| {check['max_abs_diff']:.1e})", file=sys.stderr)
        run["onnx"] = check
    if args.out:
        config = {k: v for k, v in vars(args).items() if k not in ("func", "command_parser")}
        print(f"results: {write_json(args.out, {'config': config, 'run': run, 'speed': speed})}", file=sys.stderr)
    return 0


def _write(out: str, reports: list[dict], complete: bool) -> Path:
    """Write ``reports`` to ``out`` atomically; ``complete`` says whether every run has finished."""
    return write_json(out, {"complete": complete, "results": reports})


def build_parser() -> argparse.ArgumentParser:
    """The ``hgnn`` argument parser (``datasets``, ``train`` and ``distill`` sub-commands).

    Options must be spelt out (no prefix matching: ``--seed`` is not ``--seeds``) and numbers are
    range-checked as they are parsed; each sub-command's errors print that sub-command's usage.
    """
    from hgnn.tasks import MODELS
    from hgnn.train import PROTOCOLS
    from hgnn.tasks.edge_dependent import EDGE_DEPENDENT_MODELS, PRECISIONS

    parser = argparse.ArgumentParser(prog="hgnn", description="Hypergraph neural networks for PyTorch.",
                                     allow_abbrev=False)
    sub = parser.add_subparsers(dest="command", required=True)

    ds = sub.add_parser("datasets", help="list the datasets and whether they are on disk", allow_abbrev=False)
    ds.add_argument("--root", help="the only data folder to look in (default: the HGNN_DATA folders, then "
                    "~/.cache/hgnn/datasets)")
    ds.set_defaults(func=_datasets, command_parser=ds)

    tr = sub.add_parser("train", help="node classification: train, evaluate, print a table",
                        formatter_class=_HelpFormatter, allow_abbrev=False)
    tr.add_argument("--task", default="node", choices=("node", "edge-dependent"),
                    help="node classification, or edge-dependent node classification (one label per incidence)")
    tr.add_argument("--model", nargs="+", default=["hgnn"], metavar="MODEL",
                    help=f"node: {', '.join(sorted(MODELS))}; edge-dependent: {', '.join(EDGE_DEPENDENT_MODELS)}")
    tr.add_argument("--dataset", nargs="+", default=["cocitation-cora"], help="registry names (hgnn datasets)")
    tr.add_argument("--seeds", type=positive_int, default=5, help="runs; seed s also picks split s")
    tr.add_argument("--epochs", type=positive_int, default=200)
    tr.add_argument("--lr", type=positive_float, default=None,
                    help="learning rate (node: 0.01; edge-dependent: 0.001)")
    tr.add_argument("--weight-decay", type=non_negative_float, default=None, help="node: 5e-4")
    tr.add_argument("--hidden", type=positive_int, default=None,
                    help="hidden width (node: 32; edge-dependent: 128 CoNHD, 64)")
    tr.add_argument("--dropout", type=probability, default=None,
                    help="dropout in [0, 1) (node: 0.5; edge-dependent: 0.7 CoNHD, 0.5)")
    tr.add_argument("--patience", type=positive_int, default=None,
                    help="early-stopping patience in epochs (node: none; edge-dependent: 5 evaluations)")
    tr.add_argument("--protocol", default=None, choices=("auto",) + PROTOCOLS,
                    help="node; auto (default): official masks, else HyperGCN's splits, else random 50/25/25")
    tr.add_argument("--split", type=non_negative_int, default=None,
                    help="node: pin one split for every seed (0..9 for HyperGCN's splits)")
    tr.add_argument("--features", default=None, choices=("random-projection", "random-walk"),
                    help="synthetic features for sets shipped without them (cocitation-pubmed, coauthorship-dblp)")
    tr.add_argument("--operator", default=None, choices=("unp", "isab", "sab"),
                    help="CoNHD's set operator (edge-dependent; isab when not given)")
    tr.add_argument("--whole-graph", action="store_const", const=True, default=None,
                    help="edge-dependent: one step per epoch on the whole hypergraph and every training incidence "
                         "(lr 3e-3 unless --lr, no decay, validation every 10 steps; --epochs counts steps): CoNHD "
                         "reaches the reference's accuracy several times sooner on a CPU than with mini-batches")
    tr.add_argument("--precision", default=None, choices=PRECISIONS,
                    help="edge-dependent: bfloat16 runs the training steps in mixed precision (float32 default)")
    tr.add_argument("--device", default="cpu")
    tr.add_argument("--root", default=None, help="data root")
    tr.add_argument("--out", default=None, help="write the full results (every run, curves) as JSON here")
    tr.add_argument("--plot", default=None, help="node: save loss / accuracy curves to this image (needs matplotlib)")
    tr.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    tr.set_defaults(func=_train, command_parser=tr)

    di = sub.add_parser("distill", help="train a teacher, distil it into an MLP (LightHGNN / LightHGNN+), export",
                        formatter_class=_HelpFormatter, allow_abbrev=False)
    di.add_argument("--teacher", default="hgnn", choices=("hgnn", "hgnnp", "hnhn", "unigcn"))
    di.add_argument("--dataset", default="cocitation-cora", help="a node-classification dataset with features")
    di.add_argument("--plus", action="store_true", help="LightHGNN+ (high-order soft labels on reliable hyperedges)")
    di.add_argument("--setting", default="transductive", choices=("transductive", "production"))
    di.add_argument("--protocol", default="per-class", choices=PROTOCOLS,
                    help="per-class: LightHGNN's 20 train / 100 val per class")
    di.add_argument("--one-hop", action="store_true",
                    help="the student also reads the mean of its co-members' features (needs the vertex's "
                         "hyperedges at inference; narrows the gap to the teacher in production)")
    di.add_argument("--augment", type=probability, default=0.0,
                    help="function matching: share of input entries dropped each step for teacher and student "
                         "alike, in [0, 1) (0: LightHGNN's fixed soft labels)")
    di.add_argument("--split-rng", default="python", choices=("python", "torch"),
                    help="per-class split draw: python gives the LightHGNN code's split for the same seed")
    di.add_argument("--keep-duplicates", action="store_true",
                    help="keep hyperedges with equal members (default: merged into one, as DHG does)")
    di.add_argument("--teacher-init", default="torch", choices=("torch", "glorot"),
                    help="teacher's initial weights: PyTorch's nn.Linear default (as DHG) or Glorot")
    di.add_argument("--mode", default="kl", choices=("kl", "reference"),
                    help="kl: textbook KD; reference: the public LightHGNN code's loss")
    di.add_argument("--lamb", type=unit_interval, default=0.0, help="weight of the label cross-entropy, in [0, 1]")
    di.add_argument("--tau", type=positive_float, default=1.0, help="temperature (> 0)")
    di.add_argument("--noise", type=non_negative_float, default=1.0,
                    help="feature noise of the reliability quantification")
    di.add_argument("--epochs", type=positive_int, default=200)
    di.add_argument("--seed", type=non_negative_int, default=0, help="seeds the models and picks the split")
    di.add_argument("--mlp", action="store_true", help="also train the label-only MLP baseline")
    di.add_argument("--export", default=None,
                    help="write the student as ONNX here, checked with onnxruntime (needs hgnn[export])")
    di.add_argument("--program", default=None, help="write the student as a torch.export program (.pt2) here")
    di.add_argument("--save", default=None, help="write a student checkpoint (loads with weights_only=True)")
    di.add_argument("--no-speed", action="store_true", help="skip the inference timing")
    di.add_argument("--device", default="cpu")
    di.add_argument("--root", default=None, help="data root")
    di.add_argument("--out", default=None, help="write the run as JSON here")
    di.add_argument("--no-progress", action="store_true")
    di.set_defaults(func=_distill, command_parser=di)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hgnn`` command; returns the exit status.

    0: done; 2: bad arguments, refused before any training (one line on stderr, or argparse's usage
    and one line); 1: an output could not be written; 130: interrupted (Ctrl-C), with one line
    saying what was kept.
    """
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:  # reported by the sub-command, with its usage
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"hgnn {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `hgnn datasets | head`
        sys.stderr.close()
        return 0
    except (_Refused, ValueError, TypeError, FileNotFoundError, NotADirectoryError, IsADirectoryError) as err:
        print(f"hgnn {args.command}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # e.g. the disk filled up while writing an output
        print(f"hgnn {args.command}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
