"""Loss functions L(ŷ, y), each with its gradient ∂L/∂ŷ (or ∂L/∂z for logits) beside it.

Predictions and targets are arrays of the same shape (a mismatch raises ValueError:
broadcasting an (n,) against an (n, 1) silently gives an (n, n) loss). Means are over
every element for the elementwise losses and over rows (observations) for the
categorical ones, as Keras computes them, so a gradient divides by that same count n.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reference.activations import sigmoid, softmax

Array = NDArray[np.float64]


def _pair(y_hat: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
    y_hat, y = np.asarray(y_hat, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if y_hat.shape != y.shape:
        raise ValueError(f"predictions {y_hat.shape} and targets {y.shape} differ in shape")
    return y_hat, y


def _rows(P: Array) -> int:
    """Number of observations of a (n, k) array (a single (k,) row counts as one)."""
    return P.shape[0] if P.ndim > 1 else 1


def _xlogy(x: Array, p: Array) -> Array:
    """x log p with 0 log 0 = 0 (a target of 0 ignores a predicted 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(p))


# --- squared error ---------------------------------------------------------------------


def squared_error(y_hat: ArrayLike, y: ArrayLike) -> Array:
    """(ŷ − y)², elementwise."""
    y_hat, y = _pair(y_hat, y)
    return (y_hat - y) ** 2


def mse(y_hat: ArrayLike, y: ArrayLike) -> float:
    """MSE = (1/n) Σ (ŷ − y)²."""
    return float(np.mean(squared_error(y_hat, y)))


def mse_grad(y_hat: ArrayLike, y: ArrayLike) -> Array:
    """∂MSE/∂ŷ = 2 (ŷ − y) / n."""
    y_hat, y = _pair(y_hat, y)
    return 2 * (y_hat - y) / y.size


def ssr(y_hat: ArrayLike, y: ArrayLike) -> float:
    """SSR = Σ (ŷ − y)² (the sum of squared residuals of the optimisers slides)."""
    return float(np.sum(squared_error(y_hat, y)))


def ssr_grad(y_hat: ArrayLike, y: ArrayLike) -> Array:
    """∂SSR/∂ŷ = 2 (ŷ − y) (also the gradient of one observation's squared error)."""
    y_hat, y = _pair(y_hat, y)
    return 2 * (y_hat - y)


# --- binary cross-entropy --------------------------------------------------------------


def binary_cross_entropy(p: ArrayLike, y: ArrayLike) -> float:
    """BCE = −(1/n) Σ [y log p + (1 − y) log(1 − p)]."""
    p, y = _pair(p, y)
    return float(-np.mean(_xlogy(y, p) + _xlogy(1 - y, 1 - p)))


def bce_grad(p: ArrayLike, y: ArrayLike) -> Array:
    """∂BCE/∂p = −(1/n) [y/p − (1 − y)/(1 − p)]."""
    p, y = _pair(p, y)
    return -(y / p - (1 - y) / (1 - p)) / y.size


def bce_from_logits(z: ArrayLike, y: ArrayLike) -> float:
    """BCE of p = σ(z) = (1/n) Σ [log(1 + e^z) − y z], never overflowing e^z."""
    z, y = _pair(z, y)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def bce_logits_grad(z: ArrayLike, y: ArrayLike) -> Array:
    """∂BCE/∂z = (σ(z) − y) / n."""
    z, y = _pair(z, y)
    return (sigmoid(z) - y) / y.size


# --- categorical cross-entropy ---------------------------------------------------------


def categorical_cross_entropy(P: ArrayLike, Y: ArrayLike) -> float:
    """CCE = −(1/n) Σ_i Σ_j Y_ij log P_ij (one row per observation; Y one-hot)."""
    P, Y = _pair(P, Y)
    return float(-np.sum(_xlogy(Y, P)) / _rows(P))


def cce_grad(P: ArrayLike, Y: ArrayLike) -> Array:
    """∂CCE/∂P = −Y / (n P)."""
    P, Y = _pair(P, Y)
    return -Y / (_rows(P) * P)


def one_hot(labels: ArrayLike, classes: int) -> Array:
    """Y_ij = 1 if label_i = j else 0, for integer labels of shape (n,) or (n, 1)."""
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers, not {labels.dtype}")
    return np.eye(classes)[labels.reshape(-1)]


def sparse_categorical_cross_entropy(P: ArrayLike, labels: ArrayLike) -> float:
    """SCCE = −(1/n) Σ_i log P_{i, label_i}: the CCE with the one-hot rows of the labels."""
    P = np.asarray(P, dtype=np.float64)
    return categorical_cross_entropy(P, one_hot(labels, P.shape[-1]))


def softmax_cross_entropy(Z: ArrayLike, Y: ArrayLike) -> float:
    """CCE of P = softmax(Z) = (1/n) Σ_ij Y_ij (log Σ_k e^(Z_ik) − Z_ij)."""
    Z, Y = _pair(Z, Y)
    top = Z.max(axis=-1, keepdims=True)  # log Σ e^Z = max + log Σ e^(Z − max): no overflow
    log_sum = top + np.log(np.exp(Z - top).sum(axis=-1, keepdims=True))
    return float(np.sum(Y * (log_sum - Z)) / _rows(Z))


def softmax_cross_entropy_grad(Z: ArrayLike, Y: ArrayLike) -> Array:
    """∂CCE/∂Z = (softmax(Z) Σ_j Y_ij − Y) / n, that is (softmax(Z) − Y) / n for one-hot Y."""
    Z, Y = _pair(Z, Y)
    return (softmax(Z) * Y.sum(axis=-1, keepdims=True) - Y) / _rows(Z)
