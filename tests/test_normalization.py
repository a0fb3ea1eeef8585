"""dlref.normalization against torch.nn, and the PyTorch message the normalization page shows."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlref.models import digits_cnn
from dlref.normalization import batch_norm, fold_batchnorm, fold_batchnorms, layer_norm


def _randomised(bn: nn.BatchNorm1d | nn.BatchNorm2d, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        bn.weight.copy_(torch.rand(bn.num_features, generator=generator) + 0.5)
        bn.bias.copy_(torch.randn(bn.num_features, generator=generator))


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 4)])
@pytest.mark.parametrize("momentum", [0.1, 0.3])
def test_batch_norm_follows_torch_in_both_modes(shape: tuple[int, ...], momentum: float) -> None:
    bn: nn.BatchNorm1d | nn.BatchNorm2d = (
        nn.BatchNorm2d(3, momentum=momentum)
        if len(shape) == 4
        else nn.BatchNorm1d(3, momentum=momentum)
    )
    bn = bn.double()
    _randomised(bn, 0)
    mean, var = bn.running_mean.clone(), bn.running_var.clone()
    generator = torch.Generator().manual_seed(1)
    for step in range(4):
        x = torch.randn(shape, generator=generator, dtype=torch.float64) * (step + 1) + step
        ours = batch_norm(x, mean, var, bn.weight, bn.bias, training=True, momentum=momentum)
        torch.testing.assert_close(ours.output, bn(x).detach(), rtol=0, atol=1e-12)
        mean, var = ours.running_mean, ours.running_var
        torch.testing.assert_close(mean, bn.running_mean, rtol=0, atol=1e-12)
        torch.testing.assert_close(var, bn.running_var, rtol=0, atol=1e-12)
    bn.eval()
    ours = batch_norm(x, mean, var, bn.weight, bn.bias, training=False)
    torch.testing.assert_close(ours.output, bn(x).detach(), rtol=0, atol=1e-12)
    assert ours.running_mean is mean and ours.running_var is var


def test_batch_norm_keeps_the_unbiased_variance() -> None:
    x = torch.tensor([[0.0], [1.0], [2.0], [3.0]], dtype=torch.float64)
    result = batch_norm(x, torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64),
                        training=True, momentum=1.0)  # fmt: skip
    assert result.running_var.item() == pytest.approx(5 / 3)  # sum of squares 5 over m - 1 = 3
    biased = (x - 1.5) / torch.sqrt(torch.tensor(1.25 + 1e-5, dtype=torch.float64))
    torch.testing.assert_close(result.output, biased)


def test_batch_norm_refuses_one_value_per_channel_and_bad_shapes() -> None:
    with pytest.raises(ValueError, match="more than one value per channel"):
        batch_norm(torch.randn(1, 4), torch.zeros(4), torch.ones(4), training=True)
    with pytest.raises(ValueError, match=r"\(N, C, \.\.\.\)"):
        batch_norm(torch.randn(4), torch.zeros(4), torch.ones(4), training=True)
    out = batch_norm(torch.randn(1, 4), torch.zeros(4), torch.ones(4), training=False).output
    assert out.shape == (1, 4)


def test_pytorch_refuses_batch_size_one_in_training_mode() -> None:
    # normalization prints this error and its prose quotes "Expected more than 1 value per channel"
    with pytest.raises(ValueError) as info:
        nn.BatchNorm1d(4)(torch.randn(1, 4))
    assert "Expected more than 1 value per channel when training" in str(info.value)
    assert nn.BatchNorm2d(4)(torch.randn(1, 4, 2, 2)).shape == (1, 4, 2, 2)  # 4 values per channel
    assert nn.BatchNorm1d(4).eval()(torch.randn(1, 4)).shape == (1, 4)


@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 4, 5)])
def test_layer_norm_follows_torch(shape: tuple[int, ...]) -> None:
    generator = torch.Generator().manual_seed(0)
    normalized = shape[-1:] if len(shape) == 2 else shape[-3:]
    ln = nn.LayerNorm(normalized).double()
    with torch.no_grad():
        ln.weight.normal_(generator=generator)
        ln.bias.normal_(generator=generator)
    x = torch.randn(shape, generator=generator, dtype=torch.float64)
    ours = layer_norm(x, normalized, ln.weight, ln.bias)
    torch.testing.assert_close(ours, ln(x).detach(), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="normalized_shape"):
        layer_norm(x, 3)


def test_fold_batchnorm_linear_and_conv_in_eval_mode() -> None:
    torch.manual_seed(0)
    pairs: list[tuple[nn.Module, nn.Module, tuple[int, ...]]] = [
        (nn.Linear(5, 4), nn.BatchNorm1d(4), (32, 5)),
        (nn.Linear(5, 4, bias=False), nn.BatchNorm1d(4), (32, 5)),
        (nn.Conv1d(2, 4, 3), nn.BatchNorm1d(4), (8, 2, 9)),
        (nn.Conv2d(2, 4, 3, bias=False), nn.BatchNorm2d(4), (8, 2, 6, 6)),
    ]
    for layer, bn, shape in pairs:
        layer, bn = layer.double(), bn.double()
        _randomised(bn, 1)  # type: ignore[arg-type]
        for _ in range(3):
            bn(layer(torch.randn(shape, dtype=torch.float64)))
        bn.eval()
        folded = fold_batchnorm(layer, bn)  # type: ignore[arg-type]
        x = torch.randn(shape, dtype=torch.float64)
        torch.testing.assert_close(folded(x), bn(layer(x)), rtol=0, atol=1e-12)
        assert folded.bias is not None and folded is not layer


def test_fold_batchnorm_leaves_its_arguments_alone_and_checks_sizes() -> None:
    layer, bn = nn.Linear(3, 2), nn.BatchNorm1d(2)
    before = layer.weight.detach().clone()
    fold_batchnorm(layer, bn)
    assert torch.equal(layer.weight, before)
    with pytest.raises(ValueError, match="channels"):
        fold_batchnorm(layer, nn.BatchNorm1d(3))
    with pytest.raises(ValueError, match="running estimates"):
        fold_batchnorm(layer, nn.BatchNorm1d(2, track_running_stats=False))


def test_fold_batchnorms_whole_model() -> None:
    torch.manual_seed(0)
    model = digits_cnn().double()
    with torch.no_grad():
        for _ in range(5):
            model(torch.rand(32, 1, 8, 8, dtype=torch.float64))
    model.eval()
    folded = fold_batchnorms(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    assert not folded.training
    x = torch.rand(6, 1, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(folded(x), model(x), rtol=0, atol=1e-12)
    nested = nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)), nn.ReLU())
    assert isinstance(fold_batchnorms(nested)[0][0], nn.Linear)
    assert len(fold_batchnorms(nested)[0]) == 1
