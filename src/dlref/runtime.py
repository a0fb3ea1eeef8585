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


def seed(value: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA) and return a fresh CPU generator.

    Pages call this once at the top; library functions that draw random
    numbers take their own ``seed`` argument instead of relying on global state.

    Examples:
        ```python
        import torch
        from dlref import seed

        g = seed(0)
        first = torch.randn(3, generator=g), torch.rand(2)
        g = seed(0)
        again = torch.randn(3, generator=g), torch.rand(2)
        assert torch.equal(first[0], again[0])  # the returned generator restarts
        assert torch.equal(first[1], again[1])  # and so does torch's global one
        ```
    """
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)
    return torch.Generator().manual_seed(value)
