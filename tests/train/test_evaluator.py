"""Metrics of hgnn.train.evaluator: hand-computed cases, scikit-learn parity, properties, errors."""
from __future__ import annotations

import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hgnn.train import METRICS, Evaluator, accuracy, confusion_matrix, f1_score, macro_f1, micro_f1

T = lambda values: torch.tensor(values, dtype=torch.long)  # noqa: E731

# y_true, y_pred of a 3-class case worked out by hand:
#   confusion (rows = truth): [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
#   F1 per class: c0 2/(2+1+1) = 1/2, c1 4/(4+1+0) = 4/5, c2 2/(2+0+1) = 2/3
Y_TRUE = [0, 0, 1, 1, 2, 2]
Y_PRED = [0, 1, 1, 1, 2, 0]


# ---------------------------------------------------------------- hand-computed cases
def test_accuracy_by_hand():
    assert accuracy(T(Y_TRUE), T(Y_PRED)) == pytest.approx(4 / 6)
    assert accuracy(T([3, 1]), T([3, 1])) == 1.0
    assert accuracy(T([3, 1]), T([1, 3])) == 0.0
    assert isinstance(accuracy(T(Y_TRUE), T(Y_PRED)), float)


def test_confusion_matrix_by_hand():
    cm = confusion_matrix(T(Y_TRUE), T(Y_PRED))
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert cm.sum() == len(Y_TRUE)
    # rows are the truth, columns the prediction: a single (truth 0, pred 2) lands at [0, 2]
    assert confusion_matrix(T([0]), T([2])).tolist() == [[0, 0, 1], [0, 0, 0], [0, 0, 0]]


def test_confusion_matrix_num_classes_pads():
    cm = confusion_matrix(T([0, 1]), T([0, 1]), num_classes=4)
    assert cm.shape == (4, 4)
    assert cm.tolist() == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]


def test_macro_f1_by_hand():
    assert macro_f1(T(Y_TRUE), T(Y_PRED)) == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)
    assert f1_score(T(Y_TRUE), T(Y_PRED), "macro") == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)


def test_micro_f1_by_hand():
    assert micro_f1(T(Y_TRUE), T(Y_PRED)) == pytest.approx(4 / 6)
    assert f1_score(T(Y_TRUE), T(Y_PRED), "micro") == pytest.approx(4 / 6)


def test_macro_f1_class_only_in_prediction_counts_as_zero():
    # class 2 never occurs in y_true but is predicted once: its F1 is 0 and it is averaged in.
    # c0: tp 1, fp 0, fn 1 -> 2/3; c1: tp 2 -> 1; c2: tp 0, fp 1 -> 0
    y_true, y_pred = T([0, 0, 1, 1]), T([0, 2, 1, 1])
    assert macro_f1(y_true, y_pred) == pytest.approx((2 / 3 + 1 + 0) / 3)


def test_macro_f1_class_in_neither_is_left_out():
    # class 1 is in neither y_true nor y_pred: perfect predictions must still score 1, not 2/3
    y_true = T([0, 0, 2, 2])
    assert macro_f1(y_true, y_true.clone()) == 1.0
    assert f1_score(y_true, y_true.clone(), "macro", num_classes=5) == 1.0


def test_macro_differs_from_micro_on_imbalanced_data():
    # always predicting the majority class: accuracy 0.9, macro-F1 = (F1_0 + 0) / 2
    y_true = T([0] * 9 + [1])
    y_pred = T([0] * 10)
    assert micro_f1(y_true, y_pred) == pytest.approx(0.9)
    assert macro_f1(y_true, y_pred) == pytest.approx((18 / 19) / 2)


def test_logits_are_argmaxed():
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.5, 0.1, 0.9], [1.0, 0.0, -1.0]])
    y_true = T([0, 1, 1, 0])  # argmax = [0, 1, 2, 0] -> 3 of 4 right
    assert accuracy(y_true, logits) == pytest.approx(0.75)
    assert confusion_matrix(y_true, logits).tolist() == [[2, 0, 0], [0, 1, 1], [0, 0, 0]]
    assert macro_f1(y_true, logits) == macro_f1(y_true, T([0, 1, 2, 0]))


def test_column_vector_targets_are_flattened():
    assert accuracy(T(Y_TRUE).view(-1, 1), T(Y_PRED)) == pytest.approx(4 / 6)


def test_metrics_registry():
    assert METRICS == {"acc": accuracy, "macro_f1": macro_f1, "micro_f1": micro_f1}


# ---------------------------------------------------------------- scikit-learn parity
def test_against_sklearn_random_cases():
    metrics = pytest.importorskip("sklearn.metrics")
    gen = torch.Generator().manual_seed(0)
    for trial in range(30):
        n = int(torch.randint(1, 60, (1,), generator=gen))
        c = int(torch.randint(1, 8, (1,), generator=gen))
        y_true = torch.randint(0, c, (n,), generator=gen)
        # biased predictions: mostly right, sometimes classes y_true lacks
        y_pred = torch.where(torch.rand(n, generator=gen) < 0.6, y_true, torch.randint(0, c + 1, (n,), generator=gen))
        a, b = y_true.numpy(), y_pred.numpy()
        labels = list(range(int(max(a.max(), b.max())) + 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert accuracy(y_true, y_pred) == pytest.approx(metrics.accuracy_score(a, b)), trial
            assert macro_f1(y_true, y_pred) == pytest.approx(metrics.f1_score(a, b, average="macro")), trial
            assert micro_f1(y_true, y_pred) == pytest.approx(metrics.f1_score(a, b, average="micro")), trial
            assert confusion_matrix(y_true, y_pred).numpy().tolist() == \
                metrics.confusion_matrix(a, b, labels=labels).tolist(), trial


def test_against_sklearn_absent_class():
    metrics = pytest.importorskip("sklearn.metrics")
    y_true, y_pred = [0, 0, 1, 1, 1, 3], [0, 2, 1, 1, 0, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = metrics.f1_score(y_true, y_pred, average="macro")
    assert macro_f1(T(y_true), T(y_pred)) == pytest.approx(expected)


# ---------------------------------------------------------------- properties
@st.composite
def label_pairs(draw):
    n = draw(st.integers(1, 40))
    c = draw(st.integers(1, 6))
    y_true = draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n))
    y_pred = draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n))
    return T(y_true), T(y_pred)


@settings(max_examples=60, deadline=None)
@given(label_pairs())
def test_property_micro_f1_is_accuracy_and_in_unit_interval(pair):
    y_true, y_pred = pair
    acc = accuracy(y_true, y_pred)
    assert micro_f1(y_true, y_pred) == pytest.approx(acc)
    assert acc == pytest.approx((y_true == y_pred).sum().item() / y_true.numel())
    for value in (acc, macro_f1(y_true, y_pred), micro_f1(y_true, y_pred)):
        assert 0.0 <= value <= 1.0
    cm = confusion_matrix(y_true, y_pred)
    assert cm.sum() == y_true.numel() and cm.trace() == (y_true == y_pred).sum()
    assert cm.sum(1)[y_true].min() > 0  # every true class has a non-empty row


@settings(max_examples=60, deadline=None)
@given(label_pairs())
def test_property_perfect_predictions_score_one(pair):
    y_true, _ = pair
    for metric in METRICS.values():
        assert metric(y_true, y_true.clone()) == 1.0


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_property_logits_path_equals_argmax(n, c, seed):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, generator=gen)
    y_true = torch.randint(0, c, (n,), generator=gen)
    pred = logits.argmax(-1)
    for metric in METRICS.values():
        assert metric(y_true, logits) == metric(y_true, pred)
    assert torch.equal(confusion_matrix(y_true, logits), confusion_matrix(y_true, pred))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("metric", [accuracy, macro_f1, micro_f1, confusion_matrix])
def test_empty_input_raises(metric):
    with pytest.raises(ValueError, match="zero examples"):
        metric(T([]), T([]))


@pytest.mark.parametrize("metric", [accuracy, macro_f1, micro_f1, confusion_matrix])
def test_float_labels_raise(metric):
    with pytest.raises(TypeError, match="integer class ids"):
        metric(torch.tensor([0.0, 1.0]), T([0, 1]))
    with pytest.raises(TypeError, match="integer class ids"):
        metric(T([0, 1]), torch.tensor([0.0, 1.0]))


@pytest.mark.parametrize("metric", [accuracy, macro_f1, micro_f1, confusion_matrix])
def test_length_mismatch_raises(metric):
    with pytest.raises(ValueError, match="3 entries but y_pred has 2"):
        metric(T([0, 1, 1]), T([0, 1]))
    with pytest.raises(ValueError, match="3 entries but y_pred has 2"):
        metric(T([0, 1, 1]), torch.randn(2, 4))  # logits of the wrong length


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match=r"y_true must be \[n\]"):
        accuracy(torch.zeros(3, 2, dtype=torch.long), T([0, 1, 1]))
    with pytest.raises(ValueError, match=r"y_true must be \[n\]"):
        accuracy(T([0, 1]), torch.zeros(2, 2, 2))


def test_non_tensor_raises():
    with pytest.raises(TypeError, match="must be tensors"):
        accuracy([0, 1], T([0, 1]))


def test_confusion_matrix_rejects_negative_and_too_few_classes():
    with pytest.raises(ValueError, match="non-negative"):
        confusion_matrix(T([0, -1]), T([0, 1]))
    with pytest.raises(ValueError, match="num_classes=2 but a class id 2"):
        confusion_matrix(T([0, 2]), T([0, 1]), num_classes=2)


def test_f1_unknown_average_raises():
    with pytest.raises(ValueError, match="average must be 'macro' or 'micro'"):
        f1_score(T([0, 1]), T([0, 1]), average="weighted")


# ---------------------------------------------------------------- Evaluator
def test_evaluator_default_metrics_and_main():
    ev = Evaluator()
    assert ev.metrics == ("acc", "macro_f1", "micro_f1")
    assert ev.main == "acc"
    assert "acc" in repr(ev)


def test_evaluator_main_is_first_metric():
    assert Evaluator(["macro_f1", "acc"]).main == "macro_f1"
    ev = Evaluator("micro_f1")  # a single name, not its characters
    assert ev.metrics == ("micro_f1",) and ev.main == "micro_f1"


def test_evaluator_eval_keys_and_values():
    ev = Evaluator(["macro_f1", "acc"])
    out = ev.eval({"y_true": T(Y_TRUE), "y_pred": T(Y_PRED)})
    assert list(out) == ["macro_f1", "acc"]
    assert out["acc"] == pytest.approx(4 / 6)
    assert out["macro_f1"] == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)
    assert all(isinstance(v, float) for v in out.values())


def test_evaluator_eval_takes_logits():
    logits = torch.nn.functional.one_hot(T(Y_PRED), 3).float() * 5 - 1
    assert Evaluator().eval({"y_true": T(Y_TRUE), "y_pred": logits}) == \
        Evaluator().eval({"y_true": T(Y_TRUE), "y_pred": T(Y_PRED)})


def test_evaluator_unknown_metric_raises():
    with pytest.raises(ValueError, match=r"unknown metrics \['auc'\]"):
        Evaluator(["acc", "auc"])
    with pytest.raises(ValueError, match="unknown metrics"):
        Evaluator([])


def test_evaluator_eval_missing_keys_raises():
    with pytest.raises(ValueError, match="'y_true' and 'y_pred'"):
        Evaluator().eval({"y_true": T([0])})
    with pytest.raises(ValueError, match="zero examples"):
        Evaluator().eval({"y_true": T([]), "y_pred": T([])})


def test_metrics_refuse_negative_class_ids():
    from hgnn.train import accuracy

    with pytest.raises(ValueError, match="non-negative"):
        accuracy(torch.tensor([-1, 0]), torch.tensor([-1, 1]))
    with pytest.raises(ValueError, match="unlabelled"):
        accuracy(torch.tensor([0, 1]), torch.tensor([-1, 1]))
