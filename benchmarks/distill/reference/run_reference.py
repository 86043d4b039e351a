"""Run the LightHGNN reference implementation (github.com/iMoonLab/LightHGNN) in its production or
transductive setting on hgnn's copy of a co-citation dataset and record its results in a JSON file.

Run it with the reference environment's interpreter (``setup.sh`` beside this file builds it):

    .venv-lighthgnn-ref/bin/python benchmarks/distill/reference/run_reference.py \\
        --dataset cocitation-cora --teacher hgnn --student light_hgnn \\
        --out benchmarks/distill/results/reference_prod_cocitation-cora_hgnn_light_hgnn.json

What runs is the reference's own ``exp(seed, cfg)`` from ``prod_train.py`` (``--setting
transductive``: ``trans_train.py``; imported from the extracted checkout, its files unmodified),
once per seed (default 0-4, as ``prod_multi_exp.py``). ``cfg`` is the reference's
``prod_config.yaml`` (``trans_config.yaml``) loaded with OmegaConf, with ``data.name``,
``model.teacher`` and ``model.student`` set from the options and any ``--set key=value`` applied;
hydra itself is not started (``exp`` only reads ``cfg.data``, ``cfg.model`` and ``cfg.loss``).

Patches (all recorded in the JSON under ``patches``):

- ``load_data`` (in ``utils`` and in ``prod_train`` / ``trans_train``, which import the name): the reference
  downloads DHG's ``CocitationCora`` / ``CocitationCiteseer``. Instead it gets the HyperGCN pickles
  those classes serve, from hgnn's data folder, in the layout ``exp`` reads: ``num_vertices``,
  ``num_classes``, ``features`` (DHG's own ``to_tensor`` then ``norm_ft(ord=1)``, as DHG's
  dataset classes preprocess them), ``labels`` (a LongTensor) and the edge list (the pickle's
  hyperedges in its stored order, as vertex lists).
- ``split_by_num``, ``product_split``, ``sub_hypergraph`` and ``fix_iso_v`` (the names in
  ``prod_train``; ``trans_train`` has only the first and the last): wrapped, same arguments and results, to record the drawn split (sizes and a
  SHA-256 of each vertex set; the ids themselves with ``--record-split``) and the sizes of the
  hypergraphs the teacher sees.

The pickles are read with hgnn's restricted unpickler (``hgnn/datasets/safe_pickle.py``, loaded by
file path: hgnn itself is not installed in the reference environment).

The JSON (written atomically after every seed, and at the end) holds the settings and the full
config, the reference commit, versions, threads, the machine, the data files' SHA-256, per seed the
teacher's and the student's results exactly as the reference's ``test`` / ``test_stu`` return them
(fractions; production: ``prod_`` = all test vertices, ``ind_`` = the unseen test vertices,
``trans_`` = the observed test vertices; transductive: no prefix, all test vertices) with their
best epochs, and per metric the mean and standard deviation over
the seeds in percent (``std``: sample, ddof 1, as hgnn's reports; ``std_pop``: ddof 0, as the
reference's ``MultiExpMetric`` prints).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import logging
import os
import platform
import re
import statistics
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parents[1]))  # benchmarks/: the helpers the reference harnesses share
from reference_harness import (find_data_root, machine_info, nonneg_int, positive_int,  # noqa: E402
                               read_source_info, sha256_file, write_json_atomic)
#: hgnn's dataset names -> (the reference's ``data.name``, the folder under the data root).
DATASETS = {"cocitation-cora": ("cc_cora", "cocitation-cora"),
            "cocitation-citeseer": ("cc_citeseer", "cocitation-citeseer")}
ALIASES = {"cc_cora": "cocitation-cora", "cc_citeseer": "cocitation-citeseer"}
DATA_FILES = ("features.pickle", "labels.pickle", "hypergraph.pickle")
TEACHERS = ("hgnn", "hgnnp", "hnhn", "unigcn")  # prod_train.exp's choices
#: setting -> (the reference's module, its config file)
SETTINGS = {"production": ("prod_train", "prod_config.yaml"), "transductive": ("trans_train", "trans_config.yaml")}
STUDENTS = ("light_hgnn", "light_hgnnp")
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS")


# ----------------------------------------------------------------------------------------- options
def dataset_name(value: str) -> str:
    key = ALIASES.get(value.lower(), value.lower())
    if key not in DATASETS:
        raise argparse.ArgumentTypeError(
            f"unknown dataset {value!r}; choose from {', '.join(DATASETS)} (or {', '.join(ALIASES)})")
    return key


# This script runs in the reference's own environment, where hgnn is not installed, so it keeps its
# own argument checks instead of importing hgnn.cli's.
def override(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+=.*", value):
        raise argparse.ArgumentTypeError(f"expected section.key=value (e.g. loss.tau=2.0), got {value!r}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, type=dataset_name,
                   help=f"one of {', '.join(DATASETS)} (or the reference's names {', '.join(ALIASES)})")
    p.add_argument("--setting", choices=tuple(SETTINGS), default="production",
                   help="production (prod_train.py, default) or transductive (trans_train.py)")
    p.add_argument("--teacher", choices=TEACHERS, default="hgnn", help="model.teacher (default hgnn)")
    p.add_argument("--student", choices=STUDENTS, default="light_hgnn",
                   help="model.student: light_hgnn (LightHGNN) or light_hgnnp (LightHGNN+); default light_hgnn")
    p.add_argument("--seeds", type=nonneg_int, nargs="+", default=[0, 1, 2, 3, 4],
                   help="seeds passed to exp() (default 0 1 2 3 4, as prod_multi_exp.py)")
    p.add_argument("--set", dest="overrides", type=override, action="append", default=[], metavar="KEY=VALUE",
                   help="change one entry of prod_config.yaml (OmegaConf dot-list syntax, e.g. loss.tau=2.0 or "
                        "data.test_ind_ratio=0.5); repeatable; the key must exist in the config")
    p.add_argument("--threads", type=positive_int, default=1, help="torch / OpenMP / BLAS threads (default 1)")
    p.add_argument("--record-split", action="store_true",
                   help="also store the train / validation / unseen vertex ids of every seed (default: sizes and "
                        "SHA-256 digests only)")
    p.add_argument("--out", type=Path, default=None, help="the JSON to write (required unless --dry-run)")
    p.add_argument("--ref-venv", type=Path,
                   default=Path(os.environ.get("LIGHTHGNN_REF_VENV", REPO / ".venv-lighthgnn-ref")),
                   help="the environment setup.sh built (default $LIGHTHGNN_REF_VENV or <repo>/.venv-lighthgnn-ref)")
    p.add_argument("--data-root", type=Path, default=None,
                   help="folder holding <dataset>/ with the HyperGCN pickles (default: the first $HGNN_DATA folder "
                        "that has it, else <repo>/../shared/datasets)")
    p.add_argument("--dry-run", action="store_true", help="check the options, print the config, stop")
    args = p.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds):
        p.error(f"--seeds has duplicates: {args.seeds}")
    if args.out is None and not args.dry_run:
        p.error("--out is required (the JSON to write)")
    return args


def check_out(path: Path) -> Path:
    path = path.expanduser().resolve()
    if path.is_dir():
        raise SystemExit(f"error: --out {path} is a folder; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not os.access(path.parent, os.W_OK):
        raise SystemExit(f"error: cannot write to {path.parent}")
    return path


def build_config(src: Path, args: argparse.Namespace):
    """The setting's config file with the dataset, teacher, student and ``--set`` entries applied."""
    from omegaconf import OmegaConf

    base = OmegaConf.load(src / SETTINGS[args.setting][1])
    OmegaConf.set_struct(base, True)  # an unknown key in an override is an error, not a new entry
    dotlist = [f"data.name={DATASETS[args.dataset][0]}", f"model.teacher={args.teacher}",
               f"model.student={args.student}", *args.overrides]
    try:
        cfg = OmegaConf.merge(base, OmegaConf.from_dotlist(dotlist))
    except Exception as exc:  # omegaconf's ConfigKeyError & co.
        raise SystemExit(f"error: cannot apply {dotlist}: {exc}") from None
    for key, want in (("data.name", DATASETS[args.dataset][0]), ("model.teacher", args.teacher),
                      ("model.student", args.student)):
        if OmegaConf.select(cfg, key) != want:
            raise SystemExit(f"error: --set changed {key} to {OmegaConf.select(cfg, key)!r}; use --dataset / "
                             f"--teacher / --student instead")
    plain = OmegaConf.to_container(cfg, resolve=False)
    plain.pop("hydra", None)  # hydra's own run-directory settings (${now:...}); unused without hydra
    return cfg, plain, dotlist


# ---------------------------------------------------------------------------------- bookkeeping
def ids_digest(ids: list[int]) -> str:
    """SHA-256 of the sorted ids written as ``1,5,9`` (the same digest for the same vertex set)."""
    return hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode()).hexdigest()


def to_plain(value: Any) -> Any:
    """The reference's result values (floats, numpy scalars, lists) as JSON numbers."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (ValueError, RuntimeError):
            return value.tolist()
    return value


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per model and metric: mean / std (ddof 1) / std_pop (ddof 0) over the seeds, in percent."""
    out: dict[str, Any] = {}
    done = [r for r in runs if "teacher" in r and "student" in r]
    for model in ("teacher", "student"):
        out[model] = {}
        if not done:
            continue
        for key, first in done[0][model].items():
            if not isinstance(first, (int, float)):
                continue
            vals = [100.0 * float(r[model][key]) for r in done]
            out[model][key] = {"mean": statistics.fmean(vals),
                               "std": statistics.stdev(vals) if len(vals) > 1 else 0.0,
                               "std_pop": statistics.pstdev(vals), "n": len(vals)}
    return out


# ------------------------------------------------------------------------------------ data
def load_safe_pickle_module():
    """hgnn's restricted unpickler, loaded by file path (hgnn is not installed here)."""
    path = REPO / "hgnn" / "datasets" / "safe_pickle.py"
    if not path.is_file():
        raise SystemExit(f"error: {path} is missing (run this script from an hgnn checkout)")
    spec = importlib.util.spec_from_file_location("_hgnn_safe_pickle", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_dataset(folder: Path) -> tuple[dict[str, Any], list[list[int]], dict[str, Any]]:
    """``(data, edge_list, info)`` in the layout the reference's ``exp`` reads from DHG's datasets."""
    import numpy as np
    import torch
    from dhg.datapipe import norm_ft, to_tensor

    safe = load_safe_pickle_module()
    labels_raw = safe.safe_load(folder / "labels.pickle")
    labels = torch.as_tensor(np.asarray(labels_raw, dtype=np.int64).reshape(-1))
    num_v = int(labels.numel())
    hyper = safe.safe_load(folder / "hypergraph.pickle")
    if not isinstance(hyper, dict):
        raise SystemExit(f"error: {folder / 'hypergraph.pickle'} holds a {type(hyper).__name__}, not a dict")
    edge_list = [sorted(int(v) for v in members) for members in hyper.values()]
    bad = [e for e in edge_list if not e or e[0] < 0 or e[-1] >= num_v]
    if bad:
        raise SystemExit(f"error: {len(bad)} hyperedges are empty or name vertices outside [0, {num_v})")
    feats = safe.safe_load(folder / "features.pickle")
    if feats.shape[0] != num_v:
        raise SystemExit(f"error: features have {feats.shape[0]} rows but there are {num_v} labels")
    x = norm_ft(to_tensor(feats), ord=1)  # DHG's CocitationCora / CocitationCiteseer preprocessing
    data = {"num_vertices": num_v, "num_classes": int(labels.max()) + 1, "dim_features": int(x.shape[1]),
            "num_edges": len(edge_list), "features": x, "labels": labels}
    unique = {tuple(e) for e in edge_list}
    info = {"num_vertices": num_v, "num_classes": data["num_classes"], "num_features": int(x.shape[1]),
            "num_hyperedges": len(edge_list), "distinct_hyperedges": len(unique),
            "vertices_in_no_hyperedge": num_v - len({v for e in edge_list for v in e}),
            "features": "DHG's to_tensor + norm_ft(ord=1): rows divided by their L1 norm",
            "files": {f: sha256_file(folder / f) for f in DATA_FILES}}
    return data, edge_list, info


# ------------------------------------------------------------------------------------ the run
class LogCapture(logging.Handler):
    """Collects the reference's ``logging.info`` lines (its best epochs are only logged)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def install_patches(prod_train, utils, data, edge_list, dataset_folder: Path, current: dict[str, Any],
                    record_split: bool) -> list[dict[str, str]]:
    """Install the patches once; the wrappers write into ``current["record"]`` (the running seed's).
    ``prod_train`` is the setting's module (``prod_train`` or ``trans_train``)."""
    name = prod_train.__name__
    production = hasattr(prod_train, "product_split")
    import torch

    def load_data(cfg_name):
        want = {v[0] for v in DATASETS.values()}
        if cfg_name not in want:
            raise ValueError(f"this harness serves {sorted(want)}, not {cfg_name!r}")
        # fresh copies: exp() never writes into them, but each seed gets its own to be safe
        return ({**data, "features": data["features"].clone(), "labels": data["labels"].clone()},
                [list(e) for e in edge_list])

    utils.load_data = load_data
    prod_train.load_data = load_data

    orig_split, orig_fix = prod_train.split_by_num, prod_train.fix_iso_v
    orig_product = getattr(prod_train, "product_split", None)
    orig_sub = getattr(prod_train, "sub_hypergraph", None)

    def ids(mask) -> list[int]:
        return torch.where(torch.as_tensor(mask))[0].tolist()

    def split_by_num(*a, **k):
        record = current["record"]
        train, val, test = orig_split(*a, **k)
        sets = {"train": ids(train), "val": ids(val), "test": ids(test)}
        record["split"] = {f"{n}_size": len(v) for n, v in sets.items()}
        record["split"].update({f"{n}_sha256": ids_digest(v) for n, v in sets.items()})
        if record_split:
            record["split"].update({n: v for n, v in sets.items() if n != "test"})
        return train, val, test

    def product_split(*a, **k):
        record = current["record"]
        out = orig_product(*a, **k)
        obs_idx, _tr, _va, obs_test, test_ind = out
        unseen = ids(test_ind)
        record["split"].update({"observed_size": len(obs_idx), "unseen_size": len(unseen),
                                "observed_test_size": int(torch.as_tensor(obs_test).sum()),
                                "unseen_sha256": ids_digest(unseen)})
        if record_split:
            record["split"]["unseen"] = unseen
        return out

    def describe(G) -> dict[str, Any]:
        sizes = [len(e) for e in G.e[0]]
        return {"num_vertices": G.num_v, "num_hyperedges": G.num_e, "singletons": sum(s == 1 for s in sizes),
                "incidences": sum(sizes)}

    def sub_hypergraph(G, v_idx):
        out = orig_sub(G, v_idx)
        current["record"].setdefault("hypergraphs", {})["observed_before_fix_iso_v"] = describe(out)
        return out

    def fix_iso_v(G):
        out = orig_fix(G)
        hg = current["record"].setdefault("hypergraphs", {})
        hg["full" if "full" not in hg else "observed"] = describe(out)
        return out

    prod_train.split_by_num, prod_train.fix_iso_v = split_by_num, fix_iso_v
    if production:
        prod_train.product_split, prod_train.sub_hypergraph = product_split, sub_hypergraph
    wrapped = "split_by_num, product_split" if production else "split_by_num"
    return [
        {"name": f"utils.load_data, {name}.load_data",
         "what": f"returns hgnn's HyperGCN pickles from {dataset_folder} (the files DHG's "
                 "CocitationCora / CocitationCiteseer serve) instead of downloading them: num_vertices, "
                 "num_classes, features (DHG's to_tensor + norm_ft(ord=1), as DHG preprocesses them), labels "
                 "(LongTensor), and the edge list (the pickle's hyperedges in stored order)"},
        {"name": f"{name}: {wrapped}",
         "what": "wrapped, same arguments and results: record the split's sizes and SHA-256 digests of its "
                 "vertex sets (with --record-split also the ids)"},
        {"name": f"{name}: sub_hypergraph, fix_iso_v" if production else f"{name}: fix_iso_v",
         "what": "wrapped, same arguments and results: record the vertex / hyperedge / singleton counts of the "
                 "full and the observed hypergraph"},
    ]


def run(args: argparse.Namespace, source: dict[str, str], data_root: Path) -> int:
    t_start = time.perf_counter()
    src = (args.ref_venv / "src").resolve()
    import numpy
    import torch

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(args.threads)
    except RuntimeError:
        pass
    sys.path.insert(0, str(src))
    cfg, plain_cfg, dotlist = build_config(src, args)
    if args.dry_run:
        from omegaconf import OmegaConf

        print(OmegaConf.to_yaml(OmegaConf.create(plain_cfg), resolve=True))
        print(f"seeds: {args.seeds}; data: {data_root / DATASETS[args.dataset][1]}")
        return 0

    import dhg
    import hydra
    import omegaconf
    import scipy
    import sklearn

    import importlib

    prod_train = importlib.import_module(SETTINGS[args.setting][0])  # the reference's module, from src/
    import utils  # the reference's utils.py (src/ is first on sys.path)

    if Path(prod_train.__file__).resolve().parent != src or Path(utils.__file__).resolve().parent != src:
        raise SystemExit(f"error: imported prod_train / utils from {prod_train.__file__} / {utils.__file__}, "
                         f"not from {src}")
    folder = data_root / DATASETS[args.dataset][1]
    data, edge_list, data_info = read_dataset(folder)
    versions = {"python": platform.python_version(), "torch": torch.__version__, "dhg": dhg.__version__,
                "hydra-core": hydra.__version__, "omegaconf": omegaconf.__version__, "numpy": numpy.__version__,
                "scipy": scipy.__version__, "scikit-learn": sklearn.__version__}
    report: dict[str, Any] = {
        "kind": f"lighthgnn-reference-{args.setting}",
        "status": "running",
        "settings": {"setting": args.setting, "dataset": args.dataset, "reference_dataset": DATASETS[args.dataset][0],
                     "teacher": args.teacher, "student": args.student, "seeds": args.seeds,
                     "overrides": args.overrides, "dotlist": dotlist, "record_split": args.record_split},
        "config": plain_cfg,
        "reference": {"repository": "iMoonLab/LightHGNN", "commit": source.get("commit"), "source": source,
                      "checkout": str(src), "entry": f"{SETTINGS[args.setting][0]}.exp(seed, cfg)"},
        "threads": {"torch": torch.get_num_threads(), "torch_interop": torch.get_num_interop_threads(),
                    **{k: os.environ.get(k) for k in THREAD_VARS}},
        "machine": machine_info(),
        "versions": versions,
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "data": {"root": str(data_root), "dir": str(folder), **data_info},
        "patches": [],
        "runs": [],
        "summary": {},
        "metrics": ({"prod_": "all test vertices (teacher on the full hypergraph)",
                     "ind_": "the unseen test vertices (teacher on the full hypergraph)",
                     "trans_": "the observed test vertices (teacher on the observed hypergraph)"}
                    if args.setting == "production" else {"": "all test vertices"})
        | {"values": "fractions per seed, exactly as test / test_stu return them; summary in percent"},
    }
    capture = LogCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    root.setLevel(logging.INFO)

    def save(status: str | None = None) -> None:
        if status is not None:
            report["status"] = status
        report["summary"] = summarize(report["runs"])
        write_json_atomic(args.out, report)

    current: dict[str, Any] = {"record": {}}
    report["patches"] = install_patches(prod_train, utils, data, edge_list, folder, current, args.record_split)
    status, code = "complete", 0
    try:
        for seed in args.seeds:
            record: dict[str, Any] = {"seed": seed}
            current["record"] = record
            report["runs"].append(record)
            save()
            capture.lines.clear()
            t0, c0 = time.perf_counter(), time.process_time()
            res = prod_train.exp(seed, cfg)
            record["seconds"] = time.perf_counter() - t0
            record["cpu_seconds"] = time.process_time() - c0
            record["teacher"] = to_plain(res["t"])
            record["student"] = to_plain(res["s"])
            for line in capture.lines:
                m = re.match(r"(teacher|student) test best epoch: (\d+)", line)
                if m:
                    record[f"{m.group(1)}_best_epoch"] = int(m.group(2))
            keys = ("prod_", "ind_", "trans_") if args.setting == "production" else ("",)
            print(f"seed {seed}: " + "   ".join(
                f"{m} {'/'.join(k.rstrip('_') for k in keys) or 'test'} "
                + " / ".join(f"{100 * record[m][k + 'accuracy']:.2f}" for k in keys) for m in ("teacher", "student"))
                + f"   ({record['seconds']:.0f} s)", flush=True)
            save()
    except KeyboardInterrupt:
        status, code = "interrupted", 130
    except BaseException:
        status, code = "failed", 1
        report["error"] = traceback.format_exc()
        print(report["error"], file=sys.stderr)
    finally:
        root.removeHandler(capture)
    report["wall_s"] = time.perf_counter() - t_start
    report["machine"]["loadavg_end"] = os.getloadavg()
    save(status)
    keys = ("prod_", "ind_", "trans_") if args.setting == "production" else ("",)
    acc = {m: {k.rstrip("_") or "test": report["summary"][m].get(f"{k}accuracy") for k in keys}
           for m in ("teacher", "student")}
    print(json.dumps({"status": status, "out": str(args.out),
                      **{m: {k: (None if v is None else f"{v['mean']:.2f} ± {v['std']:.2f}") for k, v in d.items()}
                         for m, d in acc.items()}}, indent=1), flush=True)
    return code


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Thread caps before numpy / torch load their thread pools.
    for var in THREAD_VARS:
        os.environ[var] = str(args.threads)
    args.ref_venv = args.ref_venv.expanduser().resolve()
    source = read_source_info(args.ref_venv, "lighthgnn-ref-source.txt", f"{SETTINGS[args.setting][0]}.py",
                              "benchmarks/distill/reference/setup.sh <LightHGNN git dir>")
    folder = DATASETS[args.dataset][1]
    data_root = find_data_root(args.data_root, f"{folder}/", DATA_FILES, f"{folder}/")
    if args.out is not None:
        args.out = check_out(args.out)
    missing = [m for m in ("torch", "dhg", "hydra", "omegaconf") if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(f"error: no {', '.join(missing)} in {sys.executable}; run this with the reference "
                         f"environment's python ({args.ref_venv / 'bin' / 'python'})")
    return run(args, source, data_root)


if __name__ == "__main__":
    sys.exit(main())
