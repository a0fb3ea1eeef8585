"""dlref.graphs: the layered layout and the drawing of a Value graph."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pytest

from dlref import plot
from dlref.autograd import Value, graph_edges
from dlref.graphs import depths, draw_value_graph, layered_layout


def test_depth_is_the_longest_path_and_sources_sit_next_to_their_use() -> None:
    nodes = ["a", "b", "c", "d", "e"]
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "e"), ("d", "e")]
    assert depths(nodes, edges) == {"a": 0, "b": 1, "c": 2, "d": 2, "e": 3}


def test_a_lone_node_is_in_column_zero() -> None:
    assert depths(["x"], []) == {"x": 0}


def test_cycles_and_unknown_nodes_are_rejected() -> None:
    with pytest.raises(ValueError, match="cycle"):
        depths(["a", "b"], [("a", "b"), ("b", "a")])
    with pytest.raises(ValueError, match="given nodes"):
        depths(["a"], [("a", "z")])


def test_layout_points_every_edge_right_and_centres_columns() -> None:
    x, w, b = Value(1.0, label="x"), Value(2.0, label="w"), Value(3.0, label="b")
    u = x * w + b
    out = u.tanh() + u
    order = out.topological_order()
    edges = graph_edges(out)
    where = layered_layout(order, edges)
    assert set(where) == set(order)
    assert all(where[child][0] > where[parent][0] for parent, child in edges)
    assert len(set(where.values())) == len(order)  # no two nodes on top of each other
    columns: dict[float, list[float]] = {}
    for px, py in where.values():
        columns.setdefault(px, []).append(py)
    for ys in columns.values():
        ys.sort()
        assert sum(ys) == pytest.approx(0.0)  # centred on y = 0
        assert all(b - a == pytest.approx(1.0) for a, b in itertools.pairwise(ys))


def test_column_order_follows_the_parents() -> None:
    edges = [("top", "t2"), ("bottom", "b2")]
    where = layered_layout(["top", "bottom", "t2", "b2"], edges)
    assert where["top"][1] > where["bottom"][1]
    assert where["t2"][1] > where["b2"][1]  # children keep their parents' order: no crossing


def test_draw_value_graph_draws_every_node_and_edge() -> None:
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    out = (x * w).tanh() + x
    out.backward()
    fig, ax = plot.figure()
    order = draw_value_graph(ax, out)
    assert order == out.topological_order()
    boxes = [t.get_text() for t in ax.texts if t.get_text()]
    arrows = [t for t in ax.texts if not t.get_text()]  # annotations with an arrow and no text
    assert len(boxes) == len(order)
    assert len(arrows) == len(graph_edges(out))
    assert any(t.startswith(f"#{len(order) - 1}  +") for t in boxes)
    assert all("grad" in t for t in boxes)
    assert not ax.axison
    fig2, ax2 = plot.figure()
    draw_value_graph(ax2, out, show_grad=False)
    assert not any("grad" in t.get_text() for t in ax2.texts)
    plt.close(fig)
    plt.close(fig2)
