"""The LightHGNN code's results beside hgnn's, seed by seed (production and transductive).

    python benchmarks/distill/reference/compare.py --ours production_30.json [...] [--reference-dir DIR] [--out FILE]

``--ours``: ``benchmarks/distill/run.py`` result files (a cell found in several: the first file's); ``--reference-dir``: the folder of
``run_reference.py``'s ``reference_prod_<dataset>_hgnn_<student>.json`` (production) and
``reference_trans_...`` (transductive) files (default ``benchmarks/distill/results``). With hgnn's
default protocol (``--split-rng python``) seed ``s`` is the same split (and, in production, the
same unseen vertices) and the same hypergraphs on both sides, so the two can be paired by seed: the
table gives each side's mean ± sample std over the seeds both have, and hgnn minus the reference as
mean ± standard error of the per-seed differences. Accuracy on all test vertices (the reference's
``prod_accuracy`` / ``accuracy``), in percent.
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

#: (row label, hgnn method, reference student file, reference key)
ROWS = (
    ("HGNN (teacher)", "hgnn", "light_hgnn", "teacher"),
    ("LightHGNN", "lighthgnn", "light_hgnn", "student"),
    ("LightHGNN [ref loss]", "lighthgnn[ref]", "light_hgnn", "student"),
    ("LightHGNN+", "lighthgnn+", "light_hgnnp", "student"),
    ("LightHGNN+ [ref loss]", "lighthgnn+[ref]", "light_hgnnp", "student"),
)


def _mean_std(values: list[float]) -> str:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.2f} ± {std:.2f}"


def _mean_se(values: list[float]) -> str:
    se = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):+.2f} ± {se:.2f}"


#: setting -> (reference file prefix, the reference's metric, hgnn's metric)
SETTINGS = {"production": ("reference_prod", "prod_accuracy", "all_acc"),
            "transductive": ("reference_trans", "accuracy", "test_acc")}


def compare(ours: dict, reference_dir: Path) -> tuple[list[dict], str]:
    """Rows (one per setting, dataset and model) and their Markdown table."""
    rows = []
    for key, cell in ours["results"].items():
        dataset, setting = key.split("|")
        if setting not in SETTINGS:
            continue
        prefix, ref_metric, our_metric = SETTINGS[setting]
        by_seed = {run["seed"]: run for run in cell["runs"]}
        for label, method, student, ref_key in ROWS:
            path = reference_dir / f"{prefix}_{dataset}_hgnn_{student}.json"
            if method not in cell["runs"][0] or not path.exists():
                continue
            ref = {run["seed"]: run for run in json.loads(path.read_text())["runs"]}
            seeds = sorted(set(ref) & set(by_seed))
            if not seeds:
                continue
            theirs = [100.0 * ref[s][ref_key][ref_metric] for s in seeds]
            mine = [100.0 * by_seed[s][method][our_metric] for s in seeds]
            rows.append({"setting": setting, "dataset": dataset, "model": label, "seeds": seeds, "reference": theirs, "hgnn": mine,
                         "difference": [a - b for a, b in zip(mine, theirs)]})
    lines = ["| setting | dataset | model | seeds | reference | hgnn | hgnn - reference (paired) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        span = f"{r['seeds'][0]}-{r['seeds'][-1]}" if r["seeds"] == list(range(r["seeds"][0], r["seeds"][-1] + 1)) \
            else str(len(r["seeds"]))
        lines.append(f"| {r['setting']} | {r['dataset']} | {r['model']} | {span} | {_mean_std(r['reference'])} | {_mean_std(r['hgnn'])} "
                     f"| {_mean_se(r['difference'])} |")
    return rows, "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ours", type=Path, nargs="+", required=True, help="benchmarks/distill/run.py's JSON files")
    parser.add_argument("--reference-dir", type=Path, default=Path(__file__).parents[1] / "results")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    args = parser.parse_args()
    for path in args.ours:
        if not path.is_file():
            parser.error(f"--ours {path} is not a file")
    if not args.reference_dir.is_dir():
        parser.error(f"--reference-dir {args.reference_dir} is not a folder")
    ours: dict = {"results": {}, "meta": {}}
    for path in reversed(args.ours):  # the first file wins a cell both have
        report = json.loads(path.read_text())
        ours["results"].update(report.get("results", {}))
        ours["meta"][str(path)] = report.get("meta", {})
    rows, table = compare(ours, args.reference_dir)
    if not rows:
        parser.error("no cell of --ours has a reference file with a common seed")
    print(table)
    if args.out is not None:
        from hgnn.io import write_json

        write_json(args.out, {"ours": [str(p) for p in args.ours], "meta": ours["meta"], "rows": rows})


if __name__ == "__main__":
    main()
