"""The topology VAE's reproduction runners (benchmarks/topology_vae/), on a few steps."""
import math

import pytest

from tests.benchmarks._bench import load_benchmark

pytestmark = pytest.mark.usefixtures("one_thread")


def cora_or_skip() -> None:
    from hgnn.datasets import available

    if not any(info.name == "cocitation-cora" and info.on_disk for info in available()):
        pytest.skip("dataset cocitation-cora not on disk (set HGNN_DATA to the datasets folder)")


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


def test_summarize_agents():
    bench = load_benchmark("topology_vae/agents")
    run = {"methods": {"learned": {p: {"accuracy": 60.0, "messages": 2.0} for p in ("all", "easy", "hard")}}}
    s = bench.summarize_agents([run, run])
    assert s["learned"]["hard"]["accuracy"] == {"mean": 60.0, "std": 0.0}
