"""hgnn.viz.draw on the Agg backend: one patch per hyperedge, one segment per membership, no stray files."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from hgnn.structure import Hypergraph  # noqa: E402
from hgnn.viz import draw, layout  # noqa: E402

EDGES = [[0, 1, 2], [2, 3], [4], [0, 3, 5, 6], [1, 1, 6]]  # a single member, a repeated member


@pytest.fixture
def hg():
    return Hypergraph.from_edge_list(EDGES + [[]], num_nodes=8)  # an empty hyperedge and an isolated node


def test_hull_draws_one_patch_per_non_empty_hyperedge(hg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ax = draw(hg, labels=True, node_color=torch.arange(8))
    assert len(ax.patches) == len(EDGES)
    for patch, members in zip(ax.patches, EDGES):  # each hull surrounds its members
        xy = np.asarray(ax.collections[-1].get_offsets())[members]
        assert patch.get_path().contains_points(xy).all()
    assert len(ax.texts) == 8
    assert os.listdir(tmp_path) == []
    plt.close(ax.figure)


def test_star_draws_one_segment_per_distinct_membership(hg):
    ax = draw(hg, style="star")
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines) == 1
    assert len(lines[0].get_segments()) == sum(len(set(e)) for e in EDGES)
    assert not ax.patches
    plt.close(ax.figure)


def test_given_positions_axes_and_saving(hg, tmp_path):
    pos = np.arange(16, dtype=float).reshape(8, 2) % 5
    fig, ax = plt.subplots()
    out = draw(hg, pos=pos, ax=ax, path=tmp_path / "hg.png")
    assert out is ax
    np.testing.assert_allclose(ax.collections[-1].get_offsets(), pos)
    assert (tmp_path / "hg.png").stat().st_size > 0
    assert sorted(os.listdir(tmp_path)) == ["hg.png"]
    plt.close(fig)


def test_layout_is_seeded_and_groups_members():
    two = Hypergraph.from_edge_list([[0, 1, 2, 3], [4, 5, 6, 7]], num_nodes=8)
    pos = layout(two, seed=3)
    assert pos.shape == (8, 2) and np.array_equal(pos, layout(two, seed=3))
    within = np.linalg.norm(pos[0] - pos[1])
    across = np.linalg.norm(pos[0] - pos[4])
    assert within < across


def test_bad_input(hg):
    with pytest.raises(ValueError, match="style"):
        draw(hg, style="venn")
    with pytest.raises(ValueError, match=r"\[num_nodes, 2\]"):
        draw(hg, pos=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="labels"):
        draw(hg, labels=["a"])
    with pytest.raises(TypeError, match="Hypergraph"):
        draw(torch.zeros(2, 3))
    plt.close("all")
