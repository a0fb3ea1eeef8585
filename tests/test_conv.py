"""dlref.conv against PyTorch's real output shapes, quirks and refusals included."""

from __future__ import annotations

import itertools
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlref import conv


def _torch_conv1d(size: int, k: int, s: int, p: int | str, d: int) -> int | None:
    try:
        with warnings.catch_warnings():  # 'same' with an even kernel warns about a copy
            warnings.simplefilter("ignore")
            out = F.conv1d(
                torch.zeros(1, 1, size), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d
            )
    except (RuntimeError, ValueError):
        return None
    return out.shape[-1]


CONV_GRID = list(
    itertools.product(range(1, 12), range(1, 6), range(1, 4), range(0, 4), range(1, 4))
)


def test_conv_output_size_matches_torch_over_grid() -> None:
    checked = refused = 0
    for size, k, s, p, d in CONV_GRID:
        expected = _torch_conv1d(size, k, s, p, d)
        if expected is None:
            refused += 1
            with pytest.raises(ValueError, match="kernel larger than the padded input"):
                conv.conv_output_size(size, k, s, p, d)
        else:
            assert conv.conv_output_size(size, k, s, p, d) == expected, (size, k, s, p, d)
            checked += 1
    assert checked > 1000 and refused > 100  # the grid covers both outcomes


@pytest.mark.parametrize("mode", ["same", "valid"])
def test_string_padding_matches_torch(mode: str) -> None:
    for size, k, d in itertools.product(range(1, 10), range(1, 6), range(1, 3)):
        expected = _torch_conv1d(size, k, 1, mode, d)
        if expected is None:
            with pytest.raises(ValueError):
                conv.conv_output_size(size, k, 1, mode, d)
        else:
            assert conv.conv_output_size(size, k, 1, mode, d) == expected


def test_same_padding_refuses_stride_like_torch() -> None:
    with pytest.raises(ValueError, match="not supported for strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="stride=2"):
        conv.conv_output_size(8, 3, stride=2, padding="same")


def test_tuples_in_give_tuples_out_and_match_conv2d() -> None:
    layer = nn.Conv2d(3, 4, kernel_size=(5, 3), stride=(2, 1), padding=(2, 1), dilation=(1, 2))
    out = layer(torch.zeros(1, 3, 17, 11))
    got = conv.conv_output_size((17, 11), (5, 3), (2, 1), (2, 1), (1, 2))
    assert got == tuple(out.shape[2:])
    assert conv.conv_output_size((9, 9), 3) == (7, 7)
    assert conv.conv_output_size(9, 3) == 7


def test_padding_tuple_pads_both_sides() -> None:
    # (2, 1): 2 rows on top AND bottom, 1 column left AND right.
    x = torch.ones(1, 1, 4, 4)
    y = F.conv2d(x, torch.ones(1, 1, 1, 1), padding=(2, 1))
    assert tuple(y.shape[2:]) == (8, 6) == conv.conv_output_size((4, 4), 1, padding=(2, 1))
    assert y[0, 0, :2].sum() == 0 and y[0, 0, -2:].sum() == 0


def test_invalid_arguments_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="stride"):
        conv.conv_output_size(5, 3, stride=0)
    with pytest.raises(ValueError, match="padding"):
        conv.conv_output_size(5, 3, padding=-1)
    with pytest.raises(ValueError, match="dilation"):
        conv.conv_output_size(5, 3, dilation=0)
    with pytest.raises(ValueError, match="dimensions"):
        conv.conv_output_size((5, 5), (3, 3, 3))
    with pytest.raises(ValueError, match="padding must be"):
        conv.conv_output_size(5, 3, padding="full")  # type: ignore[arg-type]


def _torch_pool(kind: str, size: int, k: int, s: int, p: int, d: int, ceil: bool) -> int | None:
    x = torch.zeros(1, 1, size)
    try:
        if kind == "max":
            out = F.max_pool1d(x, k, s, p, d, ceil_mode=ceil)
        else:
            out = F.avg_pool1d(x, k, s, p, ceil_mode=ceil)
    except (RuntimeError, ValueError):
        return None
    return out.shape[-1]


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_output_size_matches_torch_over_grid(kind: str) -> None:
    dilations = range(1, 3) if kind == "max" else [1]
    checked = refused = 0
    for size, k, s, p, d, ceil in itertools.product(
        range(1, 12), range(1, 5), range(1, 4), range(0, 3), dilations, [False, True]
    ):
        expected = _torch_pool(kind, size, k, s, p, d, ceil)
        if expected is None:
            refused += 1
            with pytest.raises(ValueError):
                conv.pool_output_size(size, k, s, p, d, ceil)
        else:
            checked += 1
            assert conv.pool_output_size(size, k, s, p, d, ceil) == expected, (
                size,
                k,
                s,
                p,
                d,
                ceil,
            )
    assert checked > 300 and refused > 50


def test_pool_stride_defaults_to_kernel_size() -> None:
    assert nn.MaxPool2d(2).stride == 2
    assert conv.pool_output_size((8, 8), 2) == (4, 4)


def test_ceil_mode_drops_a_window_that_starts_in_padding() -> None:
    # size 4, k 2, s 2, p 1: ceil((4+2-2)/2)+1 = 3, but the third window would
    # start at padded index 4 >= size + pad... PyTorch keeps or drops it exactly so.
    expected = F.max_pool1d(torch.zeros(1, 1, 4), 2, 2, 1, ceil_mode=True).shape[-1]
    assert conv.pool_output_size(4, 2, 2, 1, ceil_mode=True) == expected
    expected = F.max_pool1d(torch.zeros(1, 1, 5), 2, 3, 1, ceil_mode=True).shape[-1]
    assert conv.pool_output_size(5, 2, 3, 1, ceil_mode=True) == expected


def test_conv_transpose_output_size_matches_torch_over_grid() -> None:
    checked = refused = 0
    for size, k, s, p, op, d in itertools.product(
        range(1, 8), range(1, 5), range(1, 4), range(0, 3), range(0, 3), range(1, 3)
    ):
        try:
            expected = F.conv_transpose1d(
                torch.zeros(1, 1, size), torch.zeros(1, 1, k), stride=s, padding=p,
                output_padding=op, dilation=d,
            ).shape[-1]  # fmt: skip
        except (RuntimeError, ValueError):
            refused += 1
            with pytest.raises(ValueError):
                conv.conv_transpose_output_size(size, k, s, p, op, d)
            continue
        checked += 1
        assert conv.conv_transpose_output_size(size, k, s, p, op, d) == expected
    assert checked > 500 and refused > 100


def _empirical_receptive_field(model: nn.Sequential, size: int = 64) -> int:
    """Width of the input region that reaches the central output, measured by autograd."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d,)):
            nn.init.constant_(module.weight, 1.0)
            nn.init.zeros_(module.bias)
    x = torch.ones(1, 1, size, size, requires_grad=True)
    y = model(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    assert x.grad is not None
    rows = (x.grad[0, 0].abs().sum(dim=1) > 0).nonzero()
    return int(rows.max() - rows.min() + 1)


@pytest.mark.parametrize(
    "layers",
    [
        [nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3)],
        [nn.Conv2d(1, 1, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3)],
        [nn.Conv2d(1, 1, 5, stride=2), nn.Conv2d(1, 1, 3, dilation=2), nn.AvgPool2d(2)],
        [nn.Conv2d(1, 1, 3, stride=2), nn.Conv2d(1, 1, 3, stride=2), nn.Conv2d(1, 1, 3)],
    ],
)
def test_receptive_field_matches_autograd(layers: list[nn.Module]) -> None:
    # Max pooling sends gradient to one argmax only, so measure through an
    # average pool of the same geometry: the receptive field is the same.
    probe = [
        nn.AvgPool2d(m.kernel_size, m.stride, m.padding) if isinstance(m, nn.MaxPool2d) else m
        for m in layers
    ]
    expected = _empirical_receptive_field(nn.Sequential(*probe))
    assert conv.receptive_field(layers).size == (expected, expected)


def test_receptive_field_rejects_dense_layers() -> None:
    with pytest.raises(ValueError, match="Linear"):
        conv.receptive_field([nn.Conv2d(1, 1, 3), nn.Linear(3, 3)])


def test_summary_matches_a_real_forward_pass() -> None:
    model = nn.Sequential(
        nn.Conv2d(3, 32, 5, 1, 2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, 1, 2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, 1, 2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 64),
        nn.ReLU(), nn.Linear(64, 10),
    )  # fmt: skip
    rows = conv.summary(model, (2, 3, 32, 32))
    x = torch.zeros(2, 3, 32, 32)
    assert rows[0].output_shape == (2, 3, 32, 32)
    for row, layer in zip(rows[1:], model, strict=True):
        x = layer(x)
        assert row.output_shape == tuple(x.shape), row
        assert row.parameters == sum(p.numel() for p in layer.parameters())


def test_summary_covers_transpose_adaptive_and_batchnorm() -> None:
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding="same"), nn.BatchNorm2d(4), nn.ConvTranspose2d(4, 2, 3, 2, 1, 1),
        nn.AdaptiveAvgPool2d((3, None)), nn.Flatten(start_dim=2),
    )  # fmt: skip
    x = torch.zeros(1, 1, 7, 5)
    rows = conv.summary(model, x.shape)
    for row, layer in zip(rows[1:], model, strict=True):
        x = layer(x)
        assert row.output_shape == tuple(x.shape)


def test_summary_reports_mismatches_like_torch() -> None:
    with pytest.raises(
        ValueError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x10 and 8x5\)"
    ):
        conv.summary(nn.Sequential(nn.Linear(8, 5)), (4, 10))
    with pytest.raises(ValueError, match="expects 3 input channels, got 1"):
        conv.summary(nn.Sequential(nn.Conv2d(3, 8, 3)), (1, 1, 8, 8))
    with pytest.raises(ValueError, match="does not know"):
        conv.summary(nn.Sequential(nn.LSTM(3, 3)), (1, 3))


AVG_GRID = list(
    itertools.product(range(1, 12), range(1, 5), range(1, 4), range(0, 3), [False, True])
)


def _torch_avg_pool(
    size: tuple[int, int], k: tuple[int, int], s: tuple[int, int], p: tuple[int, int], **kw: bool
) -> torch.Tensor | None:
    """PyTorch's AvgPool2d output on ones, or None where it refuses the configuration."""
    try:
        return nn.AvgPool2d(k, s, p, **kw)(torch.ones(1, 1, *size))
    except (RuntimeError, ValueError):
        return None


def test_avg_pool_output_size_matches_avg_pool1d_over_grid() -> None:
    checked = refused = 0
    for size, k, s, p, ceil in AVG_GRID:
        for include in (False, True):
            try:
                layer = nn.AvgPool1d(k, s, p, ceil_mode=ceil, count_include_pad=include)
                expected = layer(torch.zeros(1, 1, size)).shape[-1]
            except (RuntimeError, ValueError) as err:
                refused += 1
                with pytest.raises(ValueError) as ours:
                    conv.avg_pool_output_size(size, k, s, p, ceil)
                # the same reason, in words: half the kernel, or an output below 1
                key = "half" if "half" in str(err) else "too small"
                assert key in str(ours.value), (str(err), str(ours.value))
                continue
            checked += 1
            assert conv.avg_pool_output_size(size, k, s, p, ceil) == expected
    assert checked > 300 and refused > 50


def test_avg_pool_divisors_match_avg_pool2d_over_grid() -> None:
    # Divisor = window sum / window mean, both measured with PyTorch on an input of ones.
    checked = 0
    for (size, k, s, p, ceil), include in itertools.product(AVG_GRID, (False, True)):
        args = ((1, size), (1, k), (1, s), (0, p))
        means = _torch_avg_pool(*args, ceil_mode=ceil, count_include_pad=include)
        if means is None:
            with pytest.raises(ValueError):
                conv.avg_pool_divisors(*args, ceil_mode=ceil, count_include_pad=include)
            continue
        sums = _torch_avg_pool(*args, ceil_mode=ceil, divisor_override=1)  # type: ignore[arg-type]
        assert sums is not None
        divisors = conv.avg_pool_divisors(*args, ceil_mode=ceil, count_include_pad=include)
        assert divisors.shape == means.shape[-2:]
        torch.testing.assert_close(sums[0, 0] / divisors, means[0, 0])
        checked += 1
    assert checked > 600


@pytest.mark.parametrize("seed", range(5))
def test_avg_pool2d_sizes_and_divisors_on_random_2d_cases(seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    checked = 0
    for _ in range(40):
        k = tuple(int(v) for v in torch.randint(1, 5, (2,), generator=gen))
        s = tuple(int(v) for v in torch.randint(1, 4, (2,), generator=gen))
        p = tuple(int(torch.randint(0, kk // 2 + 1, (1,), generator=gen)) for kk in k)
        size = tuple(int(v) for v in torch.randint(1, 13, (2,), generator=gen))
        ceil, include = (
            bool(torch.rand(1, generator=gen) < 0.5),
            bool(torch.rand(1, generator=gen) < 0.5),
        )
        means = _torch_avg_pool(size, k, s, p, ceil_mode=ceil, count_include_pad=include)  # type: ignore[arg-type]
        if means is None:
            continue
        sums = _torch_avg_pool(size, k, s, p, ceil_mode=ceil, divisor_override=1)  # type: ignore[arg-type]
        assert sums is not None
        assert conv.avg_pool_output_size(size, k, s, p, ceil) == tuple(means.shape[-2:])
        divisors = conv.avg_pool_divisors(size, k, s, p, ceil, count_include_pad=include)
        torch.testing.assert_close(sums[0, 0] / divisors, means[0, 0])
        checked += 1
    assert checked > 20


def test_avg_pool_has_no_dilation_and_count_include_pad_keeps_the_size() -> None:
    with pytest.raises(TypeError):
        nn.AvgPool2d(2, dilation=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        conv.avg_pool_output_size(5, 2, dilation=2)  # type: ignore[call-arg]
    # ceil_mode: the last window of 6 with K=3, S=2 reaches past the input and is counted short
    assert conv.avg_pool_divisors(6, 3, 2, ceil_mode=True).tolist() == [3, 3, 2]
    assert conv.avg_pool_divisors((4, 4), 2).tolist() == [[4, 4], [4, 4]]
    with pytest.raises(ValueError, match="at most half of kernel size"):
        conv.avg_pool_output_size(5, 2, padding=2)
    with pytest.raises(ValueError, match="too small"):
        conv.avg_pool_output_size(2, 3, stride=1)
