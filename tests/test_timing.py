"""dlref.timing: median of timed calls, warm-up calls untimed, synchronisation on CUDA."""

from __future__ import annotations

import time

import pytest
import torch

from dlref.timing import synchronize, time_call


def test_time_call_measures_the_call() -> None:
    seconds = time_call(lambda: time.sleep(0.02), "cpu", repeats=3, warmup=0)
    assert 0.02 <= seconds < 0.2


def test_warmup_calls_are_made_but_not_timed() -> None:
    calls = []

    def fn() -> None:
        calls.append(len(calls))
        if len(calls) == 1:  # only the first (warm-up) call is slow
            time.sleep(0.2)

    seconds = time_call(fn, "cpu", repeats=3, warmup=1)
    assert len(calls) == 4
    assert seconds < 0.1


def test_median_ignores_one_slow_call() -> None:
    durations = iter([0.0, 0.15, 0.0])
    seconds = time_call(lambda: time.sleep(next(durations)), "cpu", repeats=3, warmup=0)
    assert seconds < 0.1


@pytest.mark.parametrize(("repeats", "warmup"), [(0, 1), (1, -1)])
def test_invalid_counts_raise(repeats: int, warmup: int) -> None:
    with pytest.raises(ValueError):
        time_call(lambda: None, "cpu", repeats=repeats, warmup=warmup)


def test_synchronize_off_cuda_returns() -> None:
    synchronize("cpu")
    synchronize(torch.device("meta"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_synchronised_time_covers_the_kernel_on_cuda() -> None:
    a = torch.randn(4096, 4096, device="cuda")
    launched = time_call(lambda: a @ a, "cuda", repeats=5, sync=False)
    finished = time_call(lambda: a @ a, "cuda", repeats=5, sync=True)
    assert finished > launched
