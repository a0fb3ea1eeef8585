"""dlref.regions: counting the pieces of ReLU networks, constructions and bounds."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dlref import regions as R

F64 = torch.float64
UNIT = torch.linspace(0, 1, 20001, dtype=F64)


def _net(
    first: list[tuple[float, float]], out: list[float], out_bias: float = 0.0
) -> nn.Sequential:
    """One hidden layer: units relu(w x + b) for (w, b) in ``first``, then weights ``out``."""
    n = len(first)
    a, b = nn.Linear(1, n, dtype=F64), nn.Linear(n, 1, dtype=F64)
    with torch.no_grad():
        a.weight.copy_(torch.tensor([[w] for w, _ in first], dtype=F64))
        a.bias.copy_(torch.tensor([c for _, c in first], dtype=F64))
        b.weight.copy_(torch.tensor([out], dtype=F64))
        b.bias.fill_(out_bias)
    return nn.Sequential(a, nn.ReLU(), b)


def _values(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        out: torch.Tensor = model(x.reshape(-1, 1)).reshape(-1)
    return out


def test_hand_made_networks() -> None:
    bump = _net([(1.0, -1.0), (1.0, -2.0)], [1.0, -1.0])  # relu(x-1) - relu(x-2)
    torch.testing.assert_close(R.breakpoints(bump), torch.tensor([1.0, 2.0], dtype=F64))
    assert R.linear_pieces(bump) == 3
    assert R.linear_pieces(bump, 1.5, 10.0) == 2
    absolute = _net([(1.0, 0.0), (-1.0, 0.0)], [1.0, 1.0])  # |x|: the kink sits on the anchor 0
    assert R.breakpoints(absolute).tolist() == [0.0]
    identity = _net([(1.0, 0.0), (-1.0, 0.0)], [1.0, -1.0])  # relu(x) - relu(-x) = x: no kink
    assert R.linear_pieces(identity) == 1
    cancelled = _net([(2.0, -1.0), (2.0, -1.0)], [1.0, -1.0])  # two equal units cancel
    assert R.linear_pieces(cancelled) == 1


def test_kink_beyond_the_largest_candidate_is_found() -> None:
    # layer 2 switches at x = 7, far to the right of the only first-layer kink (x = 1)
    model = nn.Sequential(
        nn.Linear(1, 1, dtype=F64), nn.ReLU(), nn.Linear(1, 1, dtype=F64), nn.ReLU(),
        nn.Linear(1, 1, dtype=F64),
    )  # fmt: skip
    with torch.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.fill_(-1.0)
        model[2].weight.fill_(-1.0)
        model[2].bias.fill_(6.0)  # 6 - relu(x - 1) hits zero at x = 7
        model[4].weight.fill_(1.0)
        model[4].bias.fill_(0.0)
    torch.testing.assert_close(R.breakpoints(model), torch.tensor([1.0, 7.0], dtype=F64))


@pytest.mark.parametrize("depth", range(1, 9))
def test_sawtooth_has_two_to_the_depth_pieces(depth: int) -> None:
    model = R.sawtooth(depth)
    assert R.linear_pieces(model, 0.0, 1.0) == 2**depth
    assert R.pieces_on_grid(_values(model, UNIT)) == 2**depth
    torch.testing.assert_close(_values(model, UNIT), R.sawtooth_reference(UNIT, depth))
    assert R.parameter_count(model) == 6 * depth + 1
    kinks = R.breakpoints(model, 0.0, 1.0)
    expected = torch.arange(1, 2**depth, dtype=F64) / 2**depth
    torch.testing.assert_close(kinks, expected)


def test_tent_map_composition() -> None:
    y = UNIT
    for _ in range(3):
        y = R.tent(y)
    torch.testing.assert_close(y, R.sawtooth_reference(UNIT, 3))


@pytest.mark.parametrize("depth", range(1, 9))
def test_folded_zigzag_attains_the_montufar_bound(depth: int) -> None:
    model = R.folded_zigzag(depth)
    pieces = R.linear_pieces(model, 0.0, 1.0)
    assert pieces == 3 * 2 ** (depth - 1) == R.montufar_lower_bound(1, [2] * depth)
    assert R.pieces_on_grid(_values(model, UNIT)) == pieces
    assert pieces <= R.max_pieces_bound([2] * depth)


@pytest.mark.parametrize("width", [1, 2, 3, 7, 20, 64])
def test_shallow_zigzag_and_random_shallow_networks_reach_n_plus_1(width: int) -> None:
    zigzag = R.shallow_zigzag(width)
    assert R.linear_pieces(zigzag, 0.0, 1.0) == width + 1
    assert R.pieces_on_grid(_values(zigzag, UNIT)) == width + 1
    for seed in range(5):
        assert R.linear_pieces(R.random_relu_network([width], seed=seed)) == width + 1


def test_random_deep_networks_respect_the_bound_and_agree_with_the_grid() -> None:
    for seed in range(10):
        widths = [3, 5, 4]
        model = R.random_relu_network(widths, seed=seed)
        pieces = R.linear_pieces(model)
        assert 1 <= pieces <= R.max_pieces_bound(widths)
        kinks = R.breakpoints(model)
        if kinks.numel() == 0:
            continue
        lo, hi = float(kinks[0]) - 1, float(kinks[-1]) + 1
        gaps = kinks[1:] - kinks[:-1]
        x = torch.linspace(lo, hi, 200001, dtype=F64)
        if gaps.numel() == 0 or float(gaps.min()) > 5 * (hi - lo) / 200000:
            assert R.pieces_on_grid(_values(model, x)) == pieces


def test_random_network_initialisation() -> None:
    a = R.random_relu_network([4, 6], seed=1)
    b = R.random_relu_network([4, 6], seed=1)
    c = R.random_relu_network([4, 6], seed=2)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not torch.equal(a[0].weight, c[0].weight)
    assert float(a[2].weight.detach().abs().max()) <= 1 / math.sqrt(4)
    assert [type(m) for m in a] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert R.parameter_count(a) == (1 * 4 + 4) + (4 * 6 + 6) + (6 + 1)


def test_float32_models_are_read_in_float64() -> None:
    model = R.as_dtype(R.sawtooth(5), torch.float32)
    assert next(model.parameters()).dtype == torch.float32
    assert R.linear_pieces(model, 0.0, 1.0) == 32


def test_bounds() -> None:
    assert R.max_pieces_bound([5]) == 6
    assert R.max_pieces_bound([2, 2, 2]) == 27
    assert R.montufar_lower_bound(1, [7]) == 8
    assert R.montufar_lower_bound(2, [4, 4]) == 2**2 * (1 + 4 + 6)
    assert R.montufar_lower_bound(1, [2] * 5) == 3 * 2**4
    with pytest.raises(ValueError):
        R.montufar_lower_bound(3, [2])


def test_pieces_on_grid_simple() -> None:
    assert R.pieces_on_grid(torch.zeros(10)) == 1
    assert R.pieces_on_grid(torch.arange(10.0)) == 1
    x = torch.linspace(-1, 1, 1001, dtype=F64)
    assert R.pieces_on_grid(x.abs()) == 2  # kink on a grid point
    assert R.pieces_on_grid((x - 0.00123).abs()) == 2  # kink inside a cell
    with pytest.raises(ValueError):
        R.pieces_on_grid(torch.zeros(2))


def test_structure_is_validated() -> None:
    with pytest.raises(ValueError, match="Sequential"):
        R.linear_pieces(nn.Linear(1, 1))
    with pytest.raises(ValueError, match="Linear, ReLU"):
        R.linear_pieces(nn.Sequential(nn.Linear(1, 2), nn.Tanh(), nn.Linear(2, 1)))
    with pytest.raises(ValueError, match="one input"):
        R.linear_pieces(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)))
    for bad in (R.sawtooth, R.folded_zigzag, R.shallow_zigzag):
        with pytest.raises(ValueError):
            bad(0)
    with pytest.raises(ValueError):
        R.random_relu_network([])


def test_constructions_leave_the_global_random_state_alone() -> None:
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    R.sawtooth(4)
    R.shallow_zigzag(5)
    R.random_relu_network([3, 3], seed=1)
    assert torch.equal(torch.rand(3), expected)


def test_sample_matches_the_module_and_restores_threads() -> None:
    threads = torch.get_num_threads()
    model = R.random_relu_network([5, 3], seed=2)
    x, y = R.sample(model, -3.0, 2.0, 501)
    torch.testing.assert_close(x, torch.linspace(-3.0, 2.0, 501, dtype=F64))
    torch.testing.assert_close(y, _values(model, x))
    as32 = R.as_dtype(model, torch.float32)
    torch.testing.assert_close(R.sample(as32, -3.0, 2.0, 501)[1], y, rtol=1e-6, atol=1e-6)
    R.linear_pieces(model)
    assert torch.get_num_threads() == threads
