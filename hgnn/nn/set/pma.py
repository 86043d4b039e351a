"""Pooling by multihead attention (PMA) on flat, unpadded groups."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features, check_int
from hgnn.nn.set.attention import check_group, check_num_groups
from hgnn.nn.set.set_mlp import SetMLP
from hgnn.nn.sparse_input import linear_forward
from hgnn.ops import scatter, scatter_softmax
from hgnn.structure import Hypergraph, incidence_matmul


class PMA(nn.Module):
    r"""Pooling by multihead attention with one learned seed, as AllSet's multiset function
    (Chien et al., "You are AllSet: A Multiset Function Framework for Hypergraph Neural Networks",
    ICLR 2022; after Lee et al., Set Transformer, ICML 2019): every group of rows is pooled into
    one row.

    With :math:`D` = ``out_channels`` split into :math:`h` heads of :math:`C = D/h` channels, the
    seed :math:`s \in \mathbb{R}^{h \times C}`, and the members :math:`x_j` of group :math:`g`:

    .. math::
        \alpha^{c}_{j} = \operatorname*{softmax}_{j \in g}
            \mathrm{LeakyReLU}_{0.2}\big(\langle s^{c}, (W_K x_j + b_K)^{c} \rangle\big)

        o_g = \mathrm{LN}_0\Big(s + \big\Vert_{c=1}^{h} \textstyle\sum_{j \in g} \alpha^{c}_{j}
              (W_V x_j + b_V)^{c}\Big), \qquad
        \mathrm{PMA}(g) = \mathrm{LN}_1\big(o_g + \mathrm{ReLU}(\mathrm{rFF}(o_g))\big)

    Faithful to the AllSet reference code (``PMA`` in ``src/layers.py``) where the paper leaves
    details open: the score is a GAT-style product of the seed with the keys, through a leaky ReLU
    (slope 0.2) and without :math:`1/\sqrt{C}`; there is no query or output projection; the seed
    is added to the attention output (the residual of the Set Transformer); rFF is a
    :class:`SetMLP` of ``num_layers`` layers without normalisation or dropout. A group with no
    member pools to :math:`\mathrm{LN}_1(o + \mathrm{ReLU}(\mathrm{rFF}(o)))` with
    :math:`o = \mathrm{LN}_0(s)`.

    The softmax runs over the members of each group with :func:`hgnn.ops.scatter_softmax`: no
    padding. The keys and values are projected once per row of ``x``; ``index`` lets many
    members share one row (the incidences of a hypergraph reading node rows).

    Args:
        in_channels: input size :math:`F`.
        out_channels: output size :math:`D`, divisible by ``heads``.
        heads: number of heads :math:`h` (default 1).
        num_layers: layers of the feed-forward rFF (default 2, AllSet's ``MLP_num_layers``).
        negative_slope: slope of the leaky ReLU on the scores (default 0.2).

    Shapes:
        - **x**: ``[n, F]``; **group**: ``[m]`` int64 group of each member, in
          ``[0, num_groups)``; **index**: ``[m]`` row of ``x`` of each member (default: member
          ``j`` is row ``j``, ``m = n``).
        - **output**: ``[num_groups, D]``.
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1, num_layers: int = 2,
                 negative_slope: float = 0.2) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("heads", heads)):
            check_int(value, name)
        if out_channels % heads != 0:
            raise ValueError(f"out_channels ({out_channels}) must be divisible by heads ({heads})")
        self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
        self.negative_slope = float(negative_slope)
        self.lin_k = nn.Linear(in_channels, out_channels)
        self.lin_v = nn.Linear(in_channels, out_channels)
        self.seed = nn.Parameter(torch.empty(heads, out_channels // heads))
        self.rff = SetMLP(out_channels, out_channels, out_channels, num_layers, norm=None)
        self.ln0 = nn.LayerNorm(out_channels)
        self.ln1 = nn.LayerNorm(out_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r"""As the reference: Glorot-uniform key/value weights (PyTorch's default biases), the seed
        uniform in :math:`\pm\sqrt{6 / ((h + 1) C)}` (Xavier on its ``[1, h, C]`` shape), rFF
        with PyTorch's defaults, unit layer norms."""
        for lin in (self.lin_k, self.lin_v):
            lin.reset_parameters()
            nn.init.xavier_uniform_(lin.weight)
        heads, width = self.seed.shape
        bound = math.sqrt(6.0 / ((heads + 1) * width))
        with torch.no_grad():
            self.seed.uniform_(-bound, bound)
        self.rff.reset_parameters()
        self.ln0.reset_parameters()
        self.ln1.reset_parameters()

    def forward(self, x: Tensor, group: Tensor, num_groups: int, index: Tensor | None = None) -> Tensor:
        check_features(x, self.in_channels)
        num_groups = check_num_groups(num_groups)
        if index is not None:
            rows = index.numel() if isinstance(index, Tensor) else 0
            index = check_group(index, rows, x.size(0), "index")
        group = check_group(group, x.size(0) if index is None else index.size(0), num_groups)
        return self.pool(x, group, num_groups, index)

    def pool(self, x: Tensor, group: Tensor, num_groups: int, index: Tensor | None = None, *,
             hg: Hypergraph | None = None, direction: str | None = None) -> Tensor:
        """The block without argument checks (for layers that checked their structure once).
        ``hg`` and ``direction``: ``index`` and ``group`` are ``hg``'s incidences in that
        direction (sources, destinations), and the weighted sum runs as its sparse product."""
        heads, width = self.seed.shape
        key = linear_forward(self.lin_k, x).view(-1, heads, width)
        value = linear_forward(self.lin_v, x).view(-1, heads, width)
        score = F.leaky_relu((key * self.seed).sum(-1), self.negative_slope)  # [n, h]: one per row
        if index is not None:
            score = score.index_select(0, index)
        alpha = scatter_softmax(score, group, num_groups)  # sums to 1 over each group, per head
        if hg is not None and direction is not None:
            pooled = incidence_matmul(value, hg, direction, alpha)  # [G, h, C]
        else:
            if index is not None:
                value = value.index_select(0, index)
            pooled = scatter(alpha.unsqueeze(-1) * value, group, num_groups, "sum")  # [G, h, C]
        out = self.ln0((pooled + self.seed).reshape(num_groups, self.out_channels))
        return self.ln1(out + F.relu(self.rff(out)))

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, heads={self.heads}"
