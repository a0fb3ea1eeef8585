"""dlref.residual: block formulas, Jacobians, the builder, and per-block gradient norms."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.functional import jacobian

from dlref.residual import ResidualBlock, block_gradient_norms, residual_mlp


def _relu_mask(z: torch.Tensor) -> torch.Tensor:
    return torch.diag((z > 0).to(z.dtype))


def test_pre_activation_jacobian_is_identity_plus_branch() -> None:
    torch.manual_seed(0)
    block = ResidualBlock(5, order="pre", batchnorm=False).double()
    x = torch.randn(5, dtype=torch.float64)
    got = jacobian(lambda v: block(v.unsqueeze(0)).squeeze(0), x)
    w1, w2 = block.fc1.weight, block.fc2.weight
    j_branch = w2 @ _relu_mask(block.fc1(torch.relu(x))) @ w1 @ _relu_mask(x)
    torch.testing.assert_close(
        got, torch.eye(5, dtype=torch.float64) + j_branch, rtol=0, atol=1e-12
    )


def test_post_activation_jacobian_masks_the_identity() -> None:
    torch.manual_seed(1)
    block = ResidualBlock(5, order="post", batchnorm=False).double()
    x = torch.randn(5, dtype=torch.float64)
    got = jacobian(lambda v: block(v.unsqueeze(0)).squeeze(0), x)
    z1 = block.fc1(x)
    j_branch = block.fc2.weight @ _relu_mask(z1) @ block.fc1.weight
    outer = _relu_mask(x + block.branch(x.unsqueeze(0)).squeeze(0))
    expected = outer @ (torch.eye(5, dtype=torch.float64) + j_branch)
    torch.testing.assert_close(got, expected.detach(), rtol=0, atol=1e-12)


def test_projection_shortcut_and_plain_twin() -> None:
    torch.manual_seed(0)
    block = ResidualBlock(4, 6, order="pre", batchnorm=False)
    assert block.projection is not None and block.projection.bias is None
    x = torch.randn(3, 4)
    torch.testing.assert_close(block(x), x @ block.projection.weight.T + block.branch(x))
    assert ResidualBlock(4, 6, shortcut=False).projection is None
    assert ResidualBlock(4).projection is None
    with pytest.raises(ValueError, match="order"):
        ResidualBlock(4, order="middle")  # type: ignore[arg-type]


def test_batchnorm_sizes_follow_the_order() -> None:
    pre, post = ResidualBlock(4, 6, order="pre"), ResidualBlock(4, 6, order="post")
    assert isinstance(pre.norm1, nn.BatchNorm1d) and pre.norm1.num_features == 4
    assert isinstance(post.norm1, nn.BatchNorm1d) and post.norm1.num_features == 6
    assert isinstance(ResidualBlock(4, batchnorm=False).norm2, nn.Identity)
    assert pre(torch.randn(8, 4)).shape == (8, 6)


@pytest.mark.parametrize("order", ["post", "pre"])
def test_residual_mlp_shares_weights_with_its_plain_twin(order: str) -> None:
    res = residual_mlp(3, 8, 4, 2, order=order, seed=5)  # type: ignore[arg-type]
    plain = residual_mlp(3, 8, 4, 2, order=order, shortcut=False, seed=5)  # type: ignore[arg-type]
    for a, b in zip(res.parameters(), plain.parameters(), strict=True):
        assert torch.equal(a, b)
    n_linear = sum(isinstance(m, nn.Linear) for m in plain.modules())
    assert n_linear == 2 * 4 + 2
    torch.manual_seed(0)
    state = torch.random.get_rng_state()
    residual_mlp(3, 8, 2, 2, seed=1)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert residual_mlp(3, 8, 0, 2)(torch.randn(4, 3)).shape == (4, 2)
    with pytest.raises(ValueError):
        residual_mlp(3, 8, -1, 2)


def test_block_gradient_norms_against_autograd_and_no_side_effects() -> None:
    torch.manual_seed(0)
    model = residual_mlp(2, 6, 3, 3, order="pre", batchnorm=False, seed=0).double()
    x = torch.randn(10, 2, dtype=torch.float64)
    y = torch.randint(0, 3, (10,))
    norms = block_gradient_norms(model, x, y, F.cross_entropy)
    h0 = model[0](x)
    h1 = model[1](h0)
    h2 = model[2](h1)
    h3 = model[3](h2)
    loss = F.cross_entropy(model[4:](h3), y)
    grads = torch.autograd.grad(loss, (h1, h2, h3))
    assert norms == pytest.approx([g.norm().item() for g in grads], rel=1e-12)
    assert all(p.grad is None for p in model.parameters())
    assert not any(m._forward_hooks for m in model.modules())
    with pytest.raises(ValueError, match="ResidualBlock"):
        block_gradient_norms(nn.Linear(2, 3), x, y, F.cross_entropy)
