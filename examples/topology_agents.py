"""Frozen expert classifiers as agents: learn, per query, which of them should speak.

    python examples/topology_agents.py [--dataset cocitation-cora] [--cost 0.01] [--steps 1500]  # about 20 s
    python examples/topology_agents.py --probe 1 [--rounds 2]  # probe and escalate, in one or two rounds
    python examples/topology_agents.py --target 0.8  # one expert at a time until the answer settles, ~25 s
    python examples/topology_agents.py --quick      # a short run: seconds

Eight MLPs, each trained on its own eighth of Cora's word columns (``hgnn.topology.train_experts``),
are the agents. For every query (a paper's words) the topology VAE picks who shares messages, trained
by REINFORCE on correctness minus a cost per message (``hgnn.topology.train_router``); a decision
node reads the agents' class distributions over the chosen hyperedges (``decide``). With
``--probe N`` the N experts best on the router's queries answer first, the router reads their answers
and adds agents to their group (``--rounds 2``: twice, the second time also reading the agents it
added). With ``--target T`` the router instead asks the experts one at a time, in the order it
learned for the query, and stops once it estimates with probability ``T`` that the answer equals
everyone's (``train_sequential_router``, ``route_sequential``; no cost). It is compared with all-to-all and with the best expert alone, on all test queries and on
easy and hard ones (easy: at least half of the experts agree). The full study (3 seeds, several costs
and slot counts, random groups, kNN routing, a mixed pool of four datasets) is
``benchmarks/topology_vae/agents.py``.
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from hgnn.datasets import load
from hgnn.topology import (decide, expert_agreement, route, route_sequential, train_experts, train_router,
                           train_sequential_router)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cocitation-cora")
    parser.add_argument("--experts", type=int, default=8)
    parser.add_argument("--slots", type=int, default=1, help="hyperedge slots K of the VAE (1 with --probe)")
    parser.add_argument("--cost", type=float, default=0.01, help="utility lost per message")
    parser.add_argument("--steps", type=int, default=None,
                        help="training batches of 128 queries (default 1500; 400 with --target)")
    parser.add_argument("--probe", type=int, default=0, help="experts that answer first (0: none)")
    parser.add_argument("--rounds", type=int, default=1, help="escalation rounds (more than one needs --probe)")
    parser.add_argument("--target", type=float, default=None,
                        help="ask one expert at a time until the answer has settled with this probability")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="100 steps")
    args = parser.parse_args()
    if not 0 <= args.probe <= args.experts:
        parser.error(f"--probe must be in [0, --experts={args.experts}], got {args.probe}")
    if args.rounds < 1 or (args.rounds > 1 and not args.probe):
        parser.error(f"--rounds must be 1, or more with --probe N, got --rounds {args.rounds} --probe {args.probe}")
    if args.probe and args.slots != 1:
        parser.error("--probe joins the router's one slot: pass --slots 1")
    if args.target is not None and (args.probe or args.rounds > 1 or not 0 < args.target <= 1):
        parser.error(f"--target must be in (0, 1] and comes without --probe / --rounds, got {args.target}")
    torch.set_num_threads(1)
    if args.steps is None:
        args.steps = 400 if args.target is not None else 1500
    if args.quick:
        args.steps = 100
    hg = load(args.dataset)
    x, y = hg.x.float(), hg.y.long()
    perm = torch.randperm(x.size(0), generator=torch.Generator().manual_seed(args.seed))
    n = int(0.4 * x.size(0))
    expert_idx, router_idx, test_idx = perm[:n], perm[n:2 * n], perm[2 * n:]  # 40% / 40% / 20%
    outputs, _ = train_experts(x, y, expert_idx, args.experts, seed=args.seed)  # [Q, A, C], frozen
    query = F.normalize(x, dim=1)
    train_acc = (outputs[router_idx].argmax(-1) == y[router_idx, None]).float().mean(0)  # [A]
    probe = train_acc.argsort(descending=True)[:args.probe].tolist() or None
    # with probes: per-query baselines (4 samples) and an entropy bonus, as in the benchmark
    options = dict(probe=probe, samples=4, entropy=0.02, lr=3e-3, join_probes=True, rounds=args.rounds) if probe \
        else {}
    if args.target is not None:
        vae, history = train_sequential_router(outputs, query, y, router_idx, steps=args.steps, seed=args.seed,
                                               progress=not args.quick)
        print(f"training loss: {history[0]:.3f} at the first step, {history[-1]:.3f} at the last")
        learned, messages = route_sequential(vae, outputs[test_idx], query[test_idx], args.target)  # [T, A, 1], [T]
    else:
        vae, history = train_router(outputs, query, y, router_idx, num_slots=args.slots, cost=args.cost,
                                    steps=args.steps, seed=args.seed, progress=not args.quick, **options)
        print(f"mean utility per batch: {history[0]:.3f} at the first step, {history[-1]:.3f} at the last")
        learned, messages = route(vae, outputs[test_idx], query[test_idx], probe, join_probes=bool(probe),
                                  rounds=args.rounds)  # [T, A, K], [T]
    alone = torch.zeros(len(test_idx), args.experts, 1)
    alone[:, int(train_acc.argmax())] = 1.0
    everyone = torch.ones(len(test_idx), args.experts, 1)
    easy = expert_agreement(outputs[test_idx]) >= 0.5
    print(f"\n{int(easy.sum())} easy and {int((~easy).sum())} hard test queries")
    print("| hypergraph | test accuracy (%) | messages per query | messages, easy / hard |")
    print("|---|---|---|---|")
    for name, incidence, sent in (("learned", learned, messages), ("all-to-all", everyone, None),
                                  ("no communication (best expert)", alone, None)):
        sent = incidence.flatten(1).sum(1) if sent is None else sent
        accuracy = (decide(outputs[test_idx], incidence).argmax(-1) == y[test_idx]).float().mean()
        print(f"| {name} | {100 * accuracy:.1f} | {sent.mean():.2f} | {sent[easy].mean():.2f} / "
              f"{sent[~easy].mean():.2f} |")


if __name__ == "__main__":
    main()
