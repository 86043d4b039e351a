"""The training trace of one model on one split of AllSet's protocol: loss, gradient norm, accuracy.

    python benchmarks/node_classification/trace.py --model unigin --dataset ntu2012 --seed 0 [--lr 0.001]
    python benchmarks/node_classification/trace.py --model hnhn --dataset mushroom --seed 1 --every 1 --epochs 10
    python benchmarks/node_classification/trace.py --model allsettransformer --dataset walmart-trips \
        --hidden 256 --lr 0.001 --weight-decay 0 --model-kwargs '{"heads": 8}' --epochs 100 --every 10

Seed ``s`` draws the same random 50/25/25 split and the same initial weights as run ``s`` of
``allset.py`` (``hgnn.tasks.run_node_classification``'s seeding); the loop is its training loop
without the checkpointing: Adam on the cross-entropy of the training nodes, full batch. Every
``--every`` epochs (and at the last) it prints the training loss, the gradient norm of that step,
train / validation / test accuracy in eval mode and the largest absolute logit, to tell a model that
diverges, saturates or stalls from one that learns slowly.
"""
from __future__ import annotations

import argparse
import json

import torch
import torch.nn.functional as F

from hgnn.datasets import load_hypergraph
from hgnn.tasks.node_classification import MODELS, build_model
from hgnn.train.engine import seed_everything
from hgnn.train.splits import split_of_seed
from hgnn.transforms import prepare


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=sorted(MODELS))
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--model-kwargs", default="{}", help="further model options, a JSON object")
    parser.add_argument("--every", type=int, default=20, help="print every this many epochs")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    for name in ("epochs", "every", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    try:
        model_kwargs = json.loads(args.model_kwargs)
    except json.JSONDecodeError as err:
        parser.error(f"--model-kwargs must be a JSON object: {err}")
    if not isinstance(model_kwargs, dict):
        parser.error(f"--model-kwargs must be a JSON object, got {args.model_kwargs!r}")
    build_model(args.model, 1, 2, args.hidden, args.dropout, **model_kwargs)  # bad options fail before loading
    torch.set_num_threads(args.threads)

    _, dataset = load_hypergraph(args.dataset)
    hg = prepare(dataset)
    masks = split_of_seed(hg, "random", args.seed)
    seed_everything(args.seed)
    num_classes = int(hg.y.max()) + 1
    model = build_model(args.model, hg.x.size(1), num_classes, args.hidden, args.dropout, **model_kwargs)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    y = hg.y
    print(f"{args.model} on {args.dataset}, split {args.seed}, lr {args.lr}, weight decay {args.weight_decay}, "
          f"hidden {args.hidden}, {model_kwargs}, {args.threads} thread(s)", flush=True)
    print("epoch | loss | grad norm | train acc | val acc | test acc | max |logit|", flush=True)
    for epoch in range(args.epochs):
        model.train()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(hg.x, hg)[masks.train], y[masks.train])
        loss.backward()
        grad = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters() if p.grad is not None]))
        optimizer.step()
        if epoch % args.every == 0 or epoch == args.epochs - 1:
            model.eval()
            with torch.no_grad():
                logits = model(hg.x, hg)
            pred = logits.argmax(1)
            train_acc = (pred[masks.train] == y[masks.train]).float().mean()
            val_acc = (pred[masks.val] == y[masks.val]).float().mean()
            test_acc = (pred[masks.test] == y[masks.test]).float().mean()
            print(f"{epoch} | {loss.item():.3f} | {grad.item():.2e} | {train_acc:.3f} | {val_acc:.3f} | "
                  f"{test_acc:.3f} | {logits.abs().max().item():.1e}", flush=True)


if __name__ == "__main__":
    main()
