"""Convolution and pooling arithmetic: output sizes, receptive fields, shape summaries.

Every function returns exactly what PyTorch produces, quirks included, and
raises ``ValueError`` for a configuration PyTorch refuses, naming the offending
parameters and numbers. Sizes are ints, or tuples with one entry per spatial
dimension: a tuple in gives a tuple out, and ints are broadcast against tuples.

The central formula (``torch.nn.Conv2d`` documentation), per dimension:

$$
O = \\left\\lfloor \\frac{W + 2P - D(K - 1) - 1}{S} \\right\\rfloor + 1
$$

which is $\\lfloor (W - K + 2P)/S \\rfloor + 1$ when the dilation D is 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import torch
from torch import Tensor, nn

Size: TypeAlias = int | tuple[int, ...]
Padding: TypeAlias = int | tuple[int, ...] | Literal["same", "valid"]


def _dims(*values: object) -> int | None:
    """Number of spatial dimensions implied by the tuple arguments (None: all ints)."""
    lengths = {len(v) for v in values if isinstance(v, tuple)}
    if len(lengths) > 1:
        raise ValueError(f"tuple arguments disagree on the number of dimensions: {sorted(lengths)}")
    return lengths.pop() if lengths else None


def _per_dim(value: int | tuple[int, ...], n: int, name: str) -> tuple[int, ...]:
    if isinstance(value, tuple):
        if not all(isinstance(v, int) for v in value):
            raise ValueError(f"{name} must hold ints, got {value}")
        return value
    if not isinstance(value, int):
        raise ValueError(f"{name} must be an int or a tuple of ints, got {value!r}")
    return (value,) * n


def _result(values: list[int], as_tuple: bool) -> Size:
    return tuple(values) if as_tuple else values[0]


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def conv_output_size(
    size: Size,
    kernel_size: Size,
    stride: Size = 1,
    padding: Padding = 0,
    dilation: Size = 1,
) -> Size:
    """Output size of ``nn.Conv1d/2d/3d``: ``floor((W + 2P - D(K-1) - 1) / S) + 1``.

    ``padding`` may be ``"valid"`` (no padding) or ``"same"`` (output size equals
    input size; PyTorch allows it only with stride 1, and pads the extra row or
    column at the end when the total padding is odd).

    >>> conv_output_size(5, kernel_size=2, stride=2, padding=1)  # 3.5 floors to 3
    3
    >>> conv_output_size((28, 28), kernel_size=(5, 3), padding=(2, 1))
    (28, 28)

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.conv import conv_output_size

        x = torch.zeros(1, 1, 28, 27)
        for kwargs in ({"stride": 2, "padding": 1}, {"padding": "same", "dilation": 2}):
            layer = nn.Conv2d(1, 1, kernel_size=(5, 4), **kwargs)
            ours = conv_output_size((28, 27), (5, 4), **kwargs)
            print(ours, tuple(layer(x).shape[2:]))
            assert ours == tuple(layer(x).shape[2:])
        ```
    """
    pad_mode = padding if isinstance(padding, str) else None
    if pad_mode not in (None, "same", "valid"):
        raise ValueError(f"padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
    numeric_padding = 0 if pad_mode else padding
    n = _dims(size, kernel_size, stride, numeric_padding, dilation)
    as_tuple = n is not None
    n = n or 1
    w = _per_dim(size, n, "size")
    k = _per_dim(kernel_size, n, "kernel_size")
    s = _per_dim(stride, n, "stride")
    d = _per_dim(dilation, n, "dilation")
    p = _per_dim(numeric_padding, n, "padding")  # type: ignore[arg-type]
    _require(all(v > 0 for v in w), f"size must be positive, got {size}")
    _require(all(v > 0 for v in k), f"kernel_size must be positive, got {kernel_size}")
    _require(all(v > 0 for v in s), f"non-positive stride is not supported: stride={stride}")
    _require(all(v > 0 for v in d), f"dilation must be greater than zero: dilation={dilation}")
    _require(all(v >= 0 for v in p), f"negative padding is not supported: padding={padding}")
    if pad_mode == "same":
        _require(
            all(v == 1 for v in s),
            f"padding='same' is not supported for strided convolutions: stride={stride}",
        )
        return _result(list(w), as_tuple)
    out = []
    for wi, ki, si, pi, di in zip(w, k, s, p, d, strict=True):
        effective = di * (ki - 1) + 1
        _require(
            wi + 2 * pi >= effective,
            f"kernel larger than the padded input: size={wi} + 2*padding={pi} gives {wi + 2 * pi}, "
            f"effective kernel dilation*(kernel_size-1)+1 = {effective} "
            f"(kernel_size={ki}, dilation={di})",
        )
        out.append((wi + 2 * pi - effective) // si + 1)
    return _result(out, as_tuple)


def _pool_count(w: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """Number of pooling windows along one dimension (may be below 1: the caller refuses)."""
    span = w + 2 * p - d * (k - 1) - 1
    o = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= w + p:
        o -= 1  # the last window would start inside the right padding
    return o


def _pool_args(
    size: Size, kernel_size: Size, stride: Size | None, padding: Size, dilation: Size
) -> tuple[
    bool, tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]
]:
    """A pooling layer's arguments per dimension (stride defaults to the kernel size),
    with the checks max and average pooling share, in PyTorch's order."""
    if stride is None:
        stride = kernel_size
    n = _dims(size, kernel_size, stride, padding, dilation)
    as_tuple = n is not None
    n = n or 1
    w = _per_dim(size, n, "size")
    k = _per_dim(kernel_size, n, "kernel_size")
    s = _per_dim(stride, n, "stride")
    p = _per_dim(padding, n, "padding")
    d = _per_dim(dilation, n, "dilation")
    _require(all(v > 0 for v in k), f"kernel_size must be greater than zero, got {kernel_size}")
    _require(all(v > 0 for v in s), f"stride must be greater than zero, got {stride}")
    _require(all(v > 0 for v in d), f"dilation must be greater than zero, got {dilation}")
    _require(all(v >= 0 for v in p), f"padding must be non-negative, got {padding}")
    return as_tuple, w, k, s, p, d


def pool_output_size(
    size: Size,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
) -> Size:
    """Output size of ``nn.MaxPool*d`` (and ``nn.AvgPool*d``, whose dilation is 1).

    ``stride`` defaults to ``kernel_size``, as in PyTorch (not to 1). With
    ``ceil_mode=True`` the division rounds up, except that a window may not
    start in the right padding: PyTorch drops such a last window.

    >>> pool_output_size(5, 2), pool_output_size(5, 2, ceil_mode=True)
    (2, 3)

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.conv import pool_output_size

        x = torch.zeros(1, 1, 7)
        for kwargs in ({}, {"ceil_mode": True}, {"padding": 1, "ceil_mode": True}, {"stride": 1}):
            ours = pool_output_size(7, 2, **kwargs)
            print(kwargs, ours)
            assert ours == nn.MaxPool1d(2, **kwargs)(x).shape[-1]
        ```
    """
    as_tuple, w, k, s, p, d = _pool_args(size, kernel_size, stride, padding, dilation)
    out = []
    for wi, ki, si, pi, di in zip(w, k, s, p, d, strict=True):
        _require(
            pi <= ki // 2,
            f"pad should be at most half of kernel size: padding={pi}, kernel_size={ki}",
        )
        o = _pool_count(wi, ki, si, pi, di, ceil_mode)
        _require(
            o >= 1,
            f"output size is too small: size={wi}, kernel_size={ki}, stride={si}, "
            f"padding={pi}, dilation={di} give {o}",
        )
        out.append(o)
    return _result(out, as_tuple)


def _avg_pool_args(
    size: Size, kernel_size: Size, stride: Size | None, padding: Size
) -> tuple[bool, list[tuple[int, int, int, int]]]:
    """Validated ``(size, kernel, stride, padding)`` per dimension, refused as PyTorch refuses."""
    as_tuple, w, k, s, p, _ = _pool_args(size, kernel_size, stride, padding, 1)
    for ki, pi in zip(k, p, strict=True):
        _require(
            pi <= ki // 2,
            f"pad should be at most half of kernel size: padding={pi}, kernel_size={ki}",
        )
    return as_tuple, list(zip(w, k, s, p, strict=True))


def avg_pool_output_size(
    size: Size,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
) -> Size:
    """Output size of ``nn.AvgPool1d/2d/3d``.

    Average pooling has no dilation (``nn.AvgPool2d`` takes no such argument), so
    per dimension

    $$
    O = \\left\\lfloor \\frac{W + 2P - K}{S} \\right\\rfloor + 1,
    $$

    with the stride $S$ defaulting to $K$. With ``ceil_mode=True`` the division
    rounds up, and a last window that would start in the right padding is dropped,
    exactly as for max pooling. ``count_include_pad`` does not change the size,
    only the divisor of each window (see ``avg_pool_divisors``). PyTorch refuses
    $P > \\lfloor K/2 \\rfloor$ and an output smaller than 1; so does this function.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.conv import avg_pool_output_size

        layer = nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True)
        ours = avg_pool_output_size(6, 3, stride=2, padding=1, ceil_mode=True)
        print(ours, layer(torch.zeros(1, 1, 6)).shape[-1])  # 4 4
        assert ours == layer(torch.zeros(1, 1, 6)).shape[-1]
        ```
    """
    as_tuple, dims = _avg_pool_args(size, kernel_size, stride, padding)
    out = []
    for wi, ki, si, pi in dims:
        o = _pool_count(wi, ki, si, pi, 1, ceil_mode)
        _require(
            o >= 1,
            f"output size is too small: size={wi}, kernel_size={ki}, stride={si}, "
            f"padding={pi} give {o}",
        )
        out.append(o)
    return _result(out, as_tuple)


def avg_pool_divisors(
    size: Size,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """What ``nn.AvgPool1d/2d/3d`` divides each window's sum by (int64, of the output's size).

    The window of output $o$ starts at $a = oS - P$ (in input coordinates) and is
    cut at the end of the padded input: $b = \\min(a + K, W + P)$. With
    ``count_include_pad=True`` (the default) the divisor is $b - a$, zeros of the
    padding included; with ``False`` it is the number of real input positions,
    $\\min(b, W) - \\max(a, 0)$. In several dimensions the divisor is the product
    of the per-dimension counts. Only the edges differ from $K$ (from $\\prod K$):
    windows that overlap the padding, and, with ``ceil_mode=True``, a last window
    that reaches past the padded input, which even ``count_include_pad=True``
    counts short.

    Examples:
        ```python
        import torch
        import torch.nn.functional as F
        from dlref.conv import avg_pool_divisors

        x = torch.ones(1, 1, 1, 6)  # one row of 6: windows of 1×3, stride 2, padding 1
        args = dict(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1), ceil_mode=True)
        sums = F.avg_pool2d(x, **args, divisor_override=1)[0, 0]
        for include in (True, False):
            divisors = avg_pool_divisors((1, 6), **args, count_include_pad=include)
            means = F.avg_pool2d(x, **args, count_include_pad=include)[0, 0]
            print(include, divisors.tolist())  # True [[3, 3, 3, 2]], then False [[2, 3, 3, 1]]
            assert torch.allclose(sums / divisors, means)
        ```
    """
    _, dims = _avg_pool_args(size, kernel_size, stride, padding)
    result = torch.ones((), dtype=torch.int64)
    for wi, ki, si, pi in dims:
        o = _pool_count(wi, ki, si, pi, 1, ceil_mode)
        _require(
            o >= 1,
            f"output size is too small: size={wi}, kernel_size={ki}, stride={si}, "
            f"padding={pi} give {o}",
        )
        start = torch.arange(o) * si - pi
        end = torch.clamp(start + ki, max=wi + pi)
        if count_include_pad:
            counts = end - start
        else:
            counts = torch.clamp(end, max=wi) - torch.clamp(start, min=0)
        result = result.unsqueeze(-1) * counts  # outer product over the dimensions
    return result


def conv_transpose_output_size(
    size: Size,
    kernel_size: Size,
    stride: Size = 1,
    padding: Size = 0,
    output_padding: Size = 0,
    dilation: Size = 1,
) -> Size:
    """Output size of ``nn.ConvTranspose*d``: ``(W-1)S - 2P + D(K-1) + output_padding + 1``.

    ``output_padding`` picks one of the input sizes that a strided convolution
    maps to the same output; PyTorch requires it to be smaller than the stride
    or the dilation.

    >>> conv_transpose_output_size(3, kernel_size=3, stride=2, padding=1, output_padding=1)
    6

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.conv import conv_output_size, conv_transpose_output_size

        assert conv_output_size(5, 3, stride=2, padding=1) == conv_output_size(6, 3, 2, 1) == 3
        for extra in (0, 1):  # which of the two sizes the transpose gives back
            layer = nn.ConvTranspose1d(1, 1, 3, stride=2, padding=1, output_padding=extra)
            ours = conv_transpose_output_size(3, 3, stride=2, padding=1, output_padding=extra)
            print(extra, ours)
            assert ours == layer(torch.zeros(1, 1, 3)).shape[-1] == 5 + extra
        ```
    """
    n = _dims(size, kernel_size, stride, padding, output_padding, dilation)
    as_tuple = n is not None
    n = n or 1
    w = _per_dim(size, n, "size")
    k = _per_dim(kernel_size, n, "kernel_size")
    s = _per_dim(stride, n, "stride")
    p = _per_dim(padding, n, "padding")
    op = _per_dim(output_padding, n, "output_padding")
    d = _per_dim(dilation, n, "dilation")
    _require(all(v > 0 for v in k), f"kernel_size must be positive, got {kernel_size}")
    _require(all(v > 0 for v in s), f"non-positive stride is not supported: stride={stride}")
    _require(all(v > 0 for v in d), f"dilation must be greater than zero: dilation={dilation}")
    _require(all(v >= 0 for v in p), f"negative padding is not supported: padding={padding}")
    out = []
    for wi, ki, si, pi, opi, di in zip(w, k, s, p, op, d, strict=True):
        _require(
            0 <= opi < max(si, di),
            f"output_padding must be smaller than either stride or dilation: "
            f"output_padding={opi}, stride={si}, dilation={di}",
        )
        o = (wi - 1) * si - 2 * pi + di * (ki - 1) + opi + 1
        _require(o > 0, f"output size is not positive: size={wi}, padding={pi} give {o}")
        out.append(o)
    return _result(out, as_tuple)


# --- receptive fields -----------------------------------------------------------

_SHAPE_KEEPING = (
    nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.GELU, nn.SiLU, nn.ELU, nn.Identity,
    nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.Dropout, nn.Dropout2d,
)  # fmt: skip
_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)


@dataclass(frozen=True)
class ReceptiveField:
    """How many input positions one output position sees (``size``), and how far
    apart, in input positions, neighbouring outputs are (``jump``), per dimension.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.conv import ReceptiveField, receptive_field

        net = nn.Sequential(nn.Conv2d(1, 1, 3), nn.AvgPool2d(2), nn.Conv2d(1, 1, 3, dilation=2))
        for conv in (net[0], net[2]):
            torch.nn.init.constant_(conv.weight, 1.0)  # every kernel entry counts
        x = torch.randn(1, 1, 32, 32, requires_grad=True)
        out = net(x)
        out[0, 0, 0, 0].backward()  # which inputs reach the first output?
        seen = x.grad[0, 0] != 0
        size = (int(seen.any(dim=1).sum()), int(seen.any(dim=0).sum()))
        field = receptive_field(net)
        print(field, size)
        assert isinstance(field, ReceptiveField) and field.size == size == (12, 12)
        y = x.detach().clone()
        y[0, 0, 0, 0] += 1.0  # an input seen by out[0, 0, 0, 0] but not by out[0, 0, 0, 6]
        changed = (net(y) - out).detach()[0, 0, 0] != 0
        assert changed[0] and not changed[6]  # neighbours are field.jump = 2 inputs apart
        ```
    """

    size: tuple[int, ...]
    jump: tuple[int, ...]


def _window(layer: nn.Module, n: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(kernel, stride, dilation) of a conv or pooling layer, per dimension."""

    def norm(value: object, name: str) -> tuple[int, ...]:
        if isinstance(value, int):
            return (value,) * n
        if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
            return value
        raise ValueError(f"{type(layer).__name__}.{name}={value!r} is not supported here")

    kernel = norm(layer.kernel_size, "kernel_size")
    stride = norm(layer.stride if layer.stride is not None else layer.kernel_size, "stride")
    dilation = norm(getattr(layer, "dilation", 1), "dilation")
    return kernel, stride, dilation


def receptive_field(layers: Iterable[nn.Module], dims: int = 2) -> ReceptiveField:
    """Receptive field of a stack of conv / pooling layers (elementwise layers pass through).

    Each layer with effective kernel ``k_eff = D(K-1)+1`` and stride ``S`` grows
    the field by ``(k_eff - 1) * jump`` and multiplies the jump by ``S``.

    >>> receptive_field([nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3)]).size
    (5, 5)

    Examples:
        ```python
        from torch import nn
        from dlref.conv import receptive_field

        # two 3×3 convolutions see as far as one 5×5, with 18 weights instead of 25
        assert receptive_field([nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3)]).size == (5, 5)
        vgg_block = [nn.Conv2d(1, 1, 3), nn.ReLU(), nn.Conv2d(1, 1, 3), nn.MaxPool2d(2)]
        field = receptive_field(vgg_block * 2)
        print(field)
        assert field.size == (16, 16) and field.jump == (4, 4)
        ```
    """
    size = [1] * dims
    jump = [1] * dims
    for layer in layers:
        if isinstance(layer, _SHAPE_KEEPING):
            continue
        if not isinstance(layer, _CONVS + _POOLS):
            raise ValueError(
                f"receptive_field() handles conv, pooling and elementwise layers, "
                f"not {type(layer).__name__}"
            )
        kernel, stride, dilation = _window(layer, dims)
        for i in range(dims):
            size[i] += dilation[i] * (kernel[i] - 1) * jump[i]
            jump[i] *= stride[i]
    return ReceptiveField(tuple(size), tuple(jump))


# --- shape summaries ----------------------------------------------------------------


@dataclass(frozen=True)
class LayerShape:
    """One row of ``summary``: the layer and the shape of what it outputs.

    Examples:
        ```python
        from torch import nn
        from dlref.conv import LayerShape, summary

        row = summary([nn.Conv2d(3, 8, 3)], (1, 3, 8, 8))[1]
        print(row)
        assert isinstance(row, LayerShape) and row.output_shape == (1, 8, 6, 6)
        assert row.parameters == 8 * 3 * 3 * 3 + 8  # weights and biases
        ```
    """

    index: int
    layer: str
    output_shape: tuple[int, ...]
    parameters: int


def _layer_output(layer: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    name = type(layer).__name__
    if isinstance(layer, _SHAPE_KEEPING):
        return shape
    if isinstance(layer, (*_CONVS, nn.ConvTranspose1d, nn.ConvTranspose2d)):
        n = (
            1
            if isinstance(layer, (nn.Conv1d, nn.ConvTranspose1d))
            else (2 if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)) else 3)
        )
        _require(len(shape) == n + 2, f"{name} expects a {n + 2}-D input, got shape {shape}")
        _require(
            shape[1] == layer.in_channels,
            f"{name} expects {layer.in_channels} input channels, got {shape[1]} (shape {shape})",
        )
        spatial = shape[2:]
        if isinstance(layer, (nn.ConvTranspose1d, nn.ConvTranspose2d)):
            out = conv_transpose_output_size(
                spatial, layer.kernel_size, layer.stride, layer.padding,  # type: ignore[arg-type]
                layer.output_padding, layer.dilation,
            )  # fmt: skip
        else:
            out = conv_output_size(
                spatial, layer.kernel_size, layer.stride, layer.padding, layer.dilation,  # type: ignore[arg-type]
            )  # fmt: skip
        assert isinstance(out, tuple)
        return (shape[0], layer.out_channels, *out)
    if isinstance(layer, _POOLS):
        n = len(shape) - 2
        spatial = shape[2:]
        kernel, stride, dilation = _window(layer, n)
        padding = layer.padding
        out = pool_output_size(
            spatial, kernel, stride, padding if isinstance(padding, tuple) else (padding,) * n,
            dilation, layer.ceil_mode,
        )  # fmt: skip
        assert isinstance(out, tuple)
        return (*shape[:2], *out)
    if isinstance(layer, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        target = layer.output_size
        target = (target, target) if not isinstance(target, tuple) else target
        return (
            *shape[:2],
            *(t if t is not None else s for t, s in zip(target, shape[2:], strict=True)),
        )
    if isinstance(layer, nn.Flatten):
        start = layer.start_dim % len(shape)
        end = layer.end_dim % len(shape)
        return (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])
    if isinstance(layer, nn.Linear):
        rows = math.prod(shape[:-1])
        _require(
            shape[-1] == layer.in_features,
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{shape[-1]} and "
            f"{layer.in_features}x{layer.out_features}): Linear expects "
            f"in_features={layer.in_features}, the input has {shape[-1]}",
        )
        return (*shape[:-1], layer.out_features)
    raise ValueError(f"summary() does not know how {name} changes a shape")


def summary(
    model: Sequence[nn.Module] | nn.Sequential, input_shape: Sequence[int]
) -> list[LayerShape]:
    """Shape and parameter count after every layer, computed without running the model.

    ``input_shape`` includes the batch dimension, e.g. ``(1, 3, 32, 32)``. The
    first row (index 0) is the input itself. Compare with a real forward pass to
    check a design before training it.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.conv import summary

        model = nn.Sequential(
            nn.Conv2d(3, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 14 * 14, 10)
        )
        rows = summary(model, (2, 3, 32, 32))
        x, shapes = torch.zeros(2, 3, 32, 32), [(2, 3, 32, 32)]
        for layer in model:  # the real forward pass
            x = layer(x)
            shapes.append(tuple(x.shape))
        for row in rows:
            print(row.index, row.layer, row.output_shape, row.parameters)
        assert [row.output_shape for row in rows] == shapes
        assert sum(row.parameters for row in rows) == sum(p.numel() for p in model.parameters())
        ```
    """
    shape = tuple(int(v) for v in input_shape)
    rows = [LayerShape(0, "input", shape, 0)]
    for i, layer in enumerate(model, start=1):
        shape = _layer_output(layer, shape)
        params = sum(p.numel() for p in layer.parameters())
        rows.append(LayerShape(i, type(layer).__name__, shape, params))
    return rows


# --- a reference convolution --------------------------------------------------------


def _pair(value: object, name: str) -> tuple[int, int]:
    """``value`` as ``(height, width)``: an int is used for both."""
    if isinstance(value, int):
        return value, value
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return value[0], value[1]
    raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")


def conv2d_reference(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | Literal["same", "valid"] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """What ``torch.nn.functional.conv2d`` computes, written as a sum over kernel positions.

    ``x`` has shape ``(N, C_in, H, W)`` (or ``(C_in, H, W)``), ``weight`` has shape
    ``(C_out, C_in / G, K_h, K_w)`` with ``G = groups``, ``bias`` shape ``(C_out,)``.
    Let ``x_p`` be ``x`` with ``P_h`` zero rows added at the top and at the bottom
    and ``P_w`` zero columns at the left and at the right. Then::

        y[n, o, i, j] = b[o] + sum_{c < C_in/G} sum_{u < K_h} sum_{v < K_w}
                        weight[o, c, u, v] * x_p[n, g·C_in/G + c, i·S_h + u·D_h, j·S_w + v·D_w]

    where ``g = o // (C_out / G)`` is the group of output channel ``o``: each output
    channel sees only the ``C_in / G`` input channels of its group. The kernel is
    *not* flipped, so this is a cross-correlation, exactly like PyTorch's
    "convolution". Output sizes are ``floor((H + 2P_h - D_h(K_h - 1) - 1) / S_h) + 1``
    (and the same for the width).

    ``padding="valid"`` means no padding; ``padding="same"`` (stride 1 only) pads a
    total of ``D(K - 1)`` per dimension, half of it before and the rest (one more
    when it is odd) after, as PyTorch does. The loop runs over the ``K_h·K_w``
    kernel positions; each step adds one shifted, strided view of the input,
    weighted by one column of the kernel, to every output position at once.

    Examples:
        ```python
        import torch
        import torch.nn.functional as F
        from dlref.conv import conv2d_reference

        torch.manual_seed(0)
        x = torch.randn(2, 4, 9, 8, dtype=torch.float64)
        w = torch.randn(6, 2, 3, 3, dtype=torch.float64)  # groups=2: each output sees 2 channels
        b = torch.randn(6, dtype=torch.float64)
        for kwargs in ({"stride": 2, "padding": 1}, {"padding": "same", "dilation": (2, 1)}):
            ours = conv2d_reference(x, w, b, groups=2, **kwargs)
            print(kwargs, tuple(ours.shape))
            torch.testing.assert_close(ours, F.conv2d(x, w, b, groups=2, **kwargs))
        ```
    """
    unbatched = x.dim() == 3
    if unbatched:
        x = x.unsqueeze(0)
    _require(x.dim() == 4, f"x must have shape (N, C, H, W) or (C, H, W), got {tuple(x.shape)}")
    _require(weight.dim() == 4, f"weight must have 4 dimensions, got {tuple(weight.shape)}")
    n, c_in, h, w = x.shape
    c_out, c_group, k_h, k_w = weight.shape
    _require(groups >= 1, f"groups must be positive, got {groups}")
    _require(
        c_out % groups == 0,
        f"out_channels={c_out} (weight.shape[0]) must be divisible by groups={groups}",
    )
    _require(
        c_group * groups == c_in,
        f"weight of shape {tuple(weight.shape)} with groups={groups} expects input with "
        f"{c_group * groups} channels, but got {c_in} channels",
    )
    _require(
        bias is None or tuple(bias.shape) == (c_out,),
        f"bias must have shape ({c_out},), got {None if bias is None else tuple(bias.shape)}",
    )
    s_h, s_w = _pair(stride, "stride")
    d_h, d_w = _pair(dilation, "dilation")
    _require(min(s_h, s_w) > 0, f"stride must be positive, got {stride}")
    _require(min(d_h, d_w) > 0, f"dilation must be positive, got {dilation}")
    if padding == "valid":
        top = bottom = left = right = 0
    elif padding == "same":
        _require((s_h, s_w) == (1, 1), f"padding='same' needs stride 1, got stride={stride}")
        total_h, total_w = d_h * (k_h - 1), d_w * (k_w - 1)
        top, left = total_h // 2, total_w // 2
        bottom, right = total_h - top, total_w - left
    else:
        top, left = _pair(padding, "padding")
        bottom, right = top, left
        _require(min(top, left) >= 0, f"padding must be non-negative, got {padding}")
    x_p = x.new_zeros(n, c_in, h + top + bottom, w + left + right)
    x_p[:, :, top : top + h, left : left + w] = x
    out_h = (x_p.shape[2] - d_h * (k_h - 1) - 1) // s_h + 1
    out_w = (x_p.shape[3] - d_w * (k_w - 1) - 1) // s_w + 1
    _require(
        min(out_h, out_w) >= 1,
        f"kernel ({k_h}, {k_w}) with dilation {dilation} is larger than the padded input "
        f"({x_p.shape[2]}, {x_p.shape[3]})",
    )
    # Split the channels into groups: x_g[n, g, c] and w_g[g, o, c] with o, c within group g.
    x_g = x_p.reshape(n, groups, c_group, *x_p.shape[2:])
    w_g = weight.reshape(groups, c_out // groups, c_group, k_h, k_w)
    y = x.new_zeros(n, groups, c_out // groups, out_h, out_w)
    for u in range(k_h):
        for v in range(k_w):
            rows = slice(u * d_h, u * d_h + s_h * (out_h - 1) + 1, s_h)
            cols = slice(v * d_w, v * d_w + s_w * (out_w - 1) + 1, s_w)
            patch = x_g[:, :, :, rows, cols]  # (N, G, C_in/G, out_h, out_w)
            y = y + torch.einsum("ngchw,goc->ngohw", patch, w_g[:, :, :, u, v])
    y = y.reshape(n, c_out, out_h, out_w)
    if bias is not None:
        y = y + bias.reshape(1, c_out, 1, 1)
    return y.squeeze(0) if unbatched else y
