"""The side-by-side speed runner (benchmarks/node_classification/speed.py): a tiny real run writes
its JSON, PyG's networks get our weights and our outputs (a mismatch stops the run), and a pair over
the time budget is skipped with its first-call times."""
from __future__ import annotations

import json
import sys
from functools import partial

import pytest
import torch

from tests.benchmarks._bench import load_benchmark

dhg = pytest.importorskip("dhg", reason="DHG is a benchmark reference: pip install dhg==0.9.7")
pytest.importorskip("torch_geometric", reason="PyG is a benchmark reference: pip install torch_geometric")

from hgnn import Hypergraph  # noqa: E402
from hgnn.tasks import build_model  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")
EDGES = [[0, 1, 2], [2, 3, 4], [4, 5], [6, 7, 0, 1], [3, 8], [1, 5, 7], [9]]


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("node_classification/speed")


def _sides(bench, model: str, perturb: bool = False):
    torch.manual_seed(0)
    hg = Hypergraph.from_edge_list(EDGES, num_nodes=10)
    x, y, train = torch.randn(10, 6), torch.randint(0, 3, (10,)), torch.arange(10) < 6
    same_math = {"normalization": "structure"} if model == "hypergraph-attention" else {}  # as the runner
    ours = build_model(model, 6, 3, **same_math)
    theirs = bench.pyg_model(ours, model, 6, 3, 32, 0.5)
    if perturb:
        with torch.no_grad():
            theirs.conv2.lin.weight.add_(0.01)
    return (bench.Side(ours, partial(ours, x, hg), y, train),
            bench.Side(theirs, partial(theirs, x, hg.hyperedge_index, hg.num_edges), y, train))


@pytest.mark.parametrize("model", ["hgnnp", "hypergraph-attention"])
def test_pyg_networks_get_our_outputs_and_a_mismatch_stops(bench, model):
    ours, theirs = _sides(bench, model)
    assert bench.check_equal(ours, theirs) < 1e-5
    ours, theirs = _sides(bench, model, perturb=True)
    with pytest.raises(AssertionError, match="PyG's outputs differ from ours"):
        bench.check_equal(ours, theirs)


def test_pair_over_budget_is_skipped(bench):
    ours, theirs = _sides(bench, "hgnnp")
    args = type("Args", (), {"warmup": 1, "repeats": 2, "epochs": 2, "budget": 0.0})()
    result = bench.measure({"ours": ours, "pyg": theirs}, args)
    assert "budget" in result["skipped"] and "ours" not in result
    assert result["first_call"]["ours"]["epoch_ms"] > 0
    args.budget = 60.0
    result = bench.measure({"ours": ours, "pyg": theirs}, args)
    assert len(result["ours"]["runs"]["epoch_ms"]) == 2 and result["pyg"]["eval_ms"] > 0
    assert set(result["first_call"]) == {"ours", "pyg"}


def test_tiny_run_writes_its_results(bench, tmp_path, monkeypatch, capsys):
    out = tmp_path / "speed.json"
    monkeypatch.setattr(sys, "argv", ["speed.py", "--datasets", "zoo", "--models", "hgnn", "hgnnp", "--repeats", "1",
                                      "--epochs", "1", "--warmup", "0", "--out", str(out)])
    bench.main()
    report = json.loads(out.read_text())
    meta = report["meta"]
    assert meta["threads"] == 1 and meta["dhg"] == dhg.__version__
    assert meta["kernels"]["sum"] in ("sparse", "native", "torch_scatter")
    pairs = {(p["model"], p["library"]): p for p in report["results"]["zoo"]["pairs"]}
    assert set(pairs) == {("hgnn", "dhg"), ("hgnnp", "dhg"), ("hgnn", "pyg"), ("hgnnp", "pyg")}
    assert pairs["hgnnp", "pyg"]["max_abs_diff"] < 1e-4  # checked: the same operator
    assert pairs["hgnn", "pyg"]["max_abs_diff"] is None  # another normalisation: timed only
    for (_, library), pair in pairs.items():
        assert pair["ours"]["epoch_ms"] > 0 and pair[library]["eval_ms"] > 0
    assert "| zoo | hgnnp |" in capsys.readouterr().out
