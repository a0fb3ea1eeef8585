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
