"""A scalar reverse-mode autograd engine, small enough to read in one sitting.

A ``Value`` holds a number (``data``), the derivative of the final output
with respect to it (``grad``), the values it was computed from (``parents``) and
the operation's name (``op``). Each operation computes its result and, right
beside it, a closure ``_backward`` applying the chain rule locally: it adds
``local derivative × out.grad`` to each parent's grad. ``Value.backward``
runs the closures in reverse topological order, so a node's grad is complete
before it is passed on; a value used in several places gets one ``+=`` per use,
which is how the chain rule sums over paths.

>>> a, b = Value(2.0), Value(-3.0)
>>> c = a * b + a
>>> c.backward()
>>> a.grad, b.grad  # dc/da = b + 1, dc/db = a
(-2.0, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable

Number = int | float


class Value:
    """A scalar in a computation graph, with the gradient of the graph's output.

    Examples:
        ```python
        import torch
        from dlref.autograd import Value

        a, b = Value(0.5), Value(-1.5)
        out = (a * b).sigmoid() + a / b
        out.backward()

        ta = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
        tb = torch.tensor(-1.5, dtype=torch.float64, requires_grad=True)
        torch_out = torch.sigmoid(ta * tb) + ta / tb
        torch_out.backward()
        print(a.grad, ta.grad.item())
        assert abs(out.data - torch_out.item()) < 1e-12
        assert abs(a.grad - ta.grad.item()) < 1e-12 and abs(b.grad - tb.grad.item()) < 1e-12
        ```
    """

    __slots__ = ("_backward", "data", "grad", "label", "op", "parents")

    def __init__(
        self, data: float, parents: tuple[Value, ...] = (), op: str = "", label: str = ""
    ) -> None:
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self.op = op
        self.label = label
        self._backward: Callable[[], None] = lambda: None

    def __repr__(self) -> str:
        op = f", op={self.op!r}" if self.op else ""
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{op}{label})"

    def __add__(self, other: Value | Number) -> Value:
        """a + b. Local derivatives: d/da = 1, d/db = 1."""
        other = _lift(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __sub__(self, other: Value | Number) -> Value:
        """a - b. Local derivatives: d/da = 1, d/db = -1."""
        other = _lift(other)
        out = Value(self.data - other.data, (self, other), "-")

        def _backward() -> None:
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | Number) -> Value:
        """a * b. Local derivatives: d/da = b, d/db = a."""
        other = _lift(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other: Value | Number) -> Value:
        """a / b (ZeroDivisionError at b = 0). Local derivatives: d/da = 1/b, d/db = -a/b²."""
        other = _lift(other)
        out = Value(self.data / other.data, (self, other), "/")

        def _backward() -> None:
            self.grad += out.grad / other.data
            other.grad -= self.data / other.data**2 * out.grad

        out._backward = _backward
        return out

    def __pow__(self, n: Number) -> Value:
        """a ** n for a plain number n. Local derivative: d/da = n · a^(n-1)."""
        if isinstance(n, bool) or not isinstance(n, int | float):
            raise TypeError("Value ** n supports only an int or float exponent")
        out = Value(math.pow(self.data, n), (self,), f"**{n}")  # ValueError for (-2) ** 0.5

        def _backward() -> None:
            self.grad += n * self.data ** (n - 1) * out.grad

        out._backward = _backward
        return out

    # Reflected forms: `2 + v` and `2 * v` are `v + 2` and `v * 2`; `2 - v` and `2 / v` lift the 2.
    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other: Number) -> Value:
        return _lift(other) - self

    def __rtruediv__(self, other: Number) -> Value:
        return _lift(other) / self

    def __neg__(self) -> Value:
        """-a, computed as a * -1. Local derivative: -1."""
        return self * -1

    def _unary(self, result: float, local_derivative: float, op: str) -> Value:
        out = Value(result, (self,), op)

        def _backward() -> None:
            self.grad += local_derivative * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        """e^a. Local derivative: e^a (the output itself)."""
        e = math.exp(self.data)
        return self._unary(e, e, "exp")

    def log(self) -> Value:
        """Natural log of a > 0 (ValueError otherwise). Local derivative: 1/a."""
        return self._unary(math.log(self.data), 1.0 / self.data, "log")

    def tanh(self) -> Value:
        """tanh(a). Local derivative: 1 - tanh(a)²."""
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t * t, "tanh")

    def relu(self) -> Value:
        """max(a, 0). Local derivative: 1 if a > 0 else 0 (0 at a = 0, as in torch)."""
        positive = self.data > 0
        return self._unary(self.data if positive else 0.0, 1.0 if positive else 0.0, "relu")

    def sigmoid(self) -> Value:
        """σ(a) = 1 / (1 + e^-a). Local derivative: σ(a)(1 - σ(a))."""
        x = self.data  # two forms of the same function, so that exp never overflows
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return self._unary(s, s * (1.0 - s), "sigmoid")

    def topological_order(self) -> list[Value]:
        """Every node of the graph ending at self, each once, parents before children.

        An iterative depth-first search, so graphs deeper than Python's recursion
        limit are fine. ``self`` is the last element.
        """
        order: list[Value] = []
        seen: set[Value] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif node not in seen:  # Values hash by identity
                seen.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in reversed(node.parents) if p not in seen)
        return order

    def backward(self) -> None:
        """Fill in ``grad`` of every node: d(self)/d(node).

        Intermediate (non-leaf) grads are reset to 0 first and recomputed, so they
        always hold this pass's gradients. Leaf grads (values with no parents)
        *accumulate*, as in torch: calling ``backward`` twice doubles them, and a
        training loop must zero the leaves' grads between steps.
        """
        order = self.topological_order()
        for node in order:
            if node.parents:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            node._backward()


def _lift(x: Value | Number) -> Value:
    """Wrap a plain number as a constant leaf; pass a Value through unchanged."""
    return x if isinstance(x, Value) else Value(x)


def graph_edges(root: Value) -> list[tuple[Value, Value]]:
    """The edges (parent, child) of the graph ending at root, in topological order.

    Examples:
        ```python
        from dlref.autograd import Value, graph_edges

        x = Value(3.0, label="x")
        y = x * x + 1
        edges = graph_edges(y)
        print([(parent.label or parent.op or parent.data, child.op) for parent, child in edges])
        product = edges[2][0]
        assert product.op == "*" and len(edges) == 4
        assert edges[:2] == [(x, product), (x, product)]  # x enters the product twice
        ```
    """
    return [(p, node) for node in root.topological_order() for p in node.parents]
