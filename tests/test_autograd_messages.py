"""The custom-autograd page shows these gradcheck messages as PyTorch prints them and relies
on their wording and on where GradcheckError lives; these tests fail if a new torch changes
them."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch.autograd import gradcheck
from torch.autograd.gradcheck import GradcheckError


def _wrong_exp(x: torch.Tensor) -> torch.Tensor:
    class WrongExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor) -> torch.Tensor:
            return x.exp()

        @staticmethod
        def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> torch.Tensor:
            return 2 * grad  # not the derivative of exp

    out: torch.Tensor = WrongExp.apply(x)
    return out


def test_a_wrong_backward_raises_gradcheck_error_with_a_jacobian_mismatch() -> None:
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(_wrong_exp, (x,))
    assert str(info.value).splitlines()[0].startswith("Jacobian mismatch for output 0")


def test_float32_inputs_warn_about_precision() -> None:
    x = torch.randn(3, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(GradcheckError):
            gradcheck(torch.exp, (x,))
    messages = [str(w.message) for w in caught]
    assert any("is not a double precision floating point" in m for m in messages)


def test_round_has_a_zero_gradient() -> None:
    x = torch.tensor([0.3, 1.7, -2.2], requires_grad=True)
    x.round().sum().backward()
    assert x.grad is not None and torch.equal(x.grad, torch.zeros(3))
