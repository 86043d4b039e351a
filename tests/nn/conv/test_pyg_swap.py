"""A PyG pipeline (GCNConv -> HypergraphConv -> global mean pool, trained on ``HypergraphData``
batched by PyG's ``DataLoader``) with hgnn's layers swapped in: only the layer class changes.

Every swapped layer runs and trains; EHGNNConv, whose operator is PyG's ``HypergraphConv`` without
attention, loads the PyG network's state dict and gives its outputs, gradients and training run.
"""
from __future__ import annotations

import pytest
import torch
from torch import nn

pytest.importorskip("torch_geometric")
from torch_geometric.loader import DataLoader  # noqa: E402
from torch_geometric.nn import GCNConv, HypergraphConv, global_mean_pool  # noqa: E402

from hgnn import Hypergraph  # noqa: E402
from hgnn.nn import EHGNNConv, HGNNConv, HGNNPConv, HNHNConv, UniGCNConv  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny graphs: extra threads only contend

SWAPS = [HypergraphConv, EHGNNConv, HGNNConv, HGNNPConv, UniGCNConv, HNHNConv]


class Net(nn.Module):
    """The pipeline; ``conv`` is the only thing that changes between runs."""

    def __init__(self, conv: type, in_channels: int = 4, hidden: int = 16, classes: int = 2) -> None:
        super().__init__()
        self.gcn = GCNConv(in_channels, hidden)
        self.hconv = conv(hidden, hidden)
        self.head = nn.Linear(hidden, classes)

    def forward(self, data):
        x = self.gcn(data.x, data.graph_edge_index).relu()
        x = self.hconv(x, data.edge_index, data.get("hyperedge_weight"), num_edges=data.num_edges).relu()
        return self.head(global_mean_pool(x, data.batch))


def make_dataset(count: int = 24, seed: int = 0, weighted: bool = False) -> list:
    """Small random hypergraphs as ``HypergraphData`` (some with an isolated node or an empty last
    hyperedge), each with its clique expansion for the GCN; the label shifts the features."""
    gen = torch.Generator().manual_seed(seed)
    dataset = []
    for i in range(count):
        n = int(torch.randint(5, 9, (1,), generator=gen))
        edges = [torch.randperm(n - 1, generator=gen)[: int(torch.randint(2, 4, (1,), generator=gen))].tolist()
                 for _ in range(int(torch.randint(2, 5, (1,), generator=gen)))]
        edges += [[]] * (i % 3 == 0)  # an empty last hyperedge; node n - 1 is isolated
        label = i % 2
        x = torch.randn(n, 4, generator=gen) + label
        weight = torch.rand(len(edges), generator=gen) + 0.5 if weighted else None
        hg = Hypergraph.from_edge_list(edges, num_nodes=n, x=x, edge_weight=weight)
        data = hg.to_pyg()
        data.y = torch.tensor([label])  # one label per graph
        data.graph_edge_index = hg.clique_expansion()[0]
        dataset.append(data)
    return dataset


def train(model: nn.Module, loader, epochs: int = 15) -> list[float]:
    """Per-step losses of Adam on cross-entropy."""
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(epochs):
        for batch in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(batch), batch.y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


@pytest.mark.parametrize("conv", SWAPS, ids=[c.__name__ for c in SWAPS])
def test_pipeline_trains_with_the_layer_swapped_in(conv):
    torch.manual_seed(0)
    loader = DataLoader(make_dataset(weighted=True), batch_size=6, shuffle=False)
    losses = train(Net(conv), loader)
    first, last = sum(losses[:4]) / 4, sum(losses[-4:]) / 4
    assert last < 0.7 * first, f"{conv.__name__}: loss {first:.3f} -> {last:.3f}"


def test_batches_are_exact():
    """A batch gives every graph the output it gets alone: the DataLoader shifted the hyperedge ids
    by the true counts, empty last hyperedges included, so each keeps its own weights."""
    torch.manual_seed(0)
    dataset = make_dataset(6, weighted=True)
    model = Net(EHGNNConv).eval()
    batch = next(iter(DataLoader(dataset, batch_size=6)))
    assert batch.num_edges == sum(d.num_edges for d in dataset)
    alone = torch.cat([model(next(iter(DataLoader([d], batch_size=1)))) for d in dataset])
    torch.testing.assert_close(model(batch), alone, atol=1e-6, rtol=1e-5)


def test_ehgnn_conv_is_pyg_hypergraph_conv():
    """Same state dict, same outputs and gradients, same training run."""
    torch.manual_seed(0)
    pyg = Net(HypergraphConv)
    ours = Net(EHGNNConv)
    ours.load_state_dict(pyg.state_dict())  # the parameter names match: lin.weight, bias
    batch = next(iter(DataLoader(make_dataset(), batch_size=24)))
    out_pyg, out_ours = pyg(batch), ours(batch)
    torch.testing.assert_close(out_ours, out_pyg, atol=1e-6, rtol=1e-5)
    out_pyg.square().sum().backward()
    out_ours.square().sum().backward()
    for (name, a), b in zip(pyg.named_parameters(), ours.parameters()):
        assert a.grad.abs().sum() > 0, name
        torch.testing.assert_close(b.grad, a.grad, atol=1e-5, rtol=1e-4, msg=name)

    loader = DataLoader(make_dataset(), batch_size=6, shuffle=False)
    torch.testing.assert_close(train(ours, loader, 5), train(pyg, loader, 5), atol=1e-5, rtol=1e-4)


def test_other_layers_compute_something_else():
    """HGNN's symmetric normalisation is not PyG's: the swap trains but the numbers differ."""
    torch.manual_seed(0)
    pyg, ours = Net(HypergraphConv), Net(HGNNConv)
    state = pyg.state_dict()
    state["hconv.lin.bias"] = state.pop("hconv.bias")
    ours.load_state_dict(state)
    batch = next(iter(DataLoader(make_dataset(), batch_size=24)))
    assert not torch.allclose(ours(batch), pyg(batch), atol=1e-4)
