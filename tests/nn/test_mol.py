import pytest
import torch

from hgnn.models import HyperDropMolNet
from hgnn.nn import CategoricalEncoder, EdgeGCNConv

pytestmark = pytest.mark.usefixtures("one_thread")


def test_edge_gcn_matches_its_formula():
    gen = torch.Generator().manual_seed(0)
    x, e = torch.randn(4, 3, generator=gen, dtype=torch.float64), torch.randn(5, 3, generator=gen, dtype=torch.float64)
    ei = torch.tensor([[0, 1, 2, 3, 0], [1, 2, 1, 0, 2]])
    w = torch.rand(5, generator=gen, dtype=torch.float64)
    conv = EdgeGCNConv(3).double()
    out = conv(x, ei, e, w)
    h, he = conv.lin(x), conv.lin_edge(e)
    deg = torch.ones(4, dtype=torch.float64).index_add_(0, ei[1], w)
    expected = torch.relu(h + conv.root) / deg[:, None]
    for k in range(5):
        u, v = ei[:, k].tolist()
        expected[v] += w[k] / (deg[u] * deg[v]).sqrt() * torch.relu(h[u] + he[k])
    torch.testing.assert_close(out, expected)


def test_categorical_encoder_sums_embeddings_and_checks_ranges():
    enc = CategoricalEncoder([3, 2], 4)
    x = torch.tensor([[2, 1], [0, 0]])
    torch.testing.assert_close(enc(x)[0], enc.embeddings[0].weight[2] + enc.embeddings[1].weight[1])
    with pytest.raises(ValueError, match="out of range"):
        enc(torch.tensor([[3, 0]]))
    with pytest.raises(ValueError, match="integer tensor"):
        enc(torch.zeros(2, 2))


@pytest.mark.parametrize("drop", [True, False])
def test_mol_net_runs_on_molecules(drop):
    pytest.importorskip("ogb")
    from ogb.utils.features import get_atom_feature_dims, get_bond_feature_dims
    from torch_geometric.data import Batch, Data

    from hgnn.datasets.molhiv import mol_to_graph, parse_smiles

    graphs = [Data(**mol_to_graph(parse_smiles(s))) for s in ["CCO", "c1ccccc1O", "CC(=O)N"]]
    b = Batch.from_data_list(graphs)
    net = HyperDropMolNet(get_atom_feature_dims(), get_bond_feature_dims(), 1, hidden_channels=16, drop=drop)
    out = net(b.x, b.edge_index, b.batch, b.edge_attr, b.num_graphs)
    assert out.shape == (3, 1)
    out.sum().backward()
    assert (len(net.drops) == 2) == drop
