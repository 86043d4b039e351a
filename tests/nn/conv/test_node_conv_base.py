"""NodeConv: a subclass that implements only propagate gets both call conventions and cached=."""
import pytest
import torch
from torch import Tensor

from hgnn import Hypergraph
from hgnn.nn.conv import NodeConv
from hgnn.structure import edge_to_node, node_to_edge


class MeanConv(NodeConv):
    """Mean over hyperedges of the members' means, then a linear map (a test layer)."""

    def __init__(self, in_channels: int, out_channels: int, cached: bool = False) -> None:
        super().__init__(in_channels, out_channels, cached)
        self.lin = torch.nn.Linear(in_channels, out_channels)

    def propagate(self, x: Tensor, hg: Hypergraph) -> Tensor:
        return self.lin(edge_to_node(node_to_edge(x, hg, "mean"), hg, "mean"))


INDEX = torch.tensor([[0, 1, 2, 2, 3], [0, 0, 0, 1, 1]])


def test_both_call_conventions_give_the_same_numbers():
    conv = MeanConv(3, 2)
    x = torch.randn(4, 3)
    hg = Hypergraph(INDEX, num_nodes=4)
    want = conv(x, hg)
    assert torch.allclose(conv(x, INDEX), want)
    assert torch.allclose(conv(x, hyperedge_index=INDEX), want)
    assert torch.allclose(conv(x, INDEX, None, None, 2), want)


def test_features_and_structure_are_checked_before_propagate():
    conv = MeanConv(3, 2)
    with pytest.raises(ValueError, match=r"\[num_nodes, 3\]"):
        conv(torch.randn(4, 5), INDEX)
    with pytest.raises(TypeError, match="missing the structure"):
        conv(torch.randn(4, 3))
    with pytest.raises(TypeError, match="given twice"):
        conv(torch.randn(4, 3), INDEX, hyperedge_index=INDEX)


def test_cached_keeps_the_first_structure_until_reset():
    conv = MeanConv(3, 2, cached=True)
    x = torch.randn(4, 3)
    conv(x, INDEX)
    kept = conv._cached_structure.hg
    conv(x, INDEX.clone())
    assert conv._cached_structure.hg is kept
    with pytest.raises(ValueError, match="cached=True"):
        conv(x, torch.tensor([[0, 1], [0, 0]]))
    conv.reset_parameters()
    conv(x, torch.tensor([[0, 1], [0, 0]]))
    assert conv._cached_structure.hg is not kept
    assert "cached=True" in repr(conv) and "cached" not in repr(MeanConv(3, 2))


def test_propagate_must_be_implemented():
    with pytest.raises(NotImplementedError, match="NodeConv must implement propagate"):
        NodeConv(3, 2)(torch.randn(4, 3), INDEX)


@pytest.mark.parametrize("name", ["HGNNConv", "HGNNPConv", "EHGNNConv", "HNHNConv", "HyperGCNConv", "UniGCNConv",
                                  "UniGINConv", "UniSAGEConv"])
def test_conv_sizes_are_checked_when_built(name):
    import hgnn.nn.conv as conv

    cls = getattr(conv, name)
    for args, error in (((-1, 4), ValueError), ((4, 0), ValueError), ((True, 4), TypeError), ((4.0, 4), TypeError)):
        with pytest.raises(error, match="in_channels|out_channels"):
            cls(*args)


def test_hnhn_and_unigin_constants_must_be_finite():
    from hgnn.nn.conv import HNHNConv, UniGINConv

    with pytest.raises(ValueError, match="alpha and beta"):
        HNHNConv(4, 4, alpha=float("nan"))
    with pytest.raises(ValueError, match="eps must be finite"):
        UniGINConv(4, 4, eps=float("inf"))
