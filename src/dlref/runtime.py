"""Where tensors live, and how random processes are seeded."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

DEVICE_ENV = "DLREF_DEVICE"


def device() -> torch.device:
    """Return the device the pages compute on.

    CUDA when it is available, else the CPU. The environment variable
    ``DLREF_DEVICE`` (for example ``cpu``, ``cuda`` or ``cuda:1``) overrides the
    choice; asking for CUDA on a machine without it raises ``RuntimeError``
    rather than silently falling back.

    Examples:
        ```python
        import torch
        from dlref import device

        d = device()
        print(d)
        assert d.type in ("cpu", "cuda")
        assert torch.zeros(2, device=d).device.type == d.type
        ```
    """
    requested = os.environ.get(DEVICE_ENV, "").strip()
    if not requested:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(requested)
    except RuntimeError as err:
        raise ValueError(f"{DEVICE_ENV}={requested!r} is not a device torch knows") from err
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"{DEVICE_ENV}={requested!r} but CUDA is not available here")
    return chosen


def seed(value: int = 0) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA).

    Pages call this once at the top; library functions that draw random
    numbers take their own ``seed`` argument instead of relying on global state.
    It returns nothing, so a notebook cell that ends with it shows nothing (it
    used to return a generator, whose printed form carried a memory address
    that changed from run to run). A page that wants a generator of its own
    writes ``torch.Generator().manual_seed(0)``.

    Examples:
        ```python
        import random

        import numpy as np
        import torch
        from dlref import seed

        seed(0)
        first = torch.randn(3), np.random.rand(2), random.random()
        seed(0)
        again = torch.randn(3), np.random.rand(2), random.random()
        assert torch.equal(first[0], again[0])  # torch's global generator restarts
        assert (first[1] == again[1]).all() and first[2] == again[2]  # NumPy's, Python's
        ```
    """
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)
