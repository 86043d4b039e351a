"""run_distillation / distill_seed check every option before any model is trained."""
import pytest
import torch

from hgnn.distill import distill_seed, run_distillation
from hgnn.distill import experiment

from distill_data import planted

pytestmark = pytest.mark.usefixtures("one_thread")

#: (options, exception, words the message must hold)
BAD = [
    ({"modes": ("bogus",)}, ValueError, ["modes", "'kl', 'reference'", "'bogus'"]),
    ({"modes": "kl"}, TypeError, ["modes", "not the str 'kl'", "modes=('kl',)"]),
    ({"modes": ()}, ValueError, ["modes is empty"]),
    ({"baselines": "mlp"}, TypeError, ["baselines", "baselines=('mlp',)"]),
    ({"baselines": ("mlpp",)}, ValueError, ["baselines", "'mlpp'"]),
    ({"student_inputs": "features"}, TypeError, ["student_inputs", "student_inputs=('features',)"]),
    ({"tau": 0}, ValueError, ["tau must be > 0"]),
    ({"tau": float("nan")}, ValueError, ["tau must be > 0"]),
    ({"lamb": 2}, ValueError, ["lamb must be in [0, 1]"]),
    ({"augment": 1.5}, ValueError, ["augment must be in [0, 1)"]),
    ({"noise": -1}, ValueError, ["noise must be >= 0"]),
    ({"unseen_ratio": 1.0}, ValueError, ["unseen_ratio must be in (0, 1)"]),
    ({"student_hidden": 0}, ValueError, ["student_hidden must be >= 1"]),
    ({"teacher_hidden": 8.5}, TypeError, ["teacher_hidden must be an int"]),
    ({"epochs": 0}, ValueError, ["epochs must be >= 1"]),
    ({"teacher": "bogus"}, ValueError, ["teacher must be one of", "'hgnn'", "'bogus'"]),
    ({"teacher_init": "bogus"}, ValueError, ["teacher_init must be one of", "'torch', 'glorot'"]),
    ({"protocol": "bogus"}, ValueError, ["protocol must be one of", "'per-class'"]),
    ({"setting": "inductive"}, ValueError, ["setting must be one of"]),
    ({"split_rng": "numpy"}, ValueError, ["split_rng must be one of"]),
]
RUN_ONLY = [
    ({"seeds": 0}, ValueError, ["seeds must be >= 1"]),
    ({"device": "bogus"}, ValueError, ["device 'bogus' is not a torch device", "'cpu'"]),
    ({"device": f"cuda:{torch.cuda.device_count() + 3}"}, ValueError, ["device 'cuda:", "CUDA"]),
]


def _ids(cases: list) -> list:
    return [", ".join(f"{k}={v!r}" for k, v in options.items()) for options, _, _ in cases]


@pytest.fixture
def no_training(monkeypatch):
    """Make any training fail the test: a bad option must be refused before it."""
    def refuse(*args, **kwargs):
        raise AssertionError("training started")

    for name in ("fit", "train_teacher", "distill"):
        monkeypatch.setattr(experiment, name, refuse)


def _check_message(err: BaseException, words: list) -> None:
    for word in words:
        assert word in str(err), str(err)


@pytest.mark.parametrize("options, error, words", BAD + RUN_ONLY, ids=_ids(BAD + RUN_ONLY))
def test_run_distillation_checks_options_before_training(options, error, words, no_training):
    with pytest.raises(error) as info:
        run_distillation(planted(), progress=False, **{"seeds": 1, "epochs": 2, **options})
    _check_message(info.value, words)


SEED_ONLY = [
    ({"variants": ()}, TypeError, ["variants must be a non-empty tuple of bools"]),
    ({"variants": (1,)}, TypeError, ["variants"]),
]


@pytest.mark.parametrize("options, error, words", BAD + SEED_ONLY, ids=_ids(BAD + SEED_ONLY))
def test_distill_seed_checks_options_before_training(options, error, words, no_training):
    with pytest.raises(error) as info:
        distill_seed(planted(), 0, progress=False, **{"epochs": 2, **options})
    _check_message(info.value, words)
