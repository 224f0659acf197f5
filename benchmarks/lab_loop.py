"""The backpropagation lab's training loop for its 3-2-1 network, neuron by neuron.

A re-implementation of the lab's arithmetic (not its text), kept as the baseline that
`reference.network.train_321` must equal and beat: every neuron has its own weight
column, its own z, its own σ(z) (evaluated again wherever a derivative needs it), and
each gradient is the column mean of δ times the neuron's inputs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def logistic(z: Array) -> Array:
    """σ(z) = 1 / (1 + e^(−z)), written as the lab writes it."""
    return 1 / (1 + np.exp(-z))


def lab_train_321(
    X: Array, y: Array, W1: Array, W2: Array, eta: float, iterations: int
) -> tuple[Array, Array, list[float]]:
    """Train from W1 (3, 2) and W2 (2, 1) as the lab does: (W1, W2, MSE per iteration)."""
    w_first = W1[:, [0]].copy()  # weights into hidden neuron 1
    w_second = W1[:, [1]].copy()  # weights into hidden neuron 2
    w_out = W2.copy()  # weights into the output neuron
    history = []
    for _ in range(iterations):
        # forward, one hidden neuron at a time
        z_first = X @ w_first
        z_second = X @ w_second
        hidden = np.concatenate((logistic(z_first), logistic(z_second)), axis=1)
        z_out = hidden @ w_out
        prediction = np.exp(z_out).reshape(len(y), 1)
        history.append(np.mean((prediction - y) ** 2))

        # deltas: output neuron, then each hidden neuron through its own weight
        delta_out = 2 * (prediction - y) * np.exp(z_out)
        delta_first = w_out[0] * delta_out * logistic(z_first) * (1 - logistic(z_first))
        delta_second = w_out[1] * delta_out * logistic(z_second) * (1 - logistic(z_second))

        # mean gradients over the observations, then one batch step
        w_out -= eta * np.mean(delta_out * hidden, axis=0).reshape(2, 1)
        w_first -= eta * np.mean(delta_first * X, axis=0).reshape(3, 1)
        w_second -= eta * np.mean(delta_second * X, axis=0).reshape(3, 1)
    return np.concatenate((w_first, w_second), axis=1), w_out, history
