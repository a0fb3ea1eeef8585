"""dlref.models: the builders give the stated architectures, seeded and side-effect free."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlref.models import digits_cnn, lenet, mlp


def _types(model: nn.Sequential) -> list[type[nn.Module]]:
    return [type(layer) for layer in model]


def test_mlp_puts_activations_between_linear_layers_only() -> None:
    model = mlp((2, 100, 25, 3))
    assert _types(model) == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert [(m.in_features, m.out_features) for m in model if isinstance(m, nn.Linear)] == [
        (2, 100),
        (100, 25),
        (25, 3),
    ]
    assert _types(mlp((2, 100, 3), nn.Sigmoid)) == [nn.Linear, nn.Sigmoid, nn.Linear]
    assert _types(mlp((2, 3))) == [nn.Linear]


def test_mlp_without_activation_is_one_affine_map() -> None:
    model = mlp((2, 100, 3), None, seed=3)
    assert _types(model) == [nn.Linear, nn.Linear]
    first, second = model[0], model[1]
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    weight = second.weight @ first.weight
    bias = second.weight @ first.bias + second.bias
    torch.testing.assert_close(model(x), x @ weight.T + bias, rtol=1e-5, atol=1e-5)


def test_builders_are_seeded_and_leave_the_global_random_state_alone() -> None:
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    a = mlp((2, 100, 3), seed=0)
    b = digits_cnn(seed=0)
    c = lenet(seed=0)
    assert torch.equal(torch.rand(3), expected_next)  # building drew nothing from global state
    again = mlp((2, 100, 3), seed=0)
    other = mlp((2, 100, 3), seed=1)
    for p, q in zip(a.parameters(), again.parameters(), strict=True):
        assert torch.equal(p, q)
    assert not torch.equal(a[0].weight, other[0].weight)
    for built, rebuilt in ((b, digits_cnn(seed=0)), (c, lenet(seed=0))):
        pairs = zip(built.parameters(), rebuilt.parameters(), strict=True)
        assert all(torch.equal(p, q) for p, q in pairs)


def test_same_seed_same_shapes_give_the_same_start_whatever_the_activation() -> None:
    relu, sigmoid = mlp((2, 100, 3), nn.ReLU, seed=0), mlp((2, 100, 3), nn.Sigmoid, seed=0)
    assert torch.equal(relu[0].weight, sigmoid[0].weight)
    assert torch.equal(relu[2].bias, sigmoid[2].bias)


@pytest.mark.parametrize("sizes", [(), (2,), (2, 0, 3)])
def test_mlp_rejects_bad_sizes(sizes: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        mlp(sizes)


def test_digits_cnn_shapes_and_modes() -> None:
    model = digits_cnn(channels=(8, 12), dropout=0.5, n_classes=10, seed=0)
    x = torch.randn(6, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    assert model(x).shape == (6, 10)
    assert model[-1].in_features == 4 * 12
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), model(x))  # no dropout, running statistics


def test_digits_cnn_rejects_a_bad_dropout() -> None:
    with pytest.raises(ValueError):
        digits_cnn(dropout=1.0)


@pytest.mark.parametrize("channels", [1, 3])
def test_lenet_maps_32x32_inputs_to_the_outputs(channels: int) -> None:
    model = lenet(in_channels=channels, n_outputs=7)
    assert model(torch.zeros(2, channels, 32, 32)).shape == (2, 7)
    assert model[7].in_features == 16 * 5 * 5
