"""Demonstration 3 of the topology VAE: frozen expert classifiers as agents (minutes on a CPU).

    python examples/topology_agents.py [--seeds 3] [--slots 1 3] [--costs 0 0.002 0.005 0.01 0.02] [--plot agents.png]
    python examples/topology_agents.py --quick      # one short run: seconds, writes nothing

Eight MLPs, each trained on its own eighth of Cora's word columns, are the agents; for every query
(a paper's words) the VAE picks who shares messages, trained by REINFORCE on correctness minus a
cost per message (``hgnn.topology.agents``). Compared with all-to-all, no communication (the
best expert alone) and random groups of as many agents, on easy and hard queries. Updates
``benchmarks/results/topology_vae.json`` (key ``agents``; ``--out`` for another file) and prints a
table per cost.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from hgnn.io import atomic_path, write_json
from hgnn.topology.agents import run_agents, summarize_agents

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "topology_vae.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cocitation-cora")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--costs", type=float, nargs="+", default=[0.0, 0.002, 0.005, 0.01, 0.02])
    parser.add_argument("--slots", type=int, nargs="+", default=[1, 3], help="hyperedge slots K of the VAE")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--plot", type=Path, default=None, help="PNG: accuracy against messages per query")
    parser.add_argument("--out", type=Path, default=None,
                        help="the results JSON to update (default: benchmarks/results/topology_vae.json; "
                             "with --quick, none unless given)")
    parser.add_argument("--quick", action="store_true", help="one seed, one cost, 100 steps")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.quick:
        args.seeds, args.steps, args.slots, args.costs = 1, 100, [1], [0.01]
    out = args.out or (None if args.quick else OUT)
    results = {}  # "K=<slots> cost=<cost>" -> runs and summary
    for slots in args.slots:
        for cost in args.costs:
            runs = [run_agents(args.dataset, cost=cost, num_slots=slots, steps=args.steps, seed=s,
                               progress=not args.quick)
                    for s in range(args.seeds)]
            results[f"K={slots} cost={cost}"] = {"slots": slots, "cost": cost, "runs": runs,
                                                 "summary": summarize_agents(runs)}
    if out is not None:
        saved = json.loads(out.read_text()) if out.exists() else {}
        settings = {"dataset": args.dataset, "seeds": args.seeds, "steps": args.steps, "experts": 8,
                    "slots": args.slots, "costs": args.costs, "machine": "cpu, 1 thread"}
        saved["agents"] = {"settings": settings, "results": results}
        out.parent.mkdir(parents=True, exist_ok=True)
        write_json(out, saved)
    print("\n| slots, cost per message | method | accuracy all (%) | messages | accuracy easy | messages easy | "
          "accuracy hard | messages hard |")
    print("|---|---|---|---|---|---|---|---|")
    first_key = next(iter(results))
    for key, r in results.items():
        for name, s in r["summary"].items():
            per_cost = name in ("learned", "random (same agents)")
            if not per_cost and key != first_key:
                continue  # all-to-all and the best expert depend on neither: print them once
            cells = " | ".join(f"{s[p]['accuracy']['mean']:.1f} ± {s[p]['accuracy']['std']:.1f} | "
                               f"{s[p]['messages']['mean']:.2f}" for p in ("all", "easy", "hard"))
            print(f"| {key if per_cost else '—'} | {name} | {cells} |")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for slots, style in zip(args.slots, ("o-", "D-", "v-")):
            part = [r for r in results.values() if r["slots"] == slots]
            pts = [(r["summary"]["learned"]["all"]["messages"]["mean"],
                    r["summary"]["learned"]["all"]["accuracy"]["mean"], r["cost"]) for r in part]
            ax.plot([m for m, _, _ in pts], [a for _, a, _ in pts], style,
                    label=f"learned, K={slots} (cost per message)")
            for m, a, cost in pts:
                ax.annotate(f"{cost:g}", (m, a), textcoords="offset points", xytext=(4, -10), fontsize=7)
        first = results[first_key]["summary"]
        rand = [r["summary"]["random (same agents)"]["all"] for r in results.values() if r["slots"] == args.slots[0]]
        ax.plot([s["messages"]["mean"] for s in rand], [s["accuracy"]["mean"] for s in rand], "x:",
                label=f"random groups, as many agents as learned K={args.slots[0]}")
        for name, marker in (("all-to-all", "s"), ("no communication (best expert)", "^")):
            s = first[name]["all"]
            ax.plot(s["messages"]["mean"], s["accuracy"]["mean"], marker, label=name)
        ax.set_xlabel("messages per query")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"{args.dataset}: 8 feature-slice experts as agents")
        ax.legend(fontsize=7)
        fig.tight_layout()
        with atomic_path(args.plot) as tmp:
            fig.savefig(tmp, dpi=120)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
