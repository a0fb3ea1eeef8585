"""Closed-form activations and derivatives against torch and torch.autograd."""

from __future__ import annotations

import pytest
import torch

from dlref import activations as act

Z = torch.cat(
    [torch.linspace(-8, 8, 2001, dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64)]
)


@pytest.mark.parametrize("name", list(act.ACTIVATIONS))
def test_function_matches_torch_module(name: str) -> None:
    a = act.ACTIVATIONS[name]
    torch.testing.assert_close(a.fn(Z), a.module()(Z), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(act.ACTIVATIONS))
def test_derivative_matches_autograd(name: str) -> None:
    a = act.ACTIVATIONS[name]
    expected = act.autograd_derivative(a.module(), Z)
    torch.testing.assert_close(a.derivative(Z), expected, rtol=1e-10, atol=1e-12)


def test_derivative_maxima() -> None:
    assert float(act.d_sigmoid(Z).max()) == pytest.approx(0.25, abs=1e-12)
    assert float(act.d_tanh(Z).max()) == pytest.approx(1.0, abs=1e-12)


def test_relu_gradient_at_zero_is_zero_like_autograd() -> None:
    zero = torch.zeros(1)
    assert float(act.d_relu(zero)) == 0.0
    assert float(act.autograd_derivative(torch.relu, zero)) == 0.0
    assert float(act.d_leaky_relu(zero)) == pytest.approx(act.LEAKY_RELU_SLOPE)


def test_tanh_is_not_arctangent() -> None:
    assert not torch.allclose(act.tanh(Z), torch.atan(Z), atol=1e-2)
    torch.testing.assert_close(act.tanh(Z), 2 * act.sigmoid(2 * Z) - 1)


def test_relu_function_itself_has_autograd_zero_at_the_kink() -> None:
    zero = torch.zeros(1)
    assert float(act.autograd_derivative(act.relu, zero)) == 0.0
    # the same values written with clamp or maximum give other "derivatives" at 0
    assert float(act.autograd_derivative(lambda t: torch.clamp(t, min=0), zero)) == 1.0
    maximum = act.autograd_derivative(lambda t: torch.maximum(t, torch.zeros_like(t)), zero)
    assert float(maximum) == 0.5


@pytest.mark.parametrize("name", list(act.ACTIVATIONS))
def test_derivative_matches_autograd_of_own_function(name: str) -> None:
    a = act.ACTIVATIONS[name]
    expected = act.autograd_derivative(a.fn, Z)
    torch.testing.assert_close(a.derivative(Z), expected, rtol=1e-10, atol=1e-12)


def test_leaky_relu_default_slope_is_torchs() -> None:
    assert torch.nn.LeakyReLU().negative_slope == act.LEAKY_RELU_SLOPE


def test_dead_units_mask() -> None:
    z = torch.tensor([[1.0, -1.0, 0.0, -2.0], [-3.0, -0.5, 0.0, 0.1]])
    assert act.dead_units(z).tolist() == [False, True, True, False]


def test_dead_units_get_no_gradient() -> None:
    gen = torch.Generator().manual_seed(0)
    layer = torch.nn.Linear(2, 8)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(8, 2, generator=gen))
        layer.bias.copy_(torch.randn(8, generator=gen))
        layer.bias[:3] = -100.0  # far below any w·x on this data: dead
    x = torch.rand(50, 2, generator=gen)
    dead = act.dead_units(layer(x))
    assert dead[:3].all()
    torch.relu(layer(x)).sum().backward()
    assert layer.weight.grad is not None and layer.bias.grad is not None
    assert (layer.weight.grad[dead] == 0).all() and (layer.bias.grad[dead] == 0).all()


def test_dead_units_needs_a_matrix() -> None:
    with pytest.raises(ValueError, match="n_inputs, n_units"):
        act.dead_units(torch.zeros(3))
