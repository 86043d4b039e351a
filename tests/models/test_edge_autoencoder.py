import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch, Data

from hgnn.models import HyperClusterAutoencoder, NodeClusterAutoencoder

pytestmark = pytest.mark.usefixtures("one_thread")


def toy_batch(seed: int = 0) -> Batch:
    """Path graphs whose edge classes alternate 0, 1, 2, 0, ... along the path (both directions)."""
    gen = torch.Generator().manual_seed(seed)
    graphs = []
    for n in (5, 7, 6, 8):
        src = torch.arange(n - 1)
        ei = torch.cat([torch.stack([src, src + 1]), torch.stack([src + 1, src])], dim=1)
        cls = torch.cat([src % 3, src % 3])
        graphs.append(Data(x=torch.randn(n, 3, generator=gen), edge_index=ei, edge_attr=F.one_hot(cls, 3).float()))
    return Batch.from_data_list(graphs)


def test_shapes_and_permutation_of_edges():
    b = toy_batch()
    model = HyperClusterAutoencoder(3, hidden_channels=8, num_clusters=2).eval()
    out = model(b.edge_attr, b.edge_index, b.batch)
    assert out.shape == (b.edge_index.size(1), 3)
    # permuting each graph's edges (graphs stay contiguous) permutes the reconstruction
    edge_batch = b.batch[b.edge_index[0]]
    perm = torch.cat([p[torch.randperm(p.numel(), generator=torch.Generator().manual_seed(2))]
                      for p in [(edge_batch == g).nonzero().view(-1) for g in range(4)]])
    out_p = model(b.edge_attr[perm], b.edge_index[:, perm], b.batch)
    torch.testing.assert_close(out[perm], out_p, atol=1e-5, rtol=1e-5)
    node = NodeClusterAutoencoder(3, 3, hidden_channels=8, num_clusters=2)
    assert node(b.x, b.edge_index, b.batch).shape == (b.edge_index.size(1), 3)


def test_hypercluster_reconstructs_edge_classes_it_was_trained_on():
    torch.manual_seed(0)
    b = toy_batch()
    model = HyperClusterAutoencoder(3, hidden_channels=16, num_clusters=3)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    target = b.edge_attr.argmax(-1)
    for _ in range(150):
        loss = F.cross_entropy(model(b.edge_attr, b.edge_index, b.batch), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    acc = (model(b.edge_attr, b.edge_index, b.batch).argmax(-1) == target).float().mean()
    assert acc > 0.7  # classes are balanced: chance is ~1/3
