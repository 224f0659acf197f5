"""Time the lab's Keras 3-2-1 training: fit(epochs=5000, batch=all rows) as the lab writes
it, against reference.keras_models.train_321 (the same 5000 full-batch Adam steps fed as
one epoch). Prints both times, their ratio and the largest weight difference."""

import os
import time

import numpy as np

from reference import keras_models as km
from reference.data import W1_INIT, W2_INIT, synthetic_321

keras = km.import_keras()
X, y = synthetic_321()

started = time.perf_counter()
model = km.network_321(W1_INIT, W2_INIT)
model.fit(X, y, epochs=5000, batch_size=len(y), verbose=0)
lab = time.perf_counter() - started
lab_weights = np.concatenate([w.ravel() for w in model.get_weights()])

started = time.perf_counter()
W1, W2 = km.train_321(X, y)
fast = time.perf_counter() - started
fast_weights = np.concatenate([W1.ravel(), W2.ravel()])

print(f"backend {keras.backend.backend()}, {os.cpu_count()} cores")
print(f"fit(epochs=5000, batch_size=n)   {lab:6.2f} s  ({lab / 5000 * 1e3:.2f} ms per epoch)")
print(f"train_321 (1 epoch x 5000 steps) {fast:6.2f} s  ({fast / 5000 * 1e3:.2f} ms per step)")
gap = np.abs(lab_weights - fast_weights).max()
print(f"ratio {lab / fast:.1f}x; max |weight difference| {gap:.1e}")
