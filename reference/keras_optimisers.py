"""Keras 3's own optimiser updates in float64 NumPy, with Keras's defaults and variable names.

Each returns the whole `Run` (θ_0..θ_T, gradients, states) like the slides' forms in
`reference.optimisers`, g_t = ∇L(θ_{t−1}). How each differs from the slides:

- `keras_adam`: ε is added to √v, not to √v̂, and the bias correction is folded into the
  step size α_t = lr √(1 − β2^t) / (1 − β1^t): θ_t = θ_{t−1} − α_t m_t / (√v_t + ε). That is
  the slides' lr m̂ / (√v̂ + ε̂) with ε̂ = ε / √(1 − β2^t), larger early on. Default ε = 1e-7
  (slides 1e-8).
- `keras_rmsprop`: the slides' form, ε inside the square root, θ −= lr g / √(v + ε); ρ = 0.9,
  ε = 1e-7 by default. Optional momentum (on the step) and centering (v − ḡ²).
- `keras_adagrad`: the accumulator starts at 0.1, not 0, so the first steps are smaller:
  θ −= lr g / √(G + ε) is the slides' form with ε + 0.1 in place of ε.
- `keras_sgd_momentum`: the velocity is in units of steps and undamped,
  m_t = μ m_{t−1} − lr g_t, θ_t = θ_{t−1} + m_t; the slides' v_t = β v_{t−1} + (1 − β) g_t
  with θ −= lr v_t is the same run when lr_slides = lr_keras / (1 − β).

The update order follows keras/src/optimizers/{adam,rmsprop,adagrad,sgd}.py.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from reference.optimisers import Array, GradientFn, Rule, Run, State, previous, run_rule


def keras_adam_rule(
    learning_rate: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
) -> Rule:
    """m += (g − m)(1 − β1), v += (g² − v)(1 − β2), θ −= α_t m / (√v + ε),
    α_t = lr √(1 − β2^t) / (1 − β1^t); one update from any state {"momentum", "velocity"}."""

    def rule(g: Array, state: State, t: int) -> tuple[Array, State]:
        alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m = previous(state, "momentum", g)
        v = previous(state, "velocity", g)
        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        return m * alpha / (np.sqrt(v) + epsilon), {"momentum": m, "velocity": v}

    return rule


def keras_adam(
    theta0: ArrayLike,
    grad: GradientFn,
    steps: int,
    learning_rate: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
) -> Run:
    """Keras's Adam run: `keras_adam_rule` from m = v = 0."""
    return run_rule(theta0, grad, steps, keras_adam_rule(learning_rate, beta_1, beta_2, epsilon))


def keras_rmsprop(
    theta0: ArrayLike,
    grad: GradientFn,
    steps: int,
    learning_rate: float = 0.001,
    rho: float = 0.9,
    momentum: float = 0.0,
    epsilon: float = 1e-7,
    centered: bool = False,
) -> Run:
    """v = ρ v + (1 − ρ) g², Δ = lr g / √(v + ε) (centered: √(v − ḡ² + ε), ḡ = ρ ḡ + (1 − ρ) g);
    θ −= Δ, or with momentum μ: p = μ p + Δ, θ −= p."""

    def rule(g: Array, state: State, t: int) -> tuple[Array, State]:
        v = rho * previous(state, "velocity", g) + (1 - rho) * g**2
        new: State = {"velocity": v}
        denominator = v + epsilon
        if centered:
            new["average_gradient"] = g_bar = (
                rho * previous(state, "average_gradient", g) + (1 - rho) * g
            )
            denominator = v - g_bar**2 + epsilon
        increment = learning_rate * g / np.sqrt(denominator)
        if momentum > 0:
            new["momentum"] = increment = momentum * previous(state, "momentum", g) + increment
        return increment, new

    return run_rule(theta0, grad, steps, rule)


def keras_adagrad(
    theta0: ArrayLike,
    grad: GradientFn,
    steps: int,
    learning_rate: float = 0.001,
    initial_accumulator_value: float = 0.1,
    epsilon: float = 1e-7,
) -> Run:
    """G = G + g² from G_0 = 0.1, θ −= lr g / √(G + ε)."""

    def rule(g: Array, state: State, t: int) -> tuple[Array, State]:
        G = state.get("accumulator", np.full_like(g, initial_accumulator_value)) + g**2
        return learning_rate * g / np.sqrt(G + epsilon), {"accumulator": G}

    return run_rule(theta0, grad, steps, rule)


def keras_sgd_momentum(
    theta0: ArrayLike,
    grad: GradientFn,
    steps: int,
    learning_rate: float = 0.01,
    momentum: float = 0.9,
) -> Run:
    """m = μ m − lr g, θ += m (Keras's SGD(momentum=μ); its own default μ = 0 is plain SGD)."""

    def rule(g: Array, state: State, t: int) -> tuple[Array, State]:
        m = previous(state, "momentum", g) * momentum - g * learning_rate
        return -m, {"momentum": m}

    return run_rule(theta0, grad, steps, rule)
