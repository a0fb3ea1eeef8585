"""Small seeded data sets for the pages.

Every function that draws random numbers takes ``seed: int = 0`` and draws from
its own ``torch.Generator`` (or ``numpy.random.default_rng``), never from the
global random state: the same seed gives the same data on every machine and
whatever else a page has drawn before. Tensors are float32 unless stated, on
the CPU; move them with ``.to(dlref.device())``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

__all__ = [
    "Digits",
    "DigitsDataset",
    "digits",
    "ink_points",
    "noisy_line",
    "pad_collate",
    "sine",
    "spiral",
    "train_val_split",
]


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


class DigitsDataset(Dataset[tuple[Tensor, Tensor]]):
    """One split of the digits as a map-style `Dataset`: item `i` is `(transform(x[i]), y[i])`.

    A map-style dataset is anything with `__len__` and `__getitem__(i)` for
    `0 <= i < len(dataset)`; `torch.utils.data.DataLoader` asks it for items by
    index and stacks them into batches. Item `i` is the image `x[i]` of shape
    `(1, 8, 8)` (after `transform`, when one is given) and its label `y[i]`, a
    0-dimensional int64 tensor, so the default collation gives a batch
    `(B, 1, 8, 8)` and labels `(B,)`. The transform runs on every access, in
    the process (or `DataLoader` worker) that asks for the item: a random
    transform draws new numbers each time.

    Args:
        data: the digits, from [digits][dlref.data.digits].
        split: `"train"` or `"val"`.
        transform: optional function applied to each image when it is read.

    Examples:
        ```python
        from dlref.data import DigitsDataset, digits

        train = DigitsDataset(digits(seed=0), "train")
        image, label = train[0]
        print(len(train), tuple(image.shape), label.dtype)
        assert len(train) == 1438 and image.shape == (1, 8, 8)
        ```
    """

    def __init__(
        self,
        data: Digits,
        split: str = "train",
        transform: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        self.images, self.labels = data.train if split == "train" else data.val
        self.transform = transform

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, self.labels[index]


def ink_points(images: Tensor, threshold: float = 0.5) -> list[Tensor]:
    r"""Each image as the variable-length sequence of its inked pixels, in reading order.

    For an image with pixel values $v_{rc} \in [0, 1]$ (row $r$, column $c$,
    both $0 \dots 7$), the sequence lists the pixels with $v_{rc} \ge$
    `threshold` row by row, each as the point $(r / 7,\ c / 7,\ v_{rc})$. A
    thin digit such as a 1 gives a short sequence, a 0 or an 8 a long one,
    which makes the digits a small data set of samples of different lengths.

    Args:
        images: `(N, 8, 8)` or `(N, 1, 8, 8)` with values in [0, 1], such as
            `Digits.images(split)`.
        threshold: the least pixel value that counts as ink.

    Returns:
        `N` float32 tensors of shapes `(L_i, 3)`; `L_i` may be 0 for an empty image.

    Examples:
        ```python
        import torch
        from dlref.data import ink_points

        image = torch.zeros(1, 8, 8)
        image[0, 2, 3], image[0, 5, 7] = 1.0, 0.75
        (points,) = ink_points(image)
        print(points)
        assert torch.allclose(points, torch.tensor([[2 / 7, 3 / 7, 1.0], [5 / 7, 1.0, 0.75]]))
        ```
    """
    if images.dim() == 4:
        images = images[:, 0]
    if images.dim() != 3:
        raise ValueError(f"images must be (N, H, W) or (N, 1, H, W), got {tuple(images.shape)}")
    height, width = images.shape[1:]
    sequences = []
    for image in images:
        rows, cols = torch.nonzero(image >= threshold, as_tuple=True)  # row-major order
        sequences.append(
            torch.stack(
                (rows / max(height - 1, 1), cols / max(width - 1, 1), image[rows, cols]), dim=1
            ).to(torch.float32)
        )
    return sequences


def pad_collate(
    batch: Sequence[tuple[Tensor, Tensor | int]], padding_value: float = 0.0
) -> tuple[Tensor, Tensor, Tensor]:
    r"""Collate samples of different lengths: pad them to the longest, and keep the lengths.

    A `collate_fn` for `DataLoader`. Sample $i$ is `(sequence_i, label_i)` with
    `sequence_i` of shape `(L_i, *F)` (the trailing feature shape `F` the same
    for all). The result is

    - `padded`, shape `(B, L_max, *F)` with $L_{\max} = \max_i L_i$:
      `padded[i, :L_i] = sequence_i` and `padding_value` after it;
    - `lengths`, int64 `(B,)`, the $L_i$, from which a mask
      `arange(L_max) < lengths[:, None]` tells real entries from padding;
    - `labels`, int64 `(B,)`.

    Without the lengths a padded batch cannot be told apart from sequences that
    really end in `padding_value`: a mean over dimension 1 would count the padding.

    Examples:
        ```python
        import torch
        from dlref.data import pad_collate

        batch = [(torch.ones(2, 3), 0), (torch.ones(4, 3), 1)]
        padded, lengths, labels = pad_collate(batch)
        print(tuple(padded.shape), lengths.tolist(), labels.tolist())
        assert padded[0, 2:].eq(0).all() and lengths.tolist() == [2, 4]
        ```
    """
    if not batch:
        raise ValueError("pad_collate needs at least one sample")
    sequences = [sequence for sequence, _ in batch]
    features = sequences[0].shape[1:]
    if any(s.shape[1:] != features for s in sequences):
        raise ValueError(
            f"all sequences need the same feature shape, got {[tuple(s.shape) for s in sequences]}"
        )
    lengths = torch.tensor([s.shape[0] for s in sequences], dtype=torch.int64)
    longest = int(lengths.max())
    padded = sequences[0].new_full((len(sequences), longest, *features), padding_value)
    for i, sequence in enumerate(sequences):
        padded[i, : sequence.shape[0]] = sequence
    labels = torch.tensor([int(label) for _, label in batch], dtype=torch.int64)
    return padded, lengths, labels
