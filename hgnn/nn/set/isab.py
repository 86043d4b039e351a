"""Induced set attention block (ISAB) on flat, unpadded groups."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features, check_int
from hgnn.ops import scatter, scatter_softmax
from hgnn.nn.set.attention import MAB, check_group, check_num_groups, group_pairs


class ISAB(nn.Module):
    r"""Induced set attention block of the Set Transformer (Lee et al., ICML 2019), applied
    within groups through :math:`m` learnable inducing points :math:`I \in \mathbb{R}^{m \times D}`
    shared by all groups.

    .. math::
        H_g = \mathrm{MAB}_0(I, X_g) \in \mathbb{R}^{m \times D}, \qquad
        \mathrm{ISAB}(X)_i = \mathrm{MAB}_1\big(x_i, H_{g(i)}\big)

    as in the CoNHD reference (``model/CoNHD_GD.py``, ``ISAB``: ``mab0 = MAB(dim_out, dim_in,
    dim_out)`` on the replicated inducing points, ``mab1 = MAB(dim_in, dim_out, dim_out)``). The
    shared queries are projected once and scored against every row in one product, and each
    row's softmax over its group's :math:`m` induced rows is a dense one, so no per-pair index
    list is built. An empty group has no keys, so its :math:`H_g = \mathrm{LN}_0(W_q I + b_q)`,
    finite, and no row reads it. Time and memory :math:`O(m \cdot n \cdot D + m \cdot G \cdot D)`,
    linear in the number of rows :math:`n` (no :math:`|X_g|^2` term).

    Args:
        in_channels: input size :math:`F`.
        out_channels: output size :math:`D` (default ``in_channels``), divisible by ``heads``.
        num_inducing: number of inducing points :math:`m` (default 4, as CoNHD).
        heads: number of attention heads (default 4, as CoNHD).
        layer_norm: the layer norms of both :class:`MAB` (default off, as CoNHD).

    Shapes:
        - **x**: ``[n, F]``; **group**: ``[n]`` int64 ids in ``[0, num_groups)``, in any order.
        - **output**: ``[n, D]``.
    """

    def __init__(self, in_channels: int, out_channels: int | None = None, num_inducing: int = 4,
                 heads: int = 4, layer_norm: bool = False) -> None:
        super().__init__()
        out_channels = in_channels if out_channels is None else out_channels
        check_int(num_inducing, "num_inducing")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_inducing = num_inducing
        self.inducing = nn.Parameter(torch.empty(num_inducing, out_channels))
        self.mab0 = MAB(out_channels, in_channels, out_channels, heads=heads, layer_norm=layer_norm)
        self.mab1 = MAB(in_channels, out_channels, out_channels, heads=heads, layer_norm=layer_norm)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r"""Inducing points uniform in :math:`\pm\sqrt{6 / ((m + 1) D)}`: the reference's
        ``xavier_uniform_`` on its ``[1, m, D]`` parameter; both blocks as :class:`MAB`."""
        bound = math.sqrt(6.0 / ((self.num_inducing + 1) * self.out_channels))
        with torch.no_grad():
            self.inducing.uniform_(-bound, bound)
        self.mab0.reset_parameters()
        self.mab1.reset_parameters()

    def forward(self, x: Tensor, group: Tensor, num_groups: int) -> Tensor:
        check_features(x, self.in_channels)
        num_groups = check_num_groups(num_groups)
        group = check_group(group, x.size(0), num_groups)
        return self._induced_attention(x, group, num_groups)

    def _induced_attention(self, x: Tensor, group: Tensor, num_groups: int) -> Tensor:
        r"""Both blocks without the (query, key) pair lists of :meth:`MAB.attend`, same values.

        :math:`\mathrm{MAB}_0`: the :math:`m` queries :math:`W_q I + b_q` are the same for every
        group, so the scores of all rows against all inducing points are one product
        ``[n, m, h]``, normalised over the rows of each group (:func:`~hgnn.ops.scatter_softmax`),
        and the weighted values are summed per group. :math:`\mathrm{MAB}_1`: each row attends to
        exactly the :math:`m` induced rows of its group, so its softmax is a dense one over
        :math:`m`. No index list of size :math:`n m` is built or gathered.
        """
        n, m = x.size(0), self.num_inducing
        mab0, mab1 = self.mab0, self.mab1
        width, heads = self.out_channels, mab0.heads
        head_dim, scale = width // heads, math.sqrt(width)
        # MAB_0(I, X_g): inducing points attend over the rows of each group.
        q0 = mab0.lin_q(self.inducing)  # [m, D]
        k0 = mab0.lin_k(x).view(n, heads, head_dim)
        v0 = mab0.lin_v(x).view(n, heads, head_dim)
        # <k0_j^h, q0_c^h> for all (j, c, h) as one [n, D] x [D, m h] product with a block-diagonal
        # right factor (zero across heads), instead of a batched product of tiny matrices.
        eye = torch.eye(heads, dtype=q0.dtype, device=q0.device)
        blocks = torch.einsum("chd,hk->hdck", q0.view(m, heads, head_dim), eye).reshape(width, m * heads)
        score0 = (k0.reshape(n, width) @ blocks).view(n, m, heads) / scale
        alpha0 = scatter_softmax(score0, group, num_groups)  # sums to 1 over each group's rows
        message = alpha0.unsqueeze(-1) * v0.unsqueeze(1)  # [n, m, h, D/h]
        attended0 = scatter(message.reshape(n, m * width), group, num_groups, "sum").view(num_groups, m, width)
        out0 = mab0.norm0(q0.unsqueeze(0) + attended0)
        induced = mab0.norm1(out0 + F.relu(mab0.lin_o(out0)))  # [G, m, D]
        # MAB_1(x_i, H_g(i)): every row attends to the m induced rows of its group.
        q1 = mab1.lin_q(x)  # [n, D]
        k1 = mab1.lin_k(induced).view(num_groups, m * width).index_select(0, group).view(n, m, heads, head_dim)
        v1 = mab1.lin_v(induced).view(num_groups, m * width).index_select(0, group).view(n, m, heads, head_dim)
        score1 = (q1.view(n, 1, heads, head_dim) * k1).sum(-1) / scale  # [n, m, h]
        attended1 = (torch.softmax(score1, dim=1).unsqueeze(-1) * v1).sum(1).reshape(n, width)
        out1 = mab1.norm0(q1 + attended1)
        return mab1.norm1(out1 + F.relu(mab1.lin_o(out1)))

    def _pairwise_attention(self, x: Tensor, group: Tensor, num_groups: int) -> Tensor:
        """The same block through :meth:`MAB.attend` on explicit (query, key) pairs, with the
        inducing points replicated per group: the direct transcription, kept as the test oracle."""
        m = self.num_inducing
        # Row r = g * m + c of the induced set is inducing point c of group g.
        induced_group = torch.arange(num_groups, device=x.device).repeat_interleave(m)
        queries = self.inducing.repeat(num_groups, 1)
        pair_q, pair_k = group_pairs(induced_group, group, num_groups)
        induced = self.mab0.attend(queries, x, pair_q, pair_k)  # [num_groups * m, D]
        # Each row reads the m induced rows of its group: pairs built directly, no sort needed.
        pair_x = torch.arange(x.size(0), device=x.device).repeat_interleave(m)
        pair_h = (group.unsqueeze(1) * m + torch.arange(m, device=x.device)).reshape(-1)
        return self.mab1.attend(x, induced, pair_x, pair_h)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, num_inducing={self.num_inducing}"
