import pytest

from hgnn.distill import run_distillation

from distill_data import planted

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("setting", ["transductive", "production"])
def test_run_distillation_reports_every_method(setting):
    hg = planted(per_class=140)
    report = run_distillation(hg, setting=setting, seeds=2, epochs=40, modes=("kl", "reference"),
                              baselines=("mlp", "hgnnp"), protocol="per-class", progress=False)
    methods = set(report["summary"])
    assert methods == {"mlp", "hgnnp", "hgnn", "lighthgnn", "lighthgnn+", "lighthgnn[ref]", "lighthgnn+[ref]"}
    keys = {"test_acc"} if setting == "transductive" else {"observed_acc", "unseen_acc", "all_acc"}
    for method, s in report["summary"].items():
        assert keys <= set(s) and "topology" in s
        for k in keys:
            assert 0.0 <= s[k]["mean"] <= 100.0
    # the structure carries the class: the teacher's hidden layer is smoother on hyperedges than the MLP's
    assert report["summary"]["hgnn"]["topology"]["mean"] < report["summary"]["mlp"]["topology"]["mean"]
    assert report["summary"]["lighthgnn+"]["test_acc" if setting == "transductive" else "all_acc"]["mean"] > \
        report["summary"]["mlp"]["test_acc" if setting == "transductive" else "all_acc"]["mean"] + 10


def test_bad_setting():
    with pytest.raises(ValueError, match="setting"):
        run_distillation(planted(), setting="inductive")
