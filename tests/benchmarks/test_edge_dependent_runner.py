"""The edge-dependent benchmark runner (benchmarks/edge_dependent/run.py): the reference settings it
passes reproduce the stored cells' configurations, its table shows the stored results, and one tiny
cell trains on real data."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

from tests.benchmarks._bench import load_benchmark

pytestmark = pytest.mark.usefixtures("one_thread")

ROOT = Path(__file__).resolve().parents[2]
STORED = ROOT / "benchmarks" / "edge_dependent" / "results" / "enc_cpu_reduced.json"
FULL = ROOT / "benchmarks" / "edge_dependent" / "results" / "enc_fast.json"


def test_the_full_protocol_cells_ran_the_fast_recipe_to_the_end(bench):
    """Every cell of the full-protocol table: the five reference seeds, the fast recipe's settings for
    its dataset (what run.py --recipe fast passes), and early stopping or the recipe's last epoch."""
    results = json.loads(FULL.read_text())["results"]
    for key, report in results.items():
        dataset, model = key.split("|")
        config = report["config"]
        assert sorted(config["seeds"]) == sorted(bench.REFERENCE_SEEDS), key
        expected = bench.cell_kwargs(dataset, model, {"seeds": 5}, "fast")
        for name in ("mode", "batch_size", "lr", "gamma", "eval_every", "patience", "precision", "epochs"):
            assert config.get(name, config["optimizer"].get(name)) == expected[name], (key, name)
        for run in report["runs"]:
            stopped = run["best_epoch"] + (config["patience"] + 1) * config["eval_every"]
            assert run["epochs_run"] in (config["epochs"], stopped), (key, run["seed"])


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("edge_dependent/run")


def test_cell_kwargs_reproduce_the_stored_configurations(bench):
    """The README's commands (``--seeds k``, ``--batch-size`` / ``--lr`` only where they override the
    reference) give each stored cell's seeds, batch size, lr and CoNHD settings."""
    results = json.loads(STORED.read_text())["results"]
    assert len(results) == 24
    for key, report in results.items():
        dataset, model = key.split("|")
        config = report["config"]
        ref = bench.REFERENCE_CONFIGS[dataset]
        given = {"seeds": len(config["seeds"]), "epochs": config["epochs"],
                 "patience": -1 if config["patience"] is None else config["patience"],
                 "batch_size": None if config["batch_size"] == ref["batch_size"] else config["batch_size"],
                 "lr": None if config["lr"] == ref["lr"] else config["lr"]}
        kwargs = bench.cell_kwargs(dataset, model, given)
        assert kwargs["seeds"] == config["seeds"], key
        assert (kwargs["batch_size"], kwargs["lr"]) == (config["batch_size"], config["lr"]), key
        assert kwargs["patience"] == config["patience"], key  # None (no early stop) is kept, not replaced
        if model.startswith("conhd"):
            assert kwargs["num_layers"] == config["model_kwargs"]["num_layers"], key
            assert kwargs["input_dropout"] == config["model_kwargs"]["input_dropout"], key
        else:
            assert "num_layers" not in kwargs and "input_dropout" not in kwargs, key


def test_fast_recipe_fills_what_is_not_given(bench):
    kwargs = bench.cell_kwargs("enc-stackoverflowbiology", "conhd-unp", {"seeds": 2, "lr": 1e-3}, "fast")
    assert kwargs["seeds"] == [0, 10] and kwargs["lr"] == 1e-3  # given settings win over the recipe
    assert (kwargs["mode"], kwargs["precision"], kwargs["gamma"], kwargs["eval_every"]) == ("full", "bfloat16", 1.0, 10)
    assert kwargs["batch_size"] is None and kwargs["num_layers"] == 2 and kwargs["input_dropout"] == 0.7
    reference = bench.cell_kwargs("enc-emaileu", "conhd-unp", {"seeds": 1})
    assert (reference["mode"], reference["batch_size"], reference["lr"], reference["patience"]) == ("auto", 128, 1e-3, 5)
    assert bench.cell_kwargs("enc-emaileu", "mlp", {"patience": -1})["patience"] is None
    email = bench.cell_kwargs("enc-emaileu", "conhd-unp", {"seeds": 1}, "fast")  # sampled batches there
    assert (email["mode"], email["batch_size"], email["lr"], email["eval_precision"]) == ("auto", 2048, 6e-3, "bfloat16")


def test_reference_seeds(bench):
    assert bench.reference_seeds(2) == [0, 10]
    assert bench.reference_seeds(7) == [0, 10, 100, 500, 10000, 5, 6]


@pytest.mark.parametrize("stored", [STORED, FULL])
def test_the_table_shows_every_stored_cell_and_the_readme_quotes_them(bench, stored):
    results = json.loads(stored.read_text())["results"]
    models = [m for m in bench.NAMES if any(k.endswith(f"|{m}") for k in results)]
    table = bench.table(results, models, list(bench.DATASETS))
    assert len(table.splitlines()) == 2 + len(results)
    readme = (ROOT / "benchmarks" / "edge_dependent" / "README.md").read_text()
    for report in results.values():
        assert f"{report['summary']['test_micro_f1']['mean']:.2f}" in readme


def test_one_cell_trains_on_real_data(bench, tmp_path, monkeypatch, capsys):
    """``--no-isolate`` runs a cell in this process: the MLP scorer on Stack-Biology for one epoch
    (random node features stand in for the minute-long random-walk embedding)."""
    from hgnn import datasets, transforms

    if not any(info.name == "enc-stackoverflowbiology" and info.on_disk for info in datasets.available()):
        pytest.skip("enc-stackoverflowbiology is not on disk (set HGNN_DATA)")

    def fake_walks(hg, dim, **kwargs):
        return torch.randn(hg.num_nodes, dim, generator=torch.Generator().manual_seed(0))

    monkeypatch.setattr(transforms, "random_walk_embedding", fake_walks)
    out = tmp_path / "cells.json"
    common = ["run.py", "--datasets", "enc-stackoverflowbiology", "--models", "mlp", "--epochs", "1",
              "--eval-every", "1", "--no-isolate"]
    monkeypatch.setattr(sys, "argv", common + ["--seeds", "1", "--out", str(out)])
    bench.main()
    report = json.loads(out.read_text())["results"]["enc-stackoverflowbiology|mlp"]
    config = report["config"]
    assert (config["seeds"], config["batch_size"], config["lr"]) == ([0], 64, 1e-4)
    (run,) = report["runs"]
    assert run["epochs_run"] == 1 and run["best_epoch"] == 1 and 0 < run["test"]["micro_f1"] <= 1
    assert "| enc-stackoverflowbiology | MLP |" in capsys.readouterr().out
    # another seed in another process, then one cell of both
    other = tmp_path / "other.json"
    monkeypatch.setattr(sys, "argv", common + ["--seed-list", "10", "--out", str(other)])
    bench.main()
    monkeypatch.setattr(sys, "argv", ["run.py", "--merge", str(other), "--out", str(out)])
    bench.main()
    merged = json.loads(out.read_text())["results"]["enc-stackoverflowbiology|mlp"]
    assert merged["config"]["seeds"] == [0, 10] and [r["seed"] for r in merged["runs"]] == [0, 10]


def _cell(seeds, lr=1e-3, scores=(0.6,)):
    runs = [{"seed": s, "test": {"micro_f1": f, "macro_f1": f / 2}, "val": {"micro_f1": f, "macro_f1": f / 2},
             "epoch_s": 2.0, "peak_rss_mb": 100.0 + s, "peak_cuda_mb": None} for s, f in zip(seeds, scores)]
    return {"model": "conhd-unp", "dataset": "enc-emaileu", "complete": True,
            "config": {"seeds": list(seeds), "lr": lr, "epochs": 100}, "runs": runs, "summary": {}}


def test_merge_joins_the_seeds_of_one_setting_and_replaces_otherwise(bench, tmp_path):
    key = "enc-emaileu|conhd-unp"
    results = bench.merge_results({}, {key: _cell([0], scores=[0.60])})
    bench.merge_results(results, {key: _cell([10, 100], scores=[0.70, 0.80])})
    cell = results[key]
    assert cell["config"]["seeds"] == [0, 10, 100] and [r["seed"] for r in cell["runs"]] == [0, 10, 100]
    assert cell["summary"]["test_micro_f1"]["mean"] == pytest.approx(70.0)
    assert cell["summary"]["test_micro_f1"]["std"] == pytest.approx(10.0)
    assert cell["summary"]["peak_rss_mb"] == 200.0 and "peak_cuda_mb" not in cell["summary"]
    bench.merge_results(results, {key: _cell([0], scores=[0.50])})  # a seed already there: replaced
    assert results[key]["config"]["seeds"] == [0]
    bench.merge_results(results, {key: _cell([10], lr=3e-3)})  # other settings: replaced
    assert results[key]["config"]["lr"] == 3e-3 and len(results[key]["runs"]) == 1
    # a time_to_accuracy.py output is one cell; its curves are dropped
    report = _cell([500])
    report["runs"][0]["history"] = {"loss": [1.0]}
    path = tmp_path / "tta.json"
    path.write_text(json.dumps({"meta": {}, "report": report}))
    cells = bench.read_cells(path)
    assert list(cells) == [key] and "history" not in cells[key]["runs"][0]
    assert "history" in report["runs"][0]  # the file's content was copied, not edited
