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


def test_layer_outputs_match_a_manual_forward_and_remove_hooks() -> None:
    model, (x, _) = _model(), _batch()
    z1, z2, z3 = probes.layer_outputs(model, x)
    torch.testing.assert_close(z1, model[0](x))
    torch.testing.assert_close(z2, model[2](model[1](model[0](x))))
    torch.testing.assert_close(z3, model(x))
    (relu,) = probes.layer_outputs(model, x, layer_type=nn.ReLU)
    torch.testing.assert_close(relu, model[:4](x))
    assert not z1.requires_grad and _hook_count(model) == 0


def test_pca_against_the_covariance_eigendecomposition() -> None:
    g = torch.Generator().manual_seed(4)
    x = torch.randn(300, 5, generator=g) @ torch.randn(5, 5, generator=g) + 3.0
    result = probes.pca(x, k=3)
    centred = x.double() - x.double().mean(0)
    eigenvalues, eigenvectors = torch.linalg.eigh(centred.T @ centred / 299)
    top = eigenvalues.flip(0)
    torch.testing.assert_close(result.scores.var(dim=0), top[:3])
    torch.testing.assert_close(result.explained, top[:3] / top.sum())
    # the same directions up to sign, orthonormal, and the sign rule applied
    overlap = result.components @ eigenvectors.flip(1)[:, :3]
    torch.testing.assert_close(overlap.abs(), torch.eye(3, dtype=torch.float64))
    rows = result.components.gather(1, result.components.abs().argmax(1, keepdim=True))
    assert (rows > 0).all()
    torch.testing.assert_close(result.scores, centred @ result.components.T)


def test_pca_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="features must be"):
        probes.pca(torch.zeros(3))
    with pytest.raises(ValueError, match="k must be"):
        probes.pca(torch.zeros(4, 2), k=3)


def test_linear_probe_minimises_its_objective() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 4, generator=g) * torch.tensor([1.0, 10.0, 0.1, 1.0])
    y = (x[:, 0] + 0.1 * x[:, 1] > 0).long() + (x[:, 3] > 1).long()
    probe = probes.linear_probe(x, y, weight_decay=1e-2)
    w = probe.weight.clone().requires_grad_(True)
    b = probe.bias.clone().requires_grad_(True)
    objective = (
        nn.functional.cross_entropy(probe.standardize(x) @ w.T + b, y) + 0.005 * w.pow(2).sum()
    )
    grad_w, grad_b = torch.autograd.grad(objective, (w, b))
    assert grad_w.abs().max() < 1e-6 and grad_b.abs().max() < 1e-6  # a stationary point
    assert objective.item() == pytest.approx(probe.loss, rel=1e-12)
    # the penalty makes W's rows sum to zero (softmax is unchanged by a common shift)
    torch.testing.assert_close(probe.weight.sum(0), torch.zeros(4, dtype=torch.float64))


def test_linear_probe_agrees_with_scikit_learn() -> None:
    sklearn = pytest.importorskip("sklearn.linear_model")
    g = torch.Generator().manual_seed(1)
    x = torch.randn(150, 3, generator=g)
    y = torch.randint(0, 3, (150,), generator=g)
    x[y == 1, 0] += 1.5
    x[y == 2, 1] -= 1.5
    probe = probes.linear_probe(x, y, weight_decay=1e-2)
    sk = sklearn.LogisticRegression(C=1 / (150 * 1e-2), tol=1e-10, max_iter=10_000)
    sk.fit(probe.standardize(x).numpy(), y.numpy())
    ours = torch.softmax(probe.logits(x), dim=1)
    theirs = torch.from_numpy(sk.predict_proba(probe.standardize(x).numpy()))
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-6)


def test_linear_probe_constant_features_and_errors() -> None:
    x = torch.tensor([[0.0, 7.0], [1.0, 7.0], [2.0, 7.0], [3.0, 7.0]])
    y = torch.tensor([0, 0, 1, 1])
    probe = probes.linear_probe(x, y)
    assert probe.scale[1] == 1.0 and probe.accuracy(x, y) == 1.0
    assert probe.weight.shape == (2, 2) and probe.logits(x).dtype == torch.float64
    assert probes.linear_probe(x, y, n_classes=4).weight.shape == (4, 2)
    with pytest.raises(ValueError, match="need features"):
        probes.linear_probe(x, y[:3])
    with pytest.raises(ValueError, match="weight_decay"):
        probes.linear_probe(x, y, weight_decay=-1.0)
