"""dlref.conv.conv2d_reference against F.conv2d, in float64 with a tight tolerance."""

from __future__ import annotations

import itertools
import warnings

import pytest
import torch
import torch.nn.functional as F

from dlref.conv import conv2d_reference

RTOL, ATOL = 1e-12, 1e-12


def _case(
    n: int, c_in: int, c_out: int, size: tuple[int, int], kernel: tuple[int, int],
    groups: int = 1, seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c_in, *size, generator=gen, dtype=torch.float64)
    w = torch.randn(c_out, c_in // groups, *kernel, generator=gen, dtype=torch.float64)
    b = torch.randn(c_out, generator=gen, dtype=torch.float64)
    return x, w, b


GRID = list(
    itertools.product(
        [1, 2, (2, 1)],  # stride
        [0, (2, 1), (0, 3)],  # padding
        [1, 2, (1, 3)],  # dilation
        [1, 2],  # groups
        [(3, 2)],  # kernel (square kernels are covered below)
    )
)


def test_matches_conv2d_over_grid() -> None:
    for stride, padding, dilation, groups, kernel in GRID:
        x, w, b = _case(2, 4, 6, (9, 11), kernel, groups=groups)
        args = (stride, padding, dilation, groups)
        expected = F.conv2d(x, w, b, *args)  # type: ignore[arg-type]
        actual = conv2d_reference(x, w, b, *args)  # type: ignore[arg-type]
        assert actual.shape == expected.shape, args
        torch.testing.assert_close(actual, expected, rtol=RTOL, atol=ATOL, msg=f"{args} {kernel}")


@pytest.mark.parametrize(
    ("n", "c_in", "c_out", "size", "kernel", "groups"),
    [
        (1, 1, 1, (5, 5), (3, 3), 1),
        (3, 3, 8, (7, 4), (5, 2), 1),
        (2, 6, 6, (8, 8), (3, 3), 6),  # depthwise
        (2, 6, 12, (6, 9), (3, 1), 3),
        (1, 2, 3, (4, 4), (4, 4), 1),  # kernel as large as the input: a 1x1 output
        (2, 4, 8, (5, 6), (1, 1), 2),  # pointwise, grouped
    ],
)
def test_matches_conv2d_for_several_shapes(
    n: int, c_in: int, c_out: int, size: tuple[int, int], kernel: tuple[int, int], groups: int
) -> None:
    x, w, b = _case(n, c_in, c_out, size, kernel, groups=groups, seed=1)
    for bias in (b, None):
        expected = F.conv2d(x, w, bias, groups=groups)
        torch.testing.assert_close(
            conv2d_reference(x, w, bias, groups=groups), expected, rtol=RTOL, atol=ATOL
        )


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize(("kernel", "dilation"), [((3, 3), 1), ((4, 2), 1), ((3, 4), (2, 1))])
def test_string_padding(padding: str, kernel: tuple[int, int], dilation: object) -> None:
    x, w, b = _case(2, 2, 3, (9, 10), kernel, seed=2)
    with warnings.catch_warnings():  # 'same' with an even kernel warns about an extra copy
        warnings.simplefilter("ignore")
        expected = F.conv2d(x, w, b, padding=padding, dilation=dilation)  # type: ignore[arg-type]
    actual = conv2d_reference(x, w, b, padding=padding, dilation=dilation)  # type: ignore[arg-type]
    torch.testing.assert_close(actual, expected, rtol=RTOL, atol=ATOL)
    if padding == "same":
        assert actual.shape[-2:] == x.shape[-2:]


def test_unbatched_input() -> None:
    x, w, b = _case(1, 3, 4, (6, 6), (3, 3), seed=3)
    expected = F.conv2d(x[0], w, b, padding=1)
    actual = conv2d_reference(x[0], w, b, padding=1)
    assert actual.shape == (4, 6, 6)
    torch.testing.assert_close(actual, expected, rtol=RTOL, atol=ATOL)


def test_gradients_match() -> None:
    x, w, b = _case(2, 4, 4, (6, 7), (3, 2), groups=2, seed=4)
    grads = []
    for fn in (F.conv2d, conv2d_reference):
        xs, ws, bs = (t.clone().requires_grad_() for t in (x, w, b))
        fn(xs, ws, bs, 2, 1, 1, 2).pow(2).sum().backward()  # type: ignore[operator]
        grads.append([t.grad for t in (xs, ws, bs)])
    for ours, theirs in zip(grads[1], grads[0], strict=True):
        torch.testing.assert_close(ours, theirs, rtol=RTOL, atol=ATOL)


def test_is_cross_correlation_not_flipped() -> None:
    x = torch.arange(16.0, dtype=torch.float64).reshape(1, 1, 4, 4)
    w = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=torch.float64)
    y = conv2d_reference(x, w)
    assert y[0, 0, 0, 0].item() == 1 * 0 + 2 * 1 + 3 * 4 + 4 * 5


def test_keeps_dtype() -> None:
    x, w, b = _case(1, 2, 2, (5, 5), (3, 3), seed=5)
    assert conv2d_reference(x.float(), w.float(), b.float()).dtype == torch.float32


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"groups": 3}, "divisible by groups"),
        ({"weight_channels": 3}, "expects input with 3 channels"),
        ({"padding": "same", "stride": 2}, "padding='same' needs stride 1"),
        ({"padding": -1}, "padding must be non-negative"),
        ({"stride": 0}, "stride must be positive"),
        ({"dilation": (1, 0)}, "dilation must be positive"),
        ({"stride": (1, 2, 3)}, "stride must be an int or a pair"),
        ({"kernel": 7}, "larger than the padded input"),
        ({"bias_size": 5}, "bias must have shape"),
    ],
)
def test_refuses_what_conv2d_refuses(kwargs: dict[str, object], message: str) -> None:
    c_in = 4
    k = int(kwargs.pop("kernel", 3))  # type: ignore[call-overload]
    weight_channels = int(kwargs.pop("weight_channels", c_in))  # type: ignore[call-overload]
    bias_size = int(kwargs.pop("bias_size", 4))  # type: ignore[call-overload]
    x = torch.zeros(1, c_in, 5, 5, dtype=torch.float64)
    w = torch.zeros(4, weight_channels, k, k, dtype=torch.float64)
    b = torch.zeros(bias_size, dtype=torch.float64)
    with pytest.raises(ValueError, match=message):
        conv2d_reference(x, w, b, **kwargs)  # type: ignore[arg-type]
    with pytest.raises((RuntimeError, ValueError)):
        F.conv2d(x, w, b, **kwargs)  # type: ignore[arg-type]


def test_refuses_wrong_input_rank() -> None:
    with pytest.raises(ValueError, match="x must have shape"):
        conv2d_reference(torch.zeros(5, 5), torch.zeros(1, 1, 3, 3))
