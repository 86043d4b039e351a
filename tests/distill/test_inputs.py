import pytest
import torch
from hypothesis import given

from hgnn import Hypergraph
from hgnn.distill import STUDENT_INPUTS, comember_mean, distill, mlp_student, student_input

from tests.structure._hg_reference import SETTINGS, hypergraphs
from distill_data import planted, split


def _naive_comember_mean(x, hg):
    """Per vertex, the mean of x over (incidence (v, e), other incidence (u, e)) pairs."""
    nodes, edges = hg.hyperedge_index.tolist()
    out = torch.zeros_like(x)
    for v in range(hg.num_nodes):
        rows = [nodes[j] for i in range(len(nodes)) if nodes[i] == v
                for j in range(len(nodes)) if j != i and edges[j] == edges[i]]
        if rows:
            out[v] = x[rows].mean(0)
    return out


@SETTINGS
@given(hg=hypergraphs())
def test_comember_mean_matches_a_naive_loop(hg):
    x = torch.randn(hg.num_nodes, 3, dtype=torch.float64)
    torch.testing.assert_close(comember_mean(x, hg), _naive_comember_mean(x, hg))


def test_comember_mean_by_hand_and_gradients():
    hg = Hypergraph.from_edge_list([[0, 1, 2], [2, 3], [4]], num_nodes=6)
    x = torch.arange(6.0).view(6, 1).requires_grad_()
    m = comember_mean(x, hg)
    assert m.view(-1).tolist() == pytest.approx([1.5, 1.0, 4 / 3, 2.0, 0.0, 0.0])  # 4 and 5: no co-member
    m.sum().backward()
    assert x.grad.view(-1).tolist() == pytest.approx([0.5 + 1 / 3, 0.5 + 1 / 3, 2.0, 1 / 3, 0.0, 0.0])


def test_student_input_kinds_and_errors():
    hg = Hypergraph.from_edge_list([[0, 1], [1, 2]], num_nodes=3)
    x = torch.randn(3, 4)
    assert student_input("features", x, hg) is x
    both = student_input("one-hop", x, hg)
    assert both.shape == (3, 8) and torch.equal(both[:, :4], x) and torch.allclose(both[1, 4:], (x[0] + x[2]) / 2)
    assert STUDENT_INPUTS == ("features", "one-hop")
    with pytest.raises(ValueError, match="student input must be one of"):
        student_input("two-hop", x, hg)
    with pytest.raises(ValueError, match="3 nodes"):
        comember_mean(torch.randn(4, 4), hg)
    with pytest.raises(TypeError, match="floating-point"):
        comember_mean(torch.ones(3, 4, dtype=torch.long), hg)
    with pytest.raises(TypeError, match="Hypergraph"):
        comember_mean(x, hg.hyperedge_index)


def test_distill_student_x_is_what_the_student_reads():
    hg = planted()
    masks = split(hg)
    from hgnn.distill import train_teacher

    teacher = train_teacher("hgnn", hg, masks, epochs=30)
    xs = student_input("one-hop", hg.x, hg)
    student = mlp_student(xs.size(1), 4, 16)
    distill(student, teacher, hg, masks, student_x=xs, epochs=5, progress=False)
    assert student(xs).shape == (hg.num_nodes, 4)
    with pytest.raises(ValueError, match="student_x must be"):
        distill(mlp_student(xs.size(1), 4, 16), teacher, hg, masks, student_x=xs[:-1], epochs=1, progress=False)
