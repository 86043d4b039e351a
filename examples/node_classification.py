"""Node classification on a co-citation hypergraph: HGNN, HGNN+, UniGCN and HNHN against an MLP.

    python examples/node_classification.py                      # cocitation-cora, all models, 200 epochs
    python examples/node_classification.py --dataset cocitation-citeseer --models hgnn mlp --split 3
    python examples/node_classification.py --quick              # a few seconds

Each paper of Cora is a node (features: its bag of words; label: its topic) and each paper's
reference list is a hyperedge (HyperGCN's co-citation hypergraph). ``hgnn.datasets.load`` returns
a :class:`hgnn.Hypergraph` holding the incidences, ``x``, ``y`` and HyperGCN's ten train / test
splits; ``hgnn.train.get_split`` turns one of them into train / validation / test masks. The
network is two hypergraph convolutions from ``hgnn.nn``, trained full-batch with Adam; the weights
of the best validation epoch are tested. The MLP sees the same features and no hypergraph: the gap
is what the hyperedges are worth.
"""
from __future__ import annotations

import argparse
import copy
import time

import torch
import torch.nn.functional as F
from torch import nn

from hgnn.datasets import load
from hgnn.nn import MLP, HGNNConv, HGNNPConv, HNHNConv, UniGCNConv
from hgnn.train import accuracy, get_split
from hgnn.transforms import prepare

CONVS = {"hgnn": HGNNConv, "hgnnp": HGNNPConv, "unigcn": UniGCNConv, "hnhn": HNHNConv}


class Net(nn.Module):
    """conv -> ReLU -> dropout -> conv, the two-layer network of the HGNN papers, for any convolution."""

    def __init__(self, conv: type[nn.Module], in_channels: int, hidden: int, out_channels: int,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.conv1 = conv(in_channels, hidden)
        self.conv2 = conv(hidden, out_channels)
        self.dropout = dropout

    def forward(self, x, hg):
        x = F.dropout(F.relu(self.conv1(x, hg)), self.dropout, self.training)
        return self.conv2(x, hg)


def train(model, hg, split, epochs: int, lr: float = 0.01, weight_decay: float = 5e-4) -> tuple[float, float]:
    """Adam on the training nodes' cross-entropy; returns (best validation accuracy, its test accuracy)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    best_val, best_state = -1.0, None
    for _ in range(epochs):
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(hg.x, hg)[split.train], hg.y[split.train])
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            val = accuracy(hg.y[split.val], model(hg.x, hg)[split.val])
        if val > best_val:
            best_val, best_state = val, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        test = accuracy(hg.y[split.test], model(hg.x, hg)[split.test])
    return best_val, test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cocitation-cora", help="a HyperGCN set: cocitation-*, coauthorship-*")
    parser.add_argument("--models", nargs="+", default=[*CONVS, "mlp"], choices=[*CONVS, "mlp"])
    parser.add_argument("--split", type=int, default=0, help="HyperGCN's split, 0..9")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="50 epochs on one thread: a check that all runs")
    args = parser.parse_args()
    if args.quick:
        args.epochs = 50
        torch.set_num_threads(1)  # small full-batch steps: more threads only add overhead

    # Row-normalised bag-of-words features and a singleton hyperedge for every isolated node.
    hg = prepare(load(args.dataset))
    split = get_split(hg, "hypergcn", args.split)  # 20 nodes per class to train, 500 to validate
    num_classes = int(hg.y.max()) + 1
    print(f"{args.dataset}: {hg.num_nodes} nodes, {hg.num_edges} hyperedges, {hg.num_incidences} incidences, "
          f"{hg.x.size(1)} features, {num_classes} classes")
    print("train / val / test nodes: {} / {} / {}".format(*split.sizes()))

    for name in args.models:
        torch.manual_seed(args.seed)
        if name == "mlp":
            model = MLP(hg.x.size(1), num_classes, hidden_channels=args.hidden)  # ignores the hypergraph
        else:
            model = Net(CONVS[name], hg.x.size(1), args.hidden, num_classes)
        start = time.perf_counter()
        val, test = train(model, hg, split, args.epochs)
        print(f"{name:7s} val accuracy {100 * val:5.1f}%  test accuracy {100 * test:5.1f}%  "
              f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
