"""dlref.adversarial: FGSM and its relatives move inputs as their formulas say, within budget."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlref import adversarial as adv


def _linear_problem() -> tuple[nn.Linear, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    model = nn.Linear(6, 3)
    with torch.no_grad():
        model.weight.copy_(torch.randn(3, 6, generator=g))
        model.bias.copy_(torch.randn(3, generator=g))
    x = torch.rand(20, 6, generator=g)
    y = torch.randint(0, 3, (20,), generator=g)
    return model, x, y


def test_fgsm_matches_the_hand_derived_gradient_sign() -> None:
    model, x, y = _linear_problem()
    # For logits z = W x + b and cross-entropy, dL/dx = W^T (softmax(z) - onehot(y)).
    p = torch.softmax(model(x), dim=1).detach()
    grad = (p - F.one_hot(y, 3).float()) @ model.weight.detach()
    expected = (x + 0.1 * grad.sign()).clamp(0, 1)
    assert torch.allclose(adv.fgsm(model, x, y, 0.1), expected)
    assert torch.allclose(adv.input_gradient(model, x, y), grad, atol=1e-6)


def test_fgsm_stays_in_budget_and_bounds() -> None:
    model, x, y = _linear_problem()
    for eps in (0.0, 0.05, 0.3, 2.0):
        x_adv = adv.fgsm(model, x, y, eps)
        assert not x_adv.requires_grad
        assert bool((adv.linf_norm(x_adv - x) <= eps + 1e-6).all())
        assert float(x_adv.min()) >= 0.0 and float(x_adv.max()) <= 1.0
    assert torch.equal(adv.fgsm(model, x, y, 0.0), x)


def test_fgsm_raises_the_loss_of_a_linear_model_by_at_least_eps_times_l1() -> None:
    # Cross-entropy of a linear model is convex in x: L(x + d) >= L(x) + <g, d>, and
    # for d = eps * sign(g), <g, d> = eps * ||g||_1.
    model, x, y = _linear_problem()
    eps = 0.05
    g = adv.input_gradient(model, x, y)
    x_adv = adv.fgsm(model, x, y, eps, bounds=None)
    with torch.no_grad():
        before = float(adv.summed_cross_entropy(model(x), y))
        after = float(adv.summed_cross_entropy(model(x_adv), y))
    assert after >= before + eps * float(g.abs().sum()) - 1e-4


def test_attacks_leave_parameters_and_mode_alone() -> None:
    model = nn.Sequential(nn.Linear(6, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    model.train()
    _, x, y = _linear_problem()
    adv.fgsm(model, x, y, 0.1)
    adv.iterative_fgsm(model, x, y, 0.1, 0.02, 3)
    adv.minimal_epsilon(model, x, y, [0.0, 0.1])
    assert model.training
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    adv.fgsm(model, x, y, 0.1)
    assert not model.training


def test_fgsm_is_deterministic_with_dropout_because_it_runs_in_eval_mode() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.Dropout(0.5), nn.Linear(8, 3)).train()
    _, x, y = _linear_problem()
    assert torch.equal(adv.fgsm(model, x, y, 0.1), adv.fgsm(model, x, y, 0.1))


def test_fgsm_without_bounds_does_not_clip() -> None:
    model, x, y = _linear_problem()
    x_adv = adv.fgsm(model, x, y, 2.0, bounds=None)
    assert float(x_adv.max()) > 1.0 or float(x_adv.min()) < 0.0


def test_iterative_fgsm_budget_and_one_step_equals_fgsm() -> None:
    model, x, y = _linear_problem()
    one = adv.iterative_fgsm(model, x, y, 0.1, step_size=0.1, steps=1)
    assert torch.allclose(one, adv.fgsm(model, x, y, 0.1))
    many = adv.iterative_fgsm(model, x, y, 0.1, step_size=0.03, steps=10)
    assert bool((adv.linf_norm(many - x) <= 0.1 + 1e-6).all())
    assert float(many.min()) >= 0.0 and float(many.max()) <= 1.0
    with torch.no_grad():
        clean = float(adv.summed_cross_entropy(model(x), y))
        assert float(adv.summed_cross_entropy(model(many), y)) > clean


def test_random_sign_noise_has_exact_size_and_repeats() -> None:
    x = torch.full((4, 1, 3, 3), 0.5)
    a = adv.random_sign_noise(x, 0.2, seed=1)
    assert torch.allclose((a - x).abs(), torch.full_like(x, 0.2))
    assert torch.equal(a, adv.random_sign_noise(x, 0.2, seed=1))
    assert not torch.equal(a, adv.random_sign_noise(x, 0.2, seed=2))
    assert float(adv.random_sign_noise(torch.ones(2, 5), 0.3).max()) <= 1.0


def test_linf_norm_per_example() -> None:
    delta = torch.tensor([[[0.1, -0.4]], [[0.0, 0.2]]])
    assert torch.allclose(adv.linf_norm(delta), torch.tensor([0.4, 0.2]))
    with pytest.raises(ValueError):
        adv.linf_norm(torch.zeros(0, 3))


def test_minimal_epsilon_on_a_threshold_classifier() -> None:
    # Logits (x, 0): class 0 when x > 0. FGSM pushes x down by eps for label 0.
    model = nn.Linear(1, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0], [0.0]]))
        model.bias.zero_()
    x = torch.tensor([[0.3], [-0.2], [5.0]])
    y = torch.tensor([0, 0, 0])  # flips past 0.3; already wrong; never flips in the grid
    found = adv.minimal_epsilon(model, x, y, [0.0, 0.1, 0.2, 0.35, 0.5], bounds=None)
    assert found[0].item() == pytest.approx(0.35)
    assert found[1].item() == 0.0
    assert math.isinf(found[2].item())


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x, y: adv.fgsm(m, x, y, -0.1),
        lambda m, x, y: adv.fgsm(m, x, y, 0.1, bounds=(1.0, 0.0)),
        lambda m, x, y: adv.iterative_fgsm(m, x, y, 0.1, 0.0, 3),
        lambda m, x, y: adv.iterative_fgsm(m, x, y, 0.1, 0.01, 0),
        lambda m, x, y: adv.random_sign_noise(x, -1.0),
        lambda m, x, y: adv.minimal_epsilon(m, x, y, [0.2, 0.1]),
        lambda m, x, y: adv.minimal_epsilon(m, x, y, []),
    ],
)
def test_invalid_arguments_raise(call: object) -> None:
    model, x, y = _linear_problem()
    with pytest.raises(ValueError):
        call(model, x, y)  # type: ignore[operator]
