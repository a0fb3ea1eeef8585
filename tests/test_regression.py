"""dlref.regression: hand-derived MSE gradients, descent paths, surfaces and conditioning."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlref import regression as rg

RNG = np.random.default_rng(0)
X = RNG.uniform(0, 1, 50)
Y = 1 + 2 * X + 0.1 * RNG.standard_normal(50)
B_OLS, W_OLS = np.polyfit(X, Y, 1)[::-1]


def test_predict_and_mse_follow_the_formula() -> None:
    assert rg.predict(0.5, -2.0, [0.0, 1.0, 2.0]).tolist() == [0.5, -1.5, -3.5]
    assert rg.mse(1.0, 2.0, [0.0, 1.0], [1.0, 5.0]) == pytest.approx((0 + 4) / 2)


def test_gradients_match_autograd_and_need_the_x() -> None:
    b, w = 0.3, -1.0
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    ((bt + wt * torch.from_numpy(X) - torch.from_numpy(Y)) ** 2).mean().backward()
    db, dw = rg.mse_gradients(b, w, X, Y)
    assert db == pytest.approx(bt.grad.item(), rel=1e-12)
    assert dw == pytest.approx(wt.grad.item(), rel=1e-12)
    assert dw != pytest.approx(db, rel=0.05)  # the x matters


def test_tensors_of_any_shape_are_accepted() -> None:
    xt, yt = torch.from_numpy(X).float().unsqueeze(1), torch.from_numpy(Y).float().unsqueeze(1)
    assert rg.mse(1.0, 2.0, xt, yt) == pytest.approx(rg.mse(1.0, 2.0, X, Y), rel=1e-6)


def test_batch_descent_reaches_the_closed_form() -> None:
    path = rg.gradient_descent(X, Y, 0.0, 0.0, lr=0.5, steps=2000)
    assert path.b.shape == path.w.shape == path.loss.shape == (2001,)
    assert path.final == pytest.approx((B_OLS, W_OLS), abs=1e-10)
    assert np.all(np.diff(path.loss) <= 1e-15)


def test_first_step_is_the_update_rule() -> None:
    db, dw = rg.mse_gradients(0.2, 0.1, X, Y)
    path = rg.gradient_descent(X, Y, 0.2, 0.1, lr=0.3, steps=1)
    assert (path.b[1], path.w[1]) == pytest.approx((0.2 - 0.3 * db, 0.1 - 0.3 * dw))
    assert path.loss[0] == pytest.approx(rg.mse(0.2, 0.1, X, Y))


def test_threshold_two_over_lambda_max_is_sharp() -> None:
    eig = np.linalg.eigvalsh(rg.hessian(X))
    assert rg.max_stable_lr(X) == pytest.approx(2 / eig[-1])
    assert rg.condition_number(X) == pytest.approx(eig[-1] / eig[0])
    below = rg.gradient_descent(X, Y, 0.0, 0.0, lr=0.97 * rg.max_stable_lr(X), steps=3000)
    above = rg.gradient_descent(X, Y, 0.0, 0.0, lr=1.03 * rg.max_stable_lr(X), steps=300)
    assert below.final == pytest.approx((B_OLS, W_OLS), abs=1e-8)
    assert above.loss[-1] > 1e6 * above.loss[0]


def test_divergence_overflows_silently() -> None:
    path = rg.gradient_descent(X, Y, 0.0, 0.0, lr=50.0, steps=400)  # warnings are errors here
    assert not np.isfinite(path.loss[-1])


def test_hessian_is_the_second_derivative() -> None:
    h, eps = rg.hessian(X), 1e-4
    for i, (db, dw) in enumerate(((eps, 0.0), (0.0, eps))):
        g_plus = np.array(rg.mse_gradients(0.1 + db, 0.2 + dw, X, Y))
        g_minus = np.array(rg.mse_gradients(0.1 - db, 0.2 - dw, X, Y))
        np.testing.assert_allclose((g_plus - g_minus) / (2 * eps), h[:, i], rtol=1e-8)


def test_loss_surface_layout_and_values() -> None:
    bs, ws = np.linspace(-1, 3, 5), np.linspace(0, 4, 7)
    surface = rg.loss_surface(X, Y, bs, ws)
    assert surface.shape == (7, 5)
    for i, w in enumerate(ws):
        for j, b in enumerate(bs):
            assert surface[i, j] == pytest.approx(rg.mse(b, w, X, Y), rel=1e-12)


def test_standardising_gives_condition_number_one_and_the_same_line() -> None:
    z, mu, sigma = rg.standardize(X)
    assert z.mean() == pytest.approx(0, abs=1e-12) and z.std() == pytest.approx(1)
    assert rg.condition_number(z) == pytest.approx(1.0)
    assert rg.condition_number(X) > 5
    path = rg.gradient_descent(z, Y, 3.0, -3.0, lr=0.5, steps=1)  # H = 2I: one step lands
    assert rg.to_original_scale(*path.final, mu, sigma) == pytest.approx((B_OLS, W_OLS))
    z_other, _, _ = rg.standardize([mu, mu + sigma], mean=mu, std=sigma)
    assert z_other.tolist() == pytest.approx([0.0, 1.0])


def test_minibatches_cover_each_epoch_and_are_seeded() -> None:
    a = rg.gradient_descent(X, Y, 0.0, 0.0, lr=0.1, steps=30, batch_size=7, seed=3)
    b = rg.gradient_descent(X, Y, 0.0, 0.0, lr=0.1, steps=30, batch_size=7, seed=3)
    c = rg.gradient_descent(X, Y, 0.0, 0.0, lr=0.1, steps=30, batch_size=7, seed=4)
    np.testing.assert_array_equal(a.b, b.b)
    assert not np.array_equal(a.b, c.b)
    full = rg.gradient_descent(X, Y, 0.0, 0.0, lr=0.1, steps=5, batch_size=len(X))
    batch = rg.gradient_descent(X, Y, 0.0, 0.0, lr=0.1, steps=5)
    np.testing.assert_allclose(full.b, batch.b, rtol=1e-12)


def test_invalid_arguments_raise() -> None:
    with pytest.raises(ValueError):
        rg.mse(0.0, 0.0, [1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        rg.gradient_descent(X, Y, 0.0, 0.0, lr=0.1, steps=3, batch_size=0)
    with pytest.raises(ValueError):
        rg.gradient_descent(X, Y, 0.0, 0.0, lr=-0.1, steps=3)
    with pytest.raises(ValueError):
        rg.standardize([2.0, 2.0])
    assert rg.condition_number([2.0, 2.0]) == float("inf")
