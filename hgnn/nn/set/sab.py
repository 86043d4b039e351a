"""Set attention block (SAB) on flat, unpadded groups."""
from __future__ import annotations

from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features
from hgnn.nn.set.attention import MAB, check_group, check_num_groups, group_pairs


class SAB(nn.Module):
    r"""Set attention block of the Set Transformer (Lee et al., ICML 2019), applied within
    groups: every row attends to all rows of its group, itself included.

    .. math::
        \mathrm{SAB}(X)_i = \mathrm{MAB}\big(x_i, \{x_j : g(j) = g(i)\}\big)

    with :class:`MAB` as in the CoNHD reference (``model/CoNHD_GD.py``, ``SAB``:
    ``MAB(dim_in, dim_in, dim_out, num_heads, ln)`` called as ``mab(X, X)``). Permutation
    equivariant within each group, independent across groups. Time and memory
    :math:`O(\sum_g |X_g|^2 \cdot D)`.

    Args:
        in_channels: input size :math:`F`.
        out_channels: output size :math:`D` (default ``in_channels``), divisible by ``heads``.
        heads: number of attention heads (default 4, as CoNHD).
        layer_norm: the two layer norms of :class:`MAB` (default off, as CoNHD).

    Shapes:
        - **x**: ``[n, F]``; **group**: ``[n]`` int64 ids in ``[0, num_groups)``, in any order.
        - **output**: ``[n, D]``.
    """

    def __init__(self, in_channels: int, out_channels: int | None = None, heads: int = 4,
                 layer_norm: bool = False) -> None:
        super().__init__()
        out_channels = in_channels if out_channels is None else out_channels
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.mab = MAB(in_channels, in_channels, out_channels, heads=heads, layer_norm=layer_norm)

    def reset_parameters(self) -> None:
        self.mab.reset_parameters()

    def forward(self, x: Tensor, group: Tensor, num_groups: int) -> Tensor:
        check_features(x, self.in_channels)
        num_groups = check_num_groups(num_groups)
        group = check_group(group, x.size(0), num_groups)
        pair_q, pair_k = group_pairs(group, group, num_groups)
        return self.mab.attend(x, x, pair_q, pair_k)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}"
