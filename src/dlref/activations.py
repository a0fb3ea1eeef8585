"""Activation functions and their derivatives, in closed form.

Each derivative is written out by hand (not taken from autograd) so a page can
plot it and a test can compare it with ``torch.autograd``. At the kink of ReLU
and LeakyReLU, z = 0, the functions use the value PyTorch's autograd uses
there: 0 for ReLU, the negative slope for LeakyReLU.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

LEAKY_RELU_SLOPE = 0.01  # torch.nn.LeakyReLU's default negative_slope


def sigmoid(z: Tensor) -> Tensor:
    """σ(z) = 1 / (1 + e^(-z)), with values in (0, 1) and σ(0) = 0.5.

    Examples:
        ```python
        import torch
        from dlref.activations import sigmoid

        z = torch.linspace(-4, 4, 9)
        print(sigmoid(z))
        torch.testing.assert_close(sigmoid(z), 1 / (1 + torch.exp(-z)))
        assert sigmoid(torch.tensor(0.0)) == 0.5
        ```
    """
    return torch.sigmoid(z)


def d_sigmoid(z: Tensor) -> Tensor:
    """σ'(z) = σ(z)(1 - σ(z)); largest at z = 0, where it is 1/4.

    Examples:
        ```python
        import torch
        from dlref.activations import autograd_derivative, d_sigmoid

        z = torch.linspace(-6, 6, 121, dtype=torch.float64)
        torch.testing.assert_close(d_sigmoid(z), autograd_derivative(torch.sigmoid, z))
        print(d_sigmoid(z).max())
        assert d_sigmoid(z).max() == 0.25 == d_sigmoid(torch.tensor(0.0))
        ```
    """
    s = torch.sigmoid(z)
    return s * (1 - s)


def tanh(z: Tensor) -> Tensor:
    """tanh(z) = (e^z - e^(-z)) / (e^z + e^(-z)) = 2σ(2z) - 1.

    The hyperbolic tangent, with values in (-1, 1); not the arctangent.

    Examples:
        ```python
        import torch
        from dlref.activations import tanh

        z = torch.linspace(-3, 3, 13, dtype=torch.float64)
        print(tanh(z))
        torch.testing.assert_close(tanh(z), 2 * torch.sigmoid(2 * z) - 1)
        ```
    """
    return torch.tanh(z)


def d_tanh(z: Tensor) -> Tensor:
    """tanh'(z) = 1 - tanh(z)^2; largest at z = 0, where it is 1.

    Examples:
        ```python
        import torch
        from dlref.activations import autograd_derivative, d_tanh

        z = torch.linspace(-3, 3, 61, dtype=torch.float64)
        torch.testing.assert_close(d_tanh(z), autograd_derivative(torch.tanh, z))
        print(d_tanh(torch.tensor(0.0)))
        assert d_tanh(z).max() == 1.0
        ```
    """
    return 1 - torch.tanh(z) ** 2


def relu(z: Tensor) -> Tensor:
    """ReLU(z) = max(0, z).

    Written with ``torch.relu`` so that autograd through it gives 0 at z = 0, as
    ``d_relu`` does. (``torch.clamp(z, min=0)`` computes the same values but
    its autograd gives 1 at z = 0, and ``torch.maximum(z, 0)`` gives 1/2.)

    Examples:
        ```python
        import torch
        from dlref.activations import autograd_derivative, relu

        z = torch.tensor([-1.0, 0.0, 2.0])
        print(relu(z))
        assert torch.equal(relu(z), torch.nn.ReLU()(z))
        at_zero = torch.tensor([0.0])
        through_relu = autograd_derivative(relu, at_zero)
        through_clamp = autograd_derivative(lambda t: torch.clamp(t, min=0), at_zero)
        print(through_relu, through_clamp)
        assert through_relu.item() == 0.0 and through_clamp.item() == 1.0
        ```
    """
    return torch.relu(z)


def d_relu(z: Tensor) -> Tensor:
    """ReLU'(z) = 1 for z > 0, else 0 (PyTorch's autograd also gives 0 at z = 0).

    Examples:
        ```python
        import torch
        from dlref.activations import autograd_derivative, d_relu

        z = torch.tensor([-2.0, 0.0, 0.5, 3.0])
        print(d_relu(z))
        assert torch.equal(d_relu(z), autograd_derivative(torch.nn.functional.relu, z))
        ```
    """
    return (z > 0).to(z.dtype)


def leaky_relu(z: Tensor, negative_slope: float = LEAKY_RELU_SLOPE) -> Tensor:
    """LeakyReLU(z) = z for z > 0, else negative_slope * z.

    Examples:
        ```python
        import torch
        from dlref.activations import leaky_relu

        z = torch.linspace(-2, 2, 9)
        print(leaky_relu(z, 0.1))
        assert torch.equal(leaky_relu(z), torch.nn.LeakyReLU()(z))  # same default slope, 0.01
        assert torch.equal(leaky_relu(z, 0.1), torch.nn.functional.leaky_relu(z, 0.1))
        ```
    """
    return torch.where(z > 0, z, negative_slope * z)


def d_leaky_relu(z: Tensor, negative_slope: float = LEAKY_RELU_SLOPE) -> Tensor:
    """LeakyReLU'(z) = 1 for z > 0, else negative_slope (at z = 0 too, as autograd).

    Examples:
        ```python
        import torch
        from dlref.activations import autograd_derivative, d_leaky_relu

        z = torch.tensor([-2.0, 0.0, 0.5])
        print(d_leaky_relu(z))
        assert torch.equal(d_leaky_relu(z), autograd_derivative(torch.nn.LeakyReLU(), z))
        ```
    """
    return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, negative_slope))


def gelu(z: Tensor) -> Tensor:
    """GELU(z) = z Φ(z), Φ the standard normal CDF (PyTorch's exact, non-tanh form).

    Examples:
        ```python
        import torch
        from dlref.activations import gelu

        z = torch.linspace(-4, 4, 17, dtype=torch.float64)
        print(gelu(z))
        torch.testing.assert_close(gelu(z), torch.nn.GELU()(z))
        ```
    """
    return z * 0.5 * (1 + torch.erf(z / math.sqrt(2)))


def d_gelu(z: Tensor) -> Tensor:
    """GELU'(z) = Φ(z) + z φ(z), φ the standard normal density.

    Examples:
        ```python
        import torch
        from dlref.activations import autograd_derivative, d_gelu

        z = torch.linspace(-4, 4, 81, dtype=torch.float64)
        torch.testing.assert_close(d_gelu(z), autograd_derivative(torch.nn.functional.gelu, z))
        print(d_gelu(z).min())  # negative: GELU dips below zero before it rises
        assert d_gelu(z).min() < 0
        ```
    """
    cdf = 0.5 * (1 + torch.erf(z / math.sqrt(2)))
    pdf = torch.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
    return cdf + z * pdf


def silu(z: Tensor) -> Tensor:
    """SiLU(z) = z σ(z) (also called swish).

    Examples:
        ```python
        import torch
        from dlref.activations import silu

        z = torch.linspace(-4, 4, 17, dtype=torch.float64)
        print(silu(z))
        torch.testing.assert_close(silu(z), torch.nn.SiLU()(z))
        ```
    """
    return z * torch.sigmoid(z)


def d_silu(z: Tensor) -> Tensor:
    """SiLU'(z) = σ(z) (1 + z (1 - σ(z))).

    Examples:
        ```python
        import torch
        from dlref.activations import autograd_derivative, d_silu

        z = torch.linspace(-4, 4, 81, dtype=torch.float64)
        torch.testing.assert_close(d_silu(z), autograd_derivative(torch.nn.functional.silu, z))
        print(d_silu(torch.tensor(0.0)))  # σ(0) = 1/2
        assert d_silu(torch.tensor(0.0)) == 0.5
        ```
    """
    s = torch.sigmoid(z)
    return s * (1 + z * (1 - s))


@dataclass(frozen=True)
class Activation:
    """An activation with its derivative and the matching ``torch.nn`` module.

    Examples:
        ```python
        import torch
        from dlref.activations import ACTIVATIONS, Activation, autograd_derivative

        z = torch.linspace(-3, 3, 61, dtype=torch.float64)
        for act in ACTIVATIONS.values():
            assert isinstance(act, Activation)
            torch.testing.assert_close(act.fn(z), act.module()(z))
            torch.testing.assert_close(act.derivative(z), autograd_derivative(act.module(), z))
        print(list(ACTIVATIONS))
        ```
    """

    name: str
    fn: Callable[[Tensor], Tensor]
    derivative: Callable[[Tensor], Tensor]
    module: Callable[[], torch.nn.Module]


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", sigmoid, d_sigmoid, torch.nn.Sigmoid),
        Activation("tanh", tanh, d_tanh, torch.nn.Tanh),
        Activation("relu", relu, d_relu, torch.nn.ReLU),
        Activation("leaky_relu", leaky_relu, d_leaky_relu, torch.nn.LeakyReLU),
        Activation("gelu", gelu, d_gelu, torch.nn.GELU),
        Activation("silu", silu, d_silu, torch.nn.SiLU),
    )
}
"""Every activation of this module by name, in the order the site presents them."""


def dead_units(pre_activations: Tensor) -> Tensor:
    """Which ReLU units are dead on a data set: a boolean mask over the last dimension.

    ``pre_activations`` has shape ``(n_inputs, n_units)``, with ``z[i, j] = w_j · x_i + b_j``.
    Unit ``j`` is dead when ``z[i, j] <= 0`` for every input ``i``: its ReLU output
    is 0 on all of them, and so is ReLU'(z) (0 at z = 0 too, as in autograd), so
    no gradient reaches ``w_j`` or ``b_j`` from this data and gradient descent
    never changes them again.

    Examples:
        ```python
        import torch
        from dlref.activations import dead_units

        layer = torch.nn.Linear(2, 3)
        with torch.no_grad():
            layer.bias.copy_(torch.tensor([0.0, -10.0, 0.0]))  # unit 1 is pushed below zero
        x = torch.rand(50, 2)  # inputs in [0, 1)
        dead = dead_units(layer(x))
        torch.relu(layer(x)).sum().backward()
        print(dead, layer.weight.grad[1])
        assert dead[1] and (layer.weight.grad[1] == 0).all() and layer.bias.grad[1] == 0
        ```
    """
    if pre_activations.dim() != 2:
        shape = tuple(pre_activations.shape)
        raise ValueError(f"pre_activations must have shape (n_inputs, n_units), got {shape}")
    return (pre_activations <= 0).all(dim=0)


def autograd_derivative(fn: Callable[[Tensor], Tensor], z: Tensor) -> Tensor:
    """dfn/dz at every point of ``z``, computed by ``torch.autograd`` (for comparisons).

    Examples:
        ```python
        import torch
        from dlref.activations import autograd_derivative

        z = torch.linspace(0, 3, 7, dtype=torch.float64)
        print(autograd_derivative(torch.sin, z))
        torch.testing.assert_close(autograd_derivative(torch.sin, z), torch.cos(z))
        ```
    """
    z = z.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(fn(z).sum(), z)
    return grad
