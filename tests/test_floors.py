"""hgnn is built in floors (ARCHITECTURE.md): a module imports only from its own floor and those below."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hgnn"

# Floor of each top-level part of hgnn (higher imports lower, never the reverse).
FLOORS = {
    "ops": 1, "io": 1,
    "structure": 2,
    "nn": 3, "transforms": 3, "viz": 3,
    "models": 4,
    "datasets": 5.0, "loader": 5.0,
    "train": 5.1,
    "tasks": 5.2,
    "distill": 5.3, "topology": 5.3,
    "cli": 6,
}


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "hgnn" and len(parts) > 1 else None


def _imports(path: Path) -> list[tuple[int, str]]:
    return _imports_of(path.read_text(), ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))


def _imports_of(source: str, package: str) -> list[tuple[int, str]]:
    """``(line, module)`` of every import in ``source``, the source of module ``package``."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")[: -node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names if name == "hgnn"]
    return found


def test_every_part_has_a_floor():
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())}
    assert parts == set(FLOORS), f"give every part of hgnn a floor here and in ARCHITECTURE.md: {parts ^ set(FLOORS)}"


def test_no_import_from_a_higher_floor():
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts == ("__init__.py",):
            continue  # the top-level package re-exports names of every floor
        own = FLOORS[rel.parts[0].removesuffix(".py")]
        for line, name in _imports(path):
            part = _part(name)
            if part is not None and part in FLOORS and FLOORS[part] > own:
                bad.append(f"hgnn/{rel}:{line} imports {name} (floor {FLOORS[part]} > {own})")
    assert not bad, "imports from a higher floor:\n" + "\n".join(bad)


def test_the_checker_resolves_absolute_relative_and_lazy_imports():
    source = "from hgnn.models import HGNN\nfrom ..train import fit\ndef f():\n    import hgnn.cli\nfrom hgnn import nn\n"
    names = [name for _, name in _imports_of(source, "hgnn.ops.probe")]
    assert sorted(names) == ["hgnn", "hgnn.cli", "hgnn.models", "hgnn.nn", "hgnn.train"]
