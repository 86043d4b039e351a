"""Sphinx configuration of the hgnn documentation (``make docs``)."""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the hgnn checkout beside this folder
sys.path.insert(0, str(HERE / "_ext"))

import hgnn  # noqa: E402

project = "hgnn"
author = "the hgnn authors"
copyright = "the hgnn authors, MIT licence"
release = version = hgnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "myst_parser",
    "hgnn_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

# autodoc: members in source order (``__all__`` order for packages), signatures with their types.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_inherit_docstrings = False

# napoleon: the Google style the code is written in; "Shapes:" is a section of its own (PyG's).
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
napoleon_use_rtype = False
napoleon_custom_sections = ["Shapes"]

myst_heading_anchors = 3

html_theme = "furo"
html_title = f"hgnn {release}"
html_static_path = []
html_show_sourcelink = False
