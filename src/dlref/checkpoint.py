"""Save a training run and resume it exactly: model, optimizer and random state together.

A run is more than its weights. The next step of training also depends on
the optimizer's state (Adam's running averages $m_t$, $v_t$ and its step count
$t$; SGD's momentum buffer), on the random number generators that draw dropout
masks and shuffle the data, and on a learning-rate scheduler's position. Resuming
from the weights alone gives a different run. [save_checkpoint][dlref.checkpoint.save_checkpoint]
writes all of it into one file and [load_checkpoint][dlref.checkpoint.load_checkpoint]
puts it back into freshly built objects, so that $N$ steps, a save, a load and
$N$ more steps give the same weights, to the last bit, as $2N$ steps in one go
(on the same machine, with the same deterministic kernels).

Everything is stored as tensors, numbers, strings, lists and dicts, which
`torch.load(path, weights_only=True)` accepts: loading a checkpoint never
unpickles arbitrary objects.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["Restored", "load_checkpoint", "rng_state", "save_checkpoint", "set_rng_state"]


def rng_state(generators: Mapping[str, torch.Generator] | None = None) -> dict[str, Any]:
    """The state of every random number generator a training step may draw from.

    Python's `random`, NumPy's global generator (`numpy.random.seed`), torch's
    CPU generator, each CUDA device's generator (when CUDA is available) and the
    given named `torch.Generator`s (for example a `DataLoader`'s), in a form that
    `torch.save` writes and `torch.load(..., weights_only=True)` reads back.

    Examples:
        ```python
        import torch
        from dlref.checkpoint import rng_state, set_rng_state

        state = rng_state()
        first = torch.rand(3)
        set_rng_state(state)
        assert torch.equal(torch.rand(3), first)  # the same numbers again
        print(sorted(state))
        ```
    """
    kind, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss_next],
        "numpy": [
            str(kind),
            torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            int(position),
            int(has_gauss),
            float(cached_gaussian),
        ],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "generators": {name: g.get_state() for name, g in (generators or {}).items()},
    }
    return state


def set_rng_state(
    state: Mapping[str, Any], generators: Mapping[str, torch.Generator] | None = None
) -> None:
    """Put back a state from [rng_state][dlref.checkpoint.rng_state].

    The CUDA generators are restored when the state holds one per visible CUDA
    device; a state saved on a GPU machine and loaded on a CPU-only one restores
    everything else. Every name in `generators` must be in the saved state.

    Raises:
        KeyError: a generator in `generators` was not saved.

    Examples:
        ```python
        import random

        import numpy as np
        from dlref.checkpoint import rng_state, set_rng_state

        state = rng_state()
        drawn = (random.random(), np.random.rand())
        set_rng_state(state)
        assert (random.random(), np.random.rand()) == drawn
        print("python and numpy draws repeated")
        ```
    """
    version, internal, gauss_next = state["python"]
    random.setstate((int(version), tuple(int(v) for v in internal), gauss_next))
    kind, keys, position, has_gauss, cached_gaussian = state["numpy"]
    np.random.set_state(
        (kind, keys.cpu().numpy().astype(np.uint32), position, has_gauss, cached_gaussian)
    )
    torch.set_rng_state(state["torch"].cpu())
    cuda = state["cuda"]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])
    saved = state["generators"]
    for name, generator in (generators or {}).items():
        if name not in saved:
            raise KeyError(f"no state saved for generator {name!r}; saved: {sorted(saved)}")
        generator.set_state(saved[name].cpu())


@dataclass(frozen=True)
class Restored:
    """What [load_checkpoint][dlref.checkpoint.load_checkpoint] read besides the objects it filled.

    Examples:
        ```python
        from dlref.checkpoint import Restored

        print(Restored(step=10, extra={"best_loss": 0.5}))
        ```
    """

    step: int
    """The step count given to `save_checkpoint`."""
    extra: dict[str, Any] = field(default_factory=dict)
    """The `extra` mapping given to `save_checkpoint`."""


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    generators: Mapping[str, torch.Generator] | None = None,
    step: int = 0,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Write model, optimizer, scheduler and random state to `path`, in one file.

    The file holds `model.state_dict()` (parameters and buffers),
    `optimizer.state_dict()` (per-parameter state such as momentum or Adam's
    moments, and the hyperparameters of each parameter group), the scheduler's
    `state_dict()`, the [rng_state][dlref.checkpoint.rng_state] including the
    named `generators`, the `step` count and `extra` (numbers, strings, tensors,
    lists and dicts only, so that the file loads with `weights_only=True`).

    It is written to a temporary file beside `path` and then renamed over it,
    so a run killed during the save leaves the previous checkpoint intact.

    Examples:
        ```python
        import os
        import tempfile

        import torch
        from dlref.checkpoint import save_checkpoint

        model = torch.nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "run.pt")
            save_checkpoint(path, model, optimizer, step=0)
            saved = torch.load(path, weights_only=True)
        print(sorted(saved))
        assert torch.equal(saved["model"]["weight"], model.weight)
        ```
    """
    target = Path(path)
    checkpoint: dict[str, Any] = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng": rng_state(generators),
        "step": int(step),
        "extra": dict(extra or {}),
    }
    partial = target.with_name(target.name + ".partial")
    torch.save(checkpoint, partial)
    os.replace(partial, target)


def load_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    generators: Mapping[str, torch.Generator] | None = None,
    map_location: str | torch.device | None = None,
    restore_rng: bool = True,
) -> Restored:
    """Fill freshly built objects from a file that `save_checkpoint` wrote.

    The model is loaded with `strict=True` (every key must match); the
    optimizer's state is moved to its parameters' devices by
    `Optimizer.load_state_dict`. The file is read with `weights_only=True`.
    With `restore_rng=False` the random generators are left as they are
    (everything else is restored).

    Raises:
        ValueError: the file has no optimizer (or scheduler) state but one was given.

    Examples:
        ```python
        import os
        import tempfile

        import torch
        from dlref.checkpoint import load_checkpoint, save_checkpoint

        trained = torch.nn.Linear(2, 1)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "run.pt")
            save_checkpoint(path, trained, step=7, extra={"note": "demo"})
            fresh = torch.nn.Linear(2, 1)
            restored = load_checkpoint(path, fresh)
        print(restored)
        assert torch.equal(fresh.weight, trained.weight) and restored.step == 7
        ```
    """
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    for name, target, saved in (
        ("optimizer", optimizer, checkpoint["optimizer"]),
        ("scheduler", scheduler, checkpoint["scheduler"]),
    ):
        if target is None:
            continue
        if saved is None:
            raise ValueError(f"{os.fspath(path)} holds no {name} state")
        target.load_state_dict(saved)
    if restore_rng:
        set_rng_state(checkpoint["rng"], generators)
    return Restored(step=int(checkpoint["step"]), extra=dict(checkpoint["extra"]))
