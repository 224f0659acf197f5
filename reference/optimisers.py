"""The optimisers slides' update rules on a parameter vector θ, g_t = ∇L(θ_{t−1}).

Each optimiser returns its whole `Run`: θ_0..θ_T, every gradient and every state
(momentum's v, Adagrad's running sum G, RMSProp's s, Adam's m, v, m̂, v̂) after each
step. These are the slides' forms; Keras's own forms are in `keras_optimisers`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]
GradientFn = Callable[[Array], ArrayLike]
State = dict[str, Array]
#: One update: (g_t, state_{t−1}, t) -> (step_t, state_t), then θ_t = θ_{t−1} − step_t.
Rule = Callable[[Array, State, int], tuple[Array, State]]


@dataclass(frozen=True)
class Run:
    """θ_0..θ_T as `theta` (T+1, d); `grad` (T, d) and each `state[name]` (T, d) hold
    step t = 1..T in row t − 1 (g_t, and the state after step t)."""

    theta: Array
    grad: Array
    state: Mapping[str, Array]

    @property
    def steps(self) -> Array:
        """step_t = θ_{t−1} − θ_t (the slides' "step size"), (T, d)."""
        return -np.diff(self.theta, axis=0)


def run_rule(theta0: ArrayLike, grad: GradientFn, steps: int, rule: Rule) -> Run:
    """`steps` updates of `rule` from θ_0 and an empty state, g_t = ∇L(θ_{t−1})."""
    theta = np.atleast_1d(np.asarray(theta0, dtype=np.float64))
    thetas, grads, states = [theta], [], []
    state: State = {}
    for t in range(1, steps + 1):
        g = np.asarray(grad(thetas[-1]), dtype=np.float64).reshape(theta.shape)
        step, state = rule(g, state, t)
        thetas.append(thetas[-1] - step)
        grads.append(g)
        states.append(state)
    names = states[0] if states else {}
    return Run(
        np.array(thetas),
        np.reshape(grads, (steps, *theta.shape)),
        {k: np.array([s[k] for s in states]) for k in names},
    )


def previous(state: State, name: str, g: Array) -> Array:
    """A state's previous value, 0 (shaped like g) before the first step."""
    return state.get(name, np.zeros_like(g))


def gradient_descent(theta0: ArrayLike, grad: GradientFn, lr: float, steps: int) -> Run:
    """θ_t = θ_{t−1} − lr g_t."""
    return run_rule(theta0, grad, steps, lambda g, state, t: (lr * g, {}))


def momentum(theta0: ArrayLike, grad: GradientFn, lr: float, beta: float, steps: int) -> Run:
    """v_t = β v_{t−1} + (1 − β) g_t, θ_t = θ_{t−1} − lr v_t, v_0 = 0."""

    def rule(g: Array, state: State, t: int) -> tuple[Array, State]:
        v = beta * previous(state, "v", g) + (1 - beta) * g
        return lr * v, {"v": v}

    return run_rule(theta0, grad, steps, rule)


def adagrad(theta0: ArrayLike, grad: GradientFn, lr: float, eps: float, steps: int) -> Run:
    """G_t = Σ_{k≤t} g_k², θ_t = θ_{t−1} − g_t lr / √(ε + G_t)."""

    def rule(g: Array, state: State, t: int) -> tuple[Array, State]:
        G = previous(state, "G", g) + g**2
        return g * lr / np.sqrt(eps + G), {"G": G}

    return run_rule(theta0, grad, steps, rule)


def rmsprop(
    theta0: ArrayLike, grad: GradientFn, lr: float, beta: float, eps: float, steps: int
) -> Run:
    """s_t = β s_{t−1} + (1 − β) g_t², θ_t = θ_{t−1} − g_t lr / √(ε + s_t), s_0 = 0."""

    def rule(g: Array, state: State, t: int) -> tuple[Array, State]:
        s = beta * previous(state, "s", g) + (1 - beta) * g**2
        return g * lr / np.sqrt(eps + s), {"s": s}

    return run_rule(theta0, grad, steps, rule)


def adam(
    theta0: ArrayLike,
    grad: GradientFn,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    steps: int,
) -> Run:
    """m_t = β1 m + (1 − β1) g, v_t = β2 v + (1 − β2) g², m̂ = m/(1 − β1^t),
    v̂ = v/(1 − β2^t), θ_t = θ_{t−1} − lr m̂ / (√v̂ + ε).

    The bias correction divides by 1 − β^t, as the bias-correction slide derives; the
    Adam slide's 1 − β1 without the power t is a slip (it matches only at t = 1).
    """

    def rule(g: Array, state: State, t: int) -> tuple[Array, State]:
        m = beta1 * previous(state, "m", g) + (1 - beta1) * g
        v = beta2 * previous(state, "v", g) + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat}

    return run_rule(theta0, grad, steps, rule)


# --- exponentially weighted averages ---------------------------------------------------


def ewa(series: ArrayLike, beta: float, bias_correction: bool = False) -> Array:
    """V_1..V_T of V_t = β V_{t−1} + (1 − β) θ_t, V_0 = 0; corrected V̂_t = V_t / (1 − β^t)."""
    theta = np.asarray(series, dtype=np.float64)
    V = np.empty_like(theta)
    V_t = np.zeros_like(theta[0])  # V_0
    for t, theta_t in enumerate(theta):
        V[t] = V_t = beta * V_t + (1 - beta) * theta_t
    return bias_corrected(V, beta) if bias_correction else V


def bias_corrected(V: ArrayLike, beta: float) -> Array:
    """V̂_t = V_t / (1 − β^t) for the rows t = 1..T of V."""
    V = np.asarray(V, dtype=np.float64)
    t = np.arange(1, len(V) + 1).reshape(-1, *[1] * (V.ndim - 1))
    return V / (1 - beta**t)


def ewa_weights(beta: float, lags: int) -> Array:
    """The weights of θ_t, θ_{t−1}, ..., θ_{t−lags+1} and, last, of V_{t−lags} in V_t:
    (1 − β), (1 − β) β, ..., (1 − β) β^(lags−1), β^lags."""
    k = np.arange(lags)
    return np.append((1 - beta) * beta**k, beta**lags)
