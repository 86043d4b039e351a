"""Sphinx helpers for the hgnn site.

``.. hgnn-api:: PACKAGE`` documents a package and every public module directly inside it, so that a
name added to or moved within the package shows up without editing the page. Each object is
documented once: under the deepest package whose ``__all__`` exports it (``hgnn.nn.conv.HGNNConv``,
the import path users type), otherwise under the module that defines it. Sub-packages get their own
``hgnn-api`` directive.

``.. hgnn-cli-help::`` prints the ``--help`` text of the ``hgnn`` command and of each subcommand.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import os
import pkgutil
from types import ModuleType

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docstrings import prepare_docstring
from sphinx.util.docutils import SphinxDirective
from sphinx.util import logging
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)


def is_public(name: str) -> bool:
    return not any(part.startswith("_") for part in name.split("."))


def submodules(package: ModuleType) -> list[str]:
    """Public modules directly inside ``package`` (packages included), sorted by name."""
    found = pkgutil.iter_modules(package.__path__, package.__name__ + ".")
    return sorted(info.name for info in found if is_public(info.name))


def public_names(module: ModuleType) -> list[str]:
    """``__all__`` when the module declares it, else the classes and functions it defines."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and (inspect.isclass(obj) or inspect.isfunction(obj))
            and getattr(obj, "__module__", None) == module.__name__]


def ancestors(name: str) -> list[str]:
    """``hgnn.a.b`` -> ``["hgnn", "hgnn.a"]``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def exported_by(package: str, name: str, obj: object) -> bool:
    module = importlib.import_module(package)
    return name in getattr(module, "__all__", ()) and getattr(module, name, None) is obj


def documented_elsewhere(module: ModuleType, name: str) -> bool:
    """Whether ``module.name`` is documented under another path: for a module, by a package above
    it that exports the same object; for a package, by a sub-package that exports it."""
    obj = getattr(module, name, None)
    if not hasattr(module, "__path__"):
        return any(exported_by(parent, name, obj) for parent in ancestors(module.__name__))
    return any(hasattr(importlib.import_module(sub), "__path__") and exported_by(sub, name, obj)
               for sub in submodules(module))


def is_data(obj: object) -> bool:
    return not (inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj))


def attribute_doc(package: str, name: str, obj: object) -> list[str]:
    """The ``#:`` comment above the assignment of ``name`` in the module under ``package`` that
    binds it to ``obj`` (empty when there is none)."""
    top = importlib.import_module(package)
    candidates = [package] + [info.name for info in pkgutil.walk_packages(top.__path__, package + ".")]
    for modname in candidates:
        module = importlib.import_module(modname)
        if getattr(module, name, None) is not obj:
            continue
        docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        if ("", name) in docs:
            return list(docs[("", name)])
    return []


def document(module: ModuleType, names: list[str]) -> list[str]:
    """``automodule`` for the classes and functions among ``names``, ``autodata`` for the rest
    (with its ``#:`` comment, and its value when that is short)."""
    lines = [f".. automodule:: {module.__name__}"]
    routines = [n for n in names if not is_data(getattr(module, n))]
    if routines:
        lines += [f"   :members: {', '.join(routines)}", "   :undoc-members:"]
    lines.append("")
    for name in names:
        obj = getattr(module, name)
        if not is_data(obj):
            continue
        lines.append(f".. autodata:: {module.__name__}.{name}")
        # No value where it depends on the machine that builds the docs, or would be a wall of text.
        if isinstance(obj, (os.PathLike, bool)) or len(repr(obj)) > 160:
            lines.append("   :no-value:")
        # A module's own ``#:`` comments are found by autodata; a package's re-exports need theirs.
        doc = attribute_doc(module.__name__, name, obj) if hasattr(module, "__path__") else []
        lines += [""] + [f"   {line}" for line in doc] + [""]
    return lines


class ApiDirective(SphinxDirective):
    """Document a package and the public (non-package) modules directly inside it."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        package = importlib.import_module(self.arguments[0])
        names = public_names(package)
        own = [n for n in names if not documented_elsewhere(package, n)]
        lines = document(package, own)
        for sub in submodules(package):
            module = importlib.import_module(sub)
            self.env.note_dependency(module.__file__)
            if hasattr(module, "__path__"):
                continue
            members = public_names(module)
            excluded = [n for n in members if documented_elsewhere(module, n)]
            kept = [n for n in members if n not in excluded]
            title = f"``{sub}``"
            lines += [title, "-" * len(title), ""]
            if kept:
                lines += document(module, kept)
            else:
                lines += [f".. automodule:: {sub}"]
                # ``hgnn.ops.scatter`` is both a module and the function the package exports:
                # the function keeps the name in the index.
                if sub.rsplit(".", 1)[1] in excluded:
                    lines.append("   :no-index:")
                lines.append("")
            if excluded:
                links = ", ".join(f":obj:`~{self._path_of(module, n)}`" for n in excluded)
                lines += [f"Also defined here: {links}.", ""]
        self.env.note_dependency(package.__file__)
        holder = nodes.section()
        holder.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source=f"<hgnn-api {package.__name__}>"), holder)
        return holder.children

    @staticmethod
    def _path_of(module: ModuleType, name: str) -> str:
        """The documented path of ``module.name`` (the deepest package exporting it)."""
        obj = getattr(module, name)
        for parent in reversed(ancestors(module.__name__)):
            if exported_by(parent, name, obj):
                return f"{parent}.{name}"
        return f"{module.__name__}.{name}"


class CliHelpDirective(SphinxDirective):
    """The ``--help`` text of ``hgnn`` and each of its subcommands, as literal blocks."""

    def run(self) -> list[nodes.Node]:
        from hgnn.cli import build_parser

        parser = build_parser()
        result: list[nodes.Node] = [nodes.literal_block(text=_help(parser))]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    result += [nodes.rubric(text=sub.prog), nodes.literal_block(text=_help(sub))]
        return result


def _help(parser: argparse.ArgumentParser) -> str:
    """``parser``'s help, wrapped at 100 columns whatever the terminal."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        return parser.format_help()
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def drop_type_docstrings(app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]) -> None:
    """A constant has no docstring of its own: drop the one of its type (``dict``'s, ``tuple``'s)."""
    if what in ("data", "attribute") and is_data(obj):
        doc = type(obj).__doc__
        own = prepare_docstring(doc) if isinstance(doc, str) else []
        if [line.strip() for line in lines if line.strip()] == [line.strip() for line in own if line.strip()]:
            lines[:] = []


def skip_noise(app: Sphinx, what: str, name: str, obj: object, skip: bool, options: object) -> bool | None:
    """Leave out ``nn.Module.extra_repr`` overrides: they only format ``repr(module)``."""
    return True if name == "extra_repr" else None


def check_guide_reference(app: Sphinx, env: object, node: nodes.Element, contnode: nodes.Node) -> None:
    """A Python cross-reference in a hand-written page (not the generated API pages) that resolves
    to nothing is a warning, so ``-W`` catches a guide that names a moved or renamed object."""
    if node.get("refdomain") == "py" and not str(node.get("refdoc", "")).startswith("api/"):
        logger.warning("%s reference target not found: %s", node.get("reftype"), node.get("reftarget"),
                       location=node, type="hgnn", subtype="guide-ref")


def setup(app: Sphinx) -> dict:
    app.connect("missing-reference", check_guide_reference)
    app.connect("autodoc-process-docstring", drop_type_docstrings)
    app.connect("autodoc-skip-member", skip_noise)
    app.add_directive("hgnn-api", ApiDirective)
    app.add_directive("hgnn-cli-help", CliHelpDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
