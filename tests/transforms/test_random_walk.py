"""Hypergraph node2vec walks, skip-gram and the cached random-walk embedding (hgnn.transforms)."""
from __future__ import annotations

from collections import Counter

import pytest
import torch
import torch.nn.functional as F

import hgnn.transforms.hypergraph_walks as walks_module
import hgnn.transforms.random_walk as rw
import hgnn.transforms.skipgram as sg
from hgnn import Hypergraph
from hgnn.transforms import (
    DEFAULTS,
    REFERENCE_SETTINGS,
    hypergraph_random_walks,
    random_walk_embedding,
    skipgram_embedding,
)

pytestmark = pytest.mark.usefixtures("one_thread")

# 0..6 connected; 2 sits twice in hyperedge 2 (a duplicate incidence); 7 only in a singleton
# hyperedge and 8 in none: both have no neighbour.
EDGES = [[0, 1, 2], [1, 2, 3], [2, 3, 4, 5, 2], [4, 5], [5, 6], [0, 6], [7]]
N = 9


def _small() -> Hypergraph:
    return Hypergraph.from_edge_list(EDGES, num_nodes=N)


def _random_hypergraph(seed: int, n: int = 40, m: int = 60) -> Hypergraph:
    g = torch.Generator().manual_seed(seed)
    edges = []
    for _ in range(m):
        size = int(torch.randint(1, 6, (1,), generator=g))
        edges.append(torch.randint(0, n - 3, (size,), generator=g).tolist())  # last 3 nodes isolated
    return Hypergraph.from_edge_list(edges, num_nodes=n)


def _co_member(hg: Hypergraph) -> torch.Tensor:
    """Dense [N, N] bool: u != v share a hyperedge."""
    H = torch.zeros(hg.num_nodes, hg.num_edges)
    H[hg.hyperedge_index[0], hg.hyperedge_index[1]] = 1
    co = (H @ H.t()) > 0
    return co.fill_diagonal_(False)


# ------------------------------------------------------------------------------------- the walks
@pytest.mark.parametrize("pq", [(1.0, 1.0), (2.0, 0.25), (0.5, 4.0)])
@pytest.mark.parametrize("seed", [0, 1])
def test_walks_move_only_along_hyperedges(pq, seed):
    hg = _random_hypergraph(seed)
    walks = hypergraph_random_walks(hg, 15, 3, p=pq[0], q=pq[1], seed=seed, degree_exponent=-0.5)
    co = _co_member(hg)
    has_neighbour = co.any(1)
    a, b = walks[:, :-1].reshape(-1), walks[:, 1:].reshape(-1)
    moved = a != b
    assert co[a[moved], b[moved]].all()  # every move shares a hyperedge
    assert not has_neighbour[a[~moved]].any()  # only nodes without a neighbour stay
    stuck = ~has_neighbour[walks[:, 0]]
    assert (walks[stuck] == walks[stuck, :1]).all()  # ... and they stay for the whole walk


def test_shape_dtype_starts_and_isolated_nodes():
    hg = _small()
    walks = hypergraph_random_walks(hg, walk_length=6, walks_per_node=4, p=2.0, q=0.25)
    assert walks.dtype == torch.long and walks.shape == (4 * N, 6)
    assert torch.equal(walks[:, 0], torch.arange(N).repeat(4))
    assert (walks[7::N] == 7).all() and (walks[8::N] == 8).all()  # singleton-only and isolated
    assert hypergraph_random_walks(hg, 1, 2).shape == (2 * N, 1)


def test_determinism_by_seed():
    hg = _random_hypergraph(3)
    a = hypergraph_random_walks(hg, 12, 2, p=2.0, q=0.25, seed=7)
    assert torch.equal(a, hypergraph_random_walks(hg, 12, 2, p=2.0, q=0.25, seed=7))
    assert not torch.equal(a, hypergraph_random_walks(hg, 12, 2, p=2.0, q=0.25, seed=8))


def _reference_law(edges, beta, p, q, s, v):
    """The reference's transition law (Hyper-SAGNN / CoNHD random_walk_hyper.py), by brute force
    on sets: {u: P(u | previous s, current v)}; s=None for the first step."""
    sets = [set(e) for e in edges]
    deg = Counter(u for e in sets for u in e)
    weight = {}
    for u in range(N):
        ff = sum(1.0 / len(e) for e in sets if u in e and v in e and u != v)
        if ff == 0:
            continue
        alpha = 1.0
        if s is not None:
            if u == s or any({s, v, u} <= e for e in sets):
                alpha = 1.0 / p
            elif any({s, u} <= e for e in sets):
                alpha = 1.0
            else:
                alpha = 1.0 / q
        weight[u] = alpha * ff * deg[u] ** beta
    total = sum(weight.values())
    return {u: w / total for u, w in weight.items()}


@pytest.mark.parametrize("p, q, beta", [(1.0, 1.0, 0.0), (2.0, 0.25, -0.5), (0.5, 3.0, 0.0)])
def test_transition_law_matches_the_reference(p, q, beta):
    walks = hypergraph_random_walks(_small(), 3, 6000, p=p, q=q, seed=0, degree_exponent=beta)
    checked = 0
    for context in ("first", "second"):
        groups: dict = {}
        for w in walks.tolist():
            key, nxt = ((None, w[0]), w[1]) if context == "first" else ((w[0], w[1]), w[2])
            groups.setdefault(key, Counter())[nxt] += 1
        for (s, v), counts in groups.items():
            n = sum(counts.values())
            if n < 1500 or v >= 7:
                continue
            law = _reference_law(EDGES, beta, p, q, s, v)
            assert set(counts) <= set(law)
            tv = 0.5 * sum(abs(counts.get(u, 0) / n - pr) for u, pr in law.items())
            assert tv < 0.04, (context, s, v, p, q, dict(counts), law)
            checked += 1
    assert checked >= 15


def test_pair_table_and_scan_give_the_same_walks(monkeypatch):
    hg = _random_hypergraph(5)
    table = hypergraph_random_walks(hg, 10, 3, p=2.0, q=0.25, seed=1, degree_exponent=-0.5)
    monkeypatch.setattr(walks_module, "_MAX_PAIRS", 0)  # force the per-hyperedge scans
    assert torch.equal(table, hypergraph_random_walks(hg, 10, 3, p=2.0, q=0.25, seed=1, degree_exponent=-0.5))


def test_p_and_q_steer_the_walk():
    # a ring of 30 pairwise hyperedges plus chords: returning vs going outward is visible
    edges = [[i, (i + 1) % 30] for i in range(30)] + [[i, (i + 7) % 30] for i in range(0, 30, 3)]
    hg = Hypergraph.from_edge_list(edges, num_nodes=30)

    def returns(p, q):
        w = hypergraph_random_walks(hg, 30, 20, p=p, q=q, seed=0)
        return (w[:, 2:] == w[:, :-2]).float().mean().item()

    back, plain, out = returns(0.25, 1.0), returns(1.0, 1.0), returns(4.0, 0.25)
    assert back > plain + 0.15 and plain > out + 0.15


# ------------------------------------------------------------------------------------- skip-gram
def _planted(seed: int = 0, k: int = 3, size: int = 20):
    g = torch.Generator().manual_seed(seed)
    edges = []
    for c in range(k):
        for _ in range(60):  # dense inside each community
            members = torch.randperm(size, generator=g)[: int(torch.randint(2, 5, (1,), generator=g))]
            edges.append((members + c * size).tolist())
    for _ in range(4):  # a few bridges
        edges.append(torch.randint(0, k * size, (3,), generator=g).tolist())
    return Hypergraph.from_edge_list(edges, num_nodes=k * size), torch.arange(k * size) // size


def test_skipgram_recovers_planted_communities():
    hg, community = _planted()
    z = random_walk_embedding(hg, dim=16, walk_length=20, walks_per_node=10, window=5, progress=False)
    assert z.shape == (hg.num_nodes, 16) and z.dtype == torch.float32 and torch.isfinite(z).all()
    zn = F.normalize(z, dim=1)
    sim = zn @ zn.t()
    sim.fill_diagonal_(-2.0)
    nearest = sim.argmax(1)
    assert (community[nearest] == community).float().mean() > 0.9


def test_sgns_gradients_and_lazy_adam_match_autograd_sparse_adam():
    g = torch.Generator().manual_seed(0)
    n, d = 12, 5
    z_in, z_out = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
    centres = torch.tensor([0, 3, 3, 7])
    pair_centre = torch.tensor([0, 0, 1, 2, 2, 2, 3])
    contexts = torch.tensor([1, 3, 4, 5, 3, 0, 7])
    noise = torch.randint(0, n, (4, 3), generator=g)

    emb_in = torch.nn.Embedding(n, d, sparse=True, _weight=z_in.clone())
    emb_out = torch.nn.Embedding(n, d, sparse=True, _weight=z_out.clone())
    opt = torch.optim.SparseAdam([emb_in.weight, emb_out.weight], lr=0.1)
    mine_in, mine_out = z_in.clone(), z_out.clone()
    adam_in, adam_out = sg._LazyAdam(mine_in), sg._LazyAdam(mine_out)
    for _ in range(3):
        z = emb_in(centres)
        pos = (z[pair_centre] * emb_out(contexts)).sum(-1)
        neg = torch.bmm(emb_out(noise), z.unsqueeze(-1)).squeeze(-1)
        m = torch.bincount(pair_centre, minlength=4).float()
        loss = -(F.logsigmoid(pos).sum() + (F.logsigmoid(-neg).sum(-1) * m).sum()) / pair_centre.numel()
        opt.zero_grad()
        loss.backward()
        opt.step()
        my_loss, g_c, g_x, g_n = sg._sgns_grads(mine_in, mine_out, centres, pair_centre, contexts, noise)
        torch.testing.assert_close(my_loss, loss.detach())
        adam_in.step(centres, g_c, 0.1)
        adam_out.step(torch.cat([contexts, noise.reshape(-1)]), torch.cat([g_x, g_n.reshape(-1, d)]), 0.1)
        torch.testing.assert_close(mine_in, emb_in.weight.detach())
        torch.testing.assert_close(mine_out, emb_out.weight.detach())


def test_compact_drops_tokens_and_left_aligns():
    walks = torch.tensor([[1, 2, 3, 4], [5, 6, 7, 8]])
    keep = torch.tensor([[True, False, True, False], [False, False, False, True]])
    assert sg._compact(walks, keep).tolist() == [[1, 3, -1, -1], [8, -1, -1, -1]]


# ------------------------------------------------------------------------------------- the cache
SMALL = dict(dim=8, walk_length=8, walks_per_node=3, window=3, progress=False)


def test_cache_round_trip_and_invalidation(tmp_path, monkeypatch):
    hg, _ = _planted(size=8)
    path = tmp_path / "sub" / "emb.pt"
    first = random_walk_embedding(hg, cache=path, **SMALL)
    stored = torch.load(path, weights_only=True)
    assert set(stored) == {"key", "embedding"} and torch.equal(stored["embedding"], first)

    calls = []
    real = rw.hypergraph_random_walks
    monkeypatch.setattr(rw, "hypergraph_random_walks", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert torch.equal(random_walk_embedding(hg, cache=path, **SMALL), first)  # read back
    assert calls == []

    changed = Hypergraph.from_edge_list(hg.to_edge_list() + [[0, 9]], num_nodes=hg.num_nodes)
    other = random_walk_embedding(changed, cache=path, **SMALL)  # another hypergraph: recomputed
    assert calls == [1] and not torch.equal(other, first)
    assert torch.load(path, weights_only=True)["key"] != stored["key"]
    random_walk_embedding(changed, cache=path, **dict(SMALL, seed=1))  # another setting: recomputed
    assert calls == [1, 1]
    random_walk_embedding(changed, cache=path, **dict(SMALL, seed=1))
    assert calls == [1, 1]
    path.write_bytes(b"not a torch file")  # unreadable: recomputed and overwritten
    random_walk_embedding(changed, cache=path, **dict(SMALL, seed=1))
    assert calls == [1, 1, 1] and "key" in torch.load(path, weights_only=True)


def test_cache_truncated_or_implausible_is_recomputed(tmp_path, monkeypatch):
    hg, _ = _planted(size=8)
    path = tmp_path / "emb.pt"
    first = random_walk_embedding(hg, cache=path, **SMALL)
    good = path.read_bytes()
    key = torch.load(path, weights_only=True)["key"]
    calls = []
    real = rw.hypergraph_random_walks
    monkeypatch.setattr(rw, "hypergraph_random_walks", lambda *a, **k: calls.append(1) or real(*a, **k))
    damaged = [
        lambda: path.write_bytes(good[: len(good) // 2]),  # truncated
        lambda: torch.save({"key": key, "embedding": torch.zeros(3, 2)}, path),  # right key, wrong shape
        lambda: torch.save({"key": key, "embedding": torch.full_like(first, float("nan"))}, path),
        lambda: torch.save({"key": key, "embedding": first.long()}, path),
    ]
    for n, damage in enumerate(damaged, 1):
        damage()
        out = random_walk_embedding(hg, cache=path, **SMALL)
        assert len(calls) == n and out.shape == first.shape and torch.isfinite(out).all()
        assert torch.load(path, weights_only=True)["embedding"].shape == first.shape


def test_cache_write_is_atomic(tmp_path, request):
    hg, _ = _planted(size=8)
    path = tmp_path / "emb.pt"
    random_walk_embedding(hg, cache=path, **SMALL)
    before = path.read_bytes()

    request.getfixturevalue("disk_full")
    with pytest.raises(OSError, match="No space"):
        random_walk_embedding(hg, cache=path, **dict(SMALL, seed=1))  # another setting: recomputed, saved
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["emb.pt"]


def test_defaults_follow_the_reference_walk_law():
    for key in ("dim", "walk_length", "p", "q", "degree_exponent", "window", "negatives", "epochs", "subsample"):
        assert DEFAULTS[key] == REFERENCE_SETTINGS[key], key
    assert DEFAULTS["walks_per_node"] < REFERENCE_SETTINGS["walks_per_node"]


# ------------------------------------------------------------------------------------- bad input
def test_bad_input_errors():
    hg = _small()
    with pytest.raises(ValueError, match="walk_length"):
        hypergraph_random_walks(hg, 0, 1)
    with pytest.raises(ValueError, match="walks_per_node"):
        hypergraph_random_walks(hg, 5, 0)
    with pytest.raises(ValueError, match="p and q"):
        hypergraph_random_walks(hg, 5, 1, p=0.0)
    with pytest.raises(ValueError, match="empty"):
        hypergraph_random_walks(Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=0, num_edges=0), 5, 1)
    with pytest.raises(ValueError, match="empty"):
        random_walk_embedding(Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=4, num_edges=0), **SMALL)
    with pytest.raises(ValueError, match="dim"):
        random_walk_embedding(hg, **dict(SMALL, dim=0))
    walks = hypergraph_random_walks(hg, 4, 1)
    with pytest.raises(ValueError, match="dim"):
        skipgram_embedding(walks, N, dim=0)
    with pytest.raises(ValueError, match="window"):
        skipgram_embedding(walks, N, window=0)
    with pytest.raises(ValueError, match="outside"):
        skipgram_embedding(walks, N - 2)
    with pytest.raises(ValueError, match="LongTensor"):
        skipgram_embedding(walks.float(), N)


@pytest.mark.parametrize("beta", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_degree_exponent_is_refused(beta):
    with pytest.raises(ValueError, match="degree_exponent must be finite"):
        hypergraph_random_walks(_small(), 5, 1, degree_exponent=beta)


def test_degree_exponent_that_underflows_the_weights_is_refused():
    with pytest.raises(ValueError, match="degree_exponent=-5000.0 is too large"):
        hypergraph_random_walks(_small(), 5, 1, degree_exponent=-5000.0)
    with pytest.raises(TypeError, match="degree_exponent must be a real number"):
        hypergraph_random_walks(_small(), 5, 1, degree_exponent=True)


@pytest.mark.parametrize("name,value", [("walk_length", 2.7), ("walk_length", 3.0), ("walk_length", True),
                                        ("walks_per_node", 1.5), ("walks_per_node", True), ("seed", 0.5),
                                        ("walk_length", torch.tensor(3.0))])
def test_counts_and_seed_must_be_true_ints(name, value):
    args = {"walk_length": 3, "walks_per_node": 1, "seed": 0, name: value}
    with pytest.raises(TypeError, match=f"{name} must be an int"):
        hypergraph_random_walks(_small(), **args)


def test_integer_like_counts_are_accepted():
    np = pytest.importorskip("numpy")
    walks = hypergraph_random_walks(_small(), np.int64(3), torch.tensor(2), seed=np.int64(1),
                                    degree_exponent=np.float64(-0.5))
    assert torch.equal(walks, hypergraph_random_walks(_small(), 3, 2, seed=1, degree_exponent=-0.5))


def test_random_walk_embedding_does_not_truncate_its_walk_settings():
    from hgnn.transforms import random_walk_embedding

    hg = Hypergraph(torch.tensor([[0, 1, 1, 2], [0, 0, 1, 1]]))
    with pytest.raises(TypeError, match="walk_length must be an int"):
        random_walk_embedding(hg, dim=4, walk_length=2.7)
    with pytest.raises(ValueError, match="degree_exponent must be finite"):
        random_walk_embedding(hg, dim=4, degree_exponent=float("nan"))
