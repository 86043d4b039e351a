import pytest
import torch
import torch.nn.functional as F

from hgnn.distill import LightHGNNLoss, distill, mlp_student, teacher_logits
from hgnn.models import HGNN
from hgnn.train import fit, seed_everything

from distill_data import planted, split

pytestmark = pytest.mark.usefixtures("one_thread")


def test_student_shape_is_the_reference_mlp():
    s = mlp_student(10, 3)
    assert [m.out_features for m in s.lins] == [128, 3]
    assert isinstance(s.norms[0], torch.nn.BatchNorm1d) and s.dropout == 0.5
    assert s(torch.randn(4, 10)).shape == (4, 3)


def test_loss_lambda_one_is_cross_entropy_and_zero_is_soft_labels_only():
    torch.manual_seed(0)
    t, s = torch.randn(8, 3), torch.randn(8, 3)
    y = torch.randint(0, 3, (8,))
    train = torch.tensor([True, False] * 4)
    assert torch.allclose(LightHGNNLoss(t, y, train, lamb=1.0)(s), F.cross_entropy(s[train], y[train]))
    soft = LightHGNNLoss(t, y, train, lamb=0.0)(s)
    assert torch.allclose(soft, F.kl_div(F.log_softmax(s, 1), F.log_softmax(t, 1), reduction="batchmean",
                                         log_target=True))
    mixed = LightHGNNLoss(t, y, train, lamb=0.3)(s)
    assert torch.allclose(mixed, 0.3 * F.cross_entropy(s[train], y[train]) + 0.7 * soft)


def test_loss_rejects_bad_settings():
    t, y, m = torch.zeros(4, 2), torch.zeros(4, dtype=torch.long), torch.ones(4, dtype=torch.bool)
    with pytest.raises(ValueError, match="lamb"):
        LightHGNNLoss(t, y, m, lamb=1.5)
    with pytest.raises(ValueError, match="needs the hypergraph"):
        LightHGNNLoss(t, y, m, reliability=torch.ones(3))
    with pytest.raises(ValueError, match="train_mask"):
        LightHGNNLoss(t, y, m[:3])


def test_teacher_logits_are_eval_mode_constants():
    hg = planted()
    teacher = HGNN(16, 4).train()
    a, b = teacher_logits(teacher, hg.x, hg), teacher_logits(teacher, hg.x, hg)
    assert torch.equal(a, b) and not a.requires_grad and teacher.training


def teacher_and_mlp():
    """The planted hypergraph, its split, an HGNN teacher and a label-only MLP, each trained 100
    epochs from seed 0; returns ``(hg, masks, teacher, teacher_result, mlp_result)``."""
    hg = planted()
    masks = split(hg)
    seed_everything(0)
    teacher = HGNN(16, 4)
    t = fit(teacher, hg, masks, epochs=100, progress=False)
    seed_everything(0)
    mlp = fit(mlp_student(16, 4), hg, masks, epochs=100, progress=False)
    return hg, masks, teacher, t, mlp


@pytest.mark.parametrize("plus", [False, True])
def test_distilled_student_beats_the_label_only_mlp(plus):
    hg, masks, teacher, t, mlp = teacher_and_mlp()
    seed_everything(0)
    student = mlp_student(16, 4)
    s = distill(student, teacher, hg, masks, plus=plus, epochs=200, seed=0, progress=False)
    # the structure carries the signal: teacher >> MLP, and the student inherits it without hg
    assert t.test["acc"] > mlp.test["acc"] + 0.2
    assert s.test["acc"] > mlp.test["acc"] + 0.2
    assert s.test["acc"] > t.test["acc"] - 0.08
    student.eval()
    assert torch.equal(student(hg.x).argmax(1)[masks.test].eq(hg.y[masks.test]).float().mean(),
                       torch.tensor(s.test["acc"], dtype=torch.float32))


def test_distill_is_deterministic_under_a_seed():
    hg = planted()
    masks = split(hg)
    seed_everything(0)
    teacher = HGNN(16, 4)
    fit(teacher, hg, masks, epochs=30, progress=False)
    outs = []
    for _ in range(2):
        seed_everything(1)
        student = mlp_student(16, 4)
        distill(student, teacher, hg, masks, plus=True, epochs=20, seed=5, progress=False)
        outs.append(student.eval()(hg.x))
    assert torch.equal(outs[0], outs[1])


@pytest.mark.parametrize("plus", [False, True])
def test_function_matching_trains_the_student_only_and_matches_on_corrupted_inputs(plus):
    hg, masks, teacher, _, mlp = teacher_and_mlp()
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    seed_everything(0)
    student = mlp_student(16, 4)
    result = distill(student, teacher, hg, masks, plus=plus, augment=0.3, epochs=200, seed=0, progress=False)
    assert all(torch.equal(before[k], v) for k, v in teacher.state_dict().items())  # the teacher is not trained
    assert result.test["acc"] > mlp.test["acc"] + 0.2
    student.eval()  # the student holds the best weights and answers on clean features
    assert student(hg.x).argmax(1)[masks.test].eq(hg.y[masks.test]).float().mean().item() == \
        pytest.approx(result.test["acc"])


def test_function_matching_checks_its_settings():
    hg = planted()
    masks = split(hg)
    teacher = HGNN(16, 4)
    with pytest.raises(ValueError, match=r"augment .* must be in \[0, 1\)"):
        distill(mlp_student(16, 4), teacher, hg, masks, augment=1.0, epochs=1, progress=False)
    with pytest.raises(ValueError, match="cannot be combined with student_x"):
        distill(mlp_student(32, 4), teacher, hg, masks, augment=0.5, student_x=torch.randn(hg.num_nodes, 32),
                epochs=1, progress=False)
