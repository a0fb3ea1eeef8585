"""dlref.data: shapes, dtypes, determinism and the documented generating formulas."""

from __future__ import annotations

import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from dlref import data
from dlref.data import digits, noisy_line, sine, spiral, train_val_split


def test_spiral_shapes_and_dtypes() -> None:
    x, y = spiral()
    assert x.shape == (3000, 2) and x.dtype == torch.float32
    assert y.shape == (3000,) and y.dtype == torch.int64
    assert torch.equal(y, torch.arange(3).repeat_interleave(1000))
    x, y = spiral(n_per_class=7, n_classes=5, seed=3)
    assert x.shape == (35, 2) and y.bincount().tolist() == [7] * 5


def test_spiral_matches_formula_without_noise() -> None:
    n, c = 50, 4
    x, _ = spiral(n_per_class=n, n_classes=c, noise=0.0)
    expected = []
    for k in range(c):
        for i in range(n):
            t = i / (n - 1)
            r, angle = 0.8 * t + 0.2, (2 * t + k) * 2 * math.pi / c
            expected.append((r * math.sin(angle), r * math.cos(angle)))
    assert torch.allclose(x.double(), torch.tensor(expected, dtype=torch.float64), atol=1e-6)
    radius = x.double().norm(dim=1)
    assert radius.min() == pytest.approx(0.2, abs=1e-6)
    assert radius.max() == pytest.approx(1.0, abs=1e-6)


def test_spiral_noise_only_moves_the_angle() -> None:
    clean, _ = spiral(n_per_class=200, noise=0.0)
    noisy, _ = spiral(n_per_class=200, noise=0.2)
    assert torch.allclose(clean.norm(dim=1), noisy.norm(dim=1), atol=1e-5)
    assert not torch.allclose(clean, noisy)


def test_spiral_determinism_and_global_state_untouched() -> None:
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = spiral(seed=1)
    assert torch.equal(torch.rand(1), before)  # the global generator was not consumed
    b = spiral(seed=1)
    c = spiral(seed=2)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_spiral_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        spiral(n_per_class=0)
    with pytest.raises(ValueError):
        spiral(noise=-0.1)


def test_noisy_line_shapes_and_determinism() -> None:
    x, y = noisy_line()
    assert x.shape == y.shape == (100, 1)
    assert x.dtype == y.dtype == torch.float32
    assert x.min() >= 0.0 and x.max() < 1.0
    x2, y2 = noisy_line()
    x3, y3 = noisy_line(seed=1)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(x, x3) and not torch.equal(y, y3)


def test_noisy_line_without_noise_is_the_line() -> None:
    x, y = noisy_line(n=20, intercept=-0.5, slope=3.0, noise=0.0)
    assert torch.allclose(y, -0.5 + 3.0 * x)


def test_noisy_line_least_squares_recovers_the_line() -> None:
    x, y = noisy_line(n=100_000, intercept=1.0, slope=2.0, noise=0.1, seed=7)
    design = torch.cat([torch.ones_like(x), x], dim=1).double()
    coef = torch.linalg.lstsq(design, y.double()).solution.squeeze(1)
    assert coef[0].item() == pytest.approx(1.0, abs=0.005)
    assert coef[1].item() == pytest.approx(2.0, abs=0.01)
    residual = y.double() - design @ coef.unsqueeze(1)
    assert residual.std().item() == pytest.approx(0.1, rel=0.02)


def test_train_val_split_sizes_and_disjointness() -> None:
    x = torch.arange(100).float().unsqueeze(1)
    y = torch.arange(100) * 10
    (x_tr, y_tr), (x_va, y_va) = train_val_split(x, y)
    assert len(x_tr) == len(y_tr) == 80 and len(x_va) == len(y_va) == 20
    assert torch.equal(y_tr, x_tr.squeeze(1).long() * 10)  # rows stay paired
    assert torch.equal(y_va, x_va.squeeze(1).long() * 10)
    rows = torch.cat([x_tr, x_va]).squeeze(1).long()
    assert sorted(rows.tolist()) == list(range(100))  # disjoint and complete
    assert not torch.equal(x_va.squeeze(1), torch.arange(80, 100).float())  # shuffled


def test_train_val_split_determinism_and_fraction() -> None:
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(0))
    a = train_val_split(x, seed=4)
    b = train_val_split(x, seed=4)
    c = train_val_split(x, seed=5)
    assert torch.equal(a[1][0], b[1][0]) and not torch.equal(a[1][0], c[1][0])
    train, val = train_val_split(x, val_fraction=0.3)
    assert len(train) == len(val) == 1 and len(train[0]) == 35 and len(val[0]) == 15


def test_train_val_split_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        train_val_split()
    with pytest.raises(ValueError):
        train_val_split(torch.zeros(10), torch.zeros(9))
    with pytest.raises(ValueError):
        train_val_split(torch.zeros(10), val_fraction=1.0)
    with pytest.raises(ValueError):
        train_val_split(torch.zeros(2), val_fraction=0.2)  # no validation rows


def test_sine() -> None:
    x, y = sine()
    assert x.shape == y.shape == (2000, 1) and x.dtype == y.dtype == torch.float64
    assert x[0].item() == -math.pi and x[-1].item() == pytest.approx(math.pi)
    assert torch.equal(y, torch.sin(x))
    x32, _ = sine(n=11, low=0.0, high=1.0, dtype=torch.float32)
    assert x32.dtype == torch.float32 and torch.allclose(x32.squeeze(1), torch.linspace(0, 1, 11))


def test_digits_shapes_range_and_classes() -> None:
    d = digits()
    assert d.x_train.shape[1:] == d.x_val.shape[1:] == (1, 8, 8)
    assert len(d.x_train) + len(d.x_val) == 1797
    assert len(d.x_train) == len(d.y_train) and len(d.x_val) == len(d.y_val)
    assert abs(len(d.x_val) - 0.2 * 1797) <= 10
    assert d.x_train.dtype == torch.float32 and d.y_train.dtype == torch.int64
    assert d.x_train.min() >= 0.0 and d.x_train.max() <= 1.0 and d.x_train.max() == 1.0
    assert d.n_classes == 10
    assert (
        sorted(d.y_train.unique().tolist()) == sorted(d.y_val.unique().tolist()) == list(range(10))
    )
    # Stratified: every class has about the same share in validation.
    share = d.y_val.bincount(minlength=10).double() / (
        d.y_val.bincount(minlength=10) + d.y_train.bincount(minlength=10)
    )
    assert ((share - 0.2).abs() < 0.01).all()
    assert d.images("val").shape == (len(d.x_val), 8, 8)
    assert d.train[0] is d.x_train and d.val[1] is d.y_val


def test_digits_split_is_disjoint_and_seeded() -> None:
    a, b, c = digits(seed=0), digits(seed=0), digits(seed=1)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_val, b.y_val)
    assert not torch.equal(a.x_val, c.x_val)
    from sklearn.datasets import load_digits

    everything = torch.from_numpy(np.asarray(load_digits().images, dtype=np.float32) / 16)
    flat = {tuple(img.flatten().tolist()) for img in everything}
    train = [tuple(img.flatten().tolist()) for img in a.x_train]
    val = [tuple(img.flatten().tolist()) for img in a.x_val]
    assert set(train) <= flat and set(val) <= flat
    # Some digits images are exact duplicates of each other, so compare counts, not sets.
    assert Counter(train) + Counter(val) == Counter(
        tuple(img.flatten().tolist()) for img in everything
    )
    assert a.y_train[:20].unique().numel() > 3  # classes interleaved, not sorted


def test_digits_standardize() -> None:
    plain, std = digits(), digits(standardize=True)
    assert std.x_train.mean().item() == pytest.approx(0.0, abs=1e-5)
    assert std.x_train.std().item() == pytest.approx(1.0, abs=1e-5)
    assert torch.allclose(std.images("val"), plain.images("val"), atol=1e-6)
    assert (std.mean, std.std) != (0.0, 1.0) and (plain.mean, plain.std) == (0.0, 1.0)
    with pytest.raises(ValueError):
        plain.images("test")


def test_digits_without_sklearn_raises_clear_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(
        ImportError, match=r"scikit-learn.*dlref\[data\]|dlref\[data\].*scikit-learn"
    ):
        data.digits()


def test_importing_dlref_data_does_not_import_sklearn() -> None:
    src = str(Path(data.__file__).resolve().parents[1])  # wherever this run found dlref
    code = f"import sys; sys.path.insert(0, {src!r}); import dlref.data; "
    code += "assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
