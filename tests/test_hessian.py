"""dlref.hessian: Hessians two ways, classification, Newton, descent near a saddle."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dlref.hessian import (
    analyze,
    classify,
    descend,
    escape_steps,
    finite_difference_hessian,
    flat_parameters,
    gradient,
    hessian,
    loss_of_parameters,
    newton,
    plateau_steps,
)

F64 = torch.float64


def tiny_mlp() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    x = torch.randn(10, 2, dtype=F64)
    y = torch.randn(10, 1, dtype=F64)
    return model, x, y


def test_loss_of_parameters_matches_the_model_and_leaves_it_alone() -> None:
    model, x, y = tiny_mlp()
    loss = loss_of_parameters(model, nn.functional.mse_loss, x, y)
    theta = flat_parameters(model)
    assert theta.shape == (sum(p.numel() for p in model.parameters()),)
    torch.testing.assert_close(loss(theta), nn.functional.mse_loss(model(x), y))
    loss(theta + 1.0)
    assert torch.equal(flat_parameters(model), theta)  # the model's own weights unchanged
    with pytest.raises(ValueError, match="theta"):
        loss(theta[:-1])


def test_gradient_matches_backward_through_the_model() -> None:
    model, x, y = tiny_mlp()
    loss = loss_of_parameters(model, nn.functional.mse_loss, x, y)
    nn.functional.mse_loss(model(x), y).backward()
    by_backward = torch.cat([p.grad.reshape(-1) for p in model.parameters()])  # type: ignore[union-attr]
    torch.testing.assert_close(gradient(loss, flat_parameters(model)), by_backward)


def test_hessian_agrees_with_finite_differences_and_is_symmetric() -> None:
    model, x, y = tiny_mlp()
    loss = loss_of_parameters(model, nn.functional.mse_loss, x, y)
    theta = flat_parameters(model)
    h = hessian(loss, theta)
    torch.testing.assert_close(h, h.T, rtol=0, atol=1e-14)
    torch.testing.assert_close(finite_difference_hessian(loss, theta), h, rtol=0, atol=1e-8)
    with pytest.raises(ValueError):
        finite_difference_hessian(loss, theta, step=0.0)


def test_hessian_of_a_linear_least_squares_loss_is_twice_the_gram_matrix() -> None:
    torch.manual_seed(1)
    model = nn.Linear(3, 1, bias=False).double()
    x = torch.randn(20, 3, dtype=F64)
    y = torch.randn(20, 1, dtype=F64)
    loss = loss_of_parameters(model, nn.functional.mse_loss, x, y)
    torch.testing.assert_close(hessian(loss, flat_parameters(model)), 2 * x.T @ x / 20)


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([1.0, 2.0], "minimum"),
        ([-3.0, -1.0], "maximum"),
        ([-1.0, 2.0], "saddle"),
        ([-1.0, 0.0, 2.0], "saddle"),
        ([0.0, 2.0], "degenerate"),
        ([-2.0, 0.0], "degenerate"),
        ([0.0, 0.0], "degenerate"),
    ],
)
def test_classify(values: list[float], kind: str) -> None:
    assert classify(torch.tensor(values, dtype=F64)) == kind


def test_classify_tolerance_and_bad_tol() -> None:
    assert classify(torch.tensor([-1e-10, 1.0]), tol=1e-8) == "degenerate"
    assert classify(torch.tensor([-1e-10, 1.0]), tol=0.0) == "saddle"
    with pytest.raises(ValueError):
        classify(torch.tensor([1.0]), tol=-1.0)


def test_analyze_monkey_saddle_and_index() -> None:
    def fn(t: torch.Tensor) -> torch.Tensor:
        return t[0] ** 2 + t[1] ** 2 - t[2] ** 2 - 2 * t[3] ** 2

    point = analyze(fn, torch.zeros(4, dtype=F64))
    assert point.kind == "saddle" and point.index == 0.5 and point.loss == 0.0
    torch.testing.assert_close(point.eigenvalues, torch.tensor([-4.0, -2.0, 2.0, 2.0], dtype=F64))


def test_newton_converges_quadratically_to_a_saddle() -> None:
    def fn(t: torch.Tensor) -> torch.Tensor:
        return t[0] ** 2 - t[1] ** 2 + t[0] ** 3 / 3 + t[1] ** 4

    path = newton(fn, torch.tensor([0.2, 0.1], dtype=F64), steps=30)
    errors = path.abs().max(dim=1).values
    assert errors[-1] < 1e-14
    assert len(path) < 10  # quadratic convergence: a handful of steps
    with pytest.raises(ValueError):
        newton(fn, torch.zeros(2, dtype=F64), steps=-1)


def test_descend_matches_torch_sgd_with_momentum_by_hand() -> None:
    def fn(t: torch.Tensor) -> torch.Tensor:
        return (t**4).sum() - t[0] * t[1]

    start = torch.tensor([0.5, -0.3], dtype=F64)
    run = descend(fn, start, lr=0.05, steps=20, momentum=0.8)
    theta, velocity = start.clone(), torch.zeros(2, dtype=F64)
    for t in range(20):
        g = gradient(fn, theta)
        velocity = g if t == 0 else 0.8 * velocity + g  # SGD's buffer starts as the first gradient
        theta = theta - 0.05 * velocity
        torch.testing.assert_close(run.points[t + 1], theta, rtol=0, atol=1e-15)
    assert run.losses.shape == (21,)
    torch.testing.assert_close(run.losses[-1], fn(theta))


def test_descend_noise_is_seeded_and_zero_gradient_points_stay() -> None:
    def fn(t: torch.Tensor) -> torch.Tensor:
        return t[0] * t[1]

    origin = torch.zeros(2, dtype=F64)
    assert torch.equal(descend(fn, origin, lr=0.1, steps=50).points, torch.zeros(51, 2, dtype=F64))
    a = descend(fn, origin, lr=0.1, steps=50, noise=1e-3, seed=3)
    b = descend(fn, origin, lr=0.1, steps=50, noise=1e-3, seed=3)
    c = descend(fn, origin, lr=0.1, steps=50, noise=1e-3, seed=4)
    assert torch.equal(a.points, b.points) and not torch.equal(a.points, c.points)
    with pytest.raises(ValueError):
        descend(fn, origin, lr=0.0, steps=1)


def test_plateau_steps() -> None:
    losses = torch.tensor([5.0, 5.0, 4.99, 4.9, 1.0])
    assert plateau_steps(losses, 5.0, 0.05) == 3
    assert plateau_steps(losses, 5.0, 10.0) == 5
    assert plateau_steps(losses, 1.0, 0.1) == 0
    with pytest.raises(ValueError):
        plateau_steps(losses, 5.0, -1.0)


def test_escape_steps_predicts_linear_growth_with_and_without_momentum() -> None:
    lam, lr = -0.5, 0.1

    def fn(t: torch.Tensor) -> torch.Tensor:  # a pure quadratic saddle: the linearisation is exact
        return 0.5 * lam * t[0] ** 2 + 0.5 * t[1] ** 2

    for mu in (0.0, 0.9):
        start = torch.tensor([1e-8, 0.0], dtype=F64)
        run = descend(fn, start, lr=lr, steps=400, momentum=mu)
        reached = int((run.points[:, 0] > 1e-2).nonzero()[0, 0])
        # difference of two thresholds: the transient of the first steps cancels
        reached_2 = int((run.points[:, 0] > 1e-4).nonzero()[0, 0])
        predicted = escape_steps(lam, lr, 1e-4, 1e-2, momentum=mu)
        assert abs((reached - reached_2) - predicted) <= 1.5
    assert math.isclose(escape_steps(-1.0, 0.1, 1.0, math.e), 1 / math.log(1.1))
    with pytest.raises(ValueError):
        escape_steps(1.0, 0.1, 1e-3, 1.0)
    with pytest.raises(ValueError):
        escape_steps(-1.0, 0.1, 1e-3, 1.0, momentum=1.0)
