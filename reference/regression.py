"""Gradient descent for linear regression ŷ = Xw + b and logistic regression ŷ = σ(Xw + b).

X is (N, p), y is (N, 1), w is (p, 1) and b a float. Each gradient is the chain rule
through z = Xw + b: with δ = ∂L/∂z, ∂L/∂w = Xᵀ δ and ∂L/∂b = 1ᵀ δ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reference import losses
from reference.layers import dense

Array = NDArray[np.float64]
Gradients = Callable[[Array, Array, Array, float], tuple[Array, float]]
Loss = Callable[[Array, Array, Array, float], float]


def _column(v: ArrayLike) -> Array:
    return np.asarray(v, dtype=np.float64).reshape(-1, 1)


def _columns(X: ArrayLike, y: ArrayLike, w: ArrayLike) -> tuple[Array, Array, Array]:
    return np.asarray(X, dtype=np.float64), _column(y), _column(w)


def _through_z(X: Array, delta: Array) -> tuple[Array, float]:
    """(∂L/∂w, ∂L/∂b) = (Xᵀ δ, 1ᵀ δ) for δ = ∂L/∂z and z = Xw + b."""
    return X.T @ delta, float(np.sum(delta))


# --- linear regression, squared errors ---------------------------------------------------


def mse_loss(X: ArrayLike, y: ArrayLike, w: ArrayLike, b: float) -> float:
    """L = (1/N) Σ (x_i w + b − y_i)²."""
    X, y, w = _columns(X, y, w)
    return losses.mse(dense(X, w, b), y)


def mse_gradients(X: ArrayLike, y: ArrayLike, w: ArrayLike, b: float) -> tuple[Array, float]:
    """∂L/∂w = (2/N) Xᵀ(ŷ − y), ∂L/∂b = (2/N) 1ᵀ(ŷ − y) for L = MSE."""
    X, y, w = _columns(X, y, w)
    return _through_z(X, losses.mse_grad(dense(X, w, b), y))


def squared_error_gradients(x: ArrayLike, y: float, w: ArrayLike, b: float) -> tuple[Array, float]:
    """∂L/∂w = 2(ŷ − y) x, ∂L/∂b = 2(ŷ − y) for one observation's L = (ŷ − y)².

    The MSE of a batch of one observation is its squared error, so this is
    `mse_gradients` on that batch.
    """
    return mse_gradients(np.reshape(x, (1, -1)), np.reshape(y, (1, 1)), w, b)


def ssr_gradients(
    x: ArrayLike, y: ArrayLike, slope: float, intercept: float
) -> tuple[float, float]:
    """(∂SSR/∂slope, ∂SSR/∂intercept) = (Σ −2 u x, Σ −2 u), u = y − (slope x + intercept)."""
    x, y = _column(x), _column(y)
    delta = losses.ssr_grad(slope * x + intercept, y)
    d_slope, d_intercept = _through_z(x, delta)
    return float(d_slope[0, 0]), d_intercept


# --- logistic regression, binary cross-entropy -----------------------------------------


def bce_loss(X: ArrayLike, y: ArrayLike, w: ArrayLike, b: float) -> float:
    """L = −(1/N) Σ [y log ŷ + (1 − y) log(1 − ŷ)] with ŷ = σ(Xw + b)."""
    X, y, w = _columns(X, y, w)
    return losses.bce_from_logits(dense(X, w, b), y)


def bce_gradients(X: ArrayLike, y: ArrayLike, w: ArrayLike, b: float) -> tuple[Array, float]:
    """∂L/∂w = (1/N) Xᵀ(ŷ − y), ∂L/∂b = (1/N) 1ᵀ(ŷ − y) for ŷ = σ(Xw + b) and L = BCE."""
    X, y, w = _columns(X, y, w)
    return _through_z(X, losses.bce_logits_grad(dense(X, w, b), y))


# --- runs of gradient descent ------------------------------------------------------------


@dataclass(frozen=True)
class Trajectory:
    """θ_0..θ_T of a run, θ_t = (w_t, b_t), with the gradient and loss behind each step.

    `thetas` is (T+1, p+1), row t = (w_t[0], ..., w_t[p−1], b_t); `grads` is (T, p+1),
    row t the gradient at θ_t used for the step to θ_{t+1}; `losses` is (T,), the loss
    at θ_t on the observations of that step.
    """

    thetas: Array
    grads: Array
    losses: Array

    def w(self, t: int) -> Array:
        """w_t as a column (p, 1)."""
        return self.thetas[t, :-1].reshape(-1, 1)

    def b(self, t: int) -> float:
        return float(self.thetas[t, -1])

    @property
    def steps(self) -> int:
        return len(self.grads)


def _descend(
    X: ArrayLike,
    y: ArrayLike,
    w0: ArrayLike,
    b0: float,
    eta: float,
    batches: Iterable[ArrayLike | slice],
    gradients: Gradients,
    loss: Loss,
) -> Trajectory:
    """θ_{t+1} = θ_t − η ∇L_batch(θ_t), one step per batch of row indices."""
    X, y, w = _columns(X, y, w0)
    b = float(b0)
    thetas, grads, values = [np.append(w, b)], [], []
    for rows in batches:
        dw, db = gradients(X[rows], y[rows], w, b)
        values.append(loss(X[rows], y[rows], w, b))
        grads.append(np.append(dw, db))
        w, b = w - eta * dw, b - eta * db
        thetas.append(np.append(w, b))
    width = X.shape[1] + 1
    return Trajectory(
        np.array(thetas), np.reshape(grads, (-1, width)), np.array(values, dtype=np.float64)
    )


def batch_gd(
    X: ArrayLike,
    y: ArrayLike,
    w0: ArrayLike,
    b0: float,
    eta: float,
    iterations: int,
    gradients: Gradients = mse_gradients,
    loss: Loss = mse_loss,
) -> Trajectory:
    """Batch gradient descent: θ_{t+1} = θ_t − η ∇L(θ_t) on all N observations."""
    return _descend(X, y, w0, b0, eta, [slice(None)] * iterations, gradients, loss)


def sgd(
    X: ArrayLike,
    y: ArrayLike,
    w0: ArrayLike,
    b0: float,
    eta: float,
    order: Iterable[int],
    gradients: Gradients = mse_gradients,
    loss: Loss = mse_loss,
) -> Trajectory:
    """Stochastic gradient descent: θ_{t+1} = θ_t − η ∇L_i(θ_t), i the t-th index of `order`."""
    return _descend(X, y, w0, b0, eta, ([i] for i in order), gradients, loss)


def minibatch_gd(
    X: ArrayLike,
    y: ArrayLike,
    w0: ArrayLike,
    b0: float,
    eta: float,
    batch_size: int,
    epochs: int,
    rng: np.random.Generator,
    gradients: Gradients = mse_gradients,
    loss: Loss = mse_loss,
) -> Trajectory:
    """Mini-batch gradient descent: each epoch shuffles the rows with `rng.permutation`
    and steps on consecutive batches of `batch_size` (the last one smaller if N is not a
    multiple, as Keras does)."""
    n = len(np.asarray(X))

    def batches() -> Iterable[ArrayLike]:
        for _ in range(epochs):
            order = rng.permutation(n)
            yield from (order[i : i + batch_size] for i in range(0, n, batch_size))

    return _descend(X, y, w0, b0, eta, batches(), gradients, loss)


def lr_gradient_descent(
    X: ArrayLike,
    y: ArrayLike,
    batch_size: int = 32,
    eta: float = 0.1,
    w: ArrayLike | None = None,
    b: float | None = None,
    max_iter: int = 100,
    tol: float = 1e-8,
    rng: np.random.Generator | None = None,
) -> tuple[Array, float]:
    """The lab's shuffled mini-batch fit of ŷ = Xw + b, returning (w, b).

    Each of `max_iter` iterations shuffles the rows with `rng.permutation` and steps on
    N // min(N, batch_size) full batches (a remainder is left out); it stops as soon as
    a batch's MSE differs from the previous batch's by less than `tol`, before stepping.
    w defaults to ones and b to 0; the caller's w is never changed. Pass a Generator
    for a reproducible run (None draws fresh entropy; no global state is used).
    """
    X, y = np.asarray(X, dtype=np.float64), _column(y)
    n, p = X.shape
    w = np.ones((p, 1)) if w is None else np.array(w, dtype=np.float64).reshape(p, 1)
    b = 0.0 if b is None else float(b)
    rng = np.random.default_rng() if rng is None else rng
    batch_size = min(n, batch_size)
    previous = np.inf
    for _ in range(max_iter):
        order = rng.permutation(n)
        for start in range(0, n // batch_size * batch_size, batch_size):
            rows = order[start : start + batch_size]
            error = losses.mse(dense(X[rows], w, b), y[rows])
            if abs(error - previous) < tol:
                return w, b
            previous = error
            dw, db = mse_gradients(X[rows], y[rows], w, b)
            w, b = w - eta * dw, b - eta * db
    return w, b
