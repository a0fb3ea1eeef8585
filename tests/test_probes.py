"""dlref.probes: per-layer gradient norms and activation statistics, hooks cleaned up."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlref import probes


def _model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2))


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(16, 3, generator=g), torch.randint(0, 2, (16,), generator=g)


def _hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) for m in model.modules())


def test_weight_gradient_norms_match_autograd() -> None:
    model, (x, y) = _model(), _batch()
    norms = probes.gradient_norms(model, x, y, nn.functional.cross_entropy).weight
    linears = [m for m in model if isinstance(m, nn.Linear)]
    params = [lin.weight for lin in linears]
    grads = torch.autograd.grad(nn.functional.cross_entropy(model(x), y), params)
    assert norms == pytest.approx([float(g.norm()) for g in grads], rel=1e-6)
    assert len(norms) == 3


def test_output_gradient_norms_match_retain_grad() -> None:
    model, (x, y) = _model(), _batch()
    norms = probes.gradient_norms(model, x, y, nn.functional.cross_entropy).output
    z1 = model[0](x)
    z1.retain_grad()
    z2 = model[2](model[1](z1))
    z2.retain_grad()
    z3 = model[4](model[3](z2))
    z3.retain_grad()
    nn.functional.cross_entropy(z3, y).backward()
    expected = [float(z.grad.norm()) for z in (z1, z2, z3) if z.grad is not None]
    assert norms == pytest.approx(expected, rel=1e-6)
    assert _hook_count(model) == 0


def test_output_gradient_is_the_chain_rule_product() -> None:
    # dL/dz_1 = f'(z_1) ⊙ (W_2^T dL/dz_2): one backward step of the product on the page
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    x, y = _batch()
    x = x.double()
    z1 = model[0](x).detach()
    norms = probes.gradient_norms(model, x, y, nn.functional.cross_entropy).output
    logits = model(x).detach().requires_grad_(True)
    (delta2,) = torch.autograd.grad(nn.functional.cross_entropy(logits, y), logits)
    delta1 = (1 - torch.tanh(z1) ** 2) * (delta2 @ model[2].weight.detach())
    assert norms[0] == pytest.approx(float(delta1.norm()), rel=1e-10)


def test_hooks_removed_even_when_forward_raises() -> None:
    model = _model()
    with pytest.raises(RuntimeError):
        probes.gradient_norms(
            model, torch.zeros(2, 7), torch.zeros(2).long(), nn.functional.cross_entropy
        )
    assert _hook_count(model) == 0
    with pytest.raises(RuntimeError):
        probes.activation_stats(model, torch.zeros(2, 7))
    assert _hook_count(model) == 0


def test_activation_stats() -> None:
    model, (x, _) = _model(), _batch()
    stats = probes.activation_stats(model, x)
    assert _hook_count(model) == 0
    z1 = model[0](x).detach().double()
    assert stats[0].mean == pytest.approx(float(z1.mean()))
    assert stats[0].std == pytest.approx(float(z1.std(correction=0)))
    assert stats[0].abs_max == pytest.approx(float(z1.abs().max()))
    relu_stats = probes.activation_stats(model, x, layer_type=nn.ReLU)
    assert len(relu_stats) == 1
    a2 = model[3](model[2](model[1](model[0](x)))).detach()
    assert relu_stats[0].zero_fraction == pytest.approx(float((a2 == 0).double().mean()))


def test_batch_std_separates_input_signal_from_constant_offsets() -> None:
    # the same output for every input: all spread is across units, none across the batch
    layer = nn.Linear(4, 6)
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.copy_(torch.arange(6.0))
    (stats,) = probes.activation_stats(nn.Sequential(layer), torch.randn(10, 4))
    assert stats.batch_std == 0.0
    assert stats.abs_max == 5.0  # the offset that std and batch_std do not show
    assert stats.std == pytest.approx(float(torch.arange(6.0).std(correction=0)))


def test_errors() -> None:
    model, (x, y) = _model(), _batch()
    with pytest.raises(ValueError, match="no Conv2d"):
        probes.layers_of(model, nn.Conv2d)
    with pytest.raises(ValueError, match="no weight gradient"):
        probes.gradient_norms(model, x, y, nn.functional.cross_entropy, layer_type=nn.Tanh)


def test_grads_are_left_for_the_batch() -> None:
    model, (x, y) = _model(), _batch()
    for p in model.parameters():
        p.grad = torch.ones_like(p)  # stale gradients must not leak into the result
    norms = probes.gradient_norms(model, x, y, nn.functional.cross_entropy)
    assert float(model[0].weight.grad.norm()) == pytest.approx(norms.weight[0])
    assert _hook_count(model) == 0
