"""Small seeded data sets for the pages.

Every function that draws random numbers takes ``seed: int = 0`` and draws from
its own ``torch.Generator`` (or ``numpy.random.default_rng``), never from the
global random state: the same seed gives the same data on every machine and
whatever else a page has drawn before. Tensors are float32 unless stated, on
the CPU; move them with ``.to(dlref.device())``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

__all__ = ["Digits", "digits", "noisy_line", "sine", "spiral", "train_val_split"]


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def spiral(
    n_per_class: int = 1000, n_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """Interleaved spiral arms, one per class (after A. Canziani's NYU deep-learning course).

    For class ``k`` in ``0 .. C-1`` (``C = n_classes``, ``N = n_per_class``)::

        t      = linspace(0, 1, N)
        radius = 0.8 t + 0.2
        angle  = (2 t + k) · 2π / C + noise · ε,    ε ~ N(0, 1)
        point  = (radius · sin(angle), radius · cos(angle))

    Each arm turns through ``4π / C`` and starts ``2π / C`` after the previous one.
    The noise is drawn class by class, ``N`` values each, in the order k = 0, 1, ...

    Returns ``(X, y)``: ``X`` float32 of shape ``(C·N, 2)`` with the rows of class
    0 first, then class 1, ...; ``y`` int64 of shape ``(C·N,)`` holding ``k``.

    Examples:
        ```python
        import torch
        from dlref.data import spiral

        x, y = spiral(n_per_class=50, n_classes=3, noise=0.0)
        print(x.shape, y.bincount().tolist())
        assert y.bincount().tolist() == [50, 50, 50]
        # without noise every arm's radius grows linearly from 0.2 to 1.0
        radius = x[y == 1].norm(dim=1)
        assert torch.allclose(radius, 0.8 * torch.linspace(0, 1, 50) + 0.2, atol=1e-6)
        assert torch.equal(spiral(10, seed=3)[0], spiral(10, seed=3)[0])
        ```
    """
    if n_per_class < 1 or n_classes < 1:
        raise ValueError("n_per_class and n_classes must be at least 1")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    gen = _generator(seed)
    t = torch.linspace(0.0, 1.0, n_per_class, dtype=torch.float64)
    radius = 0.8 * t + 0.2
    xs, ys = [], []
    for k in range(n_classes):
        eps = torch.randn(n_per_class, generator=gen, dtype=torch.float64)
        angle = (2.0 * t + k) * 2.0 * math.pi / n_classes + noise * eps
        xs.append(torch.stack((radius * torch.sin(angle), radius * torch.cos(angle)), dim=1))
        ys.append(torch.full((n_per_class,), k, dtype=torch.int64))
    return torch.cat(xs).to(torch.float32), torch.cat(ys)


def noisy_line(
    n: int = 100, intercept: float = 1.0, slope: float = 2.0, noise: float = 0.1, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """Points scattered around a straight line, for linear regression.

    ``x ~ U(0, 1)`` and ``y = intercept + slope · x + noise · ε`` with
    ``ε ~ N(0, 1)``; all ``x`` are drawn first, then all ``ε``.

    Returns ``(x, y)``, both float32 of shape ``(n, 1)``, ready for ``nn.Linear(1, 1)``.

    Examples:
        ```python
        import torch
        from dlref.data import noisy_line

        x, y = noisy_line(n=200, intercept=1.0, slope=2.0, noise=0.1)
        design = torch.cat([torch.ones_like(x), x], dim=1)
        fitted = torch.linalg.lstsq(design, y).solution.flatten()
        print(fitted)  # least squares recovers intercept and slope
        assert torch.allclose(fitted, torch.tensor([1.0, 2.0]), atol=0.1)
        ```
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    gen = _generator(seed)
    x = torch.rand(n, 1, generator=gen)
    eps = torch.randn(n, 1, generator=gen)
    return x, intercept + slope * x + noise * eps


def train_val_split(
    *tensors: Tensor, val_fraction: float = 0.2, seed: int = 0
) -> tuple[tuple[Tensor, ...], tuple[Tensor, ...]]:
    """Shuffle the rows with a seeded permutation and split every tensor the same way.

    All tensors must have the same length ``n`` along dimension 0. With
    ``n_val = round(val_fraction · n)`` and ``perm = randperm(n)`` (seeded), the
    validation rows are ``perm[:n_val]`` and the training rows ``perm[n_val:]``.

    Returns ``(train, val)``, two tuples with one tensor per input, in the input
    order::

        (x_train, y_train), (x_val, y_val) = train_val_split(x, y)

    Raises ``ValueError`` when ``val_fraction`` is not in (0, 1), when the lengths
    differ, or when either part would be empty.

    Examples:
        ```python
        import torch
        from dlref.data import train_val_split

        x = torch.arange(10.0)
        (x_train, y_train), (x_val, y_val) = train_val_split(x, 10 * x, val_fraction=0.3)
        print(x_train.tolist(), x_val.tolist())
        assert len(x_val) == 3 and torch.equal(y_val, 10 * x_val)  # rows stay paired
        assert sorted(torch.cat([x_train, x_val]).tolist()) == x.tolist()  # each row once
        ```
    """
    if not tensors:
        raise ValueError("train_val_split needs at least one tensor")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    n = len(tensors[0])
    if any(len(t) != n for t in tensors):
        raise ValueError(f"all tensors must have the same length, got {[len(t) for t in tensors]}")
    n_val = round(val_fraction * n)
    if n_val == 0 or n_val == n:
        raise ValueError(f"{n} rows with val_fraction={val_fraction} leave an empty part")
    perm = torch.randperm(n, generator=_generator(seed))
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    train = tuple(t[train_idx.to(t.device)] for t in tensors)
    val = tuple(t[val_idx.to(t.device)] for t in tensors)
    return train, val


def sine(
    n: int = 2000, low: float = -math.pi, high: float = math.pi, dtype: torch.dtype = torch.float64
) -> tuple[Tensor, Tensor]:
    """The sine function on a regular grid, for function fitting (no randomness).

    ``x = linspace(low, high, n)`` and ``y = sin(x)``. Returns ``(x, y)``, both of
    shape ``(n, 1)`` and dtype ``dtype`` (float64 by default).

    Examples:
        ```python
        import math
        from dlref.data import sine

        x, y = sine(n=5, low=0.0, high=math.pi)
        print(x.flatten().tolist(), y.flatten().tolist())
        assert x.shape == (5, 1) and abs(x[2].item() - math.pi / 2) < 1e-15
        assert abs(y[2].item() - 1.0) < 1e-15 and abs(y[4].item()) < 1e-15
        ```
    """
    x = torch.linspace(low, high, n, dtype=dtype).unsqueeze(1)
    return x, torch.sin(x)


@dataclass(frozen=True, eq=False)
class Digits:
    """scikit-learn's 8×8 handwritten digits, split into training and validation sets.

    ``x_*`` are float32 of shape ``(N, 1, 8, 8)`` (one channel, ready for
    ``nn.Conv2d(1, ...)``); ``y_*`` are int64 labels 0-9. Without standardization
    pixels are in [0, 1]; with it they are ``(pixels - mean) / std``, where ``mean``
    and ``std`` are single numbers computed on the training images only.

    Examples:
        ```python
        from dlref.data import digits

        data = digits(standardize=True)
        x, y = data.train
        print(f"mean {x.mean():.2e}, std {x.std():.6f}")
        assert abs(x.mean().item()) < 1e-5 and abs(x.std().item() - 1.0) < 1e-5
        pixels = data.images("val")  # back to [0, 1]
        assert pixels.min().item() > -1e-5 and pixels.max().item() < 1 + 1e-5
        ```
    """

    x_train: Tensor
    y_train: Tensor
    x_val: Tensor
    y_val: Tensor
    mean: float = 0.0
    std: float = 1.0
    n_classes: int = 10

    @property
    def train(self) -> tuple[Tensor, Tensor]:
        """``(x_train, y_train)``."""
        return self.x_train, self.y_train

    @property
    def val(self) -> tuple[Tensor, Tensor]:
        """``(x_val, y_val)``."""
        return self.x_val, self.y_val

    def images(self, split: str = "train") -> Tensor:
        """The images of ``split`` ("train" or "val") as ``(N, 8, 8)`` in [0, 1], for plotting."""
        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        x = self.x_train if split == "train" else self.x_val
        return x[:, 0] * self.std + self.mean


def digits(seed: int = 0, val_fraction: float = 0.2, standardize: bool = False) -> Digits:
    """Load scikit-learn's bundled 8×8 digits (1797 images, no download) and split them.

    Pixels (integers 0-16) are divided by 16 to lie in [0, 1]. The split is
    stratified: within each class, ``round(val_fraction · n_class)`` images,
    chosen by ``numpy.random.default_rng(seed)``, go to validation; both parts
    are then shuffled with the same generator, so classes are interleaved. With
    ``standardize=True`` both parts are shifted and scaled by the training
    images' overall mean and standard deviation.

    Needs scikit-learn (``pip install "dlref[data]"``); it is imported only here.

    Examples:
        ```python
        from sklearn.datasets import load_digits
        from dlref.data import digits

        data = digits(seed=0, val_fraction=0.2)
        per_class = load_digits().target.tolist()
        expected = [round(0.2 * per_class.count(c)) for c in range(10)]
        print(len(data.y_train), len(data.y_val))
        assert len(data.y_train) + len(data.y_val) == len(per_class)
        assert data.y_val.bincount().tolist() == expected  # stratified
        ```
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise ImportError(
            'dlref.data.digits needs scikit-learn: pip install "dlref[data]" '
            "(or pip install scikit-learn)"
        ) from err
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float32) / 16.0
    labels = np.asarray(bunch.target, dtype=np.int64)
    rng = np.random.default_rng(seed)
    val_parts, train_parts = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_val = round(val_fraction * len(idx))
        val_parts.append(idx[:n_val])
        train_parts.append(idx[n_val:])
    train_idx = torch.from_numpy(rng.permutation(np.concatenate(train_parts)))
    val_idx = torch.from_numpy(rng.permutation(np.concatenate(val_parts)))
    x = torch.from_numpy(images).unsqueeze(1)
    y = torch.from_numpy(labels)
    x_train, x_val = x[train_idx], x[val_idx]
    mean, std = 0.0, 1.0
    if standardize:
        mean, std = float(x_train.mean()), float(x_train.std())
        x_train, x_val = (x_train - mean) / std, (x_val - mean) / std
    return Digits(x_train, y[train_idx], x_val, y[val_idx], mean=mean, std=std)
