r"""Learning-rate schedules in closed form, to set beside ``torch.optim.lr_scheduler``.

Each function returns the learning rate $\eta_t$ that the matching PyTorch
scheduler gives after $t$ calls of ``scheduler.step()`` (torch 2.13); step
$t = 0$ is the rate before the first call. PyTorch computes most of them
recursively (each rate from the previous one); the formulas here compute each
step directly, so comparing the two is a genuine check. ``plateau_lrs``
replays the rule of ``ReduceLROnPlateau``, which depends on the measured
metric and so has no closed form in $t$. ``record_lrs`` records what a PyTorch
scheduler actually gives, calling ``optimizer.step()`` before
``scheduler.step()``, the order PyTorch requires.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch.optim.lr_scheduler import LRScheduler

__all__ = [
    "cosine_annealing_lr",
    "exponential_lr",
    "linear_lr",
    "one_cycle_lr",
    "plateau_lrs",
    "record_lrs",
    "step_lr",
    "warmup_cosine_lr",
]


def _check_step(step: int) -> None:
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")


def step_lr(step: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    r"""``StepLR``: multiply by $\gamma$ every ``step_size`` steps.

    $$\eta_t = \eta_0\,\gamma^{\lfloor t / s \rfloor}$$

    with $\eta_0$ = ``base_lr`` and $s$ = ``step_size``.

    Examples:
        ```python
        from dlref.schedules import step_lr

        print([step_lr(t, 0.1, step_size=2, gamma=0.5) for t in range(5)])
        # [0.1, 0.1, 0.05, 0.05, 0.025]
        ```
    """
    _check_step(step)
    if step_size < 1:
        raise ValueError(f"step_size must be >= 1, got {step_size}")
    return base_lr * gamma ** (step // step_size)


def exponential_lr(step: int, base_lr: float, gamma: float) -> float:
    r"""``ExponentialLR``: multiply by $\gamma$ at every step.

    $$\eta_t = \eta_0\,\gamma^{t}$$

    Examples:
        ```python
        from dlref.schedules import exponential_lr

        assert abs(exponential_lr(10, 1.0, gamma=0.9) - 0.9**10) < 1e-15
        ```
    """
    _check_step(step)
    return base_lr * gamma**step


def cosine_annealing_lr(step: int, base_lr: float, t_max: int, eta_min: float = 0.0) -> float:
    r"""``CosineAnnealingLR`` for $0 \le t \le T$: half a cosine from $\eta_0$ to $\eta_{\min}$.

    $$\eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})\bigl(1 + \cos(\pi t / T)\bigr)$$

    with $T$ = ``t_max`` (Loshchilov & Hutter 2017, SGDR, without restarts). Past
    $T$ PyTorch's recursion climbs back up along the same cosine; this function
    refuses $t > T$ instead.

    Examples:
        ```python
        from dlref.schedules import cosine_annealing_lr

        print(cosine_annealing_lr(0, 0.1, t_max=10), cosine_annealing_lr(5, 0.1, t_max=10))
        # 0.1 and 0.05 (up to rounding): the middle of the cosine is half the peak
        assert cosine_annealing_lr(10, 0.1, t_max=10, eta_min=0.001) == 0.001
        ```
    """
    _check_step(step)
    if t_max < 1 or step > t_max:
        raise ValueError(f"need 1 <= t_max and step <= t_max, got step={step}, t_max={t_max}")
    return eta_min + (base_lr - eta_min) * (1.0 + math.cos(math.pi * step / t_max)) / 2.0


def linear_lr(
    step: int,
    base_lr: float,
    start_factor: float = 1.0 / 3,
    end_factor: float = 1.0,
    total_iters: int = 5,
) -> float:
    r"""``LinearLR``: the factor moves linearly from ``start_factor`` to ``end_factor``, then stays.

    $$\eta_t = \eta_0\Bigl(f_s + (f_e - f_s)\,\frac{\min(t, n)}{n}\Bigr)$$

    with $n$ = ``total_iters``. With $f_s < f_e = 1$ this is a linear warm-up.
    The defaults are PyTorch's.

    Examples:
        ```python
        from dlref.schedules import linear_lr

        print([round(linear_lr(t, 1.0, start_factor=0.25, total_iters=3), 4) for t in range(5)])
        # [0.25, 0.5, 0.75, 1.0, 1.0]
        ```
    """
    _check_step(step)
    if total_iters < 1:
        raise ValueError(f"total_iters must be >= 1, got {total_iters}")
    return base_lr * (
        start_factor + (end_factor - start_factor) * min(step, total_iters) / total_iters
    )


def warmup_cosine_lr(
    step: int,
    base_lr: float,
    warmup_steps: int,
    total_steps: int,
    start_factor: float = 0.01,
    eta_min: float = 0.0,
) -> float:
    r"""Linear warm-up, then cosine decay: ``SequentialLR([LinearLR, CosineAnnealingLR])``.

    With $w$ = ``warmup_steps`` and $T$ = ``total_steps``:

    $$
    \eta_t = \begin{cases}
      \eta_0\bigl(f_s + (1 - f_s)\, t / w\bigr) & 0 \le t < w \\
      \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})
        \bigl(1 + \cos\bigl(\pi\,(t - w)/(T - w)\bigr)\bigr) & w \le t \le T
    \end{cases}
    $$

    which is what PyTorch gives for ``LinearLR(opt, start_factor, 1.0, w)`` and
    ``CosineAnnealingLR(opt, T - w, eta_min)`` joined by ``SequentialLR`` at
    ``milestones=[w]``.

    Examples:
        ```python
        from dlref.schedules import warmup_cosine_lr

        rates = [warmup_cosine_lr(t, 1.0, warmup_steps=4, total_steps=12) for t in range(13)]
        assert max(rates) == rates[4] == 1.0 and rates[-1] == 0.0
        print([round(r, 3) for r in rates[:6]])  # [0.01, 0.258, 0.505, 0.752, 1.0, 0.962]
        ```
    """
    _check_step(step)
    if not 1 <= warmup_steps < total_steps or step > total_steps:
        raise ValueError(
            f"need 1 <= warmup_steps < total_steps and step <= total_steps, got "
            f"step={step}, warmup_steps={warmup_steps}, total_steps={total_steps}"
        )
    if step < warmup_steps:
        return base_lr * (start_factor + (1.0 - start_factor) * step / warmup_steps)
    return cosine_annealing_lr(step - warmup_steps, base_lr, total_steps - warmup_steps, eta_min)


def one_cycle_lr(
    step: int,
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> float:
    r"""``OneCycleLR`` (cosine annealing, two phases): up to ``max_lr``, then far below the start.

    With $N$ = ``total_steps``, $p$ = ``pct_start``, start rate
    $\eta_s = \eta_{\max} / d$ ($d$ = ``div_factor``) and final rate
    $\eta_f = \eta_s / d_f$ ($d_f$ = ``final_div_factor``), let
    $c(a, b, x) = b + \tfrac12(a - b)(1 + \cos \pi x)$, the cosine from $a$
    at $x = 0$ to $b$ at $x = 1$, and $m = pN - 1$ the step of the peak. Then

    $$
    \eta_t = \begin{cases}
      c\bigl(\eta_s, \eta_{\max}, t / m\bigr) & t \le m \\
      c\bigl(\eta_{\max}, \eta_f, (t - m) / (N - 1 - m)\bigr) & m < t \le N - 1
    \end{cases}
    $$

    (Smith & Topin 2019, "Super-convergence"). The defaults are PyTorch's. The
    rate is defined for $N$ steps, $t = 0 .. N-1$; PyTorch raises if it is
    stepped past the last.

    Examples:
        ```python
        from dlref.schedules import one_cycle_lr

        rates = [one_cycle_lr(t, 1.0, total_steps=11) for t in range(11)]
        print(round(rates[0], 6), round(max(rates), 6), f"{rates[-1]:.1e}")  # 0.04 1.0 4.0e-06
        ```
    """
    _check_step(step)
    if step > total_steps - 1:
        raise ValueError(f"OneCycleLR has steps 0 .. {total_steps - 1}, got {step}")
    peak = float(pct_start * total_steps) - 1
    if not 0 < peak < total_steps - 1:
        raise ValueError(f"pct_start={pct_start} leaves an empty phase for {total_steps} steps")
    start = max_lr / div_factor
    final = start / final_div_factor

    def cosine(a: float, b: float, x: float) -> float:
        return b + (a - b) * (1.0 + math.cos(math.pi * x)) / 2.0

    if step <= peak:
        return cosine(start, max_lr, step / peak)
    return cosine(max_lr, final, (step - peak) / (total_steps - 1 - peak))


def plateau_lrs(
    metrics: Sequence[float],
    base_lr: float,
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    cooldown: int = 0,
    min_lr: float = 0.0,
) -> list[float]:
    r"""Replay ``ReduceLROnPlateau`` (mode ``"min"``, relative threshold) on a list of metrics.

    A metric $m$ counts as an improvement when $m < m^\ast (1 - \theta)$, with
    $m^\ast$ the best metric so far and $\theta$ = ``threshold``. After each
    metric, if more than ``patience`` metrics in a row failed to improve, the
    rate becomes $\max(\eta \cdot \text{factor}, \eta_{\min})$, the count
    restarts, and the next ``cooldown`` metrics are not counted. A change
    smaller than $10^{-8}$ is skipped, as in PyTorch. The defaults are
    PyTorch's.

    Returns the rate after each metric (one entry per metric).

    Examples:
        ```python
        from dlref.schedules import plateau_lrs

        # improves twice, then stalls: the third stalled metric exceeds patience=2
        print(plateau_lrs([3.0, 2.0, 2.0, 2.0, 2.0, 2.0], base_lr=1.0, factor=0.5, patience=2))
        # [1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
        ```
    """
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"factor must be in [0, 1), got {factor}")
    lr, best = base_lr, math.inf
    bad, cooling = 0, 0
    rates = []
    for metric in metrics:
        if metric < best * (1.0 - threshold):
            best, bad = metric, 0
        else:
            bad += 1
        if cooling > 0:
            cooling -= 1
            bad = 0
        if bad > patience:
            new_lr = max(lr * factor, min_lr)
            if lr - new_lr > 1e-8:
                lr = new_lr
            cooling, bad = cooldown, 0
        rates.append(lr)
    return rates


def record_lrs(
    optimizer: torch.optim.Optimizer,
    scheduler: LRScheduler,
    steps: int,
) -> list[float]:
    r"""The learning rates $\eta_0, \dots, \eta_T$ of the optimizer's first group, $T$ = ``steps``.

    Entry $t$ is the rate after $t$ calls of ``scheduler.step()``, each preceded
    by ``optimizer.step()`` (the order PyTorch requires). Parameters without a
    gradient are left alone by ``optimizer.step()``, so an optimizer over
    parameters that never had a gradient only replays the schedule.

    Examples:
        ```python
        import torch
        from dlref.schedules import record_lrs, step_lr

        weight = torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([weight], lr=0.1)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        rates = record_lrs(optimizer, scheduler, steps=4)
        assert rates == [step_lr(t, 0.1, 2, 0.5) for t in range(5)]
        ```
    """
    rates = [float(optimizer.param_groups[0]["lr"])]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        rates.append(float(optimizer.param_groups[0]["lr"]))
    return rates
