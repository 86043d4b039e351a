"""The ``hgnn`` command line: ``hgnn datasets`` and ``hgnn train``."""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys

import pytest
import torch

from hgnn.cli import build_parser, format_table, main
from hgnn.datasets import available, get_spec
from hgnn.datasets.root import find_root


pytestmark = pytest.mark.usefixtures("one_thread")


def _needs(name: str) -> None:
    spec = get_spec(name)
    if find_root(spec.subdir, spec.files) is None:
        pytest.skip(f"{name}: data files not on disk; not downloading in tests")


@pytest.fixture(scope="module")
def train_run(tmp_path_factory):
    """One ``hgnn train`` run with two models on zoo, shared by the tests that inspect its output."""
    _needs("zoo")
    pytest.importorskip("matplotlib")
    tmp = tmp_path_factory.mktemp("cli")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["train", "--model", "hgnn", "mlp", "--dataset", "zoo", "--seeds", "2", "--epochs", "5",
                     "--out", str(tmp / "r.json"), "--plot", str(tmp / "c.png"), "--no-progress"])
    return code, out.getvalue(), err.getvalue(), tmp


# ---------------------------------------------------------------- hgnn datasets
def test_datasets_lists_registry(capsys):
    assert main(["datasets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "task", "on", "disk", "description"]
    names = [line.split()[0] for line in lines[1:lines.index("")]]  # the table ends at the first empty line
    assert len(names) == len(set(names)) == len(available())
    assert {"cocitation-cora", "coauthorship-dblp", "imdb-magnn", "zoo"} <= set(names)
    cora = next(line for line in lines if line.startswith("cocitation-cora "))
    assert cora.split()[1] == "node"


def test_datasets_on_disk_column_matches_registry(capsys):
    from hgnn.datasets import available

    main(["datasets"])
    out = capsys.readouterr().out
    rows = available()
    assert f"\n\n{sum(r.on_disk for r in rows)} of {len(rows)} on disk\n" in out
    for r in rows:
        line = next(line for line in out.splitlines() if line.split() and line.split()[0] == r.name)
        assert line.split()[2] == ("yes" if r.on_disk else "no")


def test_datasets_prints_the_roots_searched_and_where_files_go(capsys, monkeypatch, tmp_path):
    first, second, explicit = tmp_path / "d1", tmp_path / "d2", tmp_path / "mine"
    for folder in (first, second, explicit):
        folder.mkdir()
    monkeypatch.setenv("HGNN_DATA", f"{first}{os.pathsep}{second}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert main(["datasets"]) == 0
    tail = capsys.readouterr().out.split("data roots searched, in order:\n")[1].splitlines()
    cache = tmp_path / "xdg" / "hgnn"
    assert tail == [f"  {first}  (HGNN_DATA)", f"  {second}  (HGNN_DATA)",
                    f"  {cache / 'datasets'}  (user cache, does not exist yet)",
                    f"downloads go to: {first}", f"derived caches go to: {cache / 'cache'}"]
    assert main(["datasets", "--root", str(explicit)]) == 0
    tail = capsys.readouterr().out.split("data roots searched, in order:\n")[1].splitlines()
    assert tail == [f"  {explicit}  (--root)", f"downloads go to: {explicit}",
                    f"derived caches go to: {cache / 'cache'}"]


# ---------------------------------------------------------------- hgnn train
def test_train_returns_zero_and_prints_table(train_run):
    code, out, err, _ = train_run
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.startswith("|")]
    assert lines[0].startswith("| model | dataset | protocol | seeds |")
    assert lines[1].startswith("|---|")
    assert len(lines) == 4
    assert lines[2].startswith("| hgnn | zoo | random | 2 |")
    assert lines[3].startswith("| mlp | zoo | random | 2 |")
    assert "±" in lines[2]


def test_train_writes_json(train_run):
    code, _, err, tmp = train_run
    data = json.loads((tmp / "r.json").read_text())
    assert [r["model"] for r in data["results"]] == ["hgnn", "mlp"]
    for report in data["results"]:
        assert report["dataset"] == "zoo"
        assert len(report["runs"]) == 2
        assert report["config"]["epochs"] == 5 and report["config"]["seeds"] == 2
        assert all(len(run["history"]["loss"]) == 5 for run in report["runs"])
    assert f"results: {tmp / 'r.json'}" in err


def test_train_writes_one_plot_per_model(train_run):
    _, _, err, tmp = train_run
    pngs = sorted(p.name for p in tmp.glob("*.png"))
    assert pngs == ["c-hgnn-zoo.png", "c-mlp-zoo.png"]
    assert all((tmp / name).read_bytes()[:4] == b"\x89PNG" for name in pngs)
    assert f"curves: {tmp / 'c-hgnn-zoo.png'}" in err


def test_train_single_model_plot_keeps_name(tmp_path, capsys):
    _needs("zoo")
    pytest.importorskip("matplotlib")
    code = main(["train", "--model", "mlp", "--dataset", "zoo", "--seeds", "1", "--epochs", "2",
                 "--plot", str(tmp_path / "c.png"), "--no-progress"])
    assert code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["c.png"]
    assert "| mlp | zoo |" in capsys.readouterr().out


def test_train_bad_dataset_returns_2(capsys, tmp_path):
    code = main(["train", "--dataset", "no-such-set", "--epochs", "1", "--seeds", "1", "--no-progress",
                 "--out", str(tmp_path / "r.json")])
    assert code == 2
    captured = capsys.readouterr()
    assert "hgnn train: error: unknown dataset 'no-such-set'" in captured.err
    assert "|" not in captured.out
    assert not (tmp_path / "r.json").exists()


def test_train_unknown_model_returns_2(capsys):
    assert main(["train", "--model", "gat", "--dataset", "zoo"]) == 2
    err = capsys.readouterr().err
    assert "unknown model(s) ['gat']" in err and "hgnn" in err


def test_train_edge_dependent_unknown_model_returns_2(capsys):
    assert main(["train", "--task", "edge-dependent", "--model", "gat", "--dataset", "emaileu"]) == 2
    err = capsys.readouterr().err
    assert "--task edge-dependent: unknown model(s) ['gat']" in err and "conhd" in err


def test_train_edge_dependent_runs_and_writes_json(tmp_path, capsys, monkeypatch):
    """--task edge-dependent dispatches to run_edge_dependent with the enc- prefix added to the
    dataset names and prints the F1 table."""
    import hgnn.tasks.edge_dependent as edge_dependent

    calls = []

    def fake_run(model, dataset, **kwargs):
        calls.append((model, dataset, kwargs["operator"], kwargs["seeds"], kwargs.get("lr"), kwargs.get("hidden")))
        return {"model": model, "dataset": dataset, "runs": [{}, {}],
                "summary": {"test_micro_f1": {"mean": 70.0, "std": 1.0},
                            "test_macro_f1": {"mean": 60.0, "std": 2.0}, "epoch_s": 3.5}}

    monkeypatch.setattr(edge_dependent, "run_edge_dependent", fake_run)
    code = main(["train", "--task", "edge-dependent", "--model", "conhd", "mlp", "--dataset", "stackoverflowbiology",
                 "--operator", "unp", "--seeds", "2", "--lr", "0.002", "--out", str(tmp_path / "enc.json"),
                 "--no-progress"])
    assert code == 0
    # --lr reaches run_edge_dependent; --hidden was not given, so it keeps its own default
    assert calls == [("conhd", "enc-stackoverflowbiology", "unp", 2, 0.002, None),
                     ("mlp", "enc-stackoverflowbiology", "unp", 2, 0.002, None)]
    out = capsys.readouterr().out
    assert "| conhd | enc-stackoverflowbiology | 2 | 70.00 ± 1.00 | 60.00 ± 2.00 | 3.5 |" in out
    assert len(json.loads((tmp_path / "enc.json").read_text())["results"]) == 2


def test_train_edge_dependent_whole_graph_and_precision(monkeypatch, capsys):
    """--whole-graph asks for one full-batch step per epoch (no lr decay, validation every 10
    steps); --precision reaches run_edge_dependent; options given explicitly win."""
    import hgnn.tasks.edge_dependent as edge_dependent

    calls = []

    def fake_run(model, dataset, **kwargs):
        calls.append(kwargs)
        return {"model": model, "dataset": dataset, "runs": [{}],
                "summary": {"test_micro_f1": {"mean": 70.0, "std": 0.0},
                            "test_macro_f1": {"mean": 60.0, "std": 0.0}, "epoch_s": 3.5}}

    monkeypatch.setattr(edge_dependent, "run_edge_dependent", fake_run)
    assert main(["train", "--task", "edge-dependent", "--model", "conhd-unp", "--dataset", "emaileu",
                 "--whole-graph", "--precision", "bfloat16", "--patience", "3", "--no-progress"]) == 0
    (kwargs,) = calls
    assert (kwargs["mode"], kwargs["batch_size"], kwargs["gamma"], kwargs["eval_every"]) == ("full", None, 1.0, 10)
    assert kwargs["precision"] == "bfloat16" and kwargs["patience"] == 3 and kwargs["lr"] == 3e-3
    calls.clear()
    assert main(["train", "--task", "edge-dependent", "--model", "mlp", "--dataset", "emaileu", "--no-progress"]) == 0
    assert "mode" not in calls[0] and "precision" not in calls[0]


def test_missing_command_exits(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_parser_defaults():
    args = build_parser().parse_args(["train"])
    assert args.model == ["hgnn"] and args.dataset == ["cocitation-cora"]
    assert (args.seeds, args.epochs) == (5, 200)
    # the task picks these when they are not given (node: 0.01, 32, 0.5; enc: the reference's)
    assert args.lr is None and args.hidden is None and args.dropout is None
    assert args.protocol is None and args.patience is None and not args.no_progress


def test_format_table():
    stat = lambda m, s: {"mean": m, "std": s}  # noqa: E731
    report = {"model": "hgnn", "dataset": "cora", "protocol": "hypergcn", "config": {"seeds": 3},
              "summary": {"val_acc": stat(70.0, 1.0), "test_acc": stat(68.123, 0.456),
                          "test_macro_f1": stat(65.0, 2.0), "epoch_ms": 3.14159}}
    table = format_table([report]).splitlines()
    assert table[0] == ("| model | dataset | protocol | seeds | val acc | test acc | test macro-F1 | "
                        "ms / epoch |")
    assert table[1] == "|---|---|---|---|---|---|---|---|"
    assert table[2] == "| hgnn | cora | hypergcn | 3 | 70.00 ± 1.00 | 68.12 ± 0.46 | 65.00 ± 2.00 | 3.1 |"


def test_train_hypergcn_protocol_on_zoo_returns_2(capsys):
    _needs("zoo")
    code = main(["train", "--dataset", "zoo", "--protocol", "hypergcn", "--seeds", "1", "--epochs", "1",
                 "--no-progress"])
    assert code == 2
    assert "hgnn train: error:" in capsys.readouterr().err


# ---------------------------------------------------------------- hgnn distill
def test_distill_trains_exports_and_saves(tmp_path, capsys):
    _needs("zoo")
    pytest.importorskip("onnxruntime")
    from hgnn.distill import load_student

    code = main(["distill", "--dataset", "zoo", "--protocol", "random", "--plus", "--mlp", "--epochs", "20",
                 "--export", str(tmp_path / "s.onnx"), "--save", str(tmp_path / "s.pt"), "--program",
                 str(tmp_path / "s.pt2"), "--out", str(tmp_path / "r.json"), "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "| lighthgnn+ |" in out and "| hgnn |" in out and "| mlp |" in out
    assert "one vertex: teacher" in out
    assert "same predictions as PyTorch" in err
    student, meta = load_student(tmp_path / "s.pt")
    assert meta["method"] == "lighthgnn+" and meta["dataset"] == "zoo"
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["run"]["onnx"]["prediction_agreement"] == 1.0
    assert report["speed"]["request_speedup"] > 0
    assert abs(meta["accuracy"]["test_acc"] - report["run"]["lighthgnn+"]["test_acc"]) < 1e-12
    assert (tmp_path / "s.pt2").stat().st_size < 10 * (tmp_path / "s.pt").stat().st_size


def test_distill_one_hop_student_exports_its_wider_input(tmp_path, capsys):
    _needs("zoo")
    pytest.importorskip("onnxruntime")
    from hgnn.distill import load_student

    code = main(["distill", "--dataset", "zoo", "--protocol", "random", "--one-hop", "--setting", "production",
                 "--epochs", "10", "--export", str(tmp_path / "s.onnx"), "--save", str(tmp_path / "s.pt"),
                 "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "| lighthgnn[1-hop] |" in out and "same predictions as PyTorch" in err
    student, meta = load_student(tmp_path / "s.pt")
    assert meta["student_input"] == "one-hop" and meta["method"] == "lighthgnn[1-hop]"
    assert student.lins[0].in_features == 2 * 16  # zoo: 16 features, and the co-members' mean


def test_distill_per_class_on_zoo_explains_the_fix(capsys):
    _needs("zoo")
    code = main(["distill", "--dataset", "zoo", "--epochs", "1", "--no-progress", "--no-speed"])
    assert code == 2
    assert "random" in capsys.readouterr().err


# ---------------------------------------------------------------- bad arguments: early, rc 2, one line
def _fake_report(model: str = "hgnn", dataset: str = "zoo", runs: int = 1, epochs: int = 5) -> dict:
    """A report shaped like run_node_classification's, without training."""
    stat = {"mean": 50.0, "std": 0.0}
    history = {"loss": [1.0] * epochs, "val_loss": [1.0] * epochs, "train_acc": [0.5] * epochs,
               "val_acc": [0.5] * epochs}
    return {"model": model, "dataset": dataset, "protocol": "random", "complete": True, "config": {"seeds": runs},
            "runs": [{"seed": s, "history": history} for s in range(runs)],
            "summary": {"val_acc": stat, "test_acc": stat, "test_macro_f1": stat, "epoch_ms": 1.0}}


@pytest.fixture
def no_training(monkeypatch):
    """Make any training or data loading fail the test: what must be refused is refused before them."""
    import hgnn.datasets
    import hgnn.distill
    import hgnn.tasks
    import hgnn.tasks.edge_dependent

    def refuse(*args, **kwargs):
        raise AssertionError("training or data loading started")

    for module, name in ((hgnn.tasks, "run_node_classification"), (hgnn.tasks.edge_dependent, "run_edge_dependent"),
                         (hgnn.distill, "distill_seed"), (hgnn.datasets, "load")):
        monkeypatch.setattr(module, name, refuse)


@pytest.mark.parametrize("argv", [
    ["train", "--hidden", "0"], ["train", "--lr", "-0.1"], ["train", "--lr", "nan"], ["train", "--dropout", "1"],
    ["train", "--dropout", "-0.5"], ["train", "--dropout", "nan"], ["train", "--epochs", "0"],
    ["train", "--seeds", "0"], ["train", "--patience", "-1"], ["train", "--split", "-1"],
    ["train", "--weight-decay", "-1"],
    ["train", "--seed", "2"],                          # no prefix matching: --seed is not --seeds
    ["train", "--epoch", "3"], ["train", "--hidden", "abc"],
    ["distill", "--tau", "0"], ["distill", "--tau", "-1"], ["distill", "--lamb", "1.5"], ["distill", "--lamb", "-0.1"],
    ["distill", "--noise", "-1"], ["distill", "--noise", "nan"], ["distill", "--epochs", "0"],
    ["distill", "--seeds", "2"], ["distill", "--seed", "-1"],
])
def test_bad_option_prints_the_subcommand_usage(argv, capsys, no_training):
    with pytest.raises(SystemExit) as info:
        main(argv + ["--no-progress"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: hgnn {argv[0]} ")          # the sub-command's usage, not `hgnn`'s
    last = err.rstrip().splitlines()[-1]
    assert last.startswith(f"hgnn {argv[0]}: error: ") and argv[1] in last


def test_parsers_do_not_match_prefixes():
    parser = build_parser()
    assert parser.allow_abbrev is False
    for command in ("datasets", "train", "distill"):
        assert parser.parse_args([command]).command_parser.allow_abbrev is False


def _one_error_line(err: str, command: str = "train") -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"hgnn {command}: error: "), err
    return lines[0]


def test_unknown_dataset_suggests_close_names(capsys, no_training):
    assert main(["train", "--dataset", "cocitation-cor", "--no-progress"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "unknown dataset 'cocitation-cor'" in line and "did you mean 'cocitation-cora'" in line
    assert main(["train", "--task", "edge-dependent", "--dataset", "emaileuu", "--no-progress"]) == 2
    assert "did you mean 'enc-emaileu'" in _one_error_line(capsys.readouterr().err)
    assert main(["distill", "--dataset", "zooo", "--no-progress"]) == 2
    assert "did you mean 'zoo'" in _one_error_line(capsys.readouterr().err, "distill")


def test_unknown_model_suggests_close_names(capsys, no_training):
    assert main(["train", "--model", "hgnn", "unigcm", "--no-progress"]) == 2
    assert "unknown model(s) ['unigcm']; did you mean 'unigcn'" in _one_error_line(capsys.readouterr().err)
    assert main(["train", "--task", "edge-dependent", "--model", "whatnet", "--no-progress"]) == 2
    assert "did you mean 'whatsnet'" in _one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("argv, option", [
    (["--task", "edge-dependent", "--plot", "c.png"], "--plot"),
    (["--task", "edge-dependent", "--split", "2"], "--split"),
    (["--task", "edge-dependent", "--protocol", "random"], "--protocol"), (["--operator", "unp"], "--operator"),
    (["--whole-graph"], "--whole-graph"), (["--precision", "bfloat16"], "--precision"),
])
def test_an_option_of_the_other_task_is_refused(argv, option, capsys, no_training):
    assert main(["train", "--dataset", "zoo"] + argv + ["--no-progress"]) == 2
    assert option in _one_error_line(capsys.readouterr().err)


# ---------------------------------------------------------------- outputs and extras: checked before training
@pytest.mark.parametrize("command, option", [
    ("train", "--out"), ("train", "--plot"),
    ("distill", "--out"), ("distill", "--save"), ("distill", "--export"), ("distill", "--program"),
])
@pytest.mark.parametrize("where", ["folder", "missing folder"])
def test_bad_output_path_is_refused_before_training(command, option, where, tmp_path, capsys, no_training):
    path = tmp_path if where == "folder" else tmp_path / "missing" / "file.out"
    code = main([command, "--dataset", "zoo", option, str(path), "--no-progress"])
    assert code == 2
    line = _one_error_line(capsys.readouterr().err, command)
    assert option in line and ("is a folder" if where == "folder" else "does not exist") in line
    assert not (tmp_path / "missing").exists()


def test_plot_without_matplotlib_is_refused_before_training(monkeypatch, tmp_path, capsys, no_training):
    monkeypatch.setitem(sys.modules, "matplotlib", None)       # `import matplotlib` now fails
    code = main(["train", "--dataset", "zoo", "--plot", str(tmp_path / "c.png"), "--no-progress"])
    assert code == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "--plot needs matplotlib" in line and "pip install 'hgnn[plot]'" in line


@pytest.mark.parametrize("missing", ["onnx", "onnxscript", "onnxruntime"])
def test_export_without_onnx_is_refused_before_training(missing, monkeypatch, tmp_path, capsys, no_training):
    monkeypatch.setitem(sys.modules, missing, None)
    code = main(["distill", "--dataset", "zoo", "--export", str(tmp_path / "s.onnx"), "--no-progress"])
    assert code == 2
    line = _one_error_line(capsys.readouterr().err, "distill")
    assert f"--export needs {missing}" in line and "pip install 'hgnn[export]'" in line


# ---------------------------------------------------------------- atomic --out
def test_failed_out_write_keeps_the_previous_file(monkeypatch, tmp_path, capsys):
    """A write cut short by the file-size limit leaves the previous results whole (exit status 1)."""
    resource = pytest.importorskip("resource")
    import signal

    import hgnn.tasks

    out = tmp_path / "r.json"
    previous = json.dumps({"complete": True, "results": ["the previous run"]})
    out.write_text(previous)
    # a report whose JSON is far larger than the limit below
    monkeypatch.setattr(hgnn.tasks, "run_node_classification",
                        lambda model, dataset, **kwargs: _fake_report(model, epochs=2000))
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        code = main(["train", "--dataset", "zoo", "--seeds", "1", "--out", str(out), "--no-progress"])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
    assert code == 1
    assert "File too large" in _one_error_line(capsys.readouterr().err)
    assert out.read_text() == previous
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]   # no temporary file left behind


# ---------------------------------------------------------------- Ctrl-C keeps the finished seeds
def _interrupt_on_call(monkeypatch, module, name: str, call: int) -> list:
    """Let ``module.name`` run normally, except that its ``call``-th call raises KeyboardInterrupt."""
    real, calls = getattr(module, name), []

    def wrapper(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def _main_interrupted(argv: list[str]) -> int:
    try:
        return main(argv)
    except KeyboardInterrupt:  # pragma: no cover - what the test guards against
        pytest.fail("KeyboardInterrupt escaped hgnn.cli.main")


def test_interrupted_node_run_keeps_finished_seeds(monkeypatch, tmp_path, capsys):
    import hgnn.datasets
    import hgnn.tasks.node_classification as experiment
    from hgnn import Hypergraph

    gen = torch.Generator().manual_seed(0)
    y = torch.arange(24) % 3
    hg = Hypergraph.from_edge_list([[i, (i + 3) % 24, (i + 6) % 24] for i in range(24)], num_nodes=24,
                                   x=torch.rand(24, 5, generator=gen), y=y)
    monkeypatch.setattr(hgnn.datasets, "load_hypergraph", lambda name, root=None, **kw: (name, hg))
    _interrupt_on_call(monkeypatch, experiment, "fit", call=2)   # Ctrl-C during the second seed
    out = tmp_path / "r.json"
    code = _main_interrupted(["train", "--dataset", "zoo", "--seeds", "3", "--epochs", "2", "--out", str(out),
                              "--no-progress"])
    assert code == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("hgnn train: interrupted;") and f"1 finished seed(s) are in {out}" in err
    saved = json.loads(out.read_text())
    assert saved["complete"] is False
    (report,) = saved["results"]
    assert report["complete"] is False and [r["seed"] for r in report["runs"]] == [0]
    assert len(report["runs"][0]["history"]["loss"]) == 2


def test_interrupted_edge_dependent_run_keeps_finished_seeds(monkeypatch, tmp_path, capsys):
    import hgnn.datasets
    import hgnn.tasks.edge_dependent.run as edge_dependent_run
    from hgnn import Hypergraph

    gen = torch.Generator().manual_seed(0)
    edges = [torch.randperm(20, generator=gen)[:3].tolist() for _ in range(30)]
    hg = Hypergraph.from_edge_list(edges, num_nodes=20)
    masks = torch.arange(30) % 3
    hg = Hypergraph(hg.hyperedge_index, num_nodes=20, incidence_data={"y": torch.arange(hg.num_incidences) % 2},
                    edge_data={"train_mask": masks == 0, "val_mask": masks == 1, "test_mask": masks == 2})
    monkeypatch.setattr(hgnn.datasets, "load_hypergraph", lambda name, root=None, **kw: (name, hg))
    monkeypatch.setattr(edge_dependent_run, "edge_dependent_features",
                        lambda hg, name=None: (torch.randn(20, 4, generator=gen), None))
    _interrupt_on_call(monkeypatch, edge_dependent_run, "fit_edge_dependent", call=2)
    out = tmp_path / "enc.json"
    code = _main_interrupted(["train", "--task", "edge-dependent", "--model", "mlp", "--dataset", "emaileu",
                              "--seeds", "3", "--epochs", "1", "--hidden", "8", "--out", str(out), "--no-progress"])
    assert code == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"1 finished seed(s) are in {out}" in err
    saved = json.loads(out.read_text())
    assert saved["complete"] is False
    assert [r["seed"] for r in saved["results"][0]["runs"]] == [0]


def test_interrupt_without_out_says_nothing_was_kept(monkeypatch, capsys):
    import hgnn.tasks

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(hgnn.tasks, "run_node_classification", interrupted)
    assert _main_interrupted(["train", "--dataset", "zoo", "--no-progress"]) == 130
    assert "pass --out to keep finished seeds" in _one_line(capsys.readouterr().err)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_distill_augment_is_checked_before_any_data(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["distill", "--augment", "1.0"])
    assert exc.value.code == 2 and "--augment" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["distill", "--augment", "0.5", "--one-hop"])
    assert exc.value.code == 2 and "drop one of them" in capsys.readouterr().err


# ---------------------------------------------------------------- clashing outputs, plot format, device
@pytest.mark.parametrize("command, first, second, extra", [
    ("distill", "--out", "--save", []), ("distill", "--save", "--program", []), ("distill", "--out", "--export", []),
    ("train", "--out", "--plot", []),
    ("train", "--out", "--plot", ["--model", "hgnn", "mlp"]),        # --plot c.png writes c-mlp-zoo.png too
])
def test_two_outputs_at_one_file_are_refused_before_training(command, first, second, extra, tmp_path, monkeypatch,
                                                             capsys, no_training):
    monkeypatch.chdir(tmp_path)
    name = "c-mlp-zoo.png" if extra else "x.png"
    second_path = "c.png" if extra else str(tmp_path / "x.png")  # the same file, spelt differently
    with pytest.raises(SystemExit) as info:
        main([command, "--dataset", "zoo", first, name, second, second_path, *extra, "--no-progress"])
    assert info.value.code == 2
    last = capsys.readouterr().err.rstrip().splitlines()[-1]
    assert f"{first} and {second} both write" in last and "give each its own file" in last
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("plot, what", [("curves.xyz", "suffix .xyz"), ("curves", "no suffix")])
def test_plot_format_is_checked_before_training(plot, what, tmp_path, capsys, no_training):
    pytest.importorskip("matplotlib")
    with pytest.raises(SystemExit) as info:
        main(["train", "--dataset", "zoo", "--plot", str(tmp_path / plot), "--out", str(tmp_path / "r.json"),
              "--no-progress"])
    assert info.value.code == 2
    last = capsys.readouterr().err.rstrip().splitlines()[-1]
    assert last.startswith("hgnn train: error: --plot ") and what in last and ".png" in last and ".pdf" in last
    assert list(tmp_path.iterdir()) == []


def test_plot_suffix_is_case_insensitive(tmp_path, capsys, monkeypatch):
    import hgnn.tasks

    pytest.importorskip("matplotlib")

    def refuse(*args, **kwargs):
        raise KeyboardInterrupt  # the checks passed: stop where training would start

    monkeypatch.setattr(hgnn.tasks, "run_node_classification", refuse)
    assert main(["train", "--dataset", "zoo", "--plot", str(tmp_path / "c.PNG"), "--no-progress"]) == 130


@pytest.mark.parametrize("command", ["train", "distill"])
@pytest.mark.parametrize("device, what", [
    ("bogus", "is not a torch device"), ("cuda:x", "is not a torch device"),
    (f"cuda:{torch.cuda.device_count() + 3}", "CUDA" if torch.cuda.is_available() else "CUDA is not available"),
])
def test_bad_device_is_refused_before_any_data(command, device, what, capsys, no_training):
    with pytest.raises(SystemExit) as info:
        main([command, "--dataset", "zoo", "--device", device, "--no-progress"])
    assert info.value.code == 2
    last = capsys.readouterr().err.rstrip().splitlines()[-1]
    assert last.startswith(f"hgnn {command}: error: --device {device!r}") and what in last
