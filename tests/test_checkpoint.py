"""dlref.checkpoint: random state round trips, and a resumed run equal to one straight run."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlref.checkpoint import Restored, load_checkpoint, rng_state, save_checkpoint, set_rng_state


def _draws(generator: torch.Generator) -> tuple[float, float, float, float]:
    return (
        random.random(),
        float(np.random.rand()),
        float(torch.rand(())),
        float(torch.rand((), generator=generator)),
    )


def test_rng_state_round_trip_covers_python_numpy_torch_and_named_generators() -> None:
    generator = torch.Generator().manual_seed(5)
    state = rng_state({"loader": generator})
    first = _draws(generator)
    set_rng_state(state, {"loader": generator})
    assert _draws(generator) == first
    # without restoring, the next draws differ
    assert _draws(generator) != first


def test_rng_state_survives_a_weights_only_file(tmp_path: Path) -> None:
    random.random()  # make sure Python's gauss_next and NumPy's cached values are plain types
    np.random.standard_normal()
    state = rng_state()
    torch.save(state, tmp_path / "rng.pt")
    loaded = torch.load(tmp_path / "rng.pt", weights_only=True)
    first = (random.gauss(0, 1), float(np.random.standard_normal()), float(torch.randn(())))
    set_rng_state(loaded)
    again = (random.gauss(0, 1), float(np.random.standard_normal()), float(torch.randn(())))
    assert again == first


def test_unknown_generator_name_raises() -> None:
    state = rng_state()
    with pytest.raises(KeyError, match="loader"):
        set_rng_state(state, {"loader": torch.Generator()})


class _Run:
    """A small model with dropout, Adam and a shuffling loader with its own generator."""

    def __init__(self, init_seed: int) -> None:
        torch.manual_seed(init_seed)
        self.model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 1))
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-2)
        data = torch.Generator().manual_seed(123)
        x = torch.randn(40, 4, generator=data)
        y = x.sum(dim=1, keepdim=True)
        self.order = torch.Generator().manual_seed(0)
        self.loader = DataLoader(
            TensorDataset(x, y), batch_size=8, shuffle=True, generator=self.order
        )

    def train(self, epochs: int) -> None:
        for _ in range(epochs):
            for xb, yb in self.loader:
                self.optimizer.zero_grad()
                nn.functional.mse_loss(self.model(xb), yb).backward()
                self.optimizer.step()


def test_resume_is_bitwise_equal_to_a_straight_run(tmp_path: Path) -> None:
    torch.manual_seed(99)
    straight = _Run(init_seed=1)
    straight.train(4)

    torch.manual_seed(99)
    first = _Run(init_seed=1)
    first.train(2)
    path = tmp_path / "run.pt"
    save_checkpoint(path, first.model, first.optimizer, generators={"order": first.order}, step=10)
    torch.manual_seed(12345)  # the resumed process starts from some other state
    resumed = _Run(init_seed=2)
    restored = load_checkpoint(
        path, resumed.model, resumed.optimizer, generators={"order": resumed.order}
    )
    resumed.train(2)
    assert restored == Restored(step=10, extra={})
    for a, b in zip(straight.model.parameters(), resumed.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not path.with_name("run.pt.partial").exists()


def test_resume_without_the_optimizer_state_differs(tmp_path: Path) -> None:
    torch.manual_seed(99)
    straight = _Run(init_seed=1)
    straight.train(4)
    torch.manual_seed(99)
    first = _Run(init_seed=1)
    first.train(2)
    save_checkpoint(
        tmp_path / "run.pt", first.model, first.optimizer, generators={"order": first.order}
    )
    resumed = _Run(init_seed=2)
    load_checkpoint(tmp_path / "run.pt", resumed.model, generators={"order": resumed.order})
    resumed.train(2)
    assert not torch.equal(straight.model[0].weight, resumed.model[0].weight)


def test_restore_rng_false_leaves_the_generators_alone(tmp_path: Path) -> None:
    model = nn.Linear(2, 1)
    save_checkpoint(tmp_path / "m.pt", model)
    fresh = nn.Linear(2, 1)
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    load_checkpoint(tmp_path / "m.pt", fresh, restore_rng=False)
    assert torch.equal(torch.rand(2), expected)


def test_missing_optimizer_state_is_an_error(tmp_path: Path) -> None:
    model = nn.Linear(2, 1)
    save_checkpoint(tmp_path / "m.pt", model, extra={"epoch": 3})
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="no optimizer state"):
        load_checkpoint(tmp_path / "m.pt", model, optimizer)
    assert load_checkpoint(tmp_path / "m.pt", model).extra == {"epoch": 3}


def test_scheduler_state_is_saved_and_restored(tmp_path: Path) -> None:
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    save_checkpoint(tmp_path / "s.pt", model, optimizer, scheduler=scheduler)
    fresh_optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    fresh = torch.optim.lr_scheduler.StepLR(fresh_optimizer, step_size=2, gamma=0.5)
    load_checkpoint(tmp_path / "s.pt", model, fresh_optimizer, scheduler=fresh)
    assert fresh.last_epoch == 3
    assert fresh_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"] == 0.5
