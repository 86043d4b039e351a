"""Multi-process (DDP) mini-batch training, launched with torchrun: HGNN node classification, or
edge-dependent node classification (CoNHD / an incidence scorer) on an ENC dataset.

    torchrun --nproc_per_node=2 examples/distributed_train.py --dataset cocitation-cora
    torchrun --nproc_per_node=2 examples/distributed_train.py --dataset enc-stackoverflowbiology --model conhd-unp
    torchrun --nnodes=2 --node_rank=R --master_addr=HOST --nproc_per_node=4 examples/distributed_train.py ...
    python examples/distributed_train.py --quick      # one process, two epochs, a temporary checkpoint

Every process loads the hypergraph and takes its share of the training targets
(``hgnn.loader.distributed``: a DistributedSampler over the training nodes, or over the training
hyperedges for ENC), trains on sampled ``NodeLoader`` / ``HyperedgeLoader`` batches, and
DistributedDataParallel averages the gradients (gloo on CPU, NCCL on GPUs). Run without torchrun
(``python examples/distributed_train.py ...``) it trains as a single process.

Rank 0 evaluates on exact batches (accuracy; micro-F1 for ENC) and writes a checkpoint after every
epoch (atomically, ``hgnn.train.checkpoint``): weights, Adam's state, the epoch, the best
validation score so far and every rank's RNG states. A run started again with the same
``--checkpoint`` (and the same options and number of processes) resumes after the last saved epoch
and ends with the same weights as a run that never stopped (bit for bit on CPUs; try it with
``--stop-after``). Checkpoints are taken at epoch boundaries only. Every rank reads the checkpoint,
so on several machines ``--checkpoint`` must be on a shared filesystem.
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from hgnn.datasets import load
from hgnn.io import check_output_path
from hgnn.train.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from hgnn.loader.distributed import distributed_hyperedge_loader, distributed_node_loader


def node_task(args, device, cuda):
    """HGNN on a node-classification hypergraph: ``(module, loader, step_loss, evaluate)``."""
    from hgnn.models import HGNN
    from hgnn.train import get_split
    from hgnn.transforms import prepare
    from hgnn.train import predict_minibatch

    hg = prepare(load(args.dataset))
    split = get_split(hg, "hypergcn", args.split)
    loader = distributed_node_loader(hg, split.train, 2, args.batch_size or 32, seed=args.seed,
                                     max_edges_per_node=args.max_edges_per_node,
                                     max_nodes_per_edge=args.max_nodes_per_edge, pin_memory=cuda)
    torch.manual_seed(args.seed)
    model = HGNN(hg.x.size(1), int(hg.y.max()) + 1).to(device)

    def step_loss(ddp, batch):
        return F.cross_entropy(ddp(batch.hg.x, batch.hg)[batch.target_index], batch.y)

    def evaluate(part):
        nodes = getattr(split, part)
        pred = predict_minibatch(model, hg, nodes, 2, device=device).argmax(-1).cpu()
        return (pred == hg.y[nodes]).float().mean().item()

    return model, loader, step_loss, evaluate, dict(lr=args.lr or 0.01, weight_decay=5e-4)


class EncNet(nn.Module):
    """A trainable node embedding and an incidence classifier, one module for DDP to wrap."""

    def __init__(self, x: torch.Tensor, net: nn.Module) -> None:
        super().__init__()
        self.emb = nn.Embedding.from_pretrained(x.clone(), freeze=False)
        self.net = net

    def forward(self, batch, pe):
        from hgnn.tasks.edge_dependent import batch_logits

        return batch_logits(self.net, self.emb(batch.node_ids), batch, pe)


def enc_task(args, device, cuda):
    """CoNHD (or an incidence scorer) on an ENC dataset, trained on shares of the training hyperedges."""
    from hgnn.datasets import load_hypergraph
    from hgnn.tasks.edge_dependent import build_edge_dependent_model, edge_dependent_features, predict_edge_dependent
    from hgnn.train.evaluator import f1_score

    name, hg = load_hypergraph(args.dataset)
    if dist.get_rank() == 0:
        x, pe = edge_dependent_features(hg, name)  # rank 0 computes (and caches) the random-walk features first
    dist.barrier()
    if dist.get_rank() != 0:
        x, pe = edge_dependent_features(hg, name)
    labels = hg.incidence_data["y"].long()
    num_classes = int(labels.max()) + 1
    conhd = args.model.startswith("conhd")
    torch.manual_seed(args.seed)
    # CoNHD: one diffusion step, width 128, dropout 0.7 (the CoNHD reference's Email-Eu settings)
    kwargs = (dict(num_layers=1, hidden_channels=args.hidden or 128, dropout=0.7, input_dropout=0.0) if conhd
              else dict(hidden_channels=args.hidden or 64))
    net = build_edge_dependent_model(args.model, x.size(1), num_classes, pe_channels=pe.size(1) if conhd else 0,
                                     **kwargs)
    pe = pe if conhd else None
    model = EncNet(x, net).to(device)
    pe_dev = None if pe is None else pe.to(device)
    hops = net.num_layers if conhd else net.num_hops  # the exact receptive field, in hops
    train = hg.edge_data["train_mask"].nonzero().view(-1)
    loader = distributed_hyperedge_loader(hg, train, hops, args.batch_size or 128, seed=args.seed,
                                          max_edges_per_node=args.max_edges_per_node, labels=labels,
                                          pin_memory=cuda)
    hg_dev, labels_dev = hg.to(device), labels.to(device)

    def step_loss(ddp, batch):
        return F.cross_entropy(ddp(batch, pe_dev), batch.y)

    @torch.no_grad()
    def evaluate(part):
        model.eval()
        edges = hg_dev.edge_data[f"{part}_mask"].nonzero().view(-1)
        ids, logits = predict_edge_dependent(net, hg_dev, model.emb.weight, pe_dev, edges, hops,
                                             4 * loader.batch_size)
        return f1_score(labels_dev[ids], logits, "micro", num_classes)

    return model, loader, step_loss, evaluate, dict(lr=args.lr or 1e-3, weight_decay=1e-4, eps=1e-4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cocitation-cora", help="a node-classification set, or enc-*")
    parser.add_argument("--model", default="conhd-unp", help="ENC only: conhd-unp, conhd-isab, hgnn, hgnnp, ...")
    parser.add_argument("--split", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="targets per step and rank (default 32 nodes; ENC: 128 hyperedges)")
    parser.add_argument("--max-edges-per-node", type=int, default=None, help="default 10; ENC 40 (the reference's)")
    parser.add_argument("--max-nodes-per-edge", type=int, default=10, help="node classification only")
    parser.add_argument("--hidden", type=int, default=None, help="ENC: width (default CoNHD 128, scorers 64)")
    parser.add_argument("--lr", type=float, default=None, help="default 0.01; ENC: 0.001")
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="default distributed_hgnn.pt; with --quick, a file in a temporary folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stop-after", type=int, default=None,
                        help="exit after this many epochs of this run (to try resuming)")
    parser.add_argument("--quick", action="store_true", help="two epochs: a check that all runs")
    args = parser.parse_args()
    tmp = None
    if args.quick:
        args.epochs = 2
        if args.checkpoint is None:
            tmp = tempfile.TemporaryDirectory()
            args.checkpoint = Path(tmp.name) / "distributed_hgnn.pt"
    args.checkpoint = args.checkpoint or Path("distributed_hgnn.pt")
    enc = args.dataset.startswith("enc-")
    if args.max_edges_per_node is None:
        args.max_edges_per_node = 40 if enc else 10
    check_output_path(args.checkpoint, "--checkpoint")  # before any training, not after the first epoch

    cuda = torch.cuda.is_available()
    if "WORLD_SIZE" in os.environ:  # launched by torchrun
        dist.init_process_group("nccl" if cuda else "gloo")
    else:  # a single process: an in-memory store instead of torchrun's rendezvous
        dist.init_process_group("nccl" if cuda else "gloo", store=dist.HashStore(), rank=0, world_size=1)
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}") if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    else:
        torch.set_num_threads(1)

    model, loader, step_loss, evaluate, opt_kwargs = (enc_task if enc else node_task)(args, device, cuda)
    opt = torch.optim.Adam(model.parameters(), **opt_kwargs)
    torch.manual_seed(args.seed + rank)  # each rank samples its own neighbourhoods and dropout masks
    metric = "micro-F1" if enc else "accuracy"
    start, best = 0, {"val": -1.0, "test": 0.0, "epoch": -1}
    found = torch.tensor([float(args.checkpoint.exists())], device=device)
    dist.all_reduce(found)
    if 0 < found.item() < world:
        raise SystemExit(f"{args.checkpoint} exists for {int(found.item())} of {world} processes; "
                         "put it on a filesystem every process sees")
    if found.item():  # resume before DDP is built: an error here leaves no reducer behind
        state = load_checkpoint(args.checkpoint, model=model, optimizer=opt, restore_rng=False)
        start, best = state["epoch"] + 1, state["best"]
        if len(state["rng"]) == world:  # each rank continues its own random draws
            set_rng_state(state["rng"][rank])
        elif rank == 0:
            print(f"note: {args.checkpoint} was written by {len(state['rng'])} processes, this run has {world}: "
                  "training continues but will not repeat an uninterrupted run", flush=True)
        if rank == 0:
            print(f"resuming after epoch {state['epoch']} from {args.checkpoint}")
    ddp = DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    for epoch in range(start, args.epochs):
        loader.sampler.set_epoch(epoch)
        ddp.train()
        for batch in loader:
            loss = step_loss(ddp, batch.to(device, non_blocking=True))
            opt.zero_grad()
            loss.backward()
            if enc:  # the reference clips gradients to norm 1
                torch.nn.utils.clip_grad_norm_(ddp.parameters(), 1.0)
            opt.step()
        if rank == 0:
            val = float(evaluate("val"))
            if val > best["val"]:
                best = {"val": val, "test": float(evaluate("test")), "epoch": epoch}
        states = [None] * world
        dist.all_gather_object(states, rng_state())  # after evaluation: what the next epoch starts from
        if rank == 0:
            save_checkpoint(args.checkpoint, model=model, optimizer=opt, epoch=epoch, rng=states, best=best)
            print(f"epoch {epoch:3d}  loss {loss.item():.3f}  val {metric} {val:.4f}  best val {best['val']:.4f} "
                  f"(test {best['test']:.4f} at epoch {best['epoch']})", flush=True)
        dist.barrier()
        if args.stop_after is not None and epoch + 1 - start >= args.stop_after:
            break
    if rank == 0:
        print(f"{world} processes; best validation {metric} {best['val']:.4f}, its test {metric} {best['test']:.4f}")
    # Free DDP's reducer while the group is still registered: if the reducer held the group's last
    # reference, gloo's destructor could wait on its worker thread under the GIL and hang the exit.
    del ddp
    dist.destroy_process_group()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
