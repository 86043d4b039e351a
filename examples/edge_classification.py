"""Edge classification through the dual hypergraph: fill in the missing bond types of molecules.

    python examples/edge_classification.py                    # tu-mutag, half of the bond types known
    python examples/edge_classification.py --known 0.3 --layers 3
    python examples/edge_classification.py --dataset tu-ptc-mr
    python examples/edge_classification.py --quick            # seconds

Every molecule is a graph of atoms (one-hot element) and bonds (aromatic, single, double or
triple). The type of a random ``--known`` share of the bonds is given; the others are split into
training, validation and test bonds, and their types must be predicted from the atoms, the
connectivity and the known bonds. The Dual Hypergraph Transformation of EHGNN (Jo et al., NeurIPS
2021; ``hgnn.transforms.dual_hypergraph``) turns every bond into a node carrying the bond's
features and every atom into the hyperedge of its bonds, carrying the atom's features; edge
classification becomes node classification on the dual, and ``hgnn.nn.EHGNNConv`` layers update
each bond from the bonds it shares an atom with. A bond's input is the elements of its two atoms
and, if it is known, its type. The baseline is an MLP on the same input with no structure: it
knows which two elements a bond joins, but not, say, that the bonds around it are aromatic.
The weights of the best validation epoch are tested.
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch

from hgnn.datasets import load
from hgnn.nn import MLP, EHGNNConv
from hgnn.train import accuracy, fit_loop
from hgnn.transforms import dual_hypergraph


class DualNet(nn.Module):
    """``layers`` EHGNN convolutions on the dual hypergraph, then a linear classifier per bond."""

    def __init__(self, in_channels: int, hidden: int, num_classes: int, layers: int = 2, dropout: float = 0.2):
        super().__init__()
        self.convs = nn.ModuleList(EHGNNConv(in_channels if i == 0 else hidden, hidden, dropout=dropout)
                                   for i in range(layers))
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, x, dual):
        for conv in self.convs:
            x = F.relu(conv(x, dual))
        return self.out(x)


def train(model, x, dual, y, masks, epochs: int) -> float:
    """Full-batch Adam on the training bonds (``hgnn.train.fit_loop``: one step per epoch on the
    whole dual); the test accuracy of the best validation epoch."""
    train_mask, val_mask, test_mask = masks
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)

    def step(_) -> torch.Tensor:
        return F.cross_entropy(model(x, dual)[train_mask], y[train_mask])

    def evaluate() -> dict[str, float]:
        return {"val_acc": accuracy(y[val_mask], model(x, dual)[val_mask])}

    fit_loop(model, opt, [None], step, epochs=epochs, evaluate=evaluate, monitor="val_acc")  # keeps the best
    with torch.no_grad():
        return accuracy(y[test_mask], model(x, dual)[test_mask])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="tu-mutag", help="a TU set with bond types: tu-mutag, tu-ptc-mr")
    parser.add_argument("--known", type=float, default=0.5, help="share of the bonds whose type is given")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="60 epochs on one thread")
    args = parser.parse_args()
    if args.quick:
        args.epochs = 60
        torch.set_num_threads(1)

    graphs = load(args.dataset)
    if graphs.num_edge_features == 0:
        raise SystemExit(f"{args.dataset} has no bond types; use tu-mutag or tu-ptc-mr")
    # All molecules as one disconnected graph: message passing never crosses from one to another.
    mols = Batch.from_data_list(list(graphs))
    # One dual node per bond (the edge list holds both directions), one hyperedge per atom, plus a
    # loop hyperedge per bond so that every bond keeps its own state.
    dual = dual_hypergraph(mols.edge_index, mols.num_nodes, x=mols.x, edge_attr=mols.edge_attr, undirected=True,
                           add_loops=True)
    y = dual.x.argmax(-1)  # the bond types travelled with the bonds: the dual's node features
    atoms = dual.edge_to_node(dual.edge_attr, reduce="sum")  # each bond's two elements (loops carry zeros)
    num_classes = dual.x.size(1)

    r = torch.rand(dual.num_nodes, generator=torch.Generator().manual_seed(args.seed))
    known = r < args.known
    rest = (r - args.known) / (1 - args.known)  # uniform on [0, 1) again for the other bonds
    masks = (~known & (rest < 0.6), ~known & (rest >= 0.6) & (rest < 0.8), ~known & (rest >= 0.8))
    x = torch.cat([atoms, F.one_hot(y, num_classes) * known[:, None], known[:, None]], dim=1).float()
    print(f"{args.dataset}: {len(graphs)} molecules, {mols.num_nodes} atoms, {dual.num_nodes} bonds "
          f"({int(known.sum())} known, {int(masks[0].sum())} train / {int(masks[1].sum())} val / "
          f"{int(masks[2].sum())} test); dual hypergraph: {dual.num_nodes} nodes, {dual.num_edges} hyperedges")
    print("bond types (aromatic, single, double, triple for MUTAG):", torch.bincount(y, minlength=num_classes).tolist())
    majority = torch.bincount(y[masks[0]], minlength=num_classes).argmax()
    print(f"majority type      test accuracy {100 * float((y[masks[2]] == majority).float().mean()):.1f}%")
    torch.manual_seed(args.seed)
    mlp = MLP(x.size(1), num_classes, hidden_channels=args.hidden, num_layers=args.layers + 1, dropout=0.2)
    print(f"MLP (no structure) test accuracy {100 * train(mlp, x, dual, y, masks, args.epochs):.1f}%")
    torch.manual_seed(args.seed)
    net = DualNet(x.size(1), args.hidden, num_classes, args.layers)
    print(f"EHGNN on the dual  test accuracy {100 * train(net, x, dual, y, masks, args.epochs):.1f}%")


if __name__ == "__main__":
    main()
