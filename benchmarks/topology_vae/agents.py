"""Frozen expert classifiers as agents: a learned router against fixed ones (about 20-75 s a run on a CPU).

    python benchmarks/topology_vae/agents.py [--seeds 3] [--slots 1 3] [--costs 0 0.002 0.005 0.01 0.02]
        [--probe 3 --samples 4 --entropy 0.02 --lr 3e-3] [--gates] [--join-probes [--rounds 2]]
        [--targets 0.7 0.8 0.85 0.9 [--max-agents 8] [--gate-reads-answer]]
        [--dataset cocitation-cora cocitation-citeseer mushroom 20newsw100]
        [--plot benchmarks/topology_vae/results/topology_agents.png]

Eight MLPs, each trained on its own eighth of Cora's word columns (:func:`hgnn.topology.train_experts`),
are the agents; for every query (a paper's words) the VAE picks who shares messages, trained by
REINFORCE on correctness minus a cost per message (:func:`hgnn.topology.train_router`). With several
datasets, eight experts per dataset form one mixed pool (:func:`make_pool`). :func:`run_agents`
compares the router with all-to-all, no communication (the query's dataset's best expert alone),
random groups of as many agents and kNN routing (as many agents, those most often right on the
query's nearest training queries), on easy and hard queries and per agreement level; with probes
(``--probe``) also with an oracle escalation and a tuned confidence rule. ``--targets`` trains
instead the router that asks one expert at a time and stops once the answer has settled
(:func:`hgnn.topology.train_sequential_router`), one table per stopping target. Updates the key ``agents``
(``agents_mixed`` with several datasets, then ``_probe``, ``_joined``, ``_gates``, ``_rounds<n>``,
``_sequential``, ``_max<n>``, ``_gate_answer`` with those options) of
``benchmarks/topology_vae/results/topology_vae.json`` (``--out`` for another file) and prints a table
per cost.
"""
from __future__ import annotations

import argparse
import functools
import json
import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from hgnn.datasets import load
from hgnn.datasets.registry import normalize_name
from hgnn.io import atomic_path, write_json
from hgnn.tasks import summarize
from hgnn.topology import (decide, expert_agreement, route, route_sequential, train_experts, train_router,
                           train_sequential_router)
from hgnn.train import seed_everything

OUT = Path(__file__).resolve().parent / "results" / "topology_vae.json"


def make_pool(datasets: list[str], *, num_experts: int = 8, seed: int = 0, root: str | None = None,
              expert_epochs: int = 200, per_dataset: int = 2000) -> dict[str, Any]:
    """The agents and their queries. One dataset: its nodes split at random (seed) into 40% expert
    training, 40% router training and 20% test queries, ``num_experts`` experts on its feature
    slices. Several: ``per_dataset`` random nodes of each (all where fewer), labels offset into one
    label space, features side by side in their own columns (zero elsewhere), ``num_experts`` experts
    per dataset on slices of its own columns (an expert sees zeros on another dataset's query and
    answers regardless), queries split 40 / 40 / 20 at random over the mixture. The router's query
    is each dataset's row, L2-normalised, in its own columns."""
    xs, ys = [], []
    offset = 0
    for d, name in enumerate(datasets):
        hg = load(name, root=root)
        x, y = hg.x.float(), hg.y.long()
        if len(datasets) > 1:
            keep = torch.randperm(x.size(0), generator=torch.Generator().manual_seed(seed))[:per_dataset]
            x, y = x[keep], y[keep]
        xs.append(x)
        ys.append(y + offset)
        offset += int(hg.y.max()) + 1
    domain = torch.cat([torch.full((x.size(0),), d) for d, x in enumerate(xs)])
    x, y = torch.block_diag(*xs), torch.cat(ys)
    seed_everything(seed)
    perm = torch.randperm(x.size(0), generator=torch.Generator().manual_seed(seed))
    n_expert, n_router = int(0.4 * x.size(0)), int(0.4 * x.size(0))
    expert_idx, router_idx, test_idx = perm[:n_expert], perm[n_expert:n_expert + n_router], perm[n_expert + n_router:]
    columns = torch.tensor([0] + [x.size(1) for x in xs]).cumsum(0).tolist()
    outputs = torch.cat([train_experts(x[:, a:b], y, expert_idx[domain[expert_idx] == d], num_experts,
                                       seed=seed + 1000 * d, epochs=expert_epochs)[0]
                         for d, (a, b) in enumerate(zip(columns, columns[1:]))], dim=1)
    query = torch.cat([F.normalize(x[:, a:b], dim=1) for a, b in zip(columns, columns[1:])], dim=1)
    own = torch.arange(outputs.size(1)).view(len(datasets), num_experts)  # each dataset's experts
    return {"outputs": outputs, "query": query, "y": y, "domain": domain, "own": own, "router_idx": router_idx,
            "test_idx": test_idx}


@functools.lru_cache(maxsize=8)
def _pool(datasets: tuple[str, ...], num_experts: int, seed: int, root: str | None, expert_epochs: int,
          per_dataset: int) -> dict[str, Any]:
    """:func:`make_pool`, kept for the next run on the same pool (e.g. another stopping target)."""
    return make_pool(list(datasets), num_experts=num_experts, seed=seed, root=root, expert_epochs=expert_epochs,
                     per_dataset=per_dataset)


@functools.lru_cache(maxsize=8)
def _sequential_router(pool_key: tuple[Any, ...], max_agents: int | None, gate_reads_answer: bool, steps: int,
                       batch_size: int, lr: float, beta: float, progress: bool) -> tuple[Any, list[float]]:
    """:func:`hgnn.topology.train_sequential_router` on the pool of ``pool_key`` (:func:`_pool`); its
    reference group is every expert of the query's own dataset."""
    pool = _pool(*pool_key)
    outputs, domain, own = pool["outputs"], pool["domain"], pool["own"]
    reference = torch.zeros(outputs.shape[:2]).scatter_(1, own[domain], 1.0)
    return train_sequential_router(outputs, pool["query"], pool["y"], pool["router_idx"], reference=reference,
                                   max_agents=max_agents, gate_reads_answer=gate_reads_answer, steps=steps,
                                   batch_size=batch_size, lr=lr, beta=beta, seed=pool_key[2], progress=progress)


def domain_agreement(outputs: Tensor, domain: Tensor, own: Tensor) -> Tensor:
    """:func:`hgnn.topology.expert_agreement` among the query's own dataset's experts, ``[Q]``."""
    agreement = torch.empty(outputs.size(0), dtype=outputs.dtype)
    for d in range(own.size(0)):
        mask = domain == d
        agreement[mask] = expert_agreement(outputs[mask][:, own[d]])
    return agreement


def run_agents(dataset: str | list[str] = "cocitation-cora", *, num_experts: int = 8, num_slots: int = 3,
               cost: float = 0.01, steps: int = 1500, batch_size: int = 128, lr: float = 1e-2, beta: float = 1e-4,
               seed: int = 0, root: str | None = None, progress: bool = True, expert_epochs: int = 200,
               probe: int = 0, samples: int = 1, entropy: float = 0.0, gates: bool = False,
               join_probes: bool = False, rounds: int = 1, target: float | None = None,
               max_agents: int | None = None, gate_reads_answer: bool = False,
               per_dataset: int = 2000) -> dict[str, Any]:
    """One run on the pool of :func:`make_pool` (one dataset or a list): experts trained
    (``expert_epochs`` epochs), then the router by REINFORCE for ``steps`` batches. Returns accuracy
    (%) and messages per query of every method on all, easy and hard test queries (easy: at least
    half of the query's own dataset's experts agree with their majority; with several datasets also
    per dataset, and easy and hard within each dataset: ``"easy <name>"``, ``"hard <name>"``),
    messages and accuracy per agreement level (``difficulty``; with several datasets, of the
    learned router also per dataset: ``difficulty_by_dataset``), and the experts' own test
    accuracies. ``probe``: that many best experts of the query's dataset (on the router's
    queries) answer first and the router escalates from there (:func:`hgnn.topology.route`;
    ``samples`` / ``entropy`` / ``gates`` / ``join_probes`` as :func:`hgnn.topology.train_router`);
    the parts then also split by whether the probes agree, and an oracle that escalates to all
    agents (of the query's dataset) exactly where that corrects the probes (it reads the labels: a
    bound, not a method) and a fixed rule (all agents where the probes' mean answer is less than
    :math:`\tau` sure, :math:`\tau` tuned for the utility on the router's queries) join the methods.
    ``target``: instead, the router that asks one agent at a time and stops once its estimate that
    the answer equals all agents' (of the query's dataset) reaches ``target``
    (:func:`hgnn.topology.train_sequential_router`, ``steps`` batches, ``max_agents``,
    ``gate_reads_answer``; no cost)."""
    datasets = [normalize_name(dataset)] if isinstance(dataset, str) else [normalize_name(d) for d in dataset]
    pool = _pool(tuple(datasets), num_experts, seed, root, expert_epochs, per_dataset)
    outputs, query, y, domain, own = pool["outputs"], pool["query"], pool["y"], pool["domain"], pool["own"]
    router_idx, test_idx = pool["router_idx"], pool["test_idx"]
    num_agents = outputs.size(1)
    right_train = (outputs[router_idx].argmax(-1) == y[router_idx].unsqueeze(1)).float()  # [R, A]
    expert_train_acc = right_train.mean(0)
    # Probes: the `probe` best experts of the query's own dataset on the router's queries, [Q, P] ids.
    probe_ids = None
    if probe:
        best_of = torch.stack([own[d][right_train[domain[router_idx] == d][:, own[d]].mean(0)
                                      .argsort(descending=True)[:probe]] for d in range(len(datasets))])
        probe_ids = best_of[domain]
    if target is not None:
        # the same router serves every target: trained once per pool and settings
        vae, history = _sequential_router((tuple(datasets), num_experts, seed, root, expert_epochs, per_dataset),
                                          max_agents, gate_reads_answer, steps, batch_size, lr, beta, progress)
        learned, learned_messages = route_sequential(vae, outputs[test_idx], query[test_idx], target, max_agents)
    else:
        vae, history = train_router(outputs, query, y, router_idx, num_slots=num_slots, cost=cost, steps=steps,
                                    batch_size=batch_size, lr=lr, beta=beta, probe=probe_ids,
                                    samples=samples, entropy=entropy, gates=gates, join_probes=join_probes,
                                    rounds=rounds, seed=seed, progress=progress)
        learned, learned_messages = route(vae, outputs[test_idx], query[test_idx],
                                          None if probe_ids is None else probe_ids[test_idx], join_probes=join_probes,
                                          rounds=rounds)
    gen = torch.Generator().manual_seed(seed + 1)
    test_out, test_y, test_domain = outputs[test_idx], y[test_idx], domain[test_idx]
    num_test = test_idx.numel()

    def probe_answers(idx: Tensor) -> Tensor:
        """The probes' class distributions on the queries ``idx``, ``[len(idx), P, C]``."""
        return outputs[idx].gather(1, probe_ids[idx].unsqueeze(-1).expand(-1, -1, outputs.size(-1)))

    def per_query(agents: list[Tensor]) -> Tensor:
        """One hyperedge per query of the given agents ``[T, A, 1]``."""
        inc = torch.zeros(num_test, num_agents, 1)
        for i, ids in enumerate(agents):
            inc[i, ids, 0] = 1.0
        return inc

    # The best expert of the query's dataset (on the router's queries) alone.
    best = [int(own[d][expert_train_acc[own[d]].argmax()]) for d in range(len(datasets))]
    single = per_query([torch.tensor([best[d]]) for d in test_domain.tolist()])
    # Random hypergraphs: per query, as many distinct agents as the learned one used, in one hyperedge.
    used = learned.amax(2).sum(1).long()  # distinct agents per query
    rand = per_query([torch.randperm(num_agents, generator=gen)[:k] for k in used.tolist()])
    # kNN routing: per query, the agents most often right on its 10 nearest router-training queries (cosine of
    # the query vectors), as many distinct agents as the learned router used, in one hyperedge.
    near = (query[test_idx] @ query[router_idx].T).topk(10, dim=1).indices  # [T, 10]
    score = right_train[near].mean(1) + 1e-3 * expert_train_acc  # ties: the better expert overall
    knn = per_query([score[i].topk(k).indices for i, k in enumerate(used.tolist())])
    methods = {"learned": (learned, learned_messages), "all-to-all": (torch.ones(num_agents, 1), None),
               "no communication (best expert)": (single, None), "random (same agents)": (rand, None),
               "kNN (same agents)": (knn, None)}
    def everyone(idx: Tensor) -> Tensor:
        """Every expert of the query's own dataset (all of them with one dataset), ``[len(idx), A, 1]``."""
        return torch.zeros(idx.numel(), num_agents, 1).scatter_(1, own[domain[idx]].unsqueeze(-1), 1.0)

    if len(datasets) > 1:
        methods["all of the query's dataset"] = (everyone(test_idx), None)
    if probe_ids is not None:
        def alone(idx: Tensor) -> Tensor:
            return torch.zeros(idx.numel(), num_agents, 1).scatter_(1, probe_ids[idx].unsqueeze(-1), 1.0)

        def right(idx: Tensor, inc: Tensor) -> Tensor:
            return decide(outputs[idx], inc).argmax(-1) == y[idx]

        def rule(idx: Tensor, escalate: Tensor) -> Tensor:
            """All agents ("everyone") where ``escalate``, the probes alone elsewhere."""
            return torch.where(escalate.view(-1, 1, 1), everyone(idx), alone(idx))

        oracle_escalate = right(test_idx, everyone(test_idx)) & ~right(test_idx, alone(test_idx))
        methods["oracle: all agents exactly where that corrects the probes"] = (rule(test_idx, oracle_escalate), None)

        # A fixed rule: all agents where the probes' mean answer is less than tau sure, tau the best
        # utility (correct - cost x messages) on the router's training queries.
        def sure(idx: Tensor) -> Tensor:
            return probe_answers(idx).mean(1).amax(1)

        def utility(inc: Tensor) -> Tensor:
            return (right(router_idx, inc).float() - cost * inc.flatten(1).sum(1)).mean()

        taus = [0.05 * k for k in range(4, 21)]
        sure_train = sure(router_idx)
        tau = taus[int(torch.stack([utility(rule(router_idx, sure_train < t)) for t in taus]).argmax())]
        methods["rule: all agents where the probes are unsure"] = (rule(test_idx, sure(test_idx) < tau), None)
    agreement = domain_agreement(test_out, test_domain, own)
    easy = agreement >= 0.5
    parts = {"all": torch.ones_like(easy), "easy": easy, "hard": ~easy}
    if probe_ids is not None and probe_ids.size(1) > 1:  # with one probe they always agree
        unanimous = expert_agreement(probe_answers(test_idx)) == 1.0
        parts.update({"probes agree": unanimous, "probes split": ~unanimous})
    if len(datasets) > 1:
        parts.update({name: test_domain == d for d, name in enumerate(datasets)})
        # easy and hard within each dataset: a router can spend more on hard queries overall by
        # telling an easy dataset from a hard one, without telling queries apart within a dataset
        parts.update({f"{level} {name}": (test_domain == d) & (easy if level == "easy" else ~easy)
                      for d, name in enumerate(datasets) for level in ("easy", "hard")})
    levels = (agreement * num_experts).round().long()

    def by_level(right: Tensor, messages: Tensor, among: Tensor) -> dict[int, dict[str, float]]:
        """Queries, accuracy and messages per agreement level, over the test queries ``among``."""
        cells = {}
        for k in levels[among].unique().tolist():
            mask = among & (levels == k)
            cells[int(k)] = {"queries": int(mask.sum()), "accuracy": 100 * right[mask].float().mean().item(),
                             "messages": messages[mask].float().mean().item()}
        return cells

    report: dict[str, Any] = {}
    difficulty: dict[str, Any] = {}
    difficulty_by_dataset: dict[str, dict[int, dict[str, float]]] = {}  # the learned router, with several datasets
    for name, (inc, messages) in methods.items():
        right = decide(test_out, inc).argmax(-1) == test_y
        if messages is None:
            messages = inc.flatten(1).sum(1) if inc.dim() == 3 else torch.full((num_test,), float(inc.sum()))
        report[name] = {part: {"accuracy": 100 * right[mask].float().mean().item(),
                               "messages": messages[mask].float().mean().item()} for part, mask in parts.items()}
        difficulty[name] = by_level(right, messages, parts["all"])
        if name == "learned" and len(datasets) > 1:
            difficulty_by_dataset = {d_name: by_level(right, messages, test_domain == d)
                                     for d, d_name in enumerate(datasets)}
    expert_acc = (test_out.argmax(-1) == test_y.unsqueeze(1)).float().mean(0).mul(100).tolist()
    out = {"dataset": datasets[0] if len(datasets) == 1 else datasets, "seed": seed,
           "cost": cost if target is None else None, "target": target,
           "num_experts": num_agents, "num_slots": num_slots, "steps": steps, "methods": report,
           "difficulty": difficulty, "expert_accuracy": expert_acc, "easy_share": easy.float().mean().item(),
           # the REINFORCE router's mean utility per step, or the sequential router's loss
           "utility_history" if target is None else "loss_history": history[:: max(1, steps // 100)]}
    if len(datasets) > 1:
        out["difficulty_by_dataset"] = difficulty_by_dataset
    return out


def summarize_agents(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """Mean and std over runs of every method's accuracy and messages on all, easy and hard queries."""
    def stats(values: list[float]) -> dict[str, float]:
        kept = [v for v in values if not math.isnan(v)]  # a part with no query in some run
        return summarize(kept, scale=1.0) if kept else {"mean": math.nan, "std": math.nan}

    return {name: {part: {key: stats([r["methods"][name][part][key] for r in runs]) for key in ("accuracy", "messages")}
                   for part in runs[0]["methods"][name]} for name in runs[0]["methods"]}


def summarize_difficulty(runs: list[dict[str, Any]], key: str = "difficulty") -> dict[str, dict[int, dict[str, float]]]:
    """Per method (``key="difficulty_by_dataset"``: per dataset, the learned router) and agreement
    level (experts of the query's dataset agreeing with their majority), messages and accuracy
    pooled over the runs' test queries, and the number of queries."""
    out: dict[str, dict[int, dict[str, float]]] = {}
    for name in runs[0][key]:
        levels: dict[int, dict[str, float]] = {}
        for r in runs:
            for k, cell in r[key][name].items():
                acc = levels.setdefault(int(k), {"queries": 0, "accuracy": 0.0, "messages": 0.0})
                acc["queries"] += cell["queries"]
                acc["accuracy"] += cell["accuracy"] * cell["queries"]
                acc["messages"] += cell["messages"] * cell["queries"]
        out[name] = {k: {"queries": v["queries"], "accuracy": v["accuracy"] / v["queries"],
                         "messages": v["messages"] / v["queries"]} for k, v in sorted(levels.items())}
    return out


def plot_difficulty(results: dict[str, Any], title: str, path: Path) -> None:
    """Messages per query against the query's difficulty (how many of its dataset's experts agree
    with their majority; fewer = harder), the learned router at every cost (and the probe oracle)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(next(iter(results.values())).get("difficulty_by_dataset", {}))
    rows = max(2, (len(datasets) + 1) // 2) if datasets else 1
    fig = plt.figure(figsize=(12, 2.5 * rows) if datasets else (6, 4))
    grid = fig.add_gridspec(rows, 3 if datasets else 1)
    ax = fig.add_subplot(grid[:, 0])
    for j, (key, r) in enumerate(results.items()):  # one colour per cost, in every panel
        for name, style in (("learned", "o-"), ("oracle: all agents exactly where that corrects the probes", "x:")):
            curve = r["difficulty"].get(name)
            if curve is None or (name != "learned" and j > 0):
                continue
            ks = [k for k, v in curve.items() if v["queries"] >= 20]
            label = f"learned, {key}" if name == "learned" else "oracle escalation (reads the labels)"
            ax.plot(ks, [curve[k]["messages"] for k in ks], style, label=label,
                    color=f"C{j}" if name == "learned" else "0.4")
    ax.set_xlabel("experts of the query's dataset agreeing with their majority (fewer: harder)"
                  if not datasets else "experts of the query's dataset agreeing (fewer: harder)")
    ax.set_ylabel("messages per query")
    ax.set_title(f"{title}: all queries" if datasets else title, fontsize=9)
    ax.legend(fontsize=7)
    for i, name in enumerate(datasets):  # the same routers within each dataset: do they tell its queries apart?
        ax = fig.add_subplot(grid[i // 2, 1 + i % 2])
        for j, r in enumerate(results.values()):
            curve = {int(k): v for k, v in r["difficulty_by_dataset"][name].items()}
            ks = [k for k, v in sorted(curve.items()) if v["queries"] >= 20]
            ax.plot(ks, [curve[k]["messages"] for k in ks], "o-", color=f"C{j}")
        ax.set_title(f"within {name}", fontsize=9)
        ax.set_xlabel("experts agreeing (fewer: harder)", fontsize=8)
        ax.set_ylabel("messages per query", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)


def plot(results: dict[str, Any], slots: list[int], dataset: str, path: Path, experts: int = 8) -> None:
    """Accuracy against messages per query: the learned router per number of slots (one point a
    cost), random groups of as many agents, all-to-all and the best expert alone."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for k, style in zip(slots, ("o-", "D-", "v-")):
        part = [r for r in results.values() if r["slots"] == k]
        knob = "stopping target" if part[0].get("target") is not None else "cost per message"
        pts = [(r["summary"]["learned"]["all"]["messages"]["mean"], r["summary"]["learned"]["all"]["accuracy"]["mean"],
                r["cost"] if r.get("target") is None else r["target"]) for r in part]
        ax.plot([m for m, _, _ in pts], [a for _, a, _ in pts], style, label=f"learned, K={k} ({knob})")
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
    for name, marker in (("all-to-all", "s"), ("no communication (best expert)", "^"),
                         ("all of the query's dataset", "P")):
        if name not in first:
            continue
        s = first[name]["all"]
        ax.plot(s["messages"]["mean"], s["accuracy"]["mean"], marker, label=name)
    ax.set_xlabel("messages per query")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{dataset}: {experts} feature-slice experts as agents", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", nargs="+", default=["cocitation-cora"],
                        help="one dataset, or several: a mixed pool (--experts per dataset, key 'agents_mixed')")
    parser.add_argument("--per-dataset", type=int, default=2000, help="queries drawn from each dataset of a mix")
    parser.add_argument("--experts", type=int, default=8, help="experts per dataset")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--costs", type=float, nargs="+", default=[0.0, 0.002, 0.005, 0.01, 0.02])
    parser.add_argument("--slots", type=int, nargs="+", default=None,
                        help="hyperedge slots K of the VAE (default 1 3; 1 with --targets)")
    parser.add_argument("--steps", type=int, default=None,
                        help="router training batches (default 1500; 400 with --targets)")
    parser.add_argument("--probe", type=int, default=0,
                        help="probe and escalate: this many best experts (on the router's queries) answer first, "
                             "the router adds agents from there (0: no probe)")
    parser.add_argument("--samples", type=int, default=1, help="router samples per query (leave-one-out baseline)")
    parser.add_argument("--entropy", type=float, default=0.0, help="entropy bonus of the router's training")
    parser.add_argument("--lr", type=float, default=1e-2, help="router learning rate")
    parser.add_argument("--join-probes", action="store_true",
                        help="the probes join the router's slot instead of a hyperedge of their own (key suffix "
                             "'_joined')")
    parser.add_argument("--rounds", type=int, default=1,
                        help="escalation rounds (more than one needs --slots 1 --join-probes; key suffix "
                             "'_rounds<n>')")
    parser.add_argument("--targets", type=float, nargs="+", default=None,
                        help="the router that asks one agent at a time until the answer settles, with these "
                             "stopping targets in (0, 1] instead of --costs (key suffix '_sequential')")
    parser.add_argument("--max-agents", type=int, default=None,
                        help="with --targets: the most agents asked per query (default: all; key suffix '_max<n>')")
    parser.add_argument("--gate-reads-answer", action="store_true",
                        help="with --targets: the stopping gate also reads the group's mean answer (key suffix "
                             "'_gate_answer')")
    parser.add_argument("--gates", action="store_true",
                        help="slot gates: one stop / escalate draw per query and slot (key suffix '_gates')")
    parser.add_argument("--plot", type=Path, default=None,
                        help="PNG: accuracy against messages per query (and, beside it with the suffix "
                             "'_difficulty', messages against difficulty)")
    parser.add_argument("--out", type=Path, default=OUT, help="the results JSON to update")
    args = parser.parse_args()
    if args.slots is None:
        args.slots = [1, 3] if args.targets is None else [1]
    args.dataset = [normalize_name(name) for name in args.dataset]
    mixed = len(args.dataset) > 1
    key = "agents" + "".join(suffix for suffix, on in (("_mixed", mixed), ("_probe", args.probe),
                                                       ("_joined", args.join_probes), ("_gates", args.gates),
                                                       (f"_rounds{args.rounds}", args.rounds > 1),
                                                       ("_sequential", args.targets is not None),
                                                       (f"_max{args.max_agents}", args.max_agents is not None),
                                                       ("_gate_answer", args.gate_reads_answer)) if on)
    if args.plot is not None and args.plot.suffix != ".png":
        parser.error(f"--plot must name a .png file, got {args.plot}")
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1, got {args.rounds}")
    if args.rounds > 1 and (not args.probe or not args.join_probes or args.gates or args.slots != [1]):
        parser.error("--rounds > 1 escalates one group from the probes: pass --probe N --join-probes --slots 1 "
                     "and no --gates")
    if args.targets is not None:
        if args.probe or args.gates or args.join_probes or args.rounds > 1 or args.slots != [1]:
            parser.error("--targets trains the router that asks one agent at a time: pass --slots 1 and no --probe, "
                         "--gates, --join-probes or --rounds")
        if not all(0 < t <= 1 for t in args.targets):
            parser.error(f"--targets must lie in (0, 1], got {args.targets}")
    elif args.max_agents is not None or args.gate_reads_answer:
        parser.error("--max-agents and --gate-reads-answer go with --targets")
    if args.max_agents is not None and not 1 <= args.max_agents <= args.experts * len(args.dataset):
        parser.error(f"--max-agents must be in [1, {args.experts * len(args.dataset)}], got {args.max_agents}")
    if args.steps is None:
        args.steps = 1500 if args.targets is None else 400
    torch.set_num_threads(1)
    dataset = args.dataset if mixed else args.dataset[0]
    # "K=<slots> cost=<cost>" (or "K=1 target=<target>") -> runs and summary
    settings_run = [("cost", c, None) for c in args.costs] if args.targets is None else \
        [("target", 0.0, t) for t in args.targets]
    results = {}
    for slots in args.slots:
        for name, cost, target in settings_run:
            runs = [run_agents(dataset, num_experts=args.experts, cost=cost, num_slots=slots, steps=args.steps,
                               seed=s, probe=args.probe, samples=args.samples, entropy=args.entropy, lr=args.lr,
                               gates=args.gates, join_probes=args.join_probes, rounds=args.rounds,
                               target=target, max_agents=args.max_agents, gate_reads_answer=args.gate_reads_answer,
                               per_dataset=args.per_dataset)
                    for s in range(args.seeds)]
            label = f"K={slots} {name}={cost if target is None else target}"
            results[label] = {"slots": slots, "cost": None if target is not None else cost, "target": target,
                              "probe": args.probe, "runs": runs,
                              "summary": summarize_agents(runs), "difficulty": summarize_difficulty(runs)}
            if mixed:
                results[label]["difficulty_by_dataset"] = summarize_difficulty(runs, "difficulty_by_dataset")
    saved = json.loads(args.out.read_text()) if args.out.exists() else {}
    settings = {"dataset": dataset, "seeds": args.seeds, "steps": args.steps,
                "experts": args.experts * len(args.dataset), "slots": args.slots,
                "costs": args.costs if args.targets is None else None,
                "machine": "cpu, 1 thread"}
    if mixed:
        settings["per_dataset"] = args.per_dataset
    settings.update(probe=args.probe, samples=args.samples, entropy=args.entropy, lr=args.lr, gates=args.gates,
                    join_probes=args.join_probes, rounds=args.rounds, targets=args.targets, max_agents=args.max_agents,
                    gate_reads_answer=args.gate_reads_answer)
    saved[key] = {"settings": settings, "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, saved)
    all_parts = list(next(iter(results.values()))["summary"]["learned"])
    within = [f"{level} {name}" for name in args.dataset for level in ("easy", "hard")] if mixed else []
    tables = [[p for p in all_parts if p not in args.dataset and p not in within]]
    tables += [args.dataset, within] if mixed else []
    first_key = next(iter(results))
    for parts in tables:
        print(f"\n| slots, {'cost per message' if args.targets is None else 'stopping target'} | method | "
              + " | ".join(f"accuracy {p} | messages {p}" for p in parts) + " |")
        print("|---|---|" + "---|---|" * len(parts))
        for key_, r in results.items():
            for name, s in r["summary"].items():
                per_cost = name in ("learned", "random (same agents)", "kNN (same agents)",
                                    "rule: all agents where the probes are unsure")
                if not per_cost and key_ != first_key:
                    continue  # the fixed hypergraphs depend on no cost: print them once
                cells = " | ".join(f"{s[p]['accuracy']['mean']:.1f} ± {s[p]['accuracy']['std']:.1f} | "
                                   f"{s[p]['messages']['mean']:.2f}" for p in parts)
                print(f"| {key_ if per_cost else '—'} | {name} | {cells} |")
    if args.plot:
        label = f"{len(args.dataset)} datasets" if mixed else args.dataset[0]
        plot(results, args.slots, label, args.plot, experts=args.experts * len(args.dataset))
        difficulty_png = args.plot.with_name(args.plot.stem + "_difficulty.png")
        plot_difficulty(results, f"{label}: {args.experts * len(args.dataset)} experts", difficulty_png)
        print(f"plots: {args.plot}, {difficulty_png}")


if __name__ == "__main__":
    main()
