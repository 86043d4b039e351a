import pytest
import torch

from hgnn import Hypergraph
from hgnn.models import HGNN
from hgnn.train import Split, fit_minibatch, predict_minibatch

pytestmark = pytest.mark.usefixtures("one_thread")


def planted(n=240, classes=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    edges = []
    for c in range(classes):
        members = (y == c).nonzero().view(-1)
        edges += [members[torch.randperm(members.numel(), generator=gen)[:5]].tolist() for _ in range(60)]
    x = torch.randn(n, 8, generator=gen)
    x[:, :classes] += 0.3 * torch.nn.functional.one_hot(y, classes)
    hg = Hypergraph.from_edge_list(edges, num_nodes=n, x=x, y=y).add_self_loops()
    perm = torch.randperm(n, generator=gen)
    masks = [torch.zeros(n, dtype=torch.bool) for _ in range(3)]
    for mask, part in zip(masks, (perm[:60], perm[60:120], perm[120:])):
        mask[part] = True
    return hg, Split(*masks)


def test_predict_minibatch_equals_the_full_graph_pass():
    hg, split = planted()
    torch.manual_seed(0)
    model = HGNN(8, 4, hidden_channels=16).eval()
    with torch.no_grad():
        full = model(hg.x, hg)
    got = predict_minibatch(model, hg, split.test, num_layers=2, batch_size=17)
    torch.testing.assert_close(got, full[split.test], atol=1e-5, rtol=1e-5)


def test_fit_minibatch_learns_and_reports_like_fit():
    hg, split = planted()
    torch.manual_seed(0)
    result = fit_minibatch(HGNN(8, 4, hidden_channels=16), hg, split, batch_size=16, max_edges_per_node=4,
                           max_nodes_per_edge=4, epochs=40, progress=False)
    assert result.test["acc"] > 0.85 and result.epochs_run == 40
    assert len(result.history["loss"]) == 40 and result.history["loss"][-1] < result.history["loss"][0]
    with pytest.raises(ValueError, match="epochs"):
        fit_minibatch(HGNN(8, 4), hg, split, epochs=0)


def test_predict_minibatch_checks_a_mask_length():
    hg = Hypergraph(torch.tensor([[0, 1, 1, 2, 3], [0, 0, 1, 1, 1]]), x=torch.randn(4, 3))
    with pytest.raises(ValueError, match=r"a node mask must have shape \[4\]"):
        predict_minibatch(HGNN(3, 2, hidden_channels=4), hg, torch.ones(2, dtype=torch.bool), 1)
