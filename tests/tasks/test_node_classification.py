"""hgnn.train.experiment: prepare, the model registry and multi-seed runs."""
from __future__ import annotations

import statistics
import warnings

import pytest
import torch
import torch.nn.functional as F

from hgnn import Hypergraph
from hgnn.datasets import get_spec
from hgnn.datasets.root import find_root
from hgnn.models import HGNN, HGNNP, HNHN, UniGCN
from hgnn.nn import MLP
from hgnn.tasks import MODELS, build_model, run_node_classification, summarize
from hgnn.train import random_split
from hgnn.transforms import is_bag_of_words, prepare


pytestmark = pytest.mark.usefixtures("one_thread")


def tiny_hypergraph(seed: int = 0, unlabelled: int = 0) -> Hypergraph:
    """30 nodes in 3 classes, hyperedges inside classes, non-negative features, no split masks."""
    gen = torch.Generator().manual_seed(seed)
    n = 30
    y = torch.arange(n) % 3
    edges = []
    for c in range(3):
        members = (y == c).nonzero().view(-1)
        for _ in range(6):
            edges.append(members[torch.randperm(10, generator=gen)[:3]].tolist())
    x = torch.rand(n, 6, generator=gen) + F.one_hot(y, 6).float()
    if unlabelled:
        y = y.clone()
        y[-unlabelled:] = -1
    return Hypergraph.from_edge_list(edges, num_nodes=n, x=x, y=y)


# ---------------------------------------------------------------- prepare
def _hg(x: torch.Tensor, edges=((0, 1, 2), (2, 3))) -> Hypergraph:
    n = x.size(0)
    return Hypergraph.from_edge_list([list(e) for e in edges], num_nodes=n, x=x, y=torch.zeros(n, dtype=torch.long))


def test_prepare_row_l1_normalisation_exact():
    x = torch.tensor([[1.0, 3.0], [0.0, 0.0], [2.0, 2.0], [0.0, 8.0], [5.0, 0.0]])
    out = prepare(_hg(x), normalize_features=True).x
    expected = torch.tensor([[0.25, 0.75], [0.0, 0.0], [0.5, 0.5], [0.0, 1.0], [1.0, 0.0]])
    assert torch.equal(out, expected)  # exact, and a zero row stays zero (no NaN)
    # 'auto' leaves these dense non-negative features alone (they are not bag-of-words) ...
    assert torch.equal(prepare(_hg(x)).x, x)


def test_prepare_auto_normalises_sparse_counts_only():
    torch.manual_seed(0)
    counts = (torch.rand(5, 40) < 0.05).float() * torch.randint(1, 4, (5, 40))
    counts[:, 0] = 1.0                                   # no empty row; still >= 90% zeros
    assert is_bag_of_words(counts)
    out = prepare(_hg(counts)).x
    assert torch.allclose(out.sum(1), torch.ones(5)) and torch.equal(out, counts / counts.sum(1, keepdim=True))
    dense = torch.rand(5, 40) + 0.1                      # e.g. NTU2012's shape descriptors
    assert not is_bag_of_words(dense) and torch.equal(prepare(_hg(dense)).x, dense)


def test_prepare_auto_skips_negative_features():
    x = torch.tensor([[1.0, -3.0], [0.5, 0.5], [2.0, 2.0], [0.0, 8.0], [5.0, 0.0]])
    assert torch.equal(prepare(_hg(x), normalize_features="auto").x, x)
    # True divides by the L1 norm (absolute values) even with negative entries
    forced = prepare(_hg(x), normalize_features=True).x
    assert torch.allclose(forced[0], torch.tensor([0.25, -0.75]))
    assert torch.allclose(forced.abs().sum(1), torch.ones(5))


def test_prepare_false_keeps_features_but_makes_them_float():
    x = torch.tensor([[1, 3], [0, 0], [2, 2], [0, 8], [5, 0]])
    out = prepare(_hg(x), normalize_features=False).x
    assert out.dtype == torch.float32 and torch.equal(out, x.float())


def test_prepare_does_not_modify_input():
    x = torch.tensor([[1.0, 3.0], [0.0, 0.0], [2.0, 2.0], [0.0, 8.0], [5.0, 0.0]])
    hg = _hg(x.clone())
    prepare(hg)
    assert torch.equal(hg.x, x) and hg.num_edges == 2


def test_prepare_self_loops_only_for_isolated_nodes():
    x = torch.ones(6, 2)
    hg = _hg(x)  # nodes 4 and 5 are in no hyperedge
    out = prepare(hg)
    assert out.num_edges == 4
    assert out.to_edge_list() == [[0, 1, 2], [2, 3], [4], [5]]
    assert prepare(hg, self_loops=False).to_edge_list() == [[0, 1, 2], [2, 3]]
    covered = _hg(torch.ones(4, 2))
    assert prepare(covered).num_edges == 2  # no isolated node, no loop


def test_prepare_keeps_labels_and_masks():
    n = 5
    mask = torch.tensor([True, False, True, False, True])
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3, 4]], num_nodes=n, x=torch.ones(n, 2),
                                   y=torch.arange(n), node_data={"train_mask": mask})
    out = prepare(hg)
    assert torch.equal(out.y, hg.y) and torch.equal(out.train_mask, mask)


def test_prepare_errors():
    no_x = Hypergraph.from_edge_list([[0, 1]], num_nodes=2, y=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="needs node features x and labels y"):
        prepare(no_x)
    with pytest.raises(ValueError, match="normalize_features must be True, False or 'auto'"):
        prepare(_hg(torch.ones(5, 2)), normalize_features="l2")


# ---------------------------------------------------------------- build_model
@pytest.mark.parametrize("name", sorted(MODELS))
def test_build_model_every_key(name):
    hg = prepare(tiny_hypergraph())
    model = build_model(name, 6, 3, hidden_channels=24, dropout=0.25)
    assert isinstance(model, getattr(MODELS[name], "func", MODELS[name]))  # a class or a functools.partial
    assert any(24 in p.shape for p in model.parameters())  # the hidden size reached the model
    model.eval()
    with torch.no_grad():
        out = model(hg.x, hg)
    assert out.shape == (30, 3) and torch.isfinite(out).all()


def test_build_model_registry_and_aliases():
    assert {k: v for k, v in MODELS.items() if k in ("hgnn", "hgnnp", "hnhn", "unigcn", "mlp")} == {
        "hgnn": HGNN, "hgnnp": HGNNP, "hnhn": HNHN, "unigcn": UniGCN, "mlp": MLP}
    assert set(MODELS) == {"hgnn", "hgnnp", "hnhn", "unigcn", "unigat", "unisage", "unigin", "hypergcn",
                           "fasthypergcn", "hypergraph-attention", "alldeepsets", "allsettransformer", "edhnn", "mlp"}
    assert MODELS["hypergcn"].keywords == {"mediators": True}
    assert MODELS["fasthypergcn"].keywords == {"mediators": True, "fast": True}
    assert type(build_model("hgnn+", 4, 2)) is HGNNP
    assert type(build_model("HGNN+", 4, 2)) is HGNNP
    assert type(build_model("UniGCN", 4, 2)) is UniGCN
    assert build_model("mlp", 4, 2, dropout=0.3).dropout == 0.3


def test_build_model_unknown():
    with pytest.raises(ValueError, match="unknown model 'gat'"):
        build_model("gat", 4, 2)


def test_build_model_passes_model_kwargs_and_names_unknown_ones():
    net = build_model("allsettransformer", 4, 2, 16, heads=8, classifier_layers=2)
    assert net.convs[0].heads == 8 and len(net.classifier.lins) == 2
    assert isinstance(build_model("fasthypergcn", 4, 2, use_bn=True).norm, torch.nn.BatchNorm1d)  # via a partial
    with pytest.raises(TypeError, match=r"model 'edhnn' \(EDHNN\) takes no argument\(s\) \['head'\]"):
        build_model("edhnn", 4, 2, head=3)


def test_run_node_classification_model_kwargs_reach_the_model_and_the_config():
    report = run_node_classification("edhnn", tiny_hypergraph(), seeds=1, epochs=2, hidden=8, progress=False,
                                     model_kwargs={"num_layers": 2, "alpha": 0.5})
    assert report["config"]["model_kwargs"] == {"num_layers": 2, "alpha": 0.5}
    with pytest.raises(TypeError, match="takes no argument"):
        run_node_classification("hgnn", "no-such-dataset", model_kwargs={"heads": 2}, progress=False)


# ---------------------------------------------------------------- summarize
def test_summarize():
    assert summarize([0.5, 0.7]) == {"mean": pytest.approx(60.0), "std": pytest.approx(statistics.stdev([50, 70]))}
    assert summarize([0.42]) == {"mean": pytest.approx(42.0), "std": 0.0}


# ---------------------------------------------------------------- run_node_classification
@pytest.fixture(scope="module")
def report():
    return run_node_classification("hgnn", tiny_hypergraph(), seeds=2, epochs=5, hidden=8, lr=0.02,
                                   progress=False)


def test_report_structure(report):
    assert set(report) == {"model", "dataset", "protocol", "complete", "config", "data", "runs", "summary"}
    assert report["complete"] is True
    assert report["model"] == "hgnn" and report["dataset"] == "<Hypergraph>"
    assert report["protocol"] == "random"  # a Hypergraph with y and no masks
    assert len(report["runs"]) == 2
    assert [r["seed"] for r in report["runs"]] == [0, 1]
    assert [r["split"] for r in report["runs"]] == [0, 1]
    for run in report["runs"]:
        assert run["split_sizes"] == (15, 7, 8)  # 50/25/25 of 30, floored
        assert run["epochs_run"] == 5
        assert all(len(v) == 5 for v in run["history"].values())
        assert set(run["test"]) == {"acc", "macro_f1", "micro_f1"}


def test_report_summary(report):
    summary = report["summary"]
    expected = {f"{part}_{m}" for part in ("test", "val", "train") for m in ("acc", "macro_f1", "micro_f1")}
    assert set(summary) == expected | {"epoch_ms"}
    for key in expected:
        assert set(summary[key]) == {"mean", "std"}
    accs = [100 * r["test"]["acc"] for r in report["runs"]]
    assert summary["test_acc"]["mean"] == pytest.approx(statistics.fmean(accs))
    assert summary["test_acc"]["std"] == pytest.approx(statistics.stdev(accs))
    assert summary["epoch_ms"] == pytest.approx(statistics.fmean(r["epoch_ms"] for r in report["runs"]))


def test_report_config_and_data(report):
    config = report["config"]
    assert {k: config[k] for k in ("seeds", "split", "epochs", "lr", "hidden", "dropout", "patience",
                                   "normalize_features", "self_loops", "weight_decay", "device")} == {
        "seeds": 2, "split": None, "epochs": 5, "lr": 0.02, "hidden": 8, "dropout": 0.5, "patience": None,
        "normalize_features": "auto", "self_loops": True, "weight_decay": 5e-4, "device": "cpu"}
    assert config["torch"] == torch.__version__
    isolated = int((tiny_hypergraph().node_degree() == 0).sum())
    assert isolated > 0  # the counts are of the prepared hypergraph, self loops included
    assert report["data"] == {"num_nodes": 30, "num_edges": 18 + isolated, "num_incidences": 54 + isolated,
                              "num_features": 6, "num_classes": 3}


def test_run_is_deterministic(report):
    again = run_node_classification("hgnn", tiny_hypergraph(), seeds=2, epochs=5, hidden=8, lr=0.02,
                                    progress=False)
    assert [r["test"]["acc"] for r in again["runs"]] == [r["test"]["acc"] for r in report["runs"]]
    assert [r["history"] for r in again["runs"]] == [r["history"] for r in report["runs"]]


def test_run_seeds_differ(report):
    # seed 0 and seed 1 draw different splits and weights
    a, b = report["runs"]
    assert a["history"]["loss"] != b["history"]["loss"]


def test_run_pinned_split_and_split_kwargs():
    rep = run_node_classification("mlp", tiny_hypergraph(), seeds=2, epochs=2, protocol="per-class", split=3,
                                  split_kwargs={"train_per_class": 2, "val_per_class": 3}, progress=False)
    assert rep["protocol"] == "per-class"
    assert [r["split"] for r in rep["runs"]] == [3, 3]
    assert [r["split_sizes"] for r in rep["runs"]] == [(6, 9, 15), (6, 9, 15)]
    assert rep["config"]["split_kwargs"] == {"train_per_class": 2, "val_per_class": 3}


def test_run_ignores_unlabelled_nodes():
    rep = run_node_classification("mlp", tiny_hypergraph(unlabelled=6), seeds=1, epochs=2, progress=False)
    assert rep["runs"][0]["split_sizes"] == random_split(tiny_hypergraph(unlabelled=6).y).sizes() == (12, 6, 6)
    assert rep["summary"]["test_acc"]["std"] == 0.0


def test_run_errors():
    with pytest.raises(ValueError, match="seeds must be >= 1"):
        run_node_classification("hgnn", tiny_hypergraph(), seeds=0, progress=False)
    with pytest.raises(TypeError, match="dataset must be a name or a Hypergraph"):
        run_node_classification("hgnn", 42, seeds=1, progress=False)
    with pytest.raises(ValueError, match="unknown model"):
        run_node_classification("gat", tiny_hypergraph(), seeds=1, epochs=1, progress=False)


def test_on_seed_reports_each_finished_seed(report):
    partial = []
    final = run_node_classification("hgnn", tiny_hypergraph(), seeds=2, epochs=5, hidden=8, lr=0.02,
                                    progress=False, on_seed=partial.append)
    assert [len(p["runs"]) for p in partial] == [1, 2]
    assert [p["complete"] for p in partial] == [False, True]
    assert partial[-1] == final
    first = partial[0]
    assert first["runs"][0] == final["runs"][0] and first["config"] == final["config"]
    assert first["summary"]["test_acc"] == {"mean": pytest.approx(100 * final["runs"][0]["test"]["acc"]), "std": 0.0}
    assert [r["test"]["acc"] for r in final["runs"]] == [r["test"]["acc"] for r in report["runs"]]  # no side effect


def test_seed_list_resumes_a_run():
    """seeds=[1] repeats seed 1 of seeds=2 exactly (same split and weights): an interrupted run is
    finished by its missing seeds."""
    hg = tiny_hypergraph()
    full = run_node_classification("hgnn", hg, seeds=2, epochs=5, hidden=8, lr=0.02, progress=False)
    rest = run_node_classification("hgnn", hg, seeds=[1], epochs=5, hidden=8, lr=0.02, progress=False)
    assert rest["config"]["seeds"] == [1] and rest["complete"]
    assert [r["seed"] for r in rest["runs"]] == [1]
    assert rest["runs"][0]["test"] == full["runs"][1]["test"] and rest["runs"][0]["split"] == full["runs"][1]["split"]
    for bad, error in (([], ValueError), ([0, 0], ValueError), ([-1], ValueError), (["1"], TypeError),
                       ("12", TypeError), (1.5, TypeError), ([True], TypeError), (0, ValueError)):
        with pytest.raises(error, match="seeds"):
            run_node_classification("hgnn", hg, seeds=bad, epochs=1, progress=False)


def _with_hypergcn_masks(hg: Hypergraph, num_splits: int = 10) -> Hypergraph:
    """``hg`` with HyperGCN-style ``[N, num_splits]`` train / test masks."""
    train = torch.zeros(hg.num_nodes, num_splits, dtype=torch.bool)
    train[:6] = True
    return Hypergraph.from_edge_list(hg.to_edge_list(), num_nodes=hg.num_nodes, x=hg.x, y=hg.y,
                                     node_data={"train_mask": train, "test_mask": ~train})


@pytest.mark.parametrize("protocol, split, valid", [
    ("hypergcn", 10, "0..9"), ("hypergcn", 999, "0..9"), ("hypergcn", -1, "0..9"),
    ("random", -1, "0 or more"), ("per-class", -3, "0 or more"),
])
def test_pinned_split_out_of_range_is_refused(protocol, split, valid):
    """A split id the protocol does not have is an error, not silently another split (999 -> 9)."""
    hg = _with_hypergcn_masks(tiny_hypergraph())
    with pytest.raises(ValueError, match=rf"split {split} is not a split of protocol '{protocol}'.*{valid}"):
        run_node_classification("mlp", hg, seeds=1, epochs=1, protocol=protocol, split=split, progress=False)


def test_pinned_split_must_be_an_int():
    with pytest.raises(TypeError, match="split must be an int"):
        run_node_classification("mlp", tiny_hypergraph(), seeds=1, epochs=1, split=1.5, progress=False)


def test_run_hypergcn_protocol_without_masks_raises_value_error():
    with pytest.raises(ValueError, match="train_mask"):
        run_node_classification("hgnn", tiny_hypergraph(), seeds=1, epochs=1, protocol="hypergcn",
                                progress=False)


@pytest.mark.slow
def test_cocitation_cora_hgnn_learns():
    spec = get_spec("cocitation-cora")
    if find_root(spec.subdir, spec.files) is None:
        pytest.skip("cocitation-cora not on disk; not downloading in tests")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        rep = run_node_classification("hgnn", "cocitation-cora", seeds=1, epochs=30, progress=False)
    assert rep["protocol"] == "hypergcn"
    assert rep["runs"][0]["split_sizes"] == (140, 500, 2068)
    assert rep["data"]["num_nodes"] == 2708 and rep["data"]["num_classes"] == 7
    assert rep["runs"][0]["test"]["acc"] > 0.55, rep["summary"]["test_acc"]
