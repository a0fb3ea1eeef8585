"""dlref.plot for optimizers: paths over contours, spread of noisy runs, learning-rate sweep."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch

from dlref import plot
from dlref.landscapes import Trajectory, quadratic, rosenbrock, run


def _runs() -> dict[str, Trajectory]:
    bowl = quadratic(condition=10.0, angle=0.3)
    return {
        "SGD": run(torch.optim.SGD, bowl, (-2.0, 1.0), steps=50, lr=0.05),
        "momentum": run(torch.optim.SGD, bowl, (-2.0, 1.0), steps=50, lr=0.02, momentum=0.9),
        "Nesterov": run(
            torch.optim.SGD, bowl, (-2.0, 1.0), steps=50, lr=0.02, momentum=0.9, nesterov=True
        ),
        "Adam": run(torch.optim.Adam, bowl, (-2.0, 1.0), steps=50, lr=0.1),
    }


def test_one_panel_per_group_with_the_paths_of_its_runs() -> None:
    bowl = quadratic(condition=10.0, angle=0.3)
    runs = _runs()
    groups = [["SGD", "momentum", "Nesterov"], ["Adam"]]
    colors = dict(zip(runs, plot.COLORS, strict=False))
    fig = plot.optimizer_paths(
        bowl, runs, groups, colors, (-2.5, 1.5), (-2.0, 1.5), [0.1, 1.0, 5.0], "title"
    )
    try:
        assert len(fig.axes) == 2
        assert fig.get_suptitle() == "title"
        for ax, names in zip(fig.axes, groups, strict=True):
            assert [t.get_text() for t in ax.get_legend().get_texts()] == names
            labelled = [line for line in ax.get_lines() if line.get_label() in names]
            assert [line.get_label() for line in labelled] == names
            for line in labelled:
                points = runs[line.get_label()].points
                assert line.get_color() == colors[line.get_label()]
                torch.testing.assert_close(torch.as_tensor(line.get_xdata()), points[:, 0])
                torch.testing.assert_close(torch.as_tensor(line.get_ydata()), points[:, 1])
            assert ax.get_xlim() == (-2.5, 1.5) and ax.get_ylim() == (-2.0, 1.5)
            assert len(ax.collections) > 0  # the contour lines
        # widest first, narrowest last, so overlapping paths stay visible
        widths = [
            line.get_linewidth()
            for line in fig.axes[0].get_lines()
            if line.get_label() in groups[0]
        ]
        assert widths == [2.6, 1.8, 1.0]
        # the minimiser is starred
        stars = [line for line in fig.axes[1].get_lines() if line.get_marker() == "*"]
        assert [(line.get_xdata()[0], line.get_ydata()[0]) for line in stars] == [bowl.minimum]
    finally:
        plt.close(fig)


def test_stop_dot_is_at_the_last_point() -> None:
    banana = rosenbrock()
    path = run(torch.optim.Adam, banana, (-1.5, 2.0), steps=30, lr=0.1)
    fig = plot.optimizer_paths(
        banana, {"Adam": path}, [["Adam"]], {"Adam": "#000000"}, (-2, 2), (-1, 3), [1, 10], "t"
    )
    try:
        assert len(fig.axes) == 1
        dots = [line for line in fig.axes[0].get_lines() if line.get_marker() == "o"]
        assert len(dots) == 1
        x, y = path.points[-1].tolist()
        assert (dots[0].get_xdata()[0], dots[0].get_ydata()[0]) == pytest.approx((x, y))
    finally:
        plt.close(fig)


def test_no_group_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one group"):
        plot.optimizer_paths(quadratic(), {}, [], {}, (-1, 1), (-1, 1), [1.0], "t")


def test_spread_of_runs_draws_final_points_and_mean_squared_distance() -> None:
    bowl = quadratic(condition=25.0, angle=0.5)
    walkers = torch.zeros(40, 2, dtype=torch.float64)
    runs = {
        f"lr = {lr}": run(torch.optim.SGD, bowl, walkers, steps=25, noise=1.0, seed=3, lr=lr)
        for lr in (0.04, 0.01)
    }
    fig, (left, right) = plot.figure(2)
    try:
        plot.spread_of_runs(
            left, right, bowl, runs, (-0.5, 0.5), (-0.4, 0.4), [0.01, 0.1], [1.0, 2.0]
        )
        clouds = [c for c in left.collections if c.get_label() in runs]
        assert [c.get_label() for c in clouds] == list(runs)
        for cloud, trajectory in zip(clouds, runs.values(), strict=True):
            torch.testing.assert_close(
                torch.as_tensor(cloud.get_offsets()), trajectory.points[-1], check_dtype=False
            )
        curves = [line for line in right.get_lines() if line.get_label() in runs]
        for curve, trajectory in zip(curves, runs.values(), strict=True):
            squared = (trajectory.points - torch.tensor(bowl.minimum)).pow(2).sum(-1).mean(1)
            torch.testing.assert_close(torch.as_tensor(curve.get_ydata()), squared)
        dashed = [line for line in right.get_lines() if line.get_linestyle() == "--"]
        assert [line.get_ydata()[0] for line in dashed] == [1.0, 2.0]
        assert [line.get_color() for line in dashed] == [c.get_color() for c in curves]
        assert left.get_xlim() == (-0.5, 0.5) and left.get_ylim() == (-0.4, 0.4)
    finally:
        plt.close(fig)


def test_learning_rate_sweep_marks_diverged_runs() -> None:
    bowl = quadratic(condition=10.0)  # SGD on it diverges above 2 / 10
    rates = [0.01, 0.05, 0.15, 0.25, 1.0]
    sweeps = {
        "SGD": [run(torch.optim.SGD, bowl, (1.0, 1.0), steps=40, lr=lr) for lr in rates],
        "Adam": [run(torch.optim.Adam, bowl, (1.0, 1.0), steps=40, lr=lr) for lr in rates],
    }
    colors = {"SGD": "#111111", "Adam": "#222222"}
    fig, ax = plot.figure()
    try:
        plot.learning_rate_sweep(ax, rates, sweeps, colors, diverged_at=50.0)
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        lines = {(line.get_label(), line.get_marker()): line for line in ax.get_lines()}
        sgd = lines[("SGD", "o")]
        assert list(sgd.get_xdata()) == [0.01, 0.05, 0.15]
        assert list(sgd.get_ydata()) == [r.final_distance for r in sweeps["SGD"][:3]]
        crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
        assert [list(c.get_xdata()) for c in crosses] == [[0.25, 1.0], []]
        assert list(crosses[0].get_ydata()) == [50.0, 50.0]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["SGD", "Adam"]
        with pytest.raises(ValueError, match="2 runs for 5 learning rates"):
            plot.learning_rate_sweep(ax, rates, {"SGD": sweeps["SGD"][:2]}, colors, diverged_at=1.0)
    finally:
        plt.close(fig)
