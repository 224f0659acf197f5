"""Keras builders for the course's models: the lab's 3-2-1 network, the slides' binary
classifier and the iris classifier (softmax and logits forms).

Keras is imported inside each builder through `import_keras`, which picks the JAX backend
unless the user chose another, so `import reference.keras_models` is cheap.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reference.data import IRIS_FEATURES, W1_INIT, W2_INIT

if TYPE_CHECKING:
    import keras

Array = NDArray[np.float64]


def import_keras() -> ModuleType:
    """Keras, with KERAS_BACKEND=jax unless set already (it must be set before the import)."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    return keras


# --- the lab's 3-2-1 network -------------------------------------------------------------


def network_321(W1: ArrayLike = W1_INIT, W2: ArrayLike = W2_INIT) -> keras.Model:
    """ŷ = exp(σ(X W1) W2): Dense(2, sigmoid) -> Dense(1, exponential), no biases,
    weights starting at W1 (3, 2) and W2 (2, 1); compiled with Adam and MSE."""
    keras = import_keras()
    x = keras.Input(shape=(3,), name="inputs")
    a1 = keras.layers.Dense(
        2,
        "sigmoid",
        use_bias=False,
        kernel_initializer=keras.initializers.Constant(np.asarray(W1, dtype=np.float64)),
    )(x)
    y_hat = keras.layers.Dense(
        1,
        "exponential",
        use_bias=False,
        kernel_initializer=keras.initializers.Constant(np.asarray(W2, dtype=np.float64)),
    )(a1)
    model = keras.Model(x, y_hat)
    model.compile(optimizer="adam", loss="mse")
    return model


def train_321(
    X: ArrayLike,
    y: ArrayLike,
    W1: ArrayLike = W1_INIT,
    W2: ArrayLike = W2_INIT,
    epochs: int = 5000,
) -> tuple[Array, Array]:
    """(W1, W2) after training `network_321` as the lab does: `epochs` Adam steps, each on
    all rows at once (batch = all rows).

    The lab calls fit(epochs=5000, batch_size=len(y)); Keras then spends most of each
    epoch on per-epoch bookkeeping (iterator, metrics reset, callbacks). The same steps
    are fed here as one epoch of `epochs` identical full batches, which gives the same
    updates about four times faster.
    """
    keras = import_keras()
    X, y = np.asarray(X), np.asarray(y)

    class FullBatches(keras.utils.PyDataset):
        def __len__(self) -> int:
            return epochs

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            return X, y

    model = network_321(W1, W2)
    model.fit(FullBatches(), epochs=1, verbose=0)
    W1_fit, W2_fit = model.get_weights()
    return np.asarray(W1_fit, dtype=np.float64), np.asarray(W2_fit, dtype=np.float64)


# --- classifiers -------------------------------------------------------------------------


def binary_classifier(n_features: int, seed: int = 42) -> keras.Model:
    """The slides' binary classifier: Dense(32, leaky_relu) -> Dense(16, leaky_relu) ->
    Dense(1, sigmoid), Adam, binary cross-entropy; `seed` fixes the initial weights."""
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(32, "leaky_relu"),
            keras.layers.Dense(16, "leaky_relu"),
            keras.layers.Dense(1, "sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _iris(output: str, loss: object, seed: int) -> keras.Model:
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(len(IRIS_FEATURES),)),
            keras.layers.Dense(30, "relu"),
            keras.layers.Dense(3, output),
        ]
    )
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def iris_classifier(seed: int = 42) -> keras.Model:
    """Dense(30, relu) -> Dense(3, softmax), Adam, sparse categorical cross-entropy."""
    return _iris("softmax", "sparse_categorical_crossentropy", seed)


def iris_logits_classifier(seed: int = 42) -> keras.Model:
    """Dense(30, relu) -> Dense(3, linear) giving logits, Adam,
    SparseCategoricalCrossentropy(from_logits=True): softmax of its outputs are the
    probabilities `iris_classifier` gives with the same weights."""
    keras = import_keras()
    return _iris("linear", keras.losses.SparseCategoricalCrossentropy(from_logits=True), seed)
