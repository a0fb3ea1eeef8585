"""dlref.regularization: L2 penalty, dropout against F.dropout, early stopping, shifts."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlref import regularization as reg


def test_l2_penalty_gradient_is_the_weight_decay_term() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 3).double()
    x, y = torch.randn(8, 4, dtype=torch.float64), torch.randint(0, 3, (8,))
    wd = 0.1
    loss = F.cross_entropy(model(x), y) + wd * reg.l2_penalty(model.parameters())
    grads = torch.autograd.grad(loss, list(model.parameters()))
    plain = torch.autograd.grad(F.cross_entropy(model(x), y), list(model.parameters()))
    for g, g0, p in zip(grads, plain, model.parameters(), strict=True):
        torch.testing.assert_close(g, g0 + wd * p.detach(), rtol=1e-14, atol=1e-15)


def test_l2_penalty_needs_a_tensor() -> None:
    with pytest.raises(ValueError, match="at least one"):
        reg.l2_penalty([])


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dropout_reproduces_torch_on_cpu(p: float, dtype: torch.dtype) -> None:
    x = torch.randn(300, 7, dtype=dtype, generator=torch.Generator().manual_seed(1))
    ours = reg.dropout(x, p, generator=torch.Generator().manual_seed(42))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(42)
        theirs = F.dropout(x, p, training=True)
    assert torch.equal(ours, theirs)


def test_dropout_edge_cases() -> None:
    x = torch.randn(50)
    assert reg.dropout(x, 0.0) is x
    assert reg.dropout(x, 0.7, training=False) is x
    assert torch.equal(reg.dropout(x, 1.0), torch.zeros_like(x))
    with pytest.raises(ValueError, match="probability"):
        reg.dropout(x, 1.5)
    with pytest.raises(ValueError, match="probability"):
        reg.dropout_mask(x, -0.1)


def test_dropout_mask_values_and_rate() -> None:
    mask = reg.dropout_mask(torch.empty(200_000), 0.25, generator=torch.Generator().manual_seed(0))
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    se = (0.25 * 0.75 / 200_000) ** 0.5
    assert abs((mask == 0).float().mean().item() - 0.25) < 5 * se


def test_early_stopping_keeps_a_copy_not_a_reference() -> None:
    model = nn.Linear(2, 2)
    stopper = reg.EarlyStopping()
    assert stopper.update(model, 0.9)
    kept = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.weight.add_(1.0)  # a later "epoch" changes the live weights in place
    assert not stopper.update(model, 0.5)
    assert torch.equal(stopper.best_state["weight"], kept["weight"])
    stopper.restore(model)
    assert torch.equal(model.weight, kept["weight"])
    assert stopper.best_epoch == 0 and stopper.epochs_seen == 2


def test_early_stopping_modes_patience_and_delta() -> None:
    model = nn.Linear(1, 1)
    lossy = reg.EarlyStopping(patience=2, mode="min", min_delta=0.05)
    flags = []
    for loss in (1.0, 0.5, 0.48, 0.47, 0.3):
        lossy.update(model, loss)
        flags.append(lossy.should_stop)
    # 0.48 and 0.47 improve on 0.5 by less than min_delta: two bad epochs in a row
    assert flags == [False, False, False, True, False]
    assert lossy.best_score == 0.3 and lossy.best_epoch == 4
    assert not reg.EarlyStopping().should_stop


def test_early_stopping_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="mode"):
        reg.EarlyStopping(mode="best")
    with pytest.raises(ValueError, match="patience"):
        reg.EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="min_delta"):
        reg.EarlyStopping(min_delta=-1.0)
    with pytest.raises(RuntimeError, match="before any update"):
        reg.EarlyStopping().restore(nn.Linear(1, 1))


def _roll_and_fill(images: torch.Tensor, dy: int, dx: int, fill: float) -> torch.Tensor:
    out = torch.roll(images, (dy, dx), dims=(-2, -1)).clone()
    if dy > 0:
        out[..., :dy, :] = fill
    elif dy < 0:
        out[..., dy:, :] = fill
    if dx > 0:
        out[..., :, :dx] = fill
    elif dx < 0:
        out[..., :, dx:] = fill
    return out


@pytest.mark.parametrize("shape", [(5, 6, 7), (5, 2, 6, 7)])
@pytest.mark.parametrize(("dy", "dx"), [(0, 0), (1, -1), (-2, 0), (2, 3), (-1, -3)])
def test_shift_images_matches_roll_with_fill(shape: tuple[int, ...], dy: int, dx: int) -> None:
    images = torch.rand(*shape, generator=torch.Generator().manual_seed(0))
    expected = _roll_and_fill(images, dy, dx, fill=-0.5)
    assert torch.equal(reg.shift_images(images, dy, dx, fill=-0.5), expected)


def test_shift_images_per_image_shifts() -> None:
    images = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    dy, dx = torch.tensor([1, 0, -1, 1]), torch.tensor([0, -1, 1, 1])
    shifted = reg.shift_images(images, dy, dx)
    for i in range(4):
        expected = _roll_and_fill(images[i], int(dy[i]), int(dx[i]), fill=0.0)
        assert torch.equal(shifted[i], expected)


def test_shift_images_rejects_wrong_rank() -> None:
    with pytest.raises(ValueError, match="images must be"):
        reg.shift_images(torch.zeros(8, 8), 1, 0)


def test_random_shifts_cover_all_nine_shifts_and_repeat_with_the_seed() -> None:
    images = torch.rand(900, 8, 8, generator=torch.Generator().manual_seed(3))
    a = reg.random_shifts(images, 1, generator=torch.Generator().manual_seed(7))
    b = reg.random_shifts(images, 1, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b)
    candidates = torch.stack(
        [reg.shift_images(images, dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    )
    which = (candidates == a).flatten(2).all(dim=2).float().argmax(dim=0)
    counts = torch.bincount(which, minlength=9)
    assert (counts > 60).all()  # about 100 each
    assert torch.equal(reg.random_shifts(images, 0), images)
    with pytest.raises(ValueError, match="max_shift"):
        reg.random_shifts(images, -1)
