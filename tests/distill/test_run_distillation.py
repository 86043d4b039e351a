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
    # the students learn what the structure says: far above the label-only MLP (less so in production,
    # where they see the soft labels of the observed vertices only)
    metric, margin = ("test_acc", 10) if setting == "transductive" else ("all_acc", 5)
    assert report["summary"]["lighthgnn+"][metric]["mean"] > report["summary"]["mlp"][metric]["mean"] + margin


def test_bad_setting():
    with pytest.raises(ValueError, match="setting"):
        run_distillation(planted(), setting="inductive")


def test_teacher_init_and_protocol_options_are_recorded_and_checked():
    hg = planted(per_class=140)
    report = run_distillation(hg, setting="production", seeds=1, epochs=5, protocol="per-class", progress=False,
                              split_rng="torch", merge_duplicates=False, teacher_init="glorot", augment=0.2,
                              student_inputs=("features", "one-hop"))
    assert {k: report["config"][k] for k in ("split_rng", "merge_duplicates", "teacher_init", "augment")} == \
        {"split_rng": "torch", "merge_duplicates": False, "teacher_init": "glorot", "augment": 0.2}
    assert {"lighthgnn[1-hop]", "lighthgnn+[1-hop]", "mlp[1-hop]"} <= set(report["summary"])
    with pytest.raises(ValueError, match="init must be one of"):
        run_distillation(hg, seeds=1, epochs=1, teacher_init="xavier", progress=False)
    with pytest.raises(ValueError, match="rng must be one of"):
        run_distillation(hg, seeds=1, epochs=1, split_rng="numpy", progress=False)


def test_train_teacher_init():
    import torch

    from hgnn.distill import train_teacher
    from distill_data import split

    hg = planted()
    torch_init = train_teacher("hgnn", hg, split(hg), epochs=0 + 1, lr=0.0, seed=0)
    glorot = train_teacher("hgnn", hg, split(hg), epochs=1, lr=0.0, seed=0, init="glorot")
    lin_t, lin_g = [[m for m in net.modules() if type(m) is torch.nn.Linear][0] for net in (torch_init, glorot)]
    bound = lin_t.in_features ** -0.5  # PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias too
    assert lin_t.weight.abs().max() <= bound and 0 < lin_t.bias.abs().max() <= bound
    assert torch.all(lin_g.bias == 0) and lin_g.weight.abs().max() > bound
