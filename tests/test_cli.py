"""The ``hgnn`` command line: ``hgnn datasets`` and ``hgnn train``."""
from __future__ import annotations

import contextlib
import io
import json

import pytest

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
    names = [line.split()[0] for line in lines[1:] if line.strip()][:-1]  # the last line is the summary
    assert len(names) == len(set(names)) == len(available())
    assert {"cocitation-cora", "coauthorship-dblp", "imdb-magnn", "zoo"} <= set(names)
    cora = next(line for line in lines if line.startswith("cocitation-cora "))
    assert cora.split()[1] == "node"


def test_datasets_on_disk_column_matches_registry(capsys):
    from hgnn.datasets import available

    main(["datasets"])
    out = capsys.readouterr().out
    rows = available()
    summary = out.rstrip().splitlines()[-1]
    assert summary.startswith(f"{sum(r.on_disk for r in rows)} of {len(rows)} on disk")
    for r in rows:
        line = next(line for line in out.splitlines() if line.split() and line.split()[0] == r.name)
        assert line.split()[2] == ("yes" if r.on_disk else "no")


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


def test_train_enc_unknown_model_returns_2(capsys):
    assert main(["train", "--task", "enc", "--model", "gat", "--dataset", "emaileu"]) == 2
    err = capsys.readouterr().err
    assert "--task enc: unknown model(s) ['gat']" in err and "conhd" in err


def test_train_enc_runs_and_writes_json(tmp_path, capsys, monkeypatch):
    """--task enc dispatches to run_enc with the enc- prefix added and prints the F1 table."""
    import hgnn.train.enc as enc

    calls = []

    def fake_run_enc(model, dataset, **kwargs):
        calls.append((model, dataset, kwargs["operator"], kwargs["seeds"]))
        return {"model": model, "dataset": dataset, "runs": [{}, {}],
                "summary": {"test_micro_f1": {"mean": 70.0, "std": 1.0},
                            "test_macro_f1": {"mean": 60.0, "std": 2.0}, "epoch_s": 3.5}}

    monkeypatch.setattr(enc, "run_enc", fake_run_enc)
    code = main(["train", "--task", "enc", "--model", "conhd", "mlp", "--dataset", "stackoverflowbiology",
                 "--operator", "unp", "--seeds", "2", "--out", str(tmp_path / "enc.json"), "--no-progress"])
    assert code == 0
    assert calls == [("conhd", "enc-stackoverflowbiology", "unp", 2), ("mlp", "enc-stackoverflowbiology", "unp", 2)]
    out = capsys.readouterr().out
    assert "| conhd | enc-stackoverflowbiology | 2 | 70.00 ± 1.00 | 60.00 ± 2.00 | 3.5 |" in out
    assert len(json.loads((tmp_path / "enc.json").read_text())["results"]) == 2


def test_missing_command_exits(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_parser_defaults():
    args = build_parser().parse_args(["train"])
    assert args.model == ["hgnn"] and args.dataset == ["cocitation-cora"]
    assert (args.seeds, args.epochs, args.lr, args.hidden, args.dropout) == (5, 200, 0.01, 32, 0.5)
    assert args.protocol == "auto" and args.patience is None and not args.no_progress


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


def test_distill_per_class_on_zoo_explains_the_fix(capsys):
    _needs("zoo")
    code = main(["distill", "--dataset", "zoo", "--epochs", "1", "--no-progress", "--no-speed"])
    assert code == 2
    assert "random" in capsys.readouterr().err
