"""Multihead attention block (MAB) restricted to groups, on flat, unpadded segments."""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features, check_int
from hgnn.ops import is_tracing, scatter, scatter_softmax


def check_num_groups(num_groups: Any, name: str = "num_groups") -> int:
    """Check an explicit non-negative number of groups and return it as ``int``."""
    if isinstance(num_groups, Tensor) and num_groups.numel() == 1 and not num_groups.is_floating_point():
        num_groups = int(num_groups)
    if isinstance(num_groups, bool) or not isinstance(num_groups, int):
        raise TypeError(f"{name} must be an int, got {type(num_groups).__name__}")
    if num_groups < 0:
        raise ValueError(f"{name} must be >= 0, got {num_groups}")
    return num_groups


def check_group(group: Any, rows: int, num_groups: int, name: str = "group") -> Tensor:
    """Check a ``[rows]`` vector of group ids in ``[0, num_groups)`` and return it as int64.

    Raises:
        TypeError: not a tensor, or not an integer dtype.
        ValueError: not a vector of length ``rows``, or ids outside ``[0, num_groups)``.
    """
    if not isinstance(group, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(group).__name__}")
    if group.dtype == torch.bool or group.is_floating_point() or group.is_complex():
        raise TypeError(f"{name} must hold integer group ids, got dtype {group.dtype}; use {name}.long()")
    if group.dim() != 1 or group.size(0) != rows:
        raise ValueError(f"{name} must have shape [{rows}] (one id per row), got {list(group.shape)}")
    group = group.long()
    if group.numel() and not is_tracing():
        low, high = int(group.min()), int(group.max())
        if low < 0 or high >= num_groups:
            raise ValueError(
                f"{name} ids must lie in [0, num_groups={num_groups}), got ids in [{low}, {high}]"
            )
    return group


def group_pairs(q_group: Tensor, k_group: Tensor, num_groups: int) -> tuple[Tensor, Tensor]:
    r"""All (query, key) index pairs that share a group, without a Python loop over groups.

    .. math::
        \mathcal{P} = \{(i, j) : g_q(i) = g_k(j)\}, \qquad
        |\mathcal{P}| = \sum_g |Q_g| \cdot |K_g|

    Keys are sorted by group (stable), a CSR pointer marks where each group's keys start, and
    every query is repeated once per key of its group.

    Args:
        q_group: ``[n_q]`` int64 group of each query, in ``[0, num_groups)``.
        k_group: ``[n_k]`` int64 group of each key, in ``[0, num_groups)``.
        num_groups: number of groups ``G``.

    Returns:
        ``(pair_q, pair_k)``, each ``[|P|]`` int64: pairs sorted by query, and for one query
        its keys in increasing key index.
    """
    device = q_group.device
    key_order = torch.sort(k_group, stable=True).indices
    key_count = torch.bincount(k_group, minlength=num_groups)
    key_ptr = torch.cumsum(key_count, 0) - key_count  # start of each group's keys in key_order
    pairs_per_query = key_count.index_select(0, q_group)
    num_pairs = int(pairs_per_query.sum()) if pairs_per_query.numel() else 0
    pair_q = torch.repeat_interleave(
        torch.arange(q_group.numel(), device=device), pairs_per_query, output_size=num_pairs
    )
    query_start = torch.cumsum(pairs_per_query, 0) - pairs_per_query
    offset = torch.arange(num_pairs, device=device) - query_start.index_select(0, pair_q)
    slot = key_ptr.index_select(0, q_group.index_select(0, pair_q)) + offset
    pair_k = key_order.index_select(0, slot)
    return pair_q, pair_k


class MAB(nn.Module):
    r"""Multihead attention block of the Set Transformer (Lee et al., ICML 2019), where a query
    attends only to the keys of its own group, as in the CoNHD reference code
    (``model/CoNHD_GD.py``, class ``MAB``, itself the Set Transformer repository's ``MAB``).

    For a query :math:`x_i` of group :math:`g(i)` and the keys :math:`y_j` with
    :math:`g(j) = g(i)`, with :math:`D` = ``out_channels`` split into :math:`h` heads of
    :math:`D/h` channels (head :math:`c` takes channels :math:`[cD/h, (c+1)D/h)`):

    .. math::
        q_i = W_q x_i + b_q, \quad k_j = W_k y_j + b_k, \quad v_j = W_v y_j + b_v

        \alpha^{c}_{ij} = \operatorname*{softmax}_{j \,:\, g(j) = g(i)}
            \frac{\langle q^{c}_i, k^{c}_j \rangle}{\sqrt{D}}

        o_i = \mathrm{LN}_0\Big(q_i + \big\Vert_{c=1}^{h} \textstyle\sum_j \alpha^{c}_{ij} v^{c}_j\Big),
        \qquad
        \mathrm{out}_i = \mathrm{LN}_1\big(o_i + \mathrm{ReLU}(W_o o_i + b_o)\big)

    Faithful to the reference code rather than to the paper's formula: the residual adds the
    *projected* query :math:`q_i` (so ``q_channels`` may differ from ``out_channels``), there is no
    output projection after the heads, the scale is :math:`1/\sqrt{D}` (full width, not
    :math:`1/\sqrt{D/h}`), the row-wise feed-forward is one linear layer with ReLU, and both layer
    norms are off unless ``layer_norm=True`` (CoNHD's default and released scripts leave them off).
    A query whose group has no key gets :math:`o_i = \mathrm{LN}_0(q_i)` (zero attention output,
    never NaN).

    Attention is evaluated on the list of same-group (query, key) pairs
    (:func:`group_pairs`) with :func:`hgnn.ops.scatter_softmax` over pairs grouped by query: no
    padding to a dense batch. Time and memory are
    :math:`O\big(\sum_g |Q_g| \cdot |K_g| \cdot D\big)` for the pairs, plus
    :math:`O((n_q + n_k) D)`.

    Args:
        q_channels: query input size :math:`F_q`.
        k_channels: key/value input size :math:`F_k`.
        out_channels: output size :math:`D`, divisible by ``heads``.
        heads: number of heads :math:`h` (CoNHD default 4).
        layer_norm: apply :math:`\mathrm{LN}_0` and :math:`\mathrm{LN}_1` (else identities).

    Shapes:
        - **q**: ``[n_q, F_q]``; **k**: ``[n_k, F_k]``; **q_group**: ``[n_q]`` int64;
          **k_group**: ``[n_k]`` int64, ids in ``[0, num_groups)``, in any order.
        - **output**: ``[n_q, D]``.
    """

    def __init__(self, q_channels: int, k_channels: int, out_channels: int, heads: int = 4,
                 layer_norm: bool = False) -> None:
        super().__init__()
        for name, value in (("q_channels", q_channels), ("k_channels", k_channels),
                            ("out_channels", out_channels), ("heads", heads)):
            check_int(value, name)
        if out_channels % heads != 0:
            raise ValueError(f"out_channels ({out_channels}) must be divisible by heads ({heads})")
        self.q_channels = q_channels
        self.k_channels = k_channels
        self.out_channels = out_channels
        self.heads = heads
        self.layer_norm = bool(layer_norm)
        self.lin_q = nn.Linear(q_channels, out_channels)
        self.lin_k = nn.Linear(k_channels, out_channels)
        self.lin_v = nn.Linear(k_channels, out_channels)
        self.lin_o = nn.Linear(out_channels, out_channels)
        self.norm0 = nn.LayerNorm(out_channels) if self.layer_norm else nn.Identity()
        self.norm1 = nn.LayerNorm(out_channels) if self.layer_norm else nn.Identity()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default ``nn.Linear`` initialisation (as the reference), unit layer norms."""
        for module in (self.lin_q, self.lin_k, self.lin_v, self.lin_o, self.norm0, self.norm1):
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, q: Tensor, k: Tensor, q_group: Tensor, k_group: Tensor, num_groups: int) -> Tensor:
        check_features(q, self.q_channels, "q")
        check_features(k, self.k_channels, "k")
        num_groups = check_num_groups(num_groups)
        q_group = check_group(q_group, q.size(0), num_groups, "q_group")
        k_group = check_group(k_group, k.size(0), num_groups, "k_group")
        pair_q, pair_k = group_pairs(q_group, k_group, num_groups)
        return self.attend(q, k, pair_q, pair_k)

    def attend(self, q: Tensor, k: Tensor, pair_q: Tensor, pair_k: Tensor) -> Tensor:
        """The block on precomputed (query, key) pairs (see :func:`group_pairs`); no checks."""
        num_q, heads = q.size(0), self.heads
        head_dim = self.out_channels // heads
        query = self.lin_q(q)
        key = self.lin_k(k).view(-1, heads, head_dim)
        value = self.lin_v(k).view(-1, heads, head_dim)
        q_pair = query.view(num_q, heads, head_dim).index_select(0, pair_q)
        score = (q_pair * key.index_select(0, pair_k)).sum(-1) / math.sqrt(self.out_channels)
        alpha = scatter_softmax(score, pair_q, num_q)  # [|P|, h], sums to 1 per query and head
        message = alpha.unsqueeze(-1) * value.index_select(0, pair_k)
        attended = scatter(message, pair_q, num_q, "sum").view(num_q, self.out_channels)
        out = self.norm0(query + attended)
        return self.norm1(out + F.relu(self.lin_o(out)))

    def extra_repr(self) -> str:
        return (f"{self.q_channels}, {self.k_channels}, {self.out_channels}, heads={self.heads}, "
                f"layer_norm={self.layer_norm}")
