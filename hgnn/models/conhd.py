"""CoNHD for edge-dependent node classification (Zheng & Worring, CIKM 2025)."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from hgnn.nn.conv._utils import check_features, check_int, check_probability
from hgnn.nn.conv.conhd_conv import CoNHDConv
from hgnn.nn.dropout import fast_dropout
from hgnn.structure import Hypergraph, as_hypergraph

__all__ = ["CoNHD"]


class CoNHD(nn.Module):
    r"""Co-Representation Neural Hypergraph Diffusion: Zheng & Worring, "Modeling Edge-Specific
    Node Features through Co-Representation Neural Hypergraph Diffusion", CIKM 2025
    (arXiv 2405.14286), as its reference code (``zhengyijia/CoNHD``: ``CoNHD_GD`` /
    ``CoNHD_ADMM`` with the ``CoNHDScorer`` readout, ``train.py``).

    One co-representation per incidence :math:`(v, e)`, initialised from the node's features,
    diffused for :math:`L` steps of :class:`~hgnn.nn.CoNHDConv`, and classified per incidence:

    .. math::
        h^0_{v,e} &= \mathrm{dropout}_{\mathrm{in}}\big(\mathrm{ReLU}(W_{\mathrm{in}} x_v + b_{\mathrm{in}})\big) \\
        h^{t+1} &= \mathrm{CoNHDConv}_t\big(h^t, G, h^0, p\big), \qquad t = 0, \dots, L - 1 \\
        \hat{y}_{v,e} &= W_{\mathrm{out}} h^L_{v,e} + b_{\mathrm{out}}

    with :math:`p` the order positional encoding
    (:func:`~hgnn.nn.conv.conhd_conv.incidence_positional_encoding`). All steps share one
    layer unless ``share_weights=False`` (the reference's ``--not_share_weights``). The ADMM
    variant also carries the two per-incidence messages from step to step, both starting at
    :math:`h^0`. The input dropout acts per incidence (a node's copies in different hyperedges
    get independent masks), as in the reference, which gathers before the linear map; here the
    map is applied once per node and gathered, which is the same function.

    Defaults are those of the released edge-dependent node classification scripts
    (``script/edge_dependent_node_classification/run_*.sh``): co-representation size 128, two
    set blocks per operator, dropout 0.7, weights shared, no layer norm, 4 heads and 4 inducing
    points, a one-layer linear readout (``--scorer im --scorer_num_layers 1``). The number of
    steps is 2 (the class default of ``CoNHD_GD``; the scripts use 1 on Email-Eu/Enron and
    Stack-Physics, 2 on DBLP and Stack-Biology); ``input_dropout`` is 0 (the scripts use 0.7
    except on the Email datasets); ``"isab"`` is the default block (the parser default; every
    script runs both ``UNP`` and ``ISAB``). Training as in the reference (not done here):
    Adam, lr 1e-3, ``eps=1e-4``, weight decay 1e-4, gradient norms clipped to 1, cross-entropy
    on the training hyperedges' incidences, node features trainable, at most 40 hyperedges
    sampled per node in the within-node sets during training.

    Args:
        in_channels: node feature size :math:`F`.
        num_classes: number of edge-dependent labels :math:`C`.
        hidden_channels: co-representation size :math:`d` (reference ``co_rep_dim`` 128).
        num_layers: diffusion steps :math:`L` (reference ``num_layers``).
        operator: ``"unp"``, ``"isab"`` or ``"sab"`` (reference ``PE_Block``).
        pe_channels: positional-encoding columns :math:`K` (4 in the reference: degree,
            eigenvector, PageRank and k-core ranks); 0 for none.
        num_set_layers: blocks per set operator (reference ``num_att_layer``).
        heads: attention heads.
        num_inducing: ISAB inducing points.
        dropout: dropout on the set operators' outputs.
        input_dropout: dropout on :math:`h^0`. Both dropouts draw their masks with
            :func:`hgnn.nn.fast_dropout` (the rate rounded to a multiple of :math:`2^{-16}`).
        variant: ``"gd"`` or ``"admm"``.
        share_weights: one :class:`~hgnn.nn.CoNHDConv` for all steps.
        layer_norm: layer norms in the set blocks and after each update.

    Shapes:
        - **x**: ``[N, F]``; **hg**: a :class:`~hgnn.Hypergraph` (or ``hyperedge_index``);
          **pe**: ``[nnz, K]``.
        - **output**: ``[nnz, C]`` logits, one row per incidence (column of ``hyperedge_index``).
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        hidden_channels: int = 128,
        num_layers: int = 2,
        operator: str = "isab",
        pe_channels: int = 0,
        num_set_layers: int = 2,
        heads: int = 4,
        num_inducing: int = 4,
        dropout: float = 0.7,
        input_dropout: float = 0.0,
        variant: str = "gd",
        share_weights: bool = True,
        layer_norm: bool = False,
    ) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("num_classes", num_classes),
                            ("num_layers", num_layers)):
            check_int(value, name)
        check_probability(input_dropout, "input_dropout")
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.pe_channels = pe_channels
        self.input_dropout = input_dropout
        self.share_weights = bool(share_weights)

        def conv() -> CoNHDConv:
            return CoNHDConv(hidden_channels, operator=operator, pe_channels=pe_channels,
                             num_set_layers=num_set_layers, heads=heads, num_inducing=num_inducing,
                             dropout=dropout, variant=variant, layer_norm=layer_norm)

        self.lin_in = nn.Linear(in_channels, hidden_channels)
        self.convs = nn.ModuleList([conv()] if self.share_weights else [conv() for _ in range(num_layers)])
        self.lin_out = nn.Linear(hidden_channels, num_classes)
        self.variant = self.convs[0].variant

    def reset_parameters(self) -> None:
        """PyTorch's default ``nn.Linear`` initialisation (as the reference); the layers as theirs."""
        self.lin_in.reset_parameters()
        for conv in self.convs:
            conv.reset_parameters()
        self.lin_out.reset_parameters()

    def embed(self, x: Tensor, hg: Hypergraph | Tensor, pe: Tensor | None = None) -> Tensor:
        """The co-representations :math:`h^L` (``[nnz, d]``) before the readout."""
        check_features(x, self.in_channels)
        hg = as_hypergraph(hg, x.size(0))
        h0 = F.relu(self.lin_in(x)).index_select(0, hg.hyperedge_index[0])
        h0 = fast_dropout(h0, self.input_dropout, self.training)
        h, messages = h0, None
        for t in range(self.num_layers):
            conv = self.convs[0 if self.share_weights else t]
            if self.variant == "admm":
                h, messages = conv(h, hg, h0, pe, messages=messages, return_messages=True)
            else:
                h = conv(h, hg, h0, pe)
        return h

    def forward(self, x: Tensor, hg: Hypergraph | Tensor, pe: Tensor | None = None) -> Tensor:
        """``x`` ``[N, F]``, ``hg``, ``pe`` ``[nnz, K]`` -> logits ``[nnz, C]`` per incidence."""
        return self.lin_out(self.embed(x, hg, pe))

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.num_classes}, num_layers={self.num_layers}, "
                f"share_weights={self.share_weights}, input_dropout={self.input_dropout}")
