"""dlref.approximation: least-squares fits, error measures, Fourier/Taylor sums, threshold nets."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from matplotlib.path import Path

from dlref import approximation as A

F64 = torch.float64
GRID = torch.linspace(-2, 2, 2001, dtype=F64)


def target(x: torch.Tensor) -> torch.Tensor:
    return torch.sin(3 * x) + 0.3 * x**2


def test_target_in_the_span_is_fitted_exactly() -> None:
    w, b = A.random_hidden_layer(12, -2, 2, seed=3)
    a = torch.linspace(-1, 1, 12, dtype=F64)
    exact = A.OneHiddenLayer(w, b, a, 0.25, "relu")
    fitted = A.fit_random_features(exact, 12, -2, 2, seed=3)
    assert A.sup_error(exact, fitted, GRID) < 1e-10
    torch.testing.assert_close(fitted.out_weight, a)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "square"])
def test_module_computes_the_same_function(activation: A.Activation) -> None:
    net = A.fit_random_features(target, 8, -2, 2, activation=activation, seed=1)
    module = net.to_module()
    with torch.no_grad():
        out = module(GRID.reshape(-1, 1)).reshape(-1)
    torch.testing.assert_close(out, net(GRID))


def test_fits_are_deterministic_and_seeded() -> None:
    a = A.fit_random_features(target, 16, -2, 2, seed=5)
    b = A.fit_random_features(target, 16, -2, 2, seed=5)
    c = A.fit_random_features(target, 16, -2, 2, seed=6)
    assert torch.equal(a(GRID), b(GRID))
    assert not torch.equal(a(GRID), c(GRID))


def test_relu_kinks_and_tanh_centres_lie_in_the_interval() -> None:
    for activation in ("relu", "tanh"):
        w, b = A.random_hidden_layer(200, -1.5, 3.0, activation=activation, seed=0)
        centres = -b / w
        assert bool((centres >= -1.5).all()) and bool((centres <= 3.0).all())


def test_error_falls_with_width() -> None:
    rows = A.width_sweep(target, [1, 4, 16, 64], -2, 2, draws=3)
    sups = [r.sup_error for r in rows]
    l2s = [r.l2_error for r in rows]
    assert sups[-1] < sups[0] / 10
    assert all(later < earlier for earlier, later in itertools.pairwise(l2s))


def test_square_activation_is_stuck_at_the_best_quadratic() -> None:
    x = torch.linspace(-2, 2, 1000, dtype=F64)
    coeffs = np.polyfit(x.numpy(), target(x).numpy(), 2)

    def quadratic(z: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(np.polyval(coeffs, z.numpy()))

    best = A.sup_error(target, quadratic, GRID)
    for width in (3, 10, 50):
        net = A.fit_random_features(target, width, -2, 2, activation="square", seed=width)
        assert A.sup_error(target, net, GRID) == pytest.approx(best, rel=1e-6)


def test_error_measures_on_simple_functions() -> None:
    x = torch.linspace(0, 1, 10001, dtype=F64)

    def zero(z: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(z)

    def const(z: torch.Tensor) -> torch.Tensor:
        return torch.full_like(z, 0.3)

    assert A.sup_error(const, zero, x) == pytest.approx(0.3)
    assert A.l2_error(const, zero, x) == pytest.approx(0.3)
    assert A.l2_error(lambda z: z, zero, x) == pytest.approx(math.sqrt(1 / 3), rel=1e-6)
    assert A.sup_error(lambda z: z, zero, x) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="sorted"):
        A.l2_error(zero, zero, torch.tensor([1.0, 0.0], dtype=F64))


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="width"):
        A.random_hidden_layer(0, 0, 1)
    with pytest.raises(ValueError, match="lo < hi"):
        A.random_hidden_layer(3, 1, 1)
    with pytest.raises(ValueError, match="activation"):
        A.random_hidden_layer(3, 0, 1, activation="cube")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        A.square_wave_partial_sum(GRID, 0)
    with pytest.raises(ValueError):
        A.taylor_sin(GRID, -1)


def test_square_wave_fourier_coefficients() -> None:
    x = torch.linspace(-math.pi, math.pi, 20001, dtype=F64)  # the jumps sit on grid points
    for k in range(1, 8):
        b_k = float(torch.trapezoid(A.square_wave(x) * torch.sin(k * x), x)) / math.pi
        expected = 4 / (math.pi * k) if k % 2 else 0.0
        assert b_k == pytest.approx(expected, abs=1e-6)
    # the Leibniz series: S_N(π/2) -> 1
    half_pi = torch.tensor([math.pi / 2], dtype=F64)
    assert float(A.square_wave_partial_sum(half_pi, 2000)) == pytest.approx(1.0, abs=1e-3)


def test_gibbs_constant_and_overshoot() -> None:
    t = torch.linspace(1e-12, math.pi, 400001, dtype=F64)
    si = float(torch.trapezoid(torch.sin(t) / t, t))
    assert A.gibbs_constant() == pytest.approx(si / math.pi - 0.5, abs=1e-9)
    assert A.gibbs_constant() == pytest.approx(0.0894898722, abs=1e-9)
    x = torch.linspace(0, math.pi / 2, 20001, dtype=F64)
    overshoot = (float(A.square_wave_partial_sum(x, 100).max()) - 1) / 2
    assert overshoot == pytest.approx(A.gibbs_constant(), abs=1e-4)


def test_taylor_sin() -> None:
    x = torch.linspace(-math.pi, math.pi, 1001, dtype=F64)
    torch.testing.assert_close(A.taylor_sin(x, 1), x)
    torch.testing.assert_close(A.taylor_sin(x, 4), x - x**3 / 6)
    torch.testing.assert_close(A.taylor_sin(x, 0), torch.zeros_like(x))
    torch.testing.assert_close(A.taylor_sin(x, 25), torch.sin(x))
    for d in range(0, 12):
        err = (torch.sin(x) - A.taylor_sin(x, d)).abs()
        assert bool((err <= A.taylor_sin_bound(x, d) + 1e-15).all())


def test_polygon_halfplanes_either_orientation() -> None:
    tri = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]
    for verts in (tri, tri[::-1]):
        a, c = A.convex_polygon_halfplanes(verts)
        inside = torch.tensor([[0.2, 0.2]], dtype=F64) @ a.T + c
        outside = torch.tensor([[0.8, 0.8]], dtype=F64) @ a.T + c
        assert bool((inside > 0).all())
        assert bool((outside < 0).any())
    with pytest.raises(ValueError, match="area"):
        A.convex_polygon_halfplanes([(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)])


def test_polytope_union_network_matches_point_in_polygon() -> None:
    shapes = [
        [(-0.9, -0.8), (-0.1, -0.7), (-0.6, 0.3)],
        [(0.2, 0.9), (0.9, -0.1), (0.1, -0.3), (-0.2, 0.4)],
        [(-0.3, -0.2), (0.3, 0.1), (-0.5, 0.6)],  # overlaps the others
    ]
    net = A.polytope_union_network([A.convex_polygon_halfplanes(s) for s in shapes])
    assert net.widths == (10, 3)
    points = torch.rand(20000, 2, generator=torch.Generator().manual_seed(0), dtype=F64) * 2 - 1
    expected = np.zeros(len(points), dtype=bool)
    for s in shapes:
        expected |= Path(s).contains_points(points.numpy())
    assert np.array_equal(net(points).numpy().astype(bool), expected)
    assert set(net(points).unique().tolist()) == {0.0, 1.0}
    with pytest.raises(ValueError):
        A.polytope_union_network([])


def test_heaviside_is_closed_at_zero() -> None:
    z = torch.tensor([-1e-300, 0.0, 1e-300], dtype=F64)
    assert A.heaviside(z).tolist() == [0.0, 1.0, 1.0]


def test_fits_leave_the_global_random_state_alone() -> None:
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    A.fit_random_features(target, 8, -2, 2, seed=4).to_module()
    assert torch.equal(torch.rand(3), expected)


def test_thread_setting_is_restored() -> None:
    threads = torch.get_num_threads()
    A.width_sweep(target, [2, 4], -2, 2, draws=1)
    assert torch.get_num_threads() == threads


@pytest.mark.parametrize("depth", [1, 2, 5, 9])
def test_sharpened_step(depth: int) -> None:
    slope = 3.0
    net = A.sharpened_step(depth, slope)
    x = torch.linspace(-1, 1, 4001, dtype=F64)
    expected = torch.clamp(slope * x + 0.5, 0, 1)
    for _ in range(depth - 1):
        expected = torch.clamp(2 * expected - 0.5, 0, 1)
    with torch.no_grad():
        out = net(x.reshape(-1, 1)).reshape(-1)
        at_zero = float(net(torch.zeros(1, 1, dtype=F64)))
    torch.testing.assert_close(out, expected)
    assert at_zero == 0.5
    half_width = 2.0 ** -(depth - 1) / slope / 2
    assert bool((out[x < -half_width - 1e-9] == 0).all())
    assert bool(((out[x > half_width + 1e-9] - 1).abs() < 1e-12).all())
    assert len(list(net.modules())) - 1 == 2 * depth + 1
    with pytest.raises(ValueError):
        A.sharpened_step(0)
