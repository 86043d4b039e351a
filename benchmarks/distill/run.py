"""LightHGNN / LightHGNN+ against their teacher and an MLP on every node-classification dataset with features.

    python benchmarks/distill/run.py [--seeds 5] [--datasets ...] [--settings transductive production] [--resume]

Every cell is :func:`hgnn.distill.run_distillation` (the public LightHGNN code's settings): seed ``s``
draws LightHGNN's split ``s`` (20 training and 100 validation vertices per class, the rest test;
``zoo`` and ``ntu2012`` have classes of 4 and 10 vertices, so they use AllSet's random 50/25/25
split instead), an HGNN teacher (hidden 32, dropout 0.5) and the baselines (HGNN+, and an MLP of
the student's shape on labels alone) train for 200 epochs with Adam (lr 0.01, weight decay 5e-4)
and keep their best validation epoch; the students (MLP 128 hidden, batch norm, dropout 0.5) distil
for 200 epochs with lambda = 0, tau = 1, reliability noise 1, once with the textbook KL (``kl``) and
once with the public code's loss (``[ref]``; see :mod:`hgnn.distill.losses`). Production setting:
90% of the test vertices unseen in training (teacher on the observed sub-hypergraph), and one-hop
students beside the plain ones (:mod:`hgnn.distill.inputs`). The protocol follows the LightHGNN
code: its split draw (seed ``s`` is its split ``s``), duplicate hyperedges merged as DHG does, and
PyTorch's default initialisation for the teacher (``--split-rng``, ``--keep-duplicates``,
``--teacher-init`` change them).

Writes ``benchmarks/distill/results/distill.json`` after every cell and prints Markdown tables (test accuracy,
mean ± std over seeds; production: all / unseen test vertices) and the topology-aware scores.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from pathlib import Path

import torch
from tqdm.auto import tqdm

DATASETS = ("cocitation-cora", "cocitation-citeseer", "coauthorship-cora", "20newsw100", "ntu2012", "zoo",
            "mushroom", "imdb-magnn")
#: datasets whose smallest class cannot give 20 + 100 vertices
RANDOM_SPLIT = {"zoo", "ntu2012"}
METHODS = ("mlp", "hgnn", "hgnnp", "lighthgnn", "lighthgnn+", "lighthgnn[ref]", "lighthgnn+[ref]")
#: production only: students that also read their co-members' mean features (hgnn.distill.inputs)
ONE_HOP = ("hgnn", "lighthgnn", "lighthgnn+", "mlp[1-hop]", "lighthgnn[1-hop]", "lighthgnn+[1-hop]",
           "lighthgnn[ref][1-hop]", "lighthgnn+[ref][1-hop]")
NAMES = {"mlp": "MLP", "hgnn": "HGNN", "hgnnp": "HGNN+", "lighthgnn": "LightHGNN", "lighthgnn+": "LightHGNN+",
         "lighthgnn[ref]": "LightHGNN [ref loss]", "lighthgnn+[ref]": "LightHGNN+ [ref loss]",
         "mlp[1-hop]": "MLP 1-hop", "lighthgnn[1-hop]": "LightHGNN 1-hop", "lighthgnn+[1-hop]": "LightHGNN+ 1-hop",
         "lighthgnn[ref][1-hop]": "LightHGNN 1-hop [ref loss]", "lighthgnn+[ref][1-hop]": "LightHGNN+ 1-hop [ref loss]"}


def _metric(setting: str, which: str = "all") -> str:
    return "test_acc" if setting == "transductive" else f"{which}_acc"


def table(results: dict, datasets: list[str], setting: str, which: str = "all", methods: tuple = METHODS) -> str:
    metric = _metric(setting, which)
    head = ["dataset"] + [NAMES[m] for m in methods]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    means: dict[str, list[float]] = {m: [] for m in methods}
    for d in datasets:
        r = results.get(f"{d}|{setting}")
        if r is None:
            continue
        cells = []
        for m in methods:
            s = r["summary"].get(m, {}).get(metric)
            if s is None:
                cells.append("-")
                continue
            means[m].append(s["mean"])
            cells.append(f"{s['mean']:.2f} ± {s['std']:.2f}")
        lines.append(f"| {d} | " + " | ".join(cells) + " |")
    if any(means.values()):
        lines.append("| **mean** | " + " | ".join(f"**{statistics.fmean(v):.2f}**" if v else "-"
                                                for v in means.values()) + " |")
    return "\n".join(lines)


def topology_table(results: dict, datasets: list[str]) -> str:
    lines = ["| dataset | " + " | ".join(NAMES[m] for m in METHODS) + " |", "|" + "---|" * (len(METHODS) + 1)]
    for d in datasets:
        r = results.get(f"{d}|transductive")
        if r is None:
            continue
        lines.append(f"| {d} | " + " | ".join(f"{r['summary'][m]['topology']['mean']:.3f}"
                                              if m in r["summary"] else "-" for m in METHODS) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--settings", nargs="+", default=["transductive", "production"],
                        choices=("transductive", "production"))
    parser.add_argument("--teacher", default="hgnn")
    parser.add_argument("--split-rng", default="python", choices=("python", "torch"),
                        help="per-class split draw: python = the LightHGNN code's split s for seed s")
    parser.add_argument("--keep-duplicates", action="store_true",
                        help="keep hyperedges with equal members (default: merged, as DHG)")
    parser.add_argument("--teacher-init", default="torch", choices=("torch", "glorot"))
    parser.add_argument("--no-one-hop", action="store_true", help="production: skip the one-hop students")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--resume", action="store_true", help="keep the cells already in --out")
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "distill.json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from hgnn.distill import run_distillation
    from hgnn.io import write_json

    results: dict = {}
    if (args.resume or args.table_only) and args.out.exists():
        results = json.loads(args.out.read_text())["results"]
    todo = [] if args.table_only else [(d, s) for s in args.settings for d in args.datasets
                                       if f"{d}|{s}" not in results]
    for dataset, setting in tqdm(todo, desc="cells"):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = run_distillation(dataset, teacher=args.teacher, setting=setting, seeds=args.seeds,
                                      protocol="random" if dataset in RANDOM_SPLIT else "per-class",
                                      modes=("kl", "reference"), baselines=("mlp", "hgnnp"), epochs=args.epochs,
                                      split_rng=args.split_rng, merge_duplicates=not args.keep_duplicates,
                                      teacher_init=args.teacher_init, device=args.device, progress=False,
                                      student_inputs=("features",) if setting == "transductive" or args.no_one_hop
                                      else ("features", "one-hop"))
        report["seconds"] = time.perf_counter() - start
        results[f"{dataset}|{setting}"] = report
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_json(args.out, {"meta": {"seeds": args.seeds, "epochs": args.epochs, "teacher": args.teacher,
                                       "split_rng": args.split_rng, "merge_duplicates": not args.keep_duplicates,
                                       "teacher_init": args.teacher_init,
                                       "torch": torch.__version__, "threads": torch.get_num_threads()},
                              "results": results})
        s = report["summary"]
        metric = _metric(setting)
        tqdm.write(f"{dataset:20s} {setting:12s} " + "  ".join(
            f"{m} {s[m][metric]['mean']:.1f}" for m in METHODS if m in s) + f"  ({report['seconds']:.0f} s)")
    datasets = list(args.datasets)
    for setting in args.settings:
        print(f"\n{setting}: test accuracy (%)" + (", all test vertices" if setting == "production" else "") + "\n")
        print(table(results, datasets, setting))
        if setting == "production":
            print("\nproduction: unseen test vertices (%)\n")
            print(table(results, datasets, setting, "unseen"))
            print("\nproduction: observed test vertices (%)\n")
            print(table(results, datasets, setting, "observed"))
            print("\nproduction, one-hop students (they also read their co-members' mean features, so they need "
                  "the vertex's hyperedges at inference): all test vertices (%)\n")
            print(table(results, datasets, setting, "all", ONE_HOP))
    print("\ntopology-aware score (transductive; mean distance of hidden embeddings to their hyperedge centre)\n")
    print(topology_table(results, datasets))


if __name__ == "__main__":
    main()
