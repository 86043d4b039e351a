"""Edge-dependent node classification with CoNHD: one label per (node, hyperedge) pair.

    python examples/edge_dependent.py                          # Email-Eu, 10k hyperedges: ~7 min on a CPU core
    python examples/edge_dependent.py --edges 0 --device cuda  # the whole hypergraph (209k hyperedges)
    python examples/edge_dependent.py --dataset enc-stackoverflowbiology --operator isab
    python examples/edge_dependent.py --quick                  # seconds

In Email-Eu every e-mail is a hyperedge on the people it involves, and the label of an incidence
(v, e) says whether v sent e or received it: the same person has different labels in different
hyperedges, so a node classifier cannot solve it. CoNHD (Zheng & Worring, CIKM 2025;
``hgnn.models.CoNHD``) keeps one co-representation per incidence and diffuses it within hyperedges
and within nodes; it is compared with an incidence scorer on MLP node embeddings, which sees each
hyperedge's members but no message passing (``hgnn.models.IncidenceScorer``).

Node features are a random-walk embedding of the hypergraph
(``hgnn.tasks.edge_dependent.edge_dependent_features``, as the CoNHD and WHATsNet papers use; the
positional encoding ranks each node's centralities within its hyperedge).
``hgnn.tasks.edge_dependent.fit_edge_dependent`` trains on mini-batches of training hyperedges with
their sampled neighbourhoods and keeps the epoch of best validation micro-F1. ``--edges K`` keeps a
random sample of K hyperedges (with their split), to fit a CPU budget.
"""
from __future__ import annotations

import argparse

import torch

from hgnn.datasets import load
from hgnn.models import CoNHD, IncidenceScorer
from hgnn.tasks.edge_dependent import edge_dependent_features, fit_edge_dependent


def sample_hyperedges(hg, k: int, seed: int = 0):
    """The sub-hypergraph of k random hyperedges: in the dual, hyperedges are nodes, so a node
    subset of the dual keeps those hyperedges with every label, split mask and centrality."""
    keep = torch.randperm(hg.num_edges, generator=torch.Generator().manual_seed(seed))[:k].sort().values
    sub, _, _ = hg.dual().subhypergraph(keep)
    return sub.dual()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="enc-emaileu", help="enc-emaileu, enc-stackoverflowbiology, ...")
    parser.add_argument("--edges", type=int, default=10000, help="random hyperedges to keep (0: all)")
    parser.add_argument("--operator", default="unp", choices=["unp", "isab", "sab"], help="CoNHD's set block")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--layers", type=int, default=1, help="CoNHD's diffusion steps")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=128, help="training hyperedges per step")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="1,500 hyperedges, 4 epochs, one thread")
    args = parser.parse_args()
    walk = {}
    if args.quick:
        args.edges, args.epochs, args.hidden, args.batch_size = 1500, 4, 64, 64
        walk = dict(walk_length=10, walks_per_node=2)  # a rough embedding, computed in a second
        torch.set_num_threads(1)

    hg = load(args.dataset)
    whole = not args.edges or args.edges >= hg.num_edges
    if not whole:
        hg = sample_hyperedges(hg, args.edges, args.seed)
    # The embedding of a whole dataset is cached beside the data; a sample's is computed on each run.
    x, pe = edge_dependent_features(hg, args.dataset, cache=whole, **walk)
    labels = hg.incidence_data["y"]
    num_classes = int(labels.max()) + 1
    parts = {p: int(hg.edge_data[f"{p}_mask"].sum()) for p in ("train", "val", "test")}
    print(f"{args.dataset}: {hg.num_nodes} nodes, {hg.num_edges} hyperedges "
          f"({parts['train']} train / {parts['val']} val / {parts['test']} test), {hg.num_incidences} "
          f"labelled incidences, {num_classes} classes; node features {tuple(x.shape)}, positional "
          f"encoding {tuple(pe.shape)}")

    device = torch.device(args.device)
    hg, x, pe = hg.to(device), x.to(device), pe.to(device)
    for name in (f"CoNHD ({args.operator})", "MLP incidence scorer"):
        torch.manual_seed(args.seed)
        if name.startswith("CoNHD"):
            model = CoNHD(x.size(1), num_classes, hidden_channels=args.hidden, num_layers=args.layers,
                          operator=args.operator, pe_channels=pe.size(1))
            model_pe = pe
        else:  # an MLP embeds each node, a small MLP scores (node, mean of its hyperedge's members)
            model, model_pe = IncidenceScorer(x.size(1), num_classes, encoder="mlp", hidden_channels=64), None
        result = fit_edge_dependent(model.to(device), hg, x, model_pe, epochs=args.epochs,
                                    batch_size=args.batch_size, seed=args.seed, progress=not args.quick, desc=name)
        print(f"{name:22s} test micro-F1 {100 * result.test['micro_f1']:.1f}  macro-F1 "
              f"{100 * result.test['macro_f1']:.1f}  (best epoch {result.best_epoch}, "
              f"{result.epoch_s:.1f} s / epoch)")


if __name__ == "__main__":
    main()
