"""Multi-process (DDP) mini-batch training of HGNN, launched with torchrun.

    torchrun --nproc_per_node=2 examples/distributed_train.py --dataset cocitation-cora
    torchrun --nnodes=2 --node_rank=R --master_addr=HOST --nproc_per_node=4 examples/distributed_train.py ...

Every process loads the hypergraph, takes its share of the training nodes
(``hgnn.train.distributed.distributed_node_loader``: a DistributedSampler over the targets),
trains on sampled ``NodeLoader`` batches, and DistributedDataParallel averages the gradients
(gloo on CPU, NCCL on GPUs). Rank 0 evaluates on exact batches and writes a checkpoint after every
epoch (atomically); a run started again with the same ``--checkpoint`` resumes after the last
saved epoch (loaded with ``weights_only=True``).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from hgnn.datasets import load
from hgnn.models import HGNN
from hgnn.train import get_split, prepare
from hgnn.train.distributed import distributed_node_loader
from hgnn.train.minibatch import predict_minibatch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cocitation-cora")
    parser.add_argument("--split", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32, help="training nodes per step and rank")
    parser.add_argument("--max-edges-per-node", type=int, default=10)
    parser.add_argument("--max-nodes-per-edge", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--checkpoint", type=Path, default=Path("distributed_hgnn.pt"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stop-after", type=int, default=None,
                        help="exit after this many epochs of this run (to try resuming)")
    args = parser.parse_args()

    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}") if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    else:
        torch.set_num_threads(1)
    torch.manual_seed(args.seed + rank)  # each rank samples its own neighbourhoods

    hg = prepare(load(args.dataset))
    split = get_split(hg, "hypergcn", args.split)
    loader = distributed_node_loader(hg, split.train, 2, args.batch_size, seed=args.seed,
                                     max_edges_per_node=args.max_edges_per_node,
                                     max_nodes_per_edge=args.max_nodes_per_edge, pin_memory=cuda)
    torch.manual_seed(args.seed)
    model = HGNN(hg.x.size(1), int(hg.y.max()) + 1).to(device)
    ddp = DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    opt = torch.optim.Adam(ddp.parameters(), lr=args.lr, weight_decay=5e-4)
    start, best = 0, {"val": -1.0, "test": 0.0, "epoch": -1}
    if args.checkpoint.exists():
        state = torch.load(args.checkpoint, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start, best = state["epoch"] + 1, state["best"]
        if rank == 0:
            print(f"resuming after epoch {state['epoch']} from {args.checkpoint}")
    for epoch in range(start, args.epochs):
        loader.sampler.set_epoch(epoch)
        ddp.train()
        for batch in loader:
            batch = batch.to(device, non_blocking=True)
            loss = F.cross_entropy(ddp(batch.hg.x, batch.hg)[batch.target_index], batch.y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if rank == 0:
            val = (predict_minibatch(model, hg, split.val, 2, device=device).argmax(-1).cpu()
                   == hg.y[split.val]).float().mean().item()
            if val > best["val"]:
                test = (predict_minibatch(model, hg, split.test, 2, device=device).argmax(-1).cpu()
                        == hg.y[split.test]).float().mean().item()
                best = {"val": val, "test": test, "epoch": epoch}
            tmp = args.checkpoint.with_suffix(".tmp")
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch, "best": best}, tmp)
            os.replace(tmp, args.checkpoint)
            print(f"epoch {epoch:3d}  loss {loss.item():.3f}  val {val:.4f}  best val {best['val']:.4f} "
                  f"(test {best['test']:.4f} at epoch {best['epoch']})", flush=True)
        dist.barrier()
        if args.stop_after is not None and epoch + 1 - start >= args.stop_after:
            break
    if rank == 0:
        print(f"{world} processes; best validation {best['val']:.4f}, its test accuracy {best['test']:.4f}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
