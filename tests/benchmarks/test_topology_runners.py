"""The topology VAE's reproduction runners (benchmarks/topology_vae/), on a few steps."""
import math

import pytest

from tests.benchmarks._bench import load_benchmark

pytestmark = pytest.mark.usefixtures("one_thread")


def cora_or_skip(*names: str) -> None:
    from hgnn.datasets import available

    on_disk = {info.name for info in available() if info.on_disk}
    for name in names or ("cocitation-cora",):
        if name not in on_disk:
            pytest.skip(f"dataset {name} not on disk (set HGNN_DATA to the datasets folder)")


def test_planted_runner_scores_every_hypergraph():
    bench = load_benchmark("topology_vae/planted")
    run = bench.run_planted("easy", steps=4, seed=0, progress=False)
    assert set(run["results"]) == {"learned", "none", "complete", "random (same cost)", "kNN on private vectors"}
    assert run["hidden_incidences"] == 4.0 and len(run["learned_incidence"]) == 24
    assert run["results"]["random (same cost)"]["incidences"] == run["results"]["learned"]["incidences"]
    assert math.isnan(run["results"]["kNN on private vectors"]["f1"])
    summary = bench.summarize_planted([run, run])
    assert summary["none"]["accuracy"] == pytest.approx(run["results"]["none"]["accuracy"])
    with pytest.raises(ValueError, match="difficulty must be one of"):
        bench.run_planted("extreme")


def test_repair_runner_reports_every_hypergraph():
    cora_or_skip()
    bench = load_benchmark("topology_vae/repair")
    run = bench.run_repair("cocitation-cora", steps=2, seed=0, progress=False, score_epochs=2)
    names = {"clean", "corrupted", "learned", "prior only", "no hyperedges"}
    assert set(run["accuracy"]) == set(run["incidences"]) == names
    assert run["incidences"]["clean"] == run["incidences"]["corrupted"] and run["incidences"]["no hyperedges"] == 0
    assert 0.4 < run["real_share"]["corrupted"] < 0.6 and set(run["mix"]) == {"a", "b", "c"}
    # proposing: the candidates are scored too, proposals are never real, the structure baseline joins
    grown = bench.run_repair("cocitation-cora", steps=2, seed=0, progress=False, score_epochs=2, propose=2,
                             teach=1.0, structure=True)
    assert set(grown["accuracy"]) == names | {"candidates", "feature + structure, untrained"}
    assert grown["incidences"]["candidates"] > grown["incidences"]["corrupted"]
    assert grown["real_share"]["learned"] <= 1.0 and grown["structure_weight"] is not None
    assert 0 <= grown["proposals_kept"]["learned"] <= grown["incidences"]["candidates"] - run["incidences"]["corrupted"]


def test_summarize_repair_means_and_recovery():
    bench = load_benchmark("topology_vae/repair")
    runs = [{"accuracy": {"clean": 0.7, "learned": 0.6}, "incidences": {"clean": 10, "learned": 4}, "recovered": 0.5},
            {"accuracy": {"clean": 0.8, "learned": 0.6}, "incidences": {"clean": 10, "learned": 6}, "recovered": 0.7}]
    s = bench.summarize_repair(runs)
    assert s["clean"]["accuracy"]["mean"] == pytest.approx(75.0)
    assert s["learned"]["incidences"]["mean"] == pytest.approx(5.0)
    assert s["recovered"]["mean"] == pytest.approx(0.6)


def test_agents_runner_reports_every_method():
    cora_or_skip()
    bench = load_benchmark("topology_vae/agents")
    run = bench.run_agents("cocitation-cora", num_slots=1, steps=3, batch_size=16, seed=0, progress=False,
                           expert_epochs=2)
    assert set(run["methods"]) == {"learned", "all-to-all", "no communication (best expert)", "random (same agents)",
                                   "kNN (same agents)"}
    assert run["methods"]["all-to-all"]["all"]["messages"] == 8.0
    for baseline in ("random (same agents)", "kNN (same agents)"):
        messages = run["methods"][baseline]["all"]["messages"]
        assert messages == pytest.approx(run["methods"]["learned"]["all"]["messages"])
    assert len(run["expert_accuracy"]) == 8 and len(run["utility_history"]) == 3
    # probe and escalate: the probes' messages are counted and the parts also split by their agreement
    probed = bench.run_agents("cocitation-cora", num_slots=1, steps=3, batch_size=16, seed=0, progress=False,
                              expert_epochs=2, probe=3, samples=2, entropy=0.02)
    parts = probed["methods"]["learned"]
    assert set(parts) == {"all", "easy", "hard", "probes agree", "probes split"}
    assert parts["all"]["messages"] >= 3.0
    oracle = probed["methods"]["oracle: all agents exactly where that corrects the probes"]["all"]
    assert 3.0 <= oracle["messages"] <= 8.0 and oracle["accuracy"] >= probed["methods"]["all-to-all"]["all"]["accuracy"]
    assert sum(cell["queries"] for cell in probed["difficulty"]["learned"].values()) == 542  # every test query


def test_agents_runner_on_a_mixed_pool():
    cora_or_skip("cocitation-cora", "mushroom")
    bench = load_benchmark("topology_vae/agents")
    run = bench.run_agents(["cocitation-cora", "mushroom"], num_experts=3, num_slots=1, steps=3, batch_size=16,
                           seed=0, progress=False, expert_epochs=2, per_dataset=200)
    methods = run["methods"]
    assert "all of the query's dataset" in methods and run["num_experts"] == 6
    assert set(methods["learned"]) == {"all", "easy", "hard", "cocitation-cora", "mushroom", "easy cocitation-cora",
                                       "hard cocitation-cora", "easy mushroom", "hard mushroom"}
    assert methods["all-to-all"]["all"]["messages"] == 6.0
    assert methods["all of the query's dataset"]["all"]["messages"] == 3.0
    assert methods["no communication (best expert)"]["mushroom"]["messages"] == 1.0
    assert sum(cell["queries"] for cell in run["difficulty"]["learned"].values()) == 80  # 20% of 400 queries
    assert set(run["difficulty"]["learned"]) <= {1, 2, 3}  # agreement among the query's own 3 experts
    by_dataset = run["difficulty_by_dataset"]
    assert set(by_dataset) == {"cocitation-cora", "mushroom"}
    assert sum(cell["queries"] for cells in by_dataset.values() for cell in cells.values()) == 80
    pooled = bench.summarize_difficulty([run, run], "difficulty_by_dataset")
    assert {k: v["queries"] for k, v in pooled["mushroom"].items()} == \
        {k: 2 * v["queries"] for k, v in by_dataset["mushroom"].items()}
    # probes of the query's own dataset; escalation (oracle, rule) to that dataset's experts only
    probed = bench.run_agents(["cocitation-cora", "mushroom"], num_experts=3, num_slots=1, steps=3, batch_size=16,
                              seed=0, progress=False, expert_epochs=2, per_dataset=200, probe=1)
    for name in ("oracle: all agents exactly where that corrects the probes",
                 "rule: all agents where the probes are unsure"):
        assert 1.0 <= probed["methods"][name]["all"]["messages"] <= 3.0
    assert probed["methods"]["learned"]["all"]["messages"] >= 1.0
    assert "probes split" not in probed["methods"]["learned"]  # one probe always agrees with itself
    # two escalation rounds from the joined probe: one group, the probe always in it
    rounds = bench.run_agents(["cocitation-cora", "mushroom"], num_experts=3, num_slots=1, steps=3, batch_size=16,
                              seed=0, progress=False, expert_epochs=2, per_dataset=200, probe=1, join_probes=True,
                              rounds=2)
    assert 1.0 <= rounds["methods"]["learned"]["all"]["messages"] <= 6.0
    # one agent at a time, at most as many as a dataset has experts
    sequential = bench.run_agents(["cocitation-cora", "mushroom"], num_experts=3, steps=3, batch_size=16, seed=0,
                                  progress=False, expert_epochs=2, per_dataset=200, target=0.9, max_agents=3,
                                  gate_reads_answer=True)
    assert sequential["target"] == 0.9 and len(sequential["loss_history"]) == 3
    assert 1.0 <= sequential["methods"]["learned"]["all"]["messages"] <= 3.0
    assert sequential["methods"]["kNN (same agents)"]["all"]["messages"] == \
        pytest.approx(sequential["methods"]["learned"]["all"]["messages"])


@pytest.mark.parametrize("argv", [["--rounds", "0"], ["--rounds", "2", "--probe", "1", "--slots", "1"],
                                  ["--rounds", "2", "--probe", "1", "--join-probes"],
                                  ["--rounds", "2", "--join-probes", "--slots", "1"]])
def test_agents_runner_checks_rounds_before_it_trains(argv, monkeypatch, capsys):
    bench = load_benchmark("topology_vae/agents")
    monkeypatch.setattr("sys.argv", ["agents.py", *argv])
    monkeypatch.setattr(bench, "run_agents", lambda *a, **k: pytest.fail("trained before checking --rounds"))
    with pytest.raises(SystemExit):
        bench.main()
    assert "--rounds" in capsys.readouterr().err


@pytest.mark.parametrize("argv, flag", [(["--targets", "0"], "--targets"), (["--targets", "0.8", "--probe", "1"], "--targets"),
                                        (["--targets", "0.8", "--slots", "3"], "--targets"),
                                        (["--max-agents", "3"], "--max-agents"),
                                        (["--targets", "0.8", "--max-agents", "9"], "--max-agents")])
def test_agents_runner_checks_targets_before_it_trains(argv, flag, monkeypatch, capsys):
    bench = load_benchmark("topology_vae/agents")
    monkeypatch.setattr("sys.argv", ["agents.py", *argv])
    monkeypatch.setattr(bench, "run_agents", lambda *a, **k: pytest.fail("trained before checking the options"))
    with pytest.raises(SystemExit):
        bench.main()
    assert flag in capsys.readouterr().err


def test_make_pool_places_each_dataset_in_its_own_columns():
    cora_or_skip("cocitation-cora", "mushroom")
    bench = load_benchmark("topology_vae/agents")
    pool = bench.make_pool(["cocitation-cora", "mushroom"], num_experts=2, seed=0, expert_epochs=1, per_dataset=50)
    query, domain, y = pool["query"], pool["domain"], pool["y"]
    assert query.shape == (100, 1433 + 22) and pool["outputs"].shape == (100, 4, 7 + 2)
    assert bool((query[domain == 0, 1433:] == 0).all()) and bool((query[domain == 1, :1433] == 0).all())
    assert int(y[domain == 1].min()) >= 7  # Mushroom's labels come after Cora's 7 classes
    assert pool["own"].tolist() == [[0, 1], [2, 3]]


def test_summarize_agents():
    bench = load_benchmark("topology_vae/agents")
    run = {"methods": {"learned": {p: {"accuracy": 60.0, "messages": 2.0} for p in ("all", "easy", "hard")}}}
    s = bench.summarize_agents([run, run])
    assert s["learned"]["hard"]["accuracy"] == {"mean": 60.0, "std": 0.0}
    empty = {"methods": {"learned": {p: {"accuracy": float("nan"), "messages": float("nan")} for p in ("all", "easy", "hard")}}}
    s = bench.summarize_agents([run, empty])  # a part without queries in one run is left out of the mean
    assert s["learned"]["hard"]["accuracy"] == {"mean": 60.0, "std": 0.0}
