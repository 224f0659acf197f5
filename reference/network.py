"""Backpropagation through dense networks, and the lab's 3-2-1 network built on it.

Layer l computes z_l = a_{l−1} W_l + b_l and a_l = f_l(z_l), with a_0 = X (n, p). The
loss L is the mean over the n observations of each one's own loss ℓ_i, so its delta
δ_l = ∂ℓ_i/∂z_l (one row per observation, as the lab writes them) gives the mean
gradients ∂L/∂W_l = a_{l−1}ᵀ δ_l / n and ∂L/∂b_l = mean_i δ_l. Going back a layer:
δ_{l−1} = (δ_l W_lᵀ) ⊙ f'_{l−1}(z_{l−1}).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reference import losses
from reference.activations import ELEMENTWISE, softmax

Array = NDArray[np.float64]

#: The losses a network can be trained on, by their Keras names: L(ŷ, y).
LOSSES = {
    "mse": losses.mse,
    "binary_crossentropy": losses.binary_cross_entropy,
    "categorical_crossentropy": losses.categorical_cross_entropy,
}


@dataclass(frozen=True)
class Layer:
    """a = f(a_prev W + b): W (p, q), b (q,) or None for no bias, f named as in Keras
    (a key of `activations.ELEMENTWISE`, or "softmax")."""

    W: Array
    activation: str
    b: Array | None = None


@dataclass(frozen=True)
class Forward:
    """A forward pass: a = (a_0 = X, a_1, ..., a_L) and z = (z_1, ..., z_L)."""

    a: tuple[Array, ...]
    z: tuple[Array, ...]

    @property
    def y_hat(self) -> Array:
        return self.a[-1]


@dataclass(frozen=True)
class Backward:
    """Per layer l = 1..L: δ_l (n, q_l), ∂L/∂W_l and ∂L/∂b_l (None for a layer without bias)."""

    delta: tuple[Array, ...]
    dW: tuple[Array, ...]
    db: tuple[Array | None, ...]


def _activate(name: str, z: Array) -> Array:
    return softmax(z) if name == "softmax" else ELEMENTWISE[name][0](z)


#: f'(z) written with the forward value a = f(z), saving a second evaluation of f in
#: backward (equal to `activations`' f'(z) to the bit; a test holds them together).
PRIME_FROM_OUTPUT: dict[str, Callable[[Array], Array]] = {
    "sigmoid": lambda a: a * (1 - a),
    "tanh": lambda a: 1 - a**2,
    "exponential": lambda a: a,
}


def _back_through(name: str, z: Array, a: Array, g: Array) -> Array:
    """∂ℓ/∂z from g = ∂ℓ/∂a: g ⊙ f'(z), or for softmax Jᵀg = a ⊙ (g − Σ_j g_j a_j)."""
    if name == "softmax":
        return a * (g - np.sum(g * a, axis=-1, keepdims=True))
    if name in PRIME_FROM_OUTPUT:
        return g * PRIME_FROM_OUTPUT[name](a)
    return g * ELEMENTWISE[name][1](z)


def _output_delta(layer: Layer, z: Array, y_hat: Array, y: Array, loss: str) -> Array:
    """δ_L = ∂ℓ_i/∂z_L, where ℓ_i averages the loss over the q outputs (as Keras does)."""
    q = y.shape[-1]
    if loss == "mse":
        return _back_through(layer.activation, z, y_hat, 2 * (y_hat - y) / q)
    # Cross-entropy through its own output activation: the quotients cancel to ŷ − y.
    if (loss, layer.activation) == ("binary_crossentropy", "sigmoid"):
        return (y_hat - y) / q
    if (loss, layer.activation) == ("categorical_crossentropy", "softmax"):
        return y_hat - y
    raise ValueError(f"loss {loss!r} needs a matching output activation, not {layer.activation!r}")


def dense_forward(X: ArrayLike, layers: Sequence[Layer]) -> Forward:
    """a_0 = X; z_l = a_{l−1} W_l + b_l, a_l = f_l(z_l)."""
    a = [np.asarray(X, dtype=np.float64)]
    z = []
    for layer in layers:
        z_l = a[-1] @ layer.W if layer.b is None else a[-1] @ layer.W + layer.b
        z.append(z_l)
        a.append(_activate(layer.activation, z_l))
    return Forward(tuple(a), tuple(z))


def dense_loss(y_hat: ArrayLike, y: ArrayLike, loss: str = "mse") -> float:
    """L(ŷ, y) for a loss named as in Keras (see `LOSSES`)."""
    return LOSSES[loss](y_hat, y)


def dense_backward(
    forward: Forward, y: ArrayLike, layers: Sequence[Layer], loss: str = "mse"
) -> Backward:
    """δ_L from the loss, δ_{l−1} = (δ_l W_lᵀ) ⊙ f'(z_{l−1}); ∂L/∂W_l = a_{l−1}ᵀ δ_l / n."""
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    delta = _output_delta(layers[-1], forward.z[-1], forward.y_hat, y, loss)
    deltas, dW, db = [], [], []
    for l in range(len(layers) - 1, -1, -1):
        deltas.append(delta)
        dW.append(forward.a[l].T @ delta / n)
        db.append(None if layers[l].b is None else delta.mean(axis=0).reshape(layers[l].b.shape))
        if l > 0:
            g = delta @ layers[l].W.T
            delta = _back_through(layers[l - 1].activation, forward.z[l - 1], forward.a[l], g)
    return Backward(tuple(deltas[::-1]), tuple(dW[::-1]), tuple(db[::-1]))


def dense_train(
    X: ArrayLike,
    y: ArrayLike,
    layers: Sequence[Layer],
    eta: float,
    iterations: int,
    loss: str = "mse",
) -> tuple[list[Layer], Array]:
    """Full-batch gradient descent W_l ← W_l − η ∂L/∂W_l, b_l ← b_l − η ∂L/∂b_l.

    Returns the trained layers and the loss before each update, (iterations,).
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    layers = list(layers)
    history = np.empty(iterations)
    for t in range(iterations):
        forward = dense_forward(X, layers)
        history[t] = dense_loss(forward.y_hat, y, loss)
        grads = dense_backward(forward, y, layers, loss)
        layers = [
            Layer(
                layer.W - eta * dW,
                layer.activation,
                None if layer.b is None else layer.b - eta * db,
            )
            for layer, dW, db in zip(layers, grads.dW, grads.db, strict=True)
        ]
    return layers, history


# --- the lab's 3-2-1 network -------------------------------------------------------------


@dataclass(frozen=True)
class Cache321:
    """z1 = X W1 (n, 2), a1 = σ(z1), z2 = a1 W2 (n, 1), ŷ = e^(z2)."""

    z1: Array
    a1: Array
    z2: Array
    y_hat: Array


@dataclass(frozen=True)
class Gradients321:
    """δ2 = 2(ŷ − y) e^(z2) (n, 1), δ1 = δ2 W2ᵀ ⊙ σ'(z1) (n, 2), and the mean gradients
    ∂L/∂W1 = Xᵀ δ1 / n (3, 2), ∂L/∂W2 = a1ᵀ δ2 / n (2, 1) of L = MSE."""

    delta2: Array
    delta1: Array
    dW1: Array
    dW2: Array


def _layers_321(W1: ArrayLike, W2: ArrayLike) -> list[Layer]:
    """3 inputs -> 2 sigmoid neurons -> 1 exponential neuron, no biases."""
    return [
        Layer(np.array(W1, dtype=np.float64), "sigmoid"),
        Layer(np.array(W2, dtype=np.float64), "exponential"),
    ]


def forward(X: ArrayLike, W1: ArrayLike, W2: ArrayLike) -> Cache321:
    """ŷ = exp(σ(X W1) W2)."""
    f = dense_forward(X, _layers_321(W1, W2))
    return Cache321(z1=f.z[0], a1=f.a[1], z2=f.z[1], y_hat=f.y_hat)


def backward(X: ArrayLike, y: ArrayLike, W1: ArrayLike, W2: ArrayLike) -> Gradients321:
    """The deltas and mean MSE gradients of the 3-2-1 network at (W1, W2)."""
    layers = _layers_321(W1, W2)
    g = dense_backward(dense_forward(X, layers), y, layers, "mse")
    return Gradients321(delta2=g.delta[1], delta1=g.delta[0], dW1=g.dW[0], dW2=g.dW[1])


def train_321(
    X: ArrayLike, y: ArrayLike, W1: ArrayLike, W2: ArrayLike, eta: float, iterations: int
) -> tuple[Array, Array, Array]:
    """W ← W − η ∂L/∂W for `iterations` full-batch steps: (W1, W2, MSE before each step)."""
    (hidden, output), history = dense_train(X, y, _layers_321(W1, W2), eta, iterations)
    return hidden.W, output.W, history
