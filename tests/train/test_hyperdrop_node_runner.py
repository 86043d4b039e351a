import pytest

from hgnn.train.hyperdrop_node import run_node_hyperdrop

pytestmark = pytest.mark.usefixtures("one_thread")


def test_study_runner_reports_a_split():
    report = run_node_hyperdrop("cocitation-cora", num_layers=2, epochs=3, patience=1, progress=False)
    (run,) = report["runs"]
    assert 0 <= run["test_acc"] <= 100 and run["epochs_run"] <= 3 and report["graph"].startswith("clique")
