import math

import pytest
import torch

from hgnn import datasets
from hgnn.tasks import graph_classification as graph_train
from hgnn.tasks.graph_classification import (GRAPH_MODELS, build_graph_model, cross_validation_settings,
                                             fit_graph_classifier, fold_split, load_graph_folds,
                                             run_graph_classification, run_graph_fold, summarize_folds,
                                             warmup_cosine, warmup_length)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_fold_split_follows_the_reference():
    data = datasets.load("gin-mutag")
    seen_test = []
    for k in range(10):
        train, val, test = fold_split(data.folds, k)
        assert torch.equal(val, data.folds[(k - 1) % 10][1])
        assert torch.equal(test, data.folds[k][1])
        sets = [set(train.tolist()), set(val.tolist()), set(test.tolist())]
        assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
        assert len(sets[0] | sets[1] | sets[2]) == len(data)
        seen_test += test.tolist()
    # test parts are disjoint; DGCNN's MUTAG files leave len % 10 = 8 graphs out of every test part
    assert len(seen_test) == len(set(seen_test)) == len(data) - len(data) % 10
    with pytest.raises(ValueError, match="fold"):
        fold_split(data.folds, 10)


def test_warmup_then_cosine():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = warmup_cosine(opt, warmup_steps=4, total_steps=12)
    lrs = []
    for _ in range(13):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[:5] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert math.isclose(lrs[8], 0.5, abs_tol=1e-9) and lrs[12] == 0.0


def test_warmup_length_is_the_patience_capped_at_a_tenth():
    assert warmup_length(500, 50) == 50  # the reference's
    assert warmup_length(100, 50) == 10 and warmup_length(20, 50) == 2 and warmup_length(5, 50) == 1
    assert warmup_length(5000, 300) == 300 and warmup_length(1000, 300) == 100
    assert warmup_length(100, 50, warmup_epochs=50) == 50 and warmup_length(100, 50, warmup_epochs=0) == 0
    for bad in (-1, 101):
        with pytest.raises(ValueError, match="warmup_epochs"):
            warmup_length(100, 50, warmup_epochs=bad)


@pytest.mark.parametrize("warmup_epochs, want", [(None, 1), (3, 3)])
def test_fit_graph_classifier_warms_up_for_warmup_length(monkeypatch, warmup_epochs, want):
    seen = []

    def spy(opt, warmup_steps, total_steps):
        seen.append((warmup_steps, total_steps))
        return warmup_cosine(opt, warmup_steps, total_steps)

    monkeypatch.setattr(graph_train, "warmup_cosine", spy)
    data = datasets.load("gin-mutag")
    graphs, edge_channels = graph_train.with_edge_features(list(data)[:40])
    model = build_graph_model("gcn", data.num_node_features, edge_channels, data.num_classes, hidden=8)
    fit_graph_classifier(model, graphs[:20], graphs[20:30], graphs[30:], epochs=4, batch_size=10, patience=50,
                         warmup_epochs=warmup_epochs)
    assert seen == [(want * 2, 4 * 2)]  # two batches an epoch; the patience (50) no longer sets the warm-up
    report = run_graph_classification("gcn", "gin-mutag", folds=[0], epochs=2, hidden=8, patience=50,
                                      warmup_epochs=None if warmup_epochs is None else 2, progress=False)
    assert report["config"]["warmup_epochs"] == (1 if warmup_epochs is None else 2)


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_every_model_builds_and_runs(name):
    model = build_graph_model(name, 7, 1, 2, hidden=16, avg_nodes=18.0)
    x, ei = torch.randn(6, 7), torch.tensor([[0, 1, 2, 3, 4], [1, 2, 3, 4, 5]])
    out = model(x, ei, torch.tensor([0, 0, 0, 1, 1, 1]), torch.ones(5, 1), 2)
    assert out.shape == (2, 2)
    with pytest.raises(ValueError, match="model must be one of"):
        build_graph_model("nope", 7, 1, 2)


def _mutag_parts(n: int = 40):
    data = datasets.load("gin-mutag")
    graphs, edge_channels = graph_train.with_edge_features(list(data)[:n])
    return data, graphs, edge_channels


def test_fit_graph_classifier_runs_on_the_engine_and_stops_after_patience():
    data, graphs, edge_channels = _mutag_parts()
    torch.manual_seed(0)
    model = build_graph_model("gcn", data.num_node_features, edge_channels, data.num_classes, hidden=8)
    res = fit_graph_classifier(model, graphs[:20], graphs[20:30], graphs[30:], epochs=40, batch_size=10,
                               patience=1, lr=0.05, schedule=False)
    val_loss = res.history["val_loss"]
    # EHGNN's rule: training stops once more than `patience` epochs bring no lower validation loss
    assert res.epochs_run < 40 and res.epochs_run == res.best_epoch + 1 + 2 == len(res.history["loss"])
    assert all(v >= res.val_loss for v in val_loss[res.best_epoch + 1:])
    assert res.val_loss == min(val_loss) and res.best_epoch == val_loss.index(min(val_loss))
    assert res.val_acc == res.history["val_acc"][res.best_epoch] and 0.0 <= res.test_acc <= 1.0
    assert not model.training


def test_fit_graph_classifier_rejects_bad_input():
    data, graphs, edge_channels = _mutag_parts()
    model = build_graph_model("gcn", data.num_node_features, edge_channels, data.num_classes, hidden=8)
    with pytest.raises(ValueError, match="val must be a non-empty list"):
        fit_graph_classifier(model, graphs[:20], [], graphs[30:])
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        fit_graph_classifier(model, graphs[:20], graphs[20:30], graphs[30:], batch_size=0)
    with pytest.raises(ValueError, match="patience must be an int >= 0"):
        fit_graph_classifier(model, graphs[:20], graphs[20:30], graphs[30:], patience=-1)


def test_cross_validation_report():
    report = run_graph_classification("hyperdrop", "gin-mutag", folds=[0], epochs=3, hidden=16, patience=1,
                                      progress=False)
    assert report["config"]["ratio"] == 0.8  # HyperDrop's default keep ratio
    (fold,) = report["folds"]
    assert 0.0 <= fold["test_acc"] <= 100.0 and fold["epochs_run"] <= 3
    assert report["summary"]["test_acc"]["mean"] == fold["test_acc"]


def test_a_fold_alone_equals_the_fold_within_a_run():
    settings = cross_validation_settings(epochs=2, hidden=8, patience=1)
    whole = run_graph_classification("gcn", "gin-mutag", folds=[0, 1], epochs=2, hidden=8, patience=1,
                                     progress=False)
    assert whole["config"] == settings
    alone = run_graph_fold("gcn", load_graph_folds("gin-mutag"), 1, settings)
    assert {k: v for k, v in alone.items() if k != "epoch_s"} == {
        k: v for k, v in whole["folds"][1].items() if k != "epoch_s"}


def test_cross_validation_pieces_reject_bad_input():
    with pytest.raises(ValueError, match="model must be one of"):
        run_graph_classification("nope", "gin-mutag")
    with pytest.raises(ValueError, match="folds must be an int >= 1"):
        run_graph_classification("gcn", "gin-mutag", folds=0)
    with pytest.raises(ValueError, match="ratio must be in"):
        cross_validation_settings(ratio=0.0)
    with pytest.raises(ValueError, match="no fold files"):
        load_graph_folds("tu-mutag")
    with pytest.raises(ValueError, match="at least one fold"):
        summarize_folds([])
    folds = [{"test_acc": 50.0, "epoch_s": 1.0}, {"test_acc": 70.0, "epoch_s": 3.0}]
    assert summarize_folds(folds) == {"test_acc": {"mean": 60.0, "std": 10.0}, "epoch_s": 2.0}
