"""Linear regression by hand: one feature, two parameters, mean squared error.

The model predicts $\\hat y_i = b + w x_i$ and is scored by the mean squared
error over the $N$ points,

$$
L(b, w) = \\frac{1}{N} \\sum_i (b + w x_i - y_i)^2 .
$$

With the residuals $r_i = \\hat y_i - y_i$ its partial derivatives are

$$
\\frac{\\partial L}{\\partial b} = \\frac{2}{N} \\sum_i r_i, \\qquad
\\frac{\\partial L}{\\partial w} = \\frac{2}{N} \\sum_i x_i r_i
$$

(the factor $x_i$ comes from $\\partial \\hat y_i / \\partial w = x_i$), and
its Hessian does not depend on $b$, $w$ or $y$:

$$
H = 2 \\begin{pmatrix} 1 & \\overline{x} \\\\ \\overline{x} & \\overline{x^2} \\end{pmatrix}.
$$

Gradient descent $\\theta \\leftarrow \\theta - \\eta \\nabla L(\\theta)$ on this
quadratic converges for every start exactly when $0 < \\eta < 2 / \\lambda_{max}(H)$.

Everything here is NumPy in float64. Inputs may be anything ``numpy.asarray``
accepts (lists, arrays, CPU tensors of any shape holding ``N`` values).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "DescentPath",
    "condition_number",
    "gradient_descent",
    "hessian",
    "loss_surface",
    "max_stable_lr",
    "mse",
    "mse_gradients",
    "predict",
    "standardize",
    "to_original_scale",
]

FloatArray = npt.NDArray[np.float64]


def _vector(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def _pair(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    xv, yv = _vector(x), _vector(y)
    if xv.shape != yv.shape or xv.size == 0:
        raise ValueError(f"x and y need the same, non-zero length, got {xv.size} and {yv.size}")
    return xv, yv


def predict(b: float, w: float, x: npt.ArrayLike) -> FloatArray:
    """The model's predictions $\\hat y = b + w x$, as a flat float64 array.

    Examples:
        ```python
        import numpy as np
        import torch
        from dlref.regression import predict

        x = [0.0, 1.0, 2.0]
        print(predict(0.5, 2.0, x))
        layer = torch.nn.Linear(1, 1)
        with torch.no_grad():
            layer.weight.fill_(2.0)
            layer.bias.fill_(0.5)
            by_torch = layer(torch.tensor(x)[:, None]).flatten().numpy()
        np.testing.assert_allclose(predict(0.5, 2.0, x), by_torch)
        ```
    """
    return b + w * _vector(x)


def mse(b: float, w: float, x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Mean squared error $L = \\frac{1}{N} \\sum_i (b + w x_i - y_i)^2$.

    Examples:
        ```python
        import torch
        from dlref.regression import mse

        x, y = torch.tensor([0.0, 1.0, 2.0, 3.0]), torch.tensor([1.0, 2.5, 5.0, 7.5])
        print(mse(1.0, 2.0, x, y))
        torch_mse = torch.nn.functional.mse_loss(1.0 + 2.0 * x, y).item()
        assert abs(mse(1.0, 2.0, x, y) - torch_mse) < 1e-6
        ```
    """
    xv, yv = _pair(x, y)
    return float(np.mean((b + w * xv - yv) ** 2))


def mse_gradients(b: float, w: float, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[float, float]:
    """Hand-derived ``(dL/db, dL/dw)`` of ``mse``.

    With $r_i = b + w x_i - y_i$:
    $\\partial L/\\partial b = 2\\,\\mathrm{mean}(r)$ and
    $\\partial L/\\partial w = 2\\,\\mathrm{mean}(x\\,r)$.

    Examples:
        ```python
        import torch
        from dlref.regression import mse_gradients

        x = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64)
        y = torch.tensor([1.0, 2.5, 5.0, 7.5], dtype=torch.float64)
        b = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
        w = torch.tensor(-0.7, dtype=torch.float64, requires_grad=True)
        ((b + w * x - y) ** 2).mean().backward()
        print(mse_gradients(0.3, -0.7, x, y), (b.grad.item(), w.grad.item()))
        by_hand = mse_gradients(0.3, -0.7, x, y)
        assert abs(by_hand[0] - b.grad.item()) < 1e-12 and abs(by_hand[1] - w.grad.item()) < 1e-12
        ```
    """
    xv, yv = _pair(x, y)
    r = b + w * xv - yv
    return float(2.0 * np.mean(r)), float(2.0 * np.mean(xv * r))


@dataclass(frozen=True)
class DescentPath:
    """Where gradient descent went: ``b[k]``, ``w[k]`` and the all-points ``loss[k]`` after k steps.

    Entry 0 is the starting point, so a run of ``steps`` updates holds ``steps + 1``
    entries. A diverging run ends in very large numbers, ``inf`` or ``nan``.

    Examples:
        ```python
        from dlref.regression import DescentPath, gradient_descent, mse

        x, y = [0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0]
        path = gradient_descent(x, y, b0=0.0, w0=0.0, lr=0.1, steps=300)
        print(path.final, path.loss[-1])
        assert isinstance(path, DescentPath) and len(path.loss) == 301
        assert path.loss[0] == mse(0.0, 0.0, x, y) and path.loss[-1] < 1e-8
        ```
    """

    b: FloatArray
    w: FloatArray
    loss: FloatArray

    @property
    def final(self) -> tuple[float, float]:
        """``(b, w)`` after the last update."""
        return float(self.b[-1]), float(self.w[-1])


def gradient_descent(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    b0: float,
    w0: float,
    lr: float,
    steps: int,
    *,
    batch_size: int | None = None,
    seed: int = 0,
) -> DescentPath:
    """Run ``steps`` updates $(b, w) \\leftarrow (b, w) - \\eta\\,\\nabla L_B(b, w)$.

    $L_B$ is the MSE on a batch ``B``: all points when ``batch_size`` is
    ``None`` (batch gradient descent); otherwise consecutive slices of
    ``batch_size`` points from a fresh permutation each epoch, drawn by
    ``numpy.random.default_rng(seed)``, the last slice of an epoch holding what
    is left (``batch_size=1`` is stochastic gradient descent). The recorded loss
    is always the MSE on all points, so runs with different batch sizes compare.

    Examples:
        ```python
        import numpy as np
        from dlref.regression import gradient_descent

        rng = np.random.default_rng(0)
        x = rng.uniform(-1, 1, 50)
        y = 1.0 + 2.0 * x + 0.1 * rng.normal(size=50)
        w_fit, b_fit = np.polyfit(x, y, 1)  # least squares, solved directly
        batch = gradient_descent(x, y, b0=0.0, w0=0.0, lr=0.5, steps=200)
        sgd = gradient_descent(x, y, b0=0.0, w0=0.0, lr=0.05, steps=500, batch_size=1)
        print(batch.final, sgd.final, (b_fit, w_fit))
        np.testing.assert_allclose(batch.final, (b_fit, w_fit), rtol=1e-6)
        np.testing.assert_allclose(sgd.final, (b_fit, w_fit), atol=0.1)  # close, not exact
        ```
    """
    xv, yv = _pair(x, y)
    n = xv.size
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if batch_size is not None and not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be in 1..{n} or None, got {batch_size}")
    rng = np.random.default_rng(seed)
    b_path, w_path, losses = np.empty(steps + 1), np.empty(steps + 1), np.empty(steps + 1)
    b, w = float(b0), float(w0)
    order: npt.NDArray[np.int64] = np.arange(n)
    cursor = n
    # A diverging run overflows on purpose; it is recorded as inf/nan, not warned about.
    with np.errstate(over="ignore", invalid="ignore"):
        b_path[0], w_path[0], losses[0] = b, w, mse(b, w, xv, yv)
        for k in range(1, steps + 1):
            if batch_size is None:
                db, dw = mse_gradients(b, w, xv, yv)
            else:
                if cursor >= n:
                    order, cursor = rng.permutation(n), 0
                idx = order[cursor : cursor + batch_size]
                cursor += batch_size
                db, dw = mse_gradients(b, w, xv[idx], yv[idx])
            b, w = b - lr * db, w - lr * dw
            b_path[k], w_path[k], losses[k] = b, w, mse(b, w, xv, yv)
    return DescentPath(b_path, w_path, losses)


def loss_surface(
    x: npt.ArrayLike, y: npt.ArrayLike, b_values: npt.ArrayLike, w_values: npt.ArrayLike
) -> FloatArray:
    """``mse`` on the grid ``b_values × w_values``.

    Returns shape ``(len(w_values), len(b_values))`` with entry ``[i, j]`` equal to
    ``L(b_values[j], w_values[i])``: the layout of ``numpy.meshgrid(b_values,
    w_values)``, ready for ``contour(B, W, Z)``. Computed from the expansion
    $L = b^2 + 2bw\\overline{x} + w^2\\overline{x^2} - 2b\\overline{y}
    - 2w\\overline{xy} + \\overline{y^2}$.

    Examples:
        ```python
        import numpy as np
        from dlref.regression import loss_surface, mse

        x, y = [0.0, 1.0, 2.0], [1.0, 2.0, 4.0]
        b_values, w_values = [-1.0, 0.0, 1.0], [0.5, 1.5]
        surface = loss_surface(x, y, b_values, w_values)
        print(surface)
        by_point = [[mse(b, w, x, y) for b in b_values] for w in w_values]
        np.testing.assert_allclose(surface, by_point)
        ```
    """
    xv, yv = _pair(x, y)
    bb, ww = np.meshgrid(_vector(b_values), _vector(w_values))
    mx, mxx, my, mxy, myy = (
        xv.mean(),
        (xv * xv).mean(),
        yv.mean(),
        (xv * yv).mean(),
        (yv * yv).mean(),
    )
    surface: FloatArray = bb**2 + 2 * bb * ww * mx + ww**2 * mxx - 2 * bb * my - 2 * ww * mxy + myy
    return surface


def hessian(x: npt.ArrayLike) -> FloatArray:
    """Hessian of ``mse`` in ``(b, w)``.

    $H = 2\\,[[1, \\overline{x}], [\\overline{x}, \\overline{x^2}]]$, the same at every point.

    Examples:
        ```python
        import numpy as np
        import torch
        from dlref.regression import hessian

        x = torch.tensor([0.5, 1.0, 2.0, 4.0], dtype=torch.float64)
        y = torch.tensor([1.0, 0.0, 3.0, 2.0], dtype=torch.float64)


        def loss(p: torch.Tensor) -> torch.Tensor:
            return ((p[0] + p[1] * x - y) ** 2).mean()


        for point in ([0.0, 0.0], [3.0, -2.0]):  # the same at every point
            p = torch.tensor(point, dtype=torch.float64)
            by_autograd = torch.autograd.functional.hessian(loss, p)
            np.testing.assert_allclose(hessian(x), by_autograd.numpy())
        print(hessian(x))
        ```
    """
    xv = _vector(x)
    if xv.size == 0:
        raise ValueError("x is empty")
    mx, mxx = float(xv.mean()), float((xv * xv).mean())
    return 2.0 * np.array([[1.0, mx], [mx, mxx]])


def condition_number(x: npt.ArrayLike) -> float:
    """$\\kappa = \\lambda_{max}(H) / \\lambda_{min}(H)$ of the ``hessian``.

    It is at least 1, exactly 1 for standardised ``x`` (mean 0, mean square 1, where
    $H = 2I$), and ``inf`` when all ``x`` are equal ($H$ singular).

    Examples:
        ```python
        import numpy as np
        from dlref.regression import condition_number, hessian, standardize

        x = [1.0, 2.0, 3.0, 10.0]
        print(condition_number(x))
        assert np.isclose(condition_number(x), np.linalg.cond(hessian(x)))
        assert np.isclose(condition_number(standardize(x)[0]), 1.0)
        assert condition_number([2.0, 2.0, 2.0]) == float("inf")
        ```
    """
    eig = np.linalg.eigvalsh(hessian(x))
    # A numerically singular H (all x equal, up to rounding) has no finite condition number.
    return float(eig[-1] / eig[0]) if eig[0] > 1e-12 * eig[-1] else float("inf")


def max_stable_lr(x: npt.ArrayLike) -> float:
    """The divergence threshold $2 / \\lambda_{max}(H)$ of batch gradient descent.

    Any rate below it converges from every start; any rate above it diverges
    from almost every start (all but those exactly orthogonal to the top eigenvector).

    Examples:
        ```python
        from dlref.regression import gradient_descent, max_stable_lr

        x, y = [0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0]
        eta = max_stable_lr(x)
        below = gradient_descent(x, y, b0=0.0, w0=0.0, lr=0.95 * eta, steps=300).loss[-1]
        above = gradient_descent(x, y, b0=0.0, w0=0.0, lr=1.05 * eta, steps=300).loss[-1]
        print(eta, below, above)
        assert below < 1e-8 and above > 1e6
        ```
    """
    return float(2.0 / np.linalg.eigvalsh(hessian(x))[-1])


def standardize(
    x: npt.ArrayLike, mean: float | None = None, std: float | None = None
) -> tuple[FloatArray, float, float]:
    """$z = (x - \\mu) / \\sigma$; returns ``(z, mu, sigma)``.

    ``mu`` and ``sigma`` default to the mean and the population standard deviation
    (``ddof=0``, like scikit-learn's ``StandardScaler``) of ``x`` itself; pass the
    training set's to transform a validation set the same way.

    Examples:
        ```python
        import numpy as np
        from dlref.regression import standardize

        train, val = [2.0, 4.0, 6.0, 8.0], [5.0, 10.0]
        z, mu, sigma = standardize(train)
        print(z, mu, sigma)
        assert np.isclose(z.mean(), 0.0) and np.isclose(z.std(), 1.0)
        z_val, _, _ = standardize(val, mu, sigma)  # the training set's mean and spread
        np.testing.assert_allclose(z_val, (np.array(val) - np.mean(train)) / np.std(train))
        ```
    """
    xv = _vector(x)
    mu = float(xv.mean()) if mean is None else float(mean)
    sigma = float(xv.std()) if std is None else float(std)
    if sigma <= 0:
        raise ValueError("x has zero spread; it cannot be standardised")
    return (xv - mu) / sigma, mu, sigma


def to_original_scale(b: float, w: float, mean: float, std: float) -> tuple[float, float]:
    """Turn ``(b, w)`` fitted on $z = (x - \\mu)/\\sigma$ into ``(b, w)`` for ``x``.

    From $b + w (x - \\mu)/\\sigma = (b - w\\mu/\\sigma) + (w/\\sigma)\\,x$.

    Examples:
        ```python
        import numpy as np
        from dlref.regression import standardize, to_original_scale

        x = np.array([10.0, 20.0, 30.0, 40.0])
        y = np.array([8.1, 12.9, 18.2, 22.8])
        z, mu, sigma = standardize(x)
        w_z, b_z = np.polyfit(z, y, 1)  # fitted on the standardised feature
        w_x, b_x = np.polyfit(x, y, 1)  # fitted on x directly
        print(to_original_scale(b_z, w_z, mu, sigma), (b_x, w_x))
        np.testing.assert_allclose(to_original_scale(b_z, w_z, mu, sigma), (b_x, w_x))
        ```
    """
    return b - w * mean / std, w / std
