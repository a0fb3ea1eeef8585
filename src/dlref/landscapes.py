r"""Two-dimensional test functions for optimizers, and a runner that records the path.

A ``Landscape`` is a function $f(x, y)$ with its gradient written out
by hand and its minimiser known, so a path can be drawn on its contours and its
distance to the answer measured at every step:

* ``quadratic`` - an ill-conditioned bowl, $f = \tfrac12 (u^2 + \kappa v^2)$
  in coordinates $(u, v)$ rotated by a chosen angle;
* ``rosenbrock`` - the banana valley $f = (a - x)^2 + b (y - x^2)^2$.

``run`` applies any ``torch.optim``-style optimizer class (``torch.optim.Adam``,
``dlref.optim.SGD``, ...) to a start point: at each step it writes the gradient,
optionally plus seeded Gaussian noise, into ``p.grad`` and calls ``step()``. All
arithmetic is float64 on the CPU, so paths repeat exactly.

>>> import torch
>>> path = run(torch.optim.SGD, quadratic(condition=10.0), (1.0, 1.0), steps=200, lr=0.1)
>>> path.steps_to_tol is not None
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer

__all__ = ["Landscape", "Trajectory", "quadratic", "rosenbrock", "run"]

F64 = torch.float64


@dataclass(frozen=True)
class Landscape:
    """A differentiable function of a point ``p = (x, y)``, its gradient and its minimiser.

    ``value`` and ``gradient`` take a float64 tensor of shape ``(..., 2)`` and return
    shapes ``(...)`` and ``(..., 2)``. ``minimum`` is the (unique) minimiser.

    Examples:
        ```python
        import torch
        from dlref.landscapes import Landscape, quadratic, rosenbrock

        p = torch.tensor([[-1.2, 1.0], [0.3, 0.4]], dtype=torch.float64, requires_grad=True)
        for land in (quadratic(25.0, angle=0.5), rosenbrock()):
            assert isinstance(land, Landscape)
            (by_autograd,) = torch.autograd.grad(land(p).sum(), p)
            torch.testing.assert_close(land.gradient(p), by_autograd)
            assert land(torch.tensor(land.minimum, dtype=torch.float64)) == 0
            x, y, z = land.grid((-1.0, 1.0), (-1.0, 2.0), n=5)
            torch.testing.assert_close(z[2, 3], land(torch.stack((x[2, 3], y[2, 3]))))
            print(land.name)
        ```
    """

    name: str
    value: Callable[[Tensor], Tensor]
    gradient: Callable[[Tensor], Tensor]
    minimum: tuple[float, float]

    def __call__(self, p: Tensor) -> Tensor:
        return self.value(p)

    def grid(
        self, xlim: tuple[float, float], ylim: tuple[float, float], n: int = 200
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``(X, Y, Z)`` on an ``n × n`` grid, ready for ``ax.contour(X, Y, Z)``."""
        xs = torch.linspace(xlim[0], xlim[1], n, dtype=F64)
        ys = torch.linspace(ylim[0], ylim[1], n, dtype=F64)
        gx, gy = torch.meshgrid(xs, ys, indexing="xy")
        return gx, gy, self.value(torch.stack((gx, gy), dim=-1))


def quadratic(condition: float = 25.0, angle: float = 0.0) -> Landscape:
    r"""An ill-conditioned quadratic bowl with its minimum at the origin.

    $$
    f(p) = \tfrac12\, p^\top H p, \qquad H = R \operatorname{diag}(1, \kappa) R^\top,
    \qquad \nabla f(p) = H p,
    $$

    where $\kappa$ is ``condition`` (the ratio of the largest to the smallest
    curvature) and $R$ rotates by ``angle`` radians. With ``angle = 0`` the axes
    of the ellipses are the coordinate axes, which flatters optimizers that scale each
    coordinate separately (Adagrad, RMSprop, Adam); a rotated bowl does not.
    Gradient descent with learning rate $\gamma$ is stable iff $\gamma < 2/\kappa$.

    Examples:
        ```python
        import torch
        from dlref.landscapes import quadratic

        bowl = quadratic(condition=25.0, angle=0.3)
        origin = torch.zeros(2, dtype=torch.float64)
        curvatures = torch.linalg.eigvalsh(torch.autograd.functional.hessian(bowl.value, origin))
        print(curvatures)
        torch.testing.assert_close(curvatures, torch.tensor([1.0, 25.0], dtype=torch.float64))
        ```
    """
    if condition < 1:
        raise ValueError(f"condition must be >= 1, got {condition}")
    c, s = math.cos(angle), math.sin(angle)
    rotation = torch.tensor([[c, -s], [s, c]], dtype=F64)
    hessian = rotation @ torch.diag(torch.tensor([1.0, condition], dtype=F64)) @ rotation.T

    def value(p: Tensor) -> Tensor:
        return 0.5 * ((p @ hessian) * p).sum(-1)

    def gradient(p: Tensor) -> Tensor:
        return p @ hessian  # H is symmetric, so p H = (H p)^T

    return Landscape(f"quadratic(κ={condition:g})", value, gradient, (0.0, 0.0))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Landscape:
    r"""Rosenbrock's banana function, minimum $f = 0$ at $(a, a^2)$.

    $$
    \begin{aligned}
    f(x, y) &= (a - x)^2 + b\,(y - x^2)^2 \\
    \partial f/\partial x &= -2(a - x) - 4 b\, x\, (y - x^2), \qquad
    \partial f/\partial y = 2 b\, (y - x^2)
    \end{aligned}
    $$

    The floor of the curved valley $y = x^2$ is nearly flat along its length and
    steep across it (curvature about $2b(1 + 4x^2)$ across, about 2 along).

    Examples:
        ```python
        import torch
        from dlref.landscapes import rosenbrock

        banana = rosenbrock(a=2.0, b=10.0)
        best = torch.tensor(banana.minimum, dtype=torch.float64)
        print(banana.minimum, banana(best), banana.gradient(best))
        assert banana.minimum == (2.0, 4.0) and banana(best) == 0
        assert torch.equal(banana.gradient(best), torch.zeros(2, dtype=torch.float64))
        p = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
        (by_autograd,) = torch.autograd.grad(banana(p), p)
        torch.testing.assert_close(banana.gradient(p), by_autograd)
        ```
    """

    def value(p: Tensor) -> Tensor:
        x, y = p[..., 0], p[..., 1]
        return (a - x) ** 2 + b * (y - x**2) ** 2

    def gradient(p: Tensor) -> Tensor:
        x, y = p[..., 0], p[..., 1]
        valley = y - x**2
        return torch.stack((-2 * (a - x) - 4 * b * x * valley, 2 * b * valley), dim=-1)

    return Landscape(f"rosenbrock(a={a:g}, b={b:g})", value, gradient, (a, a * a))


@dataclass(frozen=True)
class Trajectory:
    r"""The path of one run of ``run``.

    ``points`` has shape ``(T + 1, 2)`` (or ``(T + 1, k, 2)`` for ``k`` start points run
    together): the start, then the point after each of the ``T`` steps taken.
    ``gradients`` has shape ``(T, ...)``: the gradient (noise included) handed to step
    ``t``. ``distances`` is $\lVert p_t - p^\star\rVert$ for every point.

    Examples:
        ```python
        import torch
        from dlref.landscapes import quadratic, run

        path = run(torch.optim.SGD, quadratic(4.0), start=(1.0, 1.0), steps=100, lr=0.1)
        print(path.steps, path.steps_to_tol, path.final_distance)
        assert path.points.shape == (101, 2) and path.gradients.shape == (100, 2)
        # plain SGD: every point is the one before minus lr times its gradient
        torch.testing.assert_close(path.points[1:], path.points[:-1] - 0.1 * path.gradients)
        t = path.steps_to_tol
        assert path.distances[t] <= path.tol < path.distances[t - 1]
        ```
    """

    points: Tensor
    gradients: Tensor
    values: Tensor
    distances: Tensor
    tol: float
    steps_to_tol: int | None
    """First step ``t`` with ``distances[t] <= tol`` (every run, for a batch); None if never."""
    diverged: bool
    """True when the run stopped at a non-finite point or beyond ``bound``."""
    optimizer: Optimizer

    @property
    def steps(self) -> int:
        """How many steps were taken (fewer than asked when the run stopped early)."""
        return self.points.shape[0] - 1

    @property
    def final_distance(self) -> float:
        """Largest distance to the minimiser at the last point."""
        return float(self.distances[-1].max())


def run(
    optimizer: Callable[..., Optimizer],
    landscape: Landscape,
    start: Sequence[float] | Sequence[Sequence[float]] | Tensor,
    *,
    steps: int,
    tol: float = 1e-3,
    noise: float = 0.0,
    seed: int = 0,
    stop_at_tol: bool = False,
    bound: float = 1e6,
    **hyper: Any,
) -> Trajectory:
    r"""Minimise ``landscape`` from ``start`` with ``optimizer(params, **hyper)``.

    Each step sets ``p.grad`` to $\nabla f(p) + \sigma\,\xi_t$, with
    $\sigma$ = ``noise`` and $\xi_t \sim \mathcal N(0, I)$ drawn from a
    generator seeded with ``seed``, then calls ``optimizer.step()``. ``start`` is one
    point ``(x, y)`` or ``k`` points of shape ``(k, 2)``; ``k`` points are one tensor
    handed to one optimizer, which is the same as ``k`` separate runs for optimizers
    that act coordinate by coordinate (all of ``torch.optim``'s SGD, Adagrad, RMSprop,
    Adam and AdamW do).

    The run stops after ``steps`` steps; earlier at a non-finite point or one farther
    than ``bound`` from the minimiser (``diverged``), and, with ``stop_at_tol``, as
    soon as every point is within ``tol`` of the minimiser.

    Examples:
        ```python
        import torch
        from dlref.landscapes import quadratic, run

        bowl = quadratic(condition=10.0)  # f = (x^2 + 10 y^2) / 2
        path = run(torch.optim.SGD, bowl, start=(1.0, 1.0), steps=20, lr=0.15)
        t = torch.arange(21, dtype=torch.float64)
        closed_form = torch.stack(((1 - 0.15 * 1) ** t, (1 - 0.15 * 10) ** t), dim=1)
        torch.testing.assert_close(path.points, closed_form)
        too_fast = run(torch.optim.SGD, bowl, start=(1.0, 1.0), steps=200, lr=0.21)  # 2/κ = 0.2
        print(too_fast.diverged, too_fast.steps)
        assert too_fast.diverged and not path.diverged
        ```
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    p = torch.as_tensor(start, dtype=F64).detach().clone()
    if p.shape[-1] != 2 or p.dim() not in (1, 2):
        raise ValueError(f"start must have shape (2,) or (k, 2), got {tuple(p.shape)}")
    p.requires_grad_(True)
    target = torch.tensor(landscape.minimum, dtype=F64)
    generator = torch.Generator().manual_seed(seed)
    opt = optimizer([p], **hyper)
    tx, ty = landscape.minimum

    def farthest(q: Tensor) -> float:
        """Largest distance to the minimiser (NaN for a non-finite point)."""
        if q.dim() == 1:  # plain floats: a third of the time of tensor ops on two numbers
            x, y = q.tolist()
            return math.hypot(x - tx, y - ty)
        return float(torch.linalg.vector_norm(q - target, dim=-1).max())

    points = [p.detach().clone()]
    gradients: list[Tensor] = []
    reached = 0 if farthest(points[0]) <= tol else None
    diverged = False
    for t in range(1, steps + 1):
        if reached is not None and stop_at_tol:
            break
        with torch.no_grad():
            g = landscape.gradient(p)
            if noise > 0:
                g = g + noise * torch.randn(p.shape, generator=generator, dtype=F64)
        p.grad = g
        gradients.append(g.clone())  # the optimizer may not keep p.grad intact
        opt.step()
        q = p.detach().clone()
        points.append(q)
        d = farthest(q)
        if not d <= bound:  # also true for NaN
            diverged = True
            break
        if reached is None and d <= tol:
            reached = t
    path = torch.stack(points)
    grads = torch.stack(gradients) if gradients else torch.empty((0, *p.shape), dtype=F64)
    with torch.no_grad():
        values = landscape.value(path)
    return Trajectory(
        points=path,
        gradients=grads,
        values=values,
        distances=torch.linalg.vector_norm(path - target, dim=-1),
        tol=tol,
        steps_to_tol=reached,
        diverged=diverged,
        optimizer=opt,
    )
