"""Build hypergraphs three ways and draw them: planted blocks, k nearest neighbours, graph cliques.

    python examples/draw_hypergraph.py --out hypergraphs.png   # draw and save the figure
    python examples/draw_hypergraph.py --quick                  # smaller, saves only with --out

A stochastic block hypergraph (``hgnn.structure.random.stochastic_block``) plants three groups;
``hgnn.structure.from_features`` rebuilds a hypergraph from noisy features of the same nodes (each
node and its k nearest neighbours), and ``hgnn.structure.from_graph`` takes the maximal cliques of
its clique expansion. The script prints how many hyperedges of each stay inside one block and, with
``--out``, draws the first two as convex hulls and the third as stars.
"""
from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from hgnn.io import atomic_path  # noqa: E402
from hgnn.structure import Hypergraph, from_features, from_graph  # noqa: E402
from hgnn.structure.random import stochastic_block  # noqa: E402
from hgnn.viz import draw, layout  # noqa: E402


def inside_share(hg: Hypergraph, block: torch.Tensor) -> float:
    """The share of hyperedges whose members all lie in one block."""
    return sum(len({int(block[v]) for v in members}) == 1 for members in hg.to_edge_list() if members) / max(
        1, sum(1 for members in hg.to_edge_list() if members))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--block", type=int, default=12, help="nodes per block (three blocks)")
    parser.add_argument("--k", type=int, default=3, help="neighbours per node in the kNN hypergraph")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="save the figure here (.png, .pdf, .svg); nothing is written without it")
    parser.add_argument("--quick", action="store_true", help="blocks of 6 nodes")
    args = parser.parse_args()
    if args.quick:
        args.block = 6
    planted = stochastic_block([args.block] * 3, num_edges=2 * args.block, p_in=0.5, p_out=0.02, edge_size=3,
                               seed=args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    centres = 4.0 * torch.randn(3, 2, generator=gen)
    features = centres[planted.y] + torch.randn(planted.num_nodes, 2, generator=gen)
    knn = from_features(features, k=args.k, dedupe=True)
    cliques = from_graph(planted.clique_expansion()[0], num_nodes=planted.num_nodes, kind="cliques")
    for name, hg in (("planted blocks", planted), (f"{args.k}-nearest neighbours", knn), ("cliques", cliques)):
        print(f"{name:<22} {hg.num_edges:4d} hyperedges, {inside_share(hg, planted.y):.0%} inside one block")
    if args.out:
        pos = layout(planted, seed=args.seed)
        fig, axes = plt.subplots(1, 3, figsize=(15, 5))
        draw(planted, pos=pos, ax=axes[0], node_color=planted.y, cmap="tab10")
        draw(knn, pos=features, ax=axes[1], node_color=planted.y)
        draw(cliques, pos=pos, ax=axes[2], style="star", node_color=planted.y)
        for ax, title in zip(axes, ("planted blocks", f"{args.k}-nearest neighbours", "cliques (stars)")):
            ax.set_title(title)
        with atomic_path(args.out) as tmp:
            fig.savefig(tmp, bbox_inches="tight")
        plt.close(fig)
        print(f"figure saved to {args.out}")


if __name__ == "__main__":
    main()
