"""Demonstration 1 of the topology VAE: recover planted communication groups (a few minutes on a CPU).

    python examples/topology_planted_groups.py [--seeds 3] [--steps 1500] [--plot planted.png]
    python examples/topology_planted_groups.py --quick      # one short run: seconds, writes nothing

24 agents, fresh private vectors every episode; an agent in a hidden group must predict the sign of
its group's sum, an agent alone the sign of its own value (``hgnn.topology.planted``). For each
difficulty (easy: 2 groups of 2, medium: 4 of 3, hard: 6 of 4) the VAE learns a hypergraph end to end
from the task loss plus a cost per expected incidence; it is compared, thresholded, with no
communication, one complete hyperedge, random hypergraphs with as many incidences, and kNN on the
private vectors. Updates ``benchmarks/results/topology_vae.json`` (key ``planted``; ``--out`` for another
file) and prints a table.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from hgnn.io import atomic_path, write_json
from hgnn.topology.planted import DIFFICULTIES, planted_groups, run_planted, summarize_planted

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "topology_vae.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--plot", type=Path, default=None, help="PNG: learned vs hidden incidence matrices")
    parser.add_argument("--out", type=Path, default=None,
                        help="the results JSON to update (default: benchmarks/results/topology_vae.json; "
                             "with --quick, none unless given)")
    parser.add_argument("--quick", action="store_true", help="one seed, 60 steps")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.quick:
        args.seeds, args.steps = 1, 60
    out = args.out or (None if args.quick else OUT)
    report = {}
    for difficulty in DIFFICULTIES:
        runs = [run_planted(difficulty, steps=args.steps, seed=s, progress=not args.quick) for s in range(args.seeds)]
        report[difficulty] = {"runs": runs, "summary": summarize_planted(runs),
                              "hidden_incidences": runs[0]["hidden_incidences"]}
    if out is not None:
        saved = json.loads(out.read_text()) if out.exists() else {}
        saved["planted"] = {"settings": {"seeds": args.seeds, "steps": args.steps, "agents": 24, "dim": 4, "slots": 12},
                            "results": report}
        out.parent.mkdir(parents=True, exist_ok=True)
        write_json(out, saved)
    print("\n| difficulty (hidden incidences) | method | accuracy (%) | incidences | co-membership F1 |")
    print("|---|---|---|---|---|")
    for difficulty, r in report.items():
        for method, s in r["summary"].items():
            f1 = "—" if s["f1"] != s["f1"] else f"{s['f1']:.2f}"
            print(f"| {difficulty} ({r['hidden_incidences']:.0f}) | {method} | {100 * s['accuracy']:.1f} | "
                  f"{s['incidences']:.1f} | {f1} |")
    if args.plot:
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
        with atomic_path(args.plot) as tmp:
            fig.savefig(tmp, dpi=120)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
