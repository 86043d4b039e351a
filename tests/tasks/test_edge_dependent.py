"""Edge-dependent node classification: fit_edge_dependent (sampled CoNHD and full-graph baselines), the
best-validation weights and early stopping, determinism, batched vs full-graph evaluation, layered logits
and run_edge_dependent's report."""
from __future__ import annotations

import json

import pytest
import torch

from hgnn import Hypergraph
from hgnn.models import CoNHD, IncidenceScorer
from hgnn.nn.conv import incidence_positional_encoding
from hgnn.tasks.edge_dependent import (build_edge_dependent_model, fit_edge_dependent, predict_edge_dependent,
                                      run_edge_dependent, standardize)

pytestmark = pytest.mark.usefixtures("one_thread")


def synthetic_edge_dependent(seed=0, num_nodes=60, num_edges=120):
    """Label of (v, e): 1 when v has the largest degree in e (ties: all of them), else 0; the
    degree-rank positional encoding reveals it. Splits 60/20/20 by hyperedge."""
    gen = torch.Generator().manual_seed(seed)
    edges = [torch.randperm(num_nodes, generator=gen)[: int(torch.randint(2, 5, (1,), generator=gen))].tolist()
             for _ in range(num_edges)]
    hg = Hypergraph.from_edge_list(edges, num_nodes=num_nodes)
    deg = hg.node_degree()
    nodes, e = hg.hyperedge_index
    emax = torch.zeros(hg.num_edges).scatter_reduce(0, e, deg[nodes], "amax", include_self=False)
    y = (deg[nodes] == emax[e]).long()
    perm = torch.randperm(num_edges, generator=gen)
    masks = [torch.zeros(num_edges, dtype=torch.bool) for _ in range(3)]
    masks[0][perm[:72]] = True
    masks[1][perm[72:96]] = True
    masks[2][perm[96:]] = True
    hg = Hypergraph(hg.hyperedge_index, num_nodes=num_nodes, incidence_data={"y": y},
                    edge_data=dict(zip(("train_mask", "val_mask", "test_mask"), masks)),
                    node_data={"degree": deg.double()})
    x = standardize(torch.randn(num_nodes, 6, generator=gen))
    pe = incidence_positional_encoding(hg, deg.double().unsqueeze(1)).float()
    return hg, x, pe


def small_conhd(operator="unp", num_layers=1, seed=0):
    torch.manual_seed(seed)
    return CoNHD(6, 2, hidden_channels=16, num_layers=num_layers, operator=operator, pe_channels=1, heads=2,
                 dropout=0.1)


def test_fit_edge_dependent_sampled_conhd_learns_and_keeps_best():
    hg, x, pe = synthetic_edge_dependent()
    model = small_conhd()
    res = fit_edge_dependent(model, hg, x, pe, epochs=12, batch_size=8, lr=1e-2, eval_every=3, patience=None,
                             max_edges_per_node=3, progress=False)
    assert res.epochs_run == 12 and len(res.history["loss"]) == 12
    assert res.history["eval_epoch"] == [3, 6, 9, 12]
    assert res.best_epoch in res.history["eval_epoch"]
    best = max(res.history["val_micro_f1"])
    assert res.history["val_micro_f1"][res.history["eval_epoch"].index(res.best_epoch)] == best
    # the kept weights are the best epoch's: re-evaluating gives its validation score
    assert res.val["micro_f1"] == pytest.approx(best)
    assert res.history["loss"][-1] < res.history["loss"][0]
    assert res.test["micro_f1"] > 0.8 and 0 < res.test["macro_f1"] <= 1
    assert res.epoch_s > 0 and res.peak_rss_mb > 0
    # the trained embedding moved away from its initialisation
    assert not torch.allclose(res.embedding.weight, x)
    json.dumps(res.to_dict())


def test_fit_edge_dependent_is_deterministic_by_seed():
    hg, x, pe = synthetic_edge_dependent(seed=1)
    runs = [fit_edge_dependent(small_conhd(num_layers=2), hg, x, pe, epochs=2, batch_size=16, eval_every=1,
                               seed=s, max_edges_per_node=2, progress=False) for s in (4, 4, 5)]
    assert runs[0].history["loss"] == runs[1].history["loss"]
    assert runs[0].history["val_micro_f1"] == runs[1].history["val_micro_f1"]
    assert runs[0].history["loss"] != runs[2].history["loss"]


def test_fit_edge_dependent_with_loader_workers_learns_and_is_reproducible():
    hg, x, pe = synthetic_edge_dependent()
    runs = [fit_edge_dependent(small_conhd(), hg, x, pe, epochs=6, batch_size=8, lr=1e-2, eval_every=3,
                               patience=None, max_edges_per_node=3, num_workers=2, seed=3, progress=False)
            for _ in range(2)]
    assert runs[0].history["loss"] == runs[1].history["loss"]  # worker sampling seeded from seed
    assert runs[0].history["loss"][-1] < runs[0].history["loss"][0] and runs[0].test["micro_f1"] > 0.7
    with pytest.raises(ValueError, match="num_workers"):
        fit_edge_dependent(small_conhd(), hg, x, pe, epochs=1, num_workers=-1, progress=False)


def test_batched_evaluation_equals_full_graph():
    hg, x, pe = synthetic_edge_dependent(seed=2)
    model = small_conhd(operator="isab", num_layers=2).eval()
    val = hg.edge_data["val_mask"].nonzero().view(-1)
    ids_full, full = predict_edge_dependent(model, hg, x, pe, val, batch_size=None)
    ids_b, batched = predict_edge_dependent(model, hg, x, pe, val, batch_size=5)
    order = torch.argsort(ids_b)
    assert torch.equal(ids_full, ids_b[order])
    torch.testing.assert_close(batched[order], full, rtol=1e-5, atol=1e-5)
    a = fit_edge_dependent(small_conhd(), hg, x, pe, epochs=2, eval_every=1, eval_batch_size=None, progress=False)
    b = fit_edge_dependent(small_conhd(), hg, x, pe, epochs=2, eval_every=1, eval_batch_size=7, progress=False)
    assert a.val["micro_f1"] == pytest.approx(b.val["micro_f1"])
    assert a.test["macro_f1"] == pytest.approx(b.test["macro_f1"])


@pytest.mark.parametrize("mode", ["full", "sampled"])
def test_fit_edge_dependent_baseline(mode):
    hg, x, pe = synthetic_edge_dependent(seed=3)
    torch.manual_seed(0)
    model = IncidenceScorer(6, 2, encoder="hgnn", hidden_channels=16, pe_channels=1, dropout=0.0)
    res = fit_edge_dependent(model, hg, x, pe, epochs=4, batch_size=24, lr=1e-2, eval_every=2, mode=mode,
                             progress=False)
    assert res.epochs_run == 4 and res.history["loss"][-1] < res.history["loss"][0]
    assert set(res.test) == {"micro_f1", "macro_f1", "loss"}


@pytest.mark.parametrize("patience", [0, 1, 3])
def test_patience_stops_early(patience):
    hg, x, pe = synthetic_edge_dependent(seed=4)
    res = fit_edge_dependent(small_conhd(), hg, x, pe, epochs=30, batch_size=72, lr=0.0, eval_every=1,
                             patience=patience, progress=False)
    # lr 0: the score never improves after the first evaluation, so 1 + patience + 1 evaluations
    assert res.epochs_run == patience + 2 and res.best_epoch == 1


def test_patience_rule_and_the_kept_weights_are_the_best_evaluations():
    """Training stops at the (patience + 1)-th evaluation in a row without a strictly better
    validation micro-F1, and the model and embedding hold the best evaluation's weights, not the
    last ones (here the last evaluation scores lower than the best)."""
    hg, x, pe = synthetic_edge_dependent(seed=2)
    model = small_conhd()
    patience = 2
    res = fit_edge_dependent(model, hg, x, pe, epochs=40, batch_size=16, lr=0.05, eval_every=1, patience=patience,
                             max_edges_per_node=3, progress=False)
    scores = res.history["val_micro_f1"]
    best = scores.index(max(scores))  # the earliest of equal best scores is kept
    assert res.epochs_run < 40 and res.history["eval_epoch"] == list(range(1, res.epochs_run + 1))
    assert len(scores) - 1 - best == patience + 1
    assert all(later <= scores[best] for later in scores[best + 1:])
    assert res.best_epoch == res.history["eval_epoch"][best] and scores[-1] < scores[best]
    # the kept weights, re-evaluated from outside, score the best evaluation's micro-F1
    model.eval()
    val = hg.edge_data["val_mask"].nonzero().view(-1)
    ids, logits = predict_edge_dependent(model, hg, res.embedding.weight, pe, val)
    accuracy = (logits.argmax(-1) == hg.incidence_data["y"][ids]).float().mean().item()
    assert accuracy == pytest.approx(scores[best]) and res.val["micro_f1"] == pytest.approx(scores[best])
    assert res.train == {"micro_f1": res.history["train_micro_f1"][best], "loss": res.history["loss"][best]}


def test_bad_arguments():
    hg, x, pe = synthetic_edge_dependent()
    with pytest.raises(ValueError):
        fit_edge_dependent(small_conhd(), hg, x, pe, epochs=0, progress=False)
    with pytest.raises(ValueError):
        fit_edge_dependent(small_conhd(), hg, x[:5], pe, epochs=1, progress=False)
    with pytest.raises(ValueError):
        fit_edge_dependent(torch.nn.Linear(6, 2), hg, x, pe, mode="sampled", epochs=1, progress=False)
    with pytest.raises(ValueError):
        build_edge_dependent_model("gat", 6, 2)
    with pytest.raises(ValueError, match="precision"):
        fit_edge_dependent(small_conhd(), hg, x, pe, epochs=1, precision="fp16", progress=False)
    with pytest.raises(ValueError, match="eval_precision"):
        fit_edge_dependent(small_conhd(), hg, x, pe, epochs=1, eval_precision="half", progress=False)


@pytest.mark.parametrize("mode", ["sampled", "full"])
def test_bfloat16_training_learns_like_float32_and_records_test_curves(mode):
    hg, x, pe = synthetic_edge_dependent()
    kwargs = dict(epochs=12, batch_size=8 if mode == "sampled" else None, lr=1e-2, eval_every=3, patience=None,
                  max_edges_per_node=3, mode=mode, gamma=1.0, record_test=True, progress=False)
    runs = {p: fit_edge_dependent(small_conhd(), hg, x, pe, precision=p, **kwargs) for p in ("float32", "bfloat16")}
    for res in runs.values():
        h = res.history
        assert len(h["test_micro_f1"]) == len(h["elapsed_s"]) == len(h["elapsed_cpu_s"]) == len(h["eval_epoch"]) == 4
        assert all(b > a for a, b in zip(h["elapsed_s"], h["elapsed_s"][1:]))
        # the curves record the test score; the kept weights are still chosen by validation
        best = h["eval_epoch"].index(res.best_epoch)
        assert h["val_micro_f1"][best] == max(h["val_micro_f1"])
        assert res.test["micro_f1"] == pytest.approx(h["test_micro_f1"][best])
        assert res.embedding.weight.dtype == torch.float32
    assert runs["bfloat16"].test["micro_f1"] > 0.8
    assert runs["bfloat16"].history["loss"][0] == pytest.approx(runs["float32"].history["loss"][0], rel=0.05)
    assert "test_micro_f1" not in fit_edge_dependent(small_conhd(), hg, x, pe, epochs=1, progress=False).history


@pytest.mark.parametrize("mode", ["sampled", "full"])
def test_bfloat16_validation_picks_the_weights_and_float32_scores_them(mode):
    """eval_precision only changes the periodic validation: training is the same step for step,
    the curves stay close to float32's, and the kept weights' final scores are float32 ones."""
    hg, x, pe = synthetic_edge_dependent()
    kwargs = dict(epochs=9, batch_size=8 if mode == "sampled" else None, lr=1e-2, eval_every=3, patience=None,
                  max_edges_per_node=3, mode=mode, gamma=1.0, record_test=True, progress=False)
    models, runs = {}, {}
    for p in ("float32", "bfloat16"):
        models[p] = small_conhd()  # seeds torch: both runs draw the same dropout masks
        runs[p] = fit_edge_dependent(models[p], hg, x, pe, eval_precision=p, **kwargs)
    low, ref = runs["bfloat16"], runs["float32"]
    assert low.history["loss"] == ref.history["loss"]
    assert low.history["val_micro_f1"] == pytest.approx(ref.history["val_micro_f1"], abs=0.05)
    assert low.history["val_loss"] != ref.history["val_loss"]  # the validation did run in bfloat16
    with torch.no_grad():  # the reported scores: the kept weights, scored in float32
        logits = models["bfloat16"](low.embedding.weight, hg, pe)
    assert logits.dtype == torch.float32
    nodes_edge = hg.hyperedge_index[1]
    for part in ("val", "test"):
        ids = hg.edge_data[f"{part}_mask"][nodes_edge]
        acc = (logits[ids].argmax(-1) == hg.incidence_data["y"][ids]).float().mean().item()
        assert low.to_dict()[part]["micro_f1"] == pytest.approx(acc, abs=1e-6)


def test_run_edge_dependent_report():
    hg, x, pe = synthetic_edge_dependent(seed=5)
    for name in ("conhd-unp", "mlp", "whatsnet", "conhd-admm"):
        report = run_edge_dependent(name, hg, seeds=2, epochs=2, eval_every=1, features=(x, pe), batch_size=24,
                                    hidden=8, progress=False)
        assert [r["seed"] for r in report["runs"]] == [0, 1]
        for key in ("test_micro_f1", "test_macro_f1", "val_micro_f1", "val_macro_f1"):
            assert set(report["summary"][key]) == {"mean", "std"}
            assert 0 <= report["summary"][key]["mean"] <= 100
        assert report["summary"]["epoch_s"] > 0 and report["summary"]["peak_rss_mb"] > 0
        assert report["data"]["num_classes"] == 2
        json.dumps(report)
    assert report["config"]["model_kwargs"]["hidden_channels"] == 8
    # the documented CoNHD defaults, and a list of seeds runs those seeds
    report = run_edge_dependent("conhd-unp", hg, seeds=[3, 10], epochs=1, features=(x, pe), progress=False)
    assert [r["seed"] for r in report["runs"]] == [3, 10]
    assert report["config"]["model_kwargs"] == {"num_layers": 1, "hidden_channels": 128, "dropout": 0.7,
                                                "input_dropout": 0.0}
    assert (report["config"]["batch_size"], report["config"]["lr"], report["config"]["operator"]) == (128, 1e-3, "unp")
    with pytest.raises(ValueError, match="unknown model"):
        run_edge_dependent("gat", hg, features=(x, pe), progress=False)
    with pytest.raises(ValueError, match="seeds"):
        run_edge_dependent("mlp", hg, seeds=0, features=(x, pe), progress=False)


@pytest.mark.parametrize("variant,num_layers", [("gd", 1), ("gd", 2), ("admm", 3)])
def test_layered_logits_equal_full_model(variant, num_layers):
    from hgnn.loader import hyperedge_neighborhood
    from hgnn.tasks.edge_dependent import conhd_layered_logits

    hg, x, pe = synthetic_edge_dependent(seed=6)
    torch.manual_seed(0)
    model = CoNHD(6, 2, hidden_channels=16, num_layers=num_layers, operator="isab", pe_channels=1, heads=2,
                  variant=variant, share_weights=num_layers != 2).eval()
    with torch.no_grad():
        full = model(x, hg, pe)
        b = hyperedge_neighborhood(hg, torch.tensor([1, 7, 30]), num_layers)
        out = conhd_layered_logits(model, x[b.node_ids], b, pe[b.incidence_ids])
    torch.testing.assert_close(out, full[b.target_incidence_ids], rtol=1e-5, atol=1e-5)
    assert [lv.numel() for lv in b.levels] == sorted((lv.numel() for lv in b.levels), reverse=True)
    assert torch.equal(b.levels[-1], b.target_index)
    with pytest.raises(ValueError):
        conhd_layered_logits(model, x[b.node_ids], hyperedge_neighborhood(hg, torch.tensor([1]), num_layers + 1))


@pytest.mark.parametrize("num_layers,pe_channels", [(1, 1), (2, 1), (2, 0)])
def test_whatsnet_layered_logits_equal_full_model(num_layers, pe_channels):
    from hgnn.loader import hyperedge_neighborhood
    from hgnn.models import WHATsNet
    from hgnn.tasks.edge_dependent import whatsnet_layered_logits

    hg, x, pe = synthetic_edge_dependent(seed=3)
    torch.manual_seed(0)
    model = WHATsNet(6, 2, hidden_channels=8, out_channels=8, num_layers=num_layers, pe_channels=pe_channels,
                     heads=2, num_inducing=2).eval()
    pe = pe if pe_channels else None
    with torch.no_grad():
        full = model(x, hg, pe)
        b = hyperedge_neighborhood(hg, torch.tensor([0, 5, 21]), model.num_hops)
        out = whatsnet_layered_logits(model, x[b.node_ids], b, None if pe is None else pe[b.incidence_ids])
        # the whole-batch forward agrees too, and the layered one reads fewer rows than R_0
        whole = model(x[b.node_ids], b.hg, None if pe is None else pe[b.incidence_ids])[b.target_index]
    torch.testing.assert_close(out, full[b.target_incidence_ids], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out, whole, rtol=1e-5, atol=1e-5)
    assert b.levels[2].numel() < b.levels[0].numel()
    with pytest.raises(ValueError, match="num_hops"):
        whatsnet_layered_logits(model, x[b.node_ids], hyperedge_neighborhood(hg, torch.tensor([1]), 1))


def test_fit_edge_dependent_layered_whatsnet_matches_unlayered_without_cap():
    """One training epoch of WHATsNet, layered or not, on exact neighbourhoods: same weights."""
    from hgnn.models import WHATsNet

    hg, x, pe = synthetic_edge_dependent(seed=4)
    results = []
    for layered in (True, False):
        torch.manual_seed(0)
        model = WHATsNet(6, 2, hidden_channels=8, out_channels=8, num_layers=1, pe_channels=1, heads=2,
                         num_inducing=2, dropout=0.0)
        fit_edge_dependent(model, hg, x, pe, epochs=1, batch_size=8, max_edges_per_node=None, layered=layered,
                           eval_every=1, progress=False)
        results.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    torch.testing.assert_close(results[0], results[1], rtol=1e-4, atol=1e-5)


def test_mlp_scorer_sampled_mode_equals_full_mode():
    """The MLP scorer reads only its batch's hyperedges (num_hops 0): training it on the batch's
    sub-hypergraph ("auto" picks that) gives the weights of full-graph steps."""
    hg, x, _ = synthetic_edge_dependent(seed=5)
    weights = []
    for mode in ("sampled", "full"):
        torch.manual_seed(0)
        model = IncidenceScorer(6, 2, encoder="mlp", hidden_channels=8, dropout=0.0)
        fit_edge_dependent(model, hg, x, epochs=2, batch_size=16, mode=mode, eval_every=1, progress=False)
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    torch.testing.assert_close(weights[0], weights[1], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("encoder,pe_channels", [("hgnnp", 1), ("hgnn", 0)])
def test_scorer_batch_logits_score_the_targets_with_full_graph_logits(encoder, pe_channels):
    """A message-passing scorer on its exact ``num_hops`` neighbourhood: batch_logits scores only
    the targets, and they are the full graph's logits."""
    from hgnn.loader import hyperedge_neighborhood
    from hgnn.tasks.edge_dependent import batch_logits

    hg, x, pe = synthetic_edge_dependent(seed=6)
    pe = pe if pe_channels else None
    torch.manual_seed(0)
    model = IncidenceScorer(6, 2, encoder=encoder, hidden_channels=8, pe_channels=pe_channels).eval()
    with torch.no_grad():
        full = model(x, hg, pe)
        b = hyperedge_neighborhood(hg, torch.tensor([0, 5, 21]), model.num_hops)
        out = batch_logits(model, x[b.node_ids], b, pe)
    assert out.shape == (b.target_index.numel(), 2)
    torch.testing.assert_close(out, full[b.target_incidence_ids], rtol=1e-5, atol=1e-5)


def test_auto_eval_batch_size_batches_only_when_cheaper_than_one_pass():
    from hgnn.tasks.edge_dependent.fit import _resolve_eval_batch

    # 40 disjoint pairs, half of them evaluated: a batch's neighbourhood is its own hyperedges, so
    # the batches read half the graph and win; joining every hyperedge to one hub node makes each
    # neighbourhood the whole graph.
    pairs = torch.arange(80).view(40, 2)
    index = torch.stack([pairs.reshape(-1), torch.arange(40).repeat_interleave(2)])
    disjoint = Hypergraph(index, num_nodes=80, num_edges=40)
    edges = torch.arange(20)
    assert _resolve_eval_batch("auto", disjoint, edges, 1, 2) == 8
    hub = Hypergraph(torch.cat([index, torch.stack([torch.zeros(40, dtype=torch.long), torch.arange(40)])], 1),
                     num_nodes=80, num_edges=40)
    assert _resolve_eval_batch("auto", hub, edges, 1, 2) is None
    assert _resolve_eval_batch(5, hub, edges, 1, 2) == 5
    assert _resolve_eval_batch("auto", hub, edges, None, 2) is None
