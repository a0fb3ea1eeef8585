r"""Regularisation written from its formulas: L2 penalty, dropout, early stopping, shifts.

**L2 penalty.** Adding $\tfrac{\lambda}{2}\lVert\theta\rVert^2$ to a loss adds
$\lambda\theta$ to its gradient, which is what `weight_decay=λ` adds inside
`torch.optim.SGD` and `torch.optim.Adam`; `torch.optim.AdamW` instead shrinks the
weights directly, $\theta \leftarrow (1 - \gamma\lambda)\,\theta$ (Loshchilov &
Hutter 2019). [l2_penalty][dlref.regularization.l2_penalty] is the penalty.

**Dropout** (Srivastava et al. 2014), in PyTorch's "inverted" form: in training
each entry is kept with probability $1 - p$ and the survivors are scaled,

$$
y = \frac{m \odot x}{1 - p}, \qquad m_i \sim \operatorname{Bernoulli}(1 - p)
\text{ independently}, \qquad \mathbb E[y_i] = x_i ;
$$

in evaluation mode $y = x$. [dropout_mask][dlref.regularization.dropout_mask]
draws $m$ the way PyTorch's CPU kernel draws it, so with the same seed
[dropout][dlref.regularization.dropout] reproduces `torch.nn.functional.dropout`
on the CPU (CUDA uses another kernel and other random numbers).

**Early stopping.** [EarlyStopping][dlref.regularization.EarlyStopping] keeps a
copy of the weights of the epoch with the best validation score.

**Shifts.** [shift_images][dlref.regularization.shift_images] moves images by whole
pixels, filling the uncovered border; [random_shifts][dlref.regularization.random_shifts]
draws one shift per image, a simple data augmentation for small digit images.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

__all__ = [
    "EarlyStopping",
    "dropout",
    "dropout_mask",
    "l2_penalty",
    "random_shifts",
    "shift_images",
]


def l2_penalty(parameters: Iterable[Tensor]) -> Tensor:
    r"""Half the sum of squares of all the entries: $\tfrac12 \sum_j \theta_j^2$.

    Its gradient is $\theta$ itself, so `loss + wd * l2_penalty(params)` has the
    gradient of `loss` plus `wd * θ`: the term `weight_decay=wd` adds in
    `torch.optim.SGD`. Every tensor counts, biases included, as in `torch.optim`.

    Examples:
        ```python
        import torch
        from dlref.regularization import l2_penalty

        w = torch.tensor([3.0, -4.0], requires_grad=True)
        penalty = l2_penalty([w])
        penalty.backward()
        print(penalty.item(), w.grad)
        assert penalty.item() == 12.5 and torch.equal(w.grad, w.detach())
        ```
    """
    total: Tensor | None = None
    for p in parameters:
        term = p.pow(2).sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError("l2_penalty needs at least one tensor")
    return 0.5 * total


def dropout_mask(x: Tensor, p: float, *, generator: torch.Generator | None = None) -> Tensor:
    r"""The keep-mask of dropout: 1 with probability $1 - p$, 0 with probability $p$.

    Drawn as `torch.empty_like(x).bernoulli_(1 - p, generator=generator)`, the
    call PyTorch's CPU dropout makes with the global generator: a generator
    seeded like the global one (`torch.manual_seed(s)`) gives the same mask as
    `F.dropout` on a CPU tensor of the same shape and dtype.

    Examples:
        ```python
        import torch
        from dlref.regularization import dropout_mask

        mask = dropout_mask(torch.ones(100_000), 0.3, generator=torch.Generator().manual_seed(0))
        print(f"kept fraction {mask.mean():.4f}")
        assert set(mask.unique().tolist()) == {0.0, 1.0}
        assert abs(mask.mean().item() - 0.7) < 0.01
        ```
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    return torch.empty_like(x).bernoulli_(1.0 - p, generator=generator)


def dropout(
    x: Tensor, p: float, *, training: bool = True, generator: torch.Generator | None = None
) -> Tensor:
    r"""Inverted dropout: $y = m \odot x / (1 - p)$ in training, $y = x$ otherwise.

    $m$ comes from [dropout_mask][dlref.regularization.dropout_mask]. Each
    output entry is $0$ with probability $p$ and $x_i/(1-p)$ otherwise, so
    $\mathbb E[y_i] = (1-p)\cdot x_i/(1-p) = x_i$. The scale is applied as
    `x * (mask / (1 - p))`, PyTorch's order of operations, and `p = 1` gives zeros.

    Examples:
        ```python
        import torch
        import torch.nn.functional as F
        from dlref.regularization import dropout

        x = torch.randn(1000, dtype=torch.float64)
        ours = dropout(x, 0.25, generator=torch.Generator().manual_seed(3))
        torch.manual_seed(3)
        print(ours[:4])
        assert torch.equal(ours, F.dropout(x, 0.25))  # PyTorch's CPU dropout, same seed
        assert dropout(x, 0.25, training=False) is x
        ```
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return torch.zeros_like(x)
    return x * dropout_mask(x, p, generator=generator).div_(1.0 - p)


class EarlyStopping:
    r"""Remember the weights of the best epoch; say when to stop; put them back.

    Call [update][dlref.regularization.EarlyStopping.update] once per epoch with
    the validation score (higher is better, e.g. accuracy; `mode="min"` for a
    loss). When the score beats the best so far by more than `min_delta`, a
    copy of `model.state_dict()` is kept (cloned: `state_dict()` alone returns
    references to the live parameters, which later steps would overwrite).
    With `patience=k`, [should_stop][dlref.regularization.EarlyStopping.should_stop]
    becomes true after `k` epochs in a row without improvement.

    Args:
        patience: epochs without improvement before `should_stop`; `None`: never.
        mode: `"max"` (accuracy) or `"min"` (loss).
        min_delta: how much better a score must be to count as an improvement.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.regularization import EarlyStopping

        model = nn.Linear(1, 1)
        stopper = EarlyStopping(patience=2)
        for epoch, score in enumerate([0.5, 0.8, 0.7, 0.6]):
            with torch.no_grad():
                model.weight.fill_(epoch)  # stands in for a training epoch
            stopper.update(model, score)
        print(stopper.best_epoch, stopper.best_score, stopper.should_stop)
        assert (stopper.best_epoch, stopper.should_stop) == (1, True)
        stopper.restore(model)
        assert model.weight.item() == 1.0  # the weights of epoch 1, not the last ones
        ```
    """

    def __init__(
        self, patience: int | None = None, mode: str = "max", min_delta: float = 0.0
    ) -> None:
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
        if patience is not None and patience < 1:
            raise ValueError(f"patience must be at least 1 or None, got {patience}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta}")
        self.patience = patience
        self.mode = mode
        self.min_delta = min_delta
        self.best_score: float | None = None
        """The best score seen so far (`None` before the first update)."""
        self.best_epoch: int = -1
        """The 0-based index of the update that gave `best_score`."""
        self.epochs_seen: int = 0
        """How many times `update` was called."""
        self.bad_epochs: int = 0
        """Updates in a row without improvement."""
        self.best_state: dict[str, Tensor] = {}
        """A cloned `state_dict()` of the best epoch."""

    def _improves(self, score: float) -> bool:
        if self.best_score is None:
            return True
        if self.mode == "max":
            return score > self.best_score + self.min_delta
        return score < self.best_score - self.min_delta

    def update(self, model: nn.Module, score: float) -> bool:
        """Record this epoch's `score`; keep a copy of the weights if it is the best so far.

        Returns `True` when the score improved (the weights were copied).

        Examples:
            ```python
            from torch import nn
            from dlref.regularization import EarlyStopping

            stopper = EarlyStopping(mode="min")
            print([stopper.update(nn.Linear(1, 1), loss) for loss in (1.0, 0.4, 0.6)])
            assert stopper.best_score == 0.4 and stopper.bad_epochs == 1
            ```
        """
        improved = self._improves(score)
        if improved:
            self.best_score = float(score)
            self.best_epoch = self.epochs_seen
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        self.epochs_seen += 1
        return improved

    @property
    def should_stop(self) -> bool:
        """`True` once `patience` updates in a row brought no improvement.

        Examples:
            ```python
            from torch import nn
            from dlref.regularization import EarlyStopping

            model, stopper = nn.Linear(1, 1), EarlyStopping(patience=3)
            flags = []
            for score in (0.9, 0.8, 0.8, 0.7, 0.95):
                stopper.update(model, score)
                flags.append(stopper.should_stop)
            print(flags)
            assert flags == [False, False, False, True, False]
            ```
        """
        return self.patience is not None and self.bad_epochs >= self.patience

    def restore(self, model: nn.Module) -> None:
        """Load the best epoch's weights into `model`.

        Examples:
            ```python
            import torch
            from torch import nn
            from dlref.regularization import EarlyStopping

            model, stopper = nn.Linear(2, 1), EarlyStopping()
            stopper.update(model, 1.0)
            best = model.weight.detach().clone()
            with torch.no_grad():
                model.weight.add_(5.0)
            stopper.update(model, 0.0)  # worse: not kept
            stopper.restore(model)
            print(model.weight)
            assert torch.equal(model.weight, best)
            ```
        """
        if not self.best_state:
            raise RuntimeError("restore() before any update(): no weights were kept")
        model.load_state_dict(self.best_state)


def shift_images(
    images: Tensor, dy: int | Tensor, dx: int | Tensor, *, fill: float = 0.0
) -> Tensor:
    r"""Move images by whole pixels: $y[r, c] = x[r - d_y,\ c - d_x]$, `fill` outside.

    Positive `dy` moves the content down, positive `dx` to the right; the rows
    and columns that the shift uncovers get `fill` (0 is the background of
    digits in $[0, 1]$), and what leaves the image is lost: unlike `torch.roll`,
    nothing wraps around.

    Args:
        images: `(N, H, W)` or `(N, C, H, W)`.
        dy: vertical shift, one for all images (`int`) or one per image (an int tensor, `(N,)`).
        dx: horizontal shift, in the same form as `dy`.
        fill: value of the uncovered pixels.

    Examples:
        ```python
        import torch
        from dlref.regularization import shift_images

        x = torch.arange(1.0, 10.0).reshape(1, 3, 3)
        down_right = shift_images(x, 1, 1)
        print(down_right[0])
        assert torch.equal(down_right[0], torch.tensor([[0.0, 0, 0], [0, 1, 2], [0, 4, 5]]))
        # torch.roll wraps around; zeroing the wrapped row and column gives the same result
        rolled = torch.roll(x, (1, 1), dims=(1, 2))
        rolled[:, 0, :] = 0
        rolled[:, :, 0] = 0
        assert torch.equal(rolled, down_right)
        ```
    """
    if images.dim() not in (3, 4):
        raise ValueError(f"images must be (N, H, W) or (N, C, H, W), got {tuple(images.shape)}")
    n, height, width = images.shape[0], images.shape[-2], images.shape[-1]
    shifts_y = torch.as_tensor(dy, dtype=torch.int64, device=images.device).expand(n)
    shifts_x = torch.as_tensor(dx, dtype=torch.int64, device=images.device).expand(n)
    pad = int(torch.cat([shifts_y, shifts_x]).abs().max()) if n else 0
    padded = nn.functional.pad(images, (pad, pad, pad, pad), value=fill)
    rows = torch.arange(height, device=images.device) + pad - shifts_y[:, None]  # (N, H)
    cols = torch.arange(width, device=images.device) + pad - shifts_x[:, None]  # (N, W)
    batch = torch.arange(n, device=images.device)
    if images.dim() == 3:
        return padded[batch[:, None, None], rows[:, :, None], cols[:, None, :]]
    picked = padded.permute(0, 2, 3, 1)[batch[:, None, None], rows[:, :, None], cols[:, None, :]]
    return picked.permute(0, 3, 1, 2)


def random_shifts(
    images: Tensor,
    max_shift: int = 1,
    *,
    generator: torch.Generator | None = None,
    fill: float = 0.0,
) -> Tensor:
    r"""Shift each image by its own $(d_y, d_x)$ drawn uniformly from $\{-s, \dots, s\}^2$.

    With `max_shift` $s = 1$ there are nine equally likely shifts, one of them
    $(0, 0)$. The shifts are drawn on the CPU from `generator` (all $d_y$, then
    all $d_x$) and applied with [shift_images][dlref.regularization.shift_images].

    Examples:
        ```python
        import torch
        from dlref.regularization import random_shifts, shift_images

        images = torch.rand(500, 8, 8)
        shifted = random_shifts(images, 1, generator=torch.Generator().manual_seed(0))
        # each result is one of the nine one-pixel shifts of its own image
        candidates = torch.stack(
            [shift_images(images, dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
        )
        matches = (candidates == shifted).flatten(2).all(dim=2).any(dim=0)
        print(f"{int(matches.sum())} of {len(images)} are one-pixel shifts")
        assert matches.all()
        ```
    """
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")
    n = images.shape[0]
    dy = torch.randint(-max_shift, max_shift + 1, (n,), generator=generator)
    dx = torch.randint(-max_shift, max_shift + 1, (n,), generator=generator)
    return shift_images(images, dy.to(images.device), dx.to(images.device), fill=fill)
