"""Activation functions a = f(z), each with its derivative f'(z) beside it.

All take array-likes and return float64 arrays of the same shape (softmax normalises
along `axis`, the last by default: one row of scores per observation).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def _z(z: ArrayLike) -> Array:
    return np.asarray(z, dtype=np.float64)


def sigmoid(z: ArrayLike) -> Array:
    """σ(z) = 1 / (1 + e^(−z)), to float64 precision for every z."""
    z = _z(z)
    with np.errstate(over="ignore"):  # e^(−z) = inf below z ≈ −709.8 gives 1/inf = 0
        a = 1 / (1 + np.exp(-z))
    far = z < -700  # there σ(z) = e^z / (1 + e^z) equals e^z in float64, subnormal ...
    if far.any():  # ... so take it directly rather than the 0 the overflow gave
        a = np.where(far, np.exp(np.minimum(z, 0.0)), a)
    return a


def sigmoid_prime(z: ArrayLike) -> Array:
    """σ'(z) = σ(z) (1 − σ(z))."""
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z: ArrayLike) -> Array:
    """tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z))."""
    return np.tanh(_z(z))


def tanh_prime(z: ArrayLike) -> Array:
    """tanh'(z) = 1 − tanh(z)²."""
    return 1 - np.tanh(_z(z)) ** 2


def relu(z: ArrayLike) -> Array:
    """ReLU(z) = max(0, z)."""
    return np.maximum(_z(z), 0.0)


def relu_prime(z: ArrayLike) -> Array:
    """ReLU'(z) = 1 if z > 0 else 0 (0 at z = 0, as Keras and the lectures take it)."""
    return (_z(z) > 0).astype(np.float64)


def leaky_relu(z: ArrayLike, alpha: float = 0.2) -> Array:
    """LeakyReLU(z) = z if z > 0 else α z (α = 0.2, Keras's default)."""
    z = _z(z)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_prime(z: ArrayLike, alpha: float = 0.2) -> Array:
    """LeakyReLU'(z) = 1 if z > 0 else α."""
    return np.where(_z(z) > 0, 1.0, alpha)


def softmax(z: ArrayLike, axis: int = -1) -> Array:
    """softmax(z)_j = e^(z_j) / Σ_k e^(z_k), shifted by max(z) so e^(·) never overflows."""
    z = _z(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(z: ArrayLike) -> Array:
    """∂softmax_i/∂z_j = s_i (δ_ij − s_j); for scores of shape (..., k) returns (..., k, k)."""
    s = softmax(z)
    return s[..., :, None] * (np.eye(s.shape[-1]) - s[..., None, :])


def exponential(z: ArrayLike) -> Array:
    """exp(z) = e^z (the output activation of the lab's 3-2-1 network)."""
    return np.exp(_z(z))


def exponential_prime(z: ArrayLike) -> Array:
    """exp'(z) = e^z."""
    return np.exp(_z(z))


def linear(z: ArrayLike) -> Array:
    """linear(z) = z."""
    return _z(z).copy()


def linear_prime(z: ArrayLike) -> Array:
    """linear'(z) = 1."""
    return np.ones_like(_z(z))


#: Elementwise activations by their Keras names, each with its derivative.
ELEMENTWISE: dict[str, tuple[Callable[[ArrayLike], Array], Callable[[ArrayLike], Array]]] = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "exponential": (exponential, exponential_prime),
    "linear": (linear, linear_prime),
}
