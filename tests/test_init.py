"""dlref.init: each scheme draws what torch.nn.init draws, with the variance its formula states."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dlref import init
from dlref.probes import activation_stats

FAN_IN, FAN_OUT = 400, 300

# (our scheme, the torch.nn.init call that should draw the same numbers)
TORCH_EQUIVALENT = {
    "xavier_uniform": lambda w, g: nn.init.xavier_uniform_(w, generator=g),
    "xavier_normal": lambda w, g: nn.init.xavier_normal_(w, generator=g),
    "he_uniform": lambda w, g: nn.init.kaiming_uniform_(w, nonlinearity="relu", generator=g),
    "he_normal": lambda w, g: nn.init.kaiming_normal_(w, nonlinearity="relu", generator=g),
    "default": lambda w, g: nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=g),
}


def _layer(scheme: init.Scheme, seed: int = 0, **kwargs: float) -> nn.Linear:
    layer = nn.Linear(FAN_IN, FAN_OUT).requires_grad_(False)
    return init.init_linear_(layer, scheme, generator=torch.Generator().manual_seed(seed), **kwargs)


@pytest.mark.parametrize("scheme", list(TORCH_EQUIVALENT))
def test_weights_match_torch_nn_init(scheme: init.Scheme) -> None:
    ours = _layer(scheme, seed=3).weight
    theirs = torch.empty(FAN_OUT, FAN_IN)
    TORCH_EQUIVALENT[scheme](theirs, torch.Generator().manual_seed(3))
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("scheme", list(TORCH_EQUIVALENT))
def test_empirical_variance_matches_formula(scheme: init.Scheme) -> None:
    weight = _layer(scheme).weight.double()
    expected = init.weight_variance(scheme, FAN_IN, FAN_OUT)
    # 120,000 draws: the sample variance is within 1.5% with overwhelming probability
    assert float(weight.var()) == pytest.approx(expected, rel=0.015)
    assert abs(float(weight.mean())) < 0.01 * math.sqrt(expected)


def test_formulas() -> None:
    assert init.weight_variance("default", 100, 7) == pytest.approx(1 / 300)
    assert init.weight_variance("xavier_normal", 100, 300) == pytest.approx(2 / 400)
    assert init.weight_variance("xavier_uniform", 100, 300) == pytest.approx(2 / 400)
    assert init.weight_variance("he_normal", 100, 300) == pytest.approx(2 / 100)
    assert init.weight_variance("he_uniform", 100, 300) == pytest.approx(2 / 100)
    assert init.weight_variance("zeros", 5, 5) == 0.0
    with pytest.raises(ValueError, match="unknown scheme"):
        init.weight_variance("lecun", 5, 5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 1"):
        init.weight_variance("he_normal", 0, 5)
    assert set(init.DESCRIPTIONS) == set(init.SCHEMES)


def test_default_scheme_is_what_nn_linear_does() -> None:
    torch.manual_seed(11)
    reference = nn.Linear(FAN_IN, FAN_OUT)
    ours = _layer("default", seed=11)
    torch.testing.assert_close(ours.weight, reference.weight, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(ours.bias, reference.bias, rtol=1e-6, atol=1e-7)
    bound = 1 / math.sqrt(FAN_IN)
    assert float(ours.weight.abs().max()) <= bound
    assert float(ours.bias.abs().max()) <= bound


def test_bias_zero_scale_and_constant() -> None:
    layer = _layer("he_normal", scale=3.0)
    assert float(layer.bias.abs().max()) == 0.0
    assert float(layer.weight.var()) == pytest.approx(9 * 2 / FAN_IN, rel=0.02)
    constant = _layer("constant", value=0.25)
    assert bool((constant.weight == 0.25).all())
    assert bool((_layer("zeros").weight == 0).all())


def test_deep_mlp_structure() -> None:
    model = init.deep_mlp(3, 16, 5, 2, activation="tanh", batchnorm=True, residual=True)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 5
    assert [lin.in_features for lin in linears] == [3, 16, 16, 16, 16]
    assert linears[-1].out_features == 2
    blocks = [m for m in model if isinstance(m, init.Block)]
    assert [b.residual for b in blocks] == [False, True, True, True]
    assert all(isinstance(b.norm, nn.BatchNorm1d) for b in blocks)
    assert all(isinstance(b.act, nn.Tanh) for b in blocks)
    assert model(torch.zeros(4, 3)).shape == (4, 2)
    with pytest.raises(ValueError, match="at least 2"):
        init.deep_mlp(3, 16, 1, 2)
    with pytest.raises(ValueError, match="unknown activation"):
        init.deep_mlp(3, 16, 3, 2, activation="swish")


def test_new_linear_draws_once_and_matches_nn_linear() -> None:
    torch.manual_seed(5)
    reference = nn.Linear(7, 3)
    torch.manual_seed(5)
    ours = init.new_linear(7, 3)  # "default", from the global generator like nn.Linear
    torch.testing.assert_close(ours.weight, reference.weight, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(ours.bias, reference.bias, rtol=1e-6, atol=1e-7)
    before = torch.random.get_rng_state()
    init.new_linear(7, 3, "he_normal", generator=torch.Generator().manual_seed(0))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_residual_block_adds_its_input() -> None:
    block = init.Block(4, 4, "relu", residual=True, init="zeros")
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(block(x), x)  # relu(0) = 0, so only the skip is left


def test_deep_mlp_is_seeded_and_leaves_global_rng_alone() -> None:
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    a = init.deep_mlp(2, 8, 4, 3, seed=5)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = init.deep_mlp(2, 8, 4, 3, seed=5)
    c = init.deep_mlp(2, 8, 4, 3, seed=6)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(pa, pb)
        if pa.dim() == 2:
            assert not torch.equal(pa, pc)


def test_he_keeps_relu_variance_and_default_does_not() -> None:
    x = torch.randn(256, 128, generator=torch.Generator().manual_seed(1))
    he = init.deep_mlp(128, 128, 20, 128, init="he_normal", seed=0)
    default = init.deep_mlp(128, 128, 20, 128, init="default", seed=0)
    he_std = [s.std for s in activation_stats(he, x)]
    default_spread = [s.batch_std for s in activation_stats(default, x)]
    assert all(0.25 < s / he_std[0] < 4 for s in he_std)
    # each ReLU layer under the default init multiplies the input-driven spread by ~√(1/6)
    assert default_spread[-2] / default_spread[0] < 1e-5
