"""dlref.landscapes: hand-written gradients against autograd, and the runner's bookkeeping."""

from __future__ import annotations

import math

import pytest
import torch

from dlref import optim
from dlref.landscapes import Landscape, quadratic, rosenbrock, run

F64 = torch.float64
LANDSCAPES = [quadratic(), quadratic(10.0, angle=0.7), rosenbrock(), rosenbrock(a=-0.5, b=3.0)]


@pytest.mark.parametrize("landscape", LANDSCAPES, ids=lambda s: s.name)
def test_gradient_matches_autograd(landscape: Landscape) -> None:
    points = torch.randn(7, 2, generator=torch.Generator().manual_seed(0), dtype=F64)
    points.requires_grad_(True)
    (expected,) = torch.autograd.grad(landscape(points).sum(), points)
    torch.testing.assert_close(
        landscape.gradient(points.detach()), expected, rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("landscape", LANDSCAPES, ids=lambda s: s.name)
def test_minimum_is_a_zero_of_the_gradient_and_the_lowest_value(landscape: Landscape) -> None:
    best = torch.tensor(landscape.minimum, dtype=F64)
    assert torch.allclose(landscape.gradient(best), torch.zeros(2, dtype=F64), atol=1e-12)
    around = best + 0.1 * torch.randn(50, 2, generator=torch.Generator().manual_seed(1), dtype=F64)
    assert bool((landscape(around) > landscape(best)).all())


def test_quadratic_curvatures_and_rotation() -> None:
    angle = 0.4
    bowl = quadratic(condition=25.0, angle=angle)
    hessian = torch.autograd.functional.hessian(bowl.value, torch.zeros(2, dtype=F64))
    eigenvalues, eigenvectors = torch.linalg.eigh(hessian)
    torch.testing.assert_close(eigenvalues, torch.tensor([1.0, 25.0], dtype=F64))
    flat = eigenvectors[:, 0] * torch.sign(eigenvectors[0, 0])
    torch.testing.assert_close(flat, torch.tensor([math.cos(angle), math.sin(angle)], dtype=F64))
    with pytest.raises(ValueError, match="condition"):
        quadratic(condition=0.5)


def test_rosenbrock_values() -> None:
    banana = rosenbrock()
    assert banana.minimum == (1.0, 1.0)
    assert banana(torch.tensor([0.0, 0.0], dtype=F64)).item() == 1.0
    assert banana(torch.tensor([-1.0, 2.0], dtype=F64)).item() == 4.0 + 100.0
    assert rosenbrock(a=2.0).minimum == (2.0, 4.0)


def test_grid_shapes_and_values() -> None:
    bowl = quadratic(4.0)
    gx, gy, gz = bowl.grid((-1.0, 1.0), (-2.0, 2.0), n=5)
    assert gx.shape == gy.shape == gz.shape == (5, 5)
    assert gx[0, 0].item() == -1.0 and gy[-1, 0].item() == 2.0  # rows follow y, columns x
    assert gz[2, 2].item() == 0.0
    torch.testing.assert_close(gz[-1, -1], 0.5 * (1.0 + 4.0 * 4.0) * torch.ones((), dtype=F64))


def test_run_is_gradient_descent_step_by_step() -> None:
    bowl = quadratic(condition=5.0, angle=0.3)
    lr = 0.1
    path = run(torch.optim.SGD, bowl, (1.0, -2.0), steps=20, lr=lr)
    p = torch.tensor([1.0, -2.0], dtype=F64)
    for t in range(1, 21):
        p = p - lr * bowl.gradient(p)
        torch.testing.assert_close(path.points[t], p, rtol=1e-13, atol=1e-15)
    assert path.steps == 20 and path.points.shape == (21, 2)
    assert path.gradients.shape == (20, 2)
    torch.testing.assert_close(path.gradients, bowl.gradient(path.points[:-1]))
    torch.testing.assert_close(path.values, bowl(path.points))
    torch.testing.assert_close(path.distances, path.points.norm(dim=1))
    assert isinstance(path.optimizer, torch.optim.SGD)


def test_steps_to_tol_is_the_first_step_within_tol() -> None:
    bowl = quadratic(condition=10.0)
    full = run(optim.SGD, bowl, (3.0, 1.0), steps=300, tol=1e-4, lr=0.1)
    assert full.steps_to_tol is not None
    first = int(torch.nonzero(full.distances <= 1e-4)[0])
    assert full.steps_to_tol == first
    stopped = run(optim.SGD, bowl, (3.0, 1.0), steps=300, tol=1e-4, stop_at_tol=True, lr=0.1)
    assert stopped.steps == first and stopped.steps_to_tol == first
    torch.testing.assert_close(stopped.points, full.points[: first + 1])
    assert not full.diverged
    assert full.final_distance == pytest.approx(float(full.distances[-1]))


def test_never_reached_and_already_there() -> None:
    slow = run(optim.SGD, quadratic(), (3.0, 1.0), steps=5, tol=1e-6, lr=1e-3)
    assert slow.steps_to_tol is None
    there = run(optim.SGD, quadratic(), (0.0, 0.0), steps=5, tol=1e-6, stop_at_tol=True, lr=0.1)
    assert there.steps_to_tol == 0 and there.steps == 0
    assert there.gradients.shape == (0, 2)


def test_divergence_stops_the_run() -> None:
    bowl = quadratic(condition=25.0)
    path = run(optim.SGD, bowl, (1.0, 1.0), steps=1000, lr=0.1)  # 0.1 > 2 / 25
    assert path.diverged and path.steps < 1000 and path.steps_to_tol is None
    assert path.final_distance > 1e6
    stable = run(optim.SGD, bowl, (1.0, 1.0), steps=1000, lr=0.07)
    assert not stable.diverged and stable.steps == 1000


def test_noise_is_seeded_and_absent_by_default() -> None:
    bowl = quadratic()
    a = run(optim.SGD, bowl, (1.0, 1.0), steps=30, noise=0.5, seed=3, lr=0.1)
    b = run(optim.SGD, bowl, (1.0, 1.0), steps=30, noise=0.5, seed=3, lr=0.1)
    c = run(optim.SGD, bowl, (1.0, 1.0), steps=30, noise=0.5, seed=4, lr=0.1)
    assert torch.equal(a.points, b.points) and not torch.equal(a.points, c.points)
    clean = run(optim.SGD, bowl, (1.0, 1.0), steps=30, seed=3, lr=0.1)
    assert torch.equal(
        clean.points, run(optim.SGD, bowl, (1.0, 1.0), steps=30, seed=9, lr=0.1).points
    )
    noise = a.gradients - bowl.gradient(a.points[:-1])
    assert 0.3 < noise.std().item() < 0.7
    torch.manual_seed(0)  # the runner must not touch the global generator
    before = torch.rand(1)
    torch.manual_seed(0)
    run(optim.SGD, bowl, (1.0, 1.0), steps=5, noise=1.0, lr=0.1)
    assert torch.equal(torch.rand(1), before)


def test_a_batch_of_starts_is_the_same_as_separate_runs() -> None:
    banana = rosenbrock()
    starts = [(-1.0, 1.5), (0.5, -0.5), (2.0, 2.0)]
    together = run(optim.Adam, banana, starts, steps=50, lr=0.05)
    assert together.points.shape == (51, 3, 2) and together.distances.shape == (51, 3)
    for i, start in enumerate(starts):
        alone = run(optim.Adam, banana, start, steps=50, lr=0.05)
        torch.testing.assert_close(together.points[:, i], alone.points, rtol=1e-12, atol=1e-14)
    bowl = quadratic(condition=2.0)
    batch = run(optim.SGD, bowl, [(1.0, 0.0), (0.0, 1e-9)], steps=100, tol=1e-3, lr=0.5)
    single = [
        run(optim.SGD, bowl, s, steps=100, tol=1e-3, lr=0.5).steps_to_tol
        for s in [(1.0, 0.0), (0.0, 1e-9)]
    ]
    assert single[1] == 0 and single[0] is not None and single[0] > 0
    assert batch.steps_to_tol == single[0]  # a batch is within tol when every run is


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="shape"):
        run(optim.SGD, quadratic(), (1.0, 2.0, 3.0), steps=1, lr=0.1)
    with pytest.raises(ValueError, match="steps"):
        run(optim.SGD, quadratic(), (1.0, 2.0), steps=-1, lr=0.1)
    with pytest.raises(ValueError, match="noise"):
        run(optim.SGD, quadratic(), (1.0, 2.0), steps=1, noise=-1.0, lr=0.1)
