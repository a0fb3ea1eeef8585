"""Loss functions written from their formulas, and tools to look at a loss in weight space.

``naive_bce`` is binary cross-entropy exactly as the textbook formula reads,
without the safeguards PyTorch adds, so a page can show what the safeguards are
for. ``loss_along_line``, ``permute_hidden_units`` and ``chord_gap``
cut a one-dimensional slice through a network's weight space and test it
against the definition of convexity: $f$ is convex when, for all
$\\theta_0, \\theta_1$ and $\\alpha \\in [0, 1]$,

$$
f((1 - \\alpha)\\theta_0 + \\alpha\\theta_1)
\\le (1 - \\alpha) f(\\theta_0) + \\alpha f(\\theta_1).
$$

A single $\\alpha$ where the left side is larger proves $f$ is not convex.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters

__all__ = ["chord_gap", "loss_along_line", "naive_bce", "permute_hidden_units"]


def naive_bce(probabilities: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy from the formula, with no clamping and no fused log-sigmoid.

    Per element $\\ell_i = -\\big[t_i \\log p_i + (1 - t_i)\\log(1 - p_i)\\big]$, then
    averaged (``reduction="mean"``), summed (``"sum"``) or returned as is (``"none"``),
    like PyTorch's loss modules.

    It agrees with ``nn.BCELoss`` wherever $\\log p$ and $\\log(1-p)$ stay
    above -100 (``BCELoss`` clamps them there). Fed ``p = sigmoid(z)`` for a large
    ``|z|``, ``p`` rounds to exactly 0 or 1 and a term becomes ``-log 0 = inf`` (or
    ``0 · log 0 = nan``): the failure that ``nn.BCEWithLogitsLoss`` avoids.
    """
    if probabilities.shape != targets.shape:
        raise ValueError(f"shapes differ: {tuple(probabilities.shape)} vs {tuple(targets.shape)}")
    log_p, log_not_p = torch.log(probabilities), torch.log(1 - probabilities)
    per_element = -(targets * log_p + (1 - targets) * log_not_p)
    if reduction == "none":
        return per_element
    if reduction == "sum":
        return per_element.sum()
    if reduction == "mean":
        return per_element.mean()
    raise ValueError(f'reduction must be "mean", "sum" or "none", got {reduction!r}')


def permute_hidden_units(
    first: nn.Linear, second: nn.Linear, permutation: Tensor
) -> tuple[nn.Linear, nn.Linear]:
    """Copies of two consecutive layers with their hidden units reordered.

    With $P$ the permutation, the copies hold $W_1' = W_1[P]$,
    $b_1' = b_1[P]$ and $W_2' = W_2[:, P]$ ($b_2$ unchanged). For
    every elementwise activation $f$,
    $W_2' f(W_1' x + b_1') + b_2 = W_2 f(W_1 x + b_1) + b_2$: the network
    computes the same function with different weights, so a trained network's
    loss has (at least) as many minimisers as there are distinct permutations.
    """
    hidden = first.out_features
    if second.in_features != hidden:
        raise ValueError(f"first has {hidden} outputs but second takes {second.in_features}")
    if sorted(permutation.tolist()) != list(range(hidden)):
        raise ValueError(f"permutation must reorder 0..{hidden - 1}, got {permutation.tolist()}")
    first_p, second_p = copy.deepcopy(first), copy.deepcopy(second)
    index = permutation.to(first.weight.device)
    with torch.no_grad():
        first_p.weight.copy_(first.weight[index])
        if first.bias is not None and first_p.bias is not None:
            first_p.bias.copy_(first.bias[index])
        second_p.weight.copy_(second.weight[:, index])
    return first_p, second_p


@torch.no_grad()
def loss_along_line(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    start: Tensor,
    end: Tensor,
    alphas: Tensor,
) -> Tensor:
    """The loss along the straight line between two parameter vectors.

    Entry ``k`` is
    $L\\big((1 - \\alpha_k)\\,\\theta_{start} + \\alpha_k\\,\\theta_{end}\\big)$,
    where $L(\\theta)$ is ``loss_fn(model(x), y)`` with ``model``'s parameters
    set to $\\theta$ (flattened in the order of ``model.parameters()``, as
    ``torch.nn.utils.parameters_to_vector`` does). ``model`` itself is not changed.
    Returns a float64 CPU tensor of the same length as ``alphas``.
    """
    probe = copy.deepcopy(model)
    size = parameters_to_vector(probe.parameters()).numel()
    if start.numel() != size or end.numel() != size:
        raise ValueError(
            f"the model has {size} parameters; start/end have {start.numel()}/{end.numel()}"
        )
    losses = []
    for alpha in alphas.tolist():
        vector_to_parameters((1 - alpha) * start + alpha * end, probe.parameters())
        losses.append(float(loss_fn(probe(x), y)))
    return torch.tensor(losses, dtype=torch.float64)


def chord_gap(alphas: Tensor, values: Tensor, tol: float = 1e-6) -> Tensor:
    """How far a sampled slice rises above the chord between its ends at 0 and 1.

    ``values[k] = f(alphas[k])``; ``alphas`` must contain 0 and 1 (within ``tol``).
    Returns $f(\\alpha) - \\big[(1 - \\alpha) f(0) + \\alpha f(1)\\big]$ for every
    sample (float64). For a convex $f$ it is $\\le 0$ on
    $[0, 1]$; any positive entry there is a counterexample to convexity.
    """
    a, v = alphas.to(torch.float64).cpu(), values.to(torch.float64).cpu()
    if a.shape != v.shape:
        raise ValueError(f"alphas and values differ in shape: {tuple(a.shape)} vs {tuple(v.shape)}")
    at_zero, at_one = (a.abs() <= tol).nonzero(), ((a - 1).abs() <= tol).nonzero()
    if len(at_zero) == 0 or len(at_one) == 0:
        raise ValueError("alphas must contain 0 and 1")
    f0, f1 = v[at_zero[0, 0]], v[at_one[0, 0]]
    return v - ((1 - a) * f0 + a * f1)
