"""Timing code on a CPU or a GPU, with the synchronisation a GPU needs.

CUDA calls are asynchronous: a call such as ``a @ b`` on a GPU puts a kernel
in the device's queue and returns to Python at once. A timer read right after
it measures how long the launch took, not the product. ``time_call`` waits for
the queue to empty (``torch.cuda.synchronize``) before it starts the clock and
after each call, so the time covers the work itself; on the CPU, where calls
return only when they are done, the waiting does nothing.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch

__all__ = ["synchronize", "time_call"]


def synchronize(device: torch.device | str) -> None:
    """Wait until all queued work on ``device`` has finished; nothing to wait for off CUDA.

    Examples:
        ```python
        import torch
        from dlref.timing import synchronize

        x = torch.ones(3)
        assert synchronize(x.device) is None  # the CPU has no queue: returns at once
        if torch.cuda.is_available():
            y = torch.ones(3, device="cuda") * 2  # queued, maybe not yet computed
            synchronize(y.device)  # now it is
            assert torch.equal(y.cpu(), torch.full((3,), 2.0))
        ```
    """
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_call(
    fn: Callable[[], object],
    device: torch.device | str,
    *,
    repeats: int = 5,
    warmup: int = 1,
    sync: bool = True,
) -> float:
    """The median wall-clock time of ``fn()`` in seconds, over ``repeats`` timed calls.

    ``warmup`` untimed calls come first (the first CUDA call also pays for
    initialisation). With ``sync=True`` the device is synchronised before the
    clock starts and after each call, so each time covers the computation;
    ``sync=False`` shows what a naive timer measures on a GPU (the launch
    only). The median resists a single slow call, for example one that was
    interrupted by another process.

    Examples:
        ```python
        import torch
        from dlref.timing import time_call

        a = torch.randn(256, 256)
        seconds = time_call(lambda: a @ a, a.device, repeats=3)
        assert 0 < seconds < 1
        print(f"{2 * 256**3 / seconds / 1e9:.1f} GFLOP/s")
        ```
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"need repeats >= 1 and warmup >= 0, got {repeats} and {warmup}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if sync:
            synchronize(device)
        start = time.perf_counter()
        fn()
        if sync:
            synchronize(device)
        times.append(time.perf_counter() - start)
    if not sync:
        synchronize(device)  # leave nothing queued behind
    return statistics.median(times)
