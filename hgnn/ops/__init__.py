"""Floor 1: pure tensor kernels (grouped reductions, CSR products, back-end choice).

Nothing here knows what a hypergraph is; :mod:`hgnn.structure` builds on these.
"""
from hgnn.ops.backend import (
    BACKENDS,
    HAS_TORCH_SCATTER,
    get_backend,
    is_tracing,
    resolve,
    set_backend,
    use_backend,
)
from hgnn.ops.elementwise import inv_pow
from hgnn.ops.gather_max import gather_max
from hgnn.ops.scatter import REDUCTIONS, gather_scatter, scatter, scatter_softmax
from hgnn.ops.precision import LOW_PRECISION, accumulate_in_float32
from hgnn.ops.spmm import SPARSE_DTYPES, csr_matmul, csr_matrix

__all__ = [
    "BACKENDS",
    "HAS_TORCH_SCATTER",
    "LOW_PRECISION",
    "REDUCTIONS",
    "SPARSE_DTYPES",
    "accumulate_in_float32",
    "csr_matmul",
    "csr_matrix",
    "gather_max",
    "gather_scatter",
    "get_backend",
    "inv_pow",
    "is_tracing",
    "resolve",
    "scatter",
    "scatter_softmax",
    "set_backend",
    "use_backend",
]
