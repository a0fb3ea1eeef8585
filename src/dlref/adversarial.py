"""Adversarial examples: small input changes, chosen with the gradient, that flip a prediction.

The fast gradient sign method (FGSM; Goodfellow, Shlens and Szegedy 2015) moves
every input value by the same amount ``ε`` in the direction that increases the
loss, then clips the result back to the valid input range ``[lo, hi]``:

$$
x' = \\operatorname{clip}_{[lo,\\,hi]}\\big(x + \\varepsilon\\,
     \\operatorname{sign}(\\nabla_x L(f(x), y))\\big)
$$

so ``‖x' − x‖∞ ≤ ε``. Its iterated form (``iterative_fgsm``) takes several
smaller steps and projects back into the ``ε``-ball after each one. To tell a
chosen direction from mere noise, ``random_sign_noise`` moves every value
by ``±ε`` with random signs: the same L∞ size, no gradient.

Every function works on a batch (the first dimension indexes examples), on any
device, puts the model in evaluation mode while it runs (restoring the previous
mode afterwards) and leaves the parameters' ``.grad`` untouched.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "fgsm",
    "input_gradient",
    "iterative_fgsm",
    "linf_norm",
    "minimal_epsilon",
    "random_sign_noise",
    "summed_cross_entropy",
]

LossFn = Callable[[Tensor, Tensor], Tensor]
Bounds = tuple[float, float] | None


def summed_cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """``Σ_i −log softmax(logits_i)[targets_i]``: cross-entropy summed (not averaged) over a batch.

    Summing makes each example's input gradient independent of the batch size
    (the mean would divide it by ``N``); the sign, which FGSM uses, is the same.

    Examples:
        ```python
        import torch
        import torch.nn.functional as F
        from dlref.adversarial import summed_cross_entropy

        logits, targets = torch.randn(5, 3), torch.tensor([0, 2, 1, 1, 0])
        by_hand = -logits.log_softmax(dim=1)[torch.arange(5), targets].sum()
        summed = summed_cross_entropy(logits, targets)
        print(summed)
        torch.testing.assert_close(summed, by_hand)
        torch.testing.assert_close(summed, 5 * F.cross_entropy(logits, targets))
        ```
    """
    return F.cross_entropy(logits, targets, reduction="sum")


def _check_bounds(bounds: Bounds) -> None:
    if bounds is not None and not bounds[0] < bounds[1]:
        raise ValueError(f"bounds must be (lo, hi) with lo < hi, got {bounds}")


def _clip(x: Tensor, bounds: Bounds) -> Tensor:
    return x if bounds is None else x.clamp(bounds[0], bounds[1])


def input_gradient(
    model: nn.Module, x: Tensor, y: Tensor, loss_fn: LossFn = summed_cross_entropy
) -> Tensor:
    """``∇_x L(f(x), y)``: the gradient of the loss with respect to the input, shape of ``x``.

    Computed in evaluation mode with ``torch.autograd.grad``, so the model's
    parameters get no ``.grad`` and the model's previous mode is restored.

    Examples:
        ```python
        import torch
        import torch.nn.functional as F
        from dlref.adversarial import input_gradient

        torch.manual_seed(0)
        model = torch.nn.Linear(4, 3)
        x, y = torch.rand(2, 4), torch.tensor([0, 2])
        grad = input_gradient(model, x, y)
        with torch.no_grad():  # for a linear model: (softmax(Wx + b) - onehot(y)) W
            by_hand = (model(x).softmax(dim=1) - F.one_hot(y, 3)) @ model.weight
        print(grad)
        torch.testing.assert_close(grad, by_hand)
        assert model.weight.grad is None
        ```
    """
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            x_var = x.detach().clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(loss_fn(model(x_var), y), x_var)
    finally:
        model.train(was_training)
    return grad


def fgsm(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    epsilon: float,
    loss_fn: LossFn = summed_cross_entropy,
    bounds: Bounds = (0.0, 1.0),
) -> Tensor:
    """The fast gradient sign method: ``clip(x + ε · sign(∇_x L(f(x), y)), lo, hi)``.

    Args:
        model: a classifier mapping ``x`` to logits (any differentiable model works
            with a matching ``loss_fn``).
        x: the clean inputs, a batch.
        y: the true labels (what the attack moves away from).
        epsilon: the L∞ budget ``ε >= 0``, in the units of ``x``.
        loss_fn: ``loss_fn(model(x), y)`` must return a scalar; cross-entropy summed
            over the batch by default.
        bounds: the valid input range ``(lo, hi)`` to clip to, ``(0, 1)`` for pixels
            scaled to [0, 1]; ``None`` to skip clipping.

    Returns a new tensor (no autograd history) with ``‖x' − x‖∞ ≤ ε`` per example
    and every value inside ``bounds``. A pixel whose gradient is exactly zero is
    not moved (``sign(0) = 0``).

    Examples:
        ```python
        import torch
        from dlref.adversarial import fgsm

        torch.manual_seed(0)
        model = torch.nn.Linear(4, 2)
        x = torch.full((1, 4), 0.5)
        y = model(x).argmax(dim=1)  # attack the model's own prediction
        i = int(y)


        def margin(v: torch.Tensor) -> float:
            with torch.no_grad():
                out = model(v)[0]
            return (out[i] - out[1 - i]).item()


        x_adv = fgsm(model, x, y, epsilon=0.1)
        w = model.weight.detach()
        print(margin(x), margin(x_adv))
        # for a linear model the margin drops by exactly ε ‖w_y − w_other‖₁
        drop = 0.1 * (w[i] - w[1 - i]).abs().sum().item()
        assert abs(margin(x) - margin(x_adv) - drop) < 1e-5
        assert (x_adv - x).abs().max() <= 0.1 + 1e-7
        ```
    """
    if epsilon < 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon}")
    _check_bounds(bounds)
    grad = input_gradient(model, x, y, loss_fn)
    return _clip(x.detach() + epsilon * grad.sign(), bounds)


def iterative_fgsm(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    epsilon: float,
    step_size: float,
    steps: int,
    loss_fn: LossFn = summed_cross_entropy,
    bounds: Bounds = (0.0, 1.0),
) -> Tensor:
    """Iterated FGSM (Kurakin, Goodfellow and Bengio 2017; PGD without a random start).

    Starting from ``x⁰ = x``, for ``t = 0 .. steps − 1``::

        xᵗ⁺¹ = clip_[lo, hi]( clip_[x − ε, x + ε]( xᵗ + α · sign(∇_x L(f(xᵗ), y)) ) )

    with ``α = step_size``. Each step is projected back into the L∞ ball of radius
    ``ε`` around ``x`` and into ``bounds``, so the result obeys the same budget as
    ``fgsm`` while following the loss more closely than one big step.

    Examples:
        ```python
        import torch
        from dlref.adversarial import fgsm, iterative_fgsm

        torch.manual_seed(0)
        model = torch.nn.Linear(4, 2)
        x = torch.full((3, 4), 0.5)
        y = torch.tensor([0, 1, 0])
        x_iter = iterative_fgsm(model, x, y, epsilon=0.1, step_size=0.03, steps=5)
        print(x_iter - x)
        # a linear model's gradient sign never changes: the steps add up to one FGSM step
        assert torch.equal(x_iter, fgsm(model, x, y, epsilon=0.1))
        ```
    """
    if epsilon < 0 or step_size <= 0 or steps < 1:
        raise ValueError(
            f"need epsilon >= 0, step_size > 0, steps >= 1; got {epsilon}, {step_size}, {steps}"
        )
    _check_bounds(bounds)
    clean = x.detach()
    current = clean.clone()
    for _ in range(steps):
        grad = input_gradient(model, current, y, loss_fn)
        stepped = current + step_size * grad.sign()
        current = _clip(torch.clamp(stepped, clean - epsilon, clean + epsilon), bounds)
    return current


def random_sign_noise(
    x: Tensor, epsilon: float, seed: int = 0, bounds: Bounds = (0.0, 1.0)
) -> Tensor:
    """``clip(x + ε · s, lo, hi)`` with every ``s`` drawn independently from {−1, +1}.

    The baseline for ``fgsm``: a perturbation of the same L∞ size whose signs
    are random instead of chosen by the gradient. The signs come from a local
    generator seeded with ``seed`` (drawn on the CPU, so every device gets the
    same noise).

    Examples:
        ```python
        import torch
        from dlref.adversarial import random_sign_noise

        x = torch.full((2, 1000), 0.5)
        delta = random_sign_noise(x, epsilon=0.1, seed=0) - x
        print(delta.sign().mean())  # about as many steps up as down
        torch.testing.assert_close(delta.abs(), torch.full_like(delta, 0.1))
        assert delta.sign().mean().abs() < 0.1
        assert torch.equal(random_sign_noise(x, 0.1, seed=0), random_sign_noise(x, 0.1, seed=0))
        ```
    """
    if epsilon < 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon}")
    _check_bounds(bounds)
    generator = torch.Generator().manual_seed(seed)
    signs = torch.randint(0, 2, x.shape, generator=generator).to(x.device, x.dtype) * 2 - 1
    return _clip(x.detach() + epsilon * signs, bounds)


def linf_norm(delta: Tensor) -> Tensor:
    """``‖δ_i‖∞ = max_j |δ_ij|`` for every example ``i`` (all dimensions but the first).

    Examples:
        ```python
        import torch
        from dlref.adversarial import linf_norm

        rows = [[[0.1, -0.3], [0.2, 0.0]], [[0.0, 0.05], [-0.02, 0.01]]]
        delta = torch.tensor(rows, dtype=torch.float64)
        print(linf_norm(delta))
        inf = torch.linalg.vector_norm(delta.flatten(1), ord=float("inf"), dim=1)
        assert torch.equal(linf_norm(delta), inf) and linf_norm(delta).tolist() == [0.3, 0.05]
        ```
    """
    if delta.dim() < 1 or delta.shape[0] == 0:
        raise ValueError(f"need a non-empty batch, got shape {tuple(delta.shape)}")
    return delta.reshape(delta.shape[0], -1).abs().amax(dim=1)


@torch.no_grad()
def _predict(model: nn.Module, x: Tensor) -> Tensor:
    was_training = model.training
    model.eval()
    try:
        predicted: Tensor = model(x).argmax(dim=1)
    finally:
        model.train(was_training)
    return predicted


def minimal_epsilon(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    epsilons: Sequence[float],
    loss_fn: LossFn = summed_cross_entropy,
    bounds: Bounds = (0.0, 1.0),
) -> Tensor:
    """For every example, the smallest ``ε`` in ``epsilons`` at which FGSM makes it misclassified.

    ``epsilons`` must be non-negative and increasing. The gradient sign is
    computed once at ``x`` (FGSM's direction does not depend on ``ε``); each
    ``ε`` only scales it. Returns a float tensor of shape ``(N,)`` on ``x``'s
    device: ``math.inf`` where no ``ε`` in the grid changes a correct prediction,
    and the first grid value for an example already misclassified.

    Examples:
        ```python
        import torch
        from dlref.adversarial import minimal_epsilon

        torch.manual_seed(0)
        model = torch.nn.Linear(3, 2)
        x = torch.rand(6, 3)
        with torch.no_grad():
            logits = model(x)
        y = logits.argmax(dim=1)
        grid = [k / 100 for k in range(101)]
        found = minimal_epsilon(model, x, y, grid, bounds=None)
        # linear model: the prediction flips at ε = margin / ‖w_0 − w_1‖₁
        margin = (logits[:, 0] - logits[:, 1]).abs()
        exact = margin / (model.weight[0] - model.weight[1]).abs().sum().detach()
        print(found, exact)
        inside = exact < 1
        assert torch.equal(torch.isinf(found), ~inside)
        assert ((found[inside] >= exact[inside]) & (found[inside] < exact[inside] + 0.01)).all()
        ```
    """
    grid = [float(e) for e in epsilons]
    if not grid or grid[0] < 0 or any(b <= a for a, b in itertools.pairwise(grid)):
        raise ValueError(f"epsilons must be non-negative and strictly increasing, got {grid}")
    _check_bounds(bounds)
    direction = input_gradient(model, x, y, loss_fn).sign()
    found = torch.full((x.shape[0],), math.inf, device=x.device)
    for eps in grid:
        wrong = _predict(model, _clip(x.detach() + eps * direction, bounds)) != y
        found = torch.where(wrong & torch.isinf(found), torch.full_like(found, eps), found)
    return found
