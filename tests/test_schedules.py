"""dlref.schedules against torch.optim.lr_scheduler: the closed forms give PyTorch's rates."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch.optim import lr_scheduler

from dlref import schedules


def _optimizer(lr: float = 0.1, momentum: float = 0.0) -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr, momentum=momentum)


def _assert_rates(ours: list[float], theirs: list[float]) -> None:
    assert len(ours) == len(theirs)
    for t, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15), f"step {t}: {a} vs torch {b}"


@pytest.mark.parametrize(("step_size", "gamma"), [(1, 0.5), (3, 0.1), (7, 0.9)])
def test_step_lr(step_size: int, gamma: float) -> None:
    opt = _optimizer(0.3)
    theirs = schedules.record_lrs(opt, lr_scheduler.StepLR(opt, step_size, gamma), 30)
    _assert_rates([schedules.step_lr(t, 0.3, step_size, gamma) for t in range(31)], theirs)


@pytest.mark.parametrize("gamma", [0.5, 0.95, 0.999])
def test_exponential_lr(gamma: float) -> None:
    opt = _optimizer()
    theirs = schedules.record_lrs(opt, lr_scheduler.ExponentialLR(opt, gamma), 200)
    _assert_rates([schedules.exponential_lr(t, 0.1, gamma) for t in range(201)], theirs)


@pytest.mark.parametrize(("t_max", "eta_min"), [(1, 0.0), (10, 0.0), (97, 1e-3)])
def test_cosine_annealing_lr(t_max: int, eta_min: float) -> None:
    opt = _optimizer()
    theirs = schedules.record_lrs(opt, lr_scheduler.CosineAnnealingLR(opt, t_max, eta_min), t_max)
    ours = [schedules.cosine_annealing_lr(t, 0.1, t_max, eta_min) for t in range(t_max + 1)]
    _assert_rates(ours, theirs)


@pytest.mark.parametrize(("start", "end", "n"), [(1 / 3, 1.0, 5), (0.01, 1.0, 40), (1.0, 0.2, 9)])
def test_linear_lr(start: float, end: float, n: int) -> None:
    opt = _optimizer()
    theirs = schedules.record_lrs(opt, lr_scheduler.LinearLR(opt, start, end, n), 3 * n)
    _assert_rates([schedules.linear_lr(t, 0.1, start, end, n) for t in range(3 * n + 1)], theirs)


@pytest.mark.parametrize(
    ("warmup", "total", "eta_min"), [(1, 2, 0.0), (5, 50, 0.0), (30, 100, 1e-4)]
)
def test_warmup_cosine_lr(warmup: int, total: int, eta_min: float) -> None:
    opt = _optimizer()
    sched = lr_scheduler.SequentialLR(
        opt,
        [
            lr_scheduler.LinearLR(opt, 0.01, 1.0, warmup),
            lr_scheduler.CosineAnnealingLR(opt, total - warmup, eta_min),
        ],
        milestones=[warmup],
    )
    theirs = schedules.record_lrs(opt, sched, total)
    ours = [
        schedules.warmup_cosine_lr(t, 0.1, warmup, total, 0.01, eta_min) for t in range(total + 1)
    ]
    _assert_rates(ours, theirs)


@pytest.mark.parametrize(
    ("total", "pct", "div", "final_div"),
    [(10, 0.3, 25.0, 1e4), (101, 0.25, 10.0, 100.0), (1000, 0.5, 25.0, 1e4)],
)
def test_one_cycle_lr(total: int, pct: float, div: float, final_div: float) -> None:
    opt = _optimizer(momentum=0.9)  # OneCycleLR cycles the momentum too, so it needs one
    sched = lr_scheduler.OneCycleLR(
        opt,
        max_lr=0.4,
        total_steps=total,
        pct_start=pct,
        div_factor=div,
        final_div_factor=final_div,
    )
    theirs = schedules.record_lrs(opt, sched, total - 1)
    ours = [schedules.one_cycle_lr(t, 0.4, total, pct, div, final_div) for t in range(total)]
    _assert_rates(ours, theirs)


@pytest.mark.parametrize(
    ("patience", "cooldown", "min_lr"), [(0, 0, 0.0), (2, 0, 0.0), (3, 2, 0.01)]
)
def test_plateau_lrs(patience: int, cooldown: int, min_lr: float) -> None:
    gen = torch.Generator().manual_seed(0)
    # a noisy loss that falls, then stalls: improvements, ties and plateaus all occur
    metrics = [
        max(1.0 / (1 + t), 0.05) + 0.01 * float(torch.rand(1, generator=gen)) for t in range(80)
    ]
    metrics[40:45] = [metrics[39]] * 5
    opt = _optimizer(1.0)
    sched = lr_scheduler.ReduceLROnPlateau(
        opt, factor=0.5, patience=patience, cooldown=cooldown, min_lr=min_lr
    )
    theirs = []
    for m in metrics:
        opt.step()
        sched.step(m)
        theirs.append(opt.param_groups[0]["lr"])
    ours = schedules.plateau_lrs(metrics, 1.0, 0.5, patience, cooldown=cooldown, min_lr=min_lr)
    assert ours == theirs
    assert len(set(ours)) > 2, "the test sequence should trigger several reductions"


def test_record_lrs_keeps_the_order_pytorch_requires() -> None:
    opt = _optimizer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the call-order warning would raise here
        schedules.record_lrs(opt, lr_scheduler.StepLR(opt, 1, 0.5), 3)


def test_call_order_warning_text() -> None:
    """The lr-schedules page shows this warning and relies on its wording."""
    opt = _optimizer()
    sched = lr_scheduler.StepLR(opt, 1, 0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched.step()
        opt.step()
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1
    assert "Detected call of `lr_scheduler.step()` before `optimizer.step()`" in messages[0]
    assert "skipping the first value of the learning rate schedule" in messages[0]


@pytest.mark.parametrize(
    "call",
    [
        lambda: schedules.step_lr(-1, 0.1, 2),
        lambda: schedules.step_lr(1, 0.1, 0),
        lambda: schedules.cosine_annealing_lr(11, 0.1, 10),
        lambda: schedules.linear_lr(1, 0.1, total_iters=0),
        lambda: schedules.warmup_cosine_lr(1, 0.1, 10, 10),
        lambda: schedules.one_cycle_lr(10, 0.1, 10),
        lambda: schedules.one_cycle_lr(0, 0.1, 10, pct_start=0.05),
        lambda: schedules.plateau_lrs([1.0], 0.1, factor=1.0),
    ],
)
def test_invalid_arguments_raise(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]
