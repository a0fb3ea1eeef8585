r"""Critical points of a loss: the Hessian, its eigenvalues, and gradient descent near a saddle.

A loss $L(\theta)$ of a flat parameter vector $\theta \in \mathbb{R}^n$ has a
**critical point** where $\nabla L(\theta) = 0$. The second-order Taylor expansion

$$
L(\theta + \delta) \approx L(\theta) + \tfrac12\, \delta^\top H \delta,
\qquad H_{ij} = \frac{\partial^2 L}{\partial \theta_i\, \partial \theta_j},
$$

classifies it by the eigenvalues $\lambda_1 \le \dots \le \lambda_n$ of the symmetric
Hessian $H$: all positive, a (strict) local **minimum**; all negative, a local
**maximum**; some of each sign, a **saddle**; otherwise (zero eigenvalues and no
opposite signs) the second-order test cannot decide (**degenerate**). The fraction of
negative eigenvalues is the point's **index** (Dauphin et al. 2014).

``loss_of_parameters`` turns a model and a loss into such a function of one flat
vector (with ``torch.func.functional_call``); ``hessian`` is
``torch.autograd.functional.hessian``; ``finite_difference_hessian`` is an
independent second method built from central differences of the gradient;
``descend`` runs gradient descent (PyTorch's ``torch.optim.SGD``, so with optional
momentum) with optional seeded gradient noise. Use float64 throughout: finite
differences and the zero gradient of a critical point are only meaningful there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.func import functional_call

__all__ = [
    "CriticalPoint",
    "Descent",
    "analyze",
    "classify",
    "descend",
    "escape_steps",
    "finite_difference_hessian",
    "flat_parameters",
    "gradient",
    "hessian",
    "loss_of_parameters",
    "newton",
    "plateau_steps",
]

Scalar = Callable[[Tensor], Tensor]


def flat_parameters(model: nn.Module) -> Tensor:
    """All parameters of ``model`` in ``named_parameters`` order, as one detached vector.

    Examples:
        ```python
        import torch
        from dlref.hessian import flat_parameters

        model = torch.nn.Linear(3, 2)
        theta = flat_parameters(model)
        print(theta.shape)
        assert torch.equal(theta, torch.cat([model.weight.flatten(), model.bias]).detach())
        ```
    """
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def loss_of_parameters(
    model: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], x: Tensor, y: Tensor
) -> Scalar:
    r"""$\theta \mapsto$ ``loss_fn(model(x; θ), y)``: the loss as a function of one flat vector.

    ``θ`` is laid out like ``flat_parameters(model)``. The model's own parameters are
    not changed; ``torch.func.functional_call`` runs its forward pass with the values
    taken from ``θ``, so the function can be differentiated twice in ``θ``.

    Examples:
        ```python
        import torch
        from dlref.hessian import flat_parameters, loss_of_parameters

        torch.manual_seed(0)
        model = torch.nn.Linear(2, 1).double()
        x, y = torch.randn(8, 2, dtype=torch.float64), torch.randn(8, 1, dtype=torch.float64)
        loss = loss_of_parameters(model, torch.nn.functional.mse_loss, x, y)
        theta = flat_parameters(model)
        print(loss(theta))
        torch.testing.assert_close(loss(theta), torch.nn.functional.mse_loss(model(x), y))
        torch.testing.assert_close(loss(torch.zeros(3, dtype=torch.float64)), (y**2).mean())
        ```
    """
    named = [(name, p.shape, p.numel()) for name, p in model.named_parameters()]
    total = sum(size for _, _, size in named)

    def loss(theta: Tensor) -> Tensor:
        if theta.shape != (total,):
            raise ValueError(f"theta must have shape ({total},), got {tuple(theta.shape)}")
        pieces = theta.split([size for _, _, size in named])
        values = {name: t.reshape(shape) for (name, shape, _), t in zip(named, pieces, strict=True)}
        return loss_fn(functional_call(model, values, (x,)), y)

    return loss


def gradient(fn: Scalar, theta: Tensor) -> Tensor:
    """$\\nabla$ ``fn`` at ``theta``, by autograd (a new tensor without history).

    Examples:
        ```python
        import torch
        from dlref.hessian import gradient

        theta = torch.tensor([1.0, -2.0], dtype=torch.float64)
        print(gradient(lambda t: (t**3).sum(), theta))
        torch.testing.assert_close(gradient(lambda t: (t**3).sum(), theta), 3 * theta**2)
        ```
    """
    with torch.enable_grad():
        t = theta.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(fn(t), t)
    return g


def hessian(fn: Scalar, theta: Tensor) -> Tensor:
    r"""The Hessian $H_{ij} = \partial^2 f / \partial\theta_i \partial\theta_j$ of ``fn``.

    This is ``torch.autograd.functional.hessian`` (reverse mode applied twice) for a
    function of one flat vector; shape ``(n, n)``.

    Examples:
        ```python
        import torch
        from dlref.hessian import hessian

        a = torch.tensor([[2.0, 1.0], [1.0, -3.0]], dtype=torch.float64)
        theta = torch.tensor([0.5, 0.7], dtype=torch.float64)
        h = hessian(lambda t: 0.5 * t @ a @ t, theta)  # a quadratic: H = A everywhere
        print(h)
        torch.testing.assert_close(h, a)
        ```
    """
    h: Tensor = torch.autograd.functional.hessian(fn, theta.detach())
    return h


def finite_difference_hessian(fn: Scalar, theta: Tensor, step: float = 1e-5) -> Tensor:
    r"""The Hessian from central differences of the autograd gradient, column by column.

    $$
    H_{:, j} \approx \frac{\nabla L(\theta + h e_j) - \nabla L(\theta - h e_j)}{2h},
    $$

    with $h$ = ``step``: an error of order $h^2$ plus rounding of order
    $\epsilon_{\text{mach}} / h$, about $10^{-10}$ in float64 with the default step.
    The result is not symmetrised, so its asymmetry is itself a measure of the error.

    Examples:
        ```python
        import torch
        from dlref.hessian import finite_difference_hessian, hessian

        def fn(t: torch.Tensor) -> torch.Tensor:
            return torch.sin(t[0]) * t[1] ** 2 + t[0] * t[1]

        theta = torch.tensor([0.3, -1.2], dtype=torch.float64)
        by_differences = finite_difference_hessian(fn, theta)
        print(by_differences - hessian(fn, theta))
        torch.testing.assert_close(by_differences, hessian(fn, theta), rtol=0, atol=1e-8)
        ```
    """
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")
    base = theta.detach()
    columns = []
    for j in range(base.numel()):
        e = torch.zeros_like(base)
        e[j] = step
        columns.append((gradient(fn, base + e) - gradient(fn, base - e)) / (2 * step))
    return torch.stack(columns, dim=1)


def classify(eigenvalues: Tensor, tol: float = 1e-8) -> str:
    """The kind of a critical point from its Hessian's eigenvalues: minimum, maximum, saddle...

    Returns ``"minimum"``, ``"maximum"``, ``"saddle"`` or ``"degenerate"``.

    An eigenvalue counts as negative below ``-tol``, positive above ``tol``, zero in
    between. Some of each sign: a saddle (whatever the zeros). All positive: a
    minimum; all negative: a maximum. Anything else has zero eigenvalues and no
    opposite signs, and the second-order test cannot decide: ``"degenerate"``.

    Examples:
        ```python
        import torch
        from dlref.hessian import classify

        for values in ([1.0, 2.0], [-1.0, -0.5], [-1.0, 0.0, 3.0], [0.0, 2.0]):
            print(values, classify(torch.tensor(values)))
        assert classify(torch.tensor([-1.0, 0.0, 3.0])) == "saddle"
        assert classify(torch.tensor([1e-12, 2.0])) == "degenerate"  # flat along one direction
        ```
    """
    if tol < 0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    negative = bool((eigenvalues < -tol).any())
    positive = bool((eigenvalues > tol).any())
    if negative and positive:
        return "saddle"
    if bool((eigenvalues > tol).all()):
        return "minimum"
    if bool((eigenvalues < -tol).all()):
        return "maximum"
    return "degenerate"


@dataclass(frozen=True)
class CriticalPoint:
    """What ``analyze`` measured at one point.

    Examples:
        ```python
        import torch
        from dlref.hessian import CriticalPoint, analyze

        point = analyze(lambda t: t[0] ** 2 - t[1] ** 2, torch.zeros(2, dtype=torch.float64))
        print(point)
        assert isinstance(point, CriticalPoint)
        assert point.kind == "saddle" and point.index == 0.5 and point.gradient_norm == 0
        ```
    """

    point: Tensor
    loss: float
    gradient_norm: float
    eigenvalues: Tensor
    """The Hessian's eigenvalues, ascending (``torch.linalg.eigvalsh``)."""
    kind: str
    """``classify(eigenvalues, tol)``."""
    index: float
    """The fraction of eigenvalues below ``-tol``."""


def analyze(fn: Scalar, theta: Tensor, tol: float = 1e-8) -> CriticalPoint:
    """Loss, gradient norm, Hessian eigenvalues, kind and index of ``fn`` at ``theta``.

    ``theta`` need not be a critical point: ``gradient_norm`` says how close it is.

    Examples:
        ```python
        import torch
        from dlref.hessian import analyze

        bowl = analyze(lambda t: (t**2).sum() + t[0] * t[1], torch.zeros(3, dtype=torch.float64))
        print(bowl.eigenvalues)
        assert bowl.kind == "minimum" and bowl.index == 0.0
        # closed form: [[2, 1, 0], [1, 2, 0], [0, 0, 2]] has eigenvalues 1, 2, 3
        expected = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
        torch.testing.assert_close(bowl.eigenvalues, expected)
        ```
    """
    eigenvalues = torch.linalg.eigvalsh(hessian(fn, theta))
    with torch.no_grad():
        value = float(fn(theta.detach()))
    return CriticalPoint(
        point=theta.detach().clone(),
        loss=value,
        gradient_norm=float(torch.linalg.vector_norm(gradient(fn, theta))),
        eigenvalues=eigenvalues,
        kind=classify(eigenvalues, tol),
        index=float((eigenvalues < -tol).double().mean()),
    )


def newton(fn: Scalar, theta: Tensor, steps: int = 20, gtol: float = 1e-12) -> Tensor:
    r"""Newton's method for $\nabla L = 0$: $\theta \leftarrow \theta - H^{+} \nabla L$.

    $H^{+}$ is applied by least squares (``torch.linalg.lstsq``), so a singular
    Hessian is allowed. Newton's method looks for any zero of the gradient and
    converges to a nearby saddle as readily as to a minimum: it rescales every
    eigendirection by $1/\lambda$, which reverses the step along directions of
    negative curvature (the point of Dauphin et al. 2014). Stops after ``steps``
    steps or once $\lVert \nabla L \rVert \le$ ``gtol``. Returns the path, shape
    ``(T + 1, n)``.

    Examples:
        ```python
        import torch
        from dlref.hessian import newton

        from dlref.hessian import descend


        def fn(t: torch.Tensor) -> torch.Tensor:  # a saddle at 0, a maximum at (-2, 0)
            return t[0] ** 2 - t[1] ** 2 + t[0] ** 3 / 3


        start = torch.tensor([0.1, 0.2], dtype=torch.float64)
        path = newton(fn, start)
        print(len(path) - 1, path[-1])
        assert path[-1].abs().max() < 1e-12  # Newton walks into the saddle
        away = descend(fn, start, lr=0.1, steps=20).points[-1]
        assert away[1].abs() > 1.0  # gradient descent leaves it along -t[1]^2
        ```
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    current = theta.detach().clone()
    path = [current]
    for _ in range(steps):
        g = gradient(fn, current)
        if torch.linalg.vector_norm(g) <= gtol:
            break
        h = hessian(fn, current)
        current = current - torch.linalg.lstsq(h, g.unsqueeze(1)).solution.squeeze(1)
        path.append(current)
    return torch.stack(path)


@dataclass(frozen=True)
class Descent:
    """The record of one ``descend`` run: ``points`` ``(T + 1, n)`` and ``losses`` ``(T + 1,)``.

    Examples:
        ```python
        import torch
        from dlref.hessian import Descent, descend

        run = descend(lambda t: (t**2).sum(), torch.ones(2, dtype=torch.float64), lr=0.25, steps=3)
        print(run.losses)
        assert isinstance(run, Descent) and run.points.shape == (4, 2)
        torch.testing.assert_close(run.points[-1], torch.full((2,), 0.125, dtype=torch.float64))
        ```
    """

    points: Tensor
    losses: Tensor


def descend(
    fn: Scalar,
    theta: Tensor,
    *,
    lr: float,
    steps: int,
    momentum: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
) -> Descent:
    r"""Gradient descent on ``fn`` from ``theta`` with ``torch.optim.SGD``.

    Each step hands SGD the gradient $\nabla L(\theta_t) + \sigma \xi_t$, with
    $\sigma$ = ``noise`` and $\xi_t \sim \mathcal N(0, I)$ from a generator seeded
    with ``seed``; with ``momentum`` $\mu$ SGD keeps a velocity
    $v_{t+1} = \mu v_t + g_t$ and steps $\theta_{t+1} = \theta_t - \eta v_{t+1}$.
    ``fn``'s value is recorded at every point, the start included.

    Examples:
        ```python
        import torch
        from dlref.hessian import descend

        def quadratic(t: torch.Tensor) -> torch.Tensor:
            return 0.5 * (t[0] ** 2 + 4 * t[1] ** 2)

        run = descend(quadratic, torch.ones(2, dtype=torch.float64), lr=0.1, steps=10)
        k = torch.arange(11, dtype=torch.float64)
        closed_form = torch.stack((0.9**k, 0.6**k), dim=1)  # (1 - lr * curvature)^k
        print(run.points[-1])
        torch.testing.assert_close(run.points, closed_form)
        ```
    """
    if steps < 0 or lr <= 0 or noise < 0:
        raise ValueError(f"need steps >= 0, lr > 0, noise >= 0; got {steps}, {lr}, {noise}")
    p = theta.detach().clone().requires_grad_(True)
    optimizer = torch.optim.SGD([p], lr=lr, momentum=momentum)
    generator = torch.Generator().manual_seed(seed)
    points, losses = [p.detach().clone()], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = fn(p)
        loss.backward()
        losses.append(loss.detach())
        assert p.grad is not None
        if noise > 0:
            xi = torch.randn(p.shape, generator=generator, dtype=p.dtype).to(p.device)
            p.grad.add_(noise * xi)
        optimizer.step()
        points.append(p.detach().clone())
    with torch.no_grad():
        losses.append(fn(p).detach())
    return Descent(points=torch.stack(points), losses=torch.stack(losses))


def plateau_steps(losses: Tensor, level: float, band: float) -> int:
    """How many steps the loss stays within ``band`` of ``level`` before it first leaves.

    The index of the first entry with ``|losses[t] - level| > band`` (the length of
    ``losses`` when it never leaves).

    Examples:
        ```python
        import torch
        from dlref.hessian import plateau_steps

        losses = torch.tensor([1.0, 1.0, 0.999, 0.99, 0.5, 0.1])
        print(plateau_steps(losses, level=1.0, band=0.005))
        assert plateau_steps(losses, level=1.0, band=0.005) == 3
        assert plateau_steps(losses, level=1.0, band=1.0) == 6
        ```
    """
    if band < 0:
        raise ValueError(f"band must be >= 0, got {band}")
    outside = ((losses - level).abs() > band).nonzero()
    return int(outside[0, 0]) if outside.numel() else int(losses.numel())


def escape_steps(
    eigenvalue: float, lr: float, start: float, end: float, momentum: float = 0.0
) -> float:
    r"""Steps gradient descent needs to grow a displacement from ``start`` to ``end``.

    Near a saddle the component $\delta$ along an eigenvector with eigenvalue
    $\lambda < 0$ obeys, for linearised gradient descent with learning rate $\eta$,
    $\delta_{t+1} = (1 + \eta|\lambda|)\, \delta_t$: it grows geometrically, by a
    factor $r$ per step, and reaches ``end`` after

    $$
    t = \frac{\ln(\text{end} / \text{start})}{\ln r}
    $$

    steps. With heavy-ball momentum $\mu$ (``torch.optim.SGD``'s rule) the component
    obeys $\delta_{t+1} = (1 + \mu + \eta|\lambda|)\, \delta_t - \mu\, \delta_{t-1}$,
    and $r$ is the larger root of $r^2 - (1 + \mu + \eta|\lambda|)\, r + \mu = 0$
    (the rate the growth settles to; the first steps, which start without velocity,
    are slower). Dividing the start by ten adds the same number of steps,
    $\ln 10 / \ln r$: the length of a plateau grows with the logarithm of how close
    to the saddle the run began.

    Examples:
        ```python
        from dlref.hessian import escape_steps

        t = escape_steps(-2.0, lr=0.05, start=1e-6, end=1e-2)
        print(t)
        assert abs(1e-6 * (1 + 0.05 * 2.0) ** t - 1e-2) < 1e-12
        # momentum: iterate the recurrence and compare the growth per step
        lr, mu, lam = 0.05, 0.9, 2.0
        previous, current = 1.0, 1.0 + lr * lam
        for _ in range(200):
            previous, current = current, (1 + mu + lr * lam) * current - mu * previous
        rate = (1e-2 / 1e-6) ** (1 / escape_steps(-lam, lr, 1e-6, 1e-2, momentum=mu))
        assert abs(current / previous - rate) < 1e-9
        ```
    """
    if eigenvalue >= 0 or lr <= 0 or not 0 < start < end or not 0 <= momentum < 1:
        raise ValueError(
            "need eigenvalue < 0, lr > 0, 0 < start < end, 0 <= momentum < 1; "
            f"got {eigenvalue}, {lr}, {start}, {end}, {momentum}"
        )
    a = 1 + momentum + lr * abs(eigenvalue)
    rate = (a + math.sqrt(a * a - 4 * momentum)) / 2
    return math.log(end / start) / math.log(rate)
