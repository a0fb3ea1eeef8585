"""dlref.losses: the naive BCE formula, hidden-unit permutations and 1-D loss slices."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn.utils import parameters_to_vector

from dlref import losses as L


def test_naive_bce_matches_bce_loss_where_both_are_finite() -> None:
    p = torch.tensor([0.1, 0.5, 0.9, 0.99], dtype=torch.float64)
    t = torch.tensor([0.0, 1.0, 1.0, 0.3], dtype=torch.float64)
    for reduction in ("mean", "sum", "none"):
        expected = nn.BCELoss(reduction=reduction)(p, t)
        torch.testing.assert_close(L.naive_bce(p, t, reduction), expected)


def test_naive_bce_overflows_where_bce_loss_clamps() -> None:
    p = torch.sigmoid(torch.tensor([50.0]))  # rounds to exactly 1 in float32
    t = torch.zeros(1)
    assert p.item() == 1.0
    assert torch.isinf(L.naive_bce(p, t))
    assert nn.BCELoss()(p, t).item() == 100.0
    with pytest.raises(ValueError):
        L.naive_bce(p, t, reduction="max")
    with pytest.raises(ValueError):
        L.naive_bce(p, torch.zeros(2))


def _net(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))


def test_permuted_network_computes_the_same_function_with_other_weights() -> None:
    net = _net()
    first, second = L.permute_hidden_units(net[0], net[2], torch.tensor([2, 0, 4, 1, 3]))
    twin = nn.Sequential(first, nn.Tanh(), second)
    x = torch.randn(10, 3)
    torch.testing.assert_close(twin(x), net(x))
    assert not torch.equal(first.weight, net[0].weight)
    torch.testing.assert_close(first.weight[1], net[0].weight[0])  # unit 0 moved to position 1
    torch.testing.assert_close(second.bias, net[2].bias)
    with pytest.raises(ValueError):
        L.permute_hidden_units(net[0], net[2], torch.tensor([0, 0, 1, 2, 3]))
    with pytest.raises(ValueError):
        L.permute_hidden_units(net[0], nn.Linear(4, 2), torch.arange(5))


def test_loss_along_line_hits_both_ends_and_leaves_the_model_alone() -> None:
    net, other = _net(0), _net(1)
    x, y = torch.randn(20, 3), torch.randn(20, 2)
    start = parameters_to_vector(net.parameters()).detach().clone()
    end = parameters_to_vector(other.parameters()).detach()
    values = L.loss_along_line(net, nn.MSELoss(), x, y, start, end, torch.tensor([0.0, 0.5, 1.0]))
    assert values.dtype == torch.float64 and values.shape == (3,)
    with torch.no_grad():
        assert values[0].item() == pytest.approx(nn.MSELoss()(net(x), y).item(), rel=1e-6)
        assert values[2].item() == pytest.approx(nn.MSELoss()(other(x), y).item(), rel=1e-6)
    torch.testing.assert_close(parameters_to_vector(net.parameters()).detach(), start)
    with pytest.raises(ValueError):
        L.loss_along_line(net, nn.MSELoss(), x, y, start[:-1], end, torch.tensor([0.0]))


def test_chord_gap_sign_tells_convex_from_not() -> None:
    a = torch.linspace(-0.5, 1.5, 81)
    gap_convex = L.chord_gap(a, (a - 0.3) ** 2)
    torch.testing.assert_close(gap_convex, (-a * (1 - a)).double(), atol=1e-6, rtol=0)
    gap_concave = L.chord_gap(a, -((a - 0.3) ** 2))
    inside = (a >= 0) & (a <= 1)
    assert gap_concave[inside].max() > 0.2
    with pytest.raises(ValueError):
        L.chord_gap(torch.tensor([0.2, 0.5]), torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError):
        L.chord_gap(a, a[:-1])


def test_a_linear_models_mse_slice_is_convex() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(30, 1), torch.randn(30, 1)
    a = torch.linspace(0, 1, 21)
    ends = torch.randn(2), torch.randn(2)
    values = L.loss_along_line(nn.Linear(1, 1), nn.MSELoss(), x, y, *ends, a)
    assert (L.chord_gap(a, values) <= 1e-6).all()


@pytest.mark.parametrize("num_classes", [2, 3, 10, 1000])
def test_double_softmax_loss_stays_in_the_band_and_reaches_both_ends(num_classes: int) -> None:
    low, high = L.double_softmax_loss_bounds(num_classes)
    ce = nn.CrossEntropyLoss(reduction="none")
    target = torch.zeros(1, dtype=torch.long)
    # Extremes: a fully confident right model, a fully confident wrong model, a uniform one.
    right = torch.zeros(1, num_classes, dtype=torch.float64)
    right[0, 0] = 1e4
    wrong = torch.zeros(1, num_classes, dtype=torch.float64)
    wrong[0, 1] = 1e4
    for logits, expected in ((right, low), (wrong, high)):
        doubled = ce(torch.softmax(logits, dim=1), target).item()
        assert doubled == pytest.approx(expected, rel=1e-12, abs=1e-12)
    uniform = ce(torch.softmax(torch.zeros(1, num_classes, dtype=torch.float64), 1), target)
    assert uniform.item() == pytest.approx(math.log(num_classes), rel=1e-12)
    # Random logits on every scale: always inside the band, whatever the true loss.
    gen = torch.Generator().manual_seed(num_classes)
    for scale in (0.1, 1.0, 10.0, 100.0):
        logits = scale * torch.randn(500, num_classes, generator=gen, dtype=torch.float64)
        targets = torch.randint(num_classes, (500,), generator=gen)
        doubled = ce(torch.softmax(logits, dim=1), targets)
        assert doubled.min().item() >= low - 1e-12
        assert doubled.max().item() <= high + 1e-12
        true_loss = ce(logits, targets)
        poor = true_loss > high
        assert (doubled[poor] < true_loss[poor]).all()


def test_double_softmax_loss_bounds_refuses_fewer_than_two_classes() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        L.double_softmax_loss_bounds(1)
