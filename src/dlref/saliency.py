r"""Which inputs a prediction depends on: gradient saliency and integrated gradients.

A classifier maps an input $x \in \mathbb{R}^n$ to logits $f(x) \in \mathbb{R}^C$;
write $f_c(x)$ for the logit of class $c$.

**Input-gradient saliency** (Simonyan, Vedaldi and Zisserman 2014) is the gradient
of one class's logit with respect to the input,

$$
s_c(x) = \nabla_x f_c(x) \in \mathbb{R}^n,
$$

the first-order answer to "how much would the logit change if input $i$ moved a
little". For a linear model $f(x) = W x + b$ it is the weight row $W_c$, whatever
$x$ is.

**Integrated gradients** (Sundararajan, Taly and Yan 2017) average the gradient
along the straight path from a baseline $x'$ to $x$:

$$
\operatorname{IG}_i(x) = (x_i - x'_i) \int_0^1
    \frac{\partial f_c}{\partial x_i}\big(x' + \alpha (x - x')\big)\, d\alpha .
$$

By the fundamental theorem of calculus for path integrals the attributions add up
to the change of the logit, $\sum_i \operatorname{IG}_i(x) = f_c(x) - f_c(x')$
(**completeness**). The integral is approximated by a sum over ``steps`` points;
``completeness_gap`` measures how far a sum is from that identity.

Every function works on a batch (the first dimension indexes examples), puts the
model in evaluation mode while it runs (restoring its previous mode), and leaves the
parameters' ``.grad`` untouched.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from dlref.adversarial import input_gradient

__all__ = [
    "RULES",
    "completeness_gap",
    "integrated_gradients",
    "logit_gradient",
    "path_nodes",
    "rank_correlation",
]

RULES = ("left", "right", "midpoint", "trapezoid")
"""The quadrature rules ``integrated_gradients`` accepts."""


def _as_targets(target: Tensor | int, n: int, device: torch.device) -> Tensor:
    if isinstance(target, int):
        return torch.full((n,), target, dtype=torch.long, device=device)
    if target.shape != (n,):
        raise ValueError(f"target must be an int or have shape ({n},), got {tuple(target.shape)}")
    return target.to(device=device, dtype=torch.long)


def _select(logits: Tensor, targets: Tensor) -> Tensor:
    if logits.dim() != 2:
        raise ValueError(f"the model must return logits of shape (N, C), got {tuple(logits.shape)}")
    selected: Tensor = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
    return selected


def _selected_logits(model: nn.Module, x: Tensor, targets: Tensor) -> Tensor:
    return _select(model(x), targets)


def logit_gradient(model: nn.Module, x: Tensor, target: Tensor | int) -> Tensor:
    r"""$\nabla_x f_c(x)$ for every example: the input-gradient saliency of class ``target``.

    Args:
        model: maps a batch ``x`` of shape ``(N, ...)`` to logits of shape ``(N, C)``.
        x: the inputs.
        target: the class $c$ whose logit is differentiated, one per example
            (shape ``(N,)``) or one ``int`` for all.

    Returns a tensor of the shape of ``x``. Examples do not interact (each logit
    depends on its own input only, as in any model without batch statistics), so
    differentiating the sum of the selected logits gives every example's gradient.

    Examples:
        ```python
        import torch
        from dlref.saliency import logit_gradient

        torch.manual_seed(0)
        model = torch.nn.Linear(5, 3).double()
        x = torch.randn(4, 5, dtype=torch.float64)
        grad = logit_gradient(model, x, torch.tensor([0, 2, 2, 1]))
        print(grad)
        # a linear model's saliency is the weight row of the class, whatever x is
        torch.testing.assert_close(grad, model.weight.detach()[[0, 2, 2, 1]])
        assert model.weight.grad is None
        ```
    """
    targets = _as_targets(target, x.shape[0], x.device)
    # the loss's gradient, with the sum of the selected logits as the "loss"
    return input_gradient(model, x, targets, loss_fn=lambda logits, t: _select(logits, t).sum())


def path_nodes(steps: int, rule: str = "midpoint") -> tuple[Tensor, Tensor]:
    r"""Nodes $\alpha_k \in [0, 1]$ and weights $w_k$ of a ``steps``-interval quadrature rule.

    $\int_0^1 g(\alpha)\, d\alpha \approx \sum_k w_k\, g(\alpha_k)$ with ``steps`` $= m$
    intervals of width $1/m$:

    * ``"left"``: $\alpha_k = k/m$, $k = 0..m-1$; ``"right"``: $\alpha_k = k/m$,
      $k = 1..m$ (the sum of Sundararajan et al.), both with $w_k = 1/m$;
    * ``"midpoint"``: $\alpha_k = (k + \tfrac12)/m$, $w_k = 1/m$;
    * ``"trapezoid"``: $\alpha_k = k/m$, $k = 0..m$, weights $1/m$ with the two ends
      halved.

    For a smooth integrand the left and right sums are off by $O(1/m)$, the midpoint
    and trapezoid rules by $O(1/m^2)$. Float64, on the CPU.

    Examples:
        ```python
        import torch
        from dlref.saliency import path_nodes

        for rule in ("left", "right", "midpoint", "trapezoid"):
            alpha, weight = path_nodes(8, rule)
            assert abs(weight.sum().item() - 1) < 1e-15  # integrates a constant exactly
            exact = 1 / 3  # the integral of alpha^2 over [0, 1]
            print(rule, (weight * alpha**2).sum().item() - exact)
        alpha, weight = path_nodes(8, "midpoint")
        assert abs((weight * alpha**2).sum().item() - 1 / 3 + 1 / (12 * 64)) < 1e-15
        ```
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    m = steps
    k = torch.arange(m + 1, dtype=torch.float64)
    if rule == "left":
        return k[:m] / m, torch.full((m,), 1 / m, dtype=torch.float64)
    if rule == "right":
        return k[1:] / m, torch.full((m,), 1 / m, dtype=torch.float64)
    if rule == "midpoint":
        return (k[:m] + 0.5) / m, torch.full((m,), 1 / m, dtype=torch.float64)
    if rule == "trapezoid":
        weight = torch.full((m + 1,), 1 / m, dtype=torch.float64)
        weight[0] = weight[-1] = 0.5 / m
        return k / m, weight
    raise ValueError(f"rule must be one of {RULES}, got {rule!r}")


def integrated_gradients(
    model: nn.Module,
    x: Tensor,
    target: Tensor | int,
    baseline: Tensor | None = None,
    steps: int = 64,
    rule: str = "midpoint",
) -> Tensor:
    r"""Integrated gradients of class ``target`` from ``baseline`` to ``x``, by quadrature.

    $$
    \operatorname{IG}_i(x) \approx (x_i - x'_i) \sum_k w_k\,
        \frac{\partial f_c}{\partial x_i}\big(x' + \alpha_k (x - x')\big)
    $$

    with the nodes and weights of ``path_nodes(steps, rule)``.

    Args:
        model: maps a batch of shape ``(N, ...)`` to logits ``(N, C)``.
        x: the inputs.
        target: the class per example (shape ``(N,)``) or one ``int`` for all.
        baseline: $x'$, the shape of ``x`` or of one example (broadcast); all zeros
            (a black image) when ``None``.
        steps: the number of intervals $m$ of the quadrature.
        rule: ``"left"``, ``"right"``, ``"midpoint"`` or ``"trapezoid"``.

    Returns attributions of the shape and dtype of ``x``. Their sum over all input
    dimensions approaches $f_c(x) - f_c(x')$ as ``steps`` grows
    (``completeness_gap`` measures the difference).

    Examples:
        ```python
        import torch
        from dlref.saliency import integrated_gradients

        torch.manual_seed(0)
        model = torch.nn.Linear(6, 3).double()
        x = torch.randn(2, 6, dtype=torch.float64)
        base = torch.randn(6, dtype=torch.float64)
        ig = integrated_gradients(model, x, 1, baseline=base, steps=3)
        print(ig)
        # linear model: the gradient is constant, so IG = (x - x') * w_c for any rule
        torch.testing.assert_close(ig, (x - base) * model.weight.detach()[1])
        ```
    """
    base = torch.zeros_like(x) if baseline is None else baseline.to(x).expand_as(x)
    targets = _as_targets(target, x.shape[0], x.device)
    alphas, weights = path_nodes(steps, rule)
    delta = (x - base).detach()
    n = x.shape[0]
    view = (-1, *([1] * x.dim()))  # (points, 1, 1, ...) against (1, N, ...)
    chunk = max(1, 8192 // max(n, 1))  # path points per forward pass
    total = torch.zeros_like(delta)
    for start in range(0, len(alphas), chunk):
        a = alphas[start : start + chunk].to(x).reshape(view)
        w = weights[start : start + chunk].to(x).reshape(view)
        points = (base.unsqueeze(0) + a * delta.unsqueeze(0)).reshape(-1, *x.shape[1:])
        grads = logit_gradient(model, points, targets.repeat(a.shape[0]))
        total += (w * grads.reshape(-1, *x.shape)).sum(dim=0)
    return delta * total


def completeness_gap(
    model: nn.Module,
    x: Tensor,
    target: Tensor | int,
    attributions: Tensor,
    baseline: Tensor | None = None,
) -> Tensor:
    r"""$\sum_i a_i - \big(f_c(x) - f_c(x')\big)$ for every example: zero for exact IG.

    ``attributions`` has the shape of ``x``; ``baseline`` is as in
    ``integrated_gradients`` (zeros when ``None``). Returns shape ``(N,)``.

    Examples:
        ```python
        import torch
        from dlref.saliency import completeness_gap, integrated_gradients

        torch.manual_seed(0)
        model = torch.nn.Sequential(
            torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)
        ).double()
        x = torch.randn(5, 4, dtype=torch.float64)
        for steps in (4, 16, 64):
            ig = integrated_gradients(model, x, 2, steps=steps, rule="midpoint")
            gap = completeness_gap(model, x, 2, ig).abs().max().item()
            print(steps, gap)
        assert gap < 1e-4  # a smooth model: the midpoint error falls like 1/steps^2
        ```
    """
    base = torch.zeros_like(x) if baseline is None else baseline.to(x).expand_as(x)
    targets = _as_targets(target, x.shape[0], x.device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            change = _selected_logits(model, x, targets) - _selected_logits(model, base, targets)
    finally:
        model.train(was_training)
    return attributions.reshape(x.shape[0], -1).sum(dim=1) - change


def _average_ranks(values: Tensor) -> Tensor:
    # rank = 1 + (number smaller) + (number tied, itself excluded) / 2: ties share their mean rank
    smaller = (values.unsqueeze(2) > values.unsqueeze(1)).sum(dim=2)
    tied = (values.unsqueeze(2) == values.unsqueeze(1)).sum(dim=2)
    return 1 + smaller.to(torch.float64) + (tied - 1).to(torch.float64) / 2


def rank_correlation(a: Tensor, b: Tensor) -> Tensor:
    r"""Spearman's rank correlation between ``a[i]`` and ``b[i]`` for every example ``i``.

    Each example is flattened; its entries are replaced by their ranks (tied entries
    share the mean of their ranks), and the result is the Pearson correlation of the
    two rank vectors,

    $$
    \rho = \frac{\sum_j (r_j - \bar r)(s_j - \bar s)}
               {\sqrt{\sum_j (r_j - \bar r)^2 \sum_j (s_j - \bar s)^2}} \in [-1, 1].
    $$

    The measure Adebayo et al. (2018) use to compare two saliency maps (of their
    absolute values). Returns float64 of shape ``(N,)``; NaN for a constant map.
    Ranks are found by comparing all pairs, so each example should have at most a
    few thousand entries.

    Examples:
        ```python
        import torch
        from scipy.stats import spearmanr
        from dlref.saliency import rank_correlation

        a = torch.tensor([[0.0, 0.0, 1.0, 3.0, 2.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
        b = torch.tensor([[0.0, 1.0, 0.5, 9.0, 8.0], [5.0, 4.0, 3.0, 2.0, 1.0]])
        rho = rank_correlation(a, b)
        print(rho)
        assert abs(rho[0].item() - spearmanr(a[0], b[0]).statistic) < 1e-12  # ties averaged
        assert rho[1].item() == -1.0
        ```
    """
    if a.shape != b.shape or a.dim() < 1:
        raise ValueError(
            f"need two batches of the same shape, got {tuple(a.shape)}, {tuple(b.shape)}"
        )
    ra = _average_ranks(a.reshape(a.shape[0], -1))
    rb = _average_ranks(b.reshape(b.shape[0], -1))
    ra = ra - ra.mean(dim=1, keepdim=True)
    rb = rb - rb.mean(dim=1, keepdim=True)
    return (ra * rb).sum(dim=1) / torch.sqrt((ra * ra).sum(dim=1) * (rb * rb).sum(dim=1))
