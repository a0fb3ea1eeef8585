"""Drawing computation graphs: a layered layout, and a picture of a ``Value`` graph.

The layout places every node of a directed acyclic graph in a column given by
its *depth*, the length of the longest path reaching it from a node without
predecessors::

    depth(v) = 0                                  if v has no predecessors
    depth(v) = 1 + max(depth(u) for u -> v)       otherwise

and then a source is moved right, next to its first use:
``depth(s) = min(depth(c) for s -> c) - 1``.

so every edge points to the right and a node sits to the right of everything
it was computed from. Within a column, nodes are ordered by the mean height of
their predecessors (one barycentre pass), which keeps most edges short.
Drawing uses matplotlib only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import TypeVar

from matplotlib.axes import Axes

from dlref.autograd import Value, graph_edges
from dlref.plot import COLORS

__all__ = ["depths", "draw_value_graph", "layered_layout"]

N = TypeVar("N", bound=Hashable)


def depths(nodes: Sequence[N], edges: Sequence[tuple[N, N]]) -> dict[N, int]:
    """Longest-path depth of every node; ``edges`` are ``(parent, child)`` pairs.

    Raises ``ValueError`` when the edges form a cycle or name a node not in ``nodes``.

    Examples:
        ```python
        from dlref.graphs import depths

        edges = [("x", "mul"), ("w", "mul"), ("mul", "add"), ("b", "add")]
        depth = depths(["x", "w", "b", "mul", "add"], edges)
        print(depth)
        assert depth == {"x": 0, "w": 0, "b": 1, "mul": 1, "add": 2}  # b sits left of add
        try:
            depths(["p", "q"], [("p", "q"), ("q", "p")])
        except ValueError as err:
            print(err)
        ```
    """
    known = set(nodes)
    incoming: dict[N, list[N]] = defaultdict(list)
    outgoing: dict[N, list[N]] = defaultdict(list)
    for parent, child in edges:
        if parent not in known or child not in known:
            raise ValueError("every edge must join two of the given nodes")
        incoming[child].append(parent)
        outgoing[parent].append(child)
    waiting = {n: len(incoming[n]) for n in nodes}
    ready = [n for n in nodes if waiting[n] == 0]
    depth = dict.fromkeys(ready, 0)
    while ready:  # Kahn's algorithm: a node is placed once all its parents are
        node = ready.pop()
        for child in outgoing[node]:
            depth[child] = max(depth.get(child, 0), depth[node] + 1)
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    if len(depth) != len(known) or any(waiting.values()):
        raise ValueError("the edges contain a cycle")
    for n in nodes:  # a source sits just left of its first use, not in column 0
        if not incoming[n] and outgoing[n]:
            depth[n] = min(depth[c] for c in outgoing[n]) - 1
    return depth


def layered_layout(
    nodes: Sequence[N], edges: Sequence[tuple[N, N]]
) -> dict[N, tuple[float, float]]:
    """Position ``(x, y)`` for each node: ``x`` is its ``depths`` column.

    In each column the nodes are spaced one unit apart, centred on ``y = 0`` and
    listed from the top by the mean ``y`` of their parents, highest first; sources
    (nodes without parents) come last. Ties keep the order of ``nodes``.

    Examples:
        ```python
        from dlref.graphs import layered_layout

        edges = [("x", "mul"), ("w", "mul"), ("mul", "add"), ("b", "add")]
        where = layered_layout(["x", "w", "b", "mul", "add"], edges)
        print(where)
        assert where["x"] == (0.0, 0.5) and where["w"] == (0.0, -0.5)
        assert where["mul"] == (1.0, 0.5) and where["b"] == (1.0, -0.5)  # the source b: below
        assert where["add"] == (2.0, 0.0)
        ```
    """
    depth = depths(nodes, edges)
    parents: dict[N, list[N]] = defaultdict(list)
    for parent, child in edges:
        parents[child].append(parent)
    columns: dict[int, list[N]] = defaultdict(list)
    for n in nodes:
        columns[depth[n]].append(n)
    position: dict[N, tuple[float, float]] = {}
    for x in sorted(columns):
        column = columns[x]
        if x > 0:

            def height(n: N) -> float:
                ys = [position[p][1] for p in parents[n]]
                return -sum(ys) / len(ys) if ys else float("inf")  # sources go last

            column = sorted(column, key=height)
        top = (len(column) - 1) / 2
        for i, n in enumerate(column):
            position[n] = (float(x), top - i)
    return position


def draw_value_graph(ax: Axes, root: Value, *, show_grad: bool = True) -> list[Value]:
    """Draw the graph ending at ``root`` on ``ax``; return ``root.topological_order()``.

    Each node is a box reading ``#k label`` (or the operation when unlabelled),
    its ``data`` and, with ``show_grad``, its ``grad``; ``k`` is the node's index
    in the topological order, so the backward pass visits the boxes in the order
    ``#n-1, ..., #1, #0``. Leaves are drawn in one colour, computed nodes in another.

    Examples:
        ```python
        import matplotlib.pyplot as plt
        from dlref.autograd import Value
        from dlref.graphs import draw_value_graph
        from dlref.plot import figure

        x, w = Value(2.0, label="x"), Value(-0.5, label="w")
        y = (x * w).tanh()
        y.backward()
        fig, ax = figure()
        order = draw_value_graph(ax, y)
        boxes = [t.get_text() for t in ax.texts if t.get_text()]
        plt.close(fig)
        print(boxes[-1])
        assert order[-1] is y and len(boxes) == 4
        assert boxes[-1].startswith("#3  tanh")
        ```
    """
    order = root.topological_order()
    edges = graph_edges(root)
    where = layered_layout(order, edges)
    index = {node: k for k, node in enumerate(order)}
    for parent, child in edges:
        span = where[child][0] - where[parent][0]
        bend = -0.25 if span > 1 else 0.0  # an edge that skips columns arcs over them
        ax.annotate(
            "",
            xy=where[child],
            xytext=where[parent],
            arrowprops={
                "arrowstyle": "-|>",
                "color": "0.45",
                "shrinkA": 24,
                "shrinkB": 24,
                "connectionstyle": f"arc3,rad={bend}",
            },
        )
    for node in order:
        name = node.label or node.op or "const"
        lines = [f"#{index[node]}  {name}", f"data {node.data:.3g}"]
        if show_grad:
            lines.append(f"grad {node.grad:.3g}")
        colour = COLORS[0] if node.parents else COLORS[1]
        ax.text(
            *where[node],
            "\n".join(lines),
            ha="center",
            va="center",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": colour},
        )
    xs = [p[0] for p in where.values()]
    ys = [p[1] for p in where.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.set_axis_off()
    return order
