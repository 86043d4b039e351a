"""IncidenceScorer: the math ([h_v || mean_e h] -> MLP), shapes, the positional encoding, and that
its `num_hops` neighbourhood gives the targets their full-graph logits for every encoder."""
from __future__ import annotations

import pytest
import torch

from hgnn import Hypergraph
from hgnn.loader import hyperedge_neighborhood
from hgnn.models import IncidenceScorer

pytestmark = pytest.mark.usefixtures("one_thread")


def make_data(seed=0, num_nodes=40, num_edges=40):
    gen = torch.Generator().manual_seed(seed)
    edges = [torch.randint(0, num_nodes, (int(torch.randint(1, 5, (1,), generator=gen)),), generator=gen).tolist()
             for _ in range(num_edges)]
    edges.append([1, 2, 1])
    hg = Hypergraph.from_edge_list(edges, num_nodes=num_nodes)
    x = torch.randn(num_nodes, 5, generator=gen)
    pe = torch.rand(hg.num_incidences, 3, generator=gen)
    return hg, x, pe


@pytest.mark.parametrize("encoder", ["hgnn", "hgnnp", "hnhn", "unigcn", "mlp"])
def test_math_and_shapes(encoder):
    hg, x, pe = make_data()
    last = (hg.hyperedge_index[1] == hg.num_edges - 1).nonzero().view(-1)
    pe[last[2]] = pe[last[0]]  # node 1 twice in the last hyperedge, with the same encoding
    torch.manual_seed(0)
    model = IncidenceScorer(5, 3, encoder=encoder, hidden_channels=8, pe_channels=3).eval()
    out = model(x, hg, pe)
    assert out.shape == (hg.num_incidences, 3) and torch.isfinite(out).all()
    h = model.encoder(x, hg)
    nodes, edges = hg.hyperedge_index
    z = torch.zeros(hg.num_edges, 8).index_add_(0, edges, h[nodes]) / torch.bincount(edges).unsqueeze(1)
    expect = model.scorer(torch.cat([h[nodes], z[edges], pe], dim=1))
    torch.testing.assert_close(out, expect)
    # the repeated member of the last hyperedge counts twice in z_e and gets identical logits twice
    torch.testing.assert_close(out[last[0]], out[last[2]])
    assert model.num_hops == (0 if encoder == "mlp" else 5)
    assert sum(len(g) for g in model.parameter_groups()) == len(list(model.parameters()))


@pytest.mark.parametrize("encoder", ["hgnn", "hgnnp", "hnhn", "unigcn", "mlp"])
def test_num_hops_neighbourhood_is_exact(encoder):
    hg, x, _ = make_data(seed=3, num_nodes=80, num_edges=70)
    torch.manual_seed(0)
    model = IncidenceScorer(5, 3, encoder=encoder, hidden_channels=8).eval()
    with torch.no_grad():
        full = model(x, hg)
        for targets in ([0], [4, 17, 40]):
            b = hyperedge_neighborhood(hg, torch.tensor(targets), model.num_hops)
            out = model(x[b.node_ids], b.hg)[b.target_index]
            torch.testing.assert_close(out, full[b.target_incidence_ids], rtol=1e-5, atol=1e-5)


def test_bad_arguments():
    hg, x, pe = make_data()
    with pytest.raises(ValueError):
        IncidenceScorer(5, 3, encoder="gat")
    with pytest.raises(ValueError):
        IncidenceScorer(5, 3, pe_channels=-1)
    with pytest.raises(ValueError):
        IncidenceScorer(5, 3, pe_channels=3)(x, hg, None)


def test_gradients_reach_every_parameter():
    hg, x, pe = make_data()
    model = IncidenceScorer(5, 3, encoder="hgnn", hidden_channels=8, pe_channels=3, dropout=0.0)
    model(x, hg, pe).square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


@pytest.mark.parametrize("encoder", ["mlp", "hgnn"])
def test_scoring_a_subset_of_incidences_equals_slicing_all(encoder):
    hg, x, pe = make_data()
    model = IncidenceScorer(5, 3, encoder=encoder, hidden_channels=8, pe_channels=3).eval()
    last = (hg.hyperedge_index[1] == hg.num_edges - 1).nonzero().view(-1)  # a repeated member
    ids = torch.cat([torch.tensor([4, 0, 2, 4]), last, torch.randperm(hg.num_incidences)[:20]])
    torch.testing.assert_close(model(x, hg, pe, incidences=ids), model(x, hg, pe)[ids])
    assert model(x, hg, pe, incidences=ids[:0]).shape == (0, 3)


def test_scoring_a_subset_in_bfloat16_sums_in_float32():
    hg, x, pe = make_data()
    model = IncidenceScorer(5, 3, encoder="hgnn", hidden_channels=8, pe_channels=3).eval()
    ids = torch.arange(0, hg.num_incidences, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        part, full = model(x, hg, pe, incidences=ids), model(x, hg, pe)[ids]
    torch.testing.assert_close(part.float(), full.float(), atol=2e-2, rtol=2e-2)


def test_scoring_a_subset_checks_the_ids():
    hg, x, pe = make_data()
    model = IncidenceScorer(5, 3, pe_channels=3)
    with pytest.raises(ValueError, match="incidences must lie in"):
        model(x, hg, pe, incidences=torch.tensor([hg.num_incidences]))
    with pytest.raises(ValueError, match="incidences must lie in"):
        model(x, hg, pe, incidences=torch.tensor([-1]))
    mask = torch.rand(hg.num_incidences) < 0.5
    torch.testing.assert_close(model.eval()(x, hg, pe, incidences=mask), model(x, hg, pe)[mask])
    with pytest.raises(ValueError, match="boolean incidences mask"):
        model(x, hg, pe, incidences=mask[1:])
    with pytest.raises(TypeError, match="1-D integer"):
        model(x, hg, pe, incidences=torch.zeros(2, 2, dtype=torch.long))
    with pytest.raises(TypeError, match="1-D integer"):
        model(x, hg, pe, incidences=torch.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="incidences must be a torch.Tensor"):
        model(x, hg, pe, incidences=[0, 1])
