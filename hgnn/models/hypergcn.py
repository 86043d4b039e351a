"""The two-layer HyperGCN network and FastHyperGCN (Yadati et al., NeurIPS 2019)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv import HyperGCNConv, hypergcn_graph
from hgnn.nn.conv.hypergcn_conv import HyperGCNGraph
from hgnn.structure import Hypergraph, as_hypergraph


def _version(x: Tensor) -> int | None:
    """The counter that in-place edits of ``x`` (and of its views) bump; inference tensors keep none."""
    return None if x.is_inference() else x._version


def _same_features(kept: Tensor, version: int | None, x: Tensor) -> bool:
    """Whether ``x`` holds the values that ``kept`` (a detached alias taken with ``version``) held.

    The same memory with the same layout, not modified in place since, is the same values: no
    comparison. A tensor elsewhere is compared value by value; once ``kept`` has been modified in
    place its original values are gone, so the answer is no.
    """
    if kept.shape != x.shape or kept.dtype != x.dtype or kept.device != x.device:
        return False
    if version is not None:
        if _version(kept) != version:
            return False
        if kept.data_ptr() == x.data_ptr() and kept.stride() == x.stride():
            return True
    return torch.equal(kept, x.detach())


class HyperGCN(nn.Module):
    r"""Two :class:`~hgnn.nn.conv.HyperGCNConv` layers: Yadati et al., "HyperGCN: A New Method of
    Training Graph Convolutional Networks on Hypergraphs", NeurIPS 2019.

    .. math::
        Z = \mathrm{conv}_2\big(\mathrm{dropout}(\mathrm{BN}(\mathrm{ReLU}(\mathrm{conv}_1(X, G)))), G\big)

    the layout of DHG's ``HyperGCN``. With ``fast=False`` (HyperGCN) each layer builds its graph
    from its own projected features at every call, along a fresh random direction. With
    ``fast=True`` (FastHyperGCN) one graph is built from the input features :math:`X` and kept:
    both layers use it, and later calls reuse it as long as they pass the same hypergraph object
    and the same features (another hypergraph, or other feature values, features edited in place
    included, build a new one; :meth:`reset_parameters` forgets it). The kept graph also keeps
    its normalised operator, so an epoch applies it without normalising again.

    Args:
        in_channels: input feature size :math:`F`.
        out_channels: number of classes :math:`C`.
        hidden_channels: hidden size (default 32).
        dropout: dropout probability between the layers (default 0.5).
        mediators: link each hyperedge's extremes through its other members
            (see :func:`~hgnn.nn.conv.hypergcn_graph`).
        fast: FastHyperGCN, one graph from the input features (DHG's default is ``True``; the
            paper's HyperGCN is ``False``).
        use_bn: batch normalisation after the first activation.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        hidden_channels: int = 32,
        dropout: float = 0.5,
        mediators: bool = False,
        fast: bool = False,
        use_bn: bool = False,
    ) -> None:
        super().__init__()
        self.mediators = bool(mediators)
        self.fast = bool(fast)
        self.conv1 = HyperGCNConv(in_channels, hidden_channels, mediators=mediators)
        self.norm = nn.BatchNorm1d(hidden_channels) if use_bn else nn.Identity()
        self.conv2 = HyperGCNConv(hidden_channels, out_channels, mediators=mediators, dropout=dropout)
        self._kept: tuple[Hypergraph | Tensor, Tensor, int | None, tuple[Tensor, Tensor]] | None = None

    def reset_parameters(self) -> None:
        """Re-initialise both convolutions (and the batch norm); forget the kept fast graph."""
        self.conv1.reset_parameters()
        self.conv2.reset_parameters()
        if isinstance(self.norm, nn.BatchNorm1d):
            self.norm.reset_parameters()
        self._kept = None

    def fast_graph(self, x: Tensor, hg: Hypergraph | Tensor) -> tuple[Tensor, Tensor]:
        """FastHyperGCN's graph of ``hg`` under the input features ``x``: built on the first call
        (:func:`~hgnn.nn.conv.hypergcn_graph`, a random direction) and kept for later calls with
        the same hypergraph object and equal features.

        Checking the features costs nothing when ``x`` is the tensor of the kept graph (the same
        memory, not modified in place since); another tensor is compared value by value (and kept
        in turn when equal), and a tensor modified in place gets a new graph."""
        kept = self._kept
        if kept is not None and kept[0] is hg and _same_features(kept[1], kept[2], x):
            graph = kept[3]  # and follow x from now on, which may be another tensor of equal values
        else:
            graph = HyperGCNGraph(*hypergcn_graph(x, as_hypergraph(hg, x.size(0)), self.mediators))
        self._kept = (hg, x.detach(), _version(x), graph)
        return graph

    def _graph(self, x: Tensor, hg: Hypergraph | Tensor) -> tuple[Tensor, Tensor] | None:
        if not self.fast:
            return None
        if not isinstance(x, Tensor) or not x.is_floating_point() or x.dim() != 2 \
                or x.size(1) != self.conv1.in_channels:
            raise ValueError(f"x must be a floating tensor of shape [num_nodes, {self.conv1.in_channels}], "
                             f"got {getattr(x, 'dtype', type(x).__name__)} of shape {list(getattr(x, 'shape', []))}")
        return self.fast_graph(x, hg)

    def _embed(self, x: Tensor, hg: Hypergraph | Tensor, graph: tuple[Tensor, Tensor] | None) -> Tensor:
        return self.norm(F.relu(self.conv1(x, hg, graph=graph)))

    def embed(self, x: Tensor, hg: Hypergraph | Tensor) -> Tensor:
        r"""The hidden representation :math:`\mathrm{BN}(\mathrm{ReLU}(\mathrm{conv}_1(X, G)))`, ``[N, hidden]``."""
        return self._embed(x, hg, self._graph(x, hg))

    def forward(self, x: Tensor, hg: Hypergraph | Tensor) -> Tensor:
        """``x`` ``[N, F]``, ``hg`` a :class:`~hgnn.Hypergraph` (or ``hyperedge_index``) -> ``[N, C]``."""
        graph = self._graph(x, hg)
        return self.conv2(self._embed(x, hg, graph), hg, graph=graph)

    def extra_repr(self) -> str:
        return f"mediators={self.mediators}, fast={self.fast}"
