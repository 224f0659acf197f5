"""The slides' optimisers: hand-checkable first steps, state recursions, bias correction, EWA."""

from __future__ import annotations

import numpy as np
import pytest

from reference import data, optimisers, regression

THETA0 = np.array([1.0, -2.0, 0.5])
A = np.array([3.0, 0.5, 10.0])


def quadratic_grad(theta: np.ndarray) -> np.ndarray:
    """∇ of L(θ) = ½ Σ a_i θ_i²."""
    return A * theta


def shoe_grad(theta: np.ndarray) -> tuple[float, float]:
    """∇ SSR at θ = (slope, intercept) of the optimisers slides' example."""
    return regression.ssr_gradients(data.SHOE_SIZES, data.HEIGHTS, *theta)


def test_gradient_descent_on_a_quadratic_is_geometric():
    run = optimisers.gradient_descent(THETA0, quadratic_grad, lr=0.1, steps=5)
    t = np.arange(6).reshape(-1, 1)
    np.testing.assert_allclose(run.theta, (1 - 0.1 * A) ** t * THETA0, rtol=1e-13)
    np.testing.assert_allclose(run.grad, A * run.theta[:-1], rtol=1e-13)
    np.testing.assert_allclose(run.steps, 0.1 * run.grad, rtol=1e-13)


def test_momentum_recursion():
    run = optimisers.momentum(THETA0, quadratic_grad, lr=0.1, beta=0.9, steps=6)
    v = run.state["v"]
    np.testing.assert_allclose(v[0], 0.1 * run.grad[0], rtol=1e-14)  # v_0 = 0
    np.testing.assert_allclose(v[1:], 0.9 * v[:-1] + 0.1 * run.grad[1:], rtol=1e-14)
    np.testing.assert_allclose(run.steps, 0.1 * v, rtol=1e-14)


def test_momentum_velocity_is_the_ewa_of_the_gradients():
    run = optimisers.momentum(THETA0, quadratic_grad, lr=0.1, beta=0.8, steps=6)
    np.testing.assert_allclose(run.state["v"], optimisers.ewa(run.grad, 0.8), rtol=1e-14)


def test_adagrad_first_step_is_about_lr_per_coordinate():
    # step_1 = g lr / √(ε + g²) ≈ lr sign(g): every coordinate moves by lr at first.
    run = optimisers.adagrad(THETA0, quadratic_grad, lr=0.1, eps=1e-8, steps=1)
    g = run.grad[0]
    np.testing.assert_allclose(run.steps[0], g * 0.1 / np.sqrt(1e-8 + g**2), rtol=1e-14)
    np.testing.assert_allclose(np.abs(run.steps[0]), 0.1, rtol=1e-7)


def test_adagrad_accumulates_squared_gradients():
    run = optimisers.adagrad(THETA0, quadratic_grad, lr=0.1, eps=1e-8, steps=5)
    np.testing.assert_allclose(run.state["G"], np.cumsum(run.grad**2, axis=0), rtol=1e-14)
    np.testing.assert_allclose(run.steps, run.grad * 0.1 / np.sqrt(1e-8 + run.state["G"]))


def test_rmsprop_recursion_and_first_step():
    run = optimisers.rmsprop(THETA0, quadratic_grad, lr=0.001, beta=0.9, eps=1e-8, steps=5)
    s, g = run.state["s"], run.grad
    np.testing.assert_allclose(s[0], 0.1 * g[0] ** 2, rtol=1e-14)  # s_0 = 0
    np.testing.assert_allclose(s[1:], 0.9 * s[:-1] + 0.1 * g[1:] ** 2, rtol=1e-14)
    # steps are θ_{t−1} − θ_t: the subtraction costs a few digits
    np.testing.assert_allclose(run.steps, g * 0.001 / np.sqrt(1e-8 + s), rtol=1e-11)
    # the first step is lr g / √(0.1 g²) ≈ lr / √0.1 per coordinate
    np.testing.assert_allclose(np.abs(run.steps[0]), 0.001 / np.sqrt(0.1), rtol=1e-6)


def test_adam_bias_correction_at_t1_recovers_g_and_g_squared():
    run = optimisers.adam(THETA0, quadratic_grad, 0.1, 0.9, 0.999, 1e-8, steps=1)
    g = run.grad[0]
    np.testing.assert_allclose(run.state["m_hat"][0], g, rtol=1e-14)
    np.testing.assert_allclose(run.state["v_hat"][0], g**2, rtol=1e-12)
    np.testing.assert_allclose(np.abs(run.steps[0]), 0.1, rtol=1e-7)  # lr g / (|g| + ε)


def test_adam_recursions():
    b1, b2, lr, eps = 0.9, 0.999, 0.05, 1e-8
    run = optimisers.adam(THETA0, quadratic_grad, lr, b1, b2, eps, steps=6)
    m, v, g = run.state["m"], run.state["v"], run.grad
    np.testing.assert_allclose(m[1:], b1 * m[:-1] + (1 - b1) * g[1:], rtol=1e-14)
    np.testing.assert_allclose(v[1:], b2 * v[:-1] + (1 - b2) * g[1:] ** 2, rtol=1e-14)
    t = np.arange(1, 7).reshape(-1, 1)
    np.testing.assert_allclose(run.state["m_hat"], m / (1 - b1**t), rtol=1e-14)
    np.testing.assert_allclose(run.state["v_hat"], v / (1 - b2**t), rtol=1e-14)
    expected = lr * run.state["m_hat"] / (np.sqrt(run.state["v_hat"]) + eps)
    np.testing.assert_allclose(run.steps, expected, rtol=1e-12)


def test_adam_bias_correction_needs_the_power_t():
    # The Adam slide (004) writes m̂ = m / (1 − β1); the bias-correction slide writes
    # 1 − β^t. For a constant gradient g the moving average should estimate g itself:
    # m̂_t = g for every t with the power, but m / (1 − β1) = (1 − β1^t) g / (1 − β1),
    # already 1.9 g at t = 2. The slide without the power is the slip.
    run = optimisers.adam([0.0], lambda theta: np.array([2.0]), 0.1, 0.9, 0.999, 1e-8, steps=5)
    np.testing.assert_allclose(run.state["m_hat"], 2.0, rtol=1e-14)
    assert run.state["m"][1, 0] / (1 - 0.9) == pytest.approx(1.9 * 2.0)


def test_the_shoe_size_example_runs_every_optimiser():
    theta0 = np.array([1.0, 0.0])  # slope 1, intercept 0
    runs = [
        optimisers.gradient_descent(theta0, shoe_grad, 0.1, 3),
        optimisers.momentum(theta0, shoe_grad, 0.1, 0.9, 3),
        optimisers.adagrad(theta0, shoe_grad, 0.1, 1e-8, 3),
        optimisers.rmsprop(theta0, shoe_grad, 0.001, 0.9, 1e-8, 3),
        optimisers.adam(theta0, shoe_grad, 0.1, 0.9, 0.999, 1e-8, 3),
    ]
    g0 = np.array(shoe_grad(theta0))
    for run in runs:
        assert run.theta.shape == (4, 2) and run.grad.shape == (3, 2)
        np.testing.assert_allclose(run.grad[0], g0, rtol=1e-14)
        assert np.all(np.sign(run.steps[0]) == np.sign(g0))  # every first step goes downhill


def test_zero_steps_is_just_theta0():
    run = optimisers.adam(THETA0, quadratic_grad, 0.1, 0.9, 0.999, 1e-8, steps=0)
    np.testing.assert_array_equal(run.theta, [THETA0])
    assert run.grad.shape == (0, 3)


# --- exponentially weighted averages ---------------------------------------------------------


def test_ewa_is_the_recursion():
    series = np.array([4.0, 1.0, -2.0, 3.0])
    V, previous = [], 0.0
    for theta in series:
        previous = 0.7 * previous + 0.3 * theta
        V.append(previous)
    np.testing.assert_allclose(optimisers.ewa(series, 0.7), V, rtol=1e-14)


def test_bias_corrected_ewa_of_a_constant_is_the_constant():
    np.testing.assert_allclose(optimisers.ewa(np.full(10, 5.0), 0.9, bias_correction=True), 5.0)
    assert optimisers.ewa(np.full(10, 5.0), 0.9)[0] == pytest.approx(0.5)  # biased to 0


def test_ewa_of_vectors_averages_each_coordinate():
    series = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0]])
    V = optimisers.ewa(series, 0.5, bias_correction=True)
    np.testing.assert_allclose(V[:, 1], 10 * V[:, 0], rtol=1e-14)


def test_ewa_weights_reproduce_the_recursion():
    # V_t = Σ_k (1 − β) β^k θ_{t−k} + β^lags V_{t−lags}
    series = np.random.default_rng(0).normal(size=12)
    V = optimisers.ewa(series, 0.9)
    w = optimisers.ewa_weights(0.9, 4)
    assert V[11] == pytest.approx(w[:4] @ series[11:7:-1] + w[4] * V[7], rel=1e-12)
    assert w.sum() == pytest.approx(1.0)
