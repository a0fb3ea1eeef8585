r"""Batch and layer normalisation written from their formulas, and BatchNorm folding.

**Batch normalisation** (Ioffe & Szegedy 2015) normalises each channel `c` over
the batch and, for images, over the spatial positions: every dimension of the
input except dimension 1. With the `m` values of channel `c` in the batch,

$$
\mu_c = \frac1m \sum_i x_{i}, \qquad
\sigma_c^2 = \frac1m \sum_i (x_i - \mu_c)^2, \qquad
y_i = \gamma_c\, \frac{x_i - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}} + \beta_c
$$

in training mode, and the running estimates are updated with `momentum` $\alpha$:

$$
\hat\mu_c \leftarrow (1 - \alpha)\, \hat\mu_c + \alpha\, \mu_c, \qquad
\hat\sigma_c^2 \leftarrow (1 - \alpha)\, \hat\sigma_c^2 + \alpha\, \frac{m}{m - 1}\, \sigma_c^2 .
$$

The output uses the biased variance $\sigma_c^2$; the running estimate stores
the unbiased one, $\frac{m}{m-1}\sigma_c^2$. In evaluation mode the running
estimates take the place of the batch statistics, so each sample's output no
longer depends on the rest of the batch.

**Layer normalisation** (Ba, Kiros & Hinton 2016) normalises each sample over
its own features (the last dimensions), with the biased variance, the same in
training and evaluation mode.

**Folding.** In evaluation mode a BatchNorm is a per-channel affine map
$y = s_c (z - \hat\mu_c) + \beta_c$ with $s_c = \gamma_c / \sqrt{\hat\sigma_c^2 + \epsilon}$.
After a linear or convolution layer $z = W x + b$ it can be merged into that layer:

$$
W'_{c} = s_c\, W_{c}, \qquad b'_c = s_c\, (b_c - \hat\mu_c) + \beta_c ,
$$

where $W_c$ is output channel `c`'s row (linear) or kernel (convolution).
[fold_batchnorm][dlref.normalization.fold_batchnorm] does it for one pair,
[fold_batchnorms][dlref.normalization.fold_batchnorms] for a whole `nn.Sequential`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor, nn

__all__ = [
    "BatchNormResult",
    "batch_norm",
    "fold_batchnorm",
    "fold_batchnorms",
    "layer_norm",
]


class BatchNormResult(NamedTuple):
    """What one BatchNorm call produces: the output and the running estimates after it.

    Examples:
        ```python
        import torch
        from dlref.normalization import BatchNormResult, batch_norm

        x = torch.tensor([[0.0], [2.0]])
        result = batch_norm(x, torch.zeros(1), torch.ones(1), training=True)
        print(result)
        assert isinstance(result, BatchNormResult)
        # mean 1, biased variance 1 -> y = (x - 1)/sqrt(1 + eps); running var gets m/(m-1) · 1 = 2
        assert torch.allclose(result.output, torch.tensor([[-1.0], [1.0]]), atol=1e-5)
        assert torch.allclose(result.running_mean, torch.tensor([0.1]))
        assert torch.allclose(result.running_var, torch.tensor([0.9 + 0.1 * 2.0]))
        ```
    """

    output: Tensor
    """The normalised, scaled and shifted input."""
    running_mean: Tensor
    r"""$\hat\mu$ after the call (unchanged in evaluation mode)."""
    running_var: Tensor
    r"""$\hat\sigma^2$ after the call (unchanged in evaluation mode)."""


def _channel_view(values: Tensor, ndim: int) -> Tensor:
    """Shape a per-channel vector ``(C,)`` to broadcast against an ``ndim``-dimensional input."""
    return values.reshape([1, -1] + [1] * (ndim - 2))


def batch_norm(
    x: Tensor,
    running_mean: Tensor,
    running_var: Tensor,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    *,
    training: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> BatchNormResult:
    r"""BatchNorm over dimension 1 of `x`, from the formulas in the module docstring.

    `x` has shape `(N, C)`, `(N, C, L)` or `(N, C, H, W)`; the statistics of channel
    `c` are taken over every other dimension, so `m = x.numel() / C` values. The
    running estimates are returned as new tensors (the inputs are not modified).
    `weight` ($\gamma$) and `bias` ($\beta$) default to 1 and 0.

    Args:
        training: use the batch statistics and update the running estimates
            (`True`), or normalise with the running estimates (`False`).
        momentum: $\alpha$ in the running-average update (PyTorch's default 0.1).
        eps: added to the variance inside the square root.

    Raises:
        ValueError: in training mode when a channel has a single value (`m = 1`),
            for which the unbiased variance is undefined.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.normalization import batch_norm

        torch.manual_seed(0)
        bn = nn.BatchNorm2d(3).double()
        nn.init.uniform_(bn.weight)
        nn.init.uniform_(bn.bias)
        mean, var = bn.running_mean.clone(), bn.running_var.clone()
        for _ in range(3):
            x = torch.randn(4, 3, 5, 5, dtype=torch.float64) * 2 + 1
            ours = batch_norm(x, mean, var, bn.weight, bn.bias, training=True)
            mean, var = ours.running_mean, ours.running_var
            torch.testing.assert_close(ours.output, bn(x).detach(), rtol=0, atol=1e-12)
        torch.testing.assert_close(var, bn.running_var, rtol=0, atol=1e-12)
        bn.eval()
        y = batch_norm(x, mean, var, bn.weight, bn.bias, training=False).output
        torch.testing.assert_close(y, bn(x).detach(), rtol=0, atol=1e-12)
        print(var)
        ```
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm needs an input of shape (N, C, ...), got {tuple(x.shape)}")
    dims = [d for d in range(x.ndim) if d != 1]
    if training:
        m = x.numel() // x.shape[1]
        if m < 2:
            raise ValueError(
                f"training mode needs more than one value per channel, got input of shape "
                f"{tuple(x.shape)}"
            )
        mean = x.mean(dim=dims)
        var = x.var(dim=dims, correction=0)
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean, running_var
    y = (x - _channel_view(mean, x.ndim)) / torch.sqrt(_channel_view(var, x.ndim) + eps)
    if weight is not None:
        y = y * _channel_view(weight, x.ndim)
    if bias is not None:
        y = y + _channel_view(bias, x.ndim)
    return BatchNormResult(y, new_mean, new_var)


def layer_norm(
    x: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    *,
    eps: float = 1e-5,
) -> Tensor:
    r"""LayerNorm: normalise each sample over its last `len(normalized_shape)` dimensions.

    $$
    y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta ,
    $$

    with $\mu$ and the biased variance $\sigma^2$ taken over those dimensions, one
    pair per sample (and per leading position). No running estimates: training
    and evaluation compute the same thing.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.normalization import layer_norm

        torch.manual_seed(0)
        ln = nn.LayerNorm(6).double()
        nn.init.normal_(ln.weight)
        nn.init.normal_(ln.bias)
        x = torch.randn(4, 6, dtype=torch.float64)
        ours = layer_norm(x, 6, ln.weight, ln.bias)
        torch.testing.assert_close(ours, ln(x).detach(), rtol=0, atol=1e-12)
        plain = layer_norm(x, 6)  # no affine part: every row has mean 0 and variance 1
        print(plain.mean(dim=1), plain.var(dim=1, correction=0))
        assert torch.allclose(plain.mean(dim=1), torch.zeros(4, dtype=torch.float64), atol=1e-12)
        ```
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(shape) :]) != shape:
        raise ValueError(
            f"the last dimensions of x {tuple(x.shape)} are not normalized_shape {shape}"
        )
    dims = list(range(x.ndim - len(shape), x.ndim))
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, correction=0, keepdim=True)
    y = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


_BN = (nn.BatchNorm1d, nn.BatchNorm2d)


def fold_batchnorm(
    layer: nn.Linear | nn.Conv1d | nn.Conv2d, bn: nn.BatchNorm1d | nn.BatchNorm2d
) -> nn.Linear | nn.Conv1d | nn.Conv2d:
    r"""A copy of `layer` that computes `bn(layer(x))` with `bn` in evaluation mode.

    With $s_c = \gamma_c / \sqrt{\hat\sigma_c^2 + \epsilon}$ the folded layer has
    weight $s_c W_c$ for output channel `c` and bias $s_c (b_c - \hat\mu_c) + \beta_c$
    (with $b_c = 0$ when `layer` has no bias; the copy always has one). The result
    equals the pair only in evaluation mode: in training mode BatchNorm uses the
    batch's statistics, which no fixed layer can reproduce. Neither argument is
    modified.

    Raises:
        ValueError: if `bn` keeps no running estimates or its size differs from the
            layer's number of outputs.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.normalization import fold_batchnorm

        torch.manual_seed(0)
        conv, bn = nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8)
        for _ in range(5):  # training-mode passes give the running estimates values
            bn(conv(torch.randn(16, 3, 10, 10)))
        bn.eval()
        folded = fold_batchnorm(conv, bn)
        x = torch.randn(2, 3, 10, 10)
        torch.testing.assert_close(folded(x), bn(conv(x)), rtol=1e-5, atol=1e-5)
        n_params = sum(p.numel() for p in folded.parameters())
        print(n_params)
        assert n_params == 8 * 3 * 3 * 3 + 8  # the kernel and a new bias
        ```
    """
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("the BatchNorm keeps no running estimates (track_running_stats=False)")
    n_out = layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels
    if bn.num_features != n_out:
        raise ValueError(f"the BatchNorm has {bn.num_features} channels, the layer {n_out} outputs")
    folded = copy.deepcopy(layer)
    with torch.no_grad():
        scale = torch.rsqrt(bn.running_var + bn.eps)
        if bn.weight is not None:
            scale = scale * bn.weight
        old_bias = layer.bias if layer.bias is not None else torch.zeros_like(bn.running_mean)
        new_bias = scale * (old_bias - bn.running_mean)
        if bn.bias is not None:
            new_bias = new_bias + bn.bias
        folded.weight.copy_(layer.weight * scale.reshape([-1] + [1] * (layer.weight.ndim - 1)))
        folded.bias = nn.Parameter(new_bias.to(layer.weight.dtype))
    return folded


def fold_batchnorms(model: nn.Sequential) -> nn.Sequential:
    """A copy of `model` with every `Linear`/`Conv` directly followed by a BatchNorm folded.

    Walks the `nn.Sequential` (and any `nn.Sequential` inside it); wherever a
    `nn.Linear`, `nn.Conv1d` or `nn.Conv2d` is immediately followed by a
    `nn.BatchNorm1d`/`nn.BatchNorm2d`, the pair becomes one layer from
    [fold_batchnorm][dlref.normalization.fold_batchnorm]. Other modules are
    copied unchanged. The copy is in evaluation mode and computes what `model`
    computes in evaluation mode.

    Examples:
        ```python
        import torch
        from dlref.models import digits_cnn
        from dlref.normalization import fold_batchnorms

        torch.manual_seed(0)
        model = digits_cnn()
        with torch.no_grad():
            for _ in range(5):
                model(torch.rand(32, 1, 8, 8))  # training mode: running estimates move
        model.eval()
        folded = fold_batchnorms(model)
        print(folded)
        x = torch.rand(4, 1, 8, 8)
        torch.testing.assert_close(folded(x), model(x), rtol=1e-5, atol=1e-5)
        count = lambda m: sum(p.numel() for p in m.parameters())
        assert count(model) - count(folded) == 2 * (16 + 32)  # γ and β gone; the convs had biases
        ```
    """
    layers: list[nn.Module] = []
    children = list(model.children())
    i = 0
    while i < len(children):
        child = children[i]
        nxt = children[i + 1] if i + 1 < len(children) else None
        if isinstance(child, (nn.Linear, nn.Conv1d, nn.Conv2d)) and isinstance(nxt, _BN):
            layers.append(fold_batchnorm(child, nxt))
            i += 2
            continue
        if isinstance(child, nn.Sequential):
            layers.append(fold_batchnorms(child))
        else:
            layers.append(copy.deepcopy(child))
        i += 1
    return nn.Sequential(*layers).eval()
