"""The documentation site: it builds with warnings as errors, every public name is in it, and the
Python examples of its pages run.

One build (about 20 s of CPU) serves every test here; the pages' examples run in a second process
at the same time (about 30 s on one thread), so the module costs the longer of the two. Sphinx,
furo and myst-parser come with the ``test`` extra; without them the module skips.
"""
from __future__ import annotations

import importlib
import inspect
import itertools
import os
import pkgutil
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import hgnn

for _name in ("sphinx", "furo", "myst_parser"):
    pytest.importorskip(_name, reason=f"{_name} is not installed (pip install -e '.[docs]')")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
# The real datasets the pages' examples load.
EXAMPLE_DATA = ("cocitation-cora", "tu-mutag")

# Runs each page given on the command line: its ``.. code-block:: python`` blocks in order, in one
# fresh namespace per page; prints the page before running it, so a failure names it.
RUN_PAGES = r"""
import sys, textwrap, torch
torch.set_num_threads(1)

def blocks(text):
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        if lines[i].strip() == ".. code-block:: python":
            i += 1
            body = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                body.append(lines[i])
                i += 1
            out.append(textwrap.dedent("\n".join(body)))
        else:
            i += 1
    return out

for page in sys.argv[1:]:
    print("page:", page, flush=True)
    code = "\n".join(blocks(open(page).read()))
    exec(compile(code, page, "exec"), {"__name__": "__docs__"})
print("all pages ran")
"""


def pages_with_examples() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.rst") if "_build" not in p.parts
                  and ".. code-block:: python" in p.read_text())


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """The pages' examples, started in the background (in a scratch folder: they write files)."""
    from hgnn import datasets

    on_disk = {info.name for info in datasets.available() if info.on_disk}
    missing = [name for name in EXAMPLE_DATA if name not in on_disk]
    if missing:
        yield None, f"datasets not on disk: {', '.join(missing)} (set HGNN_DATA)"
        return
    cwd = tmp_path_factory.mktemp("examples")
    proc = subprocess.Popen([sys.executable, "-c", RUN_PAGES, *map(str, pages_with_examples())], cwd=cwd,
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield proc, None
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


@pytest.fixture(scope="module")
def site(tmp_path_factory, examples) -> Path:
    """The HTML site, built as ``make docs`` builds it (``-W --keep-going``) into a temporary folder."""
    out = tmp_path_factory.mktemp("docs") / "html"
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                          "-d", str(out.parent / "doctrees"), str(DOCS), str(out)],
                         capture_output=True, text=True, env=ENV, timeout=280)
    assert run.returncode == 0, f"sphinx-build failed:\n{run.stdout[-4000:]}\n{run.stderr[-8000:]}"
    return out


def read_inventory(path: Path) -> dict[str, tuple[str, str]]:
    """``objects.inv`` (version 2) as ``{name: (domain:role, page#anchor)}``."""
    with open(path, "rb") as stream:
        header = [stream.readline() for _ in range(4)]
        assert header[0].startswith(b"# Sphinx inventory version 2"), header[0]
        body = zlib.decompress(stream.read()).decode()
    entries = {}
    for line in body.splitlines():
        match = re.match(r"(.+?)\s+(\S+)\s+(-?\d+)\s+?(\S*)\s+(.*)", line)
        if match:
            name, role, _priority, uri, _title = match.groups()
            entries[name] = (role, uri.replace("$", name))
    return entries


def public_modules() -> list[str]:
    """Every module of hgnn with no ``_``-prefixed part in its dotted name, hgnn included."""
    found = pkgutil.walk_packages(hgnn.__path__, "hgnn.")
    return ["hgnn"] + sorted(m.name for m in found if not any(p.startswith("_") for p in m.name.split(".")))


def public_names(module) -> list[str]:
    """``__all__`` when the module declares one, else the classes and functions it defines."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and (inspect.isclass(obj) or inspect.isfunction(obj))
            and getattr(obj, "__module__", None) == module.__name__]


def resolve(dotted: str):
    """The object a documented Python name refers to, by attribute access as Python would
    (``hgnn.ops.scatter`` is the function), importing modules on the way; ``None`` if it fails."""
    parts = dotted.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=2):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            return None
    return obj


def undocumented(inventory: dict[str, tuple[str, str]]) -> list[str]:
    """``module.name`` for each public name that no documented Python object is.

    A name counts as documented under any path that holds the same object with the same last
    component: ``hgnn.nn.HGNNConv`` is documented as ``hgnn.nn.conv.HGNNConv``.
    """
    documented = {}
    for name, (role, _) in inventory.items():
        if role.startswith("py:") and role != "py:module":
            obj = resolve(name)
            documented.setdefault(name.rsplit(".", 1)[-1], []).append(obj)
    missing = []
    for modname in public_modules():
        module = importlib.import_module(modname)
        for name in public_names(module):
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                continue
            if not any(candidate is obj for candidate in documented.get(name, [])):
                missing.append(f"{modname}.{name}")
    return missing


def test_docs_build_without_warnings(site):
    for page in ("index.html", "api/index.html", "guides/basics.html", "architecture.html",
                 "api/nn.conv.html", "api/structure.html", "guides/cli.html"):
        assert (site / page).is_file(), page


def test_every_public_module_has_a_page(site):
    inventory = read_inventory(site / "objects.inv")
    modules = {name for name, (role, _) in inventory.items() if role == "py:module"}
    # ``hgnn.ops.scatter`` is also a function's name; that module is listed without an index entry.
    shadowed = {m for m in public_modules() if not inspect.ismodule(resolve(m))}
    assert set(public_modules()) - shadowed - modules == set()


def test_every_public_name_is_documented(site):
    inventory = read_inventory(site / "objects.inv")
    assert undocumented(inventory) == [], (
        "public names missing from the API pages; a new package needs a page docs/api/<package>.rst "
        "holding '.. hgnn-api:: <package>', listed in docs/api/index.rst")
    # The packages' exports carry the import path users type.
    for name in ("hgnn.structure.Hypergraph", "hgnn.nn.conv.HGNNConv", "hgnn.models.EHGNN", "hgnn.ops.scatter",
                 "hgnn.train.fit", "hgnn.distill.LightHGNNLoss", "hgnn.datasets.load", "hgnn.tasks.MODELS",
                 "hgnn.train.fit_loop"):
        assert name in inventory, name


def test_a_missing_name_is_reported(site):
    """The check itself can fail: drop one documented object from the inventory."""
    inventory = read_inventory(site / "objects.inv")
    for key in [k for k in inventory if k.endswith(".node_to_edge")]:
        del inventory[key]
    assert "hgnn.structure.node_to_edge" in undocumented(inventory)


def test_shapes_and_math_render(site):
    page = (site / "api" / "nn.conv.html").read_text()
    section = page[page.index('id="hgnn.nn.conv.HGNNConv"'):]
    assert "Shapes" in section[:20000]
    assert 'class="math' in section[:20000]
    assert "F_{in}" in section[:20000]


def test_the_pages_examples_run(site, examples):
    proc, reason = examples
    if proc is None:
        pytest.skip(reason)
    output, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, output[-6000:]
    assert output.rstrip().endswith("all pages ran"), output[-2000:]
    assert "page: " + str(DOCS / "guides" / "basics.rst") in output


def expand_braces(path: str) -> list[str]:
    """``models/{a,b}.py`` -> ``["models/a.py", "models/b.py"]``."""
    parts = re.split(r"\{([^}]*)\}", path)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(combo) for combo in itertools.product(*choices)]


def test_the_files_the_pages_name_exist():
    """Every repository path the pages and ARCHITECTURE.md quote (``hgnn/...``, ``examples/...``,
    ``benchmarks/...``, or relative to ``hgnn/`` in the architecture table) exists."""
    sources = [p for p in DOCS.rglob("*") if p.suffix in (".rst", ".md") and "_build" not in p.parts]
    sources.append(ROOT / "ARCHITECTURE.md")
    quoted = re.compile(r"``?([\w.{},-]+(?:/[\w.{},-]*)+)``?")
    roots = {"hgnn", "examples", "benchmarks", "docs", "tests", "datasets"}
    roots |= {p.name for p in (ROOT / "hgnn").iterdir() if p.is_dir() and not p.name.startswith("_")}
    missing = []
    for source in sources:
        for path in quoted.findall(source.read_text()):
            if path.split("/")[0] not in roots:
                continue
            for candidate in expand_braces(path):
                if not ((ROOT / candidate).exists() or (ROOT / "hgnn" / candidate).exists()):
                    missing.append(f"{source.relative_to(ROOT)}: {candidate}")
    assert missing == []
