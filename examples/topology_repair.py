"""Repair a corrupted co-citation hypergraph with the topology VAE.

    python examples/topology_repair.py [--dataset cocitation-cora] [--steps 300] [--seed 0] [--propose 3]
    python examples/topology_repair.py --quick      # a short run: seconds (the full one: about 2 minutes)

Half of Cora's (HyperGCN co-citation) hyperedges are replaced by random ones of the same sizes
(``hgnn.topology.corrupt``). ``hgnn.topology.propose_members`` adds candidate members to every
hyperedge (the nodes nearest its members in feature space), and ``hgnn.topology.train_repair``
learns which incidences to keep (``AnchorRepair``: VAE latents and feature similarity score every
incidence, trained end to end with an HGNN classifier on the soft incidences, the classifier
teaching the latents); the clean, corrupted and learned hypergraphs are then each scored by a
fresh HGNN. The full study (3 seeds, the feature prior alone,
no hyperedges) is ``benchmarks/topology_vae/repair.py``.
"""
from __future__ import annotations

import argparse

import torch

from hgnn.datasets import load
from hgnn.models import HGNN
from hgnn.structure import Hypergraph
from hgnn.topology import corrupt, keep_incidences, propose_members, train_repair
from hgnn.train import Split, fit, seed_everything, split_of_seed
from hgnn.transforms import prepare


def score(hg: Hypergraph, split: Split, seed: int, epochs: int) -> float:
    """Test accuracy (%) of a fresh HGNN trained on ``hg`` (best validation epoch)."""
    seed_everything(seed)
    hg = prepare(hg)
    return 100 * fit(HGNN(hg.x.size(1), int(hg.y.max()) + 1), hg, split, epochs=epochs, progress=False).test["acc"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cocitation-cora")
    parser.add_argument("--steps", type=int, default=300, help="training steps of the repair")
    parser.add_argument("--epochs", type=int, default=200, help="training epochs of each scoring HGNN")
    parser.add_argument("--seed", type=int, default=0, help="the corruption, the split and the initialisation")
    parser.add_argument("--propose", type=int, default=3, help="candidate members per hyperedge (0: only delete)")
    parser.add_argument("--quick", action="store_true", help="20 steps, 50 epochs per scoring HGNN")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.quick:
        args.steps, args.epochs = 20, 50
    clean = load(args.dataset)
    split = split_of_seed(clean, "hypergcn", args.seed)
    noisy = corrupt(clean, 0.5, seed=args.seed)
    x = prepare(noisy).x
    candidates = propose_members(noisy, x, args.propose)
    model, _, keep = train_repair(candidates, x, clean.y, split.train, steps=args.steps, teach=1.0, seed=args.seed,
                                  progress=not args.quick)
    learned = keep_incidences(candidates, keep, like=clean)
    print(f"{candidates.num_incidences - noisy.num_incidences} proposed incidences, "
          f"{int(keep[noisy.num_incidences:].sum())} of them kept")
    a, b, c = model.mix.tolist()
    print(f"learned incidence logit = {a:.2f} * feature similarity {b:+.2f} * latent similarity {c:+.2f}")
    acc = {}
    print("\n| hypergraph | test accuracy (%) | incidences |")
    print("|---|---|---|")
    for name, hg in (("clean", clean), ("corrupted", noisy), ("learned", learned)):
        acc[name] = score(hg, split, args.seed, args.epochs)
        print(f"| {name} | {acc[name]:.1f} | {hg.num_incidences} |")
    recovered = (acc["learned"] - acc["corrupted"]) / (acc["clean"] - acc["corrupted"])
    print(f"\nshare of the accuracy lost to corruption that the learned hypergraph recovers: {recovered:.2f}")


if __name__ == "__main__":
    main()
