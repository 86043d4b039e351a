"""hgnn: hypergraph neural networks for PyTorch.

Floors, each importing only from those above it in this list: :mod:`hgnn.ops` (kernels),
:mod:`hgnn.structure` (the :class:`Hypergraph`), :mod:`hgnn.nn` (layers), :mod:`hgnn.models`.
"""
from hgnn.structure import Hypergraph

#: The package version; ``pyproject.toml`` reads it from here (its one source).
__version__ = "0.1.0"

__all__ = ["Hypergraph", "__version__"]
