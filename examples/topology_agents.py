"""Frozen expert classifiers as agents: learn, per query, which of them should speak.

    python examples/topology_agents.py [--dataset cocitation-cora] [--cost 0.01] [--steps 1500]  # about 20 s
    python examples/topology_agents.py --quick      # a short run: seconds

Eight MLPs, each trained on its own eighth of Cora's word columns (``hgnn.topology.train_experts``),
are the agents. For every query (a paper's words) the topology VAE picks who shares messages, trained
by REINFORCE on correctness minus a cost per message (``hgnn.topology.train_router``); a decision
node reads the agents' class distributions over the chosen hyperedges (``decide``). It is compared
with all-to-all and with the best expert alone. The full study (3 seeds, several costs and slot
counts, random groups, easy and hard queries) is ``benchmarks/topology_vae/agents.py``.
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from hgnn.datasets import load
from hgnn.topology import decide, train_experts, train_router


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cocitation-cora")
    parser.add_argument("--experts", type=int, default=8)
    parser.add_argument("--slots", type=int, default=1, help="hyperedge slots K of the VAE")
    parser.add_argument("--cost", type=float, default=0.01, help="utility lost per message")
    parser.add_argument("--steps", type=int, default=1500, help="REINFORCE batches of 128 queries")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="100 steps")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.quick:
        args.steps = 100
    hg = load(args.dataset)
    x, y = hg.x.float(), hg.y.long()
    perm = torch.randperm(x.size(0), generator=torch.Generator().manual_seed(args.seed))
    n = int(0.4 * x.size(0))
    expert_idx, router_idx, test_idx = perm[:n], perm[n:2 * n], perm[2 * n:]  # 40% / 40% / 20%
    outputs, _ = train_experts(x, y, expert_idx, args.experts, seed=args.seed)  # [Q, A, C], frozen
    query = F.normalize(x, dim=1)
    vae, history = train_router(outputs, query, y, router_idx, num_slots=args.slots, cost=args.cost,
                                steps=args.steps, seed=args.seed, progress=not args.quick)
    print(f"mean utility per batch: {history[0]:.3f} at the first step, {history[-1]:.3f} at the last")
    with torch.no_grad():
        learned = (vae(torch.eye(args.experts), None, query[test_idx]).prob > 0.5).float()  # [T, A, K]
    best = int((outputs[router_idx].argmax(-1) == y[router_idx, None]).float().mean(0).argmax())
    alone = torch.zeros(args.experts, 1)
    alone[best] = 1.0
    print("\n| hypergraph | test accuracy (%) | messages per query |")
    print("|---|---|---|")
    for name, incidence in (("learned", learned), ("all-to-all", torch.ones(args.experts, 1)),
                            ("no communication (best expert)", alone)):
        accuracy = (decide(outputs[test_idx], incidence).argmax(-1) == y[test_idx]).float().mean()
        messages = incidence.sum() / (incidence.size(0) if incidence.dim() == 3 else 1)
        print(f"| {name} | {100 * accuracy:.1f} | {messages:.2f} |")


if __name__ == "__main__":
    main()
