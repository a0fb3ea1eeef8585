"""dlref.saliency: gradients of a logit, integrated gradients, completeness, rank correlation."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dlref.saliency import (
    RULES,
    completeness_gap,
    integrated_gradients,
    logit_gradient,
    path_nodes,
    rank_correlation,
)

F64 = torch.float64


def smooth_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).double()


def test_logit_gradient_of_a_linear_model_is_the_weight_row() -> None:
    torch.manual_seed(0)
    model = nn.Linear(6, 4).double()
    x = torch.randn(9, 6, dtype=F64)
    target = torch.arange(9) % 4
    grad = logit_gradient(model, x, target)
    torch.testing.assert_close(grad, model.weight.detach()[target], rtol=0, atol=1e-15)


def test_logit_gradient_matches_central_differences() -> None:
    model = smooth_net()
    x = torch.randn(3, 5, dtype=F64)
    grad = logit_gradient(model, x, 1)
    h = 1e-6
    with torch.no_grad():
        numeric = torch.stack(
            [
                (model(x + h * e)[:, 1] - model(x - h * e)[:, 1]) / (2 * h)
                for e in torch.eye(5, dtype=F64)
            ],
            dim=1,
        )
    torch.testing.assert_close(grad, numeric, rtol=0, atol=1e-8)


def test_logit_gradient_restores_mode_and_leaves_parameter_grads_alone() -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), nn.Linear(3, 2)).double()
    model.train()
    x = torch.randn(4, 3, dtype=F64)
    a = logit_gradient(model, x, 0)
    b = logit_gradient(model, x, 0)
    assert torch.equal(a, b)  # evaluation mode: no dropout
    assert model.training
    assert all(p.grad is None for p in model.parameters())


def test_bad_target_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="target"):
        logit_gradient(nn.Linear(2, 2), torch.zeros(3, 2), torch.tensor([0, 1]))


@pytest.mark.parametrize("rule", RULES)
def test_path_nodes_integrate_polynomials(rule: str) -> None:
    alpha, weight = path_nodes(10, rule)
    assert abs(weight.sum().item() - 1) < 1e-14
    assert alpha.min() >= 0 and alpha.max() <= 1
    order = 2 if rule in ("midpoint", "trapezoid") else 1
    # error on alpha^2 shrinks like 1/m^order
    e10 = abs((weight * alpha**2).sum().item() - 1 / 3)
    a, w = path_nodes(40, rule)
    e40 = abs((w * a**2).sum().item() - 1 / 3)
    assert e40 < e10 / (4**order) * 1.2


def test_path_nodes_reject_unknown_rule_and_zero_steps() -> None:
    with pytest.raises(ValueError, match="rule"):
        path_nodes(4, "simpson")
    with pytest.raises(ValueError, match="steps"):
        path_nodes(0)


def test_integrated_gradients_of_a_linear_model_have_the_closed_form() -> None:
    torch.manual_seed(1)
    model = nn.Linear(4, 3).double()
    x = torch.randn(5, 4, dtype=F64)
    base = torch.randn(5, 4, dtype=F64)
    for rule in RULES:
        ig = integrated_gradients(model, x, 2, baseline=base, steps=3, rule=rule)
        torch.testing.assert_close(ig, (x - base) * model.weight.detach()[2], rtol=0, atol=1e-14)


def test_completeness_gap_shrinks_quadratically_for_a_smooth_model() -> None:
    model = smooth_net(2)
    x = torch.randn(6, 5, dtype=F64)
    base = torch.full((5,), 0.3, dtype=F64)
    gaps = []
    for steps in (8, 32):
        ig = integrated_gradients(model, x, 0, baseline=base, steps=steps, rule="midpoint")
        gaps.append(completeness_gap(model, x, 0, ig, baseline=base).abs().max().item())
    assert gaps[1] < gaps[0] / 10  # 1/m^2: a factor 16 for 4x the steps


def test_integrated_gradients_on_images_in_chunks_agree_with_one_pass() -> None:
    torch.manual_seed(3)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3)).double()
    x = torch.rand(600, 1, 4, 4, dtype=F64)  # 8192 // 600 = 13 points per pass
    ig = integrated_gradients(model, x, 1, steps=40, rule="right")
    alphas = torch.arange(1, 41, dtype=F64) / 40
    total = sum(logit_gradient(model, a * x, 1) for a in alphas) / 40
    torch.testing.assert_close(ig, x * total, rtol=1e-12, atol=1e-14)


def test_rank_correlation_matches_pearson_of_ranks_and_handles_ties() -> None:
    a = torch.tensor([[3.0, 1.0, 2.0, 2.0, 5.0]])
    b = torch.tensor([[30.0, 10.0, 25.0, 20.0, 50.0]])
    ranks_a = torch.tensor([4.0, 1.0, 2.5, 2.5, 5.0], dtype=F64)
    ranks_b = torch.tensor([4.0, 1.0, 3.0, 2.0, 5.0], dtype=F64)
    expected = torch.corrcoef(torch.stack((ranks_a, ranks_b)))[0, 1].item()
    assert math.isclose(rank_correlation(a, b).item(), expected, rel_tol=1e-12)
    # invariant under monotone maps
    assert math.isclose(rank_correlation(a, a.exp()).item(), 1.0, rel_tol=1e-12)
    with pytest.raises(ValueError):
        rank_correlation(a, b[:, :4])
