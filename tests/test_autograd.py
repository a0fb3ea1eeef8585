"""dlref.autograd against torch.autograd (float64), plus the engine's documented edge cases."""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable

import pytest
import torch

from dlref.autograd import Value, graph_edges

TOL = 1e-9

# An expression is built twice in lockstep: once from Values, once from float64 tensors.
Pair = tuple[Value, torch.Tensor]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(b))


def _leaf_pair(x: float) -> Pair:
    return Value(x), torch.tensor(x, dtype=torch.float64, requires_grad=True)


def _tame(p: Pair) -> Pair:
    """Squash a value that grew large, so that exp and products stay finite."""
    return (p[0].tanh(), torch.tanh(p[1])) if abs(p[0].data) > 50 else p


def _positive(p: Pair) -> Pair:
    """p itself when comfortably > 0, else p² + 0.5 (a domain guard for log, ** 0.5, ...)."""
    if p[0].data > 0.1:
        return p
    return p[0] * p[0] + 0.5, p[1] * p[1] + 0.5


def _nonzero(p: Pair) -> Pair:
    """p itself when comfortably away from 0, else p² + 1 (a guard for division)."""
    if abs(p[0].data) > 0.1:
        return p
    return p[0] * p[0] + 1, p[1] * p[1] + 1


BINARY: list[Callable[[Pair, Pair], Pair]] = [
    lambda a, b: (a[0] + b[0], a[1] + b[1]),
    lambda a, b: (a[0] - b[0], a[1] - b[1]),
    lambda a, b: (a[0] * b[0], a[1] * b[1]),
    lambda a, b: (lambda d: (a[0] / d[0], a[1] / d[1]))(_nonzero(b)),
]


def _unary(rng: random.Random, a: Pair) -> Pair:
    kind = rng.choice(["neg", "exp", "log", "tanh", "relu", "sigmoid", "pow", "const"])
    v, t = a
    if kind == "neg":
        return -v, -t
    if kind == "exp":
        return v.exp(), torch.exp(t)
    if kind == "log":
        v, t = _positive(a)
        return v.log(), torch.log(t)
    if kind == "tanh":
        return v.tanh(), torch.tanh(t)
    if kind == "relu":
        return v.relu(), torch.relu(t)
    if kind == "sigmoid":
        return v.sigmoid(), torch.sigmoid(t)
    if kind == "pow":
        n = rng.choice([2, 3, -1, -2, 0.5, 1.5, -0.5, 2.0])
        if isinstance(n, float) and not n.is_integer():
            v, t = _positive(a)
        elif n < 0:
            v, t = _nonzero(a)
        return v**n, t**n
    # A plain number on either side, so the reflected operators are exercised.
    c = rng.choice([-2.0, -0.5, 0.5, 1.5, 3.0])
    op = rng.choice(["radd", "rsub", "rmul", "rdiv", "add", "sub", "mul", "div"])
    if op == "rdiv":
        v, t = _nonzero(a)
    if op == "radd":
        return c + v, c + t
    if op == "rsub":
        return c - v, c - t
    if op == "rmul":
        return c * v, c * t
    if op == "rdiv":
        return c / v, c / t
    if op == "add":
        return v + c, t + c
    if op == "sub":
        return v - c, t - c
    if op == "mul":
        return v * c, t * c
    return v / c, t / c


def _random_expression(rng: random.Random, leaves: list[Pair], depth: int) -> Pair:
    if depth == 0 or rng.random() < 0.1:
        return rng.choice(leaves)  # leaves are reused: their grads must accumulate
    if rng.random() < 0.4:
        out = _unary(rng, _random_expression(rng, leaves, depth - 1))
    else:
        left = _random_expression(rng, leaves, depth - 1)
        right = _random_expression(rng, leaves, depth - 1)
        out = rng.choice(BINARY)(left, right)
    return _tame(out)


@pytest.mark.parametrize("seed", range(200))
def test_random_expressions_match_torch(seed: int) -> None:
    rng = random.Random(seed)
    leaves = [_leaf_pair(rng.uniform(-2.0, 2.0)) for _ in range(rng.randint(1, 4))]
    out_v, out_t = _random_expression(rng, leaves, depth=rng.randint(3, 8))
    assert _close(out_v.data, out_t.item())
    if not out_t.requires_grad:  # the expression did not touch any leaf
        return
    out_v.backward()
    out_t.backward()
    for v, t in leaves:
        expected = 0.0 if t.grad is None else t.grad.item()
        assert _close(v.grad, expected), (seed, v, expected)


def test_each_operation_matches_torch() -> None:
    x0, y0 = 0.7, -1.3
    cases: list[tuple[Callable[[Value, Value], Value], Callable[..., torch.Tensor]]] = [
        (lambda x, y: x + y, lambda x, y: x + y),
        (lambda x, y: x - y, lambda x, y: x - y),
        (lambda x, y: x * y, lambda x, y: x * y),
        (lambda x, y: x / y, lambda x, y: x / y),
        (lambda x, y: x**3 + y**-2, lambda x, y: x**3 + y**-2),
        (lambda x, y: x**0.5 * y, lambda x, y: x**0.5 * y),
        (lambda x, y: -x * y.exp(), lambda x, y: -x * torch.exp(y)),
        (lambda x, y: x.log() + y.tanh(), lambda x, y: torch.log(x) + torch.tanh(y)),
        (lambda x, y: x.relu() + y.relu(), lambda x, y: torch.relu(x) + torch.relu(y)),
        (lambda x, y: x.sigmoid() * y.sigmoid(), lambda x, y: torch.sigmoid(x) * torch.sigmoid(y)),
    ]
    for f_v, f_t in cases:
        x, y = Value(x0), Value(y0)
        xt, yt = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x0, y0))
        out, out_t = f_v(x, y), f_t(xt, yt)
        out.backward()
        out_t.backward()
        assert _close(out.data, out_t.item())
        assert xt.grad is not None and yt.grad is not None
        assert _close(x.grad, xt.grad.item()) and _close(y.grad, yt.grad.item())


def test_reflected_operators() -> None:
    a = Value(4.0)
    for expr, value, grad in [
        (lambda: 2 + a, 6.0, 1.0),
        (lambda: 2 - a, -2.0, -1.0),
        (lambda: 2 * a, 8.0, 2.0),
        (lambda: 2 / a, 0.5, -2.0 / 16.0),
        (lambda: 2.5 + a, 6.5, 1.0),
    ]:
        a.grad = 0.0
        out = expr()
        assert isinstance(out, Value)
        out.backward()
        assert out.data == pytest.approx(value) and a.grad == pytest.approx(grad)


def test_reused_node_accumulates() -> None:
    a = Value(3.0)
    out = a * a + a  # d/da = 2a + 1
    out.backward()
    assert a.grad == 7.0
    b = Value(-2.0)
    c = b * 3
    d = c * c + c.tanh()  # c reused through two paths
    d.backward()
    assert b.grad == pytest.approx((2 * c.data + 1 - math.tanh(c.data) ** 2) * 3)


def test_relu_derivative_at_zero_is_zero_like_torch() -> None:
    a = Value(0.0)
    a.relu().backward()
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch.relu(t).backward()
    assert a.grad == 0.0 == t.grad


def test_deep_chain_does_not_hit_recursion_limit() -> None:
    depth = 5000
    assert depth > sys.getrecursionlimit()
    x = Value(0.5)
    y = x
    for i in range(depth):
        y = y * 1.0001 if i % 2 else y + 0.001
    y.backward()
    assert len(y.topological_order()) == 2 * depth + 1  # x, then a node and a constant per step
    assert x.grad == pytest.approx(1.0001 ** (depth // 2), rel=1e-12)


def test_backward_twice_accumulates_leaves_only() -> None:
    # Documented: leaf grads accumulate like torch's; intermediate grads are recomputed.
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + a
    d.backward()
    d.backward()
    assert (a.grad, b.grad) == (2 * (b.data + 1), 2 * a.data)
    assert (c.grad, d.grad) == (1.0, 1.0)
    at, bt = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (2.0, -3.0))
    dt = at * bt + at
    dt.backward(retain_graph=True)
    dt.backward()
    assert (a.grad, b.grad) == (at.grad.item(), bt.grad.item())  # type: ignore[union-attr]


def test_topological_order_and_edges() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    order = d.topological_order()
    assert order[-1] is d and len(order) == len(set(order)) == 4
    position = {node: i for i, node in enumerate(order)}
    edges = graph_edges(d)
    assert len(edges) == 4  # a->c, b->c, c->d, a->d
    assert all(position[parent] < position[child] for parent, child in edges)
    assert {(p.label or p.op, ch.op) for p, ch in edges} == {
        ("a", "*"),
        ("b", "*"),
        ("*", "+"),
        ("a", "+"),
    }


def test_repr_and_errors() -> None:
    a = Value(2.0, label="w")
    assert repr(a) == "Value(data=2, grad=0, label='w')"
    assert "op='*'" in repr(a * 3)
    with pytest.raises(ValueError):
        Value(-1.0).log()
    with pytest.raises(ZeroDivisionError):
        _ = a / 0
    with pytest.raises(TypeError):
        _ = a ** Value(2.0)  # type: ignore[operator]
