"""Two gloo processes (file store): DDP on NodeLoader shares equals one process on the union."""
import datetime
import os
import time

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from hgnn import Hypergraph
from hgnn.models import HGNN
from hgnn.loader.distributed import distributed_hyperedge_loader, distributed_node_loader

pytestmark = pytest.mark.usefixtures("one_thread")


def toy():
    gen = torch.Generator().manual_seed(0)
    edges = [torch.randperm(30, generator=gen)[:4].tolist() for _ in range(25)]
    return Hypergraph.from_edge_list(edges, num_nodes=30, x=torch.randn(30, 6, generator=gen),
                                     y=torch.randint(0, 3, (30,), generator=gen)).add_self_loops()


def one_step(rank, out_dir):
    """One DDP step on this rank's share; every DDP object dies when this returns."""
    hg = toy()
    loader = distributed_node_loader(hg, torch.arange(16), 2, batch_size=4, seed=0)
    batch = next(iter(loader))
    torch.manual_seed(rank)  # different local inits: DDP must broadcast rank 0's
    model = HGNN(6, 3, hidden_channels=8, dropout=0.0)
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.5)
    loss = F.cross_entropy(ddp(batch.hg.x, batch.hg)[batch.target_index], batch.y)
    loss.backward()
    opt.step()
    torch.save({"params": [p.detach().clone() for p in model.parameters()], "targets": batch.target_nodes},
               os.path.join(out_dir, f"rank{rank}.pt"))


def worker(rank, world_size, store_file, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{store_file}", rank=rank, world_size=world_size,
                            timeout=datetime.timedelta(seconds=60))
    try:
        # The DDP reducer must be freed while the process group is still registered: if its
        # deallocation drops the group's last reference, ~ProcessGroupGloo joins gloo's worker
        # thread under the GIL while that thread waits for the GIL to free a finished work
        # item, and the process never exits (seen about once in ten runs, torch 2.13).
        one_step(rank, out_dir)
        dist.barrier()
    finally:
        dist.destroy_process_group()


def run_ranks(world_size, tmp_path, deadline_s=180.0):
    """Spawn the ranks and wait at most ``deadline_s``: a hang fails this test, never the whole suite."""
    ctx = mp.start_processes(worker, args=(world_size, str(tmp_path / "store"), str(tmp_path)),
                             nprocs=world_size, join=False, start_method="spawn")
    end = time.monotonic() + deadline_s
    while not ctx.join(timeout=1.0):
        if time.monotonic() > end:
            for proc in ctx.processes:
                proc.kill()
            pytest.fail(f"{world_size} gloo ranks did not finish within {deadline_s:.0f} s")


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed gloo")
def test_two_ranks_agree_and_equal_one_process_on_the_union(tmp_path):
    run_ranks(2, tmp_path)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    for a, b in zip(ranks[0]["params"], ranks[1]["params"]):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    union = torch.cat([r["targets"] for r in ranks])
    assert union.numel() == 8 and union.unique().numel() == 8  # disjoint shares
    hg = toy()
    torch.manual_seed(0)  # rank 0's initialisation
    model = HGNN(6, 3, hidden_channels=8, dropout=0.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    F.cross_entropy(model(hg.x, hg)[union], hg.y[union]).backward()
    opt.step()
    for want, got in zip(model.parameters(), ranks[0]["params"]):
        torch.testing.assert_close(got, want.detach(), rtol=1e-5, atol=1e-6)


def test_loader_refuses_its_own_sampler():
    with pytest.raises(ValueError, match="DistributedSampler"):
        distributed_node_loader(toy(), torch.arange(4), 2, 2, rank=0, world_size=1, sampler=None)


def test_hyperedge_shares_partition_the_targets():
    hg = toy()
    edges = torch.arange(3, 23)
    shares = []
    for rank in range(2):
        loader = distributed_hyperedge_loader(hg, edges, 2, batch_size=3, rank=rank, world_size=2, seed=1,
                                              max_edges_per_node=2)
        loader.sampler.set_epoch(4)
        shares.append(torch.cat([b.target_edges for b in loader]))
        assert len(loader) == 4  # ceil(10 / 3) batches of this rank's 10 hyperedges
    assert sorted(torch.cat(shares).tolist()) == edges.tolist()  # disjoint, and together all of them
    with pytest.raises(ValueError, match="DistributedSampler"):
        distributed_hyperedge_loader(hg, edges, 2, 3, rank=0, world_size=1, shuffle=False, sampler=None)
