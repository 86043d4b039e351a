"""Repairing a corrupted co-citation hypergraph (about 2 minutes a seed on a CPU).

    python benchmarks/topology_vae/repair.py [--seeds 3] [--steps 300]
        [--plot benchmarks/topology_vae/results/topology_repair.png]

Cora (HyperGCN co-citation) loses half of its hyperedges to random ones of the same sizes
(:func:`hgnn.topology.corrupt`); :func:`hgnn.topology.train_repair` learns which incidences of the
corrupted hypergraph to keep (``AnchorRepair``: VAE latents and feature similarity score every
incidence, trained end to end with an HGNN classifier on the soft incidences). :func:`run_repair`
then scores the clean, corrupted, learned, prior-only (the feature similarity alone, keeping as many
incidences) and empty hypergraphs by a fresh HGNN each (:func:`score`). Updates the key ``repair`` of
``benchmarks/topology_vae/results/topology_vae.json`` (``--out`` for another file) and prints a table.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch

from hgnn.datasets import load
from hgnn.io import atomic_path, write_json
from hgnn.models import HGNN
from hgnn.structure import Hypergraph
from hgnn.tasks import summarize
from hgnn.topology import corrupt, feature_prior, keep_incidences, propose_members, shared_elsewhere, train_repair
from hgnn.train import Split, fit, seed_everything, split_of_seed
from hgnn.transforms import prepare

OUT = Path(__file__).resolve().parent / "results" / "topology_vae.json"


def score(hg: Hypergraph, split: Split, seed: int, epochs: int = 200, repeats: int = 1) -> float:
    """Test accuracy of a fresh two-layer HGNN trained on ``hg`` (best validation epoch), the mean
    over ``repeats`` initialisations (seeds ``seed``, ``seed + 100``, ...)."""
    hg = prepare(hg)
    accs = []
    for r in range(repeats):
        seed_everything(seed + 100 * r)
        model = HGNN(hg.x.size(1), int(hg.y.max()) + 1)
        accs.append(fit(model, hg, split, epochs=epochs, progress=False).test["acc"])
    return sum(accs) / repeats


def run_repair(dataset: str = "cocitation-cora", *, fraction: float = 0.5, steps: int = 300, lr: float = 1e-2,
               beta: float = 1e-4, sparsity: float = 0.0, propose: int = 0, teach: float = 0.0,
               structure: bool = False, validation: bool = False, select: bool = False, seed: int = 0,
               root: str | None = None,
               progress: bool = True,
               score_epochs: int = 200, score_repeats: int = 1) -> dict[str, Any]:
    """Corrupt ``dataset`` (seed ``seed``), add ``propose`` candidate members per hyperedge
    (:func:`hgnn.topology.propose_members`; 0: deletion only), learn the repair for ``steps`` Adam
    steps (``teach``, ``structure``, ``validation``: the scoring weights learn from the validation
    nodes, ``select``: the step with the best validation accuracy is kept;
    :func:`hgnn.topology.train_repair`) and score the clean,
    corrupted, empty, prior-only, learned (with proposals, also the unpruned candidates; with
    ``structure``, also the untrained sum of the feature and structure scores at the same count)
    hypergraphs by :func:`score` (``score_epochs`` epochs, mean of ``score_repeats`` initialisations)
    on HyperGCN split ``seed % 10``. Returns accuracies, incidence and
    hyperedge counts, the share of kept incidences that are real (in the clean hypergraph), how many
    proposals were kept, and the learned :math:`a, b, c`. ``recovered`` is the share of the accuracy
    lost to corruption that the learned hypergraph wins back (``nan`` when nothing was lost)."""
    clean = load(dataset, root=root)
    split = split_of_seed(clean, "hypergcn", seed)
    bad = corrupt(clean, fraction, seed)
    x, y = prepare(bad).x, clean.y
    candidates = propose_members(bad, x, propose)
    # Real incidences: those of the hyperedges the corruption kept (the proposals are never in the clean hypergraph).
    real = torch.arange(candidates.num_incidences) < bad.num_incidences
    real &= candidates.hyperedge_index[1] < clean.num_edges - int(round(fraction * clean.num_edges))
    model, _, keep = train_repair(candidates, x, y, split.train, steps=steps, lr=lr, beta=beta, sparsity=sparsity,
                                  teach=teach, structure=structure, val_idx=split.val if validation else None,
                                  select_idx=split.val if select else None, seed=seed, progress=progress)
    prior = feature_prior(x, candidates)
    prior_keep = torch.zeros_like(keep)
    prior_keep[prior.topk(int(keep.sum())).indices] = True
    both_keep = torch.zeros_like(keep)
    if structure:
        shared = shared_elsewhere(candidates)
        both_keep[(prior + (shared - shared.mean()) / shared.std()).topk(int(keep.sum())).indices] = True
    graphs = {"clean": clean, "corrupted": bad, **({"candidates": candidates} if propose else {}),
              "learned": keep_incidences(candidates, keep, clean),
              "prior only": keep_incidences(candidates, prior_keep, clean),
              **({"feature + structure, untrained": keep_incidences(candidates, both_keep, clean)} if structure else {}),
              "no hyperedges": Hypergraph(torch.empty(2, 0, dtype=torch.long), num_nodes=clean.num_nodes,
                                          num_edges=0, x=clean.x, y=clean.y, node_data=dict(clean.node_data))}
    acc = {name: score(g, split, seed, score_epochs, score_repeats) for name, g in graphs.items()}
    lost = acc["clean"] - acc["corrupted"]  # nan when the corruption cost nothing
    return {"dataset": dataset, "fraction": fraction, "seed": seed, "steps": steps, "propose": propose,
            "teach": teach, "accuracy": acc,
            "proposals_kept": {"learned": int(keep[bad.num_incidences:].sum()),
                               "prior only": int(prior_keep[bad.num_incidences:].sum())},
            "recovered": (acc["learned"] - acc["corrupted"]) / lost if lost else float("nan"),
            "incidences": {name: g.num_incidences for name, g in graphs.items()},
            "hyperedges": {name: g.num_edges for name, g in graphs.items()},
            "real_share": {"corrupted": real.float().mean().item(), "learned": real[keep].float().mean().item(),
                           "prior only": real[prior_keep].float().mean().item()},
            "structure_weight": model.structure_weight.item() if structure else None,
            "mix": dict(zip("abc", model.mix.tolist()))}


def summarize_repair(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean and std over runs of each hypergraph's accuracy (%) and incidences, and of the
    recovered share of the accuracy lost to corruption."""
    out = {name: {"accuracy": summarize([r["accuracy"][name] for r in runs]),
                  "incidences": summarize([r["incidences"][name] for r in runs], scale=1.0)}
           for name in runs[0]["accuracy"]}
    out["recovered"] = summarize([r["recovered"] for r in runs], scale=1.0)
    return out


def plot(summary: dict[str, Any], dataset: str, path: Path) -> None:
    """Test accuracy against incidences, one point per hypergraph."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, s in summary.items():
        if name == "recovered":
            continue
        ax.errorbar(s["incidences"]["mean"], s["accuracy"]["mean"], yerr=s["accuracy"]["std"], fmt="o",
                    capsize=3, label=name)
    ax.set_xlabel("incidences")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{dataset}: half the hyperedges replaced by random ones", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cocitation-cora")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--propose", type=int, default=0,
                        help="candidate members per hyperedge from feature space (0: deletion only, key 'repair'; "
                             "else key 'repair_propose')")
    parser.add_argument("--teach", type=float, default=0.0,
                        help="weight of the classifier teaching the VAE latents on every node")
    parser.add_argument("--structure", action="store_true",
                        help="also score incidences by how often members meet elsewhere (hgnn.topology.shared_elsewhere)")
    parser.add_argument("--validation", action="store_true",
                        help="the scoring weights learn from the validation nodes (bi-level, as LDS)")
    parser.add_argument("--select", action="store_true",
                        help="keep the repair step whose soft classifier is best on the validation nodes")
    parser.add_argument("--score-repeats", type=int, default=1,
                        help="fresh HGNNs (initialisations) averaged per hypergraph's score")
    parser.add_argument("--plot", type=Path, default=None, help="PNG: test accuracy against incidences")
    parser.add_argument("--out", type=Path, default=OUT, help="the results JSON to update")
    args = parser.parse_args()
    if args.propose < 0 or args.teach < 0 or args.score_repeats < 1:
        parser.error("--propose and --teach must be >= 0 and --score-repeats >= 1")
    torch.set_num_threads(1)
    runs = [run_repair(args.dataset, steps=args.steps, propose=args.propose, teach=args.teach,
                       structure=args.structure, validation=args.validation, select=args.select,
                       score_repeats=args.score_repeats, seed=s)
            for s in range(args.seeds)]
    summary = summarize_repair(runs)
    saved = json.loads(args.out.read_text()) if args.out.exists() else {}
    saved["repair_propose" if args.propose else "repair"] = {
        "settings": {"dataset": args.dataset, "seeds": args.seeds, "steps": args.steps, "fraction": 0.5,
                     "propose": args.propose, "teach": args.teach, "structure": args.structure,
                     "validation": args.validation, "select": args.select, "score_repeats": args.score_repeats, "machine": "cpu, 1 thread"},
        "runs": runs, "summary": summary}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, saved)
    print("\n| hypergraph | test accuracy (%) | incidences |")
    print("|---|---|---|")
    for name, s in summary.items():
        if name != "recovered":
            print(f"| {name} | {s['accuracy']['mean']:.1f} ± {s['accuracy']['std']:.1f} | "
                  f"{s['incidences']['mean']:.0f} |")
    rec = summary["recovered"]
    per_seed = ", ".join(f"{r['recovered']:.2f}" for r in runs)
    print(f"\nshare of the accuracy lost to corruption that the learned hypergraph recovers: "
          f"{rec['mean']:.2f} ± {rec['std']:.2f} (per seed: {per_seed})")
    if args.plot:
        plot(summary, args.dataset, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
