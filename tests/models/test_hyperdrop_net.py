import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch, Data
from torch_geometric.loader import DataLoader

from hgnn import datasets
from hgnn.models import HyperDropNet

pytestmark = pytest.mark.usefixtures("one_thread")


def test_shapes_edge_features_default_and_edgeless_graphs():
    graphs = [Data(x=torch.randn(4, 3), edge_index=torch.tensor([[0, 1, 2], [1, 2, 3]])),
              Data(x=torch.randn(2, 3), edge_index=torch.empty(2, 0, dtype=torch.long)),
              Data(x=torch.randn(5, 3), edge_index=torch.tensor([[0, 0, 4, 3], [1, 2, 3, 4]]))]
    b = Batch.from_data_list(graphs)
    net = HyperDropNet(3, 1, 4, hidden_channels=16, ratio=0.5).eval()
    out = net(b.x, b.edge_index, b.batch, num_graphs=b.num_graphs)
    assert out.shape == (3, 4) and torch.isfinite(out).all()


def test_rejects_wrong_edge_feature_width():
    net = HyperDropNet(3, 2, 2, hidden_channels=8)
    with pytest.raises(ValueError, match="edge_attr"):
        net(torch.randn(3, 3), torch.tensor([[0, 1], [1, 2]]), edge_attr=torch.randn(2, 5))


def test_learns_mutag():
    data = datasets.load("tu-mutag")
    torch.manual_seed(0)
    net = HyperDropNet(data.num_node_features, data.num_edge_features, data.num_classes, hidden_channels=64,
                       ratio=0.9)
    opt = torch.optim.Adam(net.parameters(), lr=5e-3)
    loader = DataLoader(list(data), batch_size=64, shuffle=True)

    def accuracy():
        net.eval()
        b = Batch.from_data_list(list(data))
        with torch.no_grad():
            return (net(b.x, b.edge_index, b.batch, b.edge_attr).argmax(-1) == b.y).float().mean().item()

    for _ in range(30):
        net.train()
        for b in loader:
            loss = F.cross_entropy(net(b.x, b.edge_index, b.batch, b.edge_attr, b.num_graphs), b.y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert accuracy() > 0.80  # the majority class is 66.5%
