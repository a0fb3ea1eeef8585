"""A small, explicit training loop shared by the pages that train models.

It is the loop every page teaches (forward, loss, ``zero_grad``, ``backward``,
``step``), written once so that pages can train several models without
repeating it. Progress lines are plain ``print`` calls, which read the same in
a notebook, a terminal and the built site.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn


@dataclass
class History:
    """Per-epoch measurements of ``fit``; validation lists stay empty without validation.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.train import History, fit

        model = nn.Linear(2, 2)
        x, y = torch.randn(16, 2), torch.randint(0, 2, (16,))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        loss_fn = nn.functional.cross_entropy
        history = fit(model, x, y, loss_fn=loss_fn, optimizer=optimizer, epochs=3)
        print(history)
        assert isinstance(history, History) and len(history.loss) == 3
        assert history.val_loss == [] and History().loss == []
        ```
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)


def accuracy(logits: Tensor, targets: Tensor) -> float:
    """Fraction of rows whose largest logit is at the target class index.

    Examples:
        ```python
        import torch
        from dlref.train import accuracy

        logits = torch.tensor([[2.0, 0.1], [0.3, 0.9], [1.0, 0.0], [0.2, 0.1]])
        targets = torch.tensor([0, 1, 1, 0])
        print(accuracy(logits, targets))
        assert accuracy(logits, targets) == 0.75
        ```
    """
    return float((logits.argmax(dim=1) == targets).float().mean())


@torch.no_grad()
def evaluate(
    model: nn.Module, x: Tensor, y: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor]
) -> tuple[float, float]:
    """(loss, accuracy) of ``model`` on ``(x, y)`` in eval mode; restores the previous mode.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.train import evaluate

        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 2))
        x, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
        loss, acc = evaluate(model, x, y, nn.functional.cross_entropy)
        print(loss, acc)
        assert model.training  # the mode it had before
        model.eval()  # no dropout: the same loss
        with torch.no_grad():
            assert abs(loss - nn.functional.cross_entropy(model(x), y).item()) < 1e-6
        ```
    """
    was_training = model.training
    model.eval()
    logits = model(x)
    result = float(loss_fn(logits, y)), accuracy(logits, y)
    model.train(was_training)
    return result


def fit(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    batch_size: int | None = None,
    validation: tuple[Tensor, Tensor] | None = None,
    classify: bool = True,
    seed: int = 0,
    log_every: int = 0,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``(x, y)`` and return its ``History``.

    Args:
        batch_size: ``None`` for full-batch gradient descent; otherwise mini-batches
            drawn from a permutation seeded by ``seed`` (so runs repeat exactly).
        validation: optional ``(x_val, y_val)`` measured after every epoch.
        classify: record accuracies (targets are class indices); ``False`` for regression.
        log_every: print a progress line every this many epochs (0: never).

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.models import mlp
        from dlref.train import fit

        torch.manual_seed(0)
        x = torch.randn(64, 2)
        y = (x[:, 0] + x[:, 1] > 0).long()
        model = mlp((2, 8, 2), seed=0)
        sgd = torch.optim.SGD(model.parameters(), lr=0.5)
        loss_fn = nn.functional.cross_entropy
        history = fit(
            model, x, y, loss_fn=loss_fn, optimizer=sgd, epochs=20, batch_size=16, log_every=10
        )
        assert history.loss[-1] < history.loss[0] / 2 and history.accuracy[-1] > 0.9
        ```
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    generator = torch.Generator().manual_seed(seed)
    history = History()
    n = x.shape[0]
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(n, generator=generator) if batch_size else None
        step = batch_size or n
        total = 0.0
        for start in range(0, n, step):
            index = order[start : start + step].to(x.device) if order is not None else slice(None)
            xb, yb = x[index], y[index]
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * xb.shape[0]
        history.loss.append(total / n)
        if classify:
            history.accuracy.append(evaluate(model, x, y, loss_fn)[1])
        if validation is not None:
            val_loss, val_acc = evaluate(model, *validation, loss_fn)
            history.val_loss.append(val_loss)
            if classify:
                history.val_accuracy.append(val_acc)
        if log_every and (epoch % log_every == 0 or epoch == epochs):
            line = f"epoch {epoch:>4}/{epochs}  loss {history.loss[-1]:.4f}"
            if classify:
                line += f"  acc {history.accuracy[-1]:.3f}"
            if history.val_loss:
                line += f"  val_loss {history.val_loss[-1]:.4f}"
            if history.val_accuracy:
                line += f"  val_acc {history.val_accuracy[-1]:.3f}"
            print(line)
    return history
