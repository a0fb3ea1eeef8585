"""Approximating functions: one-hidden-layer networks, Fourier and Taylor sums, threshold nets.

Everything here computes in float64 on the CPU: the problems are tiny, and a
least-squares solve or an error measured to many digits should not depend on
the device.

Errors are measured on a sorted grid $a = x_1 < \\dots < x_m = b$:

$$
\\|f - g\\|_\\infty \\approx \\max_i |f(x_i) - g(x_i)|, \\qquad
\\|f - g\\|_2 = \\Big(\\frac{1}{b - a}\\int_a^b (f - g)^2\\,dx\\Big)^{1/2}
$$

(the integral by the trapezoidal rule), so a constant error $e$ has both
norms equal to $e$.

A one-hidden-layer network of width $n$ on a scalar input is

$$
g(x) = c + \\sum_{i=1}^{n} a_i\\, \\varphi(w_i x + b_i).
$$

``fit_random_features`` draws the hidden weights $(w_i, b_i)$ at
random and fits only $(a, c)$ by linear least squares: a convex problem
with one exact answer, so the error it reaches is an honest upper bound on the
best error any network of that width can reach (training all weights could
only do better, if it found the optimum).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import torch
from torch import Tensor, nn
from torch.nn.utils import skip_init

from dlref import activations

Activation: TypeAlias = Literal["relu", "tanh", "sigmoid", "square"]
Target: TypeAlias = Callable[[Tensor], Tensor]

_F64 = torch.float64
_PHI: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": activations.relu,
    "tanh": activations.tanh,
    "sigmoid": activations.sigmoid,
    "square": torch.square,
}


class Square(nn.Module):
    """The polynomial activation φ(z) = z², as a module.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.approximation import Square

        layer = nn.Linear(1, 1)
        with torch.no_grad():
            layer.weight.fill_(3.0)
            layer.bias.fill_(1.0)
        x = torch.tensor([[-1.0], [0.0], [2.0]])
        print(nn.Sequential(layer, Square())(x).flatten())
        assert torch.equal(nn.Sequential(layer, Square())(x), (3 * x + 1) ** 2)
        ```
    """

    def forward(self, z: Tensor) -> Tensor:
        return torch.square(z)


_MODULES: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "square": Square,
}


def _as64(x: Tensor) -> Tensor:
    return x.detach().to(device="cpu", dtype=_F64)


# --- one hidden layer ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class OneHiddenLayer:
    """g(x) = c + Σ_i a_i φ(w_i x + b_i) on a scalar input (float64, CPU).

    ``weight`` (w), ``bias`` (b) and ``out_weight`` (a) have shape ``(width,)``;
    ``out_bias`` is c. Call it on a tensor of any shape: it applies elementwise.

    Examples:
        ```python
        import torch
        from dlref.approximation import OneHiddenLayer

        f64 = {"dtype": torch.float64}
        ramp = OneHiddenLayer(  # relu(x) - relu(x - 1) = clamp(x, 0, 1)
            weight=torch.tensor([1.0, 1.0], **f64),
            bias=torch.tensor([0.0, -1.0], **f64),
            out_weight=torch.tensor([1.0, -1.0], **f64),
            out_bias=0.0,
            activation="relu",
        )
        x = torch.linspace(-2, 3, 11, **f64)
        print(ramp(x))
        torch.testing.assert_close(ramp(x), x.clamp(0, 1))
        as_module = ramp.to_module()  # Linear(1, 2) -> ReLU -> Linear(2, 1)
        torch.testing.assert_close(as_module(x[:, None]).squeeze(1).detach(), x.clamp(0, 1))
        ```
    """

    weight: Tensor
    bias: Tensor
    out_weight: Tensor
    out_bias: float
    activation: Activation

    @property
    def width(self) -> int:
        return int(self.weight.numel())

    def features(self, x: Tensor) -> Tensor:
        """The hidden layer's outputs φ(w_i x + b_i), shape ``(x.numel(), width)``."""
        z = _as64(x).reshape(-1, 1) * self.weight + self.bias
        return _PHI[self.activation](z)

    def __call__(self, x: Tensor) -> Tensor:
        y = (self.features(x) * self.out_weight).sum(-1) + self.out_bias
        return y.reshape(x.shape)

    def to_module(self) -> nn.Sequential:
        """The same network as ``Linear(1, n) -> φ -> Linear(n, 1)`` in float64."""
        n = self.width
        # skip_init: no default initialisation, so the global random state is left alone
        first = skip_init(nn.Linear, 1, n, dtype=_F64)
        last = skip_init(nn.Linear, n, 1, dtype=_F64)
        with torch.no_grad():
            first.weight.copy_(self.weight.reshape(n, 1))
            first.bias.copy_(self.bias)
            last.weight.copy_(self.out_weight.reshape(1, n))
            last.bias.fill_(self.out_bias)
        return nn.Sequential(first, _MODULES[self.activation](), last)


def random_hidden_layer(
    width: int,
    lo: float,
    hi: float,
    *,
    activation: Activation = "relu",
    steepness: float | None = None,
    seed: int = 0,
) -> tuple[Tensor, Tensor]:
    """Random hidden weights ``(w, b)`` whose units switch inside ``[lo, hi]``.

    Unit i is φ(s_i (x - t_i)): its kink (ReLU) or centre (tanh, sigmoid) t_i is
    uniform on ``[lo, hi]`` and s_i has a random sign, so ``w_i = s_i`` and
    ``b_i = -s_i t_i``. For ReLU and the square |s_i| = 1 (ReLU is positively
    homogeneous, so the scale would be absorbed by the output weight); for
    tanh and sigmoid |s_i| is uniform on ``[0.5, 1.5] * steepness``, with
    ``steepness`` defaulting to ``2 * width / (hi - lo)`` so that a unit's
    transition is about as wide as the spacing between centres.

    Examples:
        ```python
        import torch
        from dlref.approximation import random_hidden_layer

        w, b = random_hidden_layer(8, -2.0, 3.0, seed=0)
        kinks = -b / w  # where relu(w x + b) bends
        print(w, kinks)
        assert (w.abs() == 1).all() and ((kinks >= -2) & (kinks <= 3)).all()
        w, b = random_hidden_layer(8, -2.0, 3.0, activation="tanh", seed=0)
        k = 2 * 8 / 5  # the default steepness
        assert ((w.abs() >= 0.5 * k) & (w.abs() <= 1.5 * k)).all()
        ```
    """
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    if not hi > lo:
        raise ValueError(f"need lo < hi, got [{lo}, {hi}]")
    if activation not in _PHI:
        raise ValueError(f"activation must be one of {sorted(_PHI)}, got {activation!r}")
    gen = torch.Generator().manual_seed(seed)
    centres = lo + (hi - lo) * torch.rand(width, generator=gen, dtype=_F64)
    signs = torch.randint(0, 2, (width,), generator=gen).to(_F64) * 2 - 1
    scale = torch.rand(width, generator=gen, dtype=_F64) + 0.5
    if activation in ("relu", "square"):
        slopes = signs
    else:
        k = steepness if steepness is not None else 2 * width / (hi - lo)
        slopes = signs * scale * k
    return slopes, -slopes * centres


def fit_random_features(
    target: Target,
    width: int,
    lo: float,
    hi: float,
    *,
    activation: Activation = "relu",
    n_train: int = 1000,
    steepness: float | None = None,
    seed: int = 0,
) -> OneHiddenLayer:
    """Fit ``target`` on ``[lo, hi]``: a random hidden layer, then the best output layer.

    The hidden layer comes from ``random_hidden_layer``; the output weights
    a and bias c minimise Σ_j (g(x_j) - f(x_j))² over ``n_train`` evenly spaced
    points, solved with a rank-revealing least-squares routine (so redundant
    features, such as many squares spanning only the quadratics, are fine).

    Examples:
        ```python
        import torch
        from dlref.approximation import fit_random_features, sup_error

        x = torch.linspace(-3, 3, 2001, dtype=torch.float64)


        def quadratic(t: torch.Tensor) -> torch.Tensor:
            return 3 * t**2 - t + 2


        squares = fit_random_features(quadratic, 5, -3.0, 3.0, activation="square")
        assert sup_error(quadratic, squares, x) < 1e-9  # squares span the quadratics exactly
        narrow, wide = (fit_random_features(torch.sin, n, -3.0, 3.0) for n in (5, 50))
        print(sup_error(torch.sin, narrow, x), sup_error(torch.sin, wide, x))
        assert sup_error(torch.sin, wide, x) < min(0.05, sup_error(torch.sin, narrow, x))
        ```
    """
    w, b = random_hidden_layer(width, lo, hi, activation=activation, steepness=steepness, seed=seed)
    x = torch.linspace(lo, hi, n_train, dtype=_F64)
    y = _as64(target(x)).reshape(-1)
    phi = _PHI[activation](x.reshape(-1, 1) * w + b)
    design = torch.cat([phi, torch.ones(n_train, 1, dtype=_F64)], dim=1)
    fit = torch.linalg.lstsq(design, y.reshape(-1, 1), driver="gelsd")
    solution = fit.solution.reshape(-1)
    return OneHiddenLayer(w, b, solution[:-1].clone(), float(solution[-1]), activation)


# --- error measures ---------------------------------------------------------------
def sup_error(target: Target, approx: Target, x: Tensor) -> float:
    """max_i |f(x_i) - g(x_i)| over the grid ``x``: the sup-norm error seen on the grid.

    Examples:
        ```python
        import math
        import torch
        from dlref.approximation import sup_error

        x = torch.linspace(0, 1, 101, dtype=torch.float64)
        err = sup_error(torch.sin, lambda t: t, x)  # sin x <= x, furthest apart at x = 1
        print(err)
        assert abs(err - (1 - math.sin(1))) < 1e-15
        ```
    """
    x = _as64(x)
    return float((_as64(target(x)) - _as64(approx(x))).abs().max())


def l2_error(target: Target, approx: Target, x: Tensor) -> float:
    """((1/(b-a)) ∫_a^b (f - g)² dx)^(1/2) by the trapezoidal rule on the sorted grid ``x``.

    Examples:
        ```python
        import math
        import torch
        from dlref.approximation import l2_error

        x = torch.linspace(0, 1, 1001, dtype=torch.float64)
        err = l2_error(lambda t: t, torch.zeros_like, x)  # (∫_0^1 x² dx)^(1/2) = 1/√3
        print(err)
        assert abs(err - 1 / math.sqrt(3)) < 1e-6
        ```
    """
    x = _as64(x).reshape(-1)
    if x.numel() < 2 or not bool((x[1:] >= x[:-1]).all()):
        raise ValueError("x must be a sorted grid with at least two points")
    sq = (_as64(target(x)).reshape(-1) - _as64(approx(x)).reshape(-1)) ** 2
    return math.sqrt(float(torch.trapezoid(sq, x)) / float(x[-1] - x[0]))


@dataclass(frozen=True)
class WidthError:
    """Median errors over several random draws of a one-hidden-layer fit of one width.

    Examples:
        ```python
        import torch
        from dlref.approximation import WidthError, width_sweep

        rows = width_sweep(torch.sin, [4, 32], -3.0, 3.0, draws=3)
        print(rows)
        assert all(isinstance(row, WidthError) for row in rows)
        assert rows[1].sup_error < rows[0].sup_error
        assert all(row.l2_error <= row.sup_error for row in rows)  # a mean never exceeds the max
        ```
    """

    width: int
    sup_error: float
    l2_error: float


def width_sweep(
    target: Target,
    widths: Sequence[int],
    lo: float,
    hi: float,
    *,
    activation: Activation = "relu",
    draws: int = 5,
    n_train: int = 1000,
    x_eval: Tensor | None = None,
    seed: int = 0,
) -> list[WidthError]:
    """Fit ``target`` at each width with ``fit_random_features``; median errors over ``draws``.

    Draw d uses ``seed + d``. Errors are measured on ``x_eval`` (default: 4001
    evenly spaced points of ``[lo, hi]``) with ``sup_error`` and ``l2_error``.

    Examples:
        ```python
        import statistics
        import torch
        from dlref.approximation import fit_random_features, sup_error, width_sweep

        (row,) = width_sweep(torch.sin, [10], -3.0, 3.0, draws=3, seed=7)
        grid = torch.linspace(-3, 3, 4001, dtype=torch.float64)
        fits = [fit_random_features(torch.sin, 10, -3.0, 3.0, seed=7 + d) for d in range(3)]
        print(row)
        assert row.sup_error == statistics.median(sup_error(torch.sin, f, grid) for f in fits)
        ```
    """
    grid = torch.linspace(lo, hi, 4001, dtype=_F64) if x_eval is None else _as64(x_eval)
    rows = []
    for n in widths:
        sups, l2s = [], []
        for d in range(draws):
            net = fit_random_features(
                target, n, lo, hi, activation=activation, n_train=n_train, seed=seed + d
            )
            sups.append(sup_error(target, net, grid))
            l2s.append(l2_error(target, net, grid))
        rows.append(WidthError(n, statistics.median(sups), statistics.median(l2s)))
    return rows


def sharpened_step(depth: int, slope: float = 1.0) -> nn.Sequential:
    """A ReLU network with ``depth`` hidden layers of two units whose ramp steepens with depth.

    Layer 1 computes the ramp g_0(x) = clamp(a x + 1/2, 0, 1) = relu(a x + 1/2) - relu(a x - 1/2)
    (a = ``slope``); each further layer applies s(y) = clamp(2y - 1/2, 0, 1)
    = relu(2y - 1/2) - relu(2y - 3/2), which halves the width of the rise. So
    g_k climbs from 0 to 1 over an interval of width 2^(-k)/a centred on 0, and
    g_k(0) = 1/2 exactly at every depth: a continuous network, however deep,
    passes through the midpoint of the step. Float64, on the CPU.

    Examples:
        ```python
        import torch
        from dlref.approximation import sharpened_step

        net = sharpened_step(depth=4)  # g_3 rises over a width of 2^-3 centred on 0
        x = torch.tensor([[-1 / 16], [-1 / 32], [0.0], [1 / 16]], dtype=torch.float64)
        print(net(x).flatten())
        assert net(x).flatten().tolist() == [0.0, 0.25, 0.5, 1.0]
        ```
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    first = skip_init(nn.Linear, 1, 2, dtype=_F64)
    last = skip_init(nn.Linear, 2, 1, dtype=_F64)
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[slope], [slope]], dtype=_F64))
        first.bias.copy_(torch.tensor([0.5, -0.5], dtype=_F64))
        last.weight.copy_(torch.tensor([[1.0, -1.0]], dtype=_F64))
        last.bias.zero_()
    layers: list[nn.Module] = [first, nn.ReLU()]
    for _ in range(depth - 1):
        sharpen = skip_init(nn.Linear, 2, 2, dtype=_F64)
        with torch.no_grad():
            sharpen.weight.copy_(torch.tensor([[2.0, -2.0], [2.0, -2.0]], dtype=_F64))
            sharpen.bias.copy_(torch.tensor([-0.5, -1.5], dtype=_F64))
        layers += [sharpen, nn.ReLU()]
    return nn.Sequential(*layers, last)


# --- Fourier and Taylor -------------------------------------------------------------


def square_wave(x: Tensor) -> Tensor:
    """sign(sin x): +1 on (0, π), -1 on (π, 2π), period 2π, 0 at the jumps (a jump of 2).

    Examples:
        ```python
        import math
        import torch
        from dlref.approximation import square_wave

        x = torch.tensor([0.0, 1.0, math.pi + 1.0, 2 * math.pi + 1.0], dtype=torch.float64)
        print(square_wave(x))
        assert square_wave(x).tolist() == [0.0, 1.0, -1.0, 1.0]
        ```
    """
    return torch.sign(torch.sin(x))


def square_wave_partial_sum(x: Tensor, n_terms: int) -> Tensor:
    """The N-term Fourier sum of the square wave.

    S_N(x) = (4/π) Σ_{k=1}^{N} sin((2k-1)x) / (2k-1).

    Examples:
        ```python
        import math
        import torch
        from dlref.approximation import square_wave_partial_sum

        middle = torch.tensor([math.pi / 2], dtype=torch.float64)
        s = square_wave_partial_sum(middle, 1000)  # (4/π)(1 - 1/3 + 1/5 - ...): Leibniz's series
        print(s)
        assert abs(s.item() - 1) < 1e-3
        ```
    """
    if n_terms < 1:
        raise ValueError(f"n_terms must be at least 1, got {n_terms}")
    k = torch.arange(1, 2 * n_terms, 2, dtype=x.dtype, device=x.device)
    return (4 / math.pi) * (torch.sin(x.unsqueeze(-1) * k) / k).sum(-1)


def gibbs_constant() -> float:
    """The limit of max S_N - 1 as a fraction of the jump 2: Si(π)/π - 1/2 ≈ 0.0894899.

    Si(π) = ∫_0^π sin(t)/t dt = Σ_{k≥0} (-1)^k π^(2k+1) / ((2k+1)(2k+1)!), summed
    until the terms vanish in float64.

    Examples:
        ```python
        import math
        import torch
        from dlref.approximation import gibbs_constant, square_wave_partial_sum

        t = torch.linspace(1e-12, math.pi, 100001, dtype=torch.float64)
        si = torch.trapezoid(torch.sin(t) / t, t).item()  # Si(π) by quadrature
        assert abs(gibbs_constant() - (si / math.pi - 0.5)) < 1e-9
        x = torch.linspace(0, math.pi / 2, 20001, dtype=torch.float64)
        overshoot = (square_wave_partial_sum(x, 200).max().item() - 1) / 2
        print(gibbs_constant(), overshoot)
        assert abs(overshoot - gibbs_constant()) < 1e-5
        ```
    """
    si = math.fsum(
        (-1) ** k * math.pi ** (2 * k + 1) / ((2 * k + 1) * math.factorial(2 * k + 1))
        for k in range(30)
    )
    return si / math.pi - 0.5


def taylor_sin(x: Tensor, degree: int) -> Tensor:
    """The degree-d Taylor polynomial of sin at 0.

    T_d(x) = Σ_{k : 2k+1 ≤ d} (-1)^k x^(2k+1) / (2k+1)!.

    Examples:
        ```python
        import torch
        from dlref.approximation import taylor_sin

        x = torch.linspace(-2, 2, 41, dtype=torch.float64)
        torch.testing.assert_close(taylor_sin(x, 5), x - x**3 / 6 + x**5 / 120)
        assert torch.equal(taylor_sin(x, 6), taylor_sin(x, 5))  # sin has no even terms
        print((torch.sin(x) - taylor_sin(x, 9)).abs().max())
        ```
    """
    if degree < 0:
        raise ValueError(f"degree must be non-negative, got {degree}")
    total = torch.zeros_like(x)
    for k in range((degree + 1) // 2):
        total = total + (-1) ** k * x ** (2 * k + 1) / float(math.factorial(2 * k + 1))
    return total


def taylor_sin_bound(x: Tensor, degree: int) -> Tensor:
    """Lagrange's bound: |sin x - T_d(x)| ≤ |x|^(D+1) / (D+1)!, D = (largest odd number ≤ d) + 1.

    T_d equals the Taylor polynomial of degree D (the even-order term after
    the last odd one is zero), and |sin^(D+1)| ≤ 1 everywhere.

    Examples:
        ```python
        import torch
        from dlref.approximation import taylor_sin, taylor_sin_bound

        x = torch.linspace(-4, 4, 81, dtype=torch.float64)
        for degree in range(10):
            error = (torch.sin(x) - taylor_sin(x, degree)).abs()
            assert (error <= taylor_sin_bound(x, degree) + 1e-15).all()
        print(taylor_sin_bound(torch.tensor(1.0), 5))  # 1/7!
        ```
    """
    if degree < 0:
        raise ValueError(f"degree must be non-negative, got {degree}")
    top = degree if degree % 2 == 1 else degree - 1
    power = top + 2
    return x.abs() ** power / float(math.factorial(power))


# --- threshold networks: unions of convex polytopes -------------------------------


def heaviside(z: Tensor) -> Tensor:
    """H(z) = 1 for z ≥ 0, else 0 (so the polytopes below are closed).

    Examples:
        ```python
        import torch
        from dlref.approximation import heaviside

        z = torch.tensor([-1.0, 0.0, 2.0])
        print(heaviside(z))
        assert torch.equal(heaviside(z), torch.heaviside(z, torch.tensor(1.0)))
        ```
    """
    return (z >= 0).to(z.dtype)


def convex_polygon_halfplanes(vertices: Sequence[tuple[float, float]]) -> tuple[Tensor, Tensor]:
    """``(A, c)`` with the closed convex polygon = {x : A x + c ≥ 0}, one row per edge.

    ``vertices`` go round the polygon in either direction. Edge (p, q) gives
    the row ``a = (-(q_y - p_y), q_x - p_x)`` (turned to point inwards) and
    ``c = -a·p``.

    Examples:
        ```python
        import torch
        from dlref.approximation import convex_polygon_halfplanes

        corners = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
        points = torch.rand(1000, 2, dtype=torch.float64) * 2 - 0.5
        in_square = ((points >= 0) & (points <= 1)).all(dim=1)
        for vertices in (corners, corners[::-1]):  # either direction round the square
            a, c = convex_polygon_halfplanes(vertices)
            assert torch.equal(((points @ a.T + c) >= 0).all(dim=1), in_square)
        print(a, c)
        ```
    """
    v = torch.tensor(vertices, dtype=_F64)
    if v.ndim != 2 or v.shape[1] != 2 or v.shape[0] < 3:
        raise ValueError("vertices must be at least three (x, y) pairs")
    q = torch.roll(v, -1, dims=0)
    edge = q - v
    area2 = float((v[:, 0] * q[:, 1] - q[:, 0] * v[:, 1]).sum())
    if area2 == 0:
        raise ValueError("the polygon has no area")
    normals = torch.stack([-edge[:, 1], edge[:, 0]], dim=1) * math.copysign(1.0, area2)
    return normals, -(normals * v).sum(dim=1)


@dataclass(frozen=True, eq=False)
class PolytopeUnionNetwork:
    """Two hidden layers of Heaviside units: output 1 exactly on a union of convex polytopes.

    Layer 1, one unit per facet: h = H(W1 x + b1), with h_i = 1 iff x is on the
    inner side of facet i. Layer 2, one AND unit per polytope j with m_j facets:
    u_j = H(Σ_{i ∈ P_j} h_i - (m_j - 1/2)). Output, an OR: y = H(Σ_j u_j - 1/2).

    Examples:
        ```python
        import torch
        from dlref.approximation import (
            PolytopeUnionNetwork,
            convex_polygon_halfplanes,
            polytope_union_network,
        )

        left = convex_polygon_halfplanes([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)])
        right = convex_polygon_halfplanes([(2.0, 0.0), (3.0, 0.0), (3.0, 1.0), (2.0, 1.0)])
        net = polytope_union_network([left, right])
        assert isinstance(net, PolytopeUnionNetwork) and net.widths == (8, 2)
        points = torch.tensor([[0.5, 0.5], [1.5, 0.5], [2.5, 0.5], [2.5, 1.5]], dtype=torch.float64)
        print(net(points))
        assert net(points).tolist() == [1.0, 0.0, 1.0, 0.0]  # in, between, in, above
        ```
    """

    w1: Tensor
    b1: Tensor
    w2: Tensor
    b2: Tensor
    w3: Tensor
    b3: Tensor

    def __call__(self, x: Tensor) -> Tensor:
        """Output at points ``x`` of shape ``(N, d)``: 0s and 1s, shape ``(N,)``."""
        # broadcast sums rather than matmuls: exact in float64 and free of BLAS threading
        h = heaviside((_as64(x).unsqueeze(1) * self.w1).sum(-1) + self.b1)
        u = heaviside((h.unsqueeze(1) * self.w2).sum(-1) + self.b2)
        return heaviside((u * self.w3).sum(-1) + self.b3)

    @property
    def widths(self) -> tuple[int, int]:
        """Units in the two hidden layers: facets, polytopes."""
        return int(self.w1.shape[0]), int(self.w2.shape[0])


def polytope_union_network(polytopes: Sequence[tuple[Tensor, Tensor]]) -> PolytopeUnionNetwork:
    """The ``PolytopeUnionNetwork`` of polytopes ``(A_j, c_j)``: {x : A_j x + c_j ≥ 0}.

    Examples:
        ```python
        import torch
        from dlref.approximation import convex_polygon_halfplanes, polytope_union_network

        square = convex_polygon_halfplanes([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)])
        triangle = convex_polygon_halfplanes([(1.0, 0.0), (2.0, 0.0), (1.0, 1.0)])
        net = polytope_union_network([square, triangle])
        print(net.widths)  # 4 + 3 facets, 2 polytopes
        x = torch.rand(2000, 2, dtype=torch.float64) * 3 - 0.5
        in_square = ((x >= 0) & (x <= 1)).all(dim=1)
        in_triangle = (x[:, 1] >= 0) & (x[:, 0] >= 1) & (x[:, 0] + x[:, 1] <= 2)
        assert torch.equal(net(x), (in_square | in_triangle).double())
        ```
    """
    if not polytopes:
        raise ValueError("need at least one polytope")
    a_rows = [_as64(a) for a, _ in polytopes]
    w1 = torch.cat(a_rows)
    b1 = torch.cat([_as64(c).reshape(-1) for _, c in polytopes])
    w2 = torch.zeros(len(polytopes), w1.shape[0], dtype=_F64)
    start = 0
    for j, a in enumerate(a_rows):
        w2[j, start : start + a.shape[0]] = 1.0
        start += a.shape[0]
    b2 = -(torch.tensor([a.shape[0] for a in a_rows], dtype=_F64) - 0.5)
    w3 = torch.ones(len(polytopes), dtype=_F64)
    return PolytopeUnionNetwork(w1, b1, w2, b2, w3, torch.tensor(-0.5, dtype=_F64))
