"""Distillation experiments: teacher, students and baselines on one dataset, many seeds.

This is what ``hgnn distill`` and ``benchmarks/distill.py`` call::

    from hgnn.distill import run_distillation
    report = run_distillation("cocitation-cora", teacher="hgnn", setting="transductive", seeds=5)
    report["summary"]["lighthgnn+"]["test_acc"]       # {'mean': ..., 'std': ...}

Per seed: one split (LightHGNN's 20 train / 100 validation vertices per class by default), the
teacher trained on it (hidden 32, dropout 0.5, Adam lr 0.01, weight decay 5e-4, 200 epochs, best
validation epoch), then LightHGNN and LightHGNN+ students (hidden 128, same optimiser) for each
loss ``mode``, and the baselines (an MLP of the student's shape trained on labels alone; other
hypergraph models). All of it as in the public LightHGNN code.
"""
from __future__ import annotations

import math
import numbers
import platform
import statistics
import time
from typing import Any, Callable, Sequence

import torch
from torch import Tensor, nn

from hgnn.distill.inputs import STUDENT_INPUTS, student_input
from hgnn.distill.losses import KD_MODES
from hgnn.distill.lighthgnn import distill, mlp_student
from hgnn.distill.production import ProductionSplit, observed_hypergraph, production_split
from hgnn.distill.topology_score import topology_score
from hgnn.structure import Hypergraph
from hgnn.structure.validate import check_device
from hgnn.tasks import MODELS, build_model
from hgnn.train import PROTOCOLS, SPLIT_RNGS, Split, accuracy, fit, seed_everything, split_of_seed
from hgnn.transforms import prepare

__all__ = ["SETTINGS", "TEACHER_INITS", "distill_seed", "method_name", "run_distillation", "train_teacher"]

SETTINGS = ("transductive", "production")
#: teacher initialisations of :func:`train_teacher`
TEACHER_INITS = ("torch", "glorot")


def _check_names(name: str, values: Any, allowed: Sequence[str], *, empty_ok: bool = False,
                 normalize: Callable[[str], str] = str) -> None:
    """Refuse ``values`` unless it is a sequence (not a str) of names from ``allowed``."""
    if isinstance(values, str):
        raise TypeError(f"{name} must be a sequence of names from {tuple(allowed)}, not the str {values!r} "
                        f"(it would be read letter by letter): write {name}=({values!r},)")
    try:
        values = tuple(values)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of names from {tuple(allowed)}, got {values!r}") from None
    if not values and not empty_ok:
        raise ValueError(f"{name} is empty: give at least one of {tuple(allowed)}")
    bad = [v for v in values if not isinstance(v, str) or normalize(v) not in allowed]
    if bad:
        raise ValueError(f"{name} must hold names from {tuple(allowed)}, got {bad[0]!r}; drop or correct it")


def _check_choice(name: str, value: Any, allowed: Sequence[str], normalize: Callable[[str], str] = str) -> None:
    """Refuse ``value`` unless it is one of ``allowed``."""
    if not isinstance(value, str) or normalize(value) not in allowed:
        raise ValueError(f"{name} must be one of {tuple(allowed)}, got {value!r}")


def _check_number(name: str, value: Any, accept: Callable[[float], bool], what: str, integer: bool = False) -> None:
    """Refuse ``value`` unless it is a (finite) number, an int where ``integer``, and ``accept(value)``."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {'an int' if integer else 'a number'} {what}, got {value!r}")
    if not (math.isfinite(value) and accept(value)):
        raise ValueError(f"{name} must be {what}, got {value!r}")


def _model_key(name: str) -> str:
    """A model name as :func:`~hgnn.tasks.build_model` reads it (case-insensitive; ``hgnn+`` is ``hgnnp``)."""
    return name.lower().replace("+", "p")


def _check_options(*, teacher: Any, setting: Any, protocol: Any, modes: Any, variants: Any, baselines: Any,
                   lamb: Any, tau: Any, noise: Any, unseen_ratio: Any, epochs: Any, teacher_hidden: Any,
                   student_hidden: Any, split_rng: Any, teacher_init: Any, student_inputs: Any, augment: Any,
                   seeds: Any = 1, device: Any = "cpu") -> None:
    """Check every option of :func:`run_distillation` / :func:`distill_seed` before any training.

    Raises:
        TypeError: an option of the wrong type (a str where a sequence of names is expected, a float
            for a count).
        ValueError: an unknown name or a number out of its range; the message names the option and
            what it accepts.
    """
    models = sorted(MODELS)
    _check_choice("teacher", teacher, models, _model_key)
    _check_choice("setting", setting, SETTINGS)
    _check_choice("protocol", protocol, PROTOCOLS + ("auto",))
    _check_choice("split_rng", split_rng, SPLIT_RNGS)
    _check_choice("teacher_init", teacher_init, TEACHER_INITS)
    _check_names("modes", modes, KD_MODES)
    _check_names("baselines", baselines, models, empty_ok=True, normalize=_model_key)
    _check_names("student_inputs", student_inputs, STUDENT_INPUTS)
    if isinstance(variants, str) or not all(isinstance(v, bool) for v in variants) or not variants:
        raise TypeError(f"variants must be a non-empty tuple of bools (False: LightHGNN, True: LightHGNN+), "
                        f"got {variants!r}")
    _check_number("lamb", lamb, lambda v: 0 <= v <= 1, "in [0, 1] (the weight of the label cross-entropy)")
    _check_number("tau", tau, lambda v: v > 0, "> 0 (the distillation temperature)")
    _check_number("noise", noise, lambda v: v >= 0, ">= 0 (the reliability's feature-noise level)")
    _check_number("augment", augment, lambda v: 0 <= v < 1, "in [0, 1) (the share of input entries dropped)")
    _check_number("unseen_ratio", unseen_ratio, lambda v: 0 < v < 1, "in (0, 1) (the share of test vertices held out)")
    for name, value in (("seeds", seeds), ("epochs", epochs), ("teacher_hidden", teacher_hidden),
                        ("student_hidden", student_hidden)):
        _check_number(name, value, lambda v: v >= 1, ">= 1", integer=True)
    check_device(device)


def method_name(plus: bool, mode: str, student_input: str = "features") -> str:
    """``lighthgnn`` / ``lighthgnn+``, with ``[ref]`` for the reference-code loss and ``[1-hop]`` for
    the one-hop student input (:mod:`hgnn.distill.inputs`)."""
    return ("lighthgnn+" if plus else "lighthgnn") + ("" if mode == "kl" else "[ref]") + _input_suffix(student_input)


def _input_suffix(student_input: str) -> str:
    """``[1-hop]`` for the one-hop student input, nothing for features alone (method names)."""
    return "" if student_input == "features" else "[1-hop]"


def train_teacher(name: str, hg: Hypergraph, split: Split, *, hidden: int = 32, dropout: float = 0.5,
                  epochs: int = 200, lr: float = 0.01, weight_decay: float = 5e-4, seed: int = 0,
                  init: str = "torch", progress: bool = False) -> nn.Module:
    r"""Build ``name`` (``hgnn``, ``hgnnp``, ``hnhn``, ``unigcn``) and train it on ``split`` (best
    validation epoch kept); the reference teacher's settings by default.

    ``init`` picks the initial weights of every ``nn.Linear`` in the teacher: ``"torch"`` (default)
    is PyTorch's own (:math:`\mathcal U(-1/\sqrt{f_{in}}, 1/\sqrt{f_{in}})` for weight and bias),
    what DHG's HGNNConv starts from in the LightHGNN code; ``"glorot"`` keeps the layers' own
    :meth:`reset_parameters` (Glorot weight, zero bias, as PyG). On the production setting of
    cocitation-cora / -citeseer, 30 seeds, PyTorch's gave the teacher +0.49 / +0.30 points.
    """
    if init not in TEACHER_INITS:
        raise ValueError(f"init must be one of {TEACHER_INITS}, got {init!r}")
    seed_everything(seed)
    model = build_model(name, hg.x.size(1), int(hg.y.max()) + 1, hidden, dropout).to(hg.device)
    if init == "torch":
        for module in model.modules():
            if type(module) is nn.Linear:
                nn.Linear.reset_parameters(module)
    fit(model, hg, split, epochs=epochs, lr=lr, weight_decay=weight_decay, progress=progress,
        desc=f"teacher {name}")
    return model.eval()


@torch.no_grad()
def _scores(model: nn.Module, structure: bool, train_hg: Hypergraph, split: Split, full: Hypergraph,
            ps: ProductionSplit | None, kind: str = "features") -> dict[str, float]:
    """Test accuracies: ``test_acc`` (transductive), or observed / unseen / all (production).
    ``kind``: the student's input (:func:`~hgnn.distill.student_input`) for a structure-free model."""
    model.eval()
    logits = model(train_hg.x, train_hg) if structure else model(student_input(kind, train_hg.x, train_hg))
    if ps is None:
        return {"test_acc": accuracy(train_hg.y[split.test], logits[split.test])}
    # at inference the unseen vertices join: the teacher runs on the full hypergraph, the MLP on
    # their features (and, one-hop, their co-members' in the full hypergraph)
    full_logits = model(full.x, full) if structure else model(student_input(kind, full.x, full))
    return {"observed_acc": accuracy(train_hg.y[split.test], logits[split.test]),
            "unseen_acc": accuracy(full.y[ps.unseen], full_logits[ps.unseen]),
            "all_acc": accuracy(full.y[ps.test], full_logits[ps.test])}


def _embed(model: nn.Module, hg: Hypergraph, x: Tensor) -> Tensor | None:
    embed = getattr(model, "embed", None)
    if embed is None:
        return None
    with torch.no_grad():
        return embed(x, hg)


def distill_seed(
    full: Hypergraph,
    seed: int,
    *,
    teacher: str = "hgnn",
    setting: str = "transductive",
    protocol: str = "per-class",
    modes: tuple[str, ...] = ("kl",),
    variants: tuple[bool, ...] = (False, True),
    baselines: tuple[str, ...] = ("mlp",),
    lamb: float = 0.0,
    tau: float = 1.0,
    noise: float = 1.0,
    unseen_ratio: float = 0.9,
    epochs: int = 200,
    teacher_hidden: int = 32,
    student_hidden: int = 128,
    split_rng: str = "python",
    merge_duplicates: bool = True,
    teacher_init: str = "torch",
    student_inputs: tuple[str, ...] = ("features",),
    augment: float = 0.0,
    progress: bool = True,
) -> tuple[dict[str, Any], dict[str, nn.Module]]:
    """One seed of :func:`run_distillation` on a prepared hypergraph ``full``.

    ``variants`` picks LightHGNN (``False``) and / or LightHGNN+ (``True``) for every loss mode.
    ``split_rng``, ``merge_duplicates``, ``teacher_init``, ``student_inputs`` and ``augment`` are
    :func:`run_distillation`'s (``merge_duplicates`` merges the duplicate hyperedges of ``full`` and
    of the observed hypergraph).

    Returns:
        ``(run, models)``: the run's scores per method (as in ``run_distillation(...)["runs"]``) and
        the trained models by method name (the teacher under its own name).

    Raises:
        TypeError, ValueError: a bad option, before any training (as :func:`run_distillation`).
    """
    _check_options(teacher=teacher, setting=setting, protocol=protocol, modes=modes, variants=variants,
                   baselines=baselines, lamb=lamb, tau=tau, noise=noise, unseen_ratio=unseen_ratio, epochs=epochs,
                   teacher_hidden=teacher_hidden, student_hidden=student_hidden, split_rng=split_rng,
                   teacher_init=teacher_init, student_inputs=student_inputs, augment=augment, device=full.device)
    if merge_duplicates:
        full, _ = full.merge_duplicate_edges()
    device = full.device
    num_classes = int(full.y.max()) + 1
    split = split_of_seed(full, protocol, seed, **({"rng": split_rng} if protocol == "per-class" else {}))
    ps = None
    train_hg, train_split = full, split
    if setting == "production":
        ps = production_split(split, unseen_ratio, seed)
        train_hg, train_split = observed_hypergraph(full, ps, merge_duplicates=merge_duplicates), ps.split
    run: dict[str, Any] = {"seed": seed, "split_sizes": train_split.sizes()}
    if ps is not None:
        run["unseen"] = int(ps.unseen.sum())
    models: dict[str, nn.Module] = {}

    inputs = {kind: student_input(kind, train_hg.x, train_hg) for kind in student_inputs}

    def record(method: str, model: nn.Module, structure: bool, seconds: float, kind: str = "features") -> None:
        emb = _embed(model, train_hg, train_hg.x if structure else inputs[kind])
        models[method] = model
        run[method] = {**_scores(model, structure, train_hg, train_split, full, ps, kind), "seconds": seconds,
                       "topology": None if emb is None else topology_score(emb, train_hg)}

    for base in baselines:
        for kind in student_inputs if base == "mlp" else ("features",):
            start = time.perf_counter()
            seed_everything(seed)
            if base == "mlp":
                model = mlp_student(inputs[kind].size(1), num_classes, student_hidden).to(device)
            else:
                model = build_model(base, full.x.size(1), num_classes, teacher_hidden, 0.5).to(device)
            fit(model, train_hg, train_split, x=inputs[kind] if base == "mlp" else None, epochs=epochs,
                progress=progress, desc=f"{base} seed {seed}")
            record(base + _input_suffix(kind), model, base != "mlp", time.perf_counter() - start, kind)
    start = time.perf_counter()
    net = train_teacher(teacher, train_hg, train_split, hidden=teacher_hidden, epochs=epochs, seed=seed,
                        init=teacher_init, progress=progress)
    record(teacher, net, True, time.perf_counter() - start)
    for kind in student_inputs:
        for mode in modes:
            for plus in variants:
                method = method_name(plus, mode, kind)
                start = time.perf_counter()
                seed_everything(seed)
                student = mlp_student(inputs[kind].size(1), num_classes, student_hidden).to(device)
                distill(student, net, train_hg, train_split, plus=plus,
                        student_x=None if kind == "features" else inputs[kind],
                        augment=augment if kind == "features" else 0.0, lamb=lamb, tau=tau, mode=mode,
                        noise=noise, epochs=epochs, seed=seed, progress=progress, desc=f"{method} seed {seed}")
                record(method, student, False, time.perf_counter() - start, kind)
    return run, models


def run_distillation(
    dataset: str | Hypergraph = "cocitation-cora",
    *,
    teacher: str = "hgnn",
    setting: str = "transductive",
    seeds: int = 5,
    protocol: str = "per-class",
    modes: tuple[str, ...] = ("kl",),
    baselines: tuple[str, ...] = ("mlp",),
    lamb: float = 0.0,
    tau: float = 1.0,
    noise: float = 1.0,
    unseen_ratio: float = 0.9,
    epochs: int = 200,
    teacher_hidden: int = 32,
    student_hidden: int = 128,
    split_rng: str = "python",
    merge_duplicates: bool = True,
    teacher_init: str = "torch",
    student_inputs: tuple[str, ...] = ("features",),
    augment: float = 0.0,
    device: str | torch.device = "cpu",
    root: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    r"""Run LightHGNN and LightHGNN+ from ``teacher`` on ``dataset`` for ``seeds`` seeds.

    Args:
        dataset: a registered node-classification dataset name, or a :class:`~hgnn.Hypergraph` with
            ``x`` and ``y``.
        teacher: the teacher model (``hgnn``, ``hgnnp``, ``hnhn``, ``unigcn``).
        setting: ``"transductive"`` or ``"production"`` (:mod:`hgnn.distill.production`).
        seeds: number of seeds (seed ``s`` draws split ``s`` and seeds every model).
        protocol: split protocol (:mod:`hgnn.train.splits`); ``"per-class"`` is LightHGNN's.
        modes: distillation losses to run, ``"kl"`` and / or ``"reference"``.
        baselines: other models trained on labels alone (``mlp`` is the student-shaped MLP; any
            :data:`hgnn.train.MODELS` name works).
        lamb, tau, noise: :class:`~hgnn.distill.LightHGNNLoss` and reliability settings.
        unseen_ratio: production setting: share of the test vertices held out.
        epochs: epochs for every model.
        teacher_hidden, student_hidden: hidden sizes.
        split_rng: the per-class protocol's shuffle (:func:`~hgnn.train.per_class_split`):
            ``"python"`` (default) draws the LightHGNN code's split ``s`` for seed ``s`` exactly,
            ``"torch"`` a torch-generator draw of the same protocol.
        merge_duplicates: merge hyperedges with the same members (default, as the LightHGNN code's
            DHG hypergraph does; cocitation-cora 1,579 -> 1,483, -citeseer 1,079 -> 1,004), in the
            full and in the observed hypergraph. ``False`` keeps the dataset's hyperedges as listed.
        teacher_init: the teacher's initial weights (:func:`train_teacher`).
        student_inputs: what the students (and the ``mlp`` baseline) read: ``"features"``
            (LightHGNN's MLP on :math:`x_v`) and / or ``"one-hop"`` (:math:`[x_v \| m_v]` with the
            co-members' mean, :mod:`hgnn.distill.inputs`; methods suffixed ``[1-hop]``).
        augment: function matching for the features-only students (:func:`~hgnn.distill.distill`):
            the share of input entries dropped at each step, for teacher and student alike (``0``:
            LightHGNN's fixed soft labels).

    Returns:
        ``{"dataset", "teacher", "setting", "config", "data", "runs": [...], "summary"}``;
        ``summary[method][metric]`` is ``{"mean", "std"}`` in percent (accuracies) or raw
        (``topology`` score, ``seconds``).

    Raises:
        TypeError, ValueError: a bad option (an unknown name, a str where a tuple of names is
            expected, a number out of range, a device this machine lacks), before any training.
    """
    _check_options(teacher=teacher, setting=setting, protocol=protocol, modes=modes, variants=(False, True),
                   baselines=baselines, lamb=lamb, tau=tau, noise=noise, unseen_ratio=unseen_ratio, epochs=epochs,
                   teacher_hidden=teacher_hidden, student_hidden=student_hidden, split_rng=split_rng,
                   teacher_init=teacher_init, student_inputs=student_inputs, augment=augment, seeds=seeds,
                   device=device)
    from hgnn.datasets import load_hypergraph

    name, dataset = load_hypergraph(dataset, root=root)
    device = torch.device(device)
    full = prepare(dataset)
    if merge_duplicates:
        full, _ = full.merge_duplicate_edges()
    full = full.to(device)
    settings = {"protocol": protocol, "modes": tuple(modes), "baselines": tuple(baselines), "lamb": lamb, "tau": tau,
                "noise": noise, "unseen_ratio": unseen_ratio, "epochs": epochs, "teacher_hidden": teacher_hidden,
                "student_hidden": student_hidden,
                "split_rng": split_rng, "merge_duplicates": merge_duplicates, "teacher_init": teacher_init,
                "student_inputs": tuple(student_inputs), "augment": augment}
    runs = [distill_seed(full, seed, teacher=teacher, setting=setting, progress=progress, **settings)[0]
            for seed in range(seeds)]
    num_classes = int(full.y.max()) + 1

    methods = [k for k, v in runs[0].items() if isinstance(v, dict)]
    summary: dict[str, Any] = {}
    for method in methods:
        summary[method] = {}
        for metric, value in runs[0][method].items():
            if value is None:
                continue
            vals = [r[method][metric] for r in runs]
            scale = 100.0 if metric.endswith("_acc") else 1.0
            vals = [scale * v for v in vals]
            summary[method][metric] = {"mean": statistics.fmean(vals),
                                       "std": statistics.stdev(vals) if len(vals) > 1 else 0.0}
    return {
        "dataset": name, "teacher": teacher, "setting": setting,
        "config": {"seeds": seeds, **{k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()},
                   "lr": 0.01, "weight_decay": 5e-4, "device": str(device), "torch": torch.__version__,
                   "python": platform.python_version(),
                   "machine": f"{platform.machine()} {torch.get_num_threads()} threads"},
        "data": {"num_nodes": full.num_nodes, "num_edges": full.num_edges, "num_incidences": full.num_incidences,
                 "num_features": full.x.size(1), "num_classes": num_classes},
        "runs": runs,
        "summary": summary,
    }
