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
import math
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters

__all__ = [
    "chord_gap",
    "double_softmax_loss_bounds",
    "loss_along_line",
    "naive_bce",
    "permute_hidden_units",
]


def double_softmax_loss_bounds(num_classes: int) -> tuple[float, float]:
    """The band that cross-entropy is confined to when softmax is applied twice.

    ``nn.CrossEntropyLoss`` applies log-softmax itself. A model that already ends
    in ``softmax`` feeds it probabilities $p \\in [0, 1]^C$ with
    $\\sum_j p_j = 1$ as if they were logits, and the loss for the correct class
    $y$ becomes

    $$
    f(p) = \\log \\sum_{j=1}^{C} e^{p_j} - p_y
         = \\log\\Big(1 + \\sum_{j \\ne y} e^{p_j - p_y}\\Big).
    $$

    Fix $p_y$; the other $C-1$ entries are non-negative and sum to $1 - p_y$.
    Since $e^x$ is convex, $\\sum_{j \\ne y} e^{p_j}$ is largest when one entry
    takes all of $1 - p_y$ and smallest when they share it equally, so

    $$
    \\log\\big(1 + (C-1)\\,e^{(1-p_y)/(C-1) - p_y}\\big)
    \\le f(p) \\le
    \\log\\big(1 + (C-2)\\,e^{-p_y} + e^{1 - 2p_y}\\big).
    $$

    Both sides fall as $p_y$ grows. The lower one is smallest at $p_y = 1$
    (a perfect, fully confident model): $\\log(1 + (C-1)/e) = \\log(e + C - 1) - 1$.
    The upper one is largest at $p_y = 0$ with all the mass on one wrong class
    (a confidently wrong model): $\\log(e + C - 1)$. Hence

    $$
    \\log(e + C - 1) - 1 \\le f(p) \\le \\log(e + C - 1),
    $$

    and both ends are attained. The true cross-entropy $-\\log p_y$ runs over
    $[0, \\infty)$ instead: the doubled loss can never approach 0, and whenever
    the true loss exceeds $\\log(e + C - 1)$ the doubled one reads lower. For a
    uniform $p$ both equal $\\log C$.

    Args:
        num_classes: the number of classes $C$, at least 2.

    Returns:
        ``(low, high)`` $= (\\log(e + C - 1) - 1, \\log(e + C - 1))$.

    Raises:
        ValueError: if ``num_classes`` is below 2.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.losses import double_softmax_loss_bounds

        low, high = double_softmax_loss_bounds(10)
        logits = torch.tensor([[1e4] + [0.0] * 9])  # a perfect, fully confident model
        probabilities = torch.softmax(logits, dim=1)  # the model's last layer
        loss = nn.CrossEntropyLoss()(probabilities, torch.tensor([0]))  # softmax again
        print(f"band [{low:.4f}, {high:.4f}], loss of a perfect model {loss.item():.4f}")
        assert abs(loss.item() - low) < 1e-5
        ```
    """
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    high = math.log(math.e + num_classes - 1)
    return high - 1.0, high


def naive_bce(probabilities: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy from the formula, with no clamping and no fused log-sigmoid.

    Per element $\\ell_i = -\\big[t_i \\log p_i + (1 - t_i)\\log(1 - p_i)\\big]$, then
    averaged (``reduction="mean"``), summed (``"sum"``) or returned as is (``"none"``),
    like PyTorch's loss modules.

    It agrees with ``nn.BCELoss`` wherever $\\log p$ and $\\log(1-p)$ stay
    above -100 (``BCELoss`` clamps them there). Fed ``p = sigmoid(z)`` for a large
    ``|z|``, ``p`` rounds to exactly 0 or 1 and a term becomes ``-log 0 = inf`` (or
    ``0 · log 0 = nan``): the failure that ``nn.BCEWithLogitsLoss`` avoids.

    Examples:
        ```python
        import math
        import torch
        from torch import nn
        from dlref.losses import naive_bce

        p, t = torch.tensor([0.1, 0.7, 0.99]), torch.tensor([0.0, 1.0, 1.0])
        torch.testing.assert_close(naive_bce(p, t), nn.BCELoss()(p, t))
        z, zero = torch.tensor([40.0]), torch.tensor([0.0])
        print(torch.sigmoid(z), naive_bce(torch.sigmoid(z), zero), nn.BCEWithLogitsLoss()(z, zero))
        assert naive_bce(torch.sigmoid(z), zero).isinf()  # sigmoid(40) rounds to 1: -log(1 - 1)
        assert math.isclose(nn.BCEWithLogitsLoss()(z, zero).item(), 40.0)  # log(1 + e^40)
        ```
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

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.losses import permute_hidden_units

        torch.manual_seed(0)
        first, second = nn.Linear(3, 5), nn.Linear(5, 2)
        first_p, second_p = permute_hidden_units(first, second, torch.tensor([4, 2, 0, 1, 3]))
        x = torch.randn(8, 3)
        torch.testing.assert_close(second_p(torch.tanh(first_p(x))), second(torch.tanh(first(x))))
        print(first.weight[0], first_p.weight[2])
        assert not torch.equal(first_p.weight, first.weight)  # other weights, the same function
        ```
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

    Examples:
        ```python
        import torch
        import torch.nn.functional as F
        from torch import nn
        from torch.nn.utils import parameters_to_vector
        from dlref.losses import loss_along_line, permute_hidden_units

        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
        x = torch.randn(64, 2)
        y = model(x).detach()  # the model fits these targets exactly: loss 0
        first, second = permute_hidden_units(model[0], model[2], torch.tensor([1, 0, 3, 2]))
        twin = nn.Sequential(first, nn.Tanh(), second)  # the same function, other weights
        start = parameters_to_vector(model.parameters()).detach()
        end = parameters_to_vector(twin.parameters()).detach()
        losses = loss_along_line(model, F.mse_loss, x, y, start, end, torch.linspace(0, 1, 5))
        print(losses)
        assert losses[0] == 0 and losses[-1] < 1e-10  # two minima of the same function
        assert losses[2] > 1e-3  # and a hill between them
        assert torch.equal(parameters_to_vector(model.parameters()), start)  # model unchanged
        ```
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

    Examples:
        ```python
        import math
        import torch
        from dlref.losses import chord_gap

        alphas = torch.linspace(0, 1, 5, dtype=torch.float64)
        convex = chord_gap(alphas, alphas**2)  # α² lies below its chord, the line α
        torch.testing.assert_close(convex, alphas**2 - alphas)
        bump = chord_gap(alphas, torch.sin(math.pi * alphas))
        print(convex, bump)
        assert (convex <= 0).all() and bump.max() > 0  # sin(πα) is not convex
        ```
    """
    a, v = alphas.to(torch.float64).cpu(), values.to(torch.float64).cpu()
    if a.shape != v.shape:
        raise ValueError(f"alphas and values differ in shape: {tuple(a.shape)} vs {tuple(v.shape)}")
    at_zero, at_one = (a.abs() <= tol).nonzero(), ((a - 1).abs() <= tol).nonzero()
    if len(at_zero) == 0 or len(at_one) == 0:
        raise ValueError("alphas must contain 0 and 1")
    f0, f1 = v[at_zero[0, 0]], v[at_one[0, 0]]
    return v - ((1 - a) * f0 + a * f1)
