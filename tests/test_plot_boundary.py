"""dlref.plot.decision_boundary: the grid is classified where the model says, and drawn."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from torch import Tensor, nn

from dlref import plot


class _SignOfFirst(nn.Module):
    """Class 1 where x0 > 0, else class 0; no parameters."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.stack((-x[:, 0], x[:, 0]), dim=1)


def _points() -> tuple[Tensor, Tensor]:
    x = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [-0.5, 0.5], [0.5, -0.5]])
    return x, (x[:, 0] > 0).long()


def test_regions_follow_the_model() -> None:
    x, y = _points()
    fig, ax = plot.figure()
    classes = plot.decision_boundary(ax, _SignOfFirst(), x, y, resolution=20, margin=0.0)
    assert classes.shape == (20, 20)
    assert classes.dtype == torch.int64
    # columns run along x0 from -1 to 1: the left half is class 0, the right half class 1
    assert torch.equal(classes[:, :10], torch.zeros(20, 10, dtype=torch.int64))
    assert torch.equal(classes[:, 10:], torch.ones(20, 10, dtype=torch.int64))
    assert len(ax.images) == 1 and len(ax.collections) == 1
    assert ax.get_xlim() == pytest.approx((-1.0, 1.0))
    plt.close(fig)


def test_rows_run_upwards_along_the_second_coordinate() -> None:
    linear = nn.Linear(2, 2)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[0.0, -1.0], [0.0, 1.0]]))  # class 1 where x1 > 0
        linear.bias.zero_()
    x, y = _points()
    fig, ax = plot.figure()
    classes = plot.decision_boundary(ax, linear, x, y, resolution=10, margin=0.5)
    assert torch.equal(classes[:5], torch.zeros(5, 10, dtype=torch.int64))
    assert torch.equal(classes[5:], torch.ones(5, 10, dtype=torch.int64))
    assert ax.get_ylim() == pytest.approx((-2.0, 2.0))  # widened by half the height each side
    plt.close(fig)


def test_mode_is_restored_and_no_gradients_are_kept() -> None:
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    model.train()
    x, y = _points()
    fig, ax = plot.figure()
    first = plot.decision_boundary(ax, model, x, y, resolution=12)
    second = plot.decision_boundary(ax, model, x, y, resolution=12)
    assert torch.equal(first, second)  # evaluated in eval mode: dropout off
    assert model.training
    assert all(p.grad is None for p in model.parameters())
    plt.close(fig)


def test_bad_inputs_are_refused() -> None:
    fig, ax = plot.figure()
    x, y = _points()
    with pytest.raises(ValueError, match="shape"):
        plot.decision_boundary(ax, _SignOfFirst(), torch.zeros(4, 3), y)
    with pytest.raises(ValueError, match="resolution"):
        plot.decision_boundary(ax, _SignOfFirst(), x, y, resolution=1)
    with pytest.raises(ValueError, match="classes"):
        plot.decision_boundary(ax, nn.Linear(2, len(plot.COLORS) + 1), x, y, resolution=4)
    plt.close(fig)
