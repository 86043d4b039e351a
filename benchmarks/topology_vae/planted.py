"""Planted communication groups: the learned hypergraph against fixed ones (about 4 minutes on a CPU).

    python benchmarks/topology_vae/planted.py [--seeds 3] [--steps 1500]
        [--plot benchmarks/topology_vae/results/topology_planted.png]

24 agents, fresh private vectors every episode; an agent in a hidden group must predict the sign of
its group's sum, an agent alone the sign of its own value (``hgnn.topology.planted``). For each
difficulty (easy: 2 groups of 2, medium: 4 of 3, hard: 6 of 4) :func:`run_planted` learns a
hypergraph end to end with :func:`hgnn.topology.train_planted` (task loss plus a cost per expected
incidence), thresholds it, and compares it with no communication, one complete hyperedge, random
hypergraphs with as many incidences, and kNN on the private vectors, each scored by a decider
trained on that hypergraph alone (:func:`hgnn.topology.train_fixed`). Updates the key ``planted`` of
``benchmarks/topology_vae/results/topology_vae.json`` (``--out`` for another file) and prints a table.
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any, Callable

import torch

from hgnn.io import atomic_path, write_json
from hgnn.topology import DIFFICULTIES, co_membership_f1, knn_incidence, planted_groups, train_fixed, train_planted

OUT = Path(__file__).resolve().parent / "results" / "topology_vae.json"


def constant(incidence: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """The communication rule that uses ``incidence`` ``[1, N, K]`` for every episode."""
    def rule(v: torch.Tensor) -> torch.Tensor:
        return incidence

    return rule


def knn_rule(k: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """The communication rule that joins each agent with its ``k`` nearest agents, per episode."""
    def rule(v: torch.Tensor) -> torch.Tensor:
        return knn_incidence(v, k)

    return rule


def run_planted(difficulty: str = "easy", *, num_agents: int = 24, dim: int = 4, num_slots: int = 12,
                steps: int = 1500, sparsity: float = 1e-4, beta: float = 1e-4, relaxation: str = "soft",
                tau: float = 1.0, lr: float = 3e-2, init_bias: float = 0.0, latent: int = 64, seed: int = 0,
                progress: bool = True) -> dict[str, Any]:
    """One seed of one difficulty: learn the topology (:func:`hgnn.topology.train_planted`), then
    score it and the fixed hypergraphs by a decider trained for ``steps // 2`` steps on each alone.
    Returns every method's accuracy, incidences and co-membership F1, and the learned incidence."""
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {sorted(DIFFICULTIES)}, got {difficulty!r}")
    groups = planted_groups(num_agents, *DIFFICULTIES[difficulty], seed=seed)
    _, _, learned = train_planted(groups, dim=dim, num_slots=num_slots, steps=steps, sparsity=sparsity, beta=beta,
                                  relaxation=relaxation, tau=tau, lr=lr, init_bias=init_bias, latent=latent,
                                  seed=seed, progress=progress)
    learned = learned.unsqueeze(0)  # [1, N, K]
    cost = float(learned.sum())
    steps_fixed = max(steps // 2, 1)
    none = torch.zeros(1, num_agents, 1)
    complete = torch.ones(1, num_agents, 1)
    rgen = torch.Generator().manual_seed(seed + 1)
    flat = torch.zeros(num_agents * num_slots)
    flat[torch.randperm(flat.numel(), generator=rgen)[: int(cost)]] = 1.0
    random_h = flat.view(1, num_agents, num_slots)
    k = DIFFICULTIES[difficulty][1] - 1
    # every hypergraph, the learned one included, is scored by a decider trained on it alone
    methods = [("learned", constant(learned), cost, learned[0]),
               ("none", constant(none), 0.0, none[0]),
               ("complete", constant(complete), float(num_agents), complete[0]),
               ("random (same cost)", constant(random_h), cost, random_h[0]),
               ("kNN on private vectors", knn_rule(k), float(num_agents * (k + 1)), None)]
    results = {}
    for name, rule, incidences, h in methods:
        results[name] = {"accuracy": train_fixed(groups, rule, dim, steps_fixed, seed), "incidences": incidences,
                         "f1": float("nan") if h is None else co_membership_f1(h, groups)}
    return {"difficulty": difficulty, "groups": DIFFICULTIES[difficulty], "hidden_incidences": float(groups.sum()),
            "learned_incidence": learned[0].tolist(), "results": results}


def summarize_planted(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean over seeds of each method's accuracy, incidences and F1."""
    methods = runs[0]["results"].keys()
    return {m: {key: statistics.fmean(r["results"][m][key] for r in runs) for key in ("accuracy", "incidences", "f1")}
            for m in methods}


def plot(report: dict[str, Any], path: Path) -> None:
    """Learned (seed 0) against hidden incidence matrices, one column per difficulty."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(9, 7))
    for col, difficulty in enumerate(DIFFICULTIES):
        learned = torch.tensor(report[difficulty]["runs"][0]["learned_incidence"])
        hidden = planted_groups(24, *DIFFICULTIES[difficulty], seed=0)
        axes[0, col].imshow(hidden, aspect="auto", cmap="Greys")
        axes[0, col].set_title(f"{difficulty}: hidden groups")
        axes[1, col].imshow(learned, aspect="auto", cmap="Greys")
        axes[1, col].set_title("learned (seed 0)")
        axes[1, col].set_xlabel("hyperedge slot")
    axes[0, 0].set_ylabel("agent")
    axes[1, 0].set_ylabel("agent")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--plot", type=Path, default=None, help="PNG: learned vs hidden incidence matrices")
    parser.add_argument("--out", type=Path, default=OUT, help="the results JSON to update (key 'planted')")
    args = parser.parse_args()
    torch.set_num_threads(1)
    report = {}
    for difficulty in DIFFICULTIES:
        runs = [run_planted(difficulty, steps=args.steps, seed=s) for s in range(args.seeds)]
        report[difficulty] = {"runs": runs, "summary": summarize_planted(runs),
                              "hidden_incidences": runs[0]["hidden_incidences"]}
    saved = json.loads(args.out.read_text()) if args.out.exists() else {}
    saved["planted"] = {"settings": {"seeds": args.seeds, "steps": args.steps, "agents": 24, "dim": 4, "slots": 12},
                        "results": report}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, saved)
    print("\n| difficulty (hidden incidences) | method | accuracy (%) | incidences | co-membership F1 |")
    print("|---|---|---|---|---|")
    for difficulty, r in report.items():
        for method, s in r["summary"].items():
            f1 = "—" if s["f1"] != s["f1"] else f"{s['f1']:.2f}"
            print(f"| {difficulty} ({r['hidden_incidences']:.0f}) | {method} | {100 * s['accuracy']:.1f} | "
                  f"{s['incidences']:.1f} | {f1} |")
    if args.plot:
        plot(report, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
