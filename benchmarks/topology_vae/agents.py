"""Frozen expert classifiers as agents: a learned router against fixed ones (30 runs of about 20 s on a CPU).

    python benchmarks/topology_vae/agents.py [--seeds 3] [--slots 1 3] [--costs 0 0.002 0.005 0.01 0.02]
        [--plot benchmarks/topology_vae/results/topology_agents.png]

Eight MLPs, each trained on its own eighth of Cora's word columns (:func:`hgnn.topology.train_experts`),
are the agents; for every query (a paper's words) the VAE picks who shares messages, trained by
REINFORCE on correctness minus a cost per message (:func:`hgnn.topology.train_router`).
:func:`run_agents` compares it with all-to-all, no communication (the best expert alone), random
groups of as many agents and kNN routing (as many agents, those most often right on the query's
nearest training queries), on easy and hard queries. Updates the key ``agents`` of
``benchmarks/topology_vae/results/topology_vae.json`` (``--out`` for another file) and prints a table
per cost.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from hgnn.datasets import load
from hgnn.io import atomic_path, write_json
from hgnn.tasks import summarize
from hgnn.topology import decide, expert_agreement, route, train_experts, train_router
from hgnn.train import seed_everything

OUT = Path(__file__).resolve().parent / "results" / "topology_vae.json"


def run_agents(dataset: str = "cocitation-cora", *, num_experts: int = 8, num_slots: int = 3, cost: float = 0.01,
               steps: int = 1500, batch_size: int = 128, lr: float = 1e-2, beta: float = 1e-4, seed: int = 0,
               root: str | None = None, progress: bool = True, expert_epochs: int = 200,
               probe: int = 0, samples: int = 1, entropy: float = 0.0) -> dict[str, Any]:
    """One run: nodes split at random (seed) into 40% expert training, 40% router training and 20%
    test queries; experts trained (``expert_epochs`` epochs), then the router by REINFORCE for
    ``steps`` batches. Returns accuracy (%) and messages per query of every method on all, easy and
    hard test queries, and the experts' own test accuracies. ``probe``: that many best experts on
    the router's queries answer first and the router escalates from there (:func:`hgnn.topology.route`;
    ``samples`` / ``entropy`` as :func:`hgnn.topology.train_router`); the parts then also split by
    whether the probes agree."""
    hg = load(dataset, root=root)
    x, y = hg.x.float(), hg.y.long()
    seed_everything(seed)
    perm = torch.randperm(x.size(0), generator=torch.Generator().manual_seed(seed))
    n_expert, n_router = int(0.4 * x.size(0)), int(0.4 * x.size(0))
    expert_idx, router_idx, test_idx = perm[:n_expert], perm[n_expert:n_expert + n_router], perm[n_expert + n_router:]
    outputs, _ = train_experts(x, y, expert_idx, num_experts, seed=seed, epochs=expert_epochs)
    query = F.normalize(x, dim=1)
    expert_train_acc = (outputs[router_idx].argmax(-1) == y[router_idx].unsqueeze(1)).float().mean(0)
    best = int(expert_train_acc.argmax())
    probes = expert_train_acc.argsort(descending=True)[:probe].tolist() if probe else None
    vae, history = train_router(outputs, query, y, router_idx, num_slots=num_slots, cost=cost, steps=steps,
                                batch_size=batch_size, lr=lr, beta=beta, probe=probes,
                                samples=samples, entropy=entropy, seed=seed, progress=progress)
    gen = torch.Generator().manual_seed(seed + 1)
    learned, learned_messages = route(vae, outputs[test_idx], query[test_idx], probes)
    test_out, test_y = outputs[test_idx], y[test_idx]
    single = torch.zeros(num_experts, 1)
    single[best] = 1.0
    # Random hypergraphs: per query, as many distinct agents as the learned one used, in one hyperedge.
    used = learned.amax(2).sum(1).long()  # distinct agents per query
    rand = torch.zeros(test_idx.numel(), num_experts, 1)
    for i, k in enumerate(used.tolist()):
        rand[i, torch.randperm(num_experts, generator=gen)[:k], 0] = 1.0
    # kNN routing: per query, the agents most often right on its 10 nearest router-training queries (cosine of
    # the word vectors), as many distinct agents as the learned router used, in one hyperedge.
    right_train = (outputs[router_idx].argmax(-1) == y[router_idx].unsqueeze(1)).float()  # [R, A]
    near = (query[test_idx] @ query[router_idx].T).topk(10, dim=1).indices  # [T, 10]
    score = right_train[near].mean(1) + 1e-3 * expert_train_acc  # ties: the better expert overall
    knn = torch.zeros(test_idx.numel(), num_experts, 1)
    for i, k in enumerate(used.tolist()):
        knn[i, score[i].topk(k).indices, 0] = 1.0
    methods = {"learned": learned, "all-to-all": torch.ones(num_experts, 1),
               "no communication (best expert)": single, "random (same agents)": rand, "kNN (same agents)": knn}
    easy = expert_agreement(test_out) >= 0.5
    unanimous = expert_agreement(test_out[:, probes]) == 1.0 if probes else None
    report: dict[str, Any] = {}
    for name, inc in methods.items():
        right = decide(test_out, inc).argmax(-1) == test_y
        messages = learned_messages if name == "learned" else inc.flatten(1).sum(1).expand(test_idx.numel()) \
            if inc.dim() == 3 else torch.full((test_idx.numel(),), float(inc.sum()))
        report[name] = {part: {"accuracy": 100 * right[mask].float().mean().item(),
                               "messages": messages[mask].float().mean().item()}
                        for part, mask in (("all", torch.ones_like(easy)), ("easy", easy), ("hard", ~easy),
                                           *((("probes agree", unanimous), ("probes split", ~unanimous))
                                             if probes else ()))}
    expert_acc = (test_out.argmax(-1) == test_y.unsqueeze(1)).float().mean(0).mul(100).tolist()
    return {"dataset": dataset, "seed": seed, "cost": cost, "num_experts": num_experts, "num_slots": num_slots,
            "steps": steps, "methods": report, "expert_accuracy": expert_acc,
            "easy_share": easy.float().mean().item(), "utility_history": history[:: max(1, steps // 100)]}


def summarize_agents(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """Mean and std over runs of every method's accuracy and messages on all, easy and hard queries."""
    return {name: {part: {key: summarize([r["methods"][name][part][key] for r in runs], scale=1.0)
                          for key in ("accuracy", "messages")}
                   for part in runs[0]["methods"][name]} for name in runs[0]["methods"]}


def plot(results: dict[str, Any], slots: list[int], dataset: str, path: Path) -> None:
    """Accuracy against messages per query: the learned router per number of slots (one point a
    cost), random groups of as many agents, all-to-all and the best expert alone."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for k, style in zip(slots, ("o-", "D-", "v-")):
        part = [r for r in results.values() if r["slots"] == k]
        pts = [(r["summary"]["learned"]["all"]["messages"]["mean"],
                r["summary"]["learned"]["all"]["accuracy"]["mean"], r["cost"]) for r in part]
        ax.plot([m for m, _, _ in pts], [a for _, a, _ in pts], style, label=f"learned, K={k} (cost per message)")
        for m, a, cost in pts:
            ax.annotate(f"{cost:g}", (m, a), textcoords="offset points", xytext=(4, -10), fontsize=7)
    first = next(iter(results.values()))["summary"]
    rand = [r["summary"]["random (same agents)"]["all"] for r in results.values() if r["slots"] == slots[0]]
    ax.plot([s["messages"]["mean"] for s in rand], [s["accuracy"]["mean"] for s in rand], "x:",
            label=f"random groups, as many agents as learned K={slots[0]}")
    knn = [r["summary"]["kNN (same agents)"]["all"] for r in results.values()
           if r["slots"] == slots[0] and "kNN (same agents)" in r["summary"]]
    if knn:
        ax.plot([s["messages"]["mean"] for s in knn], [s["accuracy"]["mean"] for s in knn], "+:",
                label=f"kNN routing, as many agents as learned K={slots[0]}")
    for name, marker in (("all-to-all", "s"), ("no communication (best expert)", "^")):
        s = first[name]["all"]
        ax.plot(s["messages"]["mean"], s["accuracy"]["mean"], marker, label=name)
    ax.set_xlabel("messages per query")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{dataset}: 8 feature-slice experts as agents")
    ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cocitation-cora")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--costs", type=float, nargs="+", default=[0.0, 0.002, 0.005, 0.01, 0.02])
    parser.add_argument("--slots", type=int, nargs="+", default=[1, 3], help="hyperedge slots K of the VAE")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--probe", type=int, default=0,
                        help="probe and escalate: this many best experts (on the router's queries) answer first, "
                             "the router adds agents from there (0: no probe)")
    parser.add_argument("--samples", type=int, default=1, help="router samples per query (leave-one-out baseline)")
    parser.add_argument("--entropy", type=float, default=0.0, help="entropy bonus of the router's training")
    parser.add_argument("--lr", type=float, default=1e-2, help="router learning rate")
    parser.add_argument("--plot", type=Path, default=None, help="PNG: accuracy against messages per query")
    parser.add_argument("--out", type=Path, default=OUT, help="the results JSON to update (key 'agents')")
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = {}  # "K=<slots> cost=<cost>" -> runs and summary
    for slots in args.slots:
        for cost in args.costs:
            runs = [run_agents(args.dataset, cost=cost, num_slots=slots, steps=args.steps, seed=s, probe=args.probe,
                               samples=args.samples, entropy=args.entropy, lr=args.lr)
                    for s in range(args.seeds)]
            results[f"K={slots} cost={cost}"] = {"slots": slots, "cost": cost, "probe": args.probe, "runs": runs,
                                                 "summary": summarize_agents(runs)}
    saved = json.loads(args.out.read_text()) if args.out.exists() else {}
    settings = {"dataset": args.dataset, "seeds": args.seeds, "steps": args.steps, "experts": 8,
                "slots": args.slots, "costs": args.costs, "machine": "cpu, 1 thread"}
    settings.update(probe=args.probe, samples=args.samples, entropy=args.entropy, lr=args.lr)
    saved["agents_probe" if args.probe else "agents"] = {"settings": settings, "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, saved)
    parts = list(next(iter(results.values()))["summary"]["learned"])
    print("\n| slots, cost per message | method | " + " | ".join(f"accuracy {p} | messages {p}" for p in parts) + " |")
    print("|---|---|" + "---|---|" * len(parts))
    first_key = next(iter(results))
    for key, r in results.items():
        for name, s in r["summary"].items():
            per_cost = name in ("learned", "random (same agents)", "kNN (same agents)")
            if not per_cost and key != first_key:
                continue  # all-to-all and the best expert depend on neither: print them once
            cells = " | ".join(f"{s[p]['accuracy']['mean']:.1f} ± {s[p]['accuracy']['std']:.1f} | "
                               f"{s[p]['messages']['mean']:.2f}" for p in parts)
            print(f"| {key if per_cost else '—'} | {name} | {cells} |")
    if args.plot:
        plot(results, args.slots, args.dataset, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
