"""Backpropagation: the lab's 3-2-1 network against the lab's own loop, and dense networks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from reference import activations as act
from reference import data, losses, network
from reference.network import Layer

LAB_LOOP = Path(__file__).resolve().parents[2] / "benchmarks" / "lab_loop.py"


def load_lab_loop():
    spec = importlib.util.spec_from_file_location("lab_loop", LAB_LOOP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def synthetic():
    return data.synthetic_321()


def test_321_training_equals_the_lab_loop(synthetic):
    # The full run of the lab (5000 iterations, eta = 0.0005): vectorised reference and
    # neuron-by-neuron loop agree to 1e-12 in every weight and every recorded loss (the
    # last losses are ~1e-8, where ŷ − y cancels: agreement there is absolute).
    X, y = synthetic
    W1, W2, history = network.train_321(X, y, data.W1_INIT, data.W2_INIT, 0.0005, 5000)
    lab_W1, lab_W2, lab_history = load_lab_loop().lab_train_321(
        X, y, data.W1_INIT, data.W2_INIT, 0.0005, 5000
    )
    np.testing.assert_allclose(W1, lab_W1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(W2, lab_W2, rtol=0, atol=1e-12)
    np.testing.assert_allclose(history, lab_history, rtol=1e-12, atol=1e-15)
    assert history[-1] < history[0] / 100


def test_321_forward_is_the_formula(synthetic):
    X, _ = synthetic
    cache = network.forward(X[:50], data.W1_TRUE, data.W2_TRUE)
    z1 = X[:50] @ data.W1_TRUE
    np.testing.assert_array_equal(cache.z1, z1)
    np.testing.assert_array_equal(cache.a1, act.sigmoid(z1))
    np.testing.assert_array_equal(cache.z2, act.sigmoid(z1) @ data.W2_TRUE)
    np.testing.assert_array_equal(cache.y_hat, np.exp(cache.z2))


def test_321_deltas_are_the_lab_formulas(synthetic):
    # δ2 = 2(ŷ − y) e^(z2), δ1 = δ2 W2ᵀ ⊙ σ'(z1); gradients are means over observations.
    X, y = synthetic[0][:40], synthetic[1][:40]
    W1, W2 = data.W1_INIT, data.W2_INIT
    cache = network.forward(X, W1, W2)
    g = network.backward(X, y, W1, W2)
    delta2 = 2 * (cache.y_hat - y) * np.exp(cache.z2)
    delta1 = delta2 @ W2.T * act.sigmoid_prime(cache.z1)
    np.testing.assert_allclose(g.delta2, delta2, rtol=1e-14)
    np.testing.assert_allclose(g.delta1, delta1, rtol=1e-14)
    np.testing.assert_allclose(g.dW2, np.mean(delta2 * cache.a1, axis=0).reshape(2, 1), rtol=1e-13)
    np.testing.assert_allclose(g.dW1, X.T @ delta1 / 40, rtol=1e-13)


def test_321_gradient_vanishes_at_the_true_weights(synthetic):
    X, y = synthetic
    g = network.backward(X, y, data.W1_TRUE, data.W2_TRUE)
    np.testing.assert_array_equal(g.dW1, 0.0)
    np.testing.assert_array_equal(g.dW2, 0.0)


def test_321_zero_iterations_returns_the_start(synthetic):
    X, y = synthetic
    W1, W2, history = network.train_321(X, y, data.W1_INIT, data.W2_INIT, 0.1, 0)
    np.testing.assert_array_equal(W1, data.W1_INIT)
    np.testing.assert_array_equal(W2, data.W2_INIT)
    assert history.shape == (0,)


@pytest.mark.parametrize("name", sorted(network.PRIME_FROM_OUTPUT))
def test_prime_from_output_equals_the_activations_derivative(name):
    f, f_prime = act.ELEMENTWISE[name]
    z = np.linspace(-6, 6, 101)
    np.testing.assert_array_equal(network.PRIME_FROM_OUTPUT[name](f(z)), f_prime(z))


# --- dense networks ---------------------------------------------------------------------------


def test_cross_entropy_output_delta_is_y_hat_minus_y():
    rng = np.random.default_rng(0)
    layers = [Layer(rng.normal(size=(3, 4)), "softmax", np.zeros(4))]
    X, Y = rng.normal(size=(5, 3)), losses.one_hot(rng.integers(0, 4, 5), 4)
    forward = network.dense_forward(X, layers)
    grads = network.dense_backward(forward, Y, layers, "categorical_crossentropy")
    np.testing.assert_allclose(grads.delta[0], forward.y_hat - Y, rtol=1e-14)
    # the per-observation deltas are n times ∂L/∂z of the mean loss
    np.testing.assert_allclose(
        grads.delta[0] / 5, losses.softmax_cross_entropy_grad(forward.z[0], Y), rtol=1e-13
    )


@pytest.mark.parametrize(
    ("output", "loss"),
    [("linear", "binary_crossentropy"), ("sigmoid", "categorical_crossentropy")],
)
def test_cross_entropy_needs_its_output_activation(output, loss):
    layers = [Layer(np.ones((2, 1)), output)]
    forward = network.dense_forward(np.ones((3, 2)), layers)
    with pytest.raises(ValueError, match="matching output activation"):
        network.dense_backward(forward, np.ones((3, 1)), layers, loss)


def test_dense_train_takes_gradient_steps():
    rng = np.random.default_rng(1)
    layers = [
        Layer(rng.normal(size=(2, 3)), "tanh", rng.normal(size=3)),
        Layer(rng.normal(size=(3, 1)), "linear", rng.normal(size=1)),
    ]
    X, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    trained, history = network.dense_train(X, y, layers, eta=0.1, iterations=1)
    grads = network.dense_backward(network.dense_forward(X, layers), y, layers)
    for before, after, dW, db in zip(layers, trained, grads.dW, grads.db, strict=True):
        np.testing.assert_allclose(after.W, before.W - 0.1 * dW, rtol=1e-14)
        np.testing.assert_allclose(after.b, before.b - 0.1 * db, rtol=1e-14)
    assert history[0] == pytest.approx(losses.mse(network.dense_forward(X, layers).y_hat, y))


def test_dense_network_learns_iris():
    # 4 -> 8 tanh -> 3 softmax with categorical cross-entropy, full batch from a fixed start.
    table = data.iris()
    X = table[list(data.IRIS_FEATURES)].to_numpy()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    Y = losses.one_hot(table["target"].to_numpy(), 3)
    rng = np.random.default_rng(2)
    layers = [
        Layer(rng.normal(0, 0.5, (4, 8)), "tanh", np.zeros(8)),
        Layer(rng.normal(0, 0.5, (8, 3)), "softmax", np.zeros(3)),
    ]
    trained, history = network.dense_train(X, Y, layers, 0.5, 300, "categorical_crossentropy")
    accuracy = np.mean(network.dense_forward(X, trained).y_hat.argmax(axis=1) == Y.argmax(axis=1))
    assert history[-1] < history[0] / 5
    assert accuracy > 0.95
