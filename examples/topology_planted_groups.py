"""Learn who must talk to whom: recover planted communication groups with the topology VAE.

    python examples/topology_planted_groups.py [--steps 1500] [--seed 0]   # about a minute a difficulty
    python examples/topology_planted_groups.py --quick                     # a short run: seconds

24 agents get fresh private vectors every episode; an agent in a hidden group must predict the sign
of its group's sum, an agent alone the sign of its own value (``hgnn.topology.planted``). For each
difficulty (easy: 2 groups of 2, medium: 4 of 3, hard: 6 of 4), ``hgnn.topology.train_planted``
learns a hypergraph from the task loss plus a cost per expected incidence, and a decider trained on
it alone (``train_fixed``) is compared with one that hears nobody and one given the hidden groups.
The full comparison (3 seeds, random and kNN hypergraphs) is ``benchmarks/topology_vae/planted.py``.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable

import torch

from hgnn.topology import DIFFICULTIES, co_membership_f1, planted_groups, train_fixed, train_planted


def constant(incidence: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """The communication rule that uses ``incidence`` ``[N, K]`` in every episode."""
    def rule(v: torch.Tensor) -> torch.Tensor:
        return incidence.unsqueeze(0)

    return rule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1500, help="training steps of the VAE and its decider")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="60 steps")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.quick:
        args.steps = 60
    rows = []
    for difficulty, (num_groups, size) in DIFFICULTIES.items():
        groups = planted_groups(24, num_groups, size, seed=args.seed)
        _, _, learned = train_planted(groups, steps=args.steps, seed=args.seed, progress=not args.quick)
        slots = [torch.nonzero(col).flatten().tolist() for col in learned.t() if col.sum() > 0]
        print(f"{difficulty}: hidden groups {[torch.nonzero(col).flatten().tolist() for col in groups.t()]}, "
              f"learned hyperedges {slots}")
        fixed_steps = max(args.steps // 2, 1)
        for name, h in (("learned", learned), ("none", torch.zeros(24, 1)), ("hidden groups", groups)):
            accuracy = train_fixed(groups, constant(h), 4, fixed_steps, args.seed)
            rows.append(f"| {difficulty} ({groups.sum():.0f}) | {name} | {100 * accuracy:.1f} | {h.sum():.0f} | "
                        f"{co_membership_f1(h, groups):.2f} |")
    print("\n| difficulty (hidden incidences) | hypergraph | decider accuracy (%) | incidences | co-membership F1 |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
