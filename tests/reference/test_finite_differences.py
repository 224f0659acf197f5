"""Every analytic gradient in `reference` against central finite differences.

(f(x + h e_i) − f(x − h e_i)) / 2h has truncation error O(h²) and rounding error
O(ε |f| / h); with h = 1e-5 relative to |x_i| both stay far below the rtol of 1e-6 used
here, in float64, at random points (fixed seeds).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from grader.compare.gradcheck import central_differences
from reference import activations as act
from reference import losses, network, regression
from reference.network import Layer

RTOL, ATOL = 1e-6, 1e-9


def check(analytic: np.ndarray, f: Callable[[np.ndarray], float], x: np.ndarray) -> None:
    np.testing.assert_allclose(analytic, central_differences(f, x, h=1e-5), rtol=RTOL, atol=ATOL)


SEEDS = [0, 1, 2]


# --- activations ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(act.ELEMENTWISE))
@pytest.mark.parametrize("seed", SEEDS)
def test_activation_derivative(name, seed):
    f, f_prime = act.ELEMENTWISE[name]
    z = np.random.default_rng(seed).normal(0, 3, 50)
    z = z[np.abs(z) > 1e-3]  # away from ReLU's kink at 0
    h = 1e-5 * np.maximum(1, np.abs(z))
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    np.testing.assert_allclose(f_prime(z), numeric, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_jacobian(seed):
    z = np.random.default_rng(seed).normal(0, 2, 4)
    J = act.softmax_jacobian(z)
    for i in range(4):
        check(J[i], lambda v, i=i: act.softmax(v)[i], z)


# --- losses w.r.t. predictions or logits --------------------------------------------------


def _targets(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, 2, shape).astype(np.float64)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(6,), (5, 1), (4, 3)])
def test_mse_and_ssr_gradients(seed, shape):
    rng = np.random.default_rng(seed)
    y_hat, y = rng.normal(size=shape), rng.normal(size=shape)
    check(losses.mse_grad(y_hat, y), lambda p: losses.mse(p, y), y_hat)
    check(losses.ssr_grad(y_hat, y), lambda p: losses.ssr(p, y), y_hat)


@pytest.mark.parametrize("seed", SEEDS)
def test_bce_gradient(seed):
    rng = np.random.default_rng(seed)
    p, y = rng.uniform(0.05, 0.95, (7, 1)), _targets(rng, (7, 1))
    check(losses.bce_grad(p, y), lambda q: losses.binary_cross_entropy(q, y), p)


@pytest.mark.parametrize("seed", SEEDS)
def test_bce_logits_gradient(seed):
    rng = np.random.default_rng(seed)
    z, y = rng.normal(0, 3, (7, 1)), _targets(rng, (7, 1))
    check(losses.bce_logits_grad(z, y), lambda v: losses.bce_from_logits(v, y), z)


@pytest.mark.parametrize("seed", SEEDS)
def test_cce_gradient(seed):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(5 * np.ones(3), size=5)  # probabilities away from 0, where log bends fast
    Y = losses.one_hot(rng.integers(0, 3, 5), 3)
    check(losses.cce_grad(P, Y), lambda Q: losses.categorical_cross_entropy(Q, Y), P)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("targets", ["one-hot", "probabilities"])
def test_softmax_cross_entropy_gradient(seed, targets):
    rng = np.random.default_rng(seed)
    Z = rng.normal(0, 3, (5, 4))
    if targets == "one-hot":
        Y = losses.one_hot(rng.integers(0, 4, 5), 4)
    else:
        Y = rng.dirichlet(np.ones(4), size=5)
    check(losses.softmax_cross_entropy_grad(Z, Y), lambda V: losses.softmax_cross_entropy(V, Y), Z)


# --- regression gradients w.r.t. (w, b) -----------------------------------------------------


def _check_wb(gradients, loss, X, y, w, b) -> None:
    dw, db = gradients(X, y, w, b)
    check(dw, lambda v: loss(X, y, v, b), w)
    check(np.array([db]), lambda v: loss(X, y, w, v[0]), np.array([b]))


@pytest.mark.parametrize("seed", SEEDS)
def test_mse_gradients(seed):
    rng = np.random.default_rng(seed)
    X, y, w = rng.normal(size=(8, 3)), rng.normal(size=(8, 1)), rng.normal(size=(3, 1))
    _check_wb(regression.mse_gradients, regression.mse_loss, X, y, w, float(rng.normal()))


@pytest.mark.parametrize("seed", SEEDS)
def test_bce_gradients(seed):
    rng = np.random.default_rng(seed)
    X, y, w = rng.normal(size=(8, 2)), _targets(rng, (8, 1)), rng.normal(size=(2, 1))
    _check_wb(regression.bce_gradients, regression.bce_loss, X, y, w, float(rng.normal()))


@pytest.mark.parametrize("seed", SEEDS)
def test_squared_error_gradients(seed):
    rng = np.random.default_rng(seed)
    x, y, w, b = rng.normal(size=2), float(rng.normal()), rng.normal(size=(2, 1)), 0.3

    def loss(v: np.ndarray, c: float) -> float:
        return float((x @ v[:, 0] + c - y) ** 2)

    dw, db = regression.squared_error_gradients(x, y, w, b)
    check(dw, lambda v: loss(v, b), w)
    check(np.array([db]), lambda v: loss(w, v[0]), np.array([b]))


@pytest.mark.parametrize("seed", SEEDS)
def test_ssr_gradients(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0.5, 1.5, 3), rng.uniform(1, 2, 3)
    theta = rng.normal(size=2)
    got = regression.ssr_gradients(x, y, *theta)
    check(np.array(got), lambda t: losses.ssr(t[0] * x + t[1], y), theta)


# --- networks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_321_gradients(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(20, 3))
    y = np.exp(act.sigmoid(X @ rng.uniform(0, 1, (3, 2))) @ rng.uniform(0, 2, (2, 1)))
    W1, W2 = rng.uniform(0, 1, (3, 2)), rng.uniform(0, 2, (2, 1))
    g = network.backward(X, y, W1, W2)
    check(g.dW1, lambda V: losses.mse(network.forward(X, V, W2).y_hat, y), W1)
    check(g.dW2, lambda V: losses.mse(network.forward(X, W1, V).y_hat, y), W2)


#: (hidden activations, output activation, loss, output width)
ARCHITECTURES = [
    (("tanh", "relu"), "sigmoid", "binary_crossentropy", 1),
    (("leaky_relu",), "softmax", "categorical_crossentropy", 3),
    (("sigmoid", "exponential"), "linear", "mse", 2),
    (("tanh",), "softmax", "mse", 3),
    (("relu",), "sigmoid", "binary_crossentropy", 2),
]


def _network(rng: np.random.Generator, hidden, output, q, p=3, width=4) -> list[Layer]:
    sizes = [p] + [width] * len(hidden) + [q]
    names = [*hidden, output]
    return [
        Layer(rng.normal(0, 0.7, (m, k)), name, rng.normal(0, 0.3, k))
        for m, k, name in zip(sizes[:-1], sizes[1:], names, strict=True)
    ]


def _targets_for(rng: np.random.Generator, loss: str, n: int, q: int) -> np.ndarray:
    if loss == "categorical_crossentropy":
        return losses.one_hot(rng.integers(0, q, n), q)
    if loss == "binary_crossentropy":
        return _targets(rng, (n, q))
    return rng.normal(size=(n, q))


@pytest.mark.parametrize("architecture", ARCHITECTURES, ids=lambda a: "-".join([*a[0], a[1]]))
@pytest.mark.parametrize("seed", SEEDS)
def test_dense_network_gradients(architecture, seed):
    hidden, output, loss, q = architecture
    rng = np.random.default_rng(seed)
    layers = _network(rng, hidden, output, q)
    X, y = rng.normal(size=(10, 3)), _targets_for(rng, loss, 10, q)
    grads = network.dense_backward(network.dense_forward(X, layers), y, layers, loss)

    def loss_with(l: int, **change: np.ndarray) -> float:
        altered = [
            Layer(change.get("W", la.W), la.activation, change.get("b", la.b)) if i == l else la
            for i, la in enumerate(layers)
        ]
        return network.dense_loss(network.dense_forward(X, altered).y_hat, y, loss)

    for l, layer in enumerate(layers):
        check(grads.dW[l], lambda V, l=l: loss_with(l, W=V), layer.W)
        check(grads.db[l], lambda v, l=l: loss_with(l, b=v), layer.b)
