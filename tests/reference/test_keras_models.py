"""reference.keras_models: the Keras 3-2-1 run reproduces the lab's weights, the builders
have the seeds' structure; and reference.keras_optimisers.keras_adam on the network's own
gradients lands on the same weights.

Keras runs in a child process (this file run as a script) with KERAS_BACKEND=jax, so the
backend is the lab's whatever the caller's environment says, and nothing leaks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest

from reference import network
from reference.data import W1_INIT, W2_INIT, synthetic_321
from reference.keras_optimisers import keras_adam

#: The lab's printed Keras weights after 5000 epochs (float32, rounded to 4 decimals).
SEED_W1 = np.array([[0.2525, 0.7512], [0.4992, 0.5006], [0.7479, 0.2486]])
SEED_W2 = np.array([[2.0164], [2.9835]])


def _layers(model: object) -> list[list]:
    return [
        [layer.units, layer.activation.__name__, layer.use_bias]
        for layer in model.layers  # type: ignore[attr-defined]
    ]


def _child() -> dict:
    """Everything Keras computes for the tests (run in the child)."""
    import keras

    from reference import keras_models as km
    from reference.data import iris

    W1, W2 = km.train_321(*synthetic_321())
    binary = km.binary_classifier(20)
    softmax_model, logits_model = km.iris_classifier(seed=7), km.iris_logits_classifier(seed=7)
    X = iris()[["SepalLength", "SepalWidth", "PetalLength", "PetalWidth"]].to_numpy()
    probabilities = softmax_model.predict(X, verbose=0)
    from_logits = keras.ops.convert_to_numpy(keras.ops.softmax(logits_model.predict(X, verbose=0)))
    return {
        "backend": keras.backend.backend(),
        "W1": W1.tolist(),
        "W2": W2.tolist(),
        "binary": {
            "layers": _layers(binary),
            "params": binary.count_params(),
            "loss": binary.loss,
        },
        "iris": {"layers": _layers(softmax_model), "loss": softmax_model.loss},
        "logits": {
            "layers": _layers(logits_model),
            "from_logits": logits_model.loss.from_logits,
            "same_weights": all(
                np.array_equal(a, b)
                for a, b in zip(
                    softmax_model.get_weights(), logits_model.get_weights(), strict=True
                )
            ),
            "gap": float(np.abs(probabilities - from_logits).max()),
        },
    }


@pytest.fixture(scope="module", autouse=True)
def keras_child() -> Iterator[subprocess.Popen]:
    """The child, started before this module's first test so that it runs beside them."""
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    child = subprocess.Popen(
        [sys.executable, __file__], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    yield child
    child.kill()  # only if a test failed before reading it
    child.wait()


@pytest.fixture(scope="module")
def keras_facts(keras_child: subprocess.Popen) -> dict:
    out, err = keras_child.communicate(timeout=600)
    assert keras_child.returncode == 0, err.decode()
    return json.loads(out)


def test_keras_adam_on_network_gradients_reproduces_the_lab_weights() -> None:
    """5000 steps of Keras's Adam form (float64) on the mean MSE gradients of the 3-2-1
    network land on Keras's own float32 result."""
    X, y = synthetic_321()

    def grad(theta: np.ndarray) -> np.ndarray:
        g = network.backward(X, y, theta[:6].reshape(3, 2), theta[6:].reshape(2, 1))
        return np.concatenate([g.dW1.ravel(), g.dW2.ravel()])

    theta0 = np.concatenate([W1_INIT.ravel(), W2_INIT.ravel()])
    theta = keras_adam(theta0, grad, 5000).theta[-1]
    np.testing.assert_allclose(theta[:6].reshape(3, 2), SEED_W1, atol=1e-3)
    np.testing.assert_allclose(theta[6:].reshape(2, 1), SEED_W2, atol=1e-3)


def test_keras_321_reproduces_the_lab_weights(keras_facts: dict) -> None:
    assert keras_facts["backend"] == "jax"
    np.testing.assert_allclose(keras_facts["W1"], SEED_W1, atol=1e-3)
    np.testing.assert_allclose(keras_facts["W2"], SEED_W2, atol=1e-3)
    # It really trained: the start is far from the result.
    assert np.abs(W1_INIT - SEED_W1).max() > 0.5


def test_binary_classifier_has_the_slides_structure(keras_facts: dict) -> None:
    binary = keras_facts["binary"]
    assert binary["layers"] == [
        [32, "leaky_relu", True],
        [16, "leaky_relu", True],
        [1, "sigmoid", True],
    ]
    assert binary["params"] == 1217  # the slides' summary for 20 input columns
    assert binary["loss"] == "binary_crossentropy"


def test_iris_classifiers(keras_facts: dict) -> None:
    assert keras_facts["iris"]["layers"] == [[30, "relu", True], [3, "softmax", True]]
    assert keras_facts["iris"]["loss"] == "sparse_categorical_crossentropy"
    logits = keras_facts["logits"]
    assert logits["layers"] == [[30, "relu", True], [3, "linear", True]]
    assert logits["from_logits"] is True
    # Same seed, same weights: softmax of the logits are the softmax model's probabilities.
    assert logits["same_weights"]
    assert logits["gap"] < 1e-6


if __name__ == "__main__":
    print(json.dumps(_child()))
