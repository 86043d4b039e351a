import pytest
import torch

from hgnn import Hypergraph
from hgnn.loader import NodeBatch, NodeLoader, node_neighborhood
from hgnn.models import HGNN, HGNNP

pytestmark = pytest.mark.usefixtures("one_thread")


def random_hypergraph(n=60, m=40, seed=0, weighted=False):
    gen = torch.Generator().manual_seed(seed)
    edges = [torch.randperm(n, generator=gen)[: int(torch.randint(2, 6, (1,), generator=gen))].tolist()
             for _ in range(m)]
    hg = Hypergraph.from_edge_list(edges, num_nodes=n, x=torch.randn(n, 5, generator=gen),
                                   y=torch.randint(0, 3, (n,), generator=gen))
    if weighted:
        hg = hg.replace(edge_weight=torch.rand(m, generator=gen) + 0.5)
    return hg.add_self_loops()


@pytest.mark.parametrize("model_cls", [HGNN, HGNNP])
@pytest.mark.parametrize("weighted", [False, True])
def test_exact_batches_give_the_full_graph_outputs(model_cls, weighted):
    hg = random_hypergraph(weighted=weighted)
    torch.manual_seed(0)
    model = model_cls(5, 3, hidden_channels=8).eval()
    full = model(hg.x, hg)
    targets = torch.tensor([3, 17, 42, 5])
    batch = node_neighborhood(hg, targets, num_layers=2)
    assert isinstance(batch, NodeBatch) and batch.hg.num_nodes < hg.num_nodes
    torch.testing.assert_close(batch.node_ids[batch.target_index], targets)
    torch.testing.assert_close(batch.hg.x, hg.x[batch.node_ids])
    torch.testing.assert_close(batch.y, hg.y[targets])
    out = model(batch.hg.x, batch.hg)[batch.target_index]
    torch.testing.assert_close(out, full[targets], atol=1e-5, rtol=1e-5)


def test_sampling_caps_bound_the_batch():
    hg = random_hypergraph(n=200, m=300, seed=1)
    torch.manual_seed(0)
    targets = torch.arange(10)
    batch = node_neighborhood(hg, targets, num_layers=1, max_edges_per_node=2, max_nodes_per_edge=3)
    # a lone target keeps min(degree, 2) hyperedges (with several, one target may also be a sampled
    # member of a hyperedge another target chose)
    for v in (0, 1, 2):
        one = node_neighborhood(hg, torch.tensor([v]), num_layers=1, max_edges_per_node=2, max_nodes_per_edge=3)
        assert one.hg.node_degree()[one.target_index].item() == min(hg.node_degree()[v].item(), 2)
    # every hyperedge: at most 3 sampled members plus the targets that chose it
    index = batch.hg.hyperedge_index
    is_target = torch.zeros(batch.hg.num_nodes, dtype=torch.bool)
    is_target[batch.target_index] = True
    others = torch.bincount(index[1][~is_target[index[0]]], minlength=batch.hg.num_edges)
    assert int(others.max()) <= 3
    # with caps no smaller than any degree or size, two layers reach the exact batch's hyperedges
    big = node_neighborhood(hg, targets, num_layers=2, max_edges_per_node=10**6, max_nodes_per_edge=10**6)
    exact = node_neighborhood(hg, targets, num_layers=2)
    assert big.hg.num_nodes <= exact.hg.num_nodes and big.hg.num_incidences < exact.hg.num_incidences + 1


def test_sampling_is_reproducible_under_a_seed():
    hg = random_hypergraph(n=200, m=300, seed=1)
    a = node_neighborhood(hg, torch.arange(8), 2, 2, 2, generator=torch.Generator().manual_seed(3))
    b = node_neighborhood(hg, torch.arange(8), 2, 2, 2, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a.hg.hyperedge_index, b.hg.hyperedge_index) and torch.equal(a.node_ids, b.node_ids)


def test_bad_inputs():
    hg = random_hypergraph()
    with pytest.raises(ValueError, match="num_layers"):
        node_neighborhood(hg, torch.tensor([0]), 0)
    with pytest.raises(ValueError, match="out of range"):
        node_neighborhood(hg, torch.tensor([hg.num_nodes]), 1)
    with pytest.raises(ValueError, match="empty"):
        node_neighborhood(hg, torch.tensor([], dtype=torch.long), 1)
    with pytest.raises(ValueError, match="max_edges_per_node"):
        node_neighborhood(hg, torch.tensor([0]), 1, max_edges_per_node=0)
    with pytest.raises(TypeError, match="integer"):
        node_neighborhood(hg, torch.tensor([0.5]), 1)
    with pytest.raises(ValueError, match="mask"):
        NodeLoader(hg, torch.ones(3, dtype=torch.bool), 2)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_loader_covers_every_target_once(num_workers):
    hg = random_hypergraph(n=100, m=80)
    mask = torch.zeros(hg.num_nodes, dtype=torch.bool)
    mask[::3] = True
    loader = NodeLoader(hg, mask, num_layers=2, batch_size=7, shuffle=True, num_workers=num_workers,
                        max_edges_per_node=3, generator=torch.Generator().manual_seed(0))
    seen = torch.cat([b.target_nodes for b in loader])
    assert len(loader) == 5 and sorted(seen.tolist()) == mask.nonzero().view(-1).tolist()


def test_minibatch_training_learns_a_planted_partition():
    # Hyperedges inside classes, features pure noise: only the structure tells the class.
    gen = torch.Generator().manual_seed(0)
    n, classes = 240, 4
    y = torch.arange(n) % classes
    edges = []
    for c in range(classes):
        members = (y == c).nonzero().view(-1)
        edges += [members[torch.randperm(members.numel(), generator=gen)[:5]].tolist() for _ in range(80)]
    hg = Hypergraph.from_edge_list(edges, num_nodes=n, x=torch.eye(n), y=y).add_self_loops()
    perm = torch.randperm(n, generator=gen)
    train, test = perm[: n // 2], perm[n // 2:]
    torch.manual_seed(0)
    model = HGNN(n, classes, hidden_channels=16)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    loader = NodeLoader(hg, train, num_layers=2, batch_size=32, shuffle=True, max_edges_per_node=5,
                        max_nodes_per_edge=5)
    for _ in range(30):
        for batch in loader:
            model.train()
            loss = torch.nn.functional.cross_entropy(model(batch.hg.x, batch.hg)[batch.target_index], batch.y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    exact = node_neighborhood(hg, test, 2)
    acc = (model(exact.hg.x, exact.hg)[exact.target_index].argmax(-1) == y[test]).float().mean()
    assert acc > 0.9


@pytest.mark.skipif(not torch.cuda.is_available(), reason="pinned memory needs CUDA")
def test_pinned_batches():
    hg = random_hypergraph()
    batch = next(iter(NodeLoader(hg, torch.arange(10), 2, batch_size=4, pin_memory=True)))
    assert batch.hg.hyperedge_index.is_pinned() and batch.hg.x.is_pinned()


def test_node_loader_checks_every_target_id():
    from hgnn.loader import NodeLoader

    hg = Hypergraph(torch.tensor([[0, 1, 1, 2, 3], [0, 0, 1, 1, 1]]))
    for nodes in (torch.tensor([0, 9]), torch.tensor([-1, 2])):
        with pytest.raises(ValueError, match=r"nodes must be ids in \[0, 4\)"):
            NodeLoader(hg, nodes, 1)
    with pytest.raises(TypeError, match="nodes must be ids"):
        NodeLoader(hg, torch.tensor([0.5]), 1)
    assert len(NodeLoader(hg, torch.tensor([0, 3]), 1, batch_size=1)) == 2
