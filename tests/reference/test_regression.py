"""Gradient-descent runs for linear and logistic regression: updates, orders, batches, stops."""

from __future__ import annotations

import numpy as np
import pytest

from reference import data, regression


@pytest.fixture
def lab():
    return data.lab_observations()


def test_trajectory_steps_are_theta_minus_eta_gradient(lab):
    X, y = lab
    run = regression.batch_gd(X, y, [[1.0], [1.0]], 0.0, eta=0.05, iterations=4)
    assert run.thetas.shape == (5, 3) and run.grads.shape == (4, 3) and run.losses.shape == (4,)
    assert run.steps == 4
    np.testing.assert_allclose(run.thetas[1:], run.thetas[:-1] - 0.05 * run.grads, rtol=1e-14)
    for t in range(4):
        dw, db = regression.mse_gradients(X, y, run.w(t), run.b(t))
        np.testing.assert_allclose(run.grads[t], [*dw[:, 0], db], rtol=1e-14)
        assert run.losses[t] == pytest.approx(regression.mse_loss(X, y, run.w(t), run.b(t)))


def test_batch_gd_reaches_least_squares(lab):
    X, y = lab
    run = regression.batch_gd(X, y, [[0.0], [0.0]], 0.0, eta=0.05, iterations=2000)
    np.testing.assert_allclose(run.w(2000), data.W_TRUE, atol=1e-9)
    assert run.b(2000) == pytest.approx(data.B_TRUE, abs=1e-9)
    # a small enough eta never increases the MSE (until it is down at rounding level)
    assert np.all(np.diff(run.losses[:200]) < 0)


def test_sgd_steps_one_observation_in_the_given_order(lab):
    X, y = lab
    order = [3, 0, 7, 3]
    run = regression.sgd(X, y, [[1.0], [1.0]], 0.0, eta=0.1, order=order)
    w, b = np.array([[1.0], [1.0]]), 0.0
    for t, i in enumerate(order):
        dw, db = regression.squared_error_gradients(X[i], y[i, 0], w, b)
        w, b = w - 0.1 * dw, b - 0.1 * db
        np.testing.assert_allclose(run.w(t + 1), w, rtol=1e-14)
        assert run.b(t + 1) == pytest.approx(b, rel=1e-14)


def test_squared_error_gradients_is_the_lecture_formula():
    # ∂L/∂w = 2(ŷ − y) x, ∂L/∂b = 2(ŷ − y) for ŷ = wx + b
    dw, db = regression.squared_error_gradients(9.0, 17.0, [[0.5]], 0.1)
    y_hat = 0.5 * 9 + 0.1
    assert dw[0, 0] == pytest.approx(2 * (y_hat - 17) * 9)
    assert db == pytest.approx(2 * (y_hat - 17))


def test_minibatch_with_one_batch_is_batch_gd(lab):
    X, y = lab
    full = regression.batch_gd(X, y, [[1.0], [1.0]], 0.0, eta=0.1, iterations=3)
    mini = regression.minibatch_gd(X, y, [[1.0], [1.0]], 0.0, 0.1, 12, 3, np.random.default_rng(0))
    # the same rows in another order: equal up to the order of the sums
    np.testing.assert_allclose(mini.thetas, full.thetas, rtol=1e-12)


def test_minibatch_batches_cover_every_row_each_epoch(lab):
    X, y = lab
    run = regression.minibatch_gd(X, y, [[1.0], [1.0]], 0.0, 0.1, 5, 2, np.random.default_rng(4))
    assert run.steps == 2 * 3  # batches of 5, 5 and 2 per epoch
    rng = np.random.default_rng(4)
    w, b = np.array([[1.0], [1.0]]), 0.0
    for _ in range(2):
        order = rng.permutation(12)
        for rows in (order[:5], order[5:10], order[10:]):
            dw, db = regression.mse_gradients(X[rows], y[rows], w, b)
            w, b = w - 0.1 * dw, b - 0.1 * db
    np.testing.assert_allclose(run.w(6), w, rtol=1e-14)
    assert run.b(6) == pytest.approx(b, rel=1e-14)


def test_logistic_regression_descends(lab):
    # opt.2's set-up: BGD with binary cross-entropy on the logistic example.
    run = regression.batch_gd(
        data.LOGISTIC_X,
        data.LOGISTIC_Y,
        [[0.0], [0.0]],
        0.0,
        eta=0.1,
        iterations=3,
        gradients=regression.bce_gradients,
        loss=regression.bce_loss,
    )
    assert run.losses[0] == pytest.approx(np.log(2))  # σ(0) = 1/2 for every row
    # at θ0: ŷ − y = (1/2, −1/2, −1/2), so ∂L/∂w = Xᵀ(ŷ − y)/3 and ∂L/∂b = −1/6
    np.testing.assert_allclose(run.grads[0], [(0.5 - 1.5 - 2.5) / 3, (1 - 2 - 3) / 3, -1 / 6])
    assert np.all(np.diff(run.losses) < 0)


# --- the lab's lr_gradient_descent ---------------------------------------------------------


def test_lr_gradient_descent_infinite_tol_stops_after_one_step(lab):
    # The first batch always steps (the previous error is ∞); with tol = ∞ the second stops.
    X, y = lab
    w, b = regression.lr_gradient_descent(X, y, 3, 0.1, rng=np.random.default_rng(5), tol=np.inf)
    rows = np.random.default_rng(5).permutation(12)[:3]
    dw, db = regression.mse_gradients(X[rows], y[rows], np.ones((2, 1)), 0.0)
    np.testing.assert_allclose(w, np.ones((2, 1)) - 0.1 * dw, rtol=1e-14)
    assert b == pytest.approx(-0.1 * db, rel=1e-14)


def test_lr_gradient_descent_without_stop_is_minibatch_gd(lab):
    # tol = 0 never stops early; with N a multiple of batch_size it is minibatch_gd.
    X, y = lab
    w, b = regression.lr_gradient_descent(
        X, y, 4, 0.05, [[0.5], [2.0]], 1.0, max_iter=7, tol=0.0, rng=np.random.default_rng(6)
    )
    run = regression.minibatch_gd(X, y, [[0.5], [2.0]], 1.0, 0.05, 4, 7, np.random.default_rng(6))
    np.testing.assert_allclose(w, run.w(run.steps), rtol=1e-13)
    assert b == pytest.approx(run.b(run.steps), rel=1e-13)


def test_lr_gradient_descent_drops_the_remainder_batch(lab):
    # batch_size 5 on 12 rows: 12 // 5 = 2 batches per iteration, rows 10 and 11 unused.
    X, y = lab
    w, b = regression.lr_gradient_descent(
        X, y, 5, 0.1, max_iter=1, tol=0.0, rng=np.random.default_rng(7)
    )
    order = np.random.default_rng(7).permutation(12)
    w_ref, b_ref = np.ones((2, 1)), 0.0
    for rows in (order[:5], order[5:10]):
        dw, db = regression.mse_gradients(X[rows], y[rows], w_ref, b_ref)
        w_ref, b_ref = w_ref - 0.1 * dw, b_ref - 0.1 * db
    np.testing.assert_allclose(w, w_ref, rtol=1e-14)
    assert b == pytest.approx(b_ref, rel=1e-14)


def test_lr_gradient_descent_batch_larger_than_n_uses_all_rows(lab):
    X, y = lab
    w, b = regression.lr_gradient_descent(X, y, 100, 0.1, max_iter=1, rng=np.random.default_rng(8))
    dw, db = regression.mse_gradients(X, y, np.ones((2, 1)), 0.0)
    np.testing.assert_allclose(w, np.ones((2, 1)) - 0.1 * dw, rtol=1e-12)
    assert b == pytest.approx(-0.1 * db, rel=1e-12)


def test_lr_gradient_descent_leaves_the_callers_w_alone(lab):
    # The lab's `w -= ...` changed the caller's array (and fails on an integer one).
    X, y = lab
    w0 = np.array([[1], [1]])
    w, _ = regression.lr_gradient_descent(
        X, y, 3, 0.1, w0, 0, max_iter=5, rng=np.random.default_rng(9)
    )
    np.testing.assert_array_equal(w0, [[1], [1]])
    assert w.dtype == np.float64 and not np.array_equal(w, w0)


def test_lr_gradient_descent_respects_max_iter(lab):
    X, y = lab
    one = regression.lr_gradient_descent(
        X, y, 3, 0.1, max_iter=1, tol=0.0, rng=np.random.default_rng(10)
    )
    run = regression.minibatch_gd(X, y, np.ones((2, 1)), 0.0, 0.1, 3, 1, np.random.default_rng(10))
    assert run.steps == 4
    np.testing.assert_allclose(one[0], run.w(4), rtol=1e-13)
