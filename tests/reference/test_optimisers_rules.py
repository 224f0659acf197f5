"""The public building blocks of reference.optimisers and keras_optimisers: a rule run
from any state (`run_rule`, `previous`, `keras_adam_rule`) and the bias correction alone."""

from __future__ import annotations

import numpy as np
import pytest

from reference import keras_optimisers as ko
from reference import optimisers as opt

THETA0 = np.array([1.0, -2.0])
A = np.array([3.0, 0.5])


def grad(theta: np.ndarray) -> np.ndarray:
    """∇ of ½ Σ a_i θ_i²."""
    return A * theta


def test_run_rule_applies_any_rule_from_an_empty_state() -> None:
    seen = []

    def rule(g: np.ndarray, state: opt.State, t: int) -> tuple[np.ndarray, opt.State]:
        seen.append(opt.previous(state, "n", g).copy())
        return np.full_like(g, float(t)), {"n": opt.previous(state, "n", g) + 1}

    run = opt.run_rule(THETA0, grad, 3, rule)
    np.testing.assert_array_equal(run.theta, THETA0 - np.array([[0], [1], [3], [6]]))
    np.testing.assert_array_equal(seen, [[0, 0], [1, 1], [2, 2]])  # 0 before the first step
    np.testing.assert_array_equal(run.state["n"], [[1, 1], [2, 2], [3, 3]])


def test_keras_adam_rule_continues_a_run_from_its_state() -> None:
    run = ko.keras_adam(THETA0, grad, 5, learning_rate=0.1)
    state = {"momentum": run.state["momentum"][3], "velocity": run.state["velocity"][3]}
    step, new = ko.keras_adam_rule(learning_rate=0.1)(grad(run.theta[4]), state, 5)
    np.testing.assert_allclose(run.theta[4] - step, run.theta[5], rtol=1e-14)
    np.testing.assert_allclose(new["momentum"], run.state["momentum"][4], rtol=1e-14)


@pytest.mark.parametrize("t", [1, 2, 7, 40])
def test_keras_adam_rule_is_the_slides_form_with_a_rescaled_epsilon(t: int) -> None:
    """From any state: α_t m / (√v + ε) = lr m̂ / (√v̂ + ε / √(1 − β2^t))."""
    rng = np.random.default_rng(t)
    g, m = rng.normal(size=(2, 4))
    v = rng.uniform(0.1, 2.0, size=4)
    lr, b1, b2, eps = 0.05, 0.8, 0.99, 0.3
    step, new = ko.keras_adam_rule(lr, b1, b2, eps)(g, {"momentum": m, "velocity": v}, t)
    m_t, v_t = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
    np.testing.assert_allclose(new["momentum"], m_t, rtol=1e-14)
    np.testing.assert_allclose(new["velocity"], v_t, rtol=1e-14)
    m_hat, v_hat = m_t / (1 - b1**t), v_t / (1 - b2**t)
    slides = lr * m_hat / (np.sqrt(v_hat) + eps / np.sqrt(1 - b2**t))
    np.testing.assert_allclose(step, slides, rtol=1e-12)


def test_bias_corrected_divides_row_t_by_one_minus_beta_to_the_t() -> None:
    V = np.array([[1.0, 2.0], [1.9, 3.8], [2.71, 5.42]])
    np.testing.assert_allclose(
        opt.bias_corrected(V, 0.9), V / np.array([[0.1], [0.19], [0.271]]), rtol=1e-14
    )
    series = np.array([3.0, -1.0, 4.0, 1.5])
    np.testing.assert_array_equal(
        opt.bias_corrected(opt.ewa(series, 0.7), 0.7), opt.ewa(series, 0.7, bias_correction=True)
    )
