"""The deep-GCN / HyperDrop study runner of benchmarks/hyperdrop_node.py, on a few epochs."""
import pytest

from tests.benchmarks._bench import load_benchmark

pytestmark = pytest.mark.usefixtures("one_thread")


def test_study_runner_reports_a_split():
    bench = load_benchmark("hyperdrop_node")
    report = bench.run_node_hyperdrop("cocitation-cora", num_layers=2, epochs=3, patience=1, progress=False)
    (run,) = report["runs"]
    assert 0 <= run["test_acc"] <= 100 and run["epochs_run"] <= 3 and report["graph"].startswith("clique")


def test_molhiv_runner_refuses_an_unknown_model():
    bench = load_benchmark("molhiv")
    with pytest.raises(ValueError, match="model must be one of"):
        bench.run_molhiv("gin")
