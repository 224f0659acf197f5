"""reference.keras_optimisers against the real keras.optimizers, in float64, on the
optimisers slides' shoe-size problem (SSR of H = slope SS + intercept, from (1, 0)).

Keras runs in a child process (this file run as a script) so that JAX's x64 switch and
Keras's floatx never leak into other tests; both backends run at the same time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest

from reference import keras_optimisers as ko
from reference import optimisers as slides
from reference.data import HEIGHTS, SHOE_SIZES
from reference.optimisers import Run
from reference.regression import ssr_gradients

STEPS = 100
THETA0 = (1.0, 0.0)  # (slope, intercept)

#: case -> (Keras class, its keyword arguments, ours); {} checks that the defaults agree.
CASES: dict[str, tuple[str, dict, Callable[..., Run]]] = {
    "adam-defaults": ("Adam", {}, ko.keras_adam),
    "adam": ("Adam", {"learning_rate": 0.1, "beta_1": 0.8, "epsilon": 1e-3}, ko.keras_adam),
    "rmsprop-defaults": ("RMSprop", {}, ko.keras_rmsprop),
    "rmsprop-momentum-centered": (
        "RMSprop",
        {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True},
        ko.keras_rmsprop,
    ),
    "adagrad-defaults": ("Adagrad", {}, ko.keras_adagrad),
    "adagrad": (
        "Adagrad",
        {"learning_rate": 0.1, "initial_accumulator_value": 0.5},
        ko.keras_adagrad,
    ),
    "sgd-momentum": ("SGD", {"learning_rate": 0.01, "momentum": 0.9}, ko.keras_sgd_momentum),
}
TORCH_CASES = ("adam-defaults", "adam")


def grad(theta: np.ndarray) -> np.ndarray:
    """∇SSR at θ = (slope, intercept)."""
    return np.array(ssr_gradients(SHOE_SIZES, HEIGHTS, float(theta[0]), float(theta[1])))


def _keras_runs(cases: list[str]) -> dict[str, list[list[float]]]:
    """θ_0..θ_STEPS of each case with the real Keras optimiser (run in the child)."""
    if os.environ["KERAS_BACKEND"] == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
    import keras

    keras.config.set_floatx("float64")
    runs = {}
    for case in cases:
        name, kwargs, _ = CASES[case]
        optimizer = getattr(keras.optimizers, name)(**kwargs)
        theta = keras.Variable(np.array(THETA0), dtype="float64")
        thetas = [keras.ops.convert_to_numpy(theta)]
        for _ in range(STEPS):
            g = keras.ops.convert_to_tensor(grad(thetas[-1]), dtype="float64")
            optimizer.apply_gradients([(g, theta)])
            thetas.append(keras.ops.convert_to_numpy(theta))
        runs[case] = np.array(thetas, dtype=np.float64).tolist()
    return runs


def _start(backend: str, cases: tuple[str, ...]) -> subprocess.Popen:
    env = {**os.environ, "KERAS_BACKEND": backend, "OMP_NUM_THREADS": "1"}  # 2-vectors: no threads
    return subprocess.Popen(
        [sys.executable, __file__, *cases], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.fixture(scope="module")
def keras_runs() -> dict[str, dict[str, np.ndarray]]:
    children = {"jax": _start("jax", tuple(CASES)), "torch": _start("torch", TORCH_CASES)}
    runs = {}
    for backend, child in children.items():
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err.decode()
        runs[backend] = {k: np.array(v) for k, v in json.loads(out).items()}
    return runs


@pytest.mark.parametrize("case", list(CASES))
def test_agrees_with_keras_jax_float64(keras_runs: dict, case: str) -> None:
    _, kwargs, ours = CASES[case]
    expected = keras_runs["jax"][case]
    theta = ours(THETA0, grad, STEPS, **kwargs).theta
    assert theta.shape == expected.shape == (STEPS + 1, 2)
    np.testing.assert_allclose(theta, expected, rtol=0, atol=1e-12)
    assert np.abs(expected[-1] - expected[0]).max() > 1e-2  # the run really moved


@pytest.mark.parametrize("case", TORCH_CASES)
def test_agrees_with_keras_torch_float64(keras_runs: dict, case: str) -> None:
    _, kwargs, ours = CASES[case]
    theta = ours(THETA0, grad, STEPS, **kwargs).theta
    np.testing.assert_allclose(theta, keras_runs["torch"][case], rtol=0, atol=1e-12)


def test_keras_adam_differs_from_slides_form() -> None:
    """Same lr, β1, β2, ε: ε on √v instead of √v̂ changes the run (ε large to show it)."""
    keras_form = ko.keras_adam(THETA0, grad, 10, learning_rate=0.1, epsilon=0.1).theta
    slides_form = slides.adam(THETA0, grad, 0.1, 0.9, 0.999, 0.1, 10).theta
    assert np.abs(keras_form - slides_form).max() > 1e-3
    # ... and is the slides' form with ε / √(1 − β2^t) in place of ε: check the first step.
    one = slides.adam(THETA0, grad, 0.1, 0.9, 0.999, 0.1 / np.sqrt(1 - 0.999), 1).theta
    np.testing.assert_allclose(keras_form[1], one[1], rtol=1e-13)


def test_keras_sgd_momentum_is_slides_momentum_with_rescaled_lr() -> None:
    keras_form = ko.keras_sgd_momentum(THETA0, grad, 50, learning_rate=0.01, momentum=0.9)
    slides_form = slides.momentum(THETA0, grad, 0.01 / (1 - 0.9), 0.9, 50)
    np.testing.assert_allclose(keras_form.theta, slides_form.theta, rtol=1e-10)


def test_keras_adagrad_is_slides_adagrad_with_accumulator_in_epsilon() -> None:
    keras_form = ko.keras_adagrad(THETA0, grad, 50, learning_rate=0.1)
    slides_form = slides.adagrad(THETA0, grad, 0.1, 0.1 + 1e-7, 50)
    np.testing.assert_allclose(keras_form.theta, slides_form.theta, rtol=1e-12)


def test_keras_rmsprop_is_slides_rmsprop() -> None:
    keras_form = ko.keras_rmsprop(THETA0, grad, 50, learning_rate=0.01)
    slides_form = slides.rmsprop(THETA0, grad, 0.01, 0.9, 1e-7, 50)
    np.testing.assert_allclose(keras_form.theta, slides_form.theta, rtol=1e-12)


def test_states_use_keras_names() -> None:
    run = ko.keras_rmsprop(THETA0, grad, 3, momentum=0.5, centered=True)
    assert set(run.state) == {"velocity", "average_gradient", "momentum"}
    assert set(ko.keras_adam(THETA0, grad, 3).state) == {"momentum", "velocity"}
    np.testing.assert_allclose(
        ko.keras_adagrad(THETA0, grad, 1).state["accumulator"][0], 0.1 + grad(THETA0) ** 2
    )


if __name__ == "__main__":
    print(json.dumps(_keras_runs(sys.argv[1:])))
