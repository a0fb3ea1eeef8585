"""Look inside a network: per-layer gradient norms and activation statistics.

For a stack of layers `h_l = f_l(h_{l-1})` the chain rule gives the gradient
that reaches layer `l` from the loss as a product of Jacobians,

    ∂L/∂h_l = ∂L/∂h_L · ∂h_L/∂h_{L-1} ⋯ ∂h_{l+1}/∂h_l,

so its norm shrinks or grows geometrically with the number of factors. The
probes measure it layer by layer: [gradient_norms][dlref.probes.gradient_norms]
gives ‖∂L/∂z_l‖ (the gradient with respect to each layer's output) and
‖∂L/∂W_l‖ (what each layer's update is made of), and
[activation_stats][dlref.probes.activation_stats] gives the mean and standard
deviations of every layer's output on a batch.

Layers are the modules of one type (`nn.Linear` unless told otherwise), in the
order `model.modules()` yields them: registration order, which for an
`nn.Sequential` is input to output. Hooks that a probe installs are removed
before it returns, even when the forward pass raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn


def layers_of(model: nn.Module, layer_type: type[nn.Module] = nn.Linear) -> list[nn.Module]:
    """The modules of `model` that are instances of `layer_type`, input to output.

    Examples:
        ```python
        from torch import nn
        from dlref.probes import layers_of

        model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1)))
        print(layers_of(model))
        assert layers_of(model) == [model[0], model[2][0]]
        assert layers_of(model, nn.ReLU) == [model[1]]
        ```
    """
    found = [m for m in model.modules() if isinstance(m, layer_type)]
    if not found:
        raise ValueError(f"the model has no {layer_type.__name__} layer to probe")
    return found


@dataclass(frozen=True)
class GradientNorms:
    """Per-layer gradient norms of one backward pass, layer 1 (next to the input) first.

    Examples:
        ```python
        import torch
        import torch.nn.functional as F
        from torch import nn
        from dlref.probes import GradientNorms, gradient_norms

        torch.manual_seed(0)
        layers = [m for _ in range(6) for m in (nn.Linear(16, 16), nn.Sigmoid())]
        model = nn.Sequential(*layers, nn.Linear(16, 1))
        norms = gradient_norms(model, torch.randn(32, 16), torch.randn(32, 1), F.mse_loss)
        print([f"{n:.1e}" for n in norms.output])
        assert isinstance(norms, GradientNorms) and len(norms.output) == len(norms.weight) == 7
        assert norms.output[0] < norms.output[-2] / 100  # σ' <= 1/4: it fades toward the input
        ```
    """

    output: list[float]
    """‖∂L/∂z_l‖_F: the gradient with respect to the layer's output tensor, over the
    whole batch (the backpropagated signal)."""
    weight: list[float]
    """‖∂L/∂W_l‖_F: the gradient of the layer's `weight` parameter (what an optimiser's
    update is made of)."""


def gradient_norms(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    *,
    layer_type: type[nn.Module] = nn.Linear,
) -> GradientNorms:
    """Frobenius norms of the gradients at each layer for one batch, input to output.

    Runs `loss_fn(model(x), y).backward()` once, in the model's current mode,
    after `model.zero_grad(set_to_none=True)`; the parameters' `.grad` hold
    this batch's gradients afterwards. The gradients with respect to the layers'
    outputs are captured by forward hooks that register tensor hooks; the forward
    hooks are removed before the backward pass (also when the forward pass raises).

    Args:
        layer_type: which modules count as layers; each needs a `weight` parameter.

    Examples:
        ```python
        import math
        import torch
        import torch.nn.functional as F
        from torch import nn
        from dlref.probes import gradient_norms

        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
        x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
        norms = gradient_norms(model, x, y, F.cross_entropy)
        z1 = model[0](x)  # the same forward pass, with the outputs kept by hand
        logits = model[2](torch.tanh(z1))
        g_z1, g_logits = torch.autograd.grad(F.cross_entropy(logits, y), (z1, logits))
        print(norms)
        assert math.isclose(norms.output[0], g_z1.norm().item(), rel_tol=1e-5)
        assert math.isclose(norms.output[1], g_logits.norm().item(), rel_tol=1e-5)
        grad_w2 = g_logits.T @ torch.tanh(z1)  # ∂L/∂W = (∂L/∂z)ᵀ a
        assert math.isclose(norms.weight[1], grad_w2.norm().item(), rel_tol=1e-5)
        ```
    """
    layers = layers_of(model, layer_type)
    captured: dict[int, Tensor] = {}

    def capture(index: int) -> Callable[[nn.Module, tuple[Tensor, ...], Tensor], None]:
        def hook(_module: nn.Module, _inputs: tuple[Tensor, ...], output: Tensor) -> None:
            def keep(grad: Tensor) -> None:
                captured[index] = grad.detach()

            output.register_hook(keep)

        return hook

    model.zero_grad(set_to_none=True)
    handles = [m.register_forward_hook(capture(i)) for i, m in enumerate(layers)]
    try:
        loss = loss_fn(model(x), y)
    finally:
        for handle in handles:
            handle.remove()
    loss.backward()
    weight_norms = []
    for layer in layers:
        weight = getattr(layer, "weight", None)
        grad = weight.grad if isinstance(weight, Tensor) else None
        if grad is None:
            raise ValueError(f"{type(layer).__name__} has no weight gradient")
        weight_norms.append(float(grad.norm()))
    return GradientNorms(
        output=[float(captured[i].norm()) for i in range(len(layers))], weight=weight_norms
    )


@dataclass(frozen=True)
class ActivationStats:
    """Statistics of one layer's output over a batch (all its entries pooled).

    Examples:
        ```python
        import torch
        from dlref.probes import ActivationStats, activation_stats

        torch.manual_seed(0)
        layer = torch.nn.Linear(10, 3)
        (same,) = activation_stats(layer, torch.ones(8, 10))  # every input the same
        (varied,) = activation_stats(layer, torch.randn(8, 10))
        print(same)
        print(varied)
        assert isinstance(same, ActivationStats)
        assert same.batch_std == 0.0 and same.std > 0 and varied.batch_std > 0
        ```
    """

    mean: float
    """Mean of all the entries."""
    std: float
    """Population standard deviation of all the entries."""
    batch_std: float
    """How much the output depends on the input: √(mean over units of each unit's variance
    across the batch, dimension 0). It is 0 when every input gives the same output."""
    zero_fraction: float
    """Fraction of entries exactly 0 (dead ReLU units, or a collapsed signal)."""
    abs_max: float
    """Largest absolute value of any entry: unlike `std`, it also sees an offset shared
    by every entry (a pre-activation far from 0 saturates a sigmoid whatever its spread)."""


@torch.no_grad()
def activation_stats(
    model: nn.Module, x: Tensor, *, layer_type: type[nn.Module] = nn.Linear
) -> list[ActivationStats]:
    """Mean, standard deviations, zero fraction and largest |entry| of each layer's output on `x`.

    One forward pass under `torch.no_grad()` in the model's current mode (a
    BatchNorm layer in training mode normalises with the batch's statistics and
    updates its running averages, as in any training-mode forward). The outputs are
    recorded by forward hooks, removed before returning, and the statistics are
    computed in float64. `std` pools all the entries of the output; `batch_std`
    keeps only the spread across the batch (per unit), so a signal that no longer
    depends on the input has a `batch_std` near 0 whatever its `std`.

    With `layer_type=nn.Linear` these are the pre-activations
    `z_l = W_l a_{l-1} + b_l` whose variance the initialisation schemes of
    [dlref.init][] are designed to keep constant.

    Examples:
        ```python
        import math
        import torch
        from torch import nn
        from dlref.probes import activation_stats

        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))
        x = torch.randn(64, 10)
        first, last = activation_stats(model, x)
        z = model[0](x).detach().double()
        print(first)
        assert math.isclose(first.mean, z.mean().item())
        assert math.isclose(first.std, z.std(correction=0).item())
        (after_relu,) = activation_stats(model, x, layer_type=nn.ReLU)
        assert after_relu.zero_fraction == (z <= 0).double().mean().item()
        ```
    """
    layers = layers_of(model, layer_type)
    stats: dict[int, ActivationStats] = {}

    def record(index: int) -> Callable[[nn.Module, tuple[Tensor, ...], Tensor], None]:
        def hook(_module: nn.Module, _inputs: tuple[Tensor, ...], output: Tensor) -> None:
            out = output.detach().double()
            stats[index] = ActivationStats(
                mean=float(out.mean()),
                std=float(out.std(correction=0)),
                batch_std=float(out.var(dim=0, correction=0).mean().sqrt()),
                zero_fraction=float((out == 0).double().mean()),
                abs_max=float(out.abs().max()),
            )

        return hook

    handles = [m.register_forward_hook(record(i)) for i, m in enumerate(layers)]
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return [stats[i] for i in range(len(layers))]
