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
    """σ(z) = 1 / (1 + e^(-z)), with values in (0, 1) and σ(0) = 0.5."""
    return torch.sigmoid(z)


def d_sigmoid(z: Tensor) -> Tensor:
    """σ'(z) = σ(z)(1 - σ(z)); largest at z = 0, where it is 1/4."""
    s = torch.sigmoid(z)
    return s * (1 - s)


def tanh(z: Tensor) -> Tensor:
    """tanh(z) = (e^z - e^(-z)) / (e^z + e^(-z)) = 2σ(2z) - 1.

    The hyperbolic tangent, with values in (-1, 1); not the arctangent.
    """
    return torch.tanh(z)


def d_tanh(z: Tensor) -> Tensor:
    """tanh'(z) = 1 - tanh(z)^2; largest at z = 0, where it is 1."""
    return 1 - torch.tanh(z) ** 2


def relu(z: Tensor) -> Tensor:
    """ReLU(z) = max(0, z).

    Written with ``torch.relu`` so that autograd through it gives 0 at z = 0, as
    ``d_relu`` does. (``torch.clamp(z, min=0)`` computes the same values but
    its autograd gives 1 at z = 0, and ``torch.maximum(z, 0)`` gives 1/2.)
    """
    return torch.relu(z)


def d_relu(z: Tensor) -> Tensor:
    """ReLU'(z) = 1 for z > 0, else 0 (PyTorch's autograd also gives 0 at z = 0)."""
    return (z > 0).to(z.dtype)


def leaky_relu(z: Tensor, negative_slope: float = LEAKY_RELU_SLOPE) -> Tensor:
    """LeakyReLU(z) = z for z > 0, else negative_slope * z."""
    return torch.where(z > 0, z, negative_slope * z)


def d_leaky_relu(z: Tensor, negative_slope: float = LEAKY_RELU_SLOPE) -> Tensor:
    """LeakyReLU'(z) = 1 for z > 0, else negative_slope (at z = 0 too, as autograd)."""
    return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, negative_slope))


def gelu(z: Tensor) -> Tensor:
    """GELU(z) = z Φ(z), Φ the standard normal CDF (PyTorch's exact, non-tanh form)."""
    return z * 0.5 * (1 + torch.erf(z / math.sqrt(2)))


def d_gelu(z: Tensor) -> Tensor:
    """GELU'(z) = Φ(z) + z φ(z), φ the standard normal density."""
    cdf = 0.5 * (1 + torch.erf(z / math.sqrt(2)))
    pdf = torch.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
    return cdf + z * pdf


def silu(z: Tensor) -> Tensor:
    """SiLU(z) = z σ(z) (also called swish)."""
    return z * torch.sigmoid(z)


def d_silu(z: Tensor) -> Tensor:
    """SiLU'(z) = σ(z) (1 + z (1 - σ(z)))."""
    s = torch.sigmoid(z)
    return s * (1 + z * (1 - s))


@dataclass(frozen=True)
class Activation:
    """An activation with its derivative and the matching ``torch.nn`` module."""

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
    """
    if pre_activations.dim() != 2:
        shape = tuple(pre_activations.shape)
        raise ValueError(f"pre_activations must have shape (n_inputs, n_units), got {shape}")
    return (pre_activations <= 0).all(dim=0)


def autograd_derivative(fn: Callable[[Tensor], Tensor], z: Tensor) -> Tensor:
    """dfn/dz at every point of ``z``, computed by ``torch.autograd`` (for comparisons)."""
    z = z.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(fn(z).sum(), z)
    return grad
