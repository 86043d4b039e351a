"""WHATsNet: shapes, its num_hops neighbourhood reproduces full-graph logits, gradients, training."""
from __future__ import annotations

import pytest
import torch

from hgnn import Hypergraph
from hgnn.loader import hyperedge_neighborhood
from hgnn.models import WHATsNet
from hgnn.nn.conv import incidence_positional_encoding

pytestmark = pytest.mark.usefixtures("one_thread")


def make_data(seed=0, num_nodes=50, num_edges=45):
    gen = torch.Generator().manual_seed(seed)
    edges = [torch.randint(0, num_nodes, (int(torch.randint(1, 5, (1,), generator=gen)),), generator=gen).tolist()
             for _ in range(num_edges)]
    hg = Hypergraph.from_edge_list(edges + [[4, 9, 4]], num_nodes=num_nodes)
    x = torch.randn(num_nodes, 6, generator=gen)
    pe = incidence_positional_encoding(hg, torch.rand(num_nodes, 2, generator=gen, dtype=torch.float64)).float()
    return hg, x, pe


@pytest.mark.parametrize("num_layers", [1, 2])
def test_shapes_and_exact_neighbourhood(num_layers):
    hg, x, pe = make_data()
    torch.manual_seed(0)
    model = WHATsNet(6, 3, hidden_channels=8, out_channels=12, num_layers=num_layers, pe_channels=2, heads=2).eval()
    with torch.no_grad():
        full = model(x, hg, pe)
        assert full.shape == (hg.num_incidences, 3) and torch.isfinite(full).all()
        assert model.num_hops == 2 * num_layers
        for targets in ([0], [3, 20, 45]):
            b = hyperedge_neighborhood(hg, torch.tensor(targets), model.num_hops)
            out = model(x[b.node_ids], b.hg, pe[b.incidence_ids])[b.target_index]
            torch.testing.assert_close(out, full[b.target_incidence_ids], rtol=1e-5, atol=1e-5)


def test_gradients_and_fit():
    from hgnn.tasks.edge_dependent import fit_edge_dependent

    hg, x, pe = make_data(seed=1)
    model = WHATsNet(6, 2, hidden_channels=8, out_channels=8, num_layers=1, pe_channels=2, heads=2, dropout=0.0)
    model(x, hg, pe).square().sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert sum(len(g) for g in model.parameter_groups()) == len(list(model.parameters()))
    y = (pe[:, 0] > 0.5).long()
    masks = torch.zeros(3, hg.num_edges, dtype=torch.bool)
    masks[torch.arange(hg.num_edges) % 3, torch.arange(hg.num_edges)] = True
    res = fit_edge_dependent(model, hg, x, pe, labels=y, train_edges=masks[0], val_edges=masks[1],
                             test_edges=masks[2], epochs=3, batch_size=8, eval_every=1, progress=False)
    assert res.epochs_run == 3 and set(res.test) == {"micro_f1", "macro_f1", "loss"}
    with pytest.raises(ValueError):
        model(x, hg, None)
