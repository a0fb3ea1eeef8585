"""dlref.train: the shared loop trains, repeats exactly, and reports honestly."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlref import train


def _problem() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 2, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()
    return x, y


def _run(batch_size: int | None) -> tuple[train.History, nn.Module]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    x, y = _problem()
    history = train.fit(
        model,
        x,
        y,
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=torch.optim.Adam(model.parameters(), 1e-2),
        epochs=30,
        batch_size=batch_size,
        validation=(x[:50], y[:50]),
    )
    return history, model


@pytest.mark.parametrize("batch_size", [None, 32])
def test_fit_learns_a_separable_problem(batch_size: int | None) -> None:
    history, _ = _run(batch_size)
    assert history.loss[-1] < history.loss[0] / 2
    assert history.accuracy[-1] > 0.95
    assert len(history.val_accuracy) == 30


def test_fit_repeats_exactly() -> None:
    assert _run(32)[0].loss == _run(32)[0].loss


def test_accuracy_and_evaluate_restore_mode() -> None:
    assert train.accuracy(torch.tensor([[2.0, 1.0], [0.0, 3.0]]), torch.tensor([0, 0])) == 0.5
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.train()
    train.evaluate(model, *_problem(), nn.CrossEntropyLoss())
    assert model.training


def test_fit_logs_and_validates_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    model = nn.Linear(1, 1)
    x = torch.linspace(0, 1, 10).unsqueeze(1)
    train.fit(
        model,
        x,
        2 * x,
        loss_fn=nn.MSELoss(),
        optimizer=torch.optim.SGD(model.parameters(), 0.1),
        epochs=4,
        classify=False,
        log_every=2,
    )
    assert capsys.readouterr().out.splitlines()[-1].startswith("epoch    4/4  loss")
    with pytest.raises(ValueError, match="epochs"):
        train.fit(
            model,
            x,
            x,
            loss_fn=nn.MSELoss(),
            optimizer=torch.optim.SGD(model.parameters()),
            epochs=0,
        )
