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

What a layer *represents* is measured by
[layer_outputs][dlref.probes.layer_outputs] (the outputs themselves),
[pca][dlref.probes.pca] (a 2-D view of them) and
[linear_probe][dlref.probes.linear_probe]: a logistic regression fitted on a
layer's outputs, whose accuracy says how linearly separable the classes are in
that layer (Alain & Bengio 2016).

Layers are the modules of one type (`nn.Linear` unless told otherwise), in the
order `model.modules()` yields them: registration order, which for an
`nn.Sequential` is input to output. Hooks that a probe installs are removed
before it returns, even when the forward pass raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

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
    `dlref.init` are designed to keep constant.

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


@torch.no_grad()
def layer_outputs(
    model: nn.Module, x: Tensor, *, layer_type: type[nn.Module] = nn.Linear
) -> list[Tensor]:
    """The output of every layer of type `layer_type` for the batch `x`, input to output.

    One forward pass under `torch.no_grad()` in the model's current mode (call
    `model.eval()` first for dropout or BatchNorm layers); the outputs are
    recorded by forward hooks, removed before returning, and returned detached.
    With `layer_type=nn.ReLU` these are a ReLU network's hidden representations
    $h_l = \\operatorname{ReLU}(W_l h_{l-1} + b_l)$.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.probes import layer_outputs

        torch.manual_seed(0)
        layers = [nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 3)]
        model = nn.Sequential(*layers)
        x = torch.randn(5, 2)
        h1, h2 = layer_outputs(model, x, layer_type=nn.ReLU)
        print(h1.shape, h2.shape)
        assert torch.equal(h2, model[:4](x))  # the same as running the first four modules
        ```
    """
    layers = layers_of(model, layer_type)
    outputs: dict[int, Tensor] = {}

    def record(index: int) -> Callable[[nn.Module, tuple[Tensor, ...], Tensor], None]:
        def hook(_module: nn.Module, _inputs: tuple[Tensor, ...], output: Tensor) -> None:
            outputs[index] = output.detach()

        return hook

    handles = [m.register_forward_hook(record(i)) for i, m in enumerate(layers)]
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return [outputs[i] for i in range(len(layers))]


class PCA(NamedTuple):
    """The result of [pca][dlref.probes.pca].

    Examples:
        ```python
        import torch
        from dlref.probes import PCA, pca

        result = pca(torch.randn(50, 4), k=2)
        print(type(result).__name__, result.scores.shape, result.components.shape)
        assert isinstance(result, PCA) and result.explained.shape == (2,)
        ```
    """

    scores: Tensor
    """`(N, k)`: the centred points projected on the `k` leading directions."""
    components: Tensor
    """`(k, D)`: the directions, orthonormal rows, largest variance first."""
    explained: Tensor
    """`(k,)`: the fraction of the total variance along each direction."""


def pca(features: Tensor, k: int = 2) -> PCA:
    r"""Principal component analysis by the singular value decomposition, in float64.

    With the centred data $X_c = X - \bar x$ (rows are points) and
    $X_c = U S V^\top$ (`torch.linalg.svd`), the leading `k` rows of $V^\top$ are
    the directions of largest variance, the scores are $X_c V_{:k}$, and the
    variance along direction $j$ is $s_j^2/(N-1)$: the $j$-th largest eigenvalue of
    the covariance matrix $X_c^\top X_c/(N-1)$. Each direction's sign is fixed so
    that its largest-magnitude entry is positive, which makes the result
    independent of the SVD routine's sign choice.

    Examples:
        ```python
        import torch
        from dlref.probes import pca

        torch.manual_seed(0)
        x = torch.randn(200, 3) * torch.tensor([3.0, 1.0, 0.1])  # most variance along axis 0
        result = pca(x, k=2)
        centred = (x - x.mean(0)).double()
        eigenvalues = torch.linalg.eigvalsh(centred.T @ centred / 199).flip(0)
        print(result.explained)
        torch.testing.assert_close(result.scores.var(dim=0), eigenvalues[:2])
        assert result.components[0].abs().argmax() == 0
        ```
    """
    if features.dim() != 2:
        raise ValueError(f"features must be (N, D), got {tuple(features.shape)}")
    n, d = features.shape
    if not 1 <= k <= min(n, d):
        raise ValueError(f"k must be between 1 and min(N, D) = {min(n, d)}, got {k}")
    centred = features.detach().double()
    centred = centred - centred.mean(dim=0)
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    components = vh[:k]
    flip = components.gather(1, components.abs().argmax(dim=1, keepdim=True)).sign()
    components = components * torch.where(flip == 0, 1.0, flip)
    variance = s.pow(2)
    total = variance.sum()
    explained = variance[:k] / total if total > 0 else torch.zeros(k, dtype=torch.float64)
    return PCA(centred @ components.T, components, explained)


@dataclass(frozen=True, eq=False)
class LinearProbe:
    r"""A fitted multinomial logistic regression on standardised features.

    For features $h$ the probe computes $z = W\,(h - \mu)/\sigma + b$ and predicts
    $\arg\max_c z_c$; $\mu$ and $\sigma$ are the per-feature mean and standard
    deviation of the training features. Fitted by [linear_probe][dlref.probes.linear_probe].

    Examples:
        ```python
        import torch
        from dlref.probes import LinearProbe, linear_probe

        x = torch.tensor([[0.0], [1.0], [2.0], [3.0]])
        probe = linear_probe(x, torch.tensor([0, 0, 1, 1]))
        print(probe.predict(torch.tensor([[-1.0], [4.0]])))
        assert isinstance(probe, LinearProbe)
        assert probe.accuracy(x, torch.tensor([0, 0, 1, 1])) == 1.0
        ```
    """

    weight: Tensor
    """`(C, D)` float64, acting on standardised features."""
    bias: Tensor
    """`(C,)` float64."""
    mean: Tensor
    """`(D,)`: the training features' mean."""
    scale: Tensor
    """`(D,)`: the training features' standard deviation (1 where it is 0)."""
    loss: float
    """The minimised objective: mean cross-entropy plus the L2 penalty on `weight`."""

    def standardize(self, features: Tensor) -> Tensor:
        """`(features - mean) / scale`, in float64 on the probe's device.

        Examples:
            ```python
            import torch
            from dlref.probes import linear_probe

            x = torch.tensor([[1.0, 5.0], [3.0, 5.0]])
            probe = linear_probe(x, torch.tensor([0, 1]))
            print(probe.standardize(x))
            expected = torch.tensor([[-1.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
            assert torch.equal(probe.standardize(x), expected)  # a constant feature stays 0
            ```
        """
        return (features.detach().to(self.mean) - self.mean) / self.scale

    def logits(self, features: Tensor) -> Tensor:
        """`(N, C)` float64 logits $W (h - \\mu)/\\sigma + b$.

        Examples:
            ```python
            import torch
            from dlref.probes import linear_probe

            x = torch.randn(20, 3, generator=torch.Generator().manual_seed(0))
            probe = linear_probe(x, (x[:, 0] > 0).long())
            logits = probe.logits(x)
            print(logits.shape)
            torch.testing.assert_close(logits, probe.standardize(x) @ probe.weight.T + probe.bias)
            ```
        """
        return self.standardize(features) @ self.weight.T + self.bias

    def predict(self, features: Tensor) -> Tensor:
        """The predicted class of each row: the index of its largest logit.

        Examples:
            ```python
            import torch
            from dlref.probes import linear_probe

            x = torch.tensor([[-2.0], [-1.0], [1.0], [2.0]])
            probe = linear_probe(x, torch.tensor([1, 1, 0, 0]))
            print(probe.predict(x))
            assert probe.predict(x).tolist() == [1, 1, 0, 0]
            ```
        """
        return self.logits(features).argmax(dim=1)

    def accuracy(self, features: Tensor, labels: Tensor) -> float:
        """Fraction of rows whose predicted class equals the label.

        Examples:
            ```python
            import torch
            from dlref.probes import linear_probe

            x = torch.tensor([[0.0], [1.0], [2.0], [3.0]])
            probe = linear_probe(x, torch.tensor([0, 0, 1, 1]))
            print(probe.accuracy(x, torch.tensor([0, 1, 1, 1])))
            assert probe.accuracy(x, torch.tensor([0, 1, 1, 1])) == 0.75
            ```
        """
        predicted = self.predict(features)
        return float((predicted == labels.to(predicted.device)).double().mean())


def linear_probe(
    features: Tensor,
    labels: Tensor,
    *,
    n_classes: int | None = None,
    weight_decay: float = 1e-3,
    max_iter: int = 500,
) -> LinearProbe:
    r"""Fit a linear classifier (multinomial logistic regression) on a layer's features.

    The features $h_i$ are standardised with their own mean and standard
    deviation, then $W, b$ minimise, in float64,

    $$
    \frac1N \sum_{i=1}^N -\log \operatorname{softmax}\bigl(W \tilde h_i + b\bigr)_{y_i}
    + \frac{\lambda}{2} \lVert W \rVert_F^2, \qquad \tilde h_i = (h_i - \mu)/\sigma,
    $$

    with $\lambda$ = `weight_decay` (the bias is not penalised), by L-BFGS with a
    strong-Wolfe line search from $W = 0, b = 0$. For $\lambda > 0$ the objective
    is strictly convex in $W$, so the fitted probabilities do not depend on the
    solver: scikit-learn's `LogisticRegression(C=1 / (N * weight_decay))`, which
    minimises $\tfrac12\lVert W\rVert_F^2 + C \sum_i \ell_i$, fitted on the same
    standardised features, gives the same probabilities.

    A probe's accuracy on held-out points measures how linearly separable the
    classes are in that representation (Alain & Bengio 2016). The model that
    produced the features is not changed.

    Args:
        features: `(N, D)`; converted to float64 on its device.
        labels: `(N,)` class indices.
        n_classes: number of classes; default `labels.max() + 1`.
        weight_decay: $\lambda$, the L2 penalty on `W`.
        max_iter: L-BFGS iterations at most.

    Examples:
        ```python
        import torch
        from dlref.probes import linear_probe

        g = torch.Generator().manual_seed(0)
        angle = torch.rand(300, generator=g) * 6.2832
        radius = torch.where(torch.arange(300) < 150, 1.0, 2.0)
        labels = (radius > 1.5).long()  # two rings: not linearly separable in (x, y)
        xy = torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1)
        lifted = torch.cat([xy, xy.pow(2).sum(1, keepdim=True)], dim=1)  # add x² + y²
        flat, lift = linear_probe(xy, labels), linear_probe(lifted, labels)
        flat_acc, lift_acc = flat.accuracy(xy, labels), lift.accuracy(lifted, labels)
        print(f"on (x, y): {flat_acc:.2f}; with x² + y² added: {lift_acc:.2f}")
        assert flat_acc < 0.8 and lift_acc == 1.0
        ```
    """
    if features.dim() != 2 or labels.dim() != 1 or features.shape[0] != labels.shape[0]:
        raise ValueError(
            f"need features (N, D) and labels (N,), got {tuple(features.shape)} "
            f"and {tuple(labels.shape)}"
        )
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    h = features.detach().double()
    y = labels.to(h.device)
    classes = int(y.max()) + 1 if n_classes is None else n_classes
    mean = h.mean(dim=0)
    std = h.std(dim=0, correction=0)
    scale = torch.where(std > 0, std, torch.ones_like(std))
    standardized = (h - mean) / scale
    weight = torch.zeros(classes, h.shape[1], dtype=torch.float64, device=h.device)
    bias = torch.zeros(classes, dtype=torch.float64, device=h.device)
    weight.requires_grad_(True)
    bias.requires_grad_(True)
    optimizer = torch.optim.LBFGS(
        [weight, bias],
        lr=1.0,
        max_iter=max_iter,
        tolerance_grad=1e-12,
        tolerance_change=1e-15,
        history_size=20,
        line_search_fn="strong_wolfe",
    )

    def objective() -> Tensor:
        return (
            nn.functional.cross_entropy(standardized @ weight.T + bias, y)
            + 0.5 * weight_decay * weight.pow(2).sum()
        )

    def closure() -> float:
        optimizer.zero_grad()
        loss = objective()
        loss.backward()
        return float(loss.detach())

    optimizer.step(closure)
    with torch.no_grad():
        final = float(objective())
    return LinearProbe(weight.detach(), bias.detach(), mean, scale, final)
