"""Typical uses of hgnn's public API, for the type checker only (tests/test_typing.py runs mypy on
this file; pytest does not collect it and nothing here is executed).

Each annotated assignment states the type a user relies on, so a public signature that changes
its argument or return types makes mypy fail.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

import hgnn
from hgnn import Hypergraph
from hgnn.datasets import DatasetInfo, available, load
from hgnn.distill import export_onnx, load_student, save_student
from hgnn.models import HGNN, HGNNP, HNHN, CoNHD, UniGCN
from hgnn.nn import MLP, EdgeGCNConv, HGNNConv, HGNNPConv, UniGCNConv
from hgnn.ops import scatter
from hgnn.structure import clique_expansion, dual, edge_to_node, node_to_edge
from hgnn.train import FitResult, Split, accuracy, fit, get_split
from hgnn.transforms import prepare


def structure() -> None:
    hg: Hypergraph = Hypergraph.from_edge_list([[0, 1, 2], [1, 3]], num_nodes=4, x=torch.randn(4, 8))
    num: int = hg.num_nodes + hg.num_edges
    index: Tensor = hg.hyperedge_index
    assert hg.x is not None  # node features are optional
    e: Tensor = hg.node_to_edge(hg.x, reduce="mean")
    v: Tensor = hg.edge_to_node(e, reduce="max")
    same: Tensor = edge_to_node(node_to_edge(hg.x, hg), hg)
    moved: Hypergraph = hg.to("cpu")
    other: Hypergraph = dual(hg)
    graph_edges = clique_expansion(hg)
    summed: Tensor = scatter(v, torch.tensor([0, 0, 1, 1]), 2, reduce="sum")
    version: str = hgnn.__version__
    print(num, index, same, moved, other, graph_edges, summed, version)


def layers_and_models(hg: Hypergraph, x: Tensor, y: Tensor) -> float:
    conv = HGNNConv(8, 16)
    h: Tensor = conv(x, hg)
    h = HGNNPConv(16, 16)(h, hg) + UniGCNConv(16, 16)(h, hg)
    out: Tensor = MLP(16, 3, hidden_channels=32)(h)
    model = HGNN(8, 3)
    for net in (model, HGNNP(8, 3), UniGCN(8, 3), HNHN(8, 3)):
        out = out + net(x, hg)
    loss = F.cross_entropy(out, y)
    edge_conv: torch.nn.Module = EdgeGCNConv(16)
    scores: Tensor = CoNHD(8, 3, hidden_channels=16)(x, hg)
    print(edge_conv, scores)
    return float(loss)


def training(root: Path) -> dict[str, float]:
    infos: list[DatasetInfo] = available()
    hg: Hypergraph = prepare(load("cocitation-cora", root=root))
    split: Split = get_split(hg, "hypergcn", 0)
    assert hg.x is not None and hg.y is not None
    result: FitResult = fit(HGNN(hg.x.size(1), 7), hg, split, epochs=5, progress=False)
    acc: float = accuracy(hg.y[split.test], HGNN(hg.x.size(1), 7)(hg.x, hg)[split.test])
    print(infos, acc, result.epoch_ms)
    return result.test


def shipping(tmp: Path) -> None:
    student = MLP(8, 3)
    path: Path = save_student(student, tmp / "student.pt", dataset="toy")
    loaded, metadata = load_student(path)
    onnx_file: Path = export_onnx(loaded, tmp / "student.onnx")
    print(metadata, onnx_file)
